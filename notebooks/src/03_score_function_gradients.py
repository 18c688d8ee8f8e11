# %% [markdown]
# # 03 · Gradients through expectations: Fisher's identity, score functions, reparameterisation
#
# Maximum likelihood needs the **gradient** of $\log p_\theta(x)$, not just its value, and variational inference
# will need gradients of expectations $\mathbb E_{q_\phi}[f(z)]$ with respect to the parameters $\phi$ of the
# distribution we sample from. This notebook computes both kinds exactly in the linear-Gaussian model and measures
# how noisy their Monte Carlo estimates are.
#
# **In this notebook you will**
# - verify Fisher's identity $\nabla_\theta \log p_\theta(x) = \mathbb E_{p_\theta(z\mid x)}[\nabla_\theta \log
#   p_\theta(x\mid z)]$ for $A$ and $b$ against autograd, and see in numbers why the source's version with an extra
#   $p(z)$ is wrong;
# - compare estimating it with prior samples (self-normalised weights) and with posterior samples;
# - measure the score-function (REINFORCE) estimator of $\nabla_\phi \mathbb E_{q_\phi}[f(z)]$: unbiased, but with
#   variance that grows fast with the dimension;
# - cut that variance with baselines, and far more with the reparameterisation $z = \mu + s\odot\varepsilon$.
#
# **Prerequisites:** [02 · Naive Monte Carlo](02_naive_monte_carlo.ipynb) (prior samples, importance weights,
# effective sample size).
# **Run time:** about 15 s on a 2-core laptop CPU.

# %% [markdown] slideshow={"slide_type": "notes"}
# Frame the notebook with one sentence: learning needs gradients, and gradients of expectations are expectations
# too, so they need samples from the right place. Ask: which distribution does the gradient of $\log p(x)$ average
# over? (The posterior, which is the hard one.)

# %%
import numpy as np
import torch

from helpers.exercises import check_batch_mean_baseline_factor, check_gaussian_score, check_likelihood_grad_b
from helpers.gradients import (
    exact_log_marginal_gradient,
    fisher_gradient_posterior,
    fisher_gradient_prior,
    fisher_identity_gradient,
    log_likelihood_gradient,
    reparameterisation_gradient,
    score_function_gradient,
    sum_of_squares_gradient_variances,
)
from helpers.monte_carlo import log_chi_square_plus_one, posterior_prior_kl, typical_problem
from helpers.plotting import COLORS, labelled, show, subplots, use_course_style

use_course_style()
rng = np.random.default_rng(0)
torch.manual_seed(0)
torch.set_num_threads(2)

# %% [markdown]
# ## 1 · Fisher's identity
#
# Write $\theta = (A, b)$ for the decoder parameters of the linear-Gaussian model $p(z)=\mathcal N(0, I_k)$,
# $p_\theta(x\mid z)=\mathcal N(Az+b, \Sigma)$ with $\Sigma=\sigma^2 I$ ($\sigma$ a standard deviation). Differentiate
# under the integral and use $\nabla p = p\,\nabla\log p$:
#
# $$\nabla_\theta \log p_\theta(x) = \frac{1}{p_\theta(x)}\int \nabla_\theta p_\theta(x\mid z)\,p(z)\,dz
# = \int \underbrace{\frac{p_\theta(x\mid z)\,p(z)}{p_\theta(x)}}_{p_\theta(z\mid x)}\,\nabla_\theta\log p_\theta(x\mid z)\,dz
# = \mathbb E_{p_\theta(z\mid x)}\big[\nabla_\theta \log p_\theta(x\mid z)\big].$$
#
# **Erratum 1.** The source writes the middle step as $\int p_\theta(z\mid x)\,\nabla_\theta\log p_\theta(x\mid z)\,
# \mathbf{p(z)}\,dz$. The prior is already inside the posterior; multiplying by it again gives a different number
# (computed below), one that even changes if you rescale $z$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Derive it on the board in two lines; the only trick is $\nabla p = p\,\nabla\log p$. Then show the source's
# version and ask the room to spot the extra factor before revealing it.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Here $\nabla_b \log p(x\mid z) = \Sigma^{-1}(x-Az-b)$ and $\nabla_A \log p(x\mid z) = \Sigma^{-1}(x-Az-b)\,z^\top$.
# The reference is **autograd**: PyTorch differentiates the closed-form $\log\mathcal N(x; b, AA^\top+\Sigma)$ with
# respect to $A$ and $b$. Against it we check the matrix-calculus formula, the Fisher identity with exact posterior
# moments ($p(z\mid x) = \mathcal N(\mu, S)$, so $\mathbb E z = \mu$ and $\mathbb E zz^\top = S + \mu\mu^\top$), and a
# Monte Carlo average over $M = 10^5$ posterior samples.

# %% tags=["nbval-check-output"]
model, x = typical_problem(latent_dim=2, data_dim=5, noise_std=0.5, seed=0)

A_t = torch.tensor(model.A, requires_grad=True)
b_t = torch.tensor(model.b, requires_grad=True)
log_px_t = torch.distributions.MultivariateNormal(b_t, covariance_matrix=A_t @ A_t.T + torch.tensor(model.Sigma))
log_px_t.log_prob(torch.tensor(x)).backward()
autograd_A, autograd_b = A_t.grad.numpy(), b_t.grad.numpy()

