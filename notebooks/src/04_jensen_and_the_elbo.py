# %% [markdown]
# # 04 · Jensen's inequality and the ELBO
#
# Notebooks 01–03 kept meeting one obstacle: $\log p_\theta(x)$ and its gradient need the posterior
# $p_\theta(z \mid x)$. Variational inference swaps it for a $q_\phi(z \mid x)$ we choose, and pays with an
# inequality. **In this notebook you will**
# - see Jensen's inequality on a picture and on samples, and derive from it that a KL is never negative;
# - derive the ELBO and check both decompositions to $10^{-8}$:
#   $\text{ELBO} = \mathbb E_q[\log p_\theta(x \mid z)] - \mathrm{KL}(q \,\|\, p(z))$ and
#   $\log p_\theta(x) - \text{ELBO} = \mathrm{KL}(q \,\|\, p_\theta(z \mid x))$;
# - move $q$ in the **ELBO-gap explorer**, then fit it by gradient ascent: exact for a Gaussian posterior, a
#   positive gap for a bimodal one;
# - tighten the bound with IWAE, prove that it rises with $K$ and closes like $1/K$;
# - derive the $\theta$-gradient (Fisher's identity again) and learn probabilistic PCA by the ELBO;
# - see four errata of the source with numbers.
#
# **Prerequisites:** [01 · The linear-Gaussian marginal](01_linear_gaussian_marginal.ipynb) (posterior in
# closed form), [02 · Naive Monte Carlo](02_naive_monte_carlo.ipynb) (importance weights, the log of an
# average is biased low), [03 · Score-function gradients](03_score_function_gradients.ipynb)
# (reparameterisation).
# **Run time:** about 25 s on a 2-core laptop CPU.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the plan for the session, in the order of the bullets; the explorer comes in section 3, about a third of
# the way in.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Notation: $p(z) = \mathcal N(0, I)$ is the prior, $p_\theta(x \mid z)$ the decoder, $q_\phi(z \mid x)$ the
# approximate posterior; all logarithms are natural, so every number below is in nats. Covariances are
# covariances and "std" is a standard deviation.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: notebooks 01-03 ended at the same wall: the posterior. Today we stop trying to sample it and replace it
# by a q we choose, paying with an inequality whose slack we can measure exactly.
# Ask: if you could pick any q at all, which one would you pick? (The posterior; hold that thought.)

# %%
import numpy as np
import torch
from scipy.optimize import minimize
from scipy.special import rel_entr
from scipy.stats import multivariate_normal, norm, truncnorm

