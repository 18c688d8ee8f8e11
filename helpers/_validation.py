"""Argument checks shared by the helpers: each raises ``ValueError`` naming the argument."""

from __future__ import annotations

import numpy as np


def as_finite_array(value, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``value`` as a float64 array, checking its number of dimensions and finiteness."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of real numbers, got {type(value).__name__}") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{n}-D" for n in allowed)
            raise ValueError(f"{name} must be {want}, got an array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return arr


def positive_int(value, name: str) -> int:
    """Return ``value`` as an int, requiring it to be a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def cholesky_of(cov, name: str, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Check that ``cov`` is a symmetric positive-definite matrix; return ``(cov, lower Cholesky factor)``."""
    cov = as_finite_array(cov, name, ndim=2)
    if cov.shape[0] != cov.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {cov.shape}")
    if size is not None and cov.shape[0] != size:
        raise ValueError(f"{name} must have shape ({size}, {size}), got {cov.shape}")
    scale = max(1.0, float(np.max(np.abs(cov))))
    if not np.allclose(cov, cov.T, rtol=0.0, atol=1e-10 * scale):
        raise ValueError(f"{name} must be symmetric")
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite (its Cholesky factorisation failed)") from None
    return cov, chol


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """Accept a ``numpy.random.Generator`` or an integer seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(f"{name} must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}")


def binary_batch(x, data_dim: int, name: str = "x"):
    """``x`` as a float32 torch tensor of shape (n, data_dim), n >= 1, every entry 0 or 1; else ValueError."""
    import torch

    t = torch.as_tensor(np.asarray(x, dtype=np.float32))
    if t.ndim != 2 or t.shape[1] != data_dim or t.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, {data_dim}) with n >= 1, got {tuple(t.shape)}")
    if not torch.all((t == 0) | (t == 1)):
        raise ValueError(f"{name} must be binary (every pixel 0 or 1)")
    return t
