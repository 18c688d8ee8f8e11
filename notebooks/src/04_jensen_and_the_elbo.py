# %% [markdown]
# # 04 · Jensen's inequality and the ELBO
#
# Notebooks 01–03 kept running into the same obstacle: $\log p_\theta(x)$ and its gradient need the
# posterior $p_\theta(z \mid x)$, which we cannot sample from. Variational inference swaps the posterior for a
# distribution $q_\phi(z \mid x)$ that we choose, and pays for the swap with an inequality. This notebook
# derives that inequality, checks every identity in it to many digits, and lets you move $q$ by hand.
#
# **In this notebook you will**
# - see Jensen's inequality $\log \mathbb E[w] \ge \mathbb E[\log w]$ as a picture and on samples;
# - derive the evidence lower bound (ELBO) and verify both of its decompositions to $10^{-8}$:
#   $\text{ELBO} = \mathbb E_q[\log p_\theta(x \mid z)] - \mathrm{KL}(q \,\|\, p(z))$ and
#   $\log p_\theta(x) - \text{ELBO} = \mathrm{KL}(q \,\|\, p_\theta(z \mid x))$, and see why the source's version
#   of the first one is wrong;
# - move a Gaussian $q$ in the **ELBO-gap explorer** and watch the gap open and close;
# - fit $q$ by stochastic gradient ascent: it reaches the exact posterior in the linear-Gaussian model, and
#   stops at a positive gap when the posterior has two modes;
# - tighten the bound with $K$ importance samples (IWAE) and measure the $O(1/K)$ approach to $\log p(x)$;
# - learn the model parameters $\theta$ with the ELBO and land on the exact maximum-likelihood solution of
#   probabilistic PCA.
#
# **Prerequisites:** [01 · The linear-Gaussian marginal](01_linear_gaussian_marginal.ipynb) (posterior in
# closed form), [02 · Naive Monte Carlo](02_naive_monte_carlo.ipynb) (importance weights, the log of an
# average is biased low), [03 · Score-function gradients](03_score_function_gradients.ipynb)
# (reparameterisation).
# **Run time:** about 10 s on a 2-core laptop CPU.
#
# Notation: $p(z) = \mathcal N(0, I)$ is the prior, $p_\theta(x \mid z)$ the decoder, $q_\phi(z \mid x)$ the
# approximate posterior; all logarithms are natural, so every number below is in nats. Covariances are
# covariances and "std" is a standard deviation.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Image, display
from scipy.stats import multivariate_normal

from helpers.elbo import (
    elbo_exact,
    expected_log_likelihood,
    fit_gaussian_q,
    fit_ppca_elbo,
    gaussian_kl,
    gaussian_log_weights,
    iwae_bound,
    kl_to_prior,
    ppca_mle,
    torch_log_joint,
)
from helpers.exercises import check_elbo_1d, check_iwae_estimate
from helpers.linear_gaussian import LinearGaussian, random_model
from helpers.monte_carlo import log_mean_exp
from helpers.nonconjugate import SquaredLatentModel
from helpers.plotting import COLORS, labelled, subplots, use_course_style
from helpers.quadrature import latent_grid
from helpers.widgets import MODEL_NAMES, ElboGapExplorer

use_course_style()
rng = np.random.default_rng(0)
torch.manual_seed(0)
torch.set_num_threads(2)

# %% [markdown]
# ## 1 · Jensen's inequality
#
# A function is concave when every chord lies below its graph. The logarithm is concave, so for any positive
# random variable $w$
#
# $$\log \mathbb E[w] \;\ge\; \mathbb E[\log w],$$
#
# with equality only when $w$ is constant. The picture takes a $w$ with two equally likely values: the
# average of the two logs (the midpoint of the chord) sits below the log of the average (the curve).

# %%
w_pair = np.array([0.4, 3.6])
grid = np.linspace(0.15, 4.5, 300)
fig, ax = subplots()
ax.plot(grid, np.log(grid), color=COLORS[0], label="log w")
ax.plot(w_pair, np.log(w_pair), "o-", color=COLORS[1], label="chord between the two values of w")
ax.plot(w_pair.mean(), np.log(w_pair.mean()), "s", color=COLORS[0], ms=9, label="log E[w]")
ax.plot(w_pair.mean(), np.log(w_pair).mean(), "D", color=COLORS[1], ms=8, label="E[log w]")
ax.vlines(w_pair.mean(), np.log(w_pair).mean(), np.log(w_pair.mean()), color=COLORS[3], lw=3,
          label="Jensen gap")
ax.legend(loc="lower right")
labelled(ax, "The log is concave: the chord lies below the curve", "w", "log w")
plt.show()

