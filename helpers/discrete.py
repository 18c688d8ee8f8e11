r"""Discrete latent variables: exact sums, their exponential cost, and gradient estimators.

When z is discrete the marginal is a sum, p_θ(x) = Σ_z p(z) p_θ(x|z), computed in log space as
logsumexp_z log p_θ(x, z).  Three settings are covered:

- **A mixture** (z ∈ {1..J}, J components): the sum has J terms, so log p(x) and its gradient are exact
  and cheap.  ``gaussian_mixture_log_marginal``, ``mixture_responsibilities`` and ``mixture_fisher_gradient``
  (the discrete Fisher identity ∇_θ log p_θ(x) = Σ_j p_θ(z=j|x) ∇_θ log p_θ(x, z=j)).
- **Structured binary latents** (z ∈ {0,1}^D): the sum has 2^D terms.  ``binary_states`` enumerates
  them in order, ``log_sum_over_states`` sums any log-joint over them in chunks with a running
  logsumexp (bounded memory), and ``SigmoidBeliefNet`` is a small model to sum over.
- **Gradients of E_{q_φ(z)}[f(z)]** for a factorised Bernoulli q_φ(z) = Π_j Bern(z_j; sigm(φ_j)), sigm the
  logistic function 1 / (1 + e^{−t}) (σ is kept for standard deviations):
  exact by enumeration (``exact_bernoulli_expectation_gradient``), the score-function estimator
  (``score_function_gradient``) and the Gumbel-softmax / binary Concrete relaxation
  (``gumbel_softmax_gradient``), both batched over R independent repeats of M samples each.

Everything that needs autograd is PyTorch float64; estimator outputs are returned as NumPy arrays.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from helpers._validation import positive_int
from helpers.logspace import LOG_2PI

__all__ = [
    "MAX_ENUMERATION_BITS",
    "binary_states",
    "log_sum_over_states",
    "SigmoidBeliefNet",
    "gaussian_mixture_log_marginal",
    "sample_gaussian_mixture",
    "mixture_responsibilities",
    "mixture_fisher_gradient",
    "time_exact_enumeration",
    "fit_exponential_cost",
    "bernoulli_log_prob",
    "exact_bernoulli_expectation_gradient",
    "score_function_gradient",
    "relaxed_bernoulli_sample",
    "gumbel_softmax_gradient",
    "gradient_estimator_summary",
]

#: Enumeration is refused beyond this many binary latents: 2^30 ≈ 1.1e9 states would take many minutes.
MAX_ENUMERATION_BITS = 30

DTYPE = torch.float64


# ----------------------------------------------------------------------------- argument checks
def _as_tensor(value, name: str, ndim: int | tuple[int, ...] | None = None) -> torch.Tensor:
    """``value`` as a finite float64 tensor (keeping autograd history if it is already float64)."""
    try:
        t = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of real numbers, got {type(value).__name__}") from exc
    if t.dtype != DTYPE:
        t = t.to(DTYPE)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if t.ndim not in allowed:
            want = " or ".join(f"{n}-D" for n in allowed)
            raise ValueError(f"{name} must be {want}, got shape {tuple(t.shape)}")
    if not bool(torch.isfinite(t.detach()).all()):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return t


def _check_bits(num_latents) -> int:
    num_latents = positive_int(num_latents, "num_latents")
    if num_latents > MAX_ENUMERATION_BITS:
        raise ValueError(
            f"num_latents = {num_latents} means 2^{num_latents} states, more than this helper enumerates "
            f"(at most 2^{MAX_ENUMERATION_BITS}); that exponential cost is the point being taught"
        )
    return num_latents


def _generator(seed) -> torch.Generator:
    """A ``torch.Generator`` from an int seed or an existing generator."""
    if isinstance(seed, torch.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return torch.Generator().manual_seed(int(seed))
    raise ValueError(f"generator must be a torch.Generator or an integer seed, got {type(seed).__name__}")


def _check_logits(logits) -> torch.Tensor:
    logits = _as_tensor(logits, "logits", ndim=1)
    if logits.numel() == 0:
        raise ValueError("logits must have at least one entry")
    return logits.detach()


def _check_temperature(temperature) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.integer, np.floating)):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    return float(temperature)


# ----------------------------------------------------------------------------- enumeration
def binary_states(num_latents: int, start: int = 0, stop: int | None = None) -> torch.Tensor:
    r"""Rows ``start .. stop-1`` of the table of all 2^D binary states, shape (stop - start, D), float64.

    State i is the binary expansion of i with z_1 the most significant bit, so the full table is in the
    order of ``itertools.product([0, 1], repeat=D)``.  Building only a slice lets a caller walk through
    2^D states without ever holding them all.
    """
    d = _check_bits(num_latents)
    n = 2**d
    stop = n if stop is None else stop
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start <= n:
        raise ValueError(f"start must be an integer in [0, 2^{d}], got {start!r}")
    if isinstance(stop, bool) or not isinstance(stop, (int, np.integer)) or not start <= stop <= n:
        raise ValueError(f"stop must be an integer in [start, 2^{d}] = [{start}, {n}], got {stop!r}")
    index = torch.arange(int(start), int(stop), dtype=torch.int64)
    shifts = torch.arange(d - 1, -1, -1, dtype=torch.int64)
    return ((index[:, None] >> shifts) & 1).to(DTYPE)


def log_sum_over_states(
    log_joint: Callable[[torch.Tensor], torch.Tensor],
    num_latents: int,
    chunk_size: int = 65_536,
) -> torch.Tensor:
    r"""log Σ_{z ∈ {0,1}^D} exp(log_joint(z)), exactly, visiting the 2^D states in chunks.

    ``log_joint`` maps states of shape (m, D) to values of shape (m,) or (m, n) (n data points at once).
    Each chunk is reduced with ``logsumexp`` and folded into a running total with ``logaddexp``, so
    memory is O(chunk_size · D) whatever D is; the time is still proportional to 2^D.
    Returns a 0-D tensor or a tensor of shape (n,) (differentiable if ``log_joint`` is).
    """
    d = _check_bits(num_latents)
    chunk_size = positive_int(chunk_size, "chunk_size")
    n_states = 2**d
    total = None
    for begin in range(0, n_states, chunk_size):
        end = min(begin + chunk_size, n_states)
        values = log_joint(binary_states(d, begin, end))
        m = end - begin
        if not isinstance(values, torch.Tensor) or values.ndim not in (1, 2) or values.shape[0] != m:
            shape = tuple(values.shape) if hasattr(values, "shape") else type(values).__name__
            raise ValueError(
                f"log_joint must return a tensor with one value per state along axis 0, shape ({m},) "
                f"or ({m}, n), got {shape}"
            )
        partial = torch.logsumexp(values.to(DTYPE), dim=0)
        total = partial if total is None else torch.logaddexp(total, partial)
    return total


class SigmoidBeliefNet:
    r"""A one-layer sigmoid belief net with D binary latents and d binary pixels.

    Generative story (sigm is the logistic function)::

        z_j ~ Bernoulli(sigm(a_j))                    j = 1..D, independently
        x | z ~ Bernoulli(sigm(u)), u = W z + c       each of the d pixels independently given z

    so log p(x, z) = Σ_j [z_j a_j − softplus(a_j)] + Σ_pixels [x u − softplus(u)].
    The formula is also defined for z in [0, 1]^D, which the Gumbel-softmax relaxation uses.

    Parameters: ``prior_logits`` a (D,), ``weights`` W (d, D), ``bias`` c (d,); float64 tensors.
    """

    def __init__(self, prior_logits, weights, bias):
        self.prior_logits = _as_tensor(prior_logits, "prior_logits", ndim=1)
        self.weights = _as_tensor(weights, "weights", ndim=2)
        self.bias = _as_tensor(bias, "bias", ndim=1)
        p, d = self.weights.shape
        if d != self.prior_logits.shape[0]:
            raise ValueError(f"weights must have shape (d, {self.prior_logits.shape[0]}) to match "
                             f"prior_logits, got {tuple(self.weights.shape)}")
        if self.bias.shape != (p,):
            raise ValueError(f"bias must have shape ({p},) to match weights, got {tuple(self.bias.shape)}")
        self.num_latents, self.data_dim = d, p

    def __repr__(self) -> str:
        return f"SigmoidBeliefNet(num_latents={self.num_latents}, data_dim={self.data_dim})"

    @classmethod
    def random(cls, num_latents: int, data_dim: int, generator=0,
               weight_scale: float = 2.0) -> SigmoidBeliefNet:
        """A model with W ~ N(0, weight_scale^2), a ~ N(0, 1), c ~ N(0, 1): a posterior far from uniform."""
        g = _generator(generator)
        d, p = positive_int(num_latents, "num_latents"), positive_int(data_dim, "data_dim")
        return cls(torch.randn(d, generator=g, dtype=DTYPE),
                   weight_scale * torch.randn(p, d, generator=g, dtype=DTYPE),
                   torch.randn(p, generator=g, dtype=DTYPE))

    def _check_z(self, z) -> torch.Tensor:
        z = _as_tensor(z, "z")
        if z.ndim == 0 or z.shape[-1] != self.num_latents:
            raise ValueError(f"z must have last dimension {self.num_latents}, got shape {tuple(z.shape)}")
        return z

    def _check_x(self, x) -> torch.Tensor:
        x = _as_tensor(x, "x")
        if x.ndim == 0 or x.shape[-1] != self.data_dim:
            raise ValueError(f"x must have last dimension {self.data_dim}, got shape {tuple(x.shape)}")
        return x

    def log_prior(self, z) -> torch.Tensor:
        """log p(z), summed over the D latents: shape z.shape[:-1]."""
        return self._log_prior(self._check_z(z))

    def log_likelihood(self, x, z) -> torch.Tensor:
        """log p(x|z), summed over the d pixels; x (..., d) and z (..., D) broadcast."""
        return self._log_likelihood(self._check_x(x), self._check_z(z))

    def log_joint(self, x, z) -> torch.Tensor:
        """log p(x, z) = log p(z) + log p(x|z); x (..., d) and z (..., D) broadcast."""
        x, z = self._check_x(x), self._check_z(z)
        return self._log_prior(z) + self._log_likelihood(x, z)

    # Unchecked versions for the enumeration loop, where the states are known to be valid.
    def _log_prior(self, z: torch.Tensor) -> torch.Tensor:
        a = self.prior_logits
        return z @ a - F.softplus(a).sum()

    def _log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        u = z @ self.weights.T + self.bias
        return (x * u - F.softplus(u)).sum(-1)

    def sample(self, n: int, generator=0) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``n`` pairs (z, x) from the model: tensors of shape (n, D) and (n, d)."""
        n = positive_int(n, "n")
        g = _generator(generator)
        z = torch.bernoulli(torch.sigmoid(self.prior_logits).expand(n, -1), generator=g)
        x = torch.bernoulli(torch.sigmoid(z @ self.weights.T + self.bias), generator=g)
        return z, x

    def log_marginal(self, x, chunk_size: int = 65_536) -> torch.Tensor:
        """log p(x) = log Σ_z p(z) p(x|z) by exact enumeration of the 2^D states; x (d,) or (n, d)."""
        x = self._check_x(x)
        if x.ndim > 2:
            raise ValueError(f"x must be (d,) or (n, d), got shape {tuple(x.shape)}")
        if x.ndim == 1:
            def log_joint(z):
                return self._log_prior(z) + self._log_likelihood(x, z)
        else:
            def log_joint(z):
                # States (s, 1, D) against data (1, n, d): values of shape (s, n).
                return self._log_prior(z)[:, None] + self._log_likelihood(x[None], z[:, None])
        return log_sum_over_states(log_joint, self.num_latents, chunk_size)


