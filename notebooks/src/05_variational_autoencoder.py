# %% [markdown]
# # 05 · The variational autoencoder
#
# Notebook 04 fitted one Gaussian $q$ to one data point, by gradient ascent on the ELBO. A data set has
# thousands of points, and a new image would need a new optimisation. The variational autoencoder (VAE)
# replaces all those optimisations by one neural network, the *encoder*, that maps an image to its $q$, and
# trains it together with a neural *decoder* $p_\theta(x \mid z)$. Here we train two VAEs on real handwritten
# digits, on a laptop CPU, in seconds, and then measure how far their bounds are from the truth: with a 2-D
# latent space the true $\log p_\theta(x)$ can still be computed by quadrature, so every gap has a number.
#
# **In this notebook you will**
# - turn per-data-point $q$'s into an encoder $q_\phi(z \mid x)$ (amortisation) and write the reparameterised
#   ELBO as a loss;
# - train a VAE with a 2-D latent on 1,437 binarised 8×8 digits and watch its train and test ELBO;
# - look at reconstructions, samples from the prior, the latent space coloured by digit, and the decoder's map
#   of $z$;
# - compute three numbers for every test image, ELBO ≤ IWAE$_K$ ≤ exact $\log p_\theta(x)$, and split the
#   gap into an **approximation gap** (the best Gaussian $q$ is still not the posterior) and an
#   **amortisation gap** (the encoder does not find that best $q$);
# - train an 8-D latent VAE and compare it, in nats per image, with two models whose likelihood is exact: a
#   factorised Bernoulli model and a mixture of Bernoullis fitted by EM.
#
# **Prerequisites:** [03 · Score-function gradients](03_score_function_gradients.ipynb) (reparameterisation),
# [04 · Jensen and the ELBO](04_jensen_and_the_elbo.ipynb) (ELBO, its two decompositions, IWAE).
# **Run time:** about 35 s on a 2-core laptop CPU, both trainings included (no pretrained weights).
#
# Notation: $p(z) = \mathcal N(0, I)$, decoder $p_\theta(x \mid z)$, encoder $q_\phi(z \mid x)$. The encoder
# outputs a mean and a **log-variance** $v$; the standard deviation is $e^{v/2}$. All logs are natural: every
# number is in nats per image.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import stats
from scipy.special import logsumexp
from sklearn.datasets import load_digits
from torch.distributions import Bernoulli, Normal, kl_divergence

from helpers.data import DIGITS_THRESHOLD, load_digits_binarized
from helpers.exercises import check_iwae_bound, check_kl_to_prior, check_reparameterised_sample
from helpers.mixtures import fit_bernoulli_mixture
from helpers.plotting import COLORS, gaussian_ellipse, labelled, subplots, use_course_style
from helpers.quadrature import latent_grid
from helpers.vae import (
    DIGITS_RECIPES,
    elbo,
    exact_log_marginal,
    fit_gaussian_q,
    gaussian_elbo,
    grid_log_joint,
    grid_posterior_kl,
    grid_posterior_mode,
    iwae_curve,
    iwae_log_weights,
    train,
)

use_course_style()
rng = np.random.default_rng(0)
torch.manual_seed(0)
# Two threads for the large evaluations (IWAE, quadrature). `train` itself runs on one thread: its many
# small steps gain nothing from a second one (see the docstring of helpers.vae.train).
torch.set_num_threads(2)

# %% [markdown]
# ## 0 · The data: 1,797 handwritten digits, binarised
#
# scikit-learn ships a small set of handwritten digits (UCI "Optical Recognition of Handwritten Digits"): each
# image is 8×8, and each pixel counts how many of the 16 pixels of a 4×4 block of the original 32×32 scan were
# ink, 0 to 16. We keep a pixel **on** when more than half of its block is ink ($> 8/16$), so an image is a
# vector $x \in \{0, 1\}^{64}$ and the decoder can be a product of 64 Bernoullis. `load_digits_binarized()`
# returns a fixed split, stratified by digit: 1,437 training and 360 test images. Nothing is downloaded
# (provenance and licence: `data/README.md`).

# %% tags=["nbval-check-output"]
x_train, x_test, y_train, y_test = load_digits_binarized()
n_train, data_dim = x_train.shape
print(f"train {x_train.shape}, test {x_test.shape}; pixels on: {x_train.mean():.3f} of the training pixels")
print("test images per digit:", np.bincount(y_test))

# Independent check of the binarisation: recount from scikit-learn's raw 0..16 counts.
raw = load_digits()
def image_label_pairs(images, labels):
    """The multiset of (image, label) pairs, as sorted byte strings."""
    return sorted(map(bytes, np.column_stack([images, labels]).astype(np.uint8)))


assert n_train + len(x_test) == raw.data.shape[0] and data_dim == 64
assert image_label_pairs(np.vstack([x_train, x_test]), np.concatenate([y_train, y_test])) == \
    image_label_pairs(raw.data > DIGITS_THRESHOLD, raw.target)
assert np.all(np.bincount(y_test) >= 35)

