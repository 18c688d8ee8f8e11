"""Checkers for notebook 00 (notation: standard deviations versus variances)."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from helpers.exercises._feedback import ExerciseResult, compare

__all__ = ["check_noise_covariance", "check_gaussian_log_density"]


def check_noise_covariance(answer, noise_std: float, data_dim: int) -> ExerciseResult:
    """Exercise: the covariance Sigma of isotropic noise with standard deviation sigma is sigma^2 I_d."""
    expected = noise_std**2 * np.eye(data_dim)
    if answer is not None and answer is not Ellipsis:
        ans = np.asarray(answer, dtype=np.float64)
        if ans.shape == expected.shape and np.allclose(ans, noise_std * np.eye(data_dim)):
            return ExerciseResult(
                "noise_covariance", False,
                "that puts the standard deviation on the diagonal; a covariance holds variances, sigma**2.",
            )
        if ans.shape == (data_dim,) and np.allclose(ans, noise_std**2):
            return ExerciseResult(
                "noise_covariance", False, "right variances, but Sigma is a (d, d) matrix: use sigma**2 * np.eye(d)."
            )
    return compare("noise_covariance", answer, expected, what="Sigma")


def check_gaussian_log_density(answer, x: float, mean: float, noise_std: float) -> ExerciseResult:
    """Exercise: log N(x; mean, sigma^2) with sigma a standard deviation, checked against SciPy."""
    expected = norm(loc=mean, scale=noise_std).logpdf(x)
    if answer is not None and answer is not Ellipsis:
        as_variance = norm(loc=mean, scale=np.sqrt(noise_std)).logpdf(x)
        if np.isclose(float(np.asarray(answer)), as_variance):
            return ExerciseResult(
                "gaussian_log_density", False, "you used sigma as a variance; here sigma is a standard deviation."
            )
    return compare("gaussian_log_density", answer, expected, what="log N(x; mean, sigma^2)")
