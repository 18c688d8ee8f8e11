# %% [markdown]
# # 00 · Start here: the map, the notation, and how to use this course
#
# **Variational inference for latent variable models**, taught by computation. Every identity in the course is
# computed, plotted and checked against an independent calculation, in notebooks you can run on a laptop CPU.
#
# **In this notebook you will**
# - see the route through the course and what each notebook adds;
# - fix the notation used everywhere (and settle whether σ means a standard deviation or a variance);
# - learn how the notebooks check themselves, how to run those checks, and how the widgets behave;
# - read the eight places where the source derivation goes wrong, each linked to where the course shows it.
#
# **Prerequisites:** Python and NumPy; the multivariate Gaussian; Bayes' rule.
# **Run time:** about 4 s on a 2-core laptop CPU.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: this course checks every claim it makes; the first thing to learn is how to read those checks.
# Ask: who has trained a VAE? Who could say what its loss is a bound on?

# %%
import sys

import ipywidgets as widgets
import matplotlib
import numpy as np
import scipy
import torch
from scipy.stats import multivariate_normal, norm

import helpers
from helpers.exercises import check_bits_per_dim, check_gaussian_log_density, check_noise_covariance
from helpers.linear_gaussian import LinearGaussian

print(f"Python {sys.version.split()[0]} | NumPy {np.__version__} | SciPy {scipy.__version__} | "
      f"PyTorch {torch.__version__} | Matplotlib {matplotlib.__version__} | ipywidgets {widgets.__version__} | "
      f"helpers {helpers.__version__}")

# %% [markdown]
# ## The map
#
# The course follows one argument. A latent variable model explains data $x$ through an unobserved $z$; fitting it by
# maximum likelihood needs $\log p_\theta(x) = \log \int p_\theta(x\mid z)\,p(z)\,dz$, which is rarely computable.
# Each notebook takes one step from *we cannot compute this* to *we train a model that works anyway*.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: write $\log p_\theta(x) = \log \int p_\theta(x\mid z)\,p(z)\,dz$ on the board and leave it there all course.
# Ask: for which $p_\theta(x\mid z)$ can you do this integral by hand? (Notebook 01 answers.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# | # | notebook | you leave knowing |
# |---|---|---|
# | 00 | [Start here](00_start_here.ipynb) | the map, the notation, how to run the checks |
# | 01 | [The linear-Gaussian marginal](01_linear_gaussian_marginal.ipynb) | a latent model is a continuous mixture; $p(x)=\mathcal N(b, AA^\top+\Sigma)$; the exact posterior; why a nonlinear decoder breaks the closed form |
# | 02 | [Naive Monte Carlo](02_naive_monte_carlo.ipynb) | averaging $p(x\mid z)$ over prior samples is unbiased for $p(x)$, but $\log \hat p(x)$ is biased low and needs about $e^{\mathrm{KL}}$ samples; importance sampling fixes it |
# | 03 | [Score-function gradients](03_score_function_gradients.ipynb) | the gradient of $\log p_\theta(x)$ is a posterior expectation (Fisher's identity); score-function vs reparameterisation variance |
# | 04 | [Jensen and the ELBO](04_jensen_and_the_elbo.ipynb) | the evidence lower bound, its two decompositions, the gap $\mathrm{KL}(q\,\|\,p(z\mid x))$, IWAE; the interactive ELBO-gap explorer |
# | 05 | [The variational autoencoder](05_variational_autoencoder.ipynb) | amortised inference, a VAE trained on real digits, its ELBO, IWAE and exact $\log p(x)$ |

