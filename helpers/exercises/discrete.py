"""Checkers for notebook 06 (discrete latents)."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, logsumexp

from helpers.exercises._feedback import ExerciseResult, compare

__all__ = ["check_mixture_log_marginal", "check_enumeration_budget", "check_bernoulli_score",
           "check_leave_one_out_baseline"]

_CLOSE = {"rtol": 1e-8, "atol": 1e-10}


def check_mixture_log_marginal(answer, log_weights, component_log_densities) -> ExerciseResult:
    """Exercise: log p(x_i) = logsumexp_j [log π_j + log p(x_i | z=j)], one value per point (shape (N,)).

    ``log_weights`` has shape (J,) and ``component_log_densities`` shape (N, J).
    """
    name = "mixture_log_marginal"
    log_w = np.asarray(log_weights, dtype=np.float64)
    comp = np.asarray(component_log_densities, dtype=np.float64)
    expected = logsumexp(log_w + comp, axis=1)
    slips = [
        (log_w + comp, f"that has shape {comp.shape}, one value per point AND component: "
                       "sum over the J components (logsumexp along axis 1)."),
        (np.max(log_w + comp, axis=1),
         "that is only the largest term (a hard assignment to one component): the marginal sums all J terms, "
         "use logsumexp."),
        (np.sum(log_w + comp, axis=1),
         "adding the log-terms multiplies the densities: the mixture adds them, log Σ_j exp(·) = logsumexp."),
        (logsumexp(comp, axis=1), "the mixing weights are missing: add log π_j to each component's term."),
        (logsumexp(comp, axis=1) - np.log(comp.shape[1]),
         "that assumes equal weights 1/J: use the given log π_j."),
        (logsumexp(np.exp(log_w) + comp, axis=1),
         "π_j was added to a log-density: add its logarithm, log π_j, instead."),
    ]
    return compare(name, answer, expected, what="log p(x) for each point", slips=slips, **_CLOSE)


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
    wrong_base = ("each latent doubles the number of states: the logarithm is base 2 (math.log2), not base 10 "
                  "or e.")
    slips = [
        (lambda ans: ans.size == 1 and (np.isclose(ans.item(), states, rtol=1e-6) or ans.item() > 200),
         "that is the number of states, not of latents: D is the exponent, take log2 of the number of states."),
        *[(value, wrong_base) for log in (math.log10, math.log)
          for value in (math.floor(log(states)), math.ceil(log(states)), log(states))],
        (math.log2(states), f"2^{math.log2(states):.4g} states fill the budget exactly, but D counts latents: "
                            "round log2 down (math.floor) to the largest whole D that fits."),
        (expected + 1, f"2^{expected + 1} states do not fit in the budget: round log2 down (math.floor) to the "
                       "largest whole D that fits."),
        (expected - 1, f"2^{expected} states still fit in the budget: D can be 1 larger."),
        (lambda ans: ans.shape == () and bool(np.isfinite(ans)),
         "that D is off: solve 2^D <= states_per_second * seconds for the largest integer D."),
    ]
    result = compare(name, answer, expected, what="D, an integer", slips=slips, rtol=0.0, atol=1e-9)
    if result.passed:
        return ExerciseResult(name, True, f"D = {expected}: 2^{expected} = {2.0**expected:.3g} states fit "
                                          f"in the budget of {states:.3g} states, 2^{expected + 1} do not.")
    return result


def check_bernoulli_score(answer, z, logits) -> ExerciseResult:
    """Exercise: the score ∇_φ log q_φ(z) = z − sigm(φ) of a factorised Bernoulli, elementwise (shape of z)."""
    name = "bernoulli_score"
    z = np.asarray(z, dtype=np.float64)
    phi = np.asarray(logits, dtype=np.float64)
    p = expit(phi)
    expected = np.broadcast_to(z - p, np.broadcast_shapes(z.shape, phi.shape))
    slips = [
        (p * (1.0 - p),
         "sigm(φ)(1 − sigm(φ)) is the derivative of the probability sigm(φ) and does not depend on z: "
         "differentiate log q = z log sigm(φ) + (1 − z) log sigm(−φ) instead."),
        (z - phi, "use the probability sigm(φ), not the logit φ itself: the score is z − sigm(φ)."),
        (z / p - (1.0 - z) / (1.0 - p),
         "that is the derivative with respect to the probability p = sigm(φ); the chain rule multiplies it "
         "by dp/dφ = sigm(φ)(1 − sigm(φ))."),
        (z * (1.0 - p),
         "only the z = 1 half is there: add the derivative of (1 − z) log sigm(−φ), which is −(1 − z) sigm(φ)."),
    ]
    slips = [(np.broadcast_to(value, expected.shape), hint) for value, hint in slips]
    return compare(name, answer, expected, what="the score z − sigm(φ)", slips=slips, **_CLOSE)


def check_leave_one_out_baseline(answer, f_values) -> ExerciseResult:
    r"""Exercise: leave-one-out baselines b_{rm} = (sum_{m' != m} f_{rm'}) / (M - 1) for f of shape (R, M).

    Each row holds the M samples of one estimate; the baseline of sample m must not use f(z_m) itself.
    """
    name = "leave_one_out_baseline"
    f = np.asarray(f_values, dtype=np.float64)
    if f.ndim != 2 or f.shape[1] < 2:
        raise ValueError(f"f_values must have shape (R, M) with M >= 2 samples per row, got {f.shape}")
    m = f.shape[1]
    row_sum = f.sum(axis=1, keepdims=True)
    expected = (row_sum - f) / (m - 1)
    row_mean_hint = ("one baseline per row is the plain row mean, which includes f(z_m) itself: each sample "
                     "needs its own baseline, the mean of the OTHER M - 1 samples, so the answer has the shape of "
                     "f_values.")
    slips = [
        (row_sum[:, 0] / m, row_mean_hint),
        (row_sum / m, row_mean_hint),
        (np.broadcast_to(row_sum / m, f.shape),
         "that is the mean of all M samples, f(z_m) included: then the baseline depends on z_m and the "
         "estimator shrinks by the factor (M - 1)/M, a bias. Leave sample m out: (row sum - f_m) / (M - 1)."),
        ((row_sum - f) / m, "right samples, wrong count: the other samples number M - 1, so divide by M - 1, "
                            "not M."),
        (row_sum - f, "that is the sum of the other samples: divide by their number, M - 1, to get a mean."),
        (np.broadcast_to((f.sum(axis=0, keepdims=True) - f) / (f.shape[0] - 1), f.shape)
         if f.shape[0] > 1 else None,
         "that leaves out along the wrong axis: the M samples of one estimate are a row (axis 1), not a "
         "column."),
        (f - (row_sum - f) / (m - 1), "that is f minus the baseline, the centred value: return the baseline "
                                      "itself."),
    ]
    return compare(name, answer, expected, what="the answer (the leave-one-out baselines, shape (R, M))", slips=slips,
                   **_CLOSE)
