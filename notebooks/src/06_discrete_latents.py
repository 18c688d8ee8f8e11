# %% [markdown]
# # 06 · Discrete latents: when the integral is a sum
#
# The source derivation asks "What if $z$ is discrete?" and answers in one sentence: the integral becomes a
# sum, but the sum (and the gradient) runs over every latent state, which "quickly becomes infeasible". This
# notebook puts numbers on that sentence.
#
# **In this notebook you will**
# - compute the exact log-likelihood of a Gaussian mixture (a sum of $J$ terms) and its gradient twice, by
#   autograd and by the discrete Fisher identity with the posterior responsibilities, and see them agree;
# - enumerate the $2^D$ states of a sigmoid belief net, time it, and read off the $D$ at which exact
#   enumeration takes a second, a minute, a day on this machine;
# - see why reparameterisation fails for discrete $z$, measure the variance of the score-function estimator
#   with and without a baseline, and the bias–variance trade of the Gumbel-softmax relaxation as its
#   temperature varies, all against the exact gradient by enumeration.
#
# **Prerequisites:** [03 · Score-function gradients](03_score_function_gradients.ipynb) (the Fisher identity,
# the score-function estimator, baselines) and [04 · Jensen and the ELBO](04_jensen_and_the_elbo.ipynb).
# **Run time:** about 15 s on a 2-core laptop CPU.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: notebook 03 left one case open: z discrete. The source answers in one sentence; today we put numbers on it.
# Ask: for which discrete models is the sum over z cheap?

# %%
import itertools

import matplotlib as mpl
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
from helpers.exercises import (
    check_bernoulli_score,
    check_enumeration_budget,
    check_leave_one_out_baseline,
    check_mixture_log_marginal,
)
from helpers.plotting import COLORS, gaussian_ellipse, labelled, show, subplots, use_course_style

use_course_style()
rng = np.random.default_rng(0)
torch.manual_seed(0)
torch.set_num_threads(2)
f64 = torch.float64

# %% [markdown]
# ## 1 · A mixture: the integral is a sum of $J$ terms
#
# Let $z \in \{1, \dots, J\}$ pick one of $J$ Gaussians:
#
# $$p_\theta(z = j) = \pi_j = \operatorname{softmax}(\text{logits})_j, \qquad
#   p_\theta(x \mid z = j) = \mathcal N(x;\, \mu_j, \Sigma_j) \quad (\Sigma_j \text{ a covariance}).$$
#
# The integral over $z$ of the earlier notebooks becomes a sum with $J$ terms, so the marginal is exact:
#
# $$\log p_\theta(x) = \log \sum_{j=1}^J \pi_j\, \mathcal N(x;\, \mu_j, \Sigma_j)
#   = \operatorname{logsumexp}_j \big[\log \pi_j + \log \mathcal N(x;\, \mu_j, \Sigma_j)\big].$$
#
# Unlike the standard-normal prior of notebooks 01–05, this prior has parameters (the logits), so they are
# part of $\theta$. Take $J = 3$ components in 2-D and draw $N = 300$ points $x_1, \dots, x_N$.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: for a mixture the integral is a logsumexp of J terms: exact, cheap, and checked against torch's own
# mixture.
# Ask: why logsumexp and not log of a sum of exps?

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
print(f"sum_i log p(x_i) = {log_px.sum():.6f} nats over {len(x_mix)} points "
      f"({log_px.mean():.4f} nats per point)")
assert torch.allclose(log_px, reference, rtol=1e-12, atol=0)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The posterior over the component is Bayes' rule on $J$ numbers, the **responsibilities**
# $r_{ij} = p_\theta(z = j \mid x_i) = \pi_j\, \mathcal N(x_i; \mu_j, \Sigma_j) / p_\theta(x_i)$. Left: the
# log-density $\log p_\theta(x)$ with the components' two-standard-deviation ellipses. Right: each point
# coloured by its responsibilities (a blend of the three component colours). Nearly every point belongs
# mostly to the component that generated it, but a few, between components, are genuinely shared.

# %%
r_true = mixture_responsibilities(x_mix, logits_true, means_true, covs_true)
grid = torch.linspace(-4.5, 4.5, 121, dtype=f64)
g1, g2 = torch.meshgrid(grid, grid, indexing="xy")
log_density = gaussian_mixture_log_marginal(torch.stack([g1.ravel(), g2.ravel()], 1),
                                            logits_true, means_true, covs_true).reshape(g1.shape)
rgb = np.array([mpl.colors.to_rgb(c) for c in COLORS[:3]])

fig, (ax0, ax1) = subplots(1, 2, width=10.5, height=4.2)
contours = ax0.contourf(g1.numpy(), g2.numpy(), log_density.numpy(), levels=np.linspace(-12, -1, 12),
                        extend="min", cmap="Greys")
