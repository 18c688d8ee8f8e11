# %% [markdown]
# # 01 · The linear-Gaussian marginal: a latent model you can integrate exactly
#
# **In this notebook you will**
# - sample from a latent variable model and see it as a *continuous mixture*: each $z$ selects a Gaussian over $x$;
# - derive $p(x) = \mathcal N(b, AA^\top + \Sigma)$ step by step and check it against 200,000 samples and SciPy;
# - compute the exact posterior $p(z\mid x)$ and check it against Bayes' rule on a grid;
# - see why a nonlinear decoder breaks the closed form, and why numerical integration over $z$ costs $G^k$.
#
# **Prerequisites:** [00 · Start here](00_start_here.ipynb) (notation); Gaussian identities.
# **Run time:** about 6 s on a 2-core laptop CPU.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import multivariate_normal, norm

from helpers.exercises import check_marginal_cov, check_posterior_mean_1d
from helpers.linear_gaussian import LinearGaussian, random_model
from helpers.nonlinear import TanhDecoderModel
from helpers.plotting import gaussian_ellipse, labelled, subplots, use_course_style
from helpers.quadrature import grid_log_marginal

use_course_style()
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1 · The generative story
#
# A latent variable model generates data in two steps. First draw a latent code from a fixed prior,
# $z \sim p(z) = \mathcal N(0, I_k)$; then draw the observation given the code,
# $x \mid z \sim p_\theta(x\mid z) = \mathcal N(Az + b, \Sigma)$, i.e. $x = Az + b + \varepsilon$ with
# $\varepsilon \sim \mathcal N(0, \Sigma)$. Here $\theta = (A, b, \Sigma)$ and $\Sigma$ is a covariance matrix.
#
# Take one latent dimension ($k = 1$) and two data dimensions ($d = 2$), so we can see everything.

# %%
A = np.array([[1.6], [0.9]])
b = np.array([0.5, -0.3])
Sigma = np.array([[0.30, 0.12], [0.12, 0.20]])
model = LinearGaussian(A, b, Sigma)
z, x = model.sample(2_000, rng)
print(model, "| z:", z.shape, "| x:", x.shape)

# %% [markdown]
# Each value of $z$ picks one Gaussian, $\mathcal N(Az+b, \Sigma)$, centred on the line $\{Az + b\}$. The data cloud
# is what you get by sweeping $z$ over its prior: a *continuous mixture* of these Gaussians, weighted by $p(z)$.
# Below, points are coloured by the $z$ that generated them and the ellipses are the 2-σ contours of $p(x\mid z)$
# for five values of $z$.

# %%
fig, ax = subplots(width=7.5, height=5.0)
cmap = plt.get_cmap("coolwarm")
norm_z = plt.Normalize(-2.5, 2.5)
points = ax.scatter(x[:, 0], x[:, 1], c=z[:, 0], cmap=cmap, norm=norm_z, s=6, alpha=0.5)
for z_value in [-2.0, -1.0, 0.0, 1.0, 2.0]:
    centre = A[:, 0] * z_value + b
    gaussian_ellipse(ax, centre, Sigma, n_std=2, color=cmap(norm_z(z_value)), lw=2.5)
    ax.plot(*centre, "o", color=cmap(norm_z(z_value)), mec="k")
line_z = np.linspace(-2.8, 2.8, 2)
ax.plot(A[0, 0] * line_z + b[0], A[1, 0] * line_z + b[1], "k--", lw=1, label="means $Az+b$")
gaussian_ellipse(ax, *model.marginal(), n_std=2, color="k", lw=1.5, ls=":", label="2-σ contour of $p(x)$")
fig.colorbar(points, ax=ax, label="latent $z$ that generated the point")
ax.set_aspect("equal")
ax.legend(loc="upper left")
labelled(ax, "Each z selects a Gaussian: p(x) is their mixture", "$x_1$", "$x_2$")
plt.show()

