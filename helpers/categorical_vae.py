r"""A VAE whose latent is D categorical variables with C values each: small enough to enumerate (C^D states).

Model (theta): p(z) uniform over the C^D states, p_theta(x|z) = prod_t Bernoulli(x_t; sigm(l_t(z))), the logits
l(z) an MLP of the D one-hot codes (concatenated, D*C numbers).  q_phi(z|x) = prod_d Categorical(z_d; pi_d(x)),
the D*C logits from an MLP encoder.

Because the states can be listed, two numbers that are usually out of reach are exact here:

    log p_theta(x) = logsumexp_s [log p_theta(x|s)] - D log C                          (``exact_log_marginal``)
    ELBO(x)        = sum_s q(s|x) log p_theta(x|s) - KL(q || p(z)),
                     KL = sum_d sum_c pi_dc log(C pi_dc)                                (``exact_elbo``)

Training needs a gradient of E_q[...] in phi, which cannot be reparameterised (notebook 06).  ``train_categorical``
offers three estimators:

- ``"relaxed"``: Gumbel-softmax, y_d = softmax((log pi_d + g_d) / tau), g iid Gumbel, fed to the decoder in place
  of the one-hot code; maximises the *relaxed* objective log p(x|y) - KL (biased: y is never a real state);
- ``"straight-through"``: the forward pass uses the one-hot argmax of y, the backward pass the gradient of y;
- ``"score"``: M one-hot draws per image; the score-function estimator with a leave-one-out baseline
  (notebook 06), b_m = mean of the other draws' log p(x|z), so the gradient stays unbiased.

The KL term is in closed form for all three.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from helpers._validation import binary_batch, positive_int
from helpers.vae_variants import _mlp

__all__ = ["CategoricalVAE", "ESTIMATORS", "CategoricalHistory", "train_categorical", "exact_log_marginal",
           "exact_elbo", "all_states", "fit_categorical_q", "iwae_categorical"]

ESTIMATORS = ("relaxed", "straight-through", "score")
_MAX_STATES = 1 << 16


def all_states(n_vars: int, n_values: int) -> torch.Tensor:
    """Every state as D concatenated one-hot codes: shape (C^D, D*C), float32, in lexicographic order."""
    n_vars, n_values = positive_int(n_vars, "n_vars"), positive_int(n_values, "n_values")
    if n_values**n_vars > _MAX_STATES:
        raise ValueError(f"C^D = {n_values}^{n_vars} states is too many to enumerate (limit {_MAX_STATES})")
    return _states(n_vars, n_values).clone()


@functools.lru_cache(maxsize=8)
def _states(n_vars: int, n_values: int) -> torch.Tensor:
    """``all_states``, built once per (D, C): the exact sums ask for it after every training epoch. Read only."""
    index = torch.tensor(list(itertools.product(range(n_values), repeat=n_vars)))
    return F.one_hot(index, n_values).reshape(len(index), n_vars * n_values).float()


class CategoricalVAE(nn.Module):
    """Encoder x -> D*C logits of q_phi(z|x); decoder D*C one-hot codes -> d Bernoulli logits."""

    def __init__(self, data_dim: int, n_vars: int, n_values: int, hidden_dims=(256, 128), activation="tanh"):
        super().__init__()
        self.data_dim = positive_int(data_dim, "data_dim")
        self.n_vars, self.n_values = positive_int(n_vars, "n_vars"), positive_int(n_values, "n_values")
        if isinstance(hidden_dims, (int, np.integer)):
            hidden_dims = (hidden_dims,)
        self.hidden_dims = tuple(positive_int(h, "hidden_dims entries") for h in hidden_dims)
        width = self.n_vars * self.n_values
        self.encoder = _mlp([self.data_dim, *self.hidden_dims, width], activation)
        self.decoder = _mlp([width, *self.hidden_dims[::-1], self.data_dim], activation)

    def q_logits(self, x: torch.Tensor) -> torch.Tensor:
        """log pi(x), normalised per variable: shape (n, D, C)."""
        return F.log_softmax(self.encoder(x).reshape(-1, self.n_vars, self.n_values), dim=-1)

    def log_likelihood(self, x: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """log p_theta(x|z) for codes (..., n, D*C) (one-hot or relaxed): shape (..., n)."""
        logits = self.decoder(codes)
        return -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)

    def kl_to_prior(self, log_pi: torch.Tensor) -> torch.Tensor:
        """KL(q || uniform) = sum_d sum_c pi log(C pi), shape (n,)."""
        return (log_pi.exp() * (log_pi + math.log(self.n_values))).sum((-2, -1))


def _data(model: CategoricalVAE, x, name: str = "x") -> torch.Tensor:
    if not isinstance(model, CategoricalVAE):
        raise ValueError(f"model must be a helpers.categorical_vae.CategoricalVAE, got {type(model).__name__}")
    return binary_batch(x, model.data_dim, name)


@torch.no_grad()
def _state_log_likelihoods(model: CategoricalVAE, data: torch.Tensor):
    """log p_theta(x|s) for every state s (in the order of ``all_states``) and image: (S, n) float64."""
    logits = model.decoder(_states(model.n_vars, model.n_values)).double()
    return logits @ data.double().T - F.softplus(logits).sum(-1, keepdim=True)


@torch.no_grad()
def exact_log_marginal(model: CategoricalVAE, x) -> np.ndarray:
    """log p_theta(x) per image by summing over all C^D states, shape (n,), float64."""
    model.eval()
    log_lik = _state_log_likelihoods(model, _data(model, x))
    return (torch.logsumexp(log_lik, 0) - model.n_vars * math.log(model.n_values)).numpy()


@torch.no_grad()
def exact_elbo(model: CategoricalVAE, x) -> np.ndarray:
    """The ELBO of the encoder's q per image, by summing over all states (no sampling), shape (n,), float64."""
    model.eval()
    data = _data(model, x)
    log_lik = _state_log_likelihoods(model, data)
    log_pi = model.q_logits(data).double()  # (n, D, C)
    return _elbo_from_table(model, log_lik, log_pi).numpy()