# %% [markdown]
# The same on samples. For a log-normal $w = e^{u}$, $u \sim \mathcal N(0, s^2)$, both sides are known:
# $\mathbb E[\log w] = 0$ and $\log \mathbb E[w] = s^2/2$. The sample versions agree with these within their
# standard errors, and the inequality holds for the samples themselves (it holds for any finite set of
# positive numbers, since an empirical average is an expectation too).

# %% tags=["nbval-check-output"]
s = 1.0
log_w = s * rng.standard_normal(200_000)
mean_log = log_w.mean()
log_mean = log_mean_exp(log_w)  # log of the average of w, computed stably
print(f"E[log w]: sample {mean_log:+.3f}   exact {0.0:+.3f}")
print(f"log E[w]: sample {log_mean:+.3f}   exact {s**2 / 2:+.3f}")
se_mean_log = log_w.std() / np.sqrt(log_w.size)
se_log_mean = np.exp(log_w).std() / np.exp(log_mean) / np.sqrt(log_w.size)  # delta method
assert log_mean > mean_log
assert abs(mean_log - 0.0) < 4 * se_mean_log and abs(log_mean - s**2 / 2) < 4 * se_log_mean

# %% [markdown]
# ## 2 · The evidence lower bound
#
# Take any density $q(z)$ that is positive wherever the posterior is (for one data point $x$ it is
# $q_\phi(z \mid x)$; we drop the $\phi$ and the $x$ when nothing depends on them). Multiply and divide by it
# inside the integral, then apply Jensen with $w = p_\theta(x, z)/q(z)$:
#
# $$\log p_\theta(x) = \log \int q(z)\,\frac{p_\theta(x \mid z)\,p(z)}{q(z)}\,dz
#   = \log \mathbb E_{q}\!\left[\frac{p_\theta(x, z)}{q(z)}\right]
#   \;\ge\; \mathbb E_{q}\big[\log p_\theta(x, z) - \log q(z)\big] =: \text{ELBO}(\theta, q).$$
#
# Two ways of regrouping the same expectation tell us what the ELBO is made of.
#
# **(a) What we compute and optimise.** Split $\log p_\theta(x, z) = \log p_\theta(x \mid z) + \log p(z)$:
#
# $$\text{ELBO} = \mathbb E_q[\log p_\theta(x \mid z)] - \mathrm{KL}\big(q \,\|\, p(z)\big).$$
#
# The first term rewards $q$ for putting mass on codes $z$ that explain $x$; the second keeps $q$ close to the
# **prior**. Both are available without knowing $p_\theta(x)$.
#
# **(b) Why it is a lower bound, and how loose.** Split instead $p_\theta(x, z) = p_\theta(z \mid x)\,p_\theta(x)$:
#
# $$\log p_\theta(x) - \text{ELBO} = \mathbb E_q\big[\log q(z) - \log p_\theta(z \mid x)\big]
#   = \mathrm{KL}\big(q \,\|\, p_\theta(z \mid x)\big) \;\ge\; 0.$$
#
# The gap is the KL divergence to the **posterior**: it vanishes exactly when $q$ is the posterior.
#
# > **Erratum (source, ELBO decomposition).** The source derivation writes
# > $\text{ELBO} = \mathbb E_q\big[\log p_\theta(x \mid z) - \mathrm{KL}(q_\phi(z \mid x) \,\|\, p_\theta(z \mid x))\big]$,
# > mixing (a) and (b). The correct statements are (a), with the KL to the prior $p(z)$, and separately (b).
# > The source's own prose ("the KL-divergence encourages $q$ to be close to $p(z)$") describes (a).
#
# We check both on a linear-Gaussian model with $k = 2$ latent and $d = 3$ observed dimensions, for a $q$
# that is deliberately not the posterior. The ELBO's *definition* is computed independently of the helpers by
# a midpoint rule on a fine 2-D grid; (a) and (b) use the closed forms in `helpers.elbo`.

# %% tags=["nbval-check-output"]
model = random_model(2, 3, rng, noise_std=0.7)
_, x_obs = model.sample(1, rng)
x_obs = x_obs[0]
post_mean, post_cov = model.posterior(x_obs)
q_mean = post_mean + np.array([0.8, -0.5])
q_cov = np.array([[0.30, 0.05], [0.05, 0.20]])

# The definition E_q[log p(x, z) - log q(z)] by quadrature on a 700 x 700 grid (no closed form used).
z_grid, cell = latent_grid(2, 700, 7.0)
log_q = multivariate_normal(q_mean, q_cov).logpdf(z_grid)
q_weights = np.exp(log_q) * cell**2
elbo_definition = np.sum(q_weights * (model.log_joint(x_obs, z_grid) - log_q))
kl_post_quadrature = np.sum(q_weights * (log_q - model.log_posterior(z_grid, x_obs)))

