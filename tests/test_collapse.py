"""helpers.collapse: the autoregressive decoder checked by autograd, enumeration and sampling frequencies."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

from helpers.collapse import AutoregressiveVAE, autoregressive_masks
from helpers.semi_amortised import refine_q
from helpers.vae import exact_log_marginal
from helpers.vae_variants import active_units, elbo_of, iwae_of, kl_per_unit, log_weights, train_variant

torch.set_num_threads(1)


def _model(ar_hidden=5, d=6, k=2, seed=0, scale=2.0):
    torch.manual_seed(seed)
    model = AutoregressiveVAE(d, k, (8,), ar_hidden=ar_hidden)
    with torch.no_grad():  # enlarge the pixel-to-pixel weights so the test has teeth
        for name, p in model.named_parameters():
            if name in ("direct", "out_weight", "hidden_weight"):
                p.mul_(scale)
    return model.eval()


def _images(d=6):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=d)))


@pytest.mark.parametrize("ar_hidden", [0, 5, 16])
def test_logit_d_depends_on_earlier_pixels_only(ar_hidden):
    model = _model(ar_hidden)
    z = torch.randn(1, 2)
    x = torch.rand(1, 6)  # a continuous point, so every derivative is defined
    jac = torch.autograd.functional.jacobian(lambda v: model.logits(v, z)[0], x)[:, 0, :]  # (d, d)
    upper = torch.triu(jac)  # diagonal and above: must vanish
    assert torch.all(upper == 0)
    assert torch.count_nonzero(torch.tril(jac, -1)) == 15  # every earlier pixel is seen


def test_masks_allow_exactly_the_earlier_pixels():
    direct, into, out = autoregressive_masks(6, 12)
    np.testing.assert_array_equal(direct.numpy(), np.tril(np.ones((6, 6)), -1))
    # The pixels reachable through the hidden layer: (out @ into)[d, j] > 0 only for j < d.
    reach = (out @ into).numpy()
    assert np.all(reach[np.triu_indices(6)] == 0) and np.all(reach[np.tril_indices(6, -1)] > 0)


@pytest.mark.parametrize("ar_hidden", [0, 7])
def test_p_x_given_z_sums_to_one_over_all_images(ar_hidden):
    model = _model(ar_hidden)
    images = _images()
    with torch.no_grad():
        for z in torch.randn(3, 2):
            log_p = model.log_likelihood(images, z.expand(len(images), 2)).double().numpy()
            assert abs(logsumexp(log_p)) < 1e-5


def test_ancestral_samples_match_p_x_given_z():
    model = _model(6, d=3)
    z = torch.full((60_000, 2), 0.3)
    samples = model.sample_x(z, seed=1)
    codes = samples @ np.array([4, 2, 1])
    counts = np.bincount(codes.astype(int), minlength=8)
    images = _images(3)
    with torch.no_grad():
        p = model.log_likelihood(images, z[:8]).exp().double().numpy()
    expected = p * len(z)
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 < 24.3  # the 0.999 quantile of chi-square with 7 degrees of freedom
    assert abs(p.sum() - 1) < 1e-5


def test_estimators_work_unchanged_and_the_elbo_is_a_bound():
    model = _model()
    x = (np.random.default_rng(0).random((4, 6)) < 0.5).astype(np.float32)
    # log p(x) by enumerating z on a grid is refused (decode alone is undefined); by importance sampling instead:
    # log p(x) = log E_{p(z)}[p(x|z)], with 200,000 prior draws, against the IWAE bound of the encoder's q.
    z = torch.randn(200_000, 4, 2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        log_px = (torch.logsumexp(model.log_likelihood(torch.as_tensor(x), z).double(), 0) - np.log(len(z))).numpy()
    elbo, iwae = elbo_of(model, x, 5000), iwae_of(model, x, 5000)
    assert np.all(elbo < iwae) and np.all(np.abs(iwae - log_px) < 0.05)
    assert log_weights(model, x, 7).shape == (4, 7)
    assert kl_per_unit(model, x).shape == (2,) and active_units(model, x)[1].shape == (2,)
    out = refine_q(model, x, steps=5, n_samples=4)
    assert out[5].shape == (4, 4)
    with pytest.raises(ValueError, match="logits"):
        exact_log_marginal(model, x, grid=20)


def test_training_is_seeded():
    x = (np.random.default_rng(2).random((32, 6)) < 0.4).astype(np.float32)
    histories = [train_variant(_model(scale=1.0), x, epochs=5, batch_size=8, lr=1e-2, lr_final=1e-3, seed=3,
                               warmup_epochs=2) for _ in range(2)]
    assert histories[0] == histories[1] and np.all(np.isfinite(histories[0].objective))


def test_bad_input_is_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="ar_hidden"):
        AutoregressiveVAE(6, 2, ar_hidden=-1)
    with pytest.raises(ValueError, match="data_dim"):
        autoregressive_masks(0)
    model = _model()
    with pytest.raises(ValueError, match="z"):
        model.sample_x(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="seed"):
        model.sample_x(np.zeros((3, 2)), seed=1.5)
    with pytest.raises(ValueError, match="x"):
        elbo_of(model, np.full((2, 6), 0.5))