@dataclass
class CategoricalHistory:
    """Per epoch: the objective the estimator maximised (training average) and the exact ELBO on ``x_valid``."""

    objective: list[float] = field(default_factory=list)
    valid_elbo: list[float] = field(default_factory=list)
    seconds: float = field(default=0.0, compare=False)


def train_categorical(model: CategoricalVAE, x_train, *, estimator: str, epochs: int, batch_size: int, lr: float,
                      lr_final: float, seed: int, tau: float = 1.0, tau_final: float | None = None,
                      n_samples: int = 4, x_valid=None) -> CategoricalHistory:
    r"""Adam on one of ``ESTIMATORS``; the step size decays from ``lr`` to ``lr_final`` and the temperature from
    ``tau`` to ``tau_final`` (geometrically, per step).  ``n_samples`` draws per image for "score".  With
    ``x_valid`` the exact ELBO on it is recorded after every epoch (time for it excluded).  One thread."""
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    epochs, batch_size = positive_int(epochs, "epochs"), positive_int(batch_size, "batch_size")
    n_samples = positive_int(n_samples, "n_samples")
    tau_final = tau if tau_final is None else tau_final
    for name, value in (("lr", lr), ("lr_final", lr_final), ("tau", tau), ("tau_final", tau_final)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    if estimator == "score" and n_samples < 2:
        raise ValueError("n_samples must be at least 2 for the leave-one-out baseline")
    data = _data(model, x_train, "x_train")
    valid = None if x_valid is None else _data(model, x_valid, "x_valid")
    gen = torch.Generator().manual_seed(int(seed))
    n = data.shape[0]
    steps = epochs * math.ceil(n / batch_size)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    decay = (lr_final / lr) ** (1 / max(1, steps - 1))
    tau_decay = (tau_final / tau) ** (1 / max(1, steps - 1))
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimiser, gamma=decay)
    history = CategoricalHistory()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    seconds, step = 0.0, 0
    try:
        for _ in range(epochs):
            start = time.perf_counter()
            model.train()
            order = torch.randperm(n, generator=gen)
            total = 0.0
            for begin in range(0, n, batch_size):
                batch = data[order[begin : begin + batch_size]]
                temperature = tau * tau_decay**step
                value = _objective(model, batch, estimator, temperature, n_samples, gen)
                optimiser.zero_grad(set_to_none=True)
                (-value[1].mean()).backward()
                optimiser.step()
                scheduler.step()
                total += float(value[0].detach().sum())
                step += 1
            history.objective.append(total / n)
            seconds += time.perf_counter() - start
            if valid is not None:
                history.valid_elbo.append(float(exact_elbo(model, valid).mean()))
    finally:
        torch.set_num_threads(threads)
        model.eval()
    history.seconds = seconds
    return history


