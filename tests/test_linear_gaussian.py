"""LinearGaussian against independent computations: SciPy densities, joint-Gaussian conditioning, sampling."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal

from helpers.linear_gaussian import LinearGaussian, gaussian_log_density, random_model


def _random_spd(rng, d):
    """A well-conditioned random covariance (not diagonal, so Cholesky paths are exercised)."""
    M = rng.standard_normal((d, d))
    return M @ M.T / d + 0.3 * np.eye(d)


def _model(seed, k, d):
    rng = np.random.default_rng(seed)
    return LinearGaussian(rng.standard_normal((d, k)), rng.standard_normal(d), _random_spd(rng, d))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 6), d=st.integers(1, 10))
def test_log_marginal_matches_scipy(seed, k, d):
    model = _model(seed, k, d)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((7, d)) * 2.0
    # Independent reference: SciPy's density with the covariance assembled by hand.
    reference = multivariate_normal(model.b, model.A @ model.A.T + model.Sigma).logpdf(x)
    np.testing.assert_allclose(model.log_marginal(x), np.atleast_1d(reference), rtol=1e-10, atol=1e-10)
    assert isinstance(model.log_marginal(x[0]), float)
    np.testing.assert_allclose(model.log_marginal(x[0]), np.atleast_1d(reference)[0], rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 6), d=st.integers(1, 10))
def test_posterior_matches_joint_conditioning(seed, k, d):
    """Condition the joint Gaussian of (z, x) with the textbook Schur-complement formulas (via np.linalg.solve)."""
    model = _model(seed, k, d)
    x = np.random.default_rng(seed + 2).standard_normal((3, d))
    A, Sigma = model.A, model.Sigma
    cov_xx = A @ A.T + Sigma
    cov_zx = A.T  # Cov(z, x) = E[z (Az + eps)^T] = A^T
    gain = np.linalg.solve(cov_xx, cov_zx.T).T  # Cov_zx Cov_xx^{-1}
    expected_mean = (x - model.b) @ gain.T
    expected_cov = np.eye(k) - gain @ cov_zx.T
    mean, cov = model.posterior(x)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(cov, expected_cov, rtol=1e-8, atol=1e-10)
    mean0, cov0 = model.posterior(x[0])
    assert mean0.shape == (k,) and cov0.shape == (k, k)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 4), d=st.integers(1, 6))
def test_bayes_rule_identity(seed, k, d):
    """log p(z|x) = log p(x|z) + log p(z) - log p(x) at arbitrary z, with SciPy for every density."""
    model = _model(seed, k, d)
    rng = np.random.default_rng(seed + 3)
    x, z = rng.standard_normal(d), rng.standard_normal((5, k))
    log_lik = multivariate_normal(np.zeros(d), model.Sigma).logpdf(x - (z @ model.A.T + model.b))
    log_prior = multivariate_normal(np.zeros(k), np.eye(k)).logpdf(z)
    log_px = multivariate_normal(model.b, model.A @ model.A.T + model.Sigma).logpdf(x)
    np.testing.assert_allclose(model.log_likelihood(x, z), log_lik, rtol=1e-10)
    np.testing.assert_allclose(model.log_joint(x, z), log_lik + log_prior, rtol=1e-10)
    np.testing.assert_allclose(model.log_posterior(z, x), log_lik + log_prior - log_px, rtol=1e-8, atol=1e-9)


def test_sample_moments_match_marginal():
    """Sample mean and covariance within bounds set by their standard errors for n = 200,000."""
    model = _model(7, 2, 3)
    n = 200_000
    z, x = model.sample(n, np.random.default_rng(11))
    assert z.shape == (n, 2) and x.shape == (n, 3)
    mean, cov = model.marginal()
    se_mean = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(x.mean(axis=0) - mean) < 5 * se_mean)
    # Var of a sample covariance entry for Gaussians: (C_ii C_jj + C_ij^2) / n.
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(np.cov(x, rowvar=False) - cov) < 5 * se_cov)
    # The latent draws are standard normal.
    assert np.all(np.abs(z.mean(axis=0)) < 5 / np.sqrt(n))


def test_sample_is_reproducible():
    model = _model(0, 2, 2)
    a = model.sample(5, np.random.default_rng(3))
    b = model.sample(5, np.random.default_rng(3))
    c = model.sample(5, 3)
    for u, v, w in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(u, v)
        np.testing.assert_array_equal(u, w)


def test_gaussian_log_density_broadcasts():
    rng = np.random.default_rng(0)
    cov = _random_spd(rng, 3)
    x = rng.standard_normal((4, 1, 3))
    mean = rng.standard_normal((5, 3))
    out = gaussian_log_density(x, mean, np.linalg.cholesky(cov))
    assert out.shape == (4, 5)
    expected = multivariate_normal(np.zeros(3), cov).logpdf((x - mean).reshape(-1, 3)).reshape(4, 5)
    np.testing.assert_allclose(out, expected, rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"A": np.ones(3), "b": np.zeros(3), "Sigma": np.eye(3)}, "A"),
        ({"A": np.ones((3, 2)), "b": np.zeros(2), "Sigma": np.eye(3)}, "b"),
        ({"A": np.ones((3, 2)), "b": np.zeros(3), "Sigma": np.eye(2)}, "Sigma"),
        ({"A": np.ones((3, 2)), "b": np.zeros(3), "Sigma": -np.eye(3)}, "positive definite"),
        ({"A": np.ones((3, 2)), "b": np.zeros(3), "Sigma": np.diag([1.0, 0.0, 1.0])}, "positive definite"),
        ({"A": np.ones((3, 2)), "b": np.zeros(3), "Sigma": np.eye(3) + np.triu(np.ones((3, 3)), 1)}, "symmetric"),
        ({"A": np.full((3, 2), np.nan), "b": np.zeros(3), "Sigma": np.eye(3)}, "A"),
        ({"A": np.ones((3, 2)), "b": np.array([0.0, np.inf, 0.0]), "Sigma": np.eye(3)}, "b"),
        ({"A": np.ones((3, 2)), "b": np.zeros(3), "Sigma": np.full((3, 3), np.nan)}, "Sigma"),
        ({"A": "abc", "b": np.zeros(3), "Sigma": np.eye(3)}, "A"),
    ],
)
def test_invalid_parameters_raise(kwargs, name):
    with pytest.raises(ValueError, match=name):
        LinearGaussian(**kwargs)


def test_invalid_call_arguments_raise():
    model = random_model(2, 3, 0)
    with pytest.raises(ValueError, match="x"):
        model.log_marginal(np.zeros(4))
    with pytest.raises(ValueError, match="x"):
        model.log_marginal(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="x"):
        model.posterior([0.0, np.nan, 0.0])
    with pytest.raises(ValueError, match="z"):
        model.log_joint(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="n"):
        model.sample(0, 1)
    with pytest.raises(ValueError, match="n"):
        model.sample(2.5, 1)
    with pytest.raises(ValueError, match="rng"):
        model.sample(2, "seed")
    with pytest.raises(ValueError, match="noise_std"):
        random_model(2, 3, 0, noise_std=0.0)
