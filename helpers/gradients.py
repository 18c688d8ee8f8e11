r"""Gradient estimators: the Fisher identity for theta, score-function and reparameterisation for phi.

Two different gradients appear in variational inference.

**Model parameters theta = (A, b) of the linear-Gaussian model.**  The Fisher identity

    grad_theta log p_theta(x) = E_{p_theta(z|x)}[ grad_theta log p_theta(x|z) ]

(no extra p(z) factor: it is already inside the posterior; erratum 1 of the source).  For
p(x|z) = N(A z + b, Sigma), with e = Sigma^{-1}(x - A z - b):  grad_b log p(x|z) = e and
grad_A log p(x|z) = e z^T.  The exact gradient of log p(x) = log N(x; b, C), C = A A^T + Sigma, is
grad_b = C^{-1}(x - b) and grad_A = (a a^T - C^{-1}) A with a = C^{-1}(x - b).

**Variational parameters phi = (mu, s) of q_phi = N(mu, diag(s^2))** (the arguments ``m`` and ``s``; s is a
standard deviation).  For a function f, two unbiased estimators of grad_phi E_q[f(z)] from M samples z_m:

- score function (REINFORCE):  (1/M) sum_m (f(z_m) - c) grad_phi log q(z_m),  z_m ~ q, with
  grad_mu log q = eps / s and grad_s log q = (eps^2 - 1) / s where eps = (z - mu) / s, and c a baseline;
- reparameterisation:  z_m = mu + s * eps_m, eps_m ~ N(0, I):  grad_mu = (1/M) sum_m grad f(z_m),
  grad_s = (1/M) sum_m grad f(z_m) * eps_m.

Every estimator takes ``n_repeats`` = R and returns R independent estimates at once (leading axis R), so
their variance is one ``.var(axis=0)`` away.  Shapes: ``m``, ``s`` (D,); gradients w.r.t. A (d, k), b (d,).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from scipy.linalg import cho_solve

from helpers._validation import as_finite_array, as_generator, positive_int
from helpers.linear_gaussian import LinearGaussian
from helpers.monte_carlo import whitened_likelihood

# Elements (repeats x samples x dimension) per torch block.  Blocks this small keep memory bounded, stay in
# cache, and stay below torch's intra-op parallel threshold (32768 elements): for cheap elementwise work,
# synchronising threads costs more than it saves.
_BLOCK_ELEMENTS = 1 << 15


class GaussianGradient(NamedTuple):
    """Gradient of E_q[f] w.r.t. the mean ``m`` and the standard deviation ``s``: arrays (D,) or (R, D)."""

    mean: np.ndarray
    std: np.ndarray


class EstimatorVariances(NamedTuple):
    """Per-coordinate variances (D,) of two one-sample gradient estimators of the same quantity."""

    score_function: np.ndarray
    reparameterisation: np.ndarray


class ThetaGradient(NamedTuple):
    """Gradient w.r.t. the decoder weights ``A`` (d, k) and offset ``b`` (d,); leading (R,) if repeated."""

    A: np.ndarray
    b: np.ndarray


# --------------------------------------------------------------------------- phi: score function and reparam
def _check_gaussian(m, s) -> tuple[np.ndarray, np.ndarray]:
    m = as_finite_array(m, "m", ndim=1)
    s = as_finite_array(s, "s", ndim=1)
    if s.shape != m.shape:
        raise ValueError(f"s must have the same shape as m {m.shape}, got {s.shape}")
    if m.shape[0] == 0:
        raise ValueError("m must have at least one entry")
    if np.any(s <= 0):
        raise ValueError("s must be positive: it holds standard deviations, not log standard deviations")
    return m, s


def _check_f(f) -> Callable:
    if not callable(f):
        raise ValueError(
            f"f must be a callable mapping a tensor (..., D) to values (...), got {type(f).__name__}"
        )
    return f


def _evaluate(f, z: torch.Tensor) -> torch.Tensor:
    values = f(z)
    if not isinstance(values, torch.Tensor) or values.shape != z.shape[:-1]:
        got = tuple(values.shape) if hasattr(values, "shape") else type(values).__name__
        raise ValueError(
            f"f must map a tensor of shape {tuple(z.shape)} to a tensor of shape {tuple(z.shape[:-1])}, "
            f"got {got}"
        )
    return values


def _draw_blocks(n_samples: int, repeats: int, dim: int, rng: np.random.Generator):
    """Yield standard-normal draws of shape (r, M, D) in blocks of repeats, as float64 tensors."""
    per_block = max(1, min(repeats, _BLOCK_ELEMENTS // (n_samples * dim)))
    for start in range(0, repeats, per_block):
        r = min(per_block, repeats - start)
        yield torch.from_numpy(rng.standard_normal((r, n_samples, dim)))


def _shape_result(mean_grads: list, std_grads: list, n_repeats) -> GaussianGradient:
    grad_m = torch.cat(mean_grads).numpy()
    grad_s = torch.cat(std_grads).numpy()
    if n_repeats is None:
        return GaussianGradient(grad_m[0], grad_s[0])
    return GaussianGradient(grad_m, grad_s)


def score_function_gradient(
    f, m, s, n_samples: int, rng, *, n_repeats: int | None = None, baseline: float | str | None = None
) -> GaussianGradient:
    r"""Score-function (REINFORCE) estimate of grad_{m, s} E_{N(m, diag s^2)}[f(z)] from ``n_samples`` draws.

    ``f`` maps a float64 tensor (..., D) to (...) (only its values are used).  ``baseline``: None (c = 0), a
    number c (any constant keeps the estimator unbiased because E_q[grad log q] = 0), or ``"leave_one_out"``
    (c_m = mean of f over the other M - 1 samples, unbiased because it is independent of z_m; needs M >= 2).
    Returns ``GaussianGradient(mean, std)`` of shape (D,), or (R, D) for ``n_repeats`` = R.
    """
    f = _check_f(f)
    m, s = _check_gaussian(m, s)
    n_samples = positive_int(n_samples, "n_samples")
    repeats = 1 if n_repeats is None else positive_int(n_repeats, "n_repeats")
    if isinstance(baseline, str):
        if baseline != "leave_one_out":
            raise ValueError(f"baseline must be None, a number or 'leave_one_out', got {baseline!r}")
        if n_samples < 2:
            raise ValueError("n_samples must be at least 2 for the leave_one_out baseline")
    elif baseline is not None and not np.isfinite(baseline):
        raise ValueError(f"baseline must be a finite number, got {baseline!r}")
    rng = as_generator(rng)
    m_t, s_t = torch.from_numpy(m), torch.from_numpy(s)
    mean_grads, std_grads = [], []
    with torch.no_grad():
        for eps in _draw_blocks(n_samples, repeats, m.shape[0], rng):
            values = _evaluate(f, m_t + s_t * eps)  # (r, M)
            if baseline == "leave_one_out":
                values = values - (values.sum(dim=1, keepdim=True) - values) / (n_samples - 1)
            elif baseline is not None:
                values = values - float(baseline)
            weight = values.unsqueeze(-1)
            mean_grads.append((weight * eps).mean(dim=1) / s_t)
            std_grads.append((weight * (eps * eps - 1.0)).mean(dim=1) / s_t)
    return _shape_result(mean_grads, std_grads, n_repeats)


def reparameterisation_gradient(
    f, m, s, n_samples: int, rng, *, n_repeats: int | None = None
) -> GaussianGradient:
    r"""Reparameterisation estimate of grad_{m, s} E_{N(m, diag s^2)}[f(z)] with z = m + s * eps.

    ``f`` must be differentiable in torch (its gradient grad_z f comes from autograd; each f(z_m) may depend
    only on its own z_m).  Returns ``GaussianGradient(mean, std)`` of shape (D,), or (R, D) for ``n_repeats``.
    """
    f = _check_f(f)
    m, s = _check_gaussian(m, s)
    n_samples = positive_int(n_samples, "n_samples")
    repeats = 1 if n_repeats is None else positive_int(n_repeats, "n_repeats")
    rng = as_generator(rng)
    m_t, s_t = torch.from_numpy(m), torch.from_numpy(s)
    mean_grads, std_grads = [], []
    for eps in _draw_blocks(n_samples, repeats, m.shape[0], rng):
        z = (m_t + s_t * eps).requires_grad_(True)
        values = _evaluate(f, z)
        if not values.requires_grad:  # f ignores z, or leaves autograd (NumPy, .detach(), integer ops)
            raise ValueError("f must be differentiable in z with torch autograd (its output has no gradient)")
        # Summing over samples and repeats is safe: each value depends on its own z_m only.
        (grad_z,) = torch.autograd.grad(values.sum(), z)
        mean_grads.append(grad_z.mean(dim=1))
        std_grads.append((grad_z * eps).mean(dim=1))
    return _shape_result(mean_grads, std_grads, n_repeats)


def sum_of_squares_gradient_variances(m, s, baseline: float = 0.0) -> EstimatorVariances:
    r"""Exact per-coordinate variances of one-sample estimators of grad_m E[f] for f(z) = sum_j z_j^2.

    Returns ``EstimatorVariances(score_function, reparameterisation)``, both (D,), for the score-function
    estimator with constant baseline c = ``baseline`` and the reparameterisation estimator.  With
    z = m + s eps, F_j = sum_{i != j} z_i^2 (independent of eps_j) and Gaussian moments
    E eps^2 = 1, E eps^4 = 3, E eps^6 = 15:

        Var[(f - c) eps_j / s_j] = (E[f^2 eps_j^2] - 2 c E[f eps_j^2] + c^2) / s_j^2 - 4 m_j^2,
        E[f^2 eps_j^2] = m_j^4 + 18 m_j^2 s_j^2 + 15 s_j^4 + 2 E[F_j](m_j^2 + 3 s_j^2) + E[F_j^2],
        E[f eps_j^2]   = m_j^2 + 3 s_j^2 + E[F_j],
        Var[2 z_j] = 4 s_j^2   (reparameterisation).

    The variance of an M-sample average is these divided by M.
    """
    m, s = _check_gaussian(m, s)
    if not np.isfinite(baseline):
        raise ValueError(f"baseline must be a finite number, got {baseline!r}")
    m2, s2 = m**2, s**2
    mean_f_others = np.sum(m2 + s2) - (m2 + s2)
    var_terms = 4.0 * m2 * s2 + 2.0 * s2**2  # Var(z_i^2) for z_i ~ N(m_i, s_i^2)
    second_f_others = np.sum(var_terms) - var_terms + mean_f_others**2
    f2e2 = m2**2 + 18.0 * m2 * s2 + 15.0 * s2**2 + 2.0 * mean_f_others * (m2 + 3.0 * s2) + second_f_others
    fe2 = m2 + 3.0 * s2 + mean_f_others
    score = (f2e2 - 2.0 * baseline * fe2 + baseline**2) / s2 - 4.0 * m2
    return EstimatorVariances(score, 4.0 * s2)


# --------------------------------------------------------------------------- theta: exact and Fisher identity
def _check_model_x(model, x) -> np.ndarray:
    if not isinstance(model, LinearGaussian):
        raise ValueError(f"model must be a LinearGaussian, got {type(model).__name__}")
    x = as_finite_array(x, "x", ndim=1)
    if x.shape != (model.data_dim,):
        raise ValueError(f"x must have shape ({model.data_dim},) (one data point), got {x.shape}")
    return x


def exact_log_marginal_gradient(model: LinearGaussian, x) -> ThetaGradient:
    r"""grad_{A, b} log p(x) for p(x) = N(b, C), C = A A^T + Sigma, by the matrix-calculus formula.

    With a = C^{-1}(x - b):  grad_b = a,  grad_A = (a a^T - C^{-1}) A  (C^{-1} applied by Cholesky solves).
    """
    x = _check_model_x(model, x)
    chol = (model.chol_marginal, True)
    a = cho_solve(chol, x - model.b)
    return ThetaGradient(np.outer(a, a @ model.A) - cho_solve(chol, model.A), a)


def log_likelihood_gradient(model: LinearGaussian, x, z) -> ThetaGradient:
    r"""grad_{A, b} log p(x|z) per z (..., k): e = Sigma^{-1}(x - A z - b), grad_A = e z^T, grad_b = e.

    Returns arrays of shapes (..., d, k) and (..., d).
    """
    x = _check_model_x(model, x)
    z = model.check_z(z)
    resid = x - model.b - z @ model.A.T  # (..., d)
    e = cho_solve((model.chol_sigma, True), resid.reshape(-1, model.data_dim).T).T.reshape(resid.shape)
    return ThetaGradient(e[..., :, None] * z[..., None, :], e)


def _gradient_from_moments(
    model: LinearGaussian, x: np.ndarray, first: np.ndarray, second: np.ndarray
) -> ThetaGradient:
    r"""E[grad log p(x|z)] from E[z] (..., k) and E[z z^T] (..., k, k): both gradients are linear in them.

    E[e] = Sigma^{-1}(x - b - A E z);  E[e z^T] = Sigma^{-1}((x - b) E[z]^T - A E[z z^T]).
    """
    chol = (model.chol_sigma, True)
    r = x - model.b
    inner_b = r - first @ model.A.T  # (..., d)
    inner_a = r[:, None] * first[..., None, :] - model.A @ second  # (..., d, k)
    grad_b = cho_solve(chol, inner_b.reshape(-1, model.data_dim).T).T.reshape(inner_b.shape)
    flat_a = np.moveaxis(inner_a, -2, 0).reshape(model.data_dim, -1)
    grad_a = np.moveaxis(
        cho_solve(chol, flat_a).reshape((model.data_dim,) + inner_a.shape[:-2] + (model.latent_dim,)), 0, -2
    )
    return ThetaGradient(grad_a, grad_b)


def fisher_identity_gradient(model: LinearGaussian, x) -> ThetaGradient:
    r"""E_{p(z|x)}[grad_{A, b} log p(x|z)] in closed form (p(z|x) = N(mu, S): E z = mu, E zz^T = S + mu mu^T).

    By the Fisher identity this equals :func:`exact_log_marginal_gradient`; computing it from the posterior
    moments rather than from C = A A^T + Sigma makes the comparison a real check.
    """
    x = _check_model_x(model, x)
    mean, cov = model.posterior(x)
    return _gradient_from_moments(model, x, mean, cov + np.outer(mean, mean))


def _repeated(value: ThetaGradient, n_repeats) -> ThetaGradient:
    return ThetaGradient(value.A[0], value.b[0]) if n_repeats is None else value


def fisher_gradient_posterior(
    model: LinearGaussian, x, n_samples: int, rng, *, n_repeats: int | None = None
) -> ThetaGradient:
    r"""Monte Carlo Fisher identity with exact posterior samples: (1/M) sum_m grad log p(x|z_m), z_m ~ p(z|x).

    Unbiased.  Returns ``ThetaGradient`` of shapes (d, k), (d,), or (R, d, k), (R, d) for ``n_repeats`` = R.
    """
    x = _check_model_x(model, x)
    n_samples = positive_int(n_samples, "n_samples")
    repeats = 1 if n_repeats is None else positive_int(n_repeats, "n_repeats")
    rng = as_generator(rng)
    mean, cov = model.posterior(x)
    z = rng.standard_normal((repeats, n_samples, model.latent_dim)) @ np.linalg.cholesky(cov).T + mean
    first = z.mean(axis=1)
    second = np.matmul(np.swapaxes(z, 1, 2), z) / n_samples
    return _repeated(_gradient_from_moments(model, x, first, second), n_repeats)


def fisher_gradient_prior(
    model: LinearGaussian, x, n_samples: int, rng, *, n_repeats: int | None = None
) -> ThetaGradient:
    r"""Fisher identity with prior samples, self-normalised: sum_m w_m grad log p(x|z_m), z_m ~ p(z).

    w_m = p(x|z_m) / sum_m' p(x|z_m') (a softmax of log-likelihoods), since p(z|x) / p(z) is proportional to
    p(x|z).  Consistent but biased for finite M, and its variance explodes when the posterior is far from the
    prior.  Shapes as in :func:`fisher_gradient_posterior`.
    """
    x = _check_model_x(model, x)
    n_samples = positive_int(n_samples, "n_samples")
    repeats = 1 if n_repeats is None else positive_int(n_repeats, "n_repeats")
    rng = as_generator(rng)
    z = rng.standard_normal((repeats, n_samples, model.latent_dim))
    # log p(x|z) = const - |R z - c|^2 / 2 in whitened coordinates; the constant cancels in the weights.
    r_mat, c, _ = whitened_likelihood(model, x)
    resid = z @ r_mat.T - c
    log_lik = -0.5 * np.einsum("rmj,rmj->rm", resid, resid)  # (R, M), up to a constant
    w = np.exp(log_lik - log_lik.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    first = np.einsum("rm,rmi->ri", w, z)
    second = np.matmul(np.swapaxes(z * w[..., None], 1, 2), z)
    return _repeated(_gradient_from_moments(model, x, first, second), n_repeats)


__all__ = [
    "GaussianGradient",
    "EstimatorVariances",
    "ThetaGradient",
    "score_function_gradient",
    "reparameterisation_gradient",
    "sum_of_squares_gradient_variances",
    "exact_log_marginal_gradient",
    "log_likelihood_gradient",
    "fisher_identity_gradient",
    "fisher_gradient_posterior",
    "fisher_gradient_prior",
]
