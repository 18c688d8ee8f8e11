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
# - read the four errors in the source derivation that the course corrects.
#
# **Prerequisites:** Python and NumPy; the multivariate Gaussian; Bayes' rule.
# **Run time:** about 3 s on a 2-core laptop CPU.

# %%
import sys

import ipywidgets as widgets
import matplotlib
import numpy as np
import scipy
import torch
from scipy.stats import multivariate_normal, norm

import helpers
from helpers.exercises import check_gaussian_log_density, check_noise_covariance
from helpers.linear_gaussian import LinearGaussian

print(f"Python {sys.version.split()[0]} | NumPy {np.__version__} | SciPy {scipy.__version__} | "
      f"PyTorch {torch.__version__} | Matplotlib {matplotlib.__version__} | ipywidgets {widgets.__version__} | "
      f"helpers {helpers.__version__}")

# %% [markdown]
# ## The map
#
# The course follows one argument. A latent variable model explains data $x$ through an unobserved $z$; fitting it by
# maximum likelihood needs $\log p_\theta(x) = \log \int p_\theta(x\mid z)\,p(z)\,dz$, which is rarely computable.
# Each notebook takes one step from "we cannot compute this" to "we train a model that works anyway".
#
# | # | notebook | you leave knowing |
# |---|---|---|
# | 00 | [Start here](00_start_here.ipynb) | the map, the notation, how to run the checks |
# | 01 | [The linear-Gaussian marginal](01_linear_gaussian_marginal.ipynb) | a latent model is a continuous mixture; $p(x)=\mathcal N(b, AA^\top+\Sigma)$; the exact posterior; why a nonlinear decoder breaks the closed form |
# | 02 | [Naive Monte Carlo](02_naive_monte_carlo.ipynb) | averaging $p(x\mid z)$ over prior samples is unbiased but useless when the posterior is narrow; importance sampling fixes it |
# | 03 | [Score-function gradients](03_score_function_gradients.ipynb) | the gradient of $\log p_\theta(x)$ is a posterior expectation (Fisher's identity); score-function vs reparameterisation variance |
# | 04 | [Jensen and the ELBO](04_jensen_and_the_elbo.ipynb) | the evidence lower bound, its two decompositions, the gap $\mathrm{KL}(q\,\|\,p(z\mid x))$, IWAE; the interactive ELBO-gap explorer |
# | 05 | [The variational autoencoder](05_variational_autoencoder.ipynb) | amortised inference, a VAE trained on real digits, its ELBO, IWAE and exact $\log p(x)$ |
# | 06 | [Discrete latents](06_discrete_latents.ipynb) | sums instead of integrals, the cost of enumeration, score-function and relaxed gradients |
#
# Read them in order: each one uses the helpers and results of the previous ones.

# %% [markdown]
# ## Notation used everywhere
#
# | symbol | meaning |
# |---|---|
# | $x \in \mathbb R^d$ | an observation (a data point); $x_1, \dots, x_N$ is the data set, indexed by $i$ |
# | $z \in \mathbb R^k$ | the latent variable; Monte Carlo samples of it are $z_1, \dots, z_M$, indexed by $m$ (never $i$) |
# | $p(z)$ | the prior, $\mathcal N(0, I_k)$ unless stated; it has no parameters |
# | $p_\theta(x\mid z)$ | the likelihood or *decoder*, with generative parameters $\theta$ |
# | $p_\theta(x) = \int p_\theta(x\mid z)\,p(z)\,dz$ | the marginal likelihood or *evidence* |
# | $p_\theta(z\mid x)$ | the true posterior, $p_\theta(x\mid z)\,p(z) / p_\theta(x)$ |
# | $q_\phi(z\mid x)$ | the variational approximation to the posterior, or *encoder*, with parameters $\phi$ |
# | $\mathcal N(\mu, \Sigma)$ | a Gaussian with mean $\mu$ and **covariance** $\Sigma$: the second argument is always a (co)variance |
# | $\sigma$ | always a **standard deviation**; its variance is written $\sigma^2$. Isotropic noise is $\Sigma = \sigma^2 I$ |
# | $\mathrm{KL}(q\,\|\,p)$ | $\mathbb E_q[\log q - \log p] \ge 0$, the Kullback–Leibler divergence |
# | $K$ | the number of importance samples in the IWAE bound (notebook 04 onwards) |
#
# Logarithms are natural, so every log-likelihood is in **nats**. In code, `log_marginal`, `log_joint`,
# `posterior_cov` and friends are named for what they hold; `Sigma` is a covariance matrix and `noise_std` a
# standard deviation.
#
# The convention for σ matters: the source writes $\mathcal N(\mu(z), \sigma(z))$ without saying which it is. Here
# is the difference in numbers for one point:

# %% tags=["nbval-check-output"]
x, mu, sigma = 1.0, 0.0, 2.0
as_std = norm(loc=mu, scale=sigma).logpdf(x)            # sigma is the standard deviation
as_var = norm(loc=mu, scale=np.sqrt(sigma)).logpdf(x)   # sigma is the variance
print(f"log N(1; 0, sigma=2 as std)      = {as_std:.6f}")
print(f"log N(1; 0, sigma=2 as variance) = {as_var:.6f}")
# Independent check of the standard-deviation reading: the formula by hand.
by_hand = -0.5 * np.log(2 * np.pi * sigma**2) - 0.5 * (x - mu) ** 2 / sigma**2
assert abs(as_std - by_hand) < 1e-12 and abs(as_std - as_var) > 0.1

# %% [markdown]
# ## How the notebooks check themselves
#
# Every section ends with an `assert` that compares what the section claims with an independent computation
# (SciPy, `torch.distributions`, brute-force sums, quadrature). If a cell runs, its claim held on this machine.
# The helpers package (`helpers/`) holds the longer code so that a notebook shows one idea per cell. Here is the
# pattern, on the model of notebook 01:

# %%
model = LinearGaussian(A=[[1.0], [0.5]], b=[0.0, 1.0], Sigma=0.2 * np.eye(2))
x_obs = np.array([0.7, 1.4])
mean, cov = model.marginal()
reference = multivariate_normal(mean, cov).logpdf(x_obs)
print(f"helpers: log p(x) = {model.log_marginal(x_obs):.10f}\nSciPy:   log p(x) = {reference:.10f}")
assert abs(model.log_marginal(x_obs) - reference) < 1e-10

# %% [markdown]
# **Running the checks.** In JupyterLab, *Run → Run All Cells*: any failing claim stops with an `AssertionError`.
# From a terminal, `make test` runs every unit test and executes every notebook; to check one notebook:
#
# ```
# .venv/bin/python -m pytest notebooks/01_linear_gaussian_marginal.ipynb
# ```
#
# Cells tagged `nbval-check-output` must also print exactly the numbers that are saved in the notebook, so a change
# that shifts a result is caught.
#
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

# %% [markdown]
# ## Exercises
#
# Each notebook has "try it" exercises. An exercise is three cells: the statement, an answer cell you edit
# (replace the `...` after `answer_<name> =` with your code) and a check cell below it. Run the answer cell, then
# the check cell: it prints ✔ when your answer is right, "not attempted yet" while it is still `...`, and a hint
# about what is wrong otherwise. In your copy a check never stops *Run All*. In the instructor edition (the
# committed notebooks) the answer cells hold reference solutions between `### BEGIN SOLUTION` and
# `### END SOLUTION`; the student edition (`make student`, and the working copy `make lab` opens) has
# `# YOUR CODE HERE` there instead.
#
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

# %% [markdown]
# ## Errata: four places where the source derivation goes wrong
#
# The course follows the arc and notation of a blog derivation of the ELBO. It has four slips; each is taught, with
# numbers, where it arises.
#
# 1. **An extra prior in Fisher's identity** (notebook 03). After recognising $p_\theta(x\mid z)\,p(z)/p_\theta(x)$
#    as the posterior, the source still multiplies by $p(z)$ inside the integral. The prior has already been used up:
#    the correct statement is $\nabla_\theta \log p_\theta(x) = \mathbb E_{p_\theta(z\mid x)}[\nabla_\theta \log p_\theta(x\mid z)]$.
#    Notebook 03 evaluates both and shows the extra factor gives a different, wrong gradient.
# 2. **The wrong KL inside the ELBO** (notebook 04). The source rewrites the ELBO as
#    $\mathbb E_q[\log p(x\mid z)] - \mathrm{KL}(q\,\|\,p_\theta(z\mid x))$. The KL in the ELBO is to the *prior*:
#    $\mathrm{ELBO} = \mathbb E_{q}[\log p_\theta(x\mid z)] - \mathrm{KL}(q_\phi(z\mid x)\,\|\,p(z))$. The KL to the
#    *posterior* is the gap, $\log p_\theta(x) - \mathrm{ELBO}$. (The source's own prose, "keeps q close to p(z)",
#    describes the corrected form.) Notebook 04 checks both identities to $10^{-8}$.
# 3. **σ is ambiguous**: $\mathcal N(\mu(z), \sigma(z))$ does not say whether σ is a standard deviation or a
#    variance. In this course σ is always a standard deviation and the second argument of $\mathcal N$ a variance.
# 4. **One index for two things** (notebook 02): the Monte Carlo average reuses $i$, the index of the data set, for
#    the samples $z$. Here samples are $z_m$, $m = 1..M$, and data points $x_i$.
#
# ## Next
#
# [Next: 01 · The linear-Gaussian marginal →](01_linear_gaussian_marginal.ipynb)
