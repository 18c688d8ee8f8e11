r"""A decoder strong enough to ignore z: the autoregressive Bernoulli decoder of notebook 11 (posterior collapse).

``helpers.vae.VAE``'s decoder makes the pixels independent given z, so everything the pixels share must pass
through z.  Here each pixel also sees the pixels before it in raster order:

    p_theta(x | z) = prod_d Bernoulli(x_d; sigm(l_d)),   l_d = MLP(z)_d + a_d(x_{<d}),

where a(x) is either a masked linear map (``ar_hidden=0``: a fully visible sigmoid belief net, Frey 1998) or
a masked linear map plus one masked hidden layer (``ar_hidden=H``: MADE, Germain et al. 2015, with a direct
connection).  The masks make a_d depend on x_1 ... x_{d-1} only, so the product is a proper distribution over
the 2^d binary images for every z, and it can be sampled one pixel at a time (``sample_x``).  With z ignored,
it is still a good model of the pixels: that is what lets the ELBO switch z off.

``AutoregressiveVAE`` is a ``helpers.vae_variants.VariantVAE`` whose ``log_likelihood(x, z)`` is the one above,
so every estimator there (``log_weights``, ``elbo_of``, ``iwae_of``, ``kl_per_unit``, ``active_units``,
``train_variant``) and ``helpers.semi_amortised.refine_q`` work unchanged.  ``decode(z)`` alone is refused:
the logits depend on x too (so the quadrature helpers of ``helpers.vae``, which call it, refuse this model).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers._validation import positive_int
from helpers.vae_variants import VariantVAE

__all__ = ["autoregressive_masks", "AutoregressiveVAE"]


def autoregressive_masks(data_dim: int, ar_hidden: int = 0) -> tuple[torch.Tensor, ...]:
    r"""The 0/1 masks of the pixel-to-pixel part, with pixel d (0-based) allowed to see pixels j < d only.

    Returns ``(direct,)`` for ``ar_hidden=0``: ``direct[d, j] = 1`` iff j < d, shape (d, d).  For ``ar_hidden=H``
    also ``(into_hidden, out_of_hidden)``: hidden unit h gets a degree m_h in {0, ..., d-2} (cycled), sees pixel j
    iff j <= m_h, and feeds pixel d iff d > m_h, so every path from x_j to l_d has j < d (MADE).
    """
    data_dim = positive_int(data_dim, "data_dim")
    if isinstance(ar_hidden, bool) or not isinstance(ar_hidden, (int, np.integer)) or ar_hidden < 0:
        raise ValueError(f"ar_hidden must be a non-negative integer, got {ar_hidden!r}")
    pixels = torch.arange(data_dim)
    direct = (pixels[None, :] < pixels[:, None]).float()
    if ar_hidden == 0:
        return (direct,)
    if data_dim < 2:
        raise ValueError("ar_hidden > 0 needs data_dim >= 2 (a hidden unit must see at least one pixel)")
    degrees = torch.arange(int(ar_hidden)) % (data_dim - 1)
    into_hidden = (pixels[None, :] <= degrees[:, None]).float()  # (H, d)
    out_of_hidden = (pixels[:, None] > degrees[None, :]).float()  # (d, H)
    return direct, into_hidden, out_of_hidden


class AutoregressiveVAE(VariantVAE):
    r"""A ``VariantVAE`` whose decoder adds an autoregressive term to the MLP's logits (see the module docstring).

    ``hidden_dims`` and ``family`` are as in ``VariantVAE``; ``ar_hidden`` is the width of the masked hidden
    layer (0: masked linear only).  ``logits(x, z)`` has shape (..., n, d) for x (n, d) and z (..., n, k).
    """

    def __init__(self, data_dim: int, latent_dim: int, hidden_dims=(256, 128), activation: str = "tanh",
                 family: str = "diagonal", n_flows: int = 0, ar_hidden: int = 0):
        super().__init__(data_dim, latent_dim, hidden_dims, activation, family, n_flows)
        masks = autoregressive_masks(self.data_dim, ar_hidden)
        self.ar_hidden = int(ar_hidden)
        self.register_buffer("mask_direct", masks[0])
        # nn.Linear's initialisation, so the pixel-to-pixel part is as ready to learn as the MLP of z.
        self.direct = nn.Parameter(nn.Linear(self.data_dim, self.data_dim, bias=False).weight.data)
        if self.ar_hidden:
            self.register_buffer("mask_in", masks[1])
            self.register_buffer("mask_out", masks[2])
            hidden = nn.Linear(self.data_dim, self.ar_hidden)
            self.hidden_weight, self.hidden_bias = nn.Parameter(hidden.weight.data), nn.Parameter(hidden.bias.data)
            self.out_weight = nn.Parameter(nn.Linear(self.ar_hidden, self.data_dim, bias=False).weight.data)

    @property
    def config(self) -> dict:
        return {**super().config, "ar_hidden": self.ar_hidden}

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        raise ValueError("the autoregressive decoder's logits depend on x as well as z: use logits(x, z)")

    def pixel_logits(self, x: torch.Tensor) -> torch.Tensor:
        """The autoregressive part a(x), shape (n, d): a_d depends on x_j for j < d only."""
        out = x @ (self.direct * self.mask_direct).T
        if self.ar_hidden:
            h = torch.tanh(x @ (self.hidden_weight * self.mask_in).T + self.hidden_bias)
            out = out + h @ (self.out_weight * self.mask_out).T
        return out

    def logits(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """l(x, z) = MLP(z) + a(x), shape (..., n, d); a(x) is computed once and shared by all draws of z."""
        return self.decoder(z) + self.pixel_logits(x)

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p_theta(x|z) = sum_d x_d l_d - softplus(l_d); x (n, d) broadcasts against z (..., n, k)."""
        logits = self.logits(x, z)
        return -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(dim=-1)

    @torch.no_grad()
    def sample_x(self, z, *, seed: int = 0) -> np.ndarray:
        """Ancestral samples x ~ p_theta(x|z), one per row of z (n, k), pixel by pixel in raster order."""
        z = torch.as_tensor(np.asarray(z, dtype=np.float32))
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}), got {tuple(z.shape)}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        gen = torch.Generator().manual_seed(int(seed))
        base = self.decoder(z)
        x = torch.zeros(z.shape[0], self.data_dim)
        for d in range(self.data_dim):  # pixel d depends on the pixels already drawn only
            p = torch.sigmoid(base[:, d] + self.pixel_logits(x)[:, d])
            x[:, d] = (torch.rand(z.shape[0], generator=gen) < p).float()
        return x.numpy()