# ----------------------------------------------------------------------------- Gaussian mixture
def _check_mixture(x, logits, means, covs):
    logits = _as_tensor(logits, "logits", ndim=1)
    means = _as_tensor(means, "means", ndim=2)
    covs = _as_tensor(covs, "covs", ndim=3)
    k, d = means.shape
    if logits.shape != (k,):
        raise ValueError(f"logits must have shape ({k},), one per component of means {tuple(means.shape)}, "
                         f"got {tuple(logits.shape)}")
    if covs.shape != (k, d, d):
        raise ValueError(f"covs must have shape ({k}, {d}, {d}), got {tuple(covs.shape)}")
    if not torch.allclose(covs.detach(), covs.detach().transpose(-1, -2), rtol=0.0, atol=1e-10):
        raise ValueError("covs must be symmetric matrices")
    chol, info = torch.linalg.cholesky_ex(covs)
    if bool((info > 0).any()):
        bad = int(torch.nonzero(info > 0)[0, 0])
        raise ValueError(f"covs must be positive definite; covs[{bad}] is not "
                         "(its Cholesky factorisation failed)")
    if x is None:
        return None, logits, means, chol
    x = _as_tensor(x, "x", ndim=(1, 2))
    if x.shape[-1] != d:
        raise ValueError(f"x must have last dimension {d} to match means, got shape {tuple(x.shape)}")
    return x.reshape(-1, d), logits, means, chol


