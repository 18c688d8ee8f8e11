"""Notebook 03's new checker: the factor the batch-mean baseline puts on the expected score-function gradient."""

import numpy as np
import pytest

from helpers.exercises import check_batch_mean_baseline_factor


def _simulated_factor(n_samples, repeats=200_000, seed=0):
    """The factor by simulation (independent of the checker): f = z^2, q = N(1, 1), exact gradient 2."""
    eps = np.random.default_rng(seed).standard_normal((repeats, n_samples))
    f = (1.0 + eps) ** 2
    grad = ((f - f.mean(axis=1, keepdims=True)) * eps).mean(axis=1)
    return grad.mean() / 2.0, grad.std(ddof=1) / np.sqrt(repeats) / 2.0


@pytest.mark.parametrize("n_samples", [2, 4, 10])
def test_the_right_answer_passes_and_matches_a_simulation(n_samples):
    factor, se = _simulated_factor(n_samples)
    assert abs(factor - (1 - 1 / n_samples)) < 4.5 * se
    assert check_batch_mean_baseline_factor(1 - 1 / n_samples, n_samples).passed


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (1.0, "this one is not constant"),
        (0.25, "1/M is the part that goes missing"),
        (1.25, "the factor is below 1"),
        (4 / 3, "rescaling that turns the batch-mean estimator back into the leave-one-out"),
        (0.0, "only the f(z_m)/M part"),
        (0.6, "off by up to"),
    ],
)
def test_each_slip_gets_its_hint(wrong, hint):
    result = check_batch_mean_baseline_factor(wrong, 4)
    assert not result.passed
    assert hint in result.message


def test_untouched_and_bad_input():
    assert "not attempted yet" in check_batch_mean_baseline_factor(..., 4).message
    for bad in (1, 0, 2.5, True):
        with pytest.raises(ValueError, match="n_samples"):
            check_batch_mean_baseline_factor(0.5, bad)