# %%
fig, axes = plt.subplots(2, 10, figsize=(10, 2.4))
first_of_each = [np.flatnonzero(raw.target == c)[0] for c in range(10)]
for col, i in enumerate(first_of_each):
    axes[0, col].imshow(raw.images[i], cmap="gray_r", vmin=0, vmax=16)
    axes[1, col].imshow(raw.images[i] > DIGITS_THRESHOLD, cmap="gray_r", vmin=0, vmax=1)
    axes[0, col].set_title(str(raw.target[i]))
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("counts\n0..16")
axes[1, 0].set_ylabel("binarised\n> 8")
fig.suptitle("scikit-learn's 8×8 digits: raw ink counts (top) and the binary images we model (bottom)")
plt.show()

# %% [markdown]
# ## 1 · From one $q$ per image to an encoder
#
# In notebook 04 each data point $x_n$ had its own variational parameters $(m_n, s_n)$, fitted by its own loop
# of gradient steps. For $N$ images that is $N$ optimisation problems, and a new image starts from scratch.
# **Amortisation** shares the work: one network with parameters $\phi$ reads $x$ and outputs its $q$,
#
# $$q_\phi(z \mid x) = \mathcal N\big(z;\ \mu_\phi(x),\ \mathrm{diag}\, e^{v_\phi(x)}\big),$$
#
# with $\mu_\phi(x)$ the mean and $v_\phi(x)$ the log-variance (a log, so any real output is a valid variance).
# The decoder is a second network giving 64 logits $\ell_\theta(z)$, and
# $p_\theta(x \mid z) = \prod_d \mathrm{Bernoulli}(x_d;\ \sigma(\ell_{\theta,d}(z)))$, so
# $\log p_\theta(x \mid z) = \sum_d x_d \ell_d - \log(1 + e^{\ell_d})$.
#
# Training maximises the average ELBO over the data, in $\theta$ and $\phi$ together. With the
# reparameterisation of notebook 03, $z = \mu_\phi(x) + e^{v_\phi(x)/2} \odot \varepsilon$,
# $\varepsilon \sim \mathcal N(0, I)$, the expectation is over a distribution that does not depend on $\phi$,
# and one draw per image gives an unbiased, low-variance gradient of
#
# $$\mathcal L(\theta, \phi) = \frac1N \sum_{n=1}^N \Big( \mathbb E_{\varepsilon}\big[\log p_\theta\big(x_n \mid
#   \mu_\phi(x_n) + e^{v_\phi(x_n)/2} \odot \varepsilon\big)\big]
#   - \mathrm{KL}\big(q_\phi(z \mid x_n) \,\|\, p(z)\big) \Big),
# \qquad \mathrm{KL} = \tfrac12 \sum_j \big(e^{v_j} + \mu_j^2 - 1 - v_j\big).$$
#
# The loss is $-\mathcal L$ on a minibatch. Here is the 2-D latent model: 64 → 256 → 128 → (2 means, 2
# log-variances) for the encoder, and the mirror image for the decoder, with tanh in between.

# %%
recipe2 = DIGITS_RECIPES[2]
vae2 = recipe2.build()
print(vae2)
print(f"{sum(p.numel() for p in vae2.parameters()):,} parameters;  training settings: {recipe2.train_kwargs()}")

# %% [markdown]
# The model's loss is exactly the formula above. We check one reparameterised ELBO per image against
# `torch.distributions` (its Bernoulli log-probability and its Gaussian KL), on the untrained model.

# %% tags=["nbval-check-output"]
xt_test = torch.as_tensor(x_test)
eps_check = torch.randn(len(x_test), 2, generator=torch.Generator().manual_seed(1))
with torch.no_grad():
    ours = vae2(xt_test, eps_check)  # one-sample ELBO per image, the training objective
    mean_q, logvar_q = vae2.encode(xt_test)
    q = Normal(mean_q, torch.exp(0.5 * logvar_q))
    z_check = mean_q + q.scale * eps_check
    reference = (Bernoulli(logits=vae2.decode(z_check)).log_prob(xt_test).sum(-1)
                 - kl_divergence(q, Normal(0.0, 1.0)).sum(-1))
print(f"untrained model, mean one-sample ELBO on the test images: {ours.mean():.3f} nats")
torch.testing.assert_close(ours, reference)

# %% [markdown]
# ## 2 · Training the 2-D latent VAE
#
# Adam, minibatches of 64 images, 150 passes over the training set (epochs), the step size decaying from
# $3\cdot10^{-3}$ to $3\cdot10^{-4}$. The bar shows the running ELBO; after every epoch we also record a
# one-sample ELBO on the test images (the test set only watches: nothing is tuned on it).

# %% tags=["nbval-ignore-output"]
history2 = train(vae2, x_train, x_valid=x_test, **recipe2.train_kwargs())
print(f"trained {history2.epochs} epochs in {history2.seconds:.1f} s")

# %%
fig, ax = subplots()
epochs = np.arange(1, history2.epochs + 1)
ax.plot(epochs, history2.train_elbo, label="train (average over the epoch's minibatches)")
ax.plot(epochs, history2.valid_elbo, label="test (one sample per image, end of epoch)", alpha=0.8)
ax.set_ylim(min(history2.valid_elbo[10:]) - 1.5, max(history2.train_elbo) + 0.5)
ax.legend()
labelled(ax, "2-D latent VAE: ELBO during training", "epoch", "ELBO  [nats per image]")
plt.show()

