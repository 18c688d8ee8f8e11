"""Checkers for notebook 03 (Fisher identity, score-function and reparameterisation gradients)."""

from __future__ import annotations

import numpy as np

from helpers.exercises._feedback import ExerciseResult, compare

__all__ = ["check_gaussian_score", "check_likelihood_grad_b", "check_batch_mean_baseline_factor"]


def check_gaussian_score(answer, z, m, s) -> ExerciseResult:
    r"""Exercise: grad_mu log N(z; mu, diag(s^2)) = (z - mu) / s^2 per sample z (M, k); s is a std. dev."""
    z = np.asarray(z, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    expected = (z - m) / s**2
    slips = [
        ((z - m) / s, "that is eps = (z - mu)/s; the score divides by the variance s**2, not by s."),
        (z - m, "the 1/s**2 factor is missing (it is 1 only when s = 1)."),
        ((z - m) * s**2, "you multiplied by s**2: divide by the variance instead."),
    ]
    return compare("gaussian_score", answer, expected, what="the score ∇_μ log q(z)", slips=slips)


def check_likelihood_grad_b(answer, x, z, A, b, Sigma) -> ExerciseResult:
    r"""Exercise: grad_b log N(x; A z + b, Sigma) = Sigma^{-1}(x - A z - b) per z (M, k); shape (M, d)."""
    x, z, A, b, Sigma = (np.asarray(v, dtype=np.float64) for v in (x, z, A, b, Sigma))
    resid = x - z @ A.T - b
    expected = np.linalg.solve(Sigma, resid.T).T
    slips = [
        (resid, "that is the residual x - A z - b: multiply it by Sigma^{-1} (np.linalg.solve)."),
        (resid @ Sigma, "you multiplied by Sigma: the gradient uses the precision Sigma^{-1}."),
    ]
    return compare("likelihood_grad_b", answer, expected, what="∇_b log p(x|z)", slips=slips)


def check_batch_mean_baseline_factor(answer, n_samples) -> ExerciseResult:
    r"""Exercise: E[(1/M) sum_m (f(z_m) - fbar) grad log q(z_m)] = (1 - 1/M) grad E_q[f], fbar the mean of all M.

    The batch mean includes f(z_m) itself, so the term f(z_m)/M correlates with z_m's own score: that part
    contributes -(1/M) of the gradient.  The slips are the usual wrong predictions.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer of at least 2, got {n_samples!r}")
    m = int(n_samples)
    expected = 1.0 - 1.0 / m
    slips = [
        (1.0, "a constant baseline keeps the estimator unbiased, but this one is not constant: the batch mean "
              "contains f(z_m) itself, and f(z_m) times its own score does not average to zero."),
        (1.0 / m, "1/M is the part that goes missing: the factor is what remains of the gradient."),
        (1.0 + 1.0 / m, "the term f(z_m)/M inside the batch mean is subtracted, so it removes part of the "
                        "gradient: the factor is below 1."),
        (m / (m - 1.0), "that is the rescaling that turns the batch-mean estimator back into the leave-one-out "
                        "one; the question asks for the factor the batch mean multiplies the gradient by."),
        (0.0, "only the f(z_m)/M part of the baseline is correlated with z_m's score; the other M - 1 terms "
              "leave the expectation alone."),
    ]
    return compare("batch_mean_baseline_factor", answer, expected, what="the factor on the expected gradient",
                   slips=slips)
