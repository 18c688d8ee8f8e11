"""Checkers for notebook 01 (the linear-Gaussian marginal)."""

from __future__ import annotations

import numpy as np

from helpers.exercises._feedback import ExerciseResult, compare

__all__ = ["check_marginal_cov", "check_posterior_mean_1d"]


def check_marginal_cov(answer, A, Sigma) -> ExerciseResult:
    """Exercise: the covariance of p(x) is A A^T + Sigma (shape (d, d))."""
    A = np.asarray(A, dtype=np.float64)
    Sigma = np.asarray(Sigma, dtype=np.float64)
    expected = A @ A.T + Sigma
    ans = np.asarray(answer, dtype=np.float64) if answer is not None and answer is not Ellipsis else None
    if ans is not None and ans.shape == (A.shape[1], A.shape[1]) and ans.shape != expected.shape:
        return ExerciseResult("marginal_cov", False,
                              "that is k x k: A^T A is the wrong product; p(x) lives in data space, (d, d).")
    if ans is not None and ans.shape == expected.shape and np.allclose(ans, A @ A.T):
        return ExerciseResult("marginal_cov", False,
                              "the spread that z induces is there, but the observation noise Sigma is missing.")
    if ans is not None and ans.shape == expected.shape and np.allclose(ans, Sigma):
        return ExerciseResult("marginal_cov", False, "that is only the noise: the latent z also spreads x, by A A^T.")
    return compare("marginal_cov", answer, expected, what="the marginal covariance")


def check_posterior_mean_1d(answer, a: float, b: float, noise_var: float, x: float) -> ExerciseResult:
    """Exercise: for scalar z, x with p(x|z) = N(a z + b, noise_var), E[z|x] = a (x - b) / (a^2 + noise_var)."""
    expected = a * (x - b) / (a**2 + noise_var)
    if answer is not None and answer is not Ellipsis:
        ans = float(np.asarray(answer))
        if np.isclose(ans, (x - b) / a):
            return ExerciseResult("posterior_mean_1d", False,
                                  "(x - b)/a ignores the prior: the posterior mean is shrunk towards 0.")
        if np.isclose(ans, a * (x - b) / noise_var):
            return ExerciseResult("posterior_mean_1d", False,
                                  "the prior precision 1 is missing from the denominator: use a^2 + noise_var.")
    return compare("posterior_mean_1d", answer, expected, what="the posterior mean E[z|x]")
