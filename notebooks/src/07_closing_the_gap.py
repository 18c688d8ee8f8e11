# %% [markdown]
# # 07 · Closing the gap: a full-covariance q and a few steps per image
#
# Notebook 05 ended with a VAE whose ELBO sat below the exact $\log p_\theta(x)$, and split the difference in
# two: an **approximation gap**, because even the best diagonal Gaussian is not the posterior, and an
# **amortisation gap**, because the encoder does not find that best Gaussian. This notebook attacks each part
# with the simplest tool for it and measures what it buys: a full-covariance Gaussian $q$ against the
# approximation gap, and a few gradient steps per test image against the amortisation gap. Every number is
# checked against the exact $\log p_\theta(x)$ of the same decoder (a 2-D latent, so quadrature still works).
# Notebook 08 tries a normalising flow as $q$.
#
# **Prerequisites:** [05 · The variational autoencoder](05_variational_autoencoder.ipynb) (the VAE, IWAE, the
# exact $\log p_\theta(x)$ by quadrature and the two gaps).
# **Run time:** about 40 s on a 2-core laptop CPU, two trainings included (no pretrained weights).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **In this notebook you will**
# - write the density of a full-covariance Gaussian $q$ as a change of variables and check it against
#   `torch.distributions`;
# - train two VAEs on the binarised digits whose $q$ is a diagonal and a full-covariance Gaussian, and compare
#   their ELBO, IWAE-5000 and exact $\log p_\theta(x)$;
# - split each model's gap into its approximation and amortisation parts, for the diagonal model also by
#   quadrature with no sampling at all;
# - fit the best full-covariance $q$ to the diagonal model's own posterior, and see what a tilted ellipse buys
#   on the average image and on the worst one;
# - refine the encoder's $q$ with a few gradient steps per test image (semi-amortised inference) and watch the
#   amortisation gap shrink with the number of steps;
# - read one closing table: method, training time, ELBO, IWAE-5000, exact $\log p_\theta(x)$ and both gaps.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Notation (the table of notebook 00): $p(z) = \mathcal N(0, I_k)$ with $k = 2$, decoder $p_\theta(x \mid z)$,
# $q_\phi(z \mid x)$ the encoder's approximate posterior. $M$ counts Monte Carlo draws and $K$ the IWAE samples;
# all logs are natural, every number is in nats per test image.

# %% [markdown] slideshow={"slide_type": "notes"}
# Start from 05's last table: the total gap was almost two nats, most of it amortisation. Ask: which of the two parts
# would a more flexible $q$ remove, and which would a better optimiser remove? Today we measure both.

# %% slideshow={"slide_type": "subslide"}
import time
from functools import partial

import numpy as np
import torch
from torch.distributions import MultivariateNormal

from helpers.data import load_digits_binarized
from helpers.exercises import check_full_covariance_log_density, check_full_covariance_sample
from helpers.parallel import side_by_side
from helpers.plotting import COLORS, labelled, show, subplots, use_course_style
from helpers.semi_amortised import diagonal_to_family, refine_q
from helpers.vae import grid_posterior_kl
from helpers.vae_variants import VariantVAE, bounds_against_exact, closing_table, elbo_of, sample_q, train_variant

use_course_style()
torch.manual_seed(0)
# Two threads for the large evaluations (IWAE, quadrature); each training runs on one (helpers.vae.train).
torch.set_num_threads(2)
x_train, x_test, y_train, y_test = load_digits_binarized()
print(f"train {x_train.shape}, test {x_test.shape}")