fig.colorbar(contours, ax=ax0, label="log p(x) (nats)")
for j in range(3):
    gaussian_ellipse(ax0, means_true[j].numpy(), covs_true[j].numpy(), n_std=2, color=COLORS[j], lw=2,
                     ls=("-", "--", ":")[j], label=f"component {j + 1}, π = {torch.softmax(logits_true, 0)[j]:.2f}")
ax0.legend(loc="lower left", fontsize=9)
labelled(ax0, "Mixture density: a sum of J = 3 Gaussians", "$x_1$", "$x_2$")
ax1.scatter(x_mix[:, 0], x_mix[:, 1], c=np.clip(r_true.numpy() @ rgb, 0, 1), s=14, edgecolors="none")
labelled(ax1, "Points coloured by responsibilities p(z | x)", "$x_1$", "$x_2$")
for ax in (ax0, ax1):
    ax.set_aspect("equal")
    ax.set_xlim(-4.5, 4.5)
    ax.set_ylim(-4.5, 4.5)
show(fig, alt="Left: grey contours of the mixture's log-density over the plane, with the two-standard-deviation "
              "ellipses of its three components (solid, dashed, dotted) centred near (-2, 0), (1.5, 2) and "
              "(2, -1.5). Right: the 300 sampled points, each coloured by a blend of the three component colours "
              "in proportion to its responsibilities; almost all are a pure colour, a few between clusters are "
              "mixed.")

assert torch.allclose(r_true.sum(1), torch.ones(300, dtype=f64), atol=1e-12)
# Nearly every point belongs mostly to the component that generated it; a few are shared.
own = (r_true.argmax(1) == labels).double().mean()
shared = int((r_true.max(1).values < 0.9).sum())
print(f"fraction of points whose most responsible component is their true one: {own:.3f}; "
      f"points with no component above 0.9: {shared}")
assert own > 0.95 and 0 < shared < 30


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the posterior over z is J numbers per point; most points are clear-cut, a few between clusters are
# genuinely shared.
# Ask: what would a hard assignment (k-means) lose here?

# %% [markdown]
# ### The gradient, exactly: the discrete Fisher identity
#
# Differentiate $\log p_\theta(x) = \log \sum_j p_\theta(x, z{=}j)$ and multiply and divide by
# $p_\theta(x, z{=}j)$:
#
# $$\nabla_\theta \log p_\theta(x)
#   = \sum_j \frac{p_\theta(x, z{=}j)}{p_\theta(x)}\, \nabla_\theta \log p_\theta(x, z{=}j)
#   = \sum_j p_\theta(z{=}j \mid x)\, \nabla_\theta \log p_\theta(x, z{=}j).$$
#
# This is the Fisher identity of notebook 03 with the integral replaced by a sum. Two remarks. The posterior
# weight already contains the prior, so no extra $p(z)$ multiplies the integrand (the source's equation has
# one too many, erratum 1). And because the prior has parameters here, it is the *joint* $\log p_\theta(x, z)$
# that is differentiated, not only $\log p_\theta(x \mid z)$. Written out for the logits and the means:
#
# $$\nabla_{\text{logits}} \sum_i \log p_\theta(x_i) = \sum_i (r_i - \pi), \qquad
#   \nabla_{\mu_j} \sum_i \log p_\theta(x_i) = \sum_i r_{ij}\, \Sigma_j^{-1}(x_i - \mu_j).$$
#
# Evaluate both at parameters away from the truth (so the gradient is not zero) and compare with autograd on
# the exact log-likelihood.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the Fisher identity of 03 with a sum; the prior has parameters here, so it is the joint that is
# differentiated.
# Ask: which term does the source's extra p(z) corrupt?

# %% tags=["nbval-check-output"] slideshow={"slide_type": "subslide"}
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

# %% tags=["slide-code"]
gap = max((fisher_logits - logits.grad).abs().max(), (fisher_means - means.grad).abs().max())
print(f"largest disagreement between autograd and the Fisher identity: {gap:.1e}")


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: agreement to about 1e-14: the responsibilities are the exact posterior.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### On paper: the gradient in the logits
#
# Derive the first formula above from the discrete Fisher identity: show that
# $\nabla_{\text{logits}} \log p_\theta(x, z{=}j) = e_j - \pi$ (with $e_j$ the $j$-th unit vector), and conclude
# that $\nabla_{\text{logits}} \sum_i \log p_\theta(x_i) = \sum_i (r_i - \pi)$. Why does the gradient not depend on
# the component densities $\mathcal N(x_i; \mu_j, \Sigma_j)$ except through the responsibilities?

# %% [markdown] nbgrader={"grade": false, "grade_id": "logit_gradient_derivation", "locked": false, "schema_version": 3, "solution": true, "task": false}
# **Worked answer.** $\log p_\theta(x, z{=}j) = \log \pi_j + \log \mathcal N(x; \mu_j, \Sigma_j)$, and only the first
# term depends on the logits $a$. With $\log \pi_j = a_j - \log \sum_{j'} e^{a_{j'}}$,
# $\partial \log \pi_j / \partial a_{j'} = [j = j'] - e^{a_{j'}} / \sum_{j''} e^{a_{j''}} = [j = j'] - \pi_{j'}$, that is
# $e_j - \pi$. The Fisher identity averages this over the posterior of $z$:
# $\sum_j r_{ij}(e_j - \pi) = r_i - \pi$, since the $r_{ij}$ sum to 1. Summing over the data gives
# $\sum_i (r_i - \pi)$. The densities enter only through $r_{ij}$: the logits do not appear in them, so their
# own gradient is zero, and all they do is weight the $J$ terms.

