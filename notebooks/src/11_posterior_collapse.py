# %% [markdown]
# # 11 · Posterior collapse: when the decoder does not need z
#
# Every VAE so far had a decoder that makes the pixels independent given $z$, so whatever the pixels share has to
# pass through $z$. Give the decoder a way to model the pixels on its own and the ELBO may switch $z$ off: the
# encoder returns the prior for every image and the KL term is zero. This is **posterior collapse** (Bowman et
# al., 2016). Here we make it happen with an 8-D latent and a strong decoder, measure it unit by unit, try the
# two usual remedies, KL warm-up and a KL weight $\beta < 1$, and ask what each costs and buys in
# $\log p_\theta(x)$.
#
# **Prerequisites:** [05 · The variational autoencoder](05_variational_autoencoder.ipynb) (the VAE, IWAE, the two
# gaps) and [09 · Training with the IWAE bound](09_importance_weighted_training.ipynb) (IWAE as a measure of
# $\log p_\theta(x)$).
# **Run time:** about 35 s on a 2-core laptop CPU, four trainings included (no pretrained weights).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **In this notebook you will**
# - build an autoregressive decoder that can model the pixels without $z$, and check by autograd that pixel $d$
#   sees only the pixels before it;
# - train four VAEs with an 8-D latent and watch the KL term per epoch: a factorised decoder, the autoregressive
#   one with the plain ELBO, with KL warm-up, and with $\beta = 1/2$;
# - measure the KL of each latent unit and count the active units;
# - compare ELBO and IWAE-5000 on the test images, and read what collapse costs in $\log p_\theta(x)$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Notation (the table of notebook 00): $p(z) = \mathcal N(0, I_k)$ with $k = 8$, $d = 64$ pixels, $z_j$ the $j$-th
# latent unit; $K$ is the IWAE sample count and $M$ counts Monte Carlo draws; $\mathrm{sigm}$ is the logistic
# function. All numbers are nats per image.

# %% [markdown] slideshow={"slide_type": "notes"}
# Ask first: can a maximum of the ELBO have $q_\phi(z \mid x) = p(z)$ for every image? Take answers; the
# first section shows when, and the rest of the notebook makes it happen on real data.

# %% slideshow={"slide_type": "subslide"}
from functools import partial

import numpy as np
import torch
from scipy.special import logsumexp

from helpers.collapse import AutoregressiveVAE
from helpers.data import load_digits_binarized
from helpers.exercises import check_kl_per_unit, check_unit_activity
from helpers.parallel import side_by_side
from helpers.plotting import COLORS, labelled, show, subplots, use_course_style
from helpers.semi_amortised import refine_q
from helpers.vae_variants import (
    VariantVAE,
    active_units,
    closing_table,
    elbo_of,
    kl_per_unit,
    log_weights,
    train_variant,
)

use_course_style()
torch.manual_seed(0)
torch.set_num_threads(2)  # two threads for the evaluations; each training runs on one (helpers.vae_variants)
x_train, x_test, y_train, y_test = load_digits_binarized()
# A validation split carved from the training images (seeded): the recipes were chosen on it, and the KL per unit
# is measured on it. The test images are used only for the final numbers.
order = np.random.default_rng(0).permutation(len(x_train))
x_fit, x_valid = x_train[order[237:]], x_train[order[:237]]
print(f"train {x_train.shape} = fit {x_fit.shape} + validation {x_valid.shape}; test {x_test.shape}")

