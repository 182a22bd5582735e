"""Checks of vision/sd3: every key equation against something independent.

Independent references used here: torch autograd for the time derivatives of the paths;
scipy quadrature of the posterior of x_0 (the marginal velocity) and of the densities;
scipy's root finder for the inverse of f_mode; the Gaussian score of the marginal p_t;
the explicit product form of the Euler map and the textbook bound on Euler's global
error; torch's rms_norm and scaled_dot_product_attention; the algebraic form of the shift
used by the FLUX code; Monte Carlo with a fixed seed and bounds of a few standard errors
computed in the test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.lazy import lazy_import
from snippets.vision.sd3 import (
    MODE_SCALE_MAX,
    conditional_velocity,
    constant_image_uncertainty,
    euler_sample,
    gaussian_velocity,
    joint_attention,
    log_snr,
    logit_normal_pdf,
    loss_weight,
    mode_map,
    mode_pdf,
    noise_from_velocity,
    path_coefficients,
    qk_norm_logits,
    rf_interpolant,
    rms_norm,
    sample_logit_normal,
    sample_mode,
    shift_timestep,
)

# imported when first used (checks/lazy.py): most runs of other checks do not need them
integrate = lazy_import("scipy.integrate")
optimize = lazy_import("scipy.optimize")
stats = lazy_import("scipy.stats")

Z = 4.5  # standard errors allowed in every Monte Carlo bound
F64 = torch.float64


def npdf(x, mean, std):
    """The normal density written out (scipy's is slow on scalars inside quad)."""
    return math.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def torch_path(t, kind):
    """a_t, b_t written in torch, for autograd."""
    if kind == "rf":
        return 1 - t, t
    return torch.cos(math.pi * t / 2), torch.sin(math.pi * t / 2)


def bin_probabilities_within_se(samples, pdf, edges):
    """Every bin's sample frequency within Z standard errors of the pdf's mass (quad)."""
    n = samples.size
    counts, _ = np.histogram(samples, bins=edges)
    for lo, hi, count in zip(edges[:-1], edges[1:], counts):
        p, _ = integrate.quad(pdf, lo, hi, epsabs=1e-12)
        se = math.sqrt(p * (1 - p) / n)
        assert abs(count / n - p) <= Z * se + 1e-12, (lo, hi, count / n, p)


# --8<-- [start:test_rectified_flow]
@pytest.mark.formula("eq-rectified-flow")
def test_interpolant_ends_and_its_time_derivative_is_the_target():
    rng = np.random.default_rng(0)
    x0, z = rng.standard_normal((2, 5, 3))
    x_start, _ = rf_interpolant(x0, z, 0.0)
    x_end, _ = rf_interpolant(x0, z, 1.0)
    np.testing.assert_array_equal(x_start, x0)
    np.testing.assert_array_equal(x_end, z)
    for t in (0.1, 0.5, 0.9):  # central difference of x_t in t; exact for a straight line
        h = 1e-4
        ahead, target = rf_interpolant(x0, z, t + h)
        behind, _ = rf_interpolant(x0, z, t - h)
        np.testing.assert_allclose((ahead - behind) / (2 * h), z - x0, atol=1e-9)
        np.testing.assert_allclose(target, z - x0, atol=0)
        mid, _ = rf_interpolant(x0, z, t)
        np.testing.assert_allclose(mid, x0 + t * (z - x0), atol=1e-14)
# --8<-- [end:test_rectified_flow]


@pytest.mark.formula("eq-rectified-flow")
def test_interpolant_broadcasts_one_time_per_sample():
    x0, z = np.array([1.0, 2.0]), np.array([-1.0, 0.0])
    x_t, _ = rf_interpolant(x0, z, np.array([0.25, 0.75]))
    np.testing.assert_allclose(x_t, [0.75 * 1 + 0.25 * -1, 0.25 * 2], atol=1e-15)


# --8<-- [start:test_log_snr]
@pytest.mark.formula("eq-log-snr")
@pytest.mark.parametrize("kind", ["rf", "cosine"])
def test_coefficients_log_snr_and_conditional_velocity_against_autograd(kind):
    t_np = np.array([0.05, 0.3, 0.5, 0.77, 0.95])
    t = torch.tensor(t_np, dtype=F64, requires_grad=True)
    a, b = torch_path(t, kind)
    lam = torch.log(a**2 / b**2)
    da, = torch.autograd.grad(a.sum(), t, retain_graph=True)
    db, = torch.autograd.grad(b.sum(), t, retain_graph=True)
    dlam, = torch.autograd.grad(lam.sum(), t)
    got = path_coefficients(t_np, kind)
    for mine, ref in zip(got, (a, b, da, db)):
        np.testing.assert_allclose(mine, ref.detach().numpy(), atol=1e-12)
    lam_np, dlam_np = log_snr(t_np, kind)
    np.testing.assert_allclose(lam_np, lam.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dlam_np, dlam.numpy(), rtol=1e-12)
    # u_t(x | z) = a'/a x - (b/2) lambda' z is the derivative a' x_0 + b' z of the path
    rng = np.random.default_rng(1)
    x0, z = rng.standard_normal((2, t_np.size))
    x_t = got[0] * x0 + got[1] * z
    np.testing.assert_allclose(conditional_velocity(x_t, z, t_np, kind),
                               got[2] * x0 + got[3] * z, atol=1e-12)
# --8<-- [end:test_log_snr]


@pytest.mark.formula("eq-log-snr")
def test_log_snr_closed_forms_and_monotone_decrease():
    t = np.linspace(0.01, 0.99, 99)
    np.testing.assert_allclose(log_snr(t)[0], 2 * np.log((1 - t) / t), atol=1e-12)
    np.testing.assert_allclose(log_snr(t)[1], -2 / (t * (1 - t)), rtol=1e-12)
    np.testing.assert_allclose(log_snr(t, "cosine")[0],
                               2 * np.log(1 / np.tan(np.pi * t / 2)), atol=1e-12)
    np.testing.assert_allclose(log_snr(t, "cosine")[1], -2 * np.pi / np.sin(np.pi * t),
                               rtol=1e-12)
    for kind in ("rf", "cosine"):
        lam = log_snr(t, kind)[0]
        assert np.all(np.diff(lam) < 0)  # the SNR falls from data to noise
        assert log_snr(0.5, kind)[0] == pytest.approx(0.0, abs=1e-14)  # a = b at t = 1/2
    rng = np.random.default_rng(15)
    x0, z = rng.standard_normal((2, 99))
    x_t_rf = (1 - t) * x0 + t * z  # the straight path: u_t(x | z) is z - x_0
    np.testing.assert_allclose(conditional_velocity(x_t_rf, z, t), z - x0, atol=1e-11)
    for kind in ("rf", "cosine"):  # every coefficient has the shape of t
        assert all(np.shape(c) == (99,) for c in path_coefficients(t, kind))
    a, b, _, _ = path_coefficients(np.array([0.0, 1.0]), "cosine")
    np.testing.assert_allclose(a, [1, 0], atol=1e-15)
    np.testing.assert_allclose(b, [0, 1], atol=1e-15)


# --8<-- [start:test_loss_weight]
@pytest.mark.formula("eq-loss-weight")
@pytest.mark.parametrize("kind", ["rf", "cosine"])
def test_velocity_loss_is_the_weighted_noise_loss(kind):
    # for any prediction v: ||v - u_t(x | z)||^2 = -(1/2) w_t lambda'_t ||z_hat - z||^2
    rng = np.random.default_rng(2)
    t = rng.uniform(0.02, 0.98, size=200)
    x0, z, v = rng.standard_normal((3, 200))
    a, b, _, _ = path_coefficients(t, kind)
    x_t = a * x0 + b * z
    lhs = (v - conditional_velocity(x_t, z, t, kind)) ** 2
    z_hat = noise_from_velocity(v, x_t, t, kind)
    rhs = -0.5 * loss_weight(t, kind) * log_snr(t, kind)[1] * (z_hat - z) ** 2
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9)
    # the exact velocity predicts the exact noise
    np.testing.assert_allclose(
        noise_from_velocity(conditional_velocity(x_t, z, t, kind), x_t, t, kind), z,
        atol=1e-9)
