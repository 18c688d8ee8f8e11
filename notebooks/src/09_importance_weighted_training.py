# %% [markdown]
# # 09 · Training with the IWAE bound
#
# Notebook 07 changed $q$ and kept the objective. Here we change the objective: train with the IWAE bound
# $\mathcal L_K$ instead of the ELBO and ask what that does to the decoder's exact $\log p_\theta(x)$ and to the
# encoder. The latent is 2-D, so every answer is checked against quadrature: the exact $\log p_\theta(x)$ of each
# decoder and the encoder's KL to the exact posterior, in both directions.
#
# **Prerequisites:** [04 · Jensen and the ELBO](04_jensen_and_the_elbo.ipynb) (the IWAE bound and why it rises
# with $K$) and [07 · Closing the gap](07_closing_the_gap.ipynb) (the two gaps, `refine_q`, the variant VAEs).
# **Run time:** about 45 s on a 2-core laptop CPU, every training included (no pretrained weights).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **In this notebook you will**
# - continue training one VAE three ways, with the ELBO, with $\mathcal L_5$ and with $\mathcal L_{50}$, and compare
#   each decoder's exact $\log p_\theta(x)$, its ELBO and its IWAE bounds;
# - measure what IWAE training does to the encoder: its KL to the posterior in both directions, by quadrature, and
#   the effective sample size of its importance weights: the encoder becomes a proposal;
# - compute $\mathcal L_{50}$ and the effective sample size from raw log weights yourself;
# - close with one table of the three models against their exact $\log p_\theta(x)$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Notation (the table of notebook 00): $p(z) = \mathcal N(0, I_k)$ with $k = 2$; $K$ is the IWAE sample count and
# $m$ indexes its draws; $M$ counts Monte Carlo draws. All numbers are nats per test image.

# %% [markdown] slideshow={"slide_type": "notes"}
# Ask first: if IWAE is a tighter bound, why not always train with it? Collect guesses (cost, variance, the
# encoder); the first section measures each.

# %% slideshow={"slide_type": "subslide"}
import copy

import numpy as np
import torch
from scipy.special import logsumexp

from helpers.data import load_digits_binarized
from helpers.exercises import check_effective_sample_size, check_iwae_bound
from helpers.semi_amortised import refine_q
from helpers.vae import iwae_curve
from helpers.vae_variants import (
    VariantVAE,
    closing_table,
    elbo_of,
    grid_kl_both_ways,
    log_weights,
    train_variant,
)

torch.manual_seed(0)
# Two threads for the large evaluations (IWAE, quadrature). Training picks its own count by the work per step
# (helpers.vae_variants.variant_training_threads): one for the ELBO and K = 5 steps, both for the K = 50 steps.
torch.set_num_threads(2)
x_train, x_test, y_train, y_test = load_digits_binarized()
print(f"train {x_train.shape}, test {x_test.shape}")

# %% [markdown]
# ## 1 · Training with the IWAE bound
#
# $\mathcal L_K(x) = \mathbb E\big[\log \frac1K \sum_{m=1}^K p_\theta(x, z_m)/q_\phi(z_m \mid x)\big]$,
# $z_m \sim q_\phi$, is a lower bound on $\log p_\theta(x)$ that rises with $K$ (notebook 04), and $\mathcal L_1$ is
# the ELBO. Its gradient weights each draw by its normalised importance weight, so the decoder learns from
# draws in proportion to how plausible they are under the posterior, and $q_\phi$ no longer needs to *be* the
# posterior, only to propose draws that cover it.
#
# One VAE with a diagonal Gaussian $q$ is trained for 100 epochs on the ELBO (07's recipe: the same model as 07's
# diagonal one), then three copies are trained for 20 more epochs each, with the ELBO, $\mathcal L_5$ and
# $\mathcal L_{50}$, the step size decaying from $10^{-3}$ to $10^{-4}$. Same start, same extra epochs, only the
# objective differs. $\mathcal L_{50}$ costs about 50 decoder passes per image per step instead of one.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "subslide"}
torch.manual_seed(0)
base = VariantVAE(64, 2, (256, 128), family="diagonal")
base_history = train_variant(base, x_train, epochs=100, batch_size=64, lr=3e-3, lr_final=3e-4, seed=0)
OBJECTIVES = {"ELBO": ("elbo", 1), "IWAE, K = 5": ("iwae", 5), "IWAE, K = 50": ("iwae", 50)}
iw_models, iw_seconds = {}, {}
for name, (objective, k) in OBJECTIVES.items():
    iw_models[name] = copy.deepcopy(base)
    h = train_variant(iw_models[name], x_train, objective=objective, k=k, epochs=20, batch_size=64, lr=1e-3,
                      lr_final=1e-4, seed=1)
    iw_seconds[name] = base_history.seconds + h.seconds
    print(f"{name:13s}: 100 + 20 epochs in {iw_seconds[name]:.1f} s (the last 20 in {h.seconds:.1f} s)")