# %% [markdown] slideshow={"slide_type": "notes"}
# Set as homework; autograd above already checked the result to 1e-10, so the derivation explains a number
# the class has seen.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Setting the logit gradient to zero gives $\pi_j = \frac1N \sum_i r_{ij}$: the prior weight of a component is
# its average responsibility, the update the EM algorithm makes. For a mixture, then, "discrete" is good news:
# $J$ terms per point, and the exact posterior comes for free.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: setting the gradient to zero gives EM's update: pi is the average responsibility.
# Ask: why is EM easy for mixtures and hard for belief nets? (Next section.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Try it 1: the mixture log-likelihood with logsumexp
# `log_w` holds $\log \pi_j$ (shape `(3,)`) and `comp` holds $\log \mathcal N(x_i; \mu_j, \Sigma_j)$ for the
# first five points (shape `(5, 3)`). Compute $\log p_\theta(x_i)$ for each of the five points, in log space.


# %% nbgrader={"grade": false, "grade_id": "mixture_log_marginal", "locked": false, "schema_version": 3, "solution": true, "task": false}
log_w = torch.log_softmax(logits_true, 0).numpy()
comp = torch.distributions.MultivariateNormal(means_true, covariance_matrix=covs_true).log_prob(
    x_mix[:5, None, :]).numpy()
answer_mixture_log_marginal = ...  # your code: an array of shape (5,), e.g. with scipy.special.logsumexp
### BEGIN SOLUTION
answer_mixture_log_marginal = logsumexp(log_w + comp, axis=1)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "mixture_log_marginal_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_mixture_log_marginal(answer_mixture_log_marginal, log_w, comp)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# A two-minute warm-up; the checker recognises a hard assignment and missing weights.

# %% [markdown]
# ## 2 · Structured latents: a sum of $2^D$ terms
#
# A mixture has one discrete latent with $J$ values. Many models have *several* discrete latents that act
# together. The smallest example is a **sigmoid belief net** with $D$ binary latents and $d$ binary pixels,
# each Bernoulli with a probability given by the logistic function $\operatorname{sigm}(t) = 1/(1 + e^{-t})$:
#
# $$z_\ell \sim \operatorname{Bernoulli}\big(\operatorname{sigm}(a_\ell)\big), \quad \ell = 1..D, \qquad
#   x \mid z \sim \prod_{\text{pixels}} \operatorname{Bernoulli}\big(\operatorname{sigm}(Wz + c)\big)
#   \quad (W \text{ of shape } d \times D).$$
#
# The sum is still exact, $p_\theta(x) = \sum_{z \in \{0,1\}^D} p(z)\,p_\theta(x\mid z)$, but it has $2^D$
# terms, and because $Wz$ mixes all the latents inside each sigmoid it does not split into $D$ small sums. The
# helper walks through the states in chunks of 65,536 and keeps a running logsumexp, so memory stays bounded
# whatever $D$ is.
#
# First a size where brute force is easy ($D = 10$, 1,024 states, $d = 20$), checked against an independent
# enumeration with `itertools.product` and `torch.distributions.Bernoulli`.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: several binary latents act together inside each sigmoid, so the sum does not factorise: 2^D terms.
# Ask: how many states for D = 30?

# %% tags=["nbval-check-output"] slideshow={"slide_type": "subslide"}
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


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: chunked enumeration matches brute force; dozens of states hold 99% of the posterior mass, a few
# percent of all states.

# %% [markdown]
# ### How the cost grows
#
# Each extra latent doubles the number of states. Below, exact $\log p(x)$ is timed for $D = 8 \dots 20$
# (one random model per $D$, $d = 20$ pixels, one CPU core; the sizes are timed in three interleaved rounds
# and the fastest run of each is kept, because other programs can only slow a run down). Beyond $D \approx 14$
# the fixed cost of a call is negligible and the machine works at a nearly steady rate of $r$ states per
# second, so one exact $\log p(x)$ takes $t(D) \approx 2^D / r$ and a budget of $T$ seconds reaches
# $D = \log_2(rT)$. Each state also gets a little dearer as $D$ grows (the product $Wz$ has $D$ terms), so
# the extrapolation from the largest measured sizes is, if anything, optimistic. The timings are measurements
# of *this* machine at *this* moment: your numbers will differ, the doubling will not.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the timings are this machine's; only the doubling is a law.
# Ask: predict the time for D = 30 from the rate before I show it.

