"""Checks of rl-basics/state-values: every key equation against something independent.

Independent references used here: explicit sums written out term by term, values computed by
hand for Zhao's 2x2 example, Monte-Carlo returns with a standard-error bound, and the
closed-form solution against the iteration (and vice versa).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.rl_basics.conftest import random_mdp
from snippets.rl_basics.grid_world import policy_from_arrows, uniform_policy
from snippets.rl_basics.state_values import (
    action_values,
    bellman_iterates,
    bellman_operator,
    bellman_rhs_elementwise,
    discounted_returns,
    iterate_bellman,
    mc_returns,
    policy_matrices,
    solve_bellman,
    state_value_from_q,
)

GAMMA = 0.9
seeds = st.integers(min_value=0, max_value=2**32 - 1)
gammas = st.floats(min_value=0.0, max_value=0.97)

# Zhao's 2x2 example, ch. 2: s1 → down, s2 → down, s3 → right, s4 → stay.
TINY_POLICY = ["↓ ↓", "→ ○"]
# By hand: v(s4) = 1 + γ v(s4) = 10; v(s3) = 1 + γ·10 = 10; v(s2) = 1 + γ·10 = 10;
# v(s1) = 0 + γ·10 = 9.
TINY_VALUES = [9.0, 10.0, 10.0, 10.0]


# --8<-- [start:test_discounted_return]
@pytest.mark.formula("eq-discounted-return")
@given(seed=seeds, gamma=gammas, T=st.integers(1, 30))
@settings(max_examples=50, deadline=None)
def test_discounted_return_equals_the_explicit_sum(seed, gamma, T):
    rewards = np.random.default_rng(seed).normal(size=T)
    G = discounted_returns(rewards, gamma)
    # G_t = Σ_k γ^k R_{t+k+1}, every term written out
    explicit = [sum(gamma**k * rewards[t + k] for k in range(T - t)) for t in range(T)]
    np.testing.assert_allclose(G, explicit, rtol=1e-12, atol=1e-12)
# --8<-- [end:test_discounted_return]


@pytest.mark.formula("eq-discounted-return")
def test_discounted_return_by_hand():
    # rewards 0, 0, 1 with γ = 0.9: G_2 = 1, G_1 = 0.9, G_0 = 0.81
    np.testing.assert_allclose(discounted_returns([0.0, 0.0, 1.0], 0.9), [0.81, 0.9, 1.0],
                               rtol=0, atol=1e-15)
    np.testing.assert_allclose(discounted_returns([2.0, 3.0], 0.0), [2.0, 3.0])


# --8<-- [start:test_state_value_mc]
@pytest.mark.formula("eq-state-value")
@pytest.mark.parametrize("start", [0, 12, 17, 24])
def test_monte_carlo_returns_agree_with_the_closed_form(world, start):
    pi = uniform_policy(world.n_states)
    v = solve_bellman(*policy_matrices(pi, world.P, world.R), GAMMA)
    n, horizon = 4000, 250
    G = mc_returns(world.P, world.R, pi, GAMMA, start, n, horizon, np.random.default_rng(start))
    standard_error = G.std(ddof=1) / np.sqrt(n)
    truncation = GAMMA**horizon * np.abs(world.R).max() / (1 - GAMMA)  # < 1e-11
    assert abs(G.mean() - v[start]) <= 4 * standard_error + truncation
    assert standard_error < 0.08  # the bound is tight enough to see a wrong v
# --8<-- [end:test_state_value_mc]


@pytest.mark.formula("eq-state-value")
def test_monte_carlo_on_a_random_mdp_with_a_stochastic_policy(mdp):
    v = solve_bellman(*policy_matrices(mdp.pi, mdp.P, mdp.R), 0.8)
    n, horizon = 6000, 150
    for start in range(3):
        G = mc_returns(mdp.P, mdp.R, mdp.pi, 0.8, start, n, horizon, np.random.default_rng(start))
        standard_error = G.std(ddof=1) / np.sqrt(n)
        assert abs(G.mean() - v[start]) <= 4 * standard_error, start


def test_monte_carlo_is_exact_on_a_deterministic_example(tiny_world):
    pi = policy_from_arrows(TINY_POLICY)
    G = mc_returns(tiny_world.P, tiny_world.R, pi, GAMMA, 0, 3, 400, np.random.default_rng(0))
    np.testing.assert_allclose(G, 9.0, rtol=0, atol=1e-12)  # γ^400·10 is below 1e-16
    # one episode of one step from s1 with the first action forced to "up": the bounce, −1
    G1 = mc_returns(tiny_world.P, tiny_world.R, pi, GAMMA, 0, 1, 1, np.random.default_rng(0),
                    first_action=0)
    assert G1.tolist() == [-1.0]


# --8<-- [start:test_bellman_elementwise]
@pytest.mark.formula("eq-bellman-elementwise")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=30, deadline=None)
def test_elementwise_form_equals_the_matrix_form(seed, gamma):
    mdp = random_mdp(seed)
    v = np.random.default_rng(seed + 1).normal(size=6)
    loops = bellman_rhs_elementwise(v, mdp.pi, mdp.P, mdp.reward_values, mdp.p_r, gamma)
    # r_π and P_π written out with explicit sums over a and r, independent of policy_matrices
    r_pi = np.array([sum(mdp.pi[s, a] * sum(mdp.p_r[s, a] * mdp.reward_values)
                         for a in range(3)) for s in range(6)])
    P_pi = np.array([sum(mdp.pi[s, a] * mdp.P[s, a] for a in range(3)) for s in range(6)])
    np.testing.assert_allclose(loops, r_pi + gamma * P_pi @ v, rtol=1e-12, atol=1e-12)
# --8<-- [end:test_bellman_elementwise]


@pytest.mark.formula("eq-bellman-elementwise")
def test_v_pi_is_a_fixed_point_of_the_elementwise_equation(tiny_world):
    pi = policy_from_arrows(TINY_POLICY)
    rhs = bellman_rhs_elementwise(TINY_VALUES, pi, tiny_world.P, tiny_world.reward_values,
                                  tiny_world.p_r, GAMMA)
    np.testing.assert_allclose(rhs, TINY_VALUES, rtol=0, atol=1e-12)


# --8<-- [start:test_bellman_matrix]
@pytest.mark.formula("eq-bellman-matrix")
def test_policy_matrices_by_hand_at_the_top_left_corner(world):
    # uniform policy in cell (0, 0): up and left bounce (−1 each), right, down, stay earn 0
    r_pi, P_pi = policy_matrices(uniform_policy(25), world.P, world.R)
    assert r_pi[0] == pytest.approx(-2 / 5, abs=1e-15)
    expected = np.zeros(25)
    expected[[0, 1, 5]] = [3 / 5, 1 / 5, 1 / 5]  # stay, up, left stay in 0
    np.testing.assert_allclose(P_pi[0], expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(P_pi.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@pytest.mark.formula("eq-bellman-matrix")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=30, deadline=None)
def test_matrix_form_equals_the_elementwise_form(seed, gamma):
    mdp = random_mdp(seed, n_states=5, n_actions=4)
    v = np.random.default_rng(seed).normal(size=5)
    r_pi, P_pi = policy_matrices(mdp.pi, mdp.P, mdp.R)
    elementwise = bellman_rhs_elementwise(v, mdp.pi, mdp.P, mdp.reward_values, mdp.p_r, gamma)
    np.testing.assert_allclose(bellman_operator(v, r_pi, P_pi, gamma), elementwise,
                               rtol=1e-12, atol=1e-12)
# --8<-- [end:test_bellman_matrix]


# --8<-- [start:test_closed_form]
@pytest.mark.formula("eq-closed-form")
def test_closed_form_reproduces_the_hand_computed_example(tiny_world):
    r_pi, P_pi = policy_matrices(policy_from_arrows(TINY_POLICY), tiny_world.P, tiny_world.R)
    np.testing.assert_allclose(solve_bellman(r_pi, P_pi, GAMMA), TINY_VALUES, rtol=0, atol=1e-12)
    # s1 goes right or down with probability 1/2 each:
    # v(s1) = 0.5 (−1 + γ·10) + 0.5 (0 + γ·10) = 8.5
    pi = policy_from_arrows(TINY_POLICY)
    pi[0] = [0.0, 0.5, 0.5, 0.0, 0.0]
    v = solve_bellman(*policy_matrices(pi, tiny_world.P, tiny_world.R), GAMMA)
    np.testing.assert_allclose(v, [8.5, 10.0, 10.0, 10.0], rtol=0, atol=1e-12)
# --8<-- [end:test_closed_form]


@pytest.mark.formula("eq-closed-form")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=30, deadline=None)
def test_closed_form_is_the_limit_of_the_iteration(seed, gamma):
    mdp = random_mdp(seed)
    r_pi, P_pi = policy_matrices(mdp.pi, mdp.P, mdp.R)
    v = solve_bellman(r_pi, P_pi, gamma)
    # 1,500 sweeps: γ^1500 ≤ 0.97^1500 < 1e-19 of the initial error
    limit = bellman_iterates(r_pi, P_pi, gamma, n_iter=1500)[-1]
    np.testing.assert_allclose(v, limit, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(v, r_pi + gamma * P_pi @ v, rtol=1e-10, atol=1e-10)


# --8<-- [start:test_iterative]
@pytest.mark.formula("eq-iterative")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=30, deadline=None)
def test_iteration_error_shrinks_at_least_by_gamma(seed, gamma):
    mdp = random_mdp(seed)
    r_pi, P_pi = policy_matrices(mdp.pi, mdp.P, mdp.R)
    v_star = solve_bellman(r_pi, P_pi, gamma)
    v0 = np.random.default_rng(seed).normal(scale=10, size=6)
    errors = np.abs(bellman_iterates(r_pi, P_pi, gamma, 40, v0) - v_star).max(axis=1)
    # ‖v_{k+1} − v_π‖∞ ≤ γ ‖v_k − v_π‖∞, up to rounding of the matrix products
    assert np.all(errors[1:] <= gamma * errors[:-1] + 1e-12)


@pytest.mark.formula("eq-iterative")
def test_the_rate_gamma_is_attained_on_the_example(tiny_world):
    r_pi, P_pi = policy_matrices(policy_from_arrows(TINY_POLICY), tiny_world.P, tiny_world.R)
    iterates = bellman_iterates(r_pi, P_pi, GAMMA, 10)
    # from v_0 = 0 the target's value is v_k(s4) = 1 + γ + … + γ^{k−1}, error 10 γ^k
    np.testing.assert_allclose(iterates[:, 3], 10 * (1 - GAMMA ** np.arange(11)), atol=1e-12)
    np.testing.assert_array_equal(bellman_iterates(r_pi, P_pi, GAMMA, 0, [1, 2, 3, 4]),
                                  [[1, 2, 3, 4]])


@pytest.mark.formula("eq-iterative")
@pytest.mark.parametrize("tol", [1e-1, 1e-4, 1e-10])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9])
def test_iterate_bellman_stops_at_the_first_iterate_within_tol(tol, gamma):
    mdp = random_mdp(7)
    r_pi, P_pi = policy_matrices(mdp.pi, mdp.P, mdp.R)
    v = iterate_bellman(r_pi, P_pi, gamma, tol=tol)
    assert np.abs(v - solve_bellman(r_pi, P_pi, gamma)).max() <= tol
    # the stopping rule on the page, applied to the explicit list of iterates
    history = bellman_iterates(r_pi, P_pi, gamma, 400)
    steps = gamma * np.abs(np.diff(history, axis=0)).max(axis=1)
    k = int(np.argmax(steps <= (1 - gamma) * tol)) + 1
    np.testing.assert_array_equal(v, history[k])
    v_warm = iterate_bellman(r_pi, P_pi, gamma, tol=tol, v0=history[5])
    assert np.abs(v_warm - solve_bellman(r_pi, P_pi, gamma)).max() <= tol


@pytest.mark.formula("eq-iterative")
def test_the_stopping_rule_is_tight():
    # one state, r = 1, γ = 1/2: v_k = 2 − 2^{1−k}, steps 1, 1/2, 1/4, … are exact in binary.
    # With tol = 1/4 the rule stops at v_3 = 1.75, whose error is exactly tol.
    v = iterate_bellman([1.0], [[1.0]], 0.5, tol=0.25)
    assert v.tolist() == [1.75]
# --8<-- [end:test_iterative]


def test_iterate_bellman_reports_when_max_iter_is_too_small():
    mdp = random_mdp(3)
    r_pi, P_pi = policy_matrices(mdp.pi, mdp.P, mdp.R)
    with pytest.raises(RuntimeError, match="did not reach tol=1e-10 in 5 iterations"):
        iterate_bellman(r_pi, P_pi, 0.9, max_iter=5)
    v = iterate_bellman(r_pi, P_pi, 0.5, tol=10.0, max_iter=1)  # the first step suffices
    np.testing.assert_array_equal(v, r_pi)


# --8<-- [start:test_action_values]
@pytest.mark.formula("eq-action-value")
@pytest.mark.parametrize("s, a", [(0, 1), (12, 4), (16, 1), (17, 4)])
def test_action_values_agree_with_monte_carlo(world, s, a):
    pi = uniform_policy(world.n_states)
    v = solve_bellman(*policy_matrices(pi, world.P, world.R), GAMMA)
    q = action_values(v, world.P, world.R, GAMMA)
    n, horizon = 4000, 250
    G = mc_returns(world.P, world.R, pi, GAMMA, s, n, horizon, np.random.default_rng(s),
                   first_action=a)
    assert abs(G.mean() - q[s, a]) <= 4 * G.std(ddof=1) / np.sqrt(n)
# --8<-- [end:test_action_values]


@pytest.mark.formula("eq-action-value")
def test_action_values_by_hand(tiny_world):
    q = action_values(TINY_VALUES, tiny_world.P, tiny_world.R, GAMMA)
    # from s1: right hits the forbidden s2, −1 + γ·10 = 8; up bounces, −1 + γ·9 = 7.1
    assert q[0, 1] == pytest.approx(8.0, abs=1e-12)
    assert q[0, 0] == pytest.approx(7.1, abs=1e-12)
    assert q[0, 2] == pytest.approx(9.0, abs=1e-12)


# --8<-- [start:test_v_from_q]
@pytest.mark.formula("eq-v-from-q")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=30, deadline=None)
def test_v_is_the_policy_average_of_q(seed, gamma):
    mdp = random_mdp(seed)
    v = solve_bellman(*policy_matrices(mdp.pi, mdp.P, mdp.R), gamma)
    q = action_values(v, mdp.P, mdp.R, gamma)
    np.testing.assert_allclose(state_value_from_q(mdp.pi, q), v, rtol=1e-10, atol=1e-10)
# --8<-- [end:test_v_from_q]


@pytest.mark.formula("eq-v-from-q")
def test_v_from_q_by_hand():
    q = np.array([[1.0, 3.0], [-2.0, 4.0]])
    pi = np.array([[0.25, 0.75], [1.0, 0.0]])
    np.testing.assert_allclose(state_value_from_q(pi, q), [2.5, -2.0], rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: discounted_returns([[1.0]], 0.9), "rewards must have shape"),
        (lambda m: discounted_returns([1.0], 1.0), "gamma must"),
        (lambda m: mc_returns(m.P, m.R, m.pi, 0.9, 6, 10, 10, np.random.default_rng()), r"start_state must be in 0..5, got 6"),
        (lambda m: mc_returns(m.P, m.R, m.pi, 0.9, -1, 10, 10, np.random.default_rng()), "start_state"),
        (lambda m: mc_returns(m.P, m.R, m.pi, 0.9, 0, 10, 10, np.random.default_rng(), first_action=3), r"first_action must be in 0..2, got 3"),
        (lambda m: mc_returns(m.P, m.R, m.pi, 0.9, 0, 10, 10, np.random.default_rng(), first_action=-1), "first_action"),
        (lambda m: mc_returns(m.P, m.R, m.pi, 0.9, 0, 0, 10, np.random.default_rng()), "n_episodes and horizon must be positive"),
        (lambda m: mc_returns(m.P, m.R, m.pi, 0.9, 0, 10, 0, np.random.default_rng()), "n_episodes and horizon"),
        (lambda m: mc_returns(m.P, m.R, m.pi[:, :2], 0.9, 0, 10, 10, np.random.default_rng()), "pi must"),
        (lambda m: bellman_rhs_elementwise(np.zeros(6), m.pi, m.P, m.reward_values, m.p_r[:5], 0.9), r"p_r must have shape \(S, A, K\)"),
        (lambda m: bellman_rhs_elementwise(np.zeros(6), m.pi, m.P * 2, m.reward_values, m.p_r, 0.9), "^P must sum to 1"),
        (lambda m: bellman_rhs_elementwise(np.zeros(6), m.pi, m.P, m.reward_values, m.p_r * 2, 0.9), "^p_r must sum to 1"),
        (lambda m: bellman_rhs_elementwise(np.zeros(6), m.pi, m.P, m.reward_values[:2], m.p_r, 0.9), r"reward_values must have shape \(3,\)"),
        (lambda m: bellman_rhs_elementwise(np.zeros(5), m.pi, m.P, m.reward_values, m.p_r, 0.9), r"v must have shape \(6,\)"),
        (lambda m: bellman_rhs_elementwise(np.zeros(6), m.pi, m.P, m.reward_values, m.p_r, -0.5), "gamma"),
        (lambda m: policy_matrices(m.pi * 2, m.P, m.R), "^pi must sum to 1"),
        (lambda m: policy_matrices(m.pi, m.P * 2, m.R), "^P must sum to 1"),
        (lambda m: policy_matrices(m.pi, np.concatenate([m.P, np.zeros((6, 3, 1))], axis=2), m.R), r"P must have shape \(S, A, S\)"),
        (lambda m: bellman_operator(np.zeros(5), m.R[:, 0], np.eye(6), 0.5), r"v must have shape \(6,\)"),
        (lambda m: bellman_operator(np.zeros(6), m.R[:, 0], np.eye(5), 0.5), r"P_pi must have shape \(S, S\) = \(6, 6\)"),
        (lambda m: solve_bellman(m.R[:, 0], np.eye(6) * 2, 0.5), "^P_pi must sum to 1"),
        (lambda m: solve_bellman(m.R[:2, :], np.eye(6), 0.5), r"^r_pi must have shape one axis"),
        (lambda m: solve_bellman(m.R[:, 0], np.eye(6), 1.0), "gamma must"),
        (lambda m: iterate_bellman(m.R[:, 0], np.eye(6), 0.5, tol=0.0), "tol must be positive, got 0.0"),
        (lambda m: iterate_bellman(m.R[:, 0], np.eye(6), 0.5, tol=np.nan), "tol must be positive"),
        (lambda m: iterate_bellman(m.R[:, 0], np.eye(6), 0.5, max_iter=0), "max_iter must be at least 1, got 0"),
        (lambda m: iterate_bellman(m.R[:, 0], np.eye(6), 0.5, v0=np.zeros(2)), r"v0 must have shape \(6,\)"),
        (lambda m: bellman_iterates(m.R[:, 0], np.eye(6), 0.5, -1), "n_iter must be non-negative, got -1"),
        (lambda m: bellman_iterates(m.R[:, 0], np.eye(6), 0.5, 3, v0=np.zeros(2)), "v0 must have shape"),
        (lambda m: action_values(np.zeros(5), m.P, m.R, 0.9), r"v must have shape \(6,\)"),
        (lambda m: action_values(np.zeros(6), m.P, m.R, 1.5), "gamma"),
        (lambda m: state_value_from_q(m.pi, np.zeros(6)), r"q must be a finite array of shape \(S, A\)"),
        (lambda m: state_value_from_q(m.pi, np.full((6, 3), np.inf)), "q must be a finite"),
        (lambda m: state_value_from_q(m.pi, np.zeros((6, 2))), r"pi must have shape \(S, A\) = \(6, 2\)"),
    ],
)
def test_bad_input_raises_value_error(mdp, call, match):
    with pytest.raises(ValueError, match=match):
        call(mdp)
