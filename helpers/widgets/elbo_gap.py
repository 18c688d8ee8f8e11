r"""The ELBO-gap explorer: move a Gaussian q(z) and watch log p(x) = ELBO + KL(q || p(z|x)) hold.

``ElboGapExplorer()`` displays itself in a notebook.  Everything it shows is also an attribute, so a test (or
a curious reader) can drive it without a browser::

    ex = ElboGapExplorer()
    ex.mean_sliders[0].value = 1.0     # the figure and the numbers are redrawn at once
    ex.gap, ex.elbo, ex.log_px         # the current numbers (nats); ex.numbers has them all

The models it offers are the ``Choice`` entries of ``default_choices()``: the linear-Gaussian model with
k = 1 and k = 2 latent dimensions (exact posterior, so "snap to posterior" closes the gap exactly) and the
non-conjugate ``SquaredLatentModel`` (x ~ N(z^2, sigma^2), sigma a standard deviation: a bimodal posterior for
x well above 0, and no Gaussian q reaches zero gap).  The explorer asks every model the same four things
(``ExplorerModel``), so adding a model is one more entry there.

Speed: the matplotlib figure is built once.  Changing the model or the data point redraws it fully and keeps
its static part (axes, prior, posterior) as a bitmap; moving a slider only restores that bitmap, redraws the
few artists that depend on q (its density or ellipses, the bars, the value labels) and encodes a PNG.
``tests/benchmarks/widget_update.py`` measures the time of one update.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import NamedTuple, Protocol

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    threadpool_limits = None

from helpers.elbo import elbo_mc
from helpers.linear_gaussian import LinearGaussian
from helpers.nonconjugate import SquaredLatentModel
from helpers.plotting import COLORS
from helpers.widgets._base import Explorer, number

__all__ = ["ElboGapExplorer", "GapFigure", "ExplorerModel", "Choice", "default_choices", "MODEL_NAMES"]

MEAN_RANGE = (-4.0, 4.0)
LOG_STD_RANGE = (-4.0, 1.5)
CORR_RANGE = (-0.95, 0.95)
N_SAMPLES_RANGE = (2, 2000)
_ROWS = ("log p(x)", "ELBO", "E_q[log p(x|z)]", "−KL(q ‖ p(z))", "ELBO, MC estimate")


class ExplorerModel(Protocol):
    """What the explorer asks of a model with prior p(z) = N(0, I_k), k = 1 or 2, about one data point x."""

    latent_dim: int

    def log_marginal(self, x) -> float:
        """log p(x), exactly or to quadrature accuracy."""

    def log_joint(self, x, z) -> np.ndarray:
        """log p(x, z) for z of shape (..., k)."""

    def best_gaussian_q(self, x) -> tuple[np.ndarray, np.ndarray, float]:
        """The Gaussian q with the largest ELBO, ``(mean (k,), cov (k, k), gap)``: the posterior when gap = 0."""

    def elbo_terms(self, x, q_mean, q_cov) -> tuple[float, float]:
        """``(E_q[log p(x|z)], KL(q || p(z)))`` for q = N(q_mean, q_cov)."""


class Choice(NamedTuple):
    """One model the explorer offers: its button label, the model, its data points (n, d), how log p(x) is got."""

    name: str
    model: ExplorerModel
    data: np.ndarray
    log_px_method: str


def default_choices() -> list[Choice]:
    """The three models and their data points (fixed, so the widget always looks the same)."""
    lg1 = LinearGaussian(np.array([[1.0], [0.6], [-0.8]]), np.array([0.5, -0.2, 0.1]), 0.6 * np.eye(3))
    # Non-orthogonal columns give a tilted (negatively correlated) posterior: "explaining away".
    lg2 = LinearGaussian(np.array([[1.0, 0.5], [0.3, 1.0], [0.8, 0.9]]), np.array([0.2, 0.0, -0.3]),
                         0.49 * np.eye(3))
    return [
        Choice("linear-Gaussian, k = 1", lg1,
               np.array([[1.8, 0.9, -1.5], [-0.4, -0.6, 0.6], [3.5, 1.6, -2.6], [0.5, -0.2, 0.1]]), "exact"),
        Choice("linear-Gaussian, k = 2", lg2,
               np.array([[1.6, 1.2, 1.4], [-1.0, 0.8, 0.1], [2.5, -0.4, 1.2], [0.2, 0.0, -0.3]]), "exact"),
        Choice("non-conjugate x ~ N(z², σ²), k = 1", SquaredLatentModel(noise_std=0.5),
               np.array([[-0.5], [0.5], [1.0], [2.0], [3.0]]), "quadrature"),
    ]


MODEL_NAMES = tuple(choice.name for choice in default_choices())


def _x_label(x: np.ndarray, i: int) -> str:
    values = ", ".join(f"{v:.1f}" for v in x)
    return f"x{i + 1} = ({values})" if x.size > 1 else f"x{i + 1} = {values}"


class ElboGapExplorer(Explorer):
    r"""Interactive picture of log p(x) = ELBO(q) + KL(q || p(z|x)) for a Gaussian q(z) = N(m, S).

    Controls (ipywidgets, each with a ``description`` and a CSS class for browser tests):

    - ``model_toggle`` (ToggleButtons, class ``elbo-model``): one of the choices' names (``MODEL_NAMES``);
    - ``x_index`` (Dropdown, ``elbo-x-index``): which data point x the posterior is conditioned on;
    - ``mean_sliders[i]`` (``elbo-mean-{i}``) and ``log_std_sliders[i]`` (``elbo-log-std-{i}``), i = 0, 1: the
      mean and log standard deviation of q along z_{i+1} (the i = 1 sliders are hidden when k = 1);
    - ``corr_slider`` (``elbo-corr``): the correlation of q's two coordinates (k = 2 only);
    - ``n_samples_slider`` (``elbo-n-samples``): M, the samples in the Monte Carlo ELBO estimate;
    - ``snap_button`` (``elbo-snap``), ``reset_button`` (``elbo-reset``),
      ``resample_button`` (``elbo-resample``).

    Display: ``image`` (``elbo-plot``, the PNG figure), ``gap_readout`` (``elbo-gap-readout``, HTML with the
    gap inside ``<span class="elbo-gap-value">``) and ``readout`` (``elbo-readout``, the table of numbers).
    ``widget`` (``elbo-explorer``) is the container that is displayed.

    Numbers: ``numbers`` is a dict with keys ``log_px``, ``elbo``, ``gap`` (= log p(x) - ELBO),
    ``expected_log_likelihood``, ``kl_to_prior``, ``elbo_mc``, ``elbo_mc_stderr``, ``n_samples`` and
    ``best_gap`` (the smallest gap any Gaussian q reaches: 0 for the linear-Gaussian models).
    Properties ``gap``, ``elbo``, ``log_px``, ``q_mean``, ``q_std``, ``q_cov``, ``model``, ``x``,
    ``latent_dim``, ``model_index``, ``png``; ``models`` and ``data`` list the choices' models and data;
    ``plot`` is the ``GapFigure`` that draws the picture.
    """

    gap = number("gap", "KL(q || p(z|x)) = log p(x) - ELBO, in nats.")
    elbo = number("elbo", "The ELBO of the current q, in nats.")
    log_px = number("log_px", "log p(x) of the current data point, in nats.")

    def __init__(self, *, choices: list[Choice] | None = None, n_samples: int = 100, seed: int = 0,
                 dpi: int = 80):
        self.choices = list(default_choices() if choices is None else choices)
        for choice in self.choices:
            if choice.model.latent_dim not in (1, 2):
                raise ValueError(f"choices: the explorer shows k = 1 or 2 latent dimensions, "
                                 f"{choice.name!r} has k = {choice.model.latent_dim}")
        self.models = [choice.model for choice in self.choices]
        self.data = [choice.data for choice in self.choices]
        self._mc_seed = int(seed)
        self._hold = False
        self._scene: dict = {}
        self._best: dict = {}  # (model index, x index) -> best Gaussian q: some models optimise to find it
        self._build_controls(n_samples)
        self._build_figure(dpi)
        self._apply_model()
        self._set_scene()
        self.update()

    # ================================================================ controls
    def _build_controls(self, n_samples: int) -> None:
        style = {"description_width": "110px"}

        def layout():
            # One Layout per control: a shared one would hide every slider when the k = 2 ones are hidden.
            return widgets.Layout(width="340px")

        def slider(description, rng, value, css, tooltip):
            s = widgets.FloatSlider(value=value, min=rng[0], max=rng[1], step=0.01, description=description,
                                    readout_format=".2f", continuous_update=True, style=style, layout=layout(),
                                    tooltip=tooltip)
            s.add_class(css)
            return s

        self.mean_sliders = [
            slider(f"q mean z{i + 1}", MEAN_RANGE, 0.0, f"elbo-mean-{i}", f"mean of q along z{i + 1}")
            for i in range(2)
        ]
        self.log_std_sliders = [
            slider(f"q log-std z{i + 1}", LOG_STD_RANGE, 0.0, f"elbo-log-std-{i}",
                   f"log standard deviation of q along z{i + 1}")
            for i in range(2)
        ]
        self.corr_slider = slider("q correlation", CORR_RANGE, 0.0, "elbo-corr",
                                  "correlation of z1 and z2 under q")
        self.n_samples_slider = widgets.IntSlider(value=n_samples, min=N_SAMPLES_RANGE[0],
                                                  max=N_SAMPLES_RANGE[1],
                                                  description="MC samples M", style=style, layout=layout())
        self.n_samples_slider.add_class("elbo-n-samples")
        names = [choice.name for choice in self.choices]
        self.model_toggle = widgets.ToggleButtons(options=names, value=names[0], description="model",
                                                  style={"button_width": "230px"})
        self.model_toggle.add_class("elbo-model")
        self.x_index = widgets.Dropdown(description="data point x", style=style, layout=layout())
        self.x_index.add_class("elbo-x-index")
        self.snap_button = widgets.Button(description="snap to posterior", button_style="success",
                                          tooltip="set q to the exact posterior (or the best Gaussian q)")
        self.snap_button.add_class("elbo-snap")
        self.reset_button = widgets.Button(description="reset", tooltip="set q to the prior N(0, I)")
        self.reset_button.add_class("elbo-reset")
        self.resample_button = widgets.Button(description="new MC samples",
                                              tooltip="draw fresh Monte Carlo samples")
        self.resample_button.add_class("elbo-resample")

        self.image = widgets.Image(format="png")
        self.image.add_class("elbo-plot")
        self.gap_readout = widgets.HTML()
        self.gap_readout.add_class("elbo-gap-readout")
        self.readout = widgets.HTML()
        self.readout.add_class("elbo-readout")

        for s in [*self.mean_sliders, *self.log_std_sliders, self.corr_slider, self.n_samples_slider]:
            s.observe(self._on_q_change, names="value")
        self.model_toggle.observe(self._on_model_change, names="value")
        self.x_index.observe(self._on_x_change, names="value")
        self.snap_button.on_click(lambda _: self.snap())
        self.reset_button.on_click(lambda _: self.reset())
        self.resample_button.on_click(lambda _: self.resample())

        sliders = widgets.HBox([
            widgets.VBox([self.mean_sliders[0], self.log_std_sliders[0], self.n_samples_slider]),
            widgets.VBox([self.mean_sliders[1], self.log_std_sliders[1], self.corr_slider]),
        ])
        buttons = widgets.HBox([self.x_index, self.snap_button, self.reset_button, self.resample_button])
        numbers = widgets.VBox([self.gap_readout, self.readout], layout=widgets.Layout(min_width="300px"))
        self.widget = widgets.VBox([self.model_toggle, buttons, widgets.HBox([self.image, numbers]), sliders])
        self.widget.add_class("elbo-explorer")

    @contextmanager
    def _held(self):
        """Change several controls with one redraw at the end (no intermediate frames)."""
        previous, self._hold = self._hold, True
        try:
            yield
        finally:
            self._hold = previous

    def _on_q_change(self, _change) -> None:
        if not self._hold:
            self.update()

    def _on_model_change(self, _change) -> None:
        if self._hold:
            return
        with self._held():
            self._apply_model()
        self._set_scene()
        self.update()

    def _on_x_change(self, _change) -> None:
        if self._hold or self.x_index.value is None:
            return
        self._set_scene()
        self.update()

    def _apply_model(self) -> None:
        """Show the controls the current model uses and offer its data points (keeping the index if valid)."""
        k = self.latent_dim
        for w in (self.mean_sliders[1], self.log_std_sliders[1], self.corr_slider):
            w.layout.display = None if k == 2 else "none"
            w.disabled = k != 2
        keep = self.x_index.value if self.x_index.value is not None else 0
        data = self.data[self.model_index]
        with self._held():
            self.x_index.options = [(_x_label(x, i), i) for i, x in enumerate(data)]
            self.x_index.value = min(keep, len(data) - 1)

    # ================================================================== state
    @property
    def model_index(self) -> int:
        return [choice.name for choice in self.choices].index(self.model_toggle.value)

    @property
    def model(self) -> ExplorerModel:
        return self.models[self.model_index]

    @property
    def latent_dim(self) -> int:
        return self.model.latent_dim

    @property
    def x(self) -> np.ndarray:
        """The data point the posterior is conditioned on, shape (d,)."""
        return self.data[self.model_index][self.x_index.value]

    @property
    def q_mean(self) -> np.ndarray:
        return np.array([s.value for s in self.mean_sliders[: self.latent_dim]])

    @property
    def q_std(self) -> np.ndarray:
        return np.exp([s.value for s in self.log_std_sliders[: self.latent_dim]])

    @property
    def q_cov(self) -> np.ndarray:
        s = self.q_std
        if self.latent_dim == 1:
            return np.array([[s[0] ** 2]])
        c = self.corr_slider.value * s[0] * s[1]
        return np.array([[s[0] ** 2, c], [c, s[1] ** 2]])

    def best_q(self) -> tuple[np.ndarray, np.ndarray, float]:
        """The Gaussian q with the largest ELBO for the current model and x: ``(mean, cov, gap)``."""
        key = (self.model_index, self.x_index.value)
        if key not in self._best:
            self._best[key] = self.model.best_gaussian_q(self.x)
        return self._best[key]

    # ================================================================ actions
    def snap(self) -> None:
        """Set q to the exact posterior (gap 0) or, where no Gaussian reaches it, to the best Gaussian q."""
        mean, cov, _ = self.best_q()
        std = np.sqrt(np.diag(cov))
        with self._held():
            for i in range(self.latent_dim):
                self.mean_sliders[i].value = float(mean[i])
                self.log_std_sliders[i].value = float(np.log(std[i]))
            if self.latent_dim == 2:
                self.corr_slider.value = float(cov[0, 1] / (std[0] * std[1]))
        self.update()

    def reset(self) -> None:
        """Set q to the prior N(0, I): mean 0, log-std 0, correlation 0."""
        with self._held():
            for s in (*self.mean_sliders, *self.log_std_sliders, self.corr_slider):
                s.value = 0.0
        self.update()

    def resample(self) -> None:
        """Draw new Monte Carlo samples for the ELBO estimate."""
        self._mc_seed += 1
        self.update()

    # ================================================================ numbers
    def _compute(self) -> dict:
        ell, kl = self.model.elbo_terms(self.x, self.q_mean, self.q_cov)
        elbo = ell - kl
        log_px = self._scene["log_px"]
        n = int(self.n_samples_slider.value)
        mc = elbo_mc(self.model, self.x, self.q_mean, self.q_cov, n, self._mc_seed)
        return {
            "log_px": log_px, "elbo": elbo, "gap": log_px - elbo, "expected_log_likelihood": ell,
            "kl_to_prior": kl, "elbo_mc": mc.value, "elbo_mc_stderr": mc.stderr, "n_samples": n,
            "best_gap": self._scene["best_gap"],
        }

    def update(self) -> None:
        """Recompute the numbers and redraw q, the bars and the readouts."""
        # The arrays here are tiny: a multithreaded BLAS would only add the latency of handing them over.
        limit = threadpool_limits(limits=1, user_api="blas") if threadpool_limits else nullcontext()
        with limit:
            super().update()
        self.gap_readout.value, self.readout.value = self._readout_html(self.numbers)

    # ================================================================= figure
    def _build_figure(self, dpi: int) -> None:
        self.plot = GapFigure(dpi)
        self.figure, self.canvas = self.plot.figure, self.plot.canvas

    def _set_scene(self) -> None:
        """Compute what stays fixed while only q moves (log p(x), the best q) and draw the static picture."""
        best = self.best_q()
        self._scene = {"log_px": self.model.log_marginal(self.x), "best_gap": best[2]}
        exact = best[2] == 0.0  # the posterior is itself Gaussian
        self.snap_button.description = "snap to posterior" if exact else "snap to best Gaussian q"
        self.plot.set_scene(self.model, self.x, self._scene["log_px"], best)

    def _draw(self, nums: dict) -> None:
        self.plot.draw(self.q_mean, self.q_cov, nums)
        self._show_canvas()

    def _readout_html(self, nums: dict) -> tuple[str, str]:
        best = ("" if nums["best_gap"] == 0.0 else
                f"<div style='font-size:12px'>no Gaussian q does better than gap = "
                f"{nums['best_gap']:.4f}</div>")
        gap = (f"<div style='font-size:18px'>gap = KL(q ‖ p(z|x)) = "
               f"<b><span class='elbo-gap-value'>{nums['gap']:.6f}</span></b> nats</div>{best}")
        rows = [
            ("log p(x)", f"{nums['log_px']:.6f}", self.choices[self.model_index].log_px_method),
            ("ELBO", f"{nums['elbo']:.6f}", "E_q[log p(x|z)] − KL(q ‖ p(z))"),
            ("gap", f"{nums['gap']:.6f}", "log p(x) − ELBO"),
            ("E_q[log p(x|z)]", f"{nums['expected_log_likelihood']:.6f}", "expected log-likelihood"),
            ("KL(q ‖ p(z))", f"{nums['kl_to_prior']:.6f}", "KL to the prior"),
            (f"ELBO, MC (M = {nums['n_samples']})", f"{nums['elbo_mc']:.4f} ± {nums['elbo_mc_stderr']:.4f}",
             "mean ± standard error"),
        ]
        body = "".join(f"<tr><td>{a}</td><td style='text-align:right;font-family:monospace'>{b}</td>"
                       f"<td style='color:#666'>{c}</td></tr>" for a, b, c in rows)
        return gap, f"<table style='font-size:13px'>{body}</table>"


class GapFigure:
    """The explorer's picture: the posterior and q on the left, the bars of log p(x) = ELBO + gap on the right.

    Built once; ``set_scene`` draws the static part for a model and data point and caches it as a bitmap,
    ``draw`` adds what depends on q (its density or ellipses, the bars, the labels) on top of that bitmap.
    Read by tests: ``bars`` (the Rectangles of log p(x), the ELBO and its two terms), ``gap_bracket`` (the
    line between the ends of the log p(x) and ELBO bars) and ``post_contours`` (the k = 2 posterior contours).
    """

    def __init__(self, dpi: int):
        fig = Figure(figsize=(8.6, 3.3), dpi=dpi)
        self.canvas = FigureCanvasAgg(fig)
        self.figure = fig
        ax1 = fig.add_axes((0.07, 0.16, 0.36, 0.72))
        ax2 = fig.add_axes((0.07, 0.16, 0.36, 0.72))
        axb = fig.add_axes((0.66, 0.16, 0.20, 0.72))
        self._ax1, self._ax2, self._axb = ax1, ax2, axb
        blue, orange, green, red, grey = COLORS[0], COLORS[1], COLORS[2], COLORS[3], "0.45"

        # k = 1: densities.  Static: prior and posterior; dynamic (animated=True, drawn on the cached
        # bitmap): q.
        ax1.set_xlabel("z")
        ax1.set_ylabel("density")
        (self._prior_line,) = ax1.plot([], [], "--", color=grey, lw=1.5, label="prior p(z)")
        (self._post_line,) = ax1.plot([], [], color=blue, lw=2.2, label="posterior p(z|x)")
        (self._q_line,) = ax1.plot([], [], color=orange, lw=2.2, label="q(z)", animated=True)
        ax1.legend(loc="upper left", fontsize=8, frameon=False)

        # k = 2: the posterior's density contours at the levels of Mahalanobis radius 1 and 2 (its 1 and 2
        # s.d. ellipses when it is Gaussian), drawn per scene; ellipses of the prior and of q.
        ax2.set_xlabel("z₁")
        ax2.set_ylabel("z₂")
        ax2.set_xlim(-3.2, 3.2)
        ax2.set_ylim(-3.2, 3.2)
        self._prior_ell = [ax2.plot([], [], "--", color=grey, lw=1.2, label="prior" if r == 1 else None)[0]
                           for r in (1, 2)]
        ax2.plot([], [], color=blue, lw=2.0, label="posterior")  # legend entry for the contours
        self.post_contours = None
        (self._post_mark,) = ax2.plot([], [], "+", color=blue, ms=10, mew=2)
        self._q_ell = [ax2.plot([], [], color=orange, lw=2.0, label="q" if r == 1 else None, animated=True)[0]
                       for r in (1, 2)]
        (self._q_mark,) = ax2.plot([], [], "x", color=orange, ms=8, mew=2, animated=True)
        ax2.legend(loc="upper right", fontsize=8, frameon=False)
        angles = np.linspace(0, 2 * np.pi, 120)
        self._circle = np.stack([np.cos(angles), np.sin(angles)])
        grid = np.linspace(-3.2, 3.2, 161)
        self._grid_2d = np.stack(np.meshgrid(grid, grid), axis=-1)  # (161, 161, 2)

        # Bars, one row each, every bar drawn from zero (top to bottom): log p(x), ELBO, E_q[log p(x|z)],
        # -KL(q || p(z)), and the MC estimate with +-2 standard errors.  The gap is a bracket between the ends
        # of the log p(x) and ELBO bars, so which of the two is larger reads the same on either side of zero.
        y = np.arange(len(_ROWS))[::-1].astype(float)
        self._row_y = dict(zip(_ROWS, y, strict=True))
        axb.set_yticks(y, list(_ROWS), fontsize=9)
        axb.set_ylim(-0.7, len(_ROWS) - 0.3)
        axb.set_xlabel("nats")
        axb.grid(axis="y", visible=False)
        axb.axvline(0.0, color="0.2", lw=0.8)
        h = 0.56

        def bar(row, color):
            r = Rectangle((0.0, self._row_y[row] - h / 2), 0.0, h, color=color, animated=True)
            axb.add_patch(r)
            return r

        self.bars = {
            "log_px": bar("log p(x)", blue),
            "elbo": bar("ELBO", green),
            "ell": bar("E_q[log p(x|z)]", COLORS[4]),
            "kl": bar("−KL(q ‖ p(z))", COLORS[5]),
        }
        self._bracket_y = 0.5 * (self._row_y["log p(x)"] + self._row_y["ELBO"])
        (self.gap_bracket,) = axb.plot([], [], color=red, lw=1.8, solid_capstyle="butt", animated=True)
        self._bracket_label = axb.text(0.0, self._bracket_y, "gap ", ha="right", va="center", fontsize=8,
                                       color=red, animated=True)
        (self._mc_err,) = axb.plot([], [], color=orange, lw=2.0, animated=True)
        (self._mc_mark,) = axb.plot([], [], "o", color=orange, ms=6, animated=True)
        self._texts = {row: axb.text(1.03, self._row_y[row], "", transform=axb.get_yaxis_transform(),
                                     va="center", ha="left", fontsize=9, animated=True) for row in _ROWS}
        self._gap_text = axb.text(0.5, 1.02, "", transform=axb.transAxes, ha="center", va="bottom",
                                  fontsize=10, color=red, animated=True)
        self._dynamic = [self._q_line, *self._q_ell, self._q_mark, *self.bars.values(), self.gap_bracket,
                         self._bracket_label, self._mc_err, self._mc_mark, *self._texts.values(), self._gap_text]
        self._background = None

    def _ellipse(self, mean, cov, radius):
        return mean[:, None] + radius * np.linalg.cholesky(cov) @ self._circle

    def set_scene(self, model: ExplorerModel, x: np.ndarray, log_px: float, best_q: tuple) -> None:
        """Redraw the static part for a model and data point, and cache it as a bitmap.

        ``best_q`` = (mean, cov, gap) of the best Gaussian q: it sets the bars' range and the density axis.
        """
        k = model.latent_dim
        best_mean, best_cov, best_gap = best_q
        exact = best_gap == 0.0  # the posterior is itself Gaussian
        self.latent_dim = k
        self._ax1.set_visible(k == 1)
        self._ax2.set_visible(k == 2)
        if k == 1:
            z = np.linspace(-4.5, 4.5, 901)
            post = np.exp(model.log_joint(x, z[:, None]) - log_px)
            prior = np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
            self._post_line.set_data(z, post)
            self._prior_line.set_data(z, prior)
            self._ax1.set_xlim(z[0], z[-1])
            best_peak = 1.0 / np.sqrt(2 * np.pi * best_cov[0, 0])  # keep "snap" fully in view
            self._ax1.set_ylim(0.0, 1.15 * max(post.max(), prior.max(), best_peak))
            self._ax1.set_title("exact posterior and q" if exact else "non-Gaussian posterior and q",
                                fontsize=11)
        else:
            log_post = model.log_joint(x, self._grid_2d) - log_px
            top = log_post.max()
            if self.post_contours is not None:
                self.post_contours.remove()
            # A Gaussian's density at Mahalanobis radius r is its peak times exp(-r^2 / 2).
            self.post_contours = self._ax2.contour(self._grid_2d[..., 0], self._grid_2d[..., 1], log_post,
                                                   levels=[top - 2.0, top - 0.5], colors=[COLORS[0]],
                                                   linewidths=2.0, linestyles="solid")
            for r, line in zip((1, 2), self._prior_ell, strict=True):
                line.set_data(*(r * self._circle))
            mode = self._grid_2d.reshape(-1, 2)[np.argmax(log_post)]
            self._post_mark.set_data([mode[0]], [mode[1]])
            self._ax2.set_title("contours at 1 and 2 s.d.", fontsize=11)

        # Bar range: what q = best and q = prior produce, plus room; values beyond it are clipped and marked.
        at_best = model.elbo_terms(x, best_mean, best_cov)
        at_prior = model.elbo_terms(x, np.zeros(k), np.eye(k))
        vals = [log_px, at_best[0], -at_best[1], at_best[0] - at_best[1], at_prior[0], 0.0]
        lo, hi = min(vals), max(vals)
        pad = 0.25 * (hi - lo) + 0.5
        self._bar_lim = (lo - pad, hi + 0.3 * pad)
        self._axb.set_xlim(*self._bar_lim)
        self._axb.set_title("log p(x) = ELBO + gap", fontsize=11, pad=18)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)

    def draw(self, mean: np.ndarray, cov: np.ndarray, nums: dict) -> None:
        """Draw q = N(mean, cov), the bars and the labels for ``nums`` on the cached static part."""
        k = self.latent_dim
        if k == 1:
            s = np.sqrt(cov[0, 0])
            t = np.linspace(-5.0, 5.0, 301)
            self._q_line.set_data(mean[0] + s * t, np.exp(-0.5 * t**2) / (s * np.sqrt(2 * np.pi)))
        else:
            for r, line in zip((1, 2), self._q_ell, strict=True):
                line.set_data(*self._ellipse(mean, cov, r))
            self._q_mark.set_data([mean[0]], [mean[1]])
        self._draw_bars(nums)

        self.canvas.restore_region(self._background)
        ax_q = self._ax1 if k == 1 else self._ax2
        for artist in self._dynamic:
            if artist.axes is self._axb or artist.axes is ax_q:
                artist.axes.draw_artist(artist)

    def _draw_bars(self, nums: dict) -> None:
        lo, hi = self._bar_lim

        def clip(v):
            return min(max(v, lo), hi)

        widths = {"log_px": nums["log_px"], "elbo": nums["elbo"], "ell": nums["expected_log_likelihood"],
                  "kl": -nums["kl_to_prior"]}
        for key, value in widths.items():
            self.bars[key].set_width(clip(value))
        # The bracket |--| spans the gap between the two bar ends, halfway between their rows.
        a, b, yb, tick = clip(nums["elbo"]), clip(nums["log_px"]), self._bracket_y, 0.17
        self.gap_bracket.set_data([a, a, np.nan, a, b, np.nan, b, b],
                                   [yb - tick, yb + tick, np.nan, yb, yb, np.nan, yb - tick, yb + tick])
        self._bracket_label.set_x(min(a, b))
        ym = self._row_y["ELBO, MC estimate"]
        v, se = nums["elbo_mc"], nums["elbo_mc_stderr"]
        self._mc_err.set_data([clip(v - 2 * se), clip(v + 2 * se)], [ym, ym])
        self._mc_mark.set_data([clip(v)], [ym])

        def label(value):
            return f"{value:.3f}" + (" ◀" if value < lo else " ▶" if value > hi else "")

        self._texts["log p(x)"].set_text(label(nums["log_px"]))
        self._texts["ELBO"].set_text(label(nums["elbo"]))
        self._texts["E_q[log p(x|z)]"].set_text(label(nums["expected_log_likelihood"]))
        self._texts["−KL(q ‖ p(z))"].set_text(label(-nums["kl_to_prior"]))
        self._texts["ELBO, MC estimate"].set_text(f"{v:.3f} ± {se:.3f}")
        self._gap_text.set_text(f"gap = KL(q ‖ p(z|x)) = {nums['gap']:.4f}")