formula = exact_log_marginal_gradient(model, x)
fisher = fisher_identity_gradient(model, x)
post_mean, post_cov = model.posterior(x)
z_post = rng.multivariate_normal(post_mean, post_cov, size=100_000)
per_sample = log_likelihood_gradient(model, x, z_post)          # grad of log p(x|z_m), one per sample
mc_b, se_b = per_sample.b.mean(0), per_sample.b.std(0) / np.sqrt(len(z_post))

np.set_printoptions(precision=4, suppress=True)
print("grad_b log p(x), autograd      :", autograd_b)
print("grad_b, Fisher (exact moments) :", fisher.b)
print("grad_b, Fisher (1e5 samples)   :", mc_b)
for name, ours in (("matrix-calculus formula", formula), ("Fisher, exact moments", fisher)):
    err = max(np.abs(ours.A - autograd_A).max(), np.abs(ours.b - autograd_b).max())
    print(f"{name:24s} agrees with autograd to 1e-10 in every entry of A and b: {err < 1e-10}")
    assert err < 1e-10
assert np.all(np.abs(mc_b - autograd_b) < 4.5 * se_b)
assert np.all(np.abs(per_sample.A.mean(0) - autograd_A) < 4.5 * per_sample.A.std(0) / np.sqrt(len(z_post)))

# %% [markdown] slideshow={"slide_type": "notes"}
# Three independent routes to one gradient: autograd on the closed form, the identity with exact moments, and
# posterior samples. Ask: which of the three would still work for a neural-network decoder? (Only the samples.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now the source's version, with the same posterior samples weighted by an extra $p(z_m)$. It is not the gradient:
# every entry is off by a factor of more than two, far outside its Monte Carlo error. And since $p(z)$ is a
# density, measuring $z$ in other units (here $z' = 2z$, so $p(z')$ is four times smaller in $k=2$ dimensions)
# changes it again, while a real gradient cannot depend on that choice.

# %% tags=["nbval-check-output"]
prior_density = np.exp(model.log_prior(z_post))                       # p(z_m), the extra factor
wrong_terms = prior_density[:, None] * per_sample.b
wrong_b, wrong_se = wrong_terms.mean(0), wrong_terms.std(0) / np.sqrt(len(z_post))
print("grad_b, correct            :", autograd_b)
print("grad_b, source's extra p(z):", wrong_b)
print("ratio wrong / correct      :", wrong_b / autograd_b)
print("in units z' = 2z           :", wrong_b / 2**2)
assert np.all(np.abs(wrong_b - autograd_b) > 10 * wrong_se)               # really different, not noise
assert np.all((np.abs(wrong_b / autograd_b) < 0.5) | (np.abs(wrong_b / autograd_b) > 2))   # off by a factor > 2

# %% [markdown] slideshow={"slide_type": "notes"}
# The wrong version is off by more than a factor of two in every entry (the ratio row), and it changes with the
# units of $z$. A gradient that depends on how you measure a dummy integration variable cannot be right: that is
# the argument to remember.

# %% [markdown]
# ### Try it 1: the gradient inside Fisher's identity
#
# For the small model below compute $\nabla_b \log p(x\mid z_m) = \Sigma^{-1}(x - Az_m - b)$ for each of the five
# samples `z_ex` (rows). Use `np.linalg.solve` rather than an inverse. The answer has one row per sample.

# %% nbgrader={"grade": false, "grade_id": "grad_likelihood_b", "locked": false, "schema_version": 3, "solution": true, "task": false}
A_ex = np.array([[1.0, 0.5], [-0.3, 2.0], [0.0, 1.0]])
b_ex = np.array([0.1, -0.2, 0.3])
Sigma_ex = np.diag([0.25, 0.5, 1.0])
x_ex = np.array([1.0, 0.0, -1.0])
z_ex = np.random.default_rng(3).standard_normal((5, 2))
answer_grad_likelihood_b = ...  # your code: a (5, 3) array
### BEGIN SOLUTION
answer_grad_likelihood_b = np.linalg.solve(Sigma_ex, (x_ex - z_ex @ A_ex.T - b_ex).T).T
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "grad_likelihood_b_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_likelihood_grad_b(answer_grad_likelihood_b, x_ex, z_ex, A_ex, b_ex, Sigma_ex)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# The slips the checker names: forgetting $\Sigma^{-1}$, or multiplying by $\Sigma$. Both are common in class.

# %% [markdown]
# ## 2 · Posterior samples or prior samples?
#
# In general we cannot sample $p_\theta(z\mid x)$. Notebook 02 suggests reweighting prior samples instead: with
# $z_m \sim p(z)$ and $w_m = p(x\mid z_m)/\sum_{m'} p(x\mid z_{m'})$,
# $\;\nabla_\theta\log p_\theta(x) \approx \sum_m w_m\,\nabla_\theta \log p_\theta(x\mid z_m)$ (self-normalised
# importance sampling: consistent, biased for finite $M$). Compare it with exact posterior samples over
# 500 repeats at each $M$, summing the variances of all $dk + d = 15$ gradient entries. A delta-method expansion
# (as in notebook 02, now of a ratio of two averages) predicts the variance of the self-normalised estimate for
# large $M$:
# $\frac1M\mathbb E_{p(z\mid x)}\big[r(z)\,\|g(z)-\bar g\|^2\big]$ with $r = p(z\mid x)/p(z)$, $g$ the per-sample
# gradient and $\bar g$ its posterior mean, against $\frac1M\mathbb E_{p(z\mid x)}\big[\|g(z)-\bar g\|^2\big]$ for
# posterior samples. Both expectations are averages over the posterior samples of section 1 (dashed lines).