log_px = model.log_marginal(x_obs)
ell = expected_log_likelihood(model, x_obs, q_mean, q_cov)
kl_prior = kl_to_prior(q_mean, q_cov)
kl_post = gaussian_kl(q_mean, q_cov, post_mean, post_cov)
elbo = elbo_exact(model, x_obs, q_mean, q_cov)

print(f"log p(x)                         {log_px:.8f}")
print(f"ELBO by its definition (grid)    {elbo_definition:.8f}")
print(f"(a) E_q[log p(x|z)] - KL(q||p(z)) {ell - kl_prior:.8f}")
print(f"(b) log p(x) - ELBO              {log_px - elbo:.8f}")
print(f"    KL(q || p(z|x)) closed form  {kl_post:.8f}")
print(f"    KL(q || p(z|x)) by the grid  {kl_post_quadrature:.8f}")
assert abs(elbo_definition - (ell - kl_prior)) < 1e-8
assert abs((log_px - elbo) - kl_post) < 1e-8
assert abs(kl_post_quadrature - kl_post) < 1e-8

# %% [markdown]
# Now the source's form, $\mathbb E_q[\log p_\theta(x \mid z)] - \mathrm{KL}(q \,\|\, p_\theta(z \mid x))$. It is
# a different number, and it misbehaves exactly where the ELBO is best: at $q = $ posterior the true ELBO
# *equals* $\log p(x)$, while the source's form becomes $\mathbb E_q[\log p(x \mid z)]$, which is larger than
# $\log p(x)$: it would not even be a lower bound.

# %% tags=["nbval-check-output"]
source_form = ell - kl_post
print(f"at this q:          ELBO {elbo:.4f}   source's form {source_form:.4f}")
ell_at_post = expected_log_likelihood(model, x_obs, post_mean, post_cov)
elbo_at_post = elbo_exact(model, x_obs, post_mean, post_cov)
print(f"at q = p(z|x):      ELBO {elbo_at_post:.4f}   source's form {ell_at_post:.4f}   log p(x) {log_px:.4f}")
assert abs(source_form - elbo) > 0.1
assert abs(elbo_at_post - log_px) < 1e-10 and ell_at_post > log_px

# %% [markdown]
# ## 3 · The ELBO-gap explorer
#
# The widget below draws the posterior $p(z \mid x)$ (blue) and your $q(z)$ (orange), and on the right the
# bars of $\log p(x) = \text{ELBO} + \text{gap}$, with the ELBO split as in (a). Every number is recomputed in
# closed form (or by quadrature) as you move a slider; a Monte Carlo estimate of the ELBO from $n$ samples
# of $q$ sits beside the exact value. A short tour:
#
# 1. It starts at $q = p(z)$, the prior: the gap is then $\mathrm{KL}(p(z) \,\|\, p(z \mid x))$, a measure of how far
#    one data point moves the posterior away from the prior.
# 2. Move **q mean z1** until the orange curve sits under the blue one. The gap shrinks, but it does not
#    reach zero until **q log-std z1** matches the posterior width too. Press **snap to posterior**: the gap
#    reads 0.000000 and the ELBO bar is as long as the $\log p(x)$ bar.
# 3. From there, drag **q log-std z1** to the far left. $q$ becomes a spike at the best code: the
#    reconstruction term $\mathbb E_q[\log p(x \mid z)]$ improves, but $\mathrm{KL}(q \,\|\, p(z))$ grows
#    faster, and the ELBO falls. That trade-off is the whole of decomposition (a).
# 4. Switch to **linear-Gaussian, k = 2**: the posterior is tilted (the two latent causes explain each other
#    away). Set **q correlation** to 0: no uncorrelated ("mean-field") $q$ reaches zero gap, and the best one is
#    narrower than the posterior.
# 5. Switch to the **non-conjugate** model, $x \sim \mathcal N(z^2, \sigma^2)$: the sign of $z$ is lost, so for
#    $x = 3$ the posterior has two modes. **snap to best Gaussian q** covers one mode and leaves a gap near
#    $\log 2 \approx 0.69$: half the posterior mass is missed. For $x = 1$ the best Gaussian instead straddles
#    both modes.
# 6. Watch the Monte Carlo row: the estimate $\pm$ its standard error straddles the exact ELBO; at the posterior
#    every sample gives exactly $\log p(x)$ and the standard error is 0.

# %% tags=["nbval-ignore-output"]
explorer = ElboGapExplorer()
explorer

# %% [markdown]
# If the widget does not render (a static viewer, or widgets disabled), here is the same panel in two states:
# $q$ a little off the posterior in the $k = 1$ model, then the best Gaussian for the bimodal posterior. The
# numbers printed under the pictures come from the same object, and are checked against a direct KL.

