"""helpers.vae_variants and helpers.semi_amortised, checked against torch.distributions, SciPy and quadrature."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from helpers import vae as V
from helpers.quadrature import latent_grid
from helpers.semi_amortised import diagonal_to_family, refine_q
from helpers.vae_variants import (
    VariantVAE,
    active_units,
    elbo_of,
    iwae_of,
    kl_per_unit,
    log_weights,
    n_q_params,
    sample_q,
    train_variant,
)

torch.set_num_threads(1)


def _binary(n, d=6, seed=1, p=0.4):
    return (np.random.default_rng(seed).random((n, d)) < p).astype(np.float32)


def _model(family="diagonal", n_flows=2, seed=0, scale=2.0):
    """A small untrained model whose decoder weights are enlarged, so its posterior is far from Gaussian."""
    torch.manual_seed(seed)
    model = VariantVAE(6, 2, (8,), family=family, n_flows=n_flows)
    with torch.no_grad():
        for p in model.decoder.parameters():
            p.mul_(scale)
    return model.eval()


def test_full_covariance_q_matches_torch_multivariate_normal():
    params = torch.randn(4, n_q_params("full", 3), generator=torch.Generator().manual_seed(0))
    eps = torch.randn(5, 4, 3, generator=torch.Generator().manual_seed(1))
    z, log_q = sample_q("full", params, eps, 3)
    chol = torch.diag_embed(params[:, 3:6].exp())
    rows, cols = torch.tril_indices(3, 3, -1)
    chol[:, rows, cols] = params[:, 6:]
    ref = MultivariateNormal(params[:, :3], scale_tril=chol)
    torch.testing.assert_close(z, params[:, :3] + (chol @ eps.unsqueeze(-1)).squeeze(-1))
    torch.testing.assert_close(log_q, ref.log_prob(z), rtol=1e-5, atol=1e-5)


def test_diagonal_q_matches_torch_normal():
    params = torch.randn(4, 4, generator=torch.Generator().manual_seed(2))
    eps = torch.randn(3, 4, 2)
    z, log_q = sample_q("diagonal", params, eps, 2)
    torch.testing.assert_close(log_q, Normal(params[:, :2], (0.5 * params[:, 2:]).exp()).log_prob(z).sum(-1))


def test_one_gaussian_in_three_families_gives_identical_weights():
    model = _model()
    x = _binary(5)
    mean, logvar = np.random.default_rng(0).normal(size=(2, 5, 2)).astype(np.float32)
    weights = [log_weights(model, x, 50, seed=3, params=diagonal_to_family(mean, logvar, fam, 3), family=fam)
               for fam in ("diagonal", "full", "planar")]
    np.testing.assert_allclose(weights[1], weights[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(weights[2], weights[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("family", ["diagonal", "full", "planar"])
def test_elbo_and_iwae_against_quadrature(family):
    model = _model(family)
    x = _binary(4)
    exact = V.exact_log_marginal(model, x, grid=300, half_width=7.0)
    lw = log_weights(model, x, 20_000, seed=0)
    se = lw.std(axis=1) / np.sqrt(lw.shape[1])
    elbo = elbo_of(model, x, 20_000, seed=0)
    np.testing.assert_allclose(elbo, lw.mean(axis=1))
    assert np.all(elbo < exact)
    big = iwae_of(model, x, 20_000, seed=1)
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    se_big = w.std(axis=1) / (w.mean(axis=1) * np.sqrt(w.shape[1]))  # delta method
    assert np.all(big <= exact + 4 * se_big) and np.all(big > elbo)
    if family == "diagonal":
        # log p(x) - ELBO = KL(q || p(z|x)), the KL by quadrature: no sampling on that side.
        mean, logvar = model.encode(torch.as_tensor(x))
        kl = V.grid_posterior_kl(model, x, mean.detach(), logvar.detach(), grid=300, half_width=7.0)
        assert np.all(np.abs(exact - elbo - kl) < 5 * se)
    if family == "full":
        # The ELBO by 2-D quadrature against SciPy's Gaussian density.
        params = model.q_params(torch.as_tensor(x)).detach().double().numpy()
        points, width = latent_grid(2, 300, 7.0)
        log_joint = V.grid_log_joint(model, x, points)  # (m, n)
        for i in range(len(x)):
            chol = np.array([[np.exp(params[i, 2]), 0.0], [params[i, 4], np.exp(params[i, 3])]])
            log_q = stats.multivariate_normal(params[i, :2], chol @ chol.T).logpdf(points)
            q = np.exp(log_q) * width**2
            assert abs(q.sum() - 1.0) < 1e-4  # the grid resolves q
            assert abs(np.sum(q * (log_joint[:, i] - log_q)) - elbo[i]) < 5 * se[i] + 1e-3


def test_training_is_seeded_raises_the_objective_and_warms_up():
    x = _binary(64, seed=5)
    histories = []
    for _ in range(2):
        model = _model("planar", scale=1.0)
        histories.append(train_variant(model, x, epochs=30, batch_size=16, lr=1e-2, lr_final=1e-3, seed=4))
    assert histories[0] == histories[1]
    assert np.mean(histories[0].objective[-5:]) > np.mean(histories[0].objective[:5])
    warm = train_variant(_model(scale=1.0), x, epochs=4, batch_size=16, lr=1e-2, lr_final=1e-3, seed=0,
                         beta=0.5, warmup_epochs=4)
    assert warm.beta == [0.125, 0.25, 0.375, 0.5]
    iw = train_variant(_model(scale=1.0), x, objective="iwae", k=5, epochs=3, batch_size=16, lr=1e-2,
                       lr_final=1e-3, seed=0)
    assert iw.epochs == 3 and np.all(np.isfinite(iw.objective))


def test_kl_per_unit_and_active_units():
    model = _model(scale=1.0)
    x = _binary(30)
    mean, logvar = model.encode(torch.as_tensor(x))
    kl = kl_divergence(Normal(mean, (0.5 * logvar).exp()), Normal(0.0, 1.0)).mean(0).detach().numpy()
    np.testing.assert_allclose(kl_per_unit(model, x), kl, rtol=1e-5)
    with torch.no_grad():  # unit 2's mean no longer depends on x: it is inactive
        model.encoder[-1].weight[1].zero_()
    count, activity = active_units(model, x)
    assert activity[1] == 0.0 and count == int(activity[0] > 0.01)


def test_refinement_raises_the_elbo_and_records_steps():
    model = _model()
    x = _binary(6)
    out = refine_q(model, x, steps=60, lr=0.05, n_samples=16, seed=0, record=[0, 10])
    assert sorted(out) == [0, 10, 60]
    np.testing.assert_allclose(out[0], model.q_params(torch.as_tensor(x)).detach().numpy())
    kl = {t: V.grid_posterior_kl(model, x, out[t][:, :2], out[t][:, 2:], grid=300, half_width=7.0) for t in (0, 60)}
    assert np.all(kl[60] <= kl[0] + 1e-3) and kl[60].mean() < kl[0].mean() - 0.05


def test_bad_input_is_refused_with_the_argument_named():
    model = _model()
    with pytest.raises(ValueError, match="family"):
        VariantVAE(6, 2, family="gaussian")
    with pytest.raises(ValueError, match="objective"):
        train_variant(model, _binary(4), objective="kl", epochs=1, batch_size=2, lr=1e-3, lr_final=1e-3, seed=0)
    with pytest.raises(ValueError, match="beta"):
        train_variant(model, _binary(4), epochs=1, batch_size=2, lr=1e-3, lr_final=1e-3, seed=0, beta=-1.0)
    with pytest.raises(ValueError, match="x"):
        elbo_of(model, np.full((3, 6), 0.5))
    with pytest.raises(ValueError, match="params"):
        log_weights(model, _binary(3), 5, params=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="record"):
        refine_q(model, _binary(3), steps=5, record=[9])
    with pytest.raises(ValueError, match="encode"):
        _model("full").encode(torch.zeros(1, 6))


def test_kl_both_ways_by_quadrature():
    from helpers.vae_variants import grid_kl_both_ways

    model, x = _model(), _binary(3)
    mean, logvar = (t.detach().numpy() for t in model.encode(torch.as_tensor(x)))
    exclusive, inclusive = grid_kl_both_ways(model, x, mean, logvar, grid=300, half_width=7.0)
    np.testing.assert_allclose(exclusive, V.grid_posterior_kl(model, x, mean, logvar, grid=300, half_width=7.0),
                               rtol=1e-6, atol=1e-8)
    # The inclusive KL as a Monte Carlo average over posterior draws (on the grid), with q's density from SciPy.
    points, width = latent_grid(2, 300, 7.0)
    log_joint = V.grid_log_joint(model, x, points)
    rng = np.random.default_rng(0)
    for i in range(3):
        post = np.exp(log_joint[:, i] - log_joint[:, i].max())
        post /= post.sum()
        idx = rng.choice(len(points), 20_000, p=post)
        log_q = stats.multivariate_normal(mean[i], np.diag(np.exp(logvar[i]))).logpdf(points[idx])
        terms = np.log(post[idx] / width**2) - log_q
        assert abs(terms.mean() - inclusive[i]) < 5 * terms.std() / np.sqrt(len(terms))
    assert np.all(inclusive > 0) and np.all(exclusive > 0)


def test_kl_both_ways_returns_the_same_log_marginal_as_exact_log_marginal():
    from helpers.vae_variants import grid_kl_both_ways

    model, x = _model(), _binary(7)
    mean, logvar = (t.detach().numpy() for t in model.encode(torch.as_tensor(x)))
    exclusive, inclusive, log_px = grid_kl_both_ways(model, x, mean, logvar, grid=120, half_width=7.0,
                                                     images_per_chunk=3, return_log_marginal=True)
    np.testing.assert_allclose(log_px, V.exact_log_marginal(model, x, grid=120, half_width=7.0), rtol=0, atol=1e-9)
    two = grid_kl_both_ways(model, x, mean, logvar, grid=120, half_width=7.0, images_per_chunk=16)
    np.testing.assert_allclose(two[0], exclusive, rtol=0, atol=1e-10)  # the chunking changes nothing
    np.testing.assert_allclose(two[1], inclusive, rtol=0, atol=1e-10)


def test_log_weights_do_not_depend_on_the_chunk_size():
    """All draws from one generator in order: the same numbers as one eps tensor of every draw at once."""
    model, x = _model(), _binary(8)
    lw = log_weights(model, x, 300, seed=3)
    eps = torch.randn(300, 8, 2, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        z, log_q = sample_q("diagonal", model.q_params(torch.as_tensor(x)), eps, 2)
        expected = (model.log_joint(torch.as_tensor(x), z) - log_q).double().T.numpy()
    np.testing.assert_allclose(lw, expected, rtol=1e-6, atol=1e-6)


def test_variant_training_threads_count_the_decoder_once_per_iwae_sample(monkeypatch):
    from helpers.vae_variants import variant_training_threads

    digits = VariantVAE(64, 2, (256, 128))  # notebook 09's model, batch 64
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert variant_training_threads(digits, 64, 1) == V.training_threads(digits, 64) == 1
        assert variant_training_threads(digits, 64, 5) == 1  # 64 x (99k + 4 x 49k) weights < 2e7
        assert variant_training_threads(digits, 64, 50) == 2  # 64 x (99k + 49 x 49k) weights > 2e7
        # train_variant sets that count for the loop and restores the caller's; seeded runs repeat exactly.
        seen = []
        set_threads = torch.set_num_threads
        monkeypatch.setattr(torch, "set_num_threads", lambda n: (seen.append(n), set_threads(n))[1])
        x = _binary(64, d=64, seed=2)
        runs = []
        for _ in range(2):
            torch.manual_seed(0)
            model = VariantVAE(64, 2, (256, 128))
            runs.append((train_variant(model, x, objective="iwae", k=50, epochs=2, batch_size=32, lr=1e-3,
                                       lr_final=1e-4, seed=0), model.decoder[0].weight.detach().clone()))
        assert seen == [2, 2, 2, 2]  # 32 x (99k + 49 x 49k) > 2e7: two threads, then the caller's two again
        train_variant(VariantVAE(64, 2, (256, 128)), x, epochs=1, batch_size=32, lr=1e-3, lr_final=1e-4, seed=0)
        assert seen[4:] == [1, 2]  # an ELBO step of this size runs on one thread
        train_variant(VariantVAE(64, 2, (256, 128)), x, objective="iwae", k=50, epochs=1, batch_size=32, lr=1e-3,
                      lr_final=1e-4, seed=0, num_threads=1)
        assert seen[6:] == [1, 2]  # an explicit count overrides the rule
        with pytest.raises(ValueError, match="num_threads"):
            train_variant(VariantVAE(64, 2, (256, 128)), x, epochs=1, batch_size=32, lr=1e-3, lr_final=1e-4, seed=0,
                          num_threads="many")
        assert runs[0][0] == runs[1][0] and torch.equal(runs[0][1], runs[1][1])
        assert torch.get_num_threads() == 2
    finally:
        monkeypatch.undo()
        torch.set_num_threads(before)


def test_bounds_against_exact_agree_with_the_posterior_kl_by_quadrature():
    """ELBO, IWAE and exact log p(x) of one call, against a second, sampling-free route: log p(x) - ELBO must be
    KL(q || p(z|x)) on the grid, and IWAE-5000 must lie between the ELBO and log p(x) up to its standard error."""
    from helpers.vae_variants import bounds_against_exact

    model, x = _model(), _binary(12)
    r = bounds_against_exact(model, x, n_samples=5000, n_elbo=1000, grid=200, check_grid=150, seed=0)
    mean, logvar = (t.detach().numpy() for t in model.encode(torch.as_tensor(x)))
    kl = V.grid_posterior_kl(model, x, mean, logvar, grid=200)
    assert abs((r["exact"] - r["elbo"]).mean() - kl.mean()) < 4 * r["elbo_se"]
    assert np.all(r["elbo"] < r["iwae"]) and np.all(r["iwae"] < r["exact"] + 4 * r["iwae_se_image"] + 1e-3)
    assert r["grid_change"] < 2e-3 and r["iwae_se"] > 0
    with pytest.raises(ValueError, match="n_elbo"):
        bounds_against_exact(model, x, n_samples=10, n_elbo=20)


def test_closing_table_aligns_every_column_and_marks_missing_numbers():
    from helpers.vae_variants import closing_table

    rows = [("a short name", 8.64, -18.8134, -18.0301, -17.9604, 0.2469, 0.6061),
            ("a much longer method name", 12.0, -1.0, -0.5, "n/a, 8-D", 0.25, np.nan)]
    lines = closing_table(rows, approx_label="approx. ≥").splitlines()
    assert len(lines) == 3 and len({len(line) for line in lines}) == 1  # one width for every line
    assert lines[0].split() == ["method", "train", "s", "ELBO", "IWAE-5000", "exact", "approx.", "≥", "amort."]
    assert lines[1].split()[-6:] == ["8.6", "-18.813", "-18.030", "-17.960", "0.247", "0.606"]
    assert lines[2].endswith("n/a, 8-D     0.250      –")
    # Each number ends where its header ends (right-aligned under it).
    assert lines[0].index("IWAE-5000") + len("IWAE-5000") == lines[1].index("-18.030") + len("-18.030")
    with pytest.raises(ValueError, match="7 entries"):
        closing_table([("too short", 1.0, -1.0)])
