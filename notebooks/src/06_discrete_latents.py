# %% [markdown]
# # 06 · Discrete latents: when the integral is a sum
#
# The source derivation asks "what if $z$ is discrete?" and answers in one sentence: the integral becomes a
# sum, but the sum (and the gradient) runs over every latent state, which "quickly becomes infeasible". This
# notebook puts numbers on that sentence.
#
# **In this notebook you will**
# - compute the exact log-likelihood of a Gaussian mixture (a sum of $K$ terms) and its gradient twice, by
#   autograd and by the discrete Fisher identity with the posterior responsibilities, and see them agree;
# - enumerate the $2^D$ states of a sigmoid belief net, time it, and read off the $D$ at which exact
#   enumeration takes a second, a minute, a day on this machine;
# - see why reparameterisation fails for discrete $z$, measure the variance of the score-function estimator
#   with and without a baseline, and the bias–variance trade of the Gumbel-softmax relaxation as its
#   temperature varies, all against the exact gradient by enumeration.
#
# **Prerequisites:** [03 · Score-function gradients](03_score_function_gradients.ipynb) (the Fisher identity,
# the score-function estimator, baselines) and [04 · Jensen and the ELBO](04_jensen_and_the_elbo.ipynb).
# **Run time:** about 8 s on a 2-core laptop CPU.

# %%
import itertools

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.special import expit, logsumexp

from helpers.discrete import (
    SigmoidBeliefNet,
    exact_bernoulli_expectation_gradient,
    fit_exponential_cost,
    gaussian_mixture_log_marginal,
    gradient_estimator_summary,
    gumbel_softmax_gradient,
    log_sum_over_states,
    mixture_fisher_gradient,
    mixture_responsibilities,
    sample_gaussian_mixture,
    score_function_gradient,
    time_exact_enumeration,
)
from helpers.exercises import check_bernoulli_score, check_enumeration_budget, check_mixture_log_marginal
from helpers.plotting import COLORS, gaussian_ellipse, labelled, subplots, use_course_style

use_course_style()
rng = np.random.default_rng(0)
torch.manual_seed(0)
torch.set_num_threads(2)
f64 = torch.float64

# %% [markdown]
# ## 1 · A mixture: the integral is a sum of $K$ terms
#
# Let $z \in \{1, \dots, K\}$ pick one of $K$ Gaussians:
#
# $$p_\theta(z = k) = \pi_k = \operatorname{softmax}(\text{logits})_k, \qquad
#   p_\theta(x \mid z = k) = \mathcal N(x;\, \mu_k, \Sigma_k) \quad (\Sigma_k \text{ a covariance}).$$
#
# The integral over $z$ of the earlier notebooks becomes a sum with $K$ terms, so the marginal is exact:
#
# $$\log p_\theta(x) = \log \sum_{k=1}^K \pi_k\, \mathcal N(x;\, \mu_k, \Sigma_k)
#   = \operatorname{logsumexp}_k \big[\log \pi_k + \log \mathcal N(x;\, \mu_k, \Sigma_k)\big].$$
#
# Unlike the standard-normal prior of notebooks 01–05, this prior has parameters (the logits), so they are
# part of $\theta$. Take $K = 3$ components in 2-D and draw 300 points.

# %% tags=["nbval-check-output"]
logits_true = torch.tensor([0.0, -0.4, 0.3], dtype=f64)
means_true = torch.tensor([[-2.0, 0.0], [1.5, 2.0], [2.0, -1.5]], dtype=f64)
covs_true = torch.tensor([[[0.6, 0.25], [0.25, 0.5]], [[0.4, -0.1], [-0.1, 0.7]], [[0.8, 0.0], [0.0, 0.3]]],
                         dtype=f64)
labels, x_mix = sample_gaussian_mixture(300, logits_true, means_true, covs_true, generator=0)
log_px = gaussian_mixture_log_marginal(x_mix, logits_true, means_true, covs_true)

# Independent check: torch.distributions' own mixture.
reference = torch.distributions.MixtureSameFamily(
    torch.distributions.Categorical(logits=logits_true),
    torch.distributions.MultivariateNormal(means_true, covariance_matrix=covs_true),
).log_prob(x_mix)
print(f"sum_n log p(x_n) = {log_px.sum():.6f} nats over {len(x_mix)} points "
      f"({log_px.mean():.4f} nats per point)")
