"""helpers.vae: bounds checked against independent computations (torch.distributions, SciPy, brute force)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from scipy import integrate
from scipy.special import logsumexp
from torch.distributions import Bernoulli, Normal, kl_divergence

from helpers import vae as V
from helpers.data import load_digits_binarized

torch.set_num_threads(1)


def _tiny(latent_dim=2, data_dim=6, hidden=(8,), seed=0, scale=2.0):
    """A small untrained VAE with enlarged weights, so its posterior is far from Gaussian."""
    torch.manual_seed(seed)
    model = V.VAE(data_dim, latent_dim, hidden)
    with torch.no_grad():
        for p in model.decoder.parameters():
            p.mul_(scale)
    return model.eval()


def _binary(n, d, seed=1, p=0.4):
    return (np.random.default_rng(seed).random((n, d)) < p).astype(np.float32)


def _numpy_log_joint(model, x, z):
    """log p(x, z) with NumPy only, from the weights: an implementation independent of the module's."""
    layers = [m for m in model.decoder if isinstance(m, torch.nn.Linear)]
    h = np.asarray(z, dtype=np.float64)
    for i, lin in enumerate(layers):
        h = h @ lin.weight.detach().double().numpy().T + lin.bias.detach().double().numpy()
        if i < len(layers) - 1:
            h = np.tanh(h)
    log_lik = np.sum(x * h - np.logaddexp(0.0, h), axis=-1)
    return log_lik - 0.5 * np.sum(np.asarray(z) ** 2, axis=-1) - np.log(2 * np.pi) * z.shape[-1] / 2


def test_model_pieces_match_torch_distributions():
    model = _tiny()
    x = torch.as_tensor(_binary(5, 6))
    z = torch.randn(3, 5, 2)
    expected = Bernoulli(logits=model.decode(z)).log_prob(x).sum(-1)
    torch.testing.assert_close(model.log_likelihood(x, z), expected)
    mean, logvar = model.encode(x)
    q = Normal(mean, torch.exp(0.5 * logvar))
    kl = kl_divergence(q, Normal(torch.zeros_like(mean), torch.ones_like(mean))).sum(-1)
    torch.testing.assert_close(V.kl_to_prior_logvar(mean, logvar), kl)


def test_elbo_equals_the_monte_carlo_average_it_defines():
    model = _tiny()
    x = _binary(4, 6)
    n_samples = 40_000
    ours = V.elbo(model, x, n_samples=n_samples, seed=3)
    # Independent estimate, the log-ratio form E_q[log p(x|z) + log p(z) - log q(z|x)], torch.distributions.
    torch.manual_seed(11)
    xt = torch.as_tensor(x)
    with torch.no_grad():
        mean, logvar = model.encode(xt)
        q = Normal(mean, torch.exp(0.5 * logvar))
        z = q.sample((n_samples,))
        terms = (Bernoulli(logits=model.decode(z)).log_prob(xt).sum(-1)
                 + Normal(0.0, 1.0).log_prob(z).sum(-1) - q.log_prob(z).sum(-1)).double()
    reference = terms.mean(0).numpy()
    se = terms.std(0).numpy() / np.sqrt(n_samples)
    assert np.all(se < 0.05)  # the check below is sharp enough to catch a missing term
    # ours has its own (smaller) MC error; 2 se of the reference bounds both with room.
    np.testing.assert_array_less(np.abs(ours - reference), 5 * se)


def test_elbo_is_deterministic_given_seed_and_differs_across_seeds():
    model = _tiny()
    x = _binary(3, 6)
    first, again = V.elbo(model, x, n_samples=50, seed=1), V.elbo(model, x, n_samples=50, seed=1)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(V.elbo(model, x, n_samples=50, seed=1), V.elbo(model, x, n_samples=50, seed=2))


def test_exact_quadrature_converges_and_matches_scipy_dblquad():
    model = _tiny(data_dim=4, hidden=(3,))
    x = _binary(2, 4, seed=5)
    coarse, mid, fine = (V.exact_log_marginal(model, x, g, half_width=8.0) for g in (40, 80, 320))
    assert np.all(np.abs(mid - fine) < np.abs(coarse - fine) + 1e-12)
    assert np.max(np.abs(mid - fine)) < 1e-6
    for i in range(len(x)):
        def density(z2, z1, row=x[i]):
            return np.exp(_numpy_log_joint(model, row, np.array([z1, z2])))
        value, err = integrate.dblquad(density, -8, 8, -8, 8, epsabs=1e-12, epsrel=1e-10)
        assert abs(fine[i] - np.log(value)) < 1e-6


