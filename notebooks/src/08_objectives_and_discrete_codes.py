# %% [markdown]
# # 08 · Objectives and discrete codes: IWAE training and a categorical latent
#
# Notebook 07 changed $q$ and kept the objective. Here we change the objective: train with the IWAE bound
# $\mathcal L_K$ instead of the ELBO and ask what that does to the decoder's exact $\log p_\theta(x)$ and to the
# encoder. Then we change the latent: a VAE whose code is four categorical variables with eight values each,
# $8^4 = 4{,}096$ states, few enough to sum over, so its $\log p_\theta(x)$ and its ELBO are exact, and the
# estimators of notebook 06 can be judged by the true objective rather than by the one they optimise.
#
# **Prerequisites:** [06 · Discrete latents](06_discrete_latents.ipynb) (score function, baselines,
# Gumbel-softmax) and [07 · Closing the gap](07_closing_the_gap.ipynb) (the gaps, `refine_q`).
# **Run time:** about 100 s on a 2-core laptop CPU, every training included (no pretrained weights).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **In this notebook you will**
# - continue training one VAE three ways, with the ELBO, with $\mathcal L_5$ and with $\mathcal L_{50}$, and compare
#   each decoder's exact $\log p_\theta(x)$, its ELBO and its IWAE bounds;
# - measure what IWAE training does to the encoder: its KL to the posterior in both directions, by quadrature;
# - train a categorical-latent VAE with Gumbel-softmax (relaxed and straight-through) and with the score function
#   and a leave-one-out baseline, tracking the relaxed objective and the exact ELBO side by side;
# - close with one table of every model against its exact $\log p_\theta(x)$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Notation (the table of notebook 00): $K$ is the IWAE sample count; the categorical latent has $D$ variables with
# $C$ values each; $\tau$ is the Gumbel-softmax temperature. All numbers are nats per test image.

# %% [markdown] slideshow={"slide_type": "notes"}
# Ask first: if IWAE is a tighter bound, why not always train with it? Collect guesses (cost, variance, the
# encoder); the first section measures each.

# %% slideshow={"slide_type": "subslide"}
import copy

import numpy as np
import torch
from scipy.special import logsumexp

from helpers.categorical_vae import (
    CategoricalVAE,
    exact_elbo,
    exact_log_marginal,
    fit_categorical_q,
    iwae_categorical,
    train_categorical,
)
from helpers.data import load_digits_binarized
from helpers.exercises import check_categorical_kl, check_iwae_bound
from helpers.plotting import COLORS, labelled, show, subplots, use_course_style
from helpers.semi_amortised import refine_q
from helpers.vae import exact_log_marginal as gaussian_exact_log_marginal
from helpers.vae import iwae_curve
from helpers.vae_variants import VariantVAE, elbo_of, grid_kl_both_ways, log_weights, train_variant

use_course_style()
torch.manual_seed(0)
torch.set_num_threads(2)
x_train, x_test, y_train, y_test = load_digits_binarized()
# A validation split carved from the training images (seeded): the categorical models' exact ELBO is tracked on
# it during training. The test images are only used for the final numbers.
order = np.random.default_rng(0).permutation(len(x_train))
x_fit, x_valid = x_train[order[237:]], x_train[order[:237]]
print(f"train {x_train.shape} = fit {x_fit.shape} + validation {x_valid.shape}; test {x_test.shape}")

# %% [markdown]
# ## 1 · Training with the IWAE bound
#
# $\mathcal L_K(x) = \mathbb E\big[\log \frac1K \sum_{k=1}^K p_\theta(x, z_k)/q_\phi(z_k \mid x)\big]$,
# $z_k \sim q_\phi$, is a lower bound on $\log p_\theta(x)$ that rises with $K$ (notebook 04), and $\mathcal L_1$ is
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
# 5,000 draws cut into groups, `iwae_curve`), IWAE-5000 and the exact $\log p_\theta(x)$ by quadrature. And what
# happened to the encoder, as a posterior fit and as a proposal: the exclusive $\mathrm{KL}(q_\phi \,\|\, p_\theta(z
# \mid x))$, which is the ELBO's gap, and the inclusive $\mathrm{KL}(p_\theta(z \mid x) \,\|\, q_\phi)$, small when
# $q_\phi$ covers the posterior, both by quadrature (`grid_kl_both_ways`); and the effective sample size of 5,000
# importance weights, as a fraction of 5,000.