# %% [markdown]
# For each model: the ELBO of its encoder ($M = 1{,}000$), $\mathcal L_5$ and $\mathcal L_{50}$ (from the same
# 5,000 draws cut into groups, `iwae_curve`), IWAE-5000 and the exact $\log p_\theta(x)$ by quadrature on a
# $300 \times 300$ grid. And what happened to the encoder, as a posterior fit and as a proposal: the exclusive
# $\mathrm{KL}(q_\phi \,\|\, p_\theta(z \mid x))$, which is the ELBO's gap, and the inclusive
# $\mathrm{KL}(p_\theta(z \mid x) \,\|\, q_\phi)$, small when $q_\phi$ covers the posterior, both by quadrature on
# the same grid (`grid_kl_both_ways`, one pass over the grid for all three numbers); and the effective sample size
# of 5,000 importance weights, as a fraction of 5,000.

# %% slideshow={"slide_type": "subslide"}
iw = {}
for name, model in iw_models.items():
    lw = log_weights(model, x_test, 5000, seed=0)
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    bounds = iwae_curve(lw, [5, 50])
    with torch.no_grad():
        mean, logvar = (t.numpy() for t in model.encode(torch.as_tensor(x_test)))
    exclusive, inclusive, exact = grid_kl_both_ways(model, x_test, mean, logvar, grid=300, return_log_marginal=True)
    iw[name] = {"elbo": lw[:, :1000].mean(axis=1), "iwae5": bounds[0], "iwae50": bounds[1],
                "iwae": logsumexp(lw, axis=1) - np.log(5000),
                "iwae_se": np.sqrt(np.sum((w.std(axis=1) / (w.mean(axis=1) * np.sqrt(5000))) ** 2)) / len(x_test),
                "exact": exact, "exclusive": exclusive, "inclusive": inclusive,
                "ess": (w.sum(axis=1) ** 2 / (w**2).sum(axis=1) / 5000)}
print(f"{'trained with':13s} {'ELBO':>8s} {'L_5':>8s} {'L_50':>8s} {'IWAE-5000':>9s} {'exact':>8s} "
      f"{'KL(q‖p)':>8s} {'KL(p‖q)':>8s} {'ESS':>6s}")
for name, r in iw.items():
    print(f"{name:13s} {r['elbo'].mean():8.3f} {r['iwae5'].mean():8.3f} {r['iwae50'].mean():8.3f} "
          f"{r['iwae'].mean():9.3f} {r['exact'].mean():8.3f} {r['exclusive'].mean():8.3f} "
          f"{r['inclusive'].mean():8.3f} {r['ess'].mean():6.1%}")
for name, r in iw.items():
    # ELBO <= L_5 <= L_50 <= IWAE-5000 <= exact, and log p(x) - ELBO = KL(q || p(z|x)): Monte Carlo against quadrature.
    assert r["elbo"].mean() < r["iwae5"].mean() < r["iwae50"].mean() < r["iwae"].mean()
    assert r["iwae"].mean() < r["exact"].mean() + 3 * r["iwae_se"]
    assert abs((r["exact"] - r["elbo"]).mean() - r["exclusive"].mean()) < 0.02, name
