r"""Normalising flows for q(z|x): the change-of-variables formula in a few lines, and planar layers.

Push a sample z_0 ~ q_0 (a Gaussian) through invertible maps z_j = f_j(z_{j-1}), j = 1..L. The density of
the result follows from the change of variables, one Jacobian determinant per layer:

    log q_L(z_L) = log q_0(z_0) - sum_j log |det df_j/dz_{j-1}|                       (``flow_log_prob``)

A **planar layer** (Rezende & Mohamed, 2015) bends space along one direction w:

    f(z) = z + u_hat * tanh(w.z + b),        log |det df/dz| = log |1 + u_hat . (1 - tanh^2(w.z + b)) w|

(the matrix determinant lemma), where u_hat = u + (m(w.u) - w.u) w / |w|^2 with m(a) = -1 + softplus(a + c)
makes w.u_hat = m(w.u) > -1, which keeps f invertible (``planar_layer``).  Rezende & Mohamed use c = 0; we
shift by c = log(e - 1) so that m(0) = 0 and u = 0 gives u_hat = 0: a layer with u = 0 is the identity, a
natural place to start training.

All functions take torch tensors and broadcast over leading axes: z has shape (..., k), the layer parameters
(..., k), (..., k), (...,) for one layer, so every image can have its own flow (amortised: an encoder emits
them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch.nn import functional as F

from helpers.logspace import LOG_2PI

__all__ = ["constrain_u", "planar_layer", "flow_log_prob", "planar_flow_sample"]

_SHIFT = math.log(math.e - 1.0)  # softplus(_SHIFT) = 1


def _tensor(value, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a torch tensor, got {type(value).__name__}")
    if not torch.all(torch.isfinite(value)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return value


def constrain_u(u: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    r"""u_hat = u + (m(w.u) - w.u) w / |w|^2, m(a) = -1 + softplus(a + log(e - 1)), so w.u_hat = m(w.u) > -1.

    m(0) = 0, so u = 0 gives u_hat = 0 (the identity layer)."""
    u, w = _tensor(u, "u"), _tensor(w, "w")
    if u.shape[-1] != w.shape[-1]:
        raise ValueError(f"u and w must have the same last dimension, got {tuple(u.shape)} and {tuple(w.shape)}")
    return _constrain(u, w)


def _constrain(u: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``constrain_u`` without the checks (the caller has validated u and w)."""
    wu = (w * u).sum(-1, keepdim=True)
    # A tiny floor on |w|^2 only matters for w = 0, where the layer is the identity anyway.
    return u + (F.softplus(wu + _SHIFT) - 1.0 - wu) * w / (w * w).sum(-1, keepdim=True).clamp_min(1e-12)


def planar_layer(z: torch.Tensor, u: torch.Tensor, w: torch.Tensor, b: torch.Tensor):
    r"""One planar layer: returns ``(f(z), log |det df/dz|)``, shapes (..., k) and (...).

    ``u`` is constrained with ``constrain_u`` here, so any real (u, w, b) gives an invertible layer.
    """
    z, b = _tensor(z, "z"), _tensor(b, "b")
    if z.shape[-1] != w.shape[-1]:
        raise ValueError(f"z and w must have the same last dimension, got {tuple(z.shape)} and {tuple(w.shape)}")
    u_hat = constrain_u(u, w)
    return _planar_step(z, u_hat, w, b, (w * u_hat).sum(-1))


def _planar_step(z: torch.Tensor, u_hat: torch.Tensor, w: torch.Tensor, b: torch.Tensor, wu_hat: torch.Tensor):
    """``planar_layer`` with u already constrained and w.u_hat given; no checks (a hot loop in training)."""
    h = torch.tanh((w * z).sum(-1) + b)  # (...)
    z_next = z + u_hat * h.unsqueeze(-1)
    # det(I + u_hat psi^T) = 1 + psi . u_hat with psi = (1 - h^2) w: the matrix determinant lemma.
    log_det = torch.log(torch.abs(1.0 + (1.0 - h * h) * wu_hat))
    return z_next, log_det


