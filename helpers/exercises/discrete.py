"""Checkers for notebook 06 (discrete latents)."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, logsumexp

from helpers.exercises._feedback import ExerciseResult, _as_array, compare

__all__ = ["check_mixture_log_marginal", "check_enumeration_budget", "check_bernoulli_score"]

_CLOSE = {"rtol": 1e-8, "atol": 1e-10}


def _first_slip(ans, expected, slips) -> str | None:
    """The hint of the first known wrong formula that ``ans`` reproduces (and the right one does not)."""
    if ans is None or ans.shape != expected.shape or not np.all(np.isfinite(ans)):
        return None
    for value, hint in slips:
        if value is None:
            continue
        value = np.broadcast_to(value, expected.shape)
        if np.allclose(ans, value, **_CLOSE) and not np.allclose(value, expected, **_CLOSE):
            return hint
    return None


def check_mixture_log_marginal(answer, log_weights, component_log_densities) -> ExerciseResult:
    """Exercise: log p(x_n) = logsumexp_k [log π_k + log p(x_n | z=k)], one value per point (shape (n,)).

    ``log_weights`` has shape (K,) and ``component_log_densities`` shape (n, K).
    """
    name = "mixture_log_marginal"
    log_w = np.asarray(log_weights, dtype=np.float64)
    comp = np.asarray(component_log_densities, dtype=np.float64)
    expected = logsumexp(log_w + comp, axis=1)
    ans = _as_array(answer)
    if ans is not None and ans.shape == comp.shape and comp.shape != expected.shape:
        return ExerciseResult(name, False, f"that has shape {comp.shape}, one value per point AND component: "
                                           "sum over the K components (logsumexp along axis 1).")
    slips = [
        (np.max(log_w + comp, axis=1),
         "that is only the largest term (a hard assignment to one component): the marginal sums all K terms, "
         "use logsumexp."),
        (np.sum(log_w + comp, axis=1),
         "adding the log-terms multiplies the densities: the mixture adds them, log Σ_k exp(·) = logsumexp."),
        (logsumexp(comp, axis=1), "the mixing weights are missing: add log π_k to each component's term."),
        (logsumexp(comp, axis=1) - np.log(comp.shape[1]),
         "that assumes equal weights 1/K: use the given log π_k."),
        (logsumexp(np.exp(log_w) + comp, axis=1),
         "π_k was added to a log-density: add its logarithm, log π_k, instead."),
    ]
    hint = _first_slip(ans, expected, slips)
    if hint is not None:
        return ExerciseResult(name, False, hint)
    return compare(name, answer, expected, what="log p(x) for each point", **_CLOSE)


def check_enumeration_budget(answer, states_per_second: float, seconds: float) -> ExerciseResult:
    """Exercise: the largest number D of binary latents whose 2^D states fit in the time budget.

    With a constant rate of r states per second, 2^D <= r t, so D = floor(log2(r t)).
    """
    name = "enumeration_budget"
    rate, budget = float(states_per_second), float(seconds)
    if not (rate > 0 and budget > 0 and math.isfinite(rate * budget)):
        raise ValueError("states_per_second and seconds must be positive and finite")
    states = rate * budget
    expected = math.floor(math.log2(states))
    if answer is None or answer is Ellipsis:
        return ExerciseResult(name, False, "not attempted yet: replace the `...` with D, an integer, then run this cell.")
    try:
        value = float(np.asarray(answer))
    except (TypeError, ValueError):
        return ExerciseResult(name, False, f"expected a single integer D, got {type(answer).__name__}.")
    if not math.isfinite(value):
        return ExerciseResult(name, False, "the answer is NaN or inf: is there a log of 0?")
    if value == expected:
        return ExerciseResult(name, True, f"D = {expected}: 2^{expected} = {2.0**expected:.3g} states fit "
                                          f"in the budget of {states:.3g} states, 2^{expected + 1} do not.")
    if np.isclose(value, states, rtol=1e-6) or value > 200:
        return ExerciseResult(name, False, "that is the number of states, not of latents: D is the exponent, "
                                           "take log2 of the number of states.")
    for log in (math.log10, math.log):
        if value in (math.floor(log(states)), math.ceil(log(states))) or np.isclose(value, log(states)):
            return ExerciseResult(name, False, "each latent doubles the number of states: the logarithm is "
                                               "base 2 (math.log2), not base 10 or e.")
    if np.isclose(value, math.log2(states)) or value == expected + 1:
        return ExerciseResult(name, False, f"2^{value:g} states do not fit in the budget: round log2 down "
                                           "(math.floor) to the largest whole D that fits.")
    if value == expected - 1:
        return ExerciseResult(name, False, f"2^{expected} states still fit in the budget: D can be 1 larger.")
    return ExerciseResult(name, False, f"D = {value:g} is off: solve 2^D <= states_per_second * seconds for "
                                       "the largest integer D.")


def check_bernoulli_score(answer, z, logits) -> ExerciseResult:
    """Exercise: the score ∇_φ log q_φ(z) = z − σ(φ) of a factorised Bernoulli, elementwise (shape of z)."""
    name = "bernoulli_score"
    z = np.asarray(z, dtype=np.float64)
    phi = np.asarray(logits, dtype=np.float64)
    p = expit(phi)
    expected = np.broadcast_to(z - p, np.broadcast_shapes(z.shape, phi.shape))
    slips = [
        (p * (1.0 - p),
         "σ(φ)(1 − σ(φ)) is the derivative of the probability σ(φ) and does not depend on z: "
         "differentiate log q = z log σ(φ) + (1 − z) log σ(−φ) instead."),
        (z - phi, "use the probability σ(φ), not the logit φ itself: the score is z − σ(φ)."),
        (z / p - (1.0 - z) / (1.0 - p),
         "that is the derivative with respect to the probability p = σ(φ); the chain rule multiplies it "
         "by dp/dφ = σ(φ)(1 − σ(φ))."),
        (z * (1.0 - p),
         "only the z = 1 half is there: add the derivative of (1 − z) log σ(−φ), which is −(1 − z) σ(φ)."),
    ]
    hint = _first_slip(_as_array(answer), expected, slips)
    if hint is not None:
        return ExerciseResult(name, False, hint)
    return compare(name, answer, expected, what="the score z − σ(φ)", **_CLOSE)
