# %% [markdown]
# # 02 · Naive Monte Carlo: unbiased, and still useless
#
# Notebook 01 computed $p(x)=\int p(x\mid z)\,p(z)\,dz$ exactly for the linear-Gaussian model and by quadrature in
# one or two latent dimensions. The obvious next idea is to average $p(x\mid z)$ over samples from the prior. It is
# unbiased, and yet it fails badly; here we measure how and why.
#
# **In this notebook you will**
# - build the estimator $\hat p(x) = \frac1M\sum_m p(x\mid z_m)$, $z_m\sim p(z)$, and see why it is unbiased for
#   $p(x)$ while $\log\hat p(x)$ is biased low, by about $\chi^2/(2M)$ (a short derivation, checked);
# - watch the distribution of $\log\hat p(x)$ over 500 repeats as the number of samples $M$ grows;
# - measure how bias, spread and the effective sample size degrade with the latent dimension $k$ and the
#   observation noise $\sigma$, against two rules: $M$ must pass about $e^{\mathrm{KL}(p(z\mid x)\,\|\,p(z))}$
#   before the estimate works at all, and must be large against $\chi^2$ before its errors are small;
# - see importance sampling with the exact posterior give a zero-variance estimate, which motivates $q(z\mid x)$;
# - explore all of this with sliders.
#
# **Prerequisites:** [01 · The linear-Gaussian marginal](01_linear_gaussian_marginal.ipynb) (the model, $p(x)$ and
# $p(z\mid x)$ in closed form).
# **Run time:** about 15 s on a 2-core laptop CPU.

# %% [markdown] slideshow={"slide_type": "notes"}
# Open with the question: we can sample the prior and evaluate $p(x\mid z)$, so why not just average? Ask the room
# to guess how many samples a 2-dimensional latent needs. The answer (hundreds, then thousands) is the hook.

# %%
import numpy as np
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, skew

from helpers.exercises import (
    check_chi_square_1d,
    check_effective_sample_size,
    check_log_estimate,
    check_posterior_prior_kl,
)
from helpers.monte_carlo import (
    effective_sample_size,
    importance_log_marginal,
    log_chi_square_plus_one,
    log_mean_exp,
    naive_log_marginal,
    posterior_prior_kl,
    typical_problem,
)
from helpers.plotting import COLORS, labelled, show, subplots, use_course_style
from helpers.widgets import NaiveMCExplorer

use_course_style()
rng = np.random.default_rng(0)
torch.manual_seed(0)
torch.set_num_threads(2)

# %% [markdown]
# ## 1 · The estimator, and why its logarithm is biased
#
# The marginal likelihood is an expectation under the prior, $p(x) = \mathbb E_{p(z)}[p(x\mid z)]$, so the sample
# average
#
# $$\hat p(x) = \frac1M \sum_{m=1}^{M} p(x\mid z_m), \qquad z_m \sim p(z) \text{ independently},$$
#
# has $\mathbb E[\hat p(x)] = p(x)$: it is **unbiased**, and its variance shrinks like $1/M$.
#
# *A note on indices (erratum 4 of the source).* The source writes this sum with the index $i$, the same letter
# it uses for the data points $x_1,\dots,x_N$. Here samples of $z$ are indexed by $m = 1..M$ and data points by
# $i$; the estimator above is for **one** data point $x$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Stress "unbiased": the estimator is right on average, and that is not enough. Point out the index fix: $m$ for
# samples, $i$ for data points, everywhere in the course.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every $p(x\mid z_m)$ is a tiny number (a density in $d=20$ dimensions), so the average is taken in log space:
# $\log\hat p(x) = \operatorname{logmeanexp}_m \log p(x\mid z_m)$, shifting by the largest term before
# exponentiating. The main model of this notebook is linear-Gaussian with $k=2$ latent and $d=20$ data dimensions
# and noise covariance $\Sigma=\sigma^2 I$ with $\sigma=0.5$ (**$\sigma$ is a standard deviation**).

# %% tags=["nbval-check-output"]
model, x = typical_problem(latent_dim=2, data_dim=20, noise_std=0.5, seed=0)
log_px = model.log_marginal(x)
reference = multivariate_normal(model.b, model.A @ model.A.T + model.Sigma).logpdf(x)  # independent: SciPy

z = rng.standard_normal((1000, 2))                  # z_m ~ p(z), m = 1..M
log_lik = model.log_likelihood(x, z)                # log p(x | z_m), shape (M,)
print(f"log p(x) exact            = {log_px:.4f}")
print(f"log p(x|z_m) ranges from {log_lik.min():.1f} to {log_lik.max():.1f}")
print(f"log p_hat(x), M = 1000    = {log_mean_exp(log_lik):.4f}")
print(f"naive exp then log        = {np.log(np.mean(np.exp(log_lik))):.4f}   "
      f"(works here only because the largest term is e^{log_lik.max():.0f})")
assert abs(log_px - reference) < 1e-10
assert abs(log_mean_exp(log_lik) - (logsumexp(log_lik) - np.log(1000))) < 1e-12

# %% [markdown] slideshow={"slide_type": "notes"}
# The likelihoods span more than a thousand nats: one sample dominates the sum. Ask: what would `np.exp` give for a
# log-likelihood of $-1300$? (Exactly 0.) That is why everything here is in log space.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why $\log\hat p(x)$ is biased low, and by how much
#
# The logarithm is concave, so by Jensen's inequality
# $\mathbb E[\log \hat p(x)] \le \log \mathbb E[\hat p(x)] = \log p(x)$, with equality only if $\hat p(x)$ never
# varies. Notebook 04 turns this same inequality into the evidence lower bound.
#
# **The size of the bias (delta method).** Write $\hat p/p = 1 + \delta$. The $z_m$ are independent, so
# $\mathbb E\,\delta = 0$ and $\operatorname{Var}\delta = \frac1M \operatorname{Var}_{p(z)}[p(x\mid z)/p(x)] = \chi^2/M$ with
#
# $$\chi^2 = \mathbb E_{p(z)}\Big[\Big(\frac{p(x\mid z)}{p(x)}\Big)^2\Big] - 1
# = \int \frac{p(z\mid x)^2}{p(z)}\,dz - 1 = \mathbb E_{p(z\mid x)}\Big[\frac{p(z\mid x)}{p(z)}\Big] - 1,$$
#
# the chi-square divergence $\chi^2(p(z\mid x)\,\|\,p(z))$ of the posterior from the prior (the middle step uses
# $p(x\mid z)/p(x) = p(z\mid x)/p(z)$, which is Bayes' rule). Expand $\log(1+\delta) = \delta - \delta^2/2 + O(\delta^3)$
# and take expectations:
#
# $$\mathbb E[\log\hat p(x)] - \log p(x) \approx -\frac{\chi^2}{2M}, \qquad \operatorname{Var}[\log\hat p(x)] \approx \frac{\chi^2}{M}.$$
#
# The expansion needs $\delta$ small, so it holds only once $M \gg \chi^2$. In this model $\chi^2$ has a closed
# form (`log_chi_square_plus_one` returns $\log(1+\chi^2)$, since $\chi^2$ overflows easily); check it against the
# last expression above, averaged over $10^5$ samples of the exact posterior:

# %% tags=["nbval-check-output"]
chi2 = np.expm1(log_chi_square_plus_one(model, x))
post_mean, post_cov = model.posterior(x)
z_post = rng.multivariate_normal(post_mean, post_cov, size=100_000)
log_ratio = model.log_posterior(z_post, x) - model.log_prior(z_post)   # log p(z|x) - log p(z)
ratio_post = np.exp(log_ratio)
se_ratio = ratio_post.std(ddof=1) / np.sqrt(len(ratio_post))
print(f"1 + chi^2: closed form {1 + chi2:.1f}, posterior-sample average {ratio_post.mean():.1f} ± {se_ratio:.1f} (s.e.)")
assert abs(ratio_post.mean() - (1 + chi2)) < 4 * se_ratio

# %% [markdown] slideshow={"slide_type": "notes"}
# Derive this on the board: it takes three lines. The key object is $\chi^2$, the relative variance of one
# importance weight. Ask: why must $M \gg \chi^2$ for the expansion to hold? (The typical size of $\delta$ is
# $\sqrt{\chi^2/M}$.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Check both claims with 500 independent repeats at several $M$: the mean of $\hat p/p$ is 1 within its exact
# standard error $\sqrt{\chi^2/(500M)}$, while the mean of $\log \hat p - \log p$ is clearly negative (at
# $M=10^4$ the bias, predicted at about $-0.03$ nats, is too small to resolve at four standard errors with 500
# repeats, so it is only printed). Where $M$ is not large against $\chi^2$ (here $\chi^2 \approx 600$, so
# $M \le 1000$) the measured log-bias is larger than the second-order prediction.

# %% tags=["nbval-check-output"]
R = 500
sample_sizes = [10, 100, 1_000, 10_000]
estimates = {M: naive_log_marginal(model, x, M, rng, n_repeats=R) for M in sample_sizes}

print(f"chi^2(p(z|x) || p(z)) = {chi2:.1f}")
assert 500 < chi2 < 700                                                              # "about 600" in the text
print("     M   mean p_hat/p   exact s.e.   mean log-error   predicted -chi2/(2M)")
for M, est in estimates.items():
    ratio = np.exp(est - log_px)
    se = np.sqrt(chi2 / (M * R))
    print(f"{M:6d}   {ratio.mean():12.3f}   {se:10.3f}   {np.mean(est - log_px):14.3f}   {-chi2 / (2 * M):20.3f}")
    assert abs(ratio.mean() - 1.0) < 4.0 * se                                        # unbiased for p(x)
    if M <= 1_000:  # at M = 10^4 the bias (about -0.03) is below what 500 repeats resolve
        assert np.mean(est - log_px) < -4.0 * np.std(est, ddof=1) / np.sqrt(R)       # biased low in the log
        assert np.mean(est - log_px) < -chi2 / (2 * M)                               # beyond the prediction

# %% [markdown] slideshow={"slide_type": "notes"}
# Read the table row by row: the ratio column stays near 1 (unbiased), the log column is negative and far larger
# than the prediction until $M$ is well past $\chi^2$. Ask: which column would you report as "the estimate"?

# %% [markdown]
# ### Try it 1: the log of the average, without underflow
#
# The log-likelihoods below are around $-1000$, so `np.exp` gives exactly 0. Compute $\log\hat p(x)$ from them:
# the log of the **mean** of $e^{\ell_m}$, shifting by the maximum first.

# %% nbgrader={"grade": false, "grade_id": "mc_log_mean_exp", "locked": false, "schema_version": 3, "solution": true, "task": false}
log_lik_ex = -1000.0 + 3.0 * np.random.default_rng(1).standard_normal(50)
answer_mc_log_mean_exp = ...  # your code: a float, log of the mean of exp(log_lik_ex)
### BEGIN SOLUTION
shift = np.max(log_lik_ex)
answer_mc_log_mean_exp = shift + np.log(np.mean(np.exp(log_lik_ex - shift)))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "mc_log_mean_exp_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_log_estimate(answer_mc_log_mean_exp, log_lik_ex)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Homework-sized. The usual slip is the mean of the logs, which the checker names: it is Jensen's inequality again.

# %% [markdown]
# ## 2 · The distribution of $\log\hat p(x)$ as $M$ grows
#
# Histograms of the 500 repeats for each $M$ against the exact $\log p(x)$.

# %%
fig, axes = subplots(1, 4, width=15, height=3.6, sharey=True)
for ax, (M, est) in zip(axes, estimates.items(), strict=True):
    lo, hi = min(est.min(), log_px) - 0.5, max(est.max(), log_px) + 0.5
    ax.hist(est, bins=np.linspace(lo, hi, 40), color=COLORS[0], alpha=0.7, label="log p̂(x), 500 repeats")
    ax.axvline(log_px, color=COLORS[3], lw=2.5, label="exact log p(x)")
    ax.axvline(est.mean(), color=COLORS[7], ls="--", lw=1.5, label="mean of log p̂(x)")
    labelled(ax, f"M = {M:,}", "log p̂(x)  (nats)", "count" if M == 10 else "")
