# %% [markdown]
# # 02 · Naive Monte Carlo: unbiased, and still useless
#
# Notebook 01 computed $p(x)=\int p(x\mid z)\,p(z)\,dz$ exactly for the linear-Gaussian model and by quadrature in
# one or two latent dimensions. The obvious next idea is to average $p(x\mid z)$ over samples from the prior. It is
# unbiased, and yet it fails badly; here we measure how and why.
#
# **In this notebook you will**
# - build the estimator $\hat p(x) = \frac1M\sum_m p(x\mid z_m)$, $z_m\sim p(z)$, and see why it is unbiased for
#   $p(x)$ while $\log\hat p(x)$ is biased low;
# - watch the distribution of $\log\hat p(x)$ over 500 repeats as the number of samples $M$ grows;
# - measure how bias, spread and the effective sample size degrade with the latent dimension $k$ and the
#   observation noise $\sigma$, against the prediction that $M$ must exceed about $e^{\mathrm{KL}(p(z\mid x)\,\|\,p(z))}$;
# - see importance sampling with the exact posterior give a zero-variance estimate, which motivates $q(z\mid x)$;
# - explore all of this with sliders.
#
# **Prerequisites:** [01 · The linear-Gaussian marginal](01_linear_gaussian_marginal.ipynb) (the model, $p(x)$ and
# $p(z\mid x)$ in closed form).
# **Run time:** about 7 s on a 2-core laptop CPU.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from helpers.exercises import check_effective_sample_size, check_log_estimate, check_posterior_prior_kl
from helpers.monte_carlo import (
    effective_sample_size,
    importance_log_marginal,
    log_chi_square_plus_one,
    log_mean_exp,
    naive_log_marginal,
    posterior_prior_kl,
    typical_problem,
)
from helpers.plotting import COLORS, labelled, subplots, use_course_style
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
#
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

# %% [markdown]
# **Why $\log\hat p(x)$ is biased low.** The logarithm is concave, so by Jensen's inequality
# $\mathbb E[\log \hat p(x)] \le \log \mathbb E[\hat p(x)] = \log p(x)$, with equality only if $\hat p(x)$ never
# varies. For large $M$ a second-order expansion gives the size of the bias:
# $\mathbb E[\log\hat p] - \log p \approx -\tfrac{1}{2}\operatorname{Var}[\hat p/p] = -\chi^2/(2M)$, where
# $\chi^2 = \operatorname{Var}_{p(z)}[p(x\mid z)/p(x)] = \chi^2(p(z\mid x)\,\|\,p(z))$ has a closed form in this
# model (`log_chi_square_plus_one`). Notebook 04 turns this same inequality into the evidence lower bound.
#
# Check both claims with 500 independent repeats at several $M$: the mean of $\hat p/p$ is 1 within its exact
# standard error $\sqrt{\chi^2/(500M)}$, while the mean of $\log \hat p - \log p$ is clearly negative (at
# $M=10^4$ the bias, about $-0.03$ nats, is smaller than 500 repeats can resolve, so it is only printed). With few
# samples the measured log-bias is even larger than the second-order prediction, which holds only for large $M$.

# %% tags=["nbval-check-output"]
R = 500
sample_sizes = [10, 100, 1_000, 10_000]
chi2 = np.expm1(log_chi_square_plus_one(model, x))
estimates = {M: naive_log_marginal(model, x, M, rng, n_repeats=R) for M in sample_sizes}

print(f"chi^2(p(z|x) || p(z)) = {chi2:.1f}")
print("     M   mean p_hat/p   exact s.e.   mean log-error   predicted -chi2/(2M)")
for M, est in estimates.items():
    ratio = np.exp(est - log_px)
    se = np.sqrt(chi2 / (M * R))
    print(f"{M:6d}   {ratio.mean():12.3f}   {se:10.3f}   {np.mean(est - log_px):14.3f}   {-chi2 / (2 * M):20.3f}")
    assert abs(ratio.mean() - 1.0) < 4.0 * se                                        # unbiased for p(x)
    if M <= 1_000:  # at M = 10^4 the bias (about -0.03) is below what 500 repeats resolve
        assert np.mean(est - log_px) < -4.0 * np.std(est, ddof=1) / np.sqrt(R)       # biased low in the log

