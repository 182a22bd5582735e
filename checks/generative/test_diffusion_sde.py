"""Checks of generative/diffusion-sde: every key equation against something independent.

Independent references used here: the moment recursions of the Euler-Maruyama schemes
worked out by hand for linear SDEs (they give the discretisation bias exactly); scipy's
adaptive ODE solver and quadrature; sympy's symbolic derivatives; finite differences of
closed-form densities; explicit Python loops; Monte Carlo with a fixed seed and bounds of
a few standard errors computed in the test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.lazy import lazy_import
from snippets.generative.diffusion_sde import (
    conditional_score,
    ddpm_alpha_bar,
    dsm_loss,
    euler_maruyama,
    linear_moments,
    mixture_marginal,
    probability_flow_sample,
    reverse_sde_sample,
    ve_marginal,
    ve_sde,
    vp_beta,
    vp_marginal,
    vp_sde,
)

# imported when first used (checks/lazy.py): most runs of other checks do not need them
sympy = lazy_import("sympy")
integrate = lazy_import("scipy.integrate")
special = lazy_import("scipy.special")
stats = lazy_import("scipy.stats")

MU0, S0 = 2.0, 0.5  # Gaussian data N(2, 0.5^2) of the sampling checks
N_SAMPLES = 20_000
Z = 4.5  # standard errors allowed in every Monte Carlo bound


def b_integral(t, lo=0.1, hi=20.0):
    """B(t) = int_0^t beta(s) ds written out for the linear schedule."""
    return lo * t + (hi - lo) * t * t / 2


def gauss_marginal(t):
    """Mean and variance of p_t for data N(MU0, S0^2) under the VP-SDE, from B(t)."""
    a = math.exp(-b_integral(t) / 2)
    return a * MU0, a * a * S0**2 + 1 - a * a


def gauss_score(x, t):
    m, v = gauss_marginal(t)
    return -(x - m) / v


def moment_bounds(x, mean, var, bias_mean=0.0, bias_var=0.0):
    """|sample mean - mean| and |sample var - var| within Z standard errors plus bias."""
    n = x.size
    se_mean = math.sqrt(var / n)
    se_var = var * math.sqrt(2 / (n - 1))  # Gaussian samples: Var(s^2) = 2 var^2/(n-1)
    assert abs(x.mean() - mean) <= Z * se_mean + abs(bias_mean)
    assert abs(x.var(ddof=1) - var) <= Z * se_var + abs(bias_var)


# --8<-- [start:test_forward_sde]
@pytest.mark.formula("eq-forward-sde")
def test_euler_maruyama_matches_the_closed_form_marginal():
    # VP-SDE from x_0 = 1.5: p(x_t | x_0) = N(exp(-B/2) 1.5, 1 - exp(-B)).
    # For a linear SDE, Euler-Maruyama's own moments follow exactly
    #   m_{k+1} = (1 - beta_k dt / 2) m_k,   v_{k+1} = (1 - beta_k dt / 2)^2 v_k + beta_k dt,
    # so the discretisation bias is computed, and the sample is checked within Z SE of it.
    n_steps, x0 = 200, 1.5
    dt = 1 / n_steps
    paths = euler_maruyama(np.full(N_SAMPLES, x0), vp_sde, n_steps,
                           np.random.default_rng(1))
    assert paths.shape == (n_steps + 1, N_SAMPLES)
    m, v = x0, 0.0
    for k in range(n_steps):
        beta_k = 0.1 + (k * dt) * 19.9
        m, v = (1 - beta_k * dt / 2) * m, (1 - beta_k * dt / 2) ** 2 * v + beta_k * dt
        t = (k + 1) * dt
        if k + 1 in (20, 60, 200):
            a = math.exp(-b_integral(t) / 2)
            closed_mean, closed_var = a * x0, 1 - a * a
            # the bias is O(dt); at t = 1, beta dt = 0.1 and the variance overshoots by 0.024
            assert abs(m - closed_mean) < 0.05 and abs(v - closed_var) < 0.05
            moment_bounds(paths[k + 1], closed_mean, closed_var,
                          m - closed_mean, v - closed_var)
# --8<-- [end:test_forward_sde]


@pytest.mark.formula("eq-forward-sde")
def test_euler_maruyama_of_the_ve_sde_and_the_first_row():
    paths = euler_maruyama(np.zeros(N_SAMPLES), ve_sde, 100, np.random.default_rng(2))
    assert np.all(paths[0] == 0.0)
    # no drift: Euler-Maruyama's variance is sum_k g(t_k)^2 dt, a left Riemann sum
    g2 = [ve_sde(0.0, k / 100)[1] ** 2 for k in range(100)]
    var_em = sum(g2) / 100
    var_exact = 50.0**2 - 0.01**2
    moment_bounds(paths[-1], 0.0, var_exact, 0.0, var_em - var_exact)


# --8<-- [start:test_linear_gaussian]
@pytest.mark.formula("eq-linear-gaussian")
def test_moment_odes_against_their_closed_form_solutions():
    # dx = -t x dt + dw: m(t) = m0 exp(-t^2/2), v(t) = v0 exp(-t^2) + int_0^t exp(s^2 - t^2) ds
    m0, v0 = 1.3, 0.4
    for t in (0.4, 1.0):
        m, v = linear_moments(lambda s: -s, lambda s: 1.0, m0, v0, t)
        tail, _ = integrate.quad(lambda s: math.exp(s * s - t * t), 0, t, epsabs=1e-13)
        assert m == pytest.approx(m0 * math.exp(-t * t / 2), abs=1e-10)
        assert v == pytest.approx(v0 * math.exp(-t * t) + tail, abs=1e-10)
    # the VP-SDE from a point: m = exp(-B/2) m0, v = 1 - exp(-B)
    m, v = linear_moments(lambda s: -(0.1 + 19.9 * s) / 2,
                          lambda s: math.sqrt(0.1 + 19.9 * s), m0, 0.0, 0.8)
    assert m == pytest.approx(m0 * math.exp(-b_integral(0.8) / 2), abs=1e-10)
    assert v == pytest.approx(1 - math.exp(-b_integral(0.8)), abs=1e-10)
# --8<-- [end:test_linear_gaussian]


@pytest.mark.formula("eq-linear-gaussian")
def test_moment_odes_describe_the_simulated_sde():
    # a non-autonomous linear SDE, dx = sin(3t) x dt + (1 + t) dw, simulated
    f, g = (lambda s: math.sin(3 * s)), (lambda s: 1 + s)
    n_steps = 200
    paths = euler_maruyama(np.full(N_SAMPLES, 0.5),
                           lambda x, s: (f(s) * x, g(s)), n_steps, np.random.default_rng(3))
    m, v = linear_moments(f, g, 0.5, 0.0, 1.0)
    mk, vk = 0.5, 0.0  # Euler-Maruyama's own moments, for the bias
    for k in range(n_steps):
        s = k / n_steps
        mk, vk = (1 + f(s) / n_steps) * mk, (1 + f(s) / n_steps) ** 2 * vk + g(s) ** 2 / n_steps
    moment_bounds(paths[-1], m, v, mk - m, vk - v)


# --8<-- [start:test_vp_marginal]
@pytest.mark.formula("eq-vp-sde")
@settings(max_examples=15, deadline=None)
@given(t=st.floats(0.0, 1.0), lo=st.floats(0.01, 1.0), span=st.floats(0.0, 30.0))
def test_vp_marginal_solves_the_moment_odes(t, lo, span):
    hi = lo + span
    a, s = vp_marginal(t, lo, hi)

    def rate(u, y):  # dm/du = -beta m / 2, dv/du = -beta v + beta
        beta = lo + u * (hi - lo)
        return [-beta * y[0] / 2, -beta * y[1] + beta]

    sol = integrate.solve_ivp(rate, (0.0, t), [1.0, 0.0], rtol=1e-11, atol=1e-13)
    assert a == pytest.approx(sol.y[0, -1], abs=1e-8)
    assert s**2 == pytest.approx(sol.y[1, -1], abs=1e-8)
    assert a**2 + s**2 == pytest.approx(1.0, abs=1e-12)  # variance preserving
# --8<-- [end:test_vp_marginal]


@pytest.mark.formula("eq-vp-sde")
def test_vp_defaults_shapes_and_the_sde():
    t = np.array([0.0, 0.25, 1.0])
    a, s = vp_marginal(t)
    assert a.shape == s.shape == (3,)
    assert a[0] == 1.0 and s[0] == 0.0
    assert a[2] == pytest.approx(math.exp(-10.05 / 2), rel=1e-12)  # B(1) = (0.1 + 20) / 2
    assert vp_beta(0.5) == pytest.approx(10.05, rel=1e-12)
    _, s_small = vp_marginal(1e-9)
    assert s_small == pytest.approx(math.sqrt(0.1e-9), rel=1e-6)  # no cancellation
    drift, diffusion = vp_sde(np.array([2.0]), 0.5, 1.0, 3.0)
    assert drift[0] == pytest.approx(-2.0) and diffusion == pytest.approx(math.sqrt(2.0))


# --8<-- [start:test_ve_marginal]
@pytest.mark.formula("eq-ve-sde")
def test_ve_variance_is_the_integral_of_g_squared():
    for t in (0.0, 0.05, 0.5, 1.0):
        added, _ = integrate.quad(lambda u: ve_sde(0.0, u)[1] ** 2, 0, t,
                                  epsrel=1e-12, epsabs=1e-14)
        a, std = ve_marginal(t)
        assert a == 1.0
        assert std**2 == pytest.approx(added, rel=1e-9, abs=1e-14)
        sigma = 0.01 * 5000.0**t
        assert ve_marginal(t, exact=False)[1] == pytest.approx(sigma, rel=1e-12)
    # the two conventions differ where sigma(t) is near sigma_min
    assert ve_marginal(0.05, exact=False)[1] / ve_marginal(0.05)[1] > 1.3
# --8<-- [end:test_ve_marginal]


@pytest.mark.formula("eq-ve-sde")
def test_ve_diffusion_is_the_rate_of_sigma_squared():
    s = sympy.symbols("t")
    sigma2 = (sympy.Rational(1, 100) * 5000**s) ** 2
    rate = sympy.lambdify(s, sympy.diff(sigma2, s))
    for t in (0.1, 0.6):
        drift, diffusion = ve_sde(np.ones(2), t)
        assert np.all(drift == 0.0)
        assert diffusion**2 == pytest.approx(rate(t), rel=1e-12)
    _, diffusion = ve_sde(0.0, 0.5, 1.0, 4.0)
    assert diffusion**2 == pytest.approx(2 * 4.0 * math.log(4.0), rel=1e-12)


# --8<-- [start:test_ddpm_limit]
@pytest.mark.formula("eq-ddpm-limit")
def test_ddpm_alpha_bar_tends_to_the_vp_mean_coefficient():
    n = 1000
    alpha_bar = ddpm_alpha_bar(n)
    betas = [1e-4 + (0.02 - 1e-4) * i / (n - 1) for i in range(n)]  # DDPM's schedule
    prod, explicit = 1.0, []
    for b in betas:
        prod *= 1 - b
        explicit.append(prod)
    np.testing.assert_allclose(alpha_bar, explicit, rtol=1e-11)
    # sum beta_i = (beta_min + beta_max) / 2 = B(1) exactly, so log alpha_bar_N + B(1)
    # = sum [log(1 - b) + b], between -sum b^2 / (2 (1 - b_max)) and -sum b^2 / 2
    gap = math.log(alpha_bar[-1]) + b_integral(1.0)
    sq = sum(b * b for b in betas)
    assert -sq / (2 * (1 - 0.02)) <= gap <= -sq / 2
    # and the relative error of sqrt(alpha_bar) at t = 1 halves when N doubles
    errs = [abs(math.sqrt(ddpm_alpha_bar(k)[-1]) / math.exp(-b_integral(1) / 2) - 1)
            for k in (1000, 2000, 4000)]
    assert 1.9 < errs[0] / errs[1] < 2.1 and 1.9 < errs[1] / errs[2] < 2.1
# --8<-- [end:test_ddpm_limit]


@pytest.mark.formula("eq-ddpm-limit")
def test_ddpm_alpha_bar_on_the_whole_grid():
    n = 4000
    a = np.sqrt(ddpm_alpha_bar(n))
    t = np.arange(1, n + 1) / n
    exact = np.exp(-b_integral(t) / 2)
    assert np.max(np.abs(a - exact)) < 2e-3
    assert ddpm_alpha_bar(2, 0.5, 1.0) == pytest.approx([1 - 0.25, 0.75 * 0.5])


# --8<-- [start:test_denoising_target]
@pytest.mark.formula("eq-denoising-target")
def test_denoising_target_equals_the_conditional_score():
    x, x0, a, s = sympy.symbols("x x0 a s", positive=True)
    log_density = -(x - a * x0) ** 2 / (2 * s**2) - sympy.log(sympy.sqrt(2 * sympy.pi) * s)
    grad = sympy.lambdify((x, x0, a, s), sympy.diff(log_density, x))
    rng = np.random.default_rng(4)
    x0v, zv = rng.normal(size=50), rng.normal(size=50)
    for t in (0.01, 0.3, 1.0):
        av, sv = vp_marginal(t)
        xt = av * x0v + sv * zv
        got = conditional_score(xt, x0v, av, sv)
        np.testing.assert_allclose(got, grad(xt, x0v, av, sv), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(got, -zv / sv, rtol=1e-10, atol=1e-10)  # -z / std
# --8<-- [end:test_denoising_target]


# --8<-- [start:test_score_matching]
@pytest.mark.formula("eq-score-matching")
@settings(max_examples=25, deadline=None)
@given(t=st.floats(0.01, 1.0), x=st.floats(-5.0, 5.0))
def test_conditional_scores_average_to_the_marginal_score(t, x):
    # E[grad log p(x_t | x_0) | x_t = x] = grad log p_t(x): the minimiser of the loss.
    # Gaussian data: x_0 | x_t is Gaussian with the regression mean below.
    a, s = vp_marginal(t)
    m, v = gauss_marginal(t)
    post_mean = MU0 + a * S0**2 / v * (x - m)  # E[x_0 | x_t = x]
    assert conditional_score(x, post_mean, a, s) == pytest.approx(
        gauss_score(x, t), rel=1e-9, abs=1e-9)
# --8<-- [end:test_score_matching]


@pytest.mark.formula("eq-score-matching")
def test_loss_excess_is_the_explicit_score_error():
    # DSM(s) - DSM(s*) = E[std^2 (s - s*)^2] for the true marginal score s*; a constant
    # shift c gives c^2 E[std^2]. Per-sample differences give the standard error.
    rng = np.random.default_rng(5)
    x0 = MU0 + S0 * rng.standard_normal(N_SAMPLES)
    t = rng.uniform(0.01, 1.0, N_SAMPLES)
    z = rng.standard_normal(N_SAMPLES)
    a, s = vp_marginal(t)
    xt = a * x0 + s * z
    v = a * a * S0**2 + s * s

    def true_score(x, u):
        au, su = vp_marginal(u)
        return -(x - au * MU0) / (au * au * S0**2 + su * su)

    c = 0.7
    best = dsm_loss(true_score, x0, t, z)
    shifted = dsm_loss(lambda x, u: true_score(x, u) + c, x0, t, z)
    per_sample = s**2 * ((-(xt - a * MU0) / v + c + z / s) ** 2
                         - (-(xt - a * MU0) / v + z / s) ** 2)
    assert shifted - best == pytest.approx(per_sample.mean(), rel=1e-9)
    se = per_sample.std(ddof=1) / math.sqrt(N_SAMPLES)
    assert abs(per_sample.mean() - c * c * np.mean(s**2)) <= Z * se
    assert best == pytest.approx(np.mean((s * (-(xt - a * MU0) / v) + z) ** 2), rel=1e-12)


# --8<-- [start:test_mixture_score]
@pytest.mark.formula("eq-mixture-score")
def test_mixture_marginal_density_score_and_fokker_planck():
    w, mu, sd = [0.3, 0.7], [-2.0, 1.5], [0.4, 0.6]
    x = np.linspace(-6, 6, 241)
    for t in (0.0, 0.2, 0.6):
        a, s = vp_marginal(t)
        pdf, score = mixture_marginal(x, a, s, w, mu, sd)
        direct = sum(wk * stats.norm.pdf(x, a * mk, math.sqrt(a * a * sk * sk + s * s))
                     for wk, mk, sk in zip(w, mu, sd))
        np.testing.assert_allclose(pdf, direct, rtol=1e-12)
        h = 1e-5  # central difference of log p: error ~ h^2, rounding ~ 1e-16 / h
        up, _ = mixture_marginal(x + h, a, s, w, mu, sd)
        down, _ = mixture_marginal(x - h, a, s, w, mu, sd)
        np.testing.assert_allclose(score, (np.log(up) - np.log(down)) / (2 * h),
                                   atol=1e-7)
    # Fokker-Planck of the VP-SDE: dp/dt = d/dx (beta x p / 2) + beta / 2 d^2p/dx^2
    t, h, k = 0.3, 1e-4, 1e-3
    p = {dt: mixture_marginal(x, *vp_marginal(t + dt), w, mu, sd)[0] for dt in (-h, h)}
    dpdt = (p[h] - p[-h]) / (2 * h)
    beta = vp_beta(t)
    q = {dx: mixture_marginal(x + dx, *vp_marginal(t), w, mu, sd)[0] for dx in (-k, 0, k)}
    flux = ((x + k) * q[k] - (x - k) * q[-k]) / (2 * k)
    lap = (q[k] - 2 * q[0] + q[-k]) / k**2
    np.testing.assert_allclose(dpdt, beta / 2 * flux + beta / 2 * lap, atol=1e-5)
# --8<-- [end:test_mixture_score]


def reverse_moments(n_steps, flow):
    """Exact mean and variance after the Euler steps of the reverse SDE (flow=False) or
    the probability-flow ODE (flow=True) with the Gaussian score, from the exact p_1.
    One step is affine: x' = c x + d (+ noise of variance beta dt for the SDE)."""
    dt = 1 / n_steps
    mean, var = gauss_marginal(1.0)
    for k in range(n_steps, 0, -1):
        t = k * dt
        beta = 0.1 + t * 19.9
        m, v = gauss_marginal(t)
        lam = 0.5 if flow else 1.0  # the factor of g^2 score in the drift
        c = 1 + beta * dt / 2 - lam * beta * dt / v
        d = lam * beta * dt * m / v
        mean, var = c * mean + d, c * c * var + (0.0 if flow else beta * dt)
    return mean, var