from helpers.elbo import (
    elbo_exact,
    elbo_mc,
    expected_log_likelihood,
    fit_gaussian_q,
    fit_ppca_elbo,
    gaussian_kl,
    gaussian_log_weights,
    iwae_bound,
    kl_to_prior,
    ppca_elbo_torch,
    ppca_mle,
    torch_log_joint,
)
from helpers.exercises import check_elbo_1d, check_iwae_estimate, check_mean_field_variance
from helpers.gradients import (
    exact_log_marginal_gradient,
    log_likelihood_gradient,
    reparameterisation_gradient,
    score_function_gradient,
)
from helpers.linear_gaussian import LinearGaussian, random_model
from helpers.monte_carlo import log_mean_exp
from helpers.nonconjugate import SquaredLatentModel
from helpers.plotting import COLORS, labelled, show, show_png, subplots, use_course_style
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


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: read the picture as "average then log" (the square, on the curve) against "log then average" (the
# diamond, on the chord). Concavity is the whole argument.
# Ask: when is the gap zero? (When w takes one value only.)

# %%
w_pair = np.array([0.4, 3.6])
grid = np.linspace(0.15, 4.5, 300)
fig, ax = subplots(width=6.4, height=3.4)
ax.plot(grid, np.log(grid), color=COLORS[0], label="log w")
ax.plot(w_pair, np.log(w_pair), "o--", color=COLORS[1], label="chord between the two values of w")
ax.plot(w_pair.mean(), np.log(w_pair.mean()), "s", color=COLORS[0], ms=9, label="log E[w]")
ax.plot(w_pair.mean(), np.log(w_pair).mean(), "D", color=COLORS[1], ms=8, label="E[log w]")
ax.vlines(w_pair.mean(), np.log(w_pair).mean(), np.log(w_pair.mean()), color=COLORS[3], lw=3,
          label="Jensen gap")
ax.legend(loc="lower right")
labelled(ax, "The log is concave: the chord lies below the curve", "w", "log w")
show(fig, alt="The concave curve log w for w from 0.15 to 4.5, with a dashed chord joining the points at w = 0.4 "
              "and w = 3.6. At their mean, w = 2, the curve (log E[w], a square) lies above the chord's midpoint "
              "(E[log w], a diamond); a thick vertical bar between them marks the Jensen gap.")

# %% [markdown]

# %% [markdown] slideshow={"slide_type": "subslide"}
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


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the sample numbers match the closed forms within their standard errors; the inequality holds for
# the 200,000 samples themselves, not only in expectation.
# Ask: what happens to the gap s²/2 as the spread s grows?

# %% [markdown]
# ### A first consequence: a KL divergence is never negative
#
# For two densities $q$ and $p$ take $w = p(z)/q(z)$ with $z \sim q$. Jensen, then the fact that $q$ averages
# $p/q$ only where $q > 0$:
#
# $$-\mathrm{KL}(q \,\|\, p) = \mathbb E_q\Big[\log \frac{p(z)}{q(z)}\Big]
#   \;\le\; \log \mathbb E_q\Big[\frac{p(z)}{q(z)}\Big] = \log \int_{q > 0} p(z)\,dz \;\le\; \log 1 = 0,$$
#
# with equality only when $p/q$ is constant on the support of $q$ and that support holds all of $p$'s mass,
# that is when $q = p$. We will lean on this twice: the gap of the ELBO is a KL, and so is the price of a
# poor $q$. The check uses random discrete distributions on 6 points (some with zeros in $q$), SciPy's
# `rel_entr` for the KL, and the two sides of each inequality computed separately.

# %%
rng_kl = np.random.default_rng(1)  # its own stream, so the sections below draw the same numbers as before
q_pairs = rng_kl.dirichlet(np.ones(6), size=10_000)
p_pairs = rng_kl.dirichlet(np.ones(6), size=10_000)
q_pairs[:2_000, :2] = 0.0  # q misses part of p's support in the first 2,000 pairs
q_pairs /= q_pairs.sum(axis=1, keepdims=True)
kl_scipy = rel_entr(q_pairs, p_pairs).sum(axis=1)  # sum q log(q/p), with 0 log 0 = 0
on_support = q_pairs > 0
with np.errstate(divide="ignore"):
    e_log_ratio = np.where(on_support, q_pairs * np.log(p_pairs / np.where(on_support, q_pairs, 1.0)), 0.0).sum(1)
log_e_ratio = np.log(np.where(on_support, p_pairs, 0.0).sum(axis=1))  # log E_q[p/q] = log of p's mass where q > 0
print(f"smallest KL over 10,000 random pairs: {kl_scipy.min():.4f}  (KL(p || p) = {rel_entr(p_pairs[0], p_pairs[0]).sum():.1f})")
print(f"largest E_q[log p/q] - log E_q[p/q]: {np.max(e_log_ratio - log_e_ratio):.2e}  (Jensen: <= 0)")
print(f"largest log E_q[p/q]:               {log_e_ratio.max():.2e}  (<= 0, and < 0 when q misses some of p: "
      f"{log_e_ratio[:2_000].max():.3f})")
assert np.allclose(-e_log_ratio, kl_scipy, atol=1e-12)
assert np.all(e_log_ratio <= log_e_ratio + 1e-12) and np.all(log_e_ratio <= 1e-12)
assert kl_scipy.min() > 0 and np.all(log_e_ratio[:2_000] < 0)


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: two inequalities: Jensen, then "p has at most mass 1 where q lives". The second one is where a q with
# missing support loses (it comes back as an erratum in section 2).
# Ask: which pairs make log E_q[p/q] strictly negative? (Those where q misses part of p.)

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


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: one line of algebra and one use of Jensen. Write it on the board: multiply and divide by q, read the
# integral as an expectation, move the log inside.
# Ask: where did we need q > 0? (In the division; the erratum later makes this precise.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **(a) What we compute and optimise.** Split $\log p_\theta(x, z) = \log p_\theta(x \mid z) + \log p(z)$:
#
# $$\text{ELBO} = \mathbb E_q[\log p_\theta(x \mid z)] - \mathrm{KL}\big(q \,\|\, p(z)\big).$$
#
# The first term rewards $q$ for putting mass on codes $z$ that explain $x$; the second keeps $q$ close to the
# **prior**. Both are available without knowing $p_\theta(x)$.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: (a) is the form you compute: a reconstruction term and a KL to the prior, both without p(x).
# Ask: what does each term push q towards?

# %% [markdown] slideshow={"slide_type": "subslide"}
# **(b) Why it is a lower bound, and how loose.** Split instead $p_\theta(x, z) = p_\theta(z \mid x)\,p_\theta(x)$:
#
# $$\log p_\theta(x) - \text{ELBO} = \mathbb E_q\big[\log q(z) - \log p_\theta(z \mid x)\big]
#   = \mathrm{KL}\big(q \,\|\, p_\theta(z \mid x)\big) \;\ge\; 0.$$
#
# The gap is the KL divergence to the **posterior**: it vanishes exactly when $q$ is the posterior.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: (b) is the form that explains: the slack is exactly KL(q || posterior), so maximising the ELBO over q
# is minimising that KL.
# Ask: can the gap ever be negative? (No: section 1.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **Erratum (source, ELBO decomposition).** The source derivation writes
# > $\text{ELBO}(\theta, \phi) = \mathbb{E}_{z \sim q_{\phi}(z \vert x)}\left[\text{log}p_{\theta}(x \vert z) - D_{KL}(q_{\phi}(z \vert x) \vert \vert p_{\theta}(z \vert x)) \right]$,
# > mixing (a) and (b). The correct statements are (a), with the KL to the prior $p(z)$, and separately (b).
# > The source's own prose ("the KL-divergence encourages $q_{\phi}(z \vert x)$ to be close to $p(z)$")
# > describes (a).
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


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the source mixed (a) and (b); the grid computes the ELBO from its definition with no closed form, and
# both decompositions agree with it to 1e-8.
# Ask: why a grid and not the helper's own formula? (An identity checked against itself proves nothing.)

# %% [markdown]
# Now the source's form, $\mathbb E_q[\log p_\theta(x \mid z)] - \mathrm{KL}(q \,\|\, p_\theta(z \mid x))$. It is
# a different number, and it misbehaves exactly where the ELBO is best: at $q = $ posterior the true ELBO
# *equals* $\log p(x)$, while the source's form becomes $\mathbb E_q[\log p(x \mid z)]$, which is larger than
# $\log p(x)$: it would not even be a lower bound.

# %% tags=["slide-code", "nbval-check-output"] slideshow={"slide_type": "subslide"}
source_form = ell - kl_post
print(f"at this q:          ELBO {elbo:.4f}   source's form {source_form:.4f}")
ell_at_post = expected_log_likelihood(model, x_obs, post_mean, post_cov)
elbo_at_post = elbo_exact(model, x_obs, post_mean, post_cov)
print(f"at q = p(z|x):      ELBO {elbo_at_post:.4f}   source's form {ell_at_post:.4f}   log p(x) {log_px:.4f}")
assert abs(source_form - elbo) > 0.1
assert abs(elbo_at_post - log_px) < 1e-10 and ell_at_post > log_px


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the source's form exceeds log p(x) at the posterior, so it is not even a bound.
# Ask: which term of the source's form is the culprit?

# %% [markdown]
# ### Erratum: the step needs $q > 0$ wherever $p_\theta(x, z) > 0$
#
# The source justifies the first line of the derivation with: "We multiply the above equation by
# $\frac{q_{\phi}(z \vert x)}{q_{\phi}(z \vert x)}$ and use the fact that $\int q_{\phi}(z \vert x)dz = 1$ to get".
# The step never uses $\int q\,dz = 1$. It multiplies the integrand by $q(z)/q(z)$, which is 1 only where
# $q(z) > 0$; wherever $q = 0$ but $p_\theta(x, z) > 0$ that part of the integral silently drops out:
#
# $$\mathbb E_q\Big[\frac{p_\theta(x, z)}{q(z)}\Big] = \int_{q > 0} p_\theta(x, z)\,dz
#   = p_\theta(x)\, P\big(z \in \{q > 0\} \mid x\big).$$
#
# So the condition is on the **support** of $q$, not its normalisation. With it violated, everything built on
# samples of $q$ (the ELBO, importance sampling, the IWAE bound of section 5 for any $K$) aims at
# $\log p_\theta(x) + \log P(z \in \{q > 0\} \mid x)$ instead of $\log p_\theta(x)$, and no number of samples
# reveals it. A check in one dimension, $z \sim \mathcal N(0, 1)$, $x \mid z \sim \mathcal N(1.5 z, 0.5)$ (a
# variance) at $x = 2$: $q$ is a Gaussian truncated to $z > c$, a proper density ($\int q\,dz = 1$, by
# quadrature), with $c$ half a posterior standard deviation below the posterior mean.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the step needs q/q = 1 wherever the integrand lives; normalisation plays no part.
# Ask: a q that is a proper density but zero on part of the posterior: what does importance sampling converge to?

# %% tags=["nbval-check-output"] slideshow={"slide_type": "subslide"}
model_cut = LinearGaussian(np.array([[1.5]]), np.array([0.0]), np.array([[0.5]]))
x_cut = np.array([2.0])
pm_cut, pv_cut = model_cut.posterior(x_cut)
post_sd = np.sqrt(pv_cut[0, 0])
cut = pm_cut[0] - 0.5 * post_sd  # q is 0 below this point
q_loc, q_scale = pm_cut[0] + 0.3 * post_sd, 0.9 * post_sd
q_cut = truncnorm((cut - q_loc) / q_scale, np.inf, loc=q_loc, scale=q_scale)
z_line_cut = np.linspace(cut, cut + 12 * q_scale, 200_001)
q_mass = np.sum(q_cut.pdf(z_line_cut[:-1] + 0.5 * np.diff(z_line_cut))) * (z_line_cut[1] - z_line_cut[0])

z_cut = q_cut.rvs(size=(1_000, 1_000), random_state=np.random.default_rng(2))  # M = 10^6 draws of q
log_w_cut = model_cut.log_joint(x_cut, z_cut[..., None]) - q_cut.logpdf(z_cut)
log_px_cut = model_cut.log_marginal(x_cut)
kept = norm.sf(cut, pm_cut[0], post_sd)  # posterior mass where q > 0
estimate = log_mean_exp(log_w_cut.ravel())
estimate_se = np.exp(log_w_cut - estimate).std() / np.sqrt(log_w_cut.size)  # delta method
iwae_1000 = iwae_bound(log_w_cut).mean()  # rows of K = 1000 weights
print(f"integral of q by quadrature:            {q_mass:.6f}")
print(f"log p(x)                                {log_px_cut:.4f}")
print(f"log p(x) + log P(z > c | x)             {log_px_cut + np.log(kept):.4f}   (P = {kept:.3f})")
print(f"log of the average weight, M = 10^6     {estimate:.4f} ± {estimate_se:.4f}")
print(f"IWAE bound with K = 1000                {iwae_1000:.4f}")
assert abs(q_mass - 1) < 1e-6
assert abs(estimate - (log_px_cut + np.log(kept))) < 4 * estimate_se
assert log_px_cut - estimate > 0.2 and iwae_1000 < log_px_cut + np.log(kept) + 4 * estimate_se

# %% [markdown]
# The average weight converges, with a small standard error, to the wrong number: it misses exactly
# $\log P(z > c \mid x)$, the log of the posterior mass that $q$ never proposes. The fix is a $q$ whose support
# covers the posterior's (every Gaussian does); section 5 meets the same loss in a softer form, a $q$ that is
# positive everywhere but so small on one mode that it never samples there.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a million samples, a tiny standard error, and a confident wrong answer, off by exactly log P(z > c | x).
# Ask: how would you detect this from the samples alone? (You cannot: that is the danger.)

# %% [markdown]
# ## 3 · The ELBO-gap explorer
#
# The widget below draws the posterior $p(z \mid x)$ (blue) and your $q(z)$ (orange), and on the right the
# bars of $\log p(x) = \text{ELBO} + \text{gap}$, with the ELBO split as in (a). Every number is recomputed in
# closed form (or by quadrature) as you move a slider; a Monte Carlo estimate of the ELBO from $M$ samples
# of $q$ sits beside the exact value. A short tour (the cell after the widget checks each claim in it):
#
# 1. It starts at $q = p(z)$, the prior: the gap is then $\mathrm{KL}(p(z) \,\|\, p(z \mid x))$, a measure of how far
#    one data point moves the posterior away from the prior.
# 2. Move **q mean z1** until the orange curve sits under the blue one. The gap shrinks, but it does not
#    reach zero until **q log-std z1** matches the posterior width too. Press **snap to posterior**: the gap
#    reads 0.000000 and the ELBO bar is as long as the $\log p(x)$ bar.
# 3. From there, drag **q log-std z1** to the far left. $q$ becomes a spike at the best code: the
#    reconstruction term $\mathbb E_q[\log p(x \mid z)]$ improves, but $\mathrm{KL}(q \,\|\, p(z))$ grows
#    faster, and the ELBO falls. That trade-off is the whole of decomposition (a).


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: do steps 1-3 live on the next slide: start at the prior, move the mean, snap, then shrink q.
# Ask: before moving anything, which bar will change when only the mean moves?

# %% [markdown] slideshow={"slide_type": "subslide"}
# 4. Switch to **linear-Gaussian, k = 2**: the posterior is tilted (the two latent causes explain each other
#    away, so their posterior correlation is negative). Set **q correlation** to 0: no uncorrelated
#    ("mean-field") $q$ reaches zero gap, and the best one is narrower than the posterior in both coordinates.
# 5. Switch to the **non-conjugate** model, $x \sim \mathcal N(z^2, \sigma^2)$: the sign of $z$ is lost, so for
#    $x = 3$ the posterior has two modes. **snap to best Gaussian q** covers one mode and leaves a gap near
#    $\log 2 \approx 0.69$: half the posterior mass is missed. For $x = 1$ the modes are close, and the best
#    Gaussian instead sits between them (mean 0), wide enough to reach both.
# 6. Watch the Monte Carlo row: press **resample** a few times; about 95% of the time the estimate lies within
#    two standard errors of the exact ELBO. At the posterior every sample gives exactly $\log p(x)$ and the
#    standard error is 0.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: steps 4-6 show the limits: mean-field q, a bimodal posterior, and Monte Carlo noise.
# Ask: why must the best mean-field q be narrower than the posterior? (Try it 3 derives it.)

# %% tags=["slide-code", "nbval-ignore-output"] slideshow={"slide_type": "subslide"}
explorer = ElboGapExplorer()
explorer


# %% [markdown] slideshow={"slide_type": "notes"}
# Demonstrate: the tour, live. Press snap to posterior and read 0.000000. Then the non-conjugate model at
# x = 3 and x = 1.
# Ask: at x = 1 the gap is below log 2; why does straddling both modes beat covering one?

# %% [markdown] slideshow={"slide_type": "subslide"}
# If the widget does not render (a static viewer, or widgets disabled), here is the same panel in two states:
# $q$ a little off the posterior in the $k = 1$ model, then the best Gaussian for the bimodal posterior. The
# numbers printed under the pictures come from the same object, and are checked against a direct KL.

# %%
snapshot = ElboGapExplorer(n_samples=500, dpi=110)
snapshot.mean_sliders[0].value = 0.6
snapshot.log_std_sliders[0].value = -0.1
show_png(snapshot.png, alt="The explorer for the k = 1 linear-Gaussian model with q slightly off the posterior: "
                           "left, the dashed prior, the posterior and a wider q shifted to the left of it; right, "
                           "bars of log p(x), the ELBO (with the gap), E_q[log p(x|z)], -KL(q || p(z)) and the Monte "
                           "Carlo ELBO estimate with its standard error.")
direct = gaussian_kl(snapshot.q_mean, snapshot.q_cov, *snapshot.model.posterior(snapshot.x))
print(f"k = 1, q off the posterior: gap {snapshot.gap:.6f}, direct KL(q || p(z|x)) {direct:.6f}")
assert abs(snapshot.gap - direct) < 1e-10



# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a static copy for readers without a kernel; the gap printed under it is checked against a direct KL.

# %% slideshow={"slide_type": "subslide"}
snapshot.model_toggle.value = MODEL_NAMES[2]
snapshot.x_index.value = 4  # x = 3: two well-separated modes
snapshot.snap_button.click()
show_png(snapshot.png, alt="The explorer for the non-conjugate model at x = 3: left, a posterior with two equal, "
                           "narrow modes near z = -1.7 and z = +1.7 and the best Gaussian q covering only the "
                           "right-hand one; right, the bars, with a gap of about log 2 between log p(x) and the "
                           "ELBO.")
print(f"non-conjugate, x = 3, best Gaussian q: gap {snapshot.gap:.4f} (log 2 = {np.log(2):.4f})")
assert abs(snapshot.gap - np.log(2)) < 0.02


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: one mode covered, the other missed: the gap is about log 2, the price of half the posterior mass.
# Ask: what would the gap be with three equal, separated modes? (About log 3.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The tour's claims, checked step by step on a third explorer that is not displayed:

# %%
tour = ElboGapExplorer()
post_1 = tour.model.posterior(tour.x)
assert abs(tour.gap - gaussian_kl(np.zeros(1), np.eye(1), *post_1)) < 1e-10  # 1. q starts at the prior
tour.snap_button.click()
at_post = dict(tour.numbers)
assert abs(at_post["gap"]) < 1e-9 and at_post["elbo_mc_stderr"] < 1e-10  # 2. and 6.: zero gap, zero s.e.
tour.log_std_sliders[0].value = tour.log_std_sliders[0].min  # 3. q becomes a spike at the posterior mean
spike = dict(tour.numbers)
better_fit = spike["expected_log_likelihood"] - at_post["expected_log_likelihood"]
kl_growth = spike["kl_to_prior"] - at_post["kl_to_prior"]
print(f"3. spike q: E_q[log p(x|z)] up by {better_fit:.3f}, KL(q || p(z)) up by {kl_growth:.3f}, "
      f"ELBO down by {at_post['elbo'] - spike['elbo']:.3f} nats")
assert better_fit > 0 and kl_growth > better_fit

tour.model_toggle.value = MODEL_NAMES[1]  # 4. k = 2
post_mean_2, post_cov_2 = tour.model.posterior(tour.x)
post_corr = post_cov_2[0, 1] / np.sqrt(post_cov_2[0, 0] * post_cov_2[1, 1])
# The best diagonal q by a numerical search over its two log-stds (Try it 3 derives it in closed form).
searched = minimize(lambda ls: gaussian_kl(post_mean_2, np.diag(np.exp(2 * ls)), post_mean_2, post_cov_2),
                    np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-14})