axes[0].legend(loc="upper left", fontsize=8)
fig.suptitle(f"Naive Monte Carlo estimates of log p(x) (k = 2, d = 20, σ = 0.5; exact {log_px:.2f} nats)")
show(fig, alt="Four histograms of 500 estimates of log p(x), for M = 10, 100, 1,000 and 10,000 prior samples. "
              "Each has a long tail to the left and its mean (dashed) lies left of the exact value (solid); "
              "the estimates spread over more than a hundred nats at M = 10 and a fraction of a nat at M = 10,000.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Before the next slide, ask: which side is the long tail on, and why? Let the room argue; most expect the right.
# Then point at the dashed mean drifting toward the solid line as $M$ grows.

# %% [markdown] slideshow={"slide_type": "subslide"}
# With few samples the estimate is usually too low, with a long tail to the **left**: most repeats miss the small
# region where the posterior lives and average only tiny likelihoods, so they land far below $\log p(x)$, while
# the few that do draw a good $z_m$ land near it. The heavy tail to the right belongs to $\hat p(x)$ itself (rare,
# huge averages that keep it unbiased); the logarithm squashes that tail and stretches the left one. As $M$ grows
# the histogram narrows and moves onto the exact value.

# %% tags=["nbval-check-output"]
print("     M   skewness of log p_hat   skewness of p_hat   fraction below log p(x)   sd of log p_hat")
for M, est in estimates.items():
    print(f"{M:6d}   {skew(est):21.2f}   {skew(np.exp(est - log_px)):17.2f}   {np.mean(est < log_px):23.2f}"
          f"   {np.std(est, ddof=1):15.3f}")
    if M <= 1_000:
        assert skew(est) < -0.5 < 0.5 < skew(np.exp(est - log_px))   # left tail in the log, right tail in p_hat
    if M <= 100:
        assert np.mean(est < log_px) > 0.75                          # with few samples, usually too low
sds = [np.std(est, ddof=1) for est in estimates.values()]
biases = [abs(np.mean(est) - log_px) for est in estimates.values()]
assert np.all(np.diff(sds) < 0) and np.all(np.diff(biases) < 0)      # narrows and moves onto log p(x)

# %% [markdown] slideshow={"slide_type": "notes"}
# A common misreading: "the long tail is to the right because rare lucky draws pull the estimate up". The lucky
# draws are real, but on the log scale they are bounded by $\log p(x)$ plus a little; the unlucky ones are not
# bounded at all. Ask which tail keeps $\hat p$ unbiased.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Once $M$ is large against $\chi^2$ the spread shrinks like $1/\sqrt M$ and the bias like $1/M$. At $M=10{,}000$
# (about $16\chi^2$) both agree with the second-order predictions $\operatorname{sd}[\log\hat p]\approx\sqrt{\chi^2/M}$
# and bias $\approx -\chi^2/(2M)$:

# %% tags=["nbval-check-output"]
est = estimates[10_000]
measured_sd, predicted_sd = np.std(est, ddof=1), np.sqrt(chi2 / 10_000)
measured_bias, predicted_bias = np.mean(est) - log_px, -chi2 / (2 * 10_000)
print(f"sd of log p_hat:   measured {measured_sd:.4f}, predicted {predicted_sd:.4f}")
print(f"bias of log p_hat: measured {measured_bias:.4f}, predicted {predicted_bias:.4f}")
assert 10_000 > 10 * chi2
assert abs(measured_sd / predicted_sd - 1) < 0.2
assert abs(measured_bias - predicted_bias) < 4 * measured_sd / np.sqrt(R) + 0.2 * abs(predicted_bias)

# %% [markdown] slideshow={"slide_type": "notes"}
# The delta method is a large-$M$ statement; here it finally holds. Ask: how many samples would a bias of 0.01 nats
# need? ($\chi^2/0.02 \approx 30{,}000$.)

# %% [markdown]
# ## 3 · How many samples? Two rules
#
# The prior spreads its samples over all of latent space, but only those near the posterior $p(z\mid x)$
# contribute. Two rules turn this into a number of samples, and they answer different questions.
#
# - **The KL rule: when the estimate starts to work.** Chatterjee & Diaconis (2018) showed that sampling from
#   $p(z)$ to estimate an integral against $p(z\mid x)$ needs $M$ of the order of
#   $e^{\mathrm{KL}(p(z\mid x)\,\|\,p(z))}$. With $M = e^{\mathrm{KL}-t}$ the estimate $\hat p/p$ is far below 1
#   with high probability; with $M = e^{\mathrm{KL}+t}$ its mean absolute error is bounded by $e^{-t/4}$ plus a
#   term set by how far $\log p(z\mid x)/p(z)$ spreads beyond the KL. It is a threshold, not an accuracy.
# - **The χ² rule: how large the errors are past the threshold.** The delta method of section 1 gives bias
#   $\approx -\chi^2/(2M)$, spread $\approx\sqrt{\chi^2/M}$ and (section 4) an effective sample size
#   $\approx M/(1+\chi^2)$, once $M \gg \chi^2$. A bias below $\varepsilon$ nats needs $M \approx \chi^2/(2\varepsilon)$.
#
# The two are linked by Jensen's inequality: $1+\chi^2 = \mathbb E_{p(z\mid x)}[p(z\mid x)/p(z)] \ge
# \exp \mathbb E_{p(z\mid x)}[\log p(z\mid x)/p(z)] = e^{\mathrm{KL}}$, so the χ² rule always asks for at least as
# many samples as the KL rule.

# %% [markdown] slideshow={"slide_type": "notes"}
# This is the slide to slow down on. Two rules, two questions: "does it work at all?" (KL) and "how wrong is it?"
# (χ²). Misconception to address: "$M > e^{\mathrm{KL}}$ means the estimate is good". Ask the room to predict the
# bias at $M = 1000$ for our problem before showing the sweep.

# %% [markdown] slideshow={"slide_type": "subslide"}
# For Gaussians the KL is in closed form, $\tfrac12\big(\operatorname{tr} S + \mu^\top\mu - k - \log\det S\big)$
# for $p(z\mid x)=\mathcal N(\mu, S)$. It grows when the posterior gets narrower than the prior, which happens when
# the latent dimension $k$ grows (more directions to pin down) or when the noise standard deviation $\sigma$
# shrinks (each observation is more informative). Check the closed form against `torch.distributions` and against
# a Monte Carlo average of $\log p(z\mid x) - \log p(z)$ over the posterior samples of section 1:

# %% tags=["nbval-check-output"]
kl = posterior_prior_kl(model, x)
kl_torch = torch.distributions.kl_divergence(
    torch.distributions.MultivariateNormal(torch.tensor(post_mean), covariance_matrix=torch.tensor(post_cov)),
    torch.distributions.MultivariateNormal(torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64)),
).item()
print(f"KL closed form {kl:.6f}, torch {kl_torch:.6f}, Monte Carlo {log_ratio.mean():.4f} "
      f"± {log_ratio.std() / np.sqrt(len(log_ratio)):.4f} (s.e.)")