# %% slideshow={"slide_type": "subslide"}
iw = {}
for name, model in iw_models.items():
    lw = log_weights(model, x_test, 5000, seed=0)
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    bounds = iwae_curve(lw, [5, 50])
    with torch.no_grad():
        mean, logvar = (t.numpy() for t in model.encode(torch.as_tensor(x_test)))
    exclusive, inclusive = grid_kl_both_ways(model, x_test, mean, logvar, grid=200)
    iw[name] = {"elbo": lw[:, :1000].mean(axis=1), "iwae5": bounds[0], "iwae50": bounds[1],
                "iwae": logsumexp(lw, axis=1) - np.log(5000),
                "iwae_se": np.sqrt(np.sum((w.std(axis=1) / (w.mean(axis=1) * np.sqrt(5000))) ** 2)) / len(x_test),
                "exact": gaussian_exact_log_marginal(model, x_test, grid=300),
                "exclusive": exclusive, "inclusive": inclusive,
                "ess": (w.sum(axis=1) ** 2 / (w**2).sum(axis=1) / 5000)}
print(f"{'trained with':13s} {'ELBO':>8s} {'L_5':>8s} {'L_50':>8s} {'IWAE-5000':>9s} {'exact':>8s} "
      f"{'KL(q‖p)':>8s} {'KL(p‖q)':>8s} {'ESS':>6s}")
for name, r in iw.items():
    print(f"{name:13s} {r['elbo'].mean():8.3f} {r['iwae5'].mean():8.3f} {r['iwae50'].mean():8.3f} "
          f"{r['iwae'].mean():9.3f} {r['exact'].mean():8.3f} {r['exclusive'].mean():8.3f} "
          f"{r['inclusive'].mean():8.3f} {r['ess'].mean():6.1%}")
for name, r in iw.items():
    # ELBO <= L_5 <= L_50 <= IWAE-5000 <= exact, and log p(x) - ELBO = KL(q || p(z|x)) (quadrature, no sampling).
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
# `log_w_try` holds the log weights $\log p_\theta(x, z_k) - \log q_\phi(z_k \mid x)$ of the $\mathcal L_{50}$-trained
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
# ## 2 · A categorical latent, small enough to enumerate
#
# Now $z = (z_1, \dots, z_D)$ with each $z_d \in \{1, \dots, C\}$, $D = 4$, $C = 8$, a uniform prior, and
# $q_\phi(z \mid x) = \prod_d \mathrm{Categorical}(z_d; \pi_d(x))$. The decoder reads the four one-hot codes. With
# $C^D = 4{,}096$ states the decoder runs once per state and every image is scored against those logits, so
#
# $$\log p_\theta(x) = \operatorname{logsumexp}_s \log p_\theta(x \mid s) - D \log C, \qquad
#   \text{ELBO}(x) = \sum_s q_\phi(s \mid x) \log p_\theta(x \mid s) - \mathrm{KL}(q_\phi \,\|\, p(z))$$
#
# are both exact sums (`helpers.categorical_vae`). Three estimators from notebook 06 train the same architecture:
#
# - **relaxed** Gumbel-softmax: the decoder sees $y_d = \operatorname{softmax}((\log \pi_d + g_d)/\tau)$, never a
#   real state, and the model maximises the *relaxed* objective $\log p_\theta(x \mid y) - \mathrm{KL}$;
# - **straight-through**: the decoder sees the one-hot $\arg\max$ of $y$, the gradient is the relaxed one;
# - **score function** with a leave-one-out baseline over $M = 4$ draws per image (unbiased).
#
# $\tau$ decays from 1 to 0.5 during training; each model trains for 60 epochs on the fit split, and after every
# epoch the exact ELBO on the validation split is recorded.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "subslide"}
ESTIMATORS = {"relaxed": "Gumbel-softmax, relaxed", "straight-through": "Gumbel-softmax, straight-through",
              "score": "score function + baseline"}
cat_models, cat_histories = {}, {}
for estimator in ESTIMATORS:
    torch.manual_seed(0)
    cat_models[estimator] = CategoricalVAE(64, 4, 8, (256, 128))
    cat_histories[estimator] = train_categorical(
        cat_models[estimator], x_fit, estimator=estimator, epochs=60, batch_size=64, lr=3e-3, lr_final=3e-4,
        seed=0, tau=1.0, tau_final=0.5, n_samples=4, x_valid=x_valid)
    print(f"{ESTIMATORS[estimator]:33s}: trained in {cat_histories[estimator].seconds:.1f} s")

# %% slideshow={"slide_type": "subslide"}
fig, axes = subplots(1, 3, width=15, height=4.2, sharey=True)
epochs = np.arange(1, 61)
for ax, (estimator, history) in zip(axes, cat_histories.items(), strict=True):
    ax.plot(epochs, history.objective, color=COLORS[1], ls="--", label="objective maximised (training average)")
    ax.plot(epochs, history.valid_elbo, color=COLORS[0], label="exact ELBO (validation, enumerated)")
    ax.legend(loc="lower right", fontsize=9)
    labelled(ax, ESTIMATORS[estimator], "epoch", "nats per image")
