r"""VAE variants that attack the gap: richer q families, the IWAE objective, a KL weight beta and warm-up.

The decoder is ``helpers.vae.VAE``'s (p(z) = N(0, I), Bernoulli pixels), so ``helpers.vae.exact_log_marginal``
gives the exact log p_theta(x) of every variant with a 2-D latent.  What changes is q and the objective.

**q families.**  The encoder emits P numbers per image, ``q_params(x)`` of shape (n, P):

- ``"diagonal"``  (P = 2k): mean and log-variance, q = N(mean, diag exp(logvar)) (notebook 05's q);
- ``"full"``      (P = 2k + k(k-1)/2): mean, the log of the diagonal of a lower-triangular L, and L's entries
  below the diagonal; q = N(mean, L L^T), z = mean + L eps.  Any covariance can be written this way;
- ``"planar"``    (P = 2k + L(2k + 1)): a diagonal Gaussian pushed through L planar layers
  (``helpers.flows``), each image with its own layers.

``sample_q(family, params, eps)`` returns reparameterised z and log q(z|x) for any family, so training,
evaluation and per-image refinement (``helpers.semi_amortised``) share one code path.

**Objectives** (``train_variant``), per image, averaged over a minibatch:

- ``"elbo"``: E_q[log p(x|z)] - beta_t KL(q || p(z)), one draw of z; beta_t rises linearly from 0 to ``beta``
  over ``warmup_epochs`` (KL warm-up).  With beta = 1 it is the ELBO.  The KL is in closed form for the
  diagonal family and a one-draw estimate log q(z|x) - log p(z) otherwise;
- ``"iwae"``: log (1/K) sum_k p(x, z_k) / q(z_k|x), K draws (Burda et al., 2016).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from helpers._validation import binary_batch, positive_int
from helpers.flows import planar_flow_sample
from helpers.logspace import LOG_2PI
from helpers.vae import PARALLEL_WORK_PER_STEP, VAE

__all__ = ["FAMILIES", "n_q_params", "sample_q", "VariantVAE", "VariantHistory", "train_variant",
           "variant_training_threads", "log_weights", "elbo_of", "iwae_of", "kl_per_unit", "active_units",
           "grid_kl_both_ways", "bounds_against_exact", "closing_table"]

FAMILIES = ("diagonal", "full", "planar")
_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU, "softplus": nn.Softplus, "silu": nn.SiLU}


def _mlp(sizes: list[int], activation: str) -> nn.Sequential:
    """Linear layers with ``activation`` between them (none after the last): the encoders' and decoders' shape."""
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def n_q_params(family: str, latent_dim: int, n_flows: int = 0) -> int:
    """How many numbers per image the encoder emits for ``family``."""
    k = positive_int(latent_dim, "latent_dim")
    if family == "diagonal":
        return 2 * k
    if family == "full":
        return 2 * k + k * (k - 1) // 2
    if family == "planar":
        return 2 * k + positive_int(n_flows, "n_flows") * (2 * k + 1)
    raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")


def sample_q(family: str, params: torch.Tensor, eps: torch.Tensor, latent_dim: int):
    r"""Reparameterised draws from q and their log-density: ``(z, log_q)``, shapes (..., n, k) and (..., n).

    ``params`` (n, P) are a family's parameters per image (see the module docstring), ``eps`` (..., n, k)
    standard normal noise.
    """
    k = positive_int(latent_dim, "latent_dim")
    n_flows = (params.shape[-1] - 2 * k) // (2 * k + 1) if family == "planar" else 0
    if params.ndim != 2 or params.shape[1] != n_q_params(family, k, max(1, n_flows)):
        raise ValueError(f"params must have shape (n, P) with P = n_q_params({family!r}, {k}, n_flows), "
                         f"got {tuple(params.shape)}")
    if eps.shape[-2:] != (params.shape[0], k):
        raise ValueError(f"eps must have shape (..., {params.shape[0]}, {k}), got {tuple(eps.shape)}")
    mean = params[:, :k]
    standard = -0.5 * (eps * eps + LOG_2PI).sum(-1)  # log N(eps; 0, I)
    if family == "diagonal":
        logvar = params[:, k : 2 * k]
        return mean + torch.exp(0.5 * logvar) * eps, standard - 0.5 * logvar.sum(-1)
    if family == "full":
        log_diag = params[:, k : 2 * k]
        rows, cols = torch.tril_indices(k, k, offset=-1)
        below = params.new_zeros(params.shape[0], k, k)
        below[:, rows, cols] = params[:, 2 * k :]
        chol = below + torch.diag_embed(torch.exp(log_diag))
        z = mean + torch.einsum("nij,...nj->...ni", chol, eps)
        # |det L| = prod of its diagonal: the density of mean + L eps is N(eps) / |det L|.
        return z, standard - log_diag.sum(-1)
    flow = params[:, 2 * k :].reshape(params.shape[0], n_flows, 2 * k + 1)
    return planar_flow_sample(mean, params[:, k : 2 * k], flow, eps)


class VariantVAE(VAE):
    """``helpers.vae.VAE`` with a choice of q family; the decoder (and so p_theta(x|z)) is unchanged."""

    def __init__(self, data_dim: int, latent_dim: int, hidden_dims=(256, 128), activation: str = "tanh",
                 family: str = "diagonal", n_flows: int = 0):
        super().__init__(data_dim, latent_dim, hidden_dims, activation)
        self.family = family
        self.n_flows = int(n_flows) if family == "planar" else 0
        self.n_params = n_q_params(family, latent_dim, n_flows)
        self.encoder = _mlp([self.data_dim, *self.hidden_dims, self.n_params], activation)
        if family == "planar":
            # Start the flow layers near the identity (u near 0), so training begins near a diagonal Gaussian.
            last: nn.Linear = self.encoder[-1]
            with torch.no_grad():
                last.weight[2 * latent_dim :].mul_(0.1)
                last.bias[2 * latent_dim :].mul_(0.1)

    @property
    def config(self) -> dict:
        return {**super().config, "family": self.family, "n_flows": self.n_flows}

    def q_params(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's q parameters for each image, shape (n, P)."""
        return self.encoder(x)

    def encode(self, x: torch.Tensor):
        if self.family != "diagonal":
            raise ValueError(f"encode() gives a diagonal Gaussian; this model's q is {self.family!r}: "
                             "use q_params() and sample_q()")
        return super().encode(x)

    def log_joint(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p_theta(x, z) = log p_theta(x|z) + log N(z; 0, I), shape (..., n)."""
        return self.log_likelihood(x, z) - 0.5 * (z * z + LOG_2PI).sum(-1)

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None) -> torch.Tensor:
        """A one-sample ELBO per image for any family (the KL estimated by log q - log p(z))."""
        params = self.q_params(x)
        if eps is None:
            eps = torch.randn(x.shape[0], self.latent_dim)
        z, log_q = sample_q(self.family, params, eps, self.latent_dim)
        return self.log_joint(x, z) - log_q


def _data(model: VAE, x, name: str = "x") -> torch.Tensor:
    if not isinstance(model, VariantVAE):
        raise ValueError(f"model must be a helpers.vae_variants.VariantVAE, got {type(model).__name__}")
    return binary_batch(x, model.data_dim, name)


def _gen(seed) -> torch.Generator:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    return torch.Generator().manual_seed(int(seed))


@dataclass
class VariantHistory:
    """Per epoch: the training objective and the closed-form/estimated KL(q || p(z)) (nats per image), beta."""

    objective: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    beta: list[float] = field(default_factory=list)
    seconds: float = field(default=0.0, compare=False)

    @property
    def epochs(self) -> int:
        return len(self.objective)


def variant_training_threads(model: VAE, batch_size: int, k: int = 1) -> int:
    """The intra-op thread count ``train_variant`` uses: ``helpers.vae.training_threads``'s rule (1 thread unless
    batch_size x weights reaches ``PARALLEL_WORK_PER_STEP``, else torch's current count), with the decoder's
    weights counted once per IWAE sample, since each of the k draws per image passes through the decoder.
    For k = 1 it is ``helpers.vae.training_threads(model, batch_size)``."""
    batch_size, k = positive_int(batch_size, "batch_size"), positive_int(k, "k")
    def weights(module):
        return sum(layer.weight.numel() for layer in module.modules() if isinstance(layer, nn.Linear))
    total, decoder = weights(model), weights(model.decoder)
    if batch_size * (total + (k - 1) * decoder) < PARALLEL_WORK_PER_STEP:
        return 1
    return torch.get_num_threads()


def train_variant(model: VariantVAE, x_train, *, objective: str = "elbo", k: int = 1, epochs: int,
                  batch_size: int, lr: float, lr_final: float, seed: int, beta: float = 1.0,
                  warmup_epochs: int = 0, num_threads: int | str | None = "auto") -> VariantHistory:
    r"""Train with Adam on the ``objective`` ("elbo" with KL weight ``beta`` and warm-up, or "iwae" with ``k``
    samples); the step size decays geometrically from ``lr`` to ``lr_final``.  Torch's intra-op thread count is
    ``variant_training_threads`` during training (one thread for the digits VAE's ELBO steps, torch's own count
    for an IWAE step with many samples), restored afterwards; ``num_threads`` overrides it as in
    ``helpers.vae.train`` (an integer sets the count, ``None`` leaves torch's alone).  The same model state, data,
    ``seed`` and thread count give the same history."""
    if objective not in ("elbo", "iwae"):
        raise ValueError(f"objective must be 'elbo' or 'iwae', got {objective!r}")
    k = positive_int(k, "k")
    if objective == "elbo" and k != 1:
        raise ValueError("k is the IWAE sample count: use objective='iwae' for k > 1")
    epochs, batch_size = positive_int(epochs, "epochs"), positive_int(batch_size, "batch_size")
    for name, value in (("lr", lr), ("lr_final", lr_final)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not (isinstance(beta, (int, float)) and math.isfinite(beta) and beta >= 0):
        raise ValueError(f"beta must be a non-negative number, got {beta!r}")
    if isinstance(warmup_epochs, bool) or not isinstance(warmup_epochs, (int, np.integer)) or warmup_epochs < 0:
        raise ValueError(f"warmup_epochs must be a non-negative integer, got {warmup_epochs!r}")
    if objective == "iwae" and (beta != 1.0 or warmup_epochs):
        raise ValueError("beta and warmup_epochs apply to objective='elbo' only")
    if num_threads == "auto":
        num_threads = variant_training_threads(model, batch_size, k)
    elif num_threads is not None:
        num_threads = positive_int(num_threads, "num_threads")
    data = _data(model, x_train, "x_train")
    gen = _gen(seed)
    n, kz = data.shape[0], model.latent_dim
    steps = epochs * math.ceil(n / batch_size)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimiser, gamma=(lr_final / lr) ** (1 / max(1, steps - 1)))
    history = VariantHistory()
    threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    start = time.perf_counter()
    model.train()
    try:
        for epoch in range(epochs):
            beta_t = beta * min(1.0, (epoch + 1) / warmup_epochs) if warmup_epochs else beta
            order = torch.randperm(n, generator=gen)
            total, total_kl = 0.0, 0.0
            for begin in range(0, n, batch_size):
                batch = data[order[begin : begin + batch_size]]
                params = model.q_params(batch)
                eps = torch.randn(k, batch.shape[0], kz, generator=gen)
                z, log_q = sample_q(model.family, params, eps, kz)
                if objective == "iwae":
                    log_w = model.log_joint(batch, z) - log_q  # (k, b)
                    value = torch.logsumexp(log_w, 0) - math.log(k)
                    kl = (log_q + 0.5 * (z * z + LOG_2PI).sum(-1)).mean(0)
                else:
                    if model.family == "diagonal":
                        mean, logvar = params[:, :kz], params[:, kz:]
                        kl = 0.5 * (logvar.exp() + mean**2 - 1.0 - logvar).sum(-1)
                    else:
                        kl = (log_q + 0.5 * (z * z + LOG_2PI).sum(-1))[0]
                    recon = model.log_likelihood(batch, z[0])
                    value = recon - beta_t * kl
                optimiser.zero_grad(set_to_none=True)
                (-value.mean()).backward()
                optimiser.step()
                scheduler.step()
                total += float(value.detach().sum())
                total_kl += float(kl.detach().sum())
            history.objective.append(total / n)
            history.kl.append(total_kl / n)
            history.beta.append(beta_t)
    finally:
        torch.set_num_threads(threads)
        model.eval()
    history.seconds = time.perf_counter() - start
    return history


@torch.no_grad()
def log_weights(model: VariantVAE, x, n_samples: int, *, seed: int = 0, params=None,
                family: str | None = None) -> np.ndarray:
    r"""log w_m = log p_theta(x, z_m) - log q(z_m|x), z_m ~ q, shape (n, M) float64.

    q is the encoder's unless ``params`` (n, P) gives other parameters of the model's family (for
    example a refined q from ``helpers.semi_amortised``), of the model's family or of ``family``.
    Drawn in chunks of bounded memory.
    """
    model.eval()
    data = _data(model, x)
    n_samples = positive_int(n_samples, "n_samples")
    if params is None:
        params = model.q_params(data)
    params = torch.as_tensor(np.asarray(params, dtype=np.float32))
    family = model.family if family is None else family
    if params.ndim != 2 or params.shape[0] != data.shape[0]:
        raise ValueError(f"params must have shape ({data.shape[0]}, P), got {tuple(params.shape)}")
    gen = _gen(seed)
    # About 1e6 floats per layer's activations: small enough to stay in cache (larger chunks were slower), and
    # the draws do not depend on the chunk size (one generator, consumed in order).
    chunk = max(1, (1 << 20) // (data.shape[0] * max(model.data_dim, *model.hidden_dims)))
    out = []
    for start in range(0, n_samples, chunk):
        eps = torch.randn(min(chunk, n_samples - start), data.shape[0], model.latent_dim, generator=gen)
        z, log_q = sample_q(family, params, eps, model.latent_dim)
        out.append((model.log_joint(data, z) - log_q).double())
    return torch.cat(out).T.numpy()


def elbo_of(model: VariantVAE, x, n_samples: int = 1000, *, seed: int = 0, params=None,
            family: str | None = None) -> np.ndarray:
    """ELBO per image (n,): the mean of ``n_samples`` log weights (an unbiased Monte Carlo estimate)."""
    return log_weights(model, x, n_samples, seed=seed, params=params, family=family).mean(axis=1)


def iwae_of(model: VariantVAE, x, k: int, *, seed: int = 0, params=None, family: str | None = None) -> np.ndarray:
    """IWAE_K per image (n,): log mean exp of K log weights."""
    from scipy.special import logsumexp

    lw = log_weights(model, x, k, seed=seed, params=params, family=family)
    return logsumexp(lw, axis=1) - np.log(lw.shape[1])


@torch.no_grad()
def kl_per_unit(model: VariantVAE, x) -> np.ndarray:
    r"""KL(q(z_j|x) || N(0, 1)) per latent unit j, averaged over the images, shape (k,); diagonal q only.

    The closed form 1/2 (exp(v_j) + mu_j^2 - 1 - v_j) summed over units is the KL term of the ELBO.
    """
    if model.family != "diagonal":
        raise ValueError("kl_per_unit needs a diagonal Gaussian q (family='diagonal')")
    mean, logvar = model.encode(_data(model, x))
    return (0.5 * (logvar.exp() + mean**2 - 1.0 - logvar)).double().mean(0).numpy()


@torch.no_grad()
def active_units(model: VariantVAE, x, threshold: float = 0.01) -> tuple[int, np.ndarray]:
    r"""Burda et al.'s activity of each latent unit, A_j = Var_x(E_q[z_j | x]), and the count above ``threshold``.

    A unit whose mean does not move with x carries no information about x: its q is the same for every
    image, and it pays no KL only if that q is the prior itself (posterior collapse).
    """
    params = model.q_params(_data(model, x))
    activity = params[:, : model.latent_dim].double().var(0, unbiased=True).numpy()
    return int(np.sum(activity > threshold)), activity



def grid_kl_both_ways(model: VAE, x, mean, logvar, grid: int = 300, *, half_width: float = 6.0,
                      images_per_chunk: int = 16, return_log_marginal: bool = False):
    r"""KL(q || p(z|x)) and KL(p(z|x) || q) per image by quadrature (k = 2), q = N(mean, diag exp(logvar)).

    The first (exclusive) is the ELBO's gap; the second (inclusive) is small when q covers the posterior, which
    is what an importance-sampling proposal needs.  Both on the midpoint grid of ``exact_log_marginal``, whose
    log p_theta(x) they need: with ``return_log_marginal=True`` it is returned as a third array, the same
    numbers as ``helpers.vae.exact_log_marginal(model, x, grid, half_width=...)`` without a second pass over
    the grid.  The decoder runs once per grid point; every image is scored with one matrix product.
    """
    from helpers.vae import _grid_terms

    if model.latent_dim != 2:
        raise ValueError(f"grid_kl_both_ways needs a 2-D latent, this model has k = {model.latent_dim}")
    grid = positive_int(grid, "grid")
    images_per_chunk = positive_int(images_per_chunk, "images_per_chunk")
    data = binary_batch(x, model.data_dim, "x")
    mean, logvar = np.asarray(mean, np.float64), np.asarray(logvar, np.float64)
    if mean.shape != (len(data), 2) or logvar.shape != mean.shape:
        raise ValueError(f"mean and logvar must have shape ({len(data)}, 2), got {mean.shape} and {logvar.shape}")
    from helpers.quadrature import latent_grid

    points, width = latent_grid(2, grid, half_width)
    log_cell = 2 * math.log(width)
    logits, base = _grid_terms(model, points, data.device)  # (m, d) and (m,), float64
    pts = torch.as_tensor(points, dtype=torch.float64)
    mean_t, logvar_t = torch.as_tensor(mean), torch.as_tensor(logvar)
    precision = torch.exp(-logvar_t)
    exclusive, inclusive, log_px = (torch.empty(len(data), dtype=torch.float64) for _ in range(3))
    with torch.no_grad():
        for s in range(0, len(data), images_per_chunk):
            sl = slice(s, s + images_per_chunk)
            log_joint = logits @ data[sl].double().T + base[:, None]  # (m, c)
            top = log_joint.max(dim=0).values
            weight = torch.exp(log_joint - top)  # one exp gives both log p(x) and the posterior's cell masses
            total = weight.sum(0)
            log_px[sl] = top + torch.log(total) + log_cell
            log_post = log_joint - log_px[sl]  # log p(z_g | x)
            # sum_j (z_j - mean_j)^2 / var_j as matrix products: no (m, c, k) temporary.
            mahalanobis = (pts.square() @ precision[sl].T - 2.0 * pts @ (mean_t[sl] * precision[sl]).T
                           + (mean_t[sl].square() * precision[sl]).sum(-1))
            log_q = -0.5 * (mahalanobis + logvar_t[sl].sum(-1) + 2 * LOG_2PI)
            log_ratio = log_q - log_post
            exclusive[sl] = (torch.exp(log_q + log_cell) * log_ratio).sum(0)
            inclusive[sl] = -(weight / total * log_ratio).sum(0)  # p(z_g | x) Delta^2 = weight / total
    if return_log_marginal:
        return exclusive.numpy(), inclusive.numpy(), log_px.numpy()
    return exclusive.numpy(), inclusive.numpy()


def bounds_against_exact(model: VariantVAE, x, *, n_samples: int = 5000, n_elbo: int = 1000, grid: int = 200,
                         check_grid: int = 150, seed: int = 0) -> dict:
    r"""Per image, the three numbers every closing table compares, from one set of draws from the encoder's q.

    - ``elbo``: the mean of the first ``n_elbo`` log weights, and ``elbo_se`` the standard error of its average
      over the images;
    - ``iwae``: IWAE-``n_samples`` (log mean exp of all the log weights), with ``iwae_se_image`` its delta-method
      standard error per image and ``iwae_se`` that of its average;
    - ``exact``: log p_theta(x) by quadrature on a ``grid`` x ``grid`` midpoint grid (2-D latent), and
      ``grid_change`` the largest change on any image when the grid is ``check_grid`` instead (a convergence check).
    """
    from scipy.special import logsumexp

    from helpers.vae import exact_log_marginal

    n_samples, n_elbo = positive_int(n_samples, "n_samples"), positive_int(n_elbo, "n_elbo")
    if n_elbo > n_samples:
        raise ValueError(f"n_elbo must be at most n_samples = {n_samples}, got {n_elbo}")
    lw = log_weights(model, x, n_samples, seed=seed)  # (n, n_samples)
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    exact = exact_log_marginal(model, x, grid=grid)
    iwae_se_image = w.std(axis=1) / (w.mean(axis=1) * np.sqrt(n_samples))
    return {
        "elbo": lw[:, :n_elbo].mean(axis=1),
        "elbo_se": lw[:, :n_elbo].std(axis=1).mean() / np.sqrt(n_elbo * len(lw)),
        "iwae": logsumexp(lw, axis=1) - np.log(n_samples),
        "iwae_se_image": iwae_se_image,
        "iwae_se": np.sqrt(np.sum(iwae_se_image**2)) / len(lw),
        "exact": exact,
        "grid_change": np.abs(exact - exact_log_marginal(model, x, grid=check_grid)).max(),
    }


CLOSING_COLUMNS = ("method", "train s", "ELBO", "IWAE-5000", "exact", "approx.", "amort.")


def closing_table(rows, *, approx_label: str = "approx.") -> str:
    """The closing table of notebooks 07-11 as aligned text, one line per method.

    Each row is (name, training seconds, ELBO, IWAE-5000, exact log p(x), approximation gap, amortisation gap):
    seconds print with one decimal and nats with three; NaN prints as "–" (no such number for the row) and a
    string as it is (``"n/a, 8-D"``). ``approx_label`` heads the approximation column (``"approx. ≥"`` where only
    a lower bound is known). Every column is as wide as its widest entry.
    """
    columns = (*CLOSING_COLUMNS[:5], approx_label, CLOSING_COLUMNS[6])
    table = [list(columns)]
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"each row must have {len(columns)} entries {columns}, got {len(row)}: {row!r}")
        name, seconds, *values = row
        cells = [str(name), f"{seconds:.1f}"]
        for v in values:
            cells.append(v if isinstance(v, str) else "–" if np.isnan(v) else f"{v:.3f}")
        table.append(cells)
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    return "\n".join(" ".join([line[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(line[1:], widths[1:],
                                                                                        strict=True)])
                     for line in table)
