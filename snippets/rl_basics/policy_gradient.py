"""Policy gradient methods: metrics, the policy gradient theorem, REINFORCE.

Page: rl-basics/policy-gradient (docs/rl-basics/policy-gradient.md); each function names the
anchor of the equation it implements. Tabular softmax policy: theta has shape (S, A) and
pi(a|s, theta) = exp(theta[s, a]) / sum_b exp(theta[s, b]). Arrays follow grid_world.py:
P[s, a, s'] shape (S, A, S), R[s, a] shape (S, A), pi[s, a] shape (S, A); d0, d, v, eta (S,).
The objective is J(theta) = d0^T v_pi(theta), the average state value under a start
distribution d0 that does not depend on the policy.
"""

from __future__ import annotations

import numpy as np

from snippets.rl_basics.grid_world import (
    check_distribution_rows,
    check_gamma,
    check_mdp,
    check_vector,
    sample_from_cdf,
)
from snippets.rl_basics.state_values import action_values, policy_matrices, solve_bellman
from snippets.rl_basics.value_function_approximation import stationary_distribution


def _check_theta(theta) -> np.ndarray:
    theta = np.asarray(theta, dtype=float)
    if theta.ndim != 2 or 0 in theta.shape or not np.all(np.isfinite(theta)):
        raise ValueError(f"theta must be a finite array of shape (S, A), got shape {theta.shape}")
    return theta


def _check_distribution(name: str, d, length: int) -> np.ndarray:
    d = check_distribution_rows(name, d, 1)
    if d.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},), got {d.shape}")
    return d


def _check_model(theta, P, R) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    P, R = check_mdp(P, R)
    theta = _check_theta(theta)
    if theta.shape != R.shape:
        raise ValueError(f"theta must have shape (S, A) = {R.shape}, got {theta.shape}")
    return theta, P, R


# --8<-- [start:average_state_value]
def average_state_value(v, d) -> float:
    """Average state value v_bar = sum_s d(s) v(s) = d^T v (#eq-average-value).

    v: state values v_pi, shape (S,); d: a distribution over states, shape (S,), either
    independent of pi (e.g. the start distribution d0) or the stationary d_pi.
    """
    v = check_vector("v", v)
    d = _check_distribution("d", d, v.shape[0])
    return float(d @ v)
# --8<-- [end:average_state_value]




# --8<-- [start:average_reward]
def average_reward(r_pi, d_pi) -> float:
    """Average reward r_bar = sum_s d_pi(s) r_pi(s) = d_pi^T r_pi (#eq-average-reward).

    r_pi: expected immediate reward of each state, shape (S,); d_pi: stationary
    distribution of P_pi, shape (S,).
    """
    r_pi = check_vector("r_pi", r_pi)
    d_pi = _check_distribution("d_pi", d_pi, r_pi.shape[0])
    return float(d_pi @ r_pi)
# --8<-- [end:average_reward]


# --8<-- [start:discounted_visitation]
def discounted_visitation(d0, P_pi, gamma: float) -> np.ndarray:
    """Discounted visitation (#eq-discounted-visitation):

        eta(s) = sum_t gamma^t Pr(S_t = s) = [d0^T (I - gamma P_pi)^{-1}]_s.

    d0: start distribution, shape (S,); P_pi: shape (S, S). eta sums to 1 / (1 - gamma).
    """
    P_pi = check_distribution_rows("P_pi", P_pi, 2)
    # mutant shape[1] is equivalent: a non-square P_pi fails the next test either way
    S = P_pi.shape[0]  # pragma: no mutate
    if P_pi.shape != (S, S):
        raise ValueError(f"P_pi must be square, got shape {P_pi.shape}")
    d0 = _check_distribution("d0", d0, S)
    gamma = check_gamma(gamma)
    # η^T (I − γ P_π) = d0^T, solved as (I − γ P_π)^T η = d0
    return np.linalg.solve((np.eye(S) - gamma * P_pi).T, d0)
# --8<-- [end:discounted_visitation]


# --8<-- [start:softmax_policy]
def softmax_policy(theta) -> np.ndarray:
    """pi(a|s) = exp(theta[s, a]) / sum_b exp(theta[s, b]) (#eq-softmax-policy).

    theta: preferences h(s, a), shape (S, A). Returns pi of shape (S, A); every
    pi(a|s) is strictly positive.
    """
    theta = _check_theta(theta)
    # shift each row by its maximum against overflow; π is unchanged by the shift
    z = np.exp(theta - theta.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)
# --8<-- [end:softmax_policy]