# %% [markdown]
# ## 1 · Why the ELBO can switch z off
#
# With a diagonal Gaussian $q_\phi$ the KL term splits over the latent units,
#
# $$\text{ELBO}(x) = \mathbb E_{q_\phi}\big[\log p_\theta(x \mid z)\big]
#   - \sum_{j=1}^{k} \mathrm{KL}\big(q_\phi(z_j \mid x) \,\|\, \mathcal N(0, 1)\big), \qquad
#   \mathrm{KL}_j = \tfrac12\big(e^{v_j} + \mu_j^2 - 1 - v_j\big),$$
#
# with $\mu_j$, $v_j$ the encoder's mean and log-variance. A unit pays its KL for every image, and it is paid back
# only if the decoder reads it. If the decoder can model $x$ without $z$, $p_\theta(x \mid z) = p_\theta(x)$, then
# $q_\phi = p(z)$ makes every KL zero and loses nothing: the ELBO equals $\log p_\theta(x)$ exactly, because the
# posterior is then the prior and $q_\phi$ matches it. A collapsed model has no gap at all; what it may lack is a
# better $\log p_\theta(x)$ that a decoder using $z$ could have reached.
#
# The factorised decoder cannot do this: given $z$ its pixels are independent, so the strokes that make pixels
# agree must come from $z$. The **autoregressive decoder** of `helpers.collapse` lets each pixel also see the
# pixels before it in raster order,
#
# $$p_\theta(x \mid z) = \prod_{d=1}^{64} \mathrm{Bernoulli}\big(x_d;\ \mathrm{sigm}(\mathrm{MLP}(z)_d + a_d(x_{<d}))\big),$$
#
# with $a$ a masked linear map plus one masked hidden layer of 512 units (MADE, Germain et al., 2015): masks
# remove every path from $x_j$ to $a_d$ with $j \ge d$, so the product is a distribution over the $2^{64}$ images
# for every $z$ (the unit tests check this by enumeration on 6 pixels and by sampling). Here is the check on
# an untrained decoder, by autograd: the Jacobian of the logits with respect to $x$ is strictly lower triangular.

# %% slideshow={"slide_type": "subslide"}
torch.manual_seed(0)
demo = AutoregressiveVAE(64, 8, (128, 64), ar_hidden=512)
x_point, z_point = torch.rand(1, 64), torch.randn(1, 8)  # a continuous x, so every derivative exists
jac = torch.autograd.functional.jacobian(lambda v: demo.logits(v, z_point)[0], x_point)[:, 0, :]  # (d, d)
print(f"Jacobian d logit_d / d x_j: {torch.count_nonzero(torch.tril(jac, -1))} non-zero entries below the "
      f"diagonal (of {64 * 63 // 2}), {torch.count_nonzero(torch.triu(jac))} on or above it")
assert torch.count_nonzero(torch.triu(jac)) == 0  # logit_d does not depend on x_j for j >= d
assert torch.count_nonzero(torch.tril(jac, -1)) == 64 * 63 // 2  # ... and depends on every earlier pixel

# %% [markdown] slideshow={"slide_type": "notes"}
# The masks are the whole trick: the decoder is as expressive as we like, yet still a normalised distribution.
# Ask: what would go wrong if $a_d$ could see $x_d$ itself? (It would copy the pixel and put all the
# probability on the observed image, a likelihood that is not a distribution.)

# %% [markdown]
# ## 2 · Four models, one recipe
#
# All four have the same encoder and $z$-network (64-128-64, tanh), an 8-D latent and a diagonal Gaussian
# $q_\phi$; each trains for 60 epochs on the fit split (minibatches of 64, Adam, step size decaying from
# $10^{-2}$ to $10^{-3}$, seed 0), with the objective $\mathbb E_q[\log p_\theta(x \mid z)] - \beta_t\,\mathrm{KL}$:
#
# - **factorised decoder**, $\beta = 1$ (the ELBO): notebook 05's kind of decoder;
# - **autoregressive decoder**, $\beta = 1$;
# - **autoregressive, KL warm-up** (Sønderby et al., 2016): $\beta_t$ rises linearly from $1/15$ to 1 over the
#   first 15 epochs, so early on the encoder may use $z$ almost for free, then stays at 1: the final objective is
#   the ELBO;
# - **autoregressive, $\beta = 1/2$** throughout (Higgins et al., 2017, used $\beta > 1$; below 1 the KL is
#   discounted): the objective is not the ELBO, only an upper bound on it that the model is trained on.
#
# The recipe was chosen on the validation split, in runs not repeated here, and no test image was used: the
# decoder's masked layer of 512 units (against 128 and 256, whose plain-ELBO models kept more KL), the step size
# (against $3 \cdot 10^{-3}$, by validation ELBO) and the warm-up length (against 30 epochs, by validation
# IWAE-1000). The four trainings are independent, so they run side by side, sharing the two cores, each with the
# same result as it would give alone.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "subslide"}
RECIPES = {  # name: (autoregressive?, beta, warm-up epochs)
    "factorised, β = 1": (False, 1.0, 0),
    "autoregressive, β = 1": (True, 1.0, 0),
    "autoregressive, warm-up": (True, 1.0, 15),
    "autoregressive, β = 1/2": (True, 0.5, 0),
}
models, jobs = {}, {}
for name, (autoregressive, beta, warmup) in RECIPES.items():
    torch.manual_seed(0)
    models[name] = (AutoregressiveVAE(64, 8, (128, 64), ar_hidden=512) if autoregressive
                    else VariantVAE(64, 8, (128, 64)))
    jobs[name] = partial(train_variant, models[name], x_fit, epochs=60, batch_size=64, lr=1e-2, lr_final=1e-3,
                         seed=0, beta=beta, warmup_epochs=warmup)