def test_exact_matches_a_brute_force_grid_sum_on_a_sharper_model():
    model = _tiny(data_dim=12, hidden=(16,), scale=3.0)
    x = _binary(3, 12, seed=7)
    exact = V.exact_log_marginal(model, x, 300)
    axis = np.linspace(-6, 6, 401)
    z = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    step = axis[1] - axis[0]
    for i in range(len(x)):
        # Trapezoid rule on an independent grid (nodes on the box edges, not midpoints), NumPy network.
        vals = _numpy_log_joint(model, x[i].astype(np.float64), z).reshape(len(axis), len(axis))
        w = np.ones(len(axis))
        w[[0, -1]] = 0.5
        brute = logsumexp(vals + np.log(w)[:, None] + np.log(w)[None, :]) + 2 * np.log(step)
        assert abs(exact[i] - brute) < 1e-6


def test_iwae_increases_with_k_and_stays_below_exact():
    model = _tiny(data_dim=12, hidden=(16,), scale=3.0)
    x = _binary(3, 12, seed=7)
    exact = V.exact_log_marginal(model, x, 300)
    log_w = V.iwae_log_weights(model, x, 20_000, seed=0)
    ks = [1, 10, 100, 1000]
    curve = V.iwae_curve(log_w, ks)  # (len(ks), n)
    # Standard errors of the group means, from the spread across groups.
    ses = []
    for kk in ks:
        g = log_w.shape[1] // kk
        per_group = logsumexp(log_w[:, : g * kk].reshape(len(x), g, kk), axis=-1) - np.log(kk)
        ses.append(per_group.std(axis=1, ddof=1) / np.sqrt(g) if g > 1 else np.full(len(x), np.inf))
    ses = np.array(ses)
    # The bound grows with K: demand a real rise from K=1 to K=100 and no fall anywhere.
    assert np.all(curve[2] - curve[0] > 5 * np.sqrt(ses[2] ** 2 + ses[0] ** 2))
    for a, b in zip(range(len(ks) - 1), range(1, len(ks)), strict=True):
        assert np.all(curve[b] > curve[a] - 3 * np.sqrt(ses[a] ** 2 + ses[b] ** 2))
    # Each IWAE_K is below log p(x) (within MC error) and K = 20000 gets close to it.
    assert np.all(curve[:3] < exact + 3 * ses[:3])
    full = V.iwae_log_likelihood(model, x, 20_000, seed=0)
    np.testing.assert_allclose(full, logsumexp(log_w, axis=1) - np.log(20_000))
    assert np.all(full < exact + 0.05)
    assert np.all(exact - full < 0.5 * (exact - curve[0]))
    # K = 1 is an unbiased ELBO estimate.
    elbo = V.elbo(model, x, n_samples=20_000, seed=9)
    assert np.all(np.abs(curve[0] - elbo) < 5 * ses[0])


def test_iwae_weights_are_stitched_correctly_across_chunks():
    model = _tiny()
    x = _binary(5, 6)
    old = V._CHUNK_FLOATS
    try:
        V._CHUNK_FLOATS = 5 * 8 * 7  # forces chunks of 7 samples, the last one short
        chunked = V.iwae_log_weights(model, x, 4000, seed=4)
    finally:
        V._CHUNK_FLOATS = old
    whole = V.iwae_log_weights(model, x, 4000, seed=5)
    assert chunked.shape == (5, 4000) and np.all(np.isfinite(chunked))
    # every column is a fresh draw (no chunk left unwritten or written twice)
    assert len(np.unique(chunked[0])) > 3950  # float32 values may collide now and then
    # and the chunked weights have the distribution of unchunked ones: same mean and same IWAE estimate
    se = np.sqrt(chunked.var(axis=1) / 4000 + whole.var(axis=1) / 4000)
    assert np.all(np.abs(chunked.mean(axis=1) - whole.mean(axis=1)) < 5 * se)
    iw_c, iw_w = (logsumexp(w, axis=1) - np.log(4000) for w in (chunked, whole))
    assert np.all(np.abs(iw_c - iw_w) < 0.05)