# %% slideshow={"slide_type": "subslide"}
dims = np.arange(8, 21)
seconds = time_exact_enumeration(dims, data_dim=20, rounds=3)
large = dims >= 15  # below this, the fixed cost per call hides the doubling
_, beta = fit_exponential_cost(dims[large], seconds[large])
# The steady rate: the best of the largest sizes, which run several full chunks of 65,536 states.
states_per_second = np.max(2.0 ** dims[-3:] / seconds[-3:])


def predicted_seconds(n_latents):
    return 2.0 ** np.asarray(n_latents, dtype=float) / states_per_second


def latents_within(budget_seconds):
    return np.log2(states_per_second * budget_seconds)


for n_latents, t in zip(dims[::2], seconds[::2], strict=True):
    print(f"D = {n_latents:2d}: {2**n_latents:>9,d} states in {t * 1e3:8.2f} ms")
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
# Any CPU enumerating fewer than 3e8 states per second needs over an hour for D = 40:
assert predicted_seconds(40) > 3600


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: read off a second, a minute, an hour, a day; each is only log2 of the ratio further along.

# %% slideshow={"slide_type": "subslide"}
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
show(fig, alt="Left: on a log scale against the number of binary latents D from 1 to 40, the number of states 2^D "
              "(solid) and the bytes to hold them all (dashed) rise as straight lines, while the bytes of one "
              "chunk (dotted) level off at D = 16. Right: measured seconds for one exact log p(x) at D = 8 to 20 "
              "(circles) and the line 2^D / r extrapolated to D = 40, crossing dashed horizontal lines at one "
              "second, one minute, one hour and one day.")


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: memory is solved by chunking; time is not.
# Ask: a thousand times faster hardware buys how many latents? (About 10.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# At the measured rate $r$, one exact log-likelihood of one data point takes a second at $D = \log_2 r$, a
# minute $\log_2 60 \approx 6$ latents later (the printed budgets above), and over an hour by $D = 40$ on any
# CPU that enumerates fewer than $3 \cdot 10^8$ states per second; training needs it for every data point at
# every step, and its gradient too. The gradient costs the same sum
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


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the clock is noisy, the count is exact: exactly 2^D calls.

# %% [markdown]
# ### Try it 2: a thousand times the compute
# `states_per_second` is the rate $r$ measured above. Suppose you had a machine 1,000 times faster. What is
# the largest whole number $D$ of binary latents whose $2^D$ states it could enumerate within one day
# (86,400 s)?


# %% nbgrader={"grade": false, "grade_id": "enumeration_budget", "locked": false, "schema_version": 3, "solution": true, "task": false}
answer_enumeration_budget = ...  # your code: an integer D
### BEGIN SOLUTION
answer_enumeration_budget = int(np.floor(np.log2(1000 * states_per_second * 86400)))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "enumeration_budget_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_enumeration_budget(answer_enumeration_budget, 1000 * states_per_second, 86400)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# A one-line exercise: the answer is a logarithm, and the checker catches log10 and rounding up.

# %% [markdown]
# ## 3 · Gradients when $z$ cannot be reparameterised
#
# Variational inference replaces the sum by an expectation under a tractable $q_\phi$. For the belief net take
# a factorised Bernoulli, $q_\phi(z) = \prod_\ell \operatorname{Bernoulli}(z_\ell; \operatorname{sigm}(\phi_\ell))$. The ELBO of
# notebook 04 is $\mathbb E_{q_\phi}[\log p_\theta(x, z)] + H[q_\phi]$; the entropy is a sum of $D$ binary
# entropies with an exact gradient, so the hard part is
#
# $$g = \nabla_\phi\, \mathbb E_{q_\phi(z)}[f(z)], \qquad f(z) = \log p_\theta(x, z).$$
#
# With $D = 10$ latents it is still exact by enumeration, which gives every estimator below a ground truth.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: variational inference trades the 2^D-term sum for an expectation under a factorised q; the entropy is
# easy, the expected log-joint is the hard part.
# Ask: which gradient estimators from notebook 03 do you expect to survive?

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Why the reparameterisation trick fails.** A Bernoulli sample is $z_\ell = \mathbb 1[U_\ell < \operatorname{sigm}(\phi_\ell)]$
# with $U_j \sim \mathrm{Uniform}(0,1)$: a *step function* of $\phi$. Along any fixed noise $U$ the sample
# path $f(z(\phi, U))$ is flat except at one jump, so its derivative is zero almost everywhere, while the
# expectation (the average over all $U$) changes smoothly.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: variational inference needs the gradient of an expectation over a discrete q, and sampling gives
# step functions.
# Ask: what is the derivative of a step function almost everywhere?

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
    ax.plot(sweep, path, ("-", "--", ":")[i], color=COLORS[i], lw=1.5, drawstyle="steps-mid",
            label=f"one sample path, fixed U #{i + 1}")
ax.axvline(float(phi[0]), color="grey", ls=":", lw=1)
ax.legend(fontsize=9)
labelled(ax, "Discrete samples are step functions of φ", r"$\phi_1$ (other $\phi_\ell$ fixed)",
         r"$f(z) = \log p_\theta(x, z)$ (nats)")
