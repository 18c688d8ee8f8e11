"""Tests of helpers.elbo, helpers.nonconjugate and the notebook 04 exercise checkers.

Every identity is checked against an independent computation: torch.distributions for Gaussian KLs,
scipy.stats for densities and entropies, a sigma-point rule (exact for quadratics) for expectations under q,
scipy.integrate.quad for the non-conjugate model, scipy.optimize for the PPCA maximum likelihood.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats
from scipy.special import logsumexp

from helpers.elbo import (
    elbo_exact,
    elbo_mc,
    expected_log_likelihood,
    fit_gaussian_q,
    fit_ppca_elbo,
    gaussian_kl,
    gaussian_log_weights,
    iwae_bound,
    kl_to_prior,
    ppca_elbo_torch,
    ppca_mle,
    torch_log_joint,
)
from helpers.exercises import check_elbo_1d, check_iwae_estimate
from helpers.linear_gaussian import LinearGaussian, random_model
from helpers.nonconjugate import SquaredLatentModel

SETTINGS = settings(max_examples=40, deadline=None)


def random_cov(rng, k, batch=()):
    B = rng.standard_normal(batch + (k, k))
    return B @ np.swapaxes(B, -1, -2) + 0.3 * np.eye(k)


def torch_kl(mq, Cq, mp, Cp):
    q = torch.distributions.MultivariateNormal(torch.tensor(mq), covariance_matrix=torch.tensor(Cq))
    p = torch.distributions.MultivariateNormal(torch.tensor(mp), covariance_matrix=torch.tensor(Cp))
    return torch.distributions.kl_divergence(q, p).numpy()


def sigma_point_expectation(f, mean, cov):
    """E_{N(mean, cov)}[f(z)] with the 2k points mean +- sqrt(k) L e_i: exact when f is quadratic in z."""
    k = mean.shape[0]
    L = np.linalg.cholesky(cov)
    pts = np.concatenate([mean + np.sqrt(k) * L.T, mean - np.sqrt(k) * L.T])
    return float(np.mean(f(pts)))


def scenario(seed, k=None, d=None):
    """A random linear-Gaussian model, a data point from it, and a random Gaussian q."""
    rng = np.random.default_rng(seed)
    k = k or int(rng.integers(1, 4))
    d = d or int(rng.integers(k, 5))
    model = random_model(k, d, rng, noise_std=float(rng.uniform(0.3, 1.5)))
    _, x = model.sample(1, rng)
    q_mean = rng.standard_normal(k) * 1.5
    q_cov = random_cov(rng, k) * rng.uniform(0.05, 2.0)
    return model, x[0], q_mean, q_cov


# ------------------------------------------------------------------------------------------- gaussian_kl
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 5))
def test_gaussian_kl_matches_torch(seed, k):
    rng = np.random.default_rng(seed)
    mq, mp = rng.standard_normal(k), rng.standard_normal(k)
    Cq, Cp = random_cov(rng, k), random_cov(rng, k)
    ref = torch_kl(mq, Cq, mp, Cp)
    assert gaussian_kl(mq, Cq, mp, Cp) == pytest.approx(float(ref), rel=1e-10, abs=1e-10)


def test_gaussian_kl_batches_over_leading_axes():
    rng = np.random.default_rng(1)
    k = 3
    mq, mp = rng.standard_normal((4, 5, k)), rng.standard_normal((5, k))
    Cq, Cp = random_cov(rng, k, (4, 5)), random_cov(rng, k)
    out = gaussian_kl(mq, Cq, mp, Cp)
    assert out.shape == (4, 5)
    ref = torch_kl(mq, Cq, np.broadcast_to(mp, mq.shape), np.broadcast_to(Cp, Cq.shape))
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    # One shared covariance for a batch of means takes the single-factor path; it must agree too.
    shared = gaussian_kl(mq, Cq[0, 0], mp, Cp)
    ref_shared = torch_kl(mq, np.broadcast_to(Cq[0, 0], Cq.shape), np.broadcast_to(mp, mq.shape),
                          np.broadcast_to(Cp, Cq.shape))
    np.testing.assert_allclose(shared, ref_shared, rtol=1e-10, atol=1e-12)


def test_gaussian_kl_is_zero_only_for_equal_gaussians():
    rng = np.random.default_rng(2)
    m, C = rng.standard_normal(3), random_cov(rng, 3)
    assert abs(gaussian_kl(m, C, m, C)) < 1e-12
    assert gaussian_kl(m + 1e-3, C, m, C) > 0
    assert gaussian_kl(m, 1.01 * C, m, C) > 0


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.zeros(2), np.eye(3), np.zeros(2), np.eye(2)), "cov_q"),
        ((np.zeros(2), np.eye(2), np.zeros(3), np.eye(2)), "mean_p"),
        ((np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]), np.zeros(2), np.eye(2)), "positive definite"),
        ((np.zeros(2), np.eye(2), np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]])), "symmetric"),
        ((np.array([np.nan, 0.0]), np.eye(2), np.zeros(2), np.eye(2)), "mean_q"),
        ((0.0, np.eye(1), np.zeros(1), np.eye(1)), "mean_q"),
    ],
)
def test_gaussian_kl_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        gaussian_kl(*args)


# ------------------------------------------------------------------------------- closed-form ELBO pieces
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_expected_log_likelihood_matches_sigma_points(seed):
    model, x, q_mean, q_cov = scenario(seed)
    ref = sigma_point_expectation(lambda z: model.log_likelihood(x, z), q_mean, q_cov)
    assert expected_log_likelihood(model, x, q_mean, q_cov) == pytest.approx(ref, rel=1e-10, abs=1e-10)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_elbo_both_decompositions_against_independent_computations(seed):
    model, x, q_mean, q_cov = scenario(seed)
    elbo = elbo_exact(model, x, q_mean, q_cov)
    # (1) Definition: E_q[log p(x, z)] + H(q), with the expectation by sigma points and H from scipy.
    entropy = stats.multivariate_normal(q_mean, q_cov).entropy()
    definition = sigma_point_expectation(lambda z: model.log_joint(x, z), q_mean, q_cov) + entropy
    assert elbo == pytest.approx(definition, rel=1e-10, abs=1e-9)
    # (2) ELBO = E_q[log p(x|z)] - KL(q || p(z)) with the KL from torch.
    k = model.latent_dim
    kl_prior = float(torch_kl(q_mean, q_cov, np.zeros(k), np.eye(k)))
    assert kl_to_prior(q_mean, q_cov) == pytest.approx(kl_prior, rel=1e-10, abs=1e-12)
    # (3) log p(x) - ELBO = KL(q || p(z|x)): log p(x) from scipy with A A^T + Sigma, the posterior by hand.
    log_px = stats.multivariate_normal(model.b, model.A @ model.A.T + model.Sigma).logpdf(x)
    precision = np.eye(k) + model.A.T @ np.linalg.solve(model.Sigma, model.A)
    post_cov = np.linalg.inv(precision)  # independent reference (the helpers never invert)
    post_mean = post_cov @ model.A.T @ np.linalg.solve(model.Sigma, x - model.b)
    gap = float(torch_kl(q_mean, q_cov, post_mean, 0.5 * (post_cov + post_cov.T)))
    assert log_px - elbo == pytest.approx(gap, rel=1e-8, abs=1e-8)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), shift=st.floats(-2.0, 2.0), scale=st.floats(0.2, 5.0))
def test_elbo_is_a_lower_bound_tight_only_at_the_posterior(seed, shift, scale):
    model, x, _, _ = scenario(seed)
    log_px = model.log_marginal(x)
    post_mean, post_cov = model.posterior(x)
    assert abs(log_px - elbo_exact(model, x, post_mean, post_cov)) < 1e-10  # equality at the posterior
    q_mean = post_mean + shift
    q_cov = scale * post_cov
    gap = log_px - elbo_exact(model, x, q_mean, q_cov)
    assert gap >= -1e-10
    # The KL between these two Gaussians, written out for this special case (scaled covariance, shifted mean).
    k = model.latent_dim
    delta = np.full(k, shift)
    expected = 0.5 * (k * scale - k - k * np.log(scale) + delta @ np.linalg.solve(post_cov, delta))
    assert gap == pytest.approx(expected, rel=1e-8, abs=1e-10)
    if expected > 1e-9:  # strictly positive wherever the true gap is resolvable next to log p(x) in float64
        assert gap > 0.0


def test_elbo_exact_broadcasts_over_data_points():
    model, _, q_mean, q_cov = scenario(3, k=2, d=3)
    _, xs = model.sample(6, np.random.default_rng(0))
    out = elbo_exact(model, xs, q_mean, q_cov)
    assert out.shape == (6,)
    np.testing.assert_allclose(out, [elbo_exact(model, x, q_mean, q_cov) for x in xs], rtol=1e-12)


def test_elbo_exact_rejects_bad_input():
    model, x, q_mean, q_cov = scenario(4, k=2, d=3)
    with pytest.raises(ValueError, match="model"):
        elbo_exact("not a model", x, q_mean, q_cov)
    with pytest.raises(ValueError, match="x"):
        elbo_exact(model, x[:2], q_mean, q_cov)
    with pytest.raises(ValueError, match="q_mean"):
        elbo_exact(model, x, q_mean[:1], q_cov)
    with pytest.raises(ValueError, match="q_cov"):
        elbo_exact(model, x, q_mean, -q_cov)


# ---------------------------------------------------------------------------------------- Monte Carlo
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_elbo_mc_agrees_with_exact_within_standard_errors(seed):
    model, x, q_mean, q_cov = scenario(seed)
    est = elbo_mc(model, x, q_mean, q_cov, 20_000, rng=seed)
    exact = elbo_exact(model, x, q_mean, q_cov)
    assert abs(est.value - exact) < 4.0 * est.stderr
    # The standard error itself: the spread of independent estimates matches it (30 repeats, loose band).
    values = [elbo_mc(model, x, q_mean, q_cov, 200, rng=1000 + r).value for r in range(30)]
    se_200 = np.std(est.samples, ddof=1) / np.sqrt(200)
    assert 0.5 < np.std(values, ddof=1) / se_200 < 1.6


def test_log_weights_are_constant_at_the_posterior():
    model, x, _, _ = scenario(5)
    mean, cov = model.posterior(x)
    _, log_w = gaussian_log_weights(model, x, mean, cov, 100, rng=0)
    np.testing.assert_allclose(log_w, model.log_marginal(x), atol=1e-10)
    assert iwae_bound(log_w[None, :]) == pytest.approx(model.log_marginal(x), abs=1e-10)


def test_elbo_mc_needs_two_samples():
    model, x, q_mean, q_cov = scenario(6)
    with pytest.raises(ValueError, match="n_samples"):
        elbo_mc(model, x, q_mean, q_cov, 1, rng=0)


def test_iwae_bound_against_logsumexp_and_monotone_in_k():
    rng = np.random.default_rng(7)
    log_w = rng.standard_normal((3, 11)) * 5 - 1e3
    np.testing.assert_allclose(iwae_bound(log_w), logsumexp(log_w, axis=1) - np.log(11), rtol=1e-14)
    np.testing.assert_allclose(iwae_bound(log_w[:, :1]), log_w[:, 0])
    # L_1 <= L_10 <= L_100 <= log p(x), each estimated from 2000 rows with its standard error.
    model, x, q_mean, q_cov = scenario(8, k=2, d=3)
    _, lw = gaussian_log_weights(model, x, q_mean, q_cov, 2000 * 100, rng=1)
    lw = lw.reshape(2000, 100)
    bounds, errs = [], []
    for K in (1, 10, 100):
        rows = iwae_bound(lw[:, :K])
        bounds.append(rows.mean())
        errs.append(rows.std(ddof=1) / np.sqrt(len(rows)))
    assert bounds[0] == pytest.approx(elbo_exact(model, x, q_mean, q_cov), abs=4 * errs[0])
    assert bounds[0] < bounds[1] < bounds[2] < model.log_marginal(x) + 4 * errs[2]


# ------------------------------------------------------------------------------------- non-conjugate
@pytest.mark.parametrize("x", [-0.5, 0.3, 1.0, 2.0, 3.0, 5.0])
def test_nonconjugate_log_marginal_against_scipy_quad(x):
    model = SquaredLatentModel(noise_std=0.5)
    def density(z):
        return np.exp(model.log_joint(np.array([x]), np.array([z])))

    ref, _ = integrate.quad(density, -np.inf, np.inf, epsabs=0.0, epsrel=1e-13, limit=400)
    assert model.log_marginal(x) == pytest.approx(np.log(ref), abs=1e-10)


def test_nonconjugate_log_marginal_vectorised_and_validated():
    model = SquaredLatentModel()
    xs = np.array([-0.5, 1.0, 2.5])
    np.testing.assert_allclose(model.log_marginal(xs), [model.log_marginal(v) for v in xs], rtol=1e-13)
    np.testing.assert_allclose(model.log_marginal(xs[:, None]), model.log_marginal(xs), rtol=0)
    with pytest.raises(ValueError, match="noise_std"):
        SquaredLatentModel(noise_std=0.0)
    with pytest.raises(ValueError, match="q_std"):
        model.elbo(1.0, 0.0, -1.0)
    with pytest.raises(ValueError, match="x"):
        model.log_marginal(np.ones((2, 2)))


@SETTINGS
@given(x=st.floats(-1.0, 4.0), m=st.floats(-3.0, 3.0), log_s=st.floats(-4.0, 1.5))
def test_nonconjugate_elbo_matches_polynomial_moments(x, m, log_s):
    """log p(x|z) is a quartic in z, so E_q of it follows from the Gaussian moments E z^2 and E z^4."""
    model = SquaredLatentModel(noise_std=0.5)
    s = np.exp(log_s)
    ez2 = m**2 + s**2
    ez4 = m**4 + 6 * m**2 * s**2 + 3 * s**4
    ell = -(x**2 - 2 * x * ez2 + ez4) / (2 * 0.25) - np.log(0.5) - 0.5 * np.log(2 * np.pi)
    kl = 0.5 * (s**2 + m**2 - 1 - 2 * log_s)
    assert model.elbo(x, m, s) == pytest.approx(ell - kl, rel=1e-11, abs=1e-10)


@pytest.mark.parametrize("x, m, s", [(2.0, 1.2, 0.3), (1.0, 0.0, 0.7), (-0.5, 0.4, 0.2), (3.0, -1.5, 0.5)])
def test_nonconjugate_gap_is_kl_to_posterior_by_scipy_quad(x, m, s):
    model = SquaredLatentModel(noise_std=0.5)
    log_px = model.log_marginal(x)
    q = stats.norm(m, s)

    def integrand(z):
        return q.pdf(z) * (q.logpdf(z) - (model.log_joint(np.array([x]), np.array([z])) - log_px))

    kl, _ = integrate.quad(integrand, m - 12 * s, m + 12 * s, epsabs=1e-13, epsrel=1e-12, limit=400)
    assert model.gap(x, m, s) == pytest.approx(kl, abs=1e-9)


@SETTINGS
@given(m=st.floats(-3.0, 3.0), log_s=st.floats(-4.0, 1.5))
def test_no_gaussian_closes_the_gap_for_a_bimodal_posterior(m, log_s):
    model = SquaredLatentModel(noise_std=0.5)
    best_m, best_s, best_gap = _best(2.0)
    assert best_gap > 0.5
    assert model.gap(2.0, m, np.exp(log_s)) >= best_gap - 1e-9


_BEST = {}


def _best(x):
    if x not in _BEST:
        _BEST[x] = SquaredLatentModel(noise_std=0.5).best_gaussian(x)
    return _BEST[x]


def test_best_gaussian_is_a_maximum_and_modes_give_about_log2():
    model = SquaredLatentModel(noise_std=0.5)
    for x in (-0.5, 1.0, 3.0):
        m, s, gap = _best(x)
        assert gap > 0 and m >= 0
        for dm, ds in ((1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3)):
            assert model.gap(x, m + dm, s + ds) >= gap
    # Well-separated equal modes: q covers one, and the gap approaches log 2.
    assert _best(3.0)[2] == pytest.approx(np.log(2), abs=0.02)
    assert _best(3.0)[0] == pytest.approx(np.sqrt(3.0), abs=0.1)


def test_nonconjugate_torch_log_joint_and_mc_elbo():
    model = SquaredLatentModel(noise_std=0.5)
    z = np.linspace(-3, 3, 13)[:, None]
    ref = model.log_joint(np.array([1.5]), z)
    got = torch_log_joint(model, 1.5)(torch.as_tensor(z)).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-13)
    est = elbo_mc(model, np.array([1.5]), np.array([0.8]), np.array([[0.2]]), 50_000, rng=3)
    assert abs(est.value - model.elbo(1.5, 0.8, np.sqrt(0.2))) < 4 * est.stderr
    zs, xs = model.sample(5, 0)
    assert zs.shape == xs.shape == (5, 1)


# --------------------------------------------------------------------------------------- optimising q
def test_fit_gaussian_q_reaches_the_exact_posterior():
    model = LinearGaussian(np.array([[1.0, 0.5], [0.3, 1.0], [0.8, 0.9]]), np.zeros(3), 0.49 * np.eye(3))
    x = np.array([1.6, 1.2, 1.4])
    fit = fit_gaussian_q(torch_log_joint(model, x), np.array([-2.0, 2.0]), 1.0, n_steps=400, lr=0.1, seed=0)
    post_mean, post_cov = model.posterior(x)
    gaps = gaussian_kl(fit.means, fit.covs, post_mean, post_cov)
    assert gaps[0] > 1.0
    # Sticking-the-landing gradients vanish at the posterior, so the iterates reach it to rounding error.
    assert gaps[-1] < 1e-8
    assert fit.means.shape == (401, 2) and fit.covs.shape == (401, 2, 2)
    assert fit.elbo_estimates.shape == (400,)


def test_fit_gaussian_q_stops_at_a_positive_gap_when_the_posterior_is_bimodal():
    model = SquaredLatentModel(noise_std=0.5)
    fit = fit_gaussian_q(torch_log_joint(model, 2.0), np.array([0.3]), 1.0, n_steps=600, lr=0.1, seed=0)
    final_gap = model.gap(2.0, fit.means[-1, 0], np.sqrt(fit.covs[-1, 0, 0]))
    assert final_gap == pytest.approx(_best(2.0)[2], abs=0.01)


def test_torch_log_joint_linear_gaussian_matches_numpy():
    model, x, _, _ = scenario(9, k=2, d=4)
    z = np.random.default_rng(0).standard_normal((7, 2))
    np.testing.assert_allclose(torch_log_joint(model, x)(torch.as_tensor(z)).numpy(), model.log_joint(x, z),
                               rtol=1e-12)


# ------------------------------------------------------------------------------------ PPCA (learning theta)
def ppca_data(seed=0, n=300, d=5, k=2):
    rng = np.random.default_rng(seed)
    model = LinearGaussian(rng.standard_normal((d, k)), rng.standard_normal(d), 0.3 * np.eye(d))
    return model.sample(n, rng)[1]


def test_ppca_mle_matches_the_density_and_numerical_optimisation():
    x = ppca_data()
    n, d = x.shape
    W, mu, s2, log_lik = ppca_mle(x, 2)
    fitted = LinearGaussian(W, mu, s2 * np.eye(d))
    assert fitted.log_marginal(x).sum() == pytest.approx(log_lik, rel=1e-12)

    def neg_log_lik(params):
        Wp = params[: 2 * d].reshape(d, 2)
        cov = Wp @ Wp.T + np.exp(params[-1]) * np.eye(d)
        return -stats.multivariate_normal(params[2 * d : 3 * d], cov).logpdf(x).sum()

    start = np.concatenate([np.random.default_rng(1).standard_normal(2 * d), x.mean(0), [0.0]])
    res = optimize.minimize(neg_log_lik, start, method="BFGS", options={"gtol": 1e-8})
    assert -res.fun == pytest.approx(log_lik, abs=1e-5)
    assert log_lik >= -res.fun - 1e-8


def test_ppca_mle_rejects_bad_input():
    with pytest.raises(ValueError, match="latent_dim"):
        ppca_mle(np.zeros((10, 3)) + np.arange(3), 3)
    with pytest.raises(ValueError, match="x"):
        ppca_mle(np.zeros(5), 1)


def test_ppca_elbo_torch_matches_elbo_exact():
    rng = np.random.default_rng(3)
    d, k = 4, 2
    W, mu, s = rng.standard_normal((d, k)), rng.standard_normal(d), 0.7
    x = rng.standard_normal((5, d))
    q_mean = rng.standard_normal((5, k))
    L = np.linalg.cholesky(random_cov(rng, k))
    t = torch.as_tensor
    elbo, _, _ = ppca_elbo_torch(t(x), t(W), t(mu), torch.tensor(np.log(s)), t(q_mean), t(L))
    ref = elbo_exact(LinearGaussian(W, mu, s**2 * np.eye(d)), x, q_mean, L @ L.T)
    np.testing.assert_allclose(elbo.numpy(), ref, rtol=1e-12)


def test_learning_theta_by_the_elbo_reaches_the_maximum_likelihood():
    x = ppca_data(n=300)
    n, d = x.shape
    *_, mle = ppca_mle(x, 2)
    fit = fit_ppca_elbo(x, 2, n_steps=800, lr=0.05, seed=0)
    learned = LinearGaussian(fit.W, fit.mu, fit.noise_var * np.eye(d)).log_marginal(x).sum()
    assert learned <= mle + 1e-8
    assert (mle - learned) / n < 1e-6  # nats per data point
    assert fit.elbo_history[-1] * n <= learned + 1e-6


# -------------------------------------------------------------------------------------------- exercises
def test_check_elbo_1d():
    args = dict(a=1.5, b=0.2, noise_var=0.5, x=1.0, q_mean=0.3, q_var=0.4)
    model = LinearGaussian([[1.5]], [0.2], [[0.5]])
    right = elbo_exact(model, np.array([1.0]), np.array([0.3]), np.array([[0.4]]))
    assert check_elbo_1d(right, **args).passed
    ell = expected_log_likelihood(model, np.array([1.0]), np.array([0.3]), np.array([[0.4]]))
    pm, pc = model.posterior(np.array([1.0]))
    erratum = ell - gaussian_kl(np.array([0.3]), np.array([[0.4]]), pm, pc)
    res = check_elbo_1d(erratum, **args)
    assert not res.passed and "posterior" in res.message and "erratum" in res.message
    res = check_elbo_1d(ell, **args)
    assert not res.passed and "missing" in res.message
    res = check_elbo_1d(model.log_marginal(np.array([1.0])), **args)
    assert not res.passed and "log p(x)" in res.message
    assert "not attempted" in check_elbo_1d(..., **args).message


def test_check_iwae_estimate():
    log_w = np.random.default_rng(0).standard_normal((20, 8)) - 3.0
    right = float(np.mean(logsumexp(log_w, axis=1) - np.log(8)))
    assert check_iwae_estimate(right, log_w).passed
    res = check_iwae_estimate(float(np.mean(log_w)), log_w)
    assert not res.passed and "ELBO" in res.message
    res = check_iwae_estimate(right + np.log(8), log_w)
    assert not res.passed and "log K" in res.message
    res = check_iwae_estimate(logsumexp(log_w, axis=1) - np.log(8), log_w)
    assert not res.passed and "average" in res.message
    res = check_iwae_estimate(float(logsumexp(log_w) - np.log(160)), log_w)
    assert not res.passed and "within each row" in res.message
