"""The shared feedback logic and the checkers of notebooks 00 and 01: right answers pass, wrong ones get a hint."""

import numpy as np
import pytest
import torch
from scipy.stats import norm

from helpers.exercises import (
    ExerciseResult,
    check_gaussian_log_density,
    check_marginal_cov,
    check_noise_covariance,
    check_posterior_mean_1d,
)
from helpers.exercises._feedback import compare

EXPECTED = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]])


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (..., "not attempted yet"),
        (None, "not attempted yet"),
        ("a string", "as a number or array"),
        (EXPECTED.T, "transposed"),
        (EXPECTED.ravel(), "wrong shape"),
        (EXPECTED[:, :2], "wrong number of entries"),
        (np.full_like(EXPECTED, np.nan), "NaN"),
        (-EXPECTED, "wrong sign"),
        (2 * EXPECTED, "twice"),
        (0.5 * EXPECTED, "half"),
        (np.log(EXPECTED), "log of the reference"),
        (np.exp(EXPECTED), "exp of the reference"),
        (EXPECTED + 0.1, "off by up to 0.1"),
    ],
)
def test_compare_diagnoses_each_slip(answer, hint):
    result = compare("demo", answer, EXPECTED, what="the matrix")
    assert not result.passed and not bool(result)
    assert hint in result.message
    assert repr(result).startswith("✘ not yet (demo)")


def test_compare_accepts_right_answers_in_any_array_type():
    for answer in (EXPECTED.copy(), EXPECTED.tolist(), torch.tensor(EXPECTED)):
        result = compare("demo", answer, EXPECTED, what="the matrix")
        assert isinstance(result, ExerciseResult) and result.passed
        assert repr(result).startswith("✔ correct (demo)")


def test_noise_covariance_checker():
    assert check_noise_covariance(0.25 * np.eye(3), 0.5, 3).passed
    assert "standard deviation on the diagonal" in check_noise_covariance(0.5 * np.eye(3), 0.5, 3).message
    assert "(d, d) matrix" in check_noise_covariance(np.full(3, 0.25), 0.5, 3).message
    assert not check_noise_covariance(..., 0.5, 3).passed


def test_gaussian_log_density_checker():
    right = norm(1.0, 0.8).logpdf(2.5)
    assert check_gaussian_log_density(right, 2.5, 1.0, 0.8).passed
    as_variance = norm(1.0, np.sqrt(0.8)).logpdf(2.5)
    assert "as a variance" in check_gaussian_log_density(as_variance, 2.5, 1.0, 0.8).message
    assert not check_gaussian_log_density(right + 0.3, 2.5, 1.0, 0.8).passed


def test_marginal_cov_checker():
    rng = np.random.default_rng(0)
    A, Sigma = rng.standard_normal((3, 2)), np.diag([0.5, 0.2, 0.1])
    assert check_marginal_cov(A @ A.T + Sigma, A, Sigma).passed
    assert "noise Sigma is missing" in check_marginal_cov(A @ A.T, A, Sigma).message
    assert "A^T A" in check_marginal_cov(A.T @ A, A, Sigma).message
    assert "only the noise" in check_marginal_cov(Sigma, A, Sigma).message


def test_posterior_mean_checker_against_the_linear_gaussian_model():
    from helpers.linear_gaussian import LinearGaussian

    a, b, noise_var, x = 2.0, 1.0, 0.5, 4.0
    exact = LinearGaussian([[a]], [b], [[noise_var]]).posterior([x])[0][0]
    assert check_posterior_mean_1d(exact, a, b, noise_var, x).passed
    assert "ignores the prior" in check_posterior_mean_1d((x - b) / a, a, b, noise_var, x).message
    assert "prior precision" in check_posterior_mean_1d(a * (x - b) / noise_var, a, b, noise_var, x).message
