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
# **Run time:** about 10 s on a 2-core laptop CPU.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: today we pick the one latent variable model whose integral we *can* do, so that every later approximation
# has an exact answer to be measured against. Ask: who has seen probabilistic PCA? (It is this model.)

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import multivariate_normal, norm

from helpers.exercises import check_marginal_cov, check_posterior_mean_1d, check_posterior_mean_by_conditioning
from helpers.linear_gaussian import LinearGaussian, random_model
from helpers.nonlinear import TanhDecoderModel
from helpers.plotting import gaussian_ellipse, labelled, show, subplots, use_course_style
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

# %% tags=["slide-code"]
A = np.array([[1.6], [0.9]])
b = np.array([0.5, -0.3])
Sigma = np.array([[0.30, 0.12], [0.12, 0.20]])
model = LinearGaussian(A, b, Sigma)
z, x = model.sample(2_000, rng)
print(model, "| z:", z.shape, "| x:", x.shape)

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: two lines of code are the whole model: a prior and a Gaussian whose mean moves with $z$.
# Ask: what is the shape of $A$ when $k = 1$ and $d = 2$? What does $b$ do?

# %% [markdown] slideshow={"slide_type": "subslide"}
# Each value of $z$ picks one Gaussian, $\mathcal N(Az+b, \Sigma)$, centred on the line $\{Az + b\}$. The data cloud
# is what you get by sweeping $z$ over its prior: a *continuous mixture* of these Gaussians, weighted by $p(z)$.
# Below, points are coloured by the $z$ that generated them; the labelled ellipses are the 2-standard-deviation
# contours of $p(x\mid z)$ for five values of $z$, and the dotted one is that of $p(x)$.

# %%
fig, ax = subplots(width=7.5, height=4.6)
cmap = plt.get_cmap("viridis")
norm_z = plt.Normalize(-2.5, 3.0)  # stops short of viridis's pale yellow, so every ellipse shows on white
points = ax.scatter(x[:, 0], x[:, 1], c=z[:, 0], cmap=cmap, norm=norm_z, s=6, alpha=0.45)
for z_value in [-2.0, -1.0, 0.0, 1.0, 2.0]:
    centre = A[:, 0] * z_value + b
    gaussian_ellipse(ax, centre, Sigma, n_std=2, color=cmap(norm_z(z_value)), lw=2.5)
    ax.plot(*centre, "o", color=cmap(norm_z(z_value)), mec="k")
    # Labels name each ellipse's z, so reading the figure does not depend on telling the colours apart.
    ax.annotate(f"z = {z_value:g}", centre, xytext=(10, -16), textcoords="offset points", fontsize=9,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
line_z = np.linspace(-2.8, 2.8, 2)
ax.plot(A[0, 0] * line_z + b[0], A[1, 0] * line_z + b[1], "k--", lw=1, label="means $Az+b$")
gaussian_ellipse(ax, *model.marginal(), n_std=2, color="k", lw=1.5, ls=":", label="2-sd contour of $p(x)$")
fig.colorbar(points, ax=ax, label="latent $z$ that generated the point")
ax.set_aspect("equal")
ax.legend(loc="upper left")
labelled(ax, "Each z selects a Gaussian: p(x) is their mixture", "$x_1$", "$x_2$")
show(fig, alt="Scatter of 2,000 samples in the (x1, x2) plane, coloured by their latent z, lying along the "
              "dashed line of means Az+b; five solid ellipses, labelled z = -2 to +2, are the 2-standard-deviation "
              "contours of p(x|z) centred on that line, and a dotted ellipse enclosing them is the contour of p(x).")

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: each ellipse is one component of the mixture; the dotted ellipse is what is left after integrating $z$ out.
# Ask: if $\Sigma$ shrank to zero, what would the data cloud look like? (A line segment: a degenerate $p(x)$.)

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

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: three lines, and each uses one fact: affine maps keep Gaussians Gaussian; expectations are linear;
# covariances of independent sums add. Ask: which step would fail if $\varepsilon$ depended on $z$?

# %% [markdown] slideshow={"slide_type": "subslide"}
# First check: the moments of $M = 200{,}000$ samples, with a tolerance of five standard errors (which shrink like
# $1/\sqrt M$).

# %% tags=["nbval-check-output"]
M = 200_000
_, x_big = model.sample(M, np.random.default_rng(1))
mean, cov = model.marginal()
sample_mean, sample_cov = x_big.mean(axis=0), np.cov(x_big, rowvar=False)
se_mean = np.sqrt(np.diag(cov) / M)
se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / M)  # std of a Gaussian sample covariance
print("closed-form mean ", np.round(mean, 4), "   sample mean ", np.round(sample_mean, 4))
print("closed-form cov  ", np.round(cov, 4).tolist(), "\nsample cov       ", np.round(sample_cov, 4).tolist())
print(f"largest error in units of its standard error: mean {np.max(np.abs(sample_mean - mean) / se_mean):.2f}, "
      f"cov {np.max(np.abs(sample_cov - cov) / se_cov):.2f}")