def flow_log_prob(z0: torch.Tensor, base_log_prob: torch.Tensor,
                  layers: Iterable[Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]]):
    r"""The change of variables: push ``z0`` through ``layers`` and return ``(z_L, log q_L(z_L))``.

    ``base_log_prob`` is log q_0(z0), shape (...); each layer maps z (..., k) to ``(f(z), log|det df/dz|)``.
    log q_L(z_L) = log q_0(z_0) - sum_j log |det J_j|: a volume that a layer stretches by a factor |det J|
    holds the same probability, so the density there is divided by |det J|.
    """
    z = _tensor(z0, "z0")
    log_q = _tensor(base_log_prob, "base_log_prob")
    if log_q.shape != z.shape[:-1]:
        raise ValueError(f"base_log_prob must have shape {tuple(z.shape[:-1])} (one value per z0), "
                         f"got {tuple(log_q.shape)}")
    for layer in layers:
        z, log_det = layer(z)
        log_q = log_q - log_det
    return z, log_q


def planar_flow_sample(mean: torch.Tensor, logvar: torch.Tensor, flow_params: torch.Tensor,
                       eps: torch.Tensor):
    r"""A planar flow q(z|x): z_0 = mean + exp(logvar/2) * eps, then L planar layers.

    ``mean`` and ``logvar`` (the log-variance) have shape (n, k); ``flow_params`` (n, L, 2k + 1) holds each
    image's (u, w, b) per layer; ``eps`` (..., n, k) is standard normal noise.  Returns ``(z_L, log q(z_L))``
    of shapes (..., n, k) and (..., n), differentiable in all parameters (reparameterised).
    """
    mean, logvar, flow_params, eps = (_tensor(t, name) for t, name in
                                      ((mean, "mean"), (logvar, "logvar"), (flow_params, "flow_params"),
                                       (eps, "eps")))
    n, k = mean.shape
    if logvar.shape != (n, k) or eps.shape[-2:] != (n, k):
        raise ValueError(f"logvar must have shape ({n}, {k}) and eps shape (..., {n}, {k}), "
                         f"got {tuple(logvar.shape)} and {tuple(eps.shape)}")
    if flow_params.ndim != 3 or flow_params.shape[0] != n or flow_params.shape[2] != 2 * k + 1:
        raise ValueError(f"flow_params must have shape ({n}, L, {2 * k + 1}), got {tuple(flow_params.shape)}")
    z = mean + torch.exp(0.5 * logvar) * eps
    # log N(z0; mean, diag exp(logvar)), with (z0 - mean) / std = eps exactly.
    base = -0.5 * (eps * eps + logvar + LOG_2PI).sum(-1)
    if flow_params.shape[1] == 0:
        return z, base
    # The same formula as flow_log_prob over planar_layer's (tests/test_flows.py checks that), written for speed,
    # since training runs it at every step: every u constrained at once, the layers' parameters unbound once,
    # and the L log-determinants taken together at the end.
    u, w, b = flow_params[..., :k], flow_params[..., k : 2 * k], flow_params[..., 2 * k]
    u_hat = _constrain(u, w)  # (n, L, k)
    wu_hat = (w * u_hat).sum(-1)  # (n, L), above -1
    hs = []
    for u_j, w_j, b_j in zip(u_hat.unbind(1), w.unbind(1), b.unbind(1), strict=True):
        h = torch.tanh((w_j * z).sum(-1) + b_j)  # (..., n)
        z = torch.addcmul(z, u_j, h.unsqueeze(-1))  # z + u_hat tanh(w.z + b)
        hs.append(h)
    h = torch.stack(hs, -1)  # (..., n, L)
    # log |det J_j| = log(1 + (1 - h_j^2) w_j.u_hat_j); the argument is positive because w_j.u_hat_j > -1.
    log_det = torch.log1p((1.0 - h * h) * wu_hat)
    return z, base - log_det.sum(-1)