# %% [markdown]
# The training ELBO ends above the test ELBO: with 1,437 images and about 100,000 parameters the model fits its
# training set a little better than new images. Both curves are noisy estimates; the ELBO proper is an
# expectation over $\varepsilon$, which `helpers.vae.elbo` averages over 1,000 draws per image. The last
# test point of the curve should agree with it within its Monte Carlo error, which we estimate from the
# spread of one-sample ELBOs within each image.

# %%
elbo2_test = elbo(vae2, x_test, n_samples=1000, seed=0)  # (360,), nats
with torch.no_grad():
    one_sample = vae2(xt_test, torch.randn(200, len(x_test), 2, generator=torch.Generator().manual_seed(2)))
within_var = one_sample.double().var(dim=0).mean().item()  # average over images of Var_eps[one-sample ELBO]
se_curve = np.sqrt(within_var / len(x_test))
print(f"test ELBO (1000 draws per image): {elbo2_test.mean():.2f} nats;  last curve point "
      f"{history2.valid_elbo[-1]:.2f} ± {se_curve:.2f}")
print(f"train ELBO: first epoch {history2.train_elbo[0]:.2f}, last epoch {history2.train_elbo[-1]:.2f}")
assert abs(history2.valid_elbo[-1] - elbo2_test.mean()) < 4 * se_curve
assert abs(one_sample.double().mean().item() - elbo2_test.mean()) < 4 * se_curve / np.sqrt(200)
assert history2.train_elbo[-1] > history2.train_elbo[0] + 5

# %% [markdown]
# ## 3 · What the model learned
#
# **Reconstructions.** Encode a test image, decode the encoder's mean $\mu_\phi(x)$, and show the pixel
# probabilities $\sigma(\ell_\theta(\mu_\phi(x)))$. **Samples.** Draw $z \sim p(z)$ and decode: this is the
# generative model on its own, no encoder involved.

# %%
with torch.no_grad():
    mean_test, logvar_test = vae2.encode(xt_test)
    recon = torch.sigmoid(vae2.decode(mean_test)).numpy()
    z_prior = torch.randn(10, 2, generator=torch.Generator().manual_seed(3))
    sample_probs = torch.sigmoid(vae2.decode(z_prior)).numpy()
sample_pixels = (rng.random(sample_probs.shape) < sample_probs).astype(float)

show = [np.flatnonzero(y_test == c)[0] for c in range(10)]
rows = [("test image", x_test[show]), ("reconstruction\nP(pixel on)", recon[show]),
        ("prior sample\nP(pixel on)", sample_probs), ("prior sample\nBernoulli draw", sample_pixels)]
fig, axes = plt.subplots(4, 10, figsize=(10, 4.6))
for r, (name, images) in enumerate(rows):
    for c in range(10):
        axes[r, c].imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[r, c].set_xticks([])
        axes[r, c].set_yticks([])
    axes[r, 0].set_ylabel(name, fontsize=8)
fig.suptitle("2-D latent VAE: reconstructions of test digits, and samples from the prior")
plt.show()

# %% [markdown]
# **The latent map.** Each training image placed at its encoder mean $\mu_\phi(x)$, coloured by its label (the
# model never saw the labels). Next to it, the decoder's view of the same plane: the image
# $\sigma(\ell_\theta(z))$ for $z$ on a grid. The grid is laid out on the prior's quantiles, so each cell
# covers equal prior probability.

# %%
with torch.no_grad():
    mean_train = vae2.encode(torch.as_tensor(x_train))[0].numpy()
n_side = 15
z_axis = stats.norm.ppf(np.linspace(0.03, 0.97, n_side))
z_mesh = np.array([[a, b] for b in z_axis[::-1] for a in z_axis])  # rows from top (large z2) to bottom
with torch.no_grad():
    tiles = torch.sigmoid(vae2.decode(torch.as_tensor(z_mesh, dtype=torch.float32))).numpy()
mosaic = tiles.reshape(n_side, n_side, 8, 8).transpose(0, 2, 1, 3).reshape(8 * n_side, 8 * n_side)

fig, axes = subplots(1, 2, width=12, height=5.6)
tab10 = plt.get_cmap("tab10")
for c in range(10):
    pts = mean_train[y_train == c]
    axes[0].scatter(pts[:, 0], pts[:, 1], s=6, color=tab10(c), label=str(c))
axes[0].legend(title="digit", markerscale=3, fontsize=8, loc="upper right", ncols=2)
axes[0].set_aspect("equal")
labelled(axes[0], "Encoder means of the training images", "z₁", "z₂")
axes[1].imshow(mosaic, cmap="gray_r", vmin=0, vmax=1)
axes[1].set_xticks([])
axes[1].set_yticks([])
labelled(axes[1], "Decoder output σ(ℓ(z)) on a grid of prior quantiles", "z₁ →", "z₂ →")
plt.show()

# %% [markdown]
# Digits of the same kind gather in the same region, with no labels used: the ELBO rewards codes that make
# an image easy to reconstruct, and similar images are easiest to reconstruct from nearby codes.
#
# **A check on the generative model.** The probability that pixel $d$ is on under the model is
# $P_\theta(x_d = 1) = \int p(z)\,\sigma(\ell_{\theta,d}(z))\,dz$. We compute it two independent ways: by
# Bernoulli draws from the prior (ancestral sampling, what "sampling from the VAE" means) and by 2-D
# quadrature. They must agree within the sampling error; both should be close to the pixel frequencies
# of the training images if the model fits.

