r"""Log-space arithmetic shared by every module: the Gaussian constant log 2 pi and a stable log-mean-exp.

Densities of high-dimensional data are astronomically small (log p(x) of -1e4 is ordinary), so every average
of likelihoods or weights is taken as log (1/M) sum_m exp(a_m), shifted by max_m a_m before exponentiating.
``helpers.monte_carlo.log_mean_exp`` is this function (the name the notebooks import).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["LOG_2PI", "log_mean_exp"]

#: log(2 pi), the constant of every Gaussian log-density: log N(x; m, s^2) = -(x - m)^2 / (2 s^2) - log s - LOG_2PI / 2.
LOG_2PI = math.log(2.0 * math.pi)


def log_mean_exp(a, axis: int = -1) -> np.ndarray | float:
    r"""log( (1/M) sum_m exp(a_m) ) along ``axis``, stable for entries such as -1e4 or +1e4.

    Computed as c + log mean exp(a - c) with c the maximum along the axis, so the largest term is
    exp(0) = 1 and nothing overflows or underflows to log(0).  ``-inf`` entries (zero weights) are
    allowed; ``nan`` and ``+inf`` are not.  Returns a float for 1-D input, else an array with
    ``axis`` removed.
    """
    return log_mean_exp_unchecked(checked_log_values(a, axis, "a"), axis)


def checked_log_values(values, axis: int, name: str) -> np.ndarray:
    """``values`` as a float64 array with at least one entry along ``axis`` and no NaN or +inf."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension")
    if not (-arr.ndim <= axis < arr.ndim):
        raise ValueError(
            f"axis must be in [-{arr.ndim}, {arr.ndim - 1}] for {name} of shape {arr.shape}, got {axis}"
        )
    if arr.shape[axis] == 0:
        raise ValueError(f"{name} must have at least one entry along axis")
    if np.any(np.isnan(arr)) or np.any(arr == np.inf):
        raise ValueError(f"{name} must not contain NaN or +inf")
    return arr


def log_mean_exp_unchecked(arr: np.ndarray, axis: int):
    """:func:`log_mean_exp` for an array already checked by :func:`checked_log_values`."""
    shift = np.max(arr, axis=axis, keepdims=True)
    # A slice that is all -inf has mean weight 0: keep it at -inf without warnings.
    shift = np.where(np.isfinite(shift), shift, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.mean(np.exp(arr - shift), axis=axis)) + np.squeeze(shift, axis=axis)
    return float(out) if out.ndim == 0 else out