# %% [markdown] slideshow={"slide_type": "subslide"}
# | # | notebook | you leave knowing |
# |---|---|---|
# | 06 | [Discrete latents](06_discrete_latents.ipynb) | sums instead of integrals, the cost of enumeration, score-function and relaxed gradients |
# | 07 | [Closing the gap: a full-covariance q and a few steps per image](07_closing_the_gap.ipynb) | what a full-covariance $q$ buys against the exact $\log p_\theta(x)$; the gap split into approximation and amortisation gaps; semi-amortised refinement |
# | 08 | [Normalising flows as q](08_normalising_flows.ipynb) | the change of variables, planar layers, and a flow $q$ fitted to the same posteriors as a Gaussian one |
# | 09 | [Training with the IWAE bound](09_importance_weighted_training.ipynb) | what training with $\mathcal L_K$ does to the decoder and to the encoder, which becomes a proposal |
# | 10 | [A categorical latent you can enumerate](10_categorical_latents.ipynb) | a VAE whose $\log p_\theta(x)$ and ELBO are exact sums; Gumbel-softmax vs the score function, judged by the true objective |
# | 11 | [Posterior collapse](11_posterior_collapse.ipynb) | a decoder strong enough to ignore $z$: KL per latent unit, warm-up and $\beta$, and what $\log p_\theta(x)$ says |
#
# Read them in order: each builds on the ideas, and often the models, of the ones before it.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: one argument runs through every notebook: we cannot compute log p(x), so we bound it and train the bound.
# Ask: which step do you expect to be hardest, and why?

# %% [markdown]
# ## Notation used everywhere
#
# One table for the whole course: every notebook, helper docstring and figure label follows it (a test checks the
# patterns that can be checked, such as no $\sigma$ written as a function).
#
# | symbol | meaning |
# |---|---|
# | $x$, $d$ | an observation (a data point, an image) and its dimension (pixels) |
# | $z$, $k$ | a latent vector and its dimension; discrete latents keep $z$, and notebook 06 names their count |
# | $N$, $i$ | the data-set size and its index: $x_1, \dots, x_N$, one of them $x_i$ |
# | $M$, $m$ | the Monte Carlo sample count and its index: $z_1, \dots, z_M$, one of them $z_m$ (in every notebook) |
# | $K$ | the number of importance samples in the IWAE bound, and nothing else (notebooks 04 and 05) |
# | $J$ | the number of mixture components (notebook 06) |

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: letters have one job each: M counts Monte Carlo samples, N data points, K importance samples, J mixture
# components. Ask: in $\frac1M\sum_m p(x\mid z_m)$, which letter would change if we averaged over the data instead?

# %% [markdown] slideshow={"slide_type": "subslide"}
# Parameters and distributions:
#
# | symbol | meaning |
# |---|---|
# | $\theta$, $\phi$ | the model's (decoder's) parameters and the variational (encoder's) parameters |
# | $p(z)$ | the prior, $\mathcal N(0, I_k)$ unless stated; it has no parameters |
# | $p_\theta(x\mid z)$ | the likelihood or *decoder* |
# | $p_\theta(x) = \int p_\theta(x\mid z)\,p(z)\,dz$ | the marginal likelihood or *evidence* |
# | $p_\theta(z\mid x)$ | the true posterior, $p_\theta(x\mid z)\,p(z) / p_\theta(x)$ |
# | $q_\phi(z\mid x)$ | the variational approximation to the posterior, or *encoder* |
# | $\mathcal N(\mu, \Sigma)$ | a Gaussian with mean $\mu$ and **covariance** $\Sigma$: the second argument is always a (co)variance |
# | $\sigma$ | a **standard deviation**, never anything else; its variance is $\sigma^2$, isotropic noise is $\Sigma = \sigma^2 I$ |
# | $\operatorname{sigm}(a)$ | the logistic function $1/(1 + e^{-a})$ (never written $\sigma$) |
# | $\Sigma$, $S$ | covariance matrices: $\Sigma$ of the observation noise, $S$ of the posterior |
# | $\mathrm{KL}(q\,\|\,p)$ | $\mathbb E_q[\log q - \log p] \ge 0$, the Kullback–Leibler divergence, with $q$ first when it is the variational distribution |
#
# Logarithms are natural, so every log-likelihood is in **nats**. In code, `log_marginal`, `log_joint`,
# `log_prior` and friends are named for what they hold; `Sigma` is a covariance matrix and `noise_std` a
# standard deviation.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the second argument of a Gaussian is always a (co)variance here, and σ always a standard deviation.
# Ask: the KL is not symmetric; why do we always write q first?

