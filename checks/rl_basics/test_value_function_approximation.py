"""Checks of rl-basics/value-function-approximation, each against something independent.

Independent references used here: features and updates computed by hand; explicit sums over
(s, a, s') of the model; power iteration and the visit frequencies of simulated chains (with a
standard-error bound); finite differences and torch autograd; the closed form against the
iteration; i.i.d. samples with standard errors computed in the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.rl_basics.conftest import random_mdp
from snippets.rl_basics.grid_world import uniform_policy
from snippets.rl_basics.state_values import policy_matrices, solve_bellman
from snippets.rl_basics.value_function_approximation import (
    d_norm,
    dqn_loss,
    example_policy,
    expected_td_iterates,
    least_squares_fit,
    linear_value,
    lstd,
    one_hot_features,
    polynomial_features,
    projection_matrix,
    q_learning_fa_update,
    sample_trajectories,
    stationary_distribution,
    td_error_bound,
    td_fixed_point,
    td_linear,
    td_linear_update,
    td_matrices,
    value_error,
    value_error_gradient,
)

GAMMA = 0.9
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@pytest.fixture(scope="module")
def example():
    """The page's example: grid world, pi = 0.5 pi_1 + 0.5 uniform, gamma = 0.9."""
    from snippets.rl_basics.grid_world import make_grid_world

    world = make_grid_world()
    pi = example_policy(0.5)
    r_pi, P_pi = policy_matrices(pi, world.P, world.R)
    v_pi = solve_bellman(r_pi, P_pi, GAMMA)
    d = stationary_distribution(P_pi)
    return world, pi, r_pi, P_pi, v_pi, d