# %% [markdown] slideshow={"slide_type": "notes"}
# Recall notebook 02: prior samples reweighted toward the posterior. The new question is what that costs for a
# gradient rather than a value. Write the self-normalised estimator on the board before the plot.

# %% slideshow={"slide_type": "subslide"}
M_fisher = np.array([10, 30, 100, 300, 1_000, 3_000])
R = 500


def total(parts):
    return sum(float(np.sum(p)) for p in parts)


rows = []
for M in M_fisher:
    post = fisher_gradient_posterior(model, x, int(M), rng, n_repeats=R)
    prior = fisher_gradient_prior(model, x, int(M), rng, n_repeats=R)
    rows.append((total([post.A.var(0), post.b.var(0)]), total([prior.A.var(0), prior.b.var(0)]),
                 total([(prior.A.mean(0) - autograd_A) ** 2, (prior.b.mean(0) - autograd_b) ** 2]),
                 np.max(np.abs(post.b.mean(0) - autograd_b) / (post.b.std(0) / np.sqrt(R)))))
var_post, var_prior, bias2_prior, worst_z = np.array(rows).T

# Delta-method predictions from the posterior samples of section 1 (independent of the repeats above).
g = np.concatenate([per_sample.A.reshape(len(z_post), -1), per_sample.b], axis=1)      # (M, 15)
spread = np.sum((g - g.mean(0)) ** 2, axis=1)                                           # ||g - g_bar||^2
r_post = np.exp(model.log_posterior(z_post, x) - model.log_prior(z_post))              # p(z|x) / p(z)
predicted_ratio = np.mean(r_post * spread) / np.mean(spread)

fig, ax = subplots()
ax.loglog(M_fisher, var_post, "o-", color=COLORS[0], label="posterior samples: variance")
ax.loglog(M_fisher, var_prior, "s-", color=COLORS[1], label="prior samples, self-normalised: variance")
ax.loglog(M_fisher, np.mean(spread) / M_fisher, "--", color=COLORS[0], lw=1.2, label="predicted (posterior)")
ax.loglog(M_fisher, predicted_ratio * np.mean(spread) / M_fisher, "--", color=COLORS[1], lw=1.2,
          label="predicted (prior, delta method)")
ax.loglog(M_fisher, bias2_prior, "^:", color=COLORS[2], label="prior samples: squared error of the mean")
ax.loglog(M_fisher, var_prior / R, "-", color=COLORS[7], lw=0.8, label="its noise floor (variance / 500)")
labelled(ax, f"Fisher-identity gradient of log p(x), {R} repeats", "number of samples M",
         "summed over the 15 entries of ∇A, ∇b")
