"""How notebook 05's digit VAEs were chosen: on a validation split carved from the training images, never the test set.

The 1,437 training images are split (stratified by digit, seeded) into 1,150 for fitting and 287 for validation.
Each candidate recipe below is trained on the fitting part and scored by its mean validation IWAE-500 (nats per
image). The rule, fixed before running: for each latent size, keep the candidate with the highest validation
score; every candidate costs at most as much training as 150 epochs of the (256, 128) networks, so the
notebook's run time stays within its title cell. The test images are not loaded.

Result when the recipes were chosen (validation IWAE-500, nats per image; same order as CANDIDATES):
k = 2: -18.131, -18.895, -17.882, -18.433, -18.368, -17.885  -> lr 1e-2 -> 1e-3, (256, 128), 150 epochs
k = 8: -16.645, -17.582, -16.568, -16.960, -17.278, -16.729  -> lr 1e-2 -> 1e-3, (256, 128), 150 epochs
(Before, the recipes had been chosen by *test* IWAE-5000: lr 3e-3 -> 3e-4, the first candidate.)

Usage:  .venv/bin/python tests/benchmarks/select_digits_recipe.py
"""

from __future__ import annotations

import os

import numpy as np
import torch

from helpers.data import load_digits_binarized
from helpers.vae import DIGITS_RECIPES, Recipe, iwae_log_likelihood, train

CANDIDATES = [
    dict(hidden_dims=(256, 128), epochs=150, lr=3e-3, lr_final=3e-4),
    dict(hidden_dims=(256, 128), epochs=150, lr=1e-3, lr_final=1e-4),
    dict(hidden_dims=(256, 128), epochs=150, lr=1e-2, lr_final=1e-3),
    dict(hidden_dims=(256, 128), epochs=100, lr=3e-3, lr_final=3e-4),
    dict(hidden_dims=(128, 64), epochs=150, lr=3e-3, lr_final=3e-4),
    dict(hidden_dims=(128, 64), epochs=300, lr=3e-3, lr_final=3e-4),
]


def validation_split(x, y, n_valid: int = 287, seed: int = 1):
    """A stratified split of the training images: (x_fit, x_valid)."""
    rng = np.random.default_rng(seed)
    valid = np.concatenate([rng.permutation(np.flatnonzero(y == c))[: round(n_valid * np.mean(y == c))]
                            for c in np.unique(y)])
    mask = np.zeros(len(y), dtype=bool)
    mask[valid] = True
    return x[~mask], x[mask]


def main() -> None:
    torch.set_num_threads(1)
    x_train, _, y_train, _ = load_digits_binarized()  # the test part is not used
    x_fit, x_valid = validation_split(x_train, y_train)
    print(f"fit {len(x_fit)} images, validation {len(x_valid)} images (from the 1,437 training images)")
    for latent_dim in (2, 8):
        scores = []
        for cand in CANDIDATES:
            recipe = Recipe(latent_dim=latent_dim, batch_size=64, **cand)
            model = recipe.build()
            history = train(model, x_fit, progress=False, **recipe.train_kwargs())
            per_image = iwae_log_likelihood(model, x_valid, 500, seed=0)
            score, se = per_image.mean(), per_image.std(ddof=1) / np.sqrt(len(per_image))
            scores.append(score)
            print(f"k = {latent_dim}  {cand}  validation IWAE-500 {score:8.3f} (± {se:.2f} between images)  "
                  f"training {history.seconds:5.1f} s")
        best = CANDIDATES[int(np.argmax(scores))]
        current = DIGITS_RECIPES[latent_dim]
        in_use = {key: getattr(current, key) for key in best}
        print(f"k = {latent_dim}: chosen {best}; helpers.vae.DIGITS_RECIPES uses {in_use}: "
              f"{'the same' if in_use == best else 'DIFFERENT'}")
    print(f"load average: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")


if __name__ == "__main__":
    main()
