"""Checks of rl-basics/temporal-difference: each key equation against something independent.

Independent references: the Bellman equation solved in closed form (v_pi, q_pi), the
Bellman optimality equation solved by value iteration (q*), the random walk's values k/6
in closed form, exact expectations written out as explicit sums over the model, the
Monte-Carlo return of state_values.discounted_returns, running averages and exponentially
weighted sums written out term by term, and hand-replayed updates on deterministic chains.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.rl_basics.conftest import random_mdp
from snippets.rl_basics.bellman_optimality import solve_boe
from snippets.rl_basics.state_values import (
    action_values,
    discounted_returns,
    policy_matrices,
    solve_bellman,
)
from snippets.rl_basics.temporal_difference import (
    action_value_update,
    epsilon_greedy,
    expected_sarsa_target,
    n_step_returns,
    q_learning_episodes,
    q_learning_target,
    random_walk,
    robbins_monro_mean,
    sarsa_episodes,
    sarsa_target,
    td0_episodes,
    td0_update,
    td_error,
    td_error_expectation,
    td_target,
)

seeds = st.integers(min_value=0, max_value=2**32 - 1)
gammas = st.floats(min_value=0.0, max_value=0.97)


def decaying(k: int) -> float:
    """alpha_k = 10 / (k + 10): sum = infinity, sum of squares < infinity."""
    return 10 / (k + 10)


def chain(rewards) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic chain 0 -> 1 -> ... -> T (terminal), one action, R[t] = rewards[t]."""
    T = len(rewards)
    P = np.zeros((T + 1, 1, T + 1))
    P[np.arange(T), 0, np.arange(1, T + 1)] = 1.0
    P[T, 0, T] = 1.0
    R = np.append(np.asarray(rewards, dtype=float), 0.0)[:, None]
    terminal = np.zeros(T + 1, dtype=bool)
    terminal[T] = True
    return P, R, terminal


# --8<-- [start:test_td_error]
@pytest.mark.formula("eq-td-error")
def test_td_target_and_error_by_hand():
    v = np.array([2.0, 5.0, -1.0])
    # target r + γ v(s') = 1 + 0.9·5 = 5.5; δ = 5.5 − v(0) = 3.5
    assert td_target(1.0, 5.0, 0.9) == pytest.approx(5.5, abs=1e-15)
    assert td_error(v, 0, 1.0, 1, 0.9) == pytest.approx(3.5, abs=1e-15)
    # a terminal s' contributes nothing: δ = r − v(s) = 1 − (−1) = 2
    assert td_error(v, 2, 1.0, 1, 0.9, terminal=True) == pytest.approx(2.0, abs=1e-15)
    assert td_error(v, 1, 0.0, 2, 1.0) == pytest.approx(-6.0, abs=1e-15)
# --8<-- [end:test_td_error]


@pytest.mark.formula("eq-td-mean-zero")
def test_td_error_expectation_by_hand(world):
    # uniform policy in the top-left cell: up and left bounce (−1 each), the other three
    # actions earn 0, so E[δ] = r_π(0) + γ Σ p v − v(0) = −2/5 at v = 0, −2/5 + γ − 1 at v = 1
    pi = np.full((25, 5), 0.2)
    mean0 = td_error_expectation(np.zeros(25), world.P, world.R, pi, 0.9)
    mean1 = td_error_expectation(np.ones(25), world.P, world.R, pi, 0.9)
    assert mean0[0] == pytest.approx(-0.4, abs=1e-12)
    assert mean1[0] == pytest.approx(-0.5, abs=1e-12)