# --8<-- [end:test_loss_weight]


@pytest.mark.formula("eq-loss-weight")
def test_weights_of_the_two_paths_in_closed_form():
    t = np.linspace(0.01, 0.99, 99)
    np.testing.assert_allclose(loss_weight(t), t / (1 - t), rtol=1e-12)  # w_t^RF
    # cosine: lambda' = -2 pi / sin(pi t), b^2 = sin^2(pi t / 2), so w = (pi/2) tan(pi t / 2)
    np.testing.assert_allclose(loss_weight(t, "cosine"), np.pi / 2 * np.tan(np.pi * t / 2),
                               rtol=1e-12)


@pytest.mark.formula("eq-loss-weight")
def test_sampling_t_from_pi_is_the_weight_t_over_1_minus_t_times_pi():
    # E_{t ~ pi}[w_RF(t) l(t)] = int_0^1 w^pi(t) l(t) dt, w^pi = t / (1 - t) pi(t)
    def ell(t):  # a loss curve, bounded on [0, 1]
        return (1 - t) ** 2 * (1 + np.sin(3 * t))

    n = 200_000
    t = sample_logit_normal(n, 0.0, 1.0, np.random.default_rng(3))
    values = loss_weight(t) * ell(t)
    exact, _ = integrate.quad(lambda s: s / (1 - s) * logit_normal_pdf(s) * ell(s), 0, 1,
                              epsabs=1e-12)
    assert abs(values.mean() - exact) <= Z * values.std(ddof=1) / math.sqrt(n)


