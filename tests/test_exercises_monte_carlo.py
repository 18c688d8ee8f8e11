"""Notebook 02's new checker: log(1 + chi^2) between two 1-D Gaussians; the right answer passes, each slip is named."""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import norm

from helpers.exercises import check_chi_square_1d
from helpers.linear_gaussian import LinearGaussian
from helpers.monte_carlo import log_chi_square_plus_one

MU, S = 0.8, 0.3


def _quadrature(mu, s):
    """log of the integral of N(z; mu, s^2)^2 / N(z; 0, 1), by adaptive quadrature (independent of the checker)."""
    value, _ = quad(lambda z: norm.pdf(z, mu, s) ** 2 / norm.pdf(z), mu - 12 * s, mu + 12 * s, points=[mu])
    return np.log(value)


def test_the_right_answer_passes_and_matches_quadrature_and_the_model():
    right = _quadrature(MU, S)
    assert check_chi_square_1d(right, MU, S).passed
    # The same number from the course's closed form for a linear-Gaussian model whose posterior is N(MU, S^2):
    # with p(z) = N(0, 1) and p(x|z) = N(a z, v), the posterior variance is v / (v + a^2), its mean a x / (v + a^2).
    a, v = 1.0, S**2 / (1 - S**2)
    x = MU * (v + a**2) / a
    model = LinearGaussian(np.array([[a]]), np.zeros(1), np.array([[v]]))
    mean, cov = model.posterior(np.array([x]))
    assert mean[0] == pytest.approx(MU) and cov[0, 0] == pytest.approx(S**2)
    assert log_chi_square_plus_one(model, np.array([x])) == pytest.approx(right, rel=1e-8)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda e, kl: kl, "that is KL"),
        (lambda e, kl: np.exp(e), "1 + chi^2 itself"),
        (lambda e, kl: np.expm1(e), "chi^2 itself"),
        (lambda e, kl: MU**2 / (2 - S**2), "factor 1 / (s sqrt(2 - s^2))"),
        (lambda e, kl: -np.log(S) - 0.5 * np.log(2 - S**2), "exponent mu^2 / (2 - s^2) is missing"),
        (lambda e, kl: MU**2 / S**2 - np.log(S) - 0.5 * np.log(2 - S**2), "coefficient of z^2"),
        (lambda e, kl: MU**2 / (2 - S**2) + np.log(S) - 0.5 * np.log(2 - S**2), "sign of log s"),
        (lambda e, kl: MU**2 / (2 - S**2) - 2 * np.log(S) - 0.5 * np.log(2 - S**2), "cancels one 1/s"),
        (lambda e, kl: e + 0.3, "off by up to 0.3"),
    ],
)
def test_each_slip_gets_its_hint(wrong, hint):
    expected = _quadrature(MU, S)
    kl = 0.5 * (S**2 + MU**2 - 1 - np.log(S**2))
    result = check_chi_square_1d(wrong(expected, kl), MU, S)
    assert not result.passed
    assert hint in result.message


def test_untouched_and_bad_input():
    assert "not attempted yet" in check_chi_square_1d(..., MU, S).message
    with pytest.raises(ValueError, match="post_std"):
        check_chi_square_1d(1.0, MU, 0.0)
    with pytest.raises(ValueError, match="post_std"):
        check_chi_square_1d(1.0, MU, 1.5)
