r"""Grid quadrature of log p(x) = log \int p(x, z) dz over a low-dimensional latent z.

The integral is approximated by the midpoint rule on a tensor grid of G points per axis over
[-h, h]^k, in log space:  log p(x) ~ logsumexp_g log p(x, z_g) + k log(Delta),  Delta = 2h/G.
For integrands that decay like a Gaussian the rule converges very fast in G, but the number of
evaluations is G^k: the cost grows exponentially with the latent dimension k.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import logsumexp

from helpers._validation import positive_int


def latent_grid(latent_dim: int, n_points: int, half_width: float) -> tuple[np.ndarray, float]:
    """Midpoints of a G^k tensor grid over [-h, h]^k: returns ``(points of shape (G**k, k), cell width)``."""
    latent_dim = positive_int(latent_dim, "latent_dim")
    n_points = positive_int(n_points, "n_points")
    if not np.isfinite(half_width) or half_width <= 0:
        raise ValueError(f"half_width must be a positive number, got {half_width!r}")
    if n_points**latent_dim > 50_000_000:
        raise ValueError(
            f"n_points**latent_dim = {n_points}**{latent_dim} grid points is too many to evaluate; "
            "that exponential cost is the point of this helper"
        )
    width = 2.0 * half_width / n_points
    axis = -half_width + width * (np.arange(n_points) + 0.5)
    mesh = np.meshgrid(*([axis] * latent_dim), indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=-1), width


def grid_log_marginal(
    log_joint: Callable[[np.ndarray], np.ndarray],
    latent_dim: int,
    n_points: int,
    half_width: float = 6.0,
    chunk_size: int = 200_000,
) -> np.ndarray | float:
    r"""log \int exp(log_joint(z)) dz by the midpoint rule on a G^k grid.

    ``log_joint`` maps grid points of shape (m, k) to log p(x, z) of shape (m,) (one data point) or
    (m, n) (n data points at once).  Points are evaluated in chunks of ``chunk_size`` so memory stays
    bounded; the chunks are combined with ``logsumexp``.  Returns a float or an array of shape (n,).
    """
    chunk_size = positive_int(chunk_size, "chunk_size")
    points, width = latent_grid(latent_dim, n_points, half_width)
    partial = []
    for start in range(0, len(points), chunk_size):
        values = np.asarray(log_joint(points[start : start + chunk_size]), dtype=np.float64)
        if values.shape[0] != min(chunk_size, len(points) - start):
            raise ValueError(f"log_joint must return one value per grid point along axis 0, got shape {values.shape}")
        partial.append(logsumexp(values, axis=0))
    out = logsumexp(np.stack(partial), axis=0) + latent_dim * np.log(width)
    return float(out) if np.ndim(out) == 0 else out