# --8<-- [start:test_td_mean_zero]
@pytest.mark.formula("eq-td-mean-zero")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=20, deadline=None)
def test_td_error_has_mean_zero_exactly_at_v_pi(seed, gamma):
    mdp = random_mdp(seed, n_states=4, n_actions=3)
    v_pi = solve_bellman(*policy_matrices(mdp.pi, mdp.P, mdp.R), gamma)

    def exact_mean(v):
        # E[δ_t | S_t = s] = Σ_a π(a|s) Σ_r p(r|s,a) Σ_s' p(s'|s,a) δ(s, r, s')
        return np.array([sum(mdp.pi[s, a] * mdp.p_r[s, a, k] * mdp.P[s, a, s2]
                             * td_error(v, s, mdp.reward_values[k], s2, gamma)
                             for a in range(3) for k in range(3) for s2 in range(4))
                         for s in range(4)])

    np.testing.assert_allclose(exact_mean(v_pi), 0.0, atol=1e-10)
    at_v_pi = td_error_expectation(v_pi, mdp.P, mdp.R, mdp.pi, gamma)
    np.testing.assert_allclose(at_v_pi, 0.0, atol=1e-10)
    v = v_pi + np.random.default_rng(seed).normal(size=4)  # any other v: a biased δ
    mean = exact_mean(v)
    at_v = td_error_expectation(v, mdp.P, mdp.R, mdp.pi, gamma)
    np.testing.assert_allclose(at_v, mean, rtol=1e-10, atol=1e-10)
    assert np.abs(mean).max() > 1e-3
# --8<-- [end:test_td_mean_zero]


# --8<-- [start:test_td0]
@pytest.mark.formula("eq-td0")
def test_td0_learns_the_random_walk_values():
    # Sutton & Barto's 5-state random walk: with γ = 1, v_π(k) = k/6 (the probability
    # of leaving on the right). 4,000 episodes from the centre, α_k = 10/(k + 10).
    P, R, terminal = random_walk()
    v, history = td0_episodes(P, R, np.ones((7, 1)), 1.0, decaying, 4000, 1000,
                              np.random.default_rng(0), start=3, terminal=terminal)
    true = np.arange(1, 6) / 6
    errors = np.abs(history[:, 1:-1] - true).max(axis=1)
    assert errors[-1] < 0.03  # measured 0.013
    assert errors[-1] < errors[100] / 3  # still shrinking (0.126 after 100 episodes)
    assert v[0] == v[6] == 0.0  # terminal states keep the value 0
    np.testing.assert_array_equal(v, history[-1])
# --8<-- [end:test_td0]


@pytest.mark.formula("eq-td0")
def test_td0_update_by_hand():
    v = np.array([1.0, 3.0, 0.0])
    # v(0) − α [v(0) − (r + γ v(1))] = 1 − 0.5 (1 − (2 + 0.5·3)) = 2.25
    new = td0_update(v, 0, 2.0, 1, 0.5, 0.5)
    np.testing.assert_array_equal(new, [2.25, 3.0, 0.0])
    np.testing.assert_array_equal(v, [1.0, 3.0, 0.0])  # the input is not modified
    # terminal next state: 1 − 0.25 (1 − 2) = 1.25
    assert td0_update(v, 0, 2.0, 1, 0.25, 0.5, terminal=True)[0] == 1.25


