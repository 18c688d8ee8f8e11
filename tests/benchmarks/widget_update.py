"""Median time of one ElboGapExplorer update: set a slider, recompute the numbers, redraw, encode the PNG.

Drives the sliders 200 times per model (random values over each slider's full range, seeded) and prints the
median and 90th percentile in milliseconds.  The target is a median of at most 30 ms.

Usage:  MPLBACKEND=Agg .venv/bin/python tests/benchmarks/widget_update.py
"""

from __future__ import annotations

import time

import numpy as np

from helpers.widgets import MODEL_NAMES, ElboGapExplorer

N_UPDATES = 200


def main() -> None:
    rng = np.random.default_rng(0)
    explorer = ElboGapExplorer()
    all_times = []
    for name in MODEL_NAMES:
        explorer.model_toggle.value = name
        k = explorer.latent_dim
        sliders = [*explorer.mean_sliders[:k], *explorer.log_std_sliders[:k]]
        if k == 2:
            sliders.append(explorer.corr_slider)
        times = np.empty(N_UPDATES)
        for i in range(N_UPDATES):
            slider = sliders[i % len(sliders)]
            value = float(rng.uniform(slider.min, slider.max))
            start = time.perf_counter()
            slider.value = value  # the observer recomputes and redraws synchronously
            times[i] = time.perf_counter() - start
            if not np.isfinite(explorer.gap):
                raise RuntimeError(f"non-finite gap after setting {slider.description} = {value}")
        all_times.append(times)
        median, p90 = 1e3 * np.median(times), 1e3 * np.quantile(times, 0.9)
        print(f"{name:45s} median {median:6.2f} ms   p90 {p90:6.2f} ms")
    times = np.concatenate(all_times)
    median = 1e3 * np.median(times)
    print(f"median update time over {times.size} slider moves: {median:.2f} ms (target <= 30 ms)")


if __name__ == "__main__":
    main()
