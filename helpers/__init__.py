"""Helpers for the course *Variational inference for latent variable models*.

Modules by topic:

- ``linear_gaussian``: the linear-Gaussian latent model, with exact marginal and posterior.
- ``nonlinear``: a small fixed nonlinear decoder whose marginal has no closed form.
- ``quadrature``: grid integration of log-densities over a low-dimensional latent.
- ``monte_carlo``: log-space Monte Carlo estimators of log p(x).
- ``plotting``: one figure style for the whole course.
- ``exercises``: checkers for the "try it" exercises.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
