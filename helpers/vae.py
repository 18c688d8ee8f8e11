r"""A variational autoencoder for binary images, and the three numbers that judge it.

Model (theta):  p(z) = N(0, I_k),   p_theta(x|z) = prod_d Bernoulli(x_d; sigm(l_d(z))),
where the logits l(z) come from an MLP *decoder*.  Approximate posterior (phi): one MLP *encoder*
for every image (amortisation) gives q_phi(z|x) = N(mu_phi(x), diag(exp(v_phi(x)))): ``v`` is the
**log-variance**, so the standard deviation is exp(v / 2).

Per image, in nats (natural logs), with z = mu + exp(v/2) * eps, eps ~ N(0, I) (reparameterisation):

    ELBO(x)   = E_q[log p_theta(x|z)] - KL(q_phi(z|x) || p(z))                       (``elbo``)
    IWAE_K(x) = log (1/K) sum_k p_theta(x, z_k) / q_phi(z_k|x),  z_k ~ q, iid       (``iwae_log_likelihood``)
    log p(x)  = log \int p_theta(x|z) p(z) dz, by quadrature when k = 2          (``exact_log_marginal``)

with E[ELBO estimate] <= E[IWAE_K] <= E[IWAE_{K+1}] <= log p(x).  The KL to the prior is in closed form,
KL = 1/2 sum_j (exp(v_j) + mu_j^2 - 1 - v_j); the reconstruction term is a Monte Carlo average.
Bernoulli log-likelihoods are computed from logits, log p(x|z) = sum_d x_d l_d - softplus(l_d), never
as log(sigm(l)) (which underflows; sigm is the logistic function, sigma is kept for standard deviations),
and every average of weights goes through ``logsumexp``.

Tensors are float32 for speed; bounds are returned as float64 NumPy arrays of shape (n,).
"""

from __future__ import annotations

import math
import os
import pickle
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from helpers._validation import positive_int
from helpers.logspace import LOG_2PI, log_mean_exp
from helpers.quadrature import grid_log_marginal, latent_grid

__all__ = [
    "VAE",
    "Recipe",
    "DIGITS_RECIPES",
    "TrainingHistory",
    "train",
    "training_threads",
    "PARALLEL_WORK_PER_STEP",
    "elbo",
    "gaussian_elbo",
    "iwae_log_weights",
    "iwae_log_likelihood",
    "iwae_curve",
    "grid_log_joint",
    "exact_log_marginal",
    "grid_posterior_kl",
    "grid_posterior_mode",
    "grid_posterior_moments",
    "fit_gaussian_q",
    "kl_to_prior_logvar",
    "save",
    "load",
]

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU, "softplus": nn.Softplus, "silu": nn.SiLU}
# Decoder activations per chunk (samples x images x widest layer) kept below this many floats (~64 MB).
_CHUNK_FLOATS = 1 << 24