# %% [markdown]
# ### Try it 1: the log of the average, without underflow
#
# The log-likelihoods below are around $-1000$, so `np.exp` gives exactly 0. Compute $\log\hat p(x)$ from them:
# the log of the **mean** of $e^{\ell_m}$, shifting by the maximum first.

# %%
log_lik_ex = -1000.0 + 3.0 * np.random.default_rng(1).standard_normal(50)
answer = ...  # your code: a float, log of the mean of exp(log_lik_ex)

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    shift = np.max(log_lik_ex)
    answer = shift + np.log(np.mean(np.exp(log_lik_ex - shift)))

# %%
result = check_log_estimate(answer, log_lik_ex)
assert result.passed, result
result

# %% [markdown]
# ## 2 · The distribution of $\log\hat p(x)$ as $M$ grows
#
# Histograms of the 500 repeats for each $M$ against the exact $\log p(x)$. With few samples the estimate is
# almost always too low, with a long tail to the right: the rare repeat that happens to draw a $z_m$ where the
# posterior lives gets a huge likelihood and pulls the average up. As $M$ grows the histogram narrows and moves onto
# the exact value.

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
plt.show()

# %% [markdown]
# Once $M$ is large the spread shrinks like $1/\sqrt M$ and the bias like $1/M$. At $M=10{,}000$ both agree with
# the second-order predictions $\operatorname{sd}[\log\hat p]\approx\sqrt{\chi^2/M}$ and
# bias $\approx -\chi^2/(2M)$:

# %% tags=["nbval-check-output"]
est = estimates[10_000]
measured_sd, predicted_sd = np.std(est, ddof=1), np.sqrt(chi2 / 10_000)
measured_bias, predicted_bias = np.mean(est) - log_px, -chi2 / (2 * 10_000)
print(f"sd of log p_hat:   measured {measured_sd:.4f}, predicted {predicted_sd:.4f}")
print(f"bias of log p_hat: measured {measured_bias:.4f}, predicted {predicted_bias:.4f}")
assert abs(measured_sd / predicted_sd - 1) < 0.2
assert abs(measured_bias - predicted_bias) < 4 * measured_sd / np.sqrt(R) + 0.2 * abs(predicted_bias)

# %% [markdown]
# ## 3 · How bad it gets: latent dimension and observation noise
#
# Why do we need so many samples? The prior spreads its samples over all of latent space, but only those near the
# posterior $p(z\mid x)$ contribute. Chatterjee & Diaconis (2018, *The sample size required in importance sampling*)
# showed that sampling from $p(z)$ to estimate an integral against $p(z\mid x)$ needs about
#
# $$M \approx \exp\big(\mathrm{KL}(p(z\mid x)\,\|\,p(z))\big)$$
#
# samples: far fewer and the estimate is unreliable, somewhat more and it is accurate. For Gaussians the KL is in
# closed form, $\tfrac12\big(\operatorname{tr} S + \mu^\top\mu - k - \log\det S\big)$ for $p(z\mid x)=\mathcal N(\mu, S)$.
# It grows when the posterior gets narrower than the prior, which happens when the latent dimension $k$ grows (more
# directions to pin down) or when the noise standard deviation $\sigma$ shrinks (each observation is more
# informative). First check the closed form against `torch.distributions` and against a Monte Carlo average of
# $\log p(z\mid x) - \log p(z)$ over posterior samples:

