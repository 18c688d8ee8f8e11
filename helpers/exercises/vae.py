"""Checkers for notebook 05 (the variational autoencoder).

Inputs may be NumPy arrays or torch tensors; answers are compared in float64.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from helpers.exercises._feedback import ExerciseResult, _as_array, compare

__all__ = ["check_reparameterised_sample", "check_kl_to_prior", "check_iwae_bound", "check_diagonal_gap"]


# Looser than the default: answers computed in float32 torch are welcome.
_FLOAT32 = {"rtol": 1e-5, "atol": 1e-6}


def check_reparameterised_sample(answer, mean, logvar, eps) -> ExerciseResult:
    """Exercise: z = mean + exp(logvar / 2) * eps, shape (n, k); logvar is a log-*variance*."""
    mean, logvar, eps = _as_array(mean), _as_array(logvar), _as_array(eps)
    expected = mean + np.exp(0.5 * logvar) * eps
    logvar_hint = "logvar is a log: the standard deviation is exp(logvar / 2), not logvar."
    slips = [
        (mean + np.exp(logvar) * eps, "you scaled eps by exp(logvar), the variance; it needs the standard deviation "
                                      "exp(logvar / 2)."),
        (mean + logvar * eps, logvar_hint),
        (mean + 0.5 * logvar * eps, logvar_hint),
        (np.exp(0.5 * logvar) * eps, "the spread is right but the mean is missing: z = mean + std * eps."),
        (mean + np.exp(-0.5 * logvar) * eps, "that divides by the standard deviation: multiply eps by "
                                             "exp(+logvar / 2)."),
    ]
    return compare("reparameterised_sample", answer, expected, what="the sample z", slips=slips, **_FLOAT32)


def check_kl_to_prior(answer, mean, logvar) -> ExerciseResult:
    """Exercise: KL(N(mean, diag exp(v)) || N(0, I)) = 1/2 sum_j (exp(v_j) + mean_j^2 - 1 - v_j), shape (n,).

    ``v`` is ``logvar``, the log-variance.
    """
    mean, logvar = _as_array(mean), _as_array(logvar)
    per_dim = 0.5 * (np.exp(logvar) + mean**2 - 1.0 - logvar)
    expected = per_dim.sum(axis=-1)
    slips = [
        (per_dim, f"one value per image and latent dimension, shape {per_dim.shape}: sum over the latent "
                  "dimensions (axis -1)."),
        (lambda ans: ans.size == 1 and bool(np.isclose(ans.reshape(-1)[0], expected.sum(), rtol=1e-5)),
         f"that sums over the images too: keep one KL per image, shape {expected.shape}."),
        (expected + 0.5 * mean.shape[-1], "off by k/2: the '- 1' inside the sum (one per latent dimension) is "
                                          "missing."),
        (0.5 * (np.exp(0.5 * logvar) + mean**2 - 1.0 - logvar).sum(axis=-1),
         "exp(logvar / 2) is the standard deviation; the KL needs the variance exp(logvar)."),
        (0.5 * (np.exp(logvar) + mean**2 - 1.0 + logvar).sum(axis=-1),
         "the log-variance enters with a minus sign: ... - 1 - logvar."),
        (0.5 * (np.exp(logvar) - 1.0 - logvar).sum(axis=-1),
         "the mean term mean^2 is missing: q pays for sitting away from the prior's 0."),
    ]
    return compare("kl_to_prior", answer, expected, what="KL(q || p(z)) per image", slips=slips, **_FLOAT32)


def check_iwae_bound(answer, log_w) -> ExerciseResult:
    """Exercise: IWAE_K = log (1/K) sum_k exp(log_w[:, k]) per image, shape (n,), computed with logsumexp."""
    log_w = _as_array(log_w)
    k = log_w.shape[-1]
    expected = logsumexp(log_w, axis=-1) - np.log(k)
    slips = [
        (logsumexp(log_w, axis=-1), f"that is log sum_k w_k: subtract log K = log {k} to get the log of the "
                                    "*mean*."),
        (log_w.mean(axis=-1), "that is the mean of the log weights, the ELBO estimate: IWAE is the log of the "
                              "mean weight, log mean exp(log_w)."),
        (lambda ans: ans.shape == (k,) != expected.shape,
         f"shape ({k},): you averaged over the images; average over the K samples (axis -1) instead, one bound "
         "per image."),
        (lambda ans: not np.all(np.isfinite(ans)),
         "inf or NaN: exp(log_w) under- or overflows; use scipy.special.logsumexp (or torch.logsumexp) and "
         "subtract log K."),
    ]
    return compare("iwae_bound", answer, expected, what="the IWAE bound per image", slips=slips,
                   rtol=1e-6, atol=1e-8)


def diagonal_gap(cov) -> float:
    """min over diagonal Gaussians q of KL(q || N(m, cov)) = 1/2 (log det cov + sum_r log (cov^-1)_rr), in nats.

    The best q has the posterior's mean and variances 1 / (cov^-1)_rr (the precisions' diagonal).
    """
    cov = np.asarray(cov, dtype=np.float64)
    precision = np.linalg.inv(cov)
    return 0.5 * (np.linalg.slogdet(cov)[1] + np.sum(np.log(np.diag(precision))))


def check_diagonal_gap(answer, cov) -> ExerciseResult:
    """Exercise: the approximation gap a diagonal q leaves on a Gaussian posterior N(m, cov), a number in nats.

    The usual slips: the moment-matched q (variances cov_rr, which minimises KL(p || q), not KL(q || p)), the
    reversed KL of that q, the 2-D formula -1/2 log(1 - rho^2) summed over pairs, and 0 ("a Gaussian
    posterior leaves no gap").
    """
    cov = _as_array(cov)
    if cov is None or cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"cov must be a square matrix, got {None if cov is None else cov.shape}")
    if not np.allclose(cov, cov.T) or np.any(np.linalg.eigvalsh(cov) <= 0):
        raise ValueError("cov must be symmetric positive definite")
    k = cov.shape[0]
    var = np.diag(cov)
    precision_diag = np.diag(np.linalg.inv(cov))
    logdet = np.linalg.slogdet(cov)[1]
    sd = np.sqrt(var)
    corr = cov / np.outer(sd, sd)
    upper = np.triu_indices(k, 1)
    slips = [
        (0.5 * (np.sum(precision_diag * var) - k + logdet - np.sum(np.log(var))),
         "that is KL(q || p) for q with the posterior's own variances cov_rr (moment matching). That q minimises "
         "KL(p || q); minimising KL(q || p) over diagonal q gives narrower variances, 1 / (cov^-1)_rr."),
        (0.5 * (np.sum(np.log(var)) - logdet),
         "that is KL(p || q) for the moment-matched q: the KL is the wrong way round. (In 2-D the two happen to "
         "coincide; here they do not.)"),
        (np.sum(-0.5 * np.log(1.0 - corr[upper] ** 2)),
         "the 2-D formula -1/2 log(1 - rho^2) summed over pairs: in more than two dimensions the correlations do "
         "not add pair by pair. Work from the precision matrix cov^-1."),
        (0.0, "a Gaussian posterior is matched exactly only by a q with a full covariance; a diagonal q leaves "
              "a gap whenever cov has off-diagonal entries."),
    ]
    return compare("diagonal_gap", answer, diagonal_gap(cov), what="the gap in nats", slips=slips,
                   rtol=1e-6, atol=1e-9)