# %% [markdown] slideshow={"slide_type": "subslide"}
# The convention for σ matters because the source derivation is not consistent about it. (Quotations of the
# source, here and in the errata below, reproduce its words and LaTeX exactly; only math delimiters are adapted.)
# It first writes the decoder as
#
# > $p(x \vert z) = \mathcal{N}(\mu(z), \sigma(z))$ … where the mean $\mu(z)$ and standard deviation $\sigma(z)$ are functions of $z$ learned from data.
#
# so there the second argument is a standard deviation. A section later the same kind of decoder is
#
# > a Gaussian whose mean and variance are outputs of a neural netowrk. … $p(x \vert z) = \mathcal{N}(\mu_{nn}(z), \sigma_{nn}(z))$
#
# (sic), so there the second argument is a variance, which is also how $\mathcal N(\mu, \cdot)$ is usually read.
# The two readings are different densities. Here is the difference for one point:

# %% tags=["nbval-check-output"]
x, mu, sigma = 1.0, 0.0, 2.0
as_std = norm(loc=mu, scale=sigma).logpdf(x)            # sigma is the standard deviation
as_var = norm(loc=mu, scale=np.sqrt(sigma)).logpdf(x)   # sigma is the variance
print(f"log N(1; 0, sigma=2 as std)      = {as_std:.6f}")
print(f"log N(1; 0, sigma=2 as variance) = {as_var:.6f}")
# Independent check of the standard-deviation reading: the formula by hand.
by_hand = -0.5 * np.log(2 * np.pi * sigma**2) - 0.5 * (x - mu) ** 2 / sigma**2
assert abs(as_std - by_hand) < 1e-12 and abs(as_std - as_var) > 0.1

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the two readings of the same symbol change the log-density by a fifth of a nat at this one point; over the
# 784 pixels of an image such slips add up. Ask: what is the variance if the standard deviation is 0.5?

# %% [markdown]
# ## How the notebooks check themselves
#
# Wherever a section computes something it claims, an `assert` compares the claim with an independent computation
# (SciPy, `torch.distributions`, brute-force sums, quadrature). If a cell runs, its claim held on this machine.
# The helpers package (`helpers/`) holds the longer code so that a notebook shows one idea per cell. Here is the
# pattern, on the model of notebook 01:

# %% tags=["slide-code"]
A, b, Sigma = np.array([[1.0], [0.5]]), np.array([0.0, 1.0]), 0.2 * np.eye(2)
model = LinearGaussian(A=A, b=b, Sigma=Sigma)
x_obs = np.array([0.7, 1.4])
# The reference is built from A, b and Sigma directly, not from the helper's own marginal(): an independent route.
reference = multivariate_normal(b, A @ A.T + Sigma).logpdf(x_obs)
print(f"helpers: log p(x) = {model.log_marginal(x_obs):.10f}\nSciPy:   log p(x) = {reference:.10f}")
assert abs(model.log_marginal(x_obs) - reference) < 1e-10

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: an assert compares the claim with a computation that does not share its code; here SciPy evaluates the
# Gaussian built from A, b and Sigma directly. Ask: why is comparing a function with itself worthless?

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Running the checks.** In JupyterLab, *Run → Run All Cells*: any failing claim stops with an `AssertionError`.
# From a terminal, `make test` runs every unit test and executes every notebook; to check one notebook:
#
# ```
# .venv/bin/python -m pytest notebooks/01_linear_gaussian_marginal.ipynb
# ```
#
# Cells tagged `nbval-check-output` must also print exactly the numbers that are saved in the notebook, so a change
# that shifts a result is caught.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: run all cells before class; a red AssertionError means a claim failed, not that the notebook is broken.
# Ask: what should you do if a check fails after you edited a cell? (Restart the kernel and run all.)

# %% [markdown]
# ## How the widgets work
#
# Notebooks 02 and 04 have explorers: sliders and buttons wired to live computations. Moving a slider recomputes
# the numbers and redraws the figure in place. Widgets need a running kernel: on GitHub or in a static page they
# show their last saved state. If you see text such as `IntSlider(value=3)` instead of a slider, the widget
# extension is missing in your Jupyter; see *Troubleshooting* in the README. Try this one:

# %% tags=["nbval-ignore-output"]
n_slider = widgets.IntSlider(value=3, min=1, max=8, description="k")
readout = widgets.HTML()