# %%
snapshot = ElboGapExplorer(n_samples=500, dpi=110)
snapshot.mean_sliders[0].value = 0.6
snapshot.log_std_sliders[0].value = -0.1
display(Image(data=snapshot.png))
direct = gaussian_kl(snapshot.q_mean, snapshot.q_cov, *snapshot.model.posterior(snapshot.x))
print(f"k = 1, q off the posterior: gap {snapshot.gap:.6f}, direct KL(q || p(z|x)) {direct:.6f}")
assert abs(snapshot.gap - direct) < 1e-10

snapshot.model_toggle.value = MODEL_NAMES[2]
snapshot.x_index.value = 4  # x = 3: two well-separated modes
snapshot.snap_button.click()
display(Image(data=snapshot.png))
print(f"non-conjugate, x = 3, best Gaussian q: gap {snapshot.gap:.4f} (log 2 = {np.log(2):.4f})")
assert abs(snapshot.gap - np.log(2)) < 0.02

# %% [markdown]
# ## 4 · Optimising q by gradient ascent
#
# In practice nobody drags sliders: $q = \mathcal N(m, LL^\top)$ is fitted by stochastic gradient ascent on a
# Monte Carlo ELBO. With the reparameterisation of notebook 03, $z = m + L\varepsilon$, $\varepsilon \sim
# \mathcal N(0, I)$, the estimate $\frac1n \sum_s [\log p(x, z_s) - \log q(z_s)]$ is differentiable in $(m, L)$,
# and PyTorch does the rest. `helpers.elbo.fit_gaussian_q` runs Adam on it; its core is
#
# ```python
# z = mean + eps @ L.T                                   # reparameterised samples of q
# objective = (log_joint(z) - log_q_detached(z)).mean()  # Monte Carlo ELBO
# (-objective).backward(); opt.step()
# ```
#
# where `log_q_detached` evaluates $\log q$ with $m$ and $L$ held fixed. That changes no expected gradient,
# but when $q$ equals the posterior every sample's gradient is then exactly zero ("sticking the landing",
# Roeder et al. 2017), so the iterates settle on the posterior instead of jittering around it.
#
# Two one-dimensional problems, drawn in the plane of $q$'s parameters (mean, log-std) over contours of the
# gap $\mathrm{KL}(q \,\|\, p(z \mid x))$: the linear-Gaussian model with $k = 1$ (one minimum, at zero), and
# the non-conjugate model at $x = 2$ (two minima, one per mode, both above zero).

# %%
model_1d = random_model(1, 3, rng, noise_std=0.8)
_, x_1d = model_1d.sample(1, rng)
x_1d = x_1d[0]
square = SquaredLatentModel(noise_std=0.5)
x_sq = 2.0

means_axis = np.linspace(-3.0, 3.0, 241)
log_std_axis = np.linspace(-2.5, 1.0, 141)
M, LS = np.meshgrid(means_axis, log_std_axis)
pm_1d, pc_1d = model_1d.posterior(x_1d)
gap_linear = gaussian_kl(M[..., None], np.exp(2 * LS)[..., None, None], pm_1d, pc_1d)
gap_square = square.gap(x_sq, M, np.exp(LS))

fits_linear = [fit_gaussian_q(torch_log_joint(model_1d, x_1d), np.array([m0]), np.exp(ls0), n_steps=400,
                              lr=0.1, seed=i) for i, (m0, ls0) in enumerate([(-2.5, 0.7), (2.5, -2.0)])]
fits_square = [fit_gaussian_q(torch_log_joint(square, x_sq), np.array([m0]), np.exp(ls0), n_steps=500,
                              lr=0.1, seed=i) for i, (m0, ls0) in enumerate([(-2.0, 0.0), (0.4, 0.0)])]

fig, axes = subplots(1, 2, width=11.5, height=4.4)
for ax, gap_surface, fits, title in [
    (axes[0], gap_linear, fits_linear, "linear-Gaussian: one minimum, gap 0"),
    (axes[1], gap_square, fits_square, f"x ~ N(z², σ²) at x = {x_sq:g}: two minima, gap > 0"),
]:
    # Levels spaced geometrically above the surface's minimum, so both basins show their shape.
    levels = gap_surface.min() + np.geomspace(0.02, gap_surface.max() - gap_surface.min(), 14)
    cs = ax.contour(M, LS, gap_surface, levels=levels, cmap="viridis", linewidths=1)
    ax.clabel(cs, cs.levels[::3], fmt="%.2g", fontsize=8)
    for i, (fit, color) in enumerate(zip(fits, (COLORS[1], COLORS[3]), strict=True)):
        path = np.c_[fit.means[:, 0], 0.5 * np.log(fit.covs[:, 0, 0])]
        ax.plot(path[:, 0], path[:, 1], color=color, lw=1.5, label=f"run {i + 1}: start ●, end ★")
        ax.plot(*path[0], "o", color=color, ms=7)
        ax.plot(*path[-1], "*", color=color, ms=14, mec="k")
    labelled(ax, title, "q mean m", "q log-std log s")