show(fig, alt="Against phi_1 from -4 to 4: the exact expectation of f under q (thick black) is a smooth curve, "
              "while three sample paths with fixed noise U (solid, dashed, dotted) are flat steps that jump once, "
              "where the sample z_1 flips from 0 to 1; a dotted vertical line marks the current phi_1.")

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


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: every one of 10,000 pathwise derivatives is exactly zero; the true slope is not.
# Ask: what does the reparameterisation estimator return here? (Zero: useless.)

# %% [markdown]
# ### The score-function estimator, with and without a baseline
#
# What survives is the score-function (REINFORCE) identity of notebook 03, which needs only samples and
# $\log q_\phi$:
#
# $$g = \mathbb E_{q_\phi}\big[f(z)\,\nabla_\phi \log q_\phi(z)\big], \qquad
#   \nabla_{\phi_\ell} \log q_\phi(z) = z_\ell - \operatorname{sigm}(\phi_\ell).$$
#
# Since $\mathbb E_q[\nabla_\phi \log q_\phi] = 0$, any baseline $b$ that does not depend on the sample can be
# subtracted, $(f(z) - b)\,\nabla_\phi \log q_\phi(z)$, without bias. Here $f$ is a log-joint of about $-30$
# nats on average under $q_\phi$ (far from zero), which is the worst case for the plain estimator. The **leave-one-out** baseline
# uses, for each of the $M$ samples, the mean of $f$ over the other $M - 1$. Below, $R = 2000$ independent
# estimates, each from $M = 10$ samples; the variance is summed over the 10 coordinates and divided by
# $|g|^2$.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the score function needs only samples and log q; a baseline built from the other samples keeps it
# unbiased.
# Ask: why is a log-joint near -30 the worst case for the plain estimator?

# %% tags=["nbval-check-output"] slideshow={"slide_type": "subslide"}
M, R = 10, 2000
print(f"|exact gradient| = {np.linalg.norm(exact_grad):.4f};  E_q[f] = {exact_value:.2f} nats")
assert -40 < exact_value < -25
sf_summary = {}
for label, baseline in [("no baseline", None), ("leave-one-out baseline", "leave_one_out")]:
    estimates = score_function_gradient(f, phi, n_samples=M, n_repeats=R, baseline=baseline, generator=6)
    sf_summary[label] = gradient_estimator_summary(estimates, exact_grad)
    z_scores = (estimates.mean(0) - exact_grad) / (estimates.std(0, ddof=1) / np.sqrt(R))
    print(f"score function, {label:>22}: relative variance {sf_summary[label]['variance']:7.3f}, "
          f"largest |mean - exact| / s.e. = {np.abs(z_scores).max():.2f}")
    # Unbiased: with 10 coordinates, |z| > 4.5 happens by chance with probability < 1e-4.
    assert np.abs(z_scores).max() < 4.5
ratio_d10 = sf_summary["no baseline"]["variance"] / sf_summary["leave-one-out baseline"]["variance"]
print(f"the baseline divides the variance by {ratio_d10:.1f}")
assert ratio_d10 > 10 and 0.5 < sf_summary["leave-one-out baseline"]["variance"] < 2


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: both unbiased; the baseline divides the variance by more than ten here.

# %% [markdown]
# Both are unbiased (the mean of 2000 estimates is within a few standard errors of the exact gradient); the
# baseline cuts the variance by more than a factor of ten. It is still about the size of $|g|^2$ itself
# (between half and twice it): one estimate from 10 samples points in a noisy direction.
#
# ### Try it 3: the Bernoulli score
# For the logits `phi_ex` and the sampled states `z_ex` (shape `(4, 3)`), compute $\nabla_\phi \log q_\phi(z)$
# for each sample, elementwise: the ingredient that multiplies $f(z)$ above.



# %% nbgrader={"grade": false, "grade_id": "bernoulli_score", "locked": false, "schema_version": 3, "solution": true, "task": false}
phi_ex = np.array([0.5, -1.0, 2.0])
z_ex = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
answer_bernoulli_score = ...  # your code: an array of shape (4, 3)
### BEGIN SOLUTION
answer_bernoulli_score = z_ex - expit(phi_ex)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "bernoulli_score_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
result = check_bernoulli_score(answer_bernoulli_score, z_ex, phi_ex)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# A warm-up for Try it 4: the score of a Bernoulli in its logit.

# %% [markdown] slideshow={"slide_type": "notes"}
# Ask: would ten times more samples per estimate fix the direction? (It divides the variance by ten.)

# %% [markdown]
# ### Try it 4: the leave-one-out baseline, in code
#
# `f_try` holds $f(z)$ for $R = 2000$ estimates of $M = 10$ samples each (shape `(R, M)`, one estimate per
# row), and `score_try` the matching scores $\nabla_\phi \log q_\phi(z)$ (shape `(R, M, D)`), drawn from the
# belief net above. Compute the leave-one-out baselines: for each sample, the mean of $f$ over the *other*
# $M - 1$ samples of its row, an array shaped like `f_try`. No loops needed: the row sum minus the sample
# itself is the sum of the others. The cell after the check builds the gradient estimates with your
# baselines and tests them for bias against the exact gradient.