# --8<-- [start:test_gaussian_velocity]
@pytest.mark.formula("eq-gaussian-velocity")
def test_marginal_velocity_is_the_posterior_mean_of_the_target():
    # E[z - x_0 | x_t = x] by quadrature over x_0 of the posterior p(x_0) p(x | x_0) / p_t(x)
    for mean, std in ((2.0, 0.5), (-1.0, 1.7)):
        for t in (0.1, 0.5, 0.9):
            for x in (-1.0, 0.3, 2.5):
                def joint(x0, g=lambda x0: 1.0):
                    lik = npdf(x, (1 - t) * x0, t)
                    return g(x0) * npdf(x0, mean, std) * lik

                lo, hi = mean - 12 * std, mean + 12 * std
                norm, _ = integrate.quad(joint, lo, hi, epsabs=1e-14, limit=200)
                top, _ = integrate.quad(lambda x0: joint(x0, lambda y: (x - (1 - t) * y) / t
                                                          - y), lo, hi,
                                        epsabs=1e-14, limit=200)
                assert gaussian_velocity(x, t, mean, std) == pytest.approx(top / norm,
                                                                           abs=1e-8)
# --8<-- [end:test_gaussian_velocity]


@pytest.mark.formula("eq-gaussian-velocity")
def test_marginal_velocity_against_monte_carlo_in_a_window():
    # E[z - x_0 | x_t] is affine in x_t, so the mean target over a window of x_t equals u_t
    # at the window's mean x_t exactly; the bound is Z standard errors of that mean
    rng = np.random.default_rng(4)
    n, mean, std = 400_000, 2.0, 0.5
    x0 = mean + std * rng.standard_normal(n)
    z = rng.standard_normal(n)
    for t, centre in ((0.3, 1.2), (0.7, 0.2)):
        x_t = (1 - t) * x0 + t * z
        inside = np.abs(x_t - centre) < 0.05
        target = (z - x0)[inside]
        pred = gaussian_velocity(x_t[inside].mean(), t, mean, std)
        assert abs(target.mean() - pred) <= Z * target.std(ddof=1) / math.sqrt(inside.sum())


@pytest.mark.formula("eq-gaussian-velocity")
def test_marginal_velocity_from_the_score_and_in_several_coordinates():
    # u_t(x) = (a'/a) x + (b^2 lambda' / 2) grad log p_t(x), p_t = N((1-t) mu, (1-t)^2 s^2 + t^2)
    mean, std = np.array([2.0, -1.0, 0.0]), np.array([0.5, 1.7, 1.0])
    x = np.array([0.4, 1.1, -2.0])
    for t in (0.2, 0.6):
        a, b, da, _ = path_coefficients(t)
        dlam = log_snr(t)[1]
        var_t = (1 - t) ** 2 * std**2 + t**2
        score = -(x - (1 - t) * mean) / var_t
        np.testing.assert_allclose(gaussian_velocity(x, t, mean, std),
                                   da / a * x + 0.5 * b**2 * dlam * score, atol=1e-12)
    # the exact path x(t) = (1-t) mu + s_t zeta solves dx/dt = u_t(x), so the flow from
    # x_1 = zeta ~ N(0, 1) has the law N((1-t) mu, s_t^2) of x_t at every t (the marginals)
    for t in (0.2, 0.5, 0.8):
        h = 1e-5
        path = [(1 - s) * mean + np.sqrt((1 - s) ** 2 * std**2 + s**2) * 0.7
                for s in (t - h, t, t + h)]
        np.testing.assert_allclose((path[2] - path[0]) / (2 * h),
                                   gaussian_velocity(path[1], t, mean, std), atol=1e-8)
    # at t = 0 and t = 1 the posterior is a point: u_0(x) = E[z] - x = -x, u_1(x) = x - E[x_0]
    np.testing.assert_allclose(gaussian_velocity(x, 0.0, mean, std), -x, atol=1e-15)
    np.testing.assert_allclose(gaussian_velocity(x, 1.0, mean, std), x - mean, atol=1e-15)


def euler_gain(n_steps, std, shift=1.0):
    """The Euler map x_0 = A x_1 + mean: A = prod_k (1 - h_k kappa(t_k)), written out."""
    grid = shift_timestep(np.arange(n_steps + 1) / n_steps, shift)
    gain = 1.0
    for k in range(n_steps, 0, -1):
        t = grid[k]
        kappa = (t - (1 - t) * std**2) / ((1 - t) ** 2 * std**2 + t**2)
        gain *= 1 - (grid[k] - grid[k - 1]) * kappa
    return gain


