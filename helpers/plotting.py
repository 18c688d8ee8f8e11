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


def gaussian_ellipse(ax, mean, cov, n_std: float = 2.0, **kwargs):
    """Draw the n_std-standard-deviation contour of a 2-D Gaussian N(mean, cov) on ``ax``; returns the patch.

    The ellipse axes are the eigenvectors of ``cov``, with half-lengths n_std * sqrt(eigenvalue).
    """
    import numpy as np
    from matplotlib.patches import Ellipse

    cov = np.asarray(cov, dtype=float)
    if cov.shape != (2, 2):
        raise ValueError(f"cov must have shape (2, 2), got {cov.shape}")
    eigvals, eigvecs = np.linalg.eigh(cov)
    if np.any(eigvals <= 0):
        raise ValueError("cov must be positive definite")
    angle = np.degrees(np.arctan2(eigvecs[1, -1], eigvecs[0, -1]))
    width, height = 2 * n_std * np.sqrt(eigvals[::-1])
    kwargs.setdefault("fill", False)
    patch = Ellipse(tuple(np.asarray(mean, dtype=float)), width, height, angle=angle, **kwargs)
    ax.add_patch(patch)
    return patch


def show(fig=None, *, alt: str) -> None:
    """Display a figure as a PNG whose output carries ``alt``, a sentence saying what the figure shows.

    Use it instead of ``plt.show()``: the offline site, the slides and the handouts put ``alt`` on the image
    for screen readers, and a test checks that no figure in the course is shown without one. The figure is
    closed afterwards, so it is not drawn a second time at the end of the cell.
    """
    import io

    from IPython.display import display

    if not isinstance(alt, str) or len(alt.strip()) < 10:
        raise ValueError(f"alt must be a sentence describing the figure (10 characters or more), got {alt!r}")
    fig = plt.gcf() if fig is None else fig
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=mpl.rcParams["figure.dpi"], bbox_inches="tight")
    plt.close(fig)
    display({"image/png": buffer.getvalue(), "text/plain": f"<Figure: {alt.strip()}>"},
            raw=True, metadata={"image/png": {"alt": alt.strip()}})


def show_png(png: bytes, *, alt: str) -> None:
    """Display PNG bytes (for example a widget's current picture) with ``alt`` text, as :func:`show` does."""
    from IPython.display import display

    if not isinstance(alt, str) or len(alt.strip()) < 10:
        raise ValueError(f"alt must be a sentence describing the figure (10 characters or more), got {alt!r}")
    if not isinstance(png, bytes | bytearray) or not bytes(png[:8]) == b"\x89PNG\r\n\x1a\n":
        raise ValueError("png must be the bytes of a PNG image")
    display({"image/png": bytes(png), "text/plain": f"<Figure: {alt.strip()}>"},
            raw=True, metadata={"image/png": {"alt": alt.strip()}})