def _mlp(sizes: list[int], activation: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class VAE(nn.Module):
    r"""MLP encoder q_phi(z|x) = N(mu, diag exp(v)) and MLP decoder p_theta(x|z) = Bernoulli(sigm(l(z))).

    ``hidden_dims`` are the encoder's hidden widths, data_dim -> h_1 -> ... -> 2k; the decoder mirrors
    them, k -> ... -> h_1 -> data_dim.  ``encode(x)`` returns ``(mu, v)`` of shape (n, k) each (v the
    log-variance); ``decode(z)`` returns logits of shape (..., data_dim).
    """

    def __init__(self, data_dim: int, latent_dim: int, hidden_dims=(256, 256), activation: str = "tanh"):
        super().__init__()
        self.data_dim = positive_int(data_dim, "data_dim")
        self.latent_dim = positive_int(latent_dim, "latent_dim")
        if isinstance(hidden_dims, (int, np.integer)):
            hidden_dims = (hidden_dims,)
        self.hidden_dims = tuple(positive_int(h, "hidden_dims entries") for h in hidden_dims)
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        self.activation = activation
        self.encoder = _mlp([self.data_dim, *self.hidden_dims, 2 * self.latent_dim], activation)
        self.decoder = _mlp([self.latent_dim, *self.hidden_dims[::-1], self.data_dim], activation)

    @property
    def config(self) -> dict:
        """The constructor arguments, enough to rebuild the architecture (saved in checkpoints)."""
        return {"data_dim": self.data_dim, "latent_dim": self.latent_dim,
                "hidden_dims": list(self.hidden_dims), "activation": self.activation}

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q_phi(z|x): mean and log-variance, each of shape (n, k)."""
        mean, logvar = self.encoder(x).chunk(2, dim=-1)
        return mean, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits l(z) of p_theta(x|z), shape (..., data_dim)."""
        return self.decoder(z)

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p_theta(x|z) = sum_d x_d l_d - softplus(l_d); x (n, d) broadcasts against z (..., n, k)."""
        logits = self.decode(z)
        # One fused kernel for -(x l - softplus(l)), instead of several elementwise passes.
        return -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(dim=-1)

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None) -> torch.Tensor:
        """A one-sample reparameterised ELBO per image (shape (n,)), differentiable in theta and phi."""
        mean, logvar = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mean)
        z = mean + torch.exp(0.5 * logvar) * eps
        return self.log_likelihood(x, z) - kl_to_prior_logvar(mean, logvar)


def kl_to_prior_logvar(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, diag exp(logvar)) || N(0, I)) = 1/2 sum_j (exp(v_j) + mean_j^2 - 1 - v_j), over the last axis.

    The KL to the prior of the PyTorch layer, whose q is parameterised by a log-variance v; the NumPy layer's
    ``helpers.gaussian.kl_to_prior(q_mean, q_cov)`` takes a covariance.
    """
    return 0.5 * torch.sum(torch.exp(logvar) + mean**2 - 1.0 - logvar, dim=-1)


def _device_of(model: VAE) -> torch.device:
    return next(model.parameters()).device


def _as_data(model: VAE, x, name: str = "x") -> torch.Tensor:
    """Check ``x`` is an (n, data_dim) array of 0/1 and return it as float32 on the model's device."""
    if not isinstance(model, VAE):
        raise ValueError(f"model must be a helpers.vae.VAE, got {type(model).__name__}")
    if isinstance(x, torch.Tensor):
        t = x.detach()
    else:
        try:
            t = torch.as_tensor(np.asarray(x, dtype=np.float32))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be an array of 0/1 pixels, got {type(x).__name__}") from exc
    if t.ndim != 2 or t.shape[1] != model.data_dim or t.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, {model.data_dim}) with n >= 1, got {tuple(t.shape)}")
    t = t.to(device=_device_of(model), dtype=torch.float32)
    if not torch.all((t == 0) | (t == 1)):
        raise ValueError(f"{name} must be binary (every pixel 0 or 1): p_theta(x|z) is a product of "
                         "Bernoullis")
    return t


def _generator(seed, device: torch.device) -> torch.Generator:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen


def _sample_chunks(model: VAE, n: int, k: int):
    """Split k samples into chunks so that k_chunk * n * widest layer stays below ~64 MB of activations."""
    widest = max(model.data_dim, *model.hidden_dims)
    size = max(1, min(k, _CHUNK_FLOATS // max(1, n * widest)))
    return [(start, min(size, k - start)) for start in range(0, k, size)]


# --------------------------------------------------------------------------------------------- training


@dataclass
class TrainingHistory:
    """Per-epoch average ELBO (nats per image) on the training minibatches, and on ``x_valid`` if given.

    ``seconds`` is the wall-clock training time; it is excluded from ``==`` so that two seeded runs compare
    equal exactly when their curves do.
    """

    train_elbo: list[float] = field(default_factory=list)
    valid_elbo: list[float] = field(default_factory=list)
    seconds: float = field(default=0.0, compare=False)

    @property
    def epochs(self) -> int:
        return len(self.train_elbo)


def _progress_enabled(progress: bool) -> bool:
    flag = os.environ.get("TQDM_DISABLE", "").strip().lower()
    return bool(progress) and flag not in {"1", "true", "yes", "on"}


#: Multiply-adds per training step (batch size x weights) from which a second intra-op thread pays off: below
#: it a step is many small operations and handing them between threads costs more than it saves.  The digits
#: VAE of notebook 05 (about 6.5e6) is far below, the 784-200-200-50 MNIST VAE at batch 100 (4.2e7) above;
#: ``tests/benchmarks/vae_training_speed.py --threads`` times both sizes at 1 and 2 threads.
PARALLEL_WORK_PER_STEP = 2e7


def training_threads(model: VAE, batch_size: int) -> int:
    """The intra-op thread count ``train`` uses by default: 1 for small steps, else torch's current count."""
    weights = sum(layer.weight.numel() for layer in model.modules() if isinstance(layer, nn.Linear))
    if positive_int(batch_size, "batch_size") * weights < PARALLEL_WORK_PER_STEP:
        return 1
    return torch.get_num_threads()


def train(model: VAE, x_train, *, epochs: int, batch_size: int, lr: float, seed: int, x_valid=None,
          progress: bool = True, lr_final: float | None = None,
          num_threads: int | str | None = "auto") -> TrainingHistory:
    r"""Maximise the reparameterised ELBO with Adam; returns the per-epoch ``TrainingHistory``.

    Each step draws a minibatch (a slice of a seeded permutation of the rows: for data this small,
    indexing a tensor is far cheaper than a DataLoader), one eps ~ N(0, I) per image, and takes a step on
    -mean ELBO.  With ``lr_final`` the step size decays geometrically from ``lr`` to ``lr_final`` over
    the run.  Runs on the model's device.  The same model state, data and ``seed`` give the same history.
    A tqdm bar shows the running ELBO unless ``progress=False`` or the environment sets ``TQDM_DISABLE=1``.

    ``num_threads`` is torch's intra-op thread count during training, restored afterwards: ``"auto"`` (the
    default) chooses by the work per step (``training_threads``: one thread for small models, whose steps are
    many tiny operations, torch's own count for large ones), an integer sets it, ``None`` leaves it alone.
    """
    from tqdm.auto import tqdm

    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    if num_threads not in ("auto", None):
        num_threads = positive_int(num_threads, "num_threads")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if lr_final is not None and not (
        isinstance(lr_final, (int, float)) and math.isfinite(lr_final) and lr_final > 0
    ):
        raise ValueError(f"lr_final must be a positive number or None, got {lr_final!r}")
    data = _as_data(model, x_train, "x_train")
    valid = None if x_valid is None else _as_data(model, x_valid, "x_valid")
    if num_threads == "auto":
        num_threads = training_threads(model, batch_size)
    device = _device_of(model)
    gen = _generator(seed, device)
    n = data.shape[0]
    steps_per_epoch = math.ceil(n / batch_size)
    # The fused kernel updates every parameter in one pass instead of a loop of small per-tensor operations.
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, fused=device.type in ("cpu", "cuda") or None)
    scheduler = None
    if lr_final is not None:
        gamma = (lr_final / lr) ** (1.0 / max(1, epochs * steps_per_epoch - 1))
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimiser, gamma=gamma)

    history = TrainingHistory()
    threads_before = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        _train_epochs(model, data, valid, optimiser, scheduler, gen, epochs, batch_size, progress, history,
                      tqdm)
    finally:
        torch.set_num_threads(threads_before)
        model.eval()
    return history


def _train_epochs(model, data, valid, optimiser, scheduler, gen, epochs, batch_size, progress, history, tqdm):
    device, n = data.device, data.shape[0]
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not _progress_enabled(progress))
    model.train()
    for _ in bar:
        order = torch.randperm(n, generator=gen, device=device)
        total = torch.zeros((), device=device)
        for begin in range(0, n, batch_size):
            batch = data[order[begin : begin + batch_size]]
            eps = torch.randn(batch.shape[0], model.latent_dim, generator=gen, device=device)
            batch_elbo = model(batch, eps)
            loss = -batch_elbo.mean()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            if scheduler is not None:
                scheduler.step()
            total += batch_elbo.detach().sum()
        history.train_elbo.append(float(total) / n)
        postfix = {"train ELBO": f"{history.train_elbo[-1]:.2f}"}
        if valid is not None:
            with torch.no_grad():
                eps = torch.randn(valid.shape[0], model.latent_dim, generator=gen, device=device)
                history.valid_elbo.append(float(model(valid, eps).mean()))
            postfix["valid ELBO"] = f"{history.valid_elbo[-1]:.2f}"
        bar.set_postfix(postfix)
    history.seconds = time.perf_counter() - start


@dataclass(frozen=True)
class Recipe:
    """Architecture and training settings of one of notebook 05's digit VAEs, shared with its benchmark.

    ``build()`` returns a freshly initialised ``VAE`` whose weights depend only on ``seed`` (the global torch
    generator is left as it was); ``train_kwargs()`` are the keyword arguments for ``train``.
    """

    latent_dim: int
    hidden_dims: tuple[int, ...]
    epochs: int
    batch_size: int
    lr: float
    lr_final: float
    seed: int = 0
    data_dim: int = 64

    def build(self) -> VAE:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return VAE(self.data_dim, self.latent_dim, self.hidden_dims)

    def train_kwargs(self) -> dict:
        return {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
                "lr_final": self.lr_final, "seed": self.seed}


