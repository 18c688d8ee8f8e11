"""Gradient estimators against independent references: torch autograd, finite differences, Gauss-Hermite."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import softmax

from helpers.exercises import check_gaussian_score, check_likelihood_grad_b
from helpers.gradients import (
    exact_log_marginal_gradient,
    fisher_gradient_posterior,
    fisher_gradient_prior,
    fisher_identity_gradient,
    log_likelihood_gradient,
    reparameterisation_gradient,
    score_function_gradient,
    sum_of_squares_gradient_variances,
)
from helpers.linear_gaussian import LinearGaussian, random_model


def _random_spd(rng, d):
    M = rng.standard_normal((d, d))
    return M @ M.T / d + 0.3 * np.eye(d)


def _model_and_x(seed, k, d):
    rng = np.random.default_rng(seed)
    model = LinearGaussian(rng.standard_normal((d, k)), rng.standard_normal(d), _random_spd(rng, d))
    return model, model.sample(1, rng)[1][0]


def _torch_log_marginal_gradient(model, x):
    """Autograd of torch.distributions.MultivariateNormal(b, A A^T + Sigma).log_prob(x)."""
    A = torch.tensor(model.A, requires_grad=True)
    b = torch.tensor(model.b, requires_grad=True)
    cov = A @ A.T + torch.tensor(model.Sigma)
    torch.distributions.MultivariateNormal(b, covariance_matrix=cov).log_prob(torch.tensor(x)).backward()
    return A.grad.numpy(), b.grad.numpy()


def _within_standard_errors(samples, expected, n_se=4.5):
    """Mean over the leading (repeat) axis within n_se measured standard errors of ``expected``, entrywise."""
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    return np.all(np.abs(samples.mean(axis=0) - expected) <= n_se * se + 1e-12)


# --------------------------------------------------------------------------- exact gradient of log p(x)
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 5), d=st.integers(1, 7))
def test_exact_gradient_matches_torch_autograd(seed, k, d):
    model, x = _model_and_x(seed, k, d)
    grad_a, grad_b = _torch_log_marginal_gradient(model, x)
    got = exact_log_marginal_gradient(model, x)
    np.testing.assert_allclose(got.A, grad_a, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(got.b, grad_b, rtol=1e-8, atol=1e-10)


def test_exact_gradient_matches_finite_differences():
    model, x = _model_and_x(3, 2, 3)
    got = exact_log_marginal_gradient(model, x)
    h = 1e-6
    for i, j in itertools.product(range(3), range(2)):
        step = np.zeros_like(model.A)
        step[i, j] = h
        up = LinearGaussian(model.A + step, model.b, model.Sigma).log_marginal(x)
        down = LinearGaussian(model.A - step, model.b, model.Sigma).log_marginal(x)
        assert got.A[i, j] == pytest.approx((up - down) / (2 * h), abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 5), d=st.integers(1, 7))
def test_fisher_identity_in_closed_form_equals_the_exact_gradient(seed, k, d):
    model, x = _model_and_x(seed, k, d)
    grad_a, grad_b = _torch_log_marginal_gradient(model, x)
    fisher = fisher_identity_gradient(model, x)
    np.testing.assert_allclose(fisher.A, grad_a, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fisher.b, grad_b, rtol=1e-7, atol=1e-9)


def test_log_likelihood_gradient_matches_torch_per_sample():
    model, x = _model_and_x(4, 3, 4)
    z = np.random.default_rng(1).standard_normal((2, 5, 3))
    got = log_likelihood_gradient(model, x, z)
    assert got.A.shape == (2, 5, 4, 3) and got.b.shape == (2, 5, 4)
    for idx in itertools.product(range(2), range(5)):
        A = torch.tensor(model.A, requires_grad=True)
        b = torch.tensor(model.b, requires_grad=True)
        mean = A @ torch.tensor(z[idx]) + b
        torch.distributions.MultivariateNormal(mean, covariance_matrix=torch.tensor(model.Sigma)).log_prob(
            torch.tensor(x)
        ).backward()
        np.testing.assert_allclose(got.A[idx], A.grad.numpy(), rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(got.b[idx], b.grad.numpy(), rtol=1e-9, atol=1e-11)


# --------------------------------------------------------------------------- Monte Carlo Fisher identity
def test_fisher_with_posterior_samples_is_unbiased():
    model, x = _model_and_x(5, 2, 4)
    grad_a, grad_b = _torch_log_marginal_gradient(model, x)
    est = fisher_gradient_posterior(model, x, 20, 0, n_repeats=2000)
    assert est.A.shape == (2000, 4, 2) and est.b.shape == (2000, 4)
    assert _within_standard_errors(est.A, grad_a)
    assert _within_standard_errors(est.b, grad_b)


def test_fisher_with_prior_samples_uses_self_normalised_weights():
    model, x = _model_and_x(6, 2, 3)
    est = fisher_gradient_prior(model, x, 7, 4, n_repeats=3)
    z = np.random.default_rng(4).standard_normal((3, 7, 2))
    w = softmax(model.log_likelihood(x, z), axis=1)
    per_sample = log_likelihood_gradient(model, x, z)
    np.testing.assert_allclose(est.A, np.einsum("rm,rmij->rij", w, per_sample.A), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.b, np.einsum("rm,rmi->ri", w, per_sample.b), rtol=1e-10, atol=1e-12)


def test_fisher_with_prior_samples_converges_to_the_exact_gradient():
    # Broad noise keeps the posterior near the prior: the O(1/M) self-normalisation bias is negligible here.
    rng = np.random.default_rng(7)
    model = random_model(2, 3, rng, noise_std=2.0)
    x = model.sample(1, rng)[1][0]
    grad_a, grad_b = _torch_log_marginal_gradient(model, x)
    est = fisher_gradient_prior(model, x, 4000, 1, n_repeats=300)
    assert _within_standard_errors(est.A, grad_a, n_se=5.0)
    assert _within_standard_errors(est.b, grad_b, n_se=5.0)


# --------------------------------------------------------------------------- phi: score function and reparam
def _sum_of_squares(z):
    return (z**2).sum(-1)


def _exp_linear(a):
    a_t = torch.tensor(a)
    return lambda z: torch.exp(z @ a_t)


M_VEC = np.array([0.5, -1.0, 1.5])
S_VEC = np.array([1.0, 0.5, 0.8])
A_VEC = np.array([0.3, -0.2, 0.4])


def _exact_gradients():
    """Closed forms: E[sum z^2] = sum(m^2 + s^2);  E[exp(a.z)] = exp(a.m + sum a^2 s^2 / 2)."""
    e = np.exp(A_VEC @ M_VEC + 0.5 * np.sum(A_VEC**2 * S_VEC**2))
    return {
        "sum_of_squares": (_sum_of_squares, 2 * M_VEC, 2 * S_VEC),
        "exp_linear": (_exp_linear(A_VEC), A_VEC * e, A_VEC**2 * S_VEC * e),
    }


@pytest.mark.parametrize("name", ["sum_of_squares", "exp_linear"])
@pytest.mark.parametrize("baseline", [None, 2.0, "leave_one_out"])
def test_score_function_is_unbiased(name, baseline):
    f, grad_m, grad_s = _exact_gradients()[name]
    est = score_function_gradient(f, M_VEC, S_VEC, 10, 0, n_repeats=20_000, baseline=baseline)
    assert est.mean.shape == (20_000, 3)
    assert _within_standard_errors(est.mean, grad_m)
    assert _within_standard_errors(est.std, grad_s)


@pytest.mark.parametrize("name", ["sum_of_squares", "exp_linear"])
def test_reparameterisation_is_unbiased(name):
    f, grad_m, grad_s = _exact_gradients()[name]
    est = reparameterisation_gradient(f, M_VEC, S_VEC, 10, 0, n_repeats=20_000)
    assert _within_standard_errors(est.mean, grad_m)
    assert _within_standard_errors(est.std, grad_s)


def test_single_call_shapes_and_determinism():
    one = score_function_gradient(_sum_of_squares, M_VEC, S_VEC, 5, 3)
    again = score_function_gradient(_sum_of_squares, M_VEC, S_VEC, 5, 3)
    assert one.mean.shape == (3,) and one.std.shape == (3,)
    np.testing.assert_array_equal(one.mean, again.mean)
    rep = reparameterisation_gradient(_sum_of_squares, M_VEC, S_VEC, 5, 3)
    assert rep.mean.shape == (3,)
    # The reparameterised one-sample gradient of sum z^2 is 2 z averaged, with z from the same draws.
    eps = np.random.default_rng(3).standard_normal((1, 5, 3))[0]
    np.testing.assert_allclose(rep.mean, np.mean(2 * (M_VEC + S_VEC * eps), axis=0), rtol=1e-12)
    np.testing.assert_allclose(
        one.mean, np.mean(_sum_of_squares(M_VEC + S_VEC * eps)[:, None] * eps / S_VEC, 0)
    )


def _gauss_hermite_variances(m, s, c):
    """Var of (f - c) eps_j / s_j, f = sum z^2, by tensor Gauss-Hermite quadrature (exact for polynomials)."""
    nodes, weights = hermegauss(12)
    weights = weights / weights.sum()
    D = len(m)
    grids = np.stack(np.meshgrid(*([nodes] * D), indexing="ij"), -1).reshape(-1, D)
    w = np.prod(np.stack(np.meshgrid(*([weights] * D), indexing="ij"), -1).reshape(-1, D), axis=1)
    f = np.sum((m + s * grids) ** 2, axis=1)
    g = (f - c)[:, None] * grids / s
    mean = w @ g
    return w @ g**2 - mean**2, mean


@pytest.mark.parametrize(
    "m, s, c",
    [
        ([0.0], [1.0], 0.0),
        ([0.7], [1.3], 0.0),
        ([0.5, -1.0, 0.2], [1.0, 0.4, 2.0], 0.0),
        ([0.5, -1.0, 0.2], [1.0, 0.4, 2.0], 3.7),
    ],
)
def test_exact_variance_formula_matches_quadrature(m, s, c):
    m, s = np.array(m), np.array(s)
    variance, mean = _gauss_hermite_variances(m, s, c)
    np.testing.assert_allclose(mean, 2 * m, atol=1e-9)
    got = sum_of_squares_gradient_variances(m, s, baseline=c)
    np.testing.assert_allclose(got.score_function, variance, rtol=1e-9)
    np.testing.assert_allclose(got.reparameterisation, 4 * s**2, rtol=1e-12)


def test_measured_variances_match_the_formula():
    R, N = 40_000, 4
    c = float(np.sum(M_VEC**2 + S_VEC**2))
    for baseline in (0.0, c):
        est = score_function_gradient(_sum_of_squares, M_VEC, S_VEC, N, 5, n_repeats=R, baseline=baseline)
        predicted = sum_of_squares_gradient_variances(M_VEC, S_VEC, baseline).score_function / N
        centred = est.mean - est.mean.mean(0)
        se_var = np.sqrt((np.mean(centred**4, 0) - np.mean(centred**2, 0) ** 2) / R)
        assert np.all(np.abs(est.mean.var(0) - predicted) < 5 * se_var)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call",
    [
        lambda: score_function_gradient(_sum_of_squares, [0.0, 1.0], [1.0, 0.0], 5, 0),
        lambda: score_function_gradient(_sum_of_squares, [0.0, 1.0], [1.0], 5, 0),
        lambda: score_function_gradient("f", [0.0], [1.0], 5, 0),
        lambda: score_function_gradient(lambda z: z, [0.0, 1.0], [1.0, 1.0], 5, 0),
        lambda: score_function_gradient(_sum_of_squares, [0.0], [1.0], 5, 0, baseline="mean"),
        lambda: score_function_gradient(_sum_of_squares, [0.0], [1.0], 1, 0, baseline="leave_one_out"),
        lambda: score_function_gradient(_sum_of_squares, [0.0], [1.0], 0, 0),
        lambda: reparameterisation_gradient(_sum_of_squares, [0.0], [-1.0], 5, 0),
        lambda: reparameterisation_gradient(_sum_of_squares, [0.0], [1.0], 5, 0, n_repeats=0),
        lambda: reparameterisation_gradient(lambda z: (z > 0).double().sum(-1), [0.0], [1.0], 5, 0),
        lambda: sum_of_squares_gradient_variances([0.0], [1.0], baseline=np.nan),
        lambda: exact_log_marginal_gradient(object(), np.zeros(3)),
        lambda: exact_log_marginal_gradient(_model_and_x(0, 2, 3)[0], np.zeros(2)),
        lambda: fisher_gradient_prior(_model_and_x(0, 2, 3)[0], np.zeros(3), 0, 0),
        lambda: log_likelihood_gradient(_model_and_x(0, 2, 3)[0], np.zeros(3), np.zeros((4, 3))),
    ],
)
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------- exercise checkers of notebook 03
def test_gaussian_score_checker():
    m, s = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.5, 2.0])
    z = m + s * np.random.default_rng(4).standard_normal((6, 3))
    assert check_gaussian_score((z - m) / s**2, z, m, s).passed
    assert "not by s" in check_gaussian_score((z - m) / s, z, m, s).message
    assert "1/s**2 factor is missing" in check_gaussian_score(z - m, z, m, s).message
    assert "multiplied by s**2" in check_gaussian_score((z - m) * s**2, z, m, s).message
    assert "wrong sign" in check_gaussian_score((m - z) / s**2, z, m, s).message


def test_likelihood_grad_b_checker():
    model, x = _model_and_x(8, 2, 3)
    z = np.random.default_rng(3).standard_normal((5, 2))
    args = (x, z, model.A, model.b, model.Sigma)
    right = log_likelihood_gradient(model, x, z).b
    assert check_likelihood_grad_b(right, *args).passed
    resid = x - z @ model.A.T - model.b
    assert "Sigma^{-1}" in check_likelihood_grad_b(resid, *args).message
    assert "precision" in check_likelihood_grad_b(resid @ model.Sigma, *args).message
    assert "transposed" in check_likelihood_grad_b(right.T, *args).message
