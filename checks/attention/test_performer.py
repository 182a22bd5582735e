"""Checks of attention/performer: every key equation against something independent.

Independent references used here: expectations over ω ~ N(0, I_2) computed exactly by a
Gauss–Hermite product rule (no sampling noise); the features written out with math.exp
in plain loops; the probability that a cosine of a Gaussian is negative summed from the
normal CDF over the intervals where the cosine is negative; scipy's chi and normal
distributions (Kolmogorov–Smirnov statistics against their critical values); softmax
attention of the shared core and the paper's eq. (4) written out in NumPy. Monte Carlo
checks have a fixed seed, the sample size in the code and bounds of Z standard errors
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
from snippets.attention.linear_attention import kernel_attention, softmax_attention
from snippets.attention.performer import (
    favor_attention,
    favor_feature_map,
    gaussian_omega,
    orthogonal_mse_bound,
    orthogonal_omega,
    positive_random_features,
    positive_relative_error,
    positive_variance,
    trig_negative_probability,
    trig_random_features,
    trig_variance,
)

# imported when first used (checks/lazy.py): most runs of other checks do not need them
stats = lazy_import("scipy.stats")

Z = 4.5  # standard errors allowed in every Monte Carlo bound

# a pair with a moderate kernel value and one with a small one (angle 135 degrees)
X1, Y1 = np.array([0.5, -0.2, 0.3, 0.1]), np.array([0.3, 0.2, -0.4, 0.2])
X2 = np.array([0.9, 0.0, 0.0, 0.0])
Y2 = 0.9 * np.array([-math.sqrt(0.5), math.sqrt(0.5), 0.0, 0.0])


def estimates(features, x, y, omega):
    """φ(x)ᵀφ(y) for every leading draw of omega (..., m, d)."""
    return np.sum(features(x, omega) * features(y, omega), axis=-1)


def gauss_hermite_2d(n: int = 40):
    """Nodes ω (n², 2) and weights (n²,) with Σ w f(ω) = E f(ω), ω ~ N(0, I_2)."""
    t, w = np.polynomial.hermite.hermgauss(n)
    nodes = math.sqrt(2) * np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)
    weights = (np.outer(w, w) / math.pi).reshape(-1)
    return nodes, weights


def mean_within(samples, target):
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    assert abs(samples.mean() - target) <= Z * se, (samples.mean(), target, se)


def variance_within(samples, target):
    """Sample variance within Z standard errors of target; the standard error of the
    sample variance is sqrt((μ4 − σ⁴)/n), with μ4 the sample fourth central moment."""
    n = samples.size
    centred = samples - samples.mean()
    var = centred.var(ddof=1)
    se = math.sqrt((np.mean(centred**4) - var**2) / n)
    assert abs(var - target) <= Z * se, (var, target, se)


# --8<-- [start:test_positive_features]
@pytest.mark.formula("eq-positive-features")
def test_positive_features_are_unbiased_exactly_and_in_a_sample():
    # exact: one feature per Gauss-Hermite node (omega of shape (n², 1, 2)), weighted sum
    nodes, weights = gauss_hermite_2d()
    for x, y in (([0.7, -0.3], [0.2, 0.9]), ([1.1, 0.4], [-0.8, -0.6])):
        one_feature = estimates(positive_random_features, np.array(x), np.array(y),
                                nodes[:, None, :])
        assert weights @ one_feature == pytest.approx(math.exp(np.dot(x, y)), rel=1e-10)
    # a sample: 20,000 independent draws of an m = 8 feature matrix, d = 4
    draws = gaussian_omega(8, 4, np.random.default_rng(0), batch=20_000)
    for x, y in ((X1, Y1), (X2, Y2)):
        est = estimates(positive_random_features, x, y, draws)
        assert est.min() > 0.0  # every estimate is positive
        mean_within(est, math.exp(x @ y))
# --8<-- [end:test_positive_features]


@pytest.mark.formula("eq-positive-features")
def test_positive_features_equal_the_formula_written_out():
    rng = np.random.default_rng(1)
    x, omega = rng.normal(size=(3, 5)), rng.normal(size=(6, 5))
    phi = positive_random_features(x, omega)
    assert phi.shape == (3, 6)
    for a in range(3):
        sq = sum(v * v for v in x[a])
        for i in range(6):
            dot = sum(omega[i, j] * x[a, j] for j in range(5))
            assert phi[a, i] == pytest.approx(math.exp(dot - sq / 2) / math.sqrt(6),
                                              rel=1e-12)
    # leading draws of omega broadcast with x as in a matrix product
    draws = rng.normal(size=(4, 6, 5))
    np.testing.assert_allclose(positive_random_features(x, draws)[2],
                               positive_random_features(x, draws[2]), rtol=1e-14)


@pytest.mark.formula("eq-positive-features")
@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.1, 3.0))
def test_positive_features_are_never_negative(seed, scale):
    rng = np.random.default_rng(seed)
    x, omega = scale * rng.normal(size=(5, 3)), rng.normal(size=(7, 3))
    assert np.all(positive_random_features(x, omega) > 0)


def test_positive_features_reject_bad_input():
    with pytest.raises(ValueError, match=r"^omega must have d = 3 columns like x, got 4$"):
        positive_random_features(np.ones(3), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"^omega must have d = 3 columns like x, got 4$"):
        positive_random_features(np.ones(3), np.ones((2, 5, 4)))  # draws of a (5, 4) matrix
    with pytest.raises(ValueError, match=r"^omega must have shape \(m, d\) with m >= 1$"):
        positive_random_features(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"^omega must have shape"):
        positive_random_features(np.ones(3), np.ones((0, 3)))
    with pytest.raises(ValueError, match=r"^x must have shape \(\.\.\., d\)$"):
        positive_random_features(1.0, np.ones((2, 1)))


def negative_cos_probability(s: float) -> float:
    """P[cos g < 0], g ~ N(0, s²): the normal mass of the intervals (π/2, 3π/2) + 2πk."""
    k = np.arange(-60, 61)
    lo, hi = (np.pi / 2 + 2 * np.pi * k) / s, (3 * np.pi / 2 + 2 * np.pi * k) / s
    return float(np.sum(stats.norm.cdf(hi) - stats.norm.cdf(lo)))


# --8<-- [start:test_trig_features]
@pytest.mark.formula("eq-trig-features")
def test_trig_features_are_unbiased_but_can_be_negative():
    nodes, weights = gauss_hermite_2d()
    x, y = np.array([0.7, -0.3]), np.array([0.2, 0.9])
    one_feature = estimates(trig_random_features, x, y, nodes[:, None, :])
    assert weights @ one_feature == pytest.approx(math.exp(x @ y), rel=1e-10)
    # a small kernel value: x and y at 135 degrees, norms 1.5; one feature per draw
    x, y = 1.5 / 0.9 * X2, 1.5 / 0.9 * Y2
    s = float(np.linalg.norm(x - y))
    p = trig_negative_probability(x, y)
    assert p == pytest.approx(negative_cos_probability(s), abs=1e-12)
    n = 20_000
    draws = gaussian_omega(1, 4, np.random.default_rng(2), batch=n)
    trig = estimates(trig_random_features, x, y, draws)
    frac = np.mean(trig < 0)
    assert abs(frac - p) <= Z * math.sqrt(p * (1 - p) / n)
    mean_within(trig, math.exp(x @ y))
    assert np.all(estimates(positive_random_features, x, y, draws) > 0)
# --8<-- [end:test_trig_features]


@pytest.mark.formula("eq-trig-features")
def test_trig_features_equal_the_formula_written_out():
    rng = np.random.default_rng(3)
    x, omega = rng.normal(size=(2, 3)), rng.normal(size=(4, 3))
    phi = trig_random_features(x, omega)
    assert phi.shape == (2, 8)
    for a in range(2):
        scale = math.exp(sum(v * v for v in x[a]) / 2) / math.sqrt(4)
        for i in range(4):
            dot = sum(omega[i, j] * x[a, j] for j in range(3))
            assert phi[a, i] == pytest.approx(scale * math.sin(dot), rel=1e-12)
            assert phi[a, 4 + i] == pytest.approx(scale * math.cos(dot), rel=1e-12)


@pytest.mark.formula("eq-trig-features")
def test_negative_probability_limits_and_series():
    # s -> 0: the cosine stays near 1; s large: g mod 2π is nearly uniform, half negative
    assert trig_negative_probability(np.zeros(2), np.array([0.05, 0.0])) < 1e-12
    assert trig_negative_probability(np.zeros(2), np.array([6.0, 0.0])) == pytest.approx(
        0.5, abs=1e-6)
    for s in (0.8, 1.7, 2.5):
        assert trig_negative_probability(np.zeros(1), np.array([s])) == pytest.approx(
            negative_cos_probability(s), abs=1e-12)
    with pytest.raises(ValueError, match=r"^n_terms must be an integer"):
        trig_negative_probability(np.zeros(1), np.ones(1), n_terms=0)


def test_trig_features_reject_bad_input():
    with pytest.raises(ValueError, match=r"^omega must have d = 2 columns like x, got 5$"):
        trig_random_features(np.ones(2), np.ones((3, 5)))


# --8<-- [start:test_variance]
@pytest.mark.formula("eq-variance")
def test_variance_formulas_against_quadrature_and_a_sample():
    # exact: Var = (E[one-feature estimate²] − SM²) / m, the expectation by quadrature
    nodes, weights = gauss_hermite_2d()
    for x, y in (([0.7, -0.3], [0.2, 0.9]), ([0.9, 0.2], [-0.6, -0.5])):
        x, y = np.array(x), np.array(y)
        sm = math.exp(x @ y)
        for features, variance in ((positive_random_features, positive_variance),
                                   (trig_random_features, trig_variance)):
            second = weights @ estimates(features, x, y, nodes[:, None, :]) ** 2
            assert variance(x, y, 5) == pytest.approx((second - sm**2) / 5, rel=1e-9)
    # a sample: 20,000 draws of m = 16 features, d = 4, for both pairs
    draws = gaussian_omega(16, 4, np.random.default_rng(4), batch=20_000)
    for x, y in ((X1, Y1), (X2, Y2)):
        variance_within(estimates(positive_random_features, x, y, draws),
                        positive_variance(x, y, 16))
        variance_within(estimates(trig_random_features, x, y, draws),
                        trig_variance(x, y, 16))
# --8<-- [end:test_variance]


@pytest.mark.formula("eq-variance")
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_trig_to_positive_variance_ratio_is_at_least_2_sinh_squared(seed):
    # for xᵀy < 0: Var_trig / Var_+ >= 2 sinh²(2 xᵀy) = 2 sinh²(2 ln SM), unbounded as SM -> 0
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(2, 3)) * rng.uniform(0.2, 1.5, size=(2, 1))
    if x @ y > 0:
        y = -y
    ratio = trig_variance(x, y, 7) / positive_variance(x, y, 7)
    assert ratio >= 2 * math.sinh(2 * (x @ y)) ** 2 * (1 - 1e-12)


@pytest.mark.formula("eq-variance")
def test_small_kernel_values_trig_variance_grows_positive_shrinks():
    # equal norms r at 135 degrees: SM = exp(-r² / √2) -> 0 as r grows
    u, w = np.array([1.0, 0.0]), np.array([-math.sqrt(0.5), math.sqrt(0.5)])
    pos = [positive_variance(r * u, r * w, 1) for r in (1.0, 2.0, 3.0, 4.0)]
    trig = [trig_variance(r * u, r * w, 1) for r in (1.0, 2.0, 3.0, 4.0)]
    assert all(a > b for a, b in zip(pos, pos[1:])) and pos[-1] < 1e-3
    assert all(a < b for a, b in zip(trig, trig[1:])) and trig[-1] > 1e6
    # at 100 degrees (cos > -1/2) the positive variance grows too: the limit has a condition
    w100 = np.array([math.cos(math.radians(100)), math.sin(math.radians(100))])
    assert positive_variance(4 * u, 4 * w100, 1) > positive_variance(2 * u, 2 * w100, 1)


def test_variance_functions_reject_bad_input():
    for f in (positive_variance, trig_variance, positive_relative_error,
              orthogonal_mse_bound):
        with pytest.raises(ValueError, match=r"^m must be an integer >= 1, got 0$"):
            f(np.ones(2), np.ones(2), 0)
    with pytest.raises(ValueError, match=r"^m must be an integer"):
        trig_variance(np.ones(2), np.ones(2), 2.5)


def ks_critical(n: int, alpha: float = 1e-3) -> float:
    return float(stats.kstwo(n).ppf(1 - alpha))


# --8<-- [start:test_orthogonal]
@pytest.mark.formula("eq-orthogonal")
def test_orthogonal_rows_keep_the_gaussian_marginal():
    d, m, n = 4, 10, 3_000  # blocks of 4, 4 and 2 rows
    omega = orthogonal_omega(m, d, np.random.default_rng(5), batch=n)   # (n, m, d)
    gram = omega @ np.swapaxes(omega, -1, -2)
    for lo, hi in ((0, 4), (4, 8), (8, 10)):
        block = gram[:, lo:hi, lo:hi]
        off = block - np.einsum("nii->ni", block)[..., None] * np.eye(hi - lo)
        assert np.abs(off).max() < 1e-10 * np.abs(block).max()
    # every row: its length is chi(d), its projection on a fixed unit vector is N(0, 1)
    e = np.array([0.5, -0.5, 0.5, 0.5])
    for row in (0, 3, 5, 9):
        lengths = np.linalg.norm(omega[:, row], axis=-1)
        assert stats.kstest(lengths, stats.chi(d).cdf).statistic < ks_critical(n)
        assert stats.kstest(omega[:, row] @ e, "norm").statistic < ks_critical(n)
    # control: unit rows stretched to length √d (no chi rescaling) fail the length test
    fixed = math.sqrt(d) * omega[:, 5] / np.linalg.norm(omega[:, 5], axis=-1)[:, None]
    assert stats.kstest(np.linalg.norm(fixed, axis=-1),
                        stats.chi(d).cdf).statistic > ks_critical(n)
# --8<-- [end:test_orthogonal]


# --8<-- [start:test_orthogonal_mse]
@pytest.mark.formula("eq-orthogonal")
def test_orthogonal_features_are_unbiased_with_lower_mse_within_theorem_2():
    # the gain is a few per cent of the MSE, so 100,000 draws of each kind
    d, m, n = 4, 4, 100_000
    rng = np.random.default_rng(6)
    iid, ort = gaussian_omega(m, d, rng, batch=n), orthogonal_omega(m, d, rng, batch=n)
    for x, y in ((0.7 * X1, 0.7 * Y1), (1.4 * X1, -0.7 * X1)):
        sm = math.exp(x @ y)
        err_iid = estimates(positive_random_features, x, y, iid) - sm
        err_ort = estimates(positive_random_features, x, y, ort) - sm
        mean_within(err_ort, 0.0)                       # still unbiased
        sq_iid, sq_ort = err_iid**2, err_ort**2
        se_diff = math.sqrt((sq_iid.var() + sq_ort.var()) / n)
        assert sq_iid.mean() - sq_ort.mean() > Z * se_diff   # lower MSE, significantly
        bound = orthogonal_mse_bound(x, y, m)           # Theorem 2, eq. (10)
        assert bound < positive_variance(x, y, m)
        assert sq_ort.mean() <= bound + Z * sq_ort.std() / math.sqrt(n)
# --8<-- [end:test_orthogonal_mse]


def test_random_matrices_reject_bad_input():
    rng = np.random.default_rng(0)
    for f in (gaussian_omega, orthogonal_omega):
        with pytest.raises(ValueError, match=r"^m must be an integer >= 1, got 0$"):
            f(0, 3, rng)
        with pytest.raises(ValueError, match=r"^d must be an integer >= 1, got True$"):
            f(3, True, rng)
    with pytest.raises(ValueError, match="batch must be an integer"):
        orthogonal_omega(3, 3, rng, batch=(2, 0))
    with pytest.raises(ValueError, match="m must be <= d = 3"):
        orthogonal_mse_bound(np.ones(3), np.ones(3), 4)
    assert gaussian_omega(5, 3, rng, batch=(2, 4)).shape == (2, 4, 5, 3)
    assert orthogonal_omega(5, 3, rng).shape == (5, 3)


def paper_eq4(q, k, v, omega):
    """D̂⁻¹ (Q'((K')ᵀ V)), D̂ = diag(Q'((K')ᵀ 1)), rows of Q', K' the features of
    q/d^{1/4}, k/d^{1/4}, each written out with math.exp."""
    n, d = q.shape
    m = omega.shape[0]

    def feat(x):
        x = x / d**0.25
        return np.array([[math.exp(omega[i] @ row - row @ row / 2) / math.sqrt(m)
                          for i in range(m)] for row in x])

    qp, kp = feat(q), feat(k)
    return (qp @ (kp.T @ v)) / (qp @ (kp.T @ np.ones(n)))[:, None]


# --8<-- [start:test_favor_attention]
@pytest.mark.formula("eq-favor-attention")
def test_favor_attention_estimates_softmax_attention():
    gen = torch.Generator().manual_seed(0)
    n, d = 24, 8
    q, k, v = (0.6 * torch.randn(n, d, generator=gen, dtype=torch.float64)
               for _ in range(3))
    rng = np.random.default_rng(7)
    # the paper's eq. (4) and the quadratic form of the shared core give the same output
    omega = gaussian_omega(12, d, rng)
    out = favor_attention(q, k, v, omega)
    np.testing.assert_allclose(out.numpy(), paper_eq4(q.numpy(), k.numpy(), v.numpy(),
                                                      omega), rtol=1e-10)
    quad = kernel_attention(q, k, v, favor_feature_map(omega))
    np.testing.assert_allclose(out.numpy(), quad.numpy(), rtol=1e-10)
    # the d^{-1/4} scaling: E φ⁺(q/d^¼)ᵀφ⁺(k/d^¼) = exp(qᵀk/√d), not exp(qᵀk)
    feature_map = favor_feature_map(gaussian_omega(4, d, rng, batch=20_000))
    qi, kj = q[0], k[1]
    est = (feature_map(qi) * feature_map(kj)).sum(-1).numpy()          # (20000,)
    mean_within(est, math.exp(qi @ kj / math.sqrt(d)))
    assert abs(est.mean() - math.exp(qi @ kj)) > 10 * est.std() / math.sqrt(est.size)
    # the error against exact softmax attention falls with m (orthogonal features)
    exact = softmax_attention(q, k, v)
    mse = {}
    for m in (8, 32, 128):
        errs = [((favor_attention(q, k, v, orthogonal_omega(m, d, rng)) - exact) ** 2)
                .mean().item() for _ in range(30)]
        mse[m] = (np.mean(errs), np.std(errs, ddof=1) / math.sqrt(30))
    for small, large in ((8, 32), (32, 128)):
        assert mse[small][0] - mse[large][0] > Z * math.hypot(mse[small][1], mse[large][1])
# --8<-- [end:test_favor_attention]


def test_favor_attention_rejects_bad_input():
    q = torch.zeros(3, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="omega must have d = 4"):
        favor_attention(q, q, q, np.ones((5, 3)))


# --8<-- [start:test_rate]
@pytest.mark.formula("eq-rate")
def test_relative_error_falls_like_one_over_root_m():
    # positive features, pair X1, Y1: relative RMSE at m = 4 ... 256 and its log-log slope
    x, y, n = X1, Y1, 4_000
    sm = math.exp(x @ y)
    rng = np.random.default_rng(8)
    ms = np.array([4, 16, 64, 256])
    log_rmse, se_log = [], []
    for m in ms:
        rel_sq = ((estimates(positive_random_features, x, y,
                             gaussian_omega(int(m), 4, rng, batch=n)) - sm) / sm) ** 2
        log_rmse.append(0.5 * math.log(rel_sq.mean()))
        se_log.append(0.5 * rel_sq.std(ddof=1) / math.sqrt(n) / rel_sq.mean())  # delta
        # the level: relative RMSE = sqrt((exp(‖x + y‖²) − 1) / m), written out
        level = 0.5 * math.log(math.expm1(np.sum((x + y) ** 2)) / m)
        assert abs(log_rmse[-1] - level) <= Z * se_log[-1]
        assert math.log(positive_relative_error(x, y, int(m))) == pytest.approx(level)
    u = np.log(ms) - np.log(ms).mean()
    slope = u @ np.array(log_rmse) / (u @ u)
    se_slope = math.sqrt(np.sum(u**2 * np.array(se_log) ** 2)) / (u @ u)
    assert abs(slope + 0.5) <= Z * se_slope
    assert se_slope < 0.02  # the bound is tight enough to tell -1/2 from -1/3 or -1
# --8<-- [end:test_rate]


def test_batched_inputs_equal_the_row_by_row_results():
    rng = np.random.default_rng(9)
    x, y = 0.5 * rng.normal(size=(2, 2, 3, 5))
    omega = rng.normal(size=(4, 5))
    for f in (positive_random_features, trig_random_features):
        batched = f(x, omega)
        for i, j in np.ndindex(2, 3):
            np.testing.assert_allclose(batched[i, j], f(x[i, j], omega), rtol=1e-12)
    for f in (positive_variance, trig_variance, positive_relative_error,
              orthogonal_mse_bound, lambda a, b, m: trig_negative_probability(a, b)):
        batched = f(x, y, 3)
        assert batched.shape == (2, 3)
        for i, j in np.ndindex(2, 3):
            assert batched[i, j] == pytest.approx(f(x[i, j], y[i, j], 3), rel=1e-12)


@pytest.mark.formula("eq-orthogonal")
def test_theorem_2_bound_written_out():
    # eq. (10) with the paper's symbols, m = 3 <= d = 5, on two integer-valued pairs
    for x, y in (([1, 0, 0, 1, 0], [0, 1, 0, 0, 1]), ([1, 1, 0, 0, 0], [0, -1, 1, 0, 0])):
        sm = math.exp(sum(a * b for a, b in zip(x, y)))
        lam = math.exp(-(sum(a * a for a in x) + sum(b * b for b in y)) / 2)
        z2 = sum((a + b) ** 2 for a, b in zip(x, y))
        mse_iid = math.exp(z2) * sm**2 * (1 - math.exp(-z2)) / 3
        expected = mse_iid - 2 * (3 - 1) / (3 * (5 + 2)) * (sm - lam) ** 2
        assert orthogonal_mse_bound(x, y, 3) == pytest.approx(expected, rel=1e-12)
        assert positive_variance(x, y, 3) == pytest.approx(mse_iid, rel=1e-12)


@pytest.mark.formula("eq-favor-attention")
def test_favor_feature_map_keeps_the_input_dtype():
    omega = gaussian_omega(6, 4, np.random.default_rng(10))
    x = torch.randn(5, 4, dtype=torch.float32)
    phi = favor_feature_map(omega)(x)
    assert phi.dtype == torch.float32 and phi.shape == (5, 6)
    np.testing.assert_allclose(phi.numpy(), positive_random_features(
        x.numpy().astype(float) / 4**0.25, omega), rtol=1e-6)  # float32 rounding
