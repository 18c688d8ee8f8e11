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
# **Prerequisites:** [03 · Score-function gradients](03_score_function_gradients.ipynb) (reparameterisation),
# [04 · Jensen and the ELBO](04_jensen_and_the_elbo.ipynb) (ELBO, its two decompositions, IWAE).
# **Run time:** about 75 s on a 2-core laptop CPU, both trainings included (no pretrained weights).

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: notebook 04 fitted one q to one point; today one network fits q for every image at once, and we train it
# on real digits in seconds. Ask: what would it cost to run notebook 04's optimiser separately on each of 1,437
# images?

# %% [markdown] slideshow={"slide_type": "subslide"}
# **In this notebook you will**
# - turn per-data-point $q$'s into an encoder $q_\phi(z \mid x)$ (amortisation) and write the reparameterised
#   ELBO as a loss;
# - train a VAE with a 2-D latent on 1,437 binarised 8×8 digits and watch its train and test ELBO;
# - look at reconstructions, samples from the prior, the latent space coloured by digit, and the decoder's map
#   of $z$;
# - compute three numbers for every test image, ELBO ≤ IWAE$_K$ ≤ exact $\log p_\theta(x)$, and split the
#   gap into an **approximation gap** (even the best *diagonal* Gaussian $q$ is not the posterior) and an
#   **amortisation gap** (the encoder does not find that best $q$);
# - train an 8-D latent VAE and compare it, in nats per image, with two models whose likelihood is exact: a
#   factorised Bernoulli model (no latent at all) and a mixture of Bernoullis (a discrete latent) fitted by EM.
#
# Notation (the table of notebook 00): $p(z) = \mathcal N(0, I_k)$, decoder $p_\theta(x \mid z)$, encoder
# $q_\phi(z \mid x)$. The encoder outputs a mean and a **log-variance** $v$; the standard deviation is $e^{v/2}$,
# and $\mathrm{sigm}(a) = 1/(1 + e^{-a})$ is the logistic function. Images are $x_i$, $i = 1, \dots, N$; pixels are
# indexed by $t = 1, \dots, d$ ($d = 64$) and latent dimensions by $r = 1, \dots, k$; $M$ counts Monte Carlo
# draws and $K$ the IWAE samples. All logs are natural: every number is in nats per image.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the plan of the hour, and the notation: one letter per thing, as in notebook 00. Because the latent is 2-D
# we can compute the true log p(x) and put a number on every gap. Ask: which letter is the number of pixels?

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import stats
from scipy.ndimage import maximum_filter
from scipy.special import logsumexp
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier
from torch.distributions import Bernoulli, Normal, kl_divergence

from helpers.data import DIGITS_THRESHOLD, load_digits_binarized
from helpers.exercises import (
    check_diagonal_gap,
    check_iwae_bound,
    check_kl_to_prior,
    check_reparameterised_sample,
)
from helpers.mixtures import fit_bernoulli_mixture
from helpers.plotting import COLORS, gaussian_ellipse, labelled, show, subplots, use_course_style
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
    grid_posterior_moments,
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

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: 1,797 small scans, binarised so the decoder is a product of Bernoullis; the split is fixed and stratified,
# and the check recounts the binarisation from scikit-learn's raw counts. Ask: why binarise at all? (A Bernoulli
# decoder gives an exact, bounded log-likelihood per pixel.)