def test_grid_kl_equals_log_marginal_minus_elbo_and_best_q_beats_the_encoder():
    model = _tiny(data_dim=12, hidden=(16,), scale=3.0)
    x = _binary(4, 12, seed=7)
    exact = V.exact_log_marginal(model, x, 300)
    with torch.no_grad():
        mean, logvar = model.encode(torch.as_tensor(x))
    kl_enc = V.grid_posterior_kl(model, x, mean, logvar, 300)
    elbo_enc = V.gaussian_elbo(model, x, mean, logvar, n_samples=40_000, seed=2)
    assert np.all(kl_enc > 0)
    np.testing.assert_allclose(exact - elbo_enc, kl_enc, atol=0.03)
    best_mean, best_logvar = V.fit_gaussian_q(model, x, steps=300, n_samples=32, seed=0)
    kl_best = V.grid_posterior_kl(model, x, best_mean, best_logvar, 300)
    elbo_best = V.gaussian_elbo(model, x, best_mean, best_logvar, n_samples=40_000, seed=2)
    np.testing.assert_allclose(exact - elbo_best, kl_best, atol=0.03)
    assert np.all(kl_best > 0)
    assert np.all(kl_best < kl_enc)  # the untrained encoder is far from the best Gaussian
    # the model's parameters are left trainable
    assert all(p.requires_grad for p in model.parameters())


def test_seeded_training_gives_identical_history_and_improves():
    x = load_digits_binarized()[0][:256]
    torch.manual_seed(0)
    model = V.VAE(64, 2, (32,))
    twin, other = copy.deepcopy(model), copy.deepcopy(model)
    kwargs = dict(epochs=15, batch_size=32, lr=1e-2, x_valid=x[:50], progress=False)
    h1 = V.train(model, x, seed=5, **kwargs)
    h2 = V.train(twin, x, seed=5, **kwargs)
    h3 = V.train(other, x, seed=6, **kwargs)
    assert h1 == h2 and h1.epochs == 15 and len(h1.valid_elbo) == 15
    assert h1 != h3
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(a, b)
    assert np.mean(h1.train_elbo[-3:]) > h1.train_elbo[0] + 5.0  # nats per image


def test_learning_rate_decay_reaches_lr_final():
    torch.manual_seed(0)
    model = V.VAE(6, 2, (8,))
    x = _binary(40, 6)
    seen = []
    orig = torch.optim.Adam.step

    def spy(self, *a, **k):
        seen.append(self.param_groups[0]["lr"])
        return orig(self, *a, **k)

    torch.optim.Adam.step = spy
    try:
        V.train(model, x, epochs=3, batch_size=10, lr=1e-2, lr_final=1e-3, seed=0, progress=False)
    finally:
        torch.optim.Adam.step = orig
    assert len(seen) == 12
    np.testing.assert_allclose([seen[0], seen[-1]], [1e-2, 1e-3], rtol=1e-9)


