"""Benchmark: independent trainings one after the other against side by side (helpers.parallel.side_by_side).

Trains notebook 07's two VAEs (diagonal and full-covariance q, 100 epochs) and notebook 10's three categorical VAEs
(60 epochs, validation ELBO after every epoch) both ways, alternately, and prints the wall time of each way and
whether the trained models are bitwise equal. Run it on a quiet machine.

Usage:  .venv/bin/python tests/benchmarks/side_by_side_speed.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import numpy as np
import torch

from helpers.categorical_vae import CategoricalVAE, train_categorical
from helpers.data import load_digits_binarized
from helpers.parallel import side_by_side
from helpers.vae_variants import VariantVAE, train_variant


def setups():
    x_train = load_digits_binarized()[0]
    order = np.random.default_rng(0).permutation(len(x_train))
    x_fit, x_valid = x_train[order[237:]], x_train[order[:237]]

    def vaes():
        models = {}
        for family in ("diagonal", "full"):
            torch.manual_seed(0)
            models[family] = VariantVAE(64, 2, (256, 128), family=family)
        return models, {f: partial(train_variant, m, x_train, epochs=100, batch_size=64, lr=3e-3, lr_final=3e-4,
                                   seed=0) for f, m in models.items()}

    def categorical():
        models = {}
        for estimator in ("relaxed", "straight-through", "score"):
            torch.manual_seed(0)
            models[estimator] = CategoricalVAE(64, 4, 8, (256, 128))
        return models, {e: partial(train_categorical, m, x_fit, estimator=e, epochs=60, batch_size=64, lr=3e-3,
                                   lr_final=3e-4, seed=0, tau=1.0, tau_final=0.5, n_samples=4, x_valid=x_valid)
                        for e, m in models.items()}

    return {"07: two VAEs": vaes, "10: three categorical VAEs": categorical}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(2)
    for name, make in setups().items():
        walls, equal = {"one after the other": [], "side by side": []}, True
        for _ in range(args.repeats):
            models_a, jobs_a = make()
            start = time.perf_counter()
            torch.set_num_threads(1)
            for job in jobs_a.values():
                job()
            torch.set_num_threads(2)
            walls["one after the other"].append(time.perf_counter() - start)
            models_b, jobs_b = make()
            start = time.perf_counter()
            side_by_side(jobs_b)
            walls["side by side"].append(time.perf_counter() - start)
            equal &= all(torch.equal(a, b) for k in models_a
                        for a, b in zip(models_a[k].state_dict().values(), models_b[k].state_dict().values(),
                                             strict=True))
        print(f"{name}: " + ", ".join(f"{way} median {statistics.median(w):.1f} s" for way, w in walls.items())
              + f" ({args.repeats} repeats); models bitwise equal: {equal}")


if __name__ == "__main__":
    main()