# %% [markdown]
# ## 2 · The marginal in closed form
#
# Write $x = Az + b + \varepsilon$ with $z$ and $\varepsilon$ independent Gaussians. Then:
#
# 1. **Gaussian.** $(z, \varepsilon)$ is jointly Gaussian and $x$ is an affine function of it, so $x$ is Gaussian;
#    it is fixed by its mean and covariance.
# 2. **Mean.** $\mathbb E[x] = A\,\mathbb E[z] + b + \mathbb E[\varepsilon] = A\cdot 0 + b + 0 = b$.
# 3. **Covariance.** $\mathrm{Cov}[x] = A\,\mathrm{Cov}[z]\,A^\top + \mathrm{Cov}[\varepsilon] = A I A^\top + \Sigma$,
#    the cross terms vanishing because $z$ and $\varepsilon$ are independent.
#
# So $p(x) = \int \mathcal N(x; Az+b, \Sigma)\,\mathcal N(z; 0, I)\,dz = \mathcal N(x;\, b,\, AA^\top + \Sigma)$.
# First check: the moments of 200,000 samples, with a tolerance of five standard errors (which shrink like
# $1/\sqrt n$).

# %% tags=["nbval-check-output"]
n = 200_000
_, x_big = model.sample(n, np.random.default_rng(1))
mean, cov = model.marginal()
sample_mean, sample_cov = x_big.mean(axis=0), np.cov(x_big, rowvar=False)
se_mean = np.sqrt(np.diag(cov) / n)
se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)  # std of a Gaussian sample covariance
print("closed-form mean ", np.round(mean, 4), "   sample mean ", np.round(sample_mean, 4))
print("closed-form cov  ", np.round(cov, 4).tolist(), "\nsample cov       ", np.round(sample_cov, 4).tolist())
print(f"largest error in units of its standard error: mean {np.max(np.abs(sample_mean - mean) / se_mean):.2f}, "
      f"cov {np.max(np.abs(sample_cov - cov) / se_cov):.2f}")
assert np.all(np.abs(sample_mean - mean) < 5 * se_mean)
assert np.all(np.abs(sample_cov - cov) < 5 * se_cov)

# %% [markdown]
# Second check: the log-density. `log_marginal` uses a Cholesky factor of $AA^\top+\Sigma$; SciPy computes the
# same density its own way. We also integrate the mixture directly: $\int p(x\mid z)\,p(z)\,dz$ by quadrature over $z$,
# which does not use the closed form at all.

# %% tags=["nbval-check-output"]
x_test = x[:5]
ours = model.log_marginal(x_test)
scipy_ref = multivariate_normal(b, A @ A.T + Sigma).logpdf(x_test)
by_integration = grid_log_marginal(lambda zg: model.log_joint(x_test[None], zg[:, None]), 1, 2_000, 8.0)
for row in zip(ours, scipy_ref, by_integration, strict=True):
    print("log p(x): closed form {:.8f} | SciPy {:.8f} | integral over z {:.8f}".format(*row))
assert np.max(np.abs(ours - scipy_ref)) < 1e-10
assert np.max(np.abs(ours - by_integration)) < 1e-8

# %% [markdown]
# The formula is general: the same checks pass for random models with more latent and data dimensions.

# %%
for k, d in [(2, 5), (4, 10), (6, 3)]:
    m = random_model(k, d, np.random.default_rng(k * 10 + d))
    xs = m.sample(50, np.random.default_rng(3))[1]
    err = np.max(np.abs(m.log_marginal(xs) - multivariate_normal(*m.marginal()).logpdf(xs)))
    print(f"k={k}, d={d:2d}: max |log p(x) - SciPy| = {err:.1e}")
    assert err < 1e-9

# %% [markdown]
# ## 3 · The exact posterior
#
# Bayes' rule turns the model around: having seen $x$, which codes $z$ could have produced it?
# $p(z\mid x) = p(x\mid z)\,p(z) / p(x)$. Both factors in the numerator are Gaussian in $z$, so the posterior is
# Gaussian too. Completing the square in $z$ gives
#
# $$p(z\mid x) = \mathcal N\big(z;\; S A^\top\Sigma^{-1}(x-b),\; S\big), \qquad S = (I + A^\top \Sigma^{-1} A)^{-1}.$$
#
# The posterior precision is the prior precision $I$ plus what the data add, $A^\top\Sigma^{-1}A$; the posterior
# covariance does not depend on $x$. Pick an observation and compare prior and posterior:

# %%
x_obs = np.array([2.4, 0.9])
post_mean, post_cov = model.posterior(x_obs)
z_grid = np.linspace(-4, 4, 2001)[:, None]
# Bayes' rule on a grid, normalised by the *closed-form* log p(x): an independent route to the posterior density.
bayes_on_grid = np.exp(model.log_likelihood(x_obs, z_grid) + model.log_prior(z_grid) - model.log_marginal(x_obs))
posterior_density = norm(post_mean[0], np.sqrt(post_cov[0, 0])).pdf(z_grid[:, 0])

fig, ax = subplots()
ax.plot(z_grid, norm.pdf(z_grid[:, 0]), label="prior $p(z)$")
ax.plot(z_grid, posterior_density, label=r"posterior $p(z\mid x)$, closed form")
ax.plot(z_grid[::80], bayes_on_grid[::80], "o", ms=5, color="k", label=r"$p(x\mid z)p(z)/p(x)$ on a grid")
labelled(ax, f"What x = {x_obs.tolist()} says about z", "latent $z$", "density")
ax.legend()
plt.show()

print(f"posterior mean {post_mean[0]:.4f}, posterior std {np.sqrt(post_cov[0, 0]):.4f} (prior: 0, 1)")
assert np.max(np.abs(bayes_on_grid - posterior_density)) < 1e-10
assert abs(np.sum(bayes_on_grid) * (z_grid[1, 0] - z_grid[0, 0]) - 1.0) < 1e-6  # it integrates to one

# %% [markdown]
# The posterior is far narrower than the prior: one observation pins $z$ down. Remember this picture; in notebook 02
# it is exactly why sampling $z$ from the *prior* to estimate $p(x)$ wastes almost every sample.
#
# ## 4 · Why a nonlinear decoder breaks the closed form
#
# Replace the straight line of means by a curve: $\mu(z) = W_2 \tanh(W_1 z + c_1) + c_2$, a two-layer network
# with fixed random weights, and $p(x\mid z) = \mathcal N(\mu(z), \sigma^2 I)$ with $\sigma = 0.3$ a standard deviation.
# $x$ is no longer an affine function of Gaussians, so $p(x)$ is not Gaussian and the integral has no closed form.
# The continuous-mixture picture still holds: each $z$ selects a Gaussian, now centred on a curve.

# %%
curved = TanhDecoderModel(latent_dim=1, data_dim=2, hidden=16, noise_std=0.3, seed=4)
z_c, x_c = curved.sample(3_000, np.random.default_rng(5))
z_line = np.linspace(-3, 3, 400)[:, None]
mu_line = curved.decoder_mean(z_line)
lo, hi = x_c.min(axis=0) - 1.0, x_c.max(axis=0) + 1.0

fig, axes = subplots(1, 2, width=12, height=4.8)
axes[0].scatter(x_c[:, 0], x_c[:, 1], c=z_c[:, 0], cmap=cmap, norm=norm_z, s=5, alpha=0.5)
axes[0].plot(mu_line[:, 0], mu_line[:, 1], "k-", lw=1.5, label=r"decoder means $\mu(z)$")
for z_value in [-2.0, -1.0, 0.0, 1.0, 2.0]:
    gaussian_ellipse(axes[0], curved.decoder_mean(np.array([z_value])), 0.3**2 * np.eye(2), n_std=2,
                     color=cmap(norm_z(z_value)), lw=2.5)
for ax in axes:
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
axes[0].legend(loc="best")
labelled(axes[0], "A nonlinear decoder: a curved mixture", "$x_1$", "$x_2$")