ax.legend(fontsize=8)
show(fig, alt="Log-log plot against the number of samples M of the summed variance of the Fisher-identity gradient "
              "with posterior samples (circles) and with self-normalised prior samples (squares), both falling like "
              "1/M with the prior-sample variance tens of times larger, each with its predicted line. "
              "The squared error of the prior-sample mean (triangles) falls faster, down to its noise floor at M = 3,000.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Ask before showing the numbers: how many prior samples is one posterior sample worth here? Then read the ratio
# off the plot: the vertical gap between squares and circles.

# %% tags=["nbval-check-output"] slideshow={"slide_type": "subslide"}
for M, vp, vq in zip(M_fisher, var_post, var_prior, strict=True):
    print(f"M = {M:5d}   variance ratio prior / posterior = {vq / vp:6.1f}")
print(f"delta-method prediction for large M: {predicted_ratio:.1f};  for comparison exp(KL) = "
      f"{np.exp(posterior_prior_kl(model, x)):.1f}, 1 + chi^2 = {np.exp(log_chi_square_plus_one(model, x)):.1f}")
assert np.all(worst_z < 4.5)                                   # posterior-sample estimate unbiased at every M
assert np.all((10 < var_prior / var_post) & (var_prior / var_post < 100))   # a factor of tens at every M
assert np.all(np.abs(var_prior[M_fisher >= 1_000] / var_post[M_fisher >= 1_000] / predicted_ratio - 1) < 0.2)
slope = np.polyfit(np.log(M_fisher), np.log(var_post), 1)[0]
print(f"log-log slope of the posterior-sample variance: {slope:.2f} (1/M gives -1)")
assert abs(slope + 1) < 0.1
assert np.all(bias2_prior[M_fisher <= 30] > 5 * var_prior[M_fisher <= 30] / R)   # a real bias at small M ...
assert bias2_prior[-1] < 1e-3 * bias2_prior[0]                                 # ... that fades quickly
assert bias2_prior[-1] < 3 * var_prior[-1] / R                                 # down to the noise floor

# %% [markdown]
# Posterior samples win by a factor of tens at every $M$, and for large $M$ the factor is the delta-method
# prediction $\mathbb E_{p(z\mid x)}[r\,\|g-\bar g\|^2]/\mathbb E_{p(z\mid x)}[\|g-\bar g\|^2]$: a weighted average of
# $r = p(z\mid x)/p(z)$, not $e^{\mathrm{KL}}$ or $1+\chi^2$ themselves (printed for comparison), because the weights
# matter only where the gradient varies. With a narrower posterior $r$ and the factor explode, as in notebook 02.
# The self-normalised estimate is also biased: at $M \le 30$ its squared error is well above what 500 repeats'
# noise explains, and it falls faster than the variance (the bias shrinks like $1/M$) until it reaches that floor.
# So for $\theta$ we want samples from something close to the posterior, again a $q_\phi(z\mid x)$, and then we
# need gradients with respect to $\phi$ as well. That is the next problem.

# %% [markdown] slideshow={"slide_type": "notes"}
# The factor is not $e^{\mathrm{KL}}$: the weights only cost variance where the gradient itself varies. Ask: what
# happens to this factor as $\sigma$ shrinks? (It grows with the posterior's narrowness, as in notebook 02.)

# %% [markdown]
# ## 3 · The score-function estimator of $\nabla_\phi\,\mathbb E_{q_\phi}[f(z)]$
#
# Take $q_\phi = \mathcal N(\mu, \operatorname{diag}(s^2))$ on $k$ dimensions with $\phi=(\mu, s)$ (from here on
# $\mu$ is the mean of $q$), $s$ a vector of **standard deviations**. The parameters appear in the distribution we
# sample from, so we cannot just differentiate $f$. The log-derivative trick moves the gradient onto $\log q$:
#
# $$\nabla_\phi\,\mathbb E_{q_\phi}[f(z)] = \int f(z)\,\nabla_\phi q_\phi(z)\,dz = \mathbb E_{q_\phi}\big[f(z)\,
# \nabla_\phi \log q_\phi(z)\big] \approx \frac1M\sum_{m=1}^M f(z_m)\,\nabla_\phi\log q_\phi(z_m),$$
#
# with $\nabla_\mu \log q = (z-\mu)/s^2$ and $\nabla_s \log q = \big((z-\mu)^2/s^2 - 1\big)/s$. It only needs values
# of $f$ (no derivative), which is why it also works for discrete $z$ (notebook 06). The same trick, applied to
# $p_\theta(x\mid z)$, gave Fisher's identity.

# %% [markdown] slideshow={"slide_type": "notes"}
# Emphasise what the estimator needs: samples from $q$, values of $f$, and the score of $q$. Nothing about $f$'s
# derivative. Ask: what is $\mathbb E_q[\nabla_\phi \log q]$? (Zero; it returns in section 4.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Test problem with a closed form: $f(z) = \sum_j z_j^2$, so $\mathbb E_q[f] = \sum_j (\mu_j^2 + s_j^2)$ and the
# exact gradients are $2\mu$ and $2s$. First, unbiasedness over 10,000 repeats with $M = 10$ samples:

# %% tags=["nbval-check-output"]
def sum_of_squares(z):
    return (z**2).sum(-1)


k = 5
mu_vec, s_vec = np.linspace(-1.0, 1.0, k), np.linspace(0.5, 1.5, k)
sf = score_function_gradient(sum_of_squares, mu_vec, s_vec, 10, rng, n_repeats=10_000)
for name, est, exact in (("mu", sf.mean, 2 * mu_vec), ("s ", sf.std, 2 * s_vec)):
    se = est.std(0, ddof=1) / np.sqrt(len(est))
    print(f"grad_{name}: mean over repeats {est.mean(0)}, exact {exact}, max |error| / s.e. = "
          f"{np.max(np.abs(est.mean(0) - exact) / se):.2f}")
    assert np.all(np.abs(est.mean(0) - exact) < 4.5 * se)

# %% [markdown] slideshow={"slide_type": "notes"}
# Unbiased in every coordinate, within Monte Carlo error over 10,000 repeats. Ask: is unbiased enough? (The next
# slide answers: not if the variance is huge.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Unbiased, but how noisy? For $f=\sum_j z_j^2$ the variance of a one-sample estimate of $\partial/\partial \mu_j$
# has a closed form from Gaussian moments (`sum_of_squares_gradient_variances`, checked against quadrature in the
# tests). Measure it over 2,000 repeats, against the number of samples $M$ (with $k = 10$) and against the dimension
# $k$ (with $M = 10$), at $\mu = 1$, $s = 1$ in every coordinate. Variances are per coordinate of $\nabla_\mu$,
# averaged over the coordinates. The estimators for sections 4 and 5 are computed in the same loop.

# %%
R_VAR = 2_000
M_grid = np.array([1, 3, 10, 30, 100, 300])
k_grid = np.array([1, 3, 10, 30, 100])
estimators = {
    "score function": lambda mu, s, n_samples: score_function_gradient(sum_of_squares, mu, s, n_samples, rng, n_repeats=R_VAR),
    "score function, baseline E[f]": lambda mu, s, n_samples: score_function_gradient(
        sum_of_squares, mu, s, n_samples, rng, n_repeats=R_VAR, baseline=float(np.sum(mu**2 + s**2))),
    "score function, leave-one-out baseline": lambda mu, s, n_samples: score_function_gradient(
        sum_of_squares, mu, s, n_samples, rng, n_repeats=R_VAR, baseline="leave_one_out"),
    "reparameterisation": lambda mu, s, n_samples: reparameterisation_gradient(sum_of_squares, mu, s, n_samples, rng,
                                                                       n_repeats=R_VAR),
}
MARKERS = {"score function": "o", "score function, baseline E[f]": "s",
           "score function, leave-one-out baseline": "^", "reparameterisation": "D"}
LINES = {"score function": "-", "score function, baseline E[f]": "--", "reparameterisation": ":"}


def measured_variance(name, dim, n_samples):
    grad_mu = estimators[name](np.ones(dim), np.ones(dim), int(n_samples)).mean
    return float(np.mean(grad_mu.var(0, ddof=1)))


var_vs_M = {name: np.array([measured_variance(name, 10, n_samples) if n_samples > 1 or "leave" not in name else np.nan
                            for n_samples in M_grid]) for name in estimators}
var_vs_k = {name: np.array([measured_variance(name, dim, 10) for dim in k_grid]) for name in estimators}


def exact_variance(name, dim, n_samples):
    """Exact per-coordinate variance of an M-sample estimator at mu = s = 1 (None: no closed form here)."""
    mu = s = np.ones(dim)
    if name == "reparameterisation":
        return float(np.mean(sum_of_squares_gradient_variances(mu, s).reparameterisation)) / n_samples
    baselines = {"score function": 0.0, "score function, baseline E[f]": float(np.sum(mu**2 + s**2))}
    if name not in baselines:
        return None
    return float(np.mean(sum_of_squares_gradient_variances(mu, s, baselines[name]).score_function)) / n_samples


def plot_variances(names, alt):
    fig, axes = subplots(1, 2, width=13, height=4.4)
    for i, name in enumerate(names):
        ok = np.isfinite(var_vs_M[name])  # the leave-one-out baseline needs M >= 2
        axes[0].loglog(M_grid[ok], var_vs_M[name][ok], MARKERS[name], color=COLORS[i], label=name)
        axes[1].loglog(k_grid, var_vs_k[name], MARKERS[name], color=COLORS[i], label=name)
        if exact_variance(name, 1, 1) is not None:
            axes[0].loglog(M_grid, [exact_variance(name, 10, n_samples) for n_samples in M_grid], LINES[name], color=COLORS[i],
                           lw=1.4)
            axes[1].loglog(k_grid, [exact_variance(name, dim, 10) for dim in k_grid], LINES[name], color=COLORS[i],
                           lw=1.4)
    labelled(axes[0], "Variance vs samples (k = 10)", "number of samples M", "variance per coordinate of ∇μ")
    labelled(axes[1], "Variance vs dimension (M = 10)", "dimension k", "variance per coordinate of ∇μ")
    axes[0].legend(fontsize=9, title="markers: measured; lines: exact", title_fontsize=9)
    show(fig, alt=alt)


plot_variances(["score function"],
               alt="Two log-log panels of the variance per coordinate of the score-function gradient: against the "
                   "number of samples M (k = 10) it falls on a straight line of slope -1; against the dimension k "
                   "(M = 10) it rises, steepening to slope 2. Measured markers lie on the exact lines.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Left panel: the familiar $1/M$. Right panel: the surprise. Ask the room to predict the slope on the right before
# the next slide prints it.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The variance falls like $1/M$, as for any average, but grows like $k^2$ per coordinate: every coordinate's
# estimate is multiplied by the **whole** $f(z)$, whose fluctuations add up over all $k$ dimensions. Check the
# slopes and the exact values:

# %% tags=["nbval-check-output"]
slope_M = np.polyfit(np.log(M_grid), np.log(var_vs_M["score function"]), 1)[0]
slope_k = np.polyfit(np.log(k_grid[2:]), np.log(var_vs_k["score function"][2:]), 1)[0]
print(f"slope vs M: {slope_M:.2f} (exact -1);  slope vs k for k >= 10: {slope_k:.2f} (tends to 2)")
rel = var_vs_k["score function"] / np.array([exact_variance("score function", dim, 10) for dim in k_grid]) - 1
print("measured / exact - 1 per k:", np.round(rel, 3))
assert abs(slope_M + 1) < 0.1 and 1.6 < slope_k < 2.2
assert np.all(np.abs(rel) < 0.15)

# %% [markdown] slideshow={"slide_type": "notes"}
# The $k^2$ is the headline: one sample's estimate of one coordinate is multiplied by a sum over all coordinates.

# %% [markdown]
# ### Try it 2: the score of a diagonal Gaussian
#
# Compute $\nabla_\mu \log q(z_m)$ for $q=\mathcal N(\mu, \operatorname{diag}(s^2))$ at each of the samples `z_ex`
# (rows), with `s` holding **standard deviations**.

# %% nbgrader={"grade": false, "grade_id": "grad_gaussian_score", "locked": false, "schema_version": 3, "solution": true, "task": false}
mu_ex, s_ex = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.5, 2.0])
z_ex = mu_ex + s_ex * np.random.default_rng(4).standard_normal((6, 3))
answer_grad_gaussian_score = ...  # your code: a (6, 3) array
### BEGIN SOLUTION
answer_grad_gaussian_score = (z_ex - mu_ex) / s_ex**2
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "grad_gaussian_score_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_gaussian_score(answer_grad_gaussian_score, z_ex, mu_ex, s_ex)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# The usual slip is dividing by $s$ instead of $s^2$ (that gives $\varepsilon$), which the checker names.