print(f"KL rule: exp(KL) = {np.exp(kl):.0f};   chi^2 rule: 1 + chi^2 = {1 + chi2:.0f}")
assert abs(kl - kl_torch) < 1e-10
assert abs(kl - log_ratio.mean()) < 4 * log_ratio.std() / np.sqrt(len(log_ratio))
assert 1 + chi2 >= np.exp(kl)

# %% [markdown] slideshow={"slide_type": "notes"}
# Three routes to one KL (closed form, torch, Monte Carlo) agree. Note the two sample sizes side by side: about
# 450 by the KL rule and about 620 by the χ² rule. Ask: at $M = 1000$, which rule is satisfied?

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now sweep $k$ (with $\sigma=0.5$) and $\sigma$ (with $k=2$), with $M=1000$ samples and 200 repeats per setting,
# keeping $d=20$. Each $k$ has its own random $A$, $b$ and a typical data point $x$ from that model
# (`typical_problem`), so the KL is not monotone in $k$; what matters is how the error tracks it. The shaded
# region is where the KL rule says $M$ is too small: $e^{\mathrm{KL}} > M$. The dashed and dotted lines are the
# χ² rule's bias and spread, drawn where $M > \chi^2$. We keep the effective sample size of each run for section 4.

# %%
M_SWEEP, R_SWEEP = 1_000, 200
k_values = np.array([1, 2, 3, 4, 6, 8, 12, 16])
sigma_values = np.array([2.0, 1.4, 1.0, 0.7, 0.5, 0.35, 0.25, 0.15, 0.1])


def shade_too_few(ax, xs, kl_values, label=None):
    """Shade the x-ranges (halfway to the neighbours, on a log axis) of settings where exp(KL) > M."""
    logx = np.log(xs)
    edges = np.exp(np.concatenate([[1.5 * logx[0] - 0.5 * logx[1]], (logx[1:] + logx[:-1]) / 2,
                                   [1.5 * logx[-1] - 0.5 * logx[-2]]]))
    for i in np.flatnonzero(kl_values > np.log(M_SWEEP)):
        lo, hi = sorted(edges[i : i + 2])
        ax.axvspan(lo, hi, color=COLORS[1], alpha=0.2, lw=0, label=label)
        label = None  # one legend entry


def sweep(settings):
    """Bias, sd and mean ESS of log p_hat for each (k, sigma), plus the exact KL and log(1 + chi^2) of that problem."""
    rows = []
    for k, sigma in settings:
        problem, x_k = typical_problem(int(k), 20, float(sigma), seed=0)
        est_k, ess_k = naive_log_marginal(problem, x_k, M_SWEEP, rng, n_repeats=R_SWEEP, return_ess=True)
        rows.append((np.mean(est_k) - problem.log_marginal(x_k), np.std(est_k, ddof=1), np.mean(ess_k),
                     posterior_prior_kl(problem, x_k), log_chi_square_plus_one(problem, x_k)))
    return np.array(rows).T  # bias, sd, ess, kl, log(1 + chi^2)


by_k = sweep([(k, 0.5) for k in k_values])
by_sigma = sweep([(2, s) for s in sigma_values])

fig, axes = subplots(1, 2, width=13, height=4.2)
for ax, xs, (bias, sd, _, kl_s, log_rho), name in [
        (axes[0], k_values, by_k, "latent dimension k  (σ = 0.5)"),
        (axes[1], sigma_values, by_sigma, "noise standard deviation σ  (k = 2)")]:
    chi2_s = np.expm1(log_rho)
    ok = chi2_s < M_SWEEP  # where the delta method is drawn at all
    ax.plot(xs, np.abs(bias), "o-", color=COLORS[0], label="|bias| of log p̂(x), measured")
    ax.plot(xs, sd, "s-", color=COLORS[2], label="sd of log p̂(x), measured")
    ax.plot(xs[ok], chi2_s[ok] / (2 * M_SWEEP), "--", color=COLORS[0], label="χ² rule: χ²/(2M)")
    ax.plot(xs[ok], np.sqrt(chi2_s[ok] / M_SWEEP), ":", color=COLORS[2], lw=2.5, label="χ² rule: √(χ²/M)")
    shade_too_few(ax, xs, kl_s, label=f"KL rule, too few: exp(KL) > M = {M_SWEEP}")
    ax.set_yscale("log")
    ax.set_xscale("log")
    labelled(ax, f"M = {M_SWEEP} prior samples, 200 repeats", name, "nats")
axes[1].invert_xaxis()  # smaller noise to the right: harder, like larger k on the left panel
axes[0].legend(loc="upper left", fontsize=8)
show(fig, alt="Two log-log panels: the absolute bias (circles) and standard deviation (squares) of log p-hat with "
              "1,000 prior samples, against latent dimension k and against noise standard deviation sigma, with "
              "the chi-square predictions as dashed and dotted lines and the region exp(KL) > M shaded. The errors "
              "grow by orders of magnitude toward the shaded region and are already near a nat just before it.")

# %% [markdown] slideshow={"slide_type": "notes"}
# Walk the left panel from $k=1$ to $k=16$: small errors, then a nat of bias while still unshaded, then tens to
# hundreds of nats. Point at the dashed line meeting the circles on the left and falling below them near the
# threshold: the χ² rule is right where $M \gg \chi^2$ and optimistic near it.

# %% [markdown] slideshow={"slide_type": "subslide"}
# In numbers, each rule where it applies:
# - **KL rule, failing side:** wherever $\mathrm{KL} > \log M + 1$ (shaded, with a margin) the bias is worse than
#   a nat.
# - **χ² rule, accurate side:** wherever $M > 10\chi^2$ the bias is below 0.1 nats and the spread within 25 % of
#   $\sqrt{\chi^2/M}$.
# - **Between the rules:** just past the KL threshold, where $e^{\mathrm{KL}} < M < 2\chi^2$ (unshaded), the
#   estimate is not yet good: the bias is worse than 0.2 nats, the spread more than 0.7 nats, and fewer than five
#   of the thousand samples count (the ESS of section 4).