def _component_log_densities(x, means, chol) -> torch.Tensor:
    """log N(x_i; μ_j, L_j L_jᵀ) for every point i and component j: shape (n, J)."""
    d = means.shape[1]
    diff = (x[None, :, :] - means[:, None, :]).transpose(-1, -2)  # (J, d, n)
    white = torch.linalg.solve_triangular(chol, diff, upper=False)  # L_j^{-1}(x - μ_j)
    maha = (white**2).sum(-2)  # (J, n)
    half_log_det = torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)  # (J,)
    return (-0.5 * maha - half_log_det[:, None] - 0.5 * d * LOG_2PI).T


def gaussian_mixture_log_marginal(x, logits, means, covs) -> torch.Tensor:
    r"""log p(x) = logsumexp_j [log π_j + log N(x; μ_j, Σ_j)] with π = softmax(logits), J components.

    ``x`` (n, d) or (d,); ``logits`` (J,); ``means`` (J, d); ``covs`` (J, d, d) covariances.
    Returns shape (n,) (a 1-element tensor for a single point).  Differentiable in every argument.
    """
    x, logits, means, chol = _check_mixture(x, logits, means, covs)
    return torch.logsumexp(torch.log_softmax(logits, 0) + _component_log_densities(x, means, chol), dim=1)


