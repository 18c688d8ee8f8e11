r"""Semi-amortised inference: start from the encoder's q and refine it, image by image, by gradient ascent.

The encoder gives q_phi(z|x) in one forward pass; the best q of its family for this one image, q*_x, needs
an optimisation.  Between the two: take t gradient steps on the image's own ELBO, from the encoder's
parameters, with theta fixed (Kim et al., 2018, also train the encoder through these steps; here they are
used at test time only).  The amortisation gap left after t steps is ELBO(q*_x) - ELBO(q_t).

``refine_q`` works for every family of ``helpers.vae_variants`` (its parameters are a plain (n, P) tensor)
and optimises all images at once: Adam is elementwise, so the images do not interact.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from helpers._validation import positive_int
from helpers.vae_variants import VariantVAE, _data, _gen, sample_q

__all__ = ["refine_q", "diagonal_to_family"]


def diagonal_to_family(mean, logvar, family: str, n_flows: int = 0, *, seed: int = 0) -> np.ndarray:
    r"""The parameters (n, P) of ``family`` that describe the same diagonal Gaussian N(mean, diag exp(logvar)).

    Full covariance: log-diagonal of L = logvar / 2 and zeros below the diagonal.  Planar flow: every layer
    is the identity (u = 0, b = 0) with a random direction w ~ N(0, I) (seeded), so refinement can bend it.
    """
    mean = np.asarray(mean, dtype=np.float32)
    logvar = np.asarray(logvar, dtype=np.float32)
    if mean.ndim != 2 or logvar.shape != mean.shape:
        raise ValueError(f"mean and logvar must both have shape (n, k), got {mean.shape} and {logvar.shape}")
    n, k = mean.shape
    if family == "diagonal":
        return np.hstack([mean, logvar])
    if family == "full":
        return np.hstack([mean, 0.5 * logvar, np.zeros((n, k * (k - 1) // 2), np.float32)])
    if family == "planar":
        n_flows = positive_int(n_flows, "n_flows")
        w = np.random.default_rng(seed).standard_normal((n, n_flows, k)).astype(np.float32)
        layers = np.concatenate([np.zeros_like(w), w, np.zeros((n, n_flows, 1), np.float32)], axis=-1)
        return np.hstack([mean, logvar, layers.reshape(n, -1)])
    raise ValueError(f"family must be 'diagonal', 'full' or 'planar', got {family!r}")


def refine_q(model: VariantVAE, x, params0=None, *, family: str | None = None, steps: int, lr: float = 0.05,
             n_samples: int = 8, seed: int = 0, record=()) -> dict[int, np.ndarray]:
    r"""t steps of Adam on each image's reparameterised ELBO, from ``params0`` (default: the encoder's q).

    ``family`` defaults to the model's; a different one (with matching ``params0``) fits another family of q
    to this model's posterior, the decoder unchanged.  Each step draws ``n_samples`` fresh eps per image.
    Returns ``{t: params after t steps}`` for every t in ``record`` and for t = ``steps``, each (n, P).
    """
    data = _data(model, x)
    steps = positive_int(steps, "steps")
    n_samples = positive_int(n_samples, "n_samples")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    record = sorted({int(t) for t in record} | {steps})
    if record[0] < 0 or record[-1] > steps:
        raise ValueError(f"record must hold step counts between 0 and steps = {steps}, got {record}")
    family = model.family if family is None else family
    model.eval()
    with torch.no_grad():
        start = model.q_params(data) if params0 is None else torch.as_tensor(np.asarray(params0, np.float32))
    if start.ndim != 2 or start.shape[0] != data.shape[0]:
        raise ValueError(f"params0 must have shape ({data.shape[0]}, P), got {tuple(start.shape)}")
    gen = _gen(seed)
    params = start.detach().clone().requires_grad_(True)
    optimiser = torch.optim.Adam([params], lr=lr)
    trainable = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    out = {}
    try:
        for t in range(steps + 1):
            if t in record:
                out[t] = params.detach().numpy().copy()
            if t == steps:
                break
            eps = torch.randn(n_samples, data.shape[0], model.latent_dim, generator=gen)
            z, log_q = sample_q(family, params, eps, model.latent_dim)
            value = (model.log_joint(data, z) - log_q).mean(0)
            optimiser.zero_grad(set_to_none=True)
            (-value.sum()).backward()
            optimiser.step()
    finally:
        for p, flag in zip(model.parameters(), trainable, strict=True):
            p.requires_grad_(flag)
    return out
