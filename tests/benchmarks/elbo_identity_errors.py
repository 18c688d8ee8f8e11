"""The largest error of the ELBO identities over many random linear-Gaussian problems.

Runs the three checks of ``tests/test_elbo.py::test_elbo_both_decompositions_against_independent_computations``
(the same scenarios and independent references: sigma points + SciPy entropy, torch.distributions KL, SciPy
log-density with a hand-made posterior) on 2,000 seeded problems with k in 1..3, d in k..4, and prints the
largest absolute error of each identity and where it occurred.
Usage:  .venv/bin/python tests/benchmarks/elbo_identity_errors.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_elbo import scenario, sigma_point_expectation, torch_kl  # noqa: E402

from helpers.elbo import elbo_exact, expected_log_likelihood, kl_to_prior  # noqa: E402

N_PROBLEMS = 2_000


def errors(seed: int) -> tuple[float, float, float]:
    """|ELBO - definition|, |ELBO - (E_q log p(x|z) - KL(q||p(z)))|, |log p(x) - ELBO - KL(q||p(z|x))|."""
    model, x, q_mean, q_cov = scenario(seed)
    k = model.latent_dim
    elbo = elbo_exact(model, x, q_mean, q_cov)
    definition = (sigma_point_expectation(lambda z: model.log_joint(x, z), q_mean, q_cov)
                  + stats.multivariate_normal(q_mean, q_cov).entropy())
    ell = sigma_point_expectation(lambda z: model.log_likelihood(x, z), q_mean, q_cov)
    kl_prior = float(torch_kl(q_mean, q_cov, np.zeros(k), np.eye(k)))
    log_px = stats.multivariate_normal(model.b, model.A @ model.A.T + model.Sigma).logpdf(x)
    precision = np.eye(k) + model.A.T @ np.linalg.solve(model.Sigma, model.A)
    post_cov = np.linalg.inv(precision)
    post_mean = post_cov @ model.A.T @ np.linalg.solve(model.Sigma, x - model.b)
    kl_post = float(torch_kl(q_mean, q_cov, post_mean, 0.5 * (post_cov + post_cov.T)))
    assert abs(expected_log_likelihood(model, x, q_mean, q_cov) - ell) < 1e-6
    assert abs(kl_to_prior(q_mean, q_cov) - kl_prior) < 1e-6
    return abs(elbo - definition), abs(elbo - (ell - kl_prior)), abs(log_px - elbo - kl_post)


def main() -> None:
    table = np.array([errors(seed) for seed in range(N_PROBLEMS)])
    names = ("ELBO = E_q[log p(x,z)] + H(q)", "ELBO = E_q[log p(x|z)] - KL(q || p(z))",
             "log p(x) - ELBO = KL(q || p(z|x))")
    for name, column in zip(names, table.T, strict=True):
        print(f"{name:42s} largest |error| {column.max():.2e} (seed {column.argmax()}), median {np.median(column):.1e}")
    print(f"largest identity error over {N_PROBLEMS} problems: {table.max():.2e} nats")


if __name__ == "__main__":
    main()