def sample_gaussian_mixture(n: int, logits, means, covs, generator=0) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Draw ``n`` pairs (z, x): z ~ Categorical(softmax(logits)), x | z ~ N(μ_z, Σ_z).

    Returns component labels of shape (n,) (int64) and points of shape (n, d).
    """
    n = positive_int(n, "n")
    _, logits, means, chol = _check_mixture(None, logits, means, covs)
    g = _generator(generator)
    with torch.no_grad():
        z = torch.multinomial(torch.softmax(logits, 0), n, replacement=True, generator=g)
        eps = torch.randn(n, means.shape[1], generator=g, dtype=DTYPE)
        x = means[z] + (chol[z] @ eps[:, :, None])[:, :, 0]
    return z, x


def mixture_responsibilities(x, logits, means, covs) -> torch.Tensor:
    r"""Posterior over the component, r_{ij} = p(z=j | x_i) = π_j N(x_i; μ_j, Σ_j) / p(x_i): shape (n, J)."""
    x, logits, means, chol = _check_mixture(x, logits, means, covs)
    return torch.softmax(torch.log_softmax(logits, 0) + _component_log_densities(x, means, chol), dim=1)


def mixture_fisher_gradient(x, logits, means, covs) -> tuple[torch.Tensor, torch.Tensor]:
    r"""∇ of Σ_n log p(x_n) w.r.t. (logits, means) by the discrete Fisher identity, no autograd.

    ∇_θ log p_θ(x) = Σ_j p(z=j|x) ∇_θ log p_θ(x, z=j).  The prior π = softmax(logits) has parameters
    too, so the *joint* log p(x, z) is differentiated:
        ∇_{logits} log π_j = e_j − π          ⇒  Σ_i (r_i − π)
        ∇_{μ_j} log N(x; μ_j, Σ_j) = Σ_j^{-1}(x − μ_j)  ⇒  Σ_i r_{ij} Σ_j^{-1}(x_i − μ_j)
    Returns ``(grad_logits (J,), grad_means (J, d))``.
    """
    with torch.no_grad():
        x, logits, means, chol = _check_mixture(x, logits, means, covs)
        r = torch.softmax(torch.log_softmax(logits, 0) + _component_log_densities(x, means, chol), dim=1)
        grad_logits = (r - torch.softmax(logits, 0)).sum(0)
        diff = (x[None, :, :] - means[:, None, :]).transpose(-1, -2)  # (J, d, n)
        precision_diff = torch.cholesky_solve(diff, chol)  # Σ_j^{-1}(x_i − μ_j), (J, d, n)
        grad_means = (precision_diff * r.T[:, None, :]).sum(-1)
    return grad_logits, grad_means


def time_exact_enumeration(num_latents_list, data_dim: int = 20, chunk_size: int = 65_536, rounds: int = 3,
                           generator=0, num_threads: int = 1) -> np.ndarray:
    r"""Wall-clock seconds of one exact log p(x) by enumeration, for a random ``SigmoidBeliefNet`` per D.

    The whole list is timed ``rounds`` times, round after round, and the fastest run of each D is kept:
    interleaving spreads a burst of load from other processes over different D instead of spoiling one, and
    the minimum discards it (load only ever slows a run down).  Returns shape (len(list),).
    Timings depend on the machine and its load: they are measurements, not reproducible numbers.
    PyTorch runs on ``num_threads`` threads meanwhile (default 1, so that the time is that of the sum, not of
    threads waiting for each other on a CPU shared with other work).
    """
    g = _generator(generator)
    rounds = positive_int(rounds, "rounds")
    dims = [_check_bits(d) for d in num_latents_list]
    problems = []
    for d in dims:
        model = SigmoidBeliefNet.random(d, positive_int(data_dim, "data_dim"), generator=g)
        problems.append((model, model.sample(1, generator=g)[1][0]))
    best = np.full(len(dims), np.inf)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(positive_int(num_threads, "num_threads"))
    try:
        for _ in range(rounds):
            for i, (model, x) in enumerate(problems):
                start = time.perf_counter()
                model.log_marginal(x, chunk_size=chunk_size)
                best[i] = min(best[i], time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous_threads)
    return best


def fit_exponential_cost(num_latents, seconds) -> tuple[float, float]:
    r"""Least-squares fit of log2 t = α + β D: returns ``(alpha, beta)``.

    For enumeration β ≈ 1 (each extra binary latent doubles the work) plus a little for the O(D) cost of
    each state.  Predicted time at D: 2^(α + β D); largest D within t seconds: (log2 t − α) / β.
    """
    d = np.asarray(num_latents, dtype=np.float64)
    t = np.asarray(seconds, dtype=np.float64)
    if d.ndim != 1 or d.shape != t.shape or d.size < 2:
        raise ValueError(f"num_latents and seconds must be 1-D of one length >= 2, got {d.shape}, {t.shape}")
    if not (np.all(np.isfinite(t)) and np.all(t > 0)):
        raise ValueError("seconds must be positive and finite")
    beta, alpha = np.polyfit(d, np.log2(t), 1)
    return float(alpha), float(beta)


# ----------------------------------------------------------------------------- gradient estimators
def bernoulli_log_prob(z, logits) -> torch.Tensor:
    r"""log q_φ(z) = Σ_j [z_j log sigm(φ_j) + (1 − z_j) log sigm(−φ_j)] = Σ_j [z_j φ_j − softplus(φ_j)]."""
    return (z * logits - F.softplus(logits)).sum(-1)


def _evaluate(f, z: torch.Tensor, name: str) -> torch.Tensor:
    values = f(z)
    if not isinstance(values, torch.Tensor) or tuple(values.shape) != tuple(z.shape[:-1]):
        shape = tuple(values.shape) if hasattr(values, "shape") else type(values).__name__
        raise ValueError(f"f must map states of shape {tuple(z.shape)} to a tensor of shape "
                         f"{tuple(z.shape[:-1])} ({name}), got {shape}")
    return values.to(DTYPE)


def exact_bernoulli_expectation_gradient(f, logits, chunk_size: int = 65_536) -> tuple[float, np.ndarray]:
    r"""E_{q_φ}[f(z)] and its gradient w.r.t. φ, exactly, by summing over all 2^D states.

    E = Σ_z q_φ(z) f(z).  The gradient is taken by autograd through the sum, chunk by chunk (q_φ(z) is a
    probability in [0, 1], so exponentiating log q_φ(z) is safe for the D this enumerates).
    ``f`` maps states (m, D) to values (m,).  Returns ``(value, gradient of shape (D,))``.
    """
    logits = _check_logits(logits)
    d = _check_bits(logits.shape[0])
    chunk_size = positive_int(chunk_size, "chunk_size")
    phi = logits.clone().requires_grad_(True)
    value = 0.0
    for begin in range(0, 2**d, chunk_size):
        z = binary_states(d, begin, min(begin + chunk_size, 2**d))
        with torch.no_grad():
            fz = _evaluate(f, z, "one value per state")
        part = (torch.exp(bernoulli_log_prob(z, phi)) * fz).sum()
        part.backward()
        value += float(part.detach())
    return value, phi.grad.detach().numpy().copy()


def score_function_gradient(f, logits, n_samples: int, n_repeats: int = 1, baseline=None,
                            generator=0) -> np.ndarray:
    r"""R independent score-function (REINFORCE) estimates of ∇_φ E_{q_φ}[f(z)]: array (R, D).

    Each estimate averages M = ``n_samples`` samples z_m ~ q_φ:
    ĝ = (1/M) Σ_m (f(z_m) − b_m) ∇_φ log q_φ(z_m),  with ∇_{φ_j} log q_φ(z) = z_j − sigm(φ_j).  ``baseline``:
      - ``None``: b_m = 0;
      - a number: a constant b_m = b (unbiased because E_q[∇_φ log q_φ] = 0);
      - ``"leave_one_out"``: b_m = mean of f over the other M − 1 samples of the same repeat
        (independent of z_m, hence still unbiased; needs M ≥ 2).
    """
    logits = _check_logits(logits)
    s = positive_int(n_samples, "n_samples")
    r = positive_int(n_repeats, "n_repeats")
    if baseline == "leave_one_out" and s < 2:
        raise ValueError("n_samples must be at least 2 for the leave_one_out baseline")
    if not (baseline is None or baseline == "leave_one_out"
            or (isinstance(baseline, (int, float, np.integer, np.floating)) and not isinstance(baseline, bool)
                and np.isfinite(baseline))):
        raise ValueError(f"baseline must be None, a finite number or 'leave_one_out', got {baseline!r}")
    g = _generator(generator)
    probs = torch.sigmoid(logits)
    with torch.no_grad():
        z = torch.bernoulli(probs.expand(r, s, -1), generator=g)
        fz = _evaluate(f, z, "one value per sample")
        if baseline == "leave_one_out":
            b = (fz.sum(-1, keepdim=True) - fz) / (s - 1)
        else:
            b = 0.0 if baseline is None else float(baseline)
        score = z - probs  # ∇_φ log q_φ(z), (R, M, D)
        estimates = ((fz - b)[..., None] * score).mean(1)
    return estimates.numpy()


def relaxed_bernoulli_sample(logits, temperature: float, shape: tuple[int, ...] = (),
                             generator=0) -> torch.Tensor:
    r"""Binary Concrete (two-class Gumbel-softmax) samples z̃ = sigm((φ + L)/τ), L = log U − log(1 − U).

    L is Logistic(0, 1), the difference of two Gumbel(0, 1) variables, so as τ → 0 z̃ → 1[φ + L > 0],
    which is exactly Bernoulli(sigm(φ)).  Differentiable in ``logits``; output shape ``shape + (D,)``.
    """
    tau = _check_temperature(temperature)
    logits = _as_tensor(logits, "logits", ndim=1)
    return _relax(logits, _uniform((*shape, logits.shape[0]), _generator(generator)), tau)


def _uniform(shape, generator: torch.Generator) -> torch.Tensor:
    # Keep U inside (0, 1) so the logistic noise log U - log(1 - U) is finite.
    return torch.rand(*shape, generator=generator, dtype=DTYPE).clamp(1e-12, 1.0 - 1e-12)


def _relax(logits: torch.Tensor, u: torch.Tensor, tau: float) -> torch.Tensor:
    return torch.sigmoid((logits + torch.log(u) - torch.log1p(-u)) / tau)


def gumbel_softmax_gradient(f, logits, temperature: float, n_samples: int, n_repeats: int = 1,
                            generator=0) -> np.ndarray:
    r"""R Gumbel-softmax (relaxed, reparameterised) estimates of ∇_φ E_{q_φ}[f(z)]: array (R, D).

    Each estimate is ∇_φ (1/M) Σ_m f(z̃_m) with z̃_m = sigm((φ + L_m)/τ), M = ``n_samples``, differentiated by
    autograd along the sample path.  ``f`` must accept relaxed states in [0, 1]^D.  It is an unbiased estimate
    of the gradient of E[f(z̃)], not of E_q[f(z)]: the bias vanishes as τ → 0 while the variance grows
    (roughly like 1/τ).
    """
    logits = _check_logits(logits)
    tau = _check_temperature(temperature)
    s = positive_int(n_samples, "n_samples")
    r = positive_int(n_repeats, "n_repeats")
    # One copy of φ per repeat, so one backward pass gives all R gradients at once.
    phi = logits.expand(r, -1).clone().requires_grad_(True)
    u = _uniform((r, s, logits.shape[0]), _generator(generator))
    z_relaxed = _relax(phi[:, None, :], u, tau)
    fz = _evaluate(f, z_relaxed, "one value per relaxed sample")
    fz.mean(1).sum().backward()
    return phi.grad.detach().numpy().copy()


def gradient_estimator_summary(estimates, exact) -> dict[str, float]:
    r"""Bias, variance and error of R gradient estimates (R, D) against the exact gradient (D,).

    Returns, summed over the D coordinates and relative to |exact|²:
      ``variance``  tr Cov(ĝ) (unbiased sample variance over the R repeats);
      ``bias2``     |mean ĝ − g|² − variance / R, an unbiased estimate of the squared bias (may dip below 0
                    by noise when the bias is tiny);
      ``bias2_se``  its standard error (delta method), to judge whether a bias is resolved at all;
      ``mse``       mean over repeats of |ĝ − g|² = bias² + variance.
    """
    est = np.asarray(estimates, dtype=np.float64)
    g = np.asarray(exact, dtype=np.float64)
    if est.ndim != 2 or g.ndim != 1 or est.shape[1] != g.shape[0]:
        raise ValueError(f"estimates must be (R, D) and exact (D,), got {est.shape} and {g.shape}")
    if est.shape[0] < 2:
        raise ValueError("estimates must hold at least 2 repeats to measure a variance")
    norm2 = float(g @ g)
    if norm2 == 0.0:
        raise ValueError("exact must be a non-zero gradient (errors are reported relative to |exact|^2)")
    r = est.shape[0]
    var = est.var(axis=0, ddof=1)
    delta = est.mean(axis=0) - g
    bias2 = float(delta @ delta - var.sum() / r)
    # Var of |mean - g|^2 ≈ Σ_j 4 δ_j² var_j / R + 2 var_j² / R²  (Gaussian mean, delta method).
    bias2_se = float(np.sqrt(np.sum(4.0 * delta**2 * var / r + 2.0 * var**2 / r**2)))
    mse = float(np.mean(np.sum((est - g) ** 2, axis=1)))
    return {"variance": float(var.sum()) / norm2, "bias2": bias2 / norm2, "bias2_se": bias2_se / norm2,
            "mse": mse / norm2}