@pytest.mark.formula("eq-td0")
def test_td0_episodes_replays_the_single_updates_on_a_chain():
    # two episodes on a deterministic chain: the run must equal td0_update applied in
    # order, with α_k for the k-th visit of each state (recorded to check the counts)
    rewards = [1.0, -2.0, 0.5, 3.0]
    P, R, terminal = chain(rewards)
    v0 = np.array([0.3, -0.7, 1.1, 2.0, 0.0])
    seen = []

    def alpha(k):
        assert isinstance(k, (int, np.integer))  # a visit count
        seen.append(k)
        return 1 / (k + 1)

    v, history = td0_episodes(P, R, np.ones((5, 1)), 0.8, alpha, 2, 10,
                              np.random.default_rng(0), start=0, terminal=terminal,
                              v0=v0)
    expected = v0.copy()
    for k in (1, 2):  # the k-th pass visits every state for the k-th time
        for t in range(4):
            expected = td0_update(expected, t, rewards[t], t + 1, 1 / (k + 1), 0.8,
                                  terminal=t == 3)
        np.testing.assert_allclose(history[k], expected, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(history[0], v0)
    assert seen == [1, 1, 1, 1, 2, 2, 2, 2]
    # a fixed horizon cuts the episode: 2 steps, only states 0 and 1 are updated
    _, h = td0_episodes(P, R, np.ones((5, 1)), 0.8, 0.5, 1, 2, np.random.default_rng(0),
                        start=0, terminal=terminal, v0=v0)
    np.testing.assert_array_equal(h[1, 2:], v0[2:])
    assert h[1, 1] == pytest.approx(-0.7 - 0.5 * (-0.7 - (-2.0 + 0.8 * 1.1)), abs=1e-14)


@pytest.mark.formula("eq-td0")
def test_td0_on_a_random_mdp_with_random_starts():
    mdp = random_mdp(5, n_states=4, n_actions=2)
    v_pi = solve_bellman(*policy_matrices(mdp.pi, mdp.P, mdp.R), 0.5)
    v, _ = td0_episodes(mdp.P, mdp.R, mdp.pi, 0.5, decaying, 100, 100,
                        np.random.default_rng(5))
    assert np.abs(v - v_pi).max() < 0.05  # measured 0.01; 10,000 steps


# --8<-- [start:test_robbins_monro]
@pytest.mark.formula("eq-robbins-monro")
def test_robbins_monro_step_sizes():
    x = np.random.default_rng(0).normal(loc=2.0, size=(400, 3000))  # 3,000 chains
    # α_k = 1/k (Σα = ∞, Σα² < ∞): w_{k+1} is exactly the mean of x_1..x_k
    running_mean = np.cumsum(x, axis=0) / np.arange(1, 401)[:, None]
    np.testing.assert_allclose(robbins_monro_mean(x, lambda k: 1 / k), running_mean,
                               rtol=1e-12, atol=1e-12)
    # constant α: w_{K+1} = Σ_k α (1 − α)^{K−k} x_k, an exponentially weighted sum
    alpha, K = 0.1, 400
    w = robbins_monro_mean(x, alpha)
    weights = alpha * (1 - alpha) ** np.arange(K - 1, -1, -1)
    np.testing.assert_allclose(w[-1], weights @ x, rtol=1e-10, atol=1e-10)
    # ... whose variance never vanishes: α σ² / (2 − α) (+ (1 − α)^{2K} σ²/…, < 1e-36)
    floor = alpha / (2 - alpha)
    var = w[-1].var(ddof=1)
    se = floor * np.sqrt(2 / (x.shape[1] - 1))  # standard error of a Gaussian variance
    assert abs(var - floor) <= 4 * se
    assert running_mean[-1].var() < floor / 10  # while 1/k keeps shrinking: σ²/K
# --8<-- [end:test_robbins_monro]


# --8<-- [start:test_sarsa]
@pytest.mark.formula("eq-sarsa")
def test_sarsa_estimates_q_pi_of_a_fixed_policy():
    mdp = random_mdp(0, n_states=4, n_actions=2)
    q_pi = action_values(solve_bellman(*policy_matrices(mdp.pi, mdp.P, mdp.R), 0.5),
                         mdp.P, mdp.R, 0.5)
    q, _ = sarsa_episodes(mdp.P, mdp.R, 0.5, decaying, 20, 1000,
                          np.random.default_rng(0), pi=mdp.pi)
    assert np.abs(q - q_pi).max() < 0.03  # measured 0.0025; 20,000 steps
# --8<-- [end:test_sarsa]


@pytest.mark.formula("eq-sarsa")
def test_sarsa_target_and_update_by_hand():
    q = np.array([[1.0, 2.0], [4.0, -1.0]])
    assert sarsa_target(0.5, q, 1, 0, 0.9) == pytest.approx(0.5 + 0.9 * 4.0, abs=1e-15)
    assert sarsa_target(0.5, q, 1, 1, 0.9, terminal=True) == 0.5
    new = action_value_update(q, 0, 1, 10.0, 0.25)  # 2 − 0.25 (2 − 10) = 4
    np.testing.assert_array_equal(new, [[1.0, 4.0], [4.0, -1.0]])
    assert q[0, 1] == 2.0


@pytest.mark.formula("eq-sarsa")
def test_sarsa_control_finds_the_optimal_greedy_policy():
    # Sarsa with ε-greedy behaviour learns q of the ε-greedy policy; its greedy policy is
    # optimal on this MDP (q* gaps between actions are large compared with the error)
    mdp = random_mdp(0, n_states=4, n_actions=2)
    v_star, policy = solve_boe(mdp.P, mdp.R, 0.5)
    q, _ = sarsa_episodes(mdp.P, mdp.R, 0.5, decaying, 10, 1000,
                          np.random.default_rng(1))  # the default ε = 0.1
    np.testing.assert_array_equal(np.argmax(q, axis=1), policy)
    # q tends to q of the ε-greedy policy with respect to itself, which is below q*
    pi_eps = epsilon_greedy(q, 0.1)
    v_eps = solve_bellman(*policy_matrices(pi_eps, mdp.P, mdp.R), 0.5)
    q_eps = action_values(v_eps, mdp.P, mdp.R, 0.5)
    assert np.abs(q - q_eps).max() < 0.05


# --8<-- [start:test_expected_sarsa]
@pytest.mark.formula("eq-expected-sarsa")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=20, deadline=None)
def test_expected_sarsa_target_is_the_mean_of_the_sarsa_target(seed, gamma):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(4, 3))
    pi = rng.dirichlet(np.ones(3), size=4)
    s2, r = int(rng.integers(4)), float(rng.normal())
    # E[r + γ q(s', A')] over A' ~ π(·|s'), one Sarsa target per action
    mean = sum(pi[s2, a] * sarsa_target(r, q, s2, a, gamma) for a in range(3))
    assert expected_sarsa_target(r, q, s2, pi, gamma) == pytest.approx(mean, abs=1e-12)
    assert expected_sarsa_target(r, q, s2, pi, gamma, terminal=True) == r
