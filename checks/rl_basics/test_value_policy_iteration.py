"""Checks of rl-basics/value-policy-iteration: every key equation against something independent.

Independent references used here: v* by brute force (the elementwise maximum of v_pi over all
A^S deterministic policies, each solved in closed form), solve_boe and solve_bellman of the
sibling modules, Bellman backups and argmaxes written out with explicit loops, the iterates of
state_values.bellman_iterates, and Zhao's 2x2 example computed by hand.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.rl_basics.conftest import random_mdp
from snippets.rl_basics.bellman_optimality import solve_boe
from snippets.rl_basics.state_values import (
    action_values,
    bellman_iterates,
    policy_matrices,
    solve_bellman,
)
from snippets.rl_basics.value_policy_iteration import (
    policy_evaluation,
    policy_iteration,
    truncated_policy_iteration,
    value_iteration,
)

GAMMA = 0.9
seeds = st.integers(min_value=0, max_value=2**32 - 1)
gammas = st.floats(min_value=0.0, max_value=0.95)


def one_hot(policy, n_actions):
    return np.eye(n_actions)[policy]


def value_of(policy, P, R, gamma):
    """v_pi of a deterministic policy through the general (stochastic-policy) code path."""
    return solve_bellman(*policy_matrices(one_hot(policy, R.shape[1]), P, R), gamma)


def brute_force_optimum(P, R, gamma):
    """v*(s) = max over all A^S deterministic policies of v_pi(s), each solved exactly."""
    S, A = R.shape
    return np.max([value_of(np.array(p), P, R, gamma)
                   for p in itertools.product(range(A), repeat=S)], axis=0)


def explicit_backup(v, P, R, gamma):
    """(max_a q(s, a), lowest argmax) with every sum and the argmax written as loops."""
    S, A = R.shape
    best, arg = np.empty(S), np.empty(S, dtype=int)
    for s in range(S):
        q = [R[s, a] + gamma * sum(P[s, a, t] * v[t] for t in range(S)) for a in range(A)]
        arg[s] = next(a for a in range(A) if q[a] == max(q))
        best[s] = q[arg[s]]
    return best, arg


# --8<-- [start:test_value_iteration]
@pytest.mark.formula("eq-value-iteration")
def test_value_iteration_by_hand_on_the_2x2_example(tiny_world):
    # Zhao §4.1: from v_0 = 0, q_0 = R. s1: down/stay earn 0 (down first); s2: down into
    # the target, 1; s3: right into the target, 1; s4: stay in the target, 1.
    P, R = tiny_world.P, tiny_world.R
    v, policy, h = value_iteration(P, R, GAMMA, return_history=True)
    np.testing.assert_array_equal(h.policies[0], [2, 2, 1, 4])  # π_1 = ↓ ↓ → ○
    np.testing.assert_allclose(h.values[1], [0.0, 1.0, 1.0, 1.0], atol=1e-15)
    # v_2 = r_{π_2} + γ P_{π_2} v_1: s1 down 0 + 0.9·1; the others 1 + 0.9·1
    np.testing.assert_allclose(h.values[2], [0.9, 1.9, 1.9, 1.9], atol=1e-15)
    np.testing.assert_allclose(v, [9.0, 10.0, 10.0, 10.0], atol=1e-10)  # v* by hand
    np.testing.assert_array_equal(policy, [2, 2, 1, 4])


@pytest.mark.formula("eq-value-iteration")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=25, deadline=None)
def test_every_sweep_is_a_policy_update_then_a_value_update(seed, gamma):
    mdp = random_mdp(seed, n_states=5, n_actions=3)
    v0 = np.random.default_rng(seed).normal(scale=3, size=5)
    _, _, h = value_iteration(mdp.P, mdp.R, gamma, tol=1e-3, v0=v0, return_history=True)
    np.testing.assert_array_equal(h.values[0], v0)
    for k in range(min(len(h.values) - 1, 20)):  # the first 20 sweeps
        best, arg = explicit_backup(h.values[k], mdp.P, mdp.R, gamma)
        np.testing.assert_array_equal(h.policies[k], arg)  # π_{k+1} = argmax_a q_k
        r_pi, P_pi = policy_matrices(one_hot(arg, 3), mdp.P, mdp.R)
        # v_{k+1} = r_{π_{k+1}} + γ P_{π_{k+1}} v_k = max_a q_k(s, a)
        np.testing.assert_allclose(h.values[k + 1], r_pi + gamma * P_pi @ h.values[k],
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(h.values[k + 1], best, rtol=1e-12, atol=1e-12)


@pytest.mark.formula("eq-value-iteration")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_iteration_reaches_the_brute_force_optimum(seed):
    mdp = random_mdp(seed, n_states=4, n_actions=3)
    v_star = brute_force_optimum(mdp.P, mdp.R, GAMMA)  # 81 policies
    v, policy = value_iteration(mdp.P, mdp.R, GAMMA)
    assert np.abs(v - v_star).max() <= 1e-10
    np.testing.assert_allclose(value_of(policy, mdp.P, mdp.R, GAMMA), v_star,
                               atol=1e-10)
# --8<-- [end:test_value_iteration]


@pytest.mark.formula("eq-value-iteration")
@pytest.mark.parametrize("tol", [1e-1, 1e-4, 1e-10])
@pytest.mark.parametrize("offset", [0.0, 30.0])
def test_the_stopping_rule_guarantees_tol_and_stops_at_the_first_chance(tol, offset):
    mdp = random_mdp(5)
    v_star, _ = policy_iteration(mdp.P, mdp.R, 0.8)
    v0 = v_star + offset  # from above, every residual f(v_k) − v_k is negative
    v, _, h = value_iteration(mdp.P, mdp.R, 0.8, tol=tol, v0=v0, return_history=True)
    assert np.abs(v - v_star).max() <= tol
    residuals = [np.abs(explicit_backup(u, mdp.P, mdp.R, 0.8)[0] - u).max() for u in h.values]
    # the run stops at the first k with ‖f(v_k) − v_k‖∞ ≤ (1 − γ) tol
    assert residuals[-1] <= 0.2 * tol
    assert all(r > 0.2 * tol for r in residuals[:-1])


@pytest.mark.formula("eq-value-iteration")
def test_the_stopping_rule_is_tight():
    # one state, r = 1, γ = 1/2, v_0 = 0: v_k = 2 − 2^{1−k}, residual f(v_k) − v_k = 2^{−k},
    # exact in binary. With tol = 1/2 the rule (residual ≤ tol/2) stops at v_2 = 1.5, whose
    # error 2 − 1.5 is exactly tol; a strict < would go on to v_3.
    for run in (value_iteration, policy_iteration):
        v, policy = run([[[1.0]]], [[1.0]], 0.5, tol=0.5)
        assert v.tolist() == ([1.5] if run is value_iteration else [2.0])
    v, _ = truncated_policy_iteration([[[1.0]]], [[1.0]], 0.5, 1, tol=0.5)
    assert v.tolist() == [1.5]


def test_value_iteration_without_history_returns_the_same_pair(world):
    v, policy = value_iteration(world.P, world.R, GAMMA)
    v2, policy2, h = value_iteration(world.P, world.R, GAMMA, return_history=True)
    np.testing.assert_array_equal(v, v2)
    np.testing.assert_array_equal(policy, policy2)
    np.testing.assert_array_equal(h.values[-1], v)
    np.testing.assert_array_equal(h.policies[-1], policy)
    assert h.values.shape == h.policies.shape == (len(h.values), 25)


# --8<-- [start:test_policy_evaluation]
@pytest.mark.formula("eq-policy-evaluation")
def test_policy_evaluation_by_hand(tiny_world):
    # ↓ ↓ → ○ on the 2x2 example: v = (9, 10, 10, 10) (state-values page, by hand)
    P, R = tiny_world.P, tiny_world.R
    np.testing.assert_allclose(policy_evaluation([2, 2, 1, 4], P, R, GAMMA),
                               [9.0, 10.0, 10.0, 10.0], rtol=0, atol=1e-12)
    # two sweeps from 0: v^(1) = r_π = (0, 1, 1, 1), v^(2) = r_π + γ P_π v^(1)
    np.testing.assert_allclose(policy_evaluation([2, 2, 1, 4], P, R, GAMMA, 2),
                               [0.9, 1.9, 1.9, 1.9], rtol=0, atol=1e-15)


@pytest.mark.formula("eq-policy-evaluation")
@given(seed=seeds, gamma=gammas, j=st.integers(1, 8))
@settings(max_examples=25, deadline=None)
def test_policy_evaluation_matches_the_stochastic_policy_code(seed, gamma, j):
    mdp = random_mdp(seed, n_states=6, n_actions=4)
    rng = np.random.default_rng(seed)
    policy, v = rng.integers(0, 4, size=6), rng.normal(size=6)
    r_pi, P_pi = policy_matrices(one_hot(policy, 4), mdp.P, mdp.R)
    np.testing.assert_allclose(policy_evaluation(policy, mdp.P, mdp.R, gamma),
                               solve_bellman(r_pi, P_pi, gamma), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(policy_evaluation(policy, mdp.P, mdp.R, gamma, j, v),
                               bellman_iterates(r_pi, P_pi, gamma, j, v)[-1],
                               rtol=1e-12, atol=1e-12)
# --8<-- [end:test_policy_evaluation]


# --8<-- [start:test_policy_improvement]
@pytest.mark.formula("eq-policy-improvement")
def test_policy_iteration_by_hand_on_the_2x2_example(tiny_world):
    # π_1 = greedy in v_0 = 0 is ↓ ↓ → ○, v_{π_1} = (9, 10, 10, 10); greedy in it: same
    P, R = tiny_world.P, tiny_world.R
    v, policy, h = policy_iteration(P, R, GAMMA, return_history=True)
    np.testing.assert_allclose(h.values, [[0, 0, 0, 0], [9, 10, 10, 10]], atol=1e-12)
    np.testing.assert_array_equal(h.policies, [[2, 2, 1, 4], [2, 2, 1, 4]])


@pytest.mark.formula("eq-policy-improvement")
@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_policy_iteration_reaches_the_brute_force_optimum(seed):
    mdp = random_mdp(seed, n_states=4, n_actions=3)
    P, R = mdp.P, mdp.R
    v_star = brute_force_optimum(P, R, GAMMA)
    v, policy, h = policy_iteration(P, R, GAMMA, return_history=True)
    np.testing.assert_allclose(v, v_star, rtol=0, atol=1e-12)
    np.testing.assert_allclose(value_of(policy, P, R, GAMMA), v_star, atol=1e-12)
    for k in range(1, len(h.values)):  # v_k is the exact value of π_k = policies[k-1]
        pi_k = h.policies[k - 1]
        np.testing.assert_allclose(h.values[k], value_of(pi_k, P, R, GAMMA), atol=1e-12)
    for k in range(len(h.values)):  # each π_{k+1} is the explicit argmax of q_{π_k}
        np.testing.assert_array_equal(h.policies[k],
                                      explicit_backup(h.values[k], P, R, GAMMA)[1])
# --8<-- [end:test_policy_improvement]


# --8<-- [start:test_improvement_lemma]
@pytest.mark.formula("eq-improvement-lemma")
@given(seed=seeds, gamma=st.floats(0.5, 0.99))
@settings(max_examples=25, deadline=None)
def test_policy_iteration_improves_monotonically_and_stops(seed, gamma):
    mdp = random_mdp(seed, n_states=5, n_actions=3)
    pi_0 = np.random.default_rng(seed).integers(0, 3, size=5)
    v0 = value_of(pi_0, mdp.P, mdp.R, gamma)  # start from the value of a random policy
    _, _, h = policy_iteration(mdp.P, mdp.R, gamma, v0=v0, return_history=True)
    steps = np.diff(h.values, axis=0)
    assert np.all(steps >= -1e-9)  # v_{π_{k+1}} ≥ v_{π_k} in every state
    assert np.all(steps.max(axis=1) > 1e-12)  # strictly better somewhere until it stops
    # no policy is visited twice, so at most A^S = 243 evaluations
    visited = {tuple(p) for p in h.policies[:-1]}
    assert len(visited) == len(h.policies) - 1 <= 3**5
# --8<-- [end:test_improvement_lemma]


@pytest.mark.formula("eq-improvement-lemma")
def test_policy_iteration_on_the_grid_world_is_monotone_and_short(world):
    v_star, pi_star = solve_boe(world.P, world.R, GAMMA, tol=1e-12)
    v0 = value_of(np.full(25, 4), world.P, world.R, GAMMA)  # π_0: stay everywhere
    v, policy, h = policy_iteration(world.P, world.R, GAMMA, v0=v0, return_history=True)
    assert np.all(np.diff(h.values, axis=0) >= -1e-12)
    assert len(h.values) - 1 <= 10  # few evaluations, far below 5^25 policies
    np.testing.assert_allclose(v, v_star, atol=1e-11)
    np.testing.assert_array_equal(policy, pi_star)


# --8<-- [start:test_truncated_pi]
@pytest.mark.formula("eq-truncated-pi")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=20, deadline=None)
def test_j_1_is_value_iteration_and_large_j_is_policy_iteration(seed, gamma):
    mdp = random_mdp(seed, n_states=5, n_actions=3)
    kw = dict(tol=1e-9, return_history=True)
    *_, vi = value_iteration(mdp.P, mdp.R, gamma, **kw)
    *_, t1 = truncated_policy_iteration(mdp.P, mdp.R, gamma, 1, **kw)
    np.testing.assert_array_equal(t1.policies, vi.policies)
    np.testing.assert_allclose(t1.values, vi.values, rtol=1e-12, atol=1e-12)
    *_, pi = policy_iteration(mdp.P, mdp.R, gamma, **kw)
    # γ^800 < 1e-17: 800 sweeps are an exact evaluation in float64
    *_, t_inf = truncated_policy_iteration(mdp.P, mdp.R, gamma, 800, **kw)
    np.testing.assert_array_equal(t_inf.policies, pi.policies)
    np.testing.assert_allclose(t_inf.values, pi.values, rtol=1e-10, atol=1e-10)


@pytest.mark.formula("eq-truncated-pi")
@pytest.mark.parametrize("seed", [7, 8])
def test_truncated_pi_lies_above_value_iteration_and_below_v_star(seed):
    mdp = random_mdp(seed, n_states=4, n_actions=3)
    v_star = brute_force_optimum(mdp.P, mdp.R, GAMMA)
    v0 = value_of(np.zeros(4, dtype=int), mdp.P, mdp.R, GAMMA)  # v_0 = v_{π_0} ≤ f(v_0)
    *_, vi = value_iteration(mdp.P, mdp.R, GAMMA, v0=v0, return_history=True)
    *_, pi = policy_iteration(mdp.P, mdp.R, GAMMA, v0=v0, return_history=True)
    for j in (2, 5, 20):
        v, policy, tp = truncated_policy_iteration(mdp.P, mdp.R, GAMMA, j, v0=v0,
                                                    return_history=True)
        K = min(len(tp.values), len(vi.values))
        assert np.all(tp.values[:K] >= vi.values[:K] - 1e-12)  # above VI, step for step
        assert np.all(tp.values <= v_star + 1e-12)  # below v*
        # an observation on these two MDPs, not a theorem (counterexample below): also
        # below policy iteration, step for step
        K = min(len(tp.values), len(pi.values))
        assert np.all(tp.values[:K] <= pi.values[:K] + 1e-12)
        assert np.all(np.diff(tp.values, axis=0) >= -1e-12)  # and increasing
        assert np.abs(v - v_star).max() <= 1e-10
        np.testing.assert_allclose(value_of(policy, mdp.P, mdp.R, GAMMA), v_star,
                                   atol=1e-10)


@pytest.mark.formula("eq-truncated-pi")
def test_truncated_pi_can_lie_above_policy_iteration():
    """A counterexample to 'truncated PI <= PI step for step', found by a search over
    random MDPs (seed 228: 4 states, 3 actions, sparse transitions, gamma = 0.5)."""
    rng = np.random.default_rng(228)
    S, A = int(rng.integers(2, 6)), int(rng.integers(2, 4))
    P = random_mdp(228, n_states=S, n_actions=A).P ** 3
    P /= P.sum(axis=-1, keepdims=True)
    R = rng.normal(size=(S, A))
    gamma = float(rng.choice([0.5, 0.8, 0.9, 0.95]))
    assert (S, A, gamma) == (4, 3, 0.5)
    v0 = value_of(rng.integers(A, size=S), P, R, gamma)  # v_0 = v_{π_0}
    *_, pi = policy_iteration(P, R, gamma, v0=v0, return_history=True)
    *_, vi = value_iteration(P, R, gamma, v0=v0, return_history=True)
    *_, tp = truncated_policy_iteration(P, R, gamma, 3, v0=v0, return_history=True)
    # step 2: truncated PI (j = 3) is above policy iteration in state s_2 ...
    assert tp.values[2][1] - pi.values[2][1] > 0.05
    # ... while it stays above value iteration, as proved
    K = min(len(tp.values), len(vi.values))
    assert np.all(tp.values[:K] >= vi.values[:K] - 1e-12)
# --8<-- [end:test_truncated_pi]


@pytest.mark.formula("eq-truncated-pi")
def test_all_three_agree_on_the_grid_world(world):
    v_star, pi_star = solve_boe(world.P, world.R, GAMMA, tol=1e-12)
    runs = [value_iteration(world.P, world.R, GAMMA), policy_iteration(world.P, world.R, GAMMA)]
    runs += [truncated_policy_iteration(world.P, world.R, GAMMA, j) for j in (1, 3, 10)]
    for v, policy in runs:
        assert np.abs(v - v_star).max() <= 1e-10 + 1e-12
        np.testing.assert_array_equal(policy, pi_star)
        np.testing.assert_allclose(value_of(policy, world.P, world.R, GAMMA), v_star, atol=1e-11)


def test_random_mdp_with_many_states_and_sparse_transitions():
    # 150 states, 4 actions, 3 successors per (s, a): the three solvers agree with solve_boe
    rng = np.random.default_rng(11)
    S, A = 150, 4
    P = np.zeros((S, A, S))
    succ = rng.integers(0, S, size=(S, A, 3))
    np.add.at(P, (np.arange(S)[:, None, None], np.arange(A)[None, :, None], succ), 1 / 3)
    R = rng.normal(size=(S, A))
    v_star, _ = solve_boe(P, R, GAMMA, tol=1e-12)
    for v, policy in (value_iteration(P, R, GAMMA), policy_iteration(P, R, GAMMA),
                      truncated_policy_iteration(P, R, GAMMA, 5)):
        assert np.abs(v - v_star).max() <= 1e-10 + 1e-12
        np.testing.assert_allclose(value_of(policy, P, R, GAMMA), v_star, atol=1e-9)
        np.testing.assert_allclose(action_values(v, P, R, GAMMA).max(axis=1), v, atol=1e-9)


@pytest.mark.parametrize("run, name", [
    (lambda m: value_iteration(m.P, m.R, 0.9, max_iter=3), "value_iteration"),
    (lambda m: policy_iteration(m.P, m.R, 0.9, max_iter=1), "policy_iteration"),
    (lambda m: truncated_policy_iteration(m.P, m.R, 0.9, 2, max_iter=3),
     "truncated_policy_iteration"),
])
def test_max_iter_too_small_raises(mdp, run, name):
    with pytest.raises(RuntimeError, match=f"^{name} did not reach tol=1e-10 in"):
        run(mdp)


def test_one_iteration_suffices_when_v0_is_already_optimal(mdp):
    v_star, policy = policy_iteration(mdp.P, mdp.R, 0.9)
    for run in (value_iteration, policy_iteration):
        v, p = run(mdp.P, mdp.R, 0.9, v0=v_star, max_iter=1)
        np.testing.assert_array_equal(v, v_star)
        np.testing.assert_array_equal(p, policy)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: value_iteration(m.P * 2, m.R, 0.9), "^P must sum to 1"),
        (lambda m: value_iteration(m.P, m.R[:, :2], 0.9), r"^R must be finite with shape"),
        (lambda m: value_iteration(m.P, m.R, 1.0), "^gamma must"),
        (lambda m: value_iteration(m.P, m.R, 0.9, tol=0.0), "^tol must be positive, got 0.0"),
        (lambda m: value_iteration(m.P, m.R, 0.9, tol=np.nan), "^tol must be positive"),
        (lambda m: value_iteration(m.P, m.R, 0.9, max_iter=0), "^max_iter must be a positive"),
        (lambda m: value_iteration(m.P, m.R, 0.9, max_iter=2.5), "^max_iter must be a positive"),
        (lambda m: value_iteration(m.P, m.R, 0.9, v0=np.zeros(5)), r"^v0 must have shape \(6,\)"),
        (lambda m: policy_iteration(m.P, m.R, -0.1), "^gamma must"),
        (lambda m: policy_iteration(m.P, m.R, 0.9, tol=-1.0), "^tol must be positive"),
        (lambda m: policy_iteration(m.P, m.R, 0.9, v0=[np.inf] * 6), "^v0 must be finite"),
        (lambda m: truncated_policy_iteration(m.P, m.R, 0.9, 0), "^j_truncate must be a posit"),
        (lambda m: truncated_policy_iteration(m.P, m.R, 0.9, 1.5), "^j_truncate must be a posi"),
        (lambda m: truncated_policy_iteration(m.P[:, :, :5], m.R, 0.9, 2), "^P must"),
        (lambda m: policy_evaluation([0] * 5, m.P, m.R, 0.9), r"^policy must be an int array of shape \(6,\)"),
        (lambda m: policy_evaluation([0.0] * 6, m.P, m.R, 0.9), "^policy must be an int array"),
        (lambda m: policy_evaluation([0, 1, 2, 0, 1, 3], m.P, m.R, 0.9), r"^policy must hold action indices in 0..2"),
        (lambda m: policy_evaluation([0, 1, 2, 0, 1, -1], m.P, m.R, 0.9), "^policy must hold"),
        (lambda m: policy_evaluation([0] * 6, m.P, m.R, 0.9, j_truncate=0), "^j_truncate must be a positive integer or None"),
        (lambda m: policy_evaluation([0] * 6, m.P, m.R, 0.9, j_truncate=2.5), "^j_truncate must"),
        (lambda m: policy_evaluation([0] * 6, m.P, m.R, 0.9, 2, v=np.zeros(3)), r"^v must have shape \(6,\)"),
        (lambda m: policy_evaluation([0] * 6, m.P, m.R, 1.5), "^gamma must"),
        (lambda m: policy_evaluation([0] * 6, m.P, m.R.T, 0.9), "^R must"),
    ],
)
def test_bad_input_raises_value_error(mdp, call, match):
    with pytest.raises(ValueError, match=match):
        call(mdp)