# --8<-- [start:test_euler_sampler]
@pytest.mark.formula("eq-euler-sampler")
def test_euler_sampler_reproduces_the_data_mean_and_variance():
    mean, std, n = 2.0, 0.5, 20_000

    def field(x, t):
        return gaussian_velocity(x, t, mean, std)

    x1 = np.random.default_rng(5).standard_normal(n)
    for n_steps in (8, 64, 512):
        gain = euler_gain(n_steps, std)
        # the field is affine in x, so Euler maps x_1 to gain * x_1 + mean exactly:
        # the mean is reproduced for every step count, the spread with an error in gain
        x = euler_sample(x1, field, n_steps)
        np.testing.assert_allclose(x, gain * x1 + mean, atol=1e-10)
        assert abs(x.mean() - mean) <= Z * gain / math.sqrt(n)
        se_var = gain**2 * math.sqrt(2 / (n - 1))  # Gaussian sample: Var s^2 = 2 v^2/(n-1)
        bias = gain**2 - std**2  # Euler's own variance minus the data's
        assert abs(x.var(ddof=1) - std**2) <= Z * se_var + abs(bias)
    assert abs(euler_gain(512, std) - std) < 2e-3
# --8<-- [end:test_euler_sampler]


@pytest.mark.formula("eq-euler-sampler")
def test_euler_error_within_the_global_error_bound_and_first_order():
    # |x_N - x(0)| <= h M / (2 L) (e^L - 1) on [0, 1] (L: Lipschitz constant of u in x,
    # M: bound of |x''|). The exact path from x_1 = 1 is x(t) = (1-t) mean + s_t, with
    # s_t^2 = (1-t)^2 std^2 + t^2, so x'' = s''; L = max |kappa|. Grid maxima, 10^5 points.
    mean, std = 2.0, 0.5
    t = np.linspace(0, 1, 100_001)
    big_s = (1 - t) ** 2 * std**2 + t**2
    d1 = t - (1 - t) * std**2  # S' / 2
    s2 = ((1 + std**2) * big_s - d1**2) / big_s**1.5  # s'' = (S''/2 S - (S'/2)^2) / S^1.5
    lip, m2 = np.max(np.abs(d1 / big_s)), np.max(np.abs(s2))
    errors = []
    for n_steps in (4, 16, 64, 256, 512):
        x = euler_sample(np.array([0.0, 1.0]), lambda y, s: gaussian_velocity(y, s, mean, std),
                         n_steps)
        assert x[0] == pytest.approx(mean, abs=1e-12)  # straight solution: Euler is exact
        error = abs(x[1] - (mean + std))
        assert error <= m2 / (2 * lip) * (math.exp(lip) - 1) / n_steps
        errors.append(error)
    assert 1.9 < errors[3] / errors[4] < 2.1  # first order: doubling N halves the error


@pytest.mark.formula("eq-euler-sampler")
def test_euler_on_a_shifted_grid_and_in_several_coordinates():
    mean, std = np.array([2.0, -1.0]), np.array([0.5, 1.5])
    x1 = np.random.default_rng(6).standard_normal((1000, 2))
    field = lambda y, s: gaussian_velocity(y, s, mean, std)  # noqa: E731
    for shift in (1.0, 3.0):
        x = euler_sample(x1, field, 50, shift=shift)
        gains = np.array([euler_gain(50, s, shift) for s in std])
        np.testing.assert_allclose(x, gains * x1 + mean, atol=1e-10)
        np.testing.assert_allclose(gains, std, rtol=0.06)
    assert euler_sample(np.array([0.7]), field, 1)[0] == pytest.approx(2.0)  # one step


# --8<-- [start:test_logit_normal]
@pytest.mark.formula("eq-logit-normal")
def test_logit_normal_density_integrates_to_one_and_matches_sampled_histograms():
    for loc, scale in ((0.0, 1.0), (1.0, 0.6), (-0.5, 1.5)):
        total, _ = integrate.quad(lambda s: logit_normal_pdf(s, loc, scale), 0, 1,
                                  epsabs=1e-13, limit=200)
        assert total == pytest.approx(1.0, abs=1e-9)
        samples = sample_logit_normal(100_000, loc, scale,
                                      np.random.default_rng(int(10 * scale)))
        bin_probabilities_within_se(samples, lambda s: logit_normal_pdf(s, loc, scale),
                                    np.linspace(1e-6, 1 - 1e-6, 21))
# --8<-- [end:test_logit_normal]