# Independent trainings: side by side, sharing the cores, with the same results as one after the other.
histories = side_by_side(jobs)
for name, history in histories.items():
    print(f"{name:24s}: 60 epochs in {history.seconds:.1f} s, KL term in the last epoch {history.kl[-1]:.2f} nats")

# %% slideshow={"slide_type": "subslide"}
STYLE = {"factorised, β = 1": (COLORS[0], "-"), "autoregressive, β = 1": (COLORS[1], "--"),
         "autoregressive, warm-up": (COLORS[2], ":"), "autoregressive, β = 1/2": (COLORS[3], "-.")}
fig, (ax, ax_beta) = subplots(1, 2, width=13, height=4.2, gridspec_kw={"width_ratios": [2, 1]})
epochs = np.arange(1, 61)
for name, history in histories.items():
    color, ls = STYLE[name]
    ax.plot(epochs, history.kl, color=color, ls=ls, lw=2, label=name)
    ax_beta.plot(epochs, history.beta, color=color, ls=ls, lw=2, label=name)
ax.legend(fontsize=9, loc="lower right", bbox_to_anchor=(1.0, 0.08))
labelled(ax, "The KL term during training", "epoch", "KL(q ‖ p(z)), nats per image (training average)")
labelled(ax_beta, "The KL weight", "epoch", "β_t")
ax_beta.set_ylim(0, 1.05)
show(fig, alt="Left: the KL term per epoch for the four models; the autoregressive model with beta = 1 falls "
              "towards zero, the others stay at several nats. Right: the KL weight beta_t, rising over 15 epochs "
              "for the warm-up model, constant for the others.")

# %% slideshow={"slide_type": "subslide"}
last_kl = {name: h.kl[-1] for name, h in histories.items()}
for name, value in last_kl.items():
    print(f"{name:24s}: KL term, first epoch {histories[name].kl[0]:6.2f}, last epoch {value:6.2f} nats")
# With beta = 1 the autoregressive model's KL falls below 0.1 nats; every other model keeps more than 3 nats.
assert last_kl["autoregressive, β = 1"] < 0.1
assert min(v for n, v in last_kl.items() if n != "autoregressive, β = 1") > 3.0
# The discounted KL (beta = 1/2) ends highest.
assert max(last_kl, key=last_kl.get) == "autoregressive, β = 1/2"
# Warm-up: the KL peaks while beta_t < 1 and is partly paid back afterwards, ending above 3 nats (checked above).
warm_kl = histories["autoregressive, warm-up"].kl
assert max(warm_kl[:15]) > max(warm_kl[15:]) and max(warm_kl[:15]) > last_kl["autoregressive, warm-up"] + 1.0

# %% [markdown]
# Same data, same encoder, same step sizes: with $\beta = 1$ the autoregressive model's KL term falls below a tenth
# of a nat, while the factorised model keeps several nats in $z$. Warm-up and $\beta = 1/2$ each keep the
# autoregressive model's KL above 3 nats, the discounted one highest, as a cheaper KL should. The warm-up model's
# KL peaks while $\beta_t$ is small and falls by more than a nat once $\beta_t = 1$, but not back to zero.