# --8<-- [end:test_expected_sarsa]


@pytest.mark.formula("eq-expected-sarsa")
def test_expected_sarsa_estimates_q_pi():
    mdp = random_mdp(0, n_states=4, n_actions=2)
    q_pi = action_values(solve_bellman(*policy_matrices(mdp.pi, mdp.P, mdp.R), 0.5),
                         mdp.P, mdp.R, 0.5)
    q, _ = sarsa_episodes(mdp.P, mdp.R, 0.5, decaying, 20, 1000,
                          np.random.default_rng(0), pi=mdp.pi, expected=True)
    assert np.abs(q - q_pi).max() < 0.03  # measured 0.0017


# --8<-- [start:test_n_step]
@pytest.mark.formula("eq-n-step-sarsa")
@given(seed=seeds, gamma=gammas, T=st.integers(1, 12), n=st.integers(1, 15))
@settings(max_examples=30, deadline=None)
def test_n_step_return_interpolates_between_sarsa_and_monte_carlo(seed, gamma, T, n):
    rng = np.random.default_rng(seed)
    rewards, values = rng.normal(size=T), rng.normal(size=T + 1)
    G = n_step_returns(rewards, values, n, gamma)
    # explicit sum: Σ_{k<m} γ^k R_{t+k+1} + γ^m values[t+m], m = min(n, T − t)
    for t in range(T):
        m = min(n, T - t)
        explicit = sum(gamma**k * rewards[t + k] for k in range(m))
        explicit += gamma**m * values[t + m]
        assert G[t] == pytest.approx(explicit, rel=1e-12, abs=1e-12)
    # n = 1: the Sarsa targets r_{t+1} + γ q(s_{t+1}, a_{t+1})
    np.testing.assert_allclose(n_step_returns(rewards, values, 1, gamma),
                               rewards + gamma * values[1:], rtol=1e-12, atol=1e-12)
    # n ≥ T and an episode that ends (values[T] = 0): the Monte-Carlo returns
    values[T] = 0.0
    mc = discounted_returns(rewards, gamma)
    np.testing.assert_allclose(n_step_returns(rewards, values, T + n - 1, gamma), mc,
                               rtol=1e-12, atol=1e-12)
# --8<-- [end:test_n_step]