# --8<-- [start:test_reverse_sde]
@pytest.mark.formula("eq-reverse-sde")
def test_reverse_sde_with_the_exact_score_reproduces_the_data():
    n_steps = 200
    rng = np.random.default_rng(6)
    m1, v1 = gauss_marginal(1.0)
    x1 = m1 + math.sqrt(v1) * rng.standard_normal(N_SAMPLES)
    x = reverse_sde_sample(x1, vp_sde, gauss_score, n_steps, rng)
    mean, var = reverse_moments(n_steps, flow=False)  # Euler-Maruyama's own moments
    assert abs(mean - MU0) < 0.02 and abs(var - S0**2) < 0.02  # bias O(dt)
    moment_bounds(x, MU0, S0**2, mean - MU0, var - S0**2)
    # without the score term the chain only undoes the drift: far from the data
    x_bad = reverse_sde_sample(x1[:1000], vp_sde, lambda y, t: 0.0 * y, n_steps, rng)
    assert x_bad.var() > 100
# --8<-- [end:test_reverse_sde]


# --8<-- [start:test_probability_flow]
@pytest.mark.formula("eq-probability-flow")
def test_probability_flow_with_the_exact_score_reproduces_the_data():
    n_steps = 200
    rng = np.random.default_rng(7)
    m1, v1 = gauss_marginal(1.0)
    x1 = m1 + math.sqrt(v1) * rng.standard_normal(N_SAMPLES)
    x = probability_flow_sample(x1, vp_sde, gauss_score, n_steps)
    mean, var = reverse_moments(n_steps, flow=True)
    assert abs(mean - MU0) < 0.02 and abs(var - S0**2) < 0.02
    moment_bounds(x, MU0, S0**2, mean - MU0, var - S0**2)
    # deterministic: the exact flow is the affine map x1 -> MU0 + S0 (x1 - m1) / sqrt(v1)
    exact = MU0 + S0 * (x1 - m1) / math.sqrt(v1)
    assert np.max(np.abs(x - exact)) < 0.05
    finer = probability_flow_sample(x1, vp_sde, gauss_score, 4 * n_steps)
    assert np.max(np.abs(finer - exact)) < np.max(np.abs(x - exact)) / 3