# %% [markdown] slideshow={"slide_type": "notes"}
# Three claims, three asserts in the next cells. The third is the one the usual summary gets wrong: passing the KL
# threshold does not make the estimate good.

# %% tags=["nbval-check-output"] slideshow={"slide_type": "subslide"}
def check_rules(label, xs, result):
    """Print one sweep's rows and assert each rule where it applies (the three claims above)."""
    bias, sd, ess, kl_s, log_rho = result
    chi2_s = np.expm1(log_rho)
    for value, b_, sd_, ess_, kl_, c2_ in zip(xs, bias, sd, ess, kl_s, chi2_s, strict=True):
        print(f"{label} = {value:<5.3g}  exp(KL) = {np.exp(kl_):9.3g}  chi^2 = {c2_:9.3g}  bias = {b_:8.3f}  "
              f"sd = {sd_:7.3f}  ESS = {ess_:6.1f}")
    assert np.all(log_rho >= kl_s)                                          # 1 + chi^2 >= exp(KL)
    assert np.all(bias[kl_s > np.log(M_SWEEP) + 1] < -1.0)                  # KL rule: fails by over a nat
    accurate = M_SWEEP > 10 * chi2_s
    assert np.all(np.abs(bias[accurate]) < 0.1)                             # chi^2 rule: small errors ...
    assert np.all(np.abs(sd[accurate] / np.sqrt(chi2_s[accurate] / M_SWEEP) - 1) < 0.25)   # ... as predicted
    between = (np.exp(kl_s) < M_SWEEP) & (M_SWEEP < 2 * chi2_s)
    assert np.all(bias[between] < -0.2) and np.all(sd[between] > 0.7) and np.all(ess[between] < 5)


check_rules("k", k_values, by_k)

# %% [markdown] slideshow={"slide_type": "notes"}
# The latent-dimension sweep: $k=1$ passes both rules; $k=2$ and $k=3$ pass the KL rule and still miss by more
# than half a nat; from $k=4$ on the KL rule fails and the bias runs to tens and hundreds of nats.

# %% tags=["nbval-check-output"] slideshow={"slide_type": "subslide"}
check_rules("sigma", sigma_values, by_sigma)
assert np.sum((np.exp(by_k[3]) < M_SWEEP) & (M_SWEEP < 2 * np.expm1(by_k[4]))) >= 2  # the "between" rows exist
assert np.any(np.diff(by_k[3]) < 0)                                                # KL is not monotone in k
assert np.all(np.diff(by_sigma[3]) > 0)                                            # but grows as sigma shrinks

# %% [markdown] slideshow={"slide_type": "notes"}
# Read three rows aloud: $k=1$ (both rules happy), $k=2$ (KL rule happy, χ² rule not: bias more than half a nat,
# ESS about 2), $k=4$ (both unhappy). The same problem ($k=2$, $\sigma=0.5$) appears in both sweeps with
# independent draws; its two rows differ, because near the threshold even 200 repeats average a heavy tail.

# %% [markdown]
# ### Try it 2: the sample size the prior needs
#
# Compute $\mathrm{KL}(\mathcal N(\mu, S)\,\|\,\mathcal N(0, I_k))$ for the posterior of the $k=4$, $\sigma=0.5$
# problem below, from `mu` and `S` with NumPy only (`np.trace`, `np.linalg.slogdet`). Then $e^{\mathrm{KL}}$ is the
# number of prior samples below which the estimate fails.

# %% nbgrader={"grade": false, "grade_id": "mc_posterior_kl", "locked": false, "schema_version": 3, "solution": true, "task": false}
problem_ex, x_ex = typical_problem(4, 20, 0.5, seed=0)
mu, S = problem_ex.posterior(x_ex)
answer_mc_posterior_kl = ...  # your code: a float, the KL in nats
### BEGIN SOLUTION
answer_mc_posterior_kl = 0.5 * (np.trace(S) + mu @ mu - len(mu) - np.linalg.slogdet(S)[1])
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "mc_posterior_kl_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_posterior_prior_kl(answer_mc_posterior_kl, mu, S)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# A two-line exercise; its point is the number: $e^{8.7}$ is several thousand samples for a 4-dimensional latent.

# %% [markdown]
# ## 4 · Effective sample size of the prior samples
#
# Read the prior samples as importance samples for the posterior, with weights $w_m \propto p(x\mid z_m)$. Kish's
# effective sample size $\mathrm{ESS} = (\sum_m w_m)^2 / \sum_m w_m^2$ says how many equally weighted samples they
# are worth: $M$ if all weights are equal, 1 if one dominates.
#
# **Why ESS ≈ M/(1+χ²).** Divide top and bottom by $M^2 p(x)^2$: $\mathrm{ESS} = M\,\bar w^2/\overline{w^2}$ with
# $\bar w$ and $\overline{w^2}$ the sample means of $w_m = p(x\mid z_m)/p(x)$ and of its square. By the law of
# large numbers they tend to $\mathbb E_{p(z)}[w] = 1$ and $\mathbb E_{p(z)}[w^2] = 1+\chi^2$ (section 1), so
# $\mathrm{ESS} \approx M/(1+\chi^2)$ for large $M$: the same closed-form $\chi^2$ predicts it. Same settings and
# axes as above:

# %% [markdown] slideshow={"slide_type": "notes"}
# Derive the ESS formula on the board: it is the law of large numbers applied to the top and bottom of Kish's
# ratio. Ask: what is the ESS of a sample whose weights all equal $p(x)$? ($M$: section 5 shows such weights.)

