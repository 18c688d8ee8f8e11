"""Checkers for notebook 02 (naive Monte Carlo estimates of log p(x))."""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from helpers.exercises._feedback import ExerciseResult, compare

__all__ = ["check_log_estimate", "check_effective_sample_size", "check_posterior_prior_kl", "check_chi_square_1d"]


def check_log_estimate(answer, log_lik) -> ExerciseResult:
    r"""Exercise: log p_hat(x) = log (1/M) sum_m exp(log_lik_m), computed without underflow.

    ``log_lik`` holds log p(x|z_m) for M prior samples; the reference is SciPy's logsumexp minus log M.
    """
    log_lik = np.asarray(log_lik, dtype=np.float64)
    n = log_lik.shape[-1]
    expected = logsumexp(log_lik, axis=-1) - np.log(n)
    slips = [
        (lambda ans: ans.shape == expected.shape and not np.all(np.isfinite(ans)),
         "got -inf or NaN: exp(log_lik) underflows to 0 for values like -1000. Subtract the maximum "
         "before exponentiating and add it back after the log."),
        (np.mean(log_lik, axis=-1), "that is the mean of the logs, E[log p(x|z)], which Jensen's inequality puts "
                                    "below log E[p(x|z)]: average the likelihoods first, then take the log."),
        (expected + np.log(n), "that is the log of the sum: divide by M, i.e. subtract log M."),
        (np.max(log_lik, axis=-1), "that is only the largest term (the shift): add log of the mean of "
                                   "exp(log_lik - max)."),
    ]
    return compare("log_estimate", answer, expected, what="log p̂(x)", slips=slips)


def check_effective_sample_size(answer, log_w) -> ExerciseResult:
    r"""Exercise: Kish's ESS = (sum_m w_m)^2 / sum_m w_m^2 for weights w_m = exp(log_w_m) (one set, 1-D)."""
    log_w = np.asarray(log_w, dtype=np.float64)
    if log_w.ndim != 1:
        raise ValueError(f"log_w must be 1-D, got shape {log_w.shape}")
    w = np.exp(log_w - np.max(log_w))
    expected = np.sum(w) ** 2 / np.sum(w**2)
    n = log_w.shape[0]
    slips = [
        (n, "M is the ESS of equal weights only: use the weights exp(log_w)."),
        (expected / n, "that is the fraction ESS / M: multiply by M."),
        (1.0 / expected, "that is upside down: (sum w)^2 goes on top, sum w^2 below."),
    ]
    return compare("effective_sample_size", answer, expected, what="the effective sample size", slips=slips)


def check_posterior_prior_kl(answer, post_mean, post_cov) -> ExerciseResult:
    r"""Exercise: KL(N(mu, S) || N(0, I_k)) = 1/2 (tr S + mu^T mu - k - log det S), in nats."""
    mu = np.asarray(post_mean, dtype=np.float64)
    S = np.asarray(post_cov, dtype=np.float64)
    k = mu.shape[0]
    _, log_det = np.linalg.slogdet(S)
    expected = 0.5 * (np.trace(S) + mu @ mu - k - log_det)
    mean_hint = "check the mean term: it is + mu^T mu inside the 1/2 (...)."
    slips = [
        (expected + 0.5 * k, "the -k inside the bracket is missing (it makes KL(p || p) = 0)."),
        (expected + log_det, "the log-determinant has the wrong sign: it is -log det S."),
        (expected + 0.5 * mu @ mu, mean_hint),
        (expected - 0.5 * mu @ mu, mean_hint),
    ]
    return compare("posterior_prior_kl", answer, expected, what="KL(p(z|x) ‖ p(z))", slips=slips)


def check_chi_square_1d(answer, post_mean, post_std) -> ExerciseResult:
    r"""Exercise: log(1 + chi^2(N(mu, s^2) || N(0, 1))) in closed form, with s a standard deviation (s^2 < 2).

    1 + chi^2 = integral N(z; mu, s^2)^2 / N(z; 0, 1) dz = exp(mu^2 / (2 - s^2)) / (s sqrt(2 - s^2)), finite only
    when s^2 < 2.  The slips are the steps of that derivation done wrong, and the KL in place of the chi^2.
    """
    mu, s = float(post_mean), float(post_std)
    if not s > 0:
        raise ValueError(f"post_std must be a positive standard deviation, got {post_std!r}")
    if not s**2 < 2:
        raise ValueError(f"post_std**2 must be below 2 for a finite chi^2, got {post_std!r}")
    exponent, log_norm = mu**2 / (2 - s**2), -np.log(s) - 0.5 * np.log(2 - s**2)
    expected = exponent + log_norm
    kl = 0.5 * (s**2 + mu**2 - 1 - np.log(s**2))
    slips = [
        (kl, "that is KL(N(mu, s^2) || N(0, 1)), the exponent of the KL rule; the chi^2 rule needs "
             "log E_{p(z)}[w^2] = log of the integral of N(z; mu, s^2)^2 / N(z; 0, 1)."),
        (np.exp(expected), "that is 1 + chi^2 itself: the exercise asks for its log (it overflows easily)."),
        (np.expm1(expected), "that is chi^2 itself: the exercise asks for log(1 + chi^2)."),
        (exponent, "the exponent mu^2 / (2 - s^2) is right, but the factor 1 / (s sqrt(2 - s^2)) in front of "
                   "the exponential is missing: keep the normalising constants of both densities."),
        (log_norm, "the normalising factor is right, but the exponent mu^2 / (2 - s^2) is missing: complete the "
                   "square in z, then the leftover constant term is not zero unless mu = 0."),
        (mu**2 / s**2 + log_norm, "the exponent should be mu^2 / (2 - s^2): dividing by N(z; 0, 1) adds +z^2/2 "
                                  "to the exponent, which changes the coefficient of z^2 from 1/s^2 to 2/s^2 - 1."),
        (exponent + np.log(s) - 0.5 * np.log(2 - s**2), "the sign of log s is flipped: the factor is 1 / s, "
                                                        "so the term is -log s."),
        (exponent - 2 * np.log(s) - 0.5 * np.log(2 - s**2), "the factor in front is 1 / (s sqrt(2 - s^2)), not "
                                                            "1 / (s^2 sqrt(2 - s^2)): a sqrt(2 pi / a) from the "
                                                            "Gaussian integral cancels one 1/s."),
    ]
    return compare("chi_square_1d", answer, expected, what="log(1 + χ²)", slips=slips)