axes[0].set_ylim(min(min(h.valid_elbo[5:]) for h in cat_histories.values()) - 2,
                 max(max(h.objective) for h in cat_histories.values()) + 1)
show(fig, alt="Three panels, one per estimator, each with two curves over 60 epochs: the objective the "
              "estimator maximised (dashed) and the exact ELBO on the validation images (solid).")

# %% slideshow={"slide_type": "subslide"}
gap_relaxed = cat_histories["relaxed"].objective[-1] - cat_histories["relaxed"].valid_elbo[-1]
print(f"relaxed: last-epoch objective {cat_histories['relaxed'].objective[-1]:.2f}, exact validation ELBO "
      f"{cat_histories['relaxed'].valid_elbo[-1]:.2f}")
for estimator, history in cat_histories.items():
    assert history.valid_elbo[-1] > history.valid_elbo[0], estimator
    print(f"{ESTIMATORS[estimator]:33s}: last-epoch objective minus exact validation ELBO "
          f"{history.objective[-1] - history.valid_elbo[-1]:+.2f} nats")
# The relaxed objective ends more than a nat above the exact ELBO; for the other two the curves end within half a nat.
assert gap_relaxed > 1.0
for estimator in ("straight-through", "score"):
    assert abs(cat_histories[estimator].objective[-1] - cat_histories[estimator].valid_elbo[-1]) < 0.5

# %% [markdown]
# For the straight-through and score-function models the dashed curve is an unbiased estimate of the training
# images' ELBO, and the two curves end within half a nat of each other (the usual gap between training and
# validation images). The relaxed model's dashed curve is a different quantity: the decoder is trained on, and
# scored on, blends of codes that no real state produces, and it ends more than a nat above the exact ELBO. Only
# the solid curve says how good the model is as a model of discrete codes.
#
# At the end, on the test images: the exact ELBO, IWAE-5000 (states drawn from $q_\phi$, their likelihoods looked
# up in the enumerated table) and the exact $\log p_\theta(x)$; and the gaps, with $q^*$ the best factorised
# categorical $q$ for each image (Adam on the exact, enumerated ELBO, `fit_categorical_q`).

# %% slideshow={"slide_type": "subslide"}
cat = {}
for estimator, model in cat_models.items():
    best_log_pi, best_elbo = fit_categorical_q(model, x_test, steps=200, lr=0.1)
    cat[estimator] = {"elbo": exact_elbo(model, x_test), "iwae": iwae_categorical(model, x_test, 5000, seed=0),
                      "exact": exact_log_marginal(model, x_test), "elbo_best": best_elbo}
    r = cat[estimator]
    print(f"{ESTIMATORS[estimator]:33s} ELBO {r['elbo'].mean():8.3f}  IWAE-5000 {r['iwae'].mean():8.3f}  "
          f"exact {r['exact'].mean():8.3f}  best-q ELBO {r['elbo_best'].mean():8.3f}")
    assert np.all(r["elbo"] <= r["exact"] + 1e-9) and np.all(r["elbo_best"] <= r["exact"] + 1e-9)
    assert np.all(r["elbo_best"] >= r["elbo"] - 1e-6)  # the refinement starts at the encoder and only climbs
    assert r["elbo"].mean() < r["iwae"].mean() < r["exact"].mean() + 0.01
# Judged by the exact ELBO, the score-function model is best and the straight-through one worst; the
# straight-through model also has the lowest exact log p(x).
assert cat["score"]["elbo"].mean() > cat["relaxed"]["elbo"].mean() > cat["straight-through"]["elbo"].mean()
assert cat["straight-through"]["exact"].mean() < min(cat["score"]["exact"].mean(), cat["relaxed"]["exact"].mean())

# %% [markdown]
# By the true objective on the test images, the unbiased score-function estimator with its leave-one-out baseline
# trained the best model of the three, and straight-through the worst, with the lowest exact $\log p_\theta(x)$ as
# well: its gradient is that of a different function from the one its forward pass evaluates.

# %% [markdown]
# ### Try it 2: the KL term of a categorical $q$
#
# The KL term of every estimator above is in closed form. `log_pi_try` holds the encoder's normalised
# log-probabilities $\log \pi_{dc}$ of the straight-through model for the first five test images, shape (5, 4, 8).
# Compute $\mathrm{KL}(q_\phi(z \mid x) \,\|\, p(z))$ per image against the uniform prior $p(z_d = c) = 1/C$: the
# KL of a product of independent factors is the sum of the factors' KLs.

# %% nbgrader={"grade": false, "grade_id": "categorical_kl", "locked": false, "schema_version": 3, "solution": true, "task": false}
with torch.no_grad():
    log_pi_try = cat_models["straight-through"].q_logits(torch.as_tensor(x_test[:5])).double().numpy()
