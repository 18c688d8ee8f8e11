# %% [markdown]
# # 10 · A categorical latent you can enumerate
#
# Notebook 06 taught three ways to train through a discrete latent: the score function with a baseline, and the
# Gumbel-softmax relaxation with and without the straight-through trick. Each optimises *something*; which
# optimises the model we want? Here the latent is small enough to answer exactly: a VAE whose code is four
# categorical variables with eight values each, $8^4 = 4{,}096$ states, few enough to sum over, so its
# $\log p_\theta(x)$ and its ELBO are exact, and each estimator can be judged by the true objective rather than by
# the one it optimises.
#
# **Prerequisites:** [06 · Discrete latents](06_discrete_latents.ipynb) (score function, baselines,
# Gumbel-softmax) and [09 · Training with the IWAE bound](09_importance_weighted_training.ipynb) (the gaps and the
# closing table).
# **Run time:** about 40 s on a 2-core laptop CPU, every training included (no pretrained weights).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **In this notebook you will**
# - compute a categorical VAE's exact $\log p_\theta(x)$ and exact ELBO by enumerating all 4,096 states;
# - train it with Gumbel-softmax (relaxed and straight-through) and with the score function and a leave-one-out
#   baseline, tracking the objective each maximises and the exact ELBO side by side;
# - write the closed-form KL of a categorical $q$ to the uniform prior, and the exact $\log p_\theta(x)$ as a sum over
#   states;
# - close with one table of the three models against their exact $\log p_\theta(x)$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Notation (the table of notebook 00): the categorical latent has $D$ variables with $C$ values each; $\tau$ is the
# Gumbel-softmax temperature; $M$ counts Monte Carlo draws. All numbers are nats per image.

# %% [markdown] slideshow={"slide_type": "notes"}
# Ask first: notebook 06 showed the relaxed estimator has the lowest variance. Does lowest variance mean best
# model? Collect guesses; the enumeration answers it.

# %% slideshow={"slide_type": "subslide"}
from functools import partial

import numpy as np
import torch

from helpers.categorical_vae import (
    CategoricalVAE,
    all_states,
    exact_elbo,
    exact_log_marginal,
    fit_categorical_q,
    iwae_categorical,
    train_categorical,
)
from helpers.data import load_digits_binarized
from helpers.exercises import check_categorical_kl, check_mixture_log_marginal
from helpers.parallel import side_by_side
from helpers.plotting import COLORS, labelled, show, subplots, use_course_style
from helpers.vae_variants import closing_table

use_course_style()
torch.manual_seed(0)
torch.set_num_threads(2)
x_train, x_test, y_train, y_test = load_digits_binarized()
# A validation split carved from the training images (seeded): the models' exact ELBO is tracked on it during
# training. The test images are only used for the final numbers.
order = np.random.default_rng(0).permutation(len(x_train))
x_fit, x_valid = x_train[order[237:]], x_train[order[:237]]
print(f"train {x_train.shape} = fit {x_fit.shape} + validation {x_valid.shape}; test {x_test.shape}")

# %% [markdown]
# ## 1 · A categorical latent, small enough to enumerate
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
# epoch the exact ELBO on the validation split is recorded. The three trainings run side by side, sharing the two
# cores (`helpers.parallel.side_by_side`), each with the same result as it would give alone.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "subslide"}
ESTIMATORS = {"relaxed": "Gumbel-softmax, relaxed", "straight-through": "Gumbel-softmax, straight-through",
              "score": "score function + baseline"}
cat_models = {}
for estimator in ESTIMATORS:
    torch.manual_seed(0)
    cat_models[estimator] = CategoricalVAE(64, 4, 8, (256, 128))
# Independent trainings: side by side, sharing the cores, with the same results as one after the other.
cat_histories = side_by_side({
    estimator: partial(train_categorical, model, x_fit, estimator=estimator, epochs=60, batch_size=64, lr=3e-3,
                       lr_final=3e-4, seed=0, tau=1.0, tau_final=0.5, n_samples=4, x_valid=x_valid)
    for estimator, model in cat_models.items()})
for estimator, history in cat_histories.items():
    print(f"{ESTIMATORS[estimator]:33s}: trained in {history.seconds:.1f} s")

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

# %% [markdown] slideshow={"slide_type": "notes"}
# The relaxed panel is the one to dwell on: its own curve looks best and it is not the best model. Ask how anyone
# would notice this without enumeration (they mostly would not: report a bound on the discrete model, never the
# relaxed objective).

# %% [markdown]
# ### Try it 1: the KL term of a categorical $q$
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
# ### Try it 2: the exact $\log p_\theta(x)$ by enumeration
#
# A categorical latent makes the VAE a mixture with $C^D$ components, one per state. `log_lik_try` holds
# $\log p_\theta(x \mid s)$ of the score-function model for the first five test images and every state $s$, shape
# (5, 4096), and `log_prior_try` the uniform prior's $\log p(s)$, shape (4096,). Compute $\log p_\theta(x)$ for each
# image, in log space.

