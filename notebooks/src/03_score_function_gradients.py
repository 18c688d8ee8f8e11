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
# - cut that variance with baselines, and far more with the reparameterisation $z = m + s\odot\varepsilon$.
#
# **Prerequisites:** [02 · Naive Monte Carlo](02_naive_monte_carlo.ipynb) (prior samples, importance weights,
# effective sample size).
# **Run time:** about 6 s on a 2-core laptop CPU.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers.exercises import check_gaussian_score, check_likelihood_grad_b
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
from helpers.monte_carlo import posterior_prior_kl, typical_problem
from helpers.plotting import COLORS, labelled, subplots, use_course_style

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
#
# Here $\nabla_b \log p(x\mid z) = \Sigma^{-1}(x-Az-b)$ and $\nabla_A \log p(x\mid z) = \Sigma^{-1}(x-Az-b)\,z^\top$.
# The reference is **autograd**: PyTorch differentiates the closed-form $\log\mathcal N(x; b, AA^\top+\Sigma)$ with
# respect to $A$ and $b$. Against it we check the matrix-calculus formula, the Fisher identity with exact posterior
# moments ($\mathbb E z = \mu$, $\mathbb E zz^\top = S + \mu\mu^\top$), and a Monte Carlo average over $10^5$
# posterior samples.

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

# %% [markdown]
# Now the source's version, with the same posterior samples weighted by an extra $p(z_m)$. It is not the gradient:
# it is off by a large factor, far outside its Monte Carlo error. And since $p(z)$ is a density, measuring $z$ in
# other units (here $z' = 2z$, so $p(z')$ is four times smaller in $k=2$ dimensions) changes it again, while a real
# gradient cannot depend on that choice.

# %% tags=["nbval-check-output"]
prior_density = np.exp(model.log_prior(z_post))                       # p(z_m), the extra factor
wrong_terms = prior_density[:, None] * per_sample.b
wrong_b, wrong_se = wrong_terms.mean(0), wrong_terms.std(0) / np.sqrt(len(z_post))
print("grad_b, correct            :", autograd_b)
print("grad_b, source's extra p(z):", wrong_b)
print("ratio wrong / correct      :", wrong_b / autograd_b)
print("in units z' = 2z           :", wrong_b / 2**2)
assert np.all(np.abs(wrong_b - autograd_b) > 10 * wrong_se)               # really different, not noise
assert np.max(np.abs(wrong_b / autograd_b - 1)) > 0.5

# %% [markdown]
# ### Try it 1: the gradient inside Fisher's identity
#
# For the small model below compute $\nabla_b \log p(x\mid z_m) = \Sigma^{-1}(x - Az_m - b)$ for each of the five
# samples `z_ex` (rows). Use `np.linalg.solve` rather than an inverse. The answer has one row per sample.

# %%
A_ex = np.array([[1.0, 0.5], [-0.3, 2.0], [0.0, 1.0]])
b_ex = np.array([0.1, -0.2, 0.3])
Sigma_ex = np.diag([0.25, 0.5, 1.0])
x_ex = np.array([1.0, 0.0, -1.0])
z_ex = np.random.default_rng(3).standard_normal((5, 2))
answer = ...  # your code: a (5, 3) array

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    answer = np.linalg.solve(Sigma_ex, (x_ex - z_ex @ A_ex.T - b_ex).T).T

# %%
result = check_likelihood_grad_b(answer, x_ex, z_ex, A_ex, b_ex, Sigma_ex)
assert result.passed, result
result

# %% [markdown]
# ## 2 · Posterior samples or prior samples?
#
# In general we cannot sample $p_\theta(z\mid x)$. Notebook 02 suggests reweighting prior samples instead: with
# $z_m \sim p(z)$ and $w_m = p(x\mid z_m)/\sum_{m'} p(x\mid z_{m'})$,
# $\;\nabla_\theta\log p_\theta(x) \approx \sum_m w_m\,\nabla_\theta \log p_\theta(x\mid z_m)$ (self-normalised
# importance sampling: consistent, slightly biased for finite $M$). Compare it with exact posterior samples over
# 500 repeats at each $M$, summing the variances of all $dk + d = 15$ gradient entries.