# %% [markdown] slideshow={"slide_type": "notes"}
# Point at the warm-up curve: its KL is largest while $\beta_t$ is small and is partly paid back once
# $\beta_t = 1$, but not all the way to zero: by then the decoder reads $z$, so the units earn their KL. Ask: is the collapsed
# model's optimiser stuck, or did it find what the ELBO asks for? Section 4 answers with numbers.

# %% [markdown]
# ## 3 · KL per unit and active units
#
# The KL per unit, $\mathrm{KL}_j$ averaged over images, says where the information is. Burda et al. (2016) call a
# unit **active** when its mean moves with the image, $A_j = \operatorname{Var}_x\big(\mathbb E_{q_\phi}[z_j \mid
# x]\big) > 0.01$: an inactive unit has the same $q_\phi$ for every image and tells the decoder nothing. Both on
# the validation images.

# %% slideshow={"slide_type": "subslide"}
unit_kl = {name: kl_per_unit(model, x_valid) for name, model in models.items()}
n_active = {name: active_units(model, x_valid)[0] for name, model in models.items()}
fig, axes = subplots(1, 4, width=15, height=3.8, sharey=True)
for ax, name in zip(axes, models, strict=True):
    color, _ = STYLE[name]
    ax.bar(np.arange(1, 9), np.sort(unit_kl[name])[::-1], color=color, edgecolor="black")
    labelled(ax, f"{name}\n{n_active[name]} active units, KL {unit_kl[name].sum():.2f}", "unit (sorted by KL)",
             "KL per unit, nats per image" if ax is axes[0] else "")
    ax.set_xticks(np.arange(1, 9))
show(fig, alt="Four bar charts of the KL of each of the 8 latent units, sorted, on the validation images. The "
              "autoregressive model with beta = 1 has no visible bar; the other three spread several nats over "
              "most of their units.")

# %% slideshow={"slide_type": "subslide"}
for name in models:
    print(f"{name:24s}: {n_active[name]} active units, KL per unit " + " ".join(f"{v:.2f}" for v in unit_kl[name]))
with torch.no_grad():
    mean_c, logvar_c = models["autoregressive, β = 1"].encode(torch.as_tensor(x_valid))
print(f"collapsed encoder: largest |mean| {mean_c.abs().max():.3f}, log-variances in "
      f"[{logvar_c.min():.3f}, {logvar_c.max():.3f}]")
# The collapsed model: no active unit, every unit's KL below 0.05 nats, and q is close to N(0, I) for every image.
assert n_active["autoregressive, β = 1"] == 0 and unit_kl["autoregressive, β = 1"].max() < 0.05
assert mean_c.abs().max() < 0.5 and logvar_c.abs().max() < 0.5
# The three others keep at least four active units, and none uses all eight.
assert min(n for name, n in n_active.items() if name != "autoregressive, β = 1") >= 4
assert max(n_active.values()) < 8

# %% [markdown]
# The collapse is complete: the autoregressive model with $\beta = 1$ has no active unit, each of its units pays
# less than 0.05 nats, and its encoder returns nearly $\mathcal N(0, I)$ whatever the image. The other three use at
# least four of their eight units, and none uses all eight: eight dimensions are more than these 1,200 small
# images ask for, and the objective prunes what it does not pay back.

# %% [markdown] slideshow={"slide_type": "notes"}
# Active units are a threshold on a variance, so read them with the bars: a unit just above 0.01 carries
# almost nothing. Ask the room why a unit with a constant mean but a variance below 1 would still pay KL.

# %% [markdown]
# ### Try it 1: the KL per unit from the encoder's output
#
# `mean_try` and `logvar_try` are the warm-up model's encoder means $\mu_{ij}$ and log-variances $v_{ij}$ for the
# 1,200 *training* (fit) images, shape $(n, k) = (1200, 8)$. Compute the KL of each unit to $\mathcal N(0, 1)$,
# averaged over the images, shape (8,), and compare it with the third bar chart above (validation images):
# does the model pay more KL on the images it was trained on?

