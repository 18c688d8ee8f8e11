"""Checkers for notebook 04 (Jensen's inequality and the ELBO)."""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from helpers.exercises._feedback import ExerciseResult, compare

__all__ = ["check_elbo_1d", "check_iwae_estimate", "check_mean_field_variance"]


def _gauss_kl_1d(m_q, v_q, m_p, v_p):
    return 0.5 * (v_q / v_p + (m_q - m_p) ** 2 / v_p - 1.0 + np.log(v_p / v_q))


def check_elbo_1d(answer, a: float, b: float, noise_var: float, x: float, q_mean: float,
                  q_var: float) -> ExerciseResult:
    r"""Exercise: the closed-form ELBO of q = N(q_mean, q_var) for z ~ N(0, 1), x|z ~ N(a z + b, noise_var).

    ELBO = E_q[log p(x|z)] - KL(q || p(z)) with
    E_q[log p(x|z)] = -1/2 log(2 pi noise_var) - ((x - a m - b)^2 + a^2 v) / (2 noise_var),
    KL(q || p(z))  = 1/2 (v + m^2 - 1 - log v).
    (variances, not standard deviations, throughout.)
    """
    name = "elbo_1d"
    fit = (x - a * q_mean - b) ** 2
    ell = -0.5 * np.log(2 * np.pi * noise_var) - (fit + a**2 * q_var) / (2 * noise_var)
    kl_prior = _gauss_kl_1d(q_mean, q_var, 0.0, 1.0)
    expected = ell - kl_prior
    post_var = 1.0 / (1.0 + a**2 / noise_var)
    post_mean = post_var * a * (x - b) / noise_var
    log_px = -0.5 * np.log(2 * np.pi * (a**2 + noise_var)) - 0.5 * (x - b) ** 2 / (a**2 + noise_var)
    slips = [
        (ell - _gauss_kl_1d(q_mean, q_var, post_mean, post_var),
         "you subtracted KL(q || p(z|x)), the KL to the *posterior*: that is the source's erratum. "
         "Inside the ELBO the KL is to the prior p(z) = N(0, 1); the KL to the posterior is the gap."),
        (ell + kl_prior, "the KL term has the wrong sign: ELBO = E_q[log p(x|z)] MINUS KL(q || p(z))."),
        (ell, "that is only E_q[log p(x|z)]: the KL(q || p(z)) term is missing."),
        (-0.5 * np.log(2 * np.pi * noise_var) - fit / (2 * noise_var) - kl_prior,
         "the spread term a^2 q_var / (2 noise_var) is missing: "
         "E_q[(x - a z - b)^2] = (x - a m - b)^2 + a^2 v."),
        (ell - _gauss_kl_1d(q_mean, np.sqrt(q_var), 0.0, 1.0),
         "the KL looks computed with a standard deviation where a variance belongs (v = q_var)."),
        (float(log_px), "that is log p(x) itself; the ELBO equals it only when q is the exact "
                        "posterior."),
    ]
    return compare(name, answer, expected, what="the ELBO (a number, in nats)", slips=slips)


def check_iwae_estimate(answer, log_w) -> ExerciseResult:
    r"""Exercise: the IWAE estimate from log weights (R, K): mean over rows of log (1/K) sum_k w_k."""
    name = "iwae_estimate"
    log_w = np.asarray(log_w, dtype=np.float64)
    if log_w.ndim != 2:
        raise ValueError(f"log_w must have shape (R, K), got {log_w.shape}")
    r, k = log_w.shape
    per_row = logsumexp(log_w, axis=1) - np.log(k)
    expected = float(np.mean(per_row))
    slips = [
        (lambda ans: ans.shape == (r,), f"you have one value per row (shape ({r},)): average them into one number."),
        (float(np.mean(log_w)), "that is the mean of log w, the ELBO estimate (K = 1): the log must go "
                                "*outside* the average over the K weights of each row."),
        (expected + np.log(k), f"off by log K = {np.log(k):.4f}: use log of the *mean* of the weights "
                               "(logsumexp minus log K), not of their sum."),
        (float(logsumexp(log_w) - np.log(log_w.size)),
         "you averaged all R*K weights at once: average the K weights within each row, take the log, "
         "then average the rows."),
        (float(np.mean(np.exp(log_w))),
         "that is the mean of the weights w, not a log: take the log of each row's mean weight "
         "(stably, with logsumexp)."),
    ]
    return compare(name, answer, expected, what="the IWAE estimate (a number, in nats)", slips=slips,
                   rtol=1e-8, atol=1e-10)


def check_mean_field_variance(answer, post_cov) -> ExerciseResult:
    r"""Exercise: the variances of the best *diagonal* Gaussian q for a Gaussian posterior N(mu, S).

    Minimising KL(N(mu, diag v) || N(mu, S)) = 1/2 [sum_i v_i (S^{-1})_ii - sum_i log v_i + log det S - k] over
    each v_i gives v_i = 1 / (S^{-1})_ii: one over the posterior's *precision*, not its marginal variance S_ii
    (which is what the other direction, KL(p || q), would choose).  Returns shape (k,).
    """
    name = "mean_field_variance"
    cov = np.asarray(post_cov, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or not np.allclose(cov, cov.T):
        raise ValueError(f"post_cov must be a symmetric (k, k) matrix, got shape {cov.shape}")
    eig = np.linalg.eigvalsh(cov)
    if np.any(eig <= 0):
        raise ValueError("post_cov must be positive definite")
    precision = np.linalg.inv(cov)
    expected = 1.0 / np.diag(precision)
    slips = [
        (np.diag(cov), "those are the posterior's marginal variances S_ii: that q minimises KL(p || q), the "
                       "mass-covering direction. The ELBO's KL(q || p) needs q's precision to match the "
                       "posterior's, v_i = 1 / (S^{-1})_ii, which is smaller when the coordinates are correlated."),
        (np.diag(precision), "those are the diagonal entries of the precision S^{-1}: the variance is one over "
                             "them, v_i = 1 / (S^{-1})_ii."),
        (1.0 / np.diag(cov), "that inverts the marginal variances, 1 / S_ii: invert the matrix first, then take "
                             "its diagonal, v_i = 1 / (S^{-1})_ii."),
        (np.sqrt(expected), "those look like standard deviations: the exercise asks for variances."),
        (eig, "those are the eigenvalues of S: a diagonal q keeps the coordinate axes, it does not rotate to "
              "the posterior's principal axes."),
    ]
    return compare(name, answer, expected, what="the answer (the variances of the best diagonal q, shape (k,))",
                   slips=slips)