@pytest.mark.formula("eq-logit-normal")
def test_logit_normal_is_the_normal_density_changed_by_the_logit():
    t = np.linspace(0.01, 0.99, 50)
    np.testing.assert_allclose(logit_normal_pdf(t, 0.3, 0.8),
                               stats.norm.pdf(np.log(t / (1 - t)), 0.3, 0.8) / (t * (1 - t)),
                               rtol=1e-12)
    ends = logit_normal_pdf(np.array([1e-9, 1 - 1e-9]), 0.0, 1.0)
    assert np.all(ends < 1e-30)  # the density vanishes at both ends
    samples = sample_logit_normal(50_000, 1.0, 0.6, np.random.default_rng(7))
    median = 1 / (1 + math.exp(-1.0))  # the logistic map keeps the median of u
    assert abs(np.mean(samples < median) - 0.5) <= Z * 0.5 / math.sqrt(50_000)


# --8<-- [start:test_mode_sampling]
@pytest.mark.formula("eq-mode-sampling")
def test_mode_density_integrates_to_one_and_matches_sampled_histograms():
    for scale in (-0.8, 0.0, 1.29, 1.75):
        if scale < 1.5:  # at 1.75 the peak is about 1e-5 wide; the bins below still see it
            total, _ = integrate.quad(lambda s: mode_pdf(s, scale), 0, 1, epsabs=1e-10,
                                      limit=200, points=[0.5])
            assert total == pytest.approx(1.0, abs=1e-8)
        # bin masses from the CDF P(t <= x) = 1 - f_mode^{-1}(x), inverse by brentq
        edges = np.linspace(0, 1, 21)
        cdf = [1 - optimize.brentq(lambda u: mode_map(u, scale) - e, 0, 1, xtol=1e-15)
               for e in edges[1:-1]]
        mass = np.diff(np.concatenate([[0.0], cdf, [1.0]]))
        samples = sample_mode(100_000, scale, np.random.default_rng(8))
        counts, _ = np.histogram(samples, bins=edges)
        se = np.sqrt(mass * (1 - mass) / samples.size)
        assert np.all(np.abs(counts / samples.size - mass) <= Z * se)
        # strictly positive at the ends: pi_mode(0) = pi_mode(1) = 1 / (1 + scale)
        np.testing.assert_allclose(mode_pdf(np.array([0.0, 1.0]), scale), 1 / (1 + scale),
                                   rtol=1e-9)
    np.testing.assert_allclose(mode_pdf(np.linspace(0, 1, 11), 0.0), 1.0, atol=1e-12)
# --8<-- [end:test_mode_sampling]


@pytest.mark.formula("eq-mode-sampling")
def test_mode_map_is_monotone_exactly_on_the_stated_scale_range():
    u = np.linspace(0, 1, 20_001)
    for scale in np.linspace(-1.0, MODE_SCALE_MAX, 9):
        f = mode_map(u, scale)
        assert f[0] == pytest.approx(1.0, abs=1e-15) and f[-1] == pytest.approx(0, abs=1e-15)
        assert np.all(np.diff(f) < 0)
    for scale in (-1.05, MODE_SCALE_MAX + 0.05):  # just outside: no longer monotone
        f = 1 - u - scale * (np.cos(np.pi * u / 2) ** 2 - 1 + u)
        assert np.any(np.diff(f) > 0)


@pytest.mark.formula("eq-mode-sampling")
def test_mode_density_is_the_derivative_of_the_inverse_map():
    for scale in (-0.5, 1.29, 1.75):
        def inverse(t, s=scale):
            return optimize.brentq(lambda u: mode_map(u, s) - t, 0, 1, xtol=1e-15)

        for t in (0.1, 0.4, 0.8):
            h = 1e-5
            slope = abs(inverse(t + h) - inverse(t - h)) / (2 * h)
            assert mode_pdf(t, scale) == pytest.approx(slope, rel=1e-6)


# --8<-- [start:test_timestep_shift]
@pytest.mark.formula("eq-timestep-shift")
@settings(max_examples=40, deadline=None)
@given(t=st.floats(1e-3, 1 - 1e-3), m=st.integers(16, 16_384), n=st.integers(16, 16_384))
def test_shift_keeps_the_uncertainty_and_moves_the_log_snr_by_log_m_over_n(t, m, n):
    shift = math.sqrt(m / n)
    t_m = float(shift_timestep(t, shift))
    assert constant_image_uncertainty(t_m, m) == pytest.approx(
        constant_image_uncertainty(t, n), rel=1e-9)
    # the paper: lambda_{t_m} = lambda_{t_n} - 2 log alpha = lambda_{t_n} - log(m / n)
    if 1e-12 < t_m < 1 - 1e-12:
        assert log_snr(t_m)[0] == pytest.approx(log_snr(t)[0] - math.log(m / n), abs=1e-7)
    # the form of the FLUX code, e^mu / (e^mu + 1/t - 1) with e^mu = shift
    assert t_m == pytest.approx(shift / (shift + 1 / t - 1), rel=1e-12)
