"""Checks of math-optim/quadratic-form: every key equation against something independent.

Independent references used here: the polynomial written out as explicit double sums, torch
autograd (gradient and Hessian), values computed by hand for the page's toy example,
matrices built with known eigenvalues, Sylvester's criterion (leading principal minors),
brute-force sampling of f, plain gradient descent on autograd gradients, and matrix powers.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.math_optim.quadratic_form import (
    SADDLE_A,
    TOY_A,
    TOY_B,
    TOY_C,
    VALLEY_A,
    VALLEY_B_IN,
    VALLEY_B_OUT,
    definiteness,
    gradient_descent,
    quadratic_gradient,
    quadratic_hessian,
    quadratic_infimum,
    quadratic_minimum,
    quadratic_value,
    stationary_point,
    symmetrize,
)

torch.set_num_threads(1)  # tiny tensors; mutmut forks (CONTRIBUTING.md, "Torch under mutmut")
seeds = st.integers(min_value=0, max_value=2**32 - 1)
dims = st.integers(min_value=1, max_value=5)


def explicit_f(x, a, b, c) -> float:
    """sum_ij a_ij x_i x_j + sum_k b_k x_k + c, every term written out."""
    n = len(x)
    return (sum(a[i][j] * x[i] * x[j] for i in range(n) for j in range(n))
            + sum(b[k] * x[k] for k in range(n)) + c)


def with_eigenvalues(lam, rng) -> np.ndarray:
    """A symmetric matrix Q diag(lam) Q^T with a random orthogonal Q."""
    Q, _ = np.linalg.qr(rng.normal(size=(len(lam), len(lam))))
    return Q @ np.diag(lam) @ Q.T


def torch_f(x, A, b, c):
    return x @ torch.as_tensor(A) @ x + torch.as_tensor(b) @ x + c


def autograd_gradient(x, A, b, c=0.0) -> np.ndarray:
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch_f(xt, A, b, c), xt)
    return g.numpy()


def random_pd(rng, n) -> np.ndarray:
    """A non-symmetric matrix whose symmetric part has eigenvalues in [0.5, 5]."""
    K = rng.normal(size=(n, n))
    return with_eigenvalues(rng.uniform(0.5, 5, size=n), rng) + (K - K.T)


# --8<-- [start:test_quadratic_value]
@pytest.mark.formula("eq-quadratic-form")
@given(seed=seeds, n=dims)
@settings(max_examples=25, deadline=None)
def test_matrix_form_equals_the_polynomial(seed, n):
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(n, n)), rng.normal(size=n), rng.normal()  # a not symmetric
    x = rng.normal(size=n)
    assert quadratic_value(x, a, b, c) == pytest.approx(explicit_f(x, a, b, c), abs=1e-10)
# --8<-- [end:test_quadratic_value]


@pytest.mark.formula("eq-quadratic-form")
def test_toy_value_by_hand_and_a_batch_of_points():
    # f(1, 1) = 2 + 3 - 1 + 3 - 4 - 6 + 5 = 2
    assert quadratic_value([1.0, 1.0], TOY_A, TOY_B, TOY_C) == 2.0
    grid = np.random.default_rng(0).normal(size=(3, 4, 2))
    batch = quadratic_value(grid, TOY_A, TOY_B, TOY_C)
    assert batch.shape == (3, 4)
    for idx in np.ndindex(3, 4):
        assert batch[idx] == pytest.approx(explicit_f(grid[idx], TOY_A, TOY_B, TOY_C), abs=1e-12)


# --8<-- [start:test_symmetrize]
@pytest.mark.formula("eq-symmetrize")
@given(seed=seeds, n=dims)
@settings(max_examples=25, deadline=None)
def test_symmetric_part_gives_the_same_polynomial(seed, n):
    rng = np.random.default_rng(seed)
    A, b, c = rng.normal(size=(n, n)), rng.normal(size=n), rng.normal()
    A_s = symmetrize(A)
    x = rng.normal(size=n)
    np.testing.assert_allclose(A_s, A_s.T, rtol=0, atol=0)
    assert explicit_f(x, A_s, b, c) == pytest.approx(explicit_f(x, A, b, c), abs=1e-10)
    # the antisymmetric rest contributes nothing: x^T (A - A^T) x = 0
    assert explicit_f(x, A - A.T, np.zeros(n), 0.0) == pytest.approx(0.0, abs=1e-10)
    # and A_s is the only symmetric matrix that gives f: recover it from values of f alone,
    # s_ij = (q(e_i + e_j) - q(e_i) - q(e_j)) / 2 with q(x) = x^T A x (polarisation)
    eye = np.eye(n)
    q = [[explicit_f(eye[i] + eye[j], A, np.zeros(n), 0.0) for j in range(n)]
         for i in range(n)]
    polar = [[(q[i][j] - q[i][i] / 4 - q[j][j] / 4) / 2 for j in range(n)] for i in range(n)]
    np.testing.assert_allclose(A_s, polar, rtol=0, atol=1e-10)
# --8<-- [end:test_symmetrize]


@pytest.mark.formula("eq-symmetrize")
def test_toy_symmetric_part_by_hand():
    # a_12 = 3 and a_21 = -1 share the term 2 x1 x2: A_s = [[2, 1], [1, 3]]
    np.testing.assert_array_equal(symmetrize(TOY_A), [[2.0, 1.0], [1.0, 3.0]])


# --8<-- [start:test_gradient]
@pytest.mark.formula("eq-gradient")
@given(seed=seeds, n=dims)
@settings(max_examples=30, deadline=None)
def test_gradient_equals_autograd(seed, n):
    rng = np.random.default_rng(seed)
    A, b, x = rng.normal(size=(n, n)), rng.normal(size=n), rng.normal(size=n)
    g = autograd_gradient(x, A, b, rng.normal())
    np.testing.assert_allclose(quadratic_gradient(x, A, b), g, rtol=1e-12, atol=1e-12)
    # 2 A x + b is right for the symmetric part only ...
    np.testing.assert_allclose(2 * symmetrize(A) @ x + b, g, rtol=1e-12, atol=1e-12)
# --8<-- [end:test_gradient]


@pytest.mark.formula("eq-gradient")
def test_two_a_x_plus_b_is_wrong_for_a_non_symmetric_a():
    x = np.array([1.0, 1.0])
    g = autograd_gradient(x, TOY_A, TOY_B)
    np.testing.assert_allclose(quadratic_gradient(x, TOY_A, TOY_B), g, rtol=0, atol=1e-14)
    np.testing.assert_allclose(g, [2.0, 2.0], rtol=0, atol=1e-14)  # by hand: (4+2-4, 2+6-6)
    assert np.abs(2 * TOY_A @ x + TOY_B - g).max() > 1  # (6, -2): the formula of A_s only
    S = symmetrize(TOY_A)  # with a symmetric matrix both forms agree
    np.testing.assert_allclose(quadratic_gradient(x, S, TOY_B), 2 * S @ x + TOY_B)


# --8<-- [start:test_hessian]
@pytest.mark.formula("eq-hessian")
@given(seed=seeds, n=dims)
@settings(max_examples=20, deadline=None)
def test_hessian_equals_autograd(seed, n):
    rng = np.random.default_rng(seed)
    A, b, x = rng.normal(size=(n, n)), rng.normal(size=n), rng.normal(size=n)
    H = torch.autograd.functional.hessian(
        lambda v: torch_f(v, A, b, 1.0), torch.tensor(x, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(quadratic_hessian(A), H, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(quadratic_hessian(A), 2 * symmetrize(A), rtol=0, atol=1e-15)
# --8<-- [end:test_hessian]


# --8<-- [start:test_stationary_point]
@pytest.mark.formula("eq-stationary-point")
@given(seed=seeds, n=dims)
@settings(max_examples=30, deadline=None)
def test_gradient_vanishes_at_the_stationary_point(seed, n):
    rng = np.random.default_rng(seed)
    signs = rng.choice([-1.0, 1.0], size=n)  # any definiteness, but invertible
    K = rng.normal(size=(n, n))
    A = with_eigenvalues(signs * rng.uniform(0.5, 3, size=n), rng) + (K - K.T)
    b = rng.normal(size=n)
    x = stationary_point(A, b)
    np.testing.assert_allclose(autograd_gradient(x, A, b), 0, rtol=0, atol=1e-10)
    # the completed square holds for every invertible A_s, definite or not:
    # f(y) = (y - x*)^T A_s (y - x*) + c - ¼ b^T A_s^{-1} b
    c, y = rng.normal(), rng.normal(size=n)
    square = (y - x) @ ((A + A.T) / 2) @ (y - x)
    const = c - 0.25 * b @ np.linalg.solve((A + A.T) / 2, b)
    assert explicit_f(y, A, b, c) == pytest.approx(square + const, abs=1e-9)
# --8<-- [end:test_stationary_point]


@pytest.mark.formula("eq-stationary-point")
def test_toy_stationary_point_by_hand_and_1x1():
    # 2A_s x = -b: 4x1 + 2x2 = 4, 2x1 + 6x2 = 6; Cramer: x1 = (24-12)/20, x2 = (24-8)/20
    np.testing.assert_allclose(stationary_point(TOY_A, TOY_B), [0.6, 0.8], rtol=0, atol=1e-15)
    np.testing.assert_allclose(stationary_point([[2.0]], [4.0]), [-1.0])  # 4x + 4 = 0


# --8<-- [start:test_saddle]
@pytest.mark.formula("eq-stationary-point")
def test_indefinite_a_gives_a_saddle():
    # SADDLE_A = [[2, 3], [3, 2]]: by hand x* = (1, 0) (4x1 + 6x2 = 4, 6x1 + 4x2 = 6), f = 3
    x = stationary_point(SADDLE_A, TOY_B)
    np.testing.assert_allclose(x, [1.0, 0.0], rtol=0, atol=1e-15)
    f0 = explicit_f(x, SADDLE_A, TOY_B, TOY_C)
    assert f0 == pytest.approx(3.0, abs=1e-14)
    np.testing.assert_allclose(autograd_gradient(x, SADDLE_A, TOY_B), 0, atol=1e-14)
    # on every small circle round x*, f is above f(x*) somewhere and below it elsewhere:
    # neither a minimum nor a maximum (360 directions, radii down to 1e-4)
    angles = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    for r in (1.0, 1e-2, 1e-4):
        ring = x + r * np.c_[np.cos(angles), np.sin(angles)]
        df = np.array([explicit_f(p, SADDLE_A, TOY_B, TOY_C) for p in ring]) - f0
        assert df.max() > 0 > df.min()
    assert definiteness(SADDLE_A) == "indefinite"
# --8<-- [end:test_saddle]


@pytest.mark.formula("eq-definiteness")
def test_parabolas_along_the_eigenvectors():
    # the page: g(1 + t, t) = 3 + 10t², g(1 + t, -t) = 3 - 2t²; and f(x* + t q_i) = f* + λ_i t²
    for t in (-2.0, 0.3, 1.5):
        assert explicit_f([1 + t, t], SADDLE_A, TOY_B, TOY_C) == pytest.approx(3 + 10 * t * t)
        assert explicit_f([1 + t, -t], SADDLE_A, TOY_B, TOY_C) == pytest.approx(3 - 2 * t * t)
    for A in (TOY_A, SADDLE_A):
        x = np.linalg.solve(A + A.T, -TOY_B)
        f0 = explicit_f(x, A, TOY_B, TOY_C)
        lam, Q = np.linalg.eigh((A + A.T) / 2)
        for i in range(2):
            for t in (-1.0, 0.5, 2.0):
                ft = explicit_f(x + t * Q[:, i], A, TOY_B, TOY_C)
                assert ft == pytest.approx(f0 + lam[i] * t * t, abs=1e-12)
    # level set f* + r² crosses the axis q_i at distance r / √λ_i (toy, r = 0.7)
    lam, Q = np.linalg.eigh(symmetrize(TOY_A))
    for i in range(2):
        p = np.array([0.6, 0.8]) + 0.7 / np.sqrt(lam[i]) * Q[:, i]
        assert explicit_f(p, TOY_A, TOY_B, TOY_C) == pytest.approx(1.4 + 0.49, abs=1e-12)


@pytest.mark.formula("eq-definiteness")
def test_eigenvalues_of_a_non_symmetric_a_say_nothing():
    # the page: [[1, 10], [0, 1]] has eigenvalues 1, 1, yet x = (1, -1) gives -8
    A = np.array([[1.0, 10.0], [0.0, 1.0]])
    np.testing.assert_array_equal(np.linalg.eigvals(A), [1.0, 1.0])
    assert explicit_f([1.0, -1.0], A, [0.0, 0.0], 0.0) == -8.0
    assert definiteness(A) == "indefinite"


# --8<-- [start:test_minimum]
@pytest.mark.formula("eq-minimum")
@pytest.mark.parametrize("seed", [0, 1])
def test_minimum_agrees_with_gradient_descent_on_autograd(seed):
    rng = np.random.default_rng(seed)
    n = 4
    A, b, c = random_pd(rng, n), rng.normal(size=n), rng.normal()
    x_star, f_star = quadratic_minimum(A, b, c)
    # plain gradient descent with autograd gradients, step 1/(λ_min + λ_max) of A_s
    lam = np.linalg.eigvalsh((A + A.T) / 2)
    x = torch.zeros(n, dtype=torch.float64, requires_grad=True)
    for _ in range(300):  # contraction (κ-1)/(κ+1) <= 9/11 per step: 0.82^300 < 1e-25
        (g,) = torch.autograd.grad(torch_f(x, A, b, c), x)
        x = (x - g / (lam[0] + lam[-1])).detach().requires_grad_(True)
    np.testing.assert_allclose(x_star, x.detach().numpy(), rtol=0, atol=1e-10)
    assert f_star == pytest.approx(float(torch_f(x.detach(), A, b, c)), abs=1e-10)
    # no sampled point is lower, and f - f* is the completed square (y - x*)^T A_s (y - x*)
    ys = x_star + rng.normal(scale=3, size=(300, n))
    fy = np.array([explicit_f(y, A, b, c) for y in ys])
    assert fy.min() >= f_star
    e = ys - x_star
    np.testing.assert_allclose(fy - f_star, np.einsum("ki,ij,kj->k", e, A, e), atol=1e-9)
# --8<-- [end:test_minimum]


@pytest.mark.formula("eq-minimum")
def test_toy_minimum_by_hand():
    # A_s^{-1} b = (1/5)[[3, -1], [-1, 2]] (-4, -6) = (-1.2, -1.6)
    # f* = 5 - (1/4)((-4)(-1.2) + (-6)(-1.6)) = 5 - 3.6 = 1.4 = f(0.6, 0.8)
    x_star, f_star = quadratic_minimum(TOY_A, TOY_B, TOY_C)
    np.testing.assert_allclose(x_star, [0.6, 0.8], rtol=0, atol=1e-15)
    assert f_star == pytest.approx(1.4, abs=1e-14)
    assert explicit_f([0.6, 0.8], TOY_A, TOY_B, TOY_C) == pytest.approx(1.4, abs=1e-14)
    x1, f1 = quadratic_minimum([[2.0]], [4.0], 1.0)  # 2x² + 4x + 1 at x = -1
    assert (x1.tolist(), f1) == ([-1.0], -1.0)


# --8<-- [start:test_half_convention]
@pytest.mark.formula("eq-minimum")
def test_the_half_convention_of_the_textbooks():
    # g(x) = ½ x^T P x + q^T x + r (P symmetric positive definite): x* = -P^{-1} q,
    # g* = r - ½ q^T P^{-1} q; it is f with A = P/2, so quadratic_minimum(P/2, q, r) agrees
    rng = np.random.default_rng(3)
    P = with_eigenvalues([0.5, 2.0, 4.0], rng)
    q, r = rng.normal(size=3), rng.normal()
    x_half = -np.linalg.solve(P, q)
    g_half = r - 0.5 * q @ np.linalg.solve(P, q)
    xt = torch.tensor(x_half, requires_grad=True)
    (grad,) = torch.autograd.grad(0.5 * xt @ torch.as_tensor(P) @ xt + torch.as_tensor(q) @ xt, xt)
    np.testing.assert_allclose(grad.numpy(), 0, atol=1e-12)  # stationary for g
    x_star, f_star = quadratic_minimum(P / 2, q, r)
    np.testing.assert_allclose(x_star, x_half, atol=1e-12)
    assert f_star == pytest.approx(g_half, abs=1e-12)
    # plugging P into the formulas of f (forgetting the ½) gives another, wrong point
    x_wrong, _ = quadratic_minimum(P, q, r)
    assert np.abs(x_wrong - x_half).max() > 0.1
# --8<-- [end:test_half_convention]


@pytest.mark.formula("eq-minimum")
@pytest.mark.parametrize("A", [VALLEY_A, SADDLE_A, -np.eye(2), [[0.0, 0.0], [0.0, 0.0]],
                               [[1.0, 4.0], [-4.0, -1e-9]]])
def test_minimum_refuses_a_non_positive_definite_a(A):
    with pytest.raises(ValueError, match="^A must be positive definite"):
        quadratic_minimum(A, TOY_B, TOY_C)


# --8<-- [start:test_definiteness]
@pytest.mark.formula("eq-definiteness")
@pytest.mark.parametrize("lam, expected", [
    ([1.0, 2.0, 3.0], "positive definite"), ([0.0, 2.0, 3.0], "positive semidefinite"),
    ([-1.0, -2.0, -3.0], "negative definite"), ([-1.0, 0.0, -3.0], "negative semidefinite"),
    ([-1.0, 0.0, 3.0], "indefinite"), ([0.0, 0.0, 0.0], "positive semidefinite")])
def test_definiteness_of_matrices_with_known_eigenvalues(lam, expected):
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    K = rng.normal(size=(3, 3))
    A = Q @ np.diag(lam) @ Q.T + (K - K.T)  # the antisymmetric part must not matter
    assert definiteness(A) == expected
    # x^T A x = Σ λ_i (q_i^T x)^2, written out on 500 random points
    xs = rng.normal(size=(500, 3))
    quad = np.array([explicit_f(x, A, np.zeros(3), 0.0) for x in xs])
    np.testing.assert_allclose(quad, ((xs @ Q) ** 2) @ np.array(lam), atol=1e-10)
    # signs seen by brute force, and a non-zero x with x^T A x = 0 for the semidefinite ones
    on_q = [explicit_f(Q[:, i], A, np.zeros(3), 0.0) for i in range(3)]
    signs = (bool(quad.min() < -1e-10), bool(quad.max() > 1e-10),
             min(abs(v) for v in on_q) < 1e-12)
    assert signs == {"positive definite": (False, True, False),
                     "positive semidefinite": (False, lam != [0.0] * 3, True),
                     "negative definite": (True, False, False),
                     "negative semidefinite": (True, False, True),
                     "indefinite": (True, True, True)}[expected]
# --8<-- [end:test_definiteness]


@pytest.mark.formula("eq-definiteness")
@given(seed=seeds, n=dims)
@settings(max_examples=40, deadline=None)
def test_positive_definite_iff_sylvester(seed, n):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n)) + rng.uniform(-1, 3) * np.eye(n)
    S = (A + A.T) / 2
    minors = [np.linalg.det(S[:k, :k]) for k in range(1, n + 1)]
    minors_neg = [np.linalg.det(-S[:k, :k]) for k in range(1, n + 1)]
    assert (definiteness(A) == "positive definite") == all(m > 1e-9 for m in minors)
    assert (definiteness(A) == "negative definite") == all(m > 1e-9 for m in minors_neg)


@pytest.mark.formula("eq-definiteness")
@given(seed=seeds, n=st.integers(1, 4))
@settings(max_examples=40, deadline=None)
def test_semidefinite_iff_all_principal_minors_nonnegative(seed, n):
    from itertools import combinations

    rng = np.random.default_rng(seed)
    lam = rng.choice([-1.0, 0.0, 0.0, 1.0, 2.5], size=n)  # exact zeros are common here
    S = with_eigenvalues(lam, rng)
    minors = [np.linalg.det(S[np.ix_(idx, idx)])
              for k in range(1, n + 1) for idx in combinations(range(n), k)]
    psd = definiteness(S) in ("positive definite", "positive semidefinite")
    assert psd == bool(np.all(lam >= 0))
    assert psd == (min(minors) >= -1e-9)


@pytest.mark.formula("eq-definiteness")
def test_sylvester_on_the_page_examples():
    S, G = symmetrize(TOY_A), symmetrize(SADDLE_A)
    assert [np.linalg.det(S[:k, :k]) for k in (1, 2)] == pytest.approx([2.0, 5.0])
    assert [np.linalg.det(G[:k, :k]) for k in (1, 2)] == pytest.approx([2.0, -5.0])
    assert definiteness(TOY_A) == "positive definite" and definiteness(SADDLE_A) == "indefinite"


@pytest.mark.formula("eq-definiteness")
def test_leading_minors_do_not_decide_semidefiniteness():
    # diag(0, -1): leading principal minors 0 and 0 are >= 0, yet x = (0, 1) gives -1
    A = np.diag([0.0, -1.0])
    assert [np.linalg.det(A[:k, :k]) for k in (1, 2)] == [0.0, 0.0]
    assert explicit_f([0.0, 1.0], A, [0.0, 0.0], 0.0) == -1.0
    assert definiteness(A) == "negative semidefinite"


@pytest.mark.formula("eq-definiteness")
def test_tolerance_counts_small_eigenvalues_as_zero():
    # tol * max|λ| is the threshold: 5e-10 is zero next to 10 (threshold 1e-9) ...
    assert definiteness(np.diag([5e-10, 10.0])) == "positive semidefinite"
    assert definiteness(np.diag([-5e-10, -10.0])) == "negative semidefinite"
    assert definiteness(np.diag([5e-10, -10.0])) == "negative semidefinite"
    # ... but not next to 1 (threshold 1e-10), nor with tol = 0
    assert definiteness(np.diag([5e-10, 1.0])) == "positive definite"
    assert definiteness(np.diag([5e-10, 10.0]), tol=0) == "positive definite"
    assert definiteness(np.diag([0.0, -1.0]), tol=0) == "negative semidefinite"
    assert definiteness([[0.0]], tol=0) == "positive semidefinite"


# --8<-- [start:test_minimum_cases]
@pytest.mark.formula("eq-minimum-cases")
@given(seed=seeds, n=st.integers(2, 5), case=st.sampled_from(
    ["definite", "semidefinite, b in range", "semidefinite, b outside", "indefinite"]))
@settings(max_examples=40, deadline=None)
def test_infimum_in_every_case(seed, n, case):
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.5, 3, size=n)
    if case.startswith("semidefinite"):
        lam[: rng.integers(1, n)] = 0.0  # at least one zero, at least one positive
    if case == "indefinite":
        lam[0] = -rng.uniform(0.5, 3)
    K = rng.normal(size=(n, n))
    A_s = with_eigenvalues(lam, rng)
    A, c = A_s + (K - K.T), rng.normal()
    b = A_s @ rng.normal(size=n) if case.endswith("in range") else rng.normal(size=n)
    result = quadratic_infimum(A, b, c)
    if case in ("semidefinite, b outside", "indefinite"):
        # unbounded below: along the returned direction f falls below any bound
        assert result.kind == "unbounded" and result.value == -np.inf
        values = [explicit_f(t * result.x, A, b, c) for t in (1e2, 1e4, 1e6)]
        # falling at least linearly in t: (f(1e4) - f(1e6)) >= 50 (f(1e2) - f(1e4)) > 0
        assert values[1] - values[2] >= 50 * (values[0] - values[1]) > 0
        return
    # a minimum exists: f(x) is the value, the gradient vanishes, no sample is lower
    assert result.kind == ("unique" if case == "definite" else "not unique")
    x = result.x
    assert explicit_f(x, A, b, c) == pytest.approx(result.value, abs=1e-9)
    np.testing.assert_allclose(autograd_gradient(x, A, b), 0, atol=1e-9)
    ys = x + rng.normal(scale=3, size=(200, n))
    assert min(explicit_f(y, A, b, c) for y in ys) >= result.value - 1e-9
    if case == "definite":
        np.testing.assert_allclose(quadratic_minimum(A, b, c)[0], x, atol=1e-10)
    else:  # every x + v with A_s v = 0 is a minimiser too: not unique
        U, sv, Vt = np.linalg.svd(A_s)
        v = Vt[-1] * 5  # a null vector of A_s
        assert explicit_f(x + v, A, b, c) == pytest.approx(result.value, abs=1e-9)
        # and only those: a step w with a part outside null(A_s) costs something
        w = Vt[0] * rng.uniform(0.1, 1)  # Vt[0]: the largest singular value, in range(A_s)
        assert explicit_f(x + v + w, A, b, c) > result.value + 1e-3
        np.testing.assert_allclose(x, -0.5 * np.linalg.pinv(A_s) @ b, atol=1e-9)  # least norm
# --8<-- [end:test_minimum_cases]


@pytest.mark.formula("eq-minimum-cases")
def test_valley_examples_by_hand():
    # A = [[1, 1], [1, 1]]: f = (x1 + x2)² + b^T x + 5
    # b = (-2, -2): f = u² - 2u + 5 with u = x1 + x2, min 4 on the line u = 1
    r = quadratic_infimum(VALLEY_A, VALLEY_B_IN, TOY_C)
    assert r.kind == "not unique" and r.value == pytest.approx(4.0, abs=1e-14)
    np.testing.assert_allclose(r.x, [0.5, 0.5], atol=1e-15)
    # b = (-2, 0): along (1, -1) u stays 0 and f = 5 - 2t
    r = quadratic_infimum(VALLEY_A, VALLEY_B_OUT, TOY_C)
    assert r.kind == "unbounded" and r.value == -np.inf
    np.testing.assert_allclose(r.x, [1.0, -1.0], atol=1e-15)
    # no stationary point at all: 2 A_s x = -b has no solution (least-squares residual > 0)
    x_ls = np.linalg.lstsq(2 * VALLEY_A, -VALLEY_B_OUT, rcond=None)[0]
    assert np.linalg.norm(2 * VALLEY_A @ x_ls + VALLEY_B_OUT) > 1
    for t in (1.0, 10.0, 1e3):  # f(t d) = c - t |d|² = 5 - 2t
        assert explicit_f(t * r.x, VALLEY_A, VALLEY_B_OUT, TOY_C) == pytest.approx(5 - 2 * t)
    # b = 0 is in every range; a diagonal with an exact zero and tol = 0
    r = quadratic_infimum(VALLEY_A, [0.0, 0.0], 1.0)
    assert r.kind == "not unique" and r.value == 1.0
    r = quadratic_infimum(np.diag([0.0, 1.0]), [0.0, 2.0], 3.0, tol=0)
    assert r.kind == "not unique" and r.value == 2.0  # x2² + 2x2 + 3 at x2 = -1
    r = quadratic_infimum(np.diag([2.0, 1.0]), [4.0, 2.0], 3.0, tol=0)
    assert r.kind == "unique" and r.value == 0.0  # 2x1² + 4x1 + x2² + 2x2 + 3 at (-1, -1)
    r = quadratic_infimum(SADDLE_A, TOY_B, TOY_C)  # eigenvector of -1 is ±(1, -1)/√2
    assert r.kind == "unbounded" and abs(r.x[0] + r.x[1]) < 1e-15
    # b = (-4, -4) has no part along that eigenvector: still unbounded, along it
    r = quadratic_infimum(SADDLE_A, [-4.0, -4.0], TOY_C)
    assert r.kind == "unbounded" and abs(r.x[0] + r.x[1]) < 1e-15
    assert quadratic_infimum([[-1.0]], [0.0], 0.0).kind == "unbounded"  # -x²


@pytest.mark.formula("eq-minimum-cases")
def test_infimum_tolerances():
    # eigenvalue 5e-10 next to 10 counts as zero (threshold 1e-9), b = (0, 0) in range
    assert quadratic_infimum(np.diag([5e-10, 10.0]), [0.0, 0.0], 0.0).kind == "not unique"
    assert quadratic_infimum(np.diag([-5e-10, 10.0]), [0.0, 0.0], 0.0).kind == "not unique"
    assert quadratic_infimum(np.diag([5e-10, 1.0]), [0.0, 0.0], 0.0).kind == "unique"
    # b's null-space part 5e-10 with |b| = 10 is within tol |b| = 1e-9: still in range
    b = np.array([5e-10, 10.0])
    assert quadratic_infimum(np.diag([0.0, 1.0]), b, 0.0).kind == "not unique"
    assert quadratic_infimum(np.diag([0.0, 1.0]), [2e-10, 1.0], 0.0).kind == "unbounded"


# --8<-- [start:test_gd_error]
@pytest.mark.formula("eq-gd-error")
@given(seed=seeds, n=dims, frac=st.floats(0.05, 0.99))
@settings(max_examples=25, deadline=None)
def test_gradient_descent_error_is_a_matrix_power(seed, n, frac):
    rng = np.random.default_rng(seed)
    A, b = random_pd(rng, n), rng.normal(size=n)
    A_s = (A + A.T) / 2
    lam = np.linalg.eigvalsh(A_s)
    lr = frac / lam[-1]  # 0 < α < 1/λ_max
    x_star = np.linalg.solve(A + A.T, -b)
    x0 = rng.normal(size=n)
    xs = gradient_descent(A, b, x0, lr, 30)
    M = np.eye(n) - 2 * lr * A_s
    for k in (0, 1, 7, 30):
        np.testing.assert_allclose(xs[k] - x_star,
                                   np.linalg.matrix_power(M, k) @ (x0 - x_star), atol=1e-10)
    rho = np.abs(1 - 2 * lr * lam).max()
    assert rho < 1
    err = np.linalg.norm(xs - x_star, axis=1)
    assert np.all(err <= rho ** np.arange(31) * err[0] + 1e-12)
# --8<-- [end:test_gd_error]


@pytest.mark.formula("eq-gd-error")
@pytest.mark.parametrize("frac, grows", [(1.0, False), (1.05, True)])
def test_gradient_descent_fails_from_one_over_lambda_max(frac, grows):
    A_s = symmetrize(TOY_A)
    lam, Q = np.linalg.eigh(A_s)
    x_star = np.array([0.6, 0.8])  # by hand, see test_toy_minimum_by_hand
    x0 = x_star + Q[:, -1]  # start off along the top eigenvector
    xs = gradient_descent(TOY_A, TOY_B, x0, frac / lam[-1], 40)
    err = np.linalg.norm(xs - x_star, axis=1)
    # error factor |1 - 2α λ_max| = 2 frac - 1 >= 1 each step: no convergence
    np.testing.assert_allclose(err, (2 * frac - 1) ** np.arange(41), rtol=1e-6)
    assert (err[-1] > 2) == grows


@pytest.mark.formula("eq-gd-error")
def test_best_constant_step_by_brute_force():
    # ρ(α) = max_i |1 - 2αλ_i| on a fine grid of α: smallest at 1/(λ_1 + λ_n), where it
    # equals (κ - 1)/(κ + 1); for the toy 1/(λ_1 + λ_n) = 1/5 and ρ = √5/5 ≈ 0.447
    lam = np.linalg.eigvalsh(symmetrize(TOY_A))
    alphas = np.linspace(1e-4, 1 / lam[-1], 200001)
    rho = np.abs(1 - 2 * alphas[:, None] * lam).max(axis=1)
    assert alphas[rho.argmin()] == pytest.approx(0.2, abs=1e-5)
    kappa = lam[-1] / lam[0]
    assert rho.min() == pytest.approx((kappa - 1) / (kappa + 1), abs=1e-5)
    assert (kappa - 1) / (kappa + 1) == pytest.approx(5**0.5 / 5, abs=1e-12)
    xs = gradient_descent(TOY_A, TOY_B, [-1.0, -1.0], 0.2, 40)
    err = np.linalg.norm(xs - [0.6, 0.8], axis=1)
    assert np.all(err[1:] <= 5**-0.5 * err[:-1] + 1e-15)


# --8<-- [start:test_newton_one_step]
@pytest.mark.formula("eq-minimum")
@pytest.mark.parametrize("seed", [4, 5])
def test_newton_one_step(seed):
    rng = np.random.default_rng(seed)
    A, b, c = random_pd(rng, 3), rng.normal(size=3), rng.normal()
    x0 = torch.tensor(rng.normal(scale=5, size=3))
    g = torch.as_tensor(autograd_gradient(x0.numpy(), A, b, c))
    H = torch.autograd.functional.hessian(lambda v: torch_f(v, A, b, c), x0)
    x1 = x0 - torch.linalg.solve(H, g)  # x_1 = x_0 - (∇²f)⁻¹ ∇f(x_0)
    np.testing.assert_allclose(x1.numpy(), quadratic_minimum(A, b, c)[0], atol=1e-10)
# --8<-- [end:test_newton_one_step]


@pytest.mark.formula("eq-gd-error")
def test_gradient_descent_steps_by_hand():
    # x1 = x0 - α ((A + A^T) x0 + b) with x0 = (1, 1): gradient (2, 2), α = 0.1
    xs = gradient_descent(TOY_A, TOY_B, [1.0, 1.0], 0.1, 1)
    np.testing.assert_allclose(xs, [[1.0, 1.0], [0.8, 0.8]], atol=1e-15)
    assert gradient_descent(TOY_A, TOY_B, [1.0, 1.0], 0.1, 0).shape == (1, 2)


def test_exact_rational_inputs_are_converted_to_float():
    from fractions import Fraction

    half = Fraction(1, 2)
    A = [[Fraction(2), Fraction(3)], [Fraction(-1), Fraction(3)]]
    g = quadratic_gradient([half, half], A, [Fraction(-4), Fraction(-6)])
    np.testing.assert_array_equal(g, [-1.0, -2.0])  # (4·½ + 2·½ - 4, 2·½ + 6·½ - 6)
    np.testing.assert_array_equal(quadratic_hessian(np.eye(2, dtype=bool)), 2 * np.eye(2))


def test_bad_inputs():
    with pytest.raises(ValueError, match="A must be a non-empty square"):
        gradient_descent(np.ones((2, 3)), TOY_B, [0.0, 0.0], 0.1, 3)
    with pytest.raises(ValueError, match="A must be a non-empty square"):
        quadratic_gradient([1.0, 2.0], np.ones((2, 3)), TOY_B)
    with pytest.raises(ValueError, match="b must have last dimension 2"):
        gradient_descent(TOY_A, [0.0], [0.0, 0.0], 0.1, 3)
    with pytest.raises(ValueError, match="b must have last dimension 2"):
        quadratic_infimum(TOY_A, [0.0], 0.0)
    with pytest.raises(ValueError, match="b must have last dimension 2"):
        stationary_point(TOY_A, [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="c must be a finite scalar"):
        quadratic_minimum(TOY_A, TOY_B, np.inf)
    with pytest.raises(ValueError, match="tol must be a scalar in"):
        definiteness(TOY_A, tol=np.array([0.1]))
    with pytest.raises(ValueError, match="lr must be a positive scalar"):
        gradient_descent(TOY_A, TOY_B, [0.0, 0.0], np.array([0.1]), 3)
    with pytest.raises(ValueError, match="A must be a non-empty square"):
        quadratic_value([1.0, 2.0], np.ones((2, 3)), [0.0, 0.0], 0.0)
    with pytest.raises(ValueError, match="A must be a non-empty square"):
        symmetrize(np.ones((0, 0)))
    with pytest.raises(ValueError, match="A must be a non-empty square"):
        quadratic_hessian(np.ones(3))
    with pytest.raises(ValueError, match="A must be finite"):
        quadratic_hessian([[np.nan]])
    with pytest.raises(ValueError, match="b must have last dimension 2"):
        quadratic_value([1.0, 2.0], TOY_A, [0.0], 0.0)
    with pytest.raises(ValueError, match="b must have last dimension 2"):
        quadratic_minimum(TOY_A, [[0.0, 1.0]], 0.0)
    with pytest.raises(ValueError, match="b must be finite"):
        quadratic_gradient([1.0, 2.0], TOY_A, [np.inf, 0.0])
    with pytest.raises(ValueError, match="x must have last dimension 2"):
        quadratic_value(1.0, TOY_A, TOY_B, 0.0)
    with pytest.raises(ValueError, match="x must have last dimension 2"):
        quadratic_gradient([[1.0, 2.0]], TOY_A, TOY_B)
    with pytest.raises(ValueError, match="c must be a finite scalar"):
        quadratic_value([1.0, 2.0], TOY_A, TOY_B, [1.0, 2.0])
    with pytest.raises(ValueError, match="c must be a finite scalar"):
        quadratic_infimum(TOY_A, TOY_B, np.nan)
    with pytest.raises(ValueError, match="tol must be a scalar in"):
        definiteness(TOY_A, tol=1.0)
    with pytest.raises(ValueError, match="tol must be a scalar in"):
        quadratic_infimum(TOY_A, TOY_B, 0.0, tol=-1e-3)
    with pytest.raises(ValueError, match="^A must have an invertible symmetric part"):
        stationary_point(VALLEY_A, TOY_B)
    with pytest.raises(ValueError, match="^A must have an invertible symmetric part"):
        stationary_point([[1.0, 2.0], [-2.0, 0.0]], TOY_B)  # A_s = diag(1, 0)
    with pytest.raises(ValueError, match="lr must be a positive scalar"):
        gradient_descent(TOY_A, TOY_B, [0.0, 0.0], 0.0, 3)
    with pytest.raises(ValueError, match="n_steps must be a non-negative integer"):
        gradient_descent(TOY_A, TOY_B, [0.0, 0.0], 0.1, -1)
    with pytest.raises(ValueError, match="n_steps must be a non-negative integer"):
        gradient_descent(TOY_A, TOY_B, [0.0, 0.0], 0.1, 2.0)
    with pytest.raises(ValueError, match="x0 must have last dimension 2"):
        gradient_descent(TOY_A, TOY_B, [0.0], 0.1, 2)