# --8<-- [end:test_probability_flow]


@pytest.mark.formula("eq-probability-flow")
@pytest.mark.parametrize("t0", [0.1, 0.3, 0.6])
def test_probability_flow_keeps_the_marginal_at_every_time(t0):
    # run the flow from t = 1 down to t0 only: on tau in [0, 1], t = t0 + tau (1 - t0), so
    # drift and diffusion pick up the factors (1 - t0) and sqrt(1 - t0)
    def sde(x, tau):
        drift, diffusion = vp_sde(x, t0 + tau * (1 - t0))
        return (1 - t0) * drift, math.sqrt(1 - t0) * diffusion

    def score(x, tau):
        return gauss_score(x, t0 + tau * (1 - t0))

    m1, v1 = gauss_marginal(1.0)
    mean_t0, var_t0 = gauss_marginal(t0)
    # with the exact (affine) score the flow is affine, so two points give its exact image of
    # p_1's mean and variance; Euler's error must shrink with the step count
    errors = []
    for n_steps in (100, 400):
        lo, hi = probability_flow_sample(np.array([m1, m1 + math.sqrt(v1)]), sde, score, n_steps)
        errors.append(max(abs(lo - mean_t0), abs((hi - lo) ** 2 - var_t0)))
    assert errors[1] < 2e-2 and errors[1] < errors[0] / 3


