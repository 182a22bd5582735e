"""Checks of rl-basics/bellman-optimality, each against something independent.

Independent references used here: brute-force enumeration of all A^S deterministic
policies (each evaluated with the closed form of state_values.solve_bellman), random
stochastic policies, explicit sums, values computed by hand, and the list of iterates
against the stopping rule.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.rl_basics.conftest import random_mdp
from snippets.rl_basics.bellman_optimality import (
    affine_reward_values,
    break_even_penalty,
    boe_iterates,
    boe_operator,
    boe_rhs_elementwise,
    contraction_sides,
    greedy_policy,
    policy_matrix,
    solve_boe,
)
from snippets.rl_basics.grid_world import PI_1_ARROWS, make_grid_world, policy_from_arrows
from snippets.rl_basics.state_values import (
    action_values,
    policy_matrices,
    solve_bellman,
)

GAMMA = 0.9
seeds = st.integers(min_value=0, max_value=2**32 - 1)
gammas = st.floats(min_value=0.0, max_value=0.95)

# Zhao's 2x2 example (ch. 2-3): s1 s2 / s3 s4, s2 forbidden, s4 the target. Optimal by
# hand with γ = 0.9: v*(s4) = 1/(1-γ) = 10, v*(s2) = v*(s3) = 1 + γ·10 = 10,
# v*(s1) = 0 + γ·10 = 9.
TINY_V_STAR = [9.0, 10.0, 10.0, 10.0]
# The policy π₁ of the state-values page, which that page says is optimal.
STATE_VALUES_PI_1 = list(PI_1_ARROWS)


def all_deterministic_values(P, R, gamma):
    """Every deterministic policy (A^S of them) and its v_π from the closed form."""
    S, A = R.shape
    policies = np.array(list(itertools.product(range(A), repeat=S)))
    values = np.array([
        solve_bellman(*policy_matrices(np.eye(A)[p], P, R), gamma) for p in policies
    ])
    return policies, values


def sup(x) -> float:
    return float(np.max(np.abs(x)))


# --8<-- [start:test_boe_elementwise]
@pytest.mark.formula("eq-boe-elementwise")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=25, deadline=None)
def test_no_stochastic_policy_beats_the_greedy_choice(seed, gamma):
    mdp = random_mdp(seed, n_states=5, n_actions=4)
    rng = np.random.default_rng(seed)
    v = rng.normal(scale=3, size=5)
    rhs = boe_rhs_elementwise(v, mdp.P, mdp.reward_values, mdp.p_r, gamma)
    # q(s, a) written with einsum, independent of the loops
    q = np.einsum("sak,k->sa", mdp.p_r, mdp.reward_values) + gamma * np.einsum(
        "sat,t->sa", mdp.P, v)
    # Σ_a π(a|s) q(s, a) of 500 random stochastic policies never exceeds the max ...
    pis = rng.dirichlet(np.ones(4), size=(500, 5))
    assert np.all(np.sum(pis * q, axis=2) <= rhs + 1e-12)
    # ... and the best of the 4 one-hot distributions (simplex vertices) attains it
    vertices = np.array([[q[s] @ np.eye(4)[a] for a in range(4)] for s in range(5)])
    np.testing.assert_allclose(rhs, vertices.max(axis=1), rtol=1e-12, atol=1e-12)
# --8<-- [end:test_boe_elementwise]


@pytest.mark.formula("eq-boe-elementwise")
def test_v_star_of_the_2x2_example_solves_the_elementwise_boe(tiny_world):
    rhs = boe_rhs_elementwise(TINY_V_STAR, tiny_world.P, tiny_world.reward_values,
                              tiny_world.p_r, GAMMA)
    np.testing.assert_allclose(rhs, TINY_V_STAR, rtol=0, atol=1e-12)
    # any other v is moved: from v = 0 the right side is the best immediate reward
    rhs0 = boe_rhs_elementwise(np.zeros(4), tiny_world.P, tiny_world.reward_values,
                               tiny_world.p_r, GAMMA)
    np.testing.assert_allclose(rhs0, [0.0, 1.0, 1.0, 1.0], rtol=0, atol=0)
    # all values negative: still the maximum (a min would keep the initial -inf)
    rhs_neg = boe_rhs_elementwise(np.full(4, -50.0), tiny_world.P,
                                  tiny_world.reward_values, tiny_world.p_r, 0.5)
    np.testing.assert_allclose(rhs_neg, [-25.0, -24.0, -24.0, -24.0], atol=1e-12)


# --8<-- [start:test_boe_matrix]
@pytest.mark.formula("eq-boe-matrix")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=15, deadline=None)
def test_operator_is_the_max_over_all_deterministic_policies(seed, gamma):
    mdp = random_mdp(seed, n_states=4, n_actions=3)
    v = np.random.default_rng(seed).normal(scale=3, size=4)
    candidates = []
    for p in itertools.product(range(3), repeat=4):  # all 3^4 = 81 policies
        r_pi, P_pi = policy_matrices(np.eye(3)[list(p)], mdp.P, mdp.R)
        candidates.append(r_pi + gamma * P_pi @ v)
    candidates = np.array(candidates)
    f_v = boe_operator(v, mdp.P, mdp.R, gamma)
    # the componentwise maximum over all policies ...
    np.testing.assert_allclose(f_v, candidates.max(axis=0), rtol=1e-12, atol=1e-12)
    # ... is attained by ONE policy in every state at once (so max_π is well defined)
    assert np.any(np.all(candidates >= f_v - 1e-12, axis=1))
    loops = boe_rhs_elementwise(v, mdp.P, mdp.reward_values, mdp.p_r, gamma)
    np.testing.assert_allclose(f_v, loops, rtol=0, atol=1e-12)
# --8<-- [end:test_boe_matrix]


@pytest.mark.formula("eq-boe-matrix")
def test_operator_by_hand_on_the_grid_world(world):
    v = np.zeros(25)
    v[world.state(3, 2)] = 10.0  # only the target has a value
    f_v = boe_operator(v, world.P, world.R, GAMMA)
    # (2, 2) is forbidden, one step above the target: down earns 1 + 0.9·10 = 10
    assert f_v[world.state(2, 2)] == pytest.approx(10.0, abs=1e-12)
    # the corner (0, 0): nothing reachable in one step has a value, best reward is 0
    assert f_v[world.state(0, 0)] == pytest.approx(0.0, abs=1e-12)
    # γ = 0: f(v) = max_a R(s, a) whatever v is (the short-sighted extreme)
    np.testing.assert_allclose(boe_operator(v, world.P, world.R, 0.0),
                               world.R.max(axis=1))


# --8<-- [start:test_contraction]
@pytest.mark.formula("eq-contraction")
@given(seed=seeds, gamma=gammas, scale=st.floats(1e-3, 1e3))
@settings(max_examples=30, deadline=None)
def test_boe_operator_is_a_gamma_contraction(seed, gamma, scale):
    mdp = random_mdp(seed, n_states=5, n_actions=3)
    rng = np.random.default_rng(seed)
    v1, v2 = rng.normal(scale=scale, size=(2, 5))
    left, right = contraction_sides(v1, v2, mdp.P, mdp.R, gamma)
    # both sides recomputed from the explicit loops and a plain max-norm
    f1 = boe_rhs_elementwise(v1, mdp.P, mdp.reward_values, mdp.p_r, gamma)
    f2 = boe_rhs_elementwise(v2, mdp.P, mdp.reward_values, mdp.p_r, gamma)
    assert left == pytest.approx(max(abs(f1 - f2)), rel=1e-9, abs=1e-12)
    assert right == pytest.approx(gamma * max(abs(v1 - v2)), rel=1e-12)
    assert left <= right * (1 + 1e-12) + 1e-12
# --8<-- [end:test_contraction]


@pytest.mark.formula("eq-contraction")
def test_the_contraction_factor_gamma_is_attained():
    # one state that always returns to itself: f(v) = max(1 + γ v, γ v) = 1 + γ v,
    # so |f(v1) − f(v2)| = γ |v1 − v2| exactly
    P, R = np.ones((1, 2, 1)), np.array([[1.0, 0.0]])
    assert contraction_sides([3.0], [-1.0], P, R, 0.75) == (3.0, 3.0)
    # the order of the arguments does not matter (the norm is symmetric)
    assert contraction_sides([-1.0], [3.0], P, R, 0.75) == (3.0, 3.0)


# --8<-- [start:test_boe_solution]
@pytest.mark.formula("eq-boe-solution")
@pytest.mark.parametrize("tol", [1e-1, 1e-4, 1e-10])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9])
def test_solve_boe_is_within_tol_of_the_brute_force_optimum(tol, gamma):
    mdp = random_mdp(11, n_states=4, n_actions=3)
    _, values = all_deterministic_values(mdp.P, mdp.R, gamma)
    v_brute = values.max(axis=0)  # v*(s) = max over all 81 policies of v_π(s)
    v, _ = solve_boe(mdp.P, mdp.R, gamma, tol=tol)
    assert sup(v - v_brute) <= tol
    # the stopping rule on the page, applied to the explicit list of iterates
    history = boe_iterates(mdp.P, mdp.R, gamma, 400)
    steps = gamma * np.abs(np.diff(history, axis=0)).max(axis=1)
    k = int(np.argmax(steps <= (1 - gamma) * tol)) + 1
    np.testing.assert_array_equal(v, history[k])
    v_warm, _ = solve_boe(mdp.P, mdp.R, gamma, tol=tol, v0=history[5])  # a warm start
    assert sup(v_warm - v_brute) <= tol


@pytest.mark.formula("eq-boe-solution")
def test_the_stopping_rule_is_tight():
    # one state, one action, r = 1, γ = 1/2: v_k = 2 − 2^{1−k}; the steps 1, 1/2, 1/4, …
    # are exact. With tol = 1/4 the rule stops at v_3 = 1.75, whose error equals tol.
    v, policy = solve_boe(np.ones((1, 1, 1)), [[1.0]], 0.5, tol=0.25)
    assert v.tolist() == [1.75] and policy.tolist() == [0]
# --8<-- [end:test_boe_solution]


@pytest.mark.formula("eq-boe-solution")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=12, deadline=None)
def test_iteration_error_shrinks_by_gamma_from_any_start(seed, gamma):
    mdp = random_mdp(seed, n_states=4, n_actions=3)
    _, values = all_deterministic_values(mdp.P, mdp.R, gamma)
    v_star = values.max(axis=0)
    rng = np.random.default_rng(seed)
    for v0 in rng.normal(scale=20, size=(2, 4)):
        errors = np.abs(boe_iterates(mdp.P, mdp.R, gamma, 30, v0) - v_star).max(axis=1)
        # ‖v_{k+1} − v*‖∞ ≤ γ ‖v_k − v*‖∞: the same limit whatever v_0 is (uniqueness)
        assert np.all(errors[1:] <= gamma * errors[:-1] + 1e-9)
        v_warm, _ = solve_boe(mdp.P, mdp.R, gamma, tol=1e-9, v0=v0)
        assert sup(v_warm - v_star) <= 1e-9


def test_boe_iterates_start_where_asked():
    mdp = random_mdp(5, n_states=3, n_actions=2)
    np.testing.assert_array_equal(boe_iterates(mdp.P, mdp.R, 0.5, 0, [1, 2, 3]),
                                  [[1, 2, 3]])
    two = boe_iterates(mdp.P, mdp.R, 0.5, 2)
    np.testing.assert_array_equal(two[0], 0.0)
    np.testing.assert_allclose(two[1], mdp.R.max(axis=1), atol=1e-15)


def test_solve_boe_reports_when_max_iter_is_too_small():
    mdp = random_mdp(3)
    with pytest.raises(RuntimeError, match="did not reach tol=1e-10 in 5 iterations"):
        solve_boe(mdp.P, mdp.R, 0.9, max_iter=5)
    v, _ = solve_boe(mdp.P, mdp.R, 0.5, tol=10.0, max_iter=1)  # the first step suffices
    np.testing.assert_allclose(v, mdp.R.max(axis=1), atol=1e-15)


# --8<-- [start:test_greedy_policy]
@pytest.mark.formula("eq-greedy-policy")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=15, deadline=None)
def test_greedy_policy_beats_every_deterministic_policy(seed, gamma):
    mdp = random_mdp(seed, n_states=4, n_actions=3)
    policies, values = all_deterministic_values(mdp.P, mdp.R, gamma)  # 81 policies
    v_star, pi_star = solve_boe(mdp.P, mdp.R, gamma)
    # v* ≥ v_π in every state for every one of the 81 policies ...
    assert np.all(values <= v_star + 1e-9)
    # ... with equality for the best one, in all states at once
    assert np.min(np.abs(values - v_star).max(axis=1)) <= 1e-9
    # the greedy policy w.r.t. q* = R + γ P v*, evaluated exactly, attains v*
    pi = greedy_policy(action_values(v_star, mdp.P, mdp.R, gamma))
    v_pi = solve_bellman(*policy_matrices(policy_matrix(pi, 3), mdp.P, mdp.R), gamma)
    np.testing.assert_allclose(v_pi, v_star, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(pi, pi_star)
    # no stochastic policy does better either
    for pi_random in np.random.default_rng(seed).dirichlet(np.ones(3), size=(20, 4)):
        assert np.all(solve_bellman(*policy_matrices(pi_random, mdp.P, mdp.R), gamma)
                      <= v_star + 1e-9)
# --8<-- [end:test_greedy_policy]


@pytest.mark.formula("eq-greedy-policy")
@pytest.mark.parametrize("gamma, r_forbidden", [(0.9, -1.0), (0.9, -10.0), (0.5, -1.0)])
def test_greedy_policy_attains_v_star_on_the_grid_world(gamma, r_forbidden):
    world = make_grid_world(r_forbidden=r_forbidden)
    v_star, pi_star = solve_boe(world.P, world.R, gamma)
    pi = policy_matrix(pi_star, 5)
    v_pi = solve_bellman(*policy_matrices(pi, world.P, world.R), gamma)
    np.testing.assert_allclose(v_pi, v_star, rtol=0, atol=1e-9)
    # the target's value is r_target / (1 − γ): stay there for ever
    assert v_star[world.state(3, 2)] == pytest.approx(1 / (1 - gamma), abs=1e-9)


@pytest.mark.formula("eq-greedy-policy")
def test_pi_1_of_the_state_values_page_is_optimal(world):
    v_star, _ = solve_boe(world.P, world.R, GAMMA)
    pi_1 = policy_from_arrows(STATE_VALUES_PI_1)
    v_1 = solve_bellman(*policy_matrices(pi_1, world.P, world.R), GAMMA)
    np.testing.assert_allclose(v_1, v_star, rtol=0, atol=1e-9)


def test_greedy_policy_breaks_ties_towards_the_lowest_index():
    q = np.array([[1.0, 3.0, 3.0], [-2.0, -5.0, -2.0], [0.0, 0.0, 7.0]])
    assert greedy_policy(q).tolist() == [1, 0, 2]


def test_policy_matrix_is_one_hot():
    np.testing.assert_array_equal(policy_matrix(np.array([2, 0]), 3),
                                  [[0, 0, 1], [1, 0, 0]])


# --8<-- [start:test_affine_reward]
@pytest.mark.formula("eq-affine-reward")
@given(seed=seeds, gamma=gammas, c1=st.floats(0.1, 5.0), c2=st.floats(-5.0, 5.0))
@settings(max_examples=25, deadline=None)
def test_affine_reward_change_keeps_the_policy(seed, gamma, c1, c2):
    mdp = random_mdp(seed, n_states=5, n_actions=3)
    v_star, pi_star = solve_boe(mdp.P, mdp.R, gamma)
    # change every reward VALUE r -> c₁r + c₂; the model then yields R' = c₁R + c₂
    R_new = mdp.p_r @ (c1 * mdp.reward_values + c2)
    v_new, pi_new = solve_boe(mdp.P, R_new, gamma)
    # both solves are within 1e-10 of their fixed points; c₁ scales the first error
    np.testing.assert_allclose(affine_reward_values(v_star, c1, c2, gamma), v_new,
                               rtol=0, atol=1e-9)
    # the new greedy policy is optimal for the OLD rewards (a tie may change the argmax)
    pi = policy_matrix(pi_new, 3)
    v_old = solve_bellman(*policy_matrices(pi, mdp.P, mdp.R), gamma)
    np.testing.assert_allclose(v_old, v_star, rtol=0, atol=1e-8)
# --8<-- [end:test_affine_reward]


@pytest.mark.formula("eq-affine-reward")
def test_adding_one_to_every_reward_of_the_grid_world(world):
    shifted = make_grid_world(r_boundary=0.0, r_forbidden=0.0, r_target=2.0,
                              r_other=1.0)
    v_star, pi_star = solve_boe(world.P, world.R, GAMMA)
    v_shift, pi_shift = solve_boe(shifted.P, shifted.R, GAMMA)
    # c₁ = 1, c₂ = 1: every value rises by 1/(1 − 0.9) = 10, the target's from 10 to 20
    assert v_shift[world.state(3, 2)] == pytest.approx(20.0, abs=1e-9)
    np.testing.assert_allclose(v_shift - v_star, 10.0, rtol=0, atol=1e-9)
    np.testing.assert_allclose(affine_reward_values(v_star, 1.0, 1.0, GAMMA), v_shift,
                               atol=1e-9)
    # c₂ alone, by hand: c₁ = 2, c₂ = −0.5, γ = 0.5 gives 2 v* − 1
    np.testing.assert_allclose(affine_reward_values([1.0, -3.0], 2.0, -0.5, 0.5),
                               [1.0, -7.0])
    np.testing.assert_array_equal(pi_shift, pi_star)


# --8<-- [start:test_discount_effect]
@pytest.mark.formula("eq-discount-effect")
@pytest.mark.parametrize("gamma", [0.0, 0.3, 0.5, 0.7, 0.9])
def test_break_even_penalty_predicts_the_optimal_choice_in_cell_2_1(gamma):
    # the detour around the forbidden cells takes 14 moves
    threshold = break_even_penalty(gamma, n_detour=14)
    for r_forbidden in [-0.2, -0.5, -0.9, -1.0, -2.0, -5.0, -6.0, -7.0, -10.0, -30.0]:
        if abs(r_forbidden - threshold) < 1e-3:
            continue  # a near tie: either choice is optimal
        world = make_grid_world(r_forbidden=r_forbidden)
        v_star, pi_star = solve_boe(world.P, world.R, gamma)
        s = world.state(2, 1)
        q = action_values(v_star, world.P, world.R, gamma)
        # crossing: right into (2, 2) or down into (3, 1), then into the target
        assert q[s, 1] == pytest.approx(r_forbidden + gamma / (1 - gamma), abs=1e-8)
        crosses = pi_star[s] in (1, 2)
        assert crosses == (r_forbidden > threshold), (gamma, r_forbidden, threshold)
        if not crosses:  # the detour: 13 moves worth 0, the 14th enters the target
            assert v_star[s] == pytest.approx(gamma**13 / (1 - gamma), abs=1e-8)
# --8<-- [end:test_discount_effect]


@pytest.mark.formula("eq-discount-effect")
def test_break_even_penalty_by_hand():
    # γ = 0.9, n = 14: −(0.9 − 0.9^13)/0.1 = −(0.9 − 0.2541865828329)/0.1
    assert break_even_penalty(0.9, 14) == pytest.approx(-6.458134171671, abs=1e-11)
    # γ = 0.5, n = 3, r_target = 4: −4 (0.5 − 0.25)/0.5 = −2
    assert break_even_penalty(0.5, 3, r_target=4.0) == pytest.approx(-2.0, abs=1e-15)
    # γ = 0: only the immediate reward counts, crossing pays only if it is not a penalty
    assert break_even_penalty(0.0, 14) == 0.0
    # n = 2: the detour is as short as the crossing, so any penalty tips the balance
    assert break_even_penalty(0.9, 2) == 0.0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: boe_rhs_elementwise(np.zeros(6), m.P * 2, m.reward_values, m.p_r, 0.9), "^P must sum to 1"),
        (lambda m: boe_rhs_elementwise(np.zeros(6), m.P, m.reward_values, m.p_r * 2, 0.9), "^p_r must sum to 1"),
        (lambda m: boe_rhs_elementwise(np.zeros(6), m.P, m.reward_values, m.p_r[:5], 0.9), r"p_r must have shape \(S, A, K\) with \(S, A\) = \(6, 3\)"),
        (lambda m: boe_rhs_elementwise(np.zeros(6), m.P, m.reward_values[:2], m.p_r, 0.9), r"reward_values must have shape \(3,\)"),
        (lambda m: boe_rhs_elementwise(np.zeros(5), m.P, m.reward_values, m.p_r, 0.9), r"v must have shape \(6,\)"),
        (lambda m: boe_rhs_elementwise(np.zeros(6), m.P, m.reward_values, m.p_r, 1.0), "gamma must"),
        (lambda m: greedy_policy(np.zeros(6)), r"q must be a finite array of shape \(S, A\)"),
        (lambda m: greedy_policy(np.zeros((6, 0))), r"q must be .* got shape \(6, 0\)"),
        (lambda m: greedy_policy(np.full((2, 2), np.nan)), "q must be a finite"),
        (lambda m: greedy_policy([[None, 1.0]]), "q must be a finite"),
        (lambda m: policy_matrix(np.zeros((2, 2), dtype=int), 3), "policy must be a 1-D int array"),
        (lambda m: policy_matrix(np.array([0.0, 1.0]), 3), "policy must be a 1-D int array"),
        (lambda m: policy_matrix(np.array([0, 3]), 3), r"policy must hold actions in 0..2"),
        (lambda m: policy_matrix(np.array([-1, 0]), 3), "policy must hold actions"),
        (lambda m: boe_operator(np.zeros(5), m.P, m.R, 0.9), r"v must have shape \(6,\)"),
        (lambda m: boe_operator(np.zeros(6), m.P, m.R[:5], 0.9), r"R must be finite with shape"),
        (lambda m: boe_operator(np.zeros(6), m.P, m.R, -0.1), "gamma must"),
        (lambda m: contraction_sides(np.zeros(5), np.zeros(6), m.P, m.R, 0.9), r"v1 must have shape \(6,\)"),
        (lambda m: contraction_sides(np.zeros(6), np.zeros(5), m.P, m.R, 0.9), r"v2 must have shape \(6,\)"),
        (lambda m: contraction_sides(np.zeros(6), np.zeros(6), m.P * 2, m.R, 0.9), "^P must sum"),
        (lambda m: contraction_sides(np.zeros(6), np.zeros(6), m.P, m.R, 1.0), "gamma must"),
        (lambda m: boe_iterates(m.P, m.R, 0.9, -1), "n_iter must be non-negative, got -1"),
        (lambda m: boe_iterates(m.P, m.R, 0.9, 2, v0=np.zeros(2)), r"v0 must have shape \(6,\)"),
        (lambda m: boe_iterates(m.P, m.R, 1.5, 2), "gamma must"),
        (lambda m: boe_iterates(m.P, m.R[:, :2], 0.5, 2), "R must be finite"),
        (lambda m: solve_boe(m.P, m.R, 0.9, tol=0.0), "tol must be positive, got 0.0"),
        (lambda m: solve_boe(m.P, m.R, 0.9, tol=np.nan), "tol must be positive"),
        (lambda m: solve_boe(m.P, m.R, 0.9, max_iter=0), "max_iter must be at least 1, got 0"),
        (lambda m: solve_boe(m.P, m.R, 0.9, v0=np.zeros(2)), r"v0 must have shape \(6,\)"),
        (lambda m: solve_boe(m.P, m.R, 1.0), "gamma must"),
        (lambda m: solve_boe(m.P[:, :, :5], m.R, 0.5), "^P must"),
        (lambda m: affine_reward_values(np.zeros((2, 2)), 1.0, 0.0, 0.9), "v_star must have shape one axis"),
        (lambda m: affine_reward_values(np.zeros(3), 0.0, 0.0, 0.9), "c1 must be a positive number, got 0.0"),
        (lambda m: affine_reward_values(np.zeros(3), -2.0, 0.0, 0.9), "c1 must be a positive"),
        (lambda m: affine_reward_values(np.zeros(3), np.inf, 0.0, 0.9), "c1 must be a positive"),
        (lambda m: affine_reward_values(np.zeros(3), np.ones(3), 0.0, 0.9), "c1 must be a positive"),
        (lambda m: affine_reward_values(np.zeros(3), 1.0, np.nan, 0.9), "c2 must be a finite number"),
        (lambda m: affine_reward_values(np.zeros(3), 1.0, np.ones(2), 0.9), "c2 must be a finite"),
        (lambda m: affine_reward_values(np.zeros(3), 1.0, 0.0, 1.0), "gamma must"),
        (lambda m: break_even_penalty(1.0, 14), "gamma must"),
        (lambda m: break_even_penalty(0.9, 1), "n_detour must be an integer >= 2, got 1"),
        (lambda m: break_even_penalty(0.9, 2.5), "n_detour must be an integer"),
        (lambda m: break_even_penalty(0.9, 14, r_target=0.0), "r_target must be a positive number, got 0.0"),
        (lambda m: break_even_penalty(0.9, 14, r_target=np.inf), "r_target must be a positive"),
        (lambda m: break_even_penalty(0.9, 14, r_target=np.ones(2)), "r_target must be a positive"),
    ],
)
def test_bad_input_raises_value_error(mdp, call, match):
    with pytest.raises(ValueError, match=match):
        call(mdp)
