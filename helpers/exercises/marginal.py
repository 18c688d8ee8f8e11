"""Checkers for notebook 01 (the linear-Gaussian marginal)."""

from __future__ import annotations

import numpy as np

from helpers.exercises._feedback import ExerciseResult, compare

__all__ = ["check_marginal_cov", "check_posterior_mean_1d", "check_posterior_mean_by_conditioning"]


def check_marginal_cov(answer, A, Sigma) -> ExerciseResult:
    """Exercise: the covariance of p(x) is A A^T + Sigma (shape (d, d))."""
    A = np.asarray(A, dtype=np.float64)
    Sigma = np.asarray(Sigma, dtype=np.float64)
    expected = A @ A.T + Sigma
    k = A.shape[1]
    return compare("marginal_cov", answer, expected, what="the marginal covariance", slips=[
        (lambda ans: ans.shape == (k, k) != expected.shape,
         "that is k x k: A^T A is the wrong product; p(x) lives in data space, (d, d)."),
        (A @ A.T, "the spread that z induces is there, but the observation noise Sigma is missing."),
        (Sigma, "that is only the noise: the latent z also spreads x, by A A^T."),
    ])


def check_posterior_mean_1d(answer, a: float, b: float, noise_var: float, x: float) -> ExerciseResult:
    """Exercise: for scalar z, x with p(x|z) = N(a z + b, noise_var), E[z|x] = a (x - b) / (a^2 + noise_var)."""
    expected = a * (x - b) / (a**2 + noise_var)
    return compare("posterior_mean_1d", answer, expected, what="the posterior mean E[z|x]", slips=[
        ((x - b) / a, "(x - b)/a ignores the prior: the posterior mean is shrunk towards 0."),
        (a * (x - b) / noise_var, "the prior precision 1 is missing from the denominator: use a^2 + noise_var."),
        (a * x / (a**2 + noise_var), "x is not centred: subtract b first."),
    ])


def check_posterior_mean_by_conditioning(answer, A, b, Sigma, x) -> ExerciseResult:
    """Exercise: E[z|x] = Cov(z, x) Cov(x)^{-1} (x - b) = A^T (A A^T + Sigma)^{-1} (x - b), by conditioning (z, x).

    The reference comes from the other route (completing the square, ``LinearGaussian.posterior``), so a right
    answer also confirms that the two routes agree.
    """
    from helpers.linear_gaussian import LinearGaussian

    A, b, Sigma, x = (np.asarray(v, dtype=np.float64) for v in (A, b, Sigma, x))
    expected = LinearGaussian(A, b, Sigma).posterior(x)[0]
    k, d = A.shape[1], A.shape[0]
    residual = x - b
    return compare("posterior_by_conditioning", answer, expected, what="E[z|x]", slips=[
        (lambda ans: ans.shape == (d,) and d != k,
         f"that has d = {d} entries, but E[z|x] lives in latent space (k = {k}): Cov(z, x) is a k x d matrix, "
         "A^T rather than A."),
        (A.T @ np.linalg.solve(Sigma, residual),
         "that weighs the residual by the noise alone: Cov(x) = A A^T + Sigma, not Sigma."),
        (A.T @ np.linalg.solve(A @ A.T + Sigma, x), "x is not centred: subtract E[x] = b."),
        (np.linalg.lstsq(A, residual, rcond=None)[0],
         "that is least squares: it ignores the prior on z and the noise, so it is not shrunk towards 0."),
        (A.T @ residual, "Cov(x)^{-1} is missing: solve with A A^T + Sigma before multiplying by Cov(z, x)."),
    ])