# %% nbgrader={"grade": false, "grade_id": "kl_per_unit", "locked": false, "schema_version": 3, "solution": true, "task": false}
with torch.no_grad():
    mean_try, logvar_try = (t.double().numpy() for t in models["autoregressive, warm-up"].encode(
        torch.as_tensor(x_fit)))
answer_kl_per_unit = ...  # your code: one KL per unit, averaged over the images, shape (8,)
### BEGIN SOLUTION
answer_kl_per_unit = (0.5 * (np.exp(logvar_try) + mean_try**2 - 1.0 - logvar_try)).mean(axis=0)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "kl_per_unit_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
result = check_kl_per_unit(answer_kl_per_unit, mean_try, logvar_try)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown]
# ### Try it 2: which units are active?
#
# `mean_try2` and `logvar_try2` are the $\beta = 1/2$ model's encoder means and log-variances for the validation
# images, shape (237, 8). Compute Burda et al.'s activity $A_j = \operatorname{Var}_x\big(\mathbb E_{q_\phi}[z_j
# \mid x]\big)$ of each unit, shape (8,). Which of the two arrays do you need? Before you run the check, predict
# from the fourth bar chart how many units will have $A_j > 0.01$.

# %% nbgrader={"grade": false, "grade_id": "unit_activity", "locked": false, "schema_version": 3, "solution": true, "task": false}
with torch.no_grad():
    mean_try2, logvar_try2 = (t.double().numpy() for t in models["autoregressive, β = 1/2"].encode(
        torch.as_tensor(x_valid)))
answer_unit_activity = ...  # your code: the activity of each unit, shape (8,)
### BEGIN SOLUTION
answer_unit_activity = mean_try2.var(axis=0, ddof=1)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "unit_activity_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_unit_activity(answer_unit_activity, mean_try2, logvar_try2)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown]
# ## 4 · What collapse costs, and what the remedies buy
#
# With $k = 8$ there is no exact $\log p_\theta(x)$: quadrature on a grid of 300 points per axis would need
# $300^8 \approx 7 \cdot 10^{19}$ decoder passes per image. The best number we have is IWAE-5000, a lower bound on
# $\log p_\theta(x)$ that is tight when the encoder's $q_\phi$ is a good proposal. For each model, on the 360 test
# images: the ELBO of the encoder ($M = 1{,}000$ of the 5,000 draws), IWAE-5000, and the ELBO of $q^*$, the best
# diagonal Gaussian for each image: `refine_q` takes 30 Adam steps from the encoder's $q_\phi$ (4 draws per step),
# and $q^*$ is whichever of the refined $q$ and the encoder's has the higher ELBO on 200 fresh draws; its ELBO is
# then estimated on $M = 500$ other draws. The comparison matters where the encoder is already optimal: there noisy
# steps only wander away from it.

# %% slideshow={"slide_type": "subslide"}
results = {}
for name, model in models.items():
    lw = log_weights(model, x_test, 5000, seed=0)
    refined = refine_q(model, x_test, steps=30, lr=0.05, n_samples=4, seed=0)[30]
    with torch.no_grad():
        encoder_q = model.q_params(torch.as_tensor(x_test)).numpy()
    # q*: for each image the better of the refined q and the encoder's, judged on draws not used below.
    keep = elbo_of(model, x_test, 200, seed=2, params=refined) > lw[:, 1000:1200].mean(axis=1)
    best = np.where(keep[:, None], refined, encoder_q)
    results[name] = {"elbo": lw[:, :1000].mean(axis=1), "iwae": logsumexp(lw, axis=1) - np.log(5000),
                     "elbo_best": elbo_of(model, x_test, 500, seed=1, params=best)}
print(f"{'model':24s} {'ELBO':>8s} {'IWAE-5000':>9s} {'ELBO(q*)':>8s}")
for name, r in results.items():
    print(f"{name:24s} {r['elbo'].mean():8.3f} {r['iwae'].mean():9.3f} {r['elbo_best'].mean():8.3f}")
    assert r["elbo"].mean() < r["iwae"].mean() and r["elbo_best"].mean() < r["iwae"].mean(), name