# --8<-- [end:test_timestep_shift]


@pytest.mark.formula("eq-timestep-shift")
def test_shift_fixes_the_ends_is_monotone_and_composes():
    t = np.linspace(0, 1, 1001)
    for shift in (0.3, 1.0, 1.5, 3.0, 10.0):
        s = shift_timestep(t, shift)
        assert s[0] == 0.0 and s[-1] == 1.0
        assert np.all(np.diff(s) > 0)
        assert np.all(s[1:-1] > t[1:-1]) if shift > 1 else True
        np.testing.assert_allclose(shift_timestep(s, 1 / shift), t, atol=1e-12)  # inverse
        np.testing.assert_allclose(shift_timestep(s, 2.0), shift_timestep(t, 2 * shift),
                                   atol=1e-12)  # shifts compose by multiplying
    np.testing.assert_array_equal(shift_timestep(t, 1.0), t)
    assert shift_timestep(0.5, 3.0) == pytest.approx(0.75)


@pytest.mark.formula("eq-timestep-shift")
def test_constant_image_uncertainty_against_monte_carlo():
    # c_hat = mean_i x_{t,i} / (1 - t) from a constant image c = 0.7 with n pixels
    rng = np.random.default_rng(9)
    reps = 4000
    for t, n in ((0.3, 64), (0.8, 256)):
        x_t = (1 - t) * 0.7 + t * rng.standard_normal((reps, n))
        c_hat = x_t.mean(axis=1) / (1 - t)
        sd = constant_image_uncertainty(t, n)
        assert abs(c_hat.mean() - 0.7) <= Z * sd / math.sqrt(reps)
        assert abs(c_hat.std(ddof=1) - sd) <= Z * sd / math.sqrt(2 * (reps - 1))


# --8<-- [start:test_qk_norm]
@pytest.mark.formula("eq-qk-norm")
@settings(max_examples=30, deadline=None)
@given(scale=st.floats(1e-3, 1e6), seed=st.integers(0, 10_000))
def test_normalised_logits_stay_within_the_bound_at_any_input_scale(scale, seed):
    rng = np.random.default_rng(seed)
    d = 16
    q, k = scale * rng.standard_normal((2, 7, d))
    g_q, g_k = rng.uniform(-2, 2, (2, d))
    logits = qk_norm_logits(q, k, g_q, g_k)
    bound = math.sqrt(d) * np.max(np.abs(g_q * g_k))
    assert np.max(np.abs(logits)) <= bound * (1 + 1e-12)
    # the plain logits q k^T / sqrt(d) grow with the square of the scale
    plain = q @ k.T / math.sqrt(d)
    assert np.max(np.abs(plain)) > bound or scale < 10
# --8<-- [end:test_qk_norm]


@pytest.mark.formula("eq-qk-norm")
def test_rms_norm_against_torch_and_the_bound_is_attained():
    rng = np.random.default_rng(10)
    x, gain = rng.standard_normal((5, 8)), rng.uniform(0.5, 2, 8)
    for eps in (0.0, 1e-6, 0.3):
        ref = torch.nn.functional.rms_norm(torch.tensor(x), (8,), torch.tensor(gain), eps)
        np.testing.assert_allclose(rms_norm(x, gain, eps), ref.numpy(), atol=1e-12)
    np.testing.assert_allclose(rms_norm(x), rms_norm(x, np.ones(8)), atol=0)
    # the defaults of the logits: no gain, xi = 1e-6
    qt, kt = torch.tensor(x[:3]), torch.tensor(x[3:])
    ref = (torch.nn.functional.rms_norm(qt, (8,), eps=1e-6)
           @ torch.nn.functional.rms_norm(kt, (8,), eps=1e-6).T / math.sqrt(8))
    np.testing.assert_allclose(qk_norm_logits(x[:3], x[3:]), ref.numpy(), atol=1e-12)
    # equality: q = k, no stabiliser, a constant gain g gives the logit sqrt(d) g^2
    q = rng.standard_normal((1, 8))
    logit = qk_norm_logits(q, q, np.full(8, 1.5), np.full(8, 1.5), eps=0.0)
    assert logit[0, 0] == pytest.approx(math.sqrt(8) * 1.5**2, rel=1e-12)
    assert rms_norm(x, eps=0.0)[0] @ rms_norm(x, eps=0.0)[0] == pytest.approx(8.0)


