"""Optimal policies and the Bellman optimality equation (BOE).

Page: rl-basics/bellman-optimality (docs/rl-basics/bellman-optimality.md); each
function names the anchor of the equation it implements. Arrays follow grid_world.py:
P[s, a, s'], R[s, a], p_r[s, a, k]; v has shape (S,), q shape (S, A); a deterministic
policy is an int array of shape (S,) of action indices.
"""

from __future__ import annotations

import numpy as np

from snippets.rl_basics.grid_world import (
    check_gamma,
    check_mdp,
    check_reward_model,
    check_vector,
)


def _check_q(q) -> np.ndarray:
    q = np.asarray(q, dtype=float)
    if q.ndim != 2 or q.shape[1] == 0 or not np.all(np.isfinite(q)):
        raise ValueError(
            f"q must be a finite array of shape (S, A), got shape {q.shape}")
    return q


# --8<-- [start:boe_rhs_elementwise]
def boe_rhs_elementwise(v, P, reward_values, p_r, gamma: float) -> np.ndarray:
    """Right-hand side of the elementwise BOE (#eq-boe-elementwise).

    out[s] = max_pi sum_a pi(a|s) q(s, a) = max_a q(s, a), where
    q(s, a) = sum_r p(r|s,a) r + gamma sum_{s'} p(s'|s,a) v(s').
    Written as loops so that every sum of the equation is visible.
    P: (S, A, S), reward_values: (K,), p_r: (S, A, K), v: (S,).
    """
    P, reward_values, p_r = check_reward_model(P, reward_values, p_r)
    S, A, _ = P.shape
    v = check_vector("v", v, S)
    gamma = check_gamma(gamma)
    K = len(reward_values)
    out = np.empty(S)
    for s in range(S):
        best = -np.inf
        for a in range(A):
            immediate = sum(p_r[s, a, k] * reward_values[k] for k in range(K))
            future = sum(P[s, a, s2] * v[s2] for s2 in range(S))
            # the best distribution pi(.|s) puts all its mass on a largest q(s, a)
            best = max(best, immediate + gamma * future)
        out[s] = best
    return out
# --8<-- [end:boe_rhs_elementwise]


# --8<-- [start:greedy_policy]
def greedy_policy(q) -> np.ndarray:
    """pi(s) = argmax_a q(s, a) (#eq-greedy-policy).

    Ties are broken towards the lowest action index. q: (S, A); returns an int array of
    shape (S,). With q = q* = R + gamma P v* this is an optimal policy pi*.
    """
    q = _check_q(q)
    return np.argmax(q, axis=1)
# --8<-- [end:greedy_policy]


# --8<-- [start:policy_matrix]
def policy_matrix(policy, n_actions: int) -> np.ndarray:
    """pi[s, a] = 1 if a = policy[s] else 0: a deterministic policy as an (S, A) array.

    policy: int array (S,); feeds state_values.policy_matrices (#eq-boe-matrix).
    """
    policy = np.asarray(policy)
    if policy.ndim != 1 or not np.issubdtype(policy.dtype, np.integer):
        raise ValueError(
            f"policy must be a 1-D int array of action indices, got {policy!r}")
    if np.any(policy < 0) or np.any(policy >= n_actions):
        raise ValueError(
            f"policy must hold actions in 0..{n_actions - 1}, got {policy}")
    return np.eye(n_actions)[policy]
# --8<-- [end:policy_matrix]


# --8<-- [start:boe_operator]
def boe_operator(v, P, R, gamma: float) -> np.ndarray:
    """f(v) = max_pi (r_pi + gamma P_pi v) (#eq-boe-matrix).

    Componentwise: f(v)(s) = max_a [ R(s, a) + gamma sum_{s'} p(s'|s, a) v(s') ]; one
    deterministic policy (the greedy one) attains the maximum in every state at once.
    P: (S, A, S), R: (S, A), v: (S,).
    """
    P, R = check_mdp(P, R)
    v = check_vector("v", v, R.shape[0])
    gamma = check_gamma(gamma)
    return np.max(R + gamma * P @ v, axis=1)
# --8<-- [end:boe_operator]


# --8<-- [start:contraction_sides]
def contraction_sides(v1, v2, P, R, gamma: float) -> tuple[float, float]:
    """Both sides of ||f(v1) - f(v2)||_inf <= gamma ||v1 - v2||_inf (#eq-contraction).

    Returns (left, right) for the BOE operator f of the MDP (P, R).
    """
    P, R = check_mdp(P, R)
    v1 = check_vector("v1", v1, R.shape[0])
    v2 = check_vector("v2", v2, R.shape[0])
    gamma = check_gamma(gamma)
    left = np.max(np.abs(boe_operator(v1, P, R, gamma) - boe_operator(v2, P, R, gamma)))
    right = gamma * np.max(np.abs(v1 - v2))
    return float(left), float(right)
# --8<-- [end:contraction_sides]


# --8<-- [start:boe_iterates]
def boe_iterates(P, R, gamma: float, n_iter: int, v0=None) -> np.ndarray:
    """All iterates v_0, ..., v_n of v_{k+1} = f(v_k) (#eq-boe-solution).

    Returns shape (n_iter + 1, S); v0 defaults to zeros.
    """
    P, R = check_mdp(P, R)
    gamma = check_gamma(gamma)
    if n_iter < 0:
        raise ValueError(f"n_iter must be non-negative, got {n_iter}")
    v = np.zeros(R.shape[0]) if v0 is None else check_vector("v0", v0, R.shape[0])
    out = [v]
    for _ in range(n_iter):
        v = boe_operator(v, P, R, gamma)  # v_{k+1} = max_π (r_π + γ P_π v_k)
        out.append(v)
    return np.array(out)