# %% tags=["nbval-check-output"]
post_mean, post_cov = model.posterior(x)
kl = posterior_prior_kl(model, x)
kl_torch = torch.distributions.kl_divergence(
    torch.distributions.MultivariateNormal(torch.tensor(post_mean), covariance_matrix=torch.tensor(post_cov)),
    torch.distributions.MultivariateNormal(torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64)),
).item()
z_post = rng.multivariate_normal(post_mean, post_cov, size=100_000)
log_ratio = model.log_posterior(z_post, x) - model.log_prior(z_post)
print(f"KL closed form {kl:.6f}, torch {kl_torch:.6f}, Monte Carlo {log_ratio.mean():.4f} "
      f"± {log_ratio.std() / np.sqrt(len(log_ratio)):.4f} (s.e.)")
print(f"predicted sample size exp(KL) = {np.exp(kl):.0f}")
assert abs(kl - kl_torch) < 1e-10
assert abs(kl - log_ratio.mean()) < 4 * log_ratio.std() / np.sqrt(len(log_ratio))

# %% [markdown]
# Now sweep $k$ (with $\sigma=0.5$) and $\sigma$ (with $k=2$), with $M=1000$ samples and 200 repeats per setting,
# keeping $d=20$. Each $k$ has its own random $A$, $b$ and a typical data point $x$ from that model
# (`typical_problem`), so the KL is not perfectly monotone in $k$; what matters is how the error tracks it. The
# shaded region is where the prediction says $M$ is too small: $e^{\mathrm{KL}} > M$. We keep the effective sample
# size of each run for section 4.

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
    """Bias, sd and mean ESS of log p_hat for each (k, sigma), plus the exact KL and chi^2 of that problem."""
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
for ax, xs, (bias, sd, _, kl_s, _), name in [(axes[0], k_values, by_k, "latent dimension k  (σ = 0.5)"),
                                             (axes[1], sigma_values, by_sigma, "noise standard deviation σ  (k = 2)")]:
    ax.plot(xs, np.abs(bias), "o-", label="|bias| of log p̂(x)")
    ax.plot(xs, sd, "s-", label="sd of log p̂(x)")
    shade_too_few(ax, xs, kl_s, label=f"predicted too few: exp(KL) > M = {M_SWEEP}")
    ax.set_yscale("log")
    ax.set_xscale("log")
    labelled(ax, f"M = {M_SWEEP} prior samples, 200 repeats", name, "nats")
axes[1].invert_xaxis()  # smaller noise to the right: harder, like larger k on the left panel
axes[0].legend(loc="upper left", fontsize=9)
plt.show()

# %% [markdown]
# Both errors stay small while $e^{\mathrm{KL}}<M$ and grow fast once the prediction says the sample is too small;
# beyond that point the histogram of section 2 would no longer even cover $\log p(x)$. Check the prediction in
# numbers: wherever $\mathrm{KL} < \log M - 1$ the bias is below 0.5 nats, and wherever $\mathrm{KL} > \log M + 1$
# it is above.

# %% tags=["nbval-check-output"]
for label, xs, (bias, _, _, kl_s, _) in [("k    ", k_values, by_k), ("sigma", sigma_values, by_sigma)]:
    for value, b_, kl_ in zip(xs, bias, kl_s, strict=True):
        print(f"{label} = {value:<5.3g}   KL = {kl_:6.2f}   exp(KL) = {np.exp(kl_):10.3g}   bias = {b_:8.3f}")
    assert np.all(np.abs(bias[kl_s < np.log(M_SWEEP) - 1]) < 0.5)
    assert np.all(bias[kl_s > np.log(M_SWEEP) + 1] < -0.5)

# %% [markdown]
# The rows $k=2$ and $\sigma=0.5$ are the same problem, estimated from independent draws, yet their biases differ
# (−0.66 and −0.44 nats). Near $\mathrm{KL} \approx \log M$ (here $\log 1000 \approx 6.9$) the estimate is ruled
# by rare large weights, so even its average over 200 repeats is noisy: one more symptom of a sample size at the
# edge of what the problem needs.