assert torch.allclose(log_px, reference, rtol=1e-12, atol=0)

# %% [markdown]
# The posterior over the component is Bayes' rule on $K$ numbers, the **responsibilities**
# $r_{nk} = p_\theta(z = k \mid x_n) = \pi_k\, \mathcal N(x_n; \mu_k, \Sigma_k) / p_\theta(x_n)$. Left: the
# log-density $\log p_\theta(x)$ with the components' 2-σ ellipses. Right: each point coloured by its
# responsibilities (a blend of the three component colours); points between components are genuinely shared.

# %%
r_true = mixture_responsibilities(x_mix, logits_true, means_true, covs_true)
grid = torch.linspace(-4.5, 4.5, 121, dtype=f64)
g1, g2 = torch.meshgrid(grid, grid, indexing="xy")
log_density = gaussian_mixture_log_marginal(torch.stack([g1.ravel(), g2.ravel()], 1),
                                            logits_true, means_true, covs_true).reshape(g1.shape)
rgb = np.array([plt.matplotlib.colors.to_rgb(c) for c in COLORS[:3]])

fig, (ax0, ax1) = subplots(1, 2, width=11.5, height=4.8)
contours = ax0.contourf(g1.numpy(), g2.numpy(), log_density.numpy(), levels=np.linspace(-12, -1, 12),
                        extend="min", cmap="Greys")
fig.colorbar(contours, ax=ax0, label="log p(x) (nats)")
for k in range(3):
    gaussian_ellipse(ax0, means_true[k].numpy(), covs_true[k].numpy(), n_std=2, color=COLORS[k], lw=2,
                     label=f"component {k + 1}, π = {torch.softmax(logits_true, 0)[k]:.2f}")
ax0.legend(loc="lower left", fontsize=9)
labelled(ax0, "Mixture density: a sum of K = 3 Gaussians", "$x_1$", "$x_2$")
ax1.scatter(x_mix[:, 0], x_mix[:, 1], c=np.clip(r_true.numpy() @ rgb, 0, 1), s=14, edgecolors="none")
labelled(ax1, "Points coloured by responsibilities p(z | x)", "$x_1$", "$x_2$")
for ax in (ax0, ax1):
    ax.set_aspect("equal")
    ax.set_xlim(-4.5, 4.5)
    ax.set_ylim(-4.5, 4.5)
plt.show()

assert torch.allclose(r_true.sum(1), torch.ones(300, dtype=f64), atol=1e-12)
# Most points belong mostly to the component that generated them.
print(f"fraction of points whose most responsible component is their true one: "
      f"{(r_true.argmax(1) == labels).double().mean():.3f}")

# %% [markdown]
# ### The gradient, exactly: the discrete Fisher identity
#
# Differentiate $\log p_\theta(x) = \log \sum_k p_\theta(x, z{=}k)$ and multiply and divide by
# $p_\theta(x, z{=}k)$:
#
# $$\nabla_\theta \log p_\theta(x)
#   = \sum_k \frac{p_\theta(x, z{=}k)}{p_\theta(x)}\, \nabla_\theta \log p_\theta(x, z{=}k)
#   = \sum_k p_\theta(z{=}k \mid x)\, \nabla_\theta \log p_\theta(x, z{=}k).$$
#
# This is the Fisher identity of notebook 03 with the integral replaced by a sum. Two remarks. The posterior
# weight already contains the prior, so no extra $p(z)$ multiplies the integrand (the source's equation has
# one too many, erratum 1). And because the prior has parameters here, it is the *joint* $\log p_\theta(x, z)$
# that is differentiated, not only $\log p_\theta(x \mid z)$. Written out for the logits and the means:
#
# $$\nabla_{\text{logits}} \sum_n \log p_\theta(x_n) = \sum_n (r_n - \pi), \qquad
#   \nabla_{\mu_k} \sum_n \log p_\theta(x_n) = \sum_n r_{nk}\, \Sigma_k^{-1}(x_n - \mu_k).$$
#
# Evaluate both at parameters away from the truth (so the gradient is not zero) and compare with autograd on
# the exact log-likelihood.