mean_field_var = np.exp(2 * searched.x)
tour.snap_button.click()
tour.corr_slider.value = 0.0
for i in range(2):
    tour.log_std_sliders[i].value = float(searched.x[i])
print(f"4. posterior correlation {post_corr:.2f}; best mean-field gap {tour.gap:.4f} (numerical search "
      f"{searched.fun:.4f}); its std / the posterior's: {np.sqrt(mean_field_var / np.diag(post_cov_2)).round(2)}")
assert post_corr < 0 and tour.gap > 0.01 and abs(tour.gap - searched.fun) < 1e-8
assert np.all(mean_field_var < np.diag(post_cov_2))

tour.model_toggle.value = MODEL_NAMES[2]  # 5. non-conjugate, x = 1
tour.x_index.value = 2
z_modes = np.linspace(0.0, 4.0, 40_001)
mode_1 = z_modes[np.argmax(tour.model.log_joint(tour.x, z_modes[:, None]))]
best_mean_1, best_cov_1, _ = tour.best_q()
print(f"5. x = 1: posterior modes at ±{mode_1:.3f}; best Gaussian mean {best_mean_1[0]:.1e}, "
      f"std {np.sqrt(best_cov_1[0, 0]):.3f}")
assert abs(best_mean_1[0]) < 0.01 and 2 * np.sqrt(best_cov_1[0, 0]) > mode_1

# 6. Coverage of the Monte Carlo row: 400 resamples of M = 100 at the off-posterior q of the first snapshot.
model_k1 = snapshot.models[0]
x_k1 = snapshot.data[0][0]
q_mean_k1, q_cov_k1 = np.array([0.6]), np.array([[np.exp(-0.2)]])
exact_k1 = elbo_exact(model_k1, x_k1, q_mean_k1, q_cov_k1)
covered = np.mean([abs((e := elbo_mc(model_k1, x_k1, q_mean_k1, q_cov_k1, 100, seed)).value - exact_k1)
                   < 2 * e.stderr for seed in range(400)])
print(f"6. exact ELBO within 2 standard errors of the estimate in {covered:.1%} of 400 resamples")
assert 0.88 < covered < 0.99


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: each sentence of the tour has a number here; the spike trades a little reconstruction for a lot of
# KL, and the Monte Carlo interval covers the truth about 95% of the time.
# Ask: why is the standard error exactly zero at the posterior?

# %% [markdown]
# ## 4 · Optimising q by gradient ascent
#
# In practice nobody drags sliders: $q = \mathcal N(m, LL^\top)$ is fitted by stochastic gradient ascent on a
# Monte Carlo ELBO. With the reparameterisation of notebook 03, $z = m + L\varepsilon$, $\varepsilon \sim
# \mathcal N(0, I)$, the estimate $\frac1M \sum_{m=1}^M [\log p(x, z_m) - \log q(z_m)]$ is differentiable in $(m, L)$,
# and PyTorch does the rest. `helpers.elbo.fit_gaussian_q` runs Adam on it; its core is
#
# ```python
# z = mean + eps @ L.T                                   # reparameterised samples of q
# objective = (log_joint(z) - log_q_detached(z)).mean()  # Monte Carlo ELBO
# (-objective).backward(); opt.step()
# ```


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: three lines of PyTorch: sample through the reparameterisation, average, step.
# Ask: which part of this depends on q's parameters? (The samples themselves.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# where `log_q_detached` evaluates $\log q$ with $m$ and $L$ held fixed. That changes no expected gradient,
# but when $q$ equals the posterior every sample's gradient is then exactly zero ("sticking the landing",
# Roeder et al. 2017), so the iterates settle on the posterior instead of jittering around it.
#
# Two one-dimensional problems, drawn in the plane of $q$'s parameters (mean, log-std) over contours of the
# gap $\mathrm{KL}(q \,\|\, p(z \mid x))$: the linear-Gaussian model with $k = 1$ (one minimum, at zero), and
# the non-conjugate model at $x = 2$ (two minima, one per mode, both above zero).


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: detaching log q keeps the expected gradient and makes it exactly zero at the posterior.
# Ask: what do you expect the runs to do on the right-hand problem?