# --8<-- [start:grad_log_pi]
def grad_log_pi(theta, s: int, a: int) -> np.ndarray:
    """d ln pi(a|s, theta) / d theta, shape (S, A) (#eq-softmax-policy).

    Row s is e_a - pi(.|s); every other row is 0 (pi(.|s) uses only theta[s]).
    """
    theta = _check_theta(theta)
    S, A = theta.shape
    if not (0 <= s < S and 0 <= a < A):
        raise ValueError(
            f"(s, a) must index theta of shape {theta.shape}, got ({s}, {a})")
    grad = np.zeros_like(theta)
    grad[s] = -softmax_policy(theta)[s]  # − π(·|s)
    grad[s, a] += 1.0  # + e_a
    return grad
# --8<-- [end:grad_log_pi]


# --8<-- [start:objective]
def objective(theta, P, R, d0, gamma: float) -> float:
    """J(theta) = d0^T v_pi(theta), v_pi = (I - gamma P_pi)^{-1} r_pi.

    The objective of the page (#eq-policy-gradient).

    theta: shape (S, A); P: (S, A, S); R: (S, A); d0: start distribution, shape (S,).
    """
    theta, P, R = _check_model(theta, P, R)
    d0 = _check_distribution("d0", d0, R.shape[0])
    r_pi, P_pi = policy_matrices(softmax_policy(theta), P, R)
    return average_state_value(solve_bellman(r_pi, P_pi, gamma), d0)
# --8<-- [end:objective]


# --8<-- [start:policy_gradient]
def policy_gradient(theta, P, R, d0, gamma: float) -> np.ndarray:
    """Policy gradient theorem (#eq-policy-gradient):

        grad J(theta) = sum_s eta(s) sum_a grad pi(a|s, theta) q_pi(s, a).

    For the softmax policy d pi(a|s) / d theta[s] = pi(a|s) (e_a - pi(.|s)), so row s
    of the gradient is eta(s) (diag(pi_s) - pi_s pi_s^T) q_pi(s, .). Shape (S, A).
    """
    theta, P, R = _check_model(theta, P, R)
    d0 = _check_distribution("d0", d0, R.shape[0])
    pi = softmax_policy(theta)
    r_pi, P_pi = policy_matrices(pi, P, R)
    v = solve_bellman(r_pi, P_pi, gamma)
    q = action_values(v, P, R, gamma)
    eta = discounted_visitation(d0, P_pi, gamma)
    # Jacobian of the softmax row: d π(a|s) / d θ[s, b] = π(a|s) (δ_ab − π(b|s))
    jacobian = pi[:, :, None] * (np.eye(R.shape[1]) - pi[:, None, :])  # [s, a, b]
    # Σ_a ∇π(a|s) q_π(s, a), weighted by η(s)
    # mutants that rename the einsum letters (e.g. to upper case) are equivalent
    return eta[:, None] * np.einsum("sab,sa->sb", jacobian, q)  # pragma: no mutate
# --8<-- [end:policy_gradient]


# --8<-- [start:sample_episodes]
def sample_episodes(P, R, pi, d0, n_episodes: int, horizon: int,
                    rng: np.random.Generator):
    """Trajectories for REINFORCE (#eq-reinforce):

        S_0 ~ d0, A_t ~ pi(.|S_t), S_{t+1} ~ p(.|S_t, A_t), for t < horizon.

    Returns (states, actions, rewards), each of shape (n_episodes, horizon);
    rewards[:, t] is the expected reward R[S_t, A_t] of step t. This leaves every
    expectation on the page unchanged: R_{t+1} depends on the past only via (S_t, A_t).
    """
    P, R = check_mdp(P, R)
    S, A = R.shape
    pi = check_distribution_rows("pi", pi, 2)
    if pi.shape != (S, A):
        raise ValueError(f"pi must have shape (S, A) = {(S, A)}, got {pi.shape}")
    d0 = _check_distribution("d0", d0, S)
    if n_episodes < 1 or horizon < 1:
        raise ValueError(
            f"n_episodes and horizon must be positive, got {n_episodes}, {horizon}")
    states = np.empty((n_episodes, horizon), dtype=int)
    actions = np.empty((n_episodes, horizon), dtype=int)
    s = sample_from_cdf(np.tile(np.cumsum(d0), (n_episodes, 1)), rng)  # S_0 ~ d0
    pi_cdf, P_cdf = np.cumsum(pi, axis=1), np.cumsum(P, axis=2)
    for t in range(horizon):
        a = sample_from_cdf(pi_cdf[s], rng)  # A_t ~ π(·|S_t)
        states[:, t], actions[:, t] = s, a
        s = sample_from_cdf(P_cdf[s, a], rng)  # S_{t+1} ~ p(·|S_t, A_t)
    return states, actions, R[states, actions]