@pytest.mark.formula("eq-n-step-sarsa")
@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("expected", [False, True])
def test_n_step_sarsa_replays_one_episode_on_a_chain(n, expected):
    # on a chain without repeated states each pair is updated once with the n-step
    # return bootstrapped from the initial q (later pairs are updated after earlier ones)
    rewards = [1.0, -2.0, 0.5, 3.0]
    P, R, terminal = chain(rewards)
    q0 = np.array([[0.3], [-0.7], [1.1], [2.0], [5.0]])  # the terminal entry is reset
    one = np.ones((5, 1))
    seen = []

    def alpha(k):
        assert isinstance(k, (int, np.integer))  # a visit count
        seen.append(k)
        return 0.5

    q, history = sarsa_episodes(P, R, 0.8, alpha, 1, 10, np.random.default_rng(0), pi=one,
                                n=n, expected=expected, start=0, terminal=terminal, q0=q0)
    q0[4] = 0.0
    G = n_step_returns(rewards, q0[:, 0], n, 0.8)
    np.testing.assert_allclose(q[:4, 0], q0[:4, 0] - 0.5 * (q0[:4, 0] - G), atol=1e-14)
    assert q[4, 0] == 0.0 and seen == [1, 1, 1, 1]
    np.testing.assert_array_equal(history, [q0, q])
    # cut by a horizon of 3 steps: pair 0 bootstraps from q(S_3, A_3) = 2 (if n >= 3)
    q, _ = sarsa_episodes(P, R, 0.8, 1.0, 1, 3, np.random.default_rng(0), pi=one, n=n,
                          start=0, terminal=terminal, q0=q0)
    G0 = n_step_returns(rewards[:3], [0.3, -0.7, 1.1, 2.0], n, 0.8)[0]
    assert q[0, 0] == pytest.approx(G0, abs=1e-14)


@pytest.mark.formula("eq-expected-sarsa")
@pytest.mark.parametrize("expected", [False, True])
def test_expected_sarsa_bootstraps_with_the_policy_average(expected):
    # 0 -> 1 -> 2 (terminal) whatever the action; two actions with different q0 in state 1.
    # Sarsa bootstraps with q0(1, A_1) for the sampled A_1, Expected Sarsa with the mean.
    P = np.zeros((3, 2, 3))
    P[0, :, 1] = P[1, :, 2] = P[2, :, 2] = 1.0
    R = np.array([[1.0, 2.0], [0.5, -0.5], [0.0, 0.0]])
    q0 = np.array([[0.0, 0.0], [4.0, -2.0], [0.0, 0.0]])
    pi = np.full((3, 2), 0.5)
    terminal = np.array([False, False, True])
    for seed in range(4):
        kwargs = dict(expected=True) if expected else {}  # Sarsa with the defaults
        q, _ = sarsa_episodes(P, R, 0.9, 1.0, 1, 5, np.random.default_rng(seed), pi=pi,
                              start=0, terminal=terminal, q0=q0, **kwargs)
        a0 = int(np.flatnonzero(q[0] != q0[0])[0])
        a1 = int(np.flatnonzero(q[1] != q0[1])[0])
        assert q[1, a1] == R[1, a1]  # α = 1: the target r, the episode ends
        boot = q0[1].mean() if expected else q0[1, a1]
        assert q[0, a0] == pytest.approx(R[0, a0] + 0.9 * boot, abs=1e-14)


@pytest.mark.formula("eq-n-step-sarsa")
def test_n_step_sarsa_estimates_q_pi():
    mdp = random_mdp(0, n_states=4, n_actions=2)
    q_pi = action_values(solve_bellman(*policy_matrices(mdp.pi, mdp.P, mdp.R), 0.5),
                         mdp.P, mdp.R, 0.5)
    q, _ = sarsa_episodes(mdp.P, mdp.R, 0.5, decaying, 20, 1000,
                          np.random.default_rng(0), pi=mdp.pi, n=3)
    assert np.abs(q - q_pi).max() < 0.03  # measured 0.0022


# --8<-- [start:test_q_learning]
@pytest.mark.formula("eq-q-learning")
def test_q_learning_reaches_q_star():
    # q* from value iteration on the model; Q-learning sees only samples of a uniform
    # behaviour policy: 20 episodes of 1,000 steps, α_k = 10/(k + 10) per pair
    mdp = random_mdp(0, n_states=4, n_actions=2)
    v_star, policy = solve_boe(mdp.P, mdp.R, 0.5)
    q_star = action_values(v_star, mdp.P, mdp.R, 0.5)
    q, history = q_learning_episodes(mdp.P, mdp.R, 0.5, decaying, 20, 1000,
                                     np.random.default_rng(0))
    assert np.abs(q - q_star).max() < 0.02  # measured 0.0027
    np.testing.assert_array_equal(np.argmax(q, axis=1), policy)
    assert history.shape == (21, 4, 2)
# --8<-- [end:test_q_learning]