answer_categorical_kl = ...  # your code: one KL per image, shape (5,)
### BEGIN SOLUTION
answer_categorical_kl = np.sum(np.exp(log_pi_try) * (log_pi_try + np.log(8)), axis=(1, 2))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "categorical_kl_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
result = check_categorical_kl(answer_categorical_kl, log_pi_try)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown]
# ## 3 · The closing table
#
# Every model of this notebook on the same 360 test images, nats per image; exact $\log p_\theta(x)$ by quadrature
# (the 2-D Gaussian latents) or by enumeration (the categorical ones). Approximation gap
# $= \log p_\theta(x) - \text{ELBO}(q^*)$, amortisation gap $= \text{ELBO}(q^*) - \text{ELBO}(q_\phi)$, with $q^*$ the
# best $q$ of the model's own family for each image (`refine_q`, 30 steps, for the Gaussian ones: in notebook 07
# 30 steps left 3% of the diagonal model's amortisation gap). The IWAE-trained encoders start further from $q^*$,
# so for them 30 steps stop short: their approximation column is an upper bound and their amortisation column a
# lower bound on the split a fully converged $q^*$ would give.

# %% slideshow={"slide_type": "subslide"}
rows = []
for name, model in iw_models.items():
    r = iw[name]
    best = refine_q(model, x_test, steps=30, lr=0.05, n_samples=4, seed=0)[30]
    elbo_best = elbo_of(model, x_test, 1000, seed=1, params=best)
    rows.append((f"Gaussian z, trained on {name}", iw_seconds[name], r["elbo"].mean(), r["iwae"].mean(),
                 r["exact"].mean(), (r["exact"] - elbo_best).mean(), (elbo_best - r["elbo"]).mean()))
for estimator, r in cat.items():
    rows.append((f"categorical z, {ESTIMATORS[estimator]}", cat_histories[estimator].seconds, r["elbo"].mean(),
                 r["iwae"].mean(), r["exact"].mean(), (r["exact"] - r["elbo_best"]).mean(),
                 (r["elbo_best"] - r["elbo"]).mean()))
print(f"{'method':50s} {'train s':>7s} {'ELBO':>8s} {'IWAE-5000':>9s} {'exact':>8s} {'approx.':>7s} {'amort.':>7s}")
for name, seconds, *values in rows:
    print(f"{name:50s} {seconds:7.1f} " + " ".join(f"{v:{w}.3f}" for v, w in zip(values, (8, 9, 8, 7, 7),
                                                                                 strict=True)))
for name, _, elbo_v, iwae_v, exact_v, approx, amort in rows:
    assert elbo_v < iwae_v < exact_v + 0.01, name  # the ordering in every row
    assert approx > 0 and amort > -0.01, name

# %% [markdown]
# ## Summary
#
# - Training with $\mathcal L_5$ or $\mathcal L_{50}$ instead of the ELBO, from the same start, raised the decoder's
#   exact $\log p_\theta(x)$, and lowered the encoder's ELBO: its exclusive KL to the posterior grew with $K$, while
#   its inclusive KL (its quality as a proposal) fell, most for $K = 5$. Every model kept
#   ELBO < $\mathcal L_5$ < $\mathcal L_{50}$ < IWAE-5000 ≤ exact $\log p_\theta(x)$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# - A categorical latent with $8^4$ states has an exact $\log p_\theta(x)$ and an exact ELBO, so each estimator of
#   notebook 06 was judged by the true objective: every model's exact validation ELBO rose during training, the
#   relaxed model's own objective ended more than a nat above its ELBO, and the score-function model (unbiased,
#   with a leave-one-out baseline) reached the highest exact ELBO.
#
# Back to the map: [00 · Start here](00_start_here.ipynb).

# %% [markdown]
# ## References
#
# - Y. Burda, R. Grosse, R. Salakhutdinov (2016). Importance weighted autoencoders. *ICLR 2016*.
# - T. Rainforth, A. R. Kosiorek, T. A. Le, C. J. Maddison, M. Igl, F. Wood, Y. W. Teh (2018). Tighter variational
#   bounds are not necessarily better. *ICML 2018*.
# - E. Jang, S. Gu, B. Poole (2017). Categorical reparameterization with Gumbel-softmax. *ICLR 2017*.
# - C. J. Maddison, A. Mnih, Y. W. Teh (2017). The Concrete distribution: a continuous relaxation of discrete random
#   variables. *ICLR 2017*.
# - Y. Bengio, N. Léonard, A. Courville (2013). Estimating or propagating gradients through stochastic neurons for
#   conditional computation. arXiv:1308.3432. (The straight-through estimator.)
# - W. Kool, H. van Hoof, M. Welling (2019). Buy 4 REINFORCE samples, get a baseline for free! *ICLR 2019
#   workshop*. (The leave-one-out baseline.)
# - The source derivation, *Variational Inference for Latent Variable Models* (blog post, 15 September 2025).
