r"""The linear-Gaussian latent variable model, where every quantity has a closed form.

Generative story (k latent dimensions, d data dimensions)::

    z ~ p(z)       = N(0, I_k)
    x | z ~ p(x|z) = N(A z + b, Sigma)        Sigma is a covariance (variances on its diagonal)

Integrating z out gives the marginal p(x) = N(b, A A^T + Sigma), and Bayes' rule gives a Gaussian
posterior p(z|x) = N(m, S) with precision S^{-1} = I + A^T Sigma^{-1} A and mean
m = S A^T Sigma^{-1} (x - b).  Everything here is computed with Cholesky factors and triangular
solves; no matrix is inverted explicitly.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve, solve_triangular

from helpers._validation import as_finite_array, as_generator, cholesky_of, positive_int
from helpers.gaussian import as_float, covariance_cholesky, gaussian_log_density, kl_to_prior, mean_vector
from helpers.logspace import LOG_2PI


class LinearGaussian:
    r"""p(z) = N(0, I_k), p(x|z) = N(A z + b, Sigma).

    Parameters
    ----------
    A : array (d, k)
        Decoder weights (the "loading matrix").
    b : array (d,)
        Decoder offset, the mean of p(x).
    Sigma : array (d, d)
        Observation-noise **covariance** (symmetric positive definite).

    Derived once and read by other modules (treat them as read-only): ``chol_sigma`` (lower Cholesky factor
    of Sigma), ``chol_marginal`` (of A A^T + Sigma), ``whitened_A`` = L_Sigma^{-1} A, and
    ``chol_posterior_precision`` (of the posterior precision I + A^T Sigma^{-1} A).

    Like every model the ELBO-gap explorer shows, it answers ``log_marginal(x)``, ``log_joint(x, z)``,
    ``best_gaussian_q(x)`` and ``elbo_terms(x, q_mean, q_cov)``.
    """

    def __init__(self, A, b, Sigma):
        A = as_finite_array(A, "A", ndim=2)
        d, k = A.shape
        if d == 0 or k == 0:
            raise ValueError(f"A must have at least one row and one column, got shape {A.shape}")
        b = as_finite_array(b, "b", ndim=1)
        if b.shape != (d,):
            raise ValueError(f"b must have shape ({d},) to match A of shape {A.shape}, got {b.shape}")
        Sigma, chol_sigma = cholesky_of(Sigma, "Sigma", size=d)

        self.A, self.b, self.Sigma = A, b, Sigma
        self.latent_dim, self.data_dim = k, d
        self.chol_sigma = chol_sigma
        marginal_cov = A @ A.T + Sigma
        self._marginal_cov = 0.5 * (marginal_cov + marginal_cov.T)
        self.chol_marginal = np.linalg.cholesky(self._marginal_cov)
        # W = L_Sigma^{-1} A, so W^T W = A^T Sigma^{-1} A without forming Sigma^{-1}.
        self.whitened_A = solve_triangular(chol_sigma, A, lower=True)
        precision = np.eye(k) + self.whitened_A.T @ self.whitened_A
        self.chol_posterior_precision = np.linalg.cholesky(precision)
        post_cov = cho_solve((self.chol_posterior_precision, True), np.eye(k))
        self._posterior_cov = 0.5 * (post_cov + post_cov.T)

    def __repr__(self) -> str:
        return f"LinearGaussian(latent_dim={self.latent_dim}, data_dim={self.data_dim})"

    # ------------------------------------------------------------------ checks
    def _check_x(self, x, name: str = "x") -> np.ndarray:
        x = as_finite_array(x, name, ndim=(1, 2))
        if x.shape[-1] != self.data_dim:
            raise ValueError(
                f"{name} must have shape ({self.data_dim},) or (n, {self.data_dim}), got {x.shape}"
            )
        return x

    def check_z(self, z, name: str = "z") -> np.ndarray:
        """``z`` as a finite float array of shape (..., k); a ValueError naming ``name`` otherwise."""
        z = as_finite_array(z, name)
        if z.ndim == 0 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"{name} must have last dimension {self.latent_dim}, got shape {z.shape}")
        return z

    # ---------------------------------------------------------------- sampling
    def sample(self, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` pairs from the joint: returns ``(z, x)`` of shapes (n, k) and (n, d)."""
        n = positive_int(n, "n")
        rng = as_generator(rng)
        z = rng.standard_normal((n, self.latent_dim))
        noise = rng.standard_normal((n, self.data_dim)) @ self.chol_sigma.T
        return z, z @ self.A.T + self.b + noise

    # ------------------------------------------------------------ closed forms
    def marginal(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean (d,) and covariance (d, d) of p(x) = N(b, A A^T + Sigma)."""
        return self.b.copy(), self._marginal_cov.copy()

    def log_marginal(self, x) -> np.ndarray | float:
        """log p(x) for x of shape (d,) (a float) or (n, d) (an array of n values)."""
        x = self._check_x(x)
        out = gaussian_log_density(x, self.b, self.chol_marginal)
        return float(out) if x.ndim == 1 else out

    def posterior(self, x) -> tuple[np.ndarray, np.ndarray]:
        r"""Mean and covariance of p(z|x).

        For x of shape (d,) the mean has shape (k,); for (n, d) it has shape (n, k).  The covariance
        S = (I + A^T Sigma^{-1} A)^{-1} does not depend on x and always has shape (k, k).
        """
        x = self._check_x(x)
        white_resid = solve_triangular(self.chol_sigma, (x - self.b).reshape(-1, self.data_dim).T, lower=True)
        rhs = self.whitened_A.T @ white_resid  # A^T Sigma^{-1} (x - b), shape (k, n)
        mean = cho_solve((self.chol_posterior_precision, True), rhs).T
        return (mean[0] if x.ndim == 1 else mean), self._posterior_cov.copy()

    def log_posterior(self, z, x) -> np.ndarray:
        """log p(z|x) for a single x of shape (d,) and z of shape (..., k)."""
        x = self._check_x(x)
        if x.ndim != 1:
            raise ValueError(f"x must have shape ({self.data_dim},) here, got {x.shape}")
        z = self.check_z(z)
        mean, _ = self.posterior(x)
        chol = np.linalg.cholesky(self._posterior_cov)
        return gaussian_log_density(z, mean, chol)

    # ------------------------------------------------------------- densities
    def log_prior(self, z) -> np.ndarray:
        """log p(z) = log N(z; 0, I) for z of shape (..., k)."""
        z = self.check_z(z)
        return -0.5 * np.sum(z**2, axis=-1) - 0.5 * self.latent_dim * LOG_2PI

    def log_likelihood(self, x, z) -> np.ndarray:
        """log p(x|z) = log N(x; A z + b, Sigma); x (..., d) and z (..., k) broadcast over leading axes."""
        x = as_finite_array(x, "x")
        if x.ndim == 0 or x.shape[-1] != self.data_dim:
            raise ValueError(f"x must have last dimension {self.data_dim}, got shape {x.shape}")
        z = self.check_z(z)
        return gaussian_log_density(x, z @ self.A.T + self.b, self.chol_sigma)

    def log_joint(self, x, z) -> np.ndarray:
        """log p(x, z) = log p(x|z) + log p(z), broadcasting like :meth:`log_likelihood`."""
        return self.log_likelihood(x, z) + self.log_prior(z)

    # ------------------------------------------------------- a Gaussian q(z) = N(m, S)
    def expected_log_likelihood(self, x, q_mean, q_cov):
        r"""E_q[log p(x|z)] for q = N(q_mean, q_cov), in closed form (nats).

        E_q[log p(x|z)] = log N(x; A m + b, Sigma) - 1/2 tr(Sigma^{-1} A S A^T), the second term being
        ||L_Sigma^{-1} A L_S||_F^2 / 2.  x (..., d), q_mean (..., k) and q_cov (k, k) or (..., k, k) broadcast
        over their leading axes.  Returns a float when nothing is batched.
        """
        x = as_finite_array(x, "x")
        if x.ndim == 0 or x.shape[-1] != self.data_dim:
            raise ValueError(f"x must have shape (..., {self.data_dim}), got {x.shape}")
        q_mean = mean_vector(q_mean, "q_mean")
        if q_mean.shape[-1] != self.latent_dim:
            raise ValueError(f"q_mean must have last dimension {self.latent_dim}, got shape {q_mean.shape}")
        chol_q = covariance_cholesky(q_cov, "q_cov", self.latent_dim)
        fit = gaussian_log_density(x, q_mean @ self.A.T + self.b, self.chol_sigma)
        spread = np.sum((self.whitened_A @ chol_q) ** 2, axis=(-2, -1))
        return as_float(fit - 0.5 * spread)

    def elbo_terms(self, x, q_mean, q_cov) -> tuple[float, float]:
        """The ELBO's two terms for one x and q = N(q_mean, q_cov): ``(E_q[log p(x|z)], KL(q || p(z)))``."""
        return self.expected_log_likelihood(x, q_mean, q_cov), kl_to_prior(q_mean, q_cov)

    def best_gaussian_q(self, x) -> tuple[np.ndarray, np.ndarray, float]:
        """The Gaussian q with the largest ELBO for one x, ``(mean, cov, gap)``: the exact posterior, gap 0."""
        mean, cov = self.posterior(x)
        return mean, cov, 0.0


def random_model(latent_dim: int, data_dim: int, rng, noise_std: float = 0.5) -> LinearGaussian:
    """A random linear-Gaussian model: A, b with N(0, 1) entries and Sigma = noise_std^2 I (a covariance)."""
    latent_dim = positive_int(latent_dim, "latent_dim")
    data_dim = positive_int(data_dim, "data_dim")
    if not np.isfinite(noise_std) or noise_std <= 0:
        raise ValueError(f"noise_std must be a positive standard deviation, got {noise_std!r}")
    rng = as_generator(rng)
    A = rng.standard_normal((data_dim, latent_dim))
    b = rng.standard_normal(data_dim)
    return LinearGaussian(A, b, noise_std**2 * np.eye(data_dim))