# %% tags=["nbval-check-output"]
logits = torch.zeros(3, dtype=f64, requires_grad=True)
means = (means_true + torch.tensor([[0.6, 0.4], [-0.5, 0.0], [0.0, 0.5]], dtype=f64)).requires_grad_(True)
gaussian_mixture_log_marginal(x_mix, logits, means, covs_true).sum().backward()
fisher_logits, fisher_means = mixture_fisher_gradient(x_mix, logits.detach(), means.detach(), covs_true)

np.set_printoptions(precision=4, suppress=True)
print("d/d logits   autograd:", logits.grad.numpy())
print("             Fisher:  ", fisher_logits.numpy())
print("d/d means    autograd:", means.grad.numpy().ravel())
print("             Fisher:  ", fisher_means.numpy().ravel())
assert torch.allclose(fisher_logits, logits.grad, rtol=1e-10, atol=1e-10)
assert torch.allclose(fisher_means, means.grad, rtol=1e-10, atol=1e-10)

# %%
gap = max((fisher_logits - logits.grad).abs().max(), (fisher_means - means.grad).abs().max())
print(f"largest disagreement between autograd and the Fisher identity: {gap:.1e}")

# %% [markdown]
# Setting the logit gradient to zero gives $\pi_k = \frac1N \sum_n r_{nk}$: the prior weight of a component is
# its average responsibility, the update the EM algorithm makes. For a mixture, then, "discrete" is good news:
# $K$ terms per point, and the exact posterior comes for free.
#
# ### Try it 1: the mixture log-likelihood with logsumexp
# `log_w` holds $\log \pi_k$ (shape `(3,)`) and `comp` holds $\log \mathcal N(x_n; \mu_k, \Sigma_k)$ for the
# first five points (shape `(5, 3)`). Compute $\log p_\theta(x_n)$ for each of the five points, in log space.

# %%
log_w = torch.log_softmax(logits_true, 0).numpy()
comp = torch.distributions.MultivariateNormal(means_true, covariance_matrix=covs_true).log_prob(
    x_mix[:5, None, :]).numpy()
answer = ...  # your code: an array of shape (5,), e.g. with scipy.special.logsumexp

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    answer = logsumexp(log_w + comp, axis=1)

# %%
result = check_mixture_log_marginal(answer, log_w, comp)
assert result.passed, result
result

# %% [markdown]
# ## 2 · Structured latents: a sum of $2^D$ terms
#
# A mixture has one discrete latent with $K$ values. Many models have *several* discrete latents that act
# together. The smallest example is a **sigmoid belief net** with $D$ binary latents and $P$ binary pixels:
#
# $$z_j \sim \operatorname{Bernoulli}(\sigma(a_j)), \quad j = 1..D, \qquad
#   x_i \mid z \sim \operatorname{Bernoulli}\big(\sigma((Wz + c)_i)\big), \quad i = 1..P.$$
#
# The sum is still exact, $p_\theta(x) = \sum_{z \in \{0,1\}^D} p(z)\,p_\theta(x\mid z)$, but it has $2^D$
# terms, and because $Wz$ mixes all the latents inside each sigmoid it does not split into $D$ small sums. The
# helper walks through the states in chunks of 65,536 and keeps a running logsumexp, so memory stays bounded
# whatever $D$ is.
#
# First a size where brute force is easy ($D = 10$, 1,024 states, $P = 20$), checked against an independent
# enumeration with `itertools.product` and `torch.distributions.Bernoulli`.

# %% tags=["nbval-check-output"]
sbn = SigmoidBeliefNet.random(num_latents=10, data_dim=20, generator=1)
z_true, x_obs = sbn.sample(1, generator=2)
z_true, x_obs = z_true[0], x_obs[0]
log_px_sbn = sbn.log_marginal(x_obs)

states = torch.tensor(list(itertools.product([0.0, 1.0], repeat=10)), dtype=f64)
brute = (torch.distributions.Bernoulli(logits=sbn.prior_logits).log_prob(states).sum(1)
         + torch.distributions.Bernoulli(logits=states @ sbn.weights.T + sbn.bias).log_prob(x_obs).sum(1))