# %%
n_draws = 20_000
with torch.no_grad():
    z_many = torch.randn(n_draws, 2, generator=torch.Generator().manual_seed(4))
    pixels = torch.bernoulli(torch.sigmoid(vae2.decode(z_many)), generator=torch.Generator().manual_seed(5))
freq_sampled = pixels.double().mean(0).numpy()
points, width = latent_grid(2, 300, 6.0)
with torch.no_grad():
    probs_grid = torch.sigmoid(vae2.decode(torch.as_tensor(points, dtype=torch.float32))).double().numpy()
prior_weight = stats.multivariate_normal(np.zeros(2), np.eye(2)).pdf(points) * width**2
freq_quadrature = prior_weight @ probs_grid
se_pixels = np.sqrt(freq_quadrature * (1 - freq_quadrature) / n_draws)
print(f"P(pixel on), largest |sampled - quadrature| / s.e.: {np.max(np.abs(freq_sampled - freq_quadrature) / se_pixels):.2f}")
print(f"mean |model - training frequency| over the 64 pixels: {np.mean(np.abs(freq_quadrature - x_train.mean(0))):.3f}")
assert np.isclose(prior_weight.sum(), 1.0, atol=1e-6)  # the grid holds all the prior's mass
assert np.all(np.abs(freq_sampled - freq_quadrature) < 5 * se_pixels + 1e-12)
assert np.mean(np.abs(freq_quadrature - x_train.mean(0))) < 0.03

# %% [markdown]
# ## 4 · Three numbers for each test image, and where the gap comes from
#
# For the 2-D model we can compute, for every test image:
#
# 1. the **ELBO** of the encoder's $q_\phi(z \mid x)$ (what training maximised);
# 2. the **IWAE bound** $\mathcal L_K = \mathbb E\big[\log \tfrac1K \sum_k p_\theta(x, z_k)/q_\phi(z_k \mid x)\big]$,
#    $z_k \sim q_\phi(z \mid x)$, for $K = 1$ to $5{,}000$ (notebook 04: it rises with $K$ towards $\log p(x)$);
# 3. the **exact** $\log p_\theta(x) = \log \int p_\theta(x \mid z)\,p(z)\,dz$ by the midpoint rule on a grid
#    of $300 \times 300$ points over $[-6, 6]^2$ (`exact_log_marginal`): the decoder runs once per grid point,
#    and all 360 images are scored against those logits at once. The cell width, 0.04, is below the
#    narrowest posterior's standard deviation; a $200 \times 200$ grid shows the value has converged.
#
# The IWAE estimates for every $K$ come from one set of 5,000 draws per image, cut into groups of $K$
# (`iwae_curve`). Their standard errors come from the spread across groups; for $K = 5{,}000$ (one group)
# we use the delta method, s.e. $\approx \mathrm{sd}(w)/(\bar w \sqrt K)$.

# %%
ks = np.array([1, 5, 50, 500, 5000])
log_w2 = iwae_log_weights(vae2, x_test, 5000, seed=0)  # (360, 5000)
iwae2 = iwae_curve(log_w2, ks)  # (len(ks), 360): IWAE_K per image
w2 = np.exp(log_w2 - log_w2.max(axis=1, keepdims=True))
se_5000 = w2.std(axis=1) / (w2.mean(axis=1) * np.sqrt(5000))  # delta method, one s.e. per image
se_iwae = []  # s.e. of the average over the 360 images, for each K
for k in ks[:-1]:
    groups = 5000 // k
    per_group = logsumexp(log_w2.reshape(len(x_test), groups, k), axis=-1) - np.log(k)
    se_iwae.append(per_group.std(axis=1, ddof=1).mean() / np.sqrt(groups * len(x_test)))
se_iwae = np.array([*se_iwae, np.sqrt(np.sum(se_5000**2)) / len(x_test)])
exact2_coarse = exact_log_marginal(vae2, x_test, grid=200)
exact2 = exact_log_marginal(vae2, x_test, grid=300)

print(f"ELBO (1000 draws)        {elbo2_test.mean():8.3f}")
for k, v, s in zip(ks, iwae2.mean(axis=1), se_iwae, strict=True):
    print(f"IWAE, K = {k:<5d}          {v:8.3f}  ± {s:.3f}")
print(f"exact log p(x), 300² grid {exact2.mean():8.3f}   (200² grid: {exact2_coarse.mean():.3f})")
print(f"largest |300² - 200²| over the images: {np.max(np.abs(exact2 - exact2_coarse)):.1e} nats")

assert np.max(np.abs(exact2 - exact2_coarse)) < 1e-3  # the quadrature has converged
# IWAE_1 is the ELBO. The ELBO average uses 1000 draws, not 5000, so its s.e. is at most sqrt(5) times larger.
assert abs(iwae2[0].mean() - elbo2_test.mean()) < 4 * np.sqrt(6) * se_iwae[0]
assert np.all(np.diff(iwae2.mean(axis=1)) > -3 * np.hypot(se_iwae[1:], se_iwae[:-1]))  # rises with K
assert iwae2[-1].mean() < exact2.mean() + 3 * se_iwae[-1]  # still a lower bound
assert np.all(iwae2[-1] < exact2 + 4 * se_5000)  # ... image by image, up to Monte Carlo error