# %% [markdown]
# ### Try it 2: the sample size the prior needs
#
# Compute $\mathrm{KL}(\mathcal N(\mu, S)\,\|\,\mathcal N(0, I_k))$ for the posterior of the $k=4$, $\sigma=0.5$
# problem below, from `mu` and `S` with NumPy only (`np.trace`, `np.linalg.slogdet`). Then $e^{\mathrm{KL}}$ is the
# number of prior samples you would need.

# %%
problem_ex, x_ex = typical_problem(4, 20, 0.5, seed=0)
mu, S = problem_ex.posterior(x_ex)
answer = ...  # your code: a float, the KL in nats

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    answer = 0.5 * (np.trace(S) + mu @ mu - len(mu) - np.linalg.slogdet(S)[1])

# %%
result = check_posterior_prior_kl(answer, mu, S)
assert result.passed, result
result

# %% [markdown]
# ## 4 · Effective sample size of the prior samples
#
# Read the prior samples as importance samples for the posterior, with weights $w_m \propto p(x\mid z_m)$. Kish's
# effective sample size $\mathrm{ESS} = (\sum_m w_m)^2 / \sum_m w_m^2$ says how many equally weighted samples they
# are worth: $M$ if all weights are equal, 1 if one dominates. For large $M$ it is about $M/(1+\chi^2)$, so the
# same closed-form $\chi^2$ predicts it. Same settings and axes as above:

# %%
fig, axes = subplots(1, 2, width=13, height=4.2)
for ax, xs, (_, _, ess, kl_s, log_rho), name in [(axes[0], k_values, by_k, "latent dimension k  (σ = 0.5)"),
                                                 (axes[1], sigma_values, by_sigma, "noise standard deviation σ  (k = 2)")]:
    ax.plot(xs, ess, "o-", label="mean ESS (measured)")
    ax.plot(xs, np.maximum(M_SWEEP * np.exp(-log_rho), 1.0), "k--", lw=1.5, label="M / (1 + χ²), at least 1")
    ax.axhline(M_SWEEP, color=COLORS[7], lw=1, ls=":", label="M")
    shade_too_few(ax, xs, kl_s, label=f"predicted too few: exp(KL) > M = {M_SWEEP}")
    ax.set_yscale("log")
    ax.set_xscale("log")
    labelled(ax, "Effective sample size of 1000 prior samples", name, "ESS (samples)")
axes[1].invert_xaxis()
axes[0].legend(loc="upper right", fontsize=9)
plt.show()

# %% [markdown]
# Of a thousand prior samples only a handful count once the posterior is narrow. The prediction $M/(1+\chi^2)$
# holds wherever it is above a few samples; below that the measured ESS stays near 1 (one weight dominates, and
# the ESS cannot drop below 1). Check the ESS helper against the textbook formula on one set of weights, and the
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
    assert np.all((ess >= 1) & (ess <= M_SWEEP))

# %% [markdown]
# ### Try it 3: effective sample size by hand
#
# Compute Kish's ESS $(\sum_m w_m)^2/\sum_m w_m^2$ for the log-weights below (they are around $-500$, so shift
# before exponentiating; the shift cancels in the ratio).

# %%
log_w_ex = -500.0 + 2.0 * np.random.default_rng(2).standard_normal(200)
answer = ...  # your code: a float between 1 and 200

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    w_ex = np.exp(log_w_ex - log_w_ex.max())
    answer = w_ex.sum() ** 2 / np.sum(w_ex**2)

# %%
result = check_effective_sample_size(answer, log_w_ex)
assert result.passed, result
result

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
# direction, the weights have infinite variance. The estimate stays unbiased, but its error no longer shrinks like
# $1/\sqrt M$ and a rare repeat lands far off. Wide proposals only waste samples.

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

