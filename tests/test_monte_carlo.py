"""Monte Carlo estimators of log p(x) against independent computations: SciPy, quadrature, torch KL."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from helpers.exercises import check_effective_sample_size, check_log_estimate, check_posterior_prior_kl
from helpers.linear_gaussian import LinearGaussian, random_model
from helpers.monte_carlo import (
    effective_sample_size,
    importance_log_marginal,
    log_chi_square_plus_one,
    log_mean_exp,
    naive_log_marginal,
    posterior_prior_kl,
)
from helpers.nonlinear import TanhDecoderModel
from helpers.quadrature import grid_log_marginal


class _OnlyDensities:
    """A LinearGaussian seen through its densities only: sends the estimators down their generic path."""

    def __init__(self, model):
        self._model = model
        self.latent_dim, self.data_dim = model.latent_dim, model.data_dim

    def log_likelihood(self, x, z):
        return self._model.log_likelihood(x, z)

    def log_joint(self, x, z):
        return self._model.log_joint(x, z)


def _model_and_x(seed, k=2, d=3, noise_std=0.8):
    rng = np.random.default_rng(seed)
    model = random_model(k, d, rng, noise_std=noise_std)
    _, x = model.sample(1, rng)
    return model, x[0]


def _scipy_log_lik(model, x, z):
    """log p(x|z) for z of shape (..., k) with SciPy, one mean at a time."""
    flat = z.reshape(-1, model.latent_dim)
    out = np.array([multivariate_normal(model.A @ zi + model.b, model.Sigma).logpdf(x) for zi in flat])
    return out.reshape(z.shape[:-1])


# --------------------------------------------------------------------------- log_mean_exp
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("offset", [-1e4, 0.0, 1e4])
def test_log_mean_exp_is_stable_on_any_axis(axis, offset):
    rng = np.random.default_rng(7)
    a = offset + 30.0 * rng.standard_normal((4, 5, 6))
    expected = logsumexp(a, axis=axis) - np.log(a.shape[axis])
    got = log_mean_exp(a, axis=axis)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-9)


def test_log_mean_exp_extremes_and_minus_inf():
    # exp(+1e4) and exp(-1e4) both leave float64; the answer must not.
    assert log_mean_exp(np.array([1e4, 1e4])) == pytest.approx(1e4, abs=1e-9)
    assert log_mean_exp(np.array([-1e4, -1e4 - np.log(3.0)])) == pytest.approx(
        -1e4 + np.log(2.0 / 3.0), abs=1e-9
    )
    assert log_mean_exp(np.array([0.0, -np.inf])) == pytest.approx(np.log(0.5))
    out = log_mean_exp(np.array([[-np.inf, -np.inf], [0.0, 0.0]]), axis=1)
    assert out[0] == -np.inf and out[1] == pytest.approx(0.0)
    assert isinstance(log_mean_exp(np.zeros(3)), float)


@pytest.mark.parametrize(
    "bad, axis",
    [
        (np.array([1.0, np.nan]), -1),
        (np.array([np.inf]), -1),
        (np.zeros((2, 0)), -1),
        (np.zeros(3), 1),
        (np.float64(1.0), -1),
    ],
)
def test_log_mean_exp_rejects_bad_input(bad, axis):
    with pytest.raises(ValueError):
        log_mean_exp(bad, axis=axis)


# --------------------------------------------------------------------------- effective sample size
@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1), offset=st.sampled_from([-1e4, 0.0, 1e4]), axis=st.sampled_from([0, 1, -1])
)
def test_ess_matches_kish_formula(seed, offset, axis):
    rng = np.random.default_rng(seed)
    log_w = 2.0 * rng.standard_normal((5, 8))
    w = np.exp(log_w)  # moderate weights: the textbook formula is safe here
    expected = np.sum(w, axis=axis) ** 2 / np.sum(w**2, axis=axis)
    np.testing.assert_allclose(effective_sample_size(log_w + offset, axis=axis), expected, rtol=1e-10)


def test_ess_limits():
    assert effective_sample_size(np.zeros(50)) == pytest.approx(50.0)
    assert effective_sample_size(np.array([0.0, -1e4, -1e4])) == pytest.approx(1.0)
    assert effective_sample_size(np.array([-np.inf, -np.inf])) == 0.0
    assert isinstance(effective_sample_size(np.zeros(4)), float)
    with pytest.raises(ValueError):
        effective_sample_size(np.array([0.0, np.nan]))
    with pytest.raises(ValueError):
        effective_sample_size(np.zeros(3), axis=2)


# --------------------------------------------------------------------------- naive estimator
def test_naive_matches_scipy_on_the_same_draws():
    model, x = _model_and_x(1, k=2, d=3)
    R, M = 4, 6
    got, ess = naive_log_marginal(model, x, M, np.random.default_rng(5), n_repeats=R, return_ess=True)
    # With R * M below the chunk size the draws are one (R, M, k) block of the same generator.
    z = np.random.default_rng(5).standard_normal((R, M, model.latent_dim))
    log_lik = _scipy_log_lik(model, x, z)
    np.testing.assert_allclose(got, logsumexp(log_lik, axis=1) - np.log(M), rtol=1e-12)
    w = np.exp(log_lik - log_lik.max(axis=1, keepdims=True))
    np.testing.assert_allclose(ess, w.sum(1) ** 2 / (w**2).sum(1), rtol=1e-10)


@pytest.mark.parametrize("k, d", [(1, 1), (3, 2), (4, 7)])
def test_naive_fast_path_equals_generic_path_and_chunking_is_invisible(k, d):
    model, x = _model_and_x(2, k=k, d=d)
    fast = naive_log_marginal(model, x, 1000, 11, n_repeats=3, return_ess=True)
    generic = naive_log_marginal(_OnlyDensities(model), x, 1000, 11, n_repeats=3, return_ess=True)
    np.testing.assert_allclose(fast, generic, rtol=1e-11)
    # One repeat: chunks are consecutive pieces of one normal stream, so any chunk size gives the same value.
    whole = naive_log_marginal(model, x, 1000, 3)
    chunked = naive_log_marginal(model, x, 1000, 3, chunk_size=7)
    assert isinstance(whole, float)
    assert chunked == pytest.approx(whole, rel=1e-12)


def test_naive_estimate_of_p_is_unbiased():
    model, x = _model_and_x(3, k=2, d=3, noise_std=0.8)
    R, M = 4000, 20
    ratio = np.exp(naive_log_marginal(model, x, M, 0, n_repeats=R) - model.log_marginal(x))
    se = ratio.std(ddof=1) / np.sqrt(R)
    assert abs(ratio.mean() - 1.0) < 4.0 * se
    # ... while its log is biased low, by far more than its standard error (Jensen).
    logs = np.log(ratio)
    assert logs.mean() < -4.0 * logs.std(ddof=1) / np.sqrt(R)


def test_naive_on_a_nonlinear_model_agrees_with_quadrature():
    model = TanhDecoderModel(latent_dim=1, data_dim=2, noise_std=0.5, seed=3)
    _, x = model.sample(1, np.random.default_rng(4))
    x = x[0]
    exact = grid_log_marginal(lambda z: model.log_joint(x, z), 1, 4001, half_width=8.0)
    ratio = np.exp(naive_log_marginal(model, x, 2000, 9, n_repeats=200) - exact)
    se = ratio.std(ddof=1) / np.sqrt(200)
    assert abs(ratio.mean() - 1.0) < 4.0 * se


# --------------------------------------------------------------------------- importance sampling
def test_importance_matches_scipy_on_the_same_draws():
    model, x = _model_and_x(4, k=3, d=4)
    mean = np.array([0.3, -0.2, 0.5])
    cov = np.array([[1.0, 0.3, 0.0], [0.3, 0.8, 0.1], [0.0, 0.1, 0.5]])
    R, M = 3, 5
    got = importance_log_marginal(model, x, mean, cov, M, 8, n_repeats=R)
    z = np.random.default_rng(8).standard_normal((R, M, 3)) @ np.linalg.cholesky(cov).T + mean
    log_w = (
        _scipy_log_lik(model, x, z)
        + multivariate_normal(np.zeros(3), np.eye(3)).logpdf(z)
        - multivariate_normal(mean, cov).logpdf(z)
    )
    np.testing.assert_allclose(got, logsumexp(log_w, axis=1) - np.log(M), rtol=1e-11)
    generic = importance_log_marginal(_OnlyDensities(model), x, mean, cov, M, 8, n_repeats=R)
    np.testing.assert_allclose(generic, got, rtol=1e-11)


def test_importance_with_the_exact_posterior_has_zero_variance():
    model, x = _model_and_x(5, k=4, d=6, noise_std=0.3)
    post_mean, post_cov = model.posterior(x)
    est = importance_log_marginal(model, x, post_mean, post_cov, 50, 0, n_repeats=100)
    reference = multivariate_normal(model.b, model.A @ model.A.T + model.Sigma).logpdf(x)
    assert np.max(np.abs(est - reference)) < 1e-9
    assert np.std(est) < 1e-10


def test_importance_with_a_shifted_proposal_is_unbiased_but_noisy():
    model, x = _model_and_x(6, k=2, d=3, noise_std=0.7)
    post_mean, post_cov = model.posterior(x)
    shifted = post_mean + np.sqrt(np.diag(post_cov))
    R = 3000
    ratio = np.exp(
        importance_log_marginal(model, x, shifted, 2.0 * post_cov, 10, 1, n_repeats=R) - model.log_marginal(x)
    )
    se = ratio.std(ddof=1) / np.sqrt(R)
    assert ratio.std() > 1e-3
    assert abs(ratio.mean() - 1.0) < 4.0 * se


# --------------------------------------------------------------------------- closed forms for the cost
@pytest.mark.parametrize("seed, k, d", [(0, 1, 1), (1, 2, 5), (2, 5, 3)])
def test_posterior_prior_kl_matches_torch(seed, k, d):
    model, x = _model_and_x(seed, k=k, d=d, noise_std=0.6)
    mean, cov = model.posterior(x)
    reference = torch.distributions.kl_divergence(
        torch.distributions.MultivariateNormal(torch.tensor(mean), covariance_matrix=torch.tensor(cov)),
        torch.distributions.MultivariateNormal(
            torch.zeros(k, dtype=torch.float64), torch.eye(k, dtype=torch.float64)
        ),
    )
    assert posterior_prior_kl(model, x) == pytest.approx(float(reference), rel=1e-10)


def test_log_chi_square_plus_one_matches_quadrature():
    # 1 + chi^2 = integral of p(x|z)^2 p(z) dz / p(x)^2: integrate the numerator on a grid (k = 1).
    model = LinearGaussian(
        np.array([[1.5], [-0.7]]), np.array([0.2, 0.1]), np.array([[0.3, 0.05], [0.05, 0.2]])
    )
    x = np.array([1.0, -0.4])
    numerator = grid_log_marginal(
        lambda z: 2.0 * model.log_likelihood(x, z) + model.log_prior(z), 1, 4001, 8.0
    )
    assert log_chi_square_plus_one(model, x) == pytest.approx(
        numerator - 2.0 * model.log_marginal(x), abs=1e-9
    )


def test_chi_square_predicts_the_variance_of_the_naive_estimate():
    model, x = _model_and_x(7, k=2, d=2, noise_std=1.0)
    chi2 = np.expm1(log_chi_square_plus_one(model, x))
    ratio = np.exp(naive_log_marginal(model, x, 1, 2, n_repeats=200_000) - model.log_marginal(x))
    # Var[p_hat / p] = chi^2 / M; the standard error of a sample variance comes from the 4th central moment.
    centred = ratio - ratio.mean()
    se_var = np.sqrt((np.mean(centred**4) - np.mean(centred**2) ** 2) / ratio.size)
    assert abs(ratio.var() - chi2) < 5.0 * se_var


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: naive_log_marginal(m, x[:2], 10, 0),
        lambda m, x: naive_log_marginal(m, np.stack([x, x]), 10, 0),
        lambda m, x: naive_log_marginal(m, x, 0, 0),
        lambda m, x: naive_log_marginal(m, x, 10, 0, n_repeats=0),
        lambda m, x: naive_log_marginal(m, x, 10, "seed"),
        lambda m, x: naive_log_marginal(m, np.full_like(x, np.nan), 10, 0),
        lambda m, x: naive_log_marginal(object(), x, 10, 0),
        lambda m, x: naive_log_marginal(m, x, 10, 0, chunk_size=0),
        lambda m, x: importance_log_marginal(m, x, np.zeros(3), np.eye(2), 10, 0),
        lambda m, x: importance_log_marginal(m, x, np.zeros(2), -np.eye(2), 10, 0),
        lambda m, x: importance_log_marginal(m, x, np.zeros(2), np.array([[1.0, 2.0], [0.0, 1.0]]), 10, 0),
        lambda m, x: posterior_prior_kl(_OnlyDensities(m), x),
        lambda m, x: log_chi_square_plus_one(m, x[:1]),
    ],
)
def test_bad_input_raises_value_error(call):
    model, x = _model_and_x(0, k=2, d=3)
    with pytest.raises(ValueError):
        call(model, x)


# --------------------------------------------------------------------------- exercise checkers of notebook 02
def test_log_estimate_checker():
    log_lik = -1000.0 + 3.0 * np.random.default_rng(1).standard_normal(50)
    right = logsumexp(log_lik) - np.log(50)
    assert check_log_estimate(right, log_lik).passed
    assert "Jensen" in check_log_estimate(np.mean(log_lik), log_lik).message
    assert "subtract log M" in check_log_estimate(logsumexp(log_lik), log_lik).message
    assert "underflows" in check_log_estimate(-np.inf, log_lik).message
    assert "largest term" in check_log_estimate(np.max(log_lik), log_lik).message
    assert "not attempted yet" in check_log_estimate(..., log_lik).message


def test_effective_sample_size_checker():
    log_w = -500.0 + 2.0 * np.random.default_rng(2).standard_normal(200)
    w = np.exp(log_w - log_w.max())
    right = w.sum() ** 2 / (w**2).sum()
    assert check_effective_sample_size(right, log_w).passed
    assert "equal weights" in check_effective_sample_size(200.0, log_w).message
    assert "ESS / M" in check_effective_sample_size(right / 200, log_w).message
    assert "upside down" in check_effective_sample_size(1 / right, log_w).message
    assert not check_effective_sample_size(right + 5.0, log_w).passed
    with pytest.raises(ValueError):
        check_effective_sample_size(1.0, np.zeros((2, 2)))


def test_posterior_prior_kl_checker():
    model, x = _model_and_x(3, k=3, d=5)
    mu, S = model.posterior(x)
    right = posterior_prior_kl(model, x)
    log_det = np.linalg.slogdet(S)[1]
    assert check_posterior_prior_kl(right, mu, S).passed
    assert "-k" in check_posterior_prior_kl(right + 1.5, mu, S).message
    assert "log-determinant" in check_posterior_prior_kl(right + log_det, mu, S).message
    assert "twice" in check_posterior_prior_kl(2 * right, mu, S).message