# log p(x) on a grid of x values, each by quadrature over z: visibly non-Gaussian.
g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 90), np.linspace(lo[1], hi[1], 90))
x_grid = np.stack([g1.ravel(), g2.ravel()], axis=-1)
log_px_grid = grid_log_marginal(lambda zg: curved.log_joint(x_grid[None], zg[:, None]), 1, 400, 7.0, chunk_size=50)
contour = axes[1].contourf(g1, g2, np.exp(log_px_grid).reshape(g1.shape), levels=20, cmap="viridis")
fig.colorbar(contour, ax=axes[1], label="$p(x)$")
labelled(axes[1], "p(x) by quadrature over z (not a Gaussian)", "$x_1$", "$x_2$")
plt.show()
assert np.all(np.isfinite(log_px_grid))
# The quadrature density integrates to one over x (up to the mass outside the plotted box).
cell = (g1[0, 1] - g1[0, 0]) * (g2[1, 0] - g2[0, 0])
print(f"integral of p(x) over the box: {np.exp(log_px_grid).sum() * cell:.4f}")
assert 0.98 < np.exp(log_px_grid).sum() * cell < 1.0 + 1e-3

# %% [markdown]
# With one latent dimension, quadrature is cheap and converges fast. Here is $\log p(x)$ for one point as the grid
# is refined, for $k=1$ and a $k=2$ version of the same kind of decoder:

# %% tags=["nbval-check-output"]
x_one = x_c[0]
curved_2d = TanhDecoderModel(latent_dim=2, data_dim=2, hidden=16, noise_std=0.3, seed=4)
x_two = curved_2d.sample(1, np.random.default_rng(6))[1][0]
for n_points in [10, 20, 40, 80, 160, 320]:
    one = grid_log_marginal(lambda zg: curved.log_joint(x_one, zg), 1, n_points, 6.0)
    two = grid_log_marginal(lambda zg: curved_2d.log_joint(x_two, zg), 2, n_points, 6.0)
    print(f"G = {n_points:3d} points per axis: k=1 log p(x) = {one:.8f} ({n_points:>6,} evals) | "
          f"k=2 log p(x) = {two:.8f} ({n_points**2:>7,} evals)")
fine_1 = grid_log_marginal(lambda zg: curved.log_joint(x_one, zg), 1, 4000, 6.0)
fine_2 = grid_log_marginal(lambda zg: curved_2d.log_joint(x_two, zg), 2, 1000, 6.0)
assert abs(one - fine_1) < 1e-8 and abs(two - fine_2) < 1e-6

# %% [markdown]
# ### The curse of dimension
#
# A grid with $G$ points per axis has $G^k$ points. To see the cost honestly we need the exact answer, so we time
# quadrature on linear-Gaussian models (where $\log p(x)$ is known) of growing latent dimension $k$: how many
# evaluations does it take to get within $10^{-3}$ nats, and how wrong is it at a fixed budget of $10^5$ evaluations?

# %%
tolerance, budget = 1e-3, 100_000
needed, seconds, budget_error = {}, {}, {}
for k in range(1, 7):
    m = random_model(k, k + 3, np.random.default_rng(100 + k), noise_std=0.6)
    x_k = m.sample(1, 5)[1][0]
    exact = m.log_marginal(x_k)
    n_budget = int(np.floor(budget ** (1 / k) + 1e-9))
    budget_error[k] = abs(grid_log_marginal(lambda zg, m=m, x_k=x_k: m.log_joint(x_k, zg), k, n_budget, 6.0) - exact)
    if k <= 4:  # beyond k = 4 the search itself takes minutes: that is the point
        for n_points in range(4, 80, 2):
            start = time.perf_counter()
            est = grid_log_marginal(lambda zg, m=m, x_k=x_k: m.log_joint(x_k, zg), k, n_points, 6.0)
            if abs(est - exact) < tolerance:
                needed[k], seconds[k] = n_points**k, time.perf_counter() - start
                break
for k in needed:
    print(f"k = {k}: {needed[k]:>10,} evaluations ({round(needed[k] ** (1 / k))} per axis) "
          f"to reach {tolerance:g} nats")
for k, err in budget_error.items():
    print(f"k = {k}: error with {budget:,} evaluations = {err:.2e} nats")
assert all(needed[k + 1] > 10 * needed[k] for k in range(1, 4))  # at least tenfold per extra dimension
assert budget_error[6] > 1e3 * budget_error[2]

