"""Checks of rl-basics/actor-critic: every key equation against something independent.

Independent references used here: torch autograd of sum_a pi_theta(a|s) q(s, a) (q held fixed)
and of the exact objectives d^T v (differentiated through the linear solve of the Bellman
equation, so that v's own dependence on theta is included); exact expectations written as sums over a, r and s' of the model;
hand-computed updates; a grid search over baselines; Monte Carlo with standard-error bounds.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from checks.rl_basics.conftest import random_mdp
from snippets.rl_basics.actor_critic import (
    a2c_update,
    advantage,
    continuous_action_model,
    deterministic_policy_gradient,
    dpg_theorem,
    expected_gradient,
    gradient_variance,
    importance_weighted_gradient,
    importance_weights,
    off_pac_gradient,
    off_policy_ac_update,
    off_policy_gradient,
    optimal_baseline,
    pg_sample,
    qac_update,
    run_a2c,
    td_errors,
    uniform_start_objective,
)
from snippets.rl_basics.bellman_optimality import solve_boe
from snippets.rl_basics.policy_gradient import softmax_policy
from snippets.rl_basics.state_values import action_values, policy_matrices, solve_bellman
from snippets.rl_basics.value_function_approximation import stationary_distribution

# one thread: torch's thread pool can hang in the forked workers of the mutation run
torch.set_num_threads(1)
GAMMA = 0.9


def setting(seed: int, gamma: float = 0.8):
    """A random MDP, a random softmax actor theta, and its exact v_pi, q_pi."""
    mdp = random_mdp(seed)
    theta = np.random.default_rng(seed).normal(size=(6, 3))
    v = solve_bellman(*policy_matrices(softmax_policy(theta), mdp.P, mdp.R), gamma)
    return mdp, theta, v, action_values(v, mdp.P, mdp.R, gamma)


def autograd_policy_gradient(theta, q, weights):
    """d/dtheta of sum_s d(s) sum_a pi_theta(a|s) q(s, a) with q held fixed (torch, float64)."""
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    # softmax written out; torch.softmax would enter an OpenMP region, which hangs in the
    # forked processes of the mutation run
    z = torch.exp(t)
    pi = z / z.sum(1, keepdim=True)
    (torch.tensor(weights)[:, None] * pi * torch.tensor(q)).sum().backward()
    return t.grad.numpy()


# --8<-- [start:test_qac]
@pytest.mark.formula("eq-qac")
def test_qac_step_by_hand():
    theta, q = np.zeros((2, 2)), [[1, 2], [3, 4]]  # integers are accepted
    new_theta, new_q = qac_update(theta, q, 0, 1, r=0.5, s_next=1, a_next=0, gamma=0.9,
                                  alpha_theta=0.1, alpha_w=0.5)
    # critic: δ = 0.5 + 0.9·3 − 2 = 1.2, q(0, 1) = 2 + 0.5·1.2 = 2.6
    np.testing.assert_allclose(new_q, [[1.0, 2.6], [3.0, 4.0]], rtol=0, atol=1e-14)
    # actor: π(·|0) = (1/2, 1/2), ∇ln π(1|0) = (−1/2, 1/2) in row 0, times 0.1·2.6
    np.testing.assert_allclose(new_theta, [[-0.13, 0.13], [0, 0]], rtol=0, atol=1e-14)


@pytest.mark.formula("eq-qac")
def test_qac_in_expectation():
    mdp, theta, v, q = setting(1)
    pi = softmax_policy(theta)
    for s in range(6):
        # actor alone (α_w = 0): E_{A~π}[θ' − θ] / α_θ is row s of the exact gradient
        step = sum(pi[s, a] * (qac_update(theta, q, s, a, 0.0, 0, 0, 0.8, 0.1, 0.0)[0]
                               - theta) for a in range(3)) / 0.1
        exact = autograd_policy_gradient(theta, q, np.eye(6)[s])
        np.testing.assert_allclose(step, exact, rtol=0, atol=1e-12)
    for s in (0, 5):
        # critic alone (α_θ = 0, α_w = 1): at q_π the Sarsa increment is 0 on average
        # over r ~ p(r|s,a), s' ~ p(s'|s,a), a' ~ π(·|s')
        for a in range(3):
            for q_used, zero in ((q, True), (q + 0.3 * np.eye(6, 3), False)):
                mean = sum(
                    mdp.p_r[s, a, k] * mdp.P[s, a, s2] * pi[s2, a2]
                    * (qac_update(theta, q_used, s, a, mdp.reward_values[k], s2, a2,
                                  0.8, 0.0, 1.0)[1][s, a] - q_used[s, a])
                    for k in range(3) for s2 in range(6) for a2 in range(3))
                assert (abs(mean) < 1e-12) == zero
# --8<-- [end:test_qac]


# --8<-- [start:test_baseline_invariance]
@pytest.mark.formula("eq-baseline-invariance")
@pytest.mark.parametrize("seed", [3, 4])
def test_baseline_leaves_the_expected_gradient_unchanged(seed):
    mdp, theta, v, q = setting(seed)
    pi = softmax_policy(theta)
    b = np.random.default_rng(seed).normal(scale=5, size=6)
    for s in range(6):
        # per state: Σ_a π(a|s) ∇ln π(a|s) b(s) = 0, summed explicitly
        zero = sum(pi[s, a] * (pg_sample(theta, q, s, a, b) - pg_sample(theta, q, s, a))
                   for a in range(3))
        np.testing.assert_allclose(zero, 0.0, rtol=0, atol=1e-12)
    d = np.random.default_rng(seed + 1).dirichlet(np.ones(6))
    exact = autograd_policy_gradient(theta, q, d)
    for baseline in (0.0, b, v, 7.5):
        np.testing.assert_allclose(expected_gradient(theta, q, d, baseline), exact,
                                   rtol=0, atol=1e-12)
# --8<-- [end:test_baseline_invariance]


@pytest.mark.formula("eq-baseline-invariance")
def test_pg_sample_by_hand():
    theta = np.log([[1.0, 3.0], [1.0, 1.0]])  # π(·|0) = (1/4, 3/4)
    q = np.array([[2.0, 5.0], [0.0, 0.0]])
    # ∇ln π(1|0) = e_1 − π = (−1/4, 1/4), times q − b = 5 − 1
    np.testing.assert_allclose(pg_sample(theta, q, 0, 1, [1.0, 9.0]),
                               [[-1.0, 1.0], [0.0, 0.0]], rtol=0, atol=1e-14)
    # no baseline (the default): times q = 5
    np.testing.assert_allclose(pg_sample(theta, q, 0, 1), [[-1.25, 1.25], [0, 0]], atol=1e-14)


# --8<-- [start:test_optimal_baseline]
@pytest.mark.formula("eq-optimal-baseline")
@pytest.mark.parametrize("seed", [6, 7])
def test_optimal_baseline_beats_a_grid_of_baselines(seed):
    mdp, theta, v, q = setting(seed)
    d = np.full(6, 1 / 6)
    b_star = optimal_baseline(theta, q)
    best = gradient_variance(theta, q, d, b_star)
    with_v = gradient_variance(theta, q, d, v)
    assert best < with_v < gradient_variance(theta, q, d)  # default: no baseline, b = 0
    for s in range(6):
        one = np.eye(6)[s]  # the variance at state s alone, b(s) on a grid around b*(s)
        at_star = gradient_variance(theta, q, one, b_star)
        for shift in np.linspace(-3, 3, 25):
            if abs(shift) > 1e-9:
                assert at_star < gradient_variance(theta, q, one, b_star + shift * one)
    # the variance is the explicit E||g − E g||² over (S, A) ~ d × π
    mean = expected_gradient(theta, q, d, 0.0)
    pi = softmax_policy(theta)
    for b in (v, 0.0):
        explicit = sum(d[s] * pi[s, a] * np.sum((pg_sample(theta, q, s, a, b) - mean) ** 2)
                       for s in range(6) for a in range(3))
        assert gradient_variance(theta, q, d, b) == pytest.approx(explicit, rel=1e-12)
    assert gradient_variance(theta, q, d) == pytest.approx(explicit, rel=1e-12)  # b = 0
# --8<-- [end:test_optimal_baseline]


@pytest.mark.formula("eq-optimal-baseline")
def test_variance_reduction_by_monte_carlo():
    mdp, theta, v, q = setting(8)
    pi, d, n = softmax_policy(theta), np.full(6, 1 / 6), 20_000
    rng = np.random.default_rng(8)
    s = rng.integers(6, size=n)
    a = (rng.random((n, 1)) > np.cumsum(pi[s], axis=1)).sum(axis=1)
    for baseline in (0.0, v, optimal_baseline(theta, q)):
        # ‖g‖² for each sample: ‖e_a − π(·|s)‖² (q(s, a) − b(s))²
        b = np.broadcast_to(baseline, (6,))
        sq = (1 - 2 * pi[s, a] + np.sum(pi[s] ** 2, axis=1)) * (q[s, a] - b[s]) ** 2
        mean = expected_gradient(theta, q, d, 0.0)
        estimate = sq.mean() - np.sum(mean**2)
        assert abs(estimate - gradient_variance(theta, q, d, baseline)) <= \
            4 * sq.std(ddof=1) / np.sqrt(n)


@pytest.mark.formula("eq-optimal-baseline")
def test_optimal_baseline_by_hand():
    theta = np.log([[1.0, 3.0]])  # π = (1/4, 3/4): ‖∇ln π(0)‖² = 2·(3/4)², ‖∇ln π(1)‖² = 2·(1/4)²
    # b* = (1/4·9/8·q0 + 3/4·1/8·q1) / (1/4·9/8 + 3/4·1/8) = (3 q0 + q1) / 4
    assert optimal_baseline(theta, [[4.0, 8.0]])[0] == pytest.approx(5.0, abs=1e-14)


# --8<-- [start:test_advantage]
@pytest.mark.formula("eq-advantage")
@pytest.mark.parametrize("seed", [9, 10])
def test_advantage_has_zero_mean_under_pi(seed):
    mdp, theta, v, q = setting(seed)
    A = advantage(q, v)
    mean = np.sum(softmax_policy(theta) * A, axis=1)
    np.testing.assert_allclose(mean, 0.0, rtol=0, atol=1e-12)
    # written out from the model: Σ_r p(r|s,a) r + γ Σ_s' p(s'|s,a) v(s') − v(s)
    explicit = [[sum(mdp.p_r[s, a] * mdp.reward_values) + 0.8 * mdp.P[s, a] @ v - v[s]
                 for a in range(3)] for s in range(6)]
    np.testing.assert_allclose(A, explicit, rtol=0, atol=1e-12)
    np.testing.assert_allclose(advantage([[1.0, 4.0]], [3.0]), [[-2.0, 1.0]])
# --8<-- [end:test_advantage]


# --8<-- [start:test_td_advantage]
@pytest.mark.formula("eq-td-advantage")
@pytest.mark.parametrize("seed", [11, 12])
def test_expected_td_error_is_the_advantage(seed):
    mdp, theta, v, q = setting(seed)
    for v_used, exact in ((v, True), (v + np.linspace(-1, 1, 6), False)):
        # E[δ | s, a] as a sum over r and s' (independent given s, a in random_mdp)
        expected = np.array([[
            sum(mdp.p_r[s, a, k] * mdp.P[s, a, s2]
                * td_errors(mdp.reward_values[k], v_used[s], v_used[s2], 0.8)
                for k in range(3) for s2 in range(6))
            for a in range(3)] for s in range(6)])
        gap = np.abs(expected - advantage(q, v)).max()
        assert (gap < 1e-12) == exact, gap
# --8<-- [end:test_td_advantage]


@pytest.mark.formula("eq-td-advantage")
def test_td_error_by_hand():
    np.testing.assert_allclose(td_errors([1.0, 0.0], [2.0, 1.0], [3.0, -1.0], 0.5),
                               [0.5, -1.5], rtol=0, atol=1e-15)


# --8<-- [start:test_a2c]
@pytest.mark.formula("eq-a2c")
def test_a2c_step_by_hand():
    theta, v = np.log([[1.0, 3.0], [1.0, 1.0]]), np.array([1.0, 2.0])
    new_theta, new_v = a2c_update(theta, v, 0, 0, r=1.0, s_next=1, gamma=0.5,
                                  alpha_theta=0.2, alpha_w=0.1)
    # δ = 1 + 0.5·2 − 1 = 1; ∇ln π(0|0) = (3/4, −3/4) in row 0
    np.testing.assert_allclose(new_theta - theta, [[0.15, -0.15], [0, 0]], atol=1e-14)
    np.testing.assert_allclose(new_v, [1.1, 2.0], rtol=0, atol=1e-14)


@pytest.mark.formula("eq-a2c")
def test_a2c_in_expectation_at_v_pi():
    mdp, theta, v, q = setting(13)
    pi = softmax_policy(theta)
    for s in range(6):
        # E over a ~ π, r, s' of the actor step (α_θ = 1) = row s of the exact gradient
        step = sum(
            pi[s, a] * mdp.p_r[s, a, k] * mdp.P[s, a, s2]
            * (a2c_update(theta, v, s, a, mdp.reward_values[k], s2, 0.8, 1.0, 1.0)[0]
               - theta)
            for a in range(3) for k in range(3) for s2 in range(6))
        exact = autograd_policy_gradient(theta, q, np.eye(6)[s])
        np.testing.assert_allclose(step, exact, rtol=0, atol=1e-12)


@pytest.mark.formula("eq-a2c")
def test_a2c_improves_the_grid_world_policy(world):
    theta0 = np.zeros((25, 5))
    theta, v, J = run_a2c(world.P, world.R, GAMMA, theta0, 2000, 0.5, 0.2,
                          np.random.default_rng(0), record_every=1000)
    assert J[0] == pytest.approx(np.mean(solve_bellman(
        *policy_matrices(np.full((25, 5), 0.2), world.P, world.R), GAMMA)), abs=1e-12)
    assert J[-1] == pytest.approx(uniform_start_objective(theta, world.P, world.R, GAMMA), abs=1e-12)
    assert len(J) == 3 and J[0] < -3 and J[-1] > 7  # J(π*) = 7.80
# --8<-- [end:test_a2c]


# --8<-- [start:test_importance_sampling]
@pytest.mark.formula("eq-importance-sampling")
def test_importance_weighting_identity():
    rng = np.random.default_rng(14)
    pi, behavior = rng.dirichlet(np.ones(4), size=3), rng.dirichlet(np.ones(4), size=3)
    f = rng.normal(size=(3, 4))
    rho = importance_weights(pi, behavior)
    # exact: Σ_a π_b(a|s) ρ(s, a) f(a) = Σ_a π(a|s) f(a)
    np.testing.assert_allclose(np.sum(behavior * rho * f, axis=1), np.sum(pi * f, axis=1),
                               rtol=0, atol=1e-12)
    # sampled: 40,000 actions from π_b at each state, within 4 standard errors
    n = 40_000
    for s in range(3):
        a = rng.choice(4, size=n, p=behavior[s])
        x = rho[s, a] * f[s, a]
        assert abs(x.mean() - pi[s] @ f[s]) <= 4 * x.std(ddof=1) / np.sqrt(n)
    # π puts no mass where π_b has none: ρ is 0 there
    rho = importance_weights([[0.5, 0.5, 0]], [[0.25, 0.75, 0]])
    np.testing.assert_array_equal(rho, [[2.0, 2 / 3, 0.0]])
# --8<-- [end:test_importance_sampling]


def autograd_objective_gradient(theta, P, R, d, gamma):
    """d/dtheta of J = d^T v_pi with v_pi = (I - gamma P_pi)^{-1} r_pi (torch, float64).

    The gradient flows through the linear solve, so v_pi's (and q_pi's) dependence on
    theta is included; d is a fixed state distribution."""
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    z = torch.exp(t)  # softmax written out, as in autograd_policy_gradient
    pi = z / z.sum(1, keepdim=True)
    P_pi = (pi[:, :, None] * torch.tensor(P)).sum(1)  # P_π[s, s'] = Σ_a π(a|s) p(s'|s, a)
    r_pi = (pi * torch.tensor(R)).sum(1)
    eye = torch.eye(len(d), dtype=torch.float64)
    v = torch.linalg.solve(eye - gamma * P_pi, r_pi)
    (torch.tensor(d) @ v).backward()
    return t.grad.numpy()


def residual_after_rescaling(g, reference):
    """min_c ||reference - c g|| / ||reference||: 0 iff g is parallel to reference."""
    c = np.sum(g * reference) / np.sum(g * g)
    return np.linalg.norm(reference - c * g) / np.linalg.norm(reference)


# --8<-- [start:test_off_policy_gradient]
@pytest.mark.formula("eq-off-policy-ac")
@pytest.mark.parametrize("seed", [15, 16])
def test_off_policy_gradient_theorem_against_autograd(seed):
    mdp, rng = random_mdp(seed), np.random.default_rng(seed)
    theta, behavior = rng.normal(size=(6, 3)), rng.dirichlet(np.ones(3), size=6)
    # d_{π_b}: the stationary distribution of π_b; it does not move with θ
    d_behavior = stationary_distribution(policy_matrices(behavior, mdp.P, mdp.R)[1])
    exact = autograd_objective_gradient(theta, mdp.P, mdp.R, d_behavior, 0.8)
    np.testing.assert_allclose(off_policy_gradient(theta, behavior, mdp.P, mdp.R, d_behavior, 0.8),
                               exact, rtol=0, atol=1e-10)
    # Off-PAC's d_{π_b} weighting is the policy-gradient sum with d_{π_b} in place of η
    # (q held fixed in autograd_policy_gradient) ...
    approx = off_pac_gradient(theta, behavior, mdp.P, mdp.R, d_behavior, 0.8)
    q = action_values(solve_bellman(*policy_matrices(softmax_policy(theta), mdp.P, mdp.R),
                                    0.8), mdp.P, mdp.R, 0.8)
    np.testing.assert_allclose(approx, autograd_policy_gradient(theta, q, d_behavior),
                               rtol=0, atol=1e-12)
    # ... and it is not the gradient of J, not even after the best rescaling
    assert residual_after_rescaling(approx, exact) > 0.05
    # at π = π_b, η = d_{π_b} / (1 − γ): there the d_{π_b} form is (1 − γ) ∇J exactly
    pi = softmax_policy(theta)
    d_pi = stationary_distribution(policy_matrices(pi, mdp.P, mdp.R)[1])
    np.testing.assert_allclose(
        off_pac_gradient(theta, pi, mdp.P, mdp.R, d_pi, 0.8),
        0.2 * autograd_objective_gradient(theta, mdp.P, mdp.R, d_pi, 0.8), rtol=0, atol=1e-12)


@pytest.mark.formula("eq-off-policy-ac")
def test_off_pac_direction_on_the_grid_world(world):
    theta = np.eye(5)[solve_boe(world.P, world.R, GAMMA)[1]]  # the page's actor
    behavior = np.full((25, 5), 0.2)  # the uniform behaviour policy
    d_behavior = stationary_distribution(policy_matrices(behavior, world.P, world.R)[1])
    exact = autograd_objective_gradient(theta, world.P, world.R, d_behavior, GAMMA)
    np.testing.assert_allclose(
        off_policy_gradient(theta, behavior, world.P, world.R, d_behavior, GAMMA), exact,
        rtol=0, atol=1e-10)
    approx = off_pac_gradient(theta, behavior, world.P, world.R, d_behavior, GAMMA)
    assert residual_after_rescaling(approx, exact) > 0.5  # the page: 0.54
# --8<-- [end:test_off_policy_gradient]


# --8<-- [start:test_off_policy_ac]
@pytest.mark.formula("eq-off-policy-ac")
def test_off_policy_step_in_expectation_equals_the_on_policy_step():
    mdp, theta, v, q = setting(15)
    pi = softmax_policy(theta)
    behavior = np.random.default_rng(15).dirichlet(np.ones(3), size=6)
    v_guess = v + np.linspace(0, 1, 6)  # any critic: the identity holds for every v

    def mean_step(policy, update, s, v_used):
        # E over a ~ policy, r, s' of the change in (theta, v), as explicit sums
        out = [0.0, 0.0]
        for a in range(3):
            for k in range(3):
                for s2 in range(6):
                    p = policy[s, a] * mdp.p_r[s, a, k] * mdp.P[s, a, s2]
                    th, vv = update(a, mdp.reward_values[k], s2)
                    out = [out[0] + p * (th - theta), out[1] + p * (vv - v_used)]
        return out

    for s in range(6):
        off = mean_step(behavior, lambda a, r, s2: off_policy_ac_update(
            theta, v_guess, behavior, s, a, r, s2, 0.8, 0.3, 0.7), s, v_guess)
        on = mean_step(pi, lambda a, r, s2: a2c_update(theta, v_guess, s, a, r, s2,
                                                       0.8, 0.3, 0.7), s, v_guess)
        for x, y in zip(off, on):
            np.testing.assert_allclose(x, y, rtol=0, atol=1e-12)
    # with S ~ d_{π_b} and the exact critic v_π, the mean actor step is Off-PAC's d_{π_b} form
    d_behavior = stationary_distribution(policy_matrices(behavior, mdp.P, mdp.R)[1])
    step = sum(d_behavior[s] * mean_step(behavior, lambda a, r, s2: off_policy_ac_update(
        theta, v, behavior, s, a, r, s2, 0.8, 1.0, 0.0), s, v)[0] for s in range(6))
    np.testing.assert_allclose(step, off_pac_gradient(theta, behavior, mdp.P, mdp.R, d_behavior, 0.8),
                               rtol=0, atol=1e-12)


@pytest.mark.formula("eq-off-policy-ac")
def test_off_policy_step_by_hand():
    theta, v = np.zeros((2, 2)), np.array([1.0, 2.0])
    behavior = np.array([[0.25, 0.75], [0.5, 0.5]])
    new_theta, new_v = off_policy_ac_update(theta, v, behavior, 0, 0, 1.0, 1, 0.5, 0.2, 0.1)
    # ρ = 0.5 / 0.25 = 2, δ = 1 + 1 − 1 = 1, ∇ln π(0|0) = (1/2, −1/2) in row 0
    np.testing.assert_allclose(new_theta, [[0.2, -0.2], [0, 0]], rtol=0, atol=1e-14)
    np.testing.assert_allclose(new_v, [1.2, 2.0], rtol=0, atol=1e-14)
# --8<-- [end:test_off_policy_ac]


def dpg_example(seed: int, S: int = 5, m: int = 2, k: int = 3):
    """A random continuous-action model: W, phi, H (symmetric positive definite), B, L, K, d0."""
    rng = np.random.default_rng(seed)
    W, B = rng.normal(size=(m, k)), rng.normal(size=(m, k))
    phi, G = rng.normal(size=(S, k)), rng.normal(size=(m, m))
    L, K = rng.normal(size=(S, S)), rng.normal(size=(S, S, m))
    return W, phi, G @ G.T + np.eye(m), B, L, K, rng.dirichlet(np.ones(S))


def torch_q_of_mu(Wt, phi, H, B, L, K, gamma, v_next=None):
    """q(s, mu_W(s)) = r + gamma sum_s' p(s'|s, mu) v(s') in torch, and P_mu.

    v = v_next if given (held fixed), else v_mu of the current W (through the solve)."""
    phi, H, B, L, K = (torch.tensor(x) for x in (phi, H, B, L, K))
    mu = phi @ Wt.T  # one row μ(s)ᵀ per state
    r = -0.5 * ((mu @ H) * mu).sum(1) + (mu * (phi @ B.T)).sum(1)
    z = torch.exp(L + (K * mu[:, None, :]).sum(2))
    P_mu = z / z.sum(1, keepdim=True)  # p(s'|s, μ(s))
    if v_next is None:
        eye = torch.eye(len(r), dtype=torch.float64)
        v_next = torch.linalg.solve(eye - gamma * P_mu, r)
    return r + gamma * P_mu @ v_next, P_mu


# --8<-- [start:test_dpg]
@pytest.mark.formula("eq-dpg")
@pytest.mark.parametrize("seed", [16, 17])
def test_dpg_theorem_against_the_exact_gradient(seed):
    W, phi, H, B, L, K, d0 = dpg_example(seed)
    gamma = 0.8
    # exact: J(W) = d0ᵀ v_μ with v_μ solved from the Bellman equation, by autograd
    Wt = torch.tensor(W, requires_grad=True)
    v_mu, P_mu = torch_q_of_mu(Wt, phi, H, B, L, K, gamma)  # q(s, μ(s)) = v_μ(s)
    (torch.tensor(d0) @ v_mu).backward()
    exact = Wt.grad.numpy()
    np.testing.assert_allclose(dpg_theorem(W, phi, H, B, L, K, d0, gamma), exact,
                               rtol=0, atol=1e-10)

    def chain_rule(weights):
        # Σ_s w(s) ∇_W q_μ(s, μ_W(s)) with q_μ frozen: v_μ held fixed, autograd
        Wf = torch.tensor(W, requires_grad=True)
        q, _ = torch_q_of_mu(Wf, phi, H, B, L, K, gamma, v_next=v_mu.detach())
        (torch.as_tensor(weights) @ q).backward()
        return Wf.grad.numpy()

    # the theorem: freezing q_μ is right once the states are weighted by η, ...
    P = P_mu.detach().numpy()
    eta = np.linalg.solve((np.eye(5) - gamma * P).T, d0)  # η = d0ᵀ (I − γ P_μ)⁻¹
    np.testing.assert_allclose(chain_rule(eta), exact, rtol=0, atol=1e-10)
    # ... and wrong with the start distribution d0 itself, even up to a factor
    assert residual_after_rescaling(chain_rule(d0), exact) > 0.05
# --8<-- [end:test_dpg]


@pytest.mark.formula("eq-dpg")
def test_continuous_action_model_by_hand():
    a = np.array([[1.0], [-2.0]])  # one action dimension, two states, one feature
    phi, H, B = np.array([[1.0], [0.5]]), np.array([[2.0]]), np.array([[3.0]])
    L, K = np.zeros((2, 2)), np.array([[[0.0], [np.log(3)]], [[0.0], [0.0]]])
    r, p = continuous_action_model(a, phi, H, B, L, K)
    # r = −½·2·a² + 3·a·φ: −1 + 3 = 2 and −4 − 3 = −7
    np.testing.assert_allclose(r, [2.0, -7.0], rtol=0, atol=1e-14)
    # state 0: logits (0, ln 3·1) → (1/4, 3/4); state 1: logits (0, 0) → (1/2, 1/2)
    np.testing.assert_allclose(p, [[0.25, 0.75], [0.5, 0.5]], rtol=0, atol=1e-14)


@pytest.mark.formula("eq-dpg")
def test_deterministic_policy_gradient_by_hand():
    jac = np.array([[[1.0, 2.0]], [[0.0, 1.0]]])  # one action dimension, two parameters
    grad_q = np.array([[3.0], [-1.0]])
    # 0.5·3·(1, 2) + 0.5·(−1)·(0, 1) = (1.5, 2.5)
    np.testing.assert_allclose(deterministic_policy_gradient(jac, grad_q, [0.5, 0.5]),
                               [1.5, 2.5], rtol=0, atol=1e-15)
    # weights need not sum to 1 (η sums to 1/(1 − γ)), and may be 0: 3·(1, 2) = (3, 6)
    np.testing.assert_allclose(deterministic_policy_gradient(jac, grad_q, [1.0, 0.0]),
                               [3.0, 6.0], rtol=0, atol=1e-15)


Z = np.zeros((2, 2))
Q = np.ones((2, 2))
U = np.full((2, 2), 0.5)
P2 = np.full((2, 2, 2), 0.5)
# (actions, phi, H, B, L, K) of continuous_action_model: 3 states, m = 1, k = 2
DPG_OK = (np.zeros((3, 1)), np.ones((3, 2)), np.eye(1), np.ones((1, 2)), np.zeros((3, 3)),
          np.zeros((3, 3, 1)))
DPG_BAD = {
    "phi": (DPG_OK[0], np.ones((3, 3)), *DPG_OK[2:]),
    "H": (np.zeros((3, 2)), DPG_OK[1], np.eye(2), *DPG_OK[3:]),
    "B": (*DPG_OK[:2], np.eye(1), np.ones((1, 3)), *DPG_OK[4:]),
    "Hsym": (np.zeros((3, 2)), DPG_OK[1], np.array([[1.0, 1.0], [0.0, 1.0]]),
             np.ones((2, 2)), *DPG_OK[4:5], np.zeros((3, 3, 2))),
    "L": (*DPG_OK[:4], np.zeros((3, 2)), DPG_OK[5]),
    "K": (*DPG_OK[:5], np.zeros((3, 3, 2))),
    "actions": (np.zeros((3, 2)), *DPG_OK[1:]),
}


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: qac_update(np.zeros((2, 0)), Q, 0, 0, 0.0, 0, 0, 0.9, 0.1, 0.1), "theta must"),
        (lambda: qac_update(Z, np.ones((2, 3)), 0, 0, 0.0, 0, 0, 0.9, 0.1, 0.1),
         r"q must be a finite array of shape \(2, 2\)"),
        (lambda: qac_update(Z, Q * np.nan, 0, 0, 0.0, 0, 0, 0.9, 0.1, 0.1), "q must be a finite"),
        (lambda: qac_update(Z, Q, 2, 0, 0.0, 0, 0, 0.9, 0.1, 0.1), r"^s must be in 0..1, got 2"),
        (lambda: qac_update(Z, Q, -1, 0, 0.0, 0, 0, 0.9, 0.1, 0.1), r"^s must be in"),
        (lambda: qac_update(Z, Q, 0, 2, 0.0, 0, 0, 0.9, 0.1, 0.1), r"^a must be in 0..1, got 2"),
        (lambda: qac_update(Z, Q, 0, 0, 0.0, 2, 0, 0.9, 0.1, 0.1), r"^s_next must be in"),
        (lambda: qac_update(Z, Q, 0, 0, 0.0, 0, 2, 0.9, 0.1, 0.1), r"^a_next must be in"),
        (lambda: qac_update(Z, Q, 0, 0, 0.0, 0, 0, 1.0, 0.1, 0.1), "gamma must"),
        (lambda: qac_update(Z, Q, 0, 0, 0.0, 0, 0, 0.9, -0.1, 0.1), r"alpha_theta must be a finite number >= 0, got -0.1"),
        (lambda: qac_update(Z, Q, 0, 0, 0.0, 0, 0, 0.9, 0.1, np.inf), "alpha_w must"),
        (lambda: qac_update(Z, Q, 0, 0, 0.0, 0, 0, 0.9, [0.1], 0.1), "alpha_theta must"),
        (lambda: pg_sample(Z, Q, 0, 0, [1.0, 2.0, 3.0]), r"baseline must be a finite number or shape \(2,\)"),
        (lambda: pg_sample(Z, Q, 0, 0, [[1.0, 2.0]]), "baseline must"),
        (lambda: pg_sample(Z, Q, 0, 0, np.nan), "baseline must"),
        (lambda: pg_sample(Z, Q[:1], 0, 0), "q must"),
        (lambda: pg_sample(Z, Q, 0, 5), "^a must"),
        (lambda: pg_sample(Z, Q, 5, 0), "^s must"),
        (lambda: expected_gradient(Z, Q, [0.5, 0.6], 0.0), "weights must sum to 1"),
        (lambda: expected_gradient(Z, Q, [1.0, 0.0, 0.0], 0.0), r"weights must have shape \(2,\), got \(3,\)"),
        (lambda: gradient_variance(Z, Q, [0.5, 0.6]), "weights must sum to 1"),
        (lambda: gradient_variance(Z, Q, [1.0, 0.0, 0.0]), r"weights must have shape \(2,\)"),
        (lambda: optimal_baseline(Z, Q[:, :1]), "q must"),
        (lambda: advantage([1.0, 2.0], [0.0]), r"q must be a finite array of shape \(S, A\)"),
        (lambda: advantage([[np.inf]], [0.0]), "q must be a finite"),
        (lambda: advantage(Q, [0.0]), r"v must have shape \(2,\)"),
        (lambda: td_errors(1.0, 0.0, 0.0, 1.0), "gamma must"),
        (lambda: td_errors(np.nan, 0.0, 0.0, 0.5), "^r, v_s and v_next must be finite"),
        (lambda: td_errors(0.0, np.inf, 0.0, 0.5), "^r, v_s and v_next must be finite"),
        (lambda: td_errors(0.0, 0.0, -np.inf, 0.5), "^r, v_s and v_next must be finite"),
        (lambda: a2c_update(Z, [0.0], 0, 0, 0.0, 0, 0.9, 0.1, 0.1), r"v must have shape \(2,\)"),
        (lambda: a2c_update(Z, [0.0, 0.0], 2, 0, 0.0, 0, 0.9, 0.1, 0.1), "^s must"),
        (lambda: a2c_update(Z, [0.0, 0.0], 0, 2, 0.0, 0, 0.9, 0.1, 0.1), "^a must"),
        (lambda: a2c_update(Z, [0.0, 0.0], 0, 0, 0.0, 2, 0.9, 0.1, 0.1), "^s_next must"),
        (lambda: a2c_update(Z, [0.0, 0.0], 0, 0, 0.0, 0, -0.9, 0.1, 0.1), "gamma must"),
        (lambda: a2c_update(Z, [0.0, 0.0], 0, 0, 0.0, 0, 0.9, np.nan, 0.1), "alpha_theta must"),
        (lambda: a2c_update(Z, [0.0, 0.0], 0, 0, 0.0, 0, 0.9, 0.1, -1.0), "alpha_w must"),
        (lambda: importance_weights(U * 2, U), "^pi must sum to 1"),
        (lambda: importance_weights(U, U * 2), "^behavior must sum to 1"),
        (lambda: importance_weights(U, np.full((3, 2), 0.5)), r"behavior must have the shape of pi \(2, 2\)"),
        (lambda: importance_weights(U, [[1.0, 0.0], [0.5, 0.5]]), "^behavior must be positive wherever pi is"),
        (lambda: importance_weights([[0.5, 0.5]], [[0.0, 1.0]]), "^behavior must be positive"),
        (lambda: importance_weights(np.full((1, 3), 1 / 3), [[0, 0.5, 0.5]]), "^behavior must be pos"),
        (lambda: off_policy_ac_update(Z, [0.0, 0.0], [[1.0, 0.0], U[0]], 0, 0, 0.0, 0, 0.9, 0.1, 0.1), "behavior must be positive"),
        (lambda: off_policy_ac_update(Z, [0.0], U, 0, 0, 0.0, 0, 0.9, 0.1, 0.1), r"v must have shape \(2,\)"),
        (lambda: off_policy_ac_update(Z, [0.0, 0.0], U, 3, 0, 0.0, 0, 0.9, 0.1, 0.1), "^s must"),
        (lambda: off_policy_ac_update(Z, [0.0, 0.0], U, 0, 3, 0.0, 0, 0.9, 0.1, 0.1), "^a must"),
        (lambda: off_policy_ac_update(Z, [0.0, 0.0], U, 0, 0, 0.0, 3, 0.9, 0.1, 0.1), "^s_next must"),
        (lambda: off_policy_ac_update(Z, [0.0, 0.0], U, 0, 0, 0.0, 0, 2.0, 0.1, 0.1), "gamma must"),
        (lambda: off_policy_ac_update(Z, [0.0, 0.0], U, 0, 0, 0.0, 0, 0.9, -0.1, 0.1), "alpha_theta must"),
        (lambda: off_policy_ac_update(Z, [0.0, 0.0], U, 0, 0, 0.0, 0, 0.9, 0.1, -0.1), "alpha_w must"),
        (lambda: deterministic_policy_gradient(np.ones((2, 1)), np.ones((2, 1)), [0.5, 0.5]), r"jac_mu \(S, m, n\) and grad_q \(S, m\) must match"),
        (lambda: deterministic_policy_gradient(np.ones((2, 1, 3)), np.ones((2, 2)), [0.5, 0.5]), "jac_mu"),
        (lambda: deterministic_policy_gradient(np.ones((2, 1, 3)), np.ones((2, 1)), [-0.1, 0.5]), r"weights must be finite and non-negative with shape \(2,\)"),
        (lambda: deterministic_policy_gradient(np.ones((2, 1, 3)), np.ones((2, 1)), [np.nan, 0.5]), "weights must be finite"),
        (lambda: deterministic_policy_gradient(np.ones((2, 1, 3)), np.ones((2, 1)), [1.0]), r"weights must be finite and non-negative with shape \(2,\), got \(1,\)"),
        (lambda: continuous_action_model(*DPG_BAD["phi"]), r"phi \(S, k\), H \(m, m\) and B \(m, k\) must match"),
        (lambda: continuous_action_model(*DPG_BAD["H"]), r"must match, got \(3, 2\), \(2, 2\)"),
        (lambda: continuous_action_model(*DPG_BAD["B"]), r"must match, got \(3, 2\), \(1, 1\) and \(1, 3\)"),
        (lambda: continuous_action_model(*DPG_BAD["Hsym"]), "^H must be symmetric"),
        # off by 1e-9 on entries of size 1: above the absolute tolerance 1e-12, below 1e-5 relative
        (lambda: continuous_action_model(np.zeros((3, 2)), DPG_OK[1], np.array([[2.0, 1 + 1e-9], [1.0, 2.0]]), np.ones((2, 2)), DPG_OK[4], np.zeros((3, 3, 2))), "^H must be symmetric"),
        (lambda: continuous_action_model(DPG_OK[0], DPG_OK[1], DPG_OK[2], np.ones(2), *DPG_OK[4:]), r"^phi \(S, k\) and B \(m, k\) must be non-empty matrices, got \(3, 2\) and \(2,\)"),
        (lambda: continuous_action_model(DPG_OK[0], DPG_OK[1], np.eye(0), np.ones((0, 2)), *DPG_OK[4:]), "must be non-empty matrices"),
        (lambda: continuous_action_model(DPG_OK[0], np.ones(3), *DPG_OK[2:]), "must be non-empty matrices"),
        (lambda: continuous_action_model(np.zeros((0, 1)), np.ones((0, 2)), *DPG_OK[2:4], np.zeros((0, 0)), np.zeros((0, 0, 1))), "must be non-empty matrices"),
        (lambda: continuous_action_model(*DPG_BAD["L"]), r"^L must have shape \(3, 3\) and K \(3, 3, 1\), got \(3, 2\)"),
        (lambda: continuous_action_model(*DPG_BAD["K"]), r"^L must have shape .* got \(3, 3\) and \(3, 3, 2\)"),
        (lambda: continuous_action_model(*DPG_BAD["actions"]), r"^actions must be a finite array of shape \(3, 1\)"),
        (lambda: dpg_theorem(np.ones((1, 3)), *DPG_OK[1:], np.ones(3) / 3, 0.9), r"^W must be a finite array of shape \(1, 2\), got \(1, 3\)"),
        (lambda: dpg_theorem(np.ones((1, 2)), *DPG_BAD["Hsym"][1:], np.ones(3) / 3, 0.9), "^H must be symmetric"),
        (lambda: dpg_theorem(np.ones((1, 2)), *DPG_OK[1:], np.ones(3) / 2, 0.9), "^d0 must sum to 1"),
        (lambda: dpg_theorem(np.ones((1, 2)), *DPG_OK[1:], np.ones(3) / 3, 1.0), "^gamma must"),
        (lambda: importance_weighted_gradient(Z, U, Q, [0.0, 0.0], [1.0, -1.0]), r"^weights must be finite and non-negative with shape \(2,\)"),
        (lambda: importance_weighted_gradient(Z, U, Q, [0.0, 0.0], [1.0]), r"^weights must be finite and non-negative with shape \(2,\), got \(1,\)"),
        (lambda: importance_weighted_gradient(Z, [[1.0, 0.0], U[0]], Q, [0.0, 0.0], [1.0, 1.0]), "^behavior must be positive"),
        (lambda: importance_weighted_gradient(Z, U, Q[:1], [0.0, 0.0], [1.0, 1.0]), "^q must"),
        (lambda: importance_weighted_gradient(Z, U, Q, [0.0, 0.0, 0.0], [1.0, 1.0]), "^baseline must"),
        (lambda: off_policy_gradient(Z, U, P2, Q, [0.5, 0.6], 0.9), "^d_behavior must sum to 1"),
        (lambda: off_policy_gradient(Z, U, P2, Q, [1.0, 0.0, 0.0], 0.9), r"^d_behavior must have shape \(2,\), got \(3,\)"),
        (lambda: off_policy_gradient(Z, U, P2, Q, [0.5, 0.5], 1.0), "^gamma must"),
        (lambda: off_policy_gradient(Z, U, P2 * 2, Q, [0.5, 0.5], 0.9), "^P must sum to 1"),
        (lambda: off_policy_gradient(np.zeros((2, 3)), U, P2, Q, [0.5, 0.5], 0.9), r"^theta must have shape \(S, A\) = \(2, 2\), got \(2, 3\)"),
        (lambda: off_policy_gradient(Z, U * 2, P2, Q, [0.5, 0.5], 0.9), "^behavior must sum to 1"),
        (lambda: off_pac_gradient(Z, U, P2, Q, [0.5, 0.6], 0.9), "^d_behavior must sum to 1"),
        (lambda: off_pac_gradient(Z, U, P2, Q, [1.0], 0.9), r"^d_behavior must have shape \(2,\)"),
        (lambda: off_pac_gradient(Z, U, P2, Q, [0.5, 0.5], -0.1), "^gamma must"),
        (lambda: off_pac_gradient(Z, U, P2, Q * np.nan, [0.5, 0.5], 0.9), "^R must be finite"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_steps": 0}, "n_steps, episode_length and record_every must be positive, got 0, 20, 100"),
        ({"episode_length": 0}, "must be positive, got 10, 0, 100"),
        ({"record_every": 0}, "must be positive, got 10, 20, 0"),
        ({"R": np.zeros((4, 5))}, r"R must have shape \(S, A\) = \(2, 2\), got \(4, 5\)"),
    ],
)
def test_run_a2c_bad_input(tiny_world, kwargs, match):
    args = {"P": tiny_world.P[:, :2][:2][:, :, :2] * 0 + 0.5, "R": np.zeros((2, 2)),
            "gamma": 0.9, "theta0": Z, "n_steps": 10, "alpha_theta": 0.1, "alpha_w": 0.1,
            "rng": np.random.default_rng(0)} | kwargs
    with pytest.raises(ValueError, match=match):
        run_a2c(**args)


def test_run_a2c_follows_the_sampling_protocol(tiny_world):
    """Reference loop: restart every episode_length steps, A ~ pi, S' ~ p, record J."""
    P, R, n, length = tiny_world.P, tiny_world.R, 12, 4
    theta0 = np.random.default_rng(1).normal(size=(4, 5))
    theta, v, J = run_a2c(P, R, 0.9, theta0, n, 0.3, 0.2, np.random.default_rng(2),
                          episode_length=length, record_every=5)
    rng, th, vv, Js = np.random.default_rng(2), theta0, np.zeros(4), []
    for t in range(n):
        if t % length == 0:
            s = int(rng.integers(4))
        a = int(rng.choice(5, p=softmax_policy(th)[s]))
        s2 = int(rng.choice(4, p=P[s, a]))
        th, vv = a2c_update(th, vv, s, a, R[s, a], s2, 0.9, 0.3, 0.2)
        s = s2
        if t in (4, 9):
            Js.append(uniform_start_objective(th, P, R, 0.9))
    np.testing.assert_array_equal(theta, th)
    np.testing.assert_array_equal(v, vv)
    np.testing.assert_allclose(J, [uniform_start_objective(theta0, P, R, 0.9), *Js], rtol=0, atol=1e-12)
    # the smallest valid sizes run
    assert len(run_a2c(P, R, 0.9, theta0, 1, 0.3, 0.2, np.random.default_rng(0),
                       episode_length=1, record_every=1)[2]) == 2


def test_uniform_start_objective_is_the_mean_state_value(world):
    theta = np.random.default_rng(5).normal(size=(world.n_states, world.n_actions))
    v = solve_bellman(*policy_matrices(softmax_policy(theta), world.P, world.R), GAMMA)
    assert uniform_start_objective(theta, world.P, world.R, GAMMA) == pytest.approx(
        v.mean(), abs=1e-12)