def _objective(model, batch, estimator, tau, n_samples, gen):
    """(the value reported, the surrogate whose gradient is the estimator), each per image."""
    log_pi = model.q_logits(batch)  # (b, D, C)
    kl = model.kl_to_prior(log_pi)
    if estimator == "score":
        draws = torch.multinomial(log_pi.detach().exp().reshape(-1, model.n_values), n_samples, replacement=True,
                                  generator=gen)  # (b*D, M)
        codes = F.one_hot(draws.T.reshape(n_samples, len(batch), model.n_vars), model.n_values).float()
        log_lik = model.log_likelihood(batch, codes.reshape(n_samples, len(batch), -1))  # (M, b)
        log_q = (codes * log_pi).sum((-2, -1))  # (M, b)
        baseline = (log_lik.sum(0, keepdim=True) - log_lik) / (n_samples - 1)  # leave-one-out
        surrogate = log_lik + (log_lik - baseline).detach() * log_q
        return log_lik.mean(0) - kl, surrogate.mean(0) - kl
    uniform = torch.rand(log_pi.shape, generator=gen).clamp(1e-10, 1.0 - 1e-7)
    soft = torch.softmax((log_pi - torch.log(-torch.log(uniform))) / tau, dim=-1)  # Gumbel-softmax
    if estimator == "relaxed":
        codes = soft
    else:  # straight-through: the hard one-hot forward, the relaxed gradient backward
        hard = F.one_hot(soft.argmax(-1), model.n_values).float()
        codes = hard - soft.detach() + soft
    value = model.log_likelihood(batch, codes.reshape(len(batch), -1)) - kl
    return value, value


def _elbo_from_table(model: CategoricalVAE, log_lik: torch.Tensor, log_pi: torch.Tensor):
    """Exact ELBO per image from the (S, n) table of log p(x|s) and q's normalised logits (n, D, C)."""
    states = _states(model.n_vars, model.n_values).to(log_pi.dtype)
    log_q = states @ log_pi.reshape(log_pi.shape[0], -1).T  # (S, n): sum_d log pi_d[s_d]
    return (log_q.exp() * log_lik.to(log_pi.dtype)).sum(0) - model.kl_to_prior(log_pi)


def fit_categorical_q(model: CategoricalVAE, x, *, steps: int = 200, lr: float = 0.1,
                      init=None) -> tuple[np.ndarray, np.ndarray]:
    r"""The best factorised categorical q for each image on its own: Adam on the *exact* ELBO (an enumerated
    sum, so its gradient is exact too), theta fixed, from ``init`` logits (n, D, C) or the encoder's.

    Returns ``(log_pi, elbo)``: the normalised logits (n, D, C) and their exact ELBO per image (n,).  With
    q* the result, log p(x) - ELBO(q*) is the approximation gap of the factorised family and
    ELBO(q*) - ELBO(q_phi) the amortisation gap (up to the optimiser finding the best q near its start).
    """
    data = _data(model, x)
    steps = positive_int(steps, "steps")
    model.eval()
    log_lik = _state_log_likelihoods(model, data)
    with torch.no_grad():
        start = model.q_logits(data) if init is None else torch.as_tensor(np.asarray(init, np.float32))
    if start.shape != (data.shape[0], model.n_vars, model.n_values):
        raise ValueError(f"init must have shape ({data.shape[0]}, {model.n_vars}, {model.n_values}), "
                         f"got {tuple(start.shape)}")
    logits = start.double().clone().requires_grad_(True)
    optimiser = torch.optim.Adam([logits], lr=lr)
    best_value = torch.full((data.shape[0],), -torch.inf, dtype=torch.float64)
    best_logits = logits.detach().clone()
    for _ in range(steps + 1):
        value = _elbo_from_table(model, log_lik, F.log_softmax(logits, -1))
        with torch.no_grad():  # keep each image's best q so far: Adam's steps need not climb every time
            better = value > best_value
            best_value = torch.where(better, value, best_value)
            best_logits[better] = logits[better]
        optimiser.zero_grad(set_to_none=True)
        (-value.sum()).backward()
        optimiser.step()
    with torch.no_grad():
        return F.log_softmax(best_logits, -1).numpy(), best_value.numpy()


@torch.no_grad()
def iwae_categorical(model: CategoricalVAE, x, k: int, *, seed: int = 0) -> np.ndarray:
    r"""IWAE_K per image with the encoder's q as proposal, shape (n,): K states drawn from q per image, their
    log p(x|s) looked up in the enumerated table (no extra decoder passes)."""
    data = _data(model, x)
    k = positive_int(k, "k")
    model.eval()
    log_lik = _state_log_likelihoods(model, data)  # (S, n)
    log_pi = model.q_logits(data).double()  # (n, D, C)
    gen = torch.Generator().manual_seed(int(seed))
    draws = torch.multinomial(log_pi.exp().reshape(-1, model.n_values), k, replacement=True, generator=gen)
    draws = draws.reshape(data.shape[0], model.n_vars, k)  # (n, D, K)
    index = torch.zeros(data.shape[0], k, dtype=torch.long)
    for d in range(model.n_vars):  # lexicographic state index, as in all_states
        index = index * model.n_values + draws[:, d]
    log_q = torch.gather(log_pi, 2, draws).sum(1)  # (n, K)
    log_w = torch.gather(log_lik.T, 1, index) - model.n_vars * math.log(model.n_values) - log_q
    return (torch.logsumexp(log_w, 1) - math.log(k)).numpy()