elbo = {name: r["elbo"].mean() for name, r in results.items()}
iwae = {name: r["iwae"].mean() for name, r in results.items()}
c, w, h, f = "autoregressive, β = 1", "autoregressive, warm-up", "autoregressive, β = 1/2", "factorised, β = 1"
# The collapsed model: its ELBO is the highest of the four, and within 0.05 nats of its IWAE-5000 (no gap to close).
assert max(elbo, key=elbo.get) == c and iwae[c] - elbo[c] < 0.05
# Both remedies buy IWAE-5000 and cost ELBO, against the collapsed model; beta = 1/2 costs more ELBO than warm-up.
assert iwae[w] > iwae[c] + 0.1 and iwae[h] > iwae[c] + 0.1
assert elbo[c] > elbo[w] > elbo[h]
# Every autoregressive model, collapsed or not, beats the factorised one on IWAE-5000.
assert min(iwae[n] for n in (c, w, h)) > iwae[f]
print(f"\nagainst the collapsed model: warm-up IWAE {iwae[w] - iwae[c]:+.3f}, ELBO {elbo[w] - elbo[c]:+.3f}; "
      f"β = 1/2 IWAE {iwae[h] - iwae[c]:+.3f}, ELBO {elbo[h] - elbo[c]:+.3f} nats")

# %% [markdown] slideshow={"slide_type": "subslide"}
# This is the answer to the question the notebook started with, and it is not the usual story.
#
# - **Collapse is what the ELBO asked for.** The collapsed model has the highest ELBO of the four, and its ELBO is
#   within 0.05 nats of its IWAE-5000: with $q_\phi = p(z)$ and a decoder that ignores $z$, the bound is tight.
#   The optimiser was not stuck: by its own objective it won.
# - **Collapse costs $\log p_\theta(x)$.** The warm-up model and the $\beta = 1/2$ model have a higher IWAE-5000
#   than the collapsed one by more than 0.1 nats, and IWAE-5000 is only a lower bound on their $\log p_\theta(x)$:
#   decoders that read $z$ are better models of the digits, by a margin the ELBO cannot see.
# - **The remedies pay for it in ELBO.** Both have a lower ELBO than the collapsed model, $\beta = 1/2$ the lowest,
#   since it was never trained on the ELBO. Warm-up changes only the path (the final objective is the ELBO), yet it
#   lands in a different optimum, one with a looser bound and a better model.
# - **The strong decoder helps regardless:** every autoregressive model, the collapsed one included, has a higher
#   IWAE-5000 than the factorised decoder.
#
# Lucas et al. (2019) reach the same verdict ("don't blame the ELBO"): collapse can be a property of the objective's
# optimum, not only of optimisation, so a remedy changes which optimum you reach, not how well you optimise.

# %% [markdown] slideshow={"slide_type": "notes"}
# Make the room say it: the *highest* ELBO belongs to the model that uses $z$ *least*. Then ask which number
# they would report for each model, and why reporting only the ELBO would pick the collapsed model.

# %% [markdown]
# ## 5 · The closing table
#
# The four models on the same 360 test images, nats per image. There is no exact $\log p_\theta(x)$ with
# $k = 8$ (n/a). Without it the approximation gap $\log p_\theta(x) - \text{ELBO}(q^*)$ is only bounded from below:
# since $\log p_\theta(x) \ge$ IWAE-5000, it is **at least** IWAE-5000 $- \text{ELBO}(q^*)$. The amortisation gap
# $= \text{ELBO}(q^*) - \text{ELBO}(q_\phi)$, with $q^*$ from 30 steps of `refine_q` (so it too is a lower bound on
# what a fully converged $q^*$ would show). Training time is measured in this run, with the four trainings running
# side by side, sharing the two cores (`helpers.parallel.side_by_side`).

# %% slideshow={"slide_type": "subslide"}
rows = []
for name, r in results.items():
    rows.append((name, histories[name].seconds, elbo[name], iwae[name], "n/a, 8-D",
                 (r["iwae"] - r["elbo_best"]).mean(), (r["elbo_best"] - r["elbo"]).mean()))