@pytest.mark.formula("eq-q-learning")
def test_q_learning_target_and_replay_by_hand():
    q = np.array([[1.0, 2.0], [4.0, -1.0]])
    assert q_learning_target(0.5, q, 0, 0.9) == pytest.approx(2.3, abs=1e-15)
    assert q_learning_target(0.5, q, 1, 0.9, terminal=True) == 0.5
    # two-state MDP, action 0 stays, action 1 moves; behaviour always takes action 1
    P = np.zeros((2, 2, 2))
    P[[0, 1], 0, [0, 1]] = 1.0
    P[[0, 1], 1, [1, 0]] = 1.0
    R = np.array([[0.0, 1.0], [0.0, -1.0]])
    b = np.array([[0.0, 1.0], [0.0, 1.0]])
    seen = []

    def alpha(k):
        assert isinstance(k, (int, np.integer))  # a visit count
        seen.append(k)
        return 0.5

    learned, _ = q_learning_episodes(P, R, 0.5, alpha, 1, 3, np.random.default_rng(0),
                                     behaviour=b, start=0, q0=q)
    expected = q
    for s, s2 in ((0, 1), (1, 0), (0, 1)):
        target = R[s, 1] + 0.5 * expected[s2].max()
        expected = action_value_update(expected, s, 1, target, 0.5)
    np.testing.assert_allclose(learned, expected, rtol=0, atol=1e-14)
    assert seen == [1, 1, 2]


@pytest.mark.formula("eq-q-learning")
def test_q_learning_on_the_random_walk_with_terminal_states():
    P, R, terminal = random_walk()
    q, _ = q_learning_episodes(P, R, 1.0, decaying, 2000, 1000,
                               np.random.default_rng(1), terminal=terminal)
    # one action: q = v_π = k/6; terminal pairs stay at 0
    assert np.abs(q[1:-1, 0] - np.arange(1, 6) / 6).max() < 0.04  # measured 0.012
    assert q[0, 0] == q[6, 0] == 0.0


def test_small_inputs_at_the_boundaries():
    # integer input is converted to float (no truncation)
    np.testing.assert_array_equal(action_value_update([[1, 2]], 0, 1, 3, 0.25), [[1, 2.25]])
    np.testing.assert_array_equal(robbins_monro_mean([1, 2], 0.5), [0.5, 1.25])
    np.testing.assert_array_equal(robbins_monro_mean([5.0], 1.0), [5.0])
    np.testing.assert_allclose(epsilon_greedy(np.zeros((1, 4)), 1.0), 0.25)
    P, R, terminal = random_walk(1)
    np.testing.assert_array_equal(R[:, 0], [0.0, 0.5, 0.0])
    v, h = td0_episodes(P, R, np.ones((3, 1)), 1.0, 1.0, 1, 1, np.random.default_rng(0),
                        terminal=terminal)
    np.testing.assert_array_equal(v, [0.0, 0.5, 0.0])  # one step from the middle


def test_epsilon_greedy_by_hand():
    q = np.array([[1.0, 3.0, 3.0], [0.0, -1.0, -2.0]])
    pi = epsilon_greedy(q, 0.3)
    np.testing.assert_allclose(pi, [[0.1, 0.8, 0.1], [0.8, 0.1, 0.1]], atol=1e-15)
    np.testing.assert_array_equal(epsilon_greedy(q, 0.0), [[0, 1, 0], [1, 0, 0]])


