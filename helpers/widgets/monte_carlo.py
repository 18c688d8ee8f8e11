r"""An explorer for the naive Monte Carlo estimator log p_hat(x), p_hat(x) = (1/M) sum_m p(x|z_m), z_m ~ p(z).

Three sliders (the number of samples M, the latent dimension k, the observation-noise standard deviation
sigma, so Sigma = sigma^2 I) drive R repeated estimates; the histogram of log p_hat is redrawn against the
exact log p(x), and the bias, the spread, the mean effective sample size and the predicted sample size
exp(KL(p(z|x) || p(z))) are shown.  Every number is also an attribute, so a test can set a slider and read
the result without a browser.
"""

from __future__ import annotations

import html
import io

import ipywidgets as widgets
import numpy as np
from IPython.display import display
from matplotlib.figure import Figure

from helpers.linear_gaussian import LinearGaussian
from helpers.monte_carlo import naive_log_marginal, posterior_prior_kl, typical_problem
from helpers.plotting import COLORS, labelled

M_OPTIONS = (1, 3, 10, 30, 100, 300, 1_000, 3_000, 10_000)


class NaiveMCExplorer:
    """Histogram of R repeated naive estimates log p_hat(x) against the exact log p(x), with sliders.

    Attributes a test (or a curious learner) can read after changing a slider: ``log_px`` (exact),
    ``estimates`` (R values of log p_hat), ``bias`` (mean of log p_hat minus log p(x)), ``std``, ``mean_ess``
    (mean effective sample size of the M prior samples), ``kl`` (KL(p(z|x) || p(z)) in nats),
    ``log10_exp_kl`` (the predicted sample size exp(KL) as a power of ten, which never overflows) and
    ``repeats`` (R).
    To keep every update quick, the number of repeats R is ``n_repeats`` unless R * M * k would exceed
    ``max_draws`` normal draws; then it drops, but never below ``min(n_repeats, 50)``.
    The model and data point for each (k, sigma) come from :func:`helpers.monte_carlo.typical_problem`:
    p(z) = N(0, I_k), p(x|z) = N(A z + b, sigma^2 I_d), and x a typical draw from it.
    """

    def __init__(
        self,
        data_dim: int = 20,
        n_repeats: int = 200,
        seed: int = 0,
        *,
        n_samples: int = 100,
        latent_dim: int = 2,
        noise_std: float = 0.5,
        max_latent_dim: int = 20,
        max_draws: int = 2_000_000,
        dpi: int = 90,
    ):
        self.data_dim, self.n_repeats, self.seed = int(data_dim), int(n_repeats), int(seed)
        self.max_draws, self.dpi = int(max_draws), int(dpi)
        self._problems: dict[tuple, tuple] = {}
        self._results: dict[tuple, tuple] = {}
        self.m_slider = widgets.SelectionSlider(
            options=M_OPTIONS, value=n_samples, description="M samples", continuous_update=False
        )
        self.k_slider = widgets.IntSlider(
            value=latent_dim, min=1, max=max_latent_dim, description="latent k", continuous_update=False
        )
        self.sigma_slider = widgets.FloatLogSlider(
            value=noise_std,
            base=10,
            min=np.log10(0.05),
            max=np.log10(2.0),
            step=0.05,
            description="noise σ (sd)",
            continuous_update=False,
            readout_format=".3f",
        )
        self.summary = widgets.HTML()
        self.figure = Figure(figsize=(7.0, 3.6), constrained_layout=True)
        self.ax = self.figure.add_subplot()
        # PNG bytes go to an Image widget: one draw per update, swapped in place (no flicker of a cleared Output),
        # and the frozen page of `make site` still shows the last picture.
        width_px = int(round(self.figure.get_figwidth() * self.dpi))
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width_px}px", height="auto"))
        self._hist = self.ax.stairs(
            np.zeros(30),
            np.linspace(0.0, 1.0, 31),
            fill=True,
            alpha=0.6,
            color=COLORS[0],
            label="log p̂(x), one per repeat",
        )
        self._exact_line = self.ax.axvline(0.0, color=COLORS[3], lw=2.5, label="exact log p(x)")
        self._mean_line = self.ax.axvline(0.0, color=COLORS[7], lw=1.5, ls="--", label="mean of log p̂(x)")
        self.ax.legend(loc="upper left")
        labelled(self.ax, "", "log p̂(x)  (nats)", "count")
        for slider in (self.m_slider, self.k_slider, self.sigma_slider):
            slider.observe(self._on_change, names="value")
        self.widget = widgets.VBox(
            [widgets.HBox([self.m_slider, self.k_slider, self.sigma_slider]), self.summary, self.image]
        )
        self.update()
        # Lay the figure out once, then freeze it: constrained layout would draw every update twice.
        self.figure.set_layout_engine("none")

    # ------------------------------------------------------------------ model and numbers
    def model_and_x(self, latent_dim: int, noise_std: float) -> tuple[LinearGaussian, np.ndarray]:
        """The model and data point used for (k, sigma): :func:`helpers.monte_carlo.typical_problem`."""
        key = (latent_dim, float(noise_std))
        if key not in self._problems:
            self._problems[key] = typical_problem(latent_dim, self.data_dim, noise_std, self.seed)
        return self._problems[key]

    def _compute(self, n_samples: int, latent_dim: int, noise_std: float) -> tuple:
        key = (n_samples, latent_dim, round(noise_std, 12))
        if key not in self._results:
            model, x = self.model_and_x(latent_dim, noise_std)
            # The generator depends only on the settings, so returning to a setting shows the same histogram.
            rng = np.random.default_rng([self.seed, n_samples, latent_dim, int(round(noise_std * 1e6))])
            estimates, ess = naive_log_marginal(
                model, x, n_samples, rng, n_repeats=self.repeats_for(n_samples, latent_dim), return_ess=True
            )
            self._results[key] = (
                model.log_marginal(x),
                estimates,
                float(np.mean(ess)),
                posterior_prior_kl(model, x),
            )
        return self._results[key]

    def repeats_for(self, n_samples: int, latent_dim: int) -> int:
        """R for a setting: ``n_repeats``, reduced (to at least 50) when R * M * k exceeds ``max_draws``."""
        affordable = self.max_draws // (n_samples * latent_dim)
        return int(min(self.n_repeats, max(affordable, 50)))

    def update(self) -> None:
        """Recompute (or fetch from the cache) the numbers for the current sliders and redraw."""
        n_samples, latent_dim, noise_std = (
            int(self.m_slider.value),
            int(self.k_slider.value),
            float(self.sigma_slider.value),
        )
        self.log_px, self.estimates, self.mean_ess, self.kl = self._compute(n_samples, latent_dim, noise_std)
        self.bias = float(np.mean(self.estimates) - self.log_px)
        self.repeats = len(self.estimates)
        self.std = float(np.std(self.estimates, ddof=1)) if self.repeats > 1 else 0.0
        self.log10_exp_kl = self.kl / np.log(10.0)
        self._redraw(n_samples, latent_dim, noise_std)

    def _on_change(self, _change) -> None:
        self.update()

    # ------------------------------------------------------------------ drawing
    def _redraw(self, n_samples: int, latent_dim: int, noise_std: float) -> None:
        lo = min(float(np.min(self.estimates)), self.log_px)
        hi = max(float(np.max(self.estimates)), self.log_px)
        pad = max(0.05 * (hi - lo), 1e-3 * max(1.0, abs(hi)), 1e-6)
        counts, edges = np.histogram(self.estimates, bins=30, range=(lo - pad, hi + pad))
        self._hist.set_data(counts, edges)
        self._exact_line.set_xdata([self.log_px, self.log_px])
        mean = float(np.mean(self.estimates))
        self._mean_line.set_xdata([mean, mean])
        self.ax.set_xlim(edges[0], edges[-1])
        self.ax.set_ylim(0, 1.1 * max(int(counts.max()), 1))
        self.ax.set_title(
            f"M = {n_samples}, k = {latent_dim}, σ = {noise_std:.3g} (Σ = σ² I), d = {self.data_dim};"
            f" {self.repeats} repeats"
        )
        verdict = (
            "M is below exp(KL): expect a large negative bias"
            if np.log(n_samples) < self.kl
            else "M exceeds exp(KL)"
        )
        self.summary.value = html.escape(
            f"exact log p(x) = {self.log_px:.3f} · bias of log p̂ = {self.bias:.3f} nats"
            f" · std = {self.std:.3f} nats"
            f" · mean ESS = {self.mean_ess:.1f} of {n_samples} · KL(p(z|x)‖p(z)) = {self.kl:.2f} nats, "
            f"exp(KL) ≈ 10^{self.log10_exp_kl:.1f} samples ({verdict})"
        )
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi)
        self.image.value = buffer.getvalue()

    def _ipython_display_(self) -> None:
        display(self.widget)


__all__ = ["NaiveMCExplorer", "M_OPTIONS"]