e, i5, i50 = iw["ELBO"], iw["IWAE, K = 5"], iw["IWAE, K = 50"]
# The decoder: the exact log p(x) rises with K. The encoder: its ELBO falls and its exclusive KL rises with K.
assert e["exact"].mean() < i5["exact"].mean() < i50["exact"].mean()
assert e["elbo"].mean() > i5["elbo"].mean() > i50["elbo"].mean()
assert e["exclusive"].mean() < i5["exclusive"].mean() < i50["exclusive"].mean()
# As a proposal: both IWAE encoders cover the posterior better (smaller inclusive KL) than the ELBO's, the K = 5
# one best; the effective sample size rises for K = 5 and falls for K = 50.
assert i5["inclusive"].mean() < i50["inclusive"].mean() < e["inclusive"].mean()
assert i5["ess"].mean() > e["ess"].mean() > i50["ess"].mean()
# Each model is best on the bound it was trained on.
assert max(iw, key=lambda n: iw[n]["iwae5"].mean()) == "IWAE, K = 5"
assert max(iw, key=lambda n: iw[n]["iwae50"].mean()) == "IWAE, K = 50"

# %% [markdown]
# Read the table by column. Every model keeps ELBO < $\mathcal L_5$ < $\mathcal L_{50}$ < IWAE-5000 ≤ exact, and
# each is best on the bound it was trained on. **The decoder gained:** the exact $\log p_\theta(x)$ rose with $K$,
# so the tighter objective bought a better model, not only a tighter number. **The encoder changed role:** its
# ELBO fell and its exclusive KL to the posterior rose with $K$, so as a posterior approximation it got worse;
# as a proposal, both IWAE encoders cover the posterior better than the ELBO's (smaller inclusive KL), the
# $K = 5$ one best. The $K = 50$ encoder is worse than the $K = 5$ one in both directions and its effective
# sample size fell below the ELBO encoder's: with more samples the weighted gradient tells the encoder less, the
# effect Rainforth et al. (2018) measured as a falling signal-to-noise ratio of the encoder's gradient.

# %% [markdown] slideshow={"slide_type": "notes"}
# The two KL columns are the heart of it: same family, same start, opposite directions. Ask which $q$ you would
# use to *report* a likelihood (IWAE's) and which to *describe* the posterior (the ELBO's).

# %% [markdown]
# ### Try it 1: the bound the model was trained on
#
# `log_w_try` holds the log weights $\log p_\theta(x, z_m) - \log q_\phi(z_m \mid x)$ of the $\mathcal L_{50}$-trained
# model for the first five test images, $K = 50$ draws each, shape (5, 50). Compute $\mathcal L_{50}$ for each
# image in log space.

# %% nbgrader={"grade": false, "grade_id": "iwae_bound_trained", "locked": false, "schema_version": 3, "solution": true, "task": false}
log_w_try = log_weights(iw_models["IWAE, K = 50"], x_test[:5], 50, seed=5)
answer_iwae_bound_trained = ...  # your code: one bound per image, shape (5,)
### BEGIN SOLUTION
answer_iwae_bound_trained = logsumexp(log_w_try, axis=1) - np.log(50)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "iwae_bound_trained_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_iwae_bound(answer_iwae_bound_trained, log_w_try)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown]
# ### Try it 2: the effective sample size of a proposal
#
# The ESS column of the table is Kish's effective sample size, $(\sum_m w_m)^2 / \sum_m w_m^2$ with
# $w_m = p_\theta(x, z_m)/q_\phi(z_m \mid x)$, as a fraction of the number of draws. `log_w_ess` holds the 50 log
# weights of the first test image under the $\mathcal L_{50}$-trained encoder (the first row of `log_w_try`).
# Compute the ESS itself (a number between 1 and 50), without overflow: the weights are only known up to a common
# factor, and the ESS does not depend on it.

