"""Checks of rl-basics/policy-gradient: every key equation against something independent.

Independent references used here: torch autograd through the linear solve of the Bellman
equation (float64), central finite differences, truncated power series and power iteration,
long-run averages, Monte-Carlo means with standard-error bounds computed in the test, values
computed by hand, and the optimal value v* of the Bellman optimality equation.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.rl_basics.conftest import random_mdp
from snippets.rl_basics.bellman_optimality import solve_boe
from snippets.rl_basics.policy_gradient import (
    average_reward,
    average_state_value,
    discounted_visitation,
    grad_log_pi,
    gradient_ascent,
    objective,
    policy_gradient,
    reinforce_gradients,
    reinforce_update,
    sample_episodes,
    softmax_policy,
)
from snippets.rl_basics.value_function_approximation import stationary_distribution
from snippets.rl_basics.state_values import policy_matrices, solve_bellman

# the tensors here are tiny: extra intra-op threads only add overhead on a shared machine
torch.set_num_threads(1)

seeds = st.integers(min_value=0, max_value=2**32 - 1)
gammas = st.floats(min_value=0.0, max_value=0.95)


def _theta_d0(seed: int, S: int, A: int):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=1.5, size=(S, A)), rng.dirichlet(np.ones(S))


# --8<-- [start:test_average_value]
@pytest.mark.formula("eq-average-value")
def test_average_value_is_the_mean_return_from_a_random_start(mdp):
    gamma, n, H = 0.8, 20_000, 120
    d0 = np.random.default_rng(1).dirichlet(np.ones(6))
    v = solve_bellman(*policy_matrices(mdp.pi, mdp.P, mdp.R), gamma)
    # brute force: S_0 ~ d0, then G_0 = Σ_t γ^t R_{t+1} of each sampled episode
    rng = np.random.default_rng(2)
    _, _, rewards = sample_episodes(mdp.P, mdp.R, mdp.pi, d0, n, H, rng)
    G0 = rewards @ gamma ** np.arange(H)
    standard_error = G0.std(ddof=1) / np.sqrt(n)
    truncation = gamma**H * np.abs(mdp.R).max() / (1 - gamma)  # < 1e-10
    v_bar = average_state_value(v, d0)
    assert abs(v_bar - G0.mean()) <= 4 * standard_error + truncation
    # tight enough to see d0 swapped for uniform weights
    assert standard_error < 0.01
    assert abs(v.mean() - G0.mean()) > 8 * standard_error
# --8<-- [end:test_average_value]


@pytest.mark.formula("eq-average-value")
def test_average_value_by_hand():
    assert average_state_value([1.0, 3.0, -2.0], [0.5, 0.25, 0.25]) == pytest.approx(0.75)


# --8<-- [start:test_average_reward]
@pytest.mark.formula("eq-average-reward")
def test_average_reward_is_the_long_run_mean_reward(mdp):
    r_pi, P_pi = policy_matrices(mdp.pi, mdp.P, mdp.R)
    r_bar = average_reward(r_pi, stationary_distribution(P_pi))
    # (1/n) Σ_{k<n} E[R_{k+1} | S_0 = s] = (1/n) Σ_k (P_π^k r_π)(s) for every start s;
    # the gap to r̄ is (1/n)‖Σ_k (P_π^k − 1 d_π^T) r_π‖ = O(1/n) since P_π mixes
    # geometrically (|λ₂| ≈ 0.33 for this chain): about 1e-4 at n = 5000; tol 1e-3
    n, x, total = 5000, r_pi.copy(), np.zeros(6)
    for _ in range(n):
        total += x
        x = P_pi @ x
    np.testing.assert_allclose(total / n, r_bar, rtol=0, atol=1e-3)
    assert np.ptp(r_pi) > 0.1  # r_π itself is not constant, so the check is not trivial
# --8<-- [end:test_average_reward]


@pytest.mark.formula("eq-average-reward")
def test_average_reward_by_hand():
    P_pi = np.array([[0.9, 0.1], [0.3, 0.7]])
    # d_π = (3/4, 1/4): 0.75·2 + 0.25·(−2) = 1
    assert average_reward([2.0, -2.0], stationary_distribution(P_pi)) == pytest.approx(1.0)


# --8<-- [start:test_metric_relation]
@pytest.mark.formula("eq-metric-relation")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=30, deadline=None)
def test_average_reward_is_one_minus_gamma_times_average_value(seed, gamma):
    mdp = random_mdp(seed, n_states=5, n_actions=4)
    r_pi, P_pi = policy_matrices(mdp.pi, mdp.P, mdp.R)
    d_pi = stationary_distribution(P_pi)
    v = solve_bellman(r_pi, P_pi, gamma)
    # r̄_π = (1 − γ) v̄_π holds with the weights d_π ...
    assert average_reward(r_pi, d_pi) == pytest.approx(
        (1 - gamma) * average_state_value(v, d_pi), abs=1e-10)
    # ... and not with other weights. Contrast: all weight on the state s+ of largest
    # value. Then (1 − γ) v(s+) − r̄_π = (1 − γ) (v(s+) − d_πᵀ v), at least
    # (1 − γ) min_s d_π(s) (max v − min v): a gap far above rounding unless v is flat
    best = np.eye(5)[np.argmax(v)]
    gap = (1 - gamma) * average_state_value(v, best) - average_reward(r_pi, d_pi)
    bound = (1 - gamma) * d_pi.min() * np.ptp(v)
    assert bound > 1e-6  # v is not flat and d_π has full support on these MDPs
    assert gap >= bound * (1 - 1e-6)
# --8<-- [end:test_metric_relation]


# --8<-- [start:test_visitation]
@pytest.mark.formula("eq-discounted-visitation")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=30, deadline=None)
def test_visitation_is_the_discounted_sum_of_state_distributions(seed, gamma):
    mdp = random_mdp(seed)
    _, P_pi = policy_matrices(mdp.pi, mdp.P, mdp.R)
    d0 = np.random.default_rng(seed).dirichlet(np.ones(6))
    eta = discounted_visitation(d0, P_pi, gamma)
    # η(s) = Σ_t γ^t Pr(S_t = s) with Pr(S_t = ·)^T = d0^T P_π^t, summed term by term;
    # the tail after 800 terms is below 0.95^800 / 0.05 < 1e-16
    explicit, dist = np.zeros(6), d0.copy()
    for t in range(800):
        explicit += gamma**t * dist
        dist = dist @ P_pi
    np.testing.assert_allclose(eta, explicit, rtol=0, atol=1e-10)
    assert eta.sum() == pytest.approx(1 / (1 - gamma), rel=1e-12)
# --8<-- [end:test_visitation]


@pytest.mark.formula("eq-discounted-visitation")
def test_visitation_matches_sampled_discounted_visit_counts(mdp):
    gamma, n, H = 0.7, 4000, 80
    _, P_pi = policy_matrices(mdp.pi, mdp.P, mdp.R)
    d0 = np.eye(6)[2]
    states, _, _ = sample_episodes(mdp.P, mdp.R, mdp.pi, d0, n, H, np.random.default_rng(5))
    # per episode: Σ_t γ^t 1[S_t = s]
    counts = np.stack([(states == s) @ gamma ** np.arange(H) for s in range(6)], axis=1)
    standard_error = counts.std(axis=0, ddof=1) / np.sqrt(n)
    eta = discounted_visitation(d0, P_pi, gamma)
    assert np.all(np.abs(counts.mean(axis=0) - eta) <= 4 * standard_error + gamma**H / (1 - gamma))


# --8<-- [start:test_softmax]
@pytest.mark.formula("eq-softmax-policy")
@given(seed=seeds)
@settings(max_examples=15, deadline=None)
def test_grad_log_pi_equals_autograd_of_log_softmax(seed):
    theta = np.random.default_rng(seed).normal(scale=3.0, size=(4, 3))
    t = torch.tensor(theta, dtype=torch.float64)
    np.testing.assert_allclose(softmax_policy(theta), torch.softmax(t, dim=1).numpy(),
                               rtol=1e-12, atol=1e-15)
    # jacobian[s, a] = d log_softmax(θ)[s, a] / dθ, shape (4, 3, 4, 3), by autograd
    jacobian = torch.autograd.functional.jacobian(
        lambda x: torch.log_softmax(x, dim=1), t, vectorize=True).numpy()
    for s in range(4):
        for a in range(3):
            np.testing.assert_allclose(grad_log_pi(theta, s, a), jacobian[s, a],
                                       rtol=1e-12, atol=1e-12)
# --8<-- [end:test_softmax]


@pytest.mark.formula("eq-softmax-policy")
def test_softmax_by_hand_and_for_huge_preferences():
    # θ = (0, ln 3): π = (1/4, 3/4); ∇ ln π(a=0) = e_0 − π = (3/4, −3/4)
    theta = np.array([[0.0, np.log(3.0)], [1000.0, 0.0]])
    np.testing.assert_allclose(softmax_policy(theta), [[0.25, 0.75], [1.0, 0.0]], atol=1e-15)
    np.testing.assert_allclose(grad_log_pi(theta, 0, 0), [[0.75, -0.75], [0.0, 0.0]], atol=1e-15)
    np.testing.assert_allclose(grad_log_pi(theta, 1, 1), [[0.0, 0.0], [-1.0, 1.0]], atol=1e-15)
    assert np.all(np.isfinite(softmax_policy(theta)))  # no overflow at θ = 1000


def _objective_torch(theta, P, R, d0, gamma):
    """J(θ) = d0^T (I − γ P_π)^{-1} r_π written in torch, differentiable in θ."""
    pi = torch.softmax(theta, dim=1)
    r_pi = (pi * torch.as_tensor(R)).sum(dim=1)
    P_pi = torch.einsum("sa,sat->st", pi, torch.as_tensor(P))
    v = torch.linalg.solve(torch.eye(len(d0), dtype=torch.float64) - gamma * P_pi, r_pi)
    return torch.as_tensor(d0) @ v


# --8<-- [start:test_policy_gradient]
@pytest.mark.formula("eq-policy-gradient")
@given(seed=seeds, gamma=gammas)
@settings(max_examples=15, deadline=None)
def test_theorem_equals_autograd_and_finite_differences(seed, gamma):
    mdp = random_mdp(seed, n_states=5, n_actions=3)
    theta, d0 = _theta_d0(seed, 5, 3)
    grad = policy_gradient(theta, mdp.P, mdp.R, d0, gamma)
    # 1) torch autograd through the linear solve, float64
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    J = _objective_torch(t, mdp.P, mdp.R, d0, gamma)
    (auto,) = torch.autograd.grad(J, t)
    J_numpy = objective(theta, mdp.P, mdp.R, d0, gamma)
    assert J.item() == pytest.approx(J_numpy, abs=1e-12)
    np.testing.assert_allclose(grad, auto.numpy(), rtol=0, atol=1e-10)
    # 2) central differences of J: error O(h²) ≈ 1e-10, rounding ≈ 1e-16 / h ≈ 1e-11
    h, fd = 1e-5, np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[idx] = h
        fd[idx] = (objective(theta + e, mdp.P, mdp.R, d0, gamma)
                   - objective(theta - e, mdp.P, mdp.R, d0, gamma)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=0, atol=1e-8)
# --8<-- [end:test_policy_gradient]


@pytest.mark.formula("eq-policy-gradient")
def test_one_state_bandit_by_hand():
    # one state that loops on itself, rewards (1, 0), θ = 0: π = (1/2, 1/2),
    # v = 0.5 / (1 − γ), q(a) = R(a) + γ v; ∂J/∂θ_b = η π_b (q_b − v) with η = 1/(1 − γ)
    gamma = 0.5
    P, R, d0 = np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), np.array([1.0])
    grad = policy_gradient(np.zeros((1, 2)), P, R, d0, gamma)
    # v = 1, q = (1.5, 0.5), η = 2: 2·0.5·(1.5 − 1) = 0.5 and 2·0.5·(0.5 − 1) = −0.5
    np.testing.assert_allclose(grad, [[0.5, -0.5]], rtol=0, atol=1e-14)
    assert objective(np.zeros((1, 2)), P, R, d0, gamma) == pytest.approx(1.0)


# --8<-- [start:test_reinforce]
@pytest.mark.formula("eq-reinforce")
@pytest.mark.parametrize("use_baseline", [False, True])
def test_reinforce_mean_is_the_exact_gradient(mdp, use_baseline):
    gamma, n, H = 0.8, 4000, 100
    S, A = mdp.R.shape
    theta, d0 = _theta_d0(3, S, A)
    pi = softmax_policy(theta)
    v = solve_bellman(*policy_matrices(pi, mdp.P, mdp.R), gamma)
    episodes = sample_episodes(mdp.P, mdp.R, pi, d0, n, H, np.random.default_rng(11))
    b = v if use_baseline else None
    g = reinforce_gradients(theta, *episodes, gamma, baseline=b)
    exact = policy_gradient(theta, mdp.P, mdp.R, d0, gamma)
    standard_error = g.std(axis=0, ddof=1) / np.sqrt(n)
    # truncating at H: each score entry is in [−1, 1] and |G| ≤ r_max / (1 − γ), so the
    # bias of a coordinate is at most γ^H r_max (H + 1/(1 − γ)) / (1 − γ) (see the page)
    r_max = np.abs(mdp.R).max()
    bias = gamma**H * r_max * (H + 1 / (1 - gamma)) / (1 - gamma)  # ≈ 1e-7
    assert np.all(np.abs(g.mean(axis=0) - exact) <= 4 * standard_error + bias)
    # the bound is tight enough to see a wrong sign
    assert standard_error.max() < 0.1 * np.abs(exact).max()
# --8<-- [end:test_reinforce]


@pytest.mark.formula("eq-reinforce")
def test_the_baseline_lowers_the_variance_and_a_missing_discount_biases(world):
    gamma, n, H = 0.9, 1000, 150
    theta, d0 = np.zeros((25, 5)), np.full(25, 1 / 25)
    pi = softmax_policy(theta)
    v = solve_bellman(*policy_matrices(pi, world.P, world.R), gamma)
    episodes = sample_episodes(world.P, world.R, pi, d0, n, H, np.random.default_rng(0))
    plain = reinforce_gradients(theta, *episodes, gamma)
    based = reinforce_gradients(theta, *episodes, gamma, baseline=v)
    assert based.var(axis=0).sum() < 0.25 * plain.var(axis=0).sum()
    # without the γ^t factor (a common slip) the mean lands far from ∇J: written out here
    exact = policy_gradient(theta, world.P, world.R, d0, gamma)
    no_discount = np.zeros_like(exact)
    G = np.zeros(n)
    for t in range(H - 1, -1, -1):
        G = episodes[2][:, t] + gamma * G
        s, a = episodes[0][:, t], episodes[1][:, t]
        np.add.at(no_discount, s, ((np.eye(5)[a] - pi[s]) * (G - v[s])[:, None]) / n)
    se = based.std(axis=0, ddof=1) / np.sqrt(n)
    assert np.abs(no_discount - exact).max() > 10 * se.max()


@pytest.mark.formula("eq-reinforce")
def test_update_loop_equals_the_vectorised_estimate(mdp):
    theta, d0 = _theta_d0(4, 6, 3)
    states, actions, rewards = sample_episodes(mdp.P, mdp.R, softmax_policy(theta), d0, 3, 12,
                                               np.random.default_rng(4))
    g = reinforce_gradients(theta, states, actions, rewards, 0.7)
    for i in range(3):
        new = reinforce_update(theta, states[i], actions[i], rewards[i], 0.7, alpha=0.3)
        np.testing.assert_allclose(new, theta + 0.3 * g[i], rtol=1e-12, atol=1e-12)


@pytest.mark.formula("eq-reinforce")
def test_reinforce_by_hand():
    # S = 1, A = 2, θ = 0 (π = 1/2 each); episode a = (0, 1), rewards (1, 2), γ = 0.5:
    # G_0 = 1 + 0.5·2 = 2, G_1 = 2; ∇ln π(0) = (1/2, −1/2), ∇ln π(1) = (−1/2, 1/2)
    # ĝ = 1·2·(1/2, −1/2) + 0.5·2·(−1/2, 1/2) = (1/2, −1/2)
    g = reinforce_gradients(np.zeros((1, 2)), [[0, 0]], [[0, 1]], [[1.0, 2.0]], 0.5)
    np.testing.assert_allclose(g, [[[0.5, -0.5]]], rtol=0, atol=1e-15)
    # with baseline b = 1: (G − b) = (1, 1): 1·(1/2, −1/2) + 0.5·(−1/2, 1/2) = (1/4, −1/4)
    g = reinforce_gradients(np.zeros((1, 2)), [[0, 0]], [[0, 1]], [[1.0, 2.0]], 0.5, [1.0])
    np.testing.assert_allclose(g, [[[0.25, -0.25]]], rtol=0, atol=1e-15)
    new = reinforce_update(np.zeros((1, 2)), [0, 0], [0, 1], [1.0, 2.0], 0.5, alpha=2.0)
    np.testing.assert_allclose(new, [[1.0, -1.0]], rtol=0, atol=1e-15)


@pytest.mark.formula("eq-policy-gradient")
def test_gradient_ascent_climbs_to_the_optimal_value(world):
    d0 = np.full(25, 1 / 25)
    J = gradient_ascent(np.zeros((25, 5)), world.P, world.R, d0, 0.9, alpha=10.0, n_iter=60)
    v_star, _ = solve_boe(world.P, world.R, 0.9)
    assert J[0] == pytest.approx(uniform_value := -3.52, abs=5e-3), uniform_value
    assert np.all(np.diff(J) > 0)  # every step goes up
    assert np.all(J <= d0 @ v_star + 1e-9)  # and never above the optimum
    assert d0 @ v_star - J[-1] < 0.1
    np.testing.assert_allclose(
        gradient_ascent(np.zeros((25, 5)), world.P, world.R, d0, 0.9, 1.0, 0), J[:1])


def test_smallest_valid_inputs(mdp):
    # one episode of one step is valid; integer preferences are read as floats
    states, actions, rewards = sample_episodes(mdp.P, mdp.R, mdp.pi, np.eye(6)[3], 1, 1,
                                               np.random.default_rng(0))
    assert states.tolist() == [[3]] and rewards[0, 0] == mdp.R[3, actions[0, 0]]
    np.testing.assert_allclose(grad_log_pi(np.zeros((1, 2), dtype=int), 0, 0), [[0.5, -0.5]])
    np.testing.assert_allclose(softmax_policy(np.array([[0, 0]])), [[0.5, 0.5]])


def test_sampled_states_and_actions_follow_the_distributions(mdp):
    d0 = np.array([0.5, 0.5, 0, 0, 0, 0])
    states, actions, rewards = sample_episodes(mdp.P, mdp.R, mdp.pi, d0, 6000, 2,
                                               np.random.default_rng(8))
    n = 6000
    freq = np.bincount(states[:, 0], minlength=6) / n
    assert np.all(np.abs(freq - d0) <= 4 * np.sqrt(0.25 / n))
    first = states[:, 0] == 0
    freq_a = np.bincount(actions[first, 0], minlength=3) / first.sum()
    assert np.all(np.abs(freq_a - mdp.pi[0]) <= 4 * np.sqrt(0.25 / first.sum()))
    # S_1 ~ p(·|S_0, A_0) for S_0 = 0, A_0 = 0
    both = first & (actions[:, 0] == 0)
    freq_s = np.bincount(states[both, 1], minlength=6) / both.sum()
    assert np.all(np.abs(freq_s - mdp.P[0, 0]) <= 4 * np.sqrt(0.25 / both.sum()))
    np.testing.assert_array_equal(rewards, mdp.R[states, actions])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: softmax_policy(np.zeros(3)), r"theta must be a finite array of shape \(S, A\)"),
        (lambda m: softmax_policy(np.full((2, 2), np.nan)), "theta must be a finite"),
        (lambda m: softmax_policy(np.zeros((0, 2))), "theta must"),
        (lambda m: grad_log_pi(np.zeros((2, 3)), 2, 0), r"\(s, a\) must index theta of shape \(2, 3\), got \(2, 0\)"),
        (lambda m: grad_log_pi(np.zeros((2, 3)), -1, 0), r"\(s, a\) must index"),
        (lambda m: grad_log_pi(np.zeros((2, 3)), 0, 3), r"got \(0, 3\)"),
        (lambda m: grad_log_pi(np.zeros((2, 3)), 0, -1), r"\(s, a\) must index"),
        (lambda m: average_state_value(np.zeros((2, 2)), [1.0]), "v must have shape"),
        (lambda m: average_state_value([1.0, 2.0], [1.0]), r"d must have shape \(2,\), got \(1,\)"),
        (lambda m: average_state_value([1.0, 2.0], [0.7, 0.7]), "^d must sum to 1"),
        (lambda m: average_state_value([1.0, 2.0], [[0.5, 0.5]]), "^d must have 1 axes"),
        (lambda m: average_reward(np.zeros(3), np.full(2, 0.5)), r"d_pi must have shape \(3,\)"),
        (lambda m: average_reward(np.zeros((3, 1)), np.full(3, 1 / 3)), "r_pi must have shape"),
        (lambda m: discounted_visitation(np.full(3, 1 / 3), np.eye(3)[:2], 0.5), "P_pi must be square"),
        (lambda m: discounted_visitation(np.full(3, 1 / 3), np.eye(3) * 2, 0.5), "^P_pi must sum"),
        (lambda m: discounted_visitation(np.full(2, 0.5), np.eye(3), 0.5), r"d0 must have shape \(3,\)"),
        (lambda m: discounted_visitation(np.full(3, 1 / 3), np.eye(3), 1.0), "gamma must"),
        (lambda m: objective(np.zeros((6, 2)), m.P, m.R, np.full(6, 1 / 6), 0.5), r"theta must have shape \(S, A\) = \(6, 3\)"),
        (lambda m: objective(np.zeros((6, 3)), m.P * 2, m.R, np.full(6, 1 / 6), 0.5), "^P must sum"),
        (lambda m: objective(np.zeros((6, 3)), m.P, m.R, np.full(5, 0.2), 0.5), r"d0 must have shape \(6,\)"),
        (lambda m: objective(np.zeros((6, 3)), m.P, m.R, np.full(6, 1 / 6), -0.1), "gamma must"),
        (lambda m: policy_gradient(np.zeros((5, 3)), m.P, m.R, np.full(6, 1 / 6), 0.5), "theta must have shape"),
        (lambda m: policy_gradient(np.zeros((6, 3)), m.P, m.R[:, :2], np.full(6, 1 / 6), 0.5), "R must be finite"),
        (lambda m: policy_gradient(np.zeros((6, 3)), m.P, m.R, np.full(6, 0.5), 0.5), "^d0 must sum to 1"),
        (lambda m: policy_gradient(np.zeros((6, 3)), m.P, m.R, np.full(6, 1 / 6), 1.0), "gamma must"),
        (lambda m: sample_episodes(m.P, m.R, np.full((6, 2), 0.5), np.full(6, 1 / 6), 1, 1, np.random.default_rng()), r"pi must have shape \(S, A\) = \(6, 3\)"),
        (lambda m: sample_episodes(m.P, m.R, m.pi * 2, np.full(6, 1 / 6), 1, 1, np.random.default_rng()), "^pi must sum to 1"),
        (lambda m: sample_episodes(m.P, m.R, m.pi, np.full(5, 0.2), 1, 1, np.random.default_rng()), "d0 must have shape"),
        (lambda m: sample_episodes(m.P, m.R, m.pi, np.full(6, 1 / 6), 0, 1, np.random.default_rng()), "n_episodes and horizon must be positive, got 0, 1"),
        (lambda m: sample_episodes(m.P, m.R, m.pi, np.full(6, 1 / 6), 1, 0, np.random.default_rng()), "n_episodes and horizon must be positive, got 1, 0"),
        (lambda m: sample_episodes(m.P[:, :2], m.R, m.pi, np.full(6, 1 / 6), 1, 1, np.random.default_rng()), "R must be finite"),
        (lambda m: reinforce_gradients(np.zeros((2, 2)), [[0]], [[0, 1]], [[1.0]], 0.5), r"^states, actions and rewards must have the same shape \(n_episodes, T\), got"),
        (lambda m: reinforce_gradients(np.zeros((2, 2)), [[0]], [[0]], [[1.0, 2.0]], 0.5), "same shape"),
        (lambda m: reinforce_gradients(np.zeros((2, 2)), [0], [0], [1.0], 0.5), "same shape"),
        (lambda m: reinforce_gradients(np.zeros((2, 2)), [[2]], [[0]], [[1.0]], 0.5), r"states must be in 0..1"),
        (lambda m: reinforce_gradients(np.zeros((2, 2)), [[-1]], [[0]], [[1.0]], 0.5), "states must be in"),
        (lambda m: reinforce_gradients(np.zeros((2, 2)), [[0]], [[2]], [[1.0]], 0.5), r"actions must be in 0..1"),
        (lambda m: reinforce_gradients(np.zeros((2, 2)), [[0]], [[-1]], [[1.0]], 0.5), "actions must be in"),
        (lambda m: reinforce_gradients(np.zeros((2, 2)), [[0]], [[0]], [[np.inf]], 0.5), "^rewards must be finite$"),
        (lambda m: reinforce_gradients(np.zeros((2, 2)), [[0]], [[0]], [[1.0]], 1.5), "gamma must"),
        (lambda m: reinforce_gradients(np.zeros((2, 2)), [[0]], [[0]], [[1.0]], 0.5, [0.0]), r"baseline must have shape \(2,\)"),
        (lambda m: reinforce_gradients(np.zeros(2), [[0]], [[0]], [[1.0]], 0.5), "theta must"),
        (lambda m: reinforce_update(np.zeros((2, 2)), [0], [0], [1.0], 0.5, 0.0), "alpha must be a positive step size, got 0.0"),
        (lambda m: reinforce_update(np.zeros((2, 2)), [0], [0], [1.0], 0.5, np.inf), "alpha must be a positive"),
        (lambda m: reinforce_update(np.zeros((2, 2)), [0], [3], [1.0], 0.5, 0.1), "actions must be in"),
        (lambda m: reinforce_update(np.zeros((2, 2)), [0], [0], [1.0], -0.5, 0.1), "gamma must"),
        (lambda m: gradient_ascent(np.zeros((6, 3)), m.P, m.R, np.full(6, 1 / 6), 0.5, -1.0, 3), "alpha must be a positive step size, got -1.0"),
        (lambda m: gradient_ascent(np.zeros((6, 3)), m.P, m.R, np.full(6, 1 / 6), 0.5, np.nan, 3), "alpha must be"),
        (lambda m: gradient_ascent(np.zeros((6, 3)), m.P, m.R, np.full(6, 1 / 6), 0.5, 0.0, 3), "alpha must be a positive step size, got 0.0"),
        (lambda m: gradient_ascent(np.zeros((6, 3)), m.P, m.R, np.full(6, 1 / 6), 0.5, 1.0, -1), "n_iter must be non-negative, got -1"),
        (lambda m: gradient_ascent(np.zeros((6, 2)), m.P, m.R, np.full(6, 1 / 6), 0.5, 1.0, 1), "theta must have shape"),
    ],
)
def test_bad_input_raises_value_error(mdp, call, match):
    with pytest.raises(ValueError, match=match):
        call(mdp)