assert np.all(np.abs(sample_mean - mean) < 5 * se_mean)
assert np.all(np.abs(sample_cov - cov) < 5 * se_cov)

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a sample check is only as sharp as its standard error, so we state the tolerance in standard errors.
# Ask: with 100 times more samples, how much tighter would this check be? (Ten times.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Second check: the log-density. `log_marginal` uses a Cholesky factor of $AA^\top+\Sigma$; SciPy computes the
# density of $\mathcal N(b, AA^\top+\Sigma)$ its own way. We also integrate the mixture directly:
# $\int p(x\mid z)\,p(z)\,dz$ by quadrature over $z$, which does not use the closed form at all.

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
# The closed form holds in any dimension: for random models with more latent and data dimensions, `log_marginal`
# agrees with SciPy's density of $\mathcal N(b, AA^\top+\Sigma)$, built here from $A$, $b$ and $\Sigma$ directly.

# %%
for k, d in [(2, 5), (4, 10), (6, 3)]:
    m = random_model(k, d, np.random.default_rng(k * 10 + d))
    xs = m.sample(50, np.random.default_rng(3))[1]
    reference = multivariate_normal(m.b, m.A @ m.A.T + m.Sigma).logpdf(xs)
    err = np.max(np.abs(m.log_marginal(xs) - reference))
    print(f"k={k}, d={d:2d}: max |log p(x) - SciPy| = {err:.1e}")
    assert err < 1e-9

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: three independent routes (samples, SciPy, quadrature over $z$) agree to eight decimals or to within sampling
# error. Ask: why is quadrature over $z$ the most convincing of the three? (It never uses the formula.)

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

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the exponent of $p(x\mid z)\,p(z)$ is a quadratic in $z$; completing the square reads off its mean and
# covariance. Ask: what happens to $S$ as the noise $\Sigma$ grows? (It returns to the prior's $I$.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Below: the prior, the closed-form posterior, and Bayes' rule evaluated on a grid of $z$ (normalised by the exact
# $p(x)$), which does not use the formula for $S$.

# %%
x_obs = np.array([2.4, 0.9])
post_mean, post_cov = model.posterior(x_obs)
z_grid = np.linspace(-4, 4, 2001)[:, None]
# Bayes' rule on a grid, normalised by the *closed-form* log p(x): an independent route to the posterior density.
bayes_on_grid = np.exp(model.log_likelihood(x_obs, z_grid) + model.log_prior(z_grid) - model.log_marginal(x_obs))
posterior_density = norm(post_mean[0], np.sqrt(post_cov[0, 0])).pdf(z_grid[:, 0])

fig, ax = subplots(height=3.6)
ax.plot(z_grid, norm.pdf(z_grid[:, 0]), "--", label="prior $p(z)$")
ax.plot(z_grid, posterior_density, "-", label=r"posterior $p(z\mid x)$, closed form")
ax.plot(z_grid[::80], bayes_on_grid[::80], "o", ms=5, color="k", label=r"$p(x\mid z)p(z)/p(x)$ on a grid")
labelled(ax, f"What x = {x_obs.tolist()} says about z", "latent $z$", "density")
ax.legend()
show(fig, alt="Densities over the latent z: the dashed prior N(0, 1) is wide and centred at 0; the solid "
              "closed-form posterior is a narrow peak near z = 1.1, and black dots from Bayes' rule on a grid lie "
              "exactly on it.")

