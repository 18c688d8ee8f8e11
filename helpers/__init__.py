"""Helpers for the course *Variational inference for latent variable models*.

Modules by topic, in the order the notebooks use them:

- ``logspace``: log 2 pi and a stable log-mean-exp, shared by every module.
- ``gaussian``: Gaussian log-densities and KL divergences in closed form (Cholesky factors, no inverses).
- ``linear_gaussian``: the linear-Gaussian latent model, with exact marginal and posterior (01 onwards).
- ``nonlinear``: a small fixed nonlinear decoder whose marginal has no closed form (01).
- ``quadrature``: grid integration of log-densities over a low-dimensional latent (01, 04, 05).
- ``monte_carlo``: log-space Monte Carlo estimators of log p(x), importance sampling, effective sample size (02).
- ``gradients``: Fisher identity, score-function and reparameterisation gradient estimators (03).
- ``elbo``: the ELBO in closed form and by Monte Carlo, the IWAE bound, fitted Gaussian q, PPCA (04).
- ``nonconjugate``: a 1-D latent model whose posterior no Gaussian matches (04).
- ``widgets``: the interactive explorers, a package: naive Monte Carlo (02) and the ELBO gap (04).
- ``data``: binarised 8x8 digits offline, binarised MNIST on request (05).
- ``vae``: a variational autoencoder, its training loop, ELBO, IWAE and exact log p(x) by quadrature (05).
- ``mixtures``: mixtures of Bernoullis fitted by EM, an exactly computable baseline (05).
- ``discrete``: discrete latents, exact enumeration and its cost, score-function and Gumbel-softmax gradients (06).
- ``flows``: the change-of-variables formula and planar flow layers (07).
- ``vae_variants``: VAEs with a full-covariance or flow q, the IWAE objective, a KL weight and warm-up (07, 08).
- ``semi_amortised``: refining the encoder's q per image by gradient steps (07, 08).
- ``categorical_vae``: a VAE with categorical latents, exact log p(x) and ELBO by enumeration (08).
- ``plotting``: one figure style for the whole course.
- ``exercises``: checkers for the "try it" exercises.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