# %% nbgrader={"grade": false, "grade_id": "enumerated_log_marginal", "locked": false, "schema_version": 3, "solution": true, "task": false}
with torch.no_grad():
    codes_try = all_states(4, 8)[:, None, :].expand(4096, 5, 32)  # every state, for each of the five images
    log_lik_try = cat_models["score"].log_likelihood(torch.as_tensor(x_test[:5]), codes_try).double().numpy().T
log_prior_try = np.full(4096, -4 * np.log(8))
answer_enumerated_log_marginal = ...  # your code: one log p(x) per image, shape (5,)
### BEGIN SOLUTION
answer_enumerated_log_marginal = np.logaddexp.reduce(log_prior_try + log_lik_try, axis=1)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "enumerated_log_marginal_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_mixture_log_marginal(answer_enumerated_log_marginal, log_prior_try, log_lik_try)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown]
# ## 2 · The closing table
#
# The three models on the same 360 test images, nats per image; exact $\log p_\theta(x)$ by enumeration. Training
# time is the wall-clock time of this run, with the trainings sharing the machine. Approximation gap
# $= \log p_\theta(x) - \text{ELBO}(q^*)$, amortisation gap $= \text{ELBO}(q^*) - \text{ELBO}(q_\phi)$, with $q^*$ the
# best factorised categorical $q$ for each image found above; every ELBO here is an exact sum, so the gaps carry no
# Monte Carlo error.

# %% slideshow={"slide_type": "subslide"}
rows = []
for estimator, r in cat.items():
    rows.append((f"categorical z, {ESTIMATORS[estimator]}", cat_histories[estimator].seconds, r["elbo"].mean(),
                 r["iwae"].mean(), r["exact"].mean(), (r["exact"] - r["elbo_best"]).mean(),
                 (r["elbo_best"] - r["elbo"]).mean()))
print(closing_table(rows))
for name, _, elbo_v, iwae_v, exact_v, approx, amort in rows:
    assert elbo_v < iwae_v < exact_v + 0.01, name  # the ordering in every row
    assert approx > 0 and amort >= -1e-6, name
# The score-function model has the smallest amortisation gap of the three.
assert rows[2][6] < min(rows[0][6], rows[1][6])

# %% [markdown]
# Every row keeps ELBO < IWAE-5000 ≤ exact, and the score-function model, the best by the exact ELBO, also has the
# smallest amortisation gap: its encoder is closest to the best factorised $q$ for each image.

# %% [markdown] slideshow={"slide_type": "notes"}
# Compare with 09's table: the Gaussian models' exact $\log p_\theta(x)$ is higher, but a 2-D Gaussian code and a
# 4,096-state code are different models; the point of this table is the ordering within it, judged exactly.

# %% [markdown]
# ## Summary
#
# - A categorical latent with $8^4$ states has an exact $\log p_\theta(x)$ and an exact ELBO, so each estimator of
#   notebook 06 was judged by the true objective: every model's exact validation ELBO rose during training, the
#   relaxed model's own objective ended more than a nat above its ELBO, and the score-function model (unbiased,
#   with a leave-one-out baseline) reached the highest exact ELBO.
# - Straight-through, whose gradient belongs to a different function from its forward pass, trained the model
#   with the lowest exact ELBO and the lowest exact $\log p_\theta(x)$.

# %% [markdown] slideshow={"slide_type": "notes"}
# One line to leave with: judge a discrete-latent model by a bound on the discrete model (here the exact ELBO),
# never by the relaxed objective it was trained on.

# %% [markdown] slideshow={"slide_type": "subslide"}
# [Next: 11 · Posterior collapse](11_posterior_collapse.ipynb): an 8-D latent and a decoder strong enough to ignore
# it.
#
# Back to the map: [00 · Start here](00_start_here.ipynb).

# %% [markdown]
# ## References
#
# - E. Jang, S. Gu, B. Poole (2017). Categorical reparameterization with Gumbel-softmax. *ICLR 2017*.
# - C. J. Maddison, A. Mnih, Y. W. Teh (2017). The Concrete distribution: a continuous relaxation of discrete random
#   variables. *ICLR 2017*.
# - Y. Bengio, N. Léonard, A. Courville (2013). Estimating or propagating gradients through stochastic neurons for
#   conditional computation. arXiv:1308.3432. (The straight-through estimator.)
# - W. Kool, H. van Hoof, M. Welling (2019). Buy 4 REINFORCE samples, get a baseline for free! *ICLR 2019
#   workshop*. (The leave-one-out baseline.)
# - The source derivation, *Variational Inference for Latent Variable Models* (blog post, 15 September 2025).