print(f"log p(x) by chunked enumeration: {log_px_sbn:.8f} nats")
print(f"log p(x) by brute force:         {torch.logsumexp(brute, 0):.8f} nats")
assert torch.allclose(log_px_sbn, torch.logsumexp(brute, 0), rtol=1e-12)
# Chunking is invisible in the result:
assert torch.allclose(sbn.log_marginal(x_obs, chunk_size=100), log_px_sbn, rtol=1e-12)

posterior = torch.softmax(brute, 0).sort(descending=True).values
print(f"states holding 99% of the posterior mass: {int((posterior.cumsum(0) < 0.99).sum()) + 1} of 1024; "
      f"the most probable state has p(z|x) = {posterior[0]:.3f}")

# %% [markdown]
# ### How the cost grows
#
# Each extra latent doubles the number of states. Below, exact $\log p(x)$ is timed for $D = 8 \dots 20$
# (one random model per $D$, $P = 20$ pixels, one CPU core; the sizes are timed in three interleaved rounds
# and the fastest run of each is kept, because other programs can only slow a run down). Beyond $D \approx 14$
# the fixed cost of a call is negligible and the machine works at a nearly steady rate of $r$ states per
# second, so one exact $\log p(x)$ takes $t(D) \approx 2^D / r$ and a budget of $T$ seconds reaches
# $D = \log_2(rT)$. Each state also gets a little dearer as $D$ grows (the product $Wz$ has $D$ terms), so
# the extrapolation from the largest measured sizes is, if anything, optimistic. The timings are measurements
# of *this* machine at *this* moment: your numbers will differ, the doubling will not.

# %%
dims = np.arange(8, 21)
seconds = time_exact_enumeration(dims, data_dim=20, rounds=3)
large = dims >= 15  # below this, the fixed cost per call hides the doubling
_, beta = fit_exponential_cost(dims[large], seconds[large])
# The steady rate: the best of the largest sizes, which run several full chunks of 65,536 states.
states_per_second = np.max(2.0 ** dims[-3:] / seconds[-3:])


def predicted_seconds(d):
    return 2.0 ** np.asarray(d, dtype=float) / states_per_second


def latents_within(budget_seconds):
    return np.log2(states_per_second * budget_seconds)


for d, t in zip(dims[::2], seconds[::2], strict=True):
    print(f"D = {d:2d}: {2**d:>9,d} states in {t * 1e3:8.2f} ms")
print(f"rate r = {states_per_second:.3g} states/s at D = {dims[-3]}..{dims[-1]}; "
      f"slope of log2 t against D for D >= 15: {beta:.2f} (pure doubling: 1)")
budgets = {"1 s": 1.0, "1 min": 60.0, "1 hour": 3600.0, "1 day": 86400.0}
for label, budget in budgets.items():
    print(f"exact log p(x) for one data point takes {label:>6} at D ≈ {latents_within(budget):.1f}")
print(f"extrapolated to D = 30: {predicted_seconds(30) / 60:.0f} min;  "
      f"D = 40: {predicted_seconds(40) / 86400:.1f} days;  "
      f"D = 64: {predicted_seconds(64) / 3.15e7:.1e} years")
# 64 times the work cannot look faster unless every round of D = 15 was slowed down eightfold.
assert seconds[-1] > 8 * seconds[dims == 15][0]

# %%
fig, (ax0, ax1) = subplots(1, 2, width=12.0, height=4.6)
d_axis = np.arange(1, 41)
ax0.semilogy(d_axis, 2.0**d_axis, color=COLORS[0], label="states $2^D$ (terms in the sum)")
ax0.semilogy(d_axis, 2.0**d_axis * d_axis * 8, color=COLORS[3], ls="--",
             label="bytes to hold all states at once")
ax0.semilogy(d_axis, np.minimum(2.0**d_axis, 65_536) * d_axis * 8, color=COLORS[2], ls=":",
             label="bytes of one chunk of 65,536 states")
ax0.legend(fontsize=9)
labelled(ax0, "Exact enumeration: terms and memory", "number of binary latents D", "count / bytes")

