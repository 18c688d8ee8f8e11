"""Checkers for notebooks 07-10: full-covariance q, flows, IWAE training and categorical latents.

Inputs may be NumPy arrays or torch tensors; answers are compared in float64.
"""

from __future__ import annotations

import numpy as np

from helpers.exercises._feedback import ExerciseResult, _as_array, compare

__all__ = ["check_affine_flow_log_density", "check_full_covariance_sample", "check_categorical_kl",
           "check_full_covariance_log_density", "check_planar_log_det"]


def check_affine_flow_log_density(answer, z0, a_matrix, shift) -> ExerciseResult:
    """Exercise (notebook 08): log q(z) for z = A z0 + c, z0 ~ N(0, I): log N(z0; 0, I) - log |det A|, shape (n,).

    The reference is SciPy's density of N(c, A A^T) at z, an independent route to the same number.
    """
    from scipy import stats  # imported here: scipy.stats costs about a second at import, on every notebook

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
    """Exercise (notebook 07): z = mean + L eps, params (n, 5) = (mean (2), log diag L (2), L[1, 0]), eps (n, 2)."""
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
    """Exercise (notebook 10): KL(prod_d Cat(pi_d) || uniform) = sum_d sum_c pi_dc log(C pi_dc), shape (n,).

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


def check_full_covariance_log_density(answer, params, z) -> ExerciseResult:
    """Exercise (notebook 07): log q(z) of N(mean, L L^T) at z (n, 2), params (n, 5) as the encoder emits them.

    The reference is SciPy's density of N(mean, L L^T), which never forms eps = L^{-1} (z - mean).
    """
    from scipy import stats

    params, z = _as_array(params), _as_array(z)
    mean, log_diag, below = params[:, :2], params[:, 2:4], params[:, 4]
    chol = np.zeros((len(params), 2, 2))
    chol[:, 0, 0], chol[:, 1, 1], chol[:, 1, 0] = np.exp(log_diag[:, 0]), np.exp(log_diag[:, 1]), below
    expected = np.array([stats.multivariate_normal(m, c @ c.T).logpdf(v)
                         for m, c, v in zip(mean, chol, z, strict=True)])
    # eps = L^{-1} (z - mean) by forward substitution, and the usual wrong turns around it.
    eps1 = (z[:, 0] - mean[:, 0]) / chol[:, 0, 0]
    eps2 = (z[:, 1] - mean[:, 1] - below * eps1) / chol[:, 1, 1]
    standard = -0.5 * (eps1**2 + eps2**2) - np.log(2 * np.pi)
    diagonal_only = -0.5 * (((z - mean) / np.exp(log_diag)) ** 2).sum(1) - np.log(2 * np.pi)
    slips = [
        (standard, "that is log N(eps; 0, I) alone: z = mean + L eps stretches areas by |det L| = L11 L22, so "
                   "subtract log L11 + log L22 (the sum of the third and fourth parameters)."),
        (standard + log_diag.sum(1), "the log-determinant has the wrong sign: log q(z) = log N(eps; 0, I) "
                                     "- log |det L|."),
        (standard - 2 * log_diag.sum(1), "that subtracts log det(L L^T) = 2 log |det L|: the density of "
                                         "N(mean, L L^T) has half of it, log |det L|."),
        (diagonal_only - log_diag.sum(1), "that ignores L21, the entry below the diagonal: solve L eps = z - mean "
                                          "from the top row down (eps2 needs eps1)."),
    ]
    return compare("full_covariance_log_density", answer, expected, what="log q(z) per image", slips=slips,
                   rtol=1e-6, atol=1e-8)


def check_planar_log_det(answer, z, u_hat, w, b) -> ExerciseResult:
    """Exercise (notebook 08): log |det df/dz| of one planar layer f(z) = z + u_hat tanh(w.z + b) per row,
    for z, u_hat, w of shape (n, k) and b (n,).

    The reference is the log |det| of the Jacobian I + (1 - tanh^2) u_hat w^T written out as a k x k matrix
    (``numpy.linalg.slogdet``), with no determinant lemma.
    """
    z, u_hat, w, b = _as_array(z), _as_array(u_hat), _as_array(w), _as_array(b)
    h = np.tanh((w * z).sum(-1) + b)
    jac = np.eye(z.shape[-1]) + (1.0 - h**2)[:, None, None] * u_hat[:, :, None] * w[:, None, :]
    expected = np.linalg.slogdet(jac)[1]
    wu = (w * u_hat).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slips = [
            (np.log(np.abs(1.0 + wu)), "the derivative of tanh(a) is 1 - tanh(a)^2: the layer's Jacobian is "
                                       "I + (1 - h^2) u_hat w^T with h = tanh(w.z + b), so 1 + (1 - h^2) w.u_hat."),
            (np.log(np.abs(1.0 + h * wu)), "that uses tanh itself where its derivative belongs: "
                                           "d tanh(a)/da = 1 - tanh(a)^2."),
            (np.log(np.abs(1.0 + (1.0 - h) * wu)), "the derivative of tanh is 1 - tanh^2: square h."),
            (np.log(np.abs((1.0 - h**2) * wu)), "det(I + a c^T) = 1 + c.a: the identity contributes the 1."),
            (1.0 + (1.0 - h**2) * wu, "that is the determinant itself: take its log (it is positive here, since "
                                      "w.u_hat > -1)."),
        ]
    return compare("planar_log_det", answer, expected, what="log |det df/dz| per point", slips=slips,
                   rtol=1e-6, atol=1e-9)