#: The notebook's two models of the binarised 8x8 digits: a 2-D latent (for pictures and exact log p(x)) and
#: an 8-D latent (for a better likelihood).  Chosen among six candidates of at most this training cost by their
#: IWAE-500 on a validation split of the *training* images (tests/benchmarks/select_digits_recipe.py); the test
#: images played no part.  About 5 s of training each on 1 core.
DIGITS_RECIPES = {
    2: Recipe(latent_dim=2, hidden_dims=(256, 128), epochs=150, batch_size=64, lr=1e-2, lr_final=1e-3),
    8: Recipe(latent_dim=8, hidden_dims=(256, 128), epochs=150, batch_size=64, lr=1e-2, lr_final=1e-3),
}


# ------------------------------------------------------------------------------------------ evaluation


def _check_q(model: VAE, n: int, mean, logvar) -> tuple[torch.Tensor, torch.Tensor]:
    out = []
    for name, value in (("mean", mean), ("logvar", logvar)):
        t = torch.as_tensor(value).detach().to(device=_device_of(model), dtype=torch.float32)
        if t.shape != (n, model.latent_dim):
            raise ValueError(f"{name} must have shape ({n}, {model.latent_dim}), got {tuple(t.shape)}")
        if not torch.all(torch.isfinite(t)):
            raise ValueError(f"{name} must be finite")
        out.append(t)
    return out[0], out[1]


@torch.no_grad()
def gaussian_elbo(model: VAE, x, mean, logvar, *, n_samples: int = 1000, seed: int = 0) -> np.ndarray:
    r"""ELBO of an arbitrary diagonal Gaussian q = N(mean, diag exp(logvar)) per image, shape (n,), in nats.

    E_q[log p_theta(x|z)] is averaged over ``n_samples`` reparameterised draws; KL(q || p(z)) is exact.
    """
    x = _as_data(model, x)
    n_samples = positive_int(n_samples, "n_samples")
    mean, logvar = _check_q(model, x.shape[0], mean, logvar)
    gen = _generator(seed, x.device)
    std = torch.exp(0.5 * logvar)
    recon = torch.zeros(x.shape[0], dtype=torch.float64, device=x.device)
    for _, size in _sample_chunks(model, x.shape[0], n_samples):
        eps = torch.randn(size, *mean.shape, generator=gen, device=x.device)
        recon += model.log_likelihood(x, mean + std * eps).double().sum(dim=0)
    return (recon / n_samples - kl_to_prior_logvar(mean, logvar).double()).cpu().numpy()


def elbo(model: VAE, x, *, n_samples: int = 1000, seed: int = 0) -> np.ndarray:
    """The ELBO of the encoder's q_phi(z|x) per image, shape (n,), in nats (see ``gaussian_elbo``)."""
    model.eval()
    data = _as_data(model, x)
    with torch.no_grad():
        mean, logvar = model.encode(data)
    return gaussian_elbo(model, data, mean, logvar, n_samples=n_samples, seed=seed)


@torch.no_grad()
def iwae_log_weights(model: VAE, x, k: int, *, seed: int = 0) -> np.ndarray:
    r"""log w_k = log p_theta(x, z_k) - log q_phi(z_k|x) for K = ``k`` draws z_k ~ q_phi(z|x): shape (n, K), float64.

    Draws are made in chunks that fit in memory, so K = 5000 on hundreds of images is fine.
    """
    model.eval()
    x = _as_data(model, x)
    k = positive_int(k, "k")
    gen = _generator(seed, x.device)
    mean, logvar = model.encode(x)
    std = torch.exp(0.5 * logvar)
    out = torch.empty(k, x.shape[0], dtype=torch.float64, device=x.device)
    for start, size in _sample_chunks(model, x.shape[0], k):
        eps = torch.randn(size, *mean.shape, generator=gen, device=x.device)
        z = mean + std * eps
        # log p(z) - log q(z|x): the (2 pi) terms cancel; (z - mean)/std = eps exactly.
        log_prior_minus_q = 0.5 * torch.sum(eps**2 - z**2 + logvar, dim=-1)
        out[start : start + size] = (model.log_likelihood(x, z) + log_prior_minus_q).double()
    return out.T.cpu().numpy()