# %% slideshow={"slide_type": "subslide"}
fig, axes = subplots(1, 2, width=13, height=4.2)
for ax, xs, (_, _, ess, kl_s, log_rho), name in [
        (axes[0], k_values, by_k, "latent dimension k  (σ = 0.5)"),
        (axes[1], sigma_values, by_sigma, "noise standard deviation σ  (k = 2)")]:
    ax.plot(xs, ess, "o-", label="mean ESS (measured)")
    ax.plot(xs, np.maximum(M_SWEEP * np.exp(-log_rho), 1.0), "k--", lw=1.5, label="M / (1 + χ²), at least 1")
    ax.axhline(M_SWEEP, color=COLORS[7], lw=1, ls=":", label="M")
    shade_too_few(ax, xs, kl_s, label=f"KL rule, too few: exp(KL) > M = {M_SWEEP}")
    ax.set_yscale("log")
    ax.set_xscale("log")
    labelled(ax, "Effective sample size of 1000 prior samples", name, "ESS (samples)")
axes[1].invert_xaxis()
axes[0].legend(loc="upper right", fontsize=9)
show(fig, alt="Two log-log panels of the mean effective sample size of 1,000 prior samples against k and against "
              "sigma (circles), with the prediction M/(1 + chi-square) dashed and M dotted. The ESS falls to a few "
              "samples before the shaded exp(KL) > M region begins and to about 1 inside it.")

# %% [markdown] slideshow={"slide_type": "notes"}
# The dashed prediction tracks the circles until it drops below a few samples, where the ESS floors at 1. Point out
# that the ESS is already in single digits outside the shaded region.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Of a thousand prior samples only a handful count well before the KL threshold: at $\sigma = 1$, where
# $e^{\mathrm{KL}}$ is below a tenth of $M$, fewer than 1 % of them. The prediction $M/(1+\chi^2)$ holds wherever it
# is above five samples; below that the measured ESS stays below five too (a few weights dominate, and the ESS
# cannot drop below 1). Check the ESS helper against the textbook formula on one set of weights, and the
# prediction where it applies.

# %% tags=["nbval-check-output"]
w = np.exp(log_lik - log_lik.max())
print(f"ESS of the section-1 samples: {effective_sample_size(log_lik):.2f} of {len(log_lik)}")
assert abs(effective_sample_size(log_lik) - w.sum() ** 2 / (w**2).sum()) < 1e-9
for _, _, ess, _, log_rho in (by_k, by_sigma):
    predicted = M_SWEEP * np.exp(-log_rho)
    ok = predicted > 5
    print("measured / predicted ESS where the prediction exceeds 5:", np.round(ess[ok] / predicted[ok], 2))
    assert np.all(np.abs(ess[ok] / predicted[ok] - 1) < 0.25)
    assert np.all(ess[~ok] < 5) and np.all((ess >= 1) & (ess <= M_SWEEP))
i_sigma_1 = list(sigma_values).index(1.0)
print(f"sigma = 1: exp(KL) = {np.exp(by_sigma[3][i_sigma_1]):.0f}, ESS = {by_sigma[2][i_sigma_1]:.1f} of {M_SWEEP}")
assert np.exp(by_sigma[3][i_sigma_1]) < M_SWEEP / 10 and by_sigma[2][i_sigma_1] < M_SWEEP / 100

# %% [markdown] slideshow={"slide_type": "notes"}
# The ESS is the χ² rule made visible. Ask: if the ESS is 8 of 1000, how much better is that than 8 samples from
# the posterior? (About the same; the other 992 are wasted.)

# %% [markdown]
# ### Try it 3: effective sample size by hand
#
# Compute Kish's ESS $(\sum_m w_m)^2/\sum_m w_m^2$ for the log-weights below (they are around $-500$, so shift
# before exponentiating; the shift cancels in the ratio).

# %% nbgrader={"grade": false, "grade_id": "mc_ess", "locked": false, "schema_version": 3, "solution": true, "task": false}
log_w_ex = -500.0 + 2.0 * np.random.default_rng(2).standard_normal(200)
answer_mc_ess = ...  # your code: a float between 1 and 200
### BEGIN SOLUTION
w_ex = np.exp(log_w_ex - log_w_ex.max())
answer_mc_ess = w_ex.sum() ** 2 / np.sum(w_ex**2)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "mc_ess_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_effective_sample_size(answer_mc_ess, log_w_ex)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Log-weights with a standard deviation of only 2 nats already cut 200 samples to about two dozen effective ones
# (the reference answer is 22.6).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### On paper: χ² between two one-dimensional Gaussians
#
# For $k = 1$ the posterior is $\mathcal N(\mu, s^2)$ ($s$ a standard deviation) and the prior $\mathcal N(0, 1)$.
# Show that
#
# $$1 + \chi^2 = \int \frac{\mathcal N(z;\mu, s^2)^2}{\mathcal N(z; 0, 1)}\,dz
# = \frac{1}{s\sqrt{2 - s^2}}\,\exp\Big(\frac{\mu^2}{2 - s^2}\Big)\quad\text{if } s^2 < 2,$$
#
# and that the integral is infinite if $s^2 \ge 2$. What does that say about a proposal whose variance is less than
# half the variance of the distribution it is used for?

# %% [markdown] nbgrader={"grade": false, "grade_id": "mc_chi_square_derivation", "locked": false, "schema_version": 3, "solution": true, "task": false}
# **Worked answer.** The integrand is
# $\frac{(2\pi s^2)^{-1} e^{-(z-\mu)^2/s^2}}{(2\pi)^{-1/2} e^{-z^2/2}} = \frac{1}{\sqrt{2\pi}\,s^2}\,
# e^{-\frac a2 z^2 + \frac{2\mu}{s^2} z - \frac{\mu^2}{s^2}}$ with $a = \frac{2}{s^2} - 1$. If $a \le 0$ (that is
# $s^2 \ge 2$) the exponent does not go to $-\infty$ and the integral diverges. Otherwise the Gaussian integral
# $\int e^{-\frac a2 z^2 + bz}\,dz = \sqrt{2\pi/a}\;e^{b^2/(2a)}$ with $b = 2\mu/s^2$ gives
# $\frac{1}{s^2\sqrt a}\exp\big(\frac{2\mu^2}{s^4 a} - \frac{\mu^2}{s^2}\big)$. Now $s^2\sqrt a = s\sqrt{2 - s^2}$ and
# $\frac{2\mu^2}{s^4 a} - \frac{\mu^2}{s^2} = \frac{\mu^2}{s^2}\cdot\frac{2 - s^2 a}{s^2 a} = \frac{\mu^2}{2 - s^2}$,
# which is the result. Read with the roles swapped (target $\mathcal N(\mu, s^2)$, proposal $\mathcal N(0, 1)$):
# the weights have a finite variance only if the proposal's variance exceeds **half** the target's. A proposal
# narrower than that gives weights of infinite variance (section 5). Here the target is the posterior, always
# narrower than the prior, so $\chi^2$ is finite.