def test_random_walk_model():
    P, R, terminal = random_walk(3)
    v = solve_bellman(R[:, 0], P[:, 0], 0.999999999)  # γ → 1: v(k) → k/4
    np.testing.assert_allclose(v[1:-1], [0.25, 0.5, 0.75], atol=1e-6)
    assert terminal.tolist() == [True, False, False, False, True]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: td_target(1.0, 0.0, 1.5), r"gamma must be a number in \[0, 1\]"),
        (lambda m: td_target(1.0, 0.0, -0.1), "gamma must"),
        (lambda m: td_target(1.0, 0.0, 0.5j), "gamma must"),
        (lambda m: td0_update(np.zeros((2, 2)), 0, 1.0, 1, 0.5, 0.9), "^v must have shape"),
        (lambda m: action_value_update(np.zeros((2, 3)), 2, 0, 1.0, 0.5), "^state must"),
        (lambda m: q_learning_target(1.0, np.zeros((2, 3)), 2, 0.9), "^next_state must"),
        (lambda m: q_learning_target(1.0, np.zeros(3), 0, 0.9), "^q must be a finite"),
        (lambda m: expected_sarsa_target(1.0, np.zeros(3), 0, m.pi, 0.9), "^q must be a finite"),
        (lambda m: td_error([[1.0]], 0, 1.0, 0, 0.9), "v must have shape"),
        (lambda m: td_error([1.0, 2.0], 2, 1.0, 0, 0.9), r"state must be an integer in 0..1, got 2"),
        (lambda m: td_error([1.0, 2.0], 0.5, 1.0, 0, 0.9), "state must be an integer"),
        (lambda m: td_error([1.0, 2.0], 0, 1.0, -1, 0.9), "next_state must be an integer"),
        (lambda m: td_error_expectation(np.zeros(5), m.P, m.R, m.pi, 0.9), r"v must have shape \(6,\)"),
        (lambda m: td_error_expectation(np.zeros(6), m.P, m.R, m.pi[:, :2], 0.9), "pi must"),
        (lambda m: td_error_expectation(np.zeros(6), m.P * 2, m.R, m.pi, 0.9), "^P must sum to 1"),
        (lambda m: td_error_expectation(np.zeros(6), m.P, m.R, m.pi, 1.0), r"gamma must be a number in \[0, 1\)"),
        (lambda m: td0_update(np.zeros(3), 0, 1.0, 1, 0.0, 0.9), r"alpha must be a number in \(0, 1\], got 0.0"),
        (lambda m: td0_update(np.zeros(3), 0, 1.0, 1, 1.5, 0.9), "alpha must"),
        (lambda m: td0_update(np.zeros(3), 0, 1.0, 1, lambda k: 1 / k, 0.9), "alpha must be a number in"),
        (lambda m: td0_update(np.zeros(3), 3, 1.0, 1, 0.5, 0.9), "state must"),
        (lambda m: robbins_monro_mean([], 0.5), r"samples must be a finite array of shape \(K, ...\)"),
        (lambda m: robbins_monro_mean(3.0, 0.5), "samples must"),
        (lambda m: robbins_monro_mean([1.0, np.nan], 0.5), "samples must"),
        (lambda m: robbins_monro_mean([1.0], "1/k"), "alpha must be a number in .* or a function"),
        (lambda m: action_value_update(np.zeros(3), 0, 0, 1.0, 0.5), "q must be a finite array with 2 axes"),
        (lambda m: action_value_update(np.zeros((2, 2)), 0, 2, 1.0, 0.5), r"action must be an integer in 0..1"),
        (lambda m: action_value_update(np.zeros((2, 2)), 2, 0, 1.0, 0.5), "state must"),
        (lambda m: action_value_update(np.zeros((2, 2)), 0, 0, 1.0, 0.0), "alpha must"),
        (lambda m: sarsa_target(1.0, np.zeros((2, 2)), 2, 0, 0.9), "next_state must"),
        (lambda m: sarsa_target(1.0, np.zeros((2, 2)), 0, 2, 0.9), "next_action must"),
        (lambda m: sarsa_target(1.0, np.full((2, 2), np.inf), 0, 0, 0.9), "q must be a finite"),
        (lambda m: expected_sarsa_target(1.0, np.zeros((6, 3)), 0, m.pi[:, :2], 0.9), "pi must"),
        (lambda m: expected_sarsa_target(1.0, np.zeros((6, 3)), 6, m.pi, 0.9), "next_state must"),
        (lambda m: n_step_returns([[1.0]], [0.0, 0.0], 1, 0.9), "rewards must have shape"),
        (lambda m: n_step_returns([1.0], [0.0], 1, 0.9), r"values must have shape \(2,\)"),
        (lambda m: n_step_returns([1.0], [0.0, 0.0], 0, 0.9), "n must be a positive integer, got 0"),
        (lambda m: n_step_returns([1.0], [0.0, 0.0], 1.5, 0.9), "n must be a positive integer"),
        (lambda m: n_step_returns([1.0], [0.0, 0.0], 1, 2.0), "gamma must"),
        (lambda m: q_learning_target(1.0, np.zeros((2, 2)), 5, 0.9), "next_state must"),
        (lambda m: epsilon_greedy(np.zeros((2, 2)), 1.5), r"epsilon must be a number in \[0, 1\]"),
        (lambda m: epsilon_greedy(np.zeros((2, 2)), -0.1), "epsilon must"),
        (lambda m: epsilon_greedy(np.zeros(2), 0.1), "q must be a finite array"),
        (lambda m: random_walk(0), "n_inner must be a positive integer, got 0"),
        (lambda m: random_walk(2.5), "n_inner must be a positive integer"),
    ],
)
def test_bad_input_raises_value_error(mdp, call, match):
    with pytest.raises(ValueError, match=match):
        call(mdp)


