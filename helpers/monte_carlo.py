r"""Monte Carlo estimators of the marginal likelihood, computed in log space.

Densities of high-dimensional data are astronomically small (log p(x) of -1e4 is ordinary), so every
average of likelihoods is taken as log (1/M) sum_m exp(a_m), shifted by max_m a_m before
exponentiating.
"""

from __future__ import annotations

import numpy as np



def log_mean_exp(a, axis: int = -1) -> np.ndarray | float:
    r"""log( (1/M) sum_m exp(a_m) ) along ``axis``, stable for entries such as -1e4 or +1e4.

    Computed as c + log mean exp(a - c) with c the maximum along the axis, so the largest term is
    exp(0) = 1 and nothing overflows or underflows to log(0).  ``-inf`` entries (zero weights) are
    allowed; ``nan`` and ``+inf`` are not.  Returns a float for 1-D input, else an array with
    ``axis`` removed.
    """
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 0:
        raise ValueError("a must have at least one dimension")
    if not (-arr.ndim <= axis < arr.ndim):
        raise ValueError(f"axis must be in [-{arr.ndim}, {arr.ndim - 1}] for a of shape {arr.shape}, got {axis}")
    if arr.shape[axis] == 0:
        raise ValueError("a must have at least one entry along axis")
    if np.any(np.isnan(arr)) or np.any(arr == np.inf):
        raise ValueError("a must not contain NaN or +inf")
    shift = np.max(arr, axis=axis, keepdims=True)
    # A slice that is all -inf has mean weight 0: keep it at -inf without warnings.
    shift = np.where(np.isfinite(shift), shift, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.mean(np.exp(arr - shift), axis=axis)) + np.squeeze(shift, axis=axis)
    return float(out) if out.ndim == 0 else out


__all__ = ["log_mean_exp"]