# %% slideshow={"slide_type": "subslide"}
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
show(fig, alt="The first image of each digit 0 to 9 in scikit-learn's set: top row the 8×8 ink counts as grey "
              "levels, bottom row the same images binarised, black where more than 8 of 16 sub-pixels were ink.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: top row the raw counts, bottom row what the model sees. Ask: which digits lose the most when binarised?

# %% [markdown]
# ## 1 · From one $q$ per image to an encoder
#
# In notebook 04 each data point had its own Gaussian $q$, whose mean and variance were fitted by its own loop
# of gradient steps. For $N$ images $x_1, \dots, x_N$ that is $N$ optimisation problems, and a new image starts
# from scratch.
# **Amortisation** shares the work: one network with parameters $\phi$ reads $x$ and outputs its $q$,
#
# $$q_\phi(z \mid x) = \mathcal N\big(z;\ \mu_\phi(x),\ \mathrm{diag}\, e^{v_\phi(x)}\big),$$
#
# with $\mu_\phi(x)$ the mean and $v_\phi(x)$ the log-variance (a log, so any real output is a valid variance).

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: amortisation trades N small optimisations for one network; the price is that the network may not find
# each image's best q (the amortisation gap of section 4). Ask: why output a log-variance rather than a
# variance?

# %% [markdown] slideshow={"slide_type": "subslide"}
# The decoder is a second network giving $d = 64$ logits $\ell_\theta(z)$, and
# $p_\theta(x \mid z) = \prod_{t=1}^{d} \mathrm{Bernoulli}\big(x_t;\ \mathrm{sigm}(\ell_{\theta,t}(z))\big)$, so
# $\log p_\theta(x \mid z) = \sum_{t=1}^{d} \big(x_t\, \ell_{\theta,t}(z) - \log(1 + e^{\ell_{\theta,t}(z)})\big)$.
#
# Training maximises the average ELBO over the data, in $\theta$ and $\phi$ together. With the
# reparameterisation of notebook 03, $z = \mu_\phi(x) + e^{v_\phi(x)/2} \odot \varepsilon$,
# $\varepsilon \sim \mathcal N(0, I)$, the expectation is over a distribution that does not depend on $\phi$,
# and one draw per image gives an unbiased gradient, with far less variance than the score-function
# estimator of notebook 03, of
#
# $$\mathcal L(\theta, \phi) = \frac1N \sum_{i=1}^N \Big( \mathbb E_{\varepsilon}\big[\log p_\theta\big(x_i \mid
#   \mu_\phi(x_i) + e^{v_\phi(x_i)/2} \odot \varepsilon\big)\big]
#   - \mathrm{KL}\big(q_\phi(z \mid x_i) \,\|\, p(z)\big) \Big),
# \qquad \mathrm{KL} = \tfrac12 \sum_{r=1}^{k} \big(e^{v_r} + \mu_r^2 - 1 - v_r\big).$$
#
# The loss is $-\mathcal L$ on a minibatch. Here is the 2-D latent model: 64 → 256 → 128 → (2 means, 2
# log-variances) for the encoder, and the mirror image for the decoder, with tanh in between: about 100,000
# parameters.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the whole training objective fits on one line; the KL to the prior is closed form, only the
# reconstruction term needs a sample. Ask: which of the two terms would a single draw of epsilon make noisy?

# %% slideshow={"slide_type": "subslide"}
recipe2 = DIGITS_RECIPES[2]
vae2 = recipe2.build()
print(vae2)
n_params = sum(p.numel() for p in vae2.parameters())
print(f"{n_params:,} parameters;  training settings: {recipe2.train_kwargs()}")
assert recipe2.hidden_dims == (256, 128) and 90_000 < n_params < 110_000
# The settings section 2 states (chosen on a validation split of the training images, never the test images).
assert (recipe2.epochs, recipe2.batch_size, recipe2.lr, recipe2.lr_final) == (150, 64, 1e-2, 1e-3)

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: about 100,000 parameters against 1,437 images; keep that ratio in mind when we compare train and test.
# Ask: how many numbers does one image have?

# %% [markdown] slideshow={"slide_type": "subslide"}
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
    log_lik_untrained = Bernoulli(logits=vae2.decode(z_check)).log_prob(xt_test).sum(-1)  # log p(x|z), one z each
    reference = log_lik_untrained - kl_divergence(q, Normal(0.0, 1.0)).sum(-1)
print(f"untrained model, mean one-sample ELBO on the test images: {ours.mean():.3f} nats")
torch.testing.assert_close(ours, reference)

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the code's loss and the formula agree to float precision on every test image, checked against
# torch.distributions. Ask: why check on an untrained model? (Any model will do for an identity.)

# %% [markdown]
# ## 2 · Training the 2-D latent VAE
#
# Adam (Kingma & Ba, 2015), minibatches of 64 images, 150 passes over the training set (epochs), the step size
# decaying from $10^{-2}$ to $10^{-3}$. These settings were chosen among six candidates by their IWAE bound on a
# validation split of 287 of the *training* images (`tests/benchmarks/select_digits_recipe.py`); the test images
# played no part. The bar shows the running ELBO; after every epoch we also record a one-sample ELBO on the test
# images (the test set only watches: nothing is tuned on it).

# %% tags=["nbval-ignore-output", "slide-code"]
history2 = train(vae2, x_train, x_valid=x_test, **recipe2.train_kwargs())
print(f"trained {history2.epochs} epochs in {history2.seconds:.1f} s")

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: this one call is the whole training loop: Adam on minibatches of the negative one-sample ELBO. Ask: what
# would you check first if the curve went down instead of up?

# %% slideshow={"slide_type": "subslide"}
fig, ax = subplots()
epochs = np.arange(1, history2.epochs + 1)
ax.plot(epochs, history2.train_elbo, label="train (average over the epoch's minibatches)")
ax.plot(epochs, history2.valid_elbo, ls="--", label="test (one sample per image, end of epoch)", alpha=0.8)
ax.set_ylim(min(history2.valid_elbo[10:]) - 1.5, max(history2.train_elbo) + 0.5)
ax.legend()
labelled(ax, "2-D latent VAE: ELBO during training", "epoch", "ELBO  [nats per image]")
show(fig, alt="ELBO per image against training epoch for the 2-D VAE: the training curve (solid) and the test "
              "curve (dashed) rise together for the first epochs, then the training curve keeps rising slowly "
              "while the noisier test curve levels off below it.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: one line trains the model; the settings were chosen on a validation split of the training images. The
# curves separate after about twenty epochs. Ask: what would you expect with 100 times more images?

# %% [markdown] slideshow={"slide_type": "subslide"}
# The training ELBO ends above the test ELBO, by about two nats per image (printed below, each averaged over
# many draws): with 1,437 images and about 100,000 parameters the model fits its training images better than
# new ones. Both curves are noisy estimates; the ELBO proper is an expectation over $\varepsilon$, which
# `helpers.vae.elbo` averages over $M = 1{,}000$ draws per image. The last test point of the curve should agree
# with it within its Monte Carlo error, which we estimate from the spread of one-sample ELBOs within each image.

# %%
elbo2_test = elbo(vae2, x_test, n_samples=1000, seed=0)  # (360,), nats
elbo2_train = elbo(vae2, x_train, n_samples=100, seed=0)  # (1437,), nats
with torch.no_grad():
    one_sample = vae2(xt_test, torch.randn(200, len(x_test), 2, generator=torch.Generator().manual_seed(2)))
within_var = one_sample.double().var(dim=0).mean().item()  # average over images of Var_eps[one-sample ELBO]
se_curve = np.sqrt(within_var / len(x_test))
print(f"test ELBO (1000 draws per image): {elbo2_test.mean():.2f} nats;  last curve point "
      f"{history2.valid_elbo[-1]:.2f} ± {se_curve:.2f}")
print(f"train ELBO: first epoch {history2.train_elbo[0]:.2f}, last epoch {history2.train_elbo[-1]:.2f}")
print(f"trained model: train ELBO (100 draws per image) {elbo2_train.mean():.2f}, test ELBO {elbo2_test.mean():.2f}: "
      f"difference {elbo2_train.mean() - elbo2_test.mean():.2f} nats")
assert 1.0 < elbo2_train.mean() - elbo2_test.mean() < 3.0  # "about two nats"
assert abs(history2.valid_elbo[-1] - elbo2_test.mean()) < 4 * se_curve
assert abs(one_sample.double().mean().item() - elbo2_test.mean()) < 4 * se_curve / np.sqrt(200)
assert history2.train_elbo[-1] > history2.train_elbo[0] + 5

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a curve point is one noisy draw per image; the ELBO proper averages 1,000 draws, and the two agree within
# the Monte Carlo error we estimated. Ask: is the train-test difference evidence of a bug? (No: of fitting.)

# %% [markdown]
# ### Erratum: the "reconstruction loss" is a log-likelihood, and it is maximised
#
# The source derivation says the ELBO balances
#
# > the reconstruction loss $\text{log}p_{\theta}(x \vert z)$
#
# Three things about that term are worth getting right, and the trained model shows each in numbers (test
# images, nats per image, $M = 200$ draws of $z \sim q_\phi(z \mid x)$ per image):
#
# 1. $\log p_\theta(x \mid z)$ is a **log-likelihood**, not a loss: for binary pixels every factor is a
#    probability, so it is never above 0, and it is larger the better $z$ explains $x$.
# 2. Training **maximises** it: its average rose from the untrained model's to the trained model's value
#    (printed below). What a VAE minimises is the negative ELBO.
# 3. The ELBO holds it **inside an expectation over $q_\phi(z \mid x)$**, as
#    $\mathbb E_{q}[\log p_\theta(x \mid z)]$; one draw of $z$ gives one noisy value, and the draws of one image
#    spread around that expectation by the standard deviation printed below. With the KL to the *prior*
#    (erratum 2 in notebook 00), $\mathbb E_{q}[\log p_\theta(x \mid z)] - \mathrm{KL}(q_\phi(z \mid x) \,\|\, p(z))$
#    is the ELBO of section 2.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the source calls log p(x|z) a loss. It is a log-likelihood (never above 0 here), training raises it, and
# the ELBO holds its expectation under q, not one value. Ask: what does the code minimise, then? (The negative
# ELBO.)

# %% slideshow={"slide_type": "subslide"}
with torch.no_grad():
    mean_test, logvar_test = vae2.encode(xt_test)  # q_phi(z|x) of every test image
    eps_draws = torch.randn(200, len(x_test), 2, generator=torch.Generator().manual_seed(6))
    log_lik_draws = vae2.log_likelihood(xt_test, mean_test + torch.exp(0.5 * logvar_test) * eps_draws).double()
    kl_prior = 0.5 * (torch.exp(logvar_test) + mean_test**2 - 1.0 - logvar_test).sum(-1).double()
expected_log_lik = log_lik_draws.mean(0)  # E_q[log p(x|z)] per image, (360,)
spread = log_lik_draws.std(0)  # sd over the draws of one image
print(f"largest log p(x|z) over all {log_lik_draws.numel():,} draws: {log_lik_draws.max():.2f}")
print(f"average E_q[log p(x|z)]: untrained {log_lik_untrained.mean():.2f}, trained {expected_log_lik.mean():.2f}")
print(f"sd of log p(x|z) over the draws of one image: median {spread.median():.2f} nats")
print(f"E_q[log p(x|z)] - KL(q || p(z)) = {(expected_log_lik - kl_prior).mean():.3f};  ELBO of section 2: "
      f"{elbo2_test.mean():.3f}")
se_decomposition = np.sqrt(((log_lik_draws.var(0) / 200).sum() + within_var / 1000 * len(x_test)).item()) / len(x_test)
assert log_lik_draws.max() <= 0  # a log-probability of binary data
assert expected_log_lik.mean() > log_lik_untrained.mean() + 10  # maximised by training
assert spread.median() > 1.0  # one draw is not the expectation: more than a nat of spread per image
assert abs((expected_log_lik - kl_prior).mean() - elbo2_test.mean()) < 4 * se_decomposition

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: three numbers settle the erratum: the largest value is below 0, the average rose by tens of nats with
# training, and the median image's draws spread by more than a nat. Ask: with one draw per image, would the ELBO
# estimate be biased? (No, only noisier.)

# %% [markdown]
# ## 3 · What the model learned
#
# **Reconstructions.** Encode a test image, decode the encoder's mean $\mu_\phi(x)$, and show the pixel
# probabilities $\mathrm{sigm}(\ell_\theta(\mu_\phi(x)))$. **Samples.** Draw $z \sim p(z)$ and decode: this is
# the generative model on its own, no encoder involved.

# %%
with torch.no_grad():
    recon = torch.sigmoid(vae2.decode(mean_test)).numpy()
    z_prior = torch.randn(10, 2, generator=torch.Generator().manual_seed(3))
    sample_probs = torch.sigmoid(vae2.decode(z_prior)).numpy()
sample_pixels = (rng.random(sample_probs.shape) < sample_probs).astype(float)

first_of_digit = [np.flatnonzero(y_test == c)[0] for c in range(10)]
rows = [("test image", x_test[first_of_digit]), ("reconstruction\nP(pixel on)", recon[first_of_digit]),
        ("prior sample\nP(pixel on)", sample_probs), ("prior sample\nBernoulli draw", sample_pixels)]
fig, axes = plt.subplots(4, 10, figsize=(10, 4.6))
for r, (name, images) in enumerate(rows):
    for c in range(10):
        axes[r, c].imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[r, c].set_xticks([])
        axes[r, c].set_yticks([])
    axes[r, 0].set_ylabel(name, fontsize=8)
fig.suptitle("2-D latent VAE: reconstructions of test digits, and samples from the prior")
show(fig, alt="Four rows of ten 8×8 images: the first test image of each digit 0 to 9; its reconstruction as "
              "grey pixel probabilities; ten samples from the prior as pixel probabilities; and one binary "
              "Bernoulli draw from each sample.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: reconstructions are blurry because we show pixel probabilities at the code's mean; the prior samples are
# digit-like but not all readable: a 2-D code is a strong bottleneck. Ask: why is the Bernoulli draw row
# noisier than the probability row?

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The latent map.** Left, each training image at its encoder mean $\mu_\phi(x)$, marked by its label (never
# seen by the model). Right, the decoder's image $\mathrm{sigm}(\ell_\theta(z))$ on a grid of $z$ laid out on the
# prior's quantiles, so each cell covers equal prior probability.

# %%
with torch.no_grad():
    mean_train = vae2.encode(torch.as_tensor(x_train))[0].numpy()
n_side = 15
z_axis = stats.norm.ppf(np.linspace(0.03, 0.97, n_side))
z_mesh = np.array([[a, b] for b in z_axis[::-1] for a in z_axis])  # rows from top (large z2) to bottom
with torch.no_grad():
    tiles = torch.sigmoid(vae2.decode(torch.as_tensor(z_mesh, dtype=torch.float32))).numpy()
mosaic = tiles.reshape(n_side, n_side, 8, 8).transpose(0, 2, 1, 3).reshape(8 * n_side, 8 * n_side)

fig, axes = subplots(1, 2, width=12, height=4.6)
tab10 = plt.get_cmap("tab10")
markers = "osD^v<>PX*"  # colour and marker both name the digit
for c in range(10):
    pts = mean_train[y_train == c]
    axes[0].scatter(pts[:, 0], pts[:, 1], s=9, color=tab10(c), marker=markers[c], label=str(c), alpha=0.7)
    axes[0].annotate(str(c), np.median(pts, axis=0), fontsize=15, fontweight="bold", ha="center", va="center",
                     bbox={"boxstyle": "circle,pad=0.15", "fc": "white", "ec": tab10(c), "alpha": 0.85})
axes[0].legend(title="digit", markerscale=2, fontsize=8, loc="lower right", ncols=2)
axes[0].set_aspect("equal")
labelled(axes[0], "Encoder means of the training images", "z₁", "z₂")
axes[1].imshow(mosaic, cmap="gray_r", vmin=0, vmax=1)
axes[1].set_xticks([])
axes[1].set_yticks([])
labelled(axes[1], "Decoder output sigm(ℓ(z)) on a grid of prior quantiles", "z₁ →", "z₂ →")
show(fig, alt="Left: the 2-D codes of the 1,437 training images, one colour and marker per digit; each digit "
              "forms its own region of the plane. Right: a 15 by 15 mosaic of decoded images over the same "
              "plane, changing gradually from one digit shape to the next. Most digits occupy a region of "
              "their own; 1, 2 and 8 overlap near the centre.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: no labels were used, yet the digits sort themselves; the decoder's mosaic morphs from one digit into the
# next. Ask: which digits overlap, and do their shapes explain why?

# %% slideshow={"slide_type": "subslide"}
# Two claims of the text below, measured: codes group by digit, and the decoder changes gradually along z.
knn = KNeighborsClassifier(n_neighbors=5).fit(mean_train, y_train)
knn_accuracy = knn.score(mean_test.numpy(), y_test)
tile_grid = tiles.reshape(n_side, n_side, -1)
neighbour_diff = np.mean([np.abs(tile_grid[:, 1:] - tile_grid[:, :-1]).mean(),
                          np.abs(tile_grid[1:] - tile_grid[:-1]).mean()])
pairs = rng.integers(0, len(tiles), size=(2000, 2))
random_diff = np.abs(tiles[pairs[:, 0]] - tiles[pairs[:, 1]]).mean()
print(f"test images whose 5 nearest training codes vote for their own digit: {knn_accuracy:.0%} (chance ≈ 10%)")
print(f"mosaic: mean |difference in P(pixel on)| between neighbouring tiles {neighbour_diff:.3f}, "
      f"between random tiles {random_diff:.3f}")
assert knn_accuracy > 0.6
assert neighbour_diff < 0.5 * random_diff

# %% [markdown]
# Digits of the same kind gather in the same region, with no labels used: a test image's code, classified by
# the digits of its five nearest training codes, gets its own digit for most test images (printed above; chance
# would be about 10%). The ELBO rewards codes that make an image easy to reconstruct, and similar images are
# easiest to reconstruct from nearby codes. The decoder's mosaic changes gradually: neighbouring tiles differ
# by well under half as much as two tiles picked at random.
#
# **A check on the generative model.** The probability that pixel $t$ is on under the model is
# $P_\theta(x_t = 1) = \int p(z)\,\mathrm{sigm}(\ell_{\theta,t}(z))\,dz$. We compute it two independent ways: by
# $M = 20{,}000$ Bernoulli draws from the prior (ancestral sampling, what "sampling from the VAE" means) and by
# 2-D quadrature. They must agree within the sampling error, and both should be close to the pixel frequencies
# of the training images if the model fits (within 0.03 on average over the 64 pixels, asserted).

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

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: two independent routes to the model's pixel frequencies (ancestral sampling and quadrature) agree within
# sampling error, and both match the data's. Ask: would this check catch a decoder that memorised the training
# set?

# %% [markdown]
# ## 4 · Three numbers for each test image, and where the gap comes from
#
# For the 2-D model we can compute, for every test image:
#
# 1. the **ELBO** of the encoder's $q_\phi(z \mid x)$ (what training maximised);
# 2. the **IWAE bound** $\mathcal L_K = \mathbb E\big[\log \tfrac1K \sum_{m=1}^K p_\theta(x, z_m)/q_\phi(z_m \mid x)\big]$,
#    $z_m \sim q_\phi(z \mid x)$, for $K = 1$ to $5{,}000$ (notebook 04: it rises with $K$ towards $\log p(x)$);
# 3. the **exact** $\log p_\theta(x) = \log \int p_\theta(x \mid z)\,p(z)\,dz$ by the midpoint rule on a grid
#    of $300 \times 300$ points over $[-6, 6]^2$ (`exact_log_marginal`): the decoder runs once per grid point,
#    and all 360 images are scored against those logits at once. The cell width, 0.04, is below the smallest
#    posterior standard deviation of any test image (computed on the same grid, printed below); a
#    $200 \times 200$ grid shows the value has converged.
#
# The IWAE estimates for every $K$ come from one set of 5,000 draws per image, cut into groups of $K$
# (`iwae_curve`). Their standard errors come from the spread across groups; for $K = 5{,}000$ (one group)
# we use the delta method, s.e. $\approx \mathrm{sd}(w)/(\bar w \sqrt K)$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: with a 2-D latent the exact log p(x) is a sum over 90,000 grid points, checked against a coarser grid.
# Ask: how many grid points would an 8-D latent need at the same spacing?

# %% slideshow={"slide_type": "subslide"}
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
post_mean, post_cov = grid_posterior_moments(vae2, x_test, grid=300)  # exact posterior mean and covariance
post_sd = np.sqrt(np.diagonal(post_cov, axis1=1, axis2=2))  # (360, 2)

print(f"ELBO (1000 draws)        {elbo2_test.mean():8.3f}")
for k, v, s in zip(ks, iwae2.mean(axis=1), se_iwae, strict=True):
    print(f"IWAE, K = {k:<5d}          {v:8.3f}  ± {s:.3f}")
print(f"exact log p(x), 300² grid {exact2.mean():8.3f}   (200² grid: {exact2_coarse.mean():.3f})")
print(f"largest |300² - 200²| over the images: {np.max(np.abs(exact2 - exact2_coarse)):.1e} nats")
print(f"smallest posterior standard deviation over the images and both axes: {post_sd.min():.3f} "
      f"(grid cell width {width:.3f})")

assert np.max(np.abs(exact2 - exact2_coarse)) < 1e-3  # the quadrature has converged
assert post_sd.min() > width  # every posterior is wider than a grid cell
# IWAE_1 is the ELBO. The ELBO average uses 1000 draws, not 5000, so its s.e. is at most sqrt(5) times larger.
assert abs(iwae2[0].mean() - elbo2_test.mean()) < 4 * np.sqrt(6) * se_iwae[0]
assert np.all(np.diff(iwae2.mean(axis=1)) > -3 * np.hypot(se_iwae[1:], se_iwae[:-1]))  # rises with K
assert iwae2[-1].mean() < exact2.mean() + 3 * se_iwae[-1]  # still a lower bound
assert np.all(iwae2[-1] < exact2 + 4 * se_5000)  # ... image by image, up to Monte Carlo error

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the ordering ELBO ≤ IWAE ≤ exact holds image by image; IWAE-5000 still leaves part of the gap. Ask: why
# can a larger K never lower the IWAE bound on average?

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Splitting the gap.** $\log p_\theta(x) - \text{ELBO}(q_\phi) = \mathrm{KL}(q_\phi(z \mid x) \,\|\, p_\theta(z \mid x))$.
# Two things keep this KL above zero, and we can separate them. Let $q^*_x$ be the *best* diagonal Gaussian for
# this one image, found the notebook-04 way: gradient ascent on the ELBO of that image alone, with $\theta$
# fixed (`fit_gaussian_q`). Then
#
# $$\underbrace{\log p_\theta(x) - \text{ELBO}(q_\phi)}_{\text{total gap}}
#   = \underbrace{\log p_\theta(x) - \text{ELBO}(q^*_x)}_{\text{approximation gap } \ge 0:\ \text{no diagonal Gaussian is the posterior}}
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

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the total gap is a KL to the posterior; we split it with a per-image optimum q*, searched from two starts
# because the ELBO is mode-seeking. Ask: if q* were not the true optimum, which gap would be overstated?

# %% slideshow={"slide_type": "subslide"}
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
encoder_start_loss = kl_fits["encoder"] - kl_best  # > 0 where the encoder's start led to a worse local optimum

# Monte Carlo error of an ELBO average (1000 draws per image, 360 images), doubled for safety.
se_mc = 2 * np.sqrt(within_var / 1000 / len(x_test))
assert abs(kl_encoder.mean() - (exact2 - elbo2_test).mean()) < 4 * se_mc
assert abs(kl_best.mean() - (exact2 - elbo_best).mean()) < 4 * se_mc
assert np.all(approximation_gap > 0)
# q* from the encoder's start only climbs from there, up to the noise of its stochastic steps.
assert np.all(amortisation_gap > -1e-3)
assert amortisation_gap.mean() > 10 * se_mc
assert encoder_start_loss.max() > 0.5  # for some images the encoder's q sits on the wrong mode
assert amortisation_gap.mean() > 3 * approximation_gap.mean()  # here the amortisation gap is several times larger

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: both gaps computed twice, by quadrature and by Monte Carlo, agree within the Monte Carlo error; the
# amortisation gap dominates. Ask: what would a longer training run do to each gap?

# %% [markdown] slideshow={"slide_type": "subslide"}
# **What the approximation gap is made of.** $q^*_x$ is the best *diagonal* Gaussian, and a diagonal Gaussian
# can miss the posterior in two ways. It cannot **tilt**: where $z_1$ and $z_2$ are correlated under
# $p_\theta(z \mid x)$ a diagonal $q$ pays even if the posterior is exactly Gaussian; for a Gaussian posterior
# with correlation $\rho$ the best diagonal $q$ leaves exactly $-\tfrac12 \log(1 - \rho^2)$ nats (derived in
# section 6). And no Gaussian can **bend or split**: a skewed, curved or multimodal posterior leaves a gap even
# for a Gaussian with a full covariance. The grid gives each test image's exact posterior correlation, so we can
# price the first part: if every posterior were Gaussian with its exact covariance, how much would the missing
# correlation cost?

# %% tags=["slide-code"]
post_corr = post_cov[:, 0, 1] / (post_sd[:, 0] * post_sd[:, 1])
tilt_cost = -0.5 * np.log1p(-post_corr**2)  # the approximation gap of a Gaussian posterior with this correlation

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: two things a diagonal Gaussian cannot do: tilt with a correlated posterior, and bend or split with a
# non-Gaussian one. The two lines of code price the first, as if each posterior were Gaussian. Ask: what is the
# cost at rho = 0, and as |rho| approaches 1?

# %% slideshow={"slide_type": "subslide"}
print(f"posterior correlation of z1 and z2: median |rho| {np.median(np.abs(post_corr)):.2f}, "
      f"largest {np.abs(post_corr).max():.2f}")
print(f"cost of the missing correlation, were the posteriors Gaussian: {tilt_cost.mean():.3f} nats on average; "
      f"measured approximation gap {approximation_gap.mean():.3f}")
above_line = np.mean(approximation_gap > tilt_cost)
print(f"images whose approximation gap exceeds that cost: {above_line:.0%}")

fig, ax = subplots()
ax.scatter(tilt_cost, approximation_gap, s=12, alpha=0.6, label="one test image")
top = max(tilt_cost.max(), approximation_gap.max()) * 1.05
ax.plot([0, top], [0, top], color=COLORS[7], ls="--", lw=1.2, label="gap = cost of the missing correlation")
ax.set_xscale("symlog", linthresh=0.01)
ax.set_yscale("symlog", linthresh=0.01)
ax.legend(loc="upper left")
labelled(ax, "2-D VAE: approximation gap vs what correlation alone would cost",
         "−½ log(1 − ρ²) from the exact posterior  [nats]", "approximation gap  [nats]")
show(fig, alt="Scatter of the 360 test images: horizontal axis the cost a diagonal Gaussian would pay for the "
              "exact posterior's correlation were the posterior Gaussian, vertical axis the measured approximation "
              "gap. Nearly all points lie above the diagonal line, most of them far above it where the "
              "correlation is small.")
assert above_line > 0.9  # the gap is almost always more than the tilt alone would cost ...
assert tilt_cost.mean() < 0.5 * approximation_gap.mean()  # ... and on average less than half of it is tilt

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a diagonal q cannot tilt, so even a Gaussian posterior costs -1/2 log(1 - rho^2) when its coordinates are
# correlated; the rest of the approximation gap is shape. Ask: what family of q would remove the tilt cost?
# (A full-covariance Gaussian.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Nearly every image lies above the line: its approximation gap is larger than what its posterior's correlation
# alone would cost, and on average the tilt accounts for less than half of the gap (the two averages are printed
# above). The rest is shape: skewed, curved and multimodal posteriors, which a full-covariance Gaussian could not
# follow either. So "the posterior is not Gaussian" and "q is diagonal" are both part of the answer, and here
# the first is the larger part.
#
# Between the two gaps, the amortisation gap is several times the approximation gap here (both printed above):
# a single encoder, trained for a few seconds, lands near but not on a typical image's best Gaussian, and now
# and then on the wrong mode (for some images the fit from the encoder's start ends more than half a nat worse
# than the fit from the posterior's mode, asserted above). The approximation gap is what even a perfect encoder
# would leave. Three test images make this
# visible: the exact posterior $p_\theta(z \mid x)$ (filled contours, from the grid), the encoder's $q_\phi$
# and the best $q^*_x$ (2-standard-deviation ellipses, gaps in nats in the legend). Left, the image with the
# largest amortisation gap; middle, the largest approximation gap; right, a typical image.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: tilt is the smaller part here; most of the approximation gap is shape. And the amortisation gap is
# several times the approximation gap. Ask: would a full-covariance q have helped these images much?

# %% slideshow={"slide_type": "subslide"}
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
show(fig, alt="Three panels, each the exact posterior of one test image as grey filled contours with two "
              "2-standard-deviation ellipses: the encoder's q (solid) and the best diagonal Gaussian q* "
              "(dashed). Left, the largest amortisation gap: the encoder's ellipse sits away from the posterior, "
              "q* on it. Middle, the largest approximation gap: a posterior with several separate modes, q* on "
              "one of them. Right, a typical image: both ellipses on one unimodal posterior.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: left, the encoder looked in the wrong place; middle, no single Gaussian can cover several modes; right,
# the usual case. Ask: which of the three would a better encoder fix, and which would a richer q fix?

# %% slideshow={"slide_type": "subslide"}
# What the text below says about the five largest gaps of each kind, measured on the grid.
worst_amortisation = np.argsort(amortisation_gap)[-5:]
worst_approximation = np.argsort(approximation_gap)[-5:]
worst = np.concatenate([worst_amortisation, worst_approximation])
cell_mass = dict(zip(worst, (np.exp(grid_log_joint(vae2, x_test[worst], points) - exact2[worst]) * width**2).T,
                     strict=True))  # posterior mass of each grid cell, one decoder pass for all ten images


def mass_inside(i, mean, logvar):
    # Posterior mass inside the 2-standard-deviation ellipse of the diagonal Gaussian N(mean, diag e^logvar).
    inside = (((points - mean) ** 2) * np.exp(-logvar)).sum(axis=1) < 4.0
    return cell_mass[i][inside].sum()


def n_modes(i, floor=0.01):
    # Local maxima of the posterior on the grid (3x3 neighbourhoods) above `floor` of its peak.
    density = cell_mass[i].reshape(300, 300)
    peaks = (density == maximum_filter(density, size=3)) & (density > floor * density.max())
    return int(peaks.sum())


for i in worst_amortisation:
    print(f"amortisation gap {amortisation_gap[i]:5.2f}: posterior mass inside the encoder's ellipse "
          f"{mass_inside(i, mean_test[i].numpy(), logvar_test[i].numpy()):.3f}, inside q*'s "
          f"{mass_inside(i, best_mean[i], best_logvar[i]):.3f}; approximation gap {approximation_gap[i]:.2f}")
for i in worst_approximation:
    print(f"approximation gap {approximation_gap[i]:5.2f}: {n_modes(i)} modes above 1% of the peak; posterior mass "
          f"inside q*'s ellipse {mass_inside(i, best_mean[i], best_logvar[i]):.3f}")
for i in worst_amortisation:
    assert amortisation_gap[i] > 10  # tens of nats
    assert mass_inside(i, mean_test[i].numpy(), logvar_test[i].numpy()) < 0.01  # the encoder looks elsewhere
    assert mass_inside(i, best_mean[i], best_logvar[i]) > 0.5 and approximation_gap[i] < 0.5  # q* sits on it
for i in worst_approximation:
    assert n_modes(i) >= 2  # several separate modes
    assert mass_inside(i, best_mean[i], best_logvar[i]) < 0.6  # q* holds at most about half of the mass

# %% [markdown]
# The numbers above say the same for the five largest gaps of each kind. The largest amortisation gaps, tens of
# nats, come from images the encoder places in the wrong region altogether: its 2-standard-deviation ellipse
# holds almost none of the exact posterior's mass, while a Gaussian fitted to that image alone holds most of it
# and leaves an approximation gap below half a nat. The largest approximation gaps come from posteriors with
# several separate modes (an ambiguous image that the decoder can draw from different codes): the best
# Gaussian covers one mode, its ellipse holds at most about half of the posterior's mass, and it misses the
# rest, the mode-seeking behaviour of notebook 04.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the numbers behind the picture: the worst amortisation gaps and the worst approximation gaps, measured on
# the grid. Ask: could any Gaussian fix a posterior with several separate modes?

# %% [markdown] slideshow={"slide_type": "subslide"}
# Finally the bound as a function of $K$, averaged over the test images. IWAE-$K$ climbs from the ELBO towards
# the exact value, quickly at first and then more and more slowly: each tenfold increase of $K$ gains less than
# the one before. At $K = 5{,}000$ it has closed about three quarters of the ELBO's gap (printed in section 4's
# cell above), and the rest remains. Note where the best Gaussian's ELBO sits: with 5,000 samples from the
# *encoder's* $q$, IWAE still stays below what one well-placed diagonal Gaussian achieves with the plain ELBO.

# %%
fig, ax = subplots(height=3.8)
ax.errorbar(ks, iwae2.mean(axis=1), yerr=2 * se_iwae, fmt="o-", capsize=3, label="IWAE-K (±2 s.e.)")
ax.axhline(exact2.mean(), color="k", lw=1.2, label="exact log p(x) (quadrature)")
ax.axhline(elbo2_test.mean(), color=COLORS[3], ls="--", lw=1.2, label="ELBO of the encoder")
ax.axhline((exact2 - kl_best).mean(), color=COLORS[2], ls=":", lw=1.5, label="ELBO of the best Gaussian q*")
ax.set_xscale("log")
ax.legend(loc="lower right")
labelled(ax, "2-D VAE on test digits: bounds vs the exact log-likelihood", "K (importance samples)",
         "nats per image")
show(fig, alt="Average bound per test image against K on a log axis: IWAE-K (circles, with error bars) rises "
              "from the encoder's ELBO (dashed line) towards the exact log p(x) (solid line), in smaller steps "
              "per tenfold K as K grows; the best Gaussian's ELBO is a dotted line between them.")

gain_per_decade = np.diff(iwae2.mean(axis=1)) / np.diff(np.log10(ks))
print("IWAE gain per tenfold K:", np.round(gain_per_decade, 3))
print(f"exact - IWAE-5000: {exact2.mean() - iwae2[-1].mean():.3f} ± {se_iwae[-1]:.3f};  "
      f"IWAE-5000 - ELBO(q*): {iwae2[-1].mean() - (exact2 - kl_best).mean():.3f}")
assert np.all(np.diff(gain_per_decade) < 0)  # quickly at first, then more and more slowly
assert exact2.mean() - iwae2[-1].mean() > 3 * se_iwae[-1]  # a gap remains at K = 5,000 ...
assert 0.6 < (iwae2[-1] - elbo2_test).mean() / kl_encoder.mean() < 0.9  # ... after closing about three quarters
assert iwae2[-1].mean() + 3 * se_iwae[-1] < (exact2 - kl_best).mean()  # below the best Gaussian's ELBO

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: IWAE gains less with every tenfold K and stays below the best single Gaussian's ELBO: sampling from a
# poorly placed q is an expensive way to fix it. Ask: what K would IWAE need to reach the exact value?

# %% [markdown]
# ## 5 · A larger latent space, and baselines with an exact likelihood
#
# Two dimensions are good for pictures and for quadrature, not for likelihood. The same recipe with an 8-D
# latent (quadrature would now need $300^8$ points; only the bounds remain) fits better: its IWAE-5000 is more
# than a nat above the 2-D model's, and even this *lower bound* is above the 2-D model's *exact*
# $\log p_\theta(x)$ (both asserted below). To judge the numbers, compare them with two models whose $\log p(x)$
# is exact on the same binarised images:
#
# - **factorised Bernoulli**: every pixel independent and no latent variable at all,
#   $p(x) = \prod_{t=1}^{d} \mu_t^{x_t}(1 - \mu_t)^{1 - x_t}$, with $\mu_t$ the training frequency (smoothed by
#   one pseudo-image on and one off, so no test pixel has probability 0);
# - **mixture of $J$ Bernoullis**: a latent variable model with a *discrete* latent $z \in \{1, \dots, J\}$, so
#   $p(x) = \sum_{j=1}^{J} \pi_j \prod_{t=1}^{d} \mu_{jt}^{x_t}(1 - \mu_{jt})^{1 - x_t}$ is a sum of $J$ terms,
#   fitted by EM (`helpers.mixtures`; the same pseudo-counts). Notebook 06 is about models like this one.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: beyond two latent dimensions quadrature is out, so we judge the 8-D model by its bounds, against two
# models whose likelihood is exact. Ask: why is the factorised Bernoulli a useful floor?

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "subslide"}
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
assert iwae8[1].mean() - iwae2[-1].mean() > 1.0  # IWAE-5000: z = 8 above z = 2 by more than a nat
assert iwae8[1].mean() - 3 * se_iwae8 > exact2.mean()  # a lower bound for z = 8 beats the exact z = 2 value

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the 8-D model's lower bound beats the 2-D model's exact value. Ask: why may we compare a lower bound of one
# model with the exact value of another? (If the bound wins, the true value wins by more.)

# %% [markdown] slideshow={"slide_type": "subslide"}
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
ll_mixture_train = {j: mix.log_likelihood(x_train).mean() for j, mix in mixtures.items()}
print(f"{'factorised Bernoulli (exact)':40s} {ll_factorised.mean():8.2f} nats per test image")
for j, v in ll_mixture.items():
    print(f"{f'mixture of {j} Bernoullis (exact)':40s} {v:8.2f} nats per test image   "
          f"(training images {ll_mixture_train[j]:.2f}; EM objective {mixtures[j].objective[-1]:.2f})")
js = list(mixtures)
assert ll_factorised.mean() < ll_mixture[5]
assert np.all(np.diff([ll_mixture[j] for j in js]) > 0)  # more components fit the test images better ...
assert 0 < ll_mixture[80] - ll_mixture[40] < 0.1  # ... but doubling from 40 to 80 buys under a tenth of a nat
log_prior_per_image = {j: mixtures[j].objective[-1] - ll_mixture_train[j] for j in js}  # the prior's share
print("log prior of μ per image, J = 5 ... 80:", "  ".join(f"{v:.2f}" for v in log_prior_per_image.values()))
assert np.all(np.diff([ll_mixture_train[j] for j in js]) > 0)  # training log-likelihood rises with J ...
assert np.all(np.diff([log_prior_per_image[j] for j in js]) < 0)  # ... the log prior falls with J ...
assert mixtures[80].objective[-1] < mixtures[5].objective[-1] < mixtures[20].objective[-1]  # ... not ordered

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: EM is checked by its defining property, an objective that never decreases; more components fit better,
# with diminishing returns. Ask: what is the latent variable of a mixture?

# %% [markdown] slideshow={"slide_type": "subslide"}
# All the models side by side, on the same 360 test images:

# %%
table = [("factorised Bernoulli (exact)", ll_factorised.mean()),
         ("mixture, J = 80 (largest fitted; exact)", ll_mixture[80]),
         ("VAE z = 2, ELBO", elbo2_test.mean()), ("VAE z = 2, IWAE-5000", iwae2[-1].mean()),
         ("VAE z = 2, exact log p(x)", exact2.mean()),
         ("VAE z = 8, ELBO", elbo8_test.mean()), ("VAE z = 8, IWAE-5000 (a lower bound)", iwae8[1].mean())]
for name, value in table:
    print(f"{name:40s} {value:8.2f} nats per test image")
# A lower bound on the z = 8 VAE's log p(x) beats every mixture's exact value: the VAE is better for sure.
assert iwae8[1].mean() - 3 * se_iwae8 > max(ll_mixture.values())

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: every number is in nats per test image on the same 360 images, so the table reads directly. Ask: which
# rows are exact, and which are bounds?

# %% slideshow={"slide_type": "subslide"}
fig, axes = subplots(1, 2, width=12, height=4.2)
axes[0].plot(js, [ll_mixture[j] for j in js], "o-", label="mixture of J Bernoullis (exact)")
axes[0].axhline(ll_factorised.mean(), color=COLORS[7], ls=":", label="factorised Bernoulli (exact)")
axes[0].axhline(exact2.mean(), color=COLORS[2], ls="-.", label="VAE z = 2 (exact, quadrature)")
axes[0].axhline(iwae8[1].mean(), color=COLORS[3], ls="--", label="VAE z = 8 (IWAE-5000 lower bound)")
axes[0].set_xscale("log")
axes[0].set_xticks(js, [str(j) for j in js])
axes[0].minorticks_off()
axes[0].legend(fontsize=8)
labelled(axes[0], "Test log-likelihood (higher is better)", "J (mixture components)", "nats per test image")
for j, style in zip((5, 20, 80), ("-", "--", ":"), strict=True):
    axes[1].plot(np.arange(len(mixtures[j].objective)), mixtures[j].objective, ls=style, label=f"J = {j}")
axes[1].set_ylim(min(mixtures[j].objective[1] for j in (5, 20, 80)) - 1, None)
axes[1].legend()
labelled(axes[1], "EM never decreases its objective", "EM iteration",
         "log-lik. + log prior of μ  [nats per image]")
show(fig, alt="Left: exact test log-likelihood of Bernoulli mixtures against the number of components J (5 to "
              "80, circles), rising and levelling off, with horizontal lines for the factorised Bernoulli "
              "(dotted, lowest), the 2-D VAE's exact value (dash-dot) and the 8-D VAE's IWAE lower bound "
              "(dashed, highest). Right: the EM objective against iteration for J = 5, 20 and 80, each curve "
              "rising and then flat.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the mixture levels off while even the VAE's lower bound is above it. Ask: why does the EM objective end
# lower for J = 80 than for J = 20 although its likelihood is higher?

# %% [markdown] slideshow={"slide_type": "subslide"}
# Left: the mixture improves with $J$ and then levels off: each component is one prototype image with
# independent pixel noise, and doubling from 40 to 80 prototypes buys less than a tenth of a nat on new
# images. A VAE's continuous latent lets one decoder change a digit gradually (the mosaic of section 3 moves
# from one shape to the next in small steps), which a finite set of prototypes cannot, and even the 8-D VAE's
# *lower bound* is above the exact value of every mixture fitted here. Right: what EM guarantees. With
# pseudo-counts, EM maximises the log-likelihood plus the log of the Beta prior on the pixel probabilities
# $\mu_{jt}$, and that sum never decreases from one iteration to the next (asserted above for every $J$). Where
# it ends is not ordered by $J$ ($J = 20$ ends highest of the three shown, $J = 80$ lowest): the training
# log-likelihood rises with $J$, but the log prior has one term per component and pixel and falls as $J$ grows
# (both printed above), and for $J = 80$ the prior's fall outweighs the likelihood's rise.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: prototypes cannot bend; a continuous latent can. The EM objective includes a prior that grows with the
# number of components. Ask: how would you choose J honestly? (On a validation split, not the test set.)

# %% [markdown]
# ## 6 · Try it
#
# Each exercise has an answer cell (replace the `...` after `answer_<name> =`, then run it) and a check cell
# below it that says ✔, "not attempted yet", or what looks wrong.
#
# ### Try it 1: the reparameterised sample
#
# `mean_try` and `logvar_try` are the encoder's outputs for the first five test images (a mean and a
# **log-variance** per latent dimension), and `eps_try` is standard normal noise of the same shape. Compute the
# reparameterised samples $z = \mu + \sigma \odot \varepsilon$, shape (5, 2), where $\sigma$ is the standard
# deviation.

# %% nbgrader={"grade": false, "grade_id": "reparameterised_sample", "locked": false, "schema_version": 3, "solution": true, "task": false}
mean_try, logvar_try = mean_test[:5].numpy(), logvar_test[:5].numpy()
eps_try = np.random.default_rng(7).standard_normal(mean_try.shape)
answer_reparameterised_sample = ...  # your code: z, an array of shape (5, 2)
### BEGIN SOLUTION
answer_reparameterised_sample = mean_try + np.exp(0.5 * logvar_try) * eps_try
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "reparameterised_sample_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_reparameterised_sample(answer_reparameterised_sample, mean_try, logvar_try, eps_try)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the one slip everyone makes: the standard deviation is exp(logvar / 2). Ask: what goes wrong if you use
# exp(logvar)?

# %% [markdown]
# ### Try it 2: the KL term of the loss
#
# For the same five images compute $\mathrm{KL}(q_\phi(z \mid x) \,\|\, p(z))$, one number per image, from the
# closed form of section 1. Remember that `logvar_try` is $\log \sigma^2$, the log of the variance.

# %% nbgrader={"grade": false, "grade_id": "kl_to_prior", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_kl_to_prior = ...  # your code: an array of shape (5,)
### BEGIN SOLUTION
answer_kl_to_prior = 0.5 * np.sum(np.exp(logvar_try) + mean_try**2 - 1.0 - logvar_try, axis=-1)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "kl_to_prior_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_kl_to_prior(answer_kl_to_prior, mean_try, logvar_try)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the closed form is per latent dimension, summed; the -1 is per dimension. Ask: when is this KL zero?

# %% [markdown]
# ### Try it 3: IWAE from log weights
#
# `log_w_try` holds the log importance weights $\log p_\theta(x, z_m) - \log q_\phi(z_m \mid x)$ of the 2-D
# model for the first five test images, $K = 100$ draws each, shape (5, 100). Compute the IWAE bound
# $\log \frac1K \sum_{m=1}^{K} w_m$ for each image, in log space: the weights themselves are tiny (the cell prints
# the range of their logs), and for larger images, whose log weights can lie below about $-745$, `np.exp`
# returns exactly 0 even in float64.

# %% nbgrader={"grade": false, "grade_id": "iwae_bound", "locked": false, "schema_version": 3, "solution": true, "task": false}
log_w_try = log_w2[:5, :100]
print(f"log weights from {log_w_try.min():.1f} to {log_w_try.max():.1f}")
answer_iwae_bound = ...  # your code: an array of shape (5,)
### BEGIN SOLUTION
answer_iwae_bound = logsumexp(log_w_try, axis=1) - np.log(log_w_try.shape[1])
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "iwae_bound_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_iwae_bound(answer_iwae_bound, log_w_try)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the log of a mean, not the mean of the logs; in log space with logsumexp. Ask: which of the two is the
# ELBO estimate?

# %% [markdown]
# ### On paper: the best diagonal Gaussian for a Gaussian posterior
#
# Section 4 priced the correlation a diagonal $q$ cannot follow with $-\tfrac12 \log(1 - \rho^2)$. Derive it.
# Let the posterior be $\mathcal N(m, \Sigma)$ in $k$ dimensions, with precision $\Lambda = \Sigma^{-1}$, and let
# $q = \mathcal N(\mu, \mathrm{diag}(s_1^2, \dots, s_k^2))$.
#
# (a) Write $\mathrm{KL}(q \,\|\, \mathcal N(m, \Sigma))$ and minimise it over $\mu$ and the variances $s_r^2$.
# (b) Show that the minimum, the approximation gap of the diagonal family on this posterior, is
# $\tfrac12 \big(\log\det\Sigma + \sum_{r=1}^{k} \log \Lambda_{rr}\big)$, and that for $k = 2$ it is
# $-\tfrac12 \log(1 - \rho^2)$.
# (c) Is the best $q$'s variance $s_r^2$ larger or smaller than the posterior's marginal variance $\Sigma_{rr}$?

# %% [markdown] nbgrader={"grade": false, "grade_id": "diagonal_gap_derivation", "locked": false, "schema_version": 3, "solution": true, "task": false}
# **Worked answer.** (a) With $S = \mathrm{diag}(s_1^2, \dots, s_k^2)$, the KL between two Gaussians is
#
# $$\mathrm{KL}(q \,\|\, p) = \tfrac12 \Big(\sum_{r=1}^{k} \Lambda_{rr} s_r^2 + (\mu - m)^\top \Lambda (\mu - m) - k
#   + \log\det\Sigma - \sum_{r=1}^{k} \log s_r^2\Big),$$
#
# using $\mathrm{tr}(\Lambda S) = \sum_r \Lambda_{rr} s_r^2$ because $S$ is diagonal. The quadratic term is
# $\ge 0$ and vanishes at $\mu = m$. Each $s_r^2$ appears in $\tfrac12(\Lambda_{rr} s_r^2 - \log s_r^2)$, a convex
# function minimised where its derivative $\tfrac12(\Lambda_{rr} - 1/s_r^2)$ is zero: $s_r^2 = 1/\Lambda_{rr}$.
#
# (b) Then $\sum_r \Lambda_{rr} s_r^2 = k$ cancels the $-k$, and
# $\min \mathrm{KL} = \tfrac12 \big(\log\det\Sigma + \sum_r \log \Lambda_{rr}\big)$. For $k = 2$ write
# $\Sigma_{11} = a^2$, $\Sigma_{22} = b^2$, $\Sigma_{12} = \rho a b$: $\det\Sigma = a^2 b^2 (1 - \rho^2)$,
# $\Lambda_{11} = b^2/\det\Sigma = 1/(a^2(1 - \rho^2))$ and $\Lambda_{22} = 1/(b^2(1 - \rho^2))$, so the sum of logs is
# $\log(a^2 b^2 (1 - \rho^2)) - \log(a^2 (1 - \rho^2)) - \log(b^2 (1 - \rho^2)) = -\log(1 - \rho^2)$, and the gap is
# $-\tfrac12 \log(1 - \rho^2)$: zero only when $\rho = 0$, and unbounded as $|\rho| \to 1$.
#
# (c) Smaller (or equal): $1/\Lambda_{rr}$ is the *conditional* variance of $z_r$ given the other coordinates,
# $\Sigma_{rr}$ minus what the others explain, so $1/\Lambda_{rr} \le \Sigma_{rr}$, with equality only when $z_r$ is
# uncorrelated with the rest. The best diagonal $q$ in $\mathrm{KL}(q \,\|\, p)$ is too narrow: it fits inside the
# posterior rather than covering it, the same direction of error as the mode-seeking of notebook 04.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: minimising KL(q || p) over diagonal q gives the conditional, not the marginal, variances: q is too
# narrow. Ask: which direction of KL would give the marginal variances? (KL(p || q), moment matching.)

# %% [markdown]
# ### Try it 4: the price of a diagonal $q$ in three dimensions
#
# `cov_try` is the covariance of a Gaussian posterior in $k = 3$ dimensions. Compute the approximation gap a
# diagonal Gaussian $q$ leaves on it, $\min_q \mathrm{KL}(q \,\|\, \mathcal N(m, \Sigma))$ over diagonal $q$, one
# number in nats. Before you run it, predict: is it larger or smaller than $-\tfrac12 \log(1 - \rho^2)$ summed over
# the three pairs of coordinates? (The checker tells you if your answer is that sum.)

# %% nbgrader={"grade": false, "grade_id": "diagonal_gap", "locked": false, "schema_version": 3, "solution": true, "task": false}
cov_try = np.array([[1.0, 0.6, 0.3], [0.6, 2.0, -0.5], [0.3, -0.5, 0.5]])
answer_diagonal_gap = ...  # your code: one number, in nats
### BEGIN SOLUTION
precision_try = np.linalg.inv(cov_try)
answer_diagonal_gap = 0.5 * (np.linalg.slogdet(cov_try)[1] + np.sum(np.log(np.diag(precision_try))))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "diagonal_gap_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
result = check_diagonal_gap(answer_diagonal_gap, cov_try)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the 2-D formula does not extend pair by pair; the precision matrix carries the answer. Ask for the
# prediction before anyone runs the check.

# %% [markdown]
# ## Summary
#
# - An **encoder** $q_\phi(z \mid x) = \mathcal N(\mu_\phi(x), \mathrm{diag}\, e^{v_\phi(x)})$ replaces one
#   optimisation per data point (amortisation); with the reparameterisation $z = \mu + e^{v/2} \odot \varepsilon$
#   the ELBO $\mathbb E_q[\log p_\theta(x \mid z)] - \mathrm{KL}(q_\phi \,\|\, p(z))$ is an ordinary loss for
#   $\theta$ and $\phi$ together.
# - A 2-D VAE trained in seconds on 1,437 binary digits sorts them by kind in its latent space, without labels:
#   most test images' codes sit among training codes of their own digit.
# - The term the source calls a "reconstruction loss" is the expected log-likelihood $\mathbb E_q[\log p_\theta(x \mid z)]$,
#   at most 0 and maximised by training.
# - With 2 latent dimensions, $\log p_\theta(x)$ is exact by quadrature, and ELBO ≤ IWAE$_K$ ≤ $\log p_\theta(x)$
#   held for the test images, with IWAE-$K$ rising in $K$, by less with each tenfold $K$.
# - The gap $\log p_\theta(x) - \text{ELBO}$ splits into an approximation gap (no diagonal Gaussian is the
#   posterior: it can neither tilt with a correlated posterior nor bend or split with a non-Gaussian one) and an
#   amortisation gap (the encoder does not find the best diagonal Gaussian); here the second is larger.
# - An 8-D latent fits better, and its IWAE lower bound beats the exact likelihood of a factorised Bernoulli
#   model and of every Bernoulli mixture fitted by EM here (up to $J = 80$).

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the one-line version: amortise q with an encoder, train by reparameterisation, and measure both gaps
# against an exact log p(x) whenever the latent is small enough. Ask: which gap would you attack first for this
# model, and with what?

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Where to go next.**
# - *Bigger data.* `helpers.data.load_mnist_binarized(cache_dir=...)` downloads the standard binarised MNIST
#   (28×28, 50,000 training images) on request, checks its SHA-256 and caches it; the same `VAE` and `train`
#   work with `data_dim=784`. Each epoch then sees 35 times as many images, each with 12 times as many pixels.
# - *β-VAE.* Weighting the KL term by $\beta \ne 1$ trades reconstruction against staying near the prior; the
#   objective is then no longer a bound on $\log p(x)$ for $\beta < 1$.
# - *IWAE training.* Maximising $\mathcal L_K$ instead of the ELBO (Burda et al., 2016) trains the decoder on a
#   tighter bound; the encoder's gradient signal then weakens as $K$ grows (Rainforth et al., 2018).
# - *Closing the gaps.* A full-covariance or flow $q$ attacks the approximation gap, refining the encoder's $q$
#   per image (as section 4 did) attacks the amortisation gap (Cremer et al., 2018).
#
# [Next: 06 · Discrete latents](06_discrete_latents.ipynb): when $z$ is discrete, as in the Bernoulli mixture
# above, the integral is a sum, exact for a mixture and exponentially long for structured latents.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: each of these is a one-line change to what we built today, and notebook 06 takes the discrete case.
# Ask: which of them changes the model, and which only the inference?

# %% [markdown]
# ## References
#
# - D. P. Kingma, M. Welling (2014). Auto-encoding variational Bayes. *ICLR 2014*. (The VAE and the
#   reparameterised ELBO.)
# - D. J. Rezende, S. Mohamed, D. Wierstra (2014). Stochastic backpropagation and approximate inference in deep
#   generative models. *ICML 2014*.
# - Y. Burda, R. Grosse, R. Salakhutdinov (2016). Importance weighted autoencoders. *ICLR 2016*. (The IWAE bound.)
# - C. Cremer, X. Li, D. Duvenaud (2018). Inference suboptimality in variational autoencoders. *ICML 2018*. (The
#   split of the gap into approximation and amortisation gaps.)
# - T. Rainforth, A. R. Kosiorek, T. A. Le, C. J. Maddison, M. Igl, F. Wood, Y. W. Teh (2018). Tighter variational
#   bounds are not necessarily better. *ICML 2018*.
# - D. P. Kingma, J. Ba (2015). Adam: a method for stochastic optimization. *ICLR 2015*.
# - I. Higgins, L. Matthey, A. Pal, C. Burgess, X. Glorot, M. Botvinick, S. Mohamed, A. Lerchner (2017). β-VAE:
#   learning basic visual concepts with a constrained variational framework. *ICLR 2017*.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the papers behind today's model, bound and gap split, and the optimiser. Ask: which of them would you
# read first?

# %% [markdown] slideshow={"slide_type": "subslide"}
# - E. Alpaydin, C. Kaynak (1998). Optical Recognition of Handwritten Digits. UCI Machine Learning Repository.
#   (The 8×8 digits shipped with scikit-learn.)
# - H. Larochelle, I. Murray (2011). The neural autoregressive distribution estimator. *AISTATS 2011*. (The
#   binarised MNIST of `load_mnist_binarized`.)
# - The source derivation, *Variational Inference for Latent Variable Models* (blog post, 15 September 2025), and
#   the lecture it credits: Sergey Levine, variational inference (UC Berkeley CS 285), <https://youtu.be/UTMpM4orS30>.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: Kingma & Welling and Rezende et al. for the model, Burda et al. for IWAE, Cremer et al. for the split of
# the gap. Ask: which paper would you read first to go beyond a diagonal q?