def show_grid_cost(change=None):
    # Cost of a 50-point-per-axis grid over k latent dimensions: the theme of notebook 01.
    readout.value = f"a 50-point grid in k = {n_slider.value} dimensions has <b>{50 ** n_slider.value:,}</b> points"


n_slider.observe(show_grid_cost, names="value")
show_grid_cost()
widgets.VBox([n_slider, readout])

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: move the slider to k = 8: 50 points per axis become about 4·10^13 grid points, notebook 01's theme.
# Ask: at a million evaluations per second, how long would k = 8 take? (About a year.)

# %% [markdown]
# ## Exercises
#
# Each notebook has *Try it* exercises. An exercise is three cells: the statement, an answer cell you edit
# (replace the `...` after `answer_<name> =` with your code) and a check cell below it. Run the answer cell, then
# the check cell: it prints ✔ when your answer is right, `not attempted yet` while it is still `...`, and a hint
# about what is wrong otherwise. In your copy a check never stops *Run All*. In the instructor edition (the
# committed notebooks) the answer cells hold reference solutions between nbgrader's solution markers; the student
# edition (`make student`, and the working copy `make lab` opens) has `# YOUR CODE HERE` there instead.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: every exercise has an answer cell and a check cell; the check gives a hint, never the answer.
# Ask: what should the check say before you have written anything? (Not attempted yet.)

# %% [markdown]
# ### Try it 1: from a standard deviation to a covariance
# Observation noise in $d = 3$ dimensions has standard deviation $\sigma = 0.5$ in every coordinate, independently.
# Write its covariance matrix $\Sigma$ as a NumPy array.

# %% nbgrader={"grade": false, "grade_id": "noise_covariance", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_noise_covariance = ...  # your code: the (3, 3) covariance matrix Sigma
### BEGIN SOLUTION
answer_noise_covariance = 0.5**2 * np.eye(3)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "noise_covariance_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_noise_covariance(answer_noise_covariance, noise_std=0.5, data_dim=3)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a covariance holds variances. Ask: what goes wrong if you put sigma on the diagonal?

# %% [markdown]
# ### Try it 2: a Gaussian log-density by hand
# Compute $\log \mathcal N(x; \mu, \sigma^2)$ for $x = 2.5$, $\mu = 1$, $\sigma = 0.8$ (a standard deviation)
# using only `np.log`, `np.pi` and arithmetic.

# %% nbgrader={"grade": false, "grade_id": "gaussian_log_density", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_gaussian_log_density = ...  # your code: a float
### BEGIN SOLUTION
answer_gaussian_log_density = -0.5 * np.log(2 * np.pi * 0.8**2) - 0.5 * (2.5 - 1.0) ** 2 / 0.8**2
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "gaussian_log_density_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_gaussian_log_density(answer_gaussian_log_density, x=2.5, mean=1.0, noise_std=0.8)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: write the log-density term by term; it never underflows. Ask: which term depends on x?

# %% [markdown]
# ### Try it 3: nats, bits and bits per dimension
# Papers on image models rarely report $\log p(x)$ in nats. They report **bits per dimension**: the cost
# $-\log_2 p(x)$ of the image, in bits, divided by its number of pixels $d$. A model gives a $28\times 28$ image
# (so $d = 784$) the log-likelihood $\log p(x) = -86.2$ nats. What is that in bits per dimension? (Nothing above
# gives the formula: start from $\log_2 y = \ln y / \ln 2$.)

# %% nbgrader={"grade": false, "grade_id": "bits_per_dim", "locked": false, "schema_version": 3, "solution": true, "task": false}
log_px, d_pixels = -86.2, 28 * 28  # the log-likelihood in nats and the number of pixels
answer_bits_per_dim = ...  # your code: a float, bits per dimension
### BEGIN SOLUTION
answer_bits_per_dim = -log_px / np.log(2) / d_pixels
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "bits_per_dim_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_bits_per_dim(answer_bits_per_dim, log_px=-86.2, data_dim=28 * 28)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: bits per dimension is how image-model papers report log p(x).
# Ask: why divide by d at all? (To compare images of different sizes.)

