"""NaiveMCExplorer driven headlessly: set sliders, read the numbers, recompute them independently."""

import itertools

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from helpers.widgets import M_OPTIONS, NaiveMCExplorer


@pytest.fixture(scope="module")
def explorer():
    return NaiveMCExplorer(data_dim=20, n_repeats=40, seed=0)


def _numbers(w):
    return np.array([w.log_px, w.bias, w.std, w.mean_ess, w.kl, w.log10_exp_kl])


def test_slider_extremes_give_finite_numbers(explorer):
    ks = (explorer.k_slider.min, explorer.k_slider.max)
    sigmas = (explorer.sigma_slider.min, explorer.sigma_slider.max)  # log10 bounds of a FloatLogSlider
    for n, k, log_sigma in itertools.product((M_OPTIONS[0], M_OPTIONS[-1]), ks, sigmas):
        explorer.m_slider.value = n
        explorer.k_slider.value = k
        explorer.sigma_slider.value = 10.0**log_sigma
        assert np.all(np.isfinite(_numbers(explorer))), (n, k, log_sigma)
        assert np.all(np.isfinite(explorer.estimates)) and explorer.estimates.shape == (40,)
        assert 1.0 - 1e-9 <= explorer.mean_ess <= n + 1e-9
        assert explorer.std >= 0.0 and explorer.kl >= 0.0
        assert "nan" not in explorer.summary.value.lower()
        counts = explorer._hist.get_data().values
        assert counts.sum() == 40


def test_numbers_match_an_independent_recomputation(explorer):
    explorer.m_slider.value = 30
    explorer.k_slider.value = 3
    explorer.sigma_slider.value = 0.5
    model, x = explorer.model_and_x(3, float(explorer.sigma_slider.value))
    sigma = float(explorer.sigma_slider.value)
    np.testing.assert_allclose(model.Sigma, sigma**2 * np.eye(20))  # sigma is a standard deviation
    # log p(x) from SciPy with the marginal covariance assembled by hand.
    assert explorer.log_px == pytest.approx(
        multivariate_normal(model.b, model.A @ model.A.T + model.Sigma).logpdf(x), rel=1e-10
    )
    # KL from torch.distributions on the conditioned joint Gaussian.
    cov_xx = model.A @ model.A.T + model.Sigma
    gain = np.linalg.solve(cov_xx, model.A).T
    post = torch.distributions.MultivariateNormal(
        torch.tensor(gain @ (x - model.b)), covariance_matrix=torch.tensor(np.eye(3) - gain @ model.A)
    )
    prior = torch.distributions.MultivariateNormal(
        torch.zeros(3, dtype=torch.float64), torch.eye(3, dtype=torch.float64)
    )
    assert explorer.kl == pytest.approx(float(torch.distributions.kl_divergence(post, prior)), rel=1e-8)
    assert explorer.log10_exp_kl == pytest.approx(explorer.kl / np.log(10.0))
    # The R estimates: the widget seeds by setting, and R * M fits one block of draws.
    rng = np.random.default_rng([explorer.seed, 30, 3, int(round(sigma * 1e6))])
    z = rng.standard_normal((40, 30, 3))
    log_lik = multivariate_normal(np.zeros(20), model.Sigma).logpdf(x - model.b - z @ model.A.T)
    expected = logsumexp(log_lik, axis=1) - np.log(30)
    np.testing.assert_allclose(explorer.estimates, expected, rtol=1e-10)
    assert explorer.bias == pytest.approx(expected.mean() - explorer.log_px)
    assert explorer.std == pytest.approx(expected.std(ddof=1))
    w = np.exp(log_lik - log_lik.max(axis=1, keepdims=True))
    assert explorer.mean_ess == pytest.approx(np.mean(w.sum(1) ** 2 / (w**2).sum(1)))


def test_returning_to_a_setting_shows_the_same_numbers(explorer):
    explorer.m_slider.value = 100
    explorer.k_slider.value = 2
    first = _numbers(explorer)
    explorer.k_slider.value = 7
    explorer.k_slider.value = 2
    np.testing.assert_array_equal(_numbers(explorer), first)


def test_bias_grows_as_the_noise_shrinks(explorer):
    explorer.m_slider.value = 100
    explorer.k_slider.value = 4
    explorer.sigma_slider.value = 2.0
    broad = (explorer.bias, explorer.kl)
    explorer.sigma_slider.value = 0.05
    assert explorer.kl > broad[1]
    assert explorer.bias < broad[0]


def test_repeats_shrink_only_for_expensive_settings():
    explorer = NaiveMCExplorer(n_repeats=200, max_draws=4_000_000)
    assert explorer.repeats == 200 and explorer.estimates.shape == (200,)
    assert explorer.repeats_for(10_000, 2) == 200  # 200 * 10^4 * 2 draws fit the budget
    assert explorer.repeats_for(10_000, 20) == 50  # never fewer than 50
    assert explorer.repeats_for(3_000, 10) == 133
    explorer.m_slider.value = 3_000
    explorer.k_slider.value = 10
    assert explorer.repeats == 133 and np.all(np.isfinite(explorer.estimates))
    assert "133 repeats" in explorer.ax.get_title()