@pytest.mark.formula("eq-reverse-sde")
def test_the_three_step_rules_by_hand():
    # two steps of each scheme written out, t = 1 then t = 1/2 (dt = 1/2), VP-SDE
    def beta(t):
        return 0.1 + 19.9 * t

    x = np.array([0.3, -1.2])
    z = np.random.default_rng(8).standard_normal((2, 2))
    fwd = euler_maruyama(x, vp_sde, 2, np.random.default_rng(8))
    y1 = x - beta(0) / 2 * x * 0.5 + math.sqrt(beta(0)) * math.sqrt(0.5) * z[0]
    y2 = y1 - beta(0.5) / 2 * y1 * 0.5 + math.sqrt(beta(0.5)) * math.sqrt(0.5) * z[1]
    np.testing.assert_allclose(fwd, [x, y1, y2], rtol=1e-12)
    rev = reverse_sde_sample(x, vp_sde, gauss_score, 2, np.random.default_rng(8))
    ode = probability_flow_sample(x, vp_sde, gauss_score, 2)
    r, o = x, x
    for t, zk in ((1.0, z[0]), (0.5, z[1])):
        r = (r - (-beta(t) / 2 * r - beta(t) * gauss_score(r, t)) * 0.5
             + math.sqrt(beta(t) * 0.5) * zk)
        o = o - (-beta(t) / 2 * o - beta(t) / 2 * gauss_score(o, t)) * 0.5
    np.testing.assert_allclose(rev, r, rtol=1e-12)
    np.testing.assert_allclose(ode, o, rtol=1e-12)