ax1.semilogy(dims, seconds, "o", color=COLORS[0], label="measured (one core)")
d_ext = np.arange(8, 41)
ax1.semilogy(d_ext, predicted_seconds(d_ext), color=COLORS[1],
             label=f"$2^D / r$, r = {states_per_second:.2g} states/s")
for (label, budget), colour in zip(budgets.items(), COLORS[2:6], strict=True):
    ax1.axhline(budget, color=colour, ls="--", lw=1)
    ax1.text(8.3, budget * 1.4, label, color=colour, fontsize=10)
ax1.legend(loc="lower right", fontsize=9)
labelled(ax1, "Time for one exact log p(x)", "number of binary latents D", "seconds")
plt.show()

# %% [markdown]
# One exact log-likelihood of one data point is a minute's work in the high twenties and days by $D = 40$;
# training needs it for every data point at every step, and its gradient too. The gradient costs the same sum
# again: by the Fisher identity it is an average over the posterior $p_\theta(z \mid x)$, whose normaliser
# *is* $p_\theta(x)$. Faster hardware only moves the wall by the logarithm of its speed-up: a thousand
# times more compute buys $\log_2 1000 \approx 10$ more latents.
#
# The count is exact even where the clock is noisy: the helper calls the log-joint on exactly $2^D$ states.

# %% tags=["nbval-check-output"]
visited = []
log_sum_over_states(lambda z: visited.append(len(z)) or z.sum(1), num_latents=18, chunk_size=65_536)
print(f"D = 18: {sum(visited):,d} states visited in {len(visited)} chunks of at most 65,536")
assert sum(visited) == 2**18 and max(visited) <= 65_536

# %% [markdown]
# ### Try it 2: a thousand times the compute
# `states_per_second` is the rate $r$ measured above. Suppose you had a machine 1,000 times faster. What is
# the largest whole number $D$ of binary latents whose $2^D$ states it could enumerate within one day
# (86,400 s)?

# %%
answer = ...  # your code: an integer D

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    answer = int(np.floor(np.log2(1000 * states_per_second * 86400)))

# %%
result = check_enumeration_budget(answer, 1000 * states_per_second, 86400)
assert result.passed, result
result

# %% [markdown]
# ## 3 · Gradients when $z$ cannot be reparameterised
#
# Variational inference replaces the sum by an expectation under a tractable $q_\phi$. For the belief net take
# a factorised Bernoulli, $q_\phi(z) = \prod_j \operatorname{Bernoulli}(z_j; \sigma(\phi_j))$. The ELBO of
# notebook 04 is $\mathbb E_{q_\phi}[\log p_\theta(x, z)] + H[q_\phi]$; the entropy is a sum of $D$ binary
# entropies with an exact gradient, so the hard part is
#
# $$g = \nabla_\phi\, \mathbb E_{q_\phi(z)}[f(z)], \qquad f(z) = \log p_\theta(x, z).$$
#
# With $D = 10$ latents it is still exact by enumeration, which gives every estimator below a ground truth.
#
# **Why the reparameterisation trick fails.** A Bernoulli sample is $z_j = \mathbb 1[U_j < \sigma(\phi_j)]$
# with $U_j \sim \mathrm{Uniform}(0,1)$: a *step function* of $\phi$. Along any fixed noise $U$ the sample
# path $f(z(\phi, U))$ is flat except at one jump, so its derivative is zero almost everywhere, while the
# expectation (the average over all $U$) changes smoothly.

# %%
phi = torch.randn(10, generator=torch.Generator().manual_seed(3), dtype=f64)


def f(z):
    return sbn.log_joint(x_obs, z)


exact_value, exact_grad = exact_bernoulli_expectation_gradient(f, phi)

sweep = np.linspace(-4, 4, 81)
expectation = []
for value in sweep:
    phi_moved = phi.clone()
    phi_moved[0] = value
    expectation.append(exact_bernoulli_expectation_gradient(f, phi_moved)[0])

u = torch.rand(3, 10, generator=torch.Generator().manual_seed(4), dtype=f64)
paths = []
for value in sweep:
    phi_moved = phi.clone()
    phi_moved[0] = value
    paths.append(f((u < torch.sigmoid(phi_moved)).to(f64)).numpy())

