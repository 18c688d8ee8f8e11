r"""Gaussian densities and divergences in closed form, with Cholesky factors (nothing is inverted).

- ``gaussian_log_density(x, mean, chol)``: log N(x; mean, L L^T);
- ``gaussian_kl(mean_q, cov_q, mean_p, cov_p)``: KL(N_q || N_p) for full covariances;
- ``kl_to_prior(q_mean, q_cov)``: KL(N(q_mean, q_cov) || N(0, I_k)), the KL term of every ELBO in the course
  whose prior is p(z) = N(0, I_k).  This NumPy layer parameterises q by its covariance; the PyTorch VAE by a
  log-variance (``helpers.vae.kl_to_prior_logvar``).

The models (``helpers.linear_gaussian``, ``helpers.nonconjugate``) and ``helpers.elbo`` build on this module;
``helpers.elbo`` re-exports ``gaussian_kl`` and ``kl_to_prior``.  Shapes: means (..., k), covariances (k, k) or
(..., k, k), leading axes broadcast.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from helpers._validation import as_finite_array
from helpers.logspace import LOG_2PI

__all__ = ["gaussian_log_density", "gaussian_kl", "kl_to_prior", "mean_vector", "covariance_cholesky",
           "as_float"]


def gaussian_log_density(x: np.ndarray, mean: np.ndarray, chol: np.ndarray) -> np.ndarray:
    r"""log N(x; mean, L L^T) for a lower-triangular Cholesky factor ``chol`` = L of shape (d, d).

    ``x`` and ``mean`` broadcast against each other with trailing dimension d; the result has their
    broadcast shape without the last axis.  Uses log N = -1/2 |L^{-1}(x-mean)|^2 - sum log diag L - d/2 log 2 pi.
    """
    diff = np.asarray(x, dtype=np.float64) - np.asarray(mean, dtype=np.float64)
    d = chol.shape[0]
    batch_shape = diff.shape[:-1]
    # One triangular solve for all rows: L^{-1} (x - mean)^T.
    white = solve_triangular(chol, diff.reshape(-1, d).T, lower=True)
    maha = np.sum(white**2, axis=0).reshape(batch_shape)
    half_log_det = np.sum(np.log(np.diag(chol)))
    return -0.5 * maha - half_log_det - 0.5 * d * LOG_2PI


def mean_vector(mean, name: str) -> np.ndarray:
    mean = as_finite_array(mean, name)
    if mean.ndim == 0 or mean.shape[-1] == 0:
        raise ValueError(f"{name} must have shape (..., k) with k >= 1, got shape {mean.shape}")
    return mean


def covariance_cholesky(cov, name: str, k: int) -> np.ndarray:
    """Check a covariance of shape (k, k) or (..., k, k) and return its lower Cholesky factor(s)."""
    cov = as_finite_array(cov, name)
    if cov.ndim < 2 or cov.shape[-2:] != (k, k):
        raise ValueError(f"{name} must have shape ({k}, {k}) or (..., {k}, {k}), got {cov.shape}")
    scale = np.maximum(1.0, np.max(np.abs(cov), axis=(-2, -1), keepdims=True))
    if np.any(np.abs(cov - np.swapaxes(cov, -1, -2)) > 1e-10 * scale):
        raise ValueError(f"{name} must be symmetric")
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite (its Cholesky factorisation failed)") from None


def solve_lower(chol: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """L^{-1} B for lower-triangular L of shape (k, k) or (..., k, k) and B of shape (..., k, m)."""
    if chol.ndim == 2:
        # One triangular solve for the whole batch: stack every right-hand side as a column.
        k = chol.shape[0]
        cols = np.moveaxis(rhs, -2, 0)
        out = solve_triangular(chol, cols.reshape(k, -1), lower=True)
        return np.moveaxis(out.reshape(cols.shape), 0, -2)
    # A batch of different factors: np.linalg.solve broadcasts, and on a triangular matrix it is exact up to
    # rounding.
    shape = np.broadcast_shapes(chol.shape[:-2], rhs.shape[:-2])
    return np.linalg.solve(np.broadcast_to(chol, shape + chol.shape[-2:]),
                           np.broadcast_to(rhs, shape + rhs.shape[-2:]))


def as_float(value):
    return float(value) if np.ndim(value) == 0 else value


def gaussian_kl(mean_q, cov_q, mean_p, cov_p):
    r"""KL( N(mean_q, cov_q) || N(mean_p, cov_p) ) in nats, for full covariances.

        KL = 1/2 [ tr(S_p^{-1} S_q) + (m_p - m_q)^T S_p^{-1} (m_p - m_q) - k + log det S_p - log det S_q ]

    computed with Cholesky factors: tr(S_p^{-1} S_q) = ||L_p^{-1} L_q||_F^2 and log det S = 2 sum log diag L.
    Means have shape (..., k); covariances (k, k) or (..., k, k); all leading axes broadcast.  Returns a float
    when there is no batch axis, else an array of the broadcast batch shape.
    """
    mean_q = mean_vector(mean_q, "mean_q")
    k = mean_q.shape[-1]
    mean_p = mean_vector(mean_p, "mean_p")
    if mean_p.shape[-1] != k:
        raise ValueError(f"mean_p must have last dimension {k} like mean_q, got shape {mean_p.shape}")
    chol_q = covariance_cholesky(cov_q, "cov_q", k)
    chol_p = covariance_cholesky(cov_p, "cov_p", k)

    trace = np.sum(solve_lower(chol_p, chol_q) ** 2, axis=(-2, -1))
    white = solve_lower(chol_p, (mean_p - mean_q)[..., :, None])[..., 0]
    maha = np.sum(white**2, axis=-1)
    log_det_p = 2.0 * np.sum(np.log(np.diagonal(chol_p, axis1=-2, axis2=-1)), axis=-1)
    log_det_q = 2.0 * np.sum(np.log(np.diagonal(chol_q, axis1=-2, axis2=-1)), axis=-1)
    return as_float(0.5 * (trace + maha - k + log_det_p - log_det_q))


def kl_to_prior(q_mean, q_cov):
    r"""KL( N(q_mean, q_cov) || N(0, I_k) ) = 1/2 [ tr S + m^T m - k - log det S ]; shapes: gaussian_kl."""
    q_mean = mean_vector(q_mean, "q_mean")
    k = q_mean.shape[-1]
    return gaussian_kl(q_mean, q_cov, np.zeros(k), np.eye(k))
