"""State values, action values and the Bellman equation of a fixed policy.

Page: rl-basics/state-values (docs/rl-basics/state-values.md); each function names the
anchor of the equation it implements. Arrays follow the conventions of grid_world.py:
P[s, a, s'], R[s, a], p_r[s, a, k], pi[s, a]; v has shape (S,), q shape (S, A).
"""

from __future__ import annotations

import numpy as np

from snippets.rl_basics.grid_world import (
    check_distribution_rows,
    check_gamma,
    check_mdp,
    check_policy,
    check_reward_model,
    check_vector,
    sample_from_cdf,
)


# --8<-- [start:discounted_returns]
def discounted_returns(rewards, gamma: float) -> np.ndarray:
    """G_t = R_{t+1} + gamma G_{t+1} for every t of one episode (#eq-discounted-return).

    rewards: shape (T,), rewards[t] = R_{t+1}; the episode ends after T rewards,
    G_T = 0.
    Returns G of shape (T,), G[t] = sum_k gamma^k R_{t+k+1}.
    """
    rewards = check_vector("rewards", rewards)
    gamma = check_gamma(gamma)
    G = np.empty_like(rewards)
    g = 0.0  # G_T = 0
    for t in range(len(rewards) - 1, -1, -1):
        g = rewards[t] + gamma * g  # G_t = R_{t+1} + γ G_{t+1}
        G[t] = g
    return G
# --8<-- [end:discounted_returns]


# --8<-- [start:mc_returns]
def mc_returns(P, R, pi, gamma: float, start_state: int, n_episodes: int, horizon: int,
               rng: np.random.Generator, first_action: int | None = None) -> np.ndarray:
    """Sampled discounted returns G_0 from start_state under pi (#eq-state-value).

    Their mean estimates v_pi(start_state) = E[G_t | S_t = s]; with first_action = a it
    estimates q_pi(s, a) = E[G_t | S_t = s, A_t = a]. Each of the n_episodes runs for
    `horizon` steps, so the truncation bias is at most
    gamma^horizon max|R| / (1 - gamma).
    The reward of a step is its expectation R[s, a], which leaves E[G_0] unchanged.
    """
    P, R = check_mdp(P, R)
    S, A = R.shape
    pi = check_policy(pi, S, A)
    gamma = check_gamma(gamma)
    if not 0 <= start_state < S:
        raise ValueError(f"start_state must be in 0..{S - 1}, got {start_state}")
    if first_action is not None and not 0 <= first_action < A:
        raise ValueError(f"first_action must be in 0..{A - 1}, got {first_action}")
    if n_episodes < 1 or horizon < 1:
        raise ValueError(
            f"n_episodes and horizon must be positive, got {n_episodes}, {horizon}")

    pi_cdf = np.cumsum(pi, axis=1)
    P_cdf = np.cumsum(P, axis=2)
    s = np.full(n_episodes, start_state)
    G = np.zeros(n_episodes)
    discount = 1.0  # γ^t
    for t in range(horizon):
        a = sample_from_cdf(pi_cdf[s], rng)  # A_t ~ π(·|S_t)
        if t == 0 and first_action is not None:
            a = np.full(n_episodes, first_action)
        G += discount * R[s, a]  # γ^t R_{t+1}
        s = sample_from_cdf(P_cdf[s, a], rng)  # S_{t+1} ~ p(·|S_t, A_t)
        discount *= gamma
    return G
# --8<-- [end:mc_returns]


# --8<-- [start:bellman_rhs_elementwise]
def bellman_rhs_elementwise(v, pi, P, reward_values, p_r, gamma: float) -> np.ndarray:
    """Right-hand side of the elementwise Bellman equation (#eq-bellman-elementwise).

    out[s] = sum_a pi(a|s) [ sum_r p(r|s,a) r + gamma sum_{s'} p(s'|s,a) v(s') ],
    written as loops so that every sum of the equation is visible.
    """
    P, reward_values, p_r = check_reward_model(P, reward_values, p_r)
    S, A, _ = P.shape
    pi = check_policy(pi, S, A)
    v = check_vector("v", v, S)
    gamma = check_gamma(gamma)
    out = np.zeros(S)
    for s in range(S):
        for a in range(A):
            immediate = sum(p_r[s, a, k] * reward_values[k]
                            for k in range(len(reward_values)))
            future = sum(P[s, a, s2] * v[s2] for s2 in range(S))
            out[s] += pi[s, a] * (immediate + gamma * future)
    return out
# --8<-- [end:bellman_rhs_elementwise]


# --8<-- [start:policy_matrices]
def policy_matrices(pi, P, R) -> tuple[np.ndarray, np.ndarray]:
    """r_pi and P_pi of the matrix Bellman equation (#eq-bellman-matrix).

    r_pi[s]      = sum_a pi(a|s) R[s, a]          shape (S,)
    P_pi[s, s']  = sum_a pi(a|s) P[s, a, s']      shape (S, S), rows sum to 1
    """
    P, R = check_mdp(P, R)
    pi = check_policy(pi, *R.shape)
    r_pi = np.sum(pi * R, axis=1)  # Σ_a π(a|s) Σ_r p(r|s,a) r
    P_pi = np.sum(pi[:, :, None] * P, axis=1)  # Σ_a π(a|s) p(s'|s,a)
    return r_pi, P_pi
