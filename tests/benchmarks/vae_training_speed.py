"""Per-epoch time of ``helpers.vae.train`` against a plain PyTorch training loop of the same VAE, at two sizes.

The reference is the loop a textbook writes: the same architecture built from ``nn.Linear`` and ``nn.Tanh``,
Adam with its defaults, a shuffled minibatch per step, the negative one-sample ELBO (Bernoulli log-likelihood
from logits, closed-form KL) as the loss, and torch's own thread count.  The course's ``train`` runs with its
defaults.  Two sizes:

- digits: notebook 05's z = 8 model (``DIGITS_RECIPES[8]``: 64-256-128-8, batch 64) on the 1,437 training
  images of the binarised 8x8 digits;
- MNIST:  784-200-200-50, batch 100, on random binary images of MNIST's shape (60,000 x 784); only time
  matters here, so random pixels stand in for the download.

Epochs alternate (course, reference, course, ...) so that load from other processes falls on both alike; the
script prints the median seconds per epoch of each, and the median of the per-pair ratios course / reference
(target <= 1.0 at both sizes).  With ``--threads`` it also times the course's ``train`` at 1 and 2 threads,
again alternating, to show what the thread choice is worth at each size.

Usage:  .venv/bin/python tests/benchmarks/vae_training_speed.py [--pairs N] [--threads] [--mnist-rows N]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from helpers.data import load_digits_binarized
from helpers.vae import DIGITS_RECIPES, VAE, train, training_threads


def plain_vae(data_dim: int, latent_dim: int, hidden: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    """Encoder data -> hidden -> 2k and the mirrored decoder, tanh between layers (as ``helpers.vae.VAE``)."""

    def mlp(sizes):
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.Tanh())
        return nn.Sequential(*layers)

    return mlp([data_dim, *hidden, 2 * latent_dim]), mlp([latent_dim, *hidden[::-1], data_dim])


def plain_epoch(encoder, decoder, optimiser, data: torch.Tensor, batch_size: int) -> float:
    """One epoch of the textbook loop; returns the mean training ELBO (so the work cannot be skipped)."""
    total = 0.0
    for idx in torch.randperm(data.shape[0]).split(batch_size):
        x = data[idx]
        mean, logvar = encoder(x).chunk(2, dim=-1)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        recon = -F.binary_cross_entropy_with_logits(decoder(z), x, reduction="none").sum(-1)
        kl = 0.5 * (logvar.exp() + mean**2 - 1.0 - logvar).sum(-1)
        loss = -(recon - kl).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        total += loss.item() * x.shape[0]
    return -total / data.shape[0]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(name: str, data: torch.Tensor, latent_dim: int, hidden: tuple[int, ...], batch_size: int,
            lr: float, pairs: int) -> float:
    torch.manual_seed(0)
    course = VAE(data.shape[1], latent_dim, hidden)
    encoder, decoder = plain_vae(data.shape[1], latent_dim, hidden)
    optimiser = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=lr)
    kwargs = {"epochs": 1, "batch_size": batch_size, "lr": lr, "progress": False}
    # One warm-up epoch each: first calls allocate and pick kernels.
    train(course, data, seed=0, **kwargs)
    plain_epoch(encoder, decoder, optimiser, data, batch_size)
    t_course, t_plain = np.empty(pairs), np.empty(pairs)
    for i in range(pairs):
        t_course[i] = timed(lambda i=i: train(course, data, seed=i + 1, **kwargs))
        t_plain[i] = timed(lambda: plain_epoch(encoder, decoder, optimiser, data, batch_size))
    ratio = float(np.median(t_course / t_plain))
    threads = training_threads(course, batch_size)
    print(f"{name:7s} course train(): median {np.median(t_course):.3f} s/epoch ({threads} thread(s)); "
          f"plain loop: {np.median(t_plain):.3f} s/epoch ({torch.get_num_threads()} threads); "
          f"ratio course/plain: median {ratio:.2f} (pairs: {np.round(t_course / t_plain, 2).tolist()})")
    return ratio


def thread_scan(name: str, data: torch.Tensor, latent_dim: int, hidden: tuple[int, ...], batch_size: int,
                pairs: int) -> None:
    torch.manual_seed(0)
    model = VAE(data.shape[1], latent_dim, hidden)
    kwargs = {"epochs": 1, "batch_size": batch_size, "lr": 1e-3, "progress": False}
    train(model, data, seed=0, num_threads=1, **kwargs)
    times = {1: np.empty(pairs), 2: np.empty(pairs)}
    for i in range(pairs):
        for threads in (1, 2):
            times[threads][i] = timed(lambda t=threads, i=i: train(model, data, seed=i, num_threads=t, **kwargs))
    ratio = float(np.median(times[2] / times[1]))
    print(f"{name:7s} train() at 1 thread: {np.median(times[1]):.3f} s/epoch, at 2: {np.median(times[2]):.3f} "
          f"s/epoch; 2 threads / 1 thread: median {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7, help="alternating epoch pairs per size (default 7)")
    parser.add_argument("--threads", action="store_true", help="also time train() at 1 and 2 threads")
    parser.add_argument("--mnist-rows", type=int, default=60_000,
                        help="rows of the random MNIST-shaped data (default 60,000; fewer for a quick look)")
    args = parser.parse_args()
    x_digits = torch.as_tensor(load_digits_binarized()[0], dtype=torch.float32)
    x_mnist = torch.bernoulli(torch.full((args.mnist_rows, 784), 0.13), generator=torch.Generator().manual_seed(0))
    recipe = DIGITS_RECIPES[8]
    sizes = [
        ("digits", x_digits, recipe.latent_dim, recipe.hidden_dims, recipe.batch_size, recipe.lr),
        ("MNIST", x_mnist, 50, (200, 200), 100, 1e-3),
    ]
    ratios = [compare(*size, pairs=args.pairs) for size in sizes]
    if args.threads:
        for name, data, k, hidden, batch_size, _ in sizes:
            thread_scan(name, data, k, hidden, batch_size, args.pairs)
    verdict = "met" if max(ratios) <= 1.0 else "NOT met"
    print(f"target: per-epoch ratio <= 1.0 at both sizes: {verdict}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads by default, load average {os.getloadavg()[0]:.2f} "
          f"on {len(os.sched_getaffinity(0))} usable cores")


if __name__ == "__main__":
    main()
