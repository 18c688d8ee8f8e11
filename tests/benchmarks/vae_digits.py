"""Benchmark: train notebook 05's z = 8 VAE on the binarised digits and report time and test IWAE-5000.

Builds the model from ``helpers.vae.DIGITS_RECIPES[8]`` (the recipe the notebook uses, so the two cannot
drift apart), trains it on the 1,437 training images exactly as the notebook does (the test images as
``x_valid``, which only watches), and prints the training time, epochs per second, the test ELBO and the test
IWAE-5000 in nats per image with its standard error (delta method). Target on a 2-core CPU: IWAE-5000 >= -17.0
nats per image within 10 s of training.

The MNIST target of the course brief (784-200-200-50, IWAE-1000 >= -95 nats within 90 s) needs
``helpers.data.load_mnist_binarized()``, i.e. a download; pass ``--mnist`` to run it where the network is
reachable (the files are cached in data/cache/).

Usage:  .venv/bin/python tests/benchmarks/vae_digits.py [--threads N] [--mnist]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from helpers.data import load_digits_binarized, load_mnist_binarized
from helpers.vae import DIGITS_RECIPES, VAE, elbo, iwae_log_weights, train, training_threads


def _iwae(model, x, k: int) -> tuple[float, float, float]:
    """Mean IWAE-k over the images, its standard error, and the seconds it took."""
    start = time.perf_counter()
    log_w = iwae_log_weights(model, x, k, seed=0)
    seconds = time.perf_counter() - start
    shift = log_w.max(axis=1, keepdims=True)
    w = np.exp(log_w - shift)
    per_image = np.log(w.mean(axis=1)) + shift[:, 0]
    se = np.sqrt(np.sum((w.std(axis=1) / (w.mean(axis=1) * np.sqrt(k))) ** 2)) / len(x)
    return float(per_image.mean()), float(se), seconds


def digits(threads: int) -> None:
    torch.set_num_threads(threads)
    x_train, x_test, _, _ = load_digits_binarized()
    recipe = DIGITS_RECIPES[8]
    model = recipe.build()
    history = train(model, x_train, x_valid=x_test, progress=False, **recipe.train_kwargs())
    test_elbo = float(elbo(model, x_test, n_samples=1000, seed=0).mean())
    iwae, se, iwae_seconds = _iwae(model, x_test, 5000)
    print(f"recipe: {recipe}")
    rate = history.epochs / history.seconds
    print(f"training: {history.seconds:.2f} s for {history.epochs} epochs = {rate:.1f} epochs/s "
          f"({training_threads(model, recipe.batch_size)} thread(s) inside train)")
    print(f"test ELBO {test_elbo:.3f} nats per image; test IWAE-5000 {iwae:.3f} ± {se:.3f} nats per image "
          f"(evaluated in {iwae_seconds:.1f} s on {threads} thread(s))")
    met = iwae >= -17.0 and history.seconds <= 10.0
    print(f"target IWAE-5000 >= -17.0 within 10 s of training: {'met' if met else 'NOT met'}")


def mnist(threads: int, epochs: int, n_test: int) -> None:
    """The brief's MNIST target: 784-200-200-50 (tanh), IWAE-1000 >= -95 nats within 90 s of training."""
    torch.set_num_threads(threads)
    x_train, _, x_test = load_mnist_binarized()
    torch.manual_seed(0)
    model = VAE(784, 50, (200, 200))
    history = train(model, x_train, epochs=epochs, batch_size=100, lr=1e-3, lr_final=1e-4, seed=0,
                    progress=False)
    iwae, se, iwae_seconds = _iwae(model, x_test[:n_test], 1000)
    met = iwae >= -95.0 and history.seconds <= 90.0
    print(f"MNIST 784-200-200-50: {epochs} epochs in {history.seconds:.1f} s; "
          f"test IWAE-1000 on {n_test} images {iwae:.2f} ± {se:.2f} nats per image "
          f"({iwae_seconds:.0f} s to evaluate); target {'met' if met else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads for evaluation (default 2)")
    parser.add_argument("--mnist", action="store_true", help="also run the MNIST target (downloads ~110 MB)")
    parser.add_argument("--mnist-epochs", type=int, default=10, help="MNIST training epochs (default 10)")
    parser.add_argument("--mnist-test-images", type=int, default=10_000,
                        help="test images for IWAE-1000 (default all 10,000: minutes on a CPU)")
    args = parser.parse_args()
    digits(args.threads)
    if args.mnist:
        mnist(args.threads, args.mnist_epochs, args.mnist_test_images)
    print(f"load average after measuring: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")


if __name__ == "__main__":
    main()