# --8<-- [end:boe_iterates]


MAX_ITER = 100_000


# --8<-- [start:solve_boe]
def solve_boe(P, R, gamma: float, tol: float = 1e-10, max_iter: int = MAX_ITER,
              v0=None):
    """Solve v = f(v) by iterating the contraction f; returns (v*, greedy policy pi*).

    (#eq-boe-solution) Stops at the first k with
    gamma ||v_{k+1} - v_k||_inf <= (1 - gamma) tol, which guarantees
    ||v_{k+1} - v*||_inf <= tol. P: (S, A, S), R: (S, A); returns v* of shape (S,) and
    pi* = argmax_a [R + gamma P v*] as an int array of shape (S,).
    """
    P, R = check_mdp(P, R)
    gamma = check_gamma(gamma)
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter}")
    v = np.zeros(R.shape[0]) if v0 is None else check_vector("v0", v0, R.shape[0])
    for _ in range(max_iter):
        v_next = boe_operator(v, P, R, gamma)
        # ||v_{k+1} − v*||∞ ≤ γ/(1 − γ) ||v_{k+1} − v_k||∞
        if gamma * np.max(np.abs(v_next - v)) <= (1.0 - gamma) * tol:
            return v_next, greedy_policy(R + gamma * P @ v_next)
        v = v_next
    raise RuntimeError(f"solve_boe did not reach tol={tol} in {max_iter} iterations")
# --8<-- [end:solve_boe]


# --8<-- [start:affine_reward_values]
def affine_reward_values(v_star, c1: float, c2: float, gamma: float) -> np.ndarray:
    """v* after every reward r becomes c1 r + c2, c1 > 0 (#eq-affine-reward).

    v*' = c1 v* + c2 / (1 - gamma) 1; the optimal policies do not change.
    v_star: (S,).
    """
    v_star = check_vector("v_star", v_star)
    gamma = check_gamma(gamma)
    if not (np.isscalar(c1) and np.isfinite(c1) and c1 > 0):
        raise ValueError(f"c1 must be a positive number, got {c1!r}")
    if not (np.isscalar(c2) and np.isfinite(c2)):
        raise ValueError(f"c2 must be a finite number, got {c2!r}")
    return c1 * v_star + c2 / (1.0 - gamma)
# --8<-- [end:affine_reward_values]


# --8<-- [start:break_even_penalty]
def break_even_penalty(gamma: float, n_detour: int, r_target: float = 1.0) -> float:
    """Break-even r_forbidden between crossing a forbidden cell and a detour.

    (#eq-discount-effect)

    Crossing: r_forbidden now, then the target's neighbour, then the target for ever:
        q_cross = r_forbidden + gamma r_target / (1 - gamma).
    Detour: n_detour moves with reward 0, the last one entering the target:
        q_detour = gamma^(n_detour - 1) r_target / (1 - gamma).
    They are equal at
        r_forbidden = -r_target (gamma - gamma^(n_detour - 1)) / (1 - gamma);
    a larger r_forbidden (a milder penalty) makes crossing optimal.
    """
    gamma = check_gamma(gamma)
    if int(n_detour) != n_detour or n_detour < 2:
        raise ValueError(f"n_detour must be an integer >= 2, got {n_detour!r}")
    if not (np.isscalar(r_target) and np.isfinite(r_target) and r_target > 0):
        raise ValueError(f"r_target must be a positive number, got {r_target!r}")
    # q_cross − q_detour = r_forbidden + (γ − γ^(n−1)) r_target / (1 − γ) = 0
    return -r_target * (gamma - gamma ** (n_detour - 1)) / (1.0 - gamma)
# --8<-- [end:break_even_penalty]


if __name__ == "__main__":
    from snippets.rl_basics.grid_world import ARROWS, make_grid_world

    np.set_printoptions(precision=2, suppress=True)
    for gamma, r_forbidden in ((0.9, -1.0), (0.9, -10.0), (0.5, -1.0)):
        world = make_grid_world(r_forbidden=r_forbidden)
        v_star, pi_star = solve_boe(world.P, world.R, gamma)
        print(f"gamma = {gamma}, r_forbidden = {r_forbidden}: v* and pi*")
        print(v_star.reshape(world.n_rows, world.n_cols))
        for row in pi_star.reshape(world.n_rows, world.n_cols):
            print(" ".join(ARROWS[a] for a in row))
    # every reward r -> r + 1 (c1 = 1, c2 = 1): v* shifts by 1 / (1 - 0.9) = 10
    world = make_grid_world()
    shifted = make_grid_world(r_boundary=0.0, r_forbidden=0.0, r_target=2.0,
                              r_other=1.0)
    v_star, pi_star = solve_boe(world.P, world.R, 0.9)
    v_shift, pi_shift = solve_boe(shifted.P, shifted.R, 0.9)
    predicted = affine_reward_values(v_star, 1.0, 1.0, 0.9)
    print(f"rewards + 1: v*(0, 0) goes from {v_star[0]:.4f} to {v_shift[0]:.4f}, "
          f"predicted {predicted[0]:.4f}")
    print("same policy:", bool(np.all(pi_star == pi_shift)))
    # cell (2, 1): cross the forbidden cell (2, 2), or take the 14-move detour around
    for gamma in (0.9, 0.5):
        print(f"gamma = {gamma}: crossing pays off while r_forbidden > "
              f"{break_even_penalty(gamma, 14):.5f}")