# %% [markdown]
# ## Errata: eight places where the source derivation goes wrong
#
# The course follows the arc and notation of a blog derivation of the ELBO. Each slip below is quoted from it
# (words and LaTeX exactly; only math delimiters and alignment marks are adapted) and taught, with numbers, where it arises.
#
# 1. **An extra prior in Fisher's identity** ([notebook 03, §1](03_score_function_gradients.ipynb)). The source
#    writes
#
#    > $\nabla_{\theta} \text{log}p_{\theta}(x) = \int p_{\theta}(z \vert x) \nabla_{\theta} \text{log}p_{\theta}(x \vert z)p(z)dz$
#
#    after recognising $p_\theta(x\mid z)\,p(z)/p_\theta(x)$ as the posterior: the prior has already been used up.
#    The correct statement is $\nabla_\theta \log p_\theta(x) = \mathbb E_{p_\theta(z\mid x)}[\nabla_\theta \log p_\theta(x\mid z)]$;
#    notebook 03 evaluates both and shows the extra factor gives a different, wrong gradient.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the source is a good outline with eight slips; each is taught where it arises, with numbers.
# Ask: why does an extra p(z) inside the integral change the gradient? (It reweights the posterior.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# 2. **The wrong KL inside the ELBO** ([notebook 04, §2](04_jensen_and_the_elbo.ipynb)). The source rewrites the ELBO as
#
#    > $\text{ELBO}(\theta, \phi) = \mathbb{E}_{z \sim q_{\phi}(z \vert x)}\left[\text{log}p_{\theta}(x \vert z) - D_{KL}(q_{\phi}(z \vert x) \vert \vert p_{\theta}(z \vert x)) \right]$
#
#    The KL in the ELBO is to the *prior*:
#    $\mathrm{ELBO} = \mathbb E_{q}[\log p_\theta(x\mid z)] - \mathrm{KL}(q_\phi(z\mid x)\,\|\,p(z))$. The KL to the
#    *posterior* is the gap, $\log p_\theta(x) - \mathrm{ELBO}$. The source's own prose describes the corrected
#    form: "the KL-divergence encourages $q_{\phi}(z \vert x)$ to be close to $p(z)$". Notebook 04 checks both
#    identities to $10^{-8}$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the ELBO's KL is to the prior; the KL to the posterior is the gap. Ask: which of the two can we compute?

# %% [markdown] slideshow={"slide_type": "subslide"}
# 3. **σ is a standard deviation in one place and a variance in another** (quoted above, under *Notation*). The
#    decoder's second argument is called a standard deviation when it is introduced and a variance a section later.
#    In this course σ is always a standard deviation and the second argument of $\mathcal N$ a (co)variance.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the same symbol must not mean two things. Ask: which reading does torch.distributions.Normal use? (A standard deviation.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# 4. **One index for two things** ([notebook 02, §1](02_naive_monte_carlo.ipynb)). The Monte Carlo average
#
#    > $p(x) \approx \frac{1}{M}\sum_{i=1}^M p(x \vert z_i), \quad z_i \sim p(z)$
#
#    reuses $i$, the index of the data set $x_1, \dots, x_N$, for the samples. Here samples are $z_m$, $m = 1, \dots, M$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: i belongs to the data set, m to Monte Carlo samples. Ask: where would reusing i cause a real bug?

# %% [markdown] slideshow={"slide_type": "subslide"}
# 5. **A log-likelihood called a loss** ([notebook 05, §2](05_variational_autoencoder.ipynb), with the trained VAE's numbers). The source says
#    the ELBO balances
#
#    > the reconstruction loss $\text{log}p_{\theta}(x \vert z)$
#
#    but $\log p_\theta(x\mid z)$ is a log-likelihood, not a loss: it enters the ELBO inside an expectation over
#    $q_\phi(z\mid x)$, as $\mathbb E_q[\log p_\theta(x\mid z)]$, and it is *maximised*. The loss a VAE minimises is
#    its negative.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: we maximise E_q[log p(x|z)]; calling it a loss flips the sign. Ask: what is the VAE's loss, then?

