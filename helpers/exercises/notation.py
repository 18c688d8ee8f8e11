"""Checkers for notebook 00 (notation: standard deviations versus variances, nats versus bits)."""

from __future__ import annotations

import numpy as np

from helpers.exercises._feedback import ExerciseResult, compare

__all__ = ["check_noise_covariance", "check_gaussian_log_density", "check_bits_per_dim"]


def check_noise_covariance(answer, noise_std: float, data_dim: int) -> ExerciseResult:
    """Exercise: the covariance Sigma of isotropic noise with standard deviation sigma is sigma^2 I_d."""
    expected = noise_std**2 * np.eye(data_dim)
    slips = [
        (noise_std * np.eye(data_dim),
         "that puts the standard deviation on the diagonal; a covariance holds variances, sigma**2."),
        (np.full(data_dim, noise_std**2),
         "right variances, but Sigma is a (d, d) matrix: use sigma**2 * np.eye(d)."),
    ]
    return compare("noise_covariance", answer, expected, what="Sigma", slips=slips)


def check_gaussian_log_density(answer, x: float, mean: float, noise_std: float) -> ExerciseResult:
    """Exercise: log N(x; mean, sigma^2) with sigma a standard deviation, checked against SciPy."""
    from scipy.stats import norm  # imported here: scipy.stats costs about a second at import, on every notebook

    expected = norm(loc=mean, scale=noise_std).logpdf(x)
    as_variance = norm(loc=mean, scale=np.sqrt(noise_std)).logpdf(x)
    density = norm(loc=mean, scale=noise_std).pdf(x)
    return compare("gaussian_log_density", answer, expected, what="log N(x; mean, sigma^2)", slips=[
        (as_variance, "you used sigma as a variance; here sigma is a standard deviation."),
        (density, "that is the density itself; take its log (or build the log-density term by term)."),
    ])


def check_bits_per_dim(answer, log_px: float, data_dim: int) -> ExerciseResult:
    """Exercise: convert log p(x) in nats into bits per dimension, -log p(x) / (d ln 2)."""
    if not np.isfinite(log_px) or data_dim < 1:
        raise ValueError(f"log_px must be finite and data_dim >= 1, got log_px={log_px!r}, data_dim={data_dim!r}")
    expected = -log_px / (data_dim * np.log(2))
    return compare("bits_per_dim", answer, expected, what="bits per dimension", slips=[
        (-log_px / data_dim, "that is nats per dimension: one bit is ln 2 ≈ 0.693 nats, so divide by np.log(2)."),
        (-log_px * np.log(2) / data_dim,
         "you multiplied by ln 2: one bit is ln 2 nats, so a cost in bits is the cost in nats divided by ln 2."),
        (-log_px / np.log(2), "that is bits for the whole image: divide by the number of dimensions d as well."),
        (-log_px / (data_dim * np.log(10)), "that is in decimal digits (log base 10): bits are base 2, np.log(2)."),
        (log_px / (data_dim * np.log(2)),
         "the sign: bits per dimension is a cost, -log p(x) / (d ln 2), a positive number here."),
    ])
