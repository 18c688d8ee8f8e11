"""Notebook 00's checkers: the right answer passes, each usual slip gets its own hint, and nothing raises."""

import numpy as np
import pytest
from scipy.stats import norm

from helpers.exercises import check_bits_per_dim, check_gaussian_log_density, check_noise_covariance

LOG_PX, D = -86.2, 784
# Independent reference: bits are log base 2, so -log2 p(x) / d with p(x) = exp(LOG_PX) written via np.log2.
BPD = -np.log2(np.exp(LOG_PX)) / D


def test_bits_per_dim_accepts_the_right_answer_in_any_form():
    for answer in (BPD, np.float32(BPD), np.array(BPD), float(BPD)):
        assert check_bits_per_dim(answer, LOG_PX, D).passed


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (..., "not attempted yet"),
        (-LOG_PX / D, "nats per dimension"),
        (-LOG_PX * np.log(2) / D, "you multiplied by ln 2"),
        (-LOG_PX / np.log(2), "whole image"),
        (-LOG_PX / (D * np.log(10)), "base 10"),
        (LOG_PX / (D * np.log(2)), "the sign"),
        ("sixteen", "as a number"),
        (np.array([BPD, BPD]), "shape"),
        (BPD * 1.01, "off by"),
    ],
)
def test_bits_per_dim_diagnoses_each_slip(answer, hint):
    result = check_bits_per_dim(answer, LOG_PX, D)
    assert not result.passed and hint in result.message, result.message


def test_bits_per_dim_rejects_bad_arguments():
    with pytest.raises(ValueError, match="log_px"):
        check_bits_per_dim(0.1, float("nan"), D)
    with pytest.raises(ValueError, match="data_dim"):
        check_bits_per_dim(0.1, LOG_PX, 0)


@pytest.mark.parametrize("answer", ["abc", [[1, 2], [3]], object(), np.ones((2, 2)), None])
def test_broken_answers_get_a_message_not_an_exception(answer):
    for result in (check_gaussian_log_density(answer, 2.5, 1.0, 0.8), check_noise_covariance(answer, 0.5, 3),
                   check_bits_per_dim(answer, LOG_PX, D)):
        assert not result.passed and result.message


def test_gaussian_log_density_hints():
    right = norm(1.0, 0.8).logpdf(2.5)
    assert check_gaussian_log_density(right, 2.5, 1.0, 0.8).passed
    density = norm(1.0, 0.8).pdf(2.5)
    assert "take its log" in check_gaussian_log_density(density, 2.5, 1.0, 0.8).message