# %% [markdown] slideshow={"slide_type": "subslide"}
# 6. **The multiply-and-divide step needs $q > 0$, not $\int q\,dz = 1$** ([notebook 04, §2](04_jensen_and_the_elbo.ipynb)). The source
#    says
#
#    > We multiply the above equation by $\frac{q_{\phi}(z \vert x)}{q_{\phi}(z \vert x)}$ and use the fact that $\int q_{\phi}(z \vert x)dz = 1$
#
#    Multiplying and dividing by $q$ is allowed only where $q > 0$, so the rewrite
#    $\int p_\theta(x, z)\,dz = \mathbb E_q[p_\theta(x, z)/q_\phi(z\mid x)]$ needs $q_\phi(z\mid x) > 0$ wherever
#    $p_\theta(x, z) > 0$; the normalisation $\int q\,dz = 1$ is never used. Where $q$ is zero, the expectation
#    silently drops that part of the integral.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: dividing by q is only safe where q > 0. Ask: what does a q with too small a support do to the bound?

# %% [markdown] slideshow={"slide_type": "subslide"}
# 7. **Maximising the ELBO need not maximise $p(x)$** ([notebook 04, §6](04_jensen_and_the_elbo.ipynb)). The source says
#
#    > To maximize $p_{\theta}(x)$, we can maximize the ELBO with respect to $\theta$ and $\phi$.
#
#    Since $\mathrm{ELBO} = \log p_\theta(x) - \mathrm{KL}(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x))$, raising the ELBO
#    over $\theta$ can shrink the gap (a model whose posterior is easier for $q$ to fit) instead of raising
#    $\log p_\theta(x)$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a higher ELBO can come from a smaller gap rather than a higher log p(x). Ask: how would you tell which happened?

# %% [markdown] slideshow={"slide_type": "subslide"}
# 8. **Differentiable in φ, but not by differentiating samples** ([notebook 04, §4](04_jensen_and_the_elbo.ipynb); the
#    estimators are in [notebook 03, §3 and §5](03_score_function_gradients.ipynb)). The source says of the ELBO
#
#    > It is a differentiable function of $\theta$ and $\phi$, and can be used to train the model.
#
#    The ELBO is an expectation under $q_\phi$, so its samples depend on $\phi$. Draw $z_m \sim q_\phi$, hold them
#    fixed and differentiate a Monte Carlo estimate of the ELBO: only $-\nabla_\phi \log q_\phi(z_m)$ is left, whose
#    expectation is zero, so that is not the gradient. A correct gradient needs an estimator: the score function
#    $\mathbb E_q[f(z)\,\nabla_\phi \log q_\phi(z\mid x)]$ ($f$ the ELBO's integrand) or the reparameterisation
#    $z = \mu_\phi + \sigma_\phi\varepsilon$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a sample's gradient says nothing about how q_phi moved the samples; an estimator is needed.
# Ask: which estimator do you expect to have lower variance, and why?

# %% [markdown]
# ## Next
#
# [Next: 01 · The linear-Gaussian marginal →](01_linear_gaussian_marginal.ipynb)

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: next time we meet the one model whose integral is exact. Ask: read 01's title cell before class.

# %% [markdown]
# ## References
#
# - The source derivation: *Variational Inference for Latent Variable Models*, a blog post (15 September 2025) whose
#   arc and notation the course follows. It credits its intuition to Sergey Levine's lectures on variational
#   inference (UC Berkeley CS 285, <https://youtu.be/UTMpM4orS30>).
# - D. M. Blei, A. Kucukelbir, J. D. McAuliffe (2017). Variational inference: a review for statisticians.
#   *Journal of the American Statistical Association* 112(518), 859–877.
# - D. P. Kingma, M. Welling (2014). Auto-encoding variational Bayes. *ICLR 2014*.
# - D. J. Rezende, S. Mohamed, D. Wierstra (2014). Stochastic backpropagation and approximate inference in deep
#   generative models. *ICML 2014*.
# - Y. Burda, R. Grosse, R. Salakhutdinov (2016). Importance weighted autoencoders. *ICLR 2016*.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: Blei et al. is the review to read first; Kingma & Welling and Rezende et al. introduced the VAE.
# Ask: which of these would you read before notebook 04?