fig, ax = subplots(width=7.5, height=4.4)
ax.plot(sweep, expectation, color="k", lw=2.5, label=r"exact $\mathbb{E}_{q_\phi}[f(z)]$ (1024 states)")
for i, path in enumerate(np.array(paths).T):
    ax.plot(sweep, path, color=COLORS[i], lw=1.5, drawstyle="steps-mid",
            label=f"one sample path, fixed U #{i + 1}")
ax.axvline(float(phi[0]), color="grey", ls=":", lw=1)
ax.legend(fontsize=9)
labelled(ax, "Discrete samples are step functions of φ", r"$\phi_1$ (other $\phi_j$ fixed)",
         r"$f(z) = \log p_\theta(x, z)$ (nats)")
plt.show()

# The pathwise derivative is zero for almost every U, the true slope is not.
h = 1e-6
u_many = torch.rand(10_000, 10, generator=torch.Generator().manual_seed(5), dtype=f64)
step = torch.zeros(10, dtype=f64)
step[0] = h
def hard_sample(phi_value, noise):
    return (noise < torch.sigmoid(phi_value)).to(f64)


pathwise = (f(hard_sample(phi + step, u_many)) - f(hard_sample(phi - step, u_many))) / (2 * h)
slope_fd = (exact_bernoulli_expectation_gradient(f, phi + step)[0]
            - exact_bernoulli_expectation_gradient(f, phi - step)[0]) / (2 * h)
print(f"exact dE/dphi_1 = {exact_grad[0]:.4f} (finite difference of the exact sum: {slope_fd:.4f}); "
      f"average pathwise derivative over 10,000 U: {pathwise.mean():.4f}")
# The enumeration's autograd agrees with a finite difference of the exact sum:
assert abs(slope_fd - exact_grad[0]) < 1e-5 * max(1.0, abs(exact_grad[0]))
assert pathwise.abs().max() == 0 and abs(exact_grad[0]) > 0.1

# %% [markdown]
# ### The score-function estimator, with and without a baseline
#
# What survives is the score-function (REINFORCE) identity of notebook 03, which needs only samples and
# $\log q_\phi$:
#
# $$g = \mathbb E_{q_\phi}\big[f(z)\,\nabla_\phi \log q_\phi(z)\big], \qquad
#   \nabla_{\phi_j} \log q_\phi(z) = z_j - \sigma(\phi_j).$$
#
# Since $\mathbb E_q[\nabla_\phi \log q_\phi] = 0$, any baseline $b$ that does not depend on the sample can be
# subtracted, $(f(z) - b)\,\nabla_\phi \log q_\phi(z)$, without bias. Here $f$ is a log-joint of about $-20$
# nats (never near zero), which is the worst case for the plain estimator. The **leave-one-out** baseline
# uses, for each of the $S$ samples, the mean of $f$ over the other $S - 1$. Below, $R = 2000$ independent
# estimates, each from $S = 10$ samples; the variance is summed over the 10 coordinates and divided by
# $|g|^2$.

# %% tags=["nbval-check-output"]
S, R = 10, 2000
print(f"|exact gradient| = {np.linalg.norm(exact_grad):.4f}")
sf_summary = {}
for label, baseline in [("no baseline", None), ("leave-one-out baseline", "leave_one_out")]:
    estimates = score_function_gradient(f, phi, n_samples=S, n_repeats=R, baseline=baseline, generator=6)
    sf_summary[label] = gradient_estimator_summary(estimates, exact_grad)
    z_scores = (estimates.mean(0) - exact_grad) / (estimates.std(0, ddof=1) / np.sqrt(R))
    print(f"score function, {label:>22}: relative variance {sf_summary[label]['variance']:7.3f}, "
          f"largest |mean - exact| / s.e. = {np.abs(z_scores).max():.2f}")
    # Unbiased: with 10 coordinates, |z| > 4.5 happens by chance with probability < 1e-4.
    assert np.abs(z_scores).max() < 4.5
assert sf_summary["leave-one-out baseline"]["variance"] < 0.2 * sf_summary["no baseline"]["variance"]

