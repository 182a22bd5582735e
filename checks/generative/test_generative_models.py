"""Checks of generative/generative-models: every key equation against something independent.

Independent references used here: exact enumeration of every data set of a small size
(rational arithmetic with fractions.Fraction), a brute-force grid over the probability
simplex, gradient ascent with torch autograd, explicit loops over coordinates, closed forms
of product distributions on spaces too large to enumerate (Monte Carlo there, with a bound of
a few standard errors computed in the test), scipy's numerical integration and optimisation.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.lazy import lazy_import
from snippets.generative.generative_models import (
    TOY_DATA,
    TOY_MIXTURE,
    bernoulli_log_prob,
    categorical_mle,
    cross_entropy,
    empirical_distribution,
    entropy,
    gaussian_kls,
    kl_divergence,
    log_likelihood,
    mixture_moments,
    monte_carlo_mean,
    reverse_kl_fit,
    sample_categorical,
)

# imported when first used (checks/lazy.py): most runs of other checks do not need them
integrate = lazy_import("scipy.integrate")
optimize = lazy_import("scipy.optimize")
stats = lazy_import("scipy.stats")


def simplex(k: int):
    """Hypothesis strategy: a (k,) distribution with every entry >= 1e-3."""
    return st.lists(st.floats(1e-3, 1.0), min_size=k, max_size=k).map(
        lambda v: np.asarray(v) / np.sum(v))


# --8<-- [start:test_kl]
@pytest.mark.formula("eq-kl")
def test_kl_equals_the_sum_written_out_and_scipys_relative_entropy():
    p, q = [0.5, 0.4, 0.1], [0.4, 0.3, 0.3]
    by_hand = 0.5 * math.log(0.5 / 0.4) + 0.4 * math.log(0.4 / 0.3) + 0.1 * math.log(0.1 / 0.3)
    assert kl_divergence(p, q) == pytest.approx(by_hand, rel=1e-12)
    assert kl_divergence(p, q) == pytest.approx(stats.entropy(p, q), rel=1e-12)
    assert kl_divergence(q, p) == pytest.approx(stats.entropy(q, p), rel=1e-12)
    assert kl_divergence(p, q) != pytest.approx(kl_divergence(q, p), rel=1e-3)  # not symmetric
# --8<-- [end:test_kl]


@pytest.mark.formula("eq-kl")
def test_zero_terms_and_infinite_kl_follow_the_conventions():
    # p(x) = 0 contributes 0 even where q(x) = 0; q(x) = 0 < p(x) makes KL infinite
    assert kl_divergence([0.5, 0.5, 0.0], [0.25, 0.75, 0.0]) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(2 / 3), rel=1e-12)
    assert kl_divergence([0.5, 0.5, 0.0], [1.0, 0.0, 0.0]) == math.inf
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(math.log(2), rel=1e-12)
    assert kl_divergence([1.0, 0.0], [1.0, 0.0]) == 0.0  # q = 1 on the support is fine


# --8<-- [start:test_gibbs]
@pytest.mark.formula("eq-gibbs")
@given(p=simplex(4), q=simplex(4))
@settings(max_examples=60, deadline=None)
def test_gibbs_inequality_with_equality_exactly_when_p_equals_q(p, q):
    kl = kl_divergence(p, q)
    assert kl == pytest.approx(cross_entropy(p, q) - entropy(p), abs=1e-12)
    # KL >= 0, and strictly: Pinsker's bound KL >= (sum |p - q|)^2 / 2 > 0 when p != q
    assert kl >= 0.5 * np.abs(p - q).sum() ** 2 - 1e-12
    assert kl_divergence(p, p) == 0.0  # the "if" direction: p = q gives 0
# --8<-- [end:test_gibbs]


@pytest.mark.formula("eq-gibbs")
def test_entropy_and_cross_entropy_against_scipy_and_by_hand():
    p, q = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.25, 0.25, 0.25, 0.25])
    assert entropy(p) == pytest.approx(stats.entropy(p), rel=1e-12)
    assert cross_entropy(p, q) == pytest.approx(math.log(4), rel=1e-12)
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0
    # q(x) = 0 off the support of p costs nothing
    assert cross_entropy([0.5, 0.5, 0.0], [0.25, 0.75, 0.0]) == pytest.approx(
        -0.5 * math.log(0.25) - 0.5 * math.log(0.75), rel=1e-12)
    # the equality case needs p = q exactly: a tiny move gives a tiny but positive KL
    r = p + np.array([1e-3, -1e-3, 0, 0])
    assert 0 < kl_divergence(r, p) < 1e-5


# --8<-- [start:test_empirical_loglik]
@pytest.mark.formula("eq-empirical-loglik")
@given(data=st.lists(st.integers(0, 3), min_size=1, max_size=30), q=simplex(4))
@settings(max_examples=40, deadline=None)
def test_average_log_likelihood_is_minus_the_cross_entropy_from_p_hat(data, q):
    data = np.array(data)
    explicit = sum(math.log(q[x]) for x in data) / len(data)  # loop over the data
    assert log_likelihood(q, data) == pytest.approx(explicit, rel=1e-12)
    counts = [sum(1 for x in data if x == j) for j in range(4)]
    np.testing.assert_allclose(empirical_distribution(data, 4), np.array(counts) / len(data),
                               rtol=0, atol=1e-15)
    p_hat = empirical_distribution(data, 4)
    assert log_likelihood(q, data) == pytest.approx(-cross_entropy(p_hat, q), rel=1e-12)
# --8<-- [end:test_empirical_loglik]


@pytest.mark.formula("eq-empirical-loglik")
def test_unseen_outcomes_get_zero_and_a_zero_model_probability_gives_minus_infinity():
    np.testing.assert_array_equal(empirical_distribution(np.array([0, 0, 2]), 4),
                                  [2 / 3, 0, 1 / 3, 0])
    assert log_likelihood([0.5, 0.5, 0.0], np.array([0, 2])) == -math.inf
    assert log_likelihood([0.5, 0.25, 0.25], np.array([1])) == pytest.approx(math.log(0.25))


# --8<-- [start:test_kl_mle]
@pytest.mark.formula("eq-kl-mle")
def test_mle_is_the_frequencies_by_brute_force_over_the_simplex():
    p_hat = categorical_mle(TOY_DATA, 3)
    np.testing.assert_allclose(p_hat, [0.5, 0.3, 0.2], rtol=0, atol=1e-15)
    step = 0.01  # every q on the grid {q = (i, j, 100 - i - j) / 100} with q > 0
    i, j = np.meshgrid(np.arange(1, 99), np.arange(1, 99), indexing="ij")
    keep = i + j < 100
    Q = np.stack([i[keep], j[keep], 100 - i[keep] - j[keep]], axis=1) * step
    counts = np.bincount(TOY_DATA, minlength=3)
    loglik = np.log(Q) @ counts / TOY_DATA.size
    kl = np.array([kl_divergence(p_hat, q) for q in Q])
    np.testing.assert_allclose(Q[np.argmax(loglik)], p_hat, atol=1e-12)
    np.testing.assert_allclose(Q[np.argmin(kl)], p_hat, atol=1e-12)
    # KL(p_hat || q) + l(q) = -H(p_hat) for every q: the two objectives differ by a constant
    np.testing.assert_allclose(kl + loglik, -entropy(p_hat), rtol=0, atol=1e-12)
# --8<-- [end:test_kl_mle]


@pytest.mark.formula("eq-kl-mle")
def test_mle_equals_the_limit_of_gradient_ascent_with_autograd():
    data = np.array([3, 0, 0, 1, 3, 3, 2, 3, 0, 3, 1, 3])
    logits = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    x = torch.as_tensor(data)
    for _ in range(400):  # plain gradient ascent on l(softmax(logits))
        loss = -torch.log_softmax(logits, 0)[x].mean()
        (g,) = torch.autograd.grad(loss, logits)
        with torch.no_grad():
            logits -= 5.0 * g
    q = torch.softmax(logits, 0).detach().numpy()
    np.testing.assert_allclose(categorical_mle(data, 4), q, atol=1e-8)
    assert categorical_mle(data, 4).sum() == pytest.approx(1.0, abs=1e-15)
    # an outcome never seen gets probability 0, also when it is the last one
    np.testing.assert_array_equal(categorical_mle(np.array([0, 0, 1]), 3), [2 / 3, 1 / 3, 0])


# --8<-- [start:test_monte_carlo]
@pytest.mark.formula("eq-monte-carlo")
@pytest.mark.parametrize("N", [2, 3, 5])
def test_estimator_and_its_variance_are_unbiased_by_exact_enumeration(N):
    # every data set of N draws from p over 3 outcomes, with its exact probability
    p = [Fraction(1, 2), Fraction(3, 10), Fraction(1, 5)]
    f = np.log([0.6, 0.3, 0.1])  # f(x) = log q(x) for a model q
    e_mean = e_mean_sq = e_var = 0.0
    for xs in itertools.product(range(3), repeat=N):
        weight = float(math.prod(p[x] for x in xs))
        m, se = monte_carlo_mean(f[list(xs)])
        e_mean += weight * m
        e_mean_sq += weight * m**2
        e_var += weight * (se**2 * N)  # s^2 = N * SE^2
    exact_mean = sum(float(pi) * fi for pi, fi in zip(p, f))
    exact_var = sum(float(pi) * (fi - exact_mean) ** 2 for pi, fi in zip(p, f))
    assert e_mean == pytest.approx(exact_mean, rel=1e-12)  # unbiased
    assert e_mean_sq - e_mean**2 == pytest.approx(exact_var / N, rel=1e-10)  # Var/N
    assert e_var == pytest.approx(exact_var, rel=1e-12)  # the 1/(N-1) variance: unbiased
# --8<-- [end:test_monte_carlo]


@pytest.mark.formula("eq-monte-carlo")
def test_mc_log_likelihood_on_2_to_the_60_vectors_within_standard_errors():
    # x in {0,1}^60: too many to enumerate; the exact E_p[log q(x)] is a sum over coordinates
    rng = np.random.default_rng(1)
    n, N = 60, 4_000  # dimension and sample size
    p, q = rng.uniform(0.05, 0.95, n), rng.uniform(0.05, 0.95, n)
    exact = np.sum(p * np.log(q) + (1 - p) * np.log(1 - q))
    x = (rng.random((N, n)) < p).astype(int)
    mean, se = monte_carlo_mean(bernoulli_log_prob(x, q))
    exact_sd = np.sqrt(np.sum(p * (1 - p) * np.log(q / (1 - q)) ** 2))  # Var of a sum
    assert se == pytest.approx(exact_sd / np.sqrt(N), rel=0.1)  # 4,000 draws: s within 10 %
    assert abs(mean - exact) < 4 * exact_sd / np.sqrt(N)


# --8<-- [start:test_density]
@pytest.mark.formula("eq-density")
def test_bernoulli_log_prob_equals_the_product_over_coordinates_and_sums_to_one():
    q = np.array([0.9, 0.2, 0.5, 0.35, 0.7, 0.05, 0.6, 0.45])
    x = np.array(list(itertools.product([0, 1], repeat=q.size)))  # all 2^8 vectors
    logp = bernoulli_log_prob(x, q)
    explicit = [math.log(math.prod(qj if xj else 1 - qj for xj, qj in zip(row, q)))
                for row in x]
    np.testing.assert_allclose(logp, explicit, rtol=1e-12)
    assert np.exp(logp).sum() == pytest.approx(1.0, abs=1e-12)
# --8<-- [end:test_density]


# --8<-- [start:test_sampling]
@pytest.mark.formula("eq-sampling")
def test_inverse_cdf_frequencies_within_standard_errors():
    q, N = np.array([0.5, 0.3, 0.15, 0.05]), 20_000
    draws = sample_categorical(q, N, np.random.default_rng(3))
    freq = np.bincount(draws, minlength=5)
    assert freq[4] == 0 and draws.min() >= 0  # only outcomes 0..K-1
    se = np.sqrt(q * (1 - q) / N)  # binomial standard error of each frequency
    assert np.all(np.abs(freq[:4] / N - q) < 4 * se)
# --8<-- [end:test_sampling]


class _Uniforms:
    """A stand-in generator whose random(n) returns the midpoints of n equal cells of [0, 1)."""

    def random(self, n):
        return (np.arange(n) + 0.5) / n


class _Fixed:
    """A stand-in generator whose random(n) returns the given values."""

    def __init__(self, *u):
        self.u = np.array(u)

    def random(self, n):
        return self.u[:n]


@pytest.mark.formula("eq-sampling")
def test_inverse_cdf_maps_equal_cells_of_u_to_the_probabilities():
    q, M = np.array([0.125, 0.5, 0.0, 0.375]), 800  # outcome 2 has probability 0
    draws = sample_categorical(q, M, _Uniforms())
    np.testing.assert_array_equal(np.bincount(draws, minlength=4), q * M)
    assert np.all(np.diff(draws) >= 0)  # u increasing gives outcomes increasing
    # u = 0 must not pick an outcome of probability 0 (F(x) > u, strictly)
    assert sample_categorical([0.0, 0.5, 0.5], 2, _Fixed(0.0, 0.5)).tolist() == [1, 2]
    # q within rounding of summing to 1: u just below 1 still gives the last outcome
    q = np.array([0.5, 0.5 - 5e-10])
    assert sample_categorical(q, 1, _Fixed(1 - 1e-12)).tolist() == [1]


# --8<-- [start:test_forward_kl]
@pytest.mark.formula("eq-forward-kl")
def test_moment_matching_minimises_forward_kl_by_numerical_optimisation():
    c, m, s = TOY_MIXTURE
    grid = np.linspace(-10, 10, 2001)

    def forward(v):
        return gaussian_kls(v[0], math.exp(v[1]), c, m, s, grid)[0]

    res = optimize.minimize(forward, x0=[-1.0, 0.0], method="BFGS", options={"gtol": 1e-9})
    mu, sigma = mixture_moments(c, m, s)
    assert res.x[0] == pytest.approx(mu, abs=1e-4)
    assert math.exp(res.x[1]) == pytest.approx(sigma, abs=1e-4)
    # the moments themselves, by scipy's integration of the mixture density
    pdf = lambda x: sum(ci * stats.norm.pdf(x, mi, si) for ci, mi, si in zip(c, m, s))  # noqa: E731
    ex = integrate.quad(lambda x: x * pdf(x), -np.inf, np.inf)[0]
    ex2 = integrate.quad(lambda x: x * x * pdf(x), -np.inf, np.inf)[0]
    assert (mu, sigma**2) == pytest.approx((ex, ex2 - ex**2), abs=1e-9)
# --8<-- [end:test_forward_kl]


# --8<-- [start:test_reverse_kl]
@pytest.mark.formula("eq-reverse-kl")
def test_reverse_kl_seeks_a_mode_and_forward_kl_covers_both():
    c, m, s = TOY_MIXTURE  # modes at -2 and +2, weights 0.4 and 0.6, sd 0.6
    grid = np.linspace(-8, 8, 801)
    mu_r, sigma_r = reverse_kl_fit(c, m, s, np.linspace(-3, 3, 13), np.linspace(0.3, 1.2, 10),
                                   grid)
    assert (mu_r, sigma_r) == pytest.approx((2.0, 0.6), abs=1e-12)  # the heavier mode
    # scipy's optimiser started at either mode stays there: two local minima
    rev = lambda v: gaussian_kls(v[0], math.exp(v[1]), c, m, s, grid)[1]  # noqa: E731
    for start, weight in ((2.5, 0.6), (-2.5, 0.4)):
        res = optimize.minimize(rev, x0=[start, 0.0], method="Nelder-Mead")
        assert res.x[0] == pytest.approx(np.sign(start) * 2, abs=0.01)
        assert math.exp(res.x[1]) == pytest.approx(0.6, abs=0.01)
        # q on component j alone gives KL <= -log c_j (as p >= c_j q there); the other mode
        # lowers it only slightly
        assert -math.log(weight) - 2e-3 < res.fun <= -math.log(weight)
    mu_f, sigma_f = mixture_moments(c, m, s)
    assert sigma_f > 2 * s[0] and -2 < mu_f < 2  # the forward fit spans both modes
    fwd_f, rev_f = gaussian_kls(mu_f, sigma_f, c, m, s, grid)
    fwd_r, rev_r = gaussian_kls(mu_r, sigma_r, c, m, s, grid)
    assert fwd_f < fwd_r and rev_r < rev_f  # each fit wins on its own objective
# --8<-- [end:test_reverse_kl]


@pytest.mark.formula("eq-reverse-kl")
def test_gaussian_kls_against_scipy_quad_and_the_gaussian_closed_form():
    c, m, s = TOY_MIXTURE
    grid = np.linspace(-8, 8, 1601)
    pdf = lambda x: sum(ci * stats.norm.pdf(x, mi, si) for ci, mi, si in zip(c, m, s))  # noqa: E731
    q = stats.norm(0.7, 1.3)
    fwd = integrate.quad(lambda x: pdf(x) * math.log(pdf(x) / q.pdf(x)), -8, 8)[0]
    rev = integrate.quad(lambda x: q.pdf(x) * math.log(q.pdf(x) / pdf(x)), -8, 8)[0]
    assert gaussian_kls(0.7, 1.3, c, m, s, grid) == pytest.approx((fwd, rev), abs=1e-6)
    # one component: KL(N(m0,s0^2) || N(mu,sigma^2)) = log(sigma/s0) + (s0^2+(m0-mu)^2)/(2 sigma^2) - 1/2
    closed = math.log(1.3 / 0.5) + (0.25 + 1.7**2) / (2 * 1.69) - 0.5
    closed_rev = math.log(0.5 / 1.3) + (1.69 + 1.7**2) / (2 * 0.25) - 0.5
    got = gaussian_kls(4.7, 1.3, [1.0], [3.0], [0.5], np.linspace(-6, 16, 4001))  # asymmetric
    assert got == pytest.approx((closed, closed_rev), abs=1e-8)


@pytest.mark.formula("eq-reverse-kl")
def test_along_mu_forward_kl_has_one_minimum_and_reverse_kl_two():
    # the figure's right panel: sigma fixed at 0.6, mu on a grid of step 0.05
    c, m, s = TOY_MIXTURE
    grid = np.linspace(-8, 8, 801)
    mus = np.linspace(-3.5, 3.5, 141)
    fwd, rev = np.array([gaussian_kls(mu, 0.6, c, m, s, grid) for mu in mus]).T

    def local_minima(v):
        return mus[1:-1][(v[1:-1] < v[:-2]) & (v[1:-1] < v[2:])]

    assert len(local_minima(fwd)) == 1
    np.testing.assert_allclose(local_minima(rev), [-2.0, 2.0], atol=0.051)


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="p must be a non-empty 1-D"):
        kl_divergence([[0.5, 0.5]], [0.5, 0.5])
    with pytest.raises(ValueError, match="q must have finite non-negative"):
        kl_divergence([0.5, 0.5], [1.5, -0.5])
    with pytest.raises(ValueError, match="q must have finite non-negative"):
        cross_entropy([0.5, 0.5], [np.nan, 0.5])
    with pytest.raises(ValueError, match="p must sum to 1"):
        entropy([0.5, 0.6])
    with pytest.raises(ValueError, match="p must sum to 1"):
        entropy([0.5, 0.5 - 2e-9])
    entropy([0.5, 0.5 - 5e-10])  # within the tolerance
    with pytest.raises(ValueError, match="p and q must have the same shape"):
        kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        empirical_distribution(np.array([0]), 0)
    with pytest.raises(ValueError, match="k must be an integer"):
        categorical_mle(np.array([0]), True)
    with pytest.raises(ValueError, match="data must be a non-empty 1-D integer"):
        empirical_distribution(np.array([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match="data must be a non-empty 1-D integer"):
        empirical_distribution(np.array([], dtype=int), 2)
    with pytest.raises(ValueError, match="data must be a non-empty 1-D integer"):
        empirical_distribution(np.array([[0, 1]]), 2)
    with pytest.raises(ValueError, match=r"data must hold outcomes in 0..1"):
        log_likelihood([0.5, 0.5], np.array([0, 2]))
    with pytest.raises(ValueError, match=r"data must hold outcomes in 0..1"):
        log_likelihood([0.5, 0.5], np.array([-1, 0]))
    assert log_likelihood([0.5, 0.5], np.array([1])) == pytest.approx(math.log(0.5))
    with pytest.raises(ValueError, match="^q must sum to 1"):
        log_likelihood([0.5, 0.6], np.array([1]))
    with pytest.raises(ValueError, match="^q must sum to 1"):
        sample_categorical([0.5, 0.6], 1, np.random.default_rng(0))
    np.testing.assert_array_equal(empirical_distribution(np.array([0, 0]), 1), [1.0])
    with pytest.raises(ValueError, match="values must be a 1-D finite array"):
        monte_carlo_mean([1.0])
    with pytest.raises(ValueError, match="values must be a 1-D finite array"):
        monte_carlo_mean([1.0, np.inf])
    with pytest.raises(ValueError, match="values must be a 1-D finite array"):
        monte_carlo_mean([[1.0, 2.0]])
    assert monte_carlo_mean([1.0, 3.0]) == pytest.approx((2.0, 1.0))
    with pytest.raises(ValueError, match=r"q must be a non-empty 1-D array with entries in \(0, 1\)"):
        bernoulli_log_prob(np.array([[0, 1]]), [0.5, 1.0])
    with pytest.raises(ValueError, match=r"entries in \(0, 1\)"):
        bernoulli_log_prob(np.array([[0, 1]]), [0.0, 0.5])
    with pytest.raises(ValueError, match=r"entries in \(0, 1\)"):
        bernoulli_log_prob(np.array([[0]]), [[0.5]])
    with pytest.raises(ValueError, match=r"entries in \(0, 1\)"):
        bernoulli_log_prob(np.zeros((1, 0)), [])
    with pytest.raises(ValueError, match=r"x must be an \(N, 2\) array of zeros and ones"):
        bernoulli_log_prob(np.array([[0, 2]]), [0.5, 0.5])
    with pytest.raises(ValueError, match=r"x must be an \(N, 2\) array"):
        bernoulli_log_prob(np.array([[0, 1, 1]]), [0.5, 0.5])
    with pytest.raises(ValueError, match=r"x must be an \(N, 2\) array"):
        bernoulli_log_prob(np.array([0, 1]), [0.5, 0.5])
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        sample_categorical([1.0], 0, rng)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        sample_categorical([1.0], 2.0, rng)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        sample_categorical([1.0], True, rng)
    assert sample_categorical([1.0], 1, rng).tolist() == [0]
    with pytest.raises(ValueError, match="weights must sum to 1"):
        mixture_moments([0.5, 0.6], [0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="^means and stds must have the shape of weights"):
        mixture_moments([0.5, 0.5], [0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="means and stds must have the shape of weights"):
        mixture_moments([0.5, 0.5], [0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="stds must be positive"):
        mixture_moments([0.5, 0.5], [0.0, 1.0], [1.0, 0.0])
    grid = np.linspace(-5, 5, 11)
    with pytest.raises(ValueError, match="sigma must be positive"):
        gaussian_kls(0.0, 0.0, [1.0], [0.0], [1.0], grid)
    with pytest.raises(ValueError, match="sigma must be positive"):
        gaussian_kls(0.0, np.nan, [1.0], [0.0], [1.0], grid)
    with pytest.raises(ValueError, match="^grid must be a 1-D increasing array of >= 3"):
        gaussian_kls(0.0, 1.0, [1.0], [0.0], [1.0], grid[::-1])
    with pytest.raises(ValueError, match="^grid must be a 1-D increasing array"):
        gaussian_kls(0.0, 1.0, [1.0], [0.0], [1.0], [0.0, 0.0, 1.0])  # a repeated point
    with pytest.raises(ValueError, match="grid must be a 1-D increasing array of >= 3"):
        gaussian_kls(0.0, 1.0, [1.0], [0.0], [1.0], grid[:2])
    with pytest.raises(ValueError, match="grid must be a 1-D increasing array of >= 3"):
        gaussian_kls(0.0, 1.0, [1.0], [0.0], [1.0], grid[None, :])
    gaussian_kls(0.0, 1.0, [1.0], [0.0], [1.0], grid[:3])