# %% [markdown] slideshow={"slide_type": "notes"}
# Set this as homework. In class, state the result and its consequence: a proposal narrower than $1/\sqrt2$ of the
# target's standard deviation gives weights of infinite variance. That sentence returns in section 5.

# %% [markdown]
# ### Try it 4: the χ² rule for a one-dimensional latent, checked by a run
#
# Turn the derivation above into code: compute $\log(1+\chi^2)$ for the posterior of the $k = 1$, $\sigma = 0.5$
# problem (its mean `mu_1d` and standard deviation `s_1d` are given). The cell after the check uses the χ² rule to
# predict the ESS of $M = 1000$ prior samples and compares it with a run.

# %% nbgrader={"grade": false, "grade_id": "mc_chi_square_1d", "locked": false, "schema_version": 3, "solution": true, "task": false}
problem_1d, x_1d = typical_problem(1, 20, 0.5, seed=0)
mean_1d, cov_1d = problem_1d.posterior(x_1d)
mu_1d, s_1d = float(mean_1d[0]), float(np.sqrt(cov_1d[0, 0]))
answer_mc_chi_square_1d = ...  # your code: a float, log(1 + chi^2) in closed form
### BEGIN SOLUTION
answer_mc_chi_square_1d = mu_1d**2 / (2 - s_1d**2) - np.log(s_1d) - 0.5 * np.log(2 - s_1d**2)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "mc_chi_square_1d_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
result = check_chi_square_1d(answer_mc_chi_square_1d, mu_1d, s_1d)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% tags=["nbval-check-output", "slide-code"]
# The prediction uses the course's closed form (an independent route: E_p(z)[p(x|z)^2] / p(x)^2), not your
# answer, so this cell runs whatever you wrote above.
log_rho_1d = log_chi_square_plus_one(problem_1d, x_1d)
_, ess_1d = naive_log_marginal(problem_1d, x_1d, 1_000, rng, n_repeats=200, return_ess=True)
print(f"log(1 + chi^2) = {log_rho_1d:.4f};  predicted ESS = {1_000 * np.exp(-log_rho_1d):.1f}, "
      f"measured mean ESS = {ess_1d.mean():.1f} ± {ess_1d.std(ddof=1) / np.sqrt(200):.1f}")
assert abs(ess_1d.mean() / (1_000 * np.exp(-log_rho_1d)) - 1) < 0.1

# %% [markdown] slideshow={"slide_type": "notes"}
# Set the derivation as homework, then Try it 4 in class. The slips the checker names (the KL instead of χ², a
# missing normalising factor, the wrong coefficient of $z^2$) are exactly the steps students get wrong.

# %% [markdown]
# ## 5 · Importance sampling: sample where the posterior is
#
# The fix is to draw $z_m$ from a proposal $q(z)$ close to the posterior and reweight:
#
# $$\hat p(x) = \frac1M\sum_m \frac{p(x\mid z_m)\,p(z_m)}{q(z_m)}, \qquad z_m \sim q,$$
#
# which is unbiased for any $q$ that covers the posterior. With $q = p(z\mid x)$ **every** weight equals
# $p(x, z_m)/p(z_m\mid x) = p(x)$, so the estimate is exact with a single sample: its variance is zero, up to
# floating-point rounding. A proposal that is shifted, or narrower than the posterior, brings the variance back.
# Narrow proposals are the dangerous ones: when the variance of $q$ is below **half** the posterior variance in some
# direction, the weights have infinite variance (the "on paper" exercise above, with the roles swapped), so the
# χ² rule gives no finite sample size at all, although the estimate stays unbiased. Wide proposals only waste
# samples.

# %%
post_sd = np.sqrt(np.diag(post_cov))
proposals = {
    "exact posterior": (post_mean, post_cov),
    "shifted by 1.5 sd": (post_mean + 1.5 * post_sd, post_cov),
    "too wide (2 x sd)": (post_mean, 4.0 * post_cov),
    "too narrow (0.5 x sd)": (post_mean, 0.25 * post_cov),
    "prior (naive MC)": (np.zeros(2), np.eye(2)),
}
is_estimates = {name: importance_log_marginal(model, x, mean_q, cov_q, 10, rng, n_repeats=R)
                for name, (mean_q, cov_q) in proposals.items()}
print("proposal q               mean error (nats)   sd of log p_hat, M = 10")
for name, est_q in is_estimates.items():
    print(f"{name:22s}   {np.mean(est_q) - log_px:17.2e}   {np.std(est_q):.2e}")
assert np.std(is_estimates["exact posterior"]) < 1e-10
assert np.max(np.abs(is_estimates["exact posterior"] - reference)) < 1e-10
assert all(np.std(v) > 1e-3 for name, v in is_estimates.items() if name != "exact posterior")
ratio = np.exp(is_estimates["shifted by 1.5 sd"] - log_px)
assert abs(ratio.mean() - 1) < 4 * ratio.std(ddof=1) / np.sqrt(R)  # still unbiased for p(x)
near = [name for name in proposals if name != "prior (naive MC)"]
assert all(abs(np.mean(is_estimates[name]) - log_px) < 1.0 for name in near)          # within a nat with M = 10
assert np.mean(is_estimates["prior (naive MC)"]) - log_px < -10                        # the prior: tens of nats off

# %% [markdown] slideshow={"slide_type": "notes"}
# The exact posterior is the punchline: zero variance from one sample. Ask why we cannot just do that (we would
# need $p(x)$ to normalise the posterior: the problem we started with).

# %% [markdown] slideshow={"slide_type": "subslide"}
# The histograms of the error on a log scale:

# %%
fig, ax = subplots()
styles = ["-", "--", "-.", ":", "-"]
for i, (name, est_q) in enumerate(is_estimates.items()):
    err = np.maximum(np.abs(est_q - log_px), 1e-16)  # rounding can make an error exactly 0
    ax.hist(np.log10(err), bins=np.linspace(-16.5, 3.5, 81), histtype="step", lw=2.2, ls=styles[i],
            color=COLORS[i], label=name)