def iwae_log_likelihood(model: VAE, x, k: int, *, seed: int = 0) -> np.ndarray:
    r"""IWAE_K(x) = log mean_k w_k per image, shape (n,), in nats.

    A lower bound on log p(x) (in expectation) that tightens as K = ``k`` grows.
    """
    log_w = iwae_log_weights(model, x, k, seed=seed)
    return log_mean_exp(log_w)


def iwae_curve(log_w, ks) -> np.ndarray:
    r"""IWAE_K for several K from one (n, K_max) array of log weights: shape (len(ks), n).

    The K_max weights are cut into K_max // K disjoint groups of K; each group gives an independent
    IWAE_K estimate and their mean is returned, so one set of draws serves every K with lower variance.
    """
    log_w = np.asarray(log_w, dtype=np.float64)
    if log_w.ndim != 2:
        raise ValueError(f"log_w must be 2-D (n, K_max), got shape {log_w.shape}")
    rows = []
    for kk in ks:
        kk = positive_int(kk, "ks entries")
        if kk > log_w.shape[1]:
            raise ValueError(f"ks entries must be at most K_max = {log_w.shape[1]}, got {kk}")
        groups = log_w.shape[1] // kk
        grouped = log_w[:, : groups * kk].reshape(log_w.shape[0], groups, kk)
        rows.append(log_mean_exp(grouped).mean(axis=1))
    return np.stack(rows)


@torch.no_grad()
def grid_log_joint(model: VAE, x, points) -> np.ndarray:
    r"""log p_theta(x, z) = log p(z) + log p_theta(x|z) at latent points, shape (m, n), float64.

    The decoder runs once per point; all n images are scored against its logits with one matrix
    product, sum_d x_d l_d - softplus(l_d), in float64.
    """
    x = _as_data(model, x)
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != model.latent_dim:
        raise ValueError(f"points must have shape (m, {model.latent_dim}), got {points.shape}")
    logits, base = _grid_terms(model, points, x.device)
    return (logits @ x.double().T + base[:, None]).cpu().numpy()


def _grid_terms(model: VAE, points: np.ndarray, device) -> tuple[torch.Tensor, torch.Tensor]:
    """At latent points (m, k): the decoder logits l(z_g), (m, d), and the part of log p_theta(x, z_g) that
    does not depend on x, log p(z_g) - sum_d softplus(l_d(z_g)), (m,).  Both float64, no gradient.
    Then log p_theta(x, z_g) = logits @ x + base, one matrix product for all images."""
    model.eval()
    with torch.no_grad():
        logits = model.decode(torch.as_tensor(points, dtype=torch.float32, device=device)).double()
        pts = torch.as_tensor(points, dtype=torch.float64, device=device)
        base = -0.5 * pts.square().sum(-1) - 0.5 * pts.shape[-1] * LOG_2PI - F.softplus(logits).sum(-1)
    return logits, base


_TOO_LARGE = "quadrature needs a small latent space (k <= 3), this model has k = {}"


def exact_log_marginal(model: VAE, x, grid: int = 300, *, half_width: float = 6.0,
                       chunk_size: int = 20_000) -> np.ndarray:
    r"""log p_theta(x) per image, shape (n,), by the midpoint rule on a grid x grid mesh over [-h, h]^k.

    log p(x) ~ logsumexp_g log p_theta(x, z_g) + k log(Delta), Delta = 2h / grid (``helpers.quadrature``).
    Exact up to the quadrature error, which falls very fast once Delta is well below the posterior's
    standard deviation, and the prior mass outside the box (for h = 6, below 1e-8).  Meant for k = 2.
    """
    grid = positive_int(grid, "grid")
    data = _as_data(model, x)
    if model.latent_dim > 3:
        raise ValueError(_TOO_LARGE.format(model.latent_dim))
    out = grid_log_marginal(lambda z: grid_log_joint(model, data, z), model.latent_dim, grid,
                            half_width=half_width, chunk_size=chunk_size)
    return np.atleast_1d(out)