# %% [markdown]
# **Splitting the gap.** $\log p_\theta(x) - \text{ELBO}(q_\phi) = \mathrm{KL}(q_\phi(z \mid x) \,\|\, p_\theta(z \mid x))$.
# Two things keep this KL above zero, and we can separate them. Let $q^*_x$ be the *best* diagonal Gaussian for
# this one image, found the notebook-04 way: gradient ascent on the ELBO of that image alone, with $\theta$
# fixed (`fit_gaussian_q`). Then
#
# $$\underbrace{\log p_\theta(x) - \text{ELBO}(q_\phi)}_{\text{total gap}}
#   = \underbrace{\log p_\theta(x) - \text{ELBO}(q^*_x)}_{\text{approximation gap } \ge 0:\ \text{the posterior is not Gaussian}}
#   + \underbrace{\text{ELBO}(q^*_x) - \text{ELBO}(q_\phi)}_{\text{amortisation gap } \ge 0:\ \text{the encoder misses } q^*_x}.$$
#
# Notebook 04 showed that the ELBO is mode-seeking: with a posterior of several modes, gradient ascent stops at
# whichever mode is near its start. So we run it from two starts, the encoder's $q_\phi$ and the same Gaussian
# moved to the exact posterior's highest point on the grid (`grid_posterior_mode`), and keep, image by image, the
# better result. ($q^*_x$ is thus the best of two local optima; any better Gaussian would move nats from the
# approximation gap to the amortisation gap.)
#
# Both gaps are KL divergences to the exact posterior, so we compute them twice, independently: by quadrature
# of $\mathrm{KL}(q \,\|\, p_\theta(z \mid x))$ on the grid (`grid_posterior_kl`, no sampling), and as
# $\log p_\theta(x)$ minus a Monte Carlo ELBO (`gaussian_elbo`, 1,000 draws).

# %%
post_mode = grid_posterior_mode(vae2, x_test, grid=300)
starts = {"encoder": (mean_test, logvar_test), "posterior mode": (post_mode, logvar_test)}
fits = {name: fit_gaussian_q(vae2, x_test, steps=150, lr=0.05, n_samples=16, seed=0, init=init)
        for name, init in starts.items()}
kl_fits = {name: grid_posterior_kl(vae2, x_test, *fit, grid=300) for name, fit in fits.items()}
from_mode = kl_fits["posterior mode"] < kl_fits["encoder"]
best_mean = np.where(from_mode[:, None], fits["posterior mode"][0], fits["encoder"][0])
best_logvar = np.where(from_mode[:, None], fits["posterior mode"][1], fits["encoder"][1])
kl_best = np.minimum(kl_fits["encoder"], kl_fits["posterior mode"])
kl_encoder = grid_posterior_kl(vae2, x_test, mean_test, logvar_test, grid=300)
elbo_best = gaussian_elbo(vae2, x_test, best_mean, best_logvar, n_samples=1000, seed=1)
approximation_gap, amortisation_gap = kl_best, kl_encoder - kl_best

print(f"the start at the posterior mode won for {from_mode.sum()} of {len(x_test)} images; it gained "
      f"{(kl_fits['encoder'] - kl_best).max():.3f} nats at most, {(kl_fits['encoder'] - kl_best).mean():.3f} on average")
print(f"total gap  log p(x) - ELBO(encoder)   quadrature {kl_encoder.mean():.3f}   Monte Carlo "
      f"{(exact2 - elbo2_test).mean():.3f}")
print(f"approximation gap  log p(x) - ELBO(q*) quadrature {approximation_gap.mean():.3f}   Monte Carlo "
      f"{(exact2 - elbo_best).mean():.3f}")
print(f"amortisation gap   ELBO(q*) - ELBO(q_φ) quadrature {amortisation_gap.mean():.3f}   Monte Carlo "
      f"{(elbo_best - elbo2_test).mean():.3f}")
print(f"IWAE-5000 closes {(iwae2[-1] - elbo2_test).mean() / kl_encoder.mean():.0%} of the total gap")

# Monte Carlo error of an ELBO average (1000 draws per image, 360 images), doubled for safety.
se_mc = 2 * np.sqrt(within_var / 1000 / len(x_test))
assert abs(kl_encoder.mean() - (exact2 - elbo2_test).mean()) < 4 * se_mc
assert abs(kl_best.mean() - (exact2 - elbo_best).mean()) < 4 * se_mc
assert np.all(approximation_gap > 0)
# q* from the encoder's start only climbs from there, up to the noise of its stochastic steps.
assert np.all(amortisation_gap > -1e-3)
assert amortisation_gap.mean() > 10 * se_mc

# %% [markdown]
# Here the amortisation gap is the larger part: a single encoder, trained for a few seconds, lands near but
# not on each image's best Gaussian, and now and then on the wrong mode. The approximation gap is what even a
# perfect encoder would leave, because the exact posterior is not Gaussian. Three test images make this
# visible: the exact posterior $p_\theta(z \mid x)$ (filled contours, from the grid), the encoder's $q_\phi$
# and the best $q^*_x$ (2-standard-deviation ellipses, gaps in nats in the legend). Left, the image with the
# largest amortisation gap; middle, the largest approximation gap; right, a typical image.

