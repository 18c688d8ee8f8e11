"""helpers.flows: the change of variables checked against torch.distributions, autograd Jacobians and areas."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, TransformedDistribution
from torch.distributions.transforms import AffineTransform, TanhTransform

from helpers.flows import constrain_u, flow_log_prob, planar_flow_sample, planar_layer

torch.set_num_threads(1)
f64 = torch.float64


def _layer_params(seed, k=2, scale=1.5):
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(k, generator=g, dtype=f64), scale * torch.randn(k, generator=g, dtype=f64),
            torch.randn((), generator=g, dtype=f64))


@pytest.mark.parametrize("seed", range(6))
def test_planar_log_det_matches_the_autograd_jacobian(seed):
    u, w, b = _layer_params(seed, k=3)
    z = torch.randn(5, 3, generator=torch.Generator().manual_seed(100 + seed), dtype=f64)
    _, log_det = planar_layer(z, u, w, b)
    for i in range(5):
        jac = torch.autograd.functional.jacobian(lambda v: planar_layer(v, u, w, b)[0], z[i])
        torch.testing.assert_close(log_det[i], torch.linalg.slogdet(jac).logabsdet, rtol=1e-10, atol=1e-12)


def test_constrained_u_keeps_the_layer_invertible_and_u_zero_is_the_identity():
    for seed in range(20):
        u, w, _ = _layer_params(seed, scale=4.0)
        assert float(w @ constrain_u(u, w)) > -1.0
    z = torch.randn(4, 2, dtype=f64)
    out, log_det = planar_layer(z, torch.zeros(2, dtype=f64), torch.tensor([0.3, -2.0], dtype=f64),
                                torch.tensor(0.7, dtype=f64))
    torch.testing.assert_close(out, z)
    torch.testing.assert_close(log_det, torch.zeros(4, dtype=f64))


def test_flow_log_prob_composes_like_torch_transformed_distribution():
    # Elementwise maps from torch's library, composed by our change-of-variables code and by theirs.
    base = Normal(torch.zeros(2, dtype=f64), torch.ones(2, dtype=f64))
    maps = [AffineTransform(torch.tensor([0.3, -1.0], dtype=f64), torch.tensor([2.0, -0.5], dtype=f64)),
            TanhTransform(), AffineTransform(torch.tensor(0.1, dtype=f64), torch.tensor(3.0, dtype=f64))]
    z0 = base.sample((200,))
    layers = [lambda z, t=t: (t(z), t.log_abs_det_jacobian(z, t(z)).sum(-1)) for t in maps]
    z_last, log_q = flow_log_prob(z0, base.log_prob(z0).sum(-1), layers)
    reference = TransformedDistribution(base, maps).log_prob(z_last).sum(-1)
    torch.testing.assert_close(log_q, reference, rtol=1e-8, atol=1e-8)


def test_planar_flow_density_gives_the_area_of_a_box():
    # area(B) = E_{z ~ q}[1_B(z) / q(z)]: a wrong log q (other than by a constant on B) gets the area wrong.
    n, layers = 400_000, 3
    g = torch.Generator().manual_seed(0)
    mean = torch.tensor([[0.2, -0.1]], dtype=f64).expand(n, 2)
    logvar = torch.tensor([[0.0, -0.5]], dtype=f64).expand(n, 2)
    flow = (1.5 * torch.randn(1, layers, 5, generator=g, dtype=f64)).expand(n, layers, 5)
    eps = torch.randn(n, 2, generator=g, dtype=f64)
    z, log_q = planar_flow_sample(mean, logvar, flow, eps)
    inside = ((z - z.median(0).values).abs() < 0.5).all(-1)  # a unit box where q has mass
    terms = torch.where(inside, torch.exp(-log_q), torch.zeros_like(log_q))
    area, se = terms.mean().item(), terms.std().item() / math.sqrt(n)
    assert inside.sum() > 10_000
    assert abs(area - 1.0) < 4 * se, (area, se)


def test_planar_flow_sample_is_reparameterised_and_base_density_is_gaussian():
    mean, logvar = torch.tensor([[1.0, -2.0]]), torch.tensor([[0.5, -1.0]])
    flow = torch.zeros(1, 2, 5)  # u = 0: identity layers
    eps = torch.randn(7, 1, 2)
    z, log_q = planar_flow_sample(mean, logvar, flow, eps)
    ref = Normal(mean, torch.exp(0.5 * logvar))
    torch.testing.assert_close(z, ref.loc + ref.scale * eps)
    torch.testing.assert_close(log_q, ref.log_prob(z).sum(-1))


def test_bad_input_is_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="flow_params"):
        planar_flow_sample(torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(3, 2, 4), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="base_log_prob"):
        flow_log_prob(torch.zeros(3, 2), torch.zeros(2), [])
    with pytest.raises(ValueError, match="z0"):
        flow_log_prob([[0.0, 0.0]], torch.zeros(1), [])
    with pytest.raises(ValueError, match="u"):
        constrain_u(torch.tensor([float("nan"), 0.0]), torch.ones(2))


def test_planar_flow_sample_is_flow_log_prob_over_planar_layers():
    # planar_flow_sample is written for speed; it must agree with the layer-by-layer change of variables.
    g = torch.Generator().manual_seed(3)
    n, layers = 7, 3
    mean, logvar = torch.randn(n, 2, generator=g, dtype=f64), torch.randn(n, 2, generator=g, dtype=f64)
    flow = 1.5 * torch.randn(n, layers, 5, generator=g, dtype=f64)
    eps = torch.randn(4, n, 2, generator=g, dtype=f64)
    z, log_q = planar_flow_sample(mean, logvar, flow, eps)
    z0 = mean + torch.exp(0.5 * logvar) * eps
    base = Normal(mean, torch.exp(0.5 * logvar)).log_prob(z0).sum(-1)
    steps = [lambda v, p=flow[:, j]: planar_layer(v, p[:, :2], p[:, 2:4], p[:, 4]) for j in range(layers)]
    z_ref, log_q_ref = flow_log_prob(z0, base, steps)
    torch.testing.assert_close(z, z_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(log_q, log_q_ref, rtol=1e-12, atol=1e-12)
