"""Checkers for notebook 05 (the variational autoencoder).

Inputs may be NumPy arrays or torch tensors; answers are compared in float64.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from helpers.exercises._feedback import ExerciseResult, _as_array, compare, matches

__all__ = ["check_reparameterised_sample", "check_kl_to_prior", "check_iwae_bound"]


def _hint(name: str, message: str) -> ExerciseResult:
    """A failed check with a specific hint."""
    return ExerciseResult(name, False, message)


def _matches(ans, ref) -> bool:
    # Looser than the default: answers computed in float32 torch are welcome.
    return matches(ans, ref, rtol=1e-5, atol=1e-6)


def check_reparameterised_sample(answer, mean, logvar, eps) -> ExerciseResult:
    """Exercise: z = mean + exp(logvar / 2) * eps, shape (n, k); logvar is a log-*variance*."""
    mean, logvar, eps = _as_array(mean), _as_array(logvar), _as_array(eps)
    expected = mean + np.exp(0.5 * logvar) * eps
    ans = _as_array(answer)
    name = "reparameterised_sample"
    if _matches(ans, mean + np.exp(logvar) * eps):
        return _hint(name, "you scaled eps by exp(logvar), the variance; it needs the standard deviation "
                           "exp(logvar / 2).")
    if _matches(ans, mean + logvar * eps) or _matches(ans, mean + 0.5 * logvar * eps):
        return _hint(name, "logvar is a log: the standard deviation is exp(logvar / 2), not logvar.")
    if _matches(ans, np.exp(0.5 * logvar) * eps):
        return _hint(name, "the spread is right but the mean is missing: z = mean + std * eps.")
    if _matches(ans, mean + np.exp(-0.5 * logvar) * eps):
        return _hint(name, "that divides by the standard deviation: multiply eps by exp(+logvar / 2).")
    return compare(name, answer, expected, what="the sample z", rtol=1e-5, atol=1e-6)


def check_kl_to_prior(answer, mean, logvar) -> ExerciseResult:
    """Exercise: KL(N(mean, diag exp(v)) || N(0, I)) = 1/2 sum_j (exp(v_j) + mean_j^2 - 1 - v_j), shape (n,).

    ``v`` is ``logvar``, the log-variance.
    """
    mean, logvar = _as_array(mean), _as_array(logvar)
    per_dim = 0.5 * (np.exp(logvar) + mean**2 - 1.0 - logvar)
    expected = per_dim.sum(axis=-1)
    ans = _as_array(answer)
    name = "kl_to_prior"
    if ans is not None and ans.shape == per_dim.shape and np.allclose(ans, per_dim, rtol=1e-5, atol=1e-6):
        return _hint(name, f"one value per image and latent dimension, shape {per_dim.shape}: sum over the "
                           "latent dimensions (axis -1).")
    if ans is not None and ans.size == 1 and np.isclose(float(ans.reshape(-1)[0]), expected.sum(), rtol=1e-5):
        return _hint(name, f"that sums over the images too: keep one KL per image, shape {expected.shape}.")
    if _matches(ans, expected + 0.5 * mean.shape[-1]):
        return _hint(name, "off by k/2: the '- 1' inside the sum (one per latent dimension) is missing.")
    std_version = 0.5 * (np.exp(0.5 * logvar) + mean**2 - 1.0 - logvar).sum(axis=-1)
    if _matches(ans, std_version):
        return _hint(name, "exp(logvar / 2) is the standard deviation; the KL needs the variance "
                           "exp(logvar).")
    if _matches(ans, 0.5 * (np.exp(logvar) + mean**2 - 1.0 + logvar).sum(axis=-1)):
        return _hint(name, "the log-variance enters with a minus sign: ... - 1 - logvar.")
    if _matches(ans, 0.5 * (np.exp(logvar) - 1.0 - logvar).sum(axis=-1)):
        return _hint(name, "the mean term mean^2 is missing: q pays for sitting away from the prior's 0.")
    return compare(name, answer, expected, what="KL(q || p(z)) per image", rtol=1e-5, atol=1e-6)


def check_iwae_bound(answer, log_w) -> ExerciseResult:
    """Exercise: IWAE_K = log (1/K) sum_k exp(log_w[:, k]) per image, shape (n,), computed with logsumexp."""
    log_w = _as_array(log_w)
    k = log_w.shape[-1]
    expected = logsumexp(log_w, axis=-1) - np.log(k)
    ans = _as_array(answer)
    name = "iwae_bound"
    if _matches(ans, logsumexp(log_w, axis=-1)):
        return _hint(name, f"that is log sum_k w_k: subtract log K = log {k} to get the log of the "
                           "*mean*.")
    if _matches(ans, log_w.mean(axis=-1)):
        return _hint(name, "that is the mean of the log weights, the ELBO estimate: IWAE is the log of the "
                           "mean weight, log mean exp(log_w).")
    if ans is not None and ans.shape == (k,):
        return _hint(name, f"shape ({k},): you averaged over the images; average over the K samples "
                           "(axis -1) instead, one bound per image.")
    if ans is not None and not np.all(np.isfinite(ans)):
        return _hint(name, "inf or NaN: exp(log_w) under- or overflows; use scipy.special.logsumexp (or "
                           "torch.logsumexp) and subtract log K.")
    return compare(name, answer, expected, what="the IWAE bound per image", rtol=1e-6, atol=1e-8)