# %%
fig, ax = subplots()
for i, (name, est_q) in enumerate(is_estimates.items()):
    err = np.maximum(np.abs(est_q - log_px), 1e-16)  # rounding can make an error exactly 0
    ax.hist(np.log10(err), bins=np.linspace(-16.5, 3.5, 81), alpha=0.7, color=COLORS[i], label=name)
labelled(ax, "Importance sampling with M = 10 samples, 500 repeats", "log10 |log p̂(x) − log p(x)|  (nats)", "count")
ax.legend(loc="upper center", fontsize=9)
plt.show()

# %% [markdown]
# The exact posterior gives errors at the level of floating-point rounding, a good proposal gives small errors
# with only ten samples, and the prior needs thousands of samples. We cannot sample the exact posterior in general (that is
# the problem we started with), but we can **fit** a tractable $q_\phi(z\mid x)$ to it. Choosing $q$ to make this
# estimate good is where variational inference begins; notebook 04 gives the objective.
#
# ## 6 · Explore: samples, dimension and noise
#
# Move the sliders: $M$ (samples), $k$ (latent dimension) and the noise **standard deviation** $\sigma$ (the noise
# covariance is $\sigma^2 I$, with $d = 20$). The histogram shows 200 repeats of $\log\hat p(x)$ (down to 50 for
# the most expensive settings, to keep it responsive) against the exact value; the line above it gives the bias,
# the spread, the mean ESS and the predicted sample size $e^{\mathrm{KL}}$. Things to try: at $k=2$, $\sigma=0.5$
# raise $M$ until the bias vanishes, and compare with $e^{\mathrm{KL}}$; then
# set $k=20$, $\sigma=0.05$ and note that $10^4$ samples are hopeless.

# %% tags=["nbval-ignore-output"]
explorer = NaiveMCExplorer(data_dim=20, n_repeats=200, seed=0)
explorer

# %% [markdown]
# The explorer's numbers are attributes, so they can be checked like everything else: with $10^4$ samples the easy
# setting is nearly unbiased, while the hard one is off by thousands of nats and the prediction asks for an
# astronomical number of samples.

# %% tags=["nbval-ignore-output"]
explorer.k_slider.value, explorer.sigma_slider.value, explorer.m_slider.value = 2, 0.5, 10_000
easy = (explorer.bias, explorer.kl)
explorer.k_slider.value, explorer.sigma_slider.value = 20, 0.05
hard = (explorer.bias, explorer.log10_exp_kl)
print(f"easy: bias {easy[0]:.3f} nats, exp(KL) = {np.exp(easy[1]):.0f}")
print(f"hard: bias {hard[0]:.0f} nats, exp(KL) = 10^{hard[1]:.0f}")
assert abs(easy[0]) < 0.1 and np.exp(easy[1]) < 10_000
assert hard[0] < -100 and hard[1] > 10
explorer.k_slider.value, explorer.sigma_slider.value, explorer.m_slider.value = 2, 0.5, 100  # back to the start

# %% [markdown]
# ## Summary
#
# - $\hat p(x)=\frac1M\sum_m p(x\mid z_m)$ with $z_m\sim p(z)$ is unbiased for $p(x)$; $\log\hat p(x)$ is biased
#   low (Jensen), by about $\chi^2/(2M)$ once $M$ is large.
# - The prior wastes its samples when the posterior is narrow: you need about $e^{\mathrm{KL}(p(z\mid x)\,\|\,p(z))}$
#   of them, and the KL grows with the latent dimension and as the noise $\sigma$ (a standard deviation) shrinks.
#   The effective sample size collapses to a handful at the same point.
# - Importance sampling with a proposal near the posterior fixes this; the exact posterior gives zero variance.
#   Hence the plan: learn a tractable $q_\phi(z\mid x)\approx p_\theta(z\mid x)$.
#
# Training the model needs gradients of $\log p_\theta(x)$ as well as its value; they too are posterior
# expectations, and estimating them is the subject of the next notebook.
#
# [Next: 03 · Score-function gradients →](03_score_function_gradients.ipynb)
