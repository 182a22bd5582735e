"""Checks of math-optim/random-walk: every key equation against something independent.

Independent references used here: brute-force enumeration of all 2^n walks of n <= 16
steps (counts of returns and first returns); dynamic programming over the walk in exact
rational arithmetic (fractions.Fraction); sympy's series expansions of the closed-form
generating functions; math.lgamma for large n; Monte Carlo with a fixed seed and bounds of
a few standard errors computed in the test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.lazy import lazy_import
from snippets.math_optim.random_walk import (
    first_return_generating_function,
    first_return_probability,
    first_return_times,
    first_returns_from_returns,
    mean_abs_asymptotic,
    mean_abs_position,
    no_return_probability,
    position_distribution,
    position_probability,
    return_generating_function,
    return_probability,
    return_probability_asymptotic,
    simulate_walks,
)

# imported when first used (checks/lazy.py): most runs of other checks do not need them
sympy = lazy_import("sympy")

N_MAX = 16  # brute force: all 2^16 = 65,536 walks of 16 steps


def all_walks(n: int) -> np.ndarray:
    """Every walk of n steps exactly once, shape (2^n, n + 1), column 0 = W_0 = 0."""
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    steps = 2 * bits - 1
    return np.concatenate([np.zeros((2**n, 1), int), np.cumsum(steps, axis=1)], axis=1)


WALKS = all_walks(N_MAX)
# W_1..W_n of the first n steps of every 16-step walk: each n-step walk appears 2^(16-n)
# times, so counts divided by 2^16 are the exact probabilities of n-step walks
AT_ZERO = WALKS[:, 1:] == 0
COUNT_RETURN = AT_ZERO.sum(axis=0)  # COUNT_RETURN[n-1]: walks with W_n = 0
FIRST_ZERO = np.where(AT_ZERO.any(axis=1), AT_ZERO.argmax(axis=1) + 1, 0)
COUNT_FIRST = np.array([np.sum(FIRST_ZERO == n) for n in range(1, N_MAX + 1)])
COUNT_NO_RETURN = np.array([np.sum((FIRST_ZERO == 0) | (FIRST_ZERO > n))
                            for n in range(1, N_MAX + 1)])


def exact_distribution(n: int) -> dict[int, Fraction]:
    """P(W_n = k) by dynamic programming over the walk: P_{t+1}(k) = (P_t(k-1) + P_t(k+1))/2."""
    p = {0: Fraction(1)}
    for _ in range(n):
        nxt: dict[int, Fraction] = {}
        for k, q in p.items():
            for step in (-1, 1):
                nxt[k + step] = nxt.get(k + step, Fraction(0)) + q / 2
        p = nxt
    return p


def exact_returns(n_max: int) -> list[Fraction]:
    """u_0..u_{n_max} as exact fractions, by the dynamic programming above."""
    out, p = [], {0: Fraction(1)}
    for _ in range(n_max + 1):
        out.append(p.get(0, Fraction(0)))
        nxt: dict[int, Fraction] = {}
        for k, q in p.items():
            for step in (-1, 1):
                nxt[k + step] = nxt.get(k + step, Fraction(0)) + q / 2
        p = nxt
    return out


def exact_first_returns(n_max: int) -> list[Fraction]:
    """f_0..f_{n_max} exactly: DP over walks that have not yet come back (absorbed at 0)."""
    out, p = [Fraction(0)], {1: Fraction(1, 2), -1: Fraction(1, 2)}  # after step 1
    for _ in range(1, n_max + 1):
        out.append(p.pop(0, Fraction(0)))  # mass arriving at 0 now: first returns
        nxt: dict[int, Fraction] = {}
        for k, q in p.items():
            for step in (-1, 1):
                nxt[k + step] = nxt.get(k + step, Fraction(0)) + q / 2
        p = nxt
    return out


U_EXACT = exact_returns(80)
F_EXACT = exact_first_returns(80)


# --8<-- [start:test_position_gf]
@pytest.mark.formula("eq-position-gf")
@pytest.mark.parametrize("n", [0, 1, 2, 5, 12])
def test_coefficients_equal_sympys_expansion_of_the_generating_function(n):
    x = sympy.symbols("x")
    poly = sympy.expand(((x + 1 / x) / 2) ** n * x**n)  # shift: x^{k+n}, k = -n..n
    expected = [float(poly.coeff(x, j)) for j in range(2 * n + 1)]
    np.testing.assert_allclose(position_distribution(n), expected, rtol=0, atol=1e-15)
# --8<-- [end:test_position_gf]


@pytest.mark.formula("eq-position-gf")
@given(n=st.integers(0, 40), x=st.floats(0.2, 5.0))
@settings(max_examples=30, deadline=None)
def test_the_coefficients_evaluate_to_the_closed_form(n, x):
    p = position_distribution(n)
    k = np.arange(-n, n + 1)
    assert np.isclose(np.sum(p * x**k), ((x + 1 / x) / 2) ** n, rtol=1e-12, atol=0)


@pytest.mark.formula("eq-position-gf")
def test_coefficients_equal_the_frequencies_over_all_walks():
    for n in (3, 8, N_MAX):
        counts = np.bincount(WALKS[:, n] + n, minlength=2 * n + 1)
        np.testing.assert_allclose(position_distribution(n), counts / 2**N_MAX,
                                   rtol=0, atol=1e-15)


# --8<-- [start:test_position_probability]
@pytest.mark.formula("eq-position-probability")
def test_position_probability_equals_dynamic_programming_exactly():
    for n in range(0, 31):
        dp = exact_distribution(n)
        for k in range(-n - 2, n + 3):
            expected = float(dp.get(k, Fraction(0)))  # 0 for odd n + k and |k| > n
            assert position_probability(n, k) == pytest.approx(expected, rel=1e-15, abs=0)
# --8<-- [end:test_position_probability]


@pytest.mark.formula("eq-position-probability")
@given(n=st.integers(1, 2000), data=st.data())
@settings(max_examples=40, deadline=None)
def test_position_probability_for_large_n_against_lgamma(n, data):
    k = data.draw(st.integers(-n, n).filter(lambda j: (n + j) % 2 == 0))
    a = (n + k) // 2
    log_p = math.lgamma(n + 1) - math.lgamma(a + 1) - math.lgamma(n - a + 1) - n * math.log(2)
    assert position_probability(n, k) == pytest.approx(math.exp(log_p), rel=1e-9)


@pytest.mark.formula("eq-position-probability")
def test_position_frequencies_of_simulated_walks_within_four_standard_errors():
    n_walks, n = 20_000, 20
    end = simulate_walks(n, n_walks, np.random.default_rng(1))[:, n]
    for k in range(-8, 9, 2):
        p = position_probability(n, k)
        standard_error = math.sqrt(p * (1 - p) / n_walks)
        assert abs(np.mean(end == k) - p) <= 4 * standard_error, k
    assert np.all(end % 2 == 0)  # W_20 is even: odd positions have probability 0


# --8<-- [start:test_return_probability]
@pytest.mark.formula("eq-return-probability")
def test_return_probability_equals_the_count_over_all_walks():
    for n in range(1, N_MAX + 1):
        assert return_probability(n) == COUNT_RETURN[n - 1] / 2**N_MAX, n
    assert return_probability(0) == 1.0
# --8<-- [end:test_return_probability]


@pytest.mark.formula("eq-return-probability")
def test_return_probability_equals_dynamic_programming_and_the_ratio_recursion():
    for n, u in enumerate(U_EXACT):
        assert return_probability(n) == pytest.approx(float(u), rel=1e-15, abs=0)
    # u_{2m+2} / u_{2m} = (2m + 1) / (2m + 2), from C(2m+2, m+1) = C(2m, m) (2m+1)(2m+2)/(m+1)^2
    u = Fraction(1)
    for m in range(0, 300):
        assert return_probability(2 * m) == pytest.approx(float(u), rel=1e-14)
        u *= Fraction(2 * m + 1, 2 * m + 2)


# --8<-- [start:test_renewal]
@pytest.mark.formula("eq-renewal")
def test_renewal_solution_equals_counted_first_returns():
    u = np.concatenate([[1.0], COUNT_RETURN / 2**N_MAX])  # counted u_0..u_16
    f = first_returns_from_returns(u)
    np.testing.assert_allclose(f[1:], COUNT_FIRST / 2**N_MAX, rtol=0, atol=1e-15)
    assert f[0] == 0.0
# --8<-- [end:test_renewal]


def test_renewal_of_a_single_term():
    assert first_returns_from_returns([1.0]).tolist() == [0.0]


@pytest.mark.formula("eq-renewal")
def test_renewal_solution_against_the_exact_first_return_dp():
    f = first_returns_from_returns([float(u) for u in U_EXACT])
    np.testing.assert_allclose(f, [float(q) for q in F_EXACT], rtol=1e-12, atol=1e-16)
    # the renewal equation itself, in exact arithmetic: u_n = sum_{j=1}^n f_j u_{n-j}
    for n in range(1, 81):
        assert U_EXACT[n] == sum(F_EXACT[j] * U_EXACT[n - j] for j in range(1, n + 1))


@pytest.mark.formula("eq-renewal")
def test_renewal_on_a_sequence_that_is_not_a_walk():
    # u = (1, a, a^2, ...): F = 1 - 1/U = 1 - (1 - a z) = a z, so f = (0, a, 0, 0, ...)
    a = 0.3
    f = first_returns_from_returns(a ** np.arange(6))
    np.testing.assert_allclose(f, [0, a, 0, 0, 0, 0], rtol=0, atol=1e-15)


# --8<-- [start:test_return_gf]
@pytest.mark.formula("eq-return-gf")
def test_series_of_the_closed_form_has_the_counted_returns_as_coefficients():
    z = sympy.symbols("z")
    series = sympy.series(1 / sympy.sqrt(1 - z**2), z, 0, N_MAX + 1).removeO()
    for n in range(1, N_MAX + 1):
        assert series.coeff(z, n) == sympy.Rational(int(COUNT_RETURN[n - 1]), 2**N_MAX)
# --8<-- [end:test_return_gf]


@pytest.mark.formula("eq-return-gf")
@pytest.mark.parametrize("zv", [-0.9, -0.4, 0.0, 0.3, 0.75])
def test_closed_form_equals_the_truncated_power_series(zv):
    N = 400
    partial = sum(math.comb(2 * m, m) / 4**m * zv ** (2 * m) for m in range(N // 2 + 1))
    tail = abs(zv) ** (N + 2) / (1 - zv**2)  # u_n <= 1: the rest is at most sum |z|^n
    assert abs(return_generating_function(zv) - partial) <= tail + 1e-13


@pytest.mark.formula("eq-return-gf")
def test_grinstead_snell_convention_in_the_variable_x_equal_to_z_squared():
    # Grinstead & Snell write U(x) = sum_m u_{2m} x^m = (1 - x)^{-1/2}: the same function
    x = sympy.symbols("x")
    series = sympy.series(1 / sympy.sqrt(1 - x), x, 0, 9).removeO()
    for m in range(1, 9):
        assert series.coeff(x, m) == sympy.Rational(int(COUNT_RETURN[2 * m - 1]), 2**N_MAX)
    xv = np.array([0.1, 0.5, 0.81])
    np.testing.assert_allclose(return_generating_function(np.sqrt(xv)), (1 - xv) ** -0.5,
                               rtol=1e-14)


# --8<-- [start:test_first_return_gf]
@pytest.mark.formula("eq-first-return-gf")
def test_series_of_the_closed_form_has_the_counted_first_returns_as_coefficients():
    z = sympy.symbols("z")
    series = sympy.series(1 - sympy.sqrt(1 - z**2), z, 0, N_MAX + 1).removeO()
    for n in range(1, N_MAX + 1):
        assert series.coeff(z, n) == sympy.Rational(int(COUNT_FIRST[n - 1]), 2**N_MAX)
# --8<-- [end:test_first_return_gf]


@pytest.mark.formula("eq-first-return-gf")
@given(zv=st.floats(-0.99, 0.99))
@settings(max_examples=50, deadline=None)
def test_first_return_gf_is_one_minus_the_reciprocal_of_u(zv):
    # F = 1 - 1/U with U written out independently
    U = (1 - zv**2) ** -0.5
    assert first_return_generating_function(zv) == pytest.approx(1 - 1 / U, abs=1e-15)


@pytest.mark.formula("eq-first-return-gf")
def test_first_return_gf_against_the_exact_series_and_at_one():
    for zv in (0.2, 0.6, -0.8):
        partial = float(sum(F_EXACT[n] * Fraction(zv) ** n for n in range(81)))
        tail = zv**82 / (1 - zv**2)  # f_n <= 1
        assert abs(first_return_generating_function(zv) - partial) <= tail + 1e-15
    assert first_return_generating_function(1.0) == 1.0  # F(1) = 1: a return is certain
    assert first_return_generating_function(-1.0) == 1.0


# --8<-- [start:test_first_return_probability]
@pytest.mark.formula("eq-first-return-probability")
def test_first_return_probability_equals_the_count_over_all_walks():
    for n in range(1, N_MAX + 1):
        assert first_return_probability(n) == pytest.approx(
            COUNT_FIRST[n - 1] / 2**N_MAX, rel=1e-15, abs=0), n
# --8<-- [end:test_first_return_probability]


@pytest.mark.formula("eq-first-return-probability")
def test_first_return_probability_against_the_exact_dp_and_feller_form():
    for n in range(1, 81):
        assert first_return_probability(n) == pytest.approx(float(F_EXACT[n]), rel=1e-14, abs=0)
    for m in range(1, 200):
        # Feller (3.6): f_{2m} = u_{2m-2} - u_{2m}, with u from math.comb directly
        u = [Fraction(math.comb(2 * j, j), 4**j) for j in (m - 1, m)]
        assert first_return_probability(2 * m) == pytest.approx(float(u[0] - u[1]), rel=1e-13)


@pytest.mark.formula("eq-first-return-probability")
def test_first_return_times_of_simulated_walks_within_four_standard_errors():
    n_walks = 20_000
    T = first_return_times(simulate_walks(40, n_walks, np.random.default_rng(2)))
    for n in range(1, 13):
        p = first_return_probability(n)
        standard_error = math.sqrt(p * (1 - p) / n_walks)
        assert abs(np.mean(T == n) - p) <= 4 * standard_error + 1e-12, n


# --8<-- [start:test_recurrence]
@pytest.mark.formula("eq-recurrence")
def test_no_return_probability_equals_the_count_and_u():
    for n in range(1, N_MAX + 1):
        counted = COUNT_NO_RETURN[n - 1] / 2**N_MAX
        assert no_return_probability(n) == pytest.approx(counted, rel=1e-14, abs=0), n
        m = n // 2  # Feller's lemma: P(T > 2m) = P(T > 2m + 1) = u_{2m}
        assert counted == math.comb(2 * m, m) / 4**m
# --8<-- [end:test_recurrence]


@pytest.mark.formula("eq-recurrence")
def test_partial_sums_of_f_tend_to_one_with_the_stated_tail():
    for m in (1, 10, 100, 1000):
        tail = no_return_probability(2 * m)
        # P(T <= 2m) >= 1 - 1/sqrt(pi m), and the tail really goes to 0
        assert 0 < tail < 1 / math.sqrt(math.pi * m)
        assert tail > 1 / math.sqrt(math.pi * (m + 0.5))
    assert no_return_probability(0) == 1.0
    # exact: sum_{j<=80} f_j = 1 - u_80
    assert sum(F_EXACT[1:81]) == 1 - U_EXACT[80]
    assert no_return_probability(80) == pytest.approx(float(U_EXACT[80]), rel=1e-13)


@pytest.mark.formula("eq-recurrence")
def test_mean_return_time_is_infinite():
    # sum_{m<=n} 2m f_{2m} = 2n u_{2n}, which grows like 2 sqrt(n / pi) without bound
    for n in (1, 5, 40):
        partial = sum(2 * m * F_EXACT[2 * m] for m in range(1, n + 1))
        assert partial == 2 * n * U_EXACT[2 * n]
    assert 2 * 5000 * return_probability(10_000) > 79
    # F'(z) = z / sqrt(1 - z^2) grows without bound as z -> 1 (central differences)
    for zv in (0.5, 0.9, 0.999):
        h = 1e-6 * (1 - zv)
        slope = (first_return_generating_function(zv + h)
                 - first_return_generating_function(zv - h)) / (2 * h)
        assert slope == pytest.approx(zv / math.sqrt(1 - zv**2), rel=1e-5)


@pytest.mark.formula("eq-recurrence")
def test_fraction_of_simulated_walks_without_return_within_four_standard_errors():
    n_walks, n = 20_000, 64
    T = first_return_times(simulate_walks(n, n_walks, np.random.default_rng(3)))
    p = no_return_probability(n)
    standard_error = math.sqrt(p * (1 - p) / n_walks)
    assert abs(np.mean(T == 0) - p) <= 4 * standard_error


# --8<-- [start:test_return_asymptotic]
@pytest.mark.formula("eq-return-asymptotic")
def test_u_lies_between_the_two_bounds_and_the_ratio_increases_to_one():
    ratios, u = [], 1.0
    for m in range(1, 3001):
        u *= (2 * m - 1) / (2 * m)  # u_{2m} = u_{2m-2} (2m-1)/(2m); rounding below 1e-12
        approx = return_probability_asymptotic(2 * m)
        # the gap to either bound is at least about u/(8m) > 1e-6 here
        assert 1 / math.sqrt(math.pi * (m + 0.5)) < u < approx, m
        ratios.append(u / approx)
    assert np.all(np.diff(ratios) > 0)
    assert 1 - ratios[-1] < 1 / (8 * 3000)
# --8<-- [end:test_return_asymptotic]


@pytest.mark.formula("eq-return-asymptotic")
def test_second_order_term_and_large_n_against_lgamma():
    u = 1.0
    for m in range(1, 3001):
        u *= (2 * m - 1) / (2 * m)
        ratio = u / return_probability_asymptotic(2 * m)
        assert abs(ratio - (1 - 1 / (8 * m))) < 1 / (64 * m**2), m
    for m in (10**3, 10**4, 10**5):
        log_u = math.lgamma(2 * m + 1) - 2 * math.lgamma(m + 1) - 2 * m * math.log(2)
        ratio = math.exp(log_u) / return_probability_asymptotic(2 * m)
        # lgamma of numbers near 2e5 carries an absolute error of about 1e-10
        assert abs(ratio - (1 - 1 / (8 * m))) < 1 / (64 * m**2) + 1e-9


# --8<-- [start:test_mean_abs]
@pytest.mark.formula("eq-mean-abs")
def test_mean_abs_position_equals_the_exact_distribution_and_the_sum_of_u():
    dist = {0: Fraction(1)}  # P(W_n = k), advanced one step per n by the DP
    for n in range(0, 41):
        exact = sum(abs(k) * q for k, q in dist.items())
        assert mean_abs_position(n) == pytest.approx(float(exact), rel=1e-14, abs=0), n
        assert exact == sum(U_EXACT[:n])  # E|W_n| = u_0 + ... + u_{n-1}
        assert sum(k * k * q for k, q in dist.items()) == n  # E[W_n^2] = n
        dist = {k: dist.get(k - 1, 0) / 2 + dist.get(k + 1, 0) / 2
                for k in range(-n - 1, n + 2) if (n + 1 + k) % 2 == 0}
# --8<-- [end:test_mean_abs]


@pytest.mark.formula("eq-mean-abs")
def test_mean_abs_ratio_tends_to_one():
    for n in [*range(1, 401), 1001, 4000, 20_001]:
        ratio = mean_abs_position(n) / mean_abs_asymptotic(n)
        assert abs(ratio - 1) < 0.3 / n, n
    assert mean_abs_asymptotic(50) == pytest.approx(math.sqrt(100 / math.pi), rel=1e-15)


@pytest.mark.formula("eq-mean-abs")
def test_mean_abs_of_simulated_walks_within_four_standard_errors():
    n_walks, n = 20_000, 64
    end = np.abs(simulate_walks(n, n_walks, np.random.default_rng(4))[:, n])
    standard_error = end.std(ddof=1) / math.sqrt(n_walks)
    assert abs(end.mean() - mean_abs_position(n)) <= 4 * standard_error
    assert standard_error < 0.05  # small enough to tell 2m u_2m from sqrt(2n/pi) + 0.2


def test_simulated_steps_are_plus_or_minus_one_and_start_at_zero():
    paths = simulate_walks(5, 300, np.random.default_rng(0))
    assert paths.shape == (300, 6)
    assert paths.dtype.kind == "i"  # integer positions
    assert np.all(paths[:, 0] == 0)
    assert set(np.unique(np.diff(paths, axis=1))) == {-1, 1}
    # both steps occur about equally often: mean step within 4 standard errors of 0
    assert abs(np.diff(paths, axis=1).mean()) <= 4 / math.sqrt(1500)
    assert first_return_times([[0, 1, 0, -1], [0, 1, 2, 1], [0, -1, -2, -1]]).tolist() == [2, 0, 0]
    assert first_return_times([[0, 1], [0, -1]]).tolist() == [0, 0]  # one step: no return


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        position_probability(-1, 0)
    with pytest.raises(ValueError, match="n must be an integer"):
        position_probability(2.0, 0)
    with pytest.raises(ValueError, match="n must be an integer"):
        position_probability(True, 0)
    with pytest.raises(ValueError, match="k must be an integer"):
        position_probability(4, 1.5)
    with pytest.raises(ValueError, match="k must be an integer"):
        position_probability(4, False)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        first_return_probability(0)
    with pytest.raises(ValueError, match="n must be an integer"):
        first_return_probability("4")
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        position_distribution(-2)
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        return_probability(-2)
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        no_return_probability(-1)
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        mean_abs_position(-1)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        mean_abs_asymptotic(0)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        return_probability_asymptotic(0)
    with pytest.raises(ValueError, match="n must be even"):
        return_probability_asymptotic(3)
    with pytest.raises(ValueError, match=r"u must be a 1-D sequence"):
        first_returns_from_returns([0.5, 0.2])
    with pytest.raises(ValueError, match=r"u must be a 1-D sequence"):
        first_returns_from_returns([[1.0, 0.5]])
    with pytest.raises(ValueError, match=r"u must be a 1-D sequence"):
        first_returns_from_returns([])
    with pytest.raises(ValueError, match=r"z must satisfy \|z\| < 1"):
        return_generating_function(1.0)
    with pytest.raises(ValueError, match=r"z must satisfy \|z\| < 1"):
        return_generating_function([0.5, -1.0])
    with pytest.raises(ValueError, match=r"z must satisfy \|z\| <= 1"):
        first_return_generating_function(1.01)
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        simulate_walks(0, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_walks must be an integer >= 1"):
        simulate_walks(3, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="^paths must have shape"):
        first_return_times([[1, 0, 1]])
    with pytest.raises(ValueError, match="^paths must have shape"):
        first_return_times([0, 1, 0])
    with pytest.raises(ValueError, match="^paths must have shape"):
        first_return_times([[0]])


def test_edge_values():
    assert position_probability(0, 0) == 1.0 and position_probability(0, 1) == 0.0
    assert position_probability(3, 3) == 1 / 8 and position_probability(3, -3) == 1 / 8
    assert position_probability(3, 4) == 0.0 and position_probability(3, 2) == 0.0
    assert position_probability(np.int64(2), np.int64(0)) == 0.5
    assert first_return_probability(1) == 0.0 and first_return_probability(2) == 0.5
    assert return_probability(1) == 0.0
    assert mean_abs_position(0) == 0.0 and mean_abs_position(1) == 1.0
    assert position_distribution(0).tolist() == [1.0]
    assert return_generating_function(0.0) == 1.0
    assert np.allclose(first_return_generating_function(np.array([0.0, 0.6])), [0.0, 0.2],
                       rtol=0, atol=1e-15)
