"""Checkers for notebook 11 (posterior collapse).

Inputs may be NumPy arrays or torch tensors; answers are compared in float64.
"""

from __future__ import annotations

import numpy as np

from helpers.exercises._feedback import ExerciseResult, _as_array, compare

__all__ = ["check_kl_per_unit", "check_unit_activity"]


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


def check_unit_activity(answer, mean, logvar) -> ExerciseResult:
    r"""Exercise: Burda et al.'s activity A_j = Var_x(E_q[z_j | x]) of each unit, from the means (n, k); shape (k,).

    The variance over the images with either normaliser (1/n or 1/(n-1)) is accepted.  ``logvar`` is only used
    to recognise the slip of taking the variance of q itself instead of the variance of its mean.
    """
    mean, logvar = _as_array(mean), _as_array(logvar)
    expected = mean.var(axis=0, ddof=1)
    given = _as_array(answer)
    if given is not None and given.shape == expected.shape and np.allclose(given, mean.var(axis=0), rtol=1e-6,
                                                                           atol=1e-12):
        expected = mean.var(axis=0)  # the 1/n normaliser: as good an estimate
    slips = [
        (mean.std(axis=0, ddof=1), "that is the standard deviation of the means: A_j is their variance (square it)."),
        (mean.var(axis=1, ddof=1), "that is a variance over the units, one per image: take it over the images "
                                   "(axis 0), one number per unit."),
        (np.exp(logvar).mean(axis=0), "that is the average variance of q, E_x[Var_q(z_j)]: the activity asks how "
                                      "much the *mean* of q moves from image to image, Var_x(E_q[z_j])."),
        (logvar.var(axis=0, ddof=1), "that is the variance of the log-variances: use the means."),
        ((mean**2).mean(axis=0), "that is the mean of mu_j^2, which includes the squared average of the means: "
                                 "subtract it (a variance is taken about the average)."),
    ]
    result = compare("unit_activity", answer, expected, what="the activity of each unit (shape (k,))",
                     slips=slips, rtol=1e-6, atol=1e-12)
    if result.passed:
        count = int(np.sum(expected > 0.01))
        return ExerciseResult(result.name, True, f"{result.message} {count} of {len(expected)} units have an "
                                                 "activity above 0.01 (active).")
    return result
