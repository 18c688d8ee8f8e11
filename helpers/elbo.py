r"""The evidence lower bound (ELBO), its two decompositions, and the importance-weighted bound.

For a latent model p(x, z) = p(x|z) p(z) and any density q(z) (for one data point x, q = q_phi(z|x)):

    ELBO(q) = E_q[log p(x, z) - log q(z)]
            = E_q[log p(x|z)] - KL(q || p(z))            (what is computed and optimised)
    log p(x) - ELBO(q) = KL(q || p(z|x)) >= 0             (the gap: why it is a lower bound)

The source derivation writes ELBO = E_q[log p(x|z) - KL(q || p(z|x))]; that is not the ELBO (erratum 2 of
the course): the KL inside the bound is to the *prior*, the KL to the *posterior* is the gap.

This module has closed forms for Gaussian q in the linear-Gaussian model (``helpers.linear_gaussian``),
reparameterised Monte Carlo estimates for any model with a ``log_joint(x, z)`` method, the IWAE bound, and
the PyTorch pieces notebook 04 optimises: a Gaussian q fitted by stochastic gradient ascent, and probabilistic
PCA (a linear-Gaussian model with isotropic noise) learned by maximising the ELBO over (theta, phi).

Shapes: k is the latent dimension, d the data dimension.  Covariances are covariances (not standard
deviations) and are passed as full (k, k) matrices; a leading batch of covariances (..., k, k) is allowed.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from helpers._validation import as_finite_array, as_generator, positive_int
from helpers.gaussian import (
    as_float,
    covariance_cholesky,
    gaussian_kl,
    gaussian_log_density,
    kl_to_prior,
    mean_vector,
)
from helpers.linear_gaussian import LinearGaussian
from helpers.logspace import LOG_2PI, log_mean_exp

__all__ = [
    "gaussian_kl",
    "kl_to_prior",
    "expected_log_likelihood",
    "elbo_exact",
    "gaussian_log_weights",
    "MonteCarloEstimate",
    "elbo_mc",
    "iwae_bound",
    "torch_log_joint",
    "QFit",
    "fit_gaussian_q",
    "ppca_mle",
    "ppca_elbo_torch",
    "PPCAFit",
    "fit_ppca_elbo",
]


def _check_model_x(model: LinearGaussian, x) -> np.ndarray:
    if not isinstance(model, LinearGaussian):
        raise ValueError(f"model must be a helpers LinearGaussian, got {type(model).__name__}")
    x = as_finite_array(x, "x")
    if x.ndim == 0 or x.shape[-1] != model.data_dim:
        raise ValueError(f"x must have shape (..., {model.data_dim}), got {x.shape}")
    return x


def expected_log_likelihood(model: LinearGaussian, x, q_mean, q_cov):
    r"""E_{q}[log p(x|z)] for q = N(q_mean, q_cov) in the linear-Gaussian model, in closed form.

    With p(x|z) = N(A z + b, Sigma):  E_q[log p(x|z)] = log N(x; A m + b, Sigma) - 1/2 tr(Sigma^{-1} A S A^T)
    (``LinearGaussian.expected_log_likelihood``).  x (..., d), q_mean (..., k) and q_cov (k, k) or
    (..., k, k) broadcast over their leading axes.
    """
    x = _check_model_x(model, x)
    return model.expected_log_likelihood(x, q_mean, q_cov)


def elbo_exact(model: LinearGaussian, x, q_mean, q_cov):
    r"""The ELBO of q = N(q_mean, q_cov) for x in the linear-Gaussian model, in closed form (nats).

    ELBO = E_q[log p(x|z)] - KL(q || p(z)).  Shapes broadcast as in :func:`expected_log_likelihood`.
    """
    return as_float(expected_log_likelihood(model, x, q_mean, q_cov) - kl_to_prior(q_mean, q_cov))


# ------------------------------------------------------------- Monte Carlo
def gaussian_log_weights(model, x, q_mean, q_cov, n_samples: int, rng) -> tuple[np.ndarray, np.ndarray]:
    r"""Draw z_m = mu + L eps_m ~ q = N(mu, L L^T), m = 1..M (reparameterised), and return ``(z, log_w)``.

    log w_m = log p(x, z_m) - log q(z_m), using ``model.log_joint(x, z)``; z has shape (M, k) and log_w
    shape (M,), M = ``n_samples``.  ``x`` is one data point; ``rng`` a Generator or an integer seed (the same
    seed gives the same eps, so an estimate moves smoothly as q changes: common random numbers).
    """
    n_samples = positive_int(n_samples, "n_samples")
    rng = as_generator(rng)
    q_mean = mean_vector(q_mean, "q_mean")
    if q_mean.ndim != 1:
        raise ValueError(f"q_mean must have shape (k,) here, got {q_mean.shape}")
    k = q_mean.shape[0]
    chol_q = covariance_cholesky(q_cov, "q_cov", k)
    if chol_q.ndim != 2:
        raise ValueError(f"q_cov must have shape ({k}, {k}) here, got {np.shape(q_cov)}")
    z = q_mean + rng.standard_normal((n_samples, k)) @ chol_q.T
    log_w = model.log_joint(x, z) - gaussian_log_density(z, q_mean, chol_q)
    return z, log_w


class MonteCarloEstimate(NamedTuple):
    """A Monte Carlo estimate, its standard error (sample standard deviation / sqrt(M)), the M per-sample terms."""

    value: float
    stderr: float
    samples: np.ndarray


def elbo_mc(model, x, q_mean, q_cov, n_samples: int, rng) -> MonteCarloEstimate:
    r"""Reparameterised Monte Carlo ELBO: (1/M) sum_m [log p(x, z_m) - log q(z_m)], z_m ~ q, M = ``n_samples``.

    Unbiased for the ELBO; the standard error uses the sample standard deviation (M >= 2).  Works for any
    model with ``log_joint(x, z)`` (the linear-Gaussian model, ``helpers.nonconjugate.SquaredLatentModel``).
    """
    n_samples = positive_int(n_samples, "n_samples")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2 to estimate a standard error, got {n_samples}")
    _, log_w = gaussian_log_weights(model, x, q_mean, q_cov, n_samples, rng)
    return MonteCarloEstimate(float(np.mean(log_w)), float(np.std(log_w, ddof=1) / np.sqrt(n_samples)), log_w)


def iwae_bound(log_w):
    r"""One draw of the importance-weighted bound from K log weights: log (1/K) sum_k w_k.

    ``log_w`` has shape (..., K): K log importance weights log p(x, z_k) - log q(z_k) per row, z_k ~ q.  Its
    expectation L_K = E[log (1/K) sum_k w_k] is the IWAE bound: L_1 = ELBO <= L_K <= L_{K+1} <= log p(x), and
    log p(x) - L_K ~ Var[w] / (2 K p(x)^2) for large K.  Average rows to estimate L_K.
    """
    log_w = np.asarray(log_w, dtype=np.float64)
    if log_w.ndim == 0:
        raise ValueError("log_w must have shape (..., K) with K log weights in the last axis")
    return log_mean_exp(log_w, axis=-1)


# ------------------------------------------------------------------ PyTorch
def torch_log_joint(model, x):
    r"""log p(x, z) as a PyTorch function of z (float64, shape (..., k) -> (...)), for gradient ascent.

    Built with ``torch.distributions`` for the linear-Gaussian model (an implementation independent of the
    NumPy one), or taken from ``model.log_joint_torch`` where a model provides it.
    """
    import torch  # imported here so that the widget and the NumPy helpers load without torch

    if hasattr(model, "log_joint_torch"):
        return lambda z: model.log_joint_torch(x, z)
    x_t = torch.as_tensor(_check_model_x(model, x), dtype=torch.float64)
    A = torch.as_tensor(model.A)
    b = torch.as_tensor(model.b)
    noise = torch.distributions.MultivariateNormal(
        torch.zeros_like(b), scale_tril=torch.linalg.cholesky(torch.as_tensor(model.Sigma)),
        validate_args=False,
    )
    prior = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), 1.0, validate_args=False)

    def log_joint(z):
        return noise.log_prob(x_t - z @ A.T - b) + prior.log_prob(z).sum(-1)

    return log_joint


class QFit(NamedTuple):
    """Trajectory of a fitted Gaussian q: means (T+1, k), covariances (T+1, k, k), ELBO estimates (T,)."""

    means: np.ndarray
    covs: np.ndarray
    elbo_estimates: np.ndarray


def fit_gaussian_q(log_joint, init_mean, init_std, *, n_steps: int = 400, lr: float = 0.05,
                   n_samples: int = 16, seed: int = 0) -> QFit:
    r"""Maximise the reparameterised ELBO of q = N(mu, L L^T) by stochastic gradient ascent (Adam).

    Each step draws M = ``n_samples`` eps_m ~ N(0, I), sets z_m = mu + L eps_m and ascends
    (1/M) sum_m [log p(x, z_m) - log q(z_m)].  The log q term is evaluated with the parameters detached
    ("sticking the landing", Roeder et al. 2017): its expected gradient is unchanged, and when q equals the
    posterior every sample's gradient is exactly zero, so the iterates settle on the posterior instead of
    jittering around it.  L is lower triangular with a positive (exponentiated) diagonal.  The learning rate
    decays linearly to a tenth of ``lr``.

    ``log_joint`` maps a float64 tensor z of shape (M, k) to log p(x, z) of shape (M,) (see
    :func:`torch_log_joint`); ``init_mean`` has shape (k,); ``init_std`` is a positive scalar or (k,).
    """
    import torch

    n_steps = positive_int(n_steps, "n_steps")
    n_samples = positive_int(n_samples, "n_samples")
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    mean0 = mean_vector(init_mean, "init_mean")
    if mean0.ndim != 1:
        raise ValueError(f"init_mean must have shape (k,), got {mean0.shape}")
    k = mean0.shape[0]
    std0 = np.broadcast_to(as_finite_array(init_std, "init_std"), (k,))
    if np.any(std0 <= 0):
        raise ValueError("init_std must be positive (a standard deviation)")

    gen = torch.Generator().manual_seed(seed)
    mean = torch.tensor(mean0, dtype=torch.float64, requires_grad=True)
    log_diag = torch.tensor(np.log(std0), dtype=torch.float64, requires_grad=True)
    off = torch.zeros((k, k), dtype=torch.float64, requires_grad=True)
    mask = torch.tril(torch.ones(k, k, dtype=torch.float64), diagonal=-1)
    opt = torch.optim.Adam([mean, log_diag, off], lr=lr)
    sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=n_steps)

    def scale_tril():
        return off * mask + torch.diag(torch.exp(log_diag))

    means, covs, elbos = [mean0.copy()], [np.diag(std0**2)], []
    for _ in range(n_steps):
        L = scale_tril()
        eps = torch.randn((n_samples, k), generator=gen, dtype=torch.float64)
        z = mean + eps @ L.T
        # log q(z) with m and L detached: -1/2 |L^{-1}(z - m)|^2 - sum log diag L - k/2 log 2 pi.
        white = torch.linalg.solve_triangular(L.detach(), (z - mean.detach()).T, upper=False)
        log_q = -0.5 * (white**2).sum(0) - log_diag.detach().sum() - 0.5 * k * LOG_2PI
        objective = (log_joint(z) - log_q).mean()
        opt.zero_grad()
        (-objective).backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            L = scale_tril()
            means.append(mean.numpy().copy())
            covs.append((L @ L.T).numpy())
        elbos.append(objective.item())
    return QFit(np.array(means), np.array(covs), np.array(elbos))


# ------------------------------------------- learning theta: probabilistic PCA
def ppca_mle(x, latent_dim: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    r"""Closed-form maximum likelihood for probabilistic PCA (Tipping & Bishop, 1999).

    Model: z ~ N(0, I_k), x|z ~ N(W z + mu, s2 I_d).  With the sample covariance
    S = (1/N) sum (x - xbar)(x - xbar)^T and its eigenvalues l_1 >= ... >= l_d (eigenvectors U):
    mu = xbar, s2 = mean of the d - k smallest eigenvalues, W = U_k (diag(l_1..l_k) - s2 I)^{1/2} (unique
    up to a rotation of z).  The maximum total log-likelihood is
    -N/2 [ d log 2 pi + sum_{j<=k} log l_j + (d - k) log s2 + d ].
    Returns ``(W (d, k), mu (d,), s2, max_log_likelihood)``; x has shape (N, d) with k < d.
    """
    x = as_finite_array(x, "x", ndim=2)
    n, d = x.shape
    latent_dim = positive_int(latent_dim, "latent_dim")
    if latent_dim >= d:
        raise ValueError(f"latent_dim must be smaller than the data dimension {d}, got {latent_dim}")
    if n < 2:
        raise ValueError(f"x must hold at least two data points, got {n}")
    mu = x.mean(axis=0)
    centred = x - mu
    eigval, eigvec = np.linalg.eigh(centred.T @ centred / n)
    eigval, eigvec = eigval[::-1], eigvec[:, ::-1]
    s2 = float(np.mean(eigval[latent_dim:]))
    if s2 <= 0:
        raise ValueError("x must not lie in a latent_dim-dimensional subspace (noise variance 0)")
    W = eigvec[:, :latent_dim] * np.sqrt(np.maximum(eigval[:latent_dim] - s2, 0.0))
    log_det = np.sum(np.log(eigval[:latent_dim])) + (d - latent_dim) * np.log(s2)
    log_lik = -0.5 * n * (d * LOG_2PI + log_det + d)
    return W, mu, s2, float(log_lik)


def ppca_elbo_torch(x, W, mu, log_noise_std, q_mean, q_scale_tril):
    r"""Closed-form ELBO per data point for x|z ~ N(W z + mu, s^2 I), z ~ N(0, I), q = N(q_mean, L L^T).

    E_q[log p(x|z)] = -d/2 log(2 pi s^2) - ( ||x - W m - mu||^2 + ||W L||_F^2 ) / (2 s^2)
    KL(q || p(z))   = 1/2 [ ||L||_F^2 + ||m||^2 - k - 2 sum log diag L ]
    Tensors: x (N, d), W (d, k), mu (d,), log_noise_std scalar, q_mean (N, k), q_scale_tril (k, k) or
    (N, k, k).
    Returns (ELBO (N,), E_q[log p(x|z)] (N,), KL (N,)).
    """
    import torch

    d = x.shape[-1]
    k = W.shape[-1]
    noise_var = torch.exp(2.0 * log_noise_std)
    resid = x - q_mean @ W.T - mu
    spread = ((W @ q_scale_tril) ** 2).sum(dim=(-2, -1))
    ell = -0.5 * d * (LOG_2PI + 2.0 * log_noise_std) - 0.5 * ((resid**2).sum(-1) + spread) / noise_var
    log_diag = torch.log(torch.diagonal(q_scale_tril, dim1=-2, dim2=-1)).sum(-1)
    kl = 0.5 * ((q_scale_tril**2).sum(dim=(-2, -1)) + (q_mean**2).sum(-1) - k) - log_diag
    return ell - kl, ell, kl


class PPCAFit(NamedTuple):
    """Result of :func:`fit_ppca_elbo`: learned theta, the ELBO per step (nats per point), the encoder."""

    W: np.ndarray
    mu: np.ndarray
    noise_var: float
    elbo_history: np.ndarray
    encoder_weight: np.ndarray
    encoder_bias: np.ndarray
    encoder_scale_tril: np.ndarray


def fit_ppca_elbo(x, latent_dim: int, *, n_steps: int = 1500, lr: float = 0.05, seed: int = 0) -> PPCAFit:
    r"""Learn theta = (W, mu, s) and phi together by gradient ascent on the total closed-form ELBO.

    q_phi(z|x) = N(E x + e, L L^T) is an amortised *linear* encoder: the exact posterior of this model has
    that form, so the ELBO can reach log p_theta(x) for every theta and its maximum over (theta, phi) is the
    maximum likelihood.  Full-batch Adam on the mean ELBO per data point; the learning rate decays linearly
    to lr/20.
    """
    import torch

    x = as_finite_array(x, "x", ndim=2)
    latent_dim = positive_int(latent_dim, "latent_dim")
    n_steps = positive_int(n_steps, "n_steps")
    n, d = x.shape
    torch.manual_seed(seed)
    x_t = torch.as_tensor(x)
    params = {
        "W": torch.randn(d, latent_dim, dtype=torch.float64) * 0.1,
        "mu": torch.zeros(d, dtype=torch.float64),
        "log_s": torch.zeros((), dtype=torch.float64),
        "E": torch.zeros(latent_dim, d, dtype=torch.float64),
        "e": torch.zeros(latent_dim, dtype=torch.float64),
        "log_diag": torch.zeros(latent_dim, dtype=torch.float64),
        "off": torch.zeros(latent_dim, latent_dim, dtype=torch.float64),
    }
    for p in params.values():
        p.requires_grad_(True)
    mask = torch.tril(torch.ones(latent_dim, latent_dim, dtype=torch.float64), diagonal=-1)
    opt = torch.optim.Adam(params.values(), lr=lr)
    sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.05, total_iters=n_steps)

    def scale_tril():
        return params["off"] * mask + torch.diag(torch.exp(params["log_diag"]))

    history = np.empty(n_steps)
    for step in range(n_steps):
        q_mean = x_t @ params["E"].T + params["e"]
        elbo, _, _ = ppca_elbo_torch(x_t, params["W"], params["mu"], params["log_s"], q_mean, scale_tril())
        loss = -elbo.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        history[step] = -loss.item()
    with torch.no_grad():
        return PPCAFit(
            params["W"].numpy().copy(), params["mu"].numpy().copy(), float(torch.exp(2 * params["log_s"])),
            history, params["E"].numpy().copy(), params["e"].numpy().copy(), scale_tril().numpy(),
        )