print(closing_table(rows, approx_label="approx. ≥"))
gaps = {name: (approx, amort) for name, _, _, _, _, approx, amort in rows}
for name, (approx, amort) in gaps.items():
    assert approx > 0 and amort > -0.01, name
# The collapsed model has the smallest gaps of all: nothing to approximate, nothing to amortise.
assert max(gaps[c]) < 0.05
assert gaps[c][0] == min(g[0] for g in gaps.values()) and gaps[c][1] == min(g[1] for g in gaps.values())

# %% [markdown]
# Every row keeps ELBO < IWAE-5000; the approximation column is positive, and the amortisation column is
# non-negative up to Monte Carlo noise (every entry above $-0.01$). The collapsed model's two gaps are both
# below 0.05 nats, the smallest of the four: its posterior is the prior, which a diagonal Gaussian matches and an
# encoder finds. The models that use $z$ have larger gaps on both counts; for the two remedies it is through
# those gaps, not through $\log p_\theta(x)$, that their ELBO falls behind the collapsed model's.

# %% [markdown]
# ## Summary
#
# - An autoregressive decoder can model the pixels without $z$; with it, plain ELBO training on the digits
#   collapsed all eight latent units: no active unit, a KL term below 0.1 nats, $q_\phi \approx p(z)$ for every
#   image.
# - Collapse was the ELBO's own preference: the collapsed model had the highest ELBO of the four models, tight
#   against its IWAE-5000.
# - KL warm-up and $\beta = 1/2$ kept several units active and raised IWAE-5000 (a lower bound on
#   $\log p_\theta(x)$) above the collapsed model's, at the price of a lower ELBO and larger approximation and
#   amortisation gaps.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Where to go next
#
# This is the last notebook of the course. The remedies here change the objective or its schedule; others change
# the model so that collapse is impossible: the variational lossy autoencoder (Chen et al., 2017) limits what the
# autoregressive decoder can see, so global structure must pass through $z$; $\delta$-VAEs (Razavi et al., 2019)
# keep $q_\phi$ and $p(z)$ a fixed KL apart by construction. Notebooks [07](07_closing_the_gap.ipynb) and
# [09](09_importance_weighted_training.ipynb) hold the tools to test any of them the way this notebook did: ELBO, IWAE and
# the two gaps on held-out images. Back to the map: [00 · Start here](00_start_here.ipynb).

# %% [markdown]
# ## References
#
# - S. R. Bowman, L. Vilnis, O. Vinyals, A. M. Dai, R. Jozefowicz, S. Bengio (2016). Generating sentences from a
#   continuous space. *CoNLL 2016*. (Posterior collapse and KL annealing.)
# - Y. Burda, R. Grosse, R. Salakhutdinov (2016). Importance weighted autoencoders. *ICLR 2016*. (Active units.)
# - C. K. Sønderby, T. Raiko, L. Maaløe, S. K. Sønderby, O. Winther (2016). Ladder variational autoencoders.
#   *NeurIPS 2016*. (KL warm-up.)
# - I. Higgins, L. Matthey, A. Pal, C. Burgess, X. Glorot, M. Botvinick, S. Mohamed, A. Lerchner (2017).
#   β-VAE: learning basic visual concepts with a constrained variational framework. *ICLR 2017*.
# - X. Chen, D. P. Kingma, T. Salimans, Y. Duan, P. Dhariwal, J. Schulman, I. Sutskever, P. Abbeel (2017).
#   Variational lossy autoencoder. *ICLR 2017*.
# - M. Germain, K. Gregor, I. Murray, H. Larochelle (2015). MADE: masked autoencoder for distribution estimation.
#   *ICML 2015*.
# - A. Razavi, A. van den Oord, B. Poole, O. Vinyals (2019). Preventing posterior collapse with δ-VAEs. *ICLR 2019*.
# - J. Lucas, G. Tucker, R. Grosse, M. Norouzi (2019). Don't blame the ELBO! A linear VAE perspective on posterior
#   collapse. *NeurIPS 2019*.
# - The source derivation, *Variational Inference for Latent Variable Models* (blog post, 15 September 2025).
