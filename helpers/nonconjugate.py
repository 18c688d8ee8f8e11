r"""A one-dimensional latent model whose posterior no Gaussian can match.

    z ~ p(z) = N(0, 1),        x | z ~ p(x|z) = N(z^2, sigma^2)      (sigma is a standard deviation)

The decoder mean z^2 forgets the sign of z, so for x well above 0 the posterior p(z|x) has two equal modes
near z = +-sqrt(x); for x near or below 0 it is a single, flat-topped, non-Gaussian bump.  There is no closed
form for p(x), but z is one-dimensional, so grid quadrature (``helpers.quadrature``) gives log p(x) to many
digits.  For a Gaussian q = N(m, s^2) the ELBO is computed by Gauss-Hermite quadrature in q's own coordinates
(accurate however narrow or far out q is), and the gap KL(q || p(z|x)) = log p(x) - ELBO is then exact to
quadrature accuracy.  A Gaussian q can cover at most one mode well: the best one keeps a positive gap
(about log 2 when the modes are well separated).

Shapes follow ``helpers.linear_gaussian``: x has shape (..., 1) and z shape (..., 1) in ``log_joint``; the
q-level functions take scalars or arrays for q_mean and q_std (a standard deviation) that broadcast, so a whole
grid of q is scored at once.  ``elbo_terms`` and ``best_gaussian_q`` give q by its mean and covariance, as
``LinearGaussian`` does: the interface of every model the ELBO-gap explorer shows.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from helpers._validation import as_finite_array, as_generator, positive_int
from helpers.gaussian import kl_to_prior
from helpers.logspace import LOG_2PI
from helpers.quadrature import grid_log_marginal

__all__ = ["SquaredLatentModel"]

# Gauss-Hermite rule for E_{N(0,1)}[f(t)] = sum_i w_i f(sqrt(2) t_i) / sqrt(pi); exact for polynomials of
# degree < 2 * 64, and log p(x|z) here is a polynomial of degree 4 in z.
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite.hermgauss(64)
_GH_POINTS = np.sqrt(2.0) * _GH_NODES
_GH_WEIGHTS = _GH_WEIGHTS / np.sqrt(np.pi)


class SquaredLatentModel:
    r"""p(z) = N(0, 1), p(x|z) = N(z^2, noise_std^2): a bimodal posterior for x > 0.

    Parameters
    ----------
    noise_std : float
        Standard deviation sigma of the observation noise (not a variance).
    grid_points, half_width : int, float
        The midpoint grid for log p(x): ``grid_points`` cells over [-half_width, half_width].
    """

    latent_dim = 1
    data_dim = 1

    def __init__(self, noise_std: float = 0.5, grid_points: int = 4000, half_width: float = 8.0):
        if not np.isfinite(noise_std) or noise_std <= 0:
            raise ValueError(f"noise_std must be a positive standard deviation, got {noise_std!r}")
        self.noise_std = float(noise_std)
        self.grid_points = positive_int(grid_points, "grid_points")
        if not np.isfinite(half_width) or half_width <= 0:
            raise ValueError(f"half_width must be a positive number, got {half_width!r}")
        self.half_width = float(half_width)

    def __repr__(self) -> str:
        return f"SquaredLatentModel(noise_std={self.noise_std})"

    # ------------------------------------------------------------- densities
    @staticmethod
    def _check_last(value, name: str) -> np.ndarray:
        arr = as_finite_array(value, name)
        if arr.ndim == 0 or arr.shape[-1] != 1:
            raise ValueError(f"{name} must have shape (..., 1), got {arr.shape}")
        return arr

    def log_prior(self, z) -> np.ndarray:
        """log N(z; 0, 1) for z of shape (..., 1)."""
        z = self._check_last(z, "z")[..., 0]
        return -0.5 * z**2 - 0.5 * LOG_2PI

    def log_likelihood(self, x, z) -> np.ndarray:
        """log N(x; z^2, sigma^2); x (..., 1) and z (..., 1) broadcast over leading axes."""
        x = self._check_last(x, "x")[..., 0]
        z = self._check_last(z, "z")[..., 0]
        return self._log_lik(x, z)

    def _log_lik(self, x, z):
        return -0.5 * ((x - z**2) / self.noise_std) ** 2 - np.log(self.noise_std) - 0.5 * LOG_2PI

    def log_joint(self, x, z) -> np.ndarray:
        """log p(x, z) = log p(x|z) + log p(z), broadcasting like :meth:`log_likelihood`."""
        return self.log_likelihood(x, z) + self.log_prior(z)

    def log_joint_torch(self, x, z):
        """log p(x, z) for a float64 tensor z of shape (..., 1) and one data point x (float or shape (1,))."""
        x = float(np.asarray(x, dtype=np.float64).reshape(-1)[0])
        z = z[..., 0]
        return -0.5 * ((x - z**2) / self.noise_std) ** 2 - 0.5 * z**2 - np.log(self.noise_std) - LOG_2PI

    def sample(self, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` pairs from the joint: returns ``(z, x)``, both of shape (n, 1)."""
        n = positive_int(n, "n")
        rng = as_generator(rng)
        z = rng.standard_normal((n, 1))
        return z, z**2 + self.noise_std * rng.standard_normal((n, 1))

    # ---------------------------------------------------------- exact by grid
    def _x_vector(self, x) -> tuple[np.ndarray, bool]:
        arr = as_finite_array(x, "x")
        if arr.ndim == 2 and arr.shape[1] != 1 or arr.ndim > 2:
            raise ValueError(f"x must be a number, shape (1,), (n,) or (n, 1), got {arr.shape}")
        scalar = arr.ndim == 0 or arr.shape == (1,)
        return arr.reshape(-1), scalar

    def log_marginal(self, x):
        r"""log p(x) = log \int p(x|z) p(z) dz by the midpoint rule (``quadrature.grid_log_marginal``).

        x: a number or shape (1,) (returns a float), or (n,) / (n, 1) (returns an array of n values).
        """
        xs, scalar = self._x_vector(x)
        out = grid_log_marginal(lambda z: self._log_lik(xs[None, :], z) - 0.5 * z**2 - 0.5 * LOG_2PI,
                                1, self.grid_points, self.half_width)
        out = np.atleast_1d(out)
        return float(out[0]) if scalar else out

    def log_posterior(self, z, x) -> np.ndarray:
        """log p(z|x) = log p(x, z) - log p(x) for one data point x and z of shape (..., 1)."""
        return self.log_joint(np.reshape(x, (1,)), z) - self.log_marginal(x)

    def posterior_moments(self, x) -> tuple[float, float]:
        """Mean and variance of p(z|x) for one x, by the same grid as :meth:`log_marginal`."""
        z = np.linspace(-self.half_width, self.half_width, self.grid_points)[:, None]
        log_p = self.log_joint(np.reshape(x, (1,)), z)
        weights = np.exp(log_p - log_p.max())
        weights /= weights.sum()
        mean = float(weights @ z[:, 0])
        return mean, float(weights @ (z[:, 0] - mean) ** 2)

    # -------------------------------------------------------- Gaussian q = N(m, s^2)
    @staticmethod
    def _q_args(q_mean, q_std) -> tuple[np.ndarray, np.ndarray]:
        m = as_finite_array(q_mean, "q_mean")
        s = as_finite_array(q_std, "q_std")
        if np.any(s <= 0):
            raise ValueError("q_std must be positive (a standard deviation)")
        return np.broadcast_arrays(m, s)

    def expected_log_likelihood(self, x, q_mean, q_std):
        r"""E_{N(m, s^2)}[log p(x|z)] by 64-point Gauss-Hermite quadrature; m, s broadcast; x one number."""
        m, s = self._q_args(q_mean, q_std)
        xs, scalar = self._x_vector(x)
        if not scalar:
            raise ValueError(f"x must be one data point here, got shape {np.shape(x)}")
        z = m[..., None] + s[..., None] * _GH_POINTS
        out = self._log_lik(xs[0], z) @ _GH_WEIGHTS
        return float(out) if out.ndim == 0 else out

    def elbo(self, x, q_mean, q_std):
        """ELBO = E_q[log p(x|z)] - KL(q || p(z)) for q = N(m, s^2) (s a standard deviation); m, s broadcast."""
        m, s = self._q_args(q_mean, q_std)
        return self.expected_log_likelihood(x, m, s) - kl_to_prior(m[..., None], (s**2)[..., None, None])

    def gap(self, x, q_mean, q_std, log_px: float | None = None):
        """KL(q || p(z|x)) = log p(x) - ELBO; pass a precomputed ``log_px`` to skip the grid."""
        log_px = self.log_marginal(x) if log_px is None else log_px
        return log_px - self.elbo(x, q_mean, q_std)

    def best_gaussian(self, x) -> tuple[float, float, float]:
        """The Gaussian q = N(m, s^2) with the largest ELBO: returns ``(m, s, gap)`` with m >= 0.

        The posterior is symmetric in z, so the optima come in pairs (m, s) and (-m, s); the one with m >= 0
        is returned.  A coarse grid over (m, log s) finds the global optimum (for x near 1 a wide q between
        the modes beats a narrow q on one mode, and both are local optima), then Nelder-Mead refines it.
        """
        log_px = self.log_marginal(x)
        means, log_stds = np.meshgrid(np.linspace(0.0, 4.0, 81), np.linspace(-5.0, 2.0, 71), indexing="ij")
        start = np.unravel_index(np.argmax(self.elbo(x, means, np.exp(log_stds))), means.shape)

        def loss(params):
            return -self.elbo(x, params[0], np.exp(params[1]))

        res = minimize(loss, np.array([means[start], log_stds[start]]), method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000})
        mean, std = abs(float(res.x[0])), float(np.exp(res.x[1]))
        return mean, std, float(log_px - self.elbo(x, mean, std))

    # ------------------------------------------- the interface the ELBO-gap explorer asks of a model
    @staticmethod
    def _q_std_of(q_mean, q_cov) -> tuple[float, float]:
        """(m, s) of a one-dimensional q given as a mean (1,) and a covariance (1, 1)."""
        q_mean = np.reshape(as_finite_array(q_mean, "q_mean"), -1)
        q_cov = as_finite_array(q_cov, "q_cov")
        if q_mean.shape != (1,) or q_cov.shape != (1, 1):
            raise ValueError(f"q_mean must have shape (1,) and q_cov (1, 1), got {q_mean.shape} and {q_cov.shape}")
        if not q_cov[0, 0] > 0:
            raise ValueError(f"q_cov must be a positive variance, got {q_cov[0, 0]!r}")
        return float(q_mean[0]), float(np.sqrt(q_cov[0, 0]))

    def elbo_terms(self, x, q_mean, q_cov) -> tuple[float, float]:
        """The ELBO's two terms for one x and q = N(q_mean, q_cov): ``(E_q[log p(x|z)], KL(q || p(z)))``.

        The same q as the methods above, given by its covariance (1, 1) like ``LinearGaussian.elbo_terms``.
        """
        m, s = self._q_std_of(q_mean, q_cov)
        return self.expected_log_likelihood(x, m, s), kl_to_prior(np.array([m]), np.array([[s * s]]))

    def best_gaussian_q(self, x) -> tuple[np.ndarray, np.ndarray, float]:
        """:meth:`best_gaussian` as ``(mean (1,), cov (1, 1), gap)``, the form ``LinearGaussian`` returns."""
        mean, std, gap = self.best_gaussian(x)
        return np.array([mean]), np.array([[std**2]]), gap