# %% [markdown]
# Both are unbiased (the mean of 2000 estimates is within a few standard errors of the exact gradient); the
# baseline cuts the variance by more than a factor of ten. It is still about the size of $|g|^2$ itself: one
# estimate from 10 samples points in a noisy direction.
#
# ### Try it 3: the Bernoulli score
# For the logits `phi_ex` and the sampled states `z_ex` (shape `(4, 3)`), compute $\nabla_\phi \log q_\phi(z)$
# for each sample, elementwise: the ingredient that multiplies $f(z)$ above.

# %%
phi_ex = np.array([0.5, -1.0, 2.0])
z_ex = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
answer = ...  # your code: an array of shape (4, 3)

# %% jupyter={"source_hidden": true}
# Reference solution (expand to read). It fills in the answer only if you left the placeholder.
if answer is ...:
    answer = z_ex - expit(phi_ex)

# %%
result = check_bernoulli_score(answer, z_ex, phi_ex)
assert result.passed, result
result

# %% [markdown]
# ### A relaxation: Gumbel-softmax (the binary Concrete)
#
# Another way out is to make the sample continuous. Write the Bernoulli sample as
# $z = \mathbb 1[\phi + L > 0]$ with logistic noise $L = \log U - \log(1 - U)$ (the difference of two Gumbel
# variables), and replace the step by a sigmoid of temperature $\tau$:
#
# $$\tilde z = \sigma\big((\phi + L)/\tau\big) \in (0, 1), \qquad \tilde z \to z \text{ as } \tau \to 0.$$
#
# Now $\tilde z$ is a smooth function of $\phi$ and the reparameterisation estimator $\nabla_\phi f(\tilde z)$
# applies, provided $f$ accepts fractional states (the belief net's $\log p_\theta(x, z)$ does: it is linear
# in $z$ inside the sigmoid). But it estimates the gradient of $\mathbb E[f(\tilde z)]$, a different
# objective, so it is **biased**. Lower $\tau$ shrinks the bias and sharpens the sigmoid, whose slope, and so
# the estimator's variance, grows like $1/\tau$. Same budget as above: $S = 10$ samples per estimate,
# $R = 2000$ estimates per temperature.

# %%
temperatures = np.geomspace(0.03, 3.0, 9)
gs_summary = [gradient_estimator_summary(gumbel_softmax_gradient(f, phi, tau, S, R, generator=7), exact_grad)
              for tau in temperatures]
bias2 = np.array([s["bias2"] for s in gs_summary])
bias2_se = np.array([s["bias2_se"] for s in gs_summary])
variance = np.array([s["variance"] for s in gs_summary])
mse = np.array([s["mse"] for s in gs_summary])
print("   tau   bias^2/|g|^2  (s.e.)   variance/|g|^2   mse/|g|^2")
for tau, b, se, v, m in zip(temperatures, bias2, bias2_se, variance, mse, strict=True):
    print(f"{tau:6.3f}   {b:10.4f}  ({se:.4f})   {v:12.4f}   {m:10.4f}")

resolved = bias2 > 2 * bias2_se  # a bias² smaller than its noise is drawn as an upper bound
fig, ax = subplots(width=7.8, height=4.8)
ax.loglog(temperatures[resolved], bias2[resolved], "o-", color=COLORS[3], label="Gumbel-softmax bias²")
ax.loglog(temperatures[~resolved], (bias2 + 2 * bias2_se)[~resolved], "v", color=COLORS[3], mfc="none",
          label="bias² not resolved (upper bound)")
ax.loglog(temperatures, variance, "s-", color=COLORS[0], label="Gumbel-softmax variance")
ax.loglog(temperatures, mse, "k-", lw=1.2, label="Gumbel-softmax error (bias² + variance)")
ax.axhline(sf_summary["no baseline"]["variance"], color=COLORS[1], ls="--",
           label="score function, no baseline")
ax.axhline(sf_summary["leave-one-out baseline"]["variance"], color=COLORS[2], ls="--",
           label="score function, leave-one-out")
ax.legend(fontsize=9, loc="upper center", ncols=2)
ax.set_ylim(top=200)
labelled(ax, "Relaxation: bias falls and variance rises as τ → 0 (S = 10)", "temperature τ",
         "squared error / |exact gradient|²")
plt.show()