@pytest.mark.formula("eq-mixture-score")
def test_mixture_score_far_in_the_tails():
    # at x = 40 every density underflows; the score must still be the posterior-weighted
    # component score, with the weights from scipy's softmax of the log terms
    rho, mu, tau = np.array([0.3, 0.7]), np.array([-2.0, 1.5]), np.array([0.4, 0.6])
    x = np.array([0.0, 40.0, -35.0])
    a, s = vp_marginal(0.01)
    m, v = a * mu, a * a * tau**2 + s * s
    log_terms = np.log(rho) - 0.5 * (x[:, None] - m) ** 2 / v - 0.5 * np.log(2 * np.pi * v)
    xi = special.softmax(log_terms, axis=1)
    _, score = mixture_marginal(x, a, s, rho, mu, tau)
    np.testing.assert_allclose(score, (xi * (-(x[:, None] - m) / v)).sum(1), rtol=1e-12)


@pytest.mark.formula("eq-score-matching")
def test_dsm_loss_by_hand_with_another_schedule():
    x0, t, z = np.array([0.5, -1.0]), np.array([0.3, 0.8]), np.array([1.2, -0.4])
    b = 1.0 * t + 0.5 * (5.0 - 1.0) * t**2
    a, s = np.exp(-b / 2), np.sqrt(1 - np.exp(-b))
    xt = a * x0 + s * z
    expected = np.mean((s * (-xt) + z) ** 2)  # the score h(x, t) = -x
    assert dsm_loss(lambda x, u: -x, x0, t, z, 1.0, 5.0) == pytest.approx(expected, rel=1e-12)