def grid_posterior_kl(model: VAE, x, mean, logvar, grid: int = 300, *, half_width: float = 6.0,
                      images_per_chunk: int = 64) -> np.ndarray:
    r"""KL(q || p_theta(z|x)) per image, shape (n,), for q = N(mean, diag exp(logvar)), by quadrature (k = 2).

    On the midpoint grid z_g with cell area Delta^k and the exact posterior
    log p(z_g|x) = log p_theta(x, z_g) - log p_theta(x) (``exact_log_marginal`` on the same grid):
        KL ~ sum_g Delta^k q(z_g) [log q(z_g) - log p(z_g|x)].
    No sampling is involved, so it checks ``log p(x) - ELBO(q) = KL(q || p(z|x))`` independently of the
    Monte Carlo ELBO.  Accurate when the grid spacing is below q's standard deviations.
    """
    data = _as_data(model, x)
    grid = positive_int(grid, "grid")
    images_per_chunk = positive_int(images_per_chunk, "images_per_chunk")
    if model.latent_dim > 3:
        raise ValueError(_TOO_LARGE.format(model.latent_dim))
    mean_t, logvar_t = _check_q(model, data.shape[0], mean, logvar)
    mean64, logvar64 = mean_t.double(), logvar_t.double()
    precision = torch.exp(-logvar64)  # (n, k)
    points, width = latent_grid(model.latent_dim, grid, half_width)
    log_cell = model.latent_dim * math.log(width)
    logits, base = _grid_terms(model, points, data.device)  # the decoder runs once, for all images
    pts = torch.as_tensor(points, dtype=torch.float64, device=data.device)
    out = torch.empty(data.shape[0], dtype=torch.float64, device=data.device)
    for start in range(0, data.shape[0], images_per_chunk):
        sl = slice(start, start + images_per_chunk)
        log_joint = logits @ data[sl].double().T + base[:, None]  # (m, c)
        log_px = torch.logsumexp(log_joint, dim=0) + log_cell
        # sum_j (z_j - mean_j)^2 / var_j as matrix products: no (m, c, k) temporary.
        mahalanobis = (pts.square() @ precision[sl].T - 2.0 * pts @ (mean64[sl] * precision[sl]).T
                       + (mean64[sl].square() * precision[sl]).sum(-1))
        log_q = -0.5 * (mahalanobis + logvar64[sl].sum(-1) + model.latent_dim * LOG_2PI)  # (m, c)
        weight = torch.exp(log_q + log_cell)
        out[sl] = (weight * (log_q - log_joint)).sum(0) + log_px * weight.sum(0)
    return out.cpu().numpy()


def fit_gaussian_q(model: VAE, x, *, steps: int = 300, lr: float = 0.05, n_samples: int = 16,
                   seed: int = 0, init=None) -> tuple[np.ndarray, np.ndarray]:
    r"""The best diagonal Gaussian q for each image on its own: argmax over (mean, logvar) of ELBO(q).

    Starts at ``init = (mean, logvar)``, each (n, k), or by default at the encoder's q_phi(z|x), and runs Adam
    on the reparameterised ELBO (``n_samples`` fresh draws per image per step, step size decaying tenfold),
    with theta fixed.  Returns ``(mean, logvar)`` of shape (n, k).  The ELBO is not concave in (mean, logvar)
    when the posterior has several modes, so this finds the best q *near its start*; comparing two starts
    is a cheap guard.  With q* the best q, ELBO(q*) - ELBO(q_phi) >= 0 is the *amortisation gap* and
    log p(x) - ELBO(q*) the *approximation gap* of the Gaussian family.
    """
    data = _as_data(model, x)
    steps = positive_int(steps, "steps")
    n_samples = positive_int(n_samples, "n_samples")
    gen = _generator(seed, data.device)
    model.eval()
    if init is None:
        with torch.no_grad():
            mean0, logvar0 = model.encode(data)
    else:
        if not (isinstance(init, (tuple, list)) and len(init) == 2):
            raise ValueError("init must be a pair (mean, logvar) of arrays of shape (n, k), or None")
        mean0, logvar0 = _check_q(model, data.shape[0], *init)
    trainable = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        mean = mean0.detach().clone().requires_grad_(True)
        logvar = logvar0.detach().clone().requires_grad_(True)
        optimiser = torch.optim.Adam([mean, logvar], lr=lr)
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimiser, gamma=0.1 ** (1.0 / steps))
        for _ in range(steps):
            eps = torch.randn(n_samples, *mean.shape, generator=gen, device=data.device)
            z = mean + torch.exp(0.5 * logvar) * eps
            value = model.log_likelihood(data, z).mean(dim=0) - kl_to_prior_logvar(mean, logvar)
            optimiser.zero_grad(set_to_none=True)
            (-value.sum()).backward()
            optimiser.step()
            scheduler.step()
    finally:
        for p, flag in zip(model.parameters(), trainable, strict=True):
            p.requires_grad_(flag)
    return mean.detach().cpu().numpy(), logvar.detach().cpu().numpy()