# %% [markdown]
# ## 1 · A full-covariance $q$, trained with its own decoder
#
# The encoder now emits more numbers per image. For a 2-D latent:
#
# | family | $q_\phi(z \mid x)$ | encoder outputs |
# |---|---|---|
# | diagonal (05's) | $\mathcal N(\mu, \mathrm{diag}\, e^{v})$, $v$ the log-variance | 4 |
# | full covariance | $\mathcal N(\mu, L L^\top)$, $L$ lower-triangular with positive diagonal, $z = \mu + L\varepsilon$ | 5 |
#
# Every covariance matrix can be written as $L L^\top$ (its Cholesky factor), so the full-covariance $q$ can tilt
# its ellipse along a posterior correlation that a diagonal Gaussian must ignore. The encoder emits the log of
# $L_{11}$ and $L_{22}$ (so they stay positive) and $L_{21}$ as it is. The density follows from a change of
# variables: $z = \mu + L\varepsilon$ maps a small region of area $A$ around $\varepsilon$ onto one of area
# $|\det L|\, A = L_{11} L_{22}\, A$ holding the same probability, so
#
# $$\log q_\phi(z \mid x) = \log \mathcal N(\varepsilon; 0, I) - \log L_{11} - \log L_{22},
#   \qquad \varepsilon = L^{-1}(z - \mu).$$
#
# (Notebook 08 takes this formula to any invertible map: a normalising flow.) Both models are trained the same way
# (05's architecture, 64 → 256 → 128 and back, Adam, 100 epochs, the step size decaying from $3\cdot10^{-3}$ to
# $3\cdot10^{-4}$) on the one-sample ELBO, with the KL term in closed form for the diagonal family and estimated
# by one draw, $\log q_\phi(z \mid x) - \log p(z)$, for the full-covariance one. The two trainings share nothing,
# so they run side by side on the two cores (`helpers.parallel.side_by_side`): each gives the same model as it
# would alone. First a check of the full-covariance $\log q$ against `torch.distributions.MultivariateNormal`.

# %% slideshow={"slide_type": "subslide"}
params_check = torch.randn(6, 5, generator=torch.Generator().manual_seed(1))
eps_check = torch.randn(3, 6, 2, generator=torch.Generator().manual_seed(2))
z_full, log_q_full = sample_q("full", params_check, eps_check, 2)
chol_check = torch.diag_embed(params_check[:, 2:4].exp())
chol_check[:, 1, 0] = params_check[:, 4]
reference = MultivariateNormal(params_check[:, :2], scale_tril=chol_check).log_prob(z_full)
print(f"largest |log q - torch's MultivariateNormal.log_prob|: {(log_q_full - reference).abs().max():.1e}")
torch.testing.assert_close(log_q_full, reference, rtol=1e-5, atol=1e-5)

# %% [markdown]
# ### Try it 1: the density of a full-covariance $q$
#
# `params_try1` holds five images' full-covariance $q$ parameters in the order the encoder emits them: the mean
# (2 numbers), the **log** of $L_{11}$ and $L_{22}$, and $L_{21}$. For the points `z_try1` (shape (5, 2), one per
# image) compute $\log q(z)$: first $\varepsilon = L^{-1}(z - \mu)$ row by row ($\varepsilon_1$ from the first row
# of $L$, then $\varepsilon_2$, which needs $\varepsilon_1$), then the change of variables above. The checker
# compares with SciPy's density of $\mathcal N(\mu, L L^\top)$, which never forms $\varepsilon$.

# %% nbgrader={"grade": false, "grade_id": "full_covariance_log_density", "locked": false, "schema_version": 3, "solution": true, "task": false}
rng_try1 = np.random.default_rng(9)
params_try1 = rng_try1.normal(0.0, 0.7, size=(5, 5))
z_try1 = rng_try1.normal(0.0, 1.5, size=(5, 2))
answer_full_covariance_log_density = ...  # your code: log q(z) for each of the 5 images, shape (5,)
### BEGIN SOLUTION
mu_try1, log_diag_try1, l21_try1 = params_try1[:, :2], params_try1[:, 2:4], params_try1[:, 4]
eps1_try1 = (z_try1[:, 0] - mu_try1[:, 0]) / np.exp(log_diag_try1[:, 0])
eps2_try1 = (z_try1[:, 1] - mu_try1[:, 1] - l21_try1 * eps1_try1) / np.exp(log_diag_try1[:, 1])
answer_full_covariance_log_density = (-0.5 * (eps1_try1**2 + eps2_try1**2) - np.log(2 * np.pi)
                                      - log_diag_try1.sum(axis=1))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "full_covariance_log_density_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
result = check_full_covariance_log_density(answer_full_covariance_log_density, params_try1, z_try1)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "subslide"}
models = {}
for family in ("diagonal", "full"):
    torch.manual_seed(0)
    models[family] = VariantVAE(64, 2, (256, 128), family=family)
