"""ElboGapExplorer driven headlessly: set its controls, read its numbers, recompute them independently.

The widget computes the gap as log p(x) - ELBO; the tests compare that with KL(q || p(z|x)) computed directly
(helpers.elbo.gaussian_kl, and torch.distributions with a posterior assembled by hand), so the identity is
checked through the widget.  For the non-conjugate model the reference is scipy.integrate.quad.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from helpers.elbo import gaussian_kl
from helpers.linear_gaussian import LinearGaussian
from helpers.nonconjugate import SquaredLatentModel
from helpers.widgets import CORR_RANGE, LOG_STD_RANGE, MEAN_RANGE, MODEL_NAMES, Choice, ElboGapExplorer

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def explorer():
    return ElboGapExplorer(n_samples=200, seed=0)


def select(ex, model_index, x_index=0):
    ex.model_toggle.value = MODEL_NAMES[model_index]
    ex.x_index.value = x_index


def torch_posterior_kl(model: LinearGaussian, x, q_mean, q_cov) -> float:
    """KL(q || p(z|x)) with the posterior from Gaussian conditioning of the joint (no helper code)."""
    k = model.latent_dim
    cov_xx = model.A @ model.A.T + model.Sigma
    gain = np.linalg.solve(cov_xx, model.A).T  # Cov(z, x) Cov(x)^{-1}
    post_cov = np.eye(k) - gain @ model.A
    post_cov = torch.tensor(0.5 * (post_cov + post_cov.T))
    post_mean = torch.tensor(gain @ (x - model.b))
    post = torch.distributions.MultivariateNormal(post_mean, covariance_matrix=post_cov)
    q = torch.distributions.MultivariateNormal(torch.tensor(q_mean), covariance_matrix=torch.tensor(q_cov))
    return float(torch.distributions.kl_divergence(q, post))


def test_displays_itself_as_an_ipywidget(explorer):
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id


def test_controls_have_descriptions_and_css_classes(explorer):
    expected = {
        "elbo-explorer": explorer.widget, "elbo-model": explorer.model_toggle,
        "elbo-x-index": explorer.x_index,
        "elbo-mean-0": explorer.mean_sliders[0], "elbo-mean-1": explorer.mean_sliders[1],
        "elbo-log-std-0": explorer.log_std_sliders[0], "elbo-log-std-1": explorer.log_std_sliders[1],
        "elbo-corr": explorer.corr_slider, "elbo-n-samples": explorer.n_samples_slider,
        "elbo-snap": explorer.snap_button, "elbo-reset": explorer.reset_button,
        "elbo-resample": explorer.resample_button, "elbo-plot": explorer.image,
        "elbo-gap-readout": explorer.gap_readout, "elbo-readout": explorer.readout,
    }
    for css, w in expected.items():
        assert css in w._dom_classes, css
    controls = (*explorer.mean_sliders, *explorer.log_std_sliders, explorer.corr_slider,
                explorer.n_samples_slider, explorer.x_index)
    descriptions = [w.description for w in controls]
    assert all(descriptions) and len(set(descriptions)) == len(descriptions)


@pytest.mark.parametrize("model_index", [0, 1])
def test_gap_equals_kl_to_the_posterior(explorer, model_index):
    rng = np.random.default_rng(model_index)
    for x_index in range(len(explorer.data[model_index])):
        select(explorer, model_index, x_index)
        k = explorer.latent_dim
        for _ in range(5):
            for i in range(k):
                explorer.mean_sliders[i].value = float(rng.uniform(-2.5, 2.5))
                explorer.log_std_sliders[i].value = float(rng.uniform(-1.5, 1.0))
            if k == 2:
                explorer.corr_slider.value = float(rng.uniform(-0.9, 0.9))
            model, x = explorer.model, explorer.x
            mean, cov = explorer.q_mean, explorer.q_cov
            post_mean, post_cov = model.posterior(x)
            reference = gaussian_kl(mean, cov, post_mean, post_cov)
            assert explorer.gap == pytest.approx(reference, rel=1e-10, abs=1e-10)
            assert explorer.gap == pytest.approx(torch_posterior_kl(model, x, mean, cov), rel=1e-8, abs=1e-10)
            # log p(x) from scipy; the ELBO decomposition from the displayed pieces.
            log_px = stats.multivariate_normal(model.b, model.A @ model.A.T + model.Sigma).logpdf(x)
            assert explorer.log_px == pytest.approx(log_px, rel=1e-12)
            nums = explorer.numbers
            decomposition = nums["expected_log_likelihood"] - nums["kl_to_prior"]
            assert nums["elbo"] == pytest.approx(decomposition, abs=1e-12)
            assert explorer.elbo <= explorer.log_px


def test_the_slider_values_define_q(explorer):
    select(explorer, 1)
    explorer.mean_sliders[0].value, explorer.mean_sliders[1].value = 0.5, -1.0
    explorer.log_std_sliders[0].value, explorer.log_std_sliders[1].value = np.log(0.5), np.log(2.0)
    explorer.corr_slider.value = -0.5
    np.testing.assert_allclose(explorer.q_mean, [0.5, -1.0])
    np.testing.assert_allclose(explorer.q_cov, [[0.25, -0.5], [-0.5, 4.0]], rtol=1e-12)


@pytest.mark.parametrize("model_index", [0, 1])
def test_snap_closes_the_gap_and_reset_returns_to_the_prior(explorer, model_index):
    for x_index in range(len(explorer.data[model_index])):
        select(explorer, model_index, x_index)
        explorer.mean_sliders[0].value = 3.0
        assert explorer.gap > 0.1
        explorer.snap_button.click()
        assert abs(explorer.gap) < 1e-10
        post_mean, post_cov = explorer.model.posterior(explorer.x)
        np.testing.assert_allclose(explorer.q_mean, post_mean, atol=1e-12)
        np.testing.assert_allclose(explorer.q_cov, post_cov, atol=1e-12)
        # The posterior is inside every slider's range (snap did not clip anything).
        for s in (*explorer.mean_sliders, *explorer.log_std_sliders, explorer.corr_slider):
            assert s.min < s.value < s.max
        explorer.reset_button.click()
        k = explorer.latent_dim
        np.testing.assert_array_equal(explorer.q_mean, np.zeros(k))
        np.testing.assert_allclose(explorer.q_cov, np.eye(k))
        assert explorer.numbers["kl_to_prior"] == pytest.approx(0.0, abs=1e-14)


def test_slider_extremes_give_finite_numbers_and_a_picture(explorer):
    for model_index in range(len(MODEL_NAMES)):
        select(explorer, model_index, len(explorer.data[model_index]) - 1)
        k = explorer.latent_dim
        corners = itertools.product(MEAN_RANGE, LOG_STD_RANGE, LOG_STD_RANGE if k == 2 else (0.0,),
                                    CORR_RANGE if k == 2 else (0.0,))
        for mean, log_std_0, log_std_1, corr in corners:
            for i in range(k):
                explorer.mean_sliders[i].value = mean if i == 0 else -mean
            explorer.log_std_sliders[0].value = log_std_0
            if k == 2:
                explorer.log_std_sliders[1].value = log_std_1
                explorer.corr_slider.value = corr
            for n in (explorer.n_samples_slider.min, explorer.n_samples_slider.max):
                explorer.n_samples_slider.value = n
                values = np.array([v for v in explorer.numbers.values()], dtype=float)
                corner = (model_index, mean, log_std_0, log_std_1, corr, n)
                assert np.all(np.isfinite(values)), (corner, explorer.numbers)
                assert explorer.gap >= -1e-9
                html = (explorer.readout.value + explorer.gap_readout.value).lower()
                assert "nan" not in html and "inf" not in html
                assert explorer.png.startswith(PNG_MAGIC)
    explorer.n_samples_slider.value = 200


def test_monte_carlo_estimate_agrees_with_the_exact_elbo(explorer):
    for model_index in range(len(MODEL_NAMES)):
        select(explorer, model_index, 1)
        explorer.reset_button.click()
        explorer.mean_sliders[0].value = 0.7
        explorer.n_samples_slider.value = 2000
        z_scores = []
        for _ in range(5):
            explorer.resample_button.click()
            nums = explorer.numbers
            z_scores.append((nums["elbo_mc"] - nums["elbo"]) / nums["elbo_mc_stderr"])
        assert np.max(np.abs(z_scores)) < 4.5, z_scores
        # Different draws after "new MC samples", the same draws when q is unchanged otherwise.
        assert len(set(np.round(z_scores, 12))) == 5
    explorer.n_samples_slider.value = 200


def test_non_conjugate_model_keeps_a_positive_gap(explorer):
    select(explorer, 2)
    assert explorer.latent_dim == 1
    assert explorer.corr_slider.disabled and explorer.mean_sliders[1].layout.display == "none"
    # Only the k = 2 controls are hidden (each control has its own Layout).
    shown = (explorer.mean_sliders[0], explorer.log_std_sliders[0], explorer.n_samples_slider, explorer.x_index)
    assert all(w.layout.display is None for w in shown)
    model = explorer.model
    for x_index, xv in enumerate(explorer.data[2][:, 0]):
        explorer.x_index.value = x_index
        # log p(x) against scipy's adaptive quadrature.
        ref, _ = integrate.quad(lambda z, xv=xv: np.exp(model.log_joint(np.array([xv]), np.array([z]))),
                                -np.inf, np.inf, epsabs=0.0, epsrel=1e-13, limit=400)
        assert explorer.log_px == pytest.approx(np.log(ref), abs=1e-10)
        explorer.snap_button.click()
        best_gap = explorer.gap
        assert best_gap > 0.005
        assert explorer.numbers["best_gap"] == pytest.approx(best_gap, abs=1e-12)
        # The gap shown is KL(q || p(z|x)), computed here directly by quadrature.
        m, s = explorer.q_mean[0], np.sqrt(explorer.q_cov[0, 0])
        q = stats.norm(m, s)

        def integrand(z, q=q, xv=xv):
            log_post = model.log_joint(np.array([xv]), np.array([z])) - explorer.log_px
            return q.pdf(z) * (q.logpdf(z) - log_post)

        kl, _ = integrate.quad(integrand, m - 12 * s, m + 12 * s, epsabs=1e-13, epsrel=1e-12, limit=400)
        assert best_gap == pytest.approx(kl, abs=1e-9)
        # Moving away from the best Gaussian only makes the gap larger.
        for slider, step in ((explorer.mean_sliders[0], 0.05), (explorer.log_std_sliders[0], 0.05)):
            slider.value += step
            assert explorer.gap > best_gap
            slider.value -= 2 * step
            assert explorer.gap > best_gap
            slider.value += step
    # Bimodal data point: the best Gaussian sits on one mode, the gap is close to log 2.
    explorer.x_index.value = len(explorer.data[2]) - 1
    explorer.snap_button.click()
    assert explorer.gap == pytest.approx(np.log(2), abs=0.02)
    assert "snap to best Gaussian" in explorer.snap_button.description


def test_switching_models_keeps_a_valid_data_point(explorer):
    select(explorer, 2, 4)  # the non-conjugate model offers five points, the others four
    explorer.model_toggle.value = MODEL_NAMES[0]
    assert explorer.x_index.value == 3
    assert explorer.x.shape == (3,)
    explorer.model_toggle.value = MODEL_NAMES[1]
    assert not explorer.corr_slider.disabled and explorer.mean_sliders[1].layout.display is None
    assert explorer.q_cov.shape == (2, 2)


def test_bars_start_at_zero_and_the_gap_bracket_joins_their_ends(explorer):
    """Issue 11 item 8: log p(x) and the ELBO are separate bars from zero; the gap is a bracket between their
    ends, so the longer bar on the negative axis is the smaller number."""
    select(explorer, 0, 0)
    explorer.reset_button.click()
    explorer.mean_sliders[0].value = 1.0
    nums = explorer.numbers
    assert nums["log_px"] < 0 and nums["elbo"] < nums["log_px"]
    for key, value in (("log_px", nums["log_px"]), ("elbo", nums["elbo"])):
        bar = explorer.plot.bars[key]
        assert bar.get_x() == 0.0 and bar.get_width() == pytest.approx(value)
    xs = np.asarray(explorer.plot.gap_bracket.get_xdata(), dtype=float)
    assert np.nanmin(xs) == pytest.approx(nums["elbo"]) and np.nanmax(xs) == pytest.approx(nums["log_px"])
    assert np.nanmax(xs) - np.nanmin(xs) == pytest.approx(explorer.gap)


def test_two_dimensional_posterior_contours_are_its_one_and_two_sd_ellipses(explorer):
    """The k = 2 picture contours the model's log_joint on a grid; for the Gaussian posterior those contours must
    lie at Mahalanobis radius 1 and 2 from the exact posterior mean (computed here from A, b, Sigma by hand)."""
    select(explorer, 1, 2)
    model, x = explorer.model, explorer.x
    cov_xx = model.A @ model.A.T + model.Sigma
    gain = np.linalg.solve(cov_xx, model.A).T
    post_mean, post_cov = gain @ (x - model.b), np.eye(2) - gain @ model.A
    precision = np.linalg.inv(post_cov)
    radii = []
    for path in explorer.plot.post_contours.get_paths():
        for polygon in path.to_polygons():
            d = polygon - post_mean
            radii.append(np.sqrt(np.einsum("ni,ij,nj->n", d, precision, d)))
    radii = np.concatenate(radii)
    near_one, near_two = radii[radii < 1.5], radii[radii >= 1.5]
    assert near_one.size > 20 and near_two.size > 20
    np.testing.assert_allclose(near_one, 1.0, atol=0.02)
    np.testing.assert_allclose(near_two, 2.0, atol=0.02)


class _ShiftedSquare(SquaredLatentModel):
    """A model the explorer does not know: x ~ N(z^2 + 1, sigma^2), through the same four methods."""

    def log_joint(self, x, z):
        return super().log_joint(np.asarray(x) - 1.0, z)

    def log_marginal(self, x):
        return super().log_marginal(np.asarray(x) - 1.0)

    def best_gaussian_q(self, x):
        return super().best_gaussian_q(np.asarray(x) - 1.0)

    def elbo_terms(self, x, q_mean, q_cov):
        return super().elbo_terms(np.asarray(x) - 1.0, q_mean, q_cov)


def test_a_new_model_is_one_more_choice():
    choice = Choice("shifted", _ShiftedSquare(noise_std=0.5), np.array([[0.0], [4.0]]), "quadrature")
    ex = ElboGapExplorer(choices=[choice])
    assert ex.latent_dim == 1 and ex.snap_button.description == "snap to best Gaussian q"
    ex.x_index.value = 1  # x = 4: the squared model's x = 3, two separated modes
    ex.snap_button.click()
    assert ex.gap == pytest.approx(np.log(2), abs=0.02)
    assert ex.log_px == pytest.approx(SquaredLatentModel(noise_std=0.5).log_marginal(3.0), abs=1e-12)
    with pytest.raises(ValueError, match="choices"):
        ElboGapExplorer(choices=[Choice("k = 3", LinearGaussian(np.ones((3, 3)), np.zeros(3), np.eye(3)),
                                        np.zeros((1, 3)), "exact")])