labelled(ax, "Importance sampling with M = 10 samples, 500 repeats", "log10 |log p̂(x) − log p(x)|  (nats)", "count")
ax.legend(loc="upper center", fontsize=9)
show(fig, alt="Histograms of the base-10 log of the absolute error of log p-hat with 10 samples, one outline per "
              "proposal. The exact posterior sits near 1e-15 (rounding); the shifted, wide and narrow proposals "
              "between about 0.001 and 3 nats; the prior between about 1 and 300 nats.")

# %% [markdown]
# The exact posterior gives errors at the level of floating-point rounding, the three imperfect proposals are
# within a nat on average with only ten samples, and the prior is tens of nats off with ten samples and needs
# thousands (section 1). We cannot sample the exact posterior in general (that is the problem we started with),
# but we can **fit** a tractable $q_\phi(z\mid x)$ to it. Choosing $q$ to make this estimate good is where
# variational inference begins; notebook 04 gives the objective.

# %% [markdown] slideshow={"slide_type": "notes"}
# Read the plot from left to right: rounding, then three imperfect proposals within a nat, then the prior.
# Ask: which imperfect proposal would you rather have, too wide or too narrow? (Too wide: finite variance.)

# %% [markdown]
# ## 6 · Explore: samples, dimension and noise
#
# Move the sliders: $M$ (samples), $k$ (latent dimension) and the noise **standard deviation** $\sigma$ (the noise
# covariance is $\sigma^2 I$, with $d = 20$). The histogram shows 200 repeats of $\log\hat p(x)$ (down to 50 for
# the most expensive settings, to keep it responsive) against the exact value; the line above it gives the bias,
# the spread, the mean ESS and the KL rule's sample size $e^{\mathrm{KL}}$. Things to try: at $k=2$, $\sigma=0.5$
# raise $M$ until the bias vanishes, and compare with $e^{\mathrm{KL}}$; then
# set $k=20$, $\sigma=0.05$ and note that $10^4$ samples are hopeless.

# %% tags=["nbval-ignore-output"]
explorer = NaiveMCExplorer(data_dim=20, n_repeats=200, seed=0)
explorer

# %% [markdown] slideshow={"slide_type": "notes"}
# Live demo: start at $k=2$, $\sigma=0.5$, $M=100$; raise $M$ step by step and ask the room to call the point where
# the histogram covers the exact value. Then jump to $k=20$, $\sigma=0.05$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The explorer's numbers are attributes, so they can be checked like everything else: with $10^4$ samples the easy
# setting is nearly unbiased, while the hard one is off by thousands of nats and the KL rule asks for an
# astronomical number of samples.

# %% tags=["nbval-ignore-output"]
explorer.k_slider.value, explorer.sigma_slider.value, explorer.m_slider.value = 2, 0.5, 10_000
easy = (explorer.bias, explorer.kl)
explorer.k_slider.value, explorer.sigma_slider.value = 20, 0.05
hard = (explorer.bias, explorer.log10_exp_kl)
print(f"easy: bias {easy[0]:.3f} nats, exp(KL) = {np.exp(easy[1]):.0f}")
print(f"hard: bias {hard[0]:.0f} nats, exp(KL) = 10^{hard[1]:.0f}")
assert abs(easy[0]) < 0.1 and np.exp(easy[1]) < 10_000
assert hard[0] < -1_000 and hard[1] > 20
explorer.k_slider.value, explorer.sigma_slider.value, explorer.m_slider.value = 2, 0.5, 100  # back to the start

# %% [markdown] slideshow={"slide_type": "notes"}
# Ten to the thirty-five samples: no computer will ever draw them. That is the case for a learned proposal.

# %% [markdown]
# ## Summary
#
# - $\hat p(x)=\frac1M\sum_m p(x\mid z_m)$ with $z_m\sim p(z)$ is unbiased for $p(x)$; $\log\hat p(x)$ is biased
#   low (Jensen), by about $\chi^2/(2M)$ once $M$ is large against $\chi^2$ (delta method), and more before that;
#   its distribution has a long left tail.
# - Two rules for the number of prior samples: the **KL rule** ($M$ of the order of
#   $e^{\mathrm{KL}(p(z\mid x)\,\|\,p(z))}$) says where the estimate starts to work; the **χ² rule** (bias
#   $\approx -\chi^2/(2M)$, ESS $\approx M/(1+\chi^2)$, with $1+\chi^2 \ge e^{\mathrm{KL}}$) says how good it is
#   past that point. Just past the KL threshold the bias is still more than 0.2 nats and only a few samples count.
#   Both grow with the latent dimension and as the noise $\sigma$ (a standard deviation) shrinks.
# - Importance sampling with a proposal near the posterior fixes this; the exact posterior gives zero variance.
#   Hence the plan: learn a tractable $q_\phi(z\mid x)\approx p_\theta(z\mid x)$.
#
# Training the model needs gradients of $\log p_\theta(x)$ as well as its value; they too are posterior
# expectations, and estimating them is the subject of the next notebook.
#
# [Next: 03 · Score-function gradients →](03_score_function_gradients.ipynb)

# %% [markdown] slideshow={"slide_type": "notes"}
# Close by asking: which of the three fixes (more samples, a better proposal, a learned proposal) scales? Only the
# last, and notebook 04 shows how to learn it.

# %% [markdown]
# ## References
#
# - Chatterjee, S. & Diaconis, P. (2018). The sample size required in importance sampling. *The Annals of Applied
#   Probability* 28(2), 1099–1135.
# - Kish, L. (1965). *Survey Sampling*. Wiley. (The effective sample size.)
# - Kong, A. (1992). *A note on importance sampling using standardized weights*. Technical Report 348, Department of
#   Statistics, University of Chicago. (ESS ≈ M/(1 + variance of the normalised weights).)
# - Blei, D. M., Kucukelbir, A. & McAuliffe, J. D. (2017). Variational inference: a review for statisticians.
#   *Journal of the American Statistical Association* 112(518), 859–877.
# - Levine, S. *CS 285: Deep Reinforcement Learning*, lecture on variational inference and generative models,
#   UC Berkeley (the lecture the source derivation credits for its intuition).

# %% [markdown] slideshow={"slide_type": "notes"}
# For the KL rule's exact statement, send students to Chatterjee & Diaconis, Theorem 1.1.