# %% [markdown]
# ## 4 · Baselines (control variates)
#
# Because $\mathbb E_q[\nabla_\phi\log q_\phi(z)] = 0$, subtracting any constant $c$ from $f$ leaves the estimator
# unbiased: $\frac1M\sum_m (f(z_m) - c)\,\nabla_\phi \log q_\phi(z_m)$. A good $c$ removes the large common part of
# $f$. Two choices: the exact mean $c=\mathbb E_q[f]$ (available only in a test problem like this one), and the
# practical *leave-one-out* baseline, $c_m$ = the average of $f$ over the other $M-1$ samples (still unbiased, since
# it does not depend on $z_m$).

# %%
plot_variances(["score function", "score function, baseline E[f]", "score function, leave-one-out baseline"],
               alt="The same two panels with two baselines added: the exact-mean baseline (squares, dashed exact "
                   "line) and the leave-one-out baseline (triangles) lie below the plain score function at every "
                   "M and k, by a gap that widens with k; with a baseline the variance still rises with k, "
                   "with slope about 1.")

# %% [markdown] slideshow={"slide_type": "notes"}
# The leave-one-out baseline is almost as good as the exact mean, which no real problem gives you. Ask: why can
# the baseline not simply be $f(z_m)$ itself? (It would cancel the signal; Try it 3 explores the middle ground.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# A baseline helps a lot, by a factor that grows with $k$ (printed below), but the variance still grows like $k$:
# the part of $f(z)$ that fluctuates with the **other** coordinates is still multiplied into every coordinate's
# estimate.