axes[0].plot(pm_1d[0], 0.5 * np.log(pc_1d[0, 0]), "+", color="k", ms=14, mew=2, label="exact posterior")
axes[0].legend(loc="upper right", fontsize=9)
axes[1].legend(loc="lower center", fontsize=9)
plt.show()

# %% [markdown]
# Both runs on the left end on the exact posterior (the black cross); both on the right end on a mode, with
# the gap stuck well above zero. The gap along the way:

# %%
def gap_path_linear(fit):
    return gaussian_kl(fit.means, fit.covs, pm_1d, pc_1d)


def gap_path_square(fit):
    return square.gap(x_sq, fit.means[:, 0], np.sqrt(fit.covs[:, 0, 0]))


best_m, best_s, best_gap = square.best_gaussian(x_sq)
fig, axes = subplots(1, 2, width=11.5, height=3.8)
for i, fit in enumerate(fits_linear):
    axes[0].semilogy(np.maximum(gap_path_linear(fit), 1e-16), color=(COLORS[1], COLORS[3])[i], label=f"run {i + 1}")
labelled(axes[0], "linear-Gaussian: the gap goes to 0", "Adam step", "KL(q || p(z|x))  [nats, log scale]")
axes[0].legend()
for i, fit in enumerate(fits_square):
    axes[1].plot(gap_path_square(fit), color=(COLORS[1], COLORS[3])[i], label=f"run {i + 1}")
axes[1].axhline(best_gap, color="k", ls="--", lw=1, label=f"best Gaussian q: {best_gap:.3f}")
axes[1].set_ylim(0, 5)
labelled(axes[1], "bimodal posterior: the gap stays positive", "Adam step", "KL(q || p(z|x))  [nats]")
axes[1].legend()
plt.show()

# %% tags=["nbval-check-output"]
final_linear = [gap_path_linear(f)[-1] for f in fits_linear]
final_square = [gap_path_square(f)[-1] for f in fits_square]
print("final gap, linear-Gaussian: all below 1e-8:", max(final_linear) < 1e-8)
print("final gap, bimodal:        ", [f"{g:.2f}" for g in final_square], f" best Gaussian: {best_gap:.2f}")
assert max(final_linear) < 1e-8
assert all(abs(g - best_gap) < 0.01 for g in final_square) and best_gap > 0.5

# %% [markdown]
# Why does the fit pick one mode rather than cover both? $\mathrm{KL}(q \,\|\, p)$ averages
# $\log q - \log p$ under $q$: putting $q$'s mass where $p(z \mid x)$ is tiny costs a lot, while leaving part of
# $p$ uncovered costs nothing directly. This "zero-forcing" or **mode-seeking** behaviour is built into the
# ELBO. A single Gaussian on one of two equal, well-separated modes misses half the mass, which costs
# $\log 2$; at $x = 2$ the modes still overlap a little and the best gap is slightly above $\log 2$.

# %% [markdown]
# ## 5 · Tightening the bound: importance weighting (IWAE)
#
# Jensen lost the gap by moving the log inside *one* sample's weight. Averaging $K$ weights before the log
# gives the importance-weighted bound (Burda et al. 2016)
#
# $$\mathcal L_K = \mathbb E_{z_1, \dots, z_K \sim q}\Big[\log \frac1K \sum_{k=1}^K w_k\Big], \qquad
#   w_k = \frac{p_\theta(x, z_k)}{q(z_k)},$$
#
# with $\mathcal L_1 = \text{ELBO} \le \mathcal L_K \le \mathcal L_{K+1} \le \log p_\theta(x)$. For large $K$ the
# delta method gives $\log p(x) - \mathcal L_K \approx \chi^2(p(z\mid x) \,\|\, q)/(2K)$, where
# $\chi^2 = \operatorname{Var}_q[w]/p(x)^2$: the bound closes like $1/K$, at a rate set by how well $q$ covers
# the posterior.
#
# On the bimodal posterior ($x = 2$) we compare two Gaussians: the ELBO-optimal one from section 4 (one mode)
# and a *mass-covering* one with the posterior's mean and variance. $\chi^2$ comes from grid quadrature and
# $\mathcal L_K$ from 4 million draws of $q$, reused for every $K$ (as rows of $K$ weights).
#
# To see the $1/K$ law down to $K = 1000$ we need the small gap $\log p(x) - \mathcal L_K$ more precisely than
# the spread of $\log \bar w$ allows. Here $\log p(x)$ is known, and $u = \bar w/p(x) - 1$ has mean exactly 0
# (importance sampling is unbiased), so $\mathbb E[u - \log(1 + u)] = \log p(x) - \mathcal L_K$ as well, with far
# less noise: $u - \log(1+u) \approx u^2/2$ removes the first-order fluctuation (a *control variate*). This only
# works for a $q$ that covers the posterior: for the mode-seeking $q$ the sample mean of $u$ sits near
# $-1/2$, not 0, because the other mode is never visited.