@pytest.mark.formula("eq-qk-norm")
def test_rms_norm_over_the_last_axis_of_any_rank():
    rng = np.random.default_rng(13)
    for shape in ((6,), (2, 3, 6)):
        x, gain = rng.standard_normal(shape), rng.uniform(0.5, 2, 6)
        ref = torch.nn.functional.rms_norm(torch.tensor(x), (6,), torch.tensor(gain), 1e-6)
        np.testing.assert_allclose(rms_norm(x, gain), ref.numpy(), atol=1e-12)
        np.testing.assert_allclose(rms_norm(x), ref.numpy() / gain, atol=1e-12)
    ints = np.array([[1, 2, 3, 4]])  # integer inputs give the float result
    np.testing.assert_allclose(rms_norm(ints, eps=0.0), ints / math.sqrt(7.5), atol=1e-15)


def torch_joint_attention(x, c, wx, wc, n_heads):
    """MM-DiT attention with torch's scaled_dot_product_attention on the joined sequence."""
    x, c = torch.tensor(x), torch.tensor(c)
    wx, wc = [torch.tensor(w) for w in wx], [torch.tensor(w) for w in wc]
    seq = [torch.cat([c @ wc[i], x @ wx[i]]) for i in range(3)]  # text first, then image
    length, dim = seq[0].shape
    q, k, v = (s.reshape(length, n_heads, dim // n_heads).transpose(0, 1) for s in seq)
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    out = out.transpose(0, 1).reshape(length, dim)
    n_c = c.shape[0]
    return (out[n_c:] @ wx[3]).numpy(), (out[:n_c] @ wc[3]).numpy()


# --8<-- [start:test_mm_dit]
@pytest.mark.formula("eq-mm-dit")
def test_joint_attention_is_one_attention_over_the_joined_sequence():
    rng = np.random.default_rng(11)
    dim, n_heads = 8, 2
    x, c = rng.standard_normal((6, dim)), rng.standard_normal((3, dim))
    wx, wc = rng.standard_normal((2, 4, dim, dim)) / math.sqrt(dim)
    got = joint_attention(x, c, wx, wc, n_heads)
    ref = torch_joint_attention(x, c, wx, wc, n_heads)
    for mine, theirs in zip(got, ref):
        np.testing.assert_allclose(mine, theirs, atol=1e-12)
    # one shared set of weights: DiT over the concatenated sequence, a special case
    shared = joint_attention(x, c, wx, wx, n_heads)
    whole = torch_joint_attention(np.concatenate([c, x]), np.zeros((0, dim)), wx, wx,
                                  n_heads)[0]
    np.testing.assert_allclose(np.concatenate([shared[1], shared[0]]), whole, atol=1e-12)
# --8<-- [end:test_mm_dit]


@pytest.mark.formula("eq-mm-dit")
def test_joint_attention_with_large_logits_and_rows_of_different_scale():
    # logits in the hundreds: the softmax must subtract each row's own maximum
    rng = np.random.default_rng(14)
    dim = 4
    x, c = 12 * rng.standard_normal((5, dim)), 12 * rng.standard_normal((3, dim))
    x[0] *= 0.01  # one query row with small logits beside rows with huge ones
    wx, wc = rng.standard_normal((2, 4, dim, dim))
    got = joint_attention(x, c, wx, wc, 2)
    ref = torch_joint_attention(x, c, wx, wc, 2)
    for mine, theirs in zip(got, ref):
        assert np.all(np.isfinite(mine))
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-9)


@pytest.mark.formula("eq-mm-dit")
def test_joint_attention_mixes_the_streams_in_both_directions():
    rng = np.random.default_rng(12)
    dim = 4
    x, c = rng.standard_normal((5, dim)), rng.standard_normal((2, dim))
    wx, wc = rng.standard_normal((2, 4, dim, dim))
    x_out, c_out = joint_attention(x, c, wx, wc, 1)
    x_out2, c_out2 = joint_attention(x, c + 1.0, wx, wc, 1)
    assert np.max(np.abs(x_out2 - x_out)) > 1e-3  # the image stream sees the text
    x_out3, c_out3 = joint_attention(x + 1.0, c, wx, wc, 1)
    assert np.max(np.abs(c_out3 - c_out)) > 1e-3  # and the text stream sees the image
    # one query, written out: softmax over all 7 keys of its scaled dot products
    q, keys, vals = x[0] @ wx[0], np.concatenate([c @ wc[1], x @ wx[1]]), \
        np.concatenate([c @ wc[2], x @ wx[2]])
    p = np.exp(keys @ q / 2.0)
    np.testing.assert_allclose(x_out[0], (p / p.sum()) @ vals @ wx[3], atol=1e-12)


def test_bad_inputs_name_the_argument():
    rng = np.random.default_rng(0)
    cases = [
        (lambda: rf_interpolant(np.zeros(2), np.zeros(3), 0.5), "^x0 and noise must have"),
        (lambda: rf_interpolant(0.0, 0.0, 1.5), "^t must lie in \\[0, 1\\]"),
        (lambda: rf_interpolant(0.0, 0.0, float("nan")), "^t must be finite"),
        (lambda: path_coefficients(0.5, "vp"), "^kind must be one of"),
        (lambda: log_snr(0.0), "^t must lie in \\(0, 1\\)"),
        (lambda: log_snr(1.0), "^t must lie in \\(0, 1\\)"),
        (lambda: gaussian_velocity(0.0, 0.5, 0.0, 0.0), "^std must be > 0"),
        (lambda: euler_sample(0.0, lambda x, t: x, 0), "^n_steps must be an integer >= 1"),
        (lambda: euler_sample(0.0, lambda x, t: x, True), "^n_steps must be an integer"),
        (lambda: logit_normal_pdf(0.5, 0.0, -1.0), "^scale must be > 0"),
        (lambda: sample_logit_normal(0, 0.0, 1.0, rng), "^n must be an integer >= 1"),
        (lambda: sample_logit_normal(5, 0.0, 0.0, rng), "^scale must be > 0"),
        (lambda: mode_pdf(0.5, 2.0), "^scale must lie in \\[-1, 2 / \\(pi - 2\\)\\]"),
        (lambda: sample_mode(5, -1.5, rng), "^scale must lie in"),
        (lambda: mode_map(1.5, 0.0), "^u must lie in"),
        (lambda: shift_timestep(0.5, 0.0), "^shift must be > 0"),
        (lambda: shift_timestep(-0.1, 3.0), "^t must lie in"),
        (lambda: constant_image_uncertainty(1.0, 4), "^t must be < 1"),
        (lambda: constant_image_uncertainty(0.5, 0), "^n_pixels must be > 0"),
        (lambda: rms_norm(np.ones(3), np.ones(2)), "^gain must have shape \\(3,\\)"),
        (lambda: rms_norm(np.ones(3), eps=-1.0), "^eps must be >= 0"),
        (lambda: qk_norm_logits(np.ones((2, 3)), np.ones((2, 4))), "^q and k must be"),
        (lambda: joint_attention(np.ones((2, 4)), np.ones((2, 3)), None, None, 1),
         "^x and c must be"),
        (lambda: joint_attention(np.ones((2, 4)), np.ones((2, 4)), None, None, 3),
         "^n_heads must divide D = 4"),
        (lambda: joint_attention(np.ones((2, 4)), np.ones((2, 4)), None, None, 0),
         "^n_heads must divide"),
    ]
    for call in (lambda: path_coefficients(1.5), lambda: gaussian_velocity(0.0, 1.5, 0.0, 1.0),
                 lambda: logit_normal_pdf(1.5), lambda: mode_pdf(1.5, 0.0),
                 lambda: constant_image_uncertainty(-0.5, 4), lambda: loss_weight(2.0),
                 lambda: conditional_velocity(0.0, 0.0, 2.0)):
        cases.append((call, "^t must lie in"))
    for call in (lambda: logit_normal_pdf(0.0), lambda: logit_normal_pdf(1.0),
                 lambda: loss_weight(0.0), lambda: noise_from_velocity(0.0, 0.0, 1.0)):
        cases.append((call, "^t must lie in \\(0, 1\\)"))
    for call in (lambda: sample_mode(0, 0.0, rng), lambda: sample_mode(2.5, 0.0, rng)):
        cases.append((call, "^n must be an integer >= 1"))
    cases += [
        (lambda: qk_norm_logits(np.ones(4), np.ones((2, 4))), "^q and k must be"),
        (lambda: qk_norm_logits(np.ones((2, 4)), np.ones(4)), "^q and k must be"),
        (lambda: qk_norm_logits(np.ones((2, 4, 1)), np.ones((2, 4))), "^q and k must be"),
        (lambda: joint_attention(np.ones(4), np.ones((2, 4)), None, None, 1),
         "^x and c must be"),
        (lambda: joint_attention(np.ones((2, 4)), np.ones(4), None, None, 1),
         "^x and c must be"),
        (lambda: joint_attention(np.ones((2, 4)), np.ones((2, 4, 1)), None, None, 1),
         "^x and c must be"),
        (lambda: gaussian_velocity(0.0, 0.5, 0.0, -1.0), "^std must be > 0"),
        (lambda: shift_timestep(0.5, -2.0), "^shift must be > 0"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    # the boundaries that are allowed
    assert mode_pdf(0.5, -1.0) > 0 and sample_mode(3, MODE_SCALE_MAX, rng).shape == (3,)
    assert shift_timestep(1.0, 3.0) == 1.0 and constant_image_uncertainty(0.0, 1) == 0.0
