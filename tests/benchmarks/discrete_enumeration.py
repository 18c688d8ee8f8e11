"""Benchmark: how long exact enumeration of 2^D binary latents takes, and where it becomes infeasible.

Times one exact log p(x) of a sigmoid belief net (P = 20 pixels) by chunked enumeration for D = 12..22 on one
core (three interleaved rounds, fastest kept), takes the steady rate r in states per second (the best of the
three largest D), and prints the D at which one log p(x) takes 1 s, 1 min, 1 hour, 1 day (D = log2(r T)) and
the extrapolated time 2^D / r at D = 30 and 40, as notebook 06 does.  The largest measured run takes about a
second; nothing longer is ever run.  Usage:  .venv/bin/python tests/benchmarks/discrete_enumeration.py
"""

from __future__ import annotations

import os

import numpy as np

from helpers.discrete import fit_exponential_cost, time_exact_enumeration


def main() -> None:
    dims = np.arange(12, 23)
    seconds = time_exact_enumeration(dims, data_dim=20, rounds=3)
    for d, t in zip(dims, seconds, strict=True):
        print(f"D = {d:2d}  {2**d:>10,d} states  {t * 1e3:9.2f} ms  {2**d / t:9.3g} states/s")
    large = dims >= 15
    # Steady rate: the best of the three largest sizes, which run several full chunks of 65,536 states.
    rate = float(np.max(2.0 ** dims[-3:] / seconds[-3:]))
    _, beta = fit_exponential_cost(dims[large], seconds[large])
    print(f"best rate r = {rate:.3g} states/s; fitted slope of log2 t against D: {beta:.3f} (doubling: 1)")
    for label, budget in (("1 s", 1.0), ("1 min", 60.0), ("1 hour", 3600.0), ("1 day", 86400.0)):
        print(f"one exact log p(x) takes {label:>6} at D = {np.log2(rate * budget):.1f}")
    for d in (30, 40):
        print(f"extrapolated time at D = {d}: {2.0**d / rate:.3g} s")
    print(f"load average after measuring: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")


if __name__ == "__main__":
    main()