# %%
M_values = np.array([10, 30, 100, 300, 1_000, 3_000])
R = 500


def total(parts):
    return sum(float(np.sum(p)) for p in parts)


rows = []
for M in M_values:
    post = fisher_gradient_posterior(model, x, int(M), rng, n_repeats=R)
    prior = fisher_gradient_prior(model, x, int(M), rng, n_repeats=R)
    rows.append((total([post.A.var(0), post.b.var(0)]), total([prior.A.var(0), prior.b.var(0)]),
                 total([(prior.A.mean(0) - autograd_A) ** 2, (prior.b.mean(0) - autograd_b) ** 2]),
                 np.max(np.abs(post.b.mean(0) - autograd_b) / (post.b.std(0) / np.sqrt(R)))))
var_post, var_prior, bias2_prior, worst_z = np.array(rows).T

fig, ax = subplots()
ax.loglog(M_values, var_post, "o-", label="posterior samples: variance")
ax.loglog(M_values, var_prior, "s-", label="prior samples, self-normalised: variance")
ax.loglog(M_values, bias2_prior, "^--", label="prior samples: squared bias")
labelled(ax, f"Fisher-identity gradient of log p(x), {R} repeats (KL = {posterior_prior_kl(model, x):.1f} nats)",
         "number of samples M", "summed over the 15 entries of ∇A, ∇b")
ax.legend()
plt.show()

# %% tags=["nbval-check-output"]
for M, vp, vq in zip(M_values, var_post, var_prior, strict=True):
    print(f"M = {M:5d}   variance ratio prior / posterior = {vq / vp:6.1f}")
assert np.all(worst_z < 4.5)            # posterior-sample estimate unbiased at every M
assert np.all(var_prior > 5 * var_post)  # prior samples are much noisier
slope = np.polyfit(np.log(M_values), np.log(var_post), 1)[0]
print(f"log-log slope of the posterior-sample variance: {slope:.2f} (1/M gives -1)")
assert abs(slope + 1) < 0.1

# %% [markdown]
# Posterior samples win by a factor of tens at every $M$, roughly what the KL between posterior and prior suggests
# (about $e^{3.7}\approx 40$ prior samples per useful one); with a narrower posterior the factor explodes, as in
# notebook 02. The self-normalised estimate is also biased for small $M$, though its bias fades like $1/M$. So
# for $\theta$ we want samples from something close to the posterior, again a $q_\phi(z\mid x)$, and
# then we need gradients with respect to $\phi$ as well. That is the next problem.
#
# ## 3 · The score-function estimator of $\nabla_\phi\,\mathbb E_{q_\phi}[f(z)]$
#
# Take $q_\phi = \mathcal N(m, \operatorname{diag}(s^2))$ with $\phi=(m, s)$, $s$ a vector of **standard
# deviations**. The parameters appear in the distribution we sample from, so we cannot just differentiate $f$. The
# log-derivative trick moves the gradient onto $\log q$:
#
# $$\nabla_\phi\,\mathbb E_{q_\phi}[f(z)] = \int f(z)\,\nabla_\phi q_\phi(z)\,dz = \mathbb E_{q_\phi}\big[f(z)\,
# \nabla_\phi \log q_\phi(z)\big] \approx \frac1N\sum_{n=1}^N f(z_n)\,\nabla_\phi\log q_\phi(z_n),$$
#
# with $\nabla_m \log q = (z-m)/s^2$ and $\nabla_s \log q = \big((z-m)^2/s^2 - 1\big)/s$. It only needs values of
# $f$ (no derivative), which is why it also works for discrete $z$ (notebook 06). The same trick, applied to
# $p_\theta(x\mid z)$, gave Fisher's identity.
#
# Test problem with a closed form: $f(z) = \sum_j z_j^2$, so $\mathbb E_q[f] = \sum_j (m_j^2 + s_j^2)$ and the exact
# gradients are $2m$ and $2s$. First, unbiasedness over 10,000 repeats with $N = 10$ samples:

# %% tags=["nbval-check-output"]
def sum_of_squares(z):
    return (z**2).sum(-1)


D = 5
m_vec, s_vec = np.linspace(-1.0, 1.0, D), np.linspace(0.5, 1.5, D)
sf = score_function_gradient(sum_of_squares, m_vec, s_vec, 10, rng, n_repeats=10_000)
for name, est, exact in (("m", sf.mean, 2 * m_vec), ("s", sf.std, 2 * s_vec)):
    se = est.std(0, ddof=1) / np.sqrt(len(est))
    print(f"grad_{name}: mean over repeats {est.mean(0)}, exact {exact}, max |error| / s.e. = "
          f"{np.max(np.abs(est.mean(0) - exact) / se):.2f}")
    assert np.all(np.abs(est.mean(0) - exact) < 4.5 * se)

# %% [markdown]
# Unbiased, but how noisy? For $f=\sum_j z_j^2$ the variance of a one-sample estimate of $\partial/\partial m_j$ has a
# closed form from Gaussian moments (`sum_of_squares_gradient_variances`, checked against quadrature in the tests).
# Measure it over 2,000 repeats, against the number of samples $N$ (with $D = 10$) and against the dimension $D$
# (with $N = 10$), at $m = 1$, $s = 1$ in every coordinate. Variances are per coordinate of $\nabla_m$, averaged over
# the coordinates. The estimators for sections 4 and 5 are computed in the same loop.

# %%
R_VAR = 2_000
N_values = np.array([1, 3, 10, 30, 100, 300])
D_values = np.array([1, 3, 10, 30, 100])
estimators = {
    "score function": lambda m, s, n: score_function_gradient(sum_of_squares, m, s, n, rng, n_repeats=R_VAR),
    "score function, baseline E[f]": lambda m, s, n: score_function_gradient(
        sum_of_squares, m, s, n, rng, n_repeats=R_VAR, baseline=float(np.sum(m**2 + s**2))),
    "score function, leave-one-out baseline": lambda m, s, n: score_function_gradient(
        sum_of_squares, m, s, n, rng, n_repeats=R_VAR, baseline="leave_one_out"),
    "reparameterisation": lambda m, s, n: reparameterisation_gradient(sum_of_squares, m, s, n, rng, n_repeats=R_VAR),
}


def measured_variance(name, dim, n):
    grad_m = estimators[name](np.ones(dim), np.ones(dim), int(n)).mean
    return float(np.mean(grad_m.var(0, ddof=1)))


var_vs_N = {name: np.array([measured_variance(name, 10, n) if n > 1 or "leave" not in name else np.nan
                            for n in N_values]) for name in estimators}
var_vs_D = {name: np.array([measured_variance(name, dim, 10) for dim in D_values]) for name in estimators}


def exact_variance(name, dim, n):
    """Exact per-coordinate variance of an N-sample estimator at m = s = 1 (None: no closed form here)."""
    m = s = np.ones(dim)
    if name == "reparameterisation":
        return float(np.mean(sum_of_squares_gradient_variances(m, s).reparameterisation)) / n
    baselines = {"score function": 0.0, "score function, baseline E[f]": float(np.sum(m**2 + s**2))}
    if name not in baselines:
        return None
    return float(np.mean(sum_of_squares_gradient_variances(m, s, baselines[name]).score_function)) / n


def plot_variances(names):
    fig, axes = subplots(1, 2, width=13, height=4.4)
    for i, name in enumerate(names):
        ok = np.isfinite(var_vs_N[name])  # the leave-one-out baseline needs N >= 2
        axes[0].loglog(N_values[ok], var_vs_N[name][ok], "o", color=COLORS[i], label=name)
        axes[1].loglog(D_values, var_vs_D[name], "o", color=COLORS[i], label=name)
        if exact_variance(name, 1, 1) is not None:
            axes[0].loglog(N_values, [exact_variance(name, 10, n) for n in N_values], "-", color=COLORS[i], lw=1.2)
            axes[1].loglog(D_values, [exact_variance(name, dim, 10) for dim in D_values], "-", color=COLORS[i], lw=1.2)
    labelled(axes[0], "Variance vs samples (D = 10)", "number of samples N", "variance per coordinate of ∇m")
    labelled(axes[1], "Variance vs dimension (N = 10)", "dimension D", "variance per coordinate of ∇m")
    axes[0].legend(fontsize=9, title="dots: measured; lines: exact", title_fontsize=9)
    plt.show()