# %% tags=["nbval-check-output"]
factors = []
for dim in (1, 10, 100):
    i = list(k_grid).index(dim)
    exact_factor = exact_variance("score function", dim, 10) / exact_variance("score function, baseline E[f]", dim, 10)
    plain = var_vs_k["score function"][i]
    with_mean = plain / var_vs_k["score function, baseline E[f]"][i]
    with_loo = plain / var_vs_k["score function, leave-one-out baseline"][i]
    factors.append((with_mean, with_loo))
    print(f"k = {dim:3d}: variance reduction with baseline E[f]: measured {with_mean:5.1f} (exact {exact_factor:5.1f});"
          f"  with leave-one-out baseline: {with_loo:5.1f}")
rel = var_vs_k["score function, baseline E[f]"] / np.array(
    [exact_variance("score function, baseline E[f]", dim, 10) for dim in k_grid]) - 1
assert np.all(np.abs(rel) < 0.15)
for name in ("score function, baseline E[f]", "score function, leave-one-out baseline"):
    assert np.all(var_vs_k[name] < var_vs_k["score function"])
    slope_baseline = np.polyfit(np.log(k_grid[2:]), np.log(var_vs_k[name][2:]), 1)[0]
    print(f"{name}: slope vs k for k >= 10: {slope_baseline:.2f}")
    assert 0.7 < slope_baseline < 1.2                                 # still grows, like k
assert np.all(np.diff(np.array(factors), axis=0) > 0)                 # the reduction grows with k

# %% [markdown] slideshow={"slide_type": "notes"}
# A baseline turns $k^2$ into $k$: a large gain, but not the end of the story. Reparameterisation removes the
# growth entirely (section 5).

# %% [markdown]
# ### Try it 3: predict what breaks with the batch mean as baseline
#
# A tempting shortcut: use the mean of **all** $M$ values, $\bar f = \frac1M\sum_{m'} f(z_{m'})$, as the baseline
# for every sample, instead of the leave-one-out mean. Predict, before running anything: the expected value of
# $\frac1M\sum_m (f(z_m) - \bar f)\,\nabla_\mu\log q(z_m)$ is the true gradient times what factor, for $M = 4$?
# The cell after the check estimates it with 20,000 repeats.