post_std = np.sqrt(post_cov[0, 0])
print(f"posterior mean {post_mean[0]:.4f}, posterior std {post_std:.4f} (prior: 0, 1)")
assert np.max(np.abs(bayes_on_grid - posterior_density)) < 1e-10
assert abs(np.sum(bayes_on_grid) * (z_grid[1, 0] - z_grid[0, 0]) - 1.0) < 1e-6  # it integrates to one
# S straight from its formula (an explicit inverse is fine for a check), and the same S at another x.
S_formula = np.linalg.inv(np.eye(1) + A.T @ np.linalg.solve(Sigma, A))
assert np.allclose(post_cov, S_formula, atol=1e-12)
assert np.allclose(model.posterior(np.array([-3.0, 5.0]))[1], post_cov, atol=1e-12)  # S does not depend on x

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the dots are Bayes' rule evaluated pointwise; they never use the formula for $S$, yet land on the curve.
# Ask: where is the posterior mean relative to the least-squares fit of $z$ to $x$? (Shrunk towards 0.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The posterior's standard deviation is about a third of the prior's: one two-dimensional observation already says
# a lot about $z$. How much of the prior lands where the posterior is? The share of prior samples inside the
# posterior's central 95% interval, exactly (normal CDF) and by counting 100,000 prior draws:

# %%
lo_95, hi_95 = post_mean[0] + np.array([-1.96, 1.96]) * post_std
share_exact = norm.cdf(hi_95) - norm.cdf(lo_95)
prior_draws = np.random.default_rng(2).standard_normal(100_000)
share_counted = np.mean((prior_draws > lo_95) & (prior_draws < hi_95))
print(f"posterior std / prior std = {post_std:.3f}")
print(f"share of prior mass in the posterior's 95% interval [{lo_95:.2f}, {hi_95:.2f}]: "
      f"{share_exact:.3f} (CDF), {share_counted:.3f} (counted)")
assert 0.25 < post_std < 0.4  # "about a third"
assert abs(share_exact - share_counted) < 5 * np.sqrt(share_exact * (1 - share_exact) / 100_000)
assert share_exact < 0.3

# %% [markdown]
# Fewer than three prior samples in ten fall where the posterior puts 95% of its mass, with a single latent
# dimension. Remember this picture: in notebook 02 the posterior narrows further (more data dimensions, less
# noise), that share collapses, and it is exactly why sampling $z$ from the *prior* to estimate $p(x)$ wastes
# almost every sample.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the posterior is narrow *relative to the prior*; that ratio, not the absolute width, decides how useful prior
# samples are. Ask: with $d = 20$ observed coordinates instead of 2, would the share go up or down? (Down.)

# %% [markdown]
# ## 4 · Why a nonlinear decoder breaks the closed form
#
# Replace the straight line of means by a curve: $\mu(z) = W_2 \tanh(W_1 z + c_1) + c_2$, a two-layer network
# with fixed random weights, and $p(x\mid z) = \mathcal N(\mu(z), \sigma^2 I)$ with $\sigma = 0.3$ a standard deviation.
#
# What fails is the integral over $z$. In §2 and §3 the exponent of $p(x\mid z)\,p(z)$ was a quadratic in $z$, so
# completing the square turned $\int p(x\mid z)\,p(z)\,dz$ into a Gaussian integral with a known value. Now the
# exponent is $-\lVert x - W_2\tanh(W_1 z + c_1) - c_2\rVert^2 / (2\sigma^2) - \lVert z\rVert^2/2$: not a quadratic in
# $z$, and no identity turns the integral of its exponential into a formula. (That $p(x)$ is not Gaussian is not
# the reason: a mixture of $J$ Gaussians is not Gaussian either, yet its $p(x)$ is an exact sum of $J$ terms,
# notebook 06.) The continuous-mixture picture still holds: each $z$ selects a Gaussian, now centred on a curve.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the source says a non-Gaussian $p(x)$ has no closed form; that is a non sequitur. The real obstacle is an
# integrand that is not the exponential of a quadratic in $z$. Ask: name a non-Gaussian $p(x)$ you can compute.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The exponent in numbers: fit a quadratic in $z$ to $\log p(x, z)$ on a grid of $z$ for one observation. For the
# linear-Gaussian model it fits to rounding error; for the tanh decoder it misses by whole nats.

# %% tags=["slide-code"]
curved = TanhDecoderModel(latent_dim=1, data_dim=2, hidden=16, noise_std=0.3, seed=4)
z_fit = np.linspace(-3, 3, 301)


def quadratic_misfit(log_joint_of_z):
    """Largest gap (nats) between log p(x, z) on the grid and its best-fitting quadratic in z."""
    values = log_joint_of_z(z_fit[:, None])
    return np.max(np.abs(values - np.polyval(np.polyfit(z_fit, values, 2), z_fit)))


