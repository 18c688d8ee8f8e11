"""One figure style for the course: large fonts for a projector, labelled axes, a colour-blind-safe cycle."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

COURSE_STYLE = {
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "legend.fontsize": 10,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.0,
    "axes.prop_cycle": mpl.cycler(color=COLORS),
    "image.cmap": "viridis",
}


def use_course_style() -> None:
    """Apply the course style to every later figure (call once at the top of a notebook)."""
    mpl.rcParams.update(COURSE_STYLE)


def labelled(ax, title: str, xlabel: str, ylabel: str):
    """Set a title and both axis labels in one call; every course figure has all three."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def subplots(nrows: int = 1, ncols: int = 1, width: float | None = None, height: float | None = None, **kwargs):
    """``plt.subplots`` with the course's default panel size (7 x 4.2 inches per panel unless given)."""
    w = width if width is not None else 5.2 * ncols if ncols > 1 else COURSE_STYLE["figure.figsize"][0]
    h = height if height is not None else 4.0 * nrows if nrows > 1 else COURSE_STYLE["figure.figsize"][1]
    return plt.subplots(nrows, ncols, figsize=(w, h), constrained_layout=True, **kwargs)
