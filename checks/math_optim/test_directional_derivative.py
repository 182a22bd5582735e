"""Checks of math-optim/directional-derivative: every key equation against something independent.

Independent references used here: torch autograd (the derivative of t -> f(x + t u) at t = 0,
and the gradient of f), expansions done by hand (f = ||x||^2, a cubic), the worked example
in exact fractions, and brute force over dense grids and random directions.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.math_optim.directional_derivative import (
    difference_quotient,
    directional_derivative,
    numerical_gradient,
    paraboloid,
    paraboloid_gradient,
    partial_derivative,
    ridge,
    steepest_ascent,
)

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def smooth(x, lib=np):
    """A smooth test function of three variables, written once for numpy and for torch."""
    return lib.sin(x[0]) * lib.exp(0.5 * x[1]) + x[0] ** 2 * x[2] - 0.3 * x[2] ** 3


def autograd_directional(x, u) -> tuple[float, float]:
    """d/dt f(x + t u) and d^2/dt^2 f(x + t u) at t = 0 by torch autograd (u used as given)."""
    t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    phi = smooth(torch.as_tensor(x) + t * torch.as_tensor(u), lib=torch)
    (d1,) = torch.autograd.grad(phi, t, create_graph=True)
    (d2,) = torch.autograd.grad(d1, t)
    return float(d1.detach()), float(d2)


def autograd_gradient(x) -> np.ndarray:
    x = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(smooth(x, lib=torch), x)
    return g.numpy()


# --8<-- [start:test_directional_limit]
@pytest.mark.formula("eq-directional-limit")
@given(seed=seeds, t=st.floats(1e-3, 1.0))
@settings(max_examples=25, deadline=None)
def test_quotient_of_the_paraboloid_equals_the_expansion(seed, t):
    rng = np.random.default_rng(seed)
    x, v = rng.normal(size=3), rng.normal(size=3)
    u = v / np.linalg.norm(v)
    # by hand: ||x + t u||^2 - ||x||^2 = 2 t x.u + t^2 ||u||^2, and ||u|| = 1
    expected = 2 * x @ u + t
    # the subtraction f(x + t u) - f(x) loses about eps ||x||^2 / t <= 1e-11 here
    assert difference_quotient(paraboloid, x, v, t) == pytest.approx(expected, abs=1e-9)


@pytest.mark.formula("eq-directional-limit")
def test_quotient_converges_to_the_autograd_derivative_at_rate_t():
    rng = np.random.default_rng(0)
    x, v = rng.normal(size=3), rng.normal(size=3)
    d1, d2 = autograd_directional(x, v / np.linalg.norm(v))
    for t in (1e-2, 1e-3, 1e-4):
        error = difference_quotient(smooth, x, v, t) - d1
        # Taylor: error = t phi''(0) / 2 + O(t^2), phi(t) = f(x + t u)
        assert error / t == pytest.approx(d2 / 2, rel=0.02, abs=1e-6)
    assert abs(difference_quotient(smooth, x, v, 1e-7) - d1) < 1e-6
# --8<-- [end:test_directional_limit]


@pytest.mark.formula("eq-directional-limit")
def test_a_too_small_step_is_ruined_by_rounding():
    x, v = np.array([0.4, 1.3, -0.2]), np.array([1.0, -2.0, 0.5])
    d1, _ = autograd_directional(x, v / np.linalg.norm(v))
    good = abs(difference_quotient(smooth, x, v, 1e-7) - d1)
    bad = abs(difference_quotient(smooth, x, v, 1e-15) - d1)
    # rounding error ~ eps |f| / t: about 1e-9 at t = 1e-7, about 0.1 at t = 1e-15
    assert good < 1e-6 < 1e-3 < bad


# --8<-- [start:test_partial]
@pytest.mark.formula("eq-partial")
@given(seed=seeds, h=st.floats(1e-3, 0.5), k=st.floats(-3.0, 3.0))
@settings(max_examples=40, deadline=None)
def test_central_difference_of_a_cubic_is_off_by_exactly_k_h_squared(seed, h, k):
    x = np.random.default_rng(seed).normal(size=3)

    def f(y):
        return k * y[1] ** 3 + 2.0 * y[0] * y[2] - y[2] ** 2

    # by hand: ((x+h)^3 - (x-h)^3) / (2h) = 3 x^2 + h^2; the other terms do not move
    assert partial_derivative(f, x, 1, h) == pytest.approx(3 * k * x[1] ** 2 + k * h**2,
                                                           abs=1e-9)
    assert partial_derivative(f, x, 0, h) == pytest.approx(2.0 * x[2], abs=1e-9)
    assert partial_derivative(f, x, 2, h) == pytest.approx(2.0 * x[0] - 2 * x[2], abs=1e-9)


@pytest.mark.formula("eq-partial")
def test_a_partial_derivative_is_the_directional_derivative_along_an_axis():
    x = np.array([0.3, -0.7, 1.1])
    g = autograd_gradient(x)
    for i in range(3):
        e_i = np.eye(3)[i]
        d_plus, _ = autograd_directional(x, e_i)
        # D_{e_i} f = df/dx_i and D_{-e_i} f = -df/dx_i for a smooth f
        assert partial_derivative(smooth, x, i) == pytest.approx(g[i], abs=1e-9)
        assert difference_quotient(smooth, x, e_i, 1e-7) == pytest.approx(d_plus, abs=1e-6)
        assert difference_quotient(smooth, x, -e_i, 1e-7) == pytest.approx(-g[i], abs=1e-6)
# --8<-- [end:test_partial]


@pytest.mark.formula("eq-partial")
def test_the_cone_has_directional_derivatives_but_no_partial_derivative():
    def cone(y):
        return float(np.linalg.norm(y))

    origin = np.zeros(2)
    for v in ([1.0, 0.0], [-1.0, 0.0], [0.6, -0.8]):
        # ||t u|| / t = 1 for every t > 0 and every unit u
        assert difference_quotient(cone, origin, v, 1e-3) == pytest.approx(1.0, abs=1e-15)
    # D_{e_1} = 1 but D_{-e_1} = 1, not -1: no two-sided limit, no df/dx; the central
    # difference hides this and returns 0
    assert partial_derivative(cone, origin, 0, 1e-3) == 0.0


# --8<-- [start:test_gradient]
@pytest.mark.formula("eq-gradient")
@given(seed=seeds)
@settings(max_examples=30, deadline=None)
def test_numerical_gradient_equals_autograd(seed):
    x = np.random.default_rng(seed).uniform(-2, 2, size=3)
    # central differences with h = 1e-5: truncation ~h^2 |f'''|, rounding ~1e-16/h
    np.testing.assert_allclose(numerical_gradient(smooth, x), autograd_gradient(x),
                               rtol=0, atol=1e-7)
# --8<-- [end:test_gradient]


@pytest.mark.formula("eq-gradient")
def test_gradient_of_the_paraboloid_by_hand():
    np.testing.assert_array_equal(paraboloid_gradient([1.0, 2.0]), [2.0, 4.0])
    np.testing.assert_allclose(numerical_gradient(paraboloid, [1.0, 2.0]), [2.0, 4.0],
                               rtol=0, atol=1e-9)
    np.testing.assert_allclose(numerical_gradient(paraboloid, [1.0, 2.0], h=0.5), [2.0, 4.0],
                               rtol=0, atol=1e-12)  # exact for a quadratic, any h
    with pytest.raises(ValueError, match="h must"):
        numerical_gradient(paraboloid, [1.0, 2.0], h=0.0)


# --8<-- [start:test_worked_example]
@pytest.mark.formula("eq-directional-gradient")
def test_worked_example_in_exact_fractions():
    grad = paraboloid_gradient([1.0, 2.0])  # (2x, 2y) at (1, 2)
    # by hand: w = (3, 4), ||w|| = 5, D_w f = (2*3 + 4*4) / 5 = 22/5; u = (1, 0): D_u f = 2
    assert directional_derivative(grad, [3.0, 4.0]) == pytest.approx(
        float(Fraction(22, 5)), abs=1e-15)
    assert directional_derivative(grad, [1.0, 0.0]) == 2.0
    # the level circle's tangent at (1, 2) is (-2, 1): no change along it
    assert directional_derivative(grad, [-2.0, 1.0]) == 0.0
    # w is used as a direction: (3, 4), (0.3, 0.4) and (30, 40) give the same number
    for w in ([0.3, 0.4], [30.0, 40.0]):
        assert directional_derivative(grad, w) == pytest.approx(4.4, abs=1e-15)
# --8<-- [end:test_worked_example]


# --8<-- [start:test_directional_gradient]
@pytest.mark.formula("eq-directional-gradient")
@given(seed=seeds, scale=st.floats(0.01, 100.0))
@settings(max_examples=25, deadline=None)
def test_gradient_formula_equals_autograd_derivative_along_the_line(seed, scale):
    rng = np.random.default_rng(seed)
    x, v = rng.uniform(-2, 2, size=3), scale * rng.normal(size=3)
    d1, _ = autograd_directional(x, v / np.linalg.norm(v))  # d/dt f(x + t v/||v||)
    assert directional_derivative(autograd_gradient(x), v) == pytest.approx(d1, abs=1e-12)
    assert directional_derivative(autograd_gradient(x), -v) == pytest.approx(-d1, abs=1e-12)
# --8<-- [end:test_directional_gradient]


# --8<-- [start:test_conventions]
@pytest.mark.formula("eq-directional-gradient")
def test_normalised_and_unnormalised_conventions_differ_by_the_length_of_v():
    grad = paraboloid_gradient([1.0, 2.0])
    w = np.array([3.0, 4.0])
    # d/dt f(x + t w) at t = 0 (forward-mode autodiff, Boyd's grad f^T v) does not
    # divide by ||w||: by hand 2*3 + 4*4 = 22, five times the page's 22/5
    t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    x = torch.tensor([1.0, 2.0], dtype=torch.float64) + t * torch.as_tensor(w)
    (jvp,) = torch.autograd.grad((x**2).sum(), t)
    assert float(jvp) == pytest.approx(22.0, abs=1e-12)
    assert directional_derivative(grad, w) == pytest.approx(float(jvp) / 5, abs=1e-14)
# --8<-- [end:test_conventions]


# --8<-- [start:test_ridge]
@pytest.mark.formula("eq-directional-gradient")
def test_the_formula_fails_where_f_is_not_differentiable():
    origin = np.zeros(2)
    grad = numerical_gradient(ridge, origin)  # f = 0 on both axes: both partials are 0
    np.testing.assert_array_equal(grad, [0.0, 0.0])
    for phi in np.linspace(0.2, 2.9, 7):  # directions off the x axis, sin(phi) > 0
        u1, u2 = np.cos(phi), np.sin(phi)
        # by hand: f(t u1, t u2) / t = u1^2 u2 / (t^2 u1^4 + u2^2) -> u1^2 / u2
        assert difference_quotient(ridge, origin, [u1, u2], 1e-6) == pytest.approx(
            u1**2 / u2, rel=1e-10)
        assert directional_derivative(grad, [u1, u2]) == 0.0  # what the formula would say
    assert difference_quotient(ridge, origin, [1.0, 0.0], 1e-6) == 0.0
    assert difference_quotient(ridge, origin, [-1.0, 0.0], 1e-6) == 0.0
    # not even continuous: f = 1/2 on the parabola y = x^2, however close to the origin
    for s in (1e-1, 1e-3, 1e-5):
        assert ridge([s, s * s]) == pytest.approx(0.5, rel=1e-12)
# --8<-- [end:test_ridge]


# --8<-- [start:test_max_rate]
@pytest.mark.formula("eq-max-rate")
@pytest.mark.parametrize("n", [2, 3, 6])
def test_no_random_direction_beats_the_gradient_norm(n):
    rng = np.random.default_rng(n)
    grad = rng.normal(size=n)
    u_star, rate = steepest_ascent(grad)
    assert rate == pytest.approx(np.sqrt(np.sum(grad**2)), abs=1e-14)
    assert directional_derivative(grad, u_star) == pytest.approx(rate, abs=1e-14)
    U = rng.normal(size=(20_000, n))  # 20,000 random directions
    rates = np.array([directional_derivative(grad, u) for u in U[:200]])
    np.testing.assert_allclose(rates, U[:200] @ grad / np.linalg.norm(U[:200], axis=1))
    all_rates = U @ grad / np.linalg.norm(U, axis=1)
    assert all_rates.max() <= rate + 1e-12
    assert all_rates.min() >= -rate - 1e-12
    # "only at u*": a direction at distance d from u* loses exactly rate * d^2 / 2
    d = np.linalg.norm(U / np.linalg.norm(U, axis=1, keepdims=True) - u_star, axis=1)
    np.testing.assert_allclose(rate - all_rates, rate * d**2 / 2, rtol=0, atol=1e-12)


@pytest.mark.formula("eq-max-rate")
def test_dense_angle_grid_peaks_at_the_gradient_and_vanishes_on_the_tangent():
    grad = paraboloid_gradient([1.0, 2.0])
    u_star, rate = steepest_ascent(grad)
    phi = np.linspace(-np.pi, np.pi, 3601)  # steps of 0.1 degree
    rates = np.array([directional_derivative(grad, [np.cos(p), np.sin(p)]) for p in phi])
    best = phi[rates.argmax()]
    assert abs(best - np.arctan2(grad[1], grad[0])) <= np.pi / 3600
    assert rate - np.pi**2 / 3600**2 * rate <= rates.max() <= rate  # cos(step) >= 1 - step²/2
    assert rates.min() == pytest.approx(-rate, rel=1e-6)
    np.testing.assert_allclose(u_star, [1 / np.sqrt(5), 2 / np.sqrt(5)], atol=1e-15)
    assert rate == pytest.approx(2 * np.sqrt(5), abs=1e-15)  # sqrt(2^2 + 4^2)
    # zeros exactly a quarter turn from u*, along the level curve's tangent
    zeros = phi[np.abs(rates) < rate * np.pi / 3600]
    np.testing.assert_allclose(np.sort(np.cos(zeros - best)), 0.0, atol=2 * np.pi / 3600)
# --8<-- [end:test_max_rate]


# --8<-- [start:test_other_norms]
@pytest.mark.formula("eq-max-rate")
def test_under_the_l1_length_the_steepest_direction_is_a_coordinate_axis():
    rng = np.random.default_rng(7)
    grad = np.array([0.5, -2.0, 1.25])
    V = rng.normal(size=(20_000, 3))
    V /= np.abs(V).sum(axis=1, keepdims=True)  # ||v||_1 = 1
    rates = V @ grad
    # max over ||v||_1 = 1 of grad . v is ||grad||_inf, attained at -e_2 (|grad_2| is largest)
    assert rates.max() <= np.abs(grad).max() + 1e-12
    assert grad @ np.array([0.0, -1.0, 0.0]) == np.abs(grad).max()
    # ... which beats the Euclidean direction u* measured in the l1 length
    u_star, _ = steepest_ascent(grad)
    assert grad @ (u_star / np.abs(u_star).sum()) < np.abs(grad).max()


@pytest.mark.formula("eq-max-rate")
def test_under_a_quadratic_length_the_steepest_direction_is_F_inverse_g():
    rng = np.random.default_rng(11)
    M = rng.normal(size=(3, 3))
    F = M @ M.T + 0.5 * np.eye(3)  # symmetric positive definite
    grad = rng.normal(size=3)
    V = rng.normal(size=(50_000, 3))
    V /= np.sqrt(np.einsum("ki,ij,kj->k", V, F, V))[:, None]  # v^T F v = 1
    best = np.linalg.solve(F, grad)
    best /= np.sqrt(best @ F @ best)
    # max over v^T F v = 1 of grad . v is sqrt(grad^T F^-1 grad), at v ∝ F^-1 grad
    top = np.sqrt(grad @ np.linalg.solve(F, grad))
    assert grad @ best == pytest.approx(top, rel=1e-12)
    assert (V @ grad).max() <= top + 1e-12
    assert (V @ grad).max() > top * 0.99  # the random search gets close: the bound is tight
    u_star, _ = steepest_ascent(grad)
    assert grad @ (u_star / np.sqrt(u_star @ F @ u_star)) < top  # Euclidean u* is not it
# --8<-- [end:test_other_norms]


@pytest.mark.formula("eq-max-rate")
@given(seed=seeds)
@settings(max_examples=30, deadline=None)
def test_at_a_zero_gradient_every_direction_gives_zero(seed):
    u = np.random.default_rng(seed).normal(size=4)
    assert directional_derivative(np.zeros(4), u) == 0.0  # max = min = 0 = ||grad||
    with pytest.raises(ValueError, match="^grad must be nonzero: at grad = 0 every "
                                         "direction gives rate 0$"):
        steepest_ascent(np.zeros(4))


@pytest.mark.formula("eq-max-rate")
def test_a_zero_gradient_can_be_a_saddle():
    def saddle(y):
        return y[0] ** 2 - y[1] ** 2

    grad = numerical_gradient(saddle, [0.0, 0.0])
    np.testing.assert_array_equal(grad, [0.0, 0.0])
    # f rises along the x axis and falls along the y axis: neither a minimum nor a maximum
    for s in (1e-1, 1e-3):
        assert saddle([s, 0.0]) > saddle([0.0, 0.0]) > saddle([0.0, s])


# bad inputs -----------------------------------------------------------------------------

def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="^v must be a nonzero vector: "
                                         "the zero vector has no direction$"):
        directional_derivative([1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="^v must have 2 entries"):
        directional_derivative([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="^grad must be a finite nonempty vector"):
        directional_derivative([[1.0, 2.0]], [1.0, 0.0])
    with pytest.raises(ValueError, match="^grad must be a finite nonempty vector"):
        directional_derivative([np.nan, 2.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="^grad must be a finite nonempty vector"):
        directional_derivative([], [])
    with pytest.raises(ValueError, match="^v must be a finite nonempty vector"):
        directional_derivative([1.0, 2.0], [np.inf, 0.0])
    with pytest.raises(ValueError, match="^t must be a positive finite step"):
        difference_quotient(paraboloid, [1.0, 2.0], [3.0, 4.0], 0.0)
    with pytest.raises(ValueError, match="^t must be a positive finite step"):
        difference_quotient(paraboloid, [1.0, 2.0], [3.0, 4.0], np.inf)
    with pytest.raises(ValueError, match="^v must be a nonzero vector"):
        difference_quotient(paraboloid, [1.0, 2.0], [0.0, 0.0], 0.1)
    with pytest.raises(ValueError, match="^x must be a finite nonempty vector"):
        difference_quotient(paraboloid, [1.0, np.nan], [3.0, 4.0], 0.1)
    with pytest.raises(ValueError, match="^i must be in 0..1"):
        partial_derivative(paraboloid, [1.0, 2.0], 2)
    with pytest.raises(ValueError, match="^i must be in 0..1"):
        partial_derivative(paraboloid, [1.0, 2.0], -1)
    with pytest.raises(ValueError, match="^h must be a positive finite step"):
        partial_derivative(paraboloid, [1.0, 2.0], 0, h=-1e-3)
    with pytest.raises(ValueError, match="^h must be a positive finite step"):
        partial_derivative(paraboloid, [1.0, 2.0], 0, h=np.nan)
    with pytest.raises(ValueError, match="^grad must be a finite nonempty vector"):
        steepest_ascent([np.inf, 1.0])
    with pytest.raises(ValueError, match="^x must have 2 entries"):
        ridge([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="^x must be a finite nonempty vector"):
        paraboloid_gradient([np.nan])
    with pytest.raises(ValueError, match="^v must have 2 entries"):
        difference_quotient(paraboloid, [1.0, 2.0], [1.0, 2.0, 3.0], 0.1)
    with pytest.raises(ValueError, match="^x must be a finite nonempty vector"):
        partial_derivative(paraboloid, [np.nan, 2.0], 0)
    with pytest.raises(ValueError, match="^x must be a finite nonempty vector"):
        numerical_gradient(paraboloid, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="^x must be a finite nonempty vector"):
        paraboloid([np.inf, 2.0])


def test_integer_input_is_computed_in_floating_point():
    # 4e9 squared overflows a 64-bit integer; the functions work in float64
    assert paraboloid([4_000_000_000, 0]) == 1.6e19
    np.testing.assert_array_equal(paraboloid_gradient([3, 4]), [6.0, 8.0])
    assert directional_derivative([2, 4], [3, 4]) == pytest.approx(4.4, abs=1e-15)
