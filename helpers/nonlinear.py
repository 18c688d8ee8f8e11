r"""A latent model with a small fixed nonlinear decoder, where p(x) has no closed form.

    z ~ N(0, I_k),    x | z ~ N(mu(z), sigma^2 I_d),    mu(z) = W2 tanh(W1 z + c1) + c2

sigma is a **standard deviation** (the noise variance is sigma^2).  Because mu is nonlinear in z,
p(x|z) p(z) is not a Gaussian in z and the integral over z must be done numerically.
"""

from __future__ import annotations

import numpy as np

from helpers._validation import as_finite_array, as_generator, positive_int
from helpers.logspace import LOG_2PI


class TanhDecoderModel:
    """Fixed random two-layer tanh decoder; weights are drawn once from ``seed`` and never trained."""

    def __init__(self, latent_dim: int = 1, data_dim: int = 2, hidden: int = 16, noise_std: float = 0.3,
                 seed: int = 0, weight_scale: float = 1.5):
        self.latent_dim = positive_int(latent_dim, "latent_dim")
        self.data_dim = positive_int(data_dim, "data_dim")
        hidden = positive_int(hidden, "hidden")
        if not np.isfinite(noise_std) or noise_std <= 0:
            raise ValueError(f"noise_std must be a positive standard deviation, got {noise_std!r}")
        self.noise_std = float(noise_std)
        rng = np.random.default_rng(seed)
        self.W1 = weight_scale * rng.standard_normal((hidden, self.latent_dim))
        self.c1 = rng.standard_normal(hidden)
        self.W2 = rng.standard_normal((self.data_dim, hidden)) * 2.0 / np.sqrt(hidden)
        self.c2 = np.zeros(self.data_dim)

    def decoder_mean(self, z) -> np.ndarray:
        """mu(z) for z of shape (..., k); returns shape (..., d)."""
        z = as_finite_array(z, "z")
        if z.ndim == 0 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"z must have last dimension {self.latent_dim}, got shape {z.shape}")
        return np.tanh(z @ self.W1.T + self.c1) @ self.W2.T + self.c2

    def sample(self, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``(z, x)`` of shapes (n, k) and (n, d) from the joint."""
        n = positive_int(n, "n")
        rng = as_generator(rng)
        z = rng.standard_normal((n, self.latent_dim))
        return z, self.decoder_mean(z) + self.noise_std * rng.standard_normal((n, self.data_dim))

    def log_prior(self, z) -> np.ndarray:
        """log N(z; 0, I) for z of shape (..., k)."""
        z = np.asarray(z, dtype=np.float64)
        return -0.5 * np.sum(z**2, axis=-1) - 0.5 * self.latent_dim * LOG_2PI

    def log_likelihood(self, x, z) -> np.ndarray:
        """log N(x; mu(z), sigma^2 I); x (..., d) and z (..., k) broadcast over leading axes."""
        x = as_finite_array(x, "x")
        if x.ndim == 0 or x.shape[-1] != self.data_dim:
            raise ValueError(f"x must have last dimension {self.data_dim}, got shape {x.shape}")
        resid = (x - self.decoder_mean(z)) / self.noise_std
        return -0.5 * np.sum(resid**2, axis=-1) - self.data_dim * (np.log(self.noise_std) + 0.5 * LOG_2PI)

    def log_joint(self, x, z) -> np.ndarray:
        """log p(x, z) = log p(x|z) + log p(z)."""
        return self.log_likelihood(x, z) + self.log_prior(z)