# %% nbgrader={"grade": false, "grade_id": "leave_one_out_baseline", "locked": false, "schema_version": 3, "solution": true, "task": false}
draws = torch.Generator().manual_seed(8)
z_try = (torch.rand(R, M, 10, generator=draws, dtype=f64) < torch.sigmoid(phi)).to(f64)
f_try = f(z_try.reshape(-1, 10)).reshape(R, M).numpy()
score_try = (z_try - torch.sigmoid(phi)).numpy()
answer_leave_one_out_baseline = ...  # your code: an array of shape (R, M)
### BEGIN SOLUTION
answer_leave_one_out_baseline = (f_try.sum(axis=1, keepdims=True) - f_try) / (M - 1)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "leave_one_out_baseline_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
result = check_leave_one_out_baseline(answer_leave_one_out_baseline, f_try)
### BEGIN HIDDEN TESTS
assert result.passed, result.message
### END HIDDEN TESTS
result

# %% [markdown] slideshow={"slide_type": "notes"}
# Set Try it 4 in class: predict first what goes wrong with the plain mean as a baseline.

# %% slideshow={"slide_type": "subslide"}
# Your baselines in the estimator, (1/M) sum_m (f_m - b_m) * score_m, against the exact gradient (runs whatever
# your answer; a biased baseline shows up as a large |mean - exact| / s.e.).
try:
    baselines = np.broadcast_to(np.asarray(answer_leave_one_out_baseline, dtype=float), f_try.shape)
except (TypeError, ValueError):
    baselines = np.zeros_like(f_try)
    print("(no usable answer yet: using no baseline)")
estimates_try = np.mean((f_try - baselines)[..., None] * score_try, axis=1)
z_try_scores = (estimates_try.mean(0) - exact_grad) / (estimates_try.std(0, ddof=1) / np.sqrt(R))
print(f"largest |mean - exact| / s.e. over the 10 coordinates: {np.abs(z_try_scores).max():.2f}; "
      f"relative variance {estimates_try.var(0, ddof=1).sum() / np.sum(exact_grad**2):.3f}")
loo_reference = np.mean((f_try - (f_try.sum(1, keepdims=True) - f_try) / (M - 1))[..., None] * score_try, axis=1)
assert np.abs((loo_reference.mean(0) - exact_grad)
              / (loo_reference.std(0, ddof=1) / np.sqrt(R))).max() < 4.5  # the reference baseline is unbiased


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: with a right answer, the estimate is within a few standard errors of the exact gradient.

# %% [markdown]
# ### A relaxation: Gumbel-softmax (the binary Concrete)
#
# Another way out is to make the sample continuous. Write the Bernoulli sample as
# $z = \mathbb 1[\phi + L > 0]$ with logistic noise $L = \log U - \log(1 - U)$ (the difference of two Gumbel
# variables), and replace the step by a sigmoid of temperature $\tau$:
#
# $$\tilde z = \operatorname{sigm}\big((\phi + L)/\tau\big) \in (0, 1), \qquad \tilde z \to z \text{ as } \tau \to 0.$$


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: replace the step by a sigmoid of temperature tau; tau to zero recovers the step.
# Ask: what do we gain, and what must we give up?

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now $\tilde z$ is a smooth function of $\phi$ and the reparameterisation estimator $\nabla_\phi f(\tilde z)$
# applies, provided $f$ accepts fractional states (the belief net's $\log p_\theta(x, z)$ does: it is linear
# in $z$ inside the sigmoid). But it estimates the gradient of $\mathbb E[f(\tilde z)]$, a different
# objective, so it is **biased**. Lower $\tau$ shrinks the bias but sharpens the sigmoid, and the variance grows
# without bound: a sample lands on the steep part with probability of order $\tau$, where the slope is of
# order $1/\tau$, so at low temperature the variance grows like $\tau \cdot \tau^{-2} = 1/\tau$. Same budget as
# above: $M = 10$ samples per estimate, $R = 2000$ estimates per temperature.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: a smooth sample allows reparameterisation but changes the objective: biased. Slope 1/tau on a
# fraction tau of samples gives variance 1/tau.

# %% slideshow={"slide_type": "subslide"}
temperatures = np.geomspace(0.03, 3.0, 9)
gs_summary = [gradient_estimator_summary(gumbel_softmax_gradient(f, phi, tau, M, R, generator=7), exact_grad)
              for tau in temperatures]
