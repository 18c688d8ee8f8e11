"""Feedback shared by all exercise checkers: a result object and a comparison that diagnoses mistakes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ExerciseResult:
    """Outcome of a check: ``passed`` and a message that says what is right or hints at what is wrong."""

    name: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = "✔ correct" if self.passed else "✘ not yet"
        return f"{mark} ({self.name}): {self.message}"


def matches(ans, value, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """True when ``ans`` (an array from ``_as_array``, or None) has the shape of ``value`` and agrees with it."""
    return ans is not None and ans.shape == np.shape(value) and bool(np.allclose(ans, value, rtol=rtol, atol=atol))


def _as_array(answer):
    if answer is None or answer is Ellipsis:
        return None
    try:
        # torch tensors and lists both go through here.
        if hasattr(answer, "detach"):
            answer = answer.detach().cpu().numpy()
        return np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def compare(name: str, answer, expected, *, what: str, slips=(), rtol: float = 1e-6,
            atol: float = 1e-8) -> ExerciseResult:
    """Compare ``answer`` with ``expected`` and diagnose the common slips.

    ``slips`` lists the exercise's own likely mistakes as ``(value, hint)`` pairs, the one way every checker
    matches a wrong answer to its hint: a wrong answer that matches ``value`` (same shape, within the tolerance)
    gets ``hint``. ``value`` is what the wrong formula gives (any shape: a slip may be "one value per image and
    latent dimension"), ``None`` to skip it, or a predicate ``value(ans) -> bool`` on the answer as a float64
    array, for slips that are no single value (e.g. "that is a count, not an exponent"). A slip whose value equals
    the reference for the given data is skipped. Diagnoses, in order: not attempted yet, not numeric, correct,
    the exercise's own slips, wrong shape (including a transpose), NaN/inf, flipped sign, a factor of 2 or 1/2,
    a missing log / exp, and finally "close but not within tolerance".
    """
    expected = np.asarray(expected, dtype=np.float64)
    ans = _as_array(answer)
    if answer is None or answer is Ellipsis:
        return ExerciseResult(name, False, f"not attempted yet: replace the `...` with {what}, then run this cell.")
    if ans is None:
        return ExerciseResult(name, False, f"expected {what} as a number or array, got {type(answer).__name__}.")
    if ans.shape == expected.shape and np.all(np.isfinite(ans)) and np.allclose(ans, expected, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(ans - expected)))
        return ExerciseResult(name, True, f"{what} matches the reference (max abs error {err:.1e}).")
    for value, hint in slips:
        if value is None:
            continue
        if callable(value):
            if value(ans):
                return ExerciseResult(name, False, hint)
            continue
        value = np.asarray(value, dtype=np.float64)
        if matches(ans, value, rtol=rtol, atol=atol) and not matches(expected, value, rtol=rtol, atol=atol):
            return ExerciseResult(name, False, hint)
    if ans.shape != expected.shape:
        if ans.ndim == 2 and ans.T.shape == expected.shape and np.allclose(ans.T, expected, rtol=rtol, atol=atol):
            return ExerciseResult(name, False,
                                  f"{what} is transposed: expected shape {expected.shape}, got {ans.shape}.")
        if ans.size == expected.size:
            hint = "the right number of entries but the wrong shape"
        else:
            hint = "the wrong number of entries"
        return ExerciseResult(
            name, False, f"{what} should have shape {expected.shape}, got {ans.shape} ({hint})."
        )
    if not np.all(np.isfinite(ans)):
        return ExerciseResult(name, False, f"{what} contains NaN or inf: look for a log of 0 or an overflowing exp.")
    scale = np.max(np.abs(expected)) + atol
    if np.allclose(ans, -expected, rtol=rtol, atol=atol) and scale > atol:
        return ExerciseResult(name, False, f"{what} has the wrong sign.")
    for factor, label in ((2.0, "twice"), (0.5, "half")):
        if np.allclose(ans, factor * expected, rtol=rtol, atol=atol) and scale > atol:
            return ExerciseResult(name, False, f"{what} is {label} the reference: look for a missing or extra factor "
                                               "of 2 (1/2 in a Gaussian log-density?).")
    with np.errstate(all="ignore"):
        if np.all(expected > 0) and np.allclose(ans, np.log(expected), rtol=rtol, atol=atol):
            return ExerciseResult(name, False, f"{what} looks like the log of the reference: is an exp missing?")
        if np.allclose(ans, np.exp(expected), rtol=rtol, atol=atol):
            return ExerciseResult(name, False, f"{what} looks like the exp of the reference: is a log missing?")
    err = float(np.max(np.abs(ans - expected)))
    return ExerciseResult(name, False,
                          f"{what} is off by up to {err:.3g} (reference scale {scale:.3g}); recheck the formula.")
