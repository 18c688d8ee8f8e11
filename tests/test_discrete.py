"""Tests of helpers.discrete against independent computations: brute force over itertools.product,
torch.distributions, SciPy, and repeated sampling with standard errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy.special import expit, logsumexp
from scipy.stats import multivariate_normal

from helpers.discrete import (
    MAX_ENUMERATION_BITS,
    SigmoidBeliefNet,
    bernoulli_log_prob,
    binary_states,
    exact_bernoulli_expectation_gradient,
    fit_exponential_cost,
    gaussian_mixture_log_marginal,
    gradient_estimator_summary,
    gumbel_softmax_gradient,
    log_sum_over_states,
    mixture_fisher_gradient,
    mixture_responsibilities,
    relaxed_bernoulli_sample,
    sample_gaussian_mixture,
    score_function_gradient,
    time_exact_enumeration,
)
from helpers.exercises import check_bernoulli_score, check_enumeration_budget, check_mixture_log_marginal

D64 = torch.float64


def brute_force_states(d: int) -> np.ndarray:
    return np.array(list(itertools.product([0.0, 1.0], repeat=d)))


def random_mixture(k=3, d=2, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=k)
    means = 3.0 * rng.normal(size=(k, d))
    factors = rng.normal(size=(k, d, d))
    covs = factors @ factors.transpose(0, 2, 1) + 0.5 * np.eye(d)
    return logits, means, covs


def sbn_log_joint_torch_distributions(model: SigmoidBeliefNet, x, z) -> torch.Tensor:
    """log p(x, z) from torch.distributions.Bernoulli, for comparison with the hand-written formula."""
    prior = torch.distributions.Bernoulli(logits=model.prior_logits).log_prob(z).sum(-1)
    lik = torch.distributions.Bernoulli(logits=z @ model.weights.T + model.bias).log_prob(x).sum(-1)
    return prior + lik


# ----------------------------------------------------------------------------- enumeration
@pytest.mark.parametrize("d", [1, 3, 6])
def test_binary_states_match_itertools_product_in_order(d):
    np.testing.assert_array_equal(binary_states(d).numpy(), brute_force_states(d))


def test_binary_states_slices_tile_the_table():
    full = binary_states(7).numpy()
    parts = [binary_states(7, s, min(s + 10, 128)).numpy() for s in range(0, 128, 10)]
    np.testing.assert_array_equal(np.concatenate(parts), full)


@pytest.mark.parametrize("chunk_size", [1, 5, 64, 10_000])
def test_log_sum_over_states_matches_brute_force_for_any_chunking(chunk_size):
    d = 6
    rng = np.random.default_rng(1)
    w = rng.normal(size=(d, 3)) * 4.0

    def log_joint(z):  # (m, 3): a different function per column, values spread over ~50 nats
        return z @ torch.as_tensor(w) - 20.0

    expected = logsumexp(brute_force_states(d) @ w - 20.0, axis=0)
    got = log_sum_over_states(log_joint, d, chunk_size=chunk_size).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-12)


def test_sbn_log_joint_matches_torch_distributions():
    model = SigmoidBeliefNet.random(5, 7, generator=3)
    z, x = model.sample(11, generator=4)
    z_all = binary_states(5)
    expected = sbn_log_joint_torch_distributions(model, x[:, None, :], z_all[None, :, :])
    got = model.log_joint(x[:, None, :], z_all[None, :, :])
    assert got.shape == (11, 32)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_sbn_log_marginal_matches_itertools_brute_force():
    d, p = 8, 6
    model = SigmoidBeliefNet.random(d, p, generator=5)
    _, x = model.sample(4, generator=6)
    # Independent: a Python loop over itertools.product with torch.distributions log-probabilities.
    terms = np.array([[float(sbn_log_joint_torch_distributions(model, xi, torch.tensor(z, dtype=D64)))
                       for z in itertools.product([0.0, 1.0], repeat=d)] for xi in x])
    expected = logsumexp(terms, axis=1)
    np.testing.assert_allclose(model.log_marginal(x, chunk_size=37).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(float(model.log_marginal(x[2])), expected[2], rtol=1e-12)


def test_sbn_marginal_sums_to_one_over_all_binary_images():
    model = SigmoidBeliefNet.random(4, 5, generator=7)
    all_x = binary_states(5)
    log_px = model.log_marginal(all_x)
    assert float(torch.logsumexp(log_px, 0)) == pytest.approx(0.0, abs=1e-12)


def test_sbn_samples_follow_the_prior():
    model = SigmoidBeliefNet.random(3, 2, generator=8)
    n = 40_000
    z, _ = model.sample(n, generator=9)
    p = torch.sigmoid(model.prior_logits).numpy()
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(z.mean(0).numpy() - p) < 5 * se)


def test_timing_and_exponential_fit():
    seconds = time_exact_enumeration([4, 6], data_dim=3, rounds=2)
    assert seconds.shape == (2,) and np.all(seconds > 0)
    before = torch.get_num_threads()
    time_exact_enumeration([3], data_dim=2, num_threads=1)
    assert torch.get_num_threads() == before
    d = np.arange(10, 20)
    alpha, beta = fit_exponential_cost(d, 2.0 ** (-22 + 1.1 * d))
    assert (alpha, beta) == (pytest.approx(-22.0), pytest.approx(1.1))


# ----------------------------------------------------------------------------- mixture
def test_mixture_log_marginal_matches_torch_and_scipy():
    logits, means, covs = random_mixture(k=4, d=3, seed=2)
    x = np.random.default_rng(3).normal(size=(25, 3)) * 3
    mix = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=torch.as_tensor(logits)),
        torch.distributions.MultivariateNormal(torch.as_tensor(means),
                                               covariance_matrix=torch.as_tensor(covs)),
    )
    expected = mix.log_prob(torch.as_tensor(x)).numpy()
    got = gaussian_mixture_log_marginal(x, logits, means, covs).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    w = np.exp(logits - logsumexp(logits))
    density = sum(w[k] * multivariate_normal(means[k], covs[k]).pdf(x) for k in range(4))
    np.testing.assert_allclose(got, np.log(density), rtol=1e-10)


def test_responsibilities_are_bayes_rule():
    logits, means, covs = random_mixture(seed=4)
    x = np.random.default_rng(5).normal(size=(10, 2)) * 2
    w = np.exp(logits - logsumexp(logits))
    joint = np.stack([w[k] * multivariate_normal(means[k], covs[k]).pdf(x) for k in range(3)], axis=1)
    r = mixture_responsibilities(x, logits, means, covs).numpy()
    np.testing.assert_allclose(r, joint / joint.sum(1, keepdims=True), rtol=1e-10)


def test_fisher_gradient_matches_autograd_and_finite_differences():
    logits, means, covs = random_mixture(seed=6)
    _, x = sample_gaussian_mixture(50, logits + 0.5, means + 1.0, covs, generator=7)
    lt = torch.tensor(logits, requires_grad=True)
    mt = torch.tensor(means, requires_grad=True)
    gaussian_mixture_log_marginal(x, lt, mt, covs).sum().backward()
    g_logits, g_means = mixture_fisher_gradient(x, logits, means, covs)
    torch.testing.assert_close(g_logits, lt.grad, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(g_means, mt.grad, rtol=1e-10, atol=1e-10)
    # Finite differences on the SciPy log-likelihood: a third, autograd-free route.
    def loglik(lg, mu):
        w = np.exp(lg - logsumexp(lg))
        dens = sum(w[k] * multivariate_normal(mu[k], covs[k]).pdf(x.numpy()) for k in range(3))
        return np.sum(np.log(dens))
    h = 1e-6
    fd_mean = (loglik(logits, means + h * np.eye(6)[1].reshape(3, 2))
               - loglik(logits, means - h * np.eye(6)[1].reshape(3, 2))) / (2 * h)
    fd_logit = (loglik(logits + h * np.eye(3)[2], means) - loglik(logits - h * np.eye(3)[2], means)) / (2 * h)
    assert float(g_means[0, 1]) == pytest.approx(fd_mean, rel=1e-6)
    assert float(g_logits[2]) == pytest.approx(fd_logit, rel=1e-6, abs=1e-7)


def test_sample_gaussian_mixture_moments():
    logits, means, covs = random_mixture(seed=8)
    n = 60_000
    z, x = sample_gaussian_mixture(n, logits, means, covs, generator=9)
    w = np.exp(logits - logsumexp(logits))
    freq = np.bincount(z.numpy(), minlength=3) / n
    assert np.all(np.abs(freq - w) < 5 * np.sqrt(w * (1 - w) / n))
    sel = x[z == 0].numpy()
    se = np.sqrt(np.diag(covs[0]) / len(sel))
    assert np.all(np.abs(sel.mean(0) - means[0]) < 5 * se)


# ----------------------------------------------------------------------------- estimators
@pytest.fixture(scope="module")
def estimation_problem():
    """f(z) = log p(x, z) of a small sigmoid belief net, q a factorised Bernoulli over D = 8 latents."""
    d = 8
    model = SigmoidBeliefNet.random(d, 12, generator=10)
    _, x = model.sample(1, generator=11)
    phi = torch.randn(d, generator=torch.Generator().manual_seed(12), dtype=D64)

    def f(z):
        return model.log_joint(x[0], z)

    return f, phi


def test_exact_expectation_gradient_matches_conditional_difference_formula(estimation_problem):
    f, phi = estimation_problem
    value, grad = exact_bernoulli_expectation_gradient(f, phi, chunk_size=50)
    states = brute_force_states(8)
    p = expit(phi.numpy())
    q = np.prod(np.where(states == 1, p, 1 - p), axis=1)
    fz = f(torch.as_tensor(states)).numpy()
    assert value == pytest.approx(np.sum(q * fz), rel=1e-12)
    # dE/dφ_j = σ'(φ_j) (E[f | z_j = 1] - E[f | z_j = 0]) for a factorised q.
    cond1 = np.array([np.sum((q * fz)[states[:, j] == 1]) / p[j] for j in range(8)])
    cond0 = np.array([np.sum((q * fz)[states[:, j] == 0]) / (1 - p[j]) for j in range(8)])
    np.testing.assert_allclose(grad, p * (1 - p) * (cond1 - cond0), rtol=1e-10, atol=1e-12)


def test_bernoulli_log_prob_matches_torch_distributions():
    phi = torch.tensor([-2.0, 0.3, 4.0], dtype=D64)
    z = binary_states(3)
    expected = torch.distributions.Bernoulli(logits=phi).log_prob(z).sum(-1)
    torch.testing.assert_close(bernoulli_log_prob(z, phi), expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("baseline", [None, 5.0, "leave_one_out"])
def test_score_function_is_unbiased(estimation_problem, baseline):
    f, phi = estimation_problem
    _, exact = exact_bernoulli_expectation_gradient(f, phi)
    est = score_function_gradient(f, phi, n_samples=4, n_repeats=20_000, baseline=baseline, generator=13)
    assert est.shape == (20_000, 8)
    se = est.std(0, ddof=1) / np.sqrt(len(est))
    z_scores = (est.mean(0) - exact) / se
    # 8 coordinates: |z| < 4.5 fails by chance with probability ~5e-5.
    assert np.max(np.abs(z_scores)) < 4.5, z_scores


def test_baseline_reduces_score_function_variance(estimation_problem):
    f, phi = estimation_problem
    plain = score_function_gradient(f, phi, 8, 4000, baseline=None, generator=14).var(0).sum()
    loo = score_function_gradient(f, phi, 8, 4000, baseline="leave_one_out", generator=14).var(0).sum()
    # f(z) = log p(x, z) is far from 0 (about -20 nats), so centring it removes most of the variance.
    assert loo < 0.3 * plain


def test_relaxed_samples_become_bernoulli_as_temperature_falls():
    phi = torch.tensor([-1.0, 0.0, 2.0], dtype=D64)
    n = 50_000
    z = relaxed_bernoulli_sample(phi, 0.01, shape=(n,), generator=15)
    assert z.shape == (n, 3)
    assert float(torch.minimum(z, 1 - z).mean()) < 0.01  # nearly all samples within 1% of 0 or 1
    p = expit(phi.numpy())
    assert np.all(np.abs(z.mean(0).numpy() - p) < 5 * np.sqrt(p * (1 - p) / n))


def test_gumbel_softmax_bias_shrinks_and_variance_grows_as_temperature_falls(estimation_problem):
    f, phi = estimation_problem
    _, exact = exact_bernoulli_expectation_gradient(f, phi)
    stats = {tau: gradient_estimator_summary(gumbel_softmax_gradient(f, phi, tau, 4, 4000, generator=16),
                                             exact) for tau in (2.0, 0.5, 0.1)}
    # Bias² resolved at high temperature, and each cooler step lowers it by more than 3 standard errors.
    for hot, cold in ((2.0, 0.5), (0.5, 0.1)):
        gap = stats[hot]["bias2"] - stats[cold]["bias2"]
        assert gap > 3 * math.hypot(stats[hot]["bias2_se"], stats[cold]["bias2_se"]), stats
        # Sample variances from 4000 repeats: a factor 1.5 is far beyond their ~3% relative error.
        assert stats[cold]["variance"] > 1.5 * stats[hot]["variance"], stats


def test_gumbel_softmax_gradient_matches_closed_form_for_linear_f():
    # For f(z) = c·z the relaxed objective is c·E[z̃].  At τ = 1 and φ = 0, z̃ = σ(φ + L) with L logistic, and
    # dE[z̃]/dφ = E[σ'(L)] = ∫ σ'(l)² dl = ∫_0^1 s(1 - s) ds = 1/6, whereas the true dE_q[z]/dφ = σ'(0) = 1/4.
    c = torch.tensor([1.0, -2.0], dtype=D64)
    phi = torch.zeros(2, dtype=D64)
    est = gumbel_softmax_gradient(lambda z: z @ c, phi, 1.0, 10, 3000, generator=17)
    assert est.shape == (3000, 2)
    se = est.std(0, ddof=1) / np.sqrt(len(est))
    assert np.all(np.abs(est.mean(0) - c.numpy() / 6.0) < 5 * se)
    assert np.all(np.abs(est.mean(0) - c.numpy() / 4.0) > 20 * se)  # the relaxation's bias is resolved


def test_gradient_estimator_summary_on_known_numbers():
    rng = np.random.default_rng(18)
    exact = np.array([1.0, -2.0])
    est = exact + np.array([0.5, 0.0]) + rng.normal(size=(200_000, 2)) * np.array([1.0, 2.0])
    s = gradient_estimator_summary(est, exact)
    assert s["variance"] == pytest.approx(5.0 / 5.0, rel=0.02)
    assert s["bias2"] == pytest.approx(0.25 / 5.0, abs=4 * s["bias2_se"])
    assert s["mse"] == pytest.approx(s["bias2"] + s["variance"], rel=1e-3)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call",
    [
        lambda: binary_states(0),
        lambda: binary_states(MAX_ENUMERATION_BITS + 1),
        lambda: binary_states(3, start=5, stop=2),
        lambda: log_sum_over_states(lambda z: z.sum(), 3),  # one value for all states
        lambda: log_sum_over_states(lambda z: z.sum(1), 3, chunk_size=0),
        lambda: SigmoidBeliefNet([0.0, 1.0], np.zeros((3, 3)), np.zeros(3)),
        lambda: SigmoidBeliefNet([0.0], np.zeros((3, 1)), np.zeros(2)),
        lambda: SigmoidBeliefNet([np.nan], np.zeros((3, 1)), np.zeros(3)),
        lambda: SigmoidBeliefNet.random(2, 3).log_marginal(np.zeros(4)),
        lambda: gaussian_mixture_log_marginal(np.zeros(2), [0.0, 0.0], np.zeros((2, 2)),
                                              np.stack([np.eye(2), -np.eye(2)])),
        lambda: gaussian_mixture_log_marginal(np.zeros(2), [0.0], np.zeros((2, 2)),
                                              np.stack([np.eye(2)] * 2)),
        lambda: gaussian_mixture_log_marginal(np.zeros(3), [0.0, 0.0], np.zeros((2, 2)),
                                              np.stack([np.eye(2)] * 2)),
        lambda: mixture_fisher_gradient(np.zeros(2), [0.0, 0.0], np.zeros((2, 2)),
                                        np.stack([[[1.0, 0.5], [0.0, 1.0]]] * 2)),
        lambda: score_function_gradient(lambda z: z.sum(-1), [0.0, 1.0], 0),
        lambda: score_function_gradient(lambda z: z.sum(-1), [0.0, 1.0], 1, baseline="leave_one_out"),
        lambda: score_function_gradient(lambda z: z.sum(-1), [0.0, 1.0], 4, baseline="mean"),
        lambda: score_function_gradient(lambda z: z, [0.0, 1.0], 4),  # f returns a vector per sample
        lambda: score_function_gradient(lambda z: z.sum(-1), [[0.0, 1.0]], 4),
        lambda: gumbel_softmax_gradient(lambda z: z.sum(-1), [0.0, 1.0], 0.0, 4),
        lambda: gumbel_softmax_gradient(lambda z: z.sum(-1), [0.0, 1.0], -1.0, 4),
        lambda: relaxed_bernoulli_sample([0.0], float("nan")),
        lambda: score_function_gradient(lambda z: z.sum(-1), [0.0, 1.0], 4, generator="seed"),
        lambda: exact_bernoulli_expectation_gradient(lambda z: z.sum(-1), np.zeros(MAX_ENUMERATION_BITS + 1)),
        lambda: gradient_estimator_summary(np.zeros((1, 2)), np.ones(2)),
        lambda: gradient_estimator_summary(np.zeros((5, 2)), np.ones(3)),
        lambda: fit_exponential_cost([1, 2], [1.0, 0.0]),
    ],
)
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


# ----------------------------------------------------------------------------- exercise checkers
def test_check_mixture_log_marginal():
    log_w = np.log([0.2, 0.5, 0.3])
    comp = np.random.default_rng(19).normal(size=(6, 3)) * 3 - 5
    right = logsumexp(log_w + comp, axis=1)
    assert check_mixture_log_marginal(right, log_w, comp).passed
    assert check_mixture_log_marginal(torch.as_tensor(right), log_w, comp).passed
    assert not check_mixture_log_marginal(..., log_w, comp).passed
    wrong = {
        "largest term": np.max(log_w + comp, axis=1),
        "multiplies": np.sum(log_w + comp, axis=1),
        "weights are missing": logsumexp(comp, axis=1),
        "equal weights": logsumexp(comp, axis=1) - np.log(3),
        "logarithm": logsumexp(np.exp(log_w) + comp, axis=1),
        "AND component": log_w + comp,
    }
    for hint, answer in wrong.items():
        result = check_mixture_log_marginal(answer, log_w, comp)
        assert not result.passed and hint in result.message, (hint, result)


def test_check_enumeration_budget():
    rate, budget = 3.0e6, 3600.0  # 1.08e10 states: D = 33
    assert check_enumeration_budget(33, rate, budget).passed
    assert check_enumeration_budget(np.int64(33), rate, budget).passed
    wrong = {34: "round log2 down", 32: "1 larger", 10: "base 2", 23: "base 2",
             1.08e10: "number of states", 7: "is off"}
    for answer, hint in wrong.items():
        result = check_enumeration_budget(answer, rate, budget)
        assert not result.passed and hint in result.message, (answer, result)
    with pytest.raises(ValueError):
        check_enumeration_budget(3, -1.0, 10.0)


def test_check_bernoulli_score():
    z = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    phi = np.array([0.5, -1.0, 2.0])
    p = expit(phi)
    assert check_bernoulli_score(z - p, z, phi).passed
    wrong = {
        "derivative of the probability": np.broadcast_to(p * (1 - p), z.shape),
        "not the logit": z - phi,
        "chain rule": z / p - (1 - z) / (1 - p),
        "z = 1 half": z * (1 - p),
        "wrong sign": p - z,
        "shape": (z - p).T,
    }
    for hint, answer in wrong.items():
        result = check_bernoulli_score(answer, z, phi)
        assert not result.passed and hint in result.message, (hint, result)