bias2 = np.array([s["bias2"] for s in gs_summary])
bias2_se = np.array([s["bias2_se"] for s in gs_summary])
variance = np.array([s["variance"] for s in gs_summary])
mse = np.array([s["mse"] for s in gs_summary])
print("   tau   bias^2/|g|^2  (s.e.)   variance/|g|^2   mse/|g|^2")
for tau, b, se, v, m in zip(temperatures, bias2, bias2_se, variance, mse, strict=True):
    print(f"{tau:6.3f}   {b:10.4f}  ({se:.4f})   {v:12.4f}   {m:10.4f}")


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: read the table from cold to hot: the bias column rises (the coldest values are within their noise), the
# variance column falls, and their sum is smallest in the middle.
# Ask: at which temperature would you stop, and would your answer change with a larger M?

# %% slideshow={"slide_type": "subslide"}
resolved = bias2 > 2 * bias2_se  # a bias² smaller than its noise is drawn as an upper bound
fig, ax = subplots(width=7.8, height=4.0)
ax.loglog(temperatures[resolved], bias2[resolved], "o-", color=COLORS[3], label="Gumbel-softmax bias²")
ax.loglog(temperatures[~resolved], (bias2 + 2 * bias2_se)[~resolved], "v", color=COLORS[3], mfc="none",
          label="bias² not resolved (upper bound)")
ax.loglog(temperatures, variance, "s-", color=COLORS[0], label="Gumbel-softmax variance")
ax.loglog(temperatures, mse, "k-", lw=1.2, label="Gumbel-softmax error (bias² + variance)")
ax.axhline(sf_summary["no baseline"]["variance"], color=COLORS[1], ls="--",
           label="score function, no baseline")
ax.axhline(sf_summary["leave-one-out baseline"]["variance"], color=COLORS[2], ls=":",
           label="score function, leave-one-out")
ax.legend(fontsize=9, loc="upper center", ncols=2)
ax.set_ylim(top=200)
labelled(ax, "Relaxation: bias falls and variance rises as τ → 0 (M = 10)", "temperature τ",
         "squared error / |exact gradient|²")
show(fig, alt="Log-log plot against the temperature tau from 0.03 to 3 of the Gumbel-softmax estimator's "
              "relative squared bias (circles, rising with tau; unresolved values at the coldest temperatures "
              "drawn as open triangles), its variance (squares, falling with tau) and their sum (black), which "
              "is lowest near tau = 1. Horizontal lines mark the score function's variance without a baseline "
              "(dashed, near 20) and with the leave-one-out baseline (dotted, near 1.3).")

cold, hot = 0, len(temperatures) - 1  # temperatures ascend
assert bias2[hot] - bias2[cold] > 3 * np.hypot(bias2_se[hot], bias2_se[cold])  # colder: less biased
assert variance[cold] > 10 * variance[hot]  # colder: noisier
cold_slope = np.polyfit(np.log(temperatures[:3]), np.log(variance[:3]), 1)[0]
print(f"slope of log variance against log tau over the three coldest temperatures: {cold_slope:.2f} (1/tau: -1)")
assert -1.3 < cold_slope < -0.7
best = int(np.argmin(mse))
print(f"lowest error at tau = {temperatures[best]:.2f}: {mse[best]:.3f} |g|^2, against "
      f"{sf_summary['leave-one-out baseline']['variance']:.3f} |g|^2 for the unbiased score function")
assert 0 < best < len(temperatures) - 1 and mse[best] < sf_summary["leave-one-out baseline"]["variance"]
assert sf_summary["leave-one-out baseline"]["variance"] < variance[cold] < sf_summary["no baseline"]["variance"]


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: bias falls, variance rises; the best tau balances them.
# Ask: which curve keeps falling if we average more estimates?

# %% [markdown]
# At high temperature the relaxed estimator is precise but aims at the wrong target; at low temperature it is
# nearly unbiased but noisier than the score function with a leave-one-out baseline (though still quieter than
# the plain one). A middle temperature gives the smallest error per estimate here, below the score function's,
# which is why relaxations are popular; but the bias does not average away with more samples, whereas the
# score function's error does.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the middle temperature wins per estimate, but only the score function's error averages away.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The picture across sizes
# The same comparison for $D = 8, 10, 12$ (a fresh belief net and $q_\phi$ for each, exact gradient by
# enumerating up to 4,096 states), with the relaxation at $\tau = 0.5$:


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: three fresh problems: the ranking holds, the size of the gain does not.