# %% slideshow={"slide_type": "subslide"}
model_1d = random_model(1, 3, rng, noise_std=0.8)
_, x_1d = model_1d.sample(1, rng)
x_1d = x_1d[0]
square = SquaredLatentModel(noise_std=0.5)
x_sq = 2.0

means_axis = np.linspace(-3.0, 3.0, 241)
log_std_axis = np.linspace(-2.5, 1.0, 141)
mean_mesh, log_std_mesh = np.meshgrid(means_axis, log_std_axis)
pm_1d, pc_1d = model_1d.posterior(x_1d)
gap_linear = gaussian_kl(mean_mesh[..., None], np.exp(2 * log_std_mesh)[..., None, None], pm_1d, pc_1d)
gap_square = square.gap(x_sq, mean_mesh, np.exp(log_std_mesh))

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
    cs = ax.contour(mean_mesh, log_std_mesh, gap_surface, levels=levels, cmap="viridis", linewidths=1)
    ax.clabel(cs, cs.levels[::3], fmt="%.2g", fontsize=8)
    for i, (fit, color, style) in enumerate(zip(fits, (COLORS[1], COLORS[3]), ("-", "--"), strict=True)):
        path = np.c_[fit.means[:, 0], 0.5 * np.log(fit.covs[:, 0, 0])]
        ax.plot(path[:, 0], path[:, 1], style, color=color, lw=1.5, label=f"run {i + 1}: start ●, end ★")
        ax.plot(*path[0], "o", color=color, ms=7)
        ax.plot(*path[-1], "*", color=color, ms=14, mec="k")
    labelled(ax, title, "q mean m", "q log-std log s")
axes[0].plot(pm_1d[0], 0.5 * np.log(pc_1d[0, 0]), "+", color="k", ms=14, mew=2, label="exact posterior")
axes[0].legend(loc="upper right", fontsize=9)
axes[1].legend(loc="lower center", fontsize=9)
show(fig, alt="Two contour plots of the gap KL(q || p(z|x)) over q's mean (x axis) and log standard deviation "
              "(y axis), each with two Adam runs (solid and dashed) from a circle to a star. Left, "
              "linear-Gaussian: one basin, and both runs end on the exact posterior, marked by a cross. Right, "
              "the bimodal posterior at x = 2: two basins at means near -1.3 and +1.3, and each run ends in one "
              "of them.")


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: left, both runs land on the cross; right, each run falls into the basin it started nearer to.
# Ask: is either right-hand minimum better than the other? (No: the posterior is symmetric.)

# %% [markdown] slideshow={"slide_type": "subslide"}
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
    axes[0].semilogy(np.maximum(gap_path_linear(fit), 1e-16), ("-", "--")[i], color=(COLORS[1], COLORS[3])[i],
                     label=f"run {i + 1}")
labelled(axes[0], "linear-Gaussian: the gap goes to 0", "Adam step", "KL(q || p(z|x))  [nats, log scale]")
axes[0].legend()
for i, fit in enumerate(fits_square):
    axes[1].plot(gap_path_square(fit), ("-", "--")[i], color=(COLORS[1], COLORS[3])[i], label=f"run {i + 1}")
axes[1].axhline(best_gap, color="k", ls="--", lw=1, label=f"best Gaussian q: {best_gap:.3f}")
axes[1].set_ylim(0, 5)
labelled(axes[1], "bimodal posterior: the gap stays positive", "Adam step", "KL(q || p(z|x))  [nats]")
axes[1].legend()
show(fig, alt="The gap against Adam step for the two runs (solid and dashed). Left, linear-Gaussian, log scale: "
              "it falls from about 10 nats to below 1e-15 by step 400. Right, bimodal posterior: it drops within "
              "about 150 steps onto a dashed horizontal line at the best Gaussian gap, about 0.71 nats, and stays "
              "there.")

# %% tags=["nbval-check-output"]
final_linear = [gap_path_linear(f)[-1] for f in fits_linear]
final_square = [gap_path_square(f)[-1] for f in fits_square]
print("final gap, linear-Gaussian: all below 1e-8:", max(final_linear) < 1e-8)
print("final gap, bimodal:        ", [f"{g:.2f}" for g in final_square], f" best Gaussian: {best_gap:.2f}")
assert max(final_linear) < 1e-8
assert all(abs(g - best_gap) < 0.01 for g in final_square) and best_gap > 0.5

# "Sticking the landing": at q = posterior each sample's gradient is exactly zero with log q detached, and
# not without. One sample at a time, by autograd, for the linear-Gaussian problem of the left panels.
stl_mean = torch.tensor(pm_1d, requires_grad=True)
stl_log_std = torch.tensor(0.5 * np.log(np.diag(pc_1d)), requires_grad=True)
joint_1d = torch_log_joint(model_1d, x_1d)
per_sample = {"log q detached": [], "log q differentiated": []}
for eps in torch.randn(8, 1, 1, generator=torch.Generator().manual_seed(9), dtype=torch.float64):
    for label, (m_q, ls_q) in {"log q detached": (stl_mean.detach(), stl_log_std.detach()),
                               "log q differentiated": (stl_mean, stl_log_std)}.items():
        z_one = stl_mean + torch.exp(stl_log_std) * eps  # reparameterised: z moves with q's parameters
        log_q_one = torch.distributions.Normal(m_q, torch.exp(ls_q)).log_prob(z_one).sum()
        grads = torch.autograd.grad(joint_1d(z_one).sum() - log_q_one, (stl_mean, stl_log_std))
        per_sample[label].append(max(g.abs().max().item() for g in grads))
print("largest per-sample gradient at q = posterior:",
      {label: f"{max(v):.1e}" for label, v in per_sample.items()})
assert max(per_sample["log q detached"]) < 1e-10 and min(per_sample["log q differentiated"]) > 1e-3


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: to machine precision on the left; stuck at the best Gaussian gap, 0.71 nats, on the right.
# Ask: would more steps or a smaller learning rate help on the right? (No: it is the family, not the optimiser.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Why does the fit pick one mode rather than cover both? $\mathrm{KL}(q \,\|\, p)$ averages
# $\log q - \log p$ under $q$: putting $q$'s mass where $p(z \mid x)$ is tiny costs a lot, while leaving part of
# $p$ uncovered costs nothing directly. This "zero-forcing" or **mode-seeking** behaviour is built into the
# ELBO. A single Gaussian on one of two equal, well-separated modes misses half the mass, which costs
# $\log 2$.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: KL(q || p) averages under q, so mass where p is tiny is expensive and missed mass is free.
# Ask: which direction of KL would make q cover both modes? (KL(p || q).)

# %% [markdown] slideshow={"slide_type": "subslide"}
# At $x = 2$ the best gap is slightly *above* $\log 2$, and not because the modes overlap: the best $q$ puts
# about $10^{-12}$ of its mass on the other mode. Because the posterior is mirror-symmetric, for a $q$ that lives
# on $z > 0$ the gap splits exactly (try it below, with pen and paper):
#
# $$\mathrm{KL}\big(q \,\|\, p(z \mid x)\big) = \log 2 + \mathrm{KL}\big(q \,\|\, p_+\big), \qquad
#   p_+(z) = 2\,p(z \mid x)\,\mathbb 1[z > 0],$$
#
# where $p_+$ is the right-hand mode on its own, renormalised. Each mode is skewed (its tail towards $z = 0$ is
# longer than its outer tail, since $x \mid z$ depends on $z^2$), so no Gaussian matches it and
# $\mathrm{KL}(q \,\|\, p_+) > 0$: that is the excess. Overlap would act the other way: mass on the other
# mode is mass the posterior has, so it would pull the gap *below* $\log 2$, as at $x = 1$, where the modes
# merge and the best Gaussian straddles them.

