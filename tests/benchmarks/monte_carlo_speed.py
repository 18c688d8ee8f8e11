"""Benchmark: 10^6-sample naive and importance estimates of log p(x) at k = 10, d = 20.

Target: <= 0.5 s per estimate with memory bounded by the chunk size (not by the number of samples).
Prints the best of several runs and the peak memory traced during one run.
Usage:  .venv/bin/python tests/benchmarks/monte_carlo_speed.py
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from helpers.linear_gaussian import random_model
from helpers.monte_carlo import importance_log_marginal, naive_log_marginal

N_SAMPLES, K, D, RUNS = 10**6, 10, 20, 5


def best_time(fn) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mib(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    rng = np.random.default_rng(0)
    model = random_model(K, D, rng, noise_std=1.0)
    x = model.sample(1, rng)[1][0]
    post_mean, post_cov = model.posterior(x)
    cases = {
        "naive_log_marginal": lambda: naive_log_marginal(model, x, N_SAMPLES, 1),
        "importance_log_marginal": lambda: importance_log_marginal(
            model, x, post_mean, 2.0 * post_cov, N_SAMPLES, 1
        ),
        "naive_log_marginal, 500 repeats x 2000": lambda: naive_log_marginal(
            model, x, 2000, 1, n_repeats=500
        ),
    }
    raw_mib = N_SAMPLES * K * 8 / 2**20
    print(
        f"{N_SAMPLES:.0e} samples, k = {K}, d = {D} (holding all draws at once would take {raw_mib:.0f} MiB)"
    )
    for name, fn in cases.items():
        seconds = best_time(fn)
        print(f"{name:40s} {seconds:6.3f} s (best of {RUNS})   peak traced memory {peak_mib(fn):5.1f} MiB")


if __name__ == "__main__":
    main()