# %%
print("  D  |g|    SF plain var   SF leave-one-out var   ratio   GS(0.5) bias^2   GS(0.5) var")
baseline_ratios = []
for n_latents in (8, 10, 12):
    model_d = SigmoidBeliefNet.random(n_latents, 20, generator=10 + n_latents)
    x_d = model_d.sample(1, generator=20 + n_latents)[1][0]
    phi_d = torch.randn(n_latents, generator=torch.Generator().manual_seed(30 + n_latents), dtype=f64)

    def f_d(z, model_d=model_d, x_d=x_d):
        return model_d.log_joint(x_d, z)

    _, g_d = exact_bernoulli_expectation_gradient(f_d, phi_d)
    plain = score_function_gradient(f_d, phi_d, M, R, generator=40 + n_latents)
    loo = score_function_gradient(f_d, phi_d, M, R, baseline="leave_one_out", generator=50 + n_latents)
    gs = gradient_estimator_summary(gumbel_softmax_gradient(f_d, phi_d, 0.5, M, R, generator=60 + n_latents),
                                    g_d)
    var_plain = gradient_estimator_summary(plain, g_d)["variance"]
    var_loo = gradient_estimator_summary(loo, g_d)["variance"]
    baseline_ratios.append(var_plain / var_loo)
    print(f"{n_latents:3d}  {np.linalg.norm(g_d):5.2f}  {var_plain:12.3f}   {var_loo:20.3f}   "
          f"{var_plain / var_loo:5.1f}   {gs['bias2']:14.4f}   {gs['variance']:11.4f}")
    for est in (plain, loo):  # unbiased at every size
        assert np.abs((est.mean(0) - g_d) / (est.std(0, ddof=1) / np.sqrt(R))).max() < 4.5
    assert gs["bias2"] > 3 * gs["bias2_se"]  # the relaxation's bias is real at τ = 0.5
# The baseline's gain varies with the problem: at least 8 at every size here, more than 10 at two of three.
assert min(baseline_ratios) > 8 and sum(r > 10 for r in baseline_ratios) >= 2

# %% [markdown]
# The leave-one-out baseline helps at every size, but by how much depends on the problem: a factor of 8 or
# more in every row, above 10 in two of the three.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: the baseline's gain depends on the problem: 8.5 at D = 8, more than 20 at D = 10.
# Ask: what would make a baseline useless? (f nearly constant across samples.)

# %% [markdown]
# ## Summary
#
# - With a discrete $z$ the integral is a sum. For a **mixture** it has $J$ terms: $\log p_\theta(x)$ is one
#   logsumexp, and its gradient is the responsibility-weighted gradient of $\log p_\theta(x, z)$ (the discrete
#   Fisher identity), which matched autograd to $10^{-10}$.
# - For **structured** latents the sum has $2^D$ terms. Chunking keeps memory bounded, but the time doubles
#   with every latent: at a rate of $r$ states per second one exact $\log p(x)$ takes a second at
#   $D = \log_2 r$ (printed above for this machine), a minute about six latents later, and over an hour by
#   $D = 40$.
# - **Gradients** of $\mathbb E_{q_\phi}[f(z)]$ cannot be reparameterised, because samples are step functions
#   of $\phi$. The score-function estimator is unbiased; a leave-one-out baseline divided its variance by a
#   factor of 8 or more in every problem here. The Gumbel-softmax relaxation trades bias (large at high
#   $\tau$) for variance (growing like $1/\tau$ at low $\tau$).
#
# Where this connects: [04 · Jensen and the ELBO](04_jensen_and_the_elbo.ipynb) is the objective whose
# gradient section 3 estimates; [05 · The variational autoencoder](05_variational_autoencoder.ipynb) trains a
# Gaussian $q_\phi(z\mid x)$ by reparameterisation, and a VAE with discrete codes would need exactly the
# estimators of section 3. Back to the map: [00 · Start here](00_start_here.ipynb).
#
# [Next: 07 · Closing the gap](07_closing_the_gap.ipynb): richer posteriors and semi-amortised inference, each gap
# measured against the exact $\log p_\theta(x)$.


# %% [markdown] slideshow={"slide_type": "notes"}
# Say: discrete z: a sum that is cheap for mixtures, exponential for structure, and gradients only
# through the score function or a biased relaxation.
# Ask: which of today's estimators would you use to train a VAE with discrete codes?

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## References
#
# - Source derivation: "Variational Inference for Latent Variable Models" (blog post, 2025), whose intuition
#   credits S. Levine's lectures on variational inference (CS 285, UC Berkeley); its "What if $z$ is discrete?"
#   paragraph is this notebook's starting point.
# - A. P. Dempster, N. M. Laird, D. B. Rubin (1977). Maximum likelihood from incomplete data via the EM
#   algorithm. *Journal of the Royal Statistical Society B* 39, 1–38.
# - R. M. Neal (1992). Connectionist learning of belief networks. *Artificial Intelligence* 56, 71–113.
# - R. J. Williams (1992). Simple statistical gradient-following algorithms for connectionist reinforcement
#   learning. *Machine Learning* 8, 229–256.
# - W. Kool, H. van Hoof, M. Welling (2019). Buy 4 REINFORCE samples, get a baseline for free! *ICLR workshop
#   on deep reinforcement learning meets structured prediction*.
# - E. Jang, S. Gu, B. Poole (2017). Categorical reparameterization with Gumbel-softmax. *ICLR*.
# - C. J. Maddison, A. Mnih, Y. W. Teh (2017). The Concrete distribution: a continuous relaxation of discrete
#   random variables. *ICLR*.

# %% [markdown] slideshow={"slide_type": "notes"}
# Point to Jang et al. and Maddison et al. for the relaxation, Williams for REINFORCE.
