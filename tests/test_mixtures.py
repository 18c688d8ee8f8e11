"""helpers.mixtures: the Bernoulli mixture's exact log p(x) vs brute force, and EM's monotone objective."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from helpers.mixtures import BernoulliMixture, fit_bernoulli_mixture


def _random_mixture(j, d, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(j))
    return BernoulliMixture(w, rng.uniform(0.05, 0.95, size=(j, d)))


def _brute_force_px(model, x):
    """p(x) = sum_j pi_j prod_d mu^x (1 - mu)^(1 - x), with explicit products (no logs)."""
    probs = model.probs[None, :, :]
    per_pixel = np.where(x[:, None, :] == 1, probs, 1.0 - probs)
    return np.sum(model.weights[None, :] * np.prod(per_pixel, axis=-1), axis=1)


def test_log_likelihood_matches_brute_force_products():
    model = _random_mixture(4, 10)
    x = (np.random.default_rng(1).random((50, 10)) < 0.5).astype(float)
    np.testing.assert_allclose(model.log_likelihood(x), np.log(_brute_force_px(model, x)), rtol=1e-12)


def test_mixture_is_normalised_over_all_binary_images():
    model = _random_mixture(3, 8)
    every = np.array(list(itertools.product([0.0, 1.0], repeat=8)))
    assert np.isclose(np.exp(model.log_likelihood(every)).sum(), 1.0, rtol=1e-12)


def test_responsibilities_are_bayes_rule():
    model = _random_mixture(3, 6)
    x = (np.random.default_rng(2).random((20, 6)) < 0.5).astype(float)
    probs = model.probs[None]
    joint = model.weights * np.prod(np.where(x[:, None, :] == 1, probs, 1 - probs), axis=-1)
    np.testing.assert_allclose(model.responsibilities(x), joint / joint.sum(1, keepdims=True), rtol=1e-10)


@pytest.mark.parametrize("pseudo_count", [0.0, 1.0])
def test_em_objective_is_monotone_and_recorded_correctly(pseudo_count):
    truth = _random_mixture(3, 16, seed=3)
    rng = np.random.default_rng(4)
    z = rng.choice(3, size=400, p=truth.weights)
    x = (rng.random((400, 16)) < truth.probs[z]).astype(float)
    fit = fit_bernoulli_mixture(x, 5, n_iter=100, tol=0.0, pseudo_count=pseudo_count, seed=0)
    obj = np.array(fit.objective)
    assert len(obj) == 101
    assert np.all(np.diff(obj) >= -1e-10)
    assert obj[-1] > obj[0] + 0.5  # it really moved
    # The last recorded value is the objective of the returned parameters, recomputed independently.
    penalty = pseudo_count * np.sum(np.log(fit.probs) + np.log(1 - fit.probs)) if pseudo_count else 0.0
    recomputed = (np.sum(np.log(_brute_force_px(fit, x))) + penalty) / len(x)
    assert np.isclose(obj[-1], recomputed, rtol=1e-10)


def test_em_recovers_a_planted_mixture():
    rng = np.random.default_rng(5)
    probs = np.array([[0.9] * 10 + [0.1] * 10, [0.1] * 10 + [0.9] * 10])
    z = rng.choice(2, size=3000, p=[0.3, 0.7])
    x = (rng.random((3000, 20)) < probs[z]).astype(float)
    fit = fit_bernoulli_mixture(x, 2, seed=1)
    order = np.argsort(fit.probs[:, 0])[::-1]  # label switching: match components by their first pixel
    np.testing.assert_allclose(fit.probs[order], probs, atol=0.03)
    np.testing.assert_allclose(fit.weights[order], [0.3, 0.7], atol=0.03)


def test_one_component_is_the_smoothed_pixel_frequency():
    x = (np.random.default_rng(6).random((30, 7)) < 0.3).astype(float)
    fit = fit_bernoulli_mixture(x, 1, pseudo_count=1.0)
    np.testing.assert_allclose(fit.probs[0], (x.sum(0) + 1) / (30 + 2))
    assert np.isclose(fit.weights[0], 1.0)


def test_pure_maximum_likelihood_handles_pixels_never_on():
    x = np.zeros((10, 4))
    x[:5, 0] = 1
    fit = fit_bernoulli_mixture(x, 2, pseudo_count=0.0, seed=0)
    assert np.all(np.isfinite(fit.log_likelihood(x)))
    unseen = np.array([[0.0, 1.0, 0.0, 0.0]])  # pixel 1 was never on in training: probability 0
    assert fit.log_likelihood(unseen)[0] == -np.inf


@pytest.mark.parametrize(
    "x, kwargs, match",
    [
        (np.full((3, 2), 0.5), {}, "binary"),
        (np.zeros(4), {}, "2-D"),
        (np.zeros((3, 2)), {"n_components": 0}, "n_components"),
        (np.zeros((3, 2)), {"pseudo_count": -1.0}, "pseudo_count"),
        (np.zeros((3, 2)), {"seed": "a"}, "seed"),
    ],
)
def test_bad_input_raises_value_error(x, kwargs, match):
    kwargs = {"n_components": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        fit_bernoulli_mixture(x, **kwargs)