# %%
picks = {"largest amortisation gap": int(np.argmax(amortisation_gap)),
         "largest approximation gap": int(np.argmax(approximation_gap)),
         "typical (median total gap)": int(np.argsort(kl_encoder)[len(x_test) // 2])}
fig, axes = subplots(1, 3, width=15, height=5)
for ax, (title, i) in zip(axes, picks.items(), strict=True):
    # A square window holding both ellipses and every grid point where the posterior is above 1e-4 of its peak.
    enc_mean, enc_std = mean_test[i].numpy(), np.exp(0.5 * logvar_test[i].numpy())
    best_std = np.exp(0.5 * best_logvar[i])
    log_post_grid = grid_log_joint(vae2, x_test[i : i + 1], points)[:, 0]
    inside = points[log_post_grid > log_post_grid.max() - np.log(1e4)]
    corners = np.vstack([inside, enc_mean - 2.5 * enc_std, enc_mean + 2.5 * enc_std,
                         best_mean[i] - 2.5 * best_std, best_mean[i] + 2.5 * best_std])
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    centre, span = 0.5 * (lo + hi), 0.5 * (hi - lo).max() + 0.05
    axis = np.linspace(-span, span, 160)
    zz = np.stack(np.meshgrid(centre[0] + axis, centre[1] + axis, indexing="xy"), -1).reshape(-1, 2)
    log_post = grid_log_joint(vae2, x_test[i : i + 1], zz)[:, 0] - exact2[i]
    ax.contourf(zz[:, 0].reshape(160, 160), zz[:, 1].reshape(160, 160), np.exp(log_post).reshape(160, 160),
                levels=12, cmap="Greys")
    gaussian_ellipse(ax, enc_mean, np.diag(enc_std**2), color=COLORS[3], lw=2,
                     label=f"encoder q_φ (total gap {kl_encoder[i]:.2f})")
    gaussian_ellipse(ax, best_mean[i], np.diag(np.exp(best_logvar[i])), color=COLORS[0], lw=2, ls="--",
                     label=f"best Gaussian q* (approx. gap {kl_best[i]:.2f})")
    ax.set_aspect("equal")
    ax.legend(loc="upper left", fontsize=8)
    labelled(ax, f"{title}\ntest image {i} (a {y_test[i]}): exact p(z|x)", "z₁", "z₂")
plt.show()

# %% [markdown]
# The worst amortisation gaps come from images the encoder places in the wrong region altogether, while a
# Gaussian fitted to that image alone sits on the posterior almost perfectly. The worst approximation gaps
# come from posteriors with several separate modes (an ambiguous image that the decoder can draw from
# different codes): the best Gaussian covers one mode and misses the mass of the others, exactly the
# mode-seeking behaviour of notebook 04.

# %% [markdown]
# Finally the bound as a function of $K$, averaged over the test images. IWAE-$K$ climbs from the ELBO towards
# the exact value, quickly at first and then more and more slowly; at $K = 5{,}000$ a small gap remains. Note
# where the best Gaussian's ELBO sits: with 5,000 samples from the *encoder's* $q$, IWAE only just reaches what
# one well-placed Gaussian achieves with the plain ELBO.

# %%
fig, ax = subplots()
ax.errorbar(ks, iwae2.mean(axis=1), yerr=2 * se_iwae, fmt="o-", capsize=3, label="IWAE-K (±2 s.e.)")
ax.axhline(exact2.mean(), color="k", lw=1.2, label="exact log p(x) (quadrature)")
ax.axhline(elbo2_test.mean(), color=COLORS[3], ls="--", lw=1.2, label="ELBO of the encoder")
ax.axhline((exact2 - kl_best).mean(), color=COLORS[2], ls=":", lw=1.5, label="ELBO of the best Gaussian q*")
ax.set_xscale("log")
ax.legend(loc="lower right")
labelled(ax, "2-D VAE on test digits: bounds vs the exact log-likelihood", "K (importance samples)",
         "nats per image")
plt.show()

# %% [markdown]
# ## 5 · A larger latent space, and baselines with an exact likelihood
#
# Two dimensions are good for pictures and for quadrature, not for likelihood. The same recipe with an 8-D
# latent (quadrature would now need $300^8$ points; only the bounds remain) typically gains more than a nat per
# image. To judge the numbers, compare them with two latent variable models whose $\log p(x)$ is exact on the
# same binarised images:
#
# - **factorised Bernoulli**: every pixel independent, $p(x) = \prod_d \mu_d^{x_d}(1 - \mu_d)^{1 - x_d}$, with
#   $\mu_d$ the training frequency (smoothed by one pseudo-image on and one off, so no test pixel has
#   probability 0);
# - **mixture of $J$ Bernoullis**: a *discrete* latent $z \in \{1, \dots, J\}$, so
#   $p(x) = \sum_j \pi_j \prod_d \mu_{jd}^{x_d}(1 - \mu_{jd})^{1 - x_d}$ is a sum of $J$ terms, fitted by EM
#   (`helpers.mixtures`; the same pseudo-counts). Notebook 06 is about models like this one.

# %% tags=["nbval-ignore-output"]
recipe8 = DIGITS_RECIPES[8]
vae8 = recipe8.build()
history8 = train(vae8, x_train, x_valid=x_test, **recipe8.train_kwargs())
print(f"z = 8: trained {history8.epochs} epochs in {history8.seconds:.1f} s")

# %%
elbo8_test = elbo(vae8, x_test, n_samples=1000, seed=0)
log_w8 = iwae_log_weights(vae8, x_test, 5000, seed=0)
iwae8 = iwae_curve(log_w8, [1, 5000])
w8 = np.exp(log_w8 - log_w8.max(axis=1, keepdims=True))
se_iwae8 = np.sqrt(np.sum((w8.std(axis=1) / (w8.mean(axis=1) * np.sqrt(5000))) ** 2)) / len(x_test)
print(f"z = 8 VAE: test ELBO {elbo8_test.mean():.3f}, IWAE-5000 {iwae8[1].mean():.3f} ± {se_iwae8:.3f} nats per image")
se_iwae8_1 = np.sqrt(log_w8.var(axis=1).mean() / log_w8.size)  # s.e. of IWAE_1, averaged over 5000 x 360 draws
assert abs(iwae8[0].mean() - elbo8_test.mean()) < 4 * np.sqrt(6) * se_iwae8_1  # IWAE_1 is the ELBO, as above
assert iwae8[1].mean() > elbo8_test.mean()
assert iwae8[1].mean() > iwae2[-1].mean()  # the larger latent space fits better

# %% [markdown]
# The baselines. The factorised model's test log-likelihood is checked against `scipy.stats.bernoulli`, pixel
# by pixel; EM is checked by its defining property, a training objective that never decreases.

# %% tags=["nbval-check-output"]
factorised = fit_bernoulli_mixture(x_train, 1, pseudo_count=1.0)
ll_factorised = factorised.log_likelihood(x_test)
ll_scipy = stats.bernoulli.logpmf(x_test, (x_train.sum(0, dtype=np.float64) + 1.0) / (n_train + 2.0)).sum(axis=1)
assert np.allclose(ll_factorised, ll_scipy, rtol=1e-12)

mixtures = {j: fit_bernoulli_mixture(x_train, j, n_iter=500, tol=1e-7, pseudo_count=1.0, seed=0)
            for j in (5, 10, 20, 40, 80)}
for j, mix in mixtures.items():
    assert np.all(np.diff(mix.objective) >= -1e-9), f"EM objective decreased for J = {j}"
ll_mixture = {j: mix.log_likelihood(x_test).mean() for j, mix in mixtures.items()}
best_j = max(ll_mixture, key=ll_mixture.get)
print(f"{'factorised Bernoulli (exact)':40s} {ll_factorised.mean():8.2f} nats per test image")
for j, v in ll_mixture.items():
    print(f"{f'mixture of {j} Bernoullis (exact)':40s} {v:8.2f} nats per test image")
assert ll_factorised.mean() < ll_mixture[5] < ll_mixture[best_j]

# %% [markdown]
# All the models side by side, on the same 360 test images:

# %%
table = [("factorised Bernoulli (exact)", ll_factorised.mean()),
         (f"best mixture, J = {best_j} (exact)", ll_mixture[best_j]),
         ("VAE z = 2, ELBO", elbo2_test.mean()), ("VAE z = 2, IWAE-5000", iwae2[-1].mean()),
         ("VAE z = 2, exact log p(x)", exact2.mean()),
         ("VAE z = 8, ELBO", elbo8_test.mean()), ("VAE z = 8, IWAE-5000 (a lower bound)", iwae8[1].mean())]
for name, value in table:
    print(f"{name:40s} {value:8.2f} nats per test image")
# A lower bound on the z = 8 VAE's log p(x) beats the best mixture's exact value: the VAE is better for sure.
assert iwae8[1].mean() - 3 * se_iwae8 > ll_mixture[best_j]

# %%
fig, axes = subplots(1, 2, width=12, height=4.2)
js = list(mixtures)
axes[0].plot(js, [ll_mixture[j] for j in js], "o-", label="mixture of J Bernoullis (exact)")
axes[0].axhline(ll_factorised.mean(), color=COLORS[7], ls=":", label="factorised Bernoulli (exact)")
axes[0].axhline(exact2.mean(), color=COLORS[2], label="VAE z = 2 (exact, quadrature)")
axes[0].axhline(iwae8[1].mean(), color=COLORS[3], ls="--", label="VAE z = 8 (IWAE-5000 lower bound)")
axes[0].set_xscale("log")
axes[0].set_xticks(js, [str(j) for j in js])
axes[0].minorticks_off()
axes[0].legend(fontsize=8)
labelled(axes[0], "Test log-likelihood (higher is better)", "J (mixture components)", "nats per test image")
for j in (5, 20, 80):
    axes[1].plot(np.arange(len(mixtures[j].objective)), mixtures[j].objective, label=f"J = {j}")
axes[1].set_ylim(min(mixtures[j].objective[1] for j in (5, 20, 80)) - 1, None)
axes[1].legend()
labelled(axes[1], "EM never decreases its objective", "EM iteration",
         "log-lik. + log prior of μ  [nats per image]")
plt.show()

# %% [markdown]
# Left: the mixture improves with $J$ and then levels off: each component is one prototype image with
# independent pixel noise, and doubling from 40 to 80 prototypes buys less than a tenth of a nat on new
# images. The VAE's continuous latent lets one decoder bend a digit smoothly (slant, thickness, size), which a
# finite set of prototypes cannot, and even the 8-D VAE's *lower bound* is above the best mixture's exact
# value. Right: what EM guarantees. With pseudo-counts, EM maximises the log-likelihood plus the log of the
# Beta prior on the pixel probabilities $\mu_{jd}$, and that sum never decreases from one iteration to the
# next (asserted above for every $J$). It is lower for larger $J$ only because the prior has one term per
# component and pixel.

# %% [markdown]
# ## 6 · Try it
#
# ### Try it 1: the reparameterised sample
#
# `mean_try` and `logvar_try` are the encoder's outputs for the first five test images (a mean and a
# **log-variance** per latent dimension), and `eps_try` is standard normal noise of the same shape. Compute the
# reparameterised samples $z = \mu + \sigma \odot \varepsilon$, shape (5, 2).

# %%
mean_try, logvar_try = mean_test[:5].numpy(), logvar_test[:5].numpy()
eps_try = rng.standard_normal(mean_try.shape)
answer = ...  # your code: z, an array of shape (5, 2)

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    answer = mean_try + np.exp(0.5 * logvar_try) * eps_try

# %%
result = check_reparameterised_sample(answer, mean_try, logvar_try, eps_try)
assert result.passed, result
result

# %% [markdown]
# ### Try it 2: the KL term of the loss
#
# For the same five images compute $\mathrm{KL}(q_\phi(z \mid x) \,\|\, p(z))$, one number per image, from the
# closed form of section 1. Remember that `logvar_try` is $\log \sigma^2$.

# %%
answer = ...  # your code: an array of shape (5,)

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    answer = 0.5 * np.sum(np.exp(logvar_try) + mean_try**2 - 1.0 - logvar_try, axis=-1)

# %%
result = check_kl_to_prior(answer, mean_try, logvar_try)
assert result.passed, result
result

# %% [markdown]
# ### Try it 3: IWAE from log weights
#
# `log_w_try` holds the log importance weights $\log p_\theta(x, z_k) - \log q_\phi(z_k \mid x)$ of the 2-D
# model for the first five test images, $K = 100$ draws each, shape (5, 100). Compute the IWAE bound
# $\log \frac1K \sum_k w_k$ for each image, in log space (the weights are around $e^{-18}$).

# %%
log_w_try = log_w2[:5, :100]
answer = ...  # your code: an array of shape (5,)

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    answer = logsumexp(log_w_try, axis=1) - np.log(log_w_try.shape[1])

# %%
result = check_iwae_bound(answer, log_w_try)
assert result.passed, result
result

# %% [markdown]
# ## Summary
#
# - An **encoder** $q_\phi(z \mid x) = \mathcal N(\mu_\phi(x), \mathrm{diag}\, e^{v_\phi(x)})$ replaces one
#   optimisation per data point (amortisation); with the reparameterisation $z = \mu + e^{v/2} \odot \varepsilon$
#   the ELBO $\mathbb E_q[\log p_\theta(x \mid z)] - \mathrm{KL}(q_\phi \,\|\, p(z))$ is an ordinary loss for
#   $\theta$ and $\phi$ together.
# - A 2-D VAE trained in seconds on 1,437 binary digits sorts them by kind in its latent space, without labels.
# - With 2 latent dimensions, $\log p_\theta(x)$ is exact by quadrature, and ELBO ≤ IWAE$_K$ ≤ $\log p_\theta(x)$
#   held for the test images, with IWAE-$K$ rising in $K$.
# - The gap $\log p_\theta(x) - \text{ELBO}$ splits into an approximation gap (the best Gaussian is not the
#   posterior) and an amortisation gap (the encoder does not find the best Gaussian); here the second is larger.
# - An 8-D latent fits better, and its IWAE lower bound beats the exact likelihood of a factorised Bernoulli
#   model and of Bernoulli mixtures fitted by EM.
#
# **Where to go next.**
# - *Bigger data.* `helpers.data.load_mnist_binarized(cache_dir=...)` downloads the standard binarised MNIST
#   (28×28, 50,000 training images) on request, checks its SHA-256 and caches it; the same `VAE` and `train`
#   work with `data_dim=784`. Expect minutes rather than seconds on a CPU.
# - *β-VAE.* Weighting the KL term by $\beta \ne 1$ trades reconstruction against staying near the prior; the
#   objective is then no longer a bound on $\log p(x)$ for $\beta < 1$.
# - *IWAE training.* Maximising $\mathcal L_K$ instead of the ELBO (Burda et al., 2016) trains the decoder on a
#   tighter bound; the encoder then behaves as a proposal for importance sampling rather than a posterior fit.
#
# [Next: 06 · Discrete latents](06_discrete_latents.ipynb): when $z$ is discrete, as in the Bernoulli mixture
# above, the integral is a sum, exact for a mixture and exponentially long for structured latents.