RUNNERS = {
    "td0": lambda m, **kw: td0_episodes(m.P, m.R, m.pi, **{**BASE, **kw}),
    "sarsa": lambda m, **kw: sarsa_episodes(m.P, m.R, **{**BASE, **kw}),
    "q_learning": lambda m, **kw: q_learning_episodes(m.P, m.R, **{**BASE, **kw}),
}
BASE = dict(gamma=0.9, alpha=0.5, n_episodes=1, horizon=2, rng=np.random.default_rng(0))
TERMINAL = np.array([True, False, False, False, False, False])


@pytest.mark.parametrize("runner", sorted(RUNNERS))
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(gamma=1.0), r"gamma must be a number in \[0, 1\)"),  # continuing task
        (dict(gamma=1.5, terminal=TERMINAL), r"gamma must be a number in \[0, 1\]"),
        (dict(alpha=0.0), "alpha must be a number in .* or a function"),
        (dict(n_episodes=0), "n_episodes must be a positive integer, got 0"),
        (dict(n_episodes=2.0), "n_episodes must be a positive integer"),
        (dict(horizon=0), "horizon must be a positive integer, got 0"),
        (dict(horizon=1.5), "horizon must be a positive integer"),
        (dict(start=6), r"start must be an integer in 0..5, got 6"),
        (dict(start=0, terminal=TERMINAL), "start must not be a terminal state, got 0"),
        (dict(terminal=np.ones(6, dtype=bool)), r"terminal must be a boolean mask of shape \(6,\) with at least one non-terminal state$"),
        (dict(terminal=np.zeros(5, dtype=bool)), "terminal must be a boolean mask"),
        (dict(terminal=np.zeros(6)), "terminal must be a boolean mask"),
    ],
)
def test_runners_reject_bad_input(mdp, runner, kwargs, match):
    with pytest.raises(ValueError, match=match):
        RUNNERS[runner](mdp, **kwargs)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: td0_episodes(m.P, m.R, m.pi[:, :2], **BASE), "pi must"),
        (lambda m: td0_episodes(m.P, m.R * np.nan, m.pi, **BASE), "R must be finite"),
        (lambda m: td0_episodes(m.P, m.R, m.pi, **BASE, v0=np.zeros(5)), r"v0 must have shape \(6,\)"),
        (lambda m: sarsa_episodes(m.P, m.R, **BASE, pi=m.pi[:, :2]), "pi must"),
        (lambda m: sarsa_episodes(m.P, m.R, **BASE, n=0), "n must be a positive integer, got 0"),
        (lambda m: sarsa_episodes(m.P, m.R, **BASE, q0=np.zeros((6, 2))), r"q0 must have shape \(S, A\) = \(6, 3\)"),
        (lambda m: sarsa_episodes(m.P, m.R, **BASE, q0=np.zeros(6)), "q0 must be a finite array"),
        (lambda m: q_learning_episodes(m.P, m.R, **BASE, behaviour=m.pi * 2), "^pi must sum to 1"),
        (lambda m: q_learning_episodes(m.P, m.R, **BASE, q0=np.zeros((5, 3))), r"q0 must have shape \(S, A\) = \(6, 3\)"),
        (lambda m: q_learning_episodes(m.P, m.R, **BASE, q0=np.zeros(3)), "q0 must be a finite array"),
    ],
)
def test_runner_arguments_raise_value_error(mdp, call, match):
    with pytest.raises(ValueError, match=match):
        call(mdp)
