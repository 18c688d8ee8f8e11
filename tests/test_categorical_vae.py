"""helpers.categorical_vae: enumeration checked against torch.distributions, brute force and Monte Carlo."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch.distributions import Bernoulli, Categorical, kl_divergence

from helpers.categorical_vae import (
    CategoricalVAE,
    _objective,
    all_states,
    exact_elbo,
    exact_log_marginal,
    fit_categorical_q,
    iwae_categorical,
    train_categorical,
)

torch.set_num_threads(1)


def _binary(n, d=6, seed=1, p=0.4):
    return (np.random.default_rng(seed).random((n, d)) < p).astype(np.float32)


def _model(seed=0):
    torch.manual_seed(seed)
    model = CategoricalVAE(6, 2, 3, (8,))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2.0)
    return model.eval()


def test_states_and_exact_marginal_by_brute_force():
    model, x = _model(), _binary(4)
    assert all_states(2, 3).shape == (9, 6) and torch.all(all_states(2, 3).sum(1) == 2)
    total = np.zeros(4)
    for a, b in itertools.product(range(3), repeat=2):
        code = torch.zeros(6)
        code[a], code[3 + b] = 1.0, 1.0
        with torch.no_grad():
            lik = Bernoulli(logits=model.decoder(code)).log_prob(torch.as_tensor(x)).sum(-1).double().exp()
        total += lik.numpy() / 9.0
    np.testing.assert_allclose(exact_log_marginal(model, x), np.log(total), rtol=1e-6)


def test_exact_elbo_against_monte_carlo_and_torch_kl():
    model, x = _model(), _binary(3)
    xt = torch.as_tensor(x)
    with torch.no_grad():
        log_pi = model.q_logits(xt)
        q = Categorical(logits=log_pi)
        kl = kl_divergence(q, Categorical(logits=torch.zeros_like(log_pi))).sum(-1)
        torch.testing.assert_close(model.kl_to_prior(log_pi), kl)
        draws = q.sample((100_000,), )  # (M, n, D)
        codes = torch.nn.functional.one_hot(draws, 3).float().reshape(100_000, 3, 6)
        terms = model.log_likelihood(xt, codes).double()
    mc = (terms.mean(0) - kl.double()).numpy()
    se = (terms.std(0) / np.sqrt(100_000)).numpy()
    elbo = exact_elbo(model, x)
    assert np.all(np.abs(elbo - mc) < 4 * se)
    assert np.all(elbo < exact_log_marginal(model, x))


def test_score_function_surrogate_is_unbiased_for_the_exact_gradient():
    model, x = _model(), torch.as_tensor(_binary(2))
    enc = list(model.encoder.parameters())

    # Exact gradient of sum_n ELBO(x_n) in the encoder's weights, by enumeration (autograd through q's weights).
    states = all_states(2, 3)
    log_lik = model.log_likelihood(x, states[:, None, :].expand(-1, 2, -1)).detach()  # (S, n)
    log_pi = model.q_logits(x)
    log_q = states @ log_pi.reshape(2, -1).T
    elbo = (log_q.exp() * log_lik).sum(0) - model.kl_to_prior(log_pi)
    exact = torch.autograd.grad(elbo.sum(), enc)
    gen = torch.Generator().manual_seed(0)
    grads = []
    for _ in range(400):
        _, surrogate = _objective(model, x, "score", 1.0, 8, gen)
        grads.append(torch.cat([g.reshape(-1) for g in torch.autograd.grad(surrogate.sum(), enc)]))
    grads = torch.stack(grads)
    mean, se = grads.mean(0), grads.std(0) / np.sqrt(len(grads))
    target = torch.cat([g.reshape(-1) for g in exact])
    assert torch.all((mean - target).abs() < 5 * se + 1e-6)


@pytest.mark.parametrize("estimator", ["relaxed", "straight-through", "score"])
def test_training_is_seeded_and_tracks_the_exact_elbo(estimator):
    x = _binary(48, seed=3)
    runs = []
    for _ in range(2):
        model = _model()
        runs.append(train_categorical(model, x, estimator=estimator, epochs=15, batch_size=16, lr=1e-2,
                                      lr_final=1e-3, seed=2, tau=1.0, tau_final=0.5, x_valid=x[:10]))
    assert runs[0] == runs[1] and len(runs[0].valid_elbo) == 15
    assert runs[0].valid_elbo[-1] > runs[0].valid_elbo[0]


def test_bad_input_is_refused_with_the_argument_named():
    model = _model()
    with pytest.raises(ValueError, match="estimator"):
        train_categorical(model, _binary(4), estimator="reinforce", epochs=1, batch_size=2, lr=1e-3,
                          lr_final=1e-3, seed=0)
    with pytest.raises(ValueError, match="tau"):
        train_categorical(model, _binary(4), estimator="relaxed", epochs=1, batch_size=2, lr=1e-3,
                          lr_final=1e-3, seed=0, tau=0.0)
    with pytest.raises(ValueError, match="n_samples"):
        train_categorical(model, _binary(4), estimator="score", epochs=1, batch_size=2, lr=1e-3,
                          lr_final=1e-3, seed=0, n_samples=1)
    with pytest.raises(ValueError, match="x"):
        exact_elbo(model, np.full((2, 6), 0.3))
    with pytest.raises(ValueError, match="states"):
        all_states(10, 10)


def test_best_q_beats_the_encoder_and_iwae_approaches_the_exact_value():
    model, x = _model(), _binary(5)
    log_pi, best = fit_categorical_q(model, x, steps=300, lr=0.1)
    np.testing.assert_allclose(np.exp(log_pi).sum(-1), 1.0, rtol=1e-10)
    encoder = exact_elbo(model, x)
    exact = exact_log_marginal(model, x)
    assert np.all(best >= encoder - 1e-9) and np.all(best <= exact + 1e-9)
    iwae = {k: np.mean([iwae_categorical(model, x, k, seed=s) for s in range(20)], axis=0) for k in (1, 1000)}
    np.testing.assert_allclose(iwae[1].mean(), encoder.mean(), atol=0.3)  # IWAE_1 is an ELBO estimate
    assert np.all(iwae[1000] > encoder)
    assert np.all(np.abs(iwae[1000] - exact) < 0.05)