x_curved = curved.sample(1, np.random.default_rng(7))[1][0]  # one observation from the tanh model
misfit_linear = quadratic_misfit(lambda zg: model.log_joint(x_obs, zg))
misfit_tanh = quadratic_misfit(lambda zg: curved.log_joint(x_curved, zg))
print(f"largest misfit of a quadratic in z: linear decoder {misfit_linear:.1e} nats, tanh decoder {misfit_tanh:.2f} nats")
assert misfit_linear < 1e-8 and misfit_tanh > 1.0

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a quadratic fits the linear model's log-joint to rounding error and misses the tanh model's by nats:
# that, not a non-Gaussian $p(x)$, is what ends the closed form. Ask: what shape is $\log p(x, z)$ in $z$ now?

# %% [markdown] slideshow={"slide_type": "subslide"}
# The curved mixture and its marginal, computed by quadrature over $z$ at every point of a grid of $x$ values:

# %%
z_c, x_c = curved.sample(3_000, np.random.default_rng(5))
z_line = np.linspace(-3, 3, 400)[:, None]
mu_line = curved.decoder_mean(z_line)
lo, hi = x_c.min(axis=0) - 1.0, x_c.max(axis=0) + 1.0

fig, axes = subplots(1, 2, width=9, height=4.4)
axes[0].scatter(x_c[:, 0], x_c[:, 1], c=z_c[:, 0], cmap=cmap, norm=norm_z, s=5, alpha=0.45)
axes[0].plot(mu_line[:, 0], mu_line[:, 1], "k-", lw=1.5, label=r"decoder means $\mu(z)$")
for z_value in [-2.0, 0.0, 2.0]:
    centre = curved.decoder_mean(np.array([z_value]))
    gaussian_ellipse(axes[0], centre, 0.3**2 * np.eye(2), n_std=2, color=cmap(norm_z(z_value)), lw=2.5)
    axes[0].annotate(f"z = {z_value:g}", centre + np.array([0.65, 0.0]), va="center", fontsize=9,
                     bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
for ax in axes:
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
axes[0].legend(loc="upper right")
labelled(axes[0], "A nonlinear decoder: a curved mixture", "$x_1$", "$x_2$")

# log p(x) on a grid of x values, each by quadrature over z.
g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 90), np.linspace(lo[1], hi[1], 90))
x_grid = np.stack([g1.ravel(), g2.ravel()], axis=-1)
log_px_grid = grid_log_marginal(lambda zg: curved.log_joint(x_grid[None], zg[:, None]), 1, 400, 7.0, chunk_size=50)
contour = axes[1].contourf(g1, g2, np.exp(log_px_grid).reshape(g1.shape), levels=20, cmap="viridis")
fig.colorbar(contour, ax=axes[1], label="$p(x)$")
labelled(axes[1], "p(x) by quadrature over z (not a Gaussian)", "$x_1$", "$x_2$")
show(fig, alt="Left: 3,000 samples from the tanh decoder spread around a curved black line of decoder means, with "
              "circles of radius two standard deviations at z = -2, 0 and +2. Right: the density p(x) computed by "
              "quadrature over z on a grid: a curved, lopsided ridge with its highest peak at the lower right, "
              "not an ellipse.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: left, the mixture components move along a curve; right, the density they add up to.
# Ask: is this $p(x)$ unimodal? Where would a Gaussian put its mean?

# %% [markdown] slideshow={"slide_type": "subslide"}
# Two checks on that picture. The quadrature density integrates to one over the plotted box (up to the mass
# outside it), and it is far from a Gaussian: its total variation distance from the Gaussian with the same mean and
# covariance, $\tfrac12\int |p(x) - \mathcal N(x; \bar x, C)|\,dx$, is about a quarter: a quarter of the probability
# mass would have to move to turn one into the other.

# %%
cell = (g1[0, 1] - g1[0, 0]) * (g2[1, 0] - g2[0, 0])
p_grid = np.exp(log_px_grid)
mass = p_grid.sum() * cell
grid_mean = (p_grid[:, None] * x_grid).sum(axis=0) * cell / mass
centred = x_grid - grid_mean
grid_cov = (p_grid[:, None, None] * centred[:, :, None] * centred[:, None, :]).sum(axis=0) * cell / mass
matched = multivariate_normal(grid_mean, grid_cov).pdf(x_grid)
total_variation = 0.5 * np.abs(p_grid / mass - matched).sum() * cell
print(f"integral of p(x) over the box: {mass:.4f}")
print(f"total variation distance from the moment-matched Gaussian: {total_variation:.3f} (0 = same, 1 = disjoint)")
assert np.all(np.isfinite(log_px_grid))
assert 0.98 < mass < 1.0 + 1e-3
assert 0.2 < total_variation < 0.3  # "about a quarter"

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: quadrature still works here because $z$ is one-dimensional. Ask: where on the right panel would a Gaussian
# fitted to these samples put too much mass? (Between the two arms of the ridge.)

# %% [markdown]
# ### Quadrature in one and two latent dimensions
#
# Quadrature converges fast as the grid is refined. Here is $\log p(x)$ for one point with $G$ points per axis, for
# $k=1$ and a $k=2$ version of the same kind of decoder, against a much finer grid: both agree to $10^{-6}$ nats by
# $G = 160$, which costs 160 evaluations for $k = 1$ and $160^2 = 25{,}600$ for $k = 2$.

# %% tags=["nbval-check-output"]
x_one = x_c[0]
curved_2d = TanhDecoderModel(latent_dim=2, data_dim=2, hidden=16, noise_std=0.3, seed=4)
x_two = curved_2d.sample(1, np.random.default_rng(6))[1][0]
fine_1 = grid_log_marginal(lambda zg: curved.log_joint(x_one, zg), 1, 4000, 6.0)
fine_2 = grid_log_marginal(lambda zg: curved_2d.log_joint(x_two, zg), 2, 1000, 6.0)
error_1, error_2 = {}, {}
for G in [10, 20, 40, 80, 160, 320]:
    one = grid_log_marginal(lambda zg: curved.log_joint(x_one, zg), 1, G, 6.0)
    two = grid_log_marginal(lambda zg: curved_2d.log_joint(x_two, zg), 2, G, 6.0)
    error_1[G], error_2[G] = abs(one - fine_1), abs(two - fine_2)
    print(f"G = {G:3d} points per axis: k=1 log p(x) = {one:.8f} ({G:>6,} evals) | "
          f"k=2 log p(x) = {two:.8f} ({G**2:>7,} evals)")
assert error_1[160] < 1e-6 and error_2[160] < 1e-6
assert error_1[20] > 1e-3 and error_2[20] > 1e-3  # refining the grid matters: coarse grids are visibly off

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the error falls quickly with $G$; what grows is the number of evaluations, $G^k$.
# Ask: how many evaluations would the same accuracy need with $k = 3$?

# %% [markdown]
# ### The curse of dimension
#
# A grid with $G$ points per axis has $G^k$ points. To see the cost honestly we need the exact answer, so we time
# quadrature on linear-Gaussian models (where $\log p(x)$ is known) of growing latent dimension $k$: how many
# evaluations does it take to get within $10^{-3}$ nats, and how wrong is it at a fixed budget of $10^5$ evaluations?

# %%
tolerance, budget = 1e-3, 100_000
needed, seconds, budget_error, budget_points = {}, {}, {}, {}
for k in range(1, 7):
    m = random_model(k, k + 3, np.random.default_rng(100 + k), noise_std=0.6)
    x_k = m.sample(1, 5)[1][0]
    exact = m.log_marginal(x_k)
    budget_points[k] = int(np.floor(budget ** (1 / k) + 1e-9))
    budget_error[k] = abs(grid_log_marginal(lambda zg, m=m, x_k=x_k: m.log_joint(x_k, zg), k,
                                            budget_points[k], 6.0) - exact)
    if k <= 4:  # for k = 5 the search alone would need about 10^8 evaluations: that is the point
        for G in range(4, 80, 2):
            start = time.perf_counter()
            est = grid_log_marginal(lambda zg, m=m, x_k=x_k: m.log_joint(x_k, zg), k, G, 6.0)
            if abs(est - exact) < tolerance:
                needed[k], seconds[k] = G**k, time.perf_counter() - start
                break
for k in needed:
    print(f"k = {k}: {needed[k]:>10,} evaluations ({round(needed[k] ** (1 / k))} per axis) "
          f"to reach {tolerance:g} nats")
for k, err in budget_error.items():
    print(f"k = {k}: error with {budget:,} evaluations ({budget_points[k]:,} per axis) = {err:.2e} nats")
assert all(needed[k + 1] > 10 * needed[k] for k in range(1, 4))  # at least tenfold per extra dimension
assert all(30 <= needed[k] ** (1 / k) <= 40 for k in needed)  # "between 30 and 40 points per axis"
assert budget_error[1] < 1e-12 and budget_error[2] < 1e-12 and budget_error[3] < 1e-4
assert all(budget_error[k] > 0.3 for k in (4, 5, 6))
assert [budget_points[k] for k in (3, 4, 5, 6)] == [46, 17, 10, 6]  # quoted in the text below

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the number of points per axis barely changes with $k$; the total is what explodes.
# Ask: at a fixed budget, why does the error jump between $k = 3$ and $k = 4$? (46 points per axis become 17.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Between 30 and 40 points per axis reach $10^{-3}$ nats for every $k$ measured, so the cost is about
# $\bar G^k$ with $\bar G$ their average. At the fixed budget of $10^5$ evaluations the grid is exact to rounding
# for $k \le 2$ and within $10^{-4}$ nats at $k = 3$ (46 points per axis), but off by more than 0.3 nats from
# $k = 4$ on (17 points per axis, then 10 and 6). Extrapolated with the evaluation rate measured here:

# %%
ks = np.array(sorted(needed))
per_axis = np.mean([needed[k] ** (1 / k) for k in ks])
rate = needed[4] / seconds[4]  # grid evaluations per second, from the largest grid timed above
years_at_k10 = per_axis**10 / rate / 3.15e7
print(f"average points per axis: {per_axis:.1f}; k = 10 needs {per_axis**10:.1e} evaluations")
print(f"measured rate {rate:.1e} evaluations/s: 10^9 evaluations take {1e9 / rate / 60:.0f} minutes, "
      f"k = 10 would take {years_at_k10:.0f} years on this machine")
assert 1e15 < per_axis**10 < 1e16 and years_at_k10 > 1

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the points per axis hardly change with $k$; the exponent does the damage. The time printed depends on
# this machine. Ask: how many points per axis does $10^5$ evaluations buy at $k = 6$? (Six.)

# %% slideshow={"slide_type": "subslide"}
k_more = np.arange(1, 11)
fig, axes = subplots(1, 2, width=11, height=4.0)
axes[0].semilogy(ks, [needed[k] for k in ks], "o-", label="measured")
axes[0].semilogy(k_more, per_axis**k_more, "--", color="grey", label=rf"extrapolated: ${per_axis:.0f}^k$")
axes[0].axhline(1e9, color="C3", lw=1, ls=":", label="$10^9$ evaluations")
axes[0].legend()
labelled(axes[0], f"Evaluations to reach {tolerance:g} nats", "latent dimension $k$", "grid evaluations")
# An error of exactly 0 (k = 2 here) cannot go on a log axis: show it at double precision, 1e-16.
errors = np.maximum(np.array(list(budget_error.values())), 1e-16)
axes[1].semilogy(list(budget_error), errors, "o-", color="C3")
axes[1].axhline(1e-16, color="grey", lw=1, ls=":")
axes[1].text(6, 2e-16, "double precision: errors below it are drawn on it", ha="right", va="bottom", fontsize=9)
labelled(axes[1], f"Error at a fixed budget of {budget:,} evaluations", "latent dimension $k$",
         r"$|\log \hat p(x) - \log p(x)|$ (nats)")
show(fig, alt="Left: on a log scale, the grid evaluations needed to reach 0.001 nats grow as a straight line in "
              "the latent dimension k, measured for k = 1 to 4 and extrapolated to about 10^15 at k = 10, far "
              "above a dotted line at 10^9 evaluations. Right: the error at a fixed budget of 100,000 "
              "evaluations is at rounding level for k = 1 and 2, about 1e-5 nats at k = 3 and above 0.3 nats for "
              "k = 4 to 6.")

# %% [markdown]
# A ten-dimensional latent (small for images) is out of reach, and a VAE's decoder makes every one of those
# evaluations a network pass. We need methods whose cost does not grow like $G^k$: sampling (notebook 02), and
# when sampling from the prior fails, importance sampling (02) and variational inference (04 and 05), with the
# gradients of notebook 03.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: this is the whole motivation for the rest of the course. Ask: does Monte Carlo escape the curse for free?
# (Its error does not grow like $G^k$, but notebook 02 shows what it costs when the posterior is narrow.)

# %% [markdown]
# ## Exercises
#
# ### Try it 1: the marginal covariance
# For the model below, write the covariance of $p(x)$ using only `A_ex`, `Sigma_ex` and matrix operations.

# %% nbgrader={"grade": false, "grade_id": "marginal_cov", "locked": false, "schema_version": 3, "solution": true, "task": false}
A_ex = np.array([[1.0, -0.5], [0.3, 2.0], [0.0, 1.0]])  # k = 2 latent dimensions, d = 3 data dimensions
Sigma_ex = np.diag([0.5, 0.2, 0.1])
answer_marginal_cov = ...  # your code: a (3, 3) array
### BEGIN SOLUTION
answer_marginal_cov = A_ex @ A_ex.T + Sigma_ex
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "marginal_cov_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_marginal_cov(answer_marginal_cov, A_ex, Sigma_ex)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: shapes first: p(x) lives in data space, so its covariance is d x d.
# Ask: where does each of the two terms come from?

# %% [markdown]
# ### Try it 2: the posterior mean by hand
# With scalar $z$ and $x$: $p(z) = \mathcal N(0, 1)$, $p(x\mid z) = \mathcal N(az + b, \sigma^2)$ with $a = 2$, $b = 1$
# and noise variance $\sigma^2 = 0.5$. You observe $x = 4$. Specialise the posterior formula of §3 to scalars and
# compute $\mathbb E[z\mid x]$. (Hint: $S = 1/(1 + a^2/\sigma^2)$.)

# %% nbgrader={"grade": false, "grade_id": "posterior_mean_1d", "locked": false, "schema_version": 3, "solution": true, "task": false}
a, b_scalar, noise_var, x_scalar = 2.0, 1.0, 0.5, 4.0
answer_posterior_mean_1d = ...  # your code: a float
### BEGIN SOLUTION
answer_posterior_mean_1d = (1 / (1 + a**2 / noise_var)) * a * (x_scalar - b_scalar) / noise_var
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "posterior_mean_1d_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_posterior_mean_1d(answer_posterior_mean_1d, a=2.0, b=1.0, noise_var=0.5, x=4.0)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the posterior mean shrinks the least-squares answer (x - b)/a towards the prior mean 0.
# Ask: what happens as the noise variance goes to 0?

# %% [markdown]
# ### Try it 3: the posterior by another route, conditioning the joint Gaussian
# §3 found $p(z\mid x)$ by completing the square. There is a second route, not shown above: $(z, x)$ is jointly
# Gaussian, and for any jointly Gaussian pair
# $\mathbb E[z\mid x] = \mathbb E[z] + \mathrm{Cov}(z, x)\,\mathrm{Cov}(x)^{-1}\,(x - \mathbb E[x])$.
# Work out the cross-covariance $\mathrm{Cov}(z, x)$ from $x = Az + b + \varepsilon$ (a $k \times d$ matrix), then
# compute $\mathbb E[z\mid x]$ this way for the model of Try it 1 with $b$ and $x$ below. Do not call
# `model.posterior`; use `np.linalg.solve` rather than an inverse.

# %% nbgrader={"grade": false, "grade_id": "posterior_by_conditioning", "locked": false, "schema_version": 3, "solution": true, "task": false}
b_ex = np.array([0.5, -1.0, 0.0])
x_ex = np.array([1.0, 2.0, 0.5])
answer_posterior_by_conditioning = ...  # your code: E[z | x_ex], an array of shape (2,)
### BEGIN SOLUTION
cross_cov = A_ex.T  # Cov(z, x) = E[z (Az + eps)^T] = Cov(z) A^T = A^T, since z and eps are independent
answer_posterior_by_conditioning = cross_cov @ np.linalg.solve(A_ex @ A_ex.T + Sigma_ex, x_ex - b_ex)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "posterior_by_conditioning_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
result = check_posterior_mean_by_conditioning(answer_posterior_by_conditioning, A_ex, b_ex, Sigma_ex, x_ex)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: two routes to one posterior; the next slide proves they agree.
# Ask: what is Cov(z, x), and why is it k x d?

# %% [markdown]
# ### On paper: why the two routes agree
# Completing the square gave the posterior mean $S A^\top \Sigma^{-1}(x - b)$ with $S = (I + A^\top\Sigma^{-1}A)^{-1}$;
# conditioning gave $A^\top (AA^\top + \Sigma)^{-1}(x - b)$. Show that
# $S A^\top \Sigma^{-1} = A^\top (AA^\top + \Sigma)^{-1}$ for every $A$ and every positive definite $\Sigma$.
# (Hint: multiply $A^\top$ by $I + A^\top\Sigma^{-1}A$ on the left.) Which of the two inverses is cheaper when
# $k \ll d$?

# %% [markdown] nbgrader={"grade": false, "grade_id": "push_through_derivation", "locked": false, "schema_version": 3, "solution": true, "task": false}
# **Worked answer.** Multiply out:
# $(I + A^\top\Sigma^{-1}A)\,A^\top = A^\top + A^\top\Sigma^{-1}AA^\top = A^\top\Sigma^{-1}(\Sigma + AA^\top)$.
# Both $I + A^\top\Sigma^{-1}A$ (positive definite, $k\times k$) and $\Sigma + AA^\top$ (positive definite,
# $d\times d$) are invertible; multiply on the left by $S = (I + A^\top\Sigma^{-1}A)^{-1}$ and on the right by
# $(AA^\top + \Sigma)^{-1}$:
# $A^\top (AA^\top + \Sigma)^{-1} = S A^\top \Sigma^{-1}$. $\blacksquare$
#
# Conditioning solves a $d\times d$ system; completing the square solves a $k\times k$ one (plus solves with
# $\Sigma$, cheap when $\Sigma$ is diagonal), so completing the square is the cheaper route when $k \ll d$: this is why
# `LinearGaussian.posterior` factorises $I + A^\top\Sigma^{-1}A$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: give the room time to try before showing the worked answer (instructor edition only); the numeric check
# below holds either way. Ask: for a VAE-like model with k = 16 and d = 784, which side would you compute?

# %% [markdown]
# The identity, checked numerically on random models of several shapes (each side computed with its own solves):

# %%
for k, d in [(1, 2), (2, 5), (5, 3), (4, 12)]:
    m = random_model(k, d, np.random.default_rng(200 + 10 * k + d))
    S = np.linalg.inv(np.eye(k) + m.A.T @ np.linalg.solve(m.Sigma, m.A))
    left = S @ np.linalg.solve(m.Sigma, m.A).T  # S A^T Sigma^{-1} (Sigma is symmetric)
    right = np.linalg.solve(m.A @ m.A.T + m.Sigma, m.A).T  # A^T (A A^T + Sigma)^{-1}
    print(f"k={k}, d={d:2d}: max |S A^T Sigma^-1 - A^T (A A^T + Sigma)^-1| = {np.max(np.abs(left - right)):.1e}")
    assert np.allclose(left, right, atol=1e-10)

# %% [markdown]
# ## Summary
#
# - A latent variable model is a continuous mixture: $p(x) = \int p_\theta(x\mid z)\,p(z)\,dz$, each $z$ selecting one
#   component.
# - With a linear decoder and Gaussian noise the integral is exact: $p(x) = \mathcal N(b, AA^\top+\Sigma)$, and the
#   posterior is Gaussian with covariance $(I + A^\top\Sigma^{-1}A)^{-1}$. We checked both against samples, SciPy and
#   Bayes' rule on a grid.
# - A nonlinear decoder makes the exponent of $p(x\mid z)\,p(z)$ non-quadratic in $z$, so completing the square is
#   gone and only numerical integration is left. Its grid cost grows like $G^k$: exact to $10^{-4}$ nats with
#   $10^5$ evaluations for $k \le 3$, hopeless by $k \approx 10$.
#
# [Next: 02 · Naive Monte Carlo →](02_naive_monte_carlo.ipynb)

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: keep this model in mind; every later notebook measures its approximations against its exact $\log p(x)$.
# Ask: which of today's three checks would still work for the tanh decoder? (Samples and quadrature, not SciPy.)

# %% [markdown]
# ## References
#
# - M. E. Tipping, C. M. Bishop (1999). Probabilistic principal component analysis. *Journal of the Royal
#   Statistical Society B* 61(3), 611–622. (The linear-Gaussian model, its marginal and posterior.)
# - C. M. Bishop (2006). *Pattern Recognition and Machine Learning*, §2.3 (marginal and conditional Gaussians).
#   Springer.
# - The source derivation, *Variational Inference for Latent Variable Models* (blog post, 15 September 2025), and
#   the lecture it credits: Sergey Levine, variational inference (UC Berkeley CS 285), <https://youtu.be/UTMpM4orS30>.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: Tipping & Bishop's probabilistic PCA is exactly this model, fitted by maximum likelihood.
# Ask: what does PPCA's likelihood have that a VAE's lacks? (A closed form.)