# --8<-- [end:policy_matrices]


def _check_r_P(r_pi, P_pi) -> tuple[np.ndarray, np.ndarray]:
    r_pi = check_vector("r_pi", r_pi)
    P_pi = check_distribution_rows("P_pi", P_pi, 2)
    if P_pi.shape != (r_pi.shape[0],) * 2:
        raise ValueError(
            f"P_pi must have shape (S, S) = {(r_pi.shape[0],) * 2}, got {P_pi.shape}")
    return r_pi, P_pi


# --8<-- [start:bellman_operator]
def bellman_operator(v, r_pi, P_pi, gamma: float) -> np.ndarray:
    """The map v -> r_pi + gamma P_pi v; v_pi is its fixed point
    (#eq-bellman-matrix)."""
    r_pi, P_pi = _check_r_P(r_pi, P_pi)
    v = check_vector("v", v, r_pi.shape[0])
    gamma = check_gamma(gamma)
    return r_pi + gamma * P_pi @ v
# --8<-- [end:bellman_operator]


# --8<-- [start:solve_bellman]
def solve_bellman(r_pi, P_pi, gamma: float) -> np.ndarray:
    """Closed form v_pi = (I - gamma P_pi)^{-1} r_pi (#eq-closed-form).

    Solved as a linear system rather than by forming the inverse.
    """
    r_pi, P_pi = _check_r_P(r_pi, P_pi)
    gamma = check_gamma(gamma)
    identity = np.eye(r_pi.shape[0])
    return np.linalg.solve(identity - gamma * P_pi, r_pi)
# --8<-- [end:solve_bellman]


MAX_ITER = 100_000


# --8<-- [start:iterate_bellman]
def iterate_bellman(r_pi, P_pi, gamma: float, tol: float = 1e-10,
                    max_iter: int = MAX_ITER, v0=None) -> np.ndarray:
    """Iterative solution v_{k+1} = r_pi + gamma P_pi v_k (#eq-iterative).

    Stops at the first k with gamma ||v_{k+1} - v_k||_inf <= (1 - gamma) tol, which
    guarantees ||v_{k+1} - v_pi||_inf <= tol (see the page for the argument).
    """
    r_pi, P_pi = _check_r_P(r_pi, P_pi)
    gamma = check_gamma(gamma)
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter}")
    v = np.zeros_like(r_pi) if v0 is None else check_vector("v0", v0, r_pi.shape[0])
    for _ in range(max_iter):
        v_next = r_pi + gamma * P_pi @ v
        if gamma * np.max(np.abs(v_next - v)) <= (1.0 - gamma) * tol:
            return v_next
        v = v_next
    raise RuntimeError(f"iterate_bellman did not reach tol={tol} "
                       f"in {max_iter} iterations")
# --8<-- [end:iterate_bellman]


def bellman_iterates(r_pi, P_pi, gamma: float, n_iter: int, v0=None) -> np.ndarray:
    """All iterates v_0, ..., v_n of v_{k+1} = r_pi + gamma P_pi v_k, shape (n_iter + 1, S)."""
    r_pi, P_pi = _check_r_P(r_pi, P_pi)
    gamma = check_gamma(gamma)
    if n_iter < 0:
        raise ValueError(f"n_iter must be non-negative, got {n_iter}")
    v = np.zeros_like(r_pi) if v0 is None else check_vector("v0", v0, r_pi.shape[0])
    out = [v]
    for _ in range(n_iter):
        v = r_pi + gamma * P_pi @ v
        out.append(v)
    return np.array(out)


# --8<-- [start:action_values]
def action_values(v, P, R, gamma: float) -> np.ndarray:
    """q_pi(s, a) = sum_r p(r|s,a) r + gamma sum_{s'} p(s'|s,a) v_pi(s')
    (#eq-action-value).

    v: the state values v_pi, shape (S,); returns q of shape (S, A).
    """
    P, R = check_mdp(P, R)
    v = check_vector("v", v, R.shape[0])
    gamma = check_gamma(gamma)
    return R + gamma * P @ v
# --8<-- [end:action_values]


# --8<-- [start:state_value_from_q]
def state_value_from_q(pi, q) -> np.ndarray:
    """v_pi(s) = sum_a pi(a|s) q_pi(s, a) (#eq-v-from-q)."""
    # mutant dtype=None is equivalent: pi * q below is float either way
    q = np.asarray(q, dtype=float)  # pragma: no mutate
    if q.ndim != 2 or not np.all(np.isfinite(q)):
        raise ValueError(f"q must be a finite array of shape (S, A), "
                         f"got shape {q.shape}")
    pi = check_policy(pi, *q.shape)
    return np.sum(pi * q, axis=1)
# --8<-- [end:state_value_from_q]


if __name__ == "__main__":
    from snippets.rl_basics.grid_world import make_grid_world, uniform_policy

    world = make_grid_world()
    pi = uniform_policy(world.n_states)
    r_pi, P_pi = policy_matrices(pi, world.P, world.R)
    v = solve_bellman(r_pi, P_pi, gamma=0.9)
    print("v_pi of the uniform policy (gamma = 0.9):")
    print(np.round(v.reshape(world.n_rows, world.n_cols), 2))