# --8<-- [end:sample_episodes]


def _check_episodes(theta, states, actions, rewards):
    states = np.asarray(states)
    actions = np.asarray(actions)
    # mutant dtype=None is equivalent: every use below mixes rewards with the float gamma
    rewards = np.asarray(rewards, dtype=float)  # pragma: no mutate
    if states.ndim != 2 or states.shape != actions.shape or states.shape != rewards.shape:
        raise ValueError("states, actions and rewards must have the same shape (n_episodes, T), "
                         f"got {states.shape}, {actions.shape}, {rewards.shape}")
    S, A = theta.shape
    if states.size and not (states.min() >= 0 and states.max() < S):
        raise ValueError(f"states must be in 0..{S - 1}")
    if actions.size and not (actions.min() >= 0 and actions.max() < A):
        raise ValueError(f"actions must be in 0..{A - 1}")
    if not np.all(np.isfinite(rewards)):
        raise ValueError("rewards must be finite")
    return states, actions, rewards


# --8<-- [start:reinforce_gradients]
def reinforce_gradients(theta, states, actions, rewards, gamma: float, baseline=None):
    """REINFORCE estimates, one per episode (#eq-reinforce):

        g_hat = sum_t gamma^t grad ln pi(A_t|S_t, theta) (G_t - b(S_t)),
        G_t = sum_{k >= t} gamma^(k-t) R_{k+1}  (truncated at the episode's end).

    states, actions, rewards: shape (n, T) as from sample_episodes; baseline b: shape
    (S,) or None (b = 0). Returns shape (n, S, A); their mean estimates grad J.
    """
    theta = _check_theta(theta)
    states, actions, rewards = _check_episodes(theta, states, actions, rewards)
    gamma = check_gamma(gamma)
    S, A = theta.shape
    b = np.zeros(S) if baseline is None else check_vector("baseline", baseline, S)
    n, T = states.shape
    pi = softmax_policy(theta)
    grads = np.zeros((n, S, A))
    G = np.zeros(n)
    rows = np.arange(n)
    for t in range(T - 1, -1, -1):
        G = rewards[:, t] + gamma * G  # G_t = R_{t+1} + γ G_{t+1}
        s, a = states[:, t], actions[:, t]
        score = np.eye(A)[a] - pi[s]  # ∇ ln π(A_t|S_t): row S_t is e_{A_t} − π(·|S_t)
        weight = gamma**t * (G - b[s])  # γ^t (G_t − b(S_t))
        np.add.at(grads, (rows, s), weight[:, None] * score)
    return grads
# --8<-- [end:reinforce_gradients]


# --8<-- [start:reinforce_update]
def reinforce_update(theta, states, actions, rewards, gamma: float,
                     alpha: float) -> np.ndarray:
    """One REINFORCE step on one episode (#eq-reinforce):

        theta <- theta + alpha sum_t gamma^t grad ln pi(a_t|s_t, theta) g_t,

    with g_t the discounted return from t; theta is held fixed during the episode.
    states, actions, rewards: shape (T,). Returns the new theta, shape (S, A).
    """
    theta = _check_theta(theta)
    states, actions, rewards = (x[0] for x in _check_episodes(
        theta, np.atleast_2d(states), np.atleast_2d(actions), np.atleast_2d(rewards)))
    gamma = check_gamma(gamma)
    if not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be a positive step size, got {alpha!r}")
    step = np.zeros_like(theta)
    for t in range(len(states)):
        g_t = sum(gamma**k * rewards[t + k] for k in range(len(states) - t))
        step += gamma**t * grad_log_pi(theta, states[t], actions[t]) * g_t
    return theta + alpha * step
# --8<-- [end:reinforce_update]


# --8<-- [start:gradient_ascent]
def gradient_ascent(theta0, P, R, d0, gamma: float, alpha: float,
                    n_iter: int) -> np.ndarray:
    """theta_{k+1} = theta_k + alpha grad J(theta_k), exact gradient.

    Gradient ascent with the policy gradient theorem (#eq-policy-gradient).

    Returns J(theta_0), ..., J(theta_n), shape (n_iter + 1,).
    """
    theta, P, R = _check_model(theta0, P, R)
    if not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be a positive step size, got {alpha!r}")
    if n_iter < 0:
        raise ValueError(f"n_iter must be non-negative, got {n_iter}")
    history = [objective(theta, P, R, d0, gamma)]
    for _ in range(n_iter):
        theta = theta + alpha * policy_gradient(theta, P, R, d0, gamma)
        history.append(objective(theta, P, R, d0, gamma))
    return np.array(history)
