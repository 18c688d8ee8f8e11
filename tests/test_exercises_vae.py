"""Checkers of notebook 05: the right answer passes, each classic slip is rejected with a specific hint."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

from helpers.exercises import check_diagonal_gap, check_iwae_bound, check_kl_to_prior, check_reparameterised_sample

rng = np.random.default_rng(0)
MEAN = rng.normal(size=(5, 2))
LOGVAR = rng.normal(scale=0.5, size=(5, 2)) - 1.0
EPS = rng.normal(size=(5, 2))
LOG_W = rng.normal(loc=-20.0, scale=3.0, size=(5, 100))


def test_reparameterised_sample():
    right = MEAN + np.exp(0.5 * LOGVAR) * EPS
    assert check_reparameterised_sample(right, MEAN, LOGVAR, EPS).passed
    assert check_reparameterised_sample(torch.as_tensor(right), torch.as_tensor(MEAN), LOGVAR, EPS).passed
    for wrong, hint in [
        (MEAN + np.exp(LOGVAR) * EPS, "variance"),
        (MEAN + LOGVAR * EPS, "is a log"),
        (np.exp(0.5 * LOGVAR) * EPS, "mean is missing"),
        (MEAN + np.exp(-0.5 * LOGVAR) * EPS, "divides"),
        (right.T, "transposed"),
        (..., "not attempted"),
    ]:
        result = check_reparameterised_sample(wrong, MEAN, LOGVAR, EPS)
        assert not result.passed and hint in result.message, result


def test_kl_to_prior():
    per_dim = 0.5 * (np.exp(LOGVAR) + MEAN**2 - 1 - LOGVAR)
    assert check_kl_to_prior(per_dim.sum(1), MEAN, LOGVAR).passed
    for wrong, hint in [
        (per_dim, "sum over the latent"),
        (per_dim.sum(), "sums over the images"),
        (per_dim.sum(1) + 1.0, "'- 1'"),
        (0.5 * (np.exp(0.5 * LOGVAR) + MEAN**2 - 1 - LOGVAR).sum(1), "variance"),
        (0.5 * (np.exp(LOGVAR) + MEAN**2 - 1 + LOGVAR).sum(1), "minus sign"),
        (0.5 * (np.exp(LOGVAR) - 1 - LOGVAR).sum(1), "mean term"),
        (2 * per_dim.sum(1), "factor of 2"),
        (-per_dim.sum(1), "sign"),
    ]:
        result = check_kl_to_prior(wrong, MEAN, LOGVAR)
        assert not result.passed and hint in result.message, result


def test_iwae_bound():
    right = logsumexp(LOG_W, axis=1) - np.log(100)
    assert check_iwae_bound(right, LOG_W).passed
    far = LOG_W - 1000.0  # log weights of a 784-pixel image are this small
    with np.errstate(divide="ignore"):
        naive = np.log(np.mean(np.exp(far), axis=1))  # exp underflows to 0, log(0) = -inf
    for wrong, hint in [
        (logsumexp(LOG_W, axis=1), "subtract log K"),
        (LOG_W.mean(axis=1), "ELBO estimate"),
        (logsumexp(LOG_W, axis=0) - np.log(5), "averaged over the images"),
        (right + 0.3, "off by"),
    ]:
        result = check_iwae_bound(wrong, LOG_W)
        assert not result.passed and hint in result.message, result
    result = check_iwae_bound(naive, far)
    assert not result.passed and "logsumexp" in result.message, result


COV3 = np.array([[1.0, 0.6, 0.3], [0.6, 2.0, -0.5], [0.3, -0.5, 0.5]])


def _best_diagonal_kl(cov):
    """min over diagonal q of KL(q || N(0, cov)), by numerical optimisation of the general Gaussian KL."""
    from scipy.optimize import minimize

    precision, logdet = np.linalg.inv(cov), np.linalg.slogdet(cov)[1]

    def kl(params):  # KL(N(mean, diag e^logvar) || N(0, cov)), the textbook formula
        mean, logvar = params[: len(cov)], params[len(cov):]
        return 0.5 * (np.sum(np.diag(precision) * np.exp(logvar)) + mean @ precision @ mean - len(cov)
                      + logdet - np.sum(logvar))

    start = np.concatenate([np.full(len(cov), 0.3), np.zeros(len(cov))])
    return minimize(kl, start, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-10}).fun


def test_diagonal_gap_against_numerical_minimisation_and_its_slips():
    right = _best_diagonal_kl(COV3)
    assert check_diagonal_gap(right, COV3).passed  # the closed form agrees with the optimiser (rtol 1e-6)
    var, logdet = np.diag(COV3), np.linalg.slogdet(COV3)[1]
    precision = np.diag(np.linalg.inv(COV3))
    corr = COV3 / np.sqrt(np.outer(var, var))
    for wrong, hint in [
        (0.5 * (np.sum(precision * var) - 3 + logdet - np.sum(np.log(var))), "moment matching"),
        (0.5 * (np.sum(np.log(var)) - logdet), "wrong way round"),
        (-0.5 * np.log(1 - corr[np.triu_indices(3, 1)] ** 2).sum(), "pair by pair"),
        (0.0, "full covariance"),
        (2 * right, "factor of 2"),
        (-right, "sign"),
        (..., "not attempted"),
    ]:
        result = check_diagonal_gap(wrong, COV3)
        assert not result.passed and hint in result.message, result


def test_diagonal_gap_in_two_dimensions_is_minus_half_log_one_minus_rho_squared():
    rho, cov2 = -0.7, np.array([[2.0, -0.7 * np.sqrt(2.0) * 0.5], [-0.7 * np.sqrt(2.0) * 0.5, 0.25]])
    assert check_diagonal_gap(-0.5 * np.log(1 - rho**2), cov2).passed
    assert check_diagonal_gap(_best_diagonal_kl(cov2), cov2).passed
    with pytest.raises(ValueError, match="cov"):
        check_diagonal_gap(1.0, np.array([[1.0, 2.0], [2.0, 1.0]]))


@pytest.mark.parametrize("check", [check_reparameterised_sample, check_kl_to_prior, check_iwae_bound])
def test_placeholder_is_not_an_answer(check):
    args = {check_reparameterised_sample: (MEAN, LOGVAR, EPS), check_kl_to_prior: (MEAN, LOGVAR),
            check_iwae_bound: (LOG_W,)}[check]
    result = check(..., *args)
    assert not result.passed and "not attempted yet" in result.message
