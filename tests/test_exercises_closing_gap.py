"""Checkers of notebooks 07-10: the reference passes, each usual slip gets its own hint, nothing raises."""

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


def test_full_covariance_log_density_reference_matches_torch_and_slips():
    from helpers.exercises import check_full_covariance_log_density

    chol = np.zeros((5, 2, 2))
    chol[:, 0, 0], chol[:, 1, 1], chol[:, 1, 0] = np.exp(PARAMS[:, 2]), np.exp(PARAMS[:, 3]), PARAMS[:, 4]
    z = PARAMS[:, :2] + np.einsum("nij,nj->ni", chol, EPS)
    mvn = MultivariateNormal(torch.as_tensor(PARAMS[:, :2]), scale_tril=torch.as_tensor(chol))
    reference = mvn.log_prob(torch.as_tensor(z)).numpy()
    standard = -0.5 * (EPS**2).sum(1) - np.log(2 * np.pi)  # log N(eps; 0, I), eps known here
    assert check_full_covariance_log_density(standard - PARAMS[:, 2:4].sum(1), PARAMS, z).passed
    assert check_full_covariance_log_density(reference, PARAMS, z).passed
    assert "log N(eps; 0, I) alone" in check_full_covariance_log_density(standard, PARAMS, z).message
    assert "wrong sign" in check_full_covariance_log_density(standard + PARAMS[:, 2:4].sum(1), PARAMS, z).message
    assert "half of it" in check_full_covariance_log_density(standard - 2 * PARAMS[:, 2:4].sum(1), PARAMS, z).message
    diagonal_only = -0.5 * (((z - PARAMS[:, :2]) / np.exp(PARAMS[:, 2:4])) ** 2).sum(1) - np.log(2 * np.pi)
    assert "L21" in check_full_covariance_log_density(diagonal_only - PARAMS[:, 2:4].sum(1), PARAMS, z).message
    assert "not attempted" in check_full_covariance_log_density(..., PARAMS, z).message
    assert not check_full_covariance_log_density(np.zeros(4), PARAMS, z).passed


def test_planar_log_det_reference_matches_autograd_and_slips():
    from helpers.exercises import check_planar_log_det
    from helpers.flows import constrain_u, planar_layer

    rng = np.random.default_rng(5)
    z, u, w, b = rng.normal(size=(5, 2)), 2 * rng.normal(size=(5, 2)), 2 * rng.normal(size=(5, 2)), rng.normal(size=5)
    u_hat = constrain_u(torch.as_tensor(u), torch.as_tensor(w)).numpy()
    # The reference agrees with helpers.flows (determinant lemma) and with autograd's full Jacobian.
    _, lemma = planar_layer(*(torch.as_tensor(t) for t in (z, u, w, b)))
    jac = [torch.autograd.functional.jacobian(
        lambda v, i=i: planar_layer(v, *(torch.as_tensor(t[i]) for t in (u, w, b)))[0], torch.as_tensor(z[i]))
        for i in range(5)]
    autograd = np.array([torch.linalg.slogdet(j).logabsdet.item() for j in jac])
    np.testing.assert_allclose(lemma.numpy(), autograd, atol=1e-12)
    assert check_planar_log_det(autograd, z, u_hat, w, b).passed
    h = np.tanh((w * z).sum(1) + b)
    wu = (w * u_hat).sum(1)
    assert "1 - tanh(a)^2" in check_planar_log_det(np.log(np.abs(1 + wu)), z, u_hat, w, b).message
    assert "derivative belongs" in check_planar_log_det(np.log(np.abs(1 + h * wu)), z, u_hat, w, b).message
    assert "identity contributes" in check_planar_log_det(np.log(np.abs((1 - h**2) * wu)), z, u_hat, w, b).message
    assert "take its log" in check_planar_log_det(1 + (1 - h**2) * wu, z, u_hat, w, b).message
    assert "not attempted" in check_planar_log_det(..., z, u_hat, w, b).message
