"""Optimal policies and the Bellman optimality equation (BOE).

Page: rl-basics/bellman-optimality (docs/rl-basics/bellman-optimality.md). Arrays follow
grid_world.py: P[s, a, s'], R[s, a]; v has shape (S,), q shape (S, A), a deterministic policy
is an int array of shape (S,) of action indices.
"""

from __future__ import annotations

import numpy as np

from snippets.rl_basics.grid_world import check_gamma, check_mdp, check_vector


# --8<-- [start:greedy_policy]
def greedy_policy(q) -> np.ndarray:
    """pi(s) = argmax_a q(s, a), ties broken towards the lowest action index (#eq-greedy-policy)."""
    q = np.asarray(q, dtype=float)
    if q.ndim != 2 or q.shape[1] == 0 or not np.all(np.isfinite(q)):
        raise ValueError(f"q must be a finite array of shape (S, A), got shape {q.shape}")
    return np.argmax(q, axis=1)
# --8<-- [end:greedy_policy]


# --8<-- [start:boe_operator]
def boe_operator(v, P, R, gamma: float) -> np.ndarray:
    """f(v)(s) = max_a [ R(s, a) + gamma sum_{s'} p(s'|s, a) v(s') ] (#eq-boe-matrix)."""
    P, R = check_mdp(P, R)
    v = check_vector("v", v, R.shape[0])
    gamma = check_gamma(gamma)
    return np.max(R + gamma * P @ v, axis=1)
# --8<-- [end:boe_operator]


# --8<-- [start:solve_boe]
def solve_boe(P, R, gamma: float, tol: float = 1e-10, max_iter: int = 100_000):
    """Solve v = f(v) by iterating the contraction f; returns (v*, greedy policy).

    Stops when gamma ||v_{k+1} - v_k||_inf <= (1 - gamma) tol, so ||v - v*||_inf <= tol.
    """
    P, R = check_mdp(P, R)
    gamma = check_gamma(gamma)
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    v = np.zeros(R.shape[0])
    for _ in range(max_iter):
        v_next = boe_operator(v, P, R, gamma)
        if gamma * np.max(np.abs(v_next - v)) <= (1.0 - gamma) * tol:
            return v_next, greedy_policy(R + gamma * P @ v_next)
        v = v_next
    raise RuntimeError(f"solve_boe did not reach tol={tol} in {max_iter} iterations")
# --8<-- [end:solve_boe]
