r"""The naive Monte Carlo explorer: log p_hat(x), p_hat(x) = (1/M) sum_m p(x|z_m), z_m ~ p(z), against log p(x).

``NaiveMCExplorer()`` displays itself in a notebook.  Three sliders (the number of samples M, the latent
dimension k, the observation-noise standard deviation sigma, so Sigma = sigma^2 I) drive R repeated
estimates; the histogram of log p_hat is redrawn against the exact log p(x), and the bias, the spread, the
mean effective sample size and the predicted sample size exp(KL(p(z|x) || p(z))) are shown.  Every number is
also an attribute, so a test can set a slider and read the result without a browser::

    ex = NaiveMCExplorer()
    ex.m_slider.value = 1_000          # recomputed (or fetched from the cache) and redrawn at once
    ex.bias, ex.std, ex.mean_ess       # ex.numbers has them all

The layout of the code follows ``helpers.widgets.elbo_gap``: controls, numbers (``_compute``), figure
(``_draw``), all tied together by ``helpers.widgets._base.Explorer``.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from helpers.linear_gaussian import LinearGaussian
from helpers.monte_carlo import naive_log_marginal, posterior_prior_kl, typical_problem
from helpers.plotting import COLORS, labelled
from helpers.widgets._base import Explorer, number

__all__ = ["NaiveMCExplorer", "M_OPTIONS"]

M_OPTIONS = (1, 3, 10, 30, 100, 300, 1_000, 3_000, 10_000)


class NaiveMCExplorer(Explorer):
    """Histogram of R repeated naive estimates log p_hat(x) against the exact log p(x), with sliders.

    Controls: ``m_slider`` (M, one of ``M_OPTIONS``), ``k_slider`` (latent dimension k) and ``sigma_slider``
    (the noise standard deviation sigma).  Display: ``image`` (the PNG histogram) and ``summary`` (HTML).
    ``widget`` is the container that is displayed.

    Numbers: ``numbers`` is a dict, and each entry is also an attribute: ``log_px`` (exact), ``estimates``
    (R values of log p_hat), ``bias`` (mean of log p_hat minus log p(x)), ``std``, ``mean_ess`` (mean effective
    sample size of the M prior samples), ``kl`` (KL(p(z|x) || p(z)) in nats), ``log10_exp_kl`` (the predicted
    sample size exp(KL) as a power of ten, which never overflows) and ``repeats`` (R).
    To keep every update quick, the number of repeats R is ``n_repeats`` unless R * M * k would exceed
    ``max_draws`` normal draws; then it drops, but never below ``min(n_repeats, 50)``.
    The model and data point for each (k, sigma) come from :func:`helpers.monte_carlo.typical_problem`:
    p(z) = N(0, I_k), p(x|z) = N(A z + b, sigma^2 I_d), and x a typical draw from it.
    """

    log_px = number("log_px", "Exact log p(x) of the current problem, in nats.")
    estimates = number("estimates", "The R repeated estimates log p_hat(x), shape (R,).")
    bias = number("bias", "Mean of log p_hat(x) minus log p(x), in nats.")
    std = number("std", "Standard deviation of log p_hat(x) over the repeats, in nats.")
    mean_ess = number("mean_ess", "Mean effective sample size of the M prior samples.")
    kl = number("kl", "KL(p(z|x) || p(z)) in nats.")
    log10_exp_kl = number("log10_exp_kl", "The predicted sample size exp(KL) as a power of ten.")
    repeats = number("repeats", "R, the number of repeated estimates.")

    def __init__(self, *, data_dim: int = 20, n_repeats: int = 200, seed: int = 0, n_samples: int = 100,
                 latent_dim: int = 2, noise_std: float = 0.5, max_latent_dim: int = 20,
                 max_draws: int = 2_000_000, dpi: int = 90):
        self.data_dim, self.n_repeats, self.seed = int(data_dim), int(n_repeats), int(seed)
        self.max_draws = int(max_draws)
        self._problems: dict[tuple, tuple] = {}
        self._results: dict[tuple, tuple] = {}
        self._build_controls(n_samples, latent_dim, noise_std, max_latent_dim)
        self._build_figure(dpi)
        self.update()
        # Lay the figure out once, then freeze it: constrained layout would draw every update twice.
        self.figure.set_layout_engine("none")

    # ================================================================ controls
    def _build_controls(self, n_samples: int, latent_dim: int, noise_std: float, max_latent_dim: int) -> None:
        self.m_slider = widgets.SelectionSlider(
            options=M_OPTIONS, value=n_samples, description="M samples", continuous_update=False
        )
        self.k_slider = widgets.IntSlider(
            value=latent_dim, min=1, max=max_latent_dim, description="latent k", continuous_update=False
        )
        self.sigma_slider = widgets.FloatLogSlider(
            value=noise_std, base=10, min=np.log10(0.05), max=np.log10(2.0), step=0.05,
            description="noise σ (sd)", continuous_update=False, readout_format=".3f",
        )
        self.summary = widgets.HTML()
        self.image = widgets.Image(format="png")
        for slider in (self.m_slider, self.k_slider, self.sigma_slider):
            slider.observe(self._on_change, names="value")
        self.widget = widgets.VBox(
            [widgets.HBox([self.m_slider, self.k_slider, self.sigma_slider]), self.summary, self.image]
        )

    def _on_change(self, _change) -> None:
        self.update()

    @property
    def settings(self) -> tuple[int, int, float]:
        """The sliders' current (M, k, sigma)."""
        return int(self.m_slider.value), int(self.k_slider.value), float(self.sigma_slider.value)

    # ================================================================ numbers
    def model_and_x(self, latent_dim: int, noise_std: float) -> tuple[LinearGaussian, np.ndarray]:
        """The model and data point used for (k, sigma): :func:`helpers.monte_carlo.typical_problem`."""
        key = (latent_dim, float(noise_std))
        if key not in self._problems:
            self._problems[key] = typical_problem(latent_dim, self.data_dim, noise_std, self.seed)
        return self._problems[key]

    def repeats_for(self, n_samples: int, latent_dim: int) -> int:
        """R for a setting: ``n_repeats``, reduced (to at least 50) when R * M * k exceeds ``max_draws``."""
        affordable = self.max_draws // (n_samples * latent_dim)
        return int(min(self.n_repeats, max(affordable, 50)))

    def _estimates(self, n_samples: int, latent_dim: int, noise_std: float) -> tuple:
        """(log p(x), R estimates, mean ESS, KL) for a setting, computed once and then cached."""
        key = (n_samples, latent_dim, round(noise_std, 12))
        if key not in self._results:
            model, x = self.model_and_x(latent_dim, noise_std)
            # The generator depends only on the settings, so returning to a setting shows the same histogram.
            rng = np.random.default_rng([self.seed, n_samples, latent_dim, int(round(noise_std * 1e6))])
            estimates, ess = naive_log_marginal(
                model, x, n_samples, rng, n_repeats=self.repeats_for(n_samples, latent_dim), return_ess=True
            )
            self._results[key] = (model.log_marginal(x), estimates, float(np.mean(ess)),
                                  posterior_prior_kl(model, x))
        return self._results[key]

    def _compute(self) -> dict:
        n_samples, latent_dim, noise_std = self.settings
        log_px, estimates, mean_ess, kl = self._estimates(n_samples, latent_dim, noise_std)
        repeats = len(estimates)
        return {
            "log_px": log_px, "estimates": estimates, "mean_ess": mean_ess, "kl": kl,
            "bias": float(np.mean(estimates) - log_px),
            "std": float(np.std(estimates, ddof=1)) if repeats > 1 else 0.0,
            "log10_exp_kl": kl / np.log(10.0), "repeats": repeats,
        }

    # ================================================================= figure
    def _build_figure(self, dpi: int) -> None:
        self.figure = Figure(figsize=(7.0, 3.6), dpi=dpi, constrained_layout=True)
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_subplot()
        self.image.layout = widgets.Layout(width=f"{int(round(7.0 * dpi))}px", height="auto")
        self._hist = self.ax.stairs(np.zeros(30), np.linspace(0.0, 1.0, 31), fill=True, alpha=0.6,
                                    color=COLORS[0], label="log p̂(x), one per repeat")
        self._exact_line = self.ax.axvline(0.0, color=COLORS[3], lw=2.5, label="exact log p(x)")
        self._mean_line = self.ax.axvline(0.0, color=COLORS[7], lw=1.5, ls="--", label="mean of log p̂(x)")
        self.ax.legend(loc="upper left")
        labelled(self.ax, "", "log p̂(x)  (nats)", "count")

    def _draw(self, nums: dict) -> None:
        n_samples, latent_dim, noise_std = self.settings
        estimates, log_px = nums["estimates"], nums["log_px"]
        lo = min(float(np.min(estimates)), log_px)
        hi = max(float(np.max(estimates)), log_px)
        pad = max(0.05 * (hi - lo), 1e-3 * max(1.0, abs(hi)), 1e-6)
        counts, edges = np.histogram(estimates, bins=30, range=(lo - pad, hi + pad))
        self._hist.set_data(counts, edges)
        self._exact_line.set_xdata([log_px, log_px])
        mean = float(np.mean(estimates))
        self._mean_line.set_xdata([mean, mean])
        self.ax.set_xlim(edges[0], edges[-1])
        self.ax.set_ylim(0, 1.1 * max(int(counts.max()), 1))
        self.ax.set_title(
            f"M = {n_samples}, k = {latent_dim}, σ = {noise_std:.3g} (Σ = σ² I), d = {self.data_dim};"
            f" {nums['repeats']} repeats"
        )
        verdict = "M is below exp(KL): expect a large negative bias" if np.log(n_samples) < nums["kl"] \
            else "M exceeds exp(KL)"
        self.summary.value = html.escape(
            f"exact log p(x) = {log_px:.3f} · bias of log p̂ = {nums['bias']:.3f} nats"
            f" · std = {nums['std']:.3f} nats"
            f" · mean ESS = {nums['mean_ess']:.1f} of {n_samples} · KL(p(z|x)‖p(z)) = {nums['kl']:.2f} nats, "
            f"exp(KL) ≈ 10^{nums['log10_exp_kl']:.1f} samples ({verdict})"
        )
        self.canvas.draw()
        self._show_canvas()