# %% tags=["nbval-check-output"]
z_half = np.linspace(0.0, 8.0, 400_001)[1:]
dz_half = z_half[1] - z_half[0]
log_p_plus = np.log(2) + square.log_posterior(z_half[:, None], x_sq)
p_plus = np.exp(log_p_plus)
log_q_half = norm.logpdf(z_half, best_m, best_s)
kl_q_plus = np.sum(np.exp(log_q_half) * (log_q_half - log_p_plus)) * dz_half
other_mode = norm.cdf(0.0, best_m, best_s)  # q's mass on z < 0
mode_mean = np.sum(z_half * p_plus) * dz_half
mode_skew = np.sum((z_half - mode_mean) ** 3 * p_plus) * dz_half / (np.sum((z_half - mode_mean) ** 2 * p_plus)
                                                                    * dz_half) ** 1.5
best_gap_x1 = square.best_gaussian(1.0)[2]
print(f"x = 2: best gap {best_gap:.4f} = log 2 {np.log(2):.4f} + {best_gap - np.log(2):.4f}")
print(f"       KL(q || p+) by quadrature {kl_q_plus:.4f};  q's mass on the other mode {other_mode:.1e};  "
      f"skewness of p+ {mode_skew:.2f}")
print(f"x = 1: best gap {best_gap_x1:.4f}, below log 2")
assert abs(best_gap - (np.log(2) + kl_q_plus)) < 1e-6 and other_mode < 1e-9
assert kl_q_plus > 0.01 and mode_skew < -0.3 and best_gap_x1 < np.log(2) - 0.1


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the excess over log 2 is not overlap (1e-12 of q's mass is on the other mode) but the skew of one
# mode: log 2 + KL(q || p+) matches the gap to 1e-6.
# Ask: why would overlap push the gap below log 2?

# %% [markdown]
# ### Erratum: the ELBO is differentiable in $\phi$ only through an estimator
#
# The source says of the ELBO: "It is a differentiable function of $\theta$ and $\phi$, and can be used to
# train the model." As a number it is smooth in $\phi$, but outside a closed form like ours we never have that
# number, only samples of $q_\phi$, and **the samples depend on $\phi$**. Draw $z_m \sim q_\phi$, treat them as
# fixed data, and differentiate $\frac1M \sum_m [\log p(x, z_m) - \log q_\phi(z_m)]$: the only $\phi$ left is in
# $-\log q_\phi(z_m)$, whose expected gradient is $-\mathbb E_q[\nabla_\phi \log q_\phi] = 0$. That "gradient"
# is pure noise around zero. A real gradient needs an estimator that accounts for where the samples came
# from: the score function (notebook 03; the only one left when $z$ is discrete, notebook 06) or the
# reparameterisation $z = m + s\varepsilon$ used above. With $q = \mathcal N(m, s^2)$ on the linear-Gaussian
# problem, 1,000 estimates of each from $M = 100$ samples, against the exact gradient (central differences of
# the closed-form ELBO):


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the ELBO is smooth in phi, but its Monte Carlo estimate is only differentiable if the samples move
# with phi.
# Ask: what gradient do you get if you draw samples, then differentiate as if they were data?

# %% tags=["nbval-check-output"] slideshow={"slide_type": "subslide"}
m0, s0 = pm_1d[0] + 1.0, 0.5 * np.sqrt(pc_1d[0, 0])
R_phi, M_phi = 1_000, 100


def elbo_of(m, s):
    return elbo_exact(model_1d, x_1d, np.array([m]), np.array([[s**2]]))


h = 1e-5
exact_phi = np.array([(elbo_of(m0 + h, s0) - elbo_of(m0 - h, s0)) / (2 * h),
                      (elbo_of(m0, s0 + h) - elbo_of(m0, s0 - h)) / (2 * h)])
eps_phi = np.random.default_rng(3).standard_normal((R_phi, M_phi))
frozen = -np.stack([(eps_phi / s0).mean(1), ((eps_phi**2 - 1) / s0).mean(1)], axis=1)  # -grad log q at fixed z
log_joint_1d = torch_log_joint(model_1d, x_1d)
entropy_grad = np.array([0.0, 1 / s0])  # H[q] = log s + const, exact
sf = score_function_gradient(log_joint_1d, [m0], [s0], M_phi, 4, n_repeats=R_phi)
rp = reparameterisation_gradient(log_joint_1d, [m0], [s0], M_phi, 5, n_repeats=R_phi)
estimators = {
    "fixed samples (no estimator)": frozen,
    "score function": np.c_[sf.mean[:, 0], sf.std[:, 0]] + entropy_grad,
    "reparameterisation": np.c_[rp.mean[:, 0], rp.std[:, 0]] + entropy_grad,
}
print(f"exact gradient (d/dm, d/ds):      {exact_phi[0]:+8.3f} {exact_phi[1]:+8.3f}")
for name, g in estimators.items():
    se = g.std(0, ddof=1) / np.sqrt(R_phi)
    print(f"{name:30s}  mean {g.mean(0)[0]:+8.3f} {g.mean(0)[1]:+8.3f}   spread (sd) {g.std(0)[0]:7.3f} "
          f"{g.std(0)[1]:7.3f}")
    off = np.abs(g.mean(0) - exact_phi) / se
    if name.startswith("fixed"):
        assert np.all(off > 10) and np.all(np.abs(g.mean(0)) < 4 * se)  # centred on 0, not on the gradient
    else:
        assert np.all(off < 4.5)  # unbiased
assert np.all(estimators["reparameterisation"].std(0) < estimators["score function"].std(0))


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: fixed samples give noise around zero; the score function is unbiased but noisy; the
# reparameterisation is unbiased and quiet.
# Ask: which estimator survives when z is discrete? (The score function: notebook 06.)

# %% [markdown]
# ## 5 · Tightening the bound: importance weighting (IWAE)
#
# Jensen lost the gap by moving the log inside *one* sample's weight. Averaging $K$ weights before the log
# gives the importance-weighted bound (Burda et al. 2016)
#
# $$\mathcal L_K = \mathbb E_{z_1, \dots, z_K \sim q}\Big[\log \frac1K \sum_{m=1}^K w_m\Big], \qquad
#   w_m = \frac{p_\theta(x, z_m)}{q(z_m)},$$
#
# with $\mathcal L_1 = \text{ELBO} \le \mathcal L_K \le \mathcal L_{K+1} \le \log p_\theta(x)$. The last inequality
# is Jensen again ($\mathbb E[\frac1K\sum_m w_m] = p_\theta(x)$). The middle one needs one more idea (Burda et al.
# 2016): the average of $K$ weights is the average, over the $K$ ways of leaving one weight out, of the
# average of the other $K - 1$:
#
# $$\log \frac1K \sum_{m=1}^K w_m = \log \frac1K \sum_{j=1}^K \Big(\frac1{K-1} \sum_{m \ne j} w_m\Big)
#   \;\ge\; \frac1K \sum_{j=1}^K \log \Big(\frac1{K-1} \sum_{m \ne j} w_m\Big),$$
#
# by Jensen over the $K$ leave-one-out sets. Each term on the right is a draw of $\mathcal L_{K-1}$, so taking
# expectations gives $\mathcal L_K \ge \mathcal L_{K-1}$. The inequality holds for *every* set of samples, not
# only on average, which a cell at the end of this section checks row by row.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: IWAE moves the log outside an average of K weights; the leave-one-out trick and Jensen show that
# the bound can only rise with K.
# Ask: what is L_K as K goes to infinity, for a q that covers the posterior?

# %% [markdown] slideshow={"slide_type": "subslide"}
# For large $K$ the delta method gives $\log p(x) - \mathcal L_K \approx \chi^2(p(z\mid x) \,\|\, q)/(2K)$, where
# $\chi^2 = \operatorname{Var}_q[w]/p(x)^2$: the bound closes like $1/K$, at a rate set by how well $q$ covers
# the posterior.
#
# On the bimodal posterior ($x = 2$) we compare two Gaussians: the ELBO-optimal one from section 4 (one mode)
# and a *mass-covering* one with the posterior's mean and variance. $\chi^2$ comes from grid quadrature and
# $\mathcal L_K$ from 4 million draws of $q$, reused for every $K$ (as rows of $K$ weights).


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the rate 1/K has a constant, chi²/2, set by how well q covers the posterior.
# Ask: which of our two Gaussians has the larger chi²?

# %% [markdown] slideshow={"slide_type": "subslide"}
# To see the $1/K$ law down to $K = 1000$ we need the small gap $\log p(x) - \mathcal L_K$ more precisely than
# the spread of $\log \bar w$ allows. Here $\log p(x)$ is known, and $u = \bar w/p(x) - 1$ has mean exactly 0
# (importance sampling is unbiased), so $\mathbb E[u - \log(1 + u)] = \log p(x) - \mathcal L_K$ as well, with far
# less noise: $u - \log(1+u) \approx u^2/2$ removes the first-order fluctuation (a *control variate*). This only
# works for a $q$ that covers the posterior: for the mode-seeking $q$ the sample mean of $u$ sits near
# $-1/2$, not 0, because the other mode is never visited.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a control variate: subtract something with known mean zero to cut the noise; it works only if q
# really covers the posterior.

# %% slideshow={"slide_type": "subslide"}
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
    fmt = "o-" if name.startswith("mass") else "s--"
    axes[0].errorbar(ks, r["L"], yerr=2 * r["se"], fmt=fmt, color=color, ms=4, capsize=2, label=name)
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
show(fig, alt="Left: the IWAE bound L_K against K on a log axis from 1 to 1000. The mass-covering q (circles, "
              "solid) starts far below the panel and climbs to the horizontal line log p(x); the mode-seeking q "
              "(squares, dashed) starts near -2.88 and stays flat just under the dotted line log p(x) - log 2. "
              "Right: log-log plot of log p(x) - L_K for the mass-covering q, falling along the dashed line "
              "chi^2/(2K) from K of about 20 on.")


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the ELBO's favourite q stalls at log p(x) - log 2; the mass-covering q starts terribly and wins.
# Ask: which q would you use as an importance-sampling proposal, and which to train a model?

# %% [markdown] slideshow={"slide_type": "subslide"}
# The mass-covering $q$ starts with a terrible ELBO (its $\mathcal L_1 \approx -13.3$ is off the bottom of the
# left panel: it wastes mass between the modes, where the likelihood is tiny), but its bound climbs to
# $\log p(x)$, and from $K = 100$ on its gap follows the $\chi^2/(2K)$ line (right panel; at small $K$ the gap is
# larger than the line, as the next-order terms predict). The mode-seeking $q$ starts far better and then
# stalls just below $\log p(x) - \log 2$: it never proposes a $z$ near the other mode, and no amount of
# averaging recovers mass that is never sampled. A good proposal for importance sampling covers the posterior;
# the ELBO's favourite $q$ does not.

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
print(f"mode-seeking q: mean of w_bar/p(x) - 1 at K = 1000: {mode['mean_u'][-1]:.2f} (the missed mode); "
      f"L_1000 - (log p(x) - log 2) = {mode['L'][-1] - (log_px_sq - np.log(2)):+.4f}")
assert abs(mode["mean_u"][-1] + 0.5) < 0.01
# Stalls just below log p(x) - log 2 (within 0.05 nats, and never above it beyond noise):
assert -0.05 < mode["L"][-1] - (log_px_sq - np.log(2)) < 4 * mode["se"][-1]
mass_cover = iwae["mass-covering q (posterior mean and variance)"]
assert abs(mass_cover["elbo"] + 13.3) < 0.05 and mass_cover["L"][0] < log_px_sq - 1.6  # off the panel
assert mass_cover["L"][-1] > mode["L"][-1] + 0.6  # climbs past the mode-seeking q


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: L_1 equals the ELBO, the bound rises with K and stays below log p(x); the 1/K law holds from K = 100.
# Ask: why can no K rescue the mode-seeking q?

# %% [markdown] slideshow={"slide_type": "subslide"}
# The row-by-row check of $\mathcal L_K \ge \mathcal L_{K-1}$: for 10,000 rows of $K = 10$ weights of the
# mass-covering $q$, the log of the average of all ten against the mean of the ten leave-one-out log averages.

# %%
m_cover, v_cover = candidates["mass-covering q (posterior mean and variance)"]
_, log_w_rows = gaussian_log_weights(square, np.array([x_sq]), np.array([m_cover]), np.array([[v_cover]]),
                                     100_000, np.random.default_rng(6))
log_w_rows = log_w_rows.reshape(10_000, 10)
all_ten = iwae_bound(log_w_rows)
leave_one_out = np.stack([iwae_bound(np.delete(log_w_rows, j, axis=1)) for j in range(10)], axis=1).mean(1)
print(f"rows where log(mean of 10) < mean of the leave-one-out logs: {np.sum(all_ten < leave_one_out - 1e-12)}")
print(f"L_10 estimate {all_ten.mean():.4f}  >=  L_9 estimate {leave_one_out.mean():.4f}")
assert np.all(all_ten >= leave_one_out - 1e-12)


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: not a statistical check: the inequality holds in every one of the 10,000 rows.

# %% [markdown]
# ## 6 · Learning θ as well
#
# So far $\theta$ was fixed. Maximising the total ELBO over the model parameters $\theta$ and the variational
# parameters $\phi$ *together* is how latent variable models are trained.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: until now theta was fixed; now the ELBO becomes a training objective for the model too.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The gradient in θ, and Fisher's identity again
#
# $q$ does not depend on $\theta$, so the gradient moves inside the expectation and the $\log q$ term drops out:
#
# $$\nabla_\theta \text{ELBO}(\theta, q) = \mathbb E_q\big[\nabla_\theta \log p_\theta(x, z)\big]
#   = \mathbb E_q\big[\nabla_\theta \log p_\theta(x \mid z)\big]$$
#
# (the second form because the prior $p(z) = \mathcal N(0, I)$ has no parameters). Now take $q$ to be the
# posterior at the current $\theta_0$. As a function of $\theta$, $\text{ELBO}(\theta, q)$ lies below
# $\log p_\theta(x)$ everywhere and touches it at $\theta_0$, where the gap $\mathrm{KL}(q \,\|\, p_{\theta_0}(z
# \mid x))$ is zero; two smooth functions that touch like that have the same slope there. So
#
# $$\nabla_\theta \log p_\theta(x)\big|_{\theta_0} = \mathbb E_{p_{\theta_0}(z \mid x)}\big[\nabla_\theta \log
#   p_\theta(x \mid z)\big]\big|_{\theta_0},$$
#
# the Fisher identity of notebook 03, now read as a property of the ELBO. With any other $q$ the ELBO's
# gradient is a different vector. Checked on the $k = 2$ model of section 2 with $\theta = (A, b)$: autograd of
# the closed-form ELBO against a Monte Carlo average of $\nabla_\theta \log p_\theta(x \mid z)$ (200,000 draws of
# $q$) and, at the posterior, against the matrix-calculus gradient of $\log \mathcal N(x; b, AA^\top + \Sigma)$ and
# autograd through `torch.distributions.MultivariateNormal`.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: this is the bridge from 03: at q = posterior the ELBO touches log p(x) from below, so their slopes
# agree, which is Fisher's identity.
# Ask: what does this say about EM? (Its M-step follows the true gradient at the start.)

# %% tags=["nbval-check-output"] slideshow={"slide_type": "subslide"}
A_t = torch.tensor(model.A, requires_grad=True)
b_t = torch.tensor(model.b, requires_grad=True)
log_noise_std = torch.tensor(0.5 * np.log(model.Sigma[0, 0]))  # random_model's noise is isotropic
assert np.allclose(model.Sigma, model.Sigma[0, 0] * np.eye(model.data_dim))


def elbo_theta_gradient(mean, cov):
    # The closed-form ELBO at a fixed q, differentiated in theta = (A, b) by autograd.
    value = ppca_elbo_torch(torch.tensor(x_obs)[None], A_t, b_t, log_noise_std, torch.tensor(mean)[None],
                            torch.tensor(np.linalg.cholesky(cov)))[0].sum()
    return [g.numpy() for g in torch.autograd.grad(value, (A_t, b_t))]


grad_off = elbo_theta_gradient(q_mean, q_cov)
z_theta = multivariate_normal(q_mean, q_cov).rvs(200_000, random_state=np.random.default_rng(7))
per_sample = log_likelihood_gradient(model, x_obs, z_theta)
mc_mean = [per_sample.A.mean(0), per_sample.b.mean(0)]
mc_se = [per_sample.A.std(0) / np.sqrt(len(z_theta)), per_sample.b.std(0) / np.sqrt(len(z_theta))]

grad_post = elbo_theta_gradient(post_mean, post_cov)
exact_theta = exact_log_marginal_gradient(model, x_obs)
log_px_torch = torch.distributions.MultivariateNormal(b_t, A_t @ A_t.T + torch.tensor(model.Sigma)).log_prob(
    torch.tensor(x_obs))
autograd_theta = [g.numpy() for g in torch.autograd.grad(log_px_torch, (A_t, b_t))]

largest_z = max(np.max(np.abs(g - m) / s) for g, m, s in zip(grad_off, mc_mean, mc_se, strict=True))
print(f"q off the posterior: ELBO gradient vs E_q[grad log p(x|z)] (Monte Carlo): largest |diff| / s.e. "
      f"{largest_z:.2f}")
print(f"q = posterior: ELBO gradient vs grad log p(x): largest difference "
      f"{max(np.max(np.abs(grad_post[0] - exact_theta.A)), np.max(np.abs(grad_post[1] - exact_theta.b))):.1e} "
      f"(matrix calculus), {max(np.max(np.abs(g - a)) for g, a in zip(grad_post, autograd_theta, strict=True)):.1e}"
      f" (torch autograd)")
print(f"q off the posterior: |ELBO gradient - grad log p(x)| = "
      f"{np.sqrt(np.sum((grad_off[0] - exact_theta.A) ** 2) + np.sum((grad_off[1] - exact_theta.b) ** 2)):.2f}")
assert largest_z < 4.5
assert np.allclose(grad_post[0], exact_theta.A, atol=1e-10) and np.allclose(grad_post[1], exact_theta.b, atol=1e-10)
assert all(np.allclose(g, a, atol=1e-10) for g, a in zip(grad_post, autograd_theta, strict=True))
assert np.sum((grad_off[0] - exact_theta.A) ** 2) + np.sum((grad_off[1] - exact_theta.b) ** 2) > 0.1


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: three independent computations agree; off the posterior the ELBO gradient points elsewhere.

# %% [markdown]
# ### Learning probabilistic PCA
#
# Whenever the family of $q$ contains the exact posterior, the maximum over $\phi$ makes the ELBO equal to
# $\log p_\theta(x)$, so the maximum over $(\theta, \phi)$ is the maximum likelihood.
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


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: probabilistic PCA has a closed-form maximum likelihood, so training by the ELBO can be graded exactly.
# Ask: why can a linear encoder represent the exact posterior for every x?

# %% slideshow={"slide_type": "subslide"}
true_model = LinearGaussian(rng.standard_normal((5, 2)), rng.standard_normal(5), 0.3 * np.eye(5))
_, x_data = true_model.sample(500, rng)
n_data, d_data = x_data.shape

W_mle, mu_mle, s2_mle, loglik_mle = ppca_mle(x_data, 2)
fit = fit_ppca_elbo(x_data, 2, n_steps=500, lr=0.05, seed=0)
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
show(fig, alt="Log-scale plot against Adam step of the maximum log-likelihood minus the ELBO per data point, "
              "falling from about 5 nats to below 1e-10 nats by step 500, crossing a dotted horizontal line near "
              "0.007 nats that marks how far the true parameters are below the maximum likelihood.")


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the ELBO climbs to the maximum likelihood; it passes the true parameters early, as it should on a
# finite sample.

# %% tags=["nbval-check-output"] slideshow={"slide_type": "subslide"}
print(f"max log-likelihood per point (eigendecomposition)   {loglik_mle / n_data:.4f}")
print(f"log-likelihood per point of the learned θ            {loglik_learned / n_data:.4f}")
print(f"final ELBO per point                                 {fit.elbo_history[-1]:.4f}")
print(f"noise variance: learned {fit.noise_var:.4f}, closed form {s2_mle:.4f}")
assert loglik_learned <= loglik_mle + 1e-8
assert (loglik_mle - loglik_learned) / n_data < 1e-6
assert fit.elbo_history[-1] * n_data <= loglik_learned + 1e-6
# W is identified only up to a rotation of z, but W W^T is not.
assert np.allclose(fit.W @ fit.W.T, W_mle @ W_mle.T, atol=2e-3) and abs(fit.noise_var - s2_mle) < 1e-3
print(f"log-likelihood per point of the true θ                {loglik_true / n_data:.4f}")
assert loglik_learned > loglik_true

# %% [markdown]
# The learned model matches the closed-form maximum likelihood to better than $10^{-6}$ nats per point, and
# $WW^\top$ and $s^2$ agree with the eigendecomposition. It beats the *true* parameters on this sample, as
# a maximum-likelihood fit should. The same recipe, with neural networks for the decoder and the encoder, is
# the variational autoencoder of notebook 05; there the posterior is no longer in $q$'s family, and the gap
# we measured here will stay open.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: agreement to 1e-6 nats per point; W is identified only up to rotation, W Wᵀ is not.
# Ask: what changes when the decoder is a neural network? (Notebook 05.)

# %% [markdown]
# ### Erratum: raising the ELBO need not raise $\log p(x)$
#
# The source concludes: "To maximize $p_{\theta}(x)$, we can maximize the ELBO with respect to $\theta$ and
# $\phi$." The ELBO is $\log p_\theta(x) - \mathrm{KL}(q \,\|\, p_\theta(z \mid x))$, so it can rise in two ways:
# by raising $\log p_\theta(x)$, or by moving the model's posterior towards $q$, which shrinks the gap. When $q$
# cannot follow (held fixed during a $\theta$-step, or an encoder that lags), a $\theta$-step can do the second at
# the expense of the first. Concretely: $z \sim \mathcal N(0, 1)$, $x \mid z \sim \mathcal N(az, 0.5)$ (a
# variance), one data point $x = 2$, and $q = \mathcal N(0.5, 0.1^2)$ held fixed. Start at the
# maximum-likelihood $a = \sqrt{x^2 - 0.5}$ and take the $a$ that maximises $\text{ELBO}(a, q)$,
# $a = x\,\mathbb E_q[z] / \mathbb E_q[z^2]$ (set the derivative of
# $-\mathbb E_q[(x - az)^2]/(2 \cdot 0.5)$ to zero):


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the ELBO is log p(x) minus the gap, and either can move.
# Ask: before the numbers: if q is held fixed, which way will a theta-step move the model?

# %% tags=["nbval-check-output"] slideshow={"slide_type": "subslide"}
x_one, noise_var_one = 2.0, 0.5
q_one_mean, q_one_cov = np.array([0.5]), np.array([[0.1**2]])
steps = {"maximum likelihood": np.sqrt(x_one**2 - noise_var_one),
         "ELBO-optimal for this q": x_one * 0.5 / (0.5**2 + 0.1**2)}
rows = {}
for label, a_value in steps.items():
    one = LinearGaussian(np.array([[a_value]]), np.array([0.0]), np.array([[noise_var_one]]))
    log_px_one = norm.logpdf(x_one, 0.0, np.sqrt(a_value**2 + noise_var_one))  # SciPy, not the helper
    elbo_one = elbo_exact(one, np.array([x_one]), q_one_mean, q_one_cov)
    gap_one = gaussian_kl(q_one_mean, q_one_cov, *one.posterior(np.array([x_one])))
    rows[label] = (a_value, log_px_one, elbo_one, gap_one)
    print(f"{label:24s} a = {a_value:.3f}   log p(x) {log_px_one:.4f}   ELBO {elbo_one:.4f}   "
          f"gap KL(q || p(z|x)) {gap_one:.4f}")
    assert abs(log_px_one - elbo_one - gap_one) < 1e-10
before, after = rows.values()
print(f"ELBO {after[2] - before[2]:+.3f} nats, log p(x) {after[1] - before[1]:+.3f} nats, "
      f"gap {after[3] - before[3]:+.3f} nats")
assert 0.7 < after[2] - before[2] < 1.3 and after[1] < before[1] - 0.1 and after[3] < before[3]

# %% [markdown]
# The ELBO rose by about a nat while $\log p(x)$ fell: the step bought its whole gain, and more, by making the
# posterior agree with $q$. Maximising the ELBO maximises $\log p(x)$ only to the extent that the gap can be
# closed by $\phi$; when $q$'s family cannot reach the posterior, the ELBO's maximiser over $(\theta, \phi)$
# can trade likelihood for a posterior that $q$ can fit (notebook 05 measures the gaps this leaves in a VAE).


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a nat of ELBO gained, a third of a nat of likelihood lost: the model bent its posterior towards q.
# Ask: in a VAE, what plays the role of the fixed q? (An encoder that lags behind the decoder.)

# %% [markdown]
# ### Try it 1: the ELBO of a one-dimensional model, in closed form
#
# Take $z \sim \mathcal N(0, 1)$, $x \mid z \sim \mathcal N(az + b, \sigma^2)$ with $a = 1.5$, $b = 0.2$,
# $\sigma^2 = 0.5$ (a variance), the data point $x = 1$, and $q = \mathcal N(m, v)$ with $m = 0.3$, $v = 0.4$
# (a variance). Compute the ELBO with decomposition (a):
# $\mathbb E_q[\log p(x \mid z)] - \mathrm{KL}(q \,\|\, p(z))$. Hints: $\mathbb E_q[(x - az - b)^2] =
# (x - am - b)^2 + a^2 v$, and $\mathrm{KL}(\mathcal N(m, v) \,\|\, \mathcal N(0, 1)) = \tfrac12(v + m^2 - 1 - \log v)$.
# (If you subtract the KL to the *posterior* instead, the checker will recognise the source's erratum.)


# %% nbgrader={"grade": false, "grade_id": "elbo_1d", "locked": false, "schema_version": 3, "solution": true, "task": false}
a, b, noise_var, x_point, m_q, v_q = 1.5, 0.2, 0.5, 1.0, 0.3, 0.4
answer_elbo_1d = ...  # your code: the ELBO, a number in nats
### BEGIN SOLUTION
expected_ll = -0.5 * np.log(2 * np.pi * noise_var) - ((x_point - a * m_q - b) ** 2 + a**2 * v_q) / (2 * noise_var)
kl_q_prior = 0.5 * (v_q + m_q**2 - 1 - np.log(v_q))
answer_elbo_1d = expected_ll - kl_q_prior
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "elbo_1d_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_elbo_1d(answer_elbo_1d, a, b, noise_var, x_point, m_q, v_q)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Set as homework or a five-minute in-class exercise; the checker names the source's erratum if a student
# falls into it.

# %% [markdown]
# ### Try it 2: the IWAE estimate from importance weights
#
# `log_w_try` holds log importance weights $\log w = \log p(x, z) - \log q(z)$ for the mass-covering $q$ of
# section 5, arranged as 400 rows of $K = 50$. Compute the IWAE estimate of $\mathcal L_{50}$: in each row the
# log of the *average* weight, then the mean over rows. Work in log space (`scipy.special.logsumexp`, or
# `helpers.monte_carlo.log_mean_exp`), since the weights themselves can underflow.


# %% nbgrader={"grade": false, "grade_id": "iwae_estimate", "locked": false, "schema_version": 3, "solution": true, "task": false}
_, log_w_try = gaussian_log_weights(square, np.array([x_sq]), np.array([m_cover]), np.array([[v_cover]]),
                                    400 * 50, rng)
log_w_try = log_w_try.reshape(400, 50)
answer_iwae_estimate = ...  # your code: one number, the IWAE estimate with K = 50
### BEGIN SOLUTION
answer_iwae_estimate = float(np.mean(log_mean_exp(log_w_try, axis=1)))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "iwae_estimate_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_iwae_estimate(answer_iwae_estimate, log_w_try)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the classic slip is the mean of log w, which is the ELBO, not the IWAE estimate.

# %% [markdown]
# ### Try it 3: predict the best uncorrelated q, then check it against a search
#
# Step 4 of the explorer's tour found the best *uncorrelated* Gaussian $q = \mathcal N(\mu, \operatorname{diag}(v_1,
# v_2))$ for the tilted $k = 2$ posterior $\mathcal N(\mu, S)$ by a numerical search. Derive it instead. Write
# $\mathrm{KL}(q \,\|\, p(z \mid x))$ for Gaussians with the same mean,
# $\tfrac12\big[\operatorname{tr}(S^{-1}\operatorname{diag}(v)) - \sum_i \log v_i + \log\det S - k\big]$, set its
# derivative in each $v_i$ to zero, and compute the two variances for `post_cov_2` (the posterior covariance
# from the tour). The cell after the check compares your formula with the search and with the posterior's own
# marginal variances.


# %% nbgrader={"grade": false, "grade_id": "mean_field_variance", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_mean_field_variance = ...  # your code: an array of the two variances v_1, v_2
### BEGIN SOLUTION
answer_mean_field_variance = 1 / np.diag(np.linalg.inv(post_cov_2))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "mean_field_variance_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
result = check_mean_field_variance(answer_mean_field_variance, post_cov_2)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Ask the class to predict before deriving: narrower or wider than the posterior's marginals? Then derive.

# %%
# The search of the tour, against the closed form and the marginal variances (runs whatever your answer).
print("variances of the searched best diagonal q:", np.exp(2 * searched.x).round(4))
print("closed form 1 / (S^-1)_ii:                ", (1 / np.diag(np.linalg.inv(post_cov_2))).round(4))
print("posterior marginal variances S_ii:         ", np.diag(post_cov_2).round(4))
assert np.allclose(np.exp(2 * searched.x), 1 / np.diag(np.linalg.inv(post_cov_2)), rtol=1e-5)


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the closed form matches the search, and it is narrower than the marginals: mean-field
# underestimates uncertainty.

# %% [markdown]
# ### On paper: the gap of a one-mode q
#
# In section 4 the posterior is mirror-symmetric, $p(z \mid x) = p(-z \mid x)$. Let $q$ be any density with
# $q(z) = 0$ for $z \le 0$, and $p_+(z) = 2\,p(z \mid x)\,\mathbb 1[z > 0]$. Show that
# $\mathrm{KL}(q \,\|\, p(z \mid x)) = \log 2 + \mathrm{KL}(q \,\|\, p_+)$. Why can no Gaussian $q$ reach a gap of
# exactly $\log 2$ at $x = 2$, and why does a $q$ that straddles both modes (as at $x = 1$) escape this bound?


# %% [markdown] slideshow={"slide_type": "notes"}
# Set as homework. The identity is checked numerically on the next slide with a truncated q.

# %% [markdown] nbgrader={"grade": false, "grade_id": "one_mode_gap_derivation", "locked": false, "schema_version": 3, "solution": true, "task": false}
# **Worked answer.** $p_+$ is a density: by symmetry $\int_0^\infty p(z \mid x)\,dz = \tfrac12$. Where $q > 0$ we
# have $z > 0$, so $p(z \mid x) = p_+(z)/2$ and
# $\log\frac{q(z)}{p(z \mid x)} = \log\frac{q(z)}{p_+(z)} + \log 2$. Averaging under $q$ (whose mass is 1) gives
# $\mathrm{KL}(q \,\|\, p(z \mid x)) = \mathrm{KL}(q \,\|\, p_+) + \log 2$. A KL is zero only when the two densities
# are equal (section 1), and $p_+$ is not a Gaussian (it is zero for $z \le 0$ and skewed), so a Gaussian $q$ has
# $\mathrm{KL}(q \,\|\, p_+) > 0$, and a Gaussian puts a little mass on $z \le 0$ as well, which the identity does
# not cover; at $x = 2$ that mass is $10^{-12}$, so the gap is $\log 2$ plus the mismatch with one skewed mode,
# 0.0185 nats. A $q$ that straddles the modes has mass on both sides, so the premise fails: its gap is
# $\mathrm{KL}(q \,\|\, p(z \mid x))$ against the whole posterior, which can be below $\log 2$ (0.55 at $x = 1$).

# %%
# The identity, numerically, for a q that is exactly zero on z <= 0 (a Gaussian truncated at 0, grid quadrature).
q_half = truncnorm(-best_m / best_s, np.inf, loc=best_m, scale=best_s)
log_q_trunc = q_half.logpdf(z_half)
kl_trunc_post = np.sum(np.exp(log_q_trunc) * (log_q_trunc - square.log_posterior(z_half[:, None], x_sq))) * dz_half
kl_trunc_plus = np.sum(np.exp(log_q_trunc) * (log_q_trunc - log_p_plus)) * dz_half
print(f"KL(q || p(z|x)) = {kl_trunc_post:.6f};  log 2 + KL(q || p+) = {np.log(2) + kl_trunc_plus:.6f}")
assert abs(kl_trunc_post - (np.log(2) + kl_trunc_plus)) < 1e-9


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: for a q that lives on one side, the split is exact.

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
# - Maximising the ELBO over $(\theta, \phi)$ learns the model: its $\theta$-gradient is Fisher's identity when $q$
#   is the posterior, and for probabilistic PCA it reaches the closed-form maximum likelihood. When $q$ cannot
#   follow the posterior, raising the ELBO can lower $\log p(x)$.
# - The source's derivation needs three more corrections: $q > 0$ wherever $p_\theta(x, z) > 0$ (not
#   $\int q\,dz = 1$), the ELBO can grow by shrinking the gap, and its $\phi$-gradient needs an estimator.
#
# [Next: 05 · The variational autoencoder](05_variational_autoencoder.ipynb): neural networks for
# $p_\theta(x \mid z)$ and $q_\phi(z \mid x)$, trained on handwritten digits with everything above. Later,
# [06 · Discrete latents](06_discrete_latents.ipynb) asks what remains when $z$ is discrete.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: recap with the two decompositions on the board; then the three extra errata in one sentence each.
# Ask: which sentence of the source would you now rewrite first?

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## References
#
# - Source derivation: "Variational Inference for Latent Variable Models" (blog post, 2025), whose intuition
#   credits S. Levine's lectures on variational inference (CS 285, UC Berkeley).
# - D. M. Blei, A. Kucukelbir, J. D. McAuliffe (2017). Variational inference: a review for statisticians.
#   *Journal of the American Statistical Association* 112, 859–877.
# - D. P. Kingma, M. Welling (2014). Auto-encoding variational Bayes. *ICLR*.
# - D. J. Rezende, S. Mohamed, D. Wierstra (2014). Stochastic backpropagation and approximate inference in deep
#   generative models. *ICML*.
# - R. J. Williams (1992). Simple statistical gradient-following algorithms for connectionist reinforcement
#   learning. *Machine Learning* 8, 229–256.
# - G. Roeder, Y. Wu, D. Duvenaud (2017). Sticking the landing: simple, lower-variance gradient estimators for
#   variational inference. *NeurIPS*.
# - Y. Burda, R. Grosse, R. Salakhutdinov (2016). Importance weighted autoencoders. *ICLR*.
# - M. E. Tipping, C. M. Bishop (1999). Probabilistic principal component analysis. *Journal of the Royal
#   Statistical Society B* 61, 611–622.

# %% [markdown] slideshow={"slide_type": "notes"}
# Point to Blei et al. for a review and Burda et al. for IWAE.
