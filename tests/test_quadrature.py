"""Grid quadrature against closed forms and SciPy's adaptive quadrature."""

import numpy as np
import pytest
from scipy import integrate

from helpers.linear_gaussian import random_model
from helpers.nonlinear import TanhDecoderModel
from helpers.quadrature import grid_log_marginal, latent_grid


@pytest.mark.parametrize("k", [1, 2, 3])
def test_grid_matches_linear_gaussian_closed_form(k):
    model = random_model(k, 4, np.random.default_rng(k), noise_std=0.7)
    _, x = model.sample(3, np.random.default_rng(10 + k))
    n_points = {1: 400, 2: 200, 3: 110}[k]
    estimate = grid_log_marginal(lambda z: model.log_joint(x[None], z[:, None]), k, n_points, 7.0)
    np.testing.assert_allclose(estimate, model.log_marginal(x), atol=1e-6)


def test_nonlinear_1d_matches_scipy_quad():
    model = TanhDecoderModel(latent_dim=1, data_dim=2, hidden=8, noise_std=0.3, seed=0)
    _, x = model.sample(1, np.random.default_rng(1))
    x = x[0]
    grid = grid_log_marginal(lambda z: model.log_joint(x, z), 1, 2000, 8.0)
    # Independent: SciPy's adaptive quadrature of the density itself, not its log.
    integrand = lambda t: np.exp(model.log_joint(x, np.array([[t]]))[0])  # noqa: E731
    value, _ = integrate.quad(integrand, -8, 8, points=[0.0], limit=200, epsabs=0, epsrel=1e-11)
    np.testing.assert_allclose(grid, np.log(value), atol=1e-7)


def test_chunking_does_not_change_the_answer():
    model = random_model(2, 3, 0)
    x = model.sample(1, 0)[1][0]
    full = grid_log_marginal(lambda z: model.log_joint(x, z), 2, 101, 6.0)
    chunked = grid_log_marginal(lambda z: model.log_joint(x, z), 2, 101, 6.0, chunk_size=997)
    np.testing.assert_allclose(full, chunked, rtol=1e-13)


def test_grid_shape_and_errors():
    points, width = latent_grid(2, 4, 1.0)
    assert points.shape == (16, 2) and width == 0.5
    np.testing.assert_allclose(np.unique(points[:, 0]), [-0.75, -0.25, 0.25, 0.75])
    with pytest.raises(ValueError, match="n_points"):
        latent_grid(2, 0, 1.0)
    with pytest.raises(ValueError, match="half_width"):
        latent_grid(2, 4, -1.0)
    with pytest.raises(ValueError, match="too many"):
        latent_grid(10, 100, 1.0)
    with pytest.raises(ValueError, match="log_joint"):
        grid_log_marginal(lambda z: np.zeros(3), 1, 10, 1.0)