# --8<-- [end:gradient_ascent]


if __name__ == "__main__":
    from snippets.rl_basics.grid_world import make_grid_world

    world = make_grid_world()
    gamma, S, A = 0.9, 25, 5
    theta = np.zeros((S, A))  # θ = 0: the uniform policy
    d0 = np.full(S, 1 / S)
    pi = softmax_policy(theta)
    r_pi, P_pi = policy_matrices(pi, world.P, world.R)
    v = solve_bellman(r_pi, P_pi, gamma)
    d_pi = stationary_distribution(P_pi)
    print(f"theta = 0: v_bar(d0 uniform) = {average_state_value(v, d0):.4f}, "
          f"r_bar = {average_reward(r_pi, d_pi):.4f}, "
          f"(1 - gamma) v_bar(d_pi) = {(1 - gamma) * average_state_value(v, d_pi):.4f}")
    from snippets.rl_basics.bellman_optimality import solve_boe

    _, pi_star = solve_boe(world.P, world.R, gamma)
    theta1 = 3.0 * np.eye(A)[pi_star]  # softmax puts 0.83 on the optimal action
    r1, P1 = policy_matrices(softmax_policy(theta1), world.P, world.R)
    v1, d1 = solve_bellman(r1, P1, gamma), stationary_distribution(P1)
    print(f"theta = 3 onehot(pi*): v_bar(d0) = {average_state_value(v1, d0):.4f}, "
          f"v_bar(d_pi) = {average_state_value(v1, d1):.4f}, "
          f"r_bar = {average_reward(r1, d1):.4f}, d_pi(target) = {d1[17]:.4f}")
    start = np.eye(S)[0]  # start in the top-left cell
    eta = discounted_visitation(start, P_pi, gamma)
    print(f"eta from cell (0, 0), theta = 0 (sums to {eta.sum():.4f}):")
    print(np.round(eta.reshape(5, 5), 3))
    grad = policy_gradient(theta, world.P, world.R, d0, gamma)
    print("grad J at theta = 0, cells (3, 0)..(3, 4), actions up right down left stay:")
    print(np.round(grad[15:20], 4))
    n, H = 2000, 150
    episodes = sample_episodes(world.P, world.R, pi, d0, n, H, np.random.default_rng(0))
    print(f"REINFORCE at theta = 0, {n} episodes of {H} steps; component [(3, 1), right] "
          f"exact {grad[16, 1]:.4f}")
    print("baseline | mean | SE | variance | sum of variances | max |mean - exact| / SE")
    for name, b in (("0", None), ("v_pi", v)):
        g = reinforce_gradients(theta, *episodes, gamma, baseline=b)
        se = g.std(axis=0, ddof=1) / np.sqrt(n)
        z = np.abs(g.mean(axis=0) - grad) / se
        print(f"{name:8s} | {g[:, 16, 1].mean():.4f} | {se[16, 1]:.4f} "
              f"| {g[:, 16, 1].var(ddof=1):.4f} | {g.var(axis=0, ddof=1).sum():.2f} "
              f"| {z.max():.2f} | share |estimate| < 0.05: {np.mean(abs(g[:, 16, 1]) < 0.05):.2f}")
    print(f"truncation bias bound gamma^H r_max (H + 1/(1-gamma)) / (1-gamma) = "
          f"{gamma**H * (H + 1 / (1 - gamma)) / (1 - gamma):.1e}")
    J = gradient_ascent(theta, world.P, world.R, d0, gamma, alpha=3.0, n_iter=80)
    print("gradient ascent, uniform d0, alpha = 3: J at k = 0, 10, 20, 40, 80:",
          np.round(J[[0, 10, 20, 40, 80]], 4))
    for alpha in (1.0, 30.0):
        J = gradient_ascent(theta, world.P, world.R, start, gamma, alpha=alpha, n_iter=300)
        print(f"start in (0, 0), alpha = {alpha}: J at k = 0, 10, 100, 300:",
              np.round(J[[0, 10, 100, 300]], 4))
    theta2 = theta.copy()
    for _ in range(300):
        theta2 = theta2 + 1.0 * policy_gradient(theta2, world.P, world.R, start, gamma)
    print(f"after 300 steps with alpha = 1: pi(stay | (0, 0)) = {softmax_policy(theta2)[0, 4]:.3f}")
