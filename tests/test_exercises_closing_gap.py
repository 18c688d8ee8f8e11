"""Checkers of notebook 07: the reference passes, each usual slip gets its own hint, nothing raises."""

from __future__ import annotations

import numpy as np
import torch
from torch.distributions import MultivariateNormal

from helpers.exercises import check_affine_flow_log_density, check_full_covariance_sample

RNG = np.random.default_rng(0)
Z0 = RNG.standard_normal((5, 2))
A = np.array([[1.5, 0.4], [-0.7, -0.5]])  # a negative determinant: |det A| matters
C = np.array([0.3, -1.0])
PARAMS = RNG.normal(size=(5, 5))
EPS = RNG.standard_normal((5, 2))


def test_affine_flow_reference_and_slips():
    base = -0.5 * (Z0**2).sum(1) - np.log(2 * np.pi)
    log_det = np.log(abs(np.linalg.det(A)))
    assert check_affine_flow_log_density(base - log_det, Z0, A, C).passed
    assert "not attempted" in check_affine_flow_log_density(..., Z0, A, C).message
    assert "divided" in check_affine_flow_log_density(base, Z0, A, C).message
    assert "wrong sign" in check_affine_flow_log_density(base + log_det, Z0, A, C).message
    assert "A A^T" in check_affine_flow_log_density(base - 2 * log_det, Z0, A, C).message
    with np.errstate(invalid="ignore"):
        assert not check_affine_flow_log_density(base - np.log(np.linalg.det(A)), Z0, A, C).passed
    assert not check_affine_flow_log_density("two", Z0, A, C).passed


def test_full_covariance_reference_matches_torch_and_slips():
    chol = np.zeros((5, 2, 2))
    chol[:, 0, 0], chol[:, 1, 1], chol[:, 1, 0] = np.exp(PARAMS[:, 2]), np.exp(PARAMS[:, 3]), PARAMS[:, 4]
    z = PARAMS[:, :2] + np.einsum("nij,nj->ni", chol, EPS)
    # The reference reproduces torch's reparameterised sample of the same MultivariateNormal.
    mvn = MultivariateNormal(torch.as_tensor(PARAMS[:, :2]), scale_tril=torch.as_tensor(chol))
    np.testing.assert_allclose(mvn.loc.numpy() + (mvn.scale_tril @ torch.as_tensor(EPS)[..., None])[..., 0].numpy(), z)
    assert check_full_covariance_sample(z, PARAMS, EPS).passed
    assert "transposed" in check_full_covariance_sample(
        PARAMS[:, :2] + np.einsum("nji,nj->ni", chol, EPS), PARAMS, EPS).message
    assert "diagonal Gaussian" in check_full_covariance_sample(
        PARAMS[:, :2] + np.exp(PARAMS[:, 2:4]) * EPS, PARAMS, EPS).message
    assert "not attempted" in check_full_covariance_sample(..., PARAMS, EPS).message
    assert not check_full_covariance_sample(np.zeros((2, 5)), PARAMS, EPS).passed


def test_categorical_kl_reference_and_slips():
    from helpers.exercises import check_categorical_kl

    logits = np.random.default_rng(3).normal(size=(5, 4, 8))
    log_pi = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    pi = np.exp(log_pi)
    assert check_categorical_kl((pi * (log_pi + np.log(8))).sum((1, 2)), log_pi).passed
    assert "entropy" in check_categorical_kl((pi * log_pi).sum((1, 2)), log_pi).message
    assert "factor" in check_categorical_kl((pi * (log_pi + np.log(8))).sum(2), log_pi).message
    assert "not attempted" in check_categorical_kl(..., log_pi).message