# %% nbgrader={"grade": false, "grade_id": "grad_batch_mean_baseline", "locked": false, "schema_version": 3, "solution": true, "task": false}
M_ex = 4
answer_grad_batch_mean_baseline = ...  # your code: a float, the factor on the expected gradient for M = M_ex
### BEGIN SOLUTION
answer_grad_batch_mean_baseline = 1 - 1 / M_ex
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "grad_batch_mean_baseline_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
result = check_batch_mean_baseline_factor(answer_grad_batch_mean_baseline, M_ex)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% tags=["nbval-check-output", "slide-code"]
# The run: the batch-mean baseline, written out, on f = sum z^2 with mu = (1, -1, 2), s = 1 (exact gradient 2 mu).
mu_b, s_b, R_B = np.array([1.0, -1.0, 2.0]), np.ones(3), 20_000
eps = rng.standard_normal((R_B, M_ex, 3))
f_values = sum_of_squares(mu_b + s_b * eps)                                    # (R, M)
centred = f_values - f_values.mean(axis=1, keepdims=True)                     # f(z_m) - f_bar, f_bar includes z_m
grad_batch = (centred[..., None] * eps / s_b).mean(axis=1)                    # (R, 3)
factor = grad_batch.mean(0) / (2 * mu_b)
factor_se = grad_batch.std(0, ddof=1) / np.sqrt(R_B) / np.abs(2 * mu_b)
print(f"measured factor per coordinate: {np.round(factor, 3)} ± {np.round(factor_se, 3)};  1 - 1/M = {1 - 1 / M_ex}")
assert np.all(np.abs(factor - (1 - 1 / M_ex)) < 4.5 * factor_se)
assert np.all(factor + 4.5 * factor_se < 1)                                   # biased: below the true gradient

# %% [markdown] slideshow={"slide_type": "notes"}
# Run this as a poll: ask for hands for "1 (unbiased)", "below 1", "above 1". Most say 1. The fix is the
# leave-one-out mean, or rescaling the batch-mean estimator by $M/(M-1)$, which gives the same thing.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### On paper: why a baseline may not look at its own sample
#
# Show that $\mathbb E_q[\nabla_\mu \log q(z)] = 0$, that a baseline $c_m$ computed from the other samples only
# leaves the estimator unbiased, and that the batch mean $\bar f$ multiplies the expected gradient by $1 - 1/M$.

# %% [markdown] nbgrader={"grade": false, "grade_id": "grad_baseline_derivation", "locked": false, "schema_version": 3, "solution": true, "task": false}
# **Worked answer.** $\mathbb E_q[\nabla_\mu \log q] = \int \nabla_\mu q\,dz = \nabla_\mu \int q\,dz = \nabla_\mu 1 = 0$.
# Write $u_m = \nabla_\mu \log q(z_m)$ and $g = \nabla_\mu \mathbb E_q[f] = \mathbb E[f(z_m)\,u_m]$. If $c_m$ depends
# only on the $z_{m'}$ with $m' \ne m$, it is independent of $z_m$, so $\mathbb E[c_m u_m] = \mathbb E[c_m]\,
# \mathbb E[u_m] = 0$ and $\mathbb E[(f(z_m) - c_m)u_m] = g$. The batch mean contains $f(z_m)/M$:
# $\mathbb E[\bar f\,u_m] = \frac1M\mathbb E[f(z_m)u_m] + \frac1M\sum_{m'\ne m}\mathbb E[f(z_{m'})]\,\mathbb E[u_m]
# = g/M$. Hence $\mathbb E\big[\frac1M\sum_m (f(z_m) - \bar f)u_m\big] = g - g/M = (1 - 1/M)\,g$. Since
# $f(z_m) - \bar f = \frac{M-1}{M}\big(f(z_m) - c_m^{\text{loo}}\big)$, multiplying by $M/(M-1)$ recovers the
# leave-one-out estimator exactly.

# %% [markdown] slideshow={"slide_type": "notes"}
# Homework. The one-line fact to leave on the board: $\mathbb E_q[\nabla\log q] = 0$, so anything independent of
# $z_m$ may be subtracted from $f(z_m)$.

# %% [markdown]
# ## 5 · Reparameterisation
#
# Write the sample as a differentiable function of the parameters and parameter-free noise:
# $z = \mu + s\odot\varepsilon$, $\varepsilon\sim\mathcal N(0, I)$. Then $\mathbb E_q[f(z)] =
# \mathbb E_\varepsilon[f(\mu + s\odot\varepsilon)]$ and the gradient moves inside:
#
# $$\nabla_\mu \mathbb E_q[f] \approx \frac1M\sum_m \nabla_z f(z_m), \qquad
# \nabla_s \mathbb E_q[f] \approx \frac1M\sum_m \nabla_z f(z_m)\odot\varepsilon_m .$$
#
# It needs $f$ differentiable in $z$ (autograd provides $\nabla_z f$), but uses how $f$ changes, not only its value.
# For $f=\sum_j z_j^2$ each coordinate's estimate is $2z_j$, which does not see the other coordinates at all.

# %% tags=["nbval-check-output"]
rp = reparameterisation_gradient(sum_of_squares, mu_vec, s_vec, 10, rng, n_repeats=10_000)
for name, est, exact in (("mu", rp.mean, 2 * mu_vec), ("s ", rp.std, 2 * s_vec)):
    se = est.std(0, ddof=1) / np.sqrt(len(est))
    print(f"grad_{name}: max |mean - exact| / s.e. = {np.max(np.abs(est.mean(0) - exact) / se):.2f}")
    assert np.all(np.abs(est.mean(0) - exact) < 4.5 * se)

# %% [markdown] slideshow={"slide_type": "notes"}
# The reparameterised estimator is unbiased too; the difference is all in the variance, next slide.

# %% [markdown] slideshow={"slide_type": "subslide"}
# All four estimators side by side:

# %%
plot_variances(list(estimators),
               alt="The same two panels with all four estimators: the reparameterisation estimator (diamonds, "
                   "dotted exact line) is lowest everywhere and flat in k, about 0.4 at M = 10, while the plain "
                   "score function rises to several thousand at k = 100.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Diamonds flat, circles climbing: the picture to remember from this notebook. Read off the ratio at $k = 100$
# from the table: about ten thousand.

# %% tags=["nbval-check-output"]
print("   k   variance ratio score-function / reparameterisation (per coordinate of ∇μ, M = 10)")
for dim in (1, 10, 100):
    i = list(k_grid).index(dim)
    measured = var_vs_k["score function"][i] / var_vs_k["reparameterisation"][i]
    exact = exact_variance("score function", dim, 10) / exact_variance("reparameterisation", dim, 10)
    print(f"{dim:4d}   measured {measured:9.1f}   exact {exact:9.1f}   exact / k^2 = {exact / dim**2:6.2f}")
    assert abs(measured / exact - 1) < 0.2
    if dim >= 10:
        assert 1 < exact / dim**2 < 1.5                            # about k^2
rel = var_vs_k["reparameterisation"] / np.array([exact_variance("reparameterisation", dim, 10) for dim in k_grid]) - 1
assert np.all(np.abs(rel) < 0.15)
exact_rp = [exact_variance("reparameterisation", dim, 10) for dim in k_grid]
assert np.ptp(exact_rp) == 0                                        # does not grow with k at all

# %% [markdown] slideshow={"slide_type": "subslide"}
# The reparameterised gradient has a variance that does not grow with $k$ at all here, and it is smaller than the
# score-function variance by a factor of about $k^2$ once $k \ge 10$: about ten thousand at $k=100$, where the
# score-function estimator would need ten thousand times as many samples for the same accuracy. This is why the
# VAE (notebook 05) trains $q_\phi$ by reparameterisation. Score-function gradients remain the tool when $z$ is
# discrete or $f$ is not differentiable (notebook 06), with baselines to tame them.

# %% [markdown] slideshow={"slide_type": "notes"}
# Misconception to address: "reparameterisation is always better". It wins here because $f$ is smooth and each
# coordinate's derivative is local; it is unavailable for discrete $z$ or an $f$ without a derivative. Ask: what
# would you do for a Bernoulli latent? (Notebook 06.)

# %% [markdown]
# ## Summary
#
# - **Fisher's identity:** $\nabla_\theta\log p_\theta(x) = \mathbb E_{p_\theta(z\mid x)}[\nabla_\theta\log
#   p_\theta(x\mid z)]$, checked against autograd to $10^{-10}$; the source's extra factor $p(z)$ (erratum 1) gives a
#   different, unit-dependent number.
# - Estimating it needs samples near the posterior: reweighted prior samples are consistent but tens of times noisier
#   here (the delta method predicts the factor), and far worse when the posterior is narrow.
# - The **score-function** estimator of $\nabla_\phi\mathbb E_{q_\phi}[f]$ is unbiased and needs only values of
#   $f$, but its variance grows like $k^2$; **baselines** reduce it by a factor that grows with $k$, as long as a
#   sample's baseline does not use that sample.
# - The **reparameterisation** estimator uses $\nabla_z f$ and is orders of magnitude less noisy (ratio about
#   $k^2$ for $f=\sum_j z_j^2$).
#
# Next we stop estimating $\log p_\theta(x)$ and instead bound it: Jensen's inequality turns the importance-sampling
# estimate of notebook 02 into the ELBO, a single objective for both $\theta$ and $\phi$.
#
# [Next: 04 · Jensen and the ELBO →](04_jensen_and_the_elbo.ipynb)

# %% [markdown] slideshow={"slide_type": "notes"}
# Recap with the three variance curves in mind; then pose the question notebook 04 answers: if we cannot sample
# the posterior, what objective makes $q_\phi$ close to it?

# %% [markdown]
# ## References
#
# - Williams, R. J. (1992). Simple statistical gradient-following algorithms for connectionist reinforcement
#   learning. *Machine Learning* 8, 229–256. (The score-function estimator, REINFORCE.)
# - Kingma, D. P. & Welling, M. (2014). Auto-encoding variational Bayes. *ICLR*. (Reparameterisation.)
# - Rezende, D. J., Mohamed, S. & Wierstra, D. (2014). Stochastic backpropagation and approximate inference in deep
#   generative models. *ICML*. (Reparameterisation.)
# - Kool, W., van Hoof, H. & Welling, M. (2019). Buy 4 REINFORCE samples, get a baseline for free! *ICLR workshop
#   Deep RL Meets Structured Prediction*. (The leave-one-out baseline.)
# - Mohamed, S., Rosca, M., Figurnov, M. & Mnih, A. (2020). Monte Carlo gradient estimation in machine learning.
#   *Journal of Machine Learning Research* 21(132), 1–62.
# - Levine, S. *CS 285: Deep Reinforcement Learning*, lecture on variational inference and generative models,
#   UC Berkeley (the lecture the source derivation credits; its Fisher-identity step is erratum 1 here).

# %% [markdown] slideshow={"slide_type": "notes"}
# Mohamed et al. (2020) is the survey to recommend for everything on this deck beyond the linear-Gaussian model.
