r"""Monte Carlo estimators of the marginal likelihood, computed in log space.

Every average of likelihoods is taken in log space (``log_mean_exp``, from ``helpers.logspace``).

Estimators of p(x) = \int p(x|z) p(z) dz for one data point x (samples are indexed by m, data points
by i; the source derivation reuses i for both):

- naive:      p_hat(x) = (1/M) sum_m p(x|z_m),                    z_m ~ p(z)
- importance: p_hat(x) = (1/M) sum_m p(x, z_m) / q(z_m),          z_m ~ q(z) = N(q_mean, q_cov)

Both are unbiased for p(x); their logarithms are biased low (Jensen).  Samples are drawn in chunks, so
memory stays bounded for any M, and the optional ``n_repeats`` axis returns R independent estimates
in one call.  For the linear-Gaussian model the Mahalanobis term of log p(x|z) is precomputed in
whitened coordinates, so one chunk costs one small matmul; any other model with ``latent_dim`` and
``log_likelihood(x, z)`` (or ``log_joint``) goes through its own density.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg import solve_triangular

from helpers._validation import as_finite_array, as_generator, cholesky_of, positive_int
from helpers.linear_gaussian import LinearGaussian
from helpers.logspace import LOG_2PI, checked_log_values, log_mean_exp, log_mean_exp_unchecked

# Latent draws per chunk (over all repeats): about 5 MB per buffer at k = 10, and fast in cache.
DEFAULT_CHUNK = 1 << 16


def effective_sample_size(log_w, axis: int = -1) -> np.ndarray | float:
    r"""Kish's effective sample size (sum_m w_m)^2 / sum_m w_m^2 of unnormalised log-weights, along ``axis``.

    Computed in log space as exp(2 logsumexp(log_w) - logsumexp(2 log_w)), so weights such as exp(-1e4)
    are fine.  It lies in [1, M]: M for equal weights, 1 when one weight dominates.  A slice whose weights
    are all zero (all -inf) has ESS 0.  Returns a float for 1-D input, else an array with ``axis`` removed.
    """
    arr = checked_log_values(log_w, axis, "log_w")
    n = arr.shape[axis]
    # log mean exp(a) + log M is logsumexp(a).
    lse1 = log_mean_exp_unchecked(arr, axis) + np.log(n)
    lse2 = log_mean_exp_unchecked(2.0 * arr, axis) + np.log(n)
    return _ess_from_logsumexps(lse1, lse2)


def _ess_from_logsumexps(lse1, lse2):
    lse1, lse2 = np.asarray(lse1, dtype=np.float64), np.asarray(lse2, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        ess = np.where(np.isfinite(lse1), np.exp(2.0 * lse1 - np.where(np.isfinite(lse2), lse2, 0.0)), 0.0)
    return float(ess) if ess.ndim == 0 else ess


# --------------------------------------------------------------------------- the chunked engine
def _chunked_log_mean_weight(
    log_weight: Callable[[np.ndarray], np.ndarray],
    latent_dim: int,
    n_samples: int,
    n_repeats: int,
    rng: np.random.Generator,
    chunk_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Draw eps ~ N(0, I_k) of shape (R, M, k) in chunks along M; return logsumexp_m of log w and of 2 log w.

    ``log_weight`` maps standard-normal draws of shape (R, c, k) to log-weights of shape (R, c).  Two running
    log-sum-exps (of log w and of 2 log w) give the estimate and the effective sample size without ever
    holding all M weights.  Returns two arrays of shape (R,).
    """
    per_chunk = max(1, min(n_samples, chunk_size // n_repeats))
    buffer = np.empty((n_repeats, per_chunk, latent_dim))
    lse1 = np.full(n_repeats, -np.inf)
    lse2 = np.full(n_repeats, -np.inf)
    for start in range(0, n_samples, per_chunk):
        size = min(per_chunk, n_samples - start)
        if size == per_chunk:
            eps = rng.standard_normal(out=buffer)
        else:
            eps = rng.standard_normal((n_repeats, size, latent_dim))
        lw = log_weight(eps)
        top = np.max(lw, axis=1)
        top = np.where(np.isfinite(top), top, 0.0)
        shifted = np.exp(lw - top[:, None])
        with np.errstate(divide="ignore"):
            part1 = np.log(np.sum(shifted, axis=1)) + top
            part2 = np.log(np.sum(shifted * shifted, axis=1)) + 2.0 * top
        lse1 = np.logaddexp(lse1, part1)
        lse2 = np.logaddexp(lse2, part2)
    return lse1, lse2


def whitened_likelihood(model: LinearGaussian, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    r"""(R, c, const) such that log p(x|z) = const - 1/2 |R z - c|^2 for every z.

    With L the Cholesky factor of Sigma, W = L^{-1} A = Q R (thin QR, Q has orthonormal columns) and
    r = L^{-1}(x - b):  |r - W z|^2 = |r - Q Q^T r|^2 + |Q^T r - R z|^2, because the first residual is
    orthogonal to the column space of Q.  The constant absorbs that residual and the normaliser.  R is
    (min(d, k), k), c is (min(d, k),); evaluating log p(x|z) then costs one small matmul per batch of z.
    """
    x = _check_lg(model, x)
    white_resid = solve_triangular(model.chol_sigma, x - model.b, lower=True)
    q, r_mat = np.linalg.qr(model.whitened_A, mode="reduced")
    c = q.T @ white_resid
    perp = white_resid - q @ c
    const = (
        -0.5 * float(perp @ perp)
        - float(np.sum(np.log(np.diag(model.chol_sigma))))
        - 0.5 * model.data_dim * LOG_2PI
    )
    return r_mat, c, const


def _check_common(model, x, n_samples, n_repeats, chunk_size):
    if not hasattr(model, "latent_dim") or not hasattr(model, "log_likelihood"):
        raise ValueError(f"model must have latent_dim and log_likelihood(x, z), got {type(model).__name__}")
    x = as_finite_array(x, "x", ndim=1)
    data_dim = getattr(model, "data_dim", x.shape[0])
    if x.shape != (data_dim,):
        raise ValueError(f"x must have shape ({data_dim},) (one data point), got {x.shape}")
    n_samples = positive_int(n_samples, "n_samples")
    repeats = 1 if n_repeats is None else positive_int(n_repeats, "n_repeats")
    chunk_size = positive_int(chunk_size, "chunk_size")
    return x, n_samples, repeats, chunk_size


def _finish(lse1, lse2, n_samples, n_repeats, return_ess):
    estimate = lse1 - np.log(n_samples)
    ess = _ess_from_logsumexps(lse1, lse2)
    if n_repeats is None:
        estimate, ess = float(estimate[0]), float(np.atleast_1d(ess)[0])
    return (estimate, ess) if return_ess else estimate


# --------------------------------------------------------------------------- public estimators
def naive_log_marginal(
    model,
    x,
    n_samples: int,
    rng,
    *,
    n_repeats: int | None = None,
    return_ess: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
):
    r"""log p_hat(x) with p_hat(x) = (1/M) sum_{m=1}^M p(x|z_m), z_m ~ p(z) = N(0, I_k), M = ``n_samples``.

    p_hat(x) is unbiased for p(x); its log is biased low.  ``x`` has shape (d,).  Returns a float, or an
    array of shape (R,) of independent estimates when ``n_repeats`` = R is given.  With ``return_ess``
    also returns the effective sample size of the prior samples as importance samples for p(z|x)
    (weights w_m = p(x|z_m)), with the same shape.  Memory is bounded by ``chunk_size`` latent draws.
    """
    x, n_samples, repeats, chunk_size = _check_common(model, x, n_samples, n_repeats, chunk_size)
    rng = as_generator(rng)
    if isinstance(model, LinearGaussian):
        r_mat, c, const = whitened_likelihood(model, x)
        r_t = np.ascontiguousarray(r_mat.T)

        def log_weight(eps):
            y = eps @ r_t
            y -= c
            return const - 0.5 * np.einsum("rcj,rcj->rc", y, y)
    else:

        def log_weight(eps):
            return np.asarray(model.log_likelihood(x, eps), dtype=np.float64)

    lse1, lse2 = _chunked_log_mean_weight(log_weight, model.latent_dim, n_samples, repeats, rng, chunk_size)
    return _finish(lse1, lse2, n_samples, n_repeats, return_ess)


def importance_log_marginal(
    model,
    x,
    q_mean,
    q_cov,
    n_samples: int,
    rng,
    *,
    n_repeats: int | None = None,
    return_ess: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
):
    r"""log p_hat(x) with p_hat(x) = (1/M) sum_m p(x, z_m) / q(z_m), z_m ~ q = N(q_mean, q_cov).

    Unbiased for p(x) whenever q covers the posterior; with q = p(z|x) every weight equals p(x) and the
    variance is zero (up to rounding).  ``q_mean`` (k,), ``q_cov`` (k, k) a covariance.  Shapes of the
    result and the keywords are as in :func:`naive_log_marginal`.
    """
    x, n_samples, repeats, chunk_size = _check_common(model, x, n_samples, n_repeats, chunk_size)
    k = model.latent_dim
    q_mean = as_finite_array(q_mean, "q_mean", ndim=1)
    if q_mean.shape != (k,):
        raise ValueError(f"q_mean must have shape ({k},), got {q_mean.shape}")
    _, chol_q = cholesky_of(q_cov, "q_cov", size=k)
    rng = as_generator(rng)
    # log q(z) at z = q_mean + L_q eps is -|eps|^2/2 - sum log diag L_q - k/2 log 2 pi.
    log_q_const = -float(np.sum(np.log(np.diag(chol_q)))) - 0.5 * k * LOG_2PI
    if isinstance(model, LinearGaussian):
        r_mat, c, const = whitened_likelihood(model, x)
        # One matmul gives both R z - c (first p columns) and z itself (last k columns).
        stacked = np.vstack([r_mat @ chol_q, chol_q]).T.copy()
        offset = np.concatenate([r_mat @ q_mean - c, q_mean])
        const_w = const - 0.5 * k * LOG_2PI - log_q_const

        def log_weight(eps):
            y = eps @ stacked
            y += offset
            return const_w - 0.5 * np.einsum("rcj,rcj->rc", y, y) + 0.5 * np.einsum("rcj,rcj->rc", eps, eps)
    else:

        def log_weight(eps):
            z = eps @ chol_q.T + q_mean
            log_q = -0.5 * np.sum(eps**2, axis=-1) + log_q_const
            return np.asarray(model.log_joint(x, z), dtype=np.float64) - log_q

    lse1, lse2 = _chunked_log_mean_weight(log_weight, k, n_samples, repeats, rng, chunk_size)
    return _finish(lse1, lse2, n_samples, n_repeats, return_ess)


# ------------------------------------------------------------------ problems, and closed forms for the cost
def typical_problem(
    latent_dim: int, data_dim: int, noise_std: float, seed: int = 0
) -> tuple[LinearGaussian, np.ndarray]:
    r"""A linear-Gaussian model and one typical data point, for studying how the cost depends on k and sigma.

    A (d, k) and b (d,) have N(0, 1) entries, Sigma = noise_std^2 I_d (``noise_std`` is a standard deviation),
    and x = A z0 + b + noise_std * eps0 for one fixed draw (z0, eps0).  Everything is drawn from
    ``default_rng([seed, latent_dim])``, so for a given k only sigma changes when ``noise_std`` does.
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    data_dim = positive_int(data_dim, "data_dim")
    if not np.isfinite(noise_std) or noise_std <= 0:
        raise ValueError(f"noise_std must be a positive standard deviation, got {noise_std!r}")
    rng = np.random.default_rng([int(seed), latent_dim])
    A = rng.standard_normal((data_dim, latent_dim))
    b = rng.standard_normal(data_dim)
    z0 = rng.standard_normal(latent_dim)
    eps0 = rng.standard_normal(data_dim)
    return LinearGaussian(A, b, noise_std**2 * np.eye(data_dim)), A @ z0 + b + noise_std * eps0


def _check_lg(model, x):
    if not isinstance(model, LinearGaussian):
        raise ValueError(
            "model must be a LinearGaussian (this quantity has a closed form only there), "
            f"got {type(model).__name__}"
        )
    x = as_finite_array(x, "x", ndim=1)
    if x.shape != (model.data_dim,):
        raise ValueError(f"x must have shape ({model.data_dim},), got {x.shape}")
    return x


def posterior_prior_kl(model: LinearGaussian, x) -> float:
    r"""KL(p(z|x) || p(z)) for the linear-Gaussian model, in nats.

    With p(z|x) = N(mu, S) and p(z) = N(0, I_k):  KL = 1/2 (tr S + |mu|^2 - k - log det S).  Chatterjee and
    Diaconis (2018): sampling from p(z) to estimate p(x) needs about M = exp(KL) samples.  log det S comes
    from the Cholesky factor of the posterior precision, so nothing is inverted twice.
    """
    x = _check_lg(model, x)
    mean, cov = model.posterior(x)
    log_det_cov = -2.0 * float(np.sum(np.log(np.diag(model.chol_posterior_precision))))
    return 0.5 * (float(np.trace(cov)) + float(mean @ mean) - model.latent_dim - log_det_cov)


def log_chi_square_plus_one(model: LinearGaussian, x) -> float:
    r"""log(1 + chi^2(p(z|x) || p(z))) = log E_{p(z)}[p(x|z)^2] - 2 log p(x), in closed form.

    1 + chi^2 is the relative second moment of one prior-sample weight p(x|z)/p(x), so the naive estimator
    with M samples has Var[p_hat(x) / p(x)] = chi^2 / M exactly, and the expected effective sample size is
    about M / (1 + chi^2).  Closed form: p(x|z)^2 = (4 pi)^{-d/2} |Sigma|^{-1/2} N(x; A z + b, Sigma/2), and
    integrating over z gives N(x; b, A A^T + Sigma/2).  Returned as a log because chi^2 overflows easily.
    """
    x = _check_lg(model, x)
    half_noise = LinearGaussian(model.A, model.b, 0.5 * model.Sigma)
    log_det_sigma = 2.0 * float(np.sum(np.log(np.diag(model.chol_sigma))))
    log_second_moment = (
        -0.5 * model.data_dim * np.log(4.0 * np.pi) - 0.5 * log_det_sigma + half_noise.log_marginal(x)
    )
    return float(log_second_moment - 2.0 * model.log_marginal(x))


__all__ = [
    "log_mean_exp",
    "effective_sample_size",
    "naive_log_marginal",
    "importance_log_marginal",
    "typical_problem",
    "whitened_likelihood",
    "posterior_prior_kl",
    "log_chi_square_plus_one",
]
