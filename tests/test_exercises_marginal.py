"""Notebook 01's checkers: the right answer passes, each usual slip gets its own hint, and nothing raises."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from helpers.exercises import check_marginal_cov, check_posterior_mean_1d, check_posterior_mean_by_conditioning

A = np.array([[1.0, -0.5], [0.3, 2.0], [0.0, 1.0]])
SIGMA = np.diag([0.5, 0.2, 0.1])
B = np.array([0.5, -1.0, 0.0])
X = np.array([1.0, 2.0, 0.5])


def _posterior_mean_by_brute_force():
    """E[z|x] by self-normalised weights of p(x|z) on a fine 2-D grid of z under the prior: no Gaussian algebra."""
    g = np.linspace(-6, 6, 301)
    z = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    log_w = multivariate_normal(np.zeros(3), SIGMA).logpdf(X - B - z @ A.T) - 0.5 * np.sum(z**2, axis=1)
    w = np.exp(log_w - log_w.max())
    return (w[:, None] * z).sum(axis=0) / w.sum()


def test_conditioning_reference_agrees_with_brute_force():
    right = A.T @ np.linalg.solve(A @ A.T + SIGMA, X - B)
    assert np.allclose(right, _posterior_mean_by_brute_force(), atol=1e-6)
    assert check_posterior_mean_by_conditioning(right, A, B, SIGMA, X).passed
    assert check_posterior_mean_by_conditioning(right.tolist(), A, B, SIGMA, X).passed


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (..., "not attempted yet"),
        (A.T @ np.linalg.solve(SIGMA, X - B), "noise alone"),
        (A.T @ np.linalg.solve(A @ A.T + SIGMA, X), "not centred"),
        (np.linalg.lstsq(A, X - B, rcond=None)[0], "least squares"),
        (A.T @ (X - B), "Cov(x)^{-1} is missing"),
        (A @ A.T @ np.linalg.solve(A @ A.T + SIGMA, X - B), "lives in latent space"),
        ("a vector", "as a number or array"),
    ],
)
def test_conditioning_diagnoses_each_slip(answer, hint):
    result = check_posterior_mean_by_conditioning(answer, A, B, SIGMA, X)
    assert not result.passed and hint in result.message, result.message


def test_posterior_mean_1d_slips():
    a, b, noise_var, x = 2.0, 1.0, 0.5, 4.0
    assert check_posterior_mean_1d(a * (x - b) / (a**2 + noise_var), a, b, noise_var, x).passed
    assert "ignores the prior" in check_posterior_mean_1d((x - b) / a, a, b, noise_var, x).message
    assert "prior precision 1" in check_posterior_mean_1d(a * (x - b) / noise_var, a, b, noise_var, x).message
    assert "not centred" in check_posterior_mean_1d(a * x / (a**2 + noise_var), a, b, noise_var, x).message


@pytest.mark.parametrize("answer", ["abc", [[1, 2], [3]], object(), np.ones(7), None])
def test_broken_answers_get_a_message_not_an_exception(answer):
    for result in (check_marginal_cov(answer, A, SIGMA), check_posterior_mean_1d(answer, 2.0, 1.0, 0.5, 4.0),
                   check_posterior_mean_by_conditioning(answer, A, B, SIGMA, X)):
        assert not result.passed and result.message