def test_bad_inputs_name_the_argument():
    for call in (lambda: vp_beta(2.0), lambda: ve_sde(0.0, 2.0), lambda: ve_marginal(2.0),
                 lambda: dsm_loss(gauss_score, np.zeros(1), np.full(1, 2.0), np.zeros(1))):
        with pytest.raises(ValueError, match="^t must lie"):
            call()
    for call in (lambda: ddpm_alpha_bar(100, 2.0, 1.0), lambda: vp_marginal(0.5, 2.0, 1.0)):
        with pytest.raises(ValueError, match="^beta_max must be >= beta_min"):
            call()
    with pytest.raises(ValueError, match="^beta_min must be > 0"):
        ddpm_alpha_bar(100, 0.0, 1.0)
    with pytest.raises(ValueError, match="^sigma_max must be >= sigma_min"):
        ve_sde(0.0, 0.5, 1.0, 0.5)
    with pytest.raises(ValueError, match="^n_steps must be an integer >= 1"):
        linear_moments(lambda s: 0.0, lambda s: 1.0, 0.0, 0.0, 0.5, 0)
    with pytest.raises(ValueError, match="^weights, means and stds must be 1-D of one length$"):
        mixture_marginal(0.0, 1.0, 0.1, [[0.5, 0.5]], [[0.0, 1.0]], [[1.0, 1.0]])
    a_ve, _ = ve_marginal(np.array([0.1, 0.2]))
    assert a_ve.shape == (2,) and a_ve.dtype == float
    assert mixture_marginal(0.0, 1.0, 0.1, [1.0, 0.0], [0.0, 1.0], [1.0, 1.0])[0] > 0
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="t must lie"):
        vp_marginal(1.5)
    with pytest.raises(ValueError, match="t must lie"):
        vp_marginal(-0.1)
    with pytest.raises(ValueError, match="t must lie"):
        vp_marginal(float("nan"))
    with pytest.raises(ValueError, match="beta_min must be > 0"):
        vp_marginal(0.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="beta_max must be >= beta_min"):
        vp_beta(0.5, 2.0, 1.0)
    assert vp_marginal(0.5, 2.0, 2.0)[0] == pytest.approx(math.exp(-0.5))
    with pytest.raises(ValueError, match="sigma_max must be >= sigma_min"):
        ve_marginal(0.5, 1.0, 0.5)
    with pytest.raises(ValueError, match="sigma_min must be > 0"):
        ve_sde(0.0, 0.5, 0.0)
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        euler_maruyama([0.0], vp_sde, 0, rng)
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        reverse_sde_sample([0.0], vp_sde, gauss_score, 2.0, rng)
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        probability_flow_sample([0.0], vp_sde, gauss_score, True)
    assert probability_flow_sample([0.0], vp_sde, gauss_score, 1).shape == (1,)
    with pytest.raises(ValueError, match="n_steps must be an integer >= 2"):
        ddpm_alpha_bar(1)
    with pytest.raises(ValueError, match="n_steps must exceed beta_max"):
        ddpm_alpha_bar(20)
    assert ddpm_alpha_bar(21).shape == (21,)
    with pytest.raises(ValueError, match="v0 must be >= 0"):
        linear_moments(lambda s: 0.0, lambda s: 1.0, 0.0, -1.0, 0.5)
    assert linear_moments(lambda s: 0.0, lambda s: 1.0, 0.0, 0.0, 0.5, 1) == (0.0, 0.5)
    # the documented default is 1000 RK4 steps (bit for bit the same as asking for 1000)
    f_sin, g_one = (lambda u: math.sin(5 * u)), (lambda u: 1.0 + u)
    assert (linear_moments(f_sin, g_one, 1.0, 0.5, 0.9)
            == linear_moments(f_sin, g_one, 1.0, 0.5, 0.9, 1000))
    assert (linear_moments(f_sin, g_one, 1.0, 0.5, 0.9)
            != linear_moments(f_sin, g_one, 1.0, 0.5, 0.9, 1001))
    with pytest.raises(ValueError, match="t must lie"):
        linear_moments(lambda s: 0.0, lambda s: 1.0, 0.0, 0.0, 2.0)
    with pytest.raises(ValueError, match="std must be > 0"):
        conditional_score(0.0, 0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="x0, t and z must have one shape"):
        dsm_loss(gauss_score, np.zeros(3), np.full(2, 0.5), np.zeros(3))
    with pytest.raises(ValueError, match="weights must be >= 0 and sum to 1"):
        mixture_marginal(0.0, 1.0, 0.1, [0.5, 0.6], [0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="weights must be >= 0 and sum to 1"):
        mixture_marginal(0.0, 1.0, 0.1, [1.5, -0.5], [0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="weights, means and stds must be 1-D"):
        mixture_marginal(0.0, 1.0, 0.1, [1.0], [0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="weights, means and stds must be 1-D"):
        mixture_marginal(0.0, 1.0, 0.1, [0.5, 0.5], [0.0, 1.0], [1.0])