plot_variances(["score function"])

# %% [markdown]
# The variance falls like $1/N$, as for any average, but grows like $D^2$ per coordinate: every coordinate's
# estimate is multiplied by the **whole** $f(z)$, whose fluctuations add up over all $D$ dimensions. Check the
# slopes and the exact values:

# %% tags=["nbval-check-output"]
slope_N = np.polyfit(np.log(N_values), np.log(var_vs_N["score function"]), 1)[0]
slope_D = np.polyfit(np.log(D_values[2:]), np.log(var_vs_D["score function"][2:]), 1)[0]
print(f"slope vs N: {slope_N:.2f} (exact -1);  slope vs D for D >= 10: {slope_D:.2f} (tends to 2)")
rel = var_vs_D["score function"] / np.array([exact_variance("score function", dim, 10) for dim in D_values]) - 1
print("measured / exact - 1 per D:", np.round(rel, 3))
assert abs(slope_N + 1) < 0.1 and 1.6 < slope_D < 2.2
assert np.all(np.abs(rel) < 0.15)

# %% [markdown]
# ### Try it 2: the score of a diagonal Gaussian
#
# Compute $\nabla_m \log q(z_n)$ for $q=\mathcal N(m, \operatorname{diag}(s^2))$ at each of the samples `z_ex`
# (rows), with `s` holding **standard deviations**.

# %%
m_ex, s_ex = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.5, 2.0])
z_ex = m_ex + s_ex * np.random.default_rng(4).standard_normal((6, 3))
answer = ...  # your code: a (6, 3) array

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    answer = (z_ex - m_ex) / s_ex**2

# %%
result = check_gaussian_score(answer, z_ex, m_ex, s_ex)
assert result.passed, result
result

# %% [markdown]
# ## 4 · Baselines (control variates)
#
# Because $\mathbb E_q[\nabla_\phi\log q_\phi(z)] = 0$, subtracting any constant $c$ from $f$ leaves the estimator
# unbiased: $\frac1N\sum_n (f(z_n) - c)\,\nabla_\phi \log q_\phi(z_n)$. A good $c$ removes the large common part of
# $f$. Two choices: the exact mean $c=\mathbb E_q[f]$ (available only in a test problem like this one), and the
# practical *leave-one-out* baseline, $c_n$ = the average of $f$ over the other $N-1$ samples (still unbiased, since
# it does not depend on $z_n$).

# %%
plot_variances(["score function", "score function, baseline E[f]", "score function, leave-one-out baseline"])

# %% tags=["nbval-check-output"]
for dim in (1, 10, 100):
    i = list(D_values).index(dim)
    exact_factor = exact_variance("score function", dim, 10) / exact_variance("score function, baseline E[f]", dim, 10)
    plain = var_vs_D["score function"][i]
    with_mean = plain / var_vs_D["score function, baseline E[f]"][i]
    with_loo = plain / var_vs_D["score function, leave-one-out baseline"][i]
    print(f"D = {dim:3d}: variance reduction with baseline E[f]: measured {with_mean:5.1f} (exact {exact_factor:5.1f});"
          f"  with leave-one-out baseline: {with_loo:5.1f}")
rel = var_vs_D["score function, baseline E[f]"] / np.array(
    [exact_variance("score function, baseline E[f]", dim, 10) for dim in D_values]) - 1
assert np.all(np.abs(rel) < 0.15)
for name in ("score function, baseline E[f]", "score function, leave-one-out baseline"):
    assert np.all(var_vs_D[name] < var_vs_D["score function"])

