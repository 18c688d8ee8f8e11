"""Checker of notebook 11: the reference passes, each usual slip gets its own hint, nothing raises."""

from __future__ import annotations

import numpy as np
import torch

from helpers.exercises import check_kl_per_unit

RNG = np.random.default_rng(0)
MEAN = RNG.normal(size=(7, 3))
LOGVAR = RNG.normal(scale=0.8, size=(7, 3))


def test_kl_per_unit_reference_and_slips():
    per_image = 0.5 * (np.exp(LOGVAR) + MEAN**2 - 1.0 - LOGVAR)
    # The closed form against a Monte Carlo average of log q - log p(z) (an independent route).
    z = MEAN + np.exp(0.5 * LOGVAR) * RNG.standard_normal((200_000, 7, 3))
    mc = (-0.5 * (z - MEAN) ** 2 / np.exp(LOGVAR) - 0.5 * LOGVAR + 0.5 * z**2).mean(0)
    np.testing.assert_allclose(mc, per_image, atol=0.02)
    right = per_image.mean(axis=0)
    assert check_kl_per_unit(right, MEAN, LOGVAR).passed
    assert check_kl_per_unit(torch.as_tensor(right), torch.as_tensor(MEAN), torch.as_tensor(LOGVAR)).passed
    assert "not attempted" in check_kl_per_unit(..., MEAN, LOGVAR).message
    assert "sums over the images" in check_kl_per_unit(per_image.sum(0), MEAN, LOGVAR).message
    assert "one KL per image" in check_kl_per_unit(per_image.sum(1), MEAN, LOGVAR).message
    assert "shape (n, k)" in check_kl_per_unit(per_image, MEAN, LOGVAR).message
    assert "log of the variance" in check_kl_per_unit((0.5 * (MEAN**2 - 1)).mean(0), MEAN, LOGVAR).message
    std_slip = (0.5 * (np.exp(0.5 * LOGVAR) + MEAN**2 - 1.0 - 0.5 * LOGVAR)).mean(0)
    assert "standard deviation" in check_kl_per_unit(std_slip, MEAN, LOGVAR).message
    assert "1/2" in check_kl_per_unit(2 * right, MEAN, LOGVAR).message
    assert "mu_j^2" in check_kl_per_unit((0.5 * (np.exp(LOGVAR) - 1 - LOGVAR)).mean(0), MEAN, LOGVAR).message
    assert not check_kl_per_unit("two", MEAN, LOGVAR).passed


def test_unit_activity_reference_matches_active_units_and_slips():
    from helpers.exercises import check_unit_activity
    from helpers.vae_variants import VariantVAE, active_units

    torch.manual_seed(0)
    model = VariantVAE(6, 3, (8,))
    x = (RNG.random((40, 6)) < 0.5).astype(np.float32)
    with torch.no_grad():
        mean, logvar = (t.double().numpy() for t in model.encode(torch.as_tensor(x)))
    count, activity = active_units(model, x)  # helpers' own computation, in torch
    result = check_unit_activity(activity, mean, logvar)
    assert result.passed and f"{count} of 3 units" in result.message
    assert check_unit_activity(mean.var(axis=0), mean, logvar).passed  # the 1/n normaliser is accepted too
    assert "not attempted" in check_unit_activity(..., mean, logvar).message
    assert "standard deviation" in check_unit_activity(mean.std(axis=0, ddof=1), mean, logvar).message
    assert "over the images" in check_unit_activity(mean.var(axis=1, ddof=1), mean, logvar).message
    assert "average variance of q" in check_unit_activity(np.exp(logvar).mean(0), mean, logvar).message
    assert "log-variances" in check_unit_activity(logvar.var(axis=0, ddof=1), mean, logvar).message
    assert "subtract" in check_unit_activity((mean**2).mean(0), mean, logvar).message
