"""Time of one NaiveMCExplorer update: set a slider, recompute the repeats, redraw the PNG the browser receives.

Drives the three sliders to 60 random settings (seeded, over each slider's full range; a setting seen before
is served from the cache) and prints the median, the 90th percentile and the worst update in ms.
Usage:  MPLBACKEND=Agg .venv/bin/python tests/benchmarks/monte_carlo_widget_update.py
"""

from __future__ import annotations

import time

import numpy as np

from helpers.widgets import M_OPTIONS, NaiveMCExplorer

N_UPDATES = 60


def main() -> None:
    rng = np.random.default_rng(0)
    explorer = NaiveMCExplorer(n_repeats=200)
    lo, hi = explorer.sigma_slider.min, explorer.sigma_slider.max
    times = []
    for _ in range(N_UPDATES):
        which = rng.integers(3)
        start = time.perf_counter()
        if which == 0:
            explorer.m_slider.value = M_OPTIONS[rng.integers(len(M_OPTIONS))]
        elif which == 1:
            explorer.k_slider.value = int(rng.integers(explorer.k_slider.min, explorer.k_slider.max + 1))
        else:
            explorer.sigma_slider.value = float(10.0 ** rng.uniform(lo, hi))
        times.append(time.perf_counter() - start)
    ms = 1e3 * np.array(times)
    print(
        f"NaiveMCExplorer update ({N_UPDATES} random slider moves): median {np.median(ms):.0f} ms, "
        f"90th percentile {np.percentile(ms, 90):.0f} ms, worst {ms.max():.0f} ms"
    )


if __name__ == "__main__":
    main()