def grid_posterior_mode(model: VAE, x, grid: int = 300, *, half_width: float = 6.0,
                        images_per_chunk: int = 64) -> np.ndarray:
    r"""The grid point with the largest p_theta(x, z_g) (the largest posterior density) per image, (n, k).

    Accurate to half a cell width, h / grid.  A start for ``fit_gaussian_q`` on the posterior's main mode.
    """
    data = _as_data(model, x)
    grid = positive_int(grid, "grid")
    images_per_chunk = positive_int(images_per_chunk, "images_per_chunk")
    if model.latent_dim > 3:
        raise ValueError(_TOO_LARGE.format(model.latent_dim))
    points, _ = latent_grid(model.latent_dim, grid, half_width)
    logits, base = _grid_terms(model, points, data.device)
    best = np.concatenate([
        torch.argmax(logits @ data[s : s + images_per_chunk].double().T + base[:, None], dim=0).cpu().numpy()
        for s in range(0, data.shape[0], images_per_chunk)
    ])
    return points[best]


def grid_posterior_moments(model: VAE, x, grid: int = 300, *, half_width: float = 6.0,
                           images_per_chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean (n, k) and covariance (n, k, k) of the exact posterior p_theta(z|x) per image, by quadrature.

    The midpoint-grid weights p(z_g|x) Delta^k = softmax_g log p_theta(x, z_g) give E[z|x] and Cov[z|x] as
    weighted sums (a few matrix products per chunk of images).  From the covariance one reads how much a
    *diagonal* q cannot follow: the posterior correlation of z_1 and z_2.  Meant for k = 2.
    """
    data = _as_data(model, x)
    grid = positive_int(grid, "grid")
    images_per_chunk = positive_int(images_per_chunk, "images_per_chunk")
    if model.latent_dim > 3:
        raise ValueError(_TOO_LARGE.format(model.latent_dim))
    points, _ = latent_grid(model.latent_dim, grid, half_width)
    logits, base = _grid_terms(model, points, data.device)
    pts = torch.as_tensor(points, dtype=torch.float64, device=data.device)  # (m, k)
    outer = (pts[:, :, None] * pts[:, None, :]).reshape(len(points), -1)  # (m, k*k): z z^T per point
    means, covs = [], []
    for s in range(0, data.shape[0], images_per_chunk):
        weight = torch.softmax(logits @ data[s : s + images_per_chunk].double().T + base[:, None], dim=0)
        mean = weight.T @ pts  # (c, k)
        second = (weight.T @ outer).reshape(-1, model.latent_dim, model.latent_dim)
        means.append(mean)
        covs.append(second - mean[:, :, None] * mean[:, None, :])
    return torch.cat(means).cpu().numpy(), torch.cat(covs).cpu().numpy()


# ------------------------------------------------------------------------------------------ checkpoints

_FORMAT = "vi-course-vae"


def save(model: VAE, path) -> Path:
    """Write the model's configuration and weights to ``path`` atomically (temporary file + os.replace)."""
    if not isinstance(model, VAE):
        raise ValueError(f"model must be a helpers.vae.VAE, got {type(model).__name__}")
    path = Path(path)
    payload = {"format": _FORMAT, "version": 1, "config": model.config,
               "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}}
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(payload, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path, map_location="cpu") -> VAE:
    """Read a checkpoint written by ``save`` with ``torch.load(..., weights_only=True)``.

    Raises ``ValueError`` saying what is wrong when the file is truncated or corrupt, is not a VAE
    checkpoint, or holds weights that do not fit the architecture it declares.
    """
    path = Path(path)
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a readable checkpoint (truncated or corrupt?): {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ValueError(f"{path} is not a helpers.vae checkpoint (no '{_FORMAT}' format tag)")
    try:
        model = VAE(**payload["config"])
        model.load_state_dict(payload["state_dict"], strict=True)
    except (KeyError, TypeError, RuntimeError) as exc:
        raise ValueError(f"{path}: the weights do not match the architecture it declares: {exc}") from exc
    model.eval()
    return model