def test_save_load_round_trip_and_atomic(tmp_path):
    model = _tiny()
    path = V.save(model, tmp_path / "vae.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["vae.pt"]  # no temporary file left behind
    loaded = V.load(path)
    assert loaded.config == model.config
    for (k1, a), (k2, b) in zip(model.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert k1 == k2 and torch.equal(a, b)
    x = _binary(3, 6)
    np.testing.assert_array_equal(V.elbo(model, x, n_samples=20), V.elbo(loaded, x, n_samples=20))


def test_truncated_or_mismatched_checkpoint_raises_a_clear_error(tmp_path):
    path = V.save(_tiny(), tmp_path / "vae.pt")
    data = path.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        V.load(tmp_path / "cut.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="truncated or corrupt"):
        V.load(tmp_path / "junk.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a helpers.vae checkpoint"):
        V.load(tmp_path / "other.pt")
    payload = torch.load(path, weights_only=True)
    payload["config"]["latent_dim"] = 3  # the weights are for k = 2
    torch.save(payload, tmp_path / "mismatch.pt")
    with pytest.raises(ValueError, match="do not match"):
        V.load(tmp_path / "mismatch.pt")


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: V.elbo(m, np.full((2, 6), 0.5)), "binary"),
        (lambda m: V.elbo(m, np.zeros((2, 5))), "shape"),
        (lambda m: V.elbo(m, np.zeros(6)), "shape"),
        (lambda m: V.iwae_log_likelihood(m, np.zeros((2, 6)), 0), "k must be a positive integer"),
        (lambda m: V.elbo(m, np.zeros((2, 6)), n_samples=0), "n_samples"),
        (lambda m: V.exact_log_marginal(m, np.zeros((2, 6)), 0), "grid"),
        (lambda m: V.train(m, np.zeros((4, 6)), epochs=0, batch_size=2, lr=1e-3, seed=0), "epochs"),
        (lambda m: V.train(m, np.zeros((4, 6)), epochs=1, batch_size=2, lr=-1.0, seed=0), "lr"),
        (lambda m: V.train(m, np.zeros((4, 6)), epochs=1, batch_size=2, lr=1e-3, seed="a"), "seed"),
        (lambda m: V.gaussian_elbo(m, np.zeros((2, 6)), np.zeros((2, 3)), np.zeros((2, 2))), "mean"),
        (lambda m: V.iwae_curve(np.zeros((2, 10)), [20]), "at most"),
        (lambda m: V.VAE(6, 2, (8,), activation="sigmoid"), "activation"),
        (lambda m: V.VAE(0, 2, (8,)), "data_dim"),
        (lambda m: V.save("not a model", "x.pt"), "model"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call(_tiny())


def test_exact_refuses_a_large_latent():
    with pytest.raises(ValueError, match="small latent"):
        V.exact_log_marginal(V.VAE(6, 8, (4,)), np.zeros((1, 6)), 10)


def test_recipes_build_seeded_models_without_touching_the_global_generator():
    recipe = V.DIGITS_RECIPES[2]
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a, b = recipe.build(), recipe.build()
    assert torch.equal(torch.random.get_rng_state(), before)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    other = V.Recipe(**{**recipe.__dict__, "seed": 1}).build()
    assert not torch.equal(next(a.parameters()), next(other.parameters()))
    assert a.latent_dim == 2 and V.DIGITS_RECIPES[8].build().latent_dim == 8
    assert set(recipe.train_kwargs()) == {"epochs", "batch_size", "lr", "lr_final", "seed"}


def test_training_thread_count_is_restored_and_does_not_change_the_result():
    x = _binary(40, 6)
    torch.manual_seed(0)
    model = V.VAE(6, 2, (8,))
    twin = copy.deepcopy(model)
    before = torch.get_num_threads()
    h1 = V.train(model, x, epochs=3, batch_size=10, lr=1e-2, seed=0, progress=False, num_threads=1)
    assert torch.get_num_threads() == before
    h2 = V.train(twin, x, epochs=3, batch_size=10, lr=1e-2, seed=0, progress=False, num_threads=None)
    assert h1 == h2
    with pytest.raises(ValueError, match="num_threads"):
        V.train(model, x, epochs=1, batch_size=10, lr=1e-2, seed=0, progress=False, num_threads=0)


def test_grid_posterior_mode_is_within_a_cell_of_the_optimum():
    from scipy.optimize import minimize

    model = _tiny(data_dim=12, hidden=(16,), scale=3.0)
    x = _binary(3, 12, seed=7)
    mode = V.grid_posterior_mode(model, x, 300)
    assert mode.shape == (3, 2)
    for i in range(len(x)):
        # Polish with an optimiser on the NumPy log joint, from the grid mode: the grid point is the best one
        # only if the true maximum lies within about a cell (0.04) of it.
        row = x[i].astype(np.float64)
        res = minimize(lambda z, row=row: -_numpy_log_joint(model, row, z), mode[i],
                       method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-10})
        assert np.max(np.abs(res.x - mode[i])) < 0.04
        assert -res.fun >= _numpy_log_joint(model, row, mode[i]) - 1e-9


def test_grid_posterior_moments_match_an_independent_trapezoid_grid():
    model = _tiny(data_dim=12, hidden=(16,), scale=3.0)
    x = _binary(3, 12, seed=7)
    mean, cov = V.grid_posterior_moments(model, x, 300, images_per_chunk=2)  # two chunks: stitching checked
    assert mean.shape == (3, 2) and cov.shape == (3, 2, 2)
    axis = np.linspace(-6, 6, 401)
    z = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    w = np.ones(len(axis))
    w[[0, -1]] = 0.5
    log_rule = (np.log(w)[:, None] + np.log(w)[None, :]).ravel()
    for i in range(len(x)):
        # Trapezoid rule on nodes that include the box edges, NumPy network, NumPy moments.
        log_post = _numpy_log_joint(model, x[i].astype(np.float64), z) + log_rule
        p = np.exp(log_post - logsumexp(log_post))
        m = p @ z
        c = (z - m).T @ ((z - m) * p[:, None])
        assert np.allclose(mean[i], m, atol=1e-6)
        assert np.allclose(cov[i], c, atol=1e-6)
        assert np.all(np.linalg.eigvalsh(cov[i]) > 0)
    assert abs(cov[0, 0, 1] / np.sqrt(cov[0, 0, 0] * cov[0, 1, 1])) > 0.01  # the test has a correlation to see


def test_fit_gaussian_q_starts_where_told_and_restores_trainable_flags():
    model = _tiny()
    x = _binary(3, 6)
    model.decoder[0].weight.requires_grad_(False)
    init = (np.full((3, 2), 0.7), np.full((3, 2), -1.0))
    mean, logvar = V.fit_gaussian_q(model, x, steps=1, lr=1e-6, init=init)
    np.testing.assert_allclose(mean, init[0], atol=1e-5)
    np.testing.assert_allclose(logvar, init[1], atol=1e-5)
    assert not model.decoder[0].weight.requires_grad and model.decoder[0].bias.requires_grad
    with pytest.raises(ValueError, match="init"):
        V.fit_gaussian_q(model, x, steps=1, init=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="mean"):
        V.fit_gaussian_q(model, x, steps=1, init=(np.zeros((3, 5)), np.zeros((3, 2))))


@pytest.mark.parametrize(
    "progress, env, shown", [(True, None, True), (False, None, False), (True, "1", False), (True, "0", True)]
)
def test_progress_bar_follows_the_flag_and_tqdm_disable(monkeypatch, capsys, progress, env, shown):
    import tqdm.auto

    if env is None:
        monkeypatch.delenv("TQDM_DISABLE", raising=False)
    else:
        monkeypatch.setenv("TQDM_DISABLE", env)
    seen = []
    real = tqdm.auto.tqdm

    def spy(*args, **kwargs):
        seen.append(kwargs.get("disable"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", spy)
    torch.manual_seed(0)
    history = V.train(V.VAE(6, 2, (8,)), _binary(20, 6), epochs=2, batch_size=10, lr=1e-2, seed=0,
                      progress=progress)
    assert seen == [not shown] and history.epochs == 2
    err = capsys.readouterr().err
    assert ("train ELBO" in err) == shown  # the bar (on stderr in a terminal) shows the running ELBO


def test_training_threads_follow_the_work_per_step():
    """One thread for the digits recipes, torch's own count at MNIST size; "auto" is restored like any count."""
    recipe = V.DIGITS_RECIPES[8]
    digits = recipe.build()
    weights = sum(p.numel() for name, p in digits.named_parameters() if name.endswith("weight"))
    assert recipe.batch_size * weights < V.PARALLEL_WORK_PER_STEP
    assert V.training_threads(digits, recipe.batch_size) == 1
    mnist = V.VAE(784, 50, (200, 200))
    assert 100 * (784 * 200 + 200 * 200 + 200 * 100 + 50 * 200 + 200 * 200 + 200 * 784) > V.PARALLEL_WORK_PER_STEP
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert V.training_threads(mnist, 100) == 2 and V.training_threads(digits, recipe.batch_size) == 1
        V.train(_tiny(), _binary(20, 6), epochs=1, batch_size=10, lr=1e-2, seed=0, progress=False)  # "auto"
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ValueError, match="num_threads"):
        V.train(_tiny(), _binary(20, 6), epochs=1, batch_size=10, lr=1e-2, seed=0, progress=False,
                num_threads="many")