# Independent trainings: side by side, sharing the cores, with the same results as one after the other.
histories = side_by_side({family: partial(train_variant, model, x_train, epochs=100, batch_size=64, lr=3e-3,
                                          lr_final=3e-4, seed=0) for family, model in models.items()})
for family, history in histories.items():
    print(f"{family:9s} q: {models[family].n_params} encoder outputs, trained in {history.seconds:.1f} s, "
          f"last-epoch training ELBO {history.objective[-1]:.2f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Draw $z = \mu + L\varepsilon$ on the board with a unit circle of $\varepsilon$'s mapped to a tilted ellipse: the
# area grows by $L_{11} L_{22}$, so the density drops by that factor. Ask what $L_{21}$ does to the area (nothing:
# a shear keeps areas).

# %% [markdown]
# ## 2 · Every number against the exact $\log p_\theta(x)$
#
# For each model and each of the 360 test images: the ELBO of its encoder's $q_\phi$ ($M = 1{,}000$ draws),
# IWAE-5000 (the same draws and 4,000 more), and the exact $\log p_\theta(x)$ of its decoder by quadrature on a
# $200 \times 200$ grid over $[-6, 6]^2$ (`exact_log_marginal`; 05 found it within $10^{-3}$ nats of a
# $300 \times 300$ grid). The cell below checks that the quadrature has converged for these decoders too: a coarser
# $150 \times 150$ grid already agrees with it to within $2 \cdot 10^{-3}$ nats on every test image, and the
# midpoint rule's error shrinks quickly as the grid is refined. Each model has its own decoder, so each has its own
# exact value: a better $q$ during training can also buy a better decoder.

# %% slideshow={"slide_type": "subslide"}
# ELBO (first 1,000 draws), IWAE-5000 and exact log p(x) per image, with standard errors and the grid check.
results = {family: bounds_against_exact(model, x_test, n_samples=5000, n_elbo=1000, grid=200, check_grid=150, seed=0)
           for family, model in models.items()}
print(f"{'q family':10s} {'ELBO':>8s} {'IWAE-5000':>10s} {'exact':>8s}   largest |200² - 150² grid|")
for family, r in results.items():
    print(f"{family:10s} {r['elbo'].mean():8.3f} {r['iwae'].mean():10.3f} {r['exact'].mean():8.3f}   "
          f"{r['grid_change']:.1e} nats")
    assert r["grid_change"] < 2e-3  # the quadrature has converged
    # ELBO <= IWAE-5000 <= log p(x), in the mean and image by image up to Monte Carlo error.
    assert r["elbo"].mean() < r["iwae"].mean() < r["exact"].mean() + 3 * r["iwae_se"]
    assert np.all(r["iwae"] < r["exact"] + 4 * r["iwae_se_image"] + 1e-3)

# %% [markdown]
# ### Splitting each model's gap
#
# As in 05, $q^*_x$ is the best $q$ *of the model's own family* for one image, found by gradient ascent on that
# image's ELBO with $\theta$ fixed, started from the encoder's $q_\phi$ (`refine_q`: Adam, step size 0.05,
# $M = 4$ fresh draws per step, 100 steps; all 360 images at once, since Adam treats every parameter separately).
# Then approximation gap $= \log p_\theta(x) - \text{ELBO}(q^*_x)$ and amortisation gap
# $= \text{ELBO}(q^*_x) - \text{ELBO}(q_\phi)$, with $\text{ELBO}(q^*_x)$ from $M = 500$ draws. For the diagonal
# family, both are also KL divergences to the exact posterior that quadrature computes with no sampling at all
# (`grid_posterior_kl`): a second, independent route.

# %% slideshow={"slide_type": "subslide"}
T = 100  # refinement steps that define q*
STEPS = [0, 1, 3, 10, 30, T]
refined, refine_seconds = {}, {}
for family, model in models.items():
    start = time.perf_counter()
    refined[family] = refine_q(model, x_test, steps=T, lr=0.05, n_samples=4, seed=0, record=STEPS)
    refine_seconds[family] = time.perf_counter() - start
    r = results[family]
    r["elbo_best"] = elbo_of(model, x_test, 500, seed=1, params=refined[family][T])
    r["approximation"] = r["exact"] - r["elbo_best"]
    r["amortisation"] = r["elbo_best"] - r["elbo"]
    print(f"{family:9s}: total gap {(r['exact'] - r['elbo']).mean():.3f} = approximation "
          f"{r['approximation'].mean():.3f} + amortisation {r['amortisation'].mean():.3f} nats")

# The independent route for the diagonal family: KL(q || p(z|x)) on the grid, before and after refinement.
kl_steps = {t: grid_posterior_kl(models["diagonal"], x_test, p[:, :2], p[:, 2:], grid=200)
            for t, p in refined["diagonal"].items()}
d = results["diagonal"]
print(f"diagonal, by quadrature: total gap {kl_steps[0].mean():.3f}, approximation {kl_steps[T].mean():.3f}, "
      f"amortisation {(kl_steps[0] - kl_steps[T]).mean():.3f}")
assert abs(kl_steps[0].mean() - (d["exact"] - d["elbo"]).mean()) < 4 * d["elbo_se"]
assert abs(kl_steps[T].mean() - d["approximation"].mean()) < 4 * d["elbo_se"]
for family, r in results.items():
    assert r["approximation"].mean() > 0 and r["amortisation"].mean() > 0, family
# With its own decoder, the full-covariance model ends with a smaller amortisation gap, and an approximation gap
# no smaller than the diagonal model's (up to Monte Carlo error).
assert results["full"]["amortisation"].mean() < d["amortisation"].mean()
assert results["full"]["approximation"].mean() > d["approximation"].mean() - 4 * d["elbo_se"]

# %% [markdown]
# Trained with its own decoder, the full-covariance model ended with a *smaller amortisation gap* than the
# diagonal model, but *no smaller an approximation gap*: a decoder trained together with a $q$ family learns
# posteriors that family can fit, so the diagonal model's posteriors are already close to diagonal Gaussians
# (Cremer et al., 2018, observed the same accommodation).

# %% [markdown]
# ### One decoder, two families
#
# The comparison above mixes two effects, because each model also trained its own decoder. To see what the
# richer family does for inference alone, fit the best full-covariance $q$ to the **same** posterior, the diagonal
# model's, from the same start: its encoder's Gaussian, written as a full-covariance Gaussian with no correlation
# (`diagonal_to_family`). Whatever gap remains is the full-covariance family's approximation gap on this decoder,
# to compare with the best diagonal $q$'s, found above.

# %% slideshow={"slide_type": "subslide"}
enc_params = refined["diagonal"][0]
start_full = diagonal_to_family(enc_params[:, :2], enc_params[:, 2:], "full")
fit_full = refine_q(models["diagonal"], x_test, start_full, family="full", steps=T, lr=0.05, n_samples=4, seed=0)
same_decoder = {"diagonal": d["approximation"],
                "full": d["exact"] - elbo_of(models["diagonal"], x_test, 500, seed=1, params=fit_full[T],
                                             family="full")}
i_worst = int(np.argmax(same_decoder["diagonal"]))  # the image where the best diagonal q fails most
for family, gap in same_decoder.items():
    print(f"best {family:8s} q on the diagonal model's decoder: approximation gap {gap.mean():.3f} nats on "
          f"average, {gap[i_worst]:.2f} on test image {i_worst}")
# On average the tilted ellipse changes the gap by little; on the worst image it cuts it by far more.
assert abs(same_decoder["full"].mean() - same_decoder["diagonal"].mean()) < 0.05
assert same_decoder["full"][i_worst] < same_decoder["diagonal"][i_worst] - 0.3

# %% [markdown]
# On average over the test images the two families are within a few hundredths of a nat of each other: for most
# digits the diagonal Gaussian's approximation gap is already small, and tilting the ellipse barely improves on
# it. The gain is concentrated where the diagonal Gaussian fails most: on the image with the largest gap the
# full-covariance $q$ cuts it by more than 0.3 nats. Notebook 08 draws that image's posterior and tries a flow.

# %% [markdown] slideshow={"slide_type": "notes"}
# The gap is a KL to the exact posterior, so "no better on average" means the diagonal model's posteriors are
# nearly axis-aligned ellipses already. Ask which posterior shape a full-covariance Gaussian still cannot follow
# (two modes, a banana): that is notebook 08's question.

# %% [markdown]
# ## 3 · Semi-amortised inference: a few steps per image
#
# The amortisation gap is the price of one forward pass. Paying a little more, a few gradient steps on each test
# image's own ELBO from the encoder's $q$, buys part of it back (Kim et al., 2018, also train the encoder
# through these steps; here they are used at test time only). The remaining gap after $t$ steps is
# $\text{ELBO}(q^*_x) - \text{ELBO}(q_t)$, with $q^*_x$ the result after 100 steps. For the diagonal model it is a
# difference of two KL divergences to the exact posterior, computed on the grid at each $t$: no Monte Carlo error.

# %% slideshow={"slide_type": "subslide"}
remaining = np.array([(kl_steps[t] - kl_steps[T]).mean() for t in STEPS])
for t, gap in zip(STEPS, remaining, strict=True):
    print(f"after {t:3d} steps: amortisation gap left {gap:.3f} nats ({gap / remaining[0]:.0%} of the encoder's)")
print(f"{T} steps for 360 images took {refine_seconds['diagonal']:.1f} s here; training took "
      f"{histories['diagonal'].seconds:.1f} s")
# Each step helps on average, and 10 steps remove more than half of the gap.
assert np.all(np.diff(remaining) < 0)
assert remaining[STEPS.index(10)] < 0.5 * remaining[0]

# %% slideshow={"slide_type": "subslide"}
fig, ax = subplots()
ax.plot(np.array(STEPS[1:]), remaining[1:], "o-", label="diagonal q: ELBO(q*) − ELBO(q_t), by quadrature")
ax.axhline(remaining[0], color=COLORS[3], ls="--", lw=1.2, label="encoder's q (t = 0)")
ax.set_xscale("log")
ax.set_ylim(0, None)
ax.legend()
labelled(ax, "Semi-amortised inference: the amortisation gap left after t steps", "t (gradient steps per image)",
         "nats per test image")
show(fig, alt="The amortisation gap left after t gradient steps per test image, on a log axis from 1 to 100 "
              "steps: it falls steadily from the encoder's value, marked by a dashed line, towards zero.")

# %% [markdown] slideshow={"slide_type": "notes"}
# The curve is the whole trade: every step costs $M$ decoder passes per image, and the encoder's one pass is the
# dashed line. Ask when the extra passes are worth it (a final evaluation, compression) and when not (training a
# large model on millions of images).

# %% [markdown]
# ### Try it 2: a sample from a full-covariance $q$
#
# `params_try` holds five images' full-covariance $q$ parameters in the order the encoder emits them: the mean
# (2 numbers), the **log** of $L$'s two diagonal entries, and $L_{21}$, the entry below the diagonal. With the
# standard normal `eps_try` (shape (5, 2)) compute the reparameterised samples $z = \mu + L \varepsilon$,
# shape (5, 2).

# %% nbgrader={"grade": false, "grade_id": "full_covariance_sample", "locked": false, "schema_version": 3, "solution": true, "task": false}
params_try = refined["full"][0][:5].astype(np.float64)
eps_try = np.random.default_rng(8).standard_normal((5, 2))
answer_full_covariance_sample = ...  # your code: z, shape (5, 2)
### BEGIN SOLUTION
L_try = np.zeros((5, 2, 2))
L_try[:, 0, 0], L_try[:, 1, 1] = np.exp(params_try[:, 2]), np.exp(params_try[:, 3])
L_try[:, 1, 0] = params_try[:, 4]
answer_full_covariance_sample = params_try[:, :2] + np.einsum("nij,nj->ni", L_try, eps_try)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "full_covariance_sample_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_full_covariance_sample(answer_full_covariance_sample, params_try, eps_try)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown]
# ## 4 · The closing table
#
# Every method on the same 360 test images, nats per image. *Training time* is the wall-clock time of this run,
# with the two trainings sharing the machine (plus the refinement, for the semi-amortised rows). For the
# semi-amortised rows the ELBO is that of the refined $q_t$ and IWAE-5000 is the encoder's: refining $q$ at test
# time changes neither the decoder nor its exact $\log p_\theta(x)$. Approximation gap
# $= \log p_\theta(x) - \text{ELBO}(q^*)$, amortisation gap $= \text{ELBO}(q^*) - \text{ELBO}(q)$, with $q^*$ the best
# $q$ of the row's family found in section 2.

# %% slideshow={"slide_type": "subslide"}
elbo_t = {10: elbo_of(models["diagonal"], x_test, 500, seed=1, params=refined["diagonal"][10]),
          T: d["elbo_best"]}  # computed in section 2
rows = []
for family, r in results.items():
    rows.append((f"{family} q, amortised", histories[family].seconds, r["elbo"].mean(), r["iwae"].mean(),
                 r["exact"].mean(), r["approximation"].mean(), r["amortisation"].mean()))
for t in (10, T):
    rows.append((f"diagonal q + {t} steps per image", histories["diagonal"].seconds
                 + refine_seconds["diagonal"] * t / T, elbo_t[t].mean(), d["iwae"].mean(), d["exact"].mean(),
                 d["approximation"].mean(), (d["elbo_best"] - elbo_t[t]).mean()))
print(closing_table(rows))
# The orderings the prose claims: in every amortised row ELBO < IWAE-5000 (and < exact, up to Monte Carlo error);
# the full-covariance q has the smaller amortisation gap; refinement lowers it with every step count.
for name, _, elbo_v, iwae_v, exact_v, *_ in rows[:2]:
    assert elbo_v < iwae_v < exact_v + 0.01, name
assert rows[1][6] < rows[0][6]
amortisation_column = [rows[0][6], rows[2][6], rows[3][6]]
assert amortisation_column[0] > amortisation_column[1] > amortisation_column[2]
assert elbo_t[10].mean() < elbo_t[T].mean() < d["exact"].mean()

# %% [markdown] slideshow={"slide_type": "notes"}
# Read the table column by column: the exact column says which decoder is better, the two gap columns say where the
# rest of the ELBO's shortfall comes from. Ask which row a practitioner would pick for a final evaluation.

# %% [markdown]
# ## Summary
#
# - The density of a full-covariance Gaussian $q$ is a change of variables, $\log \mathcal N(\varepsilon; 0, I) -
#   \log|\det L|$, checked here against `torch.distributions`.
# - Each of the two families was trained with its own decoder, and in each model ELBO < IWAE-5000 ≤ exact
#   $\log p_\theta(x)$ held. Trained with its own decoder, the full-covariance model ended with a smaller
#   amortisation gap but no smaller an approximation gap. Fitted to the diagonal model's own posterior, the
#   full-covariance Gaussian changed the average approximation gap by less than 0.05 nats, and cut the worst
#   image's gap by more than 0.3.
# - The amortisation gap of the encoder's $q$ shrank with every refinement step; 10 steps per image removed more
#   than half of it, at the cost of 10 × $M$ decoder passes per image instead of one encoder pass.

# %% [markdown] slideshow={"slide_type": "subslide"}
# [Next: 08 · Normalising flows as q](08_normalising_flows.ipynb): the change of variables for any invertible
# map, and a planar-flow $q$ against the same exact $\log p_\theta(x)$.

# %% [markdown]
# ## References
#
# - C. Cremer, X. Li, D. Duvenaud (2018). Inference suboptimality in variational autoencoders. *ICML 2018*. (The
#   approximation and amortisation gaps, and richer families against them.)
# - Y. Kim, S. Wiseman, A. C. Miller, D. Sontag, A. M. Rush (2018). Semi-amortized variational autoencoders.
#   *ICML 2018*.
# - R. G. Krishnan, D. Liang, M. D. Hoffman (2018). On the challenges of learning with inference networks on
#   sparse, high-dimensional data. *AISTATS 2018*. (Refining the encoder's q per data point.)
# - Y. Burda, R. Grosse, R. Salakhutdinov (2016). Importance weighted autoencoders. *ICLR 2016*.
# - D. P. Kingma, M. Welling (2014). Auto-encoding variational Bayes. *ICLR 2014*.
# - The source derivation, *Variational Inference for Latent Variable Models* (blog post, 15 September 2025).