@pytest.fixture
def torch1():
    """torch on one intra-op thread: tiny tensors, and safe in the forked processes
    of the mutation run (an OpenMP pool inherited through fork can hang)."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def random_chain(seed: int, n_states: int = 6, n_features: int = 3):
    """r_pi, P_pi (dense, so ergodic), its d_pi, v_pi and random features of full rank."""
    mdp = random_mdp(seed, n_states=n_states)
    r_pi, P_pi = policy_matrices(mdp.pi, mdp.P, mdp.R)
    Phi = np.random.default_rng(seed).normal(size=(n_states, n_features))
    return r_pi, P_pi, Phi


# --8<-- [start:test_linear_value]
@pytest.mark.formula("eq-linear-value")
def test_polynomial_features_by_hand():
    Phi = polynomial_features(5, 5, 2)  # columns 1, x, y, x², xy, y²
    assert Phi.shape == (25, 6)
    close = dict(rtol=0, atol=1e-15)
    # cell (0, 0): x = −1, y = −1; cell (1, 3) = state 8: x = 0.5, y = −0.5
    np.testing.assert_allclose(Phi[0], [1, -1, -1, 1, 1, 1], **close)
    np.testing.assert_allclose(Phi[8], [1, 0.5, -0.5, 0.25, -0.25, 0.25], **close)
    # cell (4, 2) = state 22: x = 0, y = 1
    np.testing.assert_allclose(Phi[22], [1, 0, 1, 0, 0, 1], **close)
    # 3x4 grid, degree 3: state 7 is (1, 3), x = 1, y = 0;
    # columns 1, x, y, x², xy, y², x³, x²y, xy², y³
    np.testing.assert_allclose(polynomial_features(3, 4, 3)[7],
                               [1, 1, 0, 1, 0, 0, 1, 0, 0, 0], **close)
    for p in range(5):  # (p + 1)(p + 2) / 2 monomials, independent on the 5x5 grid
        rank = np.linalg.matrix_rank(polynomial_features(5, 5, p))
        assert rank == (p + 1) * (p + 2) // 2
    np.testing.assert_array_equal(one_hot_features(4), np.eye(4))


@pytest.mark.formula("eq-linear-value")
def test_linear_value_is_the_sum_over_features():
    rng = np.random.default_rng(0)
    Phi, w = rng.normal(size=(7, 4)), rng.normal(size=4)
    explicit = [sum(Phi[s, i] * w[i] for i in range(4)) for s in range(7)]
    np.testing.assert_allclose(linear_value(Phi, w), explicit, rtol=1e-13, atol=1e-13)
    # with one-hot features the parameter vector is the table of values itself
    np.testing.assert_array_equal(linear_value(one_hot_features(7), explicit), explicit)
# --8<-- [end:test_linear_value]


# --8<-- [start:test_stationary]
@pytest.mark.formula("eq-stationary")
def test_stationary_distribution_against_power_iteration(example):
    _, _, _, P_pi, _, d = example
    # left eigenvector for the eigenvalue 1
    np.testing.assert_allclose(d @ P_pi, d, rtol=0, atol=1e-12)
    assert np.all(d > 0) and d.sum() == pytest.approx(1.0, abs=1e-12)
    p = np.full(25, 1 / 25)
    for _ in range(3000):  # power iteration p_{k+1}^T = p_k^T P_π
        p = p @ P_pi
    np.testing.assert_allclose(d, p, rtol=0, atol=1e-10)


@pytest.mark.formula("eq-stationary")
def test_stationary_distribution_is_the_long_run_visit_frequency(example):
    world, pi, _, P_pi, _, d = example
    # 2000 chains started in state 0; count the visits at t = 101..300
    n_chains, burn_in, T = 2000, 100, 300
    rng = np.random.default_rng(5)
    start = np.zeros(n_chains, dtype=int)
    states, _ = sample_trajectories(world.P, world.R, pi, start, T, rng)
    visits = states[:, burn_in + 1:]
    # freq[k, s]: fraction of chain k's counted steps spent in s
    freq = np.stack([(visits == s).mean(axis=1) for s in range(25)], axis=1)
    # chains are independent: standard error of the mean frequency across chains
    se = freq.std(axis=0, ddof=1) / np.sqrt(n_chains)
    # bias of starting in state 0: mean over t of (e_0ᵀ P_π^t)(s) − d(s), exact
    p, expected = np.eye(25)[0], np.zeros(25)
    for t in range(1, T + 1):
        p = p @ P_pi
        expected += p / (T - burn_in) if t > burn_in else 0.0
    bias = np.abs(expected - d)
    assert np.all(np.abs(freq.mean(axis=0) - d) <= 4.5 * se + bias)
    assert bias.max() < 1e-4 and se.max() < 0.003  # tight enough to see a wrong d
# --8<-- [end:test_stationary]


@pytest.mark.formula("eq-stationary")
@given(seed=seeds)
@settings(max_examples=20, deadline=None)
def test_stationary_distribution_of_random_chains(seed):
    _, P_pi, _ = random_chain(seed)
    d = stationary_distribution(P_pi)
    np.testing.assert_allclose(d @ P_pi, d, rtol=0, atol=1e-12)
    np.testing.assert_allclose(d, np.linalg.matrix_power(P_pi, 200)[0], rtol=0, atol=1e-10)


# --8<-- [start:test_objective]
@pytest.mark.formula("eq-objective")
def test_value_error_is_the_mean_over_states_drawn_from_d(example):
    _, _, _, _, v_pi, d = example
    Phi = polynomial_features(5, 5, 2)
    w = np.array([1.0, 0.5, 1.0, -0.5, 0.0, -1.0])
    n = 200_000
    S = np.random.default_rng(1).choice(25, size=n, p=d)  # S ~ d_π
    samples = (v_pi[S] - Phi[S] @ w) ** 2
    se = samples.std(ddof=1) / np.sqrt(n)
    assert abs(value_error(w, Phi, v_pi, d) - samples.mean()) <= 4 * se
    # by hand at one state: d = e_0 leaves (v(0) − φ(0)ᵀw)²
    e0 = np.eye(25)[0]
    one_term = (v_pi[0] - Phi[0] @ w) ** 2
    assert value_error(w, Phi, v_pi, e0) == pytest.approx(one_term, abs=1e-12)
# --8<-- [end:test_objective]


# --8<-- [start:test_gradient]
@pytest.mark.formula("eq-gradient-step")
def test_gradient_against_finite_differences_and_its_zero(example):
    _, _, _, _, v_pi, d = example
    Phi = polynomial_features(5, 5, 3)
    w = np.random.default_rng(2).normal(size=10)
    h, eye = 1e-6, np.eye(10)
    numeric = [(value_error(w + h * eye[i], Phi, v_pi, d)
                - value_error(w - h * eye[i], Phi, v_pi, d)) / (2 * h)
               for i in range(10)]
    grad = value_error_gradient(w, Phi, v_pi, d)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)
    # the gradient vanishes at the least-squares fit, which gradient descent reaches
    w_ls = least_squares_fit(Phi, v_pi, d)
    grad_ls = value_error_gradient(w_ls, Phi, v_pi, d)
    np.testing.assert_allclose(grad_ls, 0.0, atol=1e-12)
# --8<-- [end:test_gradient]


# --8<-- [start:test_td_linear]
@pytest.mark.formula("eq-td-linear")
def test_td_linear_update_by_hand():
    # w = (1, 2), φ(s) = (1, 0), φ(s') = (0, 1), r = 1, γ = 0.5, α = 0.1:
    # δ = 1 + 0.5·2 − 1 = 1, so w ← (1, 2) + 0.1·1·(1, 0) = (1.1, 2)
    w = td_linear_update([1.0, 2.0], [1.0, 0.0], 1.0, [0.0, 1.0], 0.5, 0.1)
    np.testing.assert_allclose(w, [1.1, 2.0], rtol=0, atol=1e-15)
    # φ(s) = (1, 3): δ = 1 + 1 − 7 = −5, w ← (1, 2) + 0.2·(−5)·(1, 3) = (0, −1)
    w = td_linear_update([1.0, 2.0], [1.0, 3.0], 1.0, [0.0, 1.0], 0.5, 0.2)
    np.testing.assert_allclose(w, [0.0, -1.0], rtol=0, atol=1e-15)


@pytest.mark.formula("eq-td-linear")
def test_td_linear_run_is_the_update_applied_along_the_trajectory(example):
    world, pi, *_ = example
    Phi = polynomial_features(5, 5, 2)
    states, rewards = sample_trajectories(world.P, world.R, pi, np.array([3, 20]), 50,
                                          np.random.default_rng(3))
    alphas = 0.3 / (1 + np.arange(50))
    w0 = np.stack([np.linspace(-1, 1, 6), np.linspace(2, 0, 6)])
    s, s_next = states[:, :-1], states[:, 1:]
    both = td_linear(Phi, s, rewards, s_next, GAMMA, alphas, w0=w0)  # two runs at once
    for k in range(2):  # each against the single update applied step by step
        w = w0[k]
        for t in range(50):
            w = td_linear_update(w, Phi[s[k, t]], rewards[k, t], Phi[s_next[k, t]],
                                 GAMMA, alphas[t])
        one = td_linear(Phi, s[k], rewards[k], s_next[k], GAMMA, alphas, w0=w0[k])
        np.testing.assert_allclose(both[k], w, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(one, w, rtol=1e-12, atol=1e-12)
    # zero steps leave w0; w0 defaults to zeros
    none = np.array([], dtype=int)
    w_none = td_linear(Phi, none, [], none, GAMMA, 0.1, w0=w0[0])
    np.testing.assert_array_equal(w_none, w0[0])
    w1 = td_linear(Phi, [3], [1.0], [4], GAMMA, 0.5)  # from 0: δ = 1, w = 0.5 φ(3)
    np.testing.assert_allclose(w1, 0.5 * Phi[3], rtol=0, atol=1e-15)
# --8<-- [end:test_td_linear]


# --8<-- [start:test_td_fixed_point]
@pytest.mark.formula("eq-td-fixed-point")
def test_expected_update_is_b_minus_Aw_by_explicit_sums(example):
    world, pi, r_pi, P_pi, _, d = example
    Phi = polynomial_features(5, 5, 2)
    A, b = td_matrices(Phi, d, P_pi, r_pi, GAMMA)
    w = np.random.default_rng(4).normal(size=6)
    # E[(R + γφ(S')ᵀw − φ(S)ᵀw) φ(S)], S ~ d_π, A ~ π(·|S), S' ~ p(·|S, A), summed out;
    # the update with α = 1, minus w, is (r + γφ(s')ᵀw − φ(s)ᵀw) φ(s)
    expected = sum(
        d[s] * pi[s, a] * world.P[s, a, s2]
        * (td_linear_update(w, Phi[s], world.R[s, a], Phi[s2], GAMMA, 1.0) - w)
        for s in range(25) for a in range(5) for s2 in np.flatnonzero(world.P[s, a]))
    np.testing.assert_allclose(expected, b - A @ w, rtol=1e-12, atol=1e-12)
    w_star = td_fixed_point(Phi, d, P_pi, r_pi, GAMMA)
    # the expected update vanishes at w*
    np.testing.assert_allclose(A @ w_star, b, rtol=0, atol=1e-12)


@pytest.mark.formula("eq-td-fixed-point")
def test_one_hot_features_recover_v_pi_exactly(example):
    _, _, r_pi, P_pi, v_pi, d = example
    w = td_fixed_point(one_hot_features(25), d, P_pi, r_pi, GAMMA)
    np.testing.assert_allclose(w, v_pi, rtol=0, atol=1e-10)
# --8<-- [end:test_td_fixed_point]


# --8<-- [start:test_expected_td]
@pytest.mark.formula("eq-expected-td")
def test_expected_and_stochastic_td_converge_to_the_fixed_point(example):
    world, pi, r_pi, P_pi, v_pi, d = example
    Phi = polynomial_features(5, 5, 1)
    A, b = td_matrices(Phi, d, P_pi, r_pi, GAMMA)
    w_star = np.linalg.solve(A, b)
    # deterministic iteration with α = 1: 3,000 steps of the contraction I − A
    iterates = expected_td_iterates(A, b, 1.0, 3000)
    np.testing.assert_allclose(iterates[-1], w_star, rtol=0, atol=1e-10)
    # K = 200 runs of TD-linear, T = 2,000 i.i.d. transitions each (S ~ d_π, one step).
    # A fresh transition is independent of w_t, so
    # E[w_{t+1}] = E[w_t] + α_t (b − A E[w_t]):
    # the mean over runs must match the deterministic recursion m_t within a few SE.
    K, T = 200, 2000
    alphas = 0.5 / (1 + np.arange(T) / 200)
    rng = np.random.default_rng(0)
    start = rng.choice(25, K * T, p=d)
    states, rewards = sample_trajectories(world.P, world.R, pi, start, 1, rng)
    s, s_next = states[:, 0].reshape(K, T), states[:, 1].reshape(K, T)
    w_T = td_linear(Phi, s, rewards.reshape(K, T), s_next, GAMMA, alphas)
    m = np.zeros(3)
    for alpha in alphas:
        m = m + alpha * (b - A @ m)
    se = w_T.std(axis=0, ddof=1) / np.sqrt(K)
    assert np.all(np.abs(w_T.mean(axis=0) - m) <= 4.5 * se)
    assert d_norm(Phi @ (m - w_star), d) < 1e-4  # and m_T is at the fixed point
    # the runs can tell A⁻¹b from the least-squares fit: w_LS is outside the 4.5-SE box
    w_ls = least_squares_fit(Phi, v_pi, d)
    assert np.any(np.abs(w_T.mean(axis=0) - w_ls) > 4.5 * se)
# --8<-- [end:test_expected_td]


@pytest.mark.formula("eq-expected-td")
def test_expected_iteration_by_hand():
    it = expected_td_iterates(np.diag([0.5, 2.0]), [1.0, 2.0], 0.5, 2, w0=[0.0, 4.0])
    # w1 = (0, 4) + 0.5 (1 − 0, 2 − 8) = (0.5, 1); w2 = (0.5, 1) + 0.5 (0.75, 0) = (0.875, 1)
    np.testing.assert_allclose(it, [[0, 4], [0.5, 1], [0.875, 1]], rtol=0, atol=1e-15)


# --8<-- [start:test_projected_bellman]
@pytest.mark.formula("eq-projected-bellman")
@pytest.mark.parametrize("degree", [1, 2, 3, 4])
def test_td_solves_the_projected_bellman_equation_not_least_squares(example, degree):
    _, _, r_pi, P_pi, v_pi, d = example
    Phi = polynomial_features(5, 5, degree)
    w_td = td_fixed_point(Phi, d, P_pi, r_pi, GAMMA)
    w_ls = least_squares_fit(Phi, v_pi, d)
    # least squares by weighted normal equations written with sqrt(d) and lstsq
    sqrt_d = np.sqrt(d)
    w_ref = np.linalg.lstsq(sqrt_d[:, None] * Phi, sqrt_d * v_pi, rcond=None)[0]
    np.testing.assert_allclose(w_ls, w_ref, rtol=1e-9, atol=1e-9)
    Pi = projection_matrix(Phi, d)
    np.testing.assert_allclose(Pi @ v_pi, Phi @ w_ls, rtol=1e-9, atol=1e-9)
    # Φ w_TD = Π (r_π + γ P_π Φ w_TD): the projected Bellman equation
    np.testing.assert_allclose(Phi @ w_td, Pi @ (r_pi + GAMMA * P_pi @ Phi @ w_td),
                               rtol=1e-9, atol=1e-9)
    # ... which is not the best fit: w_TD ≠ w_LS and its value error is larger
    assert d_norm(Phi @ (w_td - w_ls), d) > 0.01
    e_td, e_ls = d_norm(Phi @ w_td - v_pi, d), d_norm(Phi @ w_ls - v_pi, d)
    assert e_td > e_ls
    # Pythagoras in the D-norm: Φw_TD − Πv ⟂_D Πv − v
    e_gap = d_norm(Phi @ (w_td - w_ls), d)
    assert e_td**2 == pytest.approx(e_gap**2 + e_ls**2, rel=1e-9)
# --8<-- [end:test_projected_bellman]


# --8<-- [start:test_td_equals_ls]
@pytest.mark.formula("eq-projected-bellman")
@given(seed=seeds, gamma=st.floats(0.0, 0.99))
@settings(max_examples=30, deadline=None)
def test_td_fixed_point_is_the_fit_iff_the_projected_residual_vanishes(seed, gamma):
    r_pi, P_pi, Phi = random_chain(seed, n_states=7, n_features=2)
    d = stationary_distribution(P_pi)
    v_pi = solve_bellman(r_pi, P_pi, gamma)
    Pi = projection_matrix(Phi, d)
    gap = d_norm(Phi @ (td_fixed_point(Phi, d, P_pi, r_pi, gamma)
                        - least_squares_fit(Phi, v_pi, d)), d)
    # x = Φw* − Πv satisfies x = γΠP x + γ c with c = ΠP(Πv − v), so
    # γ/(1 + γ) ‖c‖ ≤ ‖x‖ ≤ γ/(1 − γ) ‖c‖: x = 0 exactly when γ c = 0
    c = d_norm(Pi @ P_pi @ (Pi @ v_pi - v_pi), d)
    assert gamma / (1 + gamma) * c * (1 - 1e-9) - 1e-12 <= gap
    assert gap <= gamma / (1 - gamma) * c * (1 + 1e-9) + 1e-12


@pytest.mark.formula("eq-projected-bellman")
def test_td_fixed_point_equals_the_fit_outside_the_feature_space(example):
    world, pi, r_pi, P_pi, _, d = example
    Phi = polynomial_features(5, 5, 1)
    # γ = 0: v_π = r_π, and TD(0) regresses on the reward itself
    v0 = solve_bellman(r_pi, P_pi, 0.0)
    np.testing.assert_allclose(td_fixed_point(Phi, d, P_pi, r_pi, 0.0),
                               least_squares_fit(Phi, v0, d), rtol=0, atol=1e-12)
    assert d_norm(projection_matrix(Phi, d) @ v0 - v0, d) > 0.3  # v_π is not in the span
    # γ = 0.9 and next states drawn from d whatever the state (P_π = 1 dᵀ), with the
    # constant among the features: P_π (Πv − v) = 1 · dᵀ(Πv − v) = 0
    P_iid = np.tile(d, (25, 1))
    v = solve_bellman(r_pi, P_iid, GAMMA)
    Pi = projection_matrix(Phi, d)
    assert d_norm(Pi @ v - v, d) > 0.1
    np.testing.assert_allclose(td_fixed_point(Phi, d, P_iid, r_pi, GAMMA),
                               least_squares_fit(Phi, v, d), rtol=0, atol=1e-10)
    # the page's chain at γ = 0.9: ΠP_π(Πv − v) ≠ 0, and the two differ
    v = solve_bellman(r_pi, P_pi, GAMMA)
    assert d_norm(Pi @ P_pi @ (Pi @ v - v), d) > 0.01
    assert d_norm(Phi @ (td_fixed_point(Phi, d, P_pi, r_pi, GAMMA)
                         - least_squares_fit(Phi, v, d)), d) > 0.01
# --8<-- [end:test_td_equals_ls]


# --8<-- [start:test_td_bound]
@pytest.mark.formula("eq-td-bound")
@pytest.mark.parametrize("degree", [1, 2, 3, 4])
def test_td_error_bound_on_the_grid_world(example, degree):
    _, _, r_pi, P_pi, v_pi, d = example
    Phi = polynomial_features(5, 5, degree)
    w_td = td_fixed_point(Phi, d, P_pi, r_pi, GAMMA)
    best = np.sqrt(np.sum(d * (Phi @ least_squares_fit(Phi, v_pi, d) - v_pi) ** 2))
    bound = td_error_bound(Phi, v_pi, d, GAMMA)
    assert bound == pytest.approx(best / np.sqrt(1 - GAMMA**2), rel=1e-12)
    assert d_norm(Phi @ w_td - v_pi, d) <= bound


@pytest.mark.formula("eq-td-bound")
@given(seed=seeds, gamma=st.floats(0.0, 0.99))
@settings(max_examples=30, deadline=None)
def test_td_error_bound_on_random_chains(seed, gamma):
    r_pi, P_pi, Phi = random_chain(seed, n_states=7, n_features=2)
    d = stationary_distribution(P_pi)
    v_pi = solve_bellman(r_pi, P_pi, gamma)
    w_td = td_fixed_point(Phi, d, P_pi, r_pi, gamma)
    error = np.sqrt(np.sum(d * (Phi @ w_td - v_pi) ** 2))
    assert error <= td_error_bound(Phi, v_pi, d, gamma) * (1 + 1e-9) + 1e-12
# --8<-- [end:test_td_bound]


# --8<-- [start:test_lstd]
@pytest.mark.formula("eq-lstd")
def test_lstd_sample_matrices_and_solution_approach_the_model(example):
    world, pi, r_pi, P_pi, _, d = example
    Phi = polynomial_features(5, 5, 2)
    A, b = td_matrices(Phi, d, P_pi, r_pi, GAMMA)
    w_star = np.linalg.solve(A, b)
    rng = np.random.default_rng(6)
    n = 100_000  # i.i.d. transitions: S ~ d_π, then one step of the policy
    start = rng.choice(25, n, p=d)
    states, rewards = sample_trajectories(world.P, world.R, pi, start, 1, rng)
    phi, phi_next = Phi[states[:, 0]], Phi[states[:, 1]]
    # each sample's term of A_hat and b_hat; their means estimate A and b
    a_terms = phi[:, :, None] * (phi - GAMMA * phi_next)[:, None, :]
    b_terms = rewards[:, 0, None] * phi
    for terms, exact in ((a_terms, A), (b_terms, b)):
        se = terms.std(axis=0, ddof=1) / np.sqrt(n)
        # 1e-12: rounding, for the entries whose terms are all equal (se = 0)
        assert np.all(np.abs(terms.mean(axis=0) - exact) <= 4.5 * se + 1e-12)
    # A_hat (w_hat − w*) = b_hat − A_hat w* = Σ_t g_t with E[g_t] = b − A w* = 0: the
    # error of the estimate is driven by a mean of zero-mean i.i.d. terms
    w_hat = lstd(phi, rewards[:, 0], phi_next, GAMMA)
    g = b_terms - a_terms @ w_star
    np.testing.assert_allclose(a_terms.sum(0) @ (w_hat - w_star), g.sum(0), rtol=1e-8,
                               atol=1e-8)
    assert np.all(np.abs(g.mean(axis=0)) <= 4.5 * g.std(axis=0, ddof=1) / np.sqrt(n))
    # the estimate itself: A_hat^{-1} b_hat with the sums written out
    w_50 = lstd(phi[:50], rewards[:50, 0], phi_next[:50], GAMMA)
    w_sums = np.linalg.solve(a_terms[:50].sum(0), b_terms[:50].sum(0))
    np.testing.assert_allclose(w_50, w_sums, rtol=1e-9, atol=1e-9)
# --8<-- [end:test_lstd]


# --8<-- [start:test_q_learning_fa]
@pytest.mark.formula("eq-q-learning-fa")
def test_q_learning_fa_with_one_hot_features_is_tabular_q_learning():
    rng = np.random.default_rng(7)
    S, A = 4, 3
    # the table q; one-hot φ(s, a) = e_{sA + a} makes w = q.ravel()
    q = rng.normal(size=(S, A))
    s, a, r, s2, alpha, gamma = 1, 2, 0.7, 3, 0.25, 0.8
    phi = np.eye(S * A)
    w = q_learning_fa_update(q.ravel(), phi[s * A + a], r, phi[s2 * A:(s2 + 1) * A],
                             gamma, alpha)
    table = q.copy()
    table[s, a] += alpha * (r + gamma * q[s2].max() - q[s, a])  # tabular Q-learning
    np.testing.assert_allclose(w.reshape(S, A), table, rtol=0, atol=1e-14)


@pytest.mark.formula("eq-q-learning-fa")
def test_q_learning_fa_by_hand():
    # w = (1, −1); φ(s,a) = (1, 1): q̂ = 0; next rows (2, 0), (0, 1): max(2, −1) = 2
    # target = 1 + 0.5·2 = 2; w ← (1, −1) + 0.1·(2 − 0)·(1, 1) = (1.2, −0.8)
    phi_next_all = [[2.0, 0.0], [0.0, 1.0]]
    w = q_learning_fa_update([1.0, -1.0], [1.0, 1.0], 1.0, phi_next_all, 0.5, 0.1)
    np.testing.assert_allclose(w, [1.2, -0.8], rtol=0, atol=1e-15)
# --8<-- [end:test_q_learning_fa]


# --8<-- [start:test_dqn_loss]
@pytest.mark.formula("eq-dqn-loss")
def test_dqn_loss_gradient_is_the_semi_gradient(torch1):
    torch = torch1
    gen = torch.Generator().manual_seed(0)
    n, m, n_actions = 16, 5, 3
    f64 = dict(generator=gen, dtype=torch.float64)
    feats = torch.randn(n, n_actions, m, **f64)  # φ(s_i, a)
    feats_next = torch.randn(n, n_actions, m, **f64)  # φ(s'_i, a)
    w = torch.randn(m, **f64, requires_grad=True)  # online network
    w_target = torch.randn(m, **f64, requires_grad=True)  # target network
    actions = torch.randint(0, n_actions, (n,), generator=gen)
    rewards = torch.randn(n, **f64)
    dones = (torch.arange(n) % 4 == 0).to(torch.float64)
    loss = dqn_loss(feats @ w, actions, rewards, feats_next @ w_target, GAMMA, dones)
    loss.backward()
    # analytic semi-gradient: −(2/N) Σ_i (y_i − φ(s_i,a_i)ᵀw) φ(s_i,a_i), y_i held fixed
    F, Fn = feats.numpy(), feats_next.numpy()
    W, Wt = w.detach().numpy(), w_target.detach().numpy()
    phi_sa = F[np.arange(n), actions.numpy()]
    y = rewards.numpy() + GAMMA * (1 - dones.numpy()) * (Fn @ Wt).max(axis=1)
    residual = y - phi_sa @ W
    np.testing.assert_allclose(loss.item(), np.mean(residual**2), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), -2 / n * phi_sa.T @ residual, rtol=1e-10)
    assert w_target.grad is None  # no gradient reaches the target network
    # with the online network as its own target, the loss still gives the semi-gradient
    w.grad = None
    dqn_loss(feats @ w, actions, rewards, feats_next @ w, GAMMA).backward()
    y_self = rewards.numpy() + GAMMA * (Fn @ W).max(axis=1)
    semi = -2 / n * phi_sa.T @ (y_self - phi_sa @ W)
    np.testing.assert_allclose(w.grad.numpy(), semi, rtol=1e-10)
# --8<-- [end:test_dqn_loss]


def _bad(fn, *args, **kwargs):
    return lambda: fn(*args, **kwargs)


P2 = np.array([[0.5, 0.5], [0.5, 0.5]])
PHI = np.array([[1.0, 0.0], [1.0, 1.0]])
D2 = np.array([0.5, 0.5])


@pytest.mark.parametrize(
    "call, match",
    [
        (_bad(example_policy, 1.5), r"epsilon must lie in \[0, 1\], got 1.5"),
        (_bad(example_policy, -0.1), "epsilon must"),
        (_bad(polynomial_features, 1, 5, 2), "n_rows and n_cols must be integers >= 2"),
        (_bad(polynomial_features, 5, 1, 2), "n_rows and n_cols"),
        (_bad(polynomial_features, 5, 2.5, 2), "n_rows and n_cols"),
        (_bad(polynomial_features, 5, 5, -1), "degree must be a non-negative integer, got -1"),
        (_bad(polynomial_features, 5, 5, 1.5), "degree must"),
        (_bad(one_hot_features, 0), "n_states must be a positive integer, got 0"),
        (_bad(one_hot_features, 2.5), "n_states must"),
        (_bad(linear_value, np.ones(3), [1.0]), r"Phi must be a finite array of shape \(S, m\)"),
        (_bad(linear_value, np.full((2, 2), np.nan), [1.0, 1.0]), "Phi must be a finite"),
        (_bad(linear_value, np.ones((2, 0)), []), "Phi must be a finite"),
        (_bad(linear_value, PHI, [1.0]), r"w must have shape \(2,\)"),
        (_bad(value_error, [1.0, 1.0], PHI, [1.0], D2), r"v_pi must have shape \(2,\)"),
        (_bad(value_error, [1.0, 1.0], PHI, [1.0, 1.0], [0.5, 0.6]), "d must sum to 1"),
        (_bad(value_error, [1.0, 1.0], PHI, [1.0, 1.0], [1.0]), r"d must have shape \(2,\)"),
        (_bad(value_error, [1.0], PHI, [1.0, 1.0], D2), r"w must have shape \(2,\)"),
        (_bad(value_error_gradient, [1.0], PHI, [1.0, 1.0], D2), "w must have shape"),
        (_bad(value_error_gradient, [1.0, 1.0], PHI, [1.0], D2), "v_pi must have shape"),
        (_bad(value_error_gradient, [1.0, 1.0], PHI, [1.0, 1.0], [1.0]), "d must have shape"),
        (_bad(stationary_distribution, P2 * 2), "P_pi must sum to 1"),
        (_bad(stationary_distribution, np.full((2, 3), 1 / 3)), r"P_pi must be square, got shape \(2, 3\)"),
        (_bad(stationary_distribution, np.eye(2)), r"^P_pi must have a unique stationary distribution \(one recurrent class\)$"),
        (_bad(sample_trajectories, np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), np.ones((2, 1)),
              np.array([2]), 3, np.random.default_rng()), r"s0 must hold state indices in 0..1"),
        (_bad(sample_trajectories, np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), np.ones((2, 1)),
              np.array([-1]), 3, np.random.default_rng()), "s0 must"),
        (_bad(sample_trajectories, np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), np.ones((2, 1)),
              np.array([0.5]), 3, np.random.default_rng()), "s0 must"),
        (_bad(sample_trajectories, np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), np.ones((2, 1)),
              np.array([0]), -1, np.random.default_rng()), "n_steps must be a non-negative integer, got -1"),
        (_bad(sample_trajectories, np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), np.ones((2, 2)) / 2,
              np.array([0]), 3, np.random.default_rng()), r"pi must have shape"),
        (_bad(sample_trajectories, np.ones((2, 1, 2)), np.zeros((2, 1)), np.ones((2, 1)),
              np.array([0]), 3, np.random.default_rng()), "P must sum to 1"),
        (_bad(td_linear_update, [[1.0]], [1.0], 0.0, [1.0], 0.5, 0.1), "w must have shape one axis"),
        (_bad(td_linear_update, [1.0], [1.0, 2.0], 0.0, [1.0], 0.5, 0.1), r"phi_s must have shape \(1,\)"),
        (_bad(td_linear_update, [1.0], [1.0], 0.0, [1.0, 2.0], 0.5, 0.1), r"phi_next must have shape \(1,\)"),
        (_bad(td_linear_update, [1.0], [1.0], 0.0, [1.0], 1.0, 0.1), "gamma must"),
        (_bad(td_linear_update, [1.0], [1.0], 0.0, [1.0], 0.5, 0.0), "alpha must be positive, got 0.0"),
        (_bad(td_linear, PHI, [0, 1], [1.0, 1.0], [1, 0], 1.5, 0.1), "gamma must"),
        (_bad(td_linear, PHI, [0, 1], [1.0, np.nan], [1, 0], 0.5, 0.1), r"rewards must be finite with shape \(T,\) or \(K, T\)"),
        (_bad(td_linear, PHI, [0, 1], np.ones((1, 1, 2)), [1, 0], 0.5, 0.1), "rewards must be finite"),
        (_bad(td_linear, PHI, [0], [1.0, 1.0], [1, 0], 0.5, 0.1), r"states must hold row indices of Phi, shape \(2,\)"),
        (_bad(td_linear, PHI, [0, 2], [1.0, 1.0], [1, 0], 0.5, 0.1), "states must hold"),
        (_bad(td_linear, PHI, [0, -1], [1.0, 1.0], [1, 0], 0.5, 0.1), "states must hold"),
        (_bad(td_linear, PHI, [0.0, 1.0], [1.0, 1.0], [1, 0], 0.5, 0.1), "states must hold"),
        (_bad(td_linear, PHI, [0, 1], [1.0, 1.0], [1, 2], 0.5, 0.1), "next_states must hold"),
        (_bad(td_linear, PHI, [0, 1], [1.0, 1.0], [1, 0], 0.5, [0.1, 0.0]), r"^alpha must be positive \(a number or T step sizes\)$"),
        (_bad(td_linear, PHI, [0, 1], [1.0, 1.0], [1, 0], 0.5, 0.1, w0=[1.0]), r"w0 must be finite with shape \(2,\)"),
        (_bad(td_linear, PHI, [0, 1], [1.0, 1.0], [1, 0], 0.5, 0.1, w0=[1.0, np.inf]), "w0 must be finite"),
        (_bad(td_matrices, PHI, [1.0], P2, [1.0, 1.0], 0.5), r"d must have shape \(2,\)"),
        (_bad(td_matrices, PHI, D2, np.eye(3), [1.0, 1.0], 0.5), r"P_pi must have shape \(S, S\) = \(2, 2\)"),
        (_bad(td_matrices, PHI, D2, P2 * 2, [1.0, 1.0], 0.5), "P_pi must sum to 1"),
        (_bad(td_matrices, PHI, D2, P2, [1.0], 0.5), r"r_pi must have shape \(2,\)"),
        (_bad(td_matrices, PHI, D2, P2, [1.0, 1.0], -0.5), "gamma must"),
        (_bad(td_matrices, PHI[:1], D2, P2, [1.0, 1.0], 0.5), "d must have shape"),
        (_bad(td_fixed_point, np.ones((2, 2)), D2, P2, [1.0, 1.0], 0.5), "Phi must have full column rank 2"),
        (_bad(expected_td_iterates, np.eye(3), [1.0, 1.0], 0.1, 3), r"A must be finite with shape \(2, 2\)"),
        (_bad(expected_td_iterates, np.full((2, 2), np.inf), [1.0, 1.0], 0.1, 3), "A must be finite"),
        (_bad(expected_td_iterates, np.eye(2), [[1.0, 1.0]], 0.1, 3), "b must have shape"),
        (_bad(expected_td_iterates, np.eye(2), [1.0, 1.0], -0.1, 3), "alpha must be positive, got -0.1"),
        (_bad(expected_td_iterates, np.eye(2), [1.0, 1.0], 0.0, 3), "alpha must be positive, got 0.0"),
        (_bad(expected_td_iterates, np.eye(2), [1.0, 1.0], 0.1, -1), "n_iter must be a non-negative integer, got -1"),
        (_bad(expected_td_iterates, np.eye(2), [1.0, 1.0], 0.1, 1.5), "n_iter must"),
        (_bad(expected_td_iterates, np.eye(2), [1.0, 1.0], 0.1, 3, w0=[1.0]), r"w0 must have shape \(2,\)"),
        (_bad(d_norm, [[1.0]], [1.0]), "x must have shape one axis"),
        (_bad(d_norm, [1.0, 1.0], [1.0]), r"d must have shape \(2,\)"),
        (_bad(least_squares_fit, PHI, [1.0], D2), r"v must have shape \(2,\)"),
        (_bad(least_squares_fit, PHI, [1.0, 1.0], [0.2, 0.2]), "d must sum to 1"),
        (_bad(least_squares_fit, np.ones((2, 2)), [1.0, 1.0], D2), "Phi must have full column rank"),
        (_bad(projection_matrix, np.ones((2, 2)), D2), "Phi must have full column rank"),
        (_bad(projection_matrix, PHI, [1.0]), r"d must have shape \(2,\)"),
        (_bad(projection_matrix, np.ones(2), D2), "Phi must be a finite array"),
        (_bad(td_error_bound, PHI, [1.0, 1.0], D2, 1.0), "gamma must"),
        (_bad(td_error_bound, PHI, [1.0], D2, 0.5), r"v_pi must have shape \(2,\)"),
        (_bad(td_error_bound, np.ones(2), [1.0, 1.0], D2, 0.5), "Phi must be a finite array"),
        (_bad(lstd, PHI, [1.0, 1.0], PHI[:1], 0.5), r"phi_next must be finite with the shape of phi \(2, 2\)"),
        (_bad(lstd, PHI, [1.0, 1.0], PHI * np.nan, 0.5), "phi_next must be finite"),
        (_bad(lstd, PHI, [1.0], PHI, 0.5), r"rewards must have shape \(2,\)"),
        (_bad(lstd, PHI, [1.0, 1.0], PHI, 1.0), "gamma must"),
        (_bad(lstd, PHI[:1], [1.0], PHI[:1], 0.5), "^the samples leave A_hat singular: too few or too similar transitions$"),
        (_bad(lstd, PHI[[0, 0]], [1.0, 2.0], PHI[[0, 0]], 0.5), "^the samples leave A_hat singular"),
        (_bad(q_learning_fa_update, [[1.0]], [1.0], 0.0, [[1.0]], 0.5, 0.1), "w must have shape"),
        (_bad(q_learning_fa_update, [1.0], [1.0, 1.0], 0.0, [[1.0]], 0.5, 0.1), r"phi_sa must have shape \(1,\)"),
        (_bad(q_learning_fa_update, [1.0], [1.0], 0.0, [1.0], 0.5, 0.1), r"phi_next_all must have shape \(A, 1\)"),
        (_bad(q_learning_fa_update, [1.0], [1.0], 0.0, [[1.0, 2.0]], 0.5, 0.1), "phi_next_all must have shape"),
        (_bad(q_learning_fa_update, [1.0], [1.0], 0.0, np.ones((0, 1)), 0.5, 0.1), "phi_next_all must have shape"),
        (_bad(q_learning_fa_update, [1.0], [1.0], 0.0, [[1.0]], -1.0, 0.1), "gamma must"),
        (_bad(q_learning_fa_update, [1.0], [1.0], 0.0, [[1.0]], 0.5, np.nan), "alpha must be positive"),
        (_bad(q_learning_fa_update, [1.0], [1.0], 0.0, [[1.0]], 0.5, 0.0), "alpha must be positive, got 0.0"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_dqn_loss_bad_input(torch1):
    torch = torch1
    q, a, r = torch.zeros(4, 3), torch.tensor([0, 1, 2, 0]), torch.zeros(4)
    cases = [
        (lambda: dqn_loss(q, a, r, q, 1.0), "gamma must"),
        (lambda: dqn_loss(q[0], a, r, q, 0.9), r"q_values and q_next_target must have the same shape \(N, A\)"),
        (lambda: dqn_loss(q, a, r, q[:, :2], 0.9), r"got \(4, 3\) and \(4, 2\)"),
        (lambda: dqn_loss(q[:, :, None], a, r, q[:, :, None], 0.9), r"got \(4, 3, 1\) and"),
        (lambda: dqn_loss(q, a[:3], r, q, 0.9), r"actions must hold N = 4 action indices in 0..2"),
        (lambda: dqn_loss(q, a + 1, r, q, 0.9), "actions must hold"),
        (lambda: dqn_loss(q, a - 1, r, q, 0.9), "actions must hold"),
        (lambda: dqn_loss(q, a, r[:2], q, 0.9), r"rewards must have shape \(4,\), got \(2,\)"),
        (lambda: dqn_loss(q, a, r, q, 0.9, dones=torch.zeros(3)), r"dones must have shape \(4,\)"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match):
            call()
    # uniform_policy is reused, not redefined: the example policy mixes it in
    np.testing.assert_allclose(example_policy(1.0), uniform_policy(25), rtol=0, atol=0)


def test_boundary_cases_of_the_valid_inputs():
    pi_0 = example_policy(0.0)  # ε = 0 is allowed: π_1 itself, deterministic
    assert set(np.unique(pi_0)) == {0.0, 1.0} and pi_0[17, 4] == 1.0  # target: stay
    np.testing.assert_array_equal(example_policy(), example_policy(0.5))
    np.testing.assert_allclose(example_policy()[0], [0.1, 0.1, 0.6, 0.1, 0.1], atol=1e-15)
    # the smallest grids: 2 x 2 (x, y in {−1, 1}) and 2 x 3 (x in {−1, 0, 1})
    np.testing.assert_array_equal(polynomial_features(2, 2, 1),
                                  [[1, -1, -1], [1, 1, -1], [1, -1, 1], [1, 1, 1]])
    np.testing.assert_array_equal(polynomial_features(2, 3, 1)[:, 1], [-1, 0, 1, -1, 0, 1])
    np.testing.assert_array_equal(polynomial_features(3, 2, 1)[:, 2], [-1, -1, 0, 0, 1, 1])
    np.testing.assert_array_equal(polynomial_features(2, 2, 0), np.ones((4, 1)))
    np.testing.assert_array_equal(one_hot_features(1), [[1.0]])
    P, R = np.ones((2, 1, 2)) / 2, np.zeros((2, 1))
    states, rewards = sample_trajectories(P, R, np.ones((2, 1)), np.array([1, 0]), 0,
                                          np.random.default_rng())
    assert states.tolist() == [[1], [0]] and rewards.shape == (2, 0)
    states, _ = sample_trajectories(P, R, np.ones((2, 1)), 1, 3, np.random.default_rng())
    assert states.shape == (1, 4) and states[0, 0] == 1
    it = expected_td_iterates(np.eye(2), [1.0, 1.0], 0.5, 0, w0=[3.0, 4.0])
    np.testing.assert_array_equal(it, [[3.0, 4.0]])


@pytest.mark.formula("eq-stationary")
def test_stationary_distribution_by_hand():
    # two states: leave s1 w.p. 0.1, leave s2 w.p. 0.3;
    # the balance 0.1 d1 = 0.3 d2 gives d = (3/4, 1/4)
    d = stationary_distribution(np.array([[0.9, 0.1], [0.3, 0.7]]))
    np.testing.assert_allclose(d, [0.75, 0.25], rtol=0, atol=1e-14)


@pytest.mark.formula("eq-stationary")
def test_the_uniform_policy_on_the_grid_is_uniformly_stationary(world):
    # every move of the uniform policy is undone by the opposite move with the same
    # probability (a bounce stays put), so P_π is symmetric and the uniform d is stationary
    _, P_pi = policy_matrices(uniform_policy(25), world.P, world.R)
    np.testing.assert_allclose(stationary_distribution(P_pi), np.full(25, 1 / 25), atol=1e-12)