# %%
log_px_sq = square.log_marginal(x_sq)
mc_mean, mc_var = square.posterior_moments(x_sq)
candidates = {
    "mass-covering q (posterior mean and variance)": (mc_mean, mc_var),
    "mode-seeking q (best ELBO, one mode)": (best_m, best_s**2),
}
ks = np.array([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
z_line = np.linspace(-8, 8, 16001)[:, None]
log_post = square.log_posterior(z_line, x_sq)

iwae = {}
for name, (m, v) in candidates.items():
    log_q_line = -0.5 * (z_line[:, 0] - m) ** 2 / v - 0.5 * np.log(2 * np.pi * v)
    chi2 = np.sum(np.exp(2 * log_post - log_q_line)) * (z_line[1, 0] - z_line[0, 0]) - 1.0
    _, log_w_all = gaussian_log_weights(square, np.array([x_sq]), np.array([m]), np.array([[v]]), 4_000_000, rng)
    rows_by_k = [iwae_bound(log_w_all.reshape(-1, K)) for K in ks]  # one draw of L_K per row
    log_ratio = [rows - log_px_sq for rows in rows_by_k]  # log(w_bar / p(x)) = log(1 + u)
    controlled = [np.expm1(lr) - lr for lr in log_ratio]  # u - log(1 + u), no log of 0 when w_bar underflows
    iwae[name] = {
        "L": np.array([r.mean() for r in rows_by_k]),
        "se": np.array([r.std(ddof=1) / np.sqrt(r.size) for r in rows_by_k]),
        "gap": np.array([c.mean() for c in controlled]),
        "gap_se": np.array([c.std(ddof=1) / np.sqrt(c.size) for c in controlled]),
        "mean_u": np.array([np.expm1(lr).mean() for lr in log_ratio]),
        "mean_u_se": np.array([np.expm1(lr).std(ddof=1) / np.sqrt(lr.size) for lr in log_ratio]),
        "chi2": chi2,
        "elbo": square.elbo(x_sq, m, np.sqrt(v)),
    }
del log_w_all, rows_by_k, log_ratio, controlled

fig, axes = subplots(1, 2, width=11.5, height=4.2)
for (name, r), color in zip(iwae.items(), (COLORS[2], COLORS[3]), strict=True):
    axes[0].errorbar(ks, r["L"], yerr=2 * r["se"], fmt="o-", color=color, ms=4, capsize=2, label=name)
axes[0].axhline(log_px_sq, color="k", lw=1.2, label="log p(x) (quadrature)")
axes[0].axhline(log_px_sq - np.log(2), color="k", ls=":", lw=1.2, label="log p(x) − log 2")
axes[0].set_xscale("log")
axes[0].set_ylim(log_px_sq - 1.6, log_px_sq + 0.2)
labelled(axes[0], "IWAE bound vs K (±2 s.e.)", "K (importance samples)", "L_K  [nats]")
axes[0].legend(fontsize=8, loc="lower right")

cover = iwae["mass-covering q (posterior mean and variance)"]
axes[1].errorbar(ks, cover["gap"], yerr=2 * cover["gap_se"], fmt="o", color=COLORS[2],
                 label="log p(x) − L_K, mass-covering q")
axes[1].plot(ks, cover["chi2"] / (2 * ks), "--", color="k", label="χ²/(2K)")
axes[1].set_xscale("log")
axes[1].set_yscale("log")
labelled(axes[1], "The bound closes like 1/K", "K (importance samples)", "log p(x) − L_K  [nats]")
axes[1].legend()
plt.show()

# %% [markdown]
# The mass-covering $q$ starts with a terrible ELBO (its $\mathcal L_1 \approx -13.3$ is off the bottom of the
# left panel: it wastes mass between the modes, where the likelihood is tiny) but its bound climbs to $\log p(x)$ along the $\chi^2/(2K)$ line. The mode-seeking $q$ starts far
# better and then stalls just below $\log p(x) - \log 2$: it never proposes a $z$ near the other mode, and no
# amount of averaging recovers mass that is never sampled. A good proposal for importance sampling covers
# the posterior; the ELBO's favourite $q$ does not.

# %% tags=["nbval-check-output"]
for name, r in iwae.items():
    print(f"{name}:  ELBO {r['elbo']:.3f}   L_1 {r['L'][0]:.3f}   L_1000 {r['L'][-1]:.3f}   log p(x) {log_px_sq:.3f}")
    assert abs(r["L"][0] - r["elbo"]) < 4 * r["se"][0]  # L_1 is the ELBO
    assert np.all(np.diff(r["L"]) > -4 * np.hypot(r["se"][1:], r["se"][:-1]))  # non-decreasing in K
    assert np.all(r["L"] < log_px_sq + 4 * r["se"])  # a lower bound
print(f"mass-covering q: chi^2 = {cover['chi2']:.2f};  K (log p(x) - L_K) for K = 100, 1000: "
      f"{ks[6] * cover['gap'][6]:.2f}, {ks[-1] * cover['gap'][-1]:.2f}  (chi^2 / 2 = {cover['chi2'] / 2:.2f})")
# The control variate has mean 0 for the covering q (within its s.e.) ...
assert np.all(np.abs(cover["mean_u"]) < 4 * cover["mean_u_se"])
# ... and with it the gap follows chi^2 / (2K) from K = 100 on, within 4 s.e. and 5% for the next, O(1/K^2), term.
large = ks >= 100
assert np.all(np.abs(cover["gap"][large] - cover["chi2"] / (2 * ks[large]))
              < 4 * cover["gap_se"][large] + 0.05 * cover["chi2"] / (2 * ks[large]))
mode = iwae["mode-seeking q (best ELBO, one mode)"]
print(f"mode-seeking q: mean of w_bar/p(x) - 1 at K = 1000: {mode['mean_u'][-1]:.2f} (the missed mode)")
assert log_px_sq - mode["L"][-1] > 0.6  # stalls near log 2 below log p(x)

# %% [markdown]
# ## 6 · Learning θ as well
#
# So far $\theta$ was fixed. Maximising the total ELBO over the model parameters $\theta$ and the variational
# parameters $\phi$ *together* is how latent variable models are trained. Whenever the family of $q$ contains
# the exact posterior, the maximum over $\phi$ makes the ELBO equal to $\log p_\theta(x)$, so the maximum over
# $(\theta, \phi)$ is the maximum likelihood.
#
# The linear-Gaussian model with isotropic noise, $x \mid z \sim \mathcal N(Wz + \mu, s^2 I)$, is probabilistic
# PCA, whose maximum-likelihood solution is known in closed form (Tipping & Bishop 1999): $\mu$ is the sample
# mean, $s^2$ the mean of the $d - k$ smallest eigenvalues of the sample covariance, and
# $W = U_k(\Lambda_k - s^2 I)^{1/2}$ from its top-$k$ eigenpairs (up to a rotation of $z$). Its exact posterior
# is $\mathcal N(Ex + e, \Sigma_q)$, linear in $x$ with a fixed covariance, so an **amortised linear encoder**
# $q_\phi(z \mid x) = \mathcal N(Ex + e, LL^\top)$ can represent it for every data point at once: the same idea
# as the VAE encoder of notebook 05, minus the neural network. We train $(W, \mu, s)$ and $(E, e, L)$ by
# full-batch Adam on the closed-form ELBO (`helpers.elbo.fit_ppca_elbo`) on 500 points from a model with
# $d = 5$, $k = 2$.

# %%
true_model = LinearGaussian(rng.standard_normal((5, 2)), rng.standard_normal(5), 0.3 * np.eye(5))
_, x_data = true_model.sample(500, rng)
n_data, d_data = x_data.shape

W_mle, mu_mle, s2_mle, loglik_mle = ppca_mle(x_data, 2)
fit = fit_ppca_elbo(x_data, 2, n_steps=800, lr=0.05, seed=0)
learned = LinearGaussian(fit.W, fit.mu, fit.noise_var * np.eye(d_data))
loglik_learned = learned.log_marginal(x_data).sum()
loglik_true = true_model.log_marginal(x_data).sum()

fig, ax = subplots()
ax.semilogy(np.maximum(loglik_mle / n_data - fit.elbo_history, 1e-12), color=COLORS[0],
            label="max log-likelihood − ELBO (training)")
ax.axhline((loglik_mle - loglik_true) / n_data, color=COLORS[3], ls=":", lw=1.5,
           label="max log-likelihood − log-likelihood of the true θ")
labelled(ax, "Maximising the ELBO over (θ, φ) reaches the maximum likelihood", "Adam step",
         "nats per data point (log scale)")
ax.legend(loc="upper right")
plt.show()

# %% tags=["nbval-check-output"]
print(f"max log-likelihood per point (eigendecomposition)   {loglik_mle / n_data:.4f}")
print(f"log-likelihood per point of the learned θ            {loglik_learned / n_data:.4f}")
print(f"final ELBO per point                                 {fit.elbo_history[-1]:.4f}")
print(f"noise variance: learned {fit.noise_var:.4f}, closed form {s2_mle:.4f}")
assert loglik_learned <= loglik_mle + 1e-8
assert (loglik_mle - loglik_learned) / n_data < 1e-6
assert fit.elbo_history[-1] * n_data <= loglik_learned + 1e-6
# W is identified only up to a rotation of z, but W W^T is not.
assert np.allclose(fit.W @ fit.W.T, W_mle @ W_mle.T, atol=2e-3) and abs(fit.noise_var - s2_mle) < 1e-3

# %% [markdown]
# The learned model matches the closed-form maximum likelihood to better than $10^{-6}$ nats per point, and
# $WW^\top$ and $s^2$ agree with the eigendecomposition. It beats the *true* parameters on this sample, as
# a maximum-likelihood fit should. The same recipe, with neural networks for the decoder and the encoder, is
# the variational autoencoder of notebook 05; there the posterior is no longer in $q$'s family, and the gap
# we measured here will stay open.

# %% [markdown]
# ### Try it 1: the ELBO of a one-dimensional model, in closed form
#
# Take $z \sim \mathcal N(0, 1)$, $x \mid z \sim \mathcal N(az + b, \sigma^2)$ with $a = 1.5$, $b = 0.2$,
# $\sigma^2 = 0.5$ (a variance), the data point $x = 1$, and $q = \mathcal N(m, v)$ with $m = 0.3$, $v = 0.4$
# (a variance). Compute the ELBO with decomposition (a):
# $\mathbb E_q[\log p(x \mid z)] - \mathrm{KL}(q \,\|\, p(z))$. Hints: $\mathbb E_q[(x - az - b)^2] =
# (x - am - b)^2 + a^2 v$, and $\mathrm{KL}(\mathcal N(m, v) \,\|\, \mathcal N(0, 1)) = \tfrac12(v + m^2 - 1 - \log v)$.
# (If you subtract the KL to the *posterior* instead, the checker will recognise the source's erratum.)

# %%
a, b, noise_var, x_point, m_q, v_q = 1.5, 0.2, 0.5, 1.0, 0.3, 0.4
answer = ...  # your code: the ELBO, a number in nats

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    expected_ll = -0.5 * np.log(2 * np.pi * noise_var) - ((x_point - a * m_q - b) ** 2 + a**2 * v_q) / (2 * noise_var)
    kl_q_prior = 0.5 * (v_q + m_q**2 - 1 - np.log(v_q))
    answer = expected_ll - kl_q_prior

# %%
result = check_elbo_1d(answer, a, b, noise_var, x_point, m_q, v_q)
assert result.passed, result
result

# %% [markdown]
# ### Try it 2: the IWAE estimate from importance weights
#
# `log_w_try` holds log importance weights $\log w = \log p(x, z) - \log q(z)$ for the mass-covering $q$ of
# section 5, arranged as 400 rows of $K = 50$. Compute the IWAE estimate of $\mathcal L_{50}$: in each row the
# log of the *average* weight, then the mean over rows. Work in log space (`scipy.special.logsumexp`, or
# `helpers.monte_carlo.log_mean_exp`), since the weights themselves can underflow.

# %%
m_cover, v_cover = candidates["mass-covering q (posterior mean and variance)"]
_, log_w_try = gaussian_log_weights(square, np.array([x_sq]), np.array([m_cover]), np.array([[v_cover]]),
                                    400 * 50, rng)
log_w_try = log_w_try.reshape(400, 50)
answer = ...  # your code: one number, the IWAE estimate with K = 50

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    answer = float(np.mean(log_mean_exp(log_w_try, axis=1)))

# %%
result = check_iwae_estimate(answer, log_w_try)
assert result.passed, result
result

# %% [markdown]
# ## Summary
#
# - Jensen's inequality turns $\log p_\theta(x) = \log \mathbb E_q[p_\theta(x, z)/q(z)]$ into a lower bound, the
#   ELBO $= \mathbb E_q[\log p_\theta(x, z) - \log q(z)]$.
# - It decomposes as $\mathbb E_q[\log p_\theta(x \mid z)] - \mathrm{KL}(q \,\|\, p(z))$ (the KL is to the
#   **prior**: the source's version with the posterior is an erratum), and its gap is
#   $\log p_\theta(x) - \text{ELBO} = \mathrm{KL}(q \,\|\, p_\theta(z \mid x))$; both held here to $10^{-8}$.
# - Gradient ascent on the reparameterised ELBO finds the exact posterior when $q$'s family contains it; when it
#   does not (a bimodal posterior and a Gaussian $q$), it stops at a positive gap, on one mode: the ELBO is
#   mode-seeking.
# - Averaging $K$ importance weights before the log (IWAE) closes the bound like $\chi^2/(2K)$, but only for a
#   $q$ that covers the posterior.
# - Maximising the ELBO over $(\theta, \phi)$ learns the model: for probabilistic PCA it reaches the closed-form
#   maximum likelihood.
#
# [Next: 05 · The variational autoencoder](05_variational_autoencoder.ipynb): neural networks for
# $p_\theta(x \mid z)$ and $q_\phi(z \mid x)$, trained on handwritten digits with everything above. Later,
# [06 · Discrete latents](06_discrete_latents.ipynb) asks what remains when $z$ is discrete.