# %%
ks = np.array(sorted(needed))
per_axis = np.mean([needed[k] ** (1 / k) for k in ks])
k_more = np.arange(1, 11)
fig, axes = subplots(1, 2, width=12, height=4.4)
axes[0].semilogy(ks, [needed[k] for k in ks], "o-", label="measured")
axes[0].semilogy(k_more, per_axis**k_more, "--", color="grey", label=f"extrapolated: {per_axis:.0f}$^k$")
axes[0].axhline(1e9, color="C3", lw=1, ls=":", label="$10^9$ evaluations (minutes on a laptop)")
axes[0].legend()
labelled(axes[0], f"Evaluations to reach {tolerance:g} nats", "latent dimension $k$", "grid evaluations")
# An error of exactly 0 (k = 2 here) cannot go on a log axis: show it at double precision, 1e-16.
errors = np.maximum(np.array(list(budget_error.values())), 1e-16)
axes[1].semilogy(list(budget_error), errors, "o-", color="C3")
axes[1].axhline(1e-16, color="grey", lw=1, ls=":", label="double precision (errors below are drawn here)")
axes[1].legend(loc="lower right")
labelled(axes[1], f"Error at a fixed budget of {budget:,} evaluations", "latent dimension $k$",
         r"$|\log \hat p(x) - \log p(x)|$ (nats)")
plt.show()

# %% [markdown]
# About 35 points per axis suffice for any $k$ here, but $35^{10} \approx 3\times 10^{15}$: a ten-dimensional latent
# (small for images) is already out of reach, and a VAE's decoder makes every one of those evaluations a network
# pass. We need methods whose cost does not grow like $G^k$: sampling (notebook 02) and, when sampling from the
# prior fails, variational inference (notebooks 03–05).
#
# ## Exercises
#
# ### Try it 1: the marginal covariance
# For the model below, write the covariance of $p(x)$ using only `A`, `Sigma` and matrix operations.

# %%
A_ex = np.array([[1.0, -0.5], [0.3, 2.0], [0.0, 1.0]])
Sigma_ex = np.diag([0.5, 0.2, 0.1])
answer = ...  # your code: a (3, 3) array

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    answer = A_ex @ A_ex.T + Sigma_ex

# %%
result = check_marginal_cov(answer, A_ex, Sigma_ex)
assert result.passed, result
result

# %% [markdown]
# ### Try it 2: the posterior mean by hand
# With scalar $z$ and $x$: $p(z) = \mathcal N(0, 1)$, $p(x\mid z) = \mathcal N(az + b, s^2)$ with $a = 2$, $b = 1$,
# noise variance $s^2 = 0.5$. You observe $x = 4$. Specialise the posterior formula above to scalars and compute
# $\mathbb E[z\mid x]$. (Hint: $S = 1/(1 + a^2/s^2)$.)

# %%
answer = ...  # your code: a float

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    a, b_scalar, noise_var, x_scalar = 2.0, 1.0, 0.5, 4.0
    answer = (1 / (1 + a**2 / noise_var)) * a * (x_scalar - b_scalar) / noise_var

# %%
result = check_posterior_mean_1d(answer, a=2.0, b=1.0, noise_var=0.5, x=4.0)
assert result.passed, result
result

# %% [markdown]
# ## Summary
#
# - A latent variable model is a continuous mixture: $p(x) = \int p_\theta(x\mid z)\,p(z)\,dz$, each $z$ selecting one
#   component.
# - With a linear decoder and Gaussian noise the integral is exact: $p(x) = \mathcal N(b, AA^\top+\Sigma)$, and the
#   posterior is Gaussian with covariance $(I + A^\top\Sigma^{-1}A)^{-1}$. We checked both against samples, SciPy and
#   Bayes' rule on a grid.
# - A nonlinear decoder leaves only numerical integration, whose grid cost grows like $G^k$: fine for $k \le 3$,
#   hopeless by $k \approx 10$.
#
# [Next: 02 · Naive Monte Carlo →](02_naive_monte_carlo.ipynb)