cold, hot = 0, len(temperatures) - 1  # temperatures ascend
assert bias2[hot] - bias2[cold] > 3 * np.hypot(bias2_se[hot], bias2_se[cold])  # colder: less biased
assert variance[cold] > 10 * variance[hot]  # colder: noisier
best = int(np.argmin(mse))
print(f"lowest error at tau = {temperatures[best]:.2f}: {mse[best]:.3f} |g|^2, against "
      f"{sf_summary['leave-one-out baseline']['variance']:.3f} |g|^2 for the unbiased score function")

# %% [markdown]
# At high temperature the relaxed estimator is precise but aims at the wrong target; at low temperature it is
# nearly unbiased but as noisy as the score function. A middle temperature gives the smallest error per
# estimate here, which is why relaxations are popular, but the bias does not average away with more samples,
# whereas the score function's error does.
#
# ### The picture across sizes
# The same comparison for $D = 8, 10, 12$ (a fresh belief net and $q_\phi$ for each, exact gradient by
# enumerating up to 4,096 states), with the relaxation at $\tau = 0.5$:

# %%
print("  D  |g|    SF plain var   SF leave-one-out var   GS(0.5) bias^2   GS(0.5) var")
for d in (8, 10, 12):
    model_d = SigmoidBeliefNet.random(d, 20, generator=10 + d)
    x_d = model_d.sample(1, generator=20 + d)[1][0]
    phi_d = torch.randn(d, generator=torch.Generator().manual_seed(30 + d), dtype=f64)

    def f_d(z, model_d=model_d, x_d=x_d):
        return model_d.log_joint(x_d, z)

    _, g_d = exact_bernoulli_expectation_gradient(f_d, phi_d)
    plain = score_function_gradient(f_d, phi_d, S, R, generator=40 + d)
    loo = score_function_gradient(f_d, phi_d, S, R, baseline="leave_one_out", generator=50 + d)
    gs = gradient_estimator_summary(gumbel_softmax_gradient(f_d, phi_d, 0.5, S, R, generator=60 + d), g_d)
    var_plain = gradient_estimator_summary(plain, g_d)["variance"]
    var_loo = gradient_estimator_summary(loo, g_d)["variance"]
    print(f"{d:3d}  {np.linalg.norm(g_d):5.2f}  {var_plain:12.3f}   {var_loo:20.3f}   "
          f"{gs['bias2']:14.4f}   {gs['variance']:11.4f}")
    for est in (plain, loo):  # unbiased at every size
        assert np.abs((est.mean(0) - g_d) / (est.std(0, ddof=1) / np.sqrt(R))).max() < 4.5
    assert gs["bias2"] > 3 * gs["bias2_se"]  # the relaxation's bias is real at τ = 0.5

# %% [markdown]
# ## Summary
#
# - With a discrete $z$ the integral is a sum. For a **mixture** it has $K$ terms: $\log p_\theta(x)$ is one
#   logsumexp, and its gradient is the responsibility-weighted gradient of $\log p_\theta(x, z)$ (the discrete
#   Fisher identity), which matched autograd to $10^{-10}$.
# - For **structured** latents the sum has $2^D$ terms. Chunking keeps memory bounded, but the time doubles
#   with every latent: on this machine one exact $\log p(x)$ takes about a second in the low twenties, a
#   minute in the high twenties, and days by $D = 40$ (the printed figures above).
# - **Gradients** of $\mathbb E_{q_\phi}[f(z)]$ cannot be reparameterised, because samples are step functions
#   of $\phi$. The score-function estimator is unbiased; a leave-one-out baseline divides its variance by more
#   than ten. The Gumbel-softmax relaxation trades bias (large at high $\tau$) for variance (large at low
#   $\tau$).
#
# Where this connects: [04 · Jensen and the ELBO](04_jensen_and_the_elbo.ipynb) is the objective whose
# gradient section 3 estimates; [05 · The variational autoencoder](05_variational_autoencoder.ipynb) trains a
# Gaussian $q_\phi(z\mid x)$ by reparameterisation, and a VAE with discrete codes would need exactly the
# estimators of section 3. Back to the map: [00 · Start here](00_start_here.ipynb).
#
# [Next: 07 · Closing the gap](07_closing_the_gap.ipynb): richer posteriors and semi-amortised inference, each gap
# measured against the exact $\log p_\theta(x)$.
