"""The new checkers of notebooks 04 and 06: the right answer passes, each usual slip gets its own hint."""

import numpy as np
import pytest
from scipy.optimize import minimize

from helpers.elbo import gaussian_kl
from helpers.exercises import check_leave_one_out_baseline, check_mean_field_variance

POST_COV = np.array([[0.50, -0.30], [-0.30, 0.40]])  # a correlated posterior covariance


def test_mean_field_variance_matches_a_numerical_search():
    # Independent of the closed form: minimise KL(N(0, diag v) || N(0, S)) over log v numerically.
    res = minimize(lambda lv: gaussian_kl(np.zeros(2), np.diag(np.exp(lv)), np.zeros(2), POST_COV),
                   np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14})
    right = 1 / np.diag(np.linalg.inv(POST_COV))
    assert np.allclose(np.exp(res.x), right, rtol=1e-6)
    assert check_mean_field_variance(right, POST_COV).passed


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (np.diag(POST_COV), "mass-covering"),
        (np.diag(np.linalg.inv(POST_COV)), "one over them"),
        (1 / np.diag(POST_COV), "invert the matrix first"),
        (np.sqrt(1 / np.diag(np.linalg.inv(POST_COV))), "standard deviations"),
        (np.linalg.eigvalsh(POST_COV), "eigenvalues"),
        (..., "not attempted yet"),
        (np.ones(3), "shape"),
    ],
)
def test_mean_field_variance_slips(answer, hint):
    result = check_mean_field_variance(answer, POST_COV)
    assert not result.passed and hint in result.message, result


def test_mean_field_variance_rejects_bad_input():
    with pytest.raises(ValueError, match="post_cov"):
        check_mean_field_variance(np.ones(2), np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="post_cov"):
        check_mean_field_variance(np.ones(2), np.ones(3))


F = np.random.default_rng(0).normal(-20.0, 3.0, size=(4, 5))  # R = 4 estimates of M = 5 samples


def test_leave_one_out_baseline_matches_a_loop():
    # Independent of the vectorised formula: leave each sample out explicitly.
    loop = np.array([[np.delete(row, m).mean() for m in range(row.size)] for row in F])
    assert check_leave_one_out_baseline(loop, F).passed


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (np.broadcast_to(F.mean(1, keepdims=True), F.shape), "(M - 1)/M"),
        (F.mean(1), "each sample needs its own baseline"),
        ((F.sum(1, keepdims=True) - F) / 5, "divide by M - 1"),
        (F.sum(1, keepdims=True) - F, "sum of the other samples"),
        ((F.sum(0, keepdims=True) - F) / 3, "wrong axis"),
        (F - (F.sum(1, keepdims=True) - F) / 4, "centred value"),
        (..., "not attempted yet"),
        (((F.sum(1, keepdims=True) - F) / 4).T, "transposed"),
    ],
)
def test_leave_one_out_baseline_slips(answer, hint):
    result = check_leave_one_out_baseline(answer, F)
    assert not result.passed and hint in result.message, result


def test_leave_one_out_baseline_rejects_bad_input():
    with pytest.raises(ValueError, match="f_values"):
        check_leave_one_out_baseline(np.zeros((3, 1)), np.zeros((3, 1)))