# %% [markdown]
# A baseline helps a lot, by a factor that grows with $D$, but the variance still grows like $D$: the part of
# $f(z)$ that fluctuates with the **other** coordinates is still multiplied into every coordinate's estimate.
#
# ## 5 · Reparameterisation
#
# Write the sample as a differentiable function of the parameters and parameter-free noise:
# $z = m + s\odot\varepsilon$, $\varepsilon\sim\mathcal N(0, I)$. Then $\mathbb E_q[f(z)] =
# \mathbb E_\varepsilon[f(m + s\odot\varepsilon)]$ and the gradient moves inside:
#
# $$\nabla_m \mathbb E_q[f] \approx \frac1N\sum_n \nabla_z f(z_n), \qquad
# \nabla_s \mathbb E_q[f] \approx \frac1N\sum_n \nabla_z f(z_n)\odot\varepsilon_n .$$
#
# It needs $f$ differentiable in $z$ (autograd provides $\nabla_z f$), but uses how $f$ changes, not only its value.
# For $f=\sum_j z_j^2$ each coordinate's estimate is $2z_j$, which does not see the other coordinates at all.

# %% tags=["nbval-check-output"]
rp = reparameterisation_gradient(sum_of_squares, m_vec, s_vec, 10, rng, n_repeats=10_000)
for name, est, exact in (("m", rp.mean, 2 * m_vec), ("s", rp.std, 2 * s_vec)):
    se = est.std(0, ddof=1) / np.sqrt(len(est))
    print(f"grad_{name}: max |mean - exact| / s.e. = {np.max(np.abs(est.mean(0) - exact) / se):.2f}")
    assert np.all(np.abs(est.mean(0) - exact) < 4.5 * se)

# %%
plot_variances(list(estimators))

# %% tags=["nbval-check-output"]
print("   D   variance ratio score-function / reparameterisation (per coordinate of ∇m, N = 10)")
for dim in (1, 10, 100):
    i = list(D_values).index(dim)
    measured = var_vs_D["score function"][i] / var_vs_D["reparameterisation"][i]
    exact = exact_variance("score function", dim, 10) / exact_variance("reparameterisation", dim, 10)
    print(f"{dim:4d}   measured {measured:9.1f}   exact {exact:9.1f}")
    assert abs(measured / exact - 1) < 0.2
rel = var_vs_D["reparameterisation"] / np.array([exact_variance("reparameterisation", dim, 10) for dim in D_values]) - 1
assert np.all(np.abs(rel) < 0.15)

# %% [markdown]
# The reparameterised gradient has a variance that does not grow with $D$ at all here, and it is smaller than the
# score-function variance by a factor of about $D^2$: roughly ten thousand at $D=100$, where the score-function
# estimator would need ten thousand times as many samples for the same accuracy. This is why the VAE (notebook 05)
# trains $q_\phi$ by reparameterisation. Score-function gradients remain the tool when $z$ is discrete or $f$ is
# not differentiable (notebook 06), with baselines to tame them.
#
# ## Summary
#
# - **Fisher's identity:** $\nabla_\theta\log p_\theta(x) = \mathbb E_{p_\theta(z\mid x)}[\nabla_\theta\log
#   p_\theta(x\mid z)]$, checked against autograd to $10^{-10}$; the source's extra factor $p(z)$ (erratum 1) gives a
#   different, unit-dependent number.
# - Estimating it needs samples near the posterior: reweighted prior samples are consistent but tens of times noisier
#   here, and far worse when the posterior is narrow.
# - The **score-function** estimator of $\nabla_\phi\mathbb E_{q_\phi}[f]$ is unbiased and needs only values of
#   $f$, but its variance grows like $D^2$; **baselines** reduce it by a factor that grows with $D$.
# - The **reparameterisation** estimator uses $\nabla_z f$ and is orders of magnitude less noisy (ratio about
#   $D^2$ for $f=\sum_j z_j^2$).
#
# Next we stop estimating $\log p_\theta(x)$ and instead bound it: Jensen's inequality turns the importance-sampling
# estimate of notebook 02 into the ELBO, a single objective for both $\theta$ and $\phi$.
#
# [Next: 04 · Jensen and the ELBO →](04_jensen_and_the_elbo.ipynb)