# %% nbgrader={"grade": false, "grade_id": "proposal_ess", "locked": false, "schema_version": 3, "solution": true, "task": false}
log_w_ess = log_w_try[0]
answer_proposal_ess = ...  # your code: one number
### BEGIN SOLUTION
w_ess = np.exp(log_w_ess - log_w_ess.max())
answer_proposal_ess = w_ess.sum() ** 2 / np.sum(w_ess**2)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "proposal_ess_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_effective_sample_size(answer_proposal_ess, log_w_ess)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown]
# ## 2 · The closing table
#
# The three models on the same 360 test images, nats per image; exact $\log p_\theta(x)$ by quadrature. Training
# time is the wall-clock time of this run, the 100 shared epochs included. Approximation gap
# $= \log p_\theta(x) - \text{ELBO}(q^*)$, amortisation gap $= \text{ELBO}(q^*) - \text{ELBO}(q_\phi)$, with $q^*$ the
# best diagonal Gaussian for each image (`refine_q`, 30 steps: in notebook 07 30 steps left 3% of the diagonal
# model's amortisation gap). The IWAE-trained encoders start further from $q^*$, so for them 30 steps stop short:
# their approximation column is an upper bound and their amortisation column a lower bound on the split a fully
# converged $q^*$ would give.

# %% slideshow={"slide_type": "subslide"}
rows = []
for name, model in iw_models.items():
    r = iw[name]
    best = refine_q(model, x_test, steps=30, lr=0.05, n_samples=4, seed=0)[30]
    elbo_best = elbo_of(model, x_test, 1000, seed=1, params=best)
    rows.append((f"Gaussian z, trained on {name}", iw_seconds[name], r["elbo"].mean(), r["iwae"].mean(),
                 r["exact"].mean(), (r["exact"] - elbo_best).mean(), (elbo_best - r["elbo"]).mean()))
print(closing_table(rows))
for name, _, elbo_v, iwae_v, exact_v, approx, amort in rows:
    assert elbo_v < iwae_v < exact_v + 0.01, name  # the ordering in every row
    assert approx > 0 and amort > -0.01, name
# The amortisation column grows with K: the encoder is further from the best q of its family.
assert rows[0][6] < rows[1][6] < rows[2][6]

# %% [markdown]
# Every row keeps ELBO < IWAE-5000 ≤ exact. The amortisation column grows with $K$: trained as a proposal, the
# encoder sits ever further from the best Gaussian for each image, even as the decoder behind it improves.

# %% [markdown] slideshow={"slide_type": "notes"}
# Point at the last column: the IWAE-trained encoder is a worse amortised posterior and a better proposal at the
# same time. Ask what a semi-amortised method (07) would do for the $K = 50$ model's ELBO.

# %% [markdown]
# ## Summary
#
# - Training with $\mathcal L_5$ or $\mathcal L_{50}$ instead of the ELBO, from the same start, raised the decoder's
#   exact $\log p_\theta(x)$, and lowered the encoder's ELBO: its exclusive KL to the posterior grew with $K$, while
#   its inclusive KL (its quality as a proposal) fell, most for $K = 5$. Every model kept
#   ELBO < $\mathcal L_5$ < $\mathcal L_{50}$ < IWAE-5000 ≤ exact $\log p_\theta(x)$.
# - The encoder became a proposal: its amortisation gap grew with $K$, and the $K = 50$ encoder's importance
#   weights had the smallest effective sample size of the three.

# %% [markdown] slideshow={"slide_type": "notes"}
# The take-away in one line: a tighter bound trains a better decoder and a different encoder. Next, a latent that
# needs no bound at all to be scored: a categorical code small enough to enumerate.

# %% [markdown] slideshow={"slide_type": "subslide"}
# [Next: 10 · A categorical latent you can enumerate](10_categorical_latents.ipynb): Gumbel-softmax and the score
# function judged by the exact ELBO and the exact $\log p_\theta(x)$.
#
# Back to the map: [00 · Start here](00_start_here.ipynb).

# %% [markdown]
# ## References
#
# - Y. Burda, R. Grosse, R. Salakhutdinov (2016). Importance weighted autoencoders. *ICLR 2016*.
# - T. Rainforth, A. R. Kosiorek, T. A. Le, C. J. Maddison, M. Igl, F. Wood, Y. W. Teh (2018). Tighter variational
#   bounds are not necessarily better. *ICML 2018*.
# - C. Cremer, X. Li, D. Duvenaud (2018). Inference suboptimality in variational autoencoders. *ICML 2018*. (The
#   approximation and amortisation gaps.)
# - The source derivation, *Variational Inference for Latent Variable Models* (blog post, 15 September 2025).
