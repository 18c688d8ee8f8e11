"""Checkers for notebook 03 (Fisher identity, score-function and reparameterisation gradients)."""

from __future__ import annotations

import numpy as np

from helpers.exercises._feedback import ExerciseResult, _as_array, compare, matches

__all__ = ["check_gaussian_score", "check_likelihood_grad_b"]


def check_gaussian_score(answer, z, m, s) -> ExerciseResult:
    r"""Exercise: grad_m log N(z; m, diag(s^2)) = (z - m) / s^2 per sample z (N, D); s is a std. dev."""
    z = np.asarray(z, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    expected = (z - m) / s**2
    ans = _as_array(answer)
    if ans is not None and ans.shape == expected.shape:
        if matches(ans, (z - m) / s):
            return ExerciseResult(
                "gaussian_score",
                False,
                "that is eps = (z - m)/s; the score divides by the variance s**2, not by s.",
            )
        if matches(ans, z - m):
            return ExerciseResult(
                "gaussian_score", False, "the 1/s**2 factor is missing (it is 1 only when s = 1)."
            )
        if matches(ans, (z - m) * s**2):
            return ExerciseResult(
                "gaussian_score", False, "you multiplied by s**2: divide by the variance instead."
            )
    return compare("gaussian_score", answer, expected, what="the score ∇_m log q(z)")


def check_likelihood_grad_b(answer, x, z, A, b, Sigma) -> ExerciseResult:
    r"""Exercise: grad_b log N(x; A z + b, Sigma) = Sigma^{-1}(x - A z - b) per z (M, k); shape (M, d)."""
    x, z, A, b, Sigma = (np.asarray(v, dtype=np.float64) for v in (x, z, A, b, Sigma))
    resid = x - z @ A.T - b
    expected = np.linalg.solve(Sigma, resid.T).T
    ans = _as_array(answer)
    if ans is not None and ans.shape == expected.shape:
        if matches(ans, resid) and not np.allclose(Sigma, np.eye(len(b))):
            return ExerciseResult(
                "likelihood_grad_b",
                False,
                "that is the residual x - A z - b: multiply it by Sigma^{-1} (np.linalg.solve).",
            )
        if matches(ans, resid @ Sigma):
            return ExerciseResult(
                "likelihood_grad_b",
                False,
                "you multiplied by Sigma: the gradient uses the precision Sigma^{-1}.",
            )
    return compare("likelihood_grad_b", answer, expected, what="∇_b log p(x|z)")
