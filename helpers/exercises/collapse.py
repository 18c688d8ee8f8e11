"""Checkers for notebook 11 (posterior collapse).

Inputs may be NumPy arrays or torch tensors; answers are compared in float64.
"""

from __future__ import annotations

import numpy as np

from helpers.exercises._feedback import ExerciseResult, _as_array, compare

__all__ = ["check_kl_per_unit"]


def check_kl_per_unit(answer, mean, logvar) -> ExerciseResult:
    r"""Exercise: KL(q(z_j|x) || N(0, 1)) per latent unit j, averaged over the images, shape (k,).

    ``mean`` and ``logvar`` (n, k) are the encoder's means and log-variances.  The reference is
    torch.distributions' Normal-to-Normal KL, an independent route to the closed form.
    """
    import torch
    from torch.distributions import Normal, kl_divergence

    mean, logvar = _as_array(mean), _as_array(logvar)
    per_image = kl_divergence(Normal(torch.as_tensor(mean), torch.as_tensor(np.exp(0.5 * logvar))),
                              Normal(0.0, 1.0)).numpy()  # (n, k)
    expected = per_image.mean(axis=0)
    slips = [
        (per_image.sum(axis=0), "that sums over the images: average over them instead (divide by n), so the "
                                "numbers are nats per image and add up to the ELBO's KL term."),
        (per_image.sum(axis=1), "that is one KL per image (summed over the units): keep the units apart and "
                                "average over the images (axis 0), shape (k,)."),
        (per_image, "one KL per image and unit, shape (n, k): average over the images (axis 0)."),
        ((0.5 * (mean**2 - 1.0)).mean(axis=0), "logvar is the log of the variance: the variance exp(logvar) "
                                               "enters the first term and logvar itself the last (log sigma^2)."),
        ((0.5 * (np.exp(0.5 * logvar) + mean**2 - 1.0 - 0.5 * logvar)).mean(axis=0),
         "that uses the standard deviation exp(logvar / 2) where the variance exp(logvar) belongs."),
        ((np.exp(logvar) + mean**2 - 1.0 - logvar).mean(axis=0), "the closed form has a factor 1/2 in front."),
        ((0.5 * (np.exp(logvar) - 1.0 - logvar)).mean(axis=0), "the mean's term mu_j^2 is missing: a q centred "
                                                               "away from 0 pays for it."),
    ]
    return compare("kl_per_unit", answer, expected, what="the KL per unit, averaged over images (shape (k,))",
                   slips=slips, rtol=1e-6, atol=1e-9)
