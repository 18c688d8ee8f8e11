r"""Mixtures of Bernoullis fitted by EM: a latent variable model whose log p(x) is exact.

    z ~ Categorical(pi),   x | z = j ~ prod_d Bernoulli(x_d; mu_jd),
    log p(x) = logsumexp_j [ log pi_j + sum_d x_d log mu_jd + (1 - x_d) log(1 - mu_jd) ].

The latent is discrete with J values, so the integral over z is a sum of J terms: the same model family
as a VAE, but with an exact likelihood, which makes it a baseline measured in the same nats.  J = 1 is
the factorised Bernoulli model (every pixel independent).

EM alternates the exact posterior r_nj = p(z = j | x_n) (E step, a softmax in log space) with the
closed-form maximiser of the expected complete-data log-likelihood (M step).  With ``pseudo_count`` a > 0
each mu_jd has a Beta(a + 1, a + 1) prior (a pseudo-pixels on and a off per component), which keeps
log mu finite on unseen test images; EM then increases the *penalised* objective
sum_n log p(x_n) + a sum_jd [log mu_jd + log(1 - mu_jd)] monotonically (the plain log-likelihood when a = 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from helpers._validation import as_finite_array, as_generator, positive_int

__all__ = ["BernoulliMixture", "fit_bernoulli_mixture", "as_binary"]


def as_binary(x, name: str = "x") -> np.ndarray:
    """Check ``x`` is an (n, d) array of 0/1 and return it as float64."""
    x = as_finite_array(x, name, ndim=2)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, got shape {x.shape}")
    if not np.all((x == 0) | (x == 1)):
        raise ValueError(f"{name} must be binary (every entry 0 or 1)")
    return x


@dataclass
class BernoulliMixture:
    """Mixing weights ``weights`` (J,) and pixel probabilities ``probs`` (J, d) of a Bernoulli mixture.

    ``objective`` holds the (penalised) training objective per EM iteration, in nats per image.
    """

    weights: np.ndarray
    probs: np.ndarray
    pseudo_count: float = 0.0
    objective: list[float] = field(default_factory=list)

    @property
    def n_components(self) -> int:
        return self.probs.shape[0]

    def component_log_likelihood(self, x) -> np.ndarray:
        """log p(x_n | z = j) for every image and component, shape (n, J): two matrix products."""
        x = as_binary(x)
        if x.shape[1] != self.probs.shape[1]:
            raise ValueError(f"x must have {self.probs.shape[1]} columns, got {x.shape[1]}")
        with np.errstate(divide="ignore"):
            log_mu, log_1m = np.log(self.probs), np.log1p(-self.probs)
        return _xlogy_matmul(x, log_mu) + _xlogy_matmul(1.0 - x, log_1m)

    def log_joint(self, x) -> np.ndarray:
        """log p(x_n, z = j) = log pi_j + log p(x_n | z = j), shape (n, J)."""
        with np.errstate(divide="ignore"):
            return np.log(self.weights) + self.component_log_likelihood(x)

    def log_likelihood(self, x) -> np.ndarray:
        """The exact log p(x_n) per image, shape (n,), in nats (a logsumexp over the J components)."""
        return logsumexp(self.log_joint(x), axis=1)

    def responsibilities(self, x) -> np.ndarray:
        """The exact posterior p(z = j | x_n), shape (n, J); rows sum to 1."""
        lj = self.log_joint(x)
        return np.exp(lj - logsumexp(lj, axis=1, keepdims=True))


def _xlogy_matmul(a: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """a @ log_b.T with the convention 0 * (-inf) = 0 (a pixel with probability 0 that is off)."""
    if np.all(np.isfinite(log_b)):
        return a @ log_b.T
    safe = np.where(np.isfinite(log_b), log_b, 0.0)
    out = a @ safe.T
    hits = a @ (~np.isfinite(log_b)).T.astype(np.float64)
    return np.where(hits > 0, -np.inf, out)


def _penalty(probs: np.ndarray, pseudo_count: float) -> float:
    if pseudo_count == 0:
        return 0.0
    return pseudo_count * float(np.sum(np.log(probs) + np.log1p(-probs)))


def fit_bernoulli_mixture(x, n_components: int, *, n_iter: int = 200, tol: float = 1e-6,
                          pseudo_count: float = 1.0, seed=0) -> BernoulliMixture:
    r"""Fit a J-component Bernoulli mixture to binary images ``x`` (n, d) by EM; returns ``BernoulliMixture``.

    Starts from pi uniform and mu_jd ~ Uniform(0.25, 0.75) (seeded), then iterates
      E: r_nj = softmax_j(log pi_j + log p(x_n | j))
      M: N_j = sum_n r_nj,  pi_j = N_j / n,  mu_jd = (sum_n r_nj x_nd + a) / (N_j + 2a)
    until the objective (nats per image) rises by less than ``tol`` or ``n_iter`` iterations.
    """
    x = as_binary(x)
    n_components = positive_int(n_components, "n_components")
    n_iter = positive_int(n_iter, "n_iter")
    if not (np.isfinite(pseudo_count) and pseudo_count >= 0):
        raise ValueError(f"pseudo_count must be a non-negative number, got {pseudo_count!r}")
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a non-negative number, got {tol!r}")
    rng = as_generator(seed, "seed")
    n, d = x.shape
    model = BernoulliMixture(np.full(n_components, 1.0 / n_components),
                             rng.uniform(0.25, 0.75, size=(n_components, d)), float(pseudo_count))
    for _ in range(n_iter + 1):
        log_joint = model.log_joint(x)
        log_px = logsumexp(log_joint, axis=1)
        model.objective.append((float(np.sum(log_px)) + _penalty(model.probs, pseudo_count)) / n)
        obj = model.objective
        if len(obj) > n_iter or (len(obj) > 1 and obj[-1] - obj[-2] < tol):
            break
        resp = np.exp(log_joint - log_px[:, None])
        counts = resp.sum(axis=0)
        model.weights = counts / n
        model.probs = (resp.T @ x + pseudo_count) / (counts[:, None] + 2.0 * pseudo_count)
        if pseudo_count == 0:
            # An empty component would divide 0 by 0: park it at 1/2 with weight 0.
            model.probs = np.where(counts[:, None] > 0, model.probs, 0.5)
    return model
