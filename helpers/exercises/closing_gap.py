"""Checkers for notebooks 07 (richer q, semi-amortised inference) and 08 (IWAE training, categorical latents).

Inputs may be NumPy arrays or torch tensors; answers are compared in float64.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from helpers.exercises._feedback import ExerciseResult, _as_array, compare

__all__ = ["check_affine_flow_log_density", "check_full_covariance_sample", "check_categorical_kl"]


def check_affine_flow_log_density(answer, z0, a_matrix, shift) -> ExerciseResult:
    """Exercise: log q(z) for z = A z0 + c with z0 ~ N(0, I): log N(z0; 0, I) - log |det A|, shape (n,).

    The reference is SciPy's density of N(c, A A^T) at z, an independent route to the same number.
    """
    z0, a_matrix, shift = _as_array(z0), _as_array(a_matrix), _as_array(shift)
    z = z0 @ a_matrix.T + shift
    expected = stats.multivariate_normal(shift, a_matrix @ a_matrix.T).logpdf(z)
    base = stats.multivariate_normal(np.zeros(len(shift)), np.eye(len(shift))).logpdf(z0)
    log_abs_det = np.log(abs(np.linalg.det(a_matrix)))
    slips = [
        (base, "that is log q_0(z0) alone: the map stretches areas by |det A|, so the density must be divided "
               "by it (subtract log |det A|)."),
        (base + log_abs_det, "the Jacobian term has the wrong sign: stretching spreads the probability thin, "
                             "so log q(z) = log q_0(z0) - log |det A|."),
        (base - 2 * log_abs_det, "that subtracts log |det(A A^T)| = 2 log |det A|: the determinant of the map "
                                 "itself, A, is what enters."),
        (stats.multivariate_normal(np.zeros(len(shift)), np.eye(len(shift))).logpdf(z) - log_abs_det,
         "q_0 must be evaluated at z0 (where the point came from), not at z."),
    ]
    return compare("affine_flow_log_density", answer, expected, what="log q(z) per point", slips=slips,
                   rtol=1e-6, atol=1e-8)


def check_full_covariance_sample(answer, params, eps) -> ExerciseResult:
    """Exercise: z = mean + L eps from params (n, 5) = (mean (2), log diag L (2), L[1, 0]) and eps (n, 2)."""
    params, eps = _as_array(params), _as_array(eps)
    mean, log_diag, below = params[:, :2], params[:, 2:4], params[:, 4]
    chol = np.zeros((len(params), 2, 2))
    chol[:, 0, 0], chol[:, 1, 1], chol[:, 1, 0] = np.exp(log_diag[:, 0]), np.exp(log_diag[:, 1]), below
    expected = mean + np.einsum("nij,nj->ni", chol, eps)
    raw = chol.copy()
    raw[:, 0, 0], raw[:, 1, 1] = log_diag[:, 0], log_diag[:, 1]
    slips = [
        (mean + np.einsum("nji,nj->ni", chol, eps), "that multiplies by L transposed (an upper-triangular "
                                                    "factor): z = mean + L eps, with L[1, 0] below the diagonal."),
        (mean + np.einsum("nij,nj->ni", raw, eps), "the diagonal of L is stored as its log: use exp of the "
                                                   "third and fourth parameters, so L's diagonal is positive."),
        (mean + np.exp(log_diag) * eps, "that is the diagonal Gaussian: the off-diagonal entry L[1, 0] (the fifth "
                                        "parameter) is what lets q tilt."),
        (mean + np.exp(0.5 * log_diag) * eps + np.stack([np.zeros(len(params)), below * eps[:, 0]], 1),
         "the parameters are log standard deviations (the log of L's diagonal), not log-variances: no 1/2."),
    ]
    return compare("full_covariance_sample", answer, expected, what="the samples z", slips=slips,
                   rtol=1e-5, atol=1e-6)


def check_categorical_kl(answer, log_pi) -> ExerciseResult:
    """Exercise (notebook 08): KL(prod_d Cat(pi_d) || uniform) = sum_d sum_c pi_dc log(C pi_dc), shape (n,).

    The reference is torch.distributions' own categorical KL, summed over the D factors.
    """
    import torch
    from torch.distributions import Categorical, kl_divergence

    log_pi = _as_array(log_pi)
    n_values = log_pi.shape[-1]
    q = Categorical(logits=torch.as_tensor(log_pi))
    expected = kl_divergence(q, Categorical(logits=torch.zeros_like(torch.as_tensor(log_pi)))).sum(-1).numpy()
    pi = np.exp(log_pi)
    per_factor = (pi * (log_pi + np.log(n_values))).sum(-1)
    slips = [
        ((pi * log_pi).sum((-2, -1)), "that is minus the entropy of q: the prior's log-probability log(1/C) is "
                                      "missing, so add log C inside the sum (KL = sum pi log(pi / (1/C)))."),
        ((pi * (log_pi - np.log(n_values))).sum((-2, -1)), "the prior enters as log(pi / (1/C)) = log pi + log C: "
                                                           "the sign of log C is flipped."),
        ((log_pi + np.log(n_values)).sum((-2, -1)), "each term needs its weight pi: KL is an expectation under q."),
        (per_factor, f"one KL per image and factor, shape {per_factor.shape}: sum over the D factors too (axis 1)."),
    ]
    return compare("categorical_kl", answer, expected, what="KL(q || p(z)) per image", slips=slips,
                   rtol=1e-6, atol=1e-9)
