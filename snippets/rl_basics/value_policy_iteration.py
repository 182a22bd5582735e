"""Value iteration, policy iteration and truncated policy iteration for any finite MDP.

Page: rl-basics/value-policy-iteration (docs/rl-basics/value-policy-iteration.md); each
function names the anchor of the equation it implements. Arrays follow grid_world.py:
P[s, a, s'] shape (S, A, S), R[s, a] shape (S, A) (expected immediate reward), v shape (S,);
a deterministic policy is an int array of shape (S,) of action indices.

All three algorithms alternate the same two steps, starting from a value vector v_0:
    policy update / improvement   pi_{k+1}(s) = argmax_a q_k(s, a),
                                   q_k(s, a) = R(s, a) + gamma sum_{s'} p(s'|s, a) v_k(s')
    value update / evaluation     v_{k+1} = (T_{pi_{k+1}})^j v_k,  T_pi v = r_pi + gamma P_pi v
with j = 1 (value iteration), j = j_truncate (truncated policy iteration) or j = infinity,
the exact v_{pi_{k+1}} (policy iteration). Ties in the argmax go to the lowest action index
(greedy_policy of bellman_optimality). Every loop is vectorised over states and actions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from snippets.rl_basics.bellman_optimality import greedy_policy
from snippets.rl_basics.grid_world import check_gamma, check_mdp, check_vector
from snippets.rl_basics.state_values import solve_bellman

MAX_ITER = 100_000  # value iteration and truncated policy iteration
MAX_ITER_PI = 1_000  # policy iteration (in practice it needs a handful of steps)


class History(NamedTuple):
    """The iterates of one run: values[k] = v_k, policies[k] = pi_{k+1} (greedy in v_k).

    values and policies have shape (K + 1, S); the last row is what the run returned.
    """

    values: np.ndarray
    policies: np.ndarray


def _check_run(P, R, gamma, tol, max_iter, v0):
    """Validate the common arguments; return P, R, gamma and the initial value vector."""
    P, R = check_mdp(P, R)
    gamma = check_gamma(gamma)
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    if int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter}")
    v = np.zeros(R.shape[0]) if v0 is None else check_vector("v0", v0, R.shape[0])
    return P, R, gamma, v


def check_deterministic_policy(policy, n_states: int, n_actions: int) -> np.ndarray:
    """policy: integer action indices, shape (n_states,), each in 0..n_actions-1."""
    policy = np.asarray(policy)
    if policy.shape != (n_states,) or not np.issubdtype(policy.dtype, np.integer):
        raise ValueError(
            f"policy must be an int array of shape ({n_states},), got {policy.dtype} {policy.shape}")
    if policy.min() < 0 or policy.max() >= n_actions:
        raise ValueError(f"policy must hold action indices in 0..{n_actions - 1}")
    return policy


def _done(q, policy, v, gamma: float, tol: float) -> bool:
    """Stopping rule: ||f(v_k) - v_k||_inf <= (1 - gamma) tol, hence ||v_k - v*||_inf <= tol.

    f(v_k)(s) = max_a q_k(s, a) = q_k(s, pi_{k+1}(s)) is the Bellman optimality operator.
    """
    residual = np.max(np.abs(q[np.arange(len(v)), policy] - v))
    return residual <= (1.0 - gamma) * tol


def _result(v, policy, values, policies, return_history: bool):
    if return_history:
        return v, policy, History(np.array(values), np.array(policies))
    return v, policy


# --8<-- [start:policy_evaluation]
def _evaluate(policy, P, R, gamma: float, j_truncate: int | None, v=None) -> np.ndarray:
    """v_pi of a deterministic policy: exact if j_truncate is None, else j sweeps."""
    states = np.arange(len(policy))
    r_pi = R[states, policy]  # r_π(s) = R(s, π(s))
    P_pi = P[states, policy]  # [P_π]_{ss'} = p(s' | s, π(s)), shape (S, S)
    if j_truncate is None:
        return solve_bellman(r_pi, P_pi, gamma)  # v_π = (I − γ P_π)^{-1} r_π
    for _ in range(j_truncate):
        v = r_pi + gamma * P_pi @ v  # v^{(j+1)} = r_π + γ P_π v^{(j)}
    return v


def policy_evaluation(policy, P, R, gamma: float, j_truncate: int | None = None,
                      v=None) -> np.ndarray:
    """Solve v_pi = r_pi + gamma P_pi v_pi for a policy (S,) (#eq-policy-evaluation).

    j_truncate None: the exact solution. Otherwise j_truncate sweeps
    v <- r_pi + gamma P_pi v starting from v (default 0). policy: int array (S,).
    """
    P, R = check_mdp(P, R)
    policy = check_deterministic_policy(policy, *R.shape)
    gamma = check_gamma(gamma)
    if j_truncate is not None and (int(j_truncate) != j_truncate or j_truncate < 1):
        raise ValueError(
            f"j_truncate must be a positive integer or None, got {j_truncate}")
    v = np.zeros(R.shape[0]) if v is None else check_vector("v", v, R.shape[0])
    return _evaluate(policy, P, R, gamma, j_truncate, v)
# --8<-- [end:policy_evaluation]


# --8<-- [start:value_iteration]
def value_iteration(P, R, gamma: float, tol: float = 1e-10, v0=None,
                    max_iter: int = MAX_ITER, return_history: bool = False):
    """Value iteration v_{k+1} = max_pi (r_pi + gamma P_pi v_k) (#eq-value-iteration).

    Each sweep is the book's two steps: policy update pi_{k+1} = greedy in q_k,
    then value update v_{k+1} = r_{pi_{k+1}} + gamma P_{pi_{k+1}} v_k. Stops when
    ||f(v_k) - v_k||_inf <= (1 - gamma) tol and returns (v_k, pi_{k+1}); then
    ||v_k - v*||_inf <= tol. P: (S, A, S), R: (S, A); returns v (S,), policy (S,).
    """
    P, R, gamma, v = _check_run(P, R, gamma, tol, max_iter, v0)
    S, A = R.shape
    states = np.arange(S)
    P_rows = P.reshape(S * A, S)  # row s·A + a is p(·|s, a): one product per sweep
    values, policies = [], []
    for _ in range(max_iter):
        # q_k(s, a) = R(s, a) + γ Σ_{s'} p(s'|s, a) v_k(s')   (as in action_values)
        q = R + gamma * (P_rows @ v).reshape(S, A)
        # policy update: π_{k+1} = argmax_π (r_π + γ P_π v_k), i.e. greedy in q_k
        policy = greedy_policy(q)
        values.append(v)
        policies.append(policy)
        if _done(q, policy, v, gamma, tol):
            return _result(v, policy, values, policies, return_history)
        # value update: v_{k+1} = r_{π_{k+1}} + γ P_{π_{k+1}} v_k = q_k(s, π_{k+1}(s))
        v = q[states, policy]
    raise RuntimeError(
        f"value_iteration did not reach tol={tol} in {max_iter} iterations")
# --8<-- [end:value_iteration]


# --8<-- [start:policy_iteration]
def policy_iteration(P, R, gamma: float, tol: float = 1e-10, v0=None,
                     max_iter: int = MAX_ITER_PI, return_history: bool = False):
    """Policy iteration: exact evaluation, greedy improvement (#eq-policy-improvement).

    pi_{k+1} = argmax_pi (r_pi + gamma P_pi v_{pi_k}), then v_{pi_{k+1}} solved exactly.
    v0 plays the role of v_{pi_0}: pass policy_evaluation(pi_0, ...) to start from
    pi_0; the default v0 = 0 makes pi_1 the myopic policy argmax_a R(s, a).
    Stops when no state can gain more than (1 - gamma) tol by a one-step change.
    """
    P, R, gamma, v = _check_run(P, R, gamma, tol, max_iter, v0)
    S, A = R.shape
    P_rows = P.reshape(S * A, S)
    values, policies = [], []
    for _ in range(max_iter):
        # q_{π_k}(s, a) = R(s, a) + γ Σ_{s'} p(s'|s, a) v_{π_k}(s')
        q = R + gamma * (P_rows @ v).reshape(S, A)
        # policy improvement: π_{k+1} = argmax_π (r_π + γ P_π v_{π_k})
        policy = greedy_policy(q)
        values.append(v)
        policies.append(policy)
        if _done(q, policy, v, gamma, tol):
            return _result(v, policy, values, policies, return_history)
        # policy evaluation: v_{π_{k+1}} = (I − γ P_{π_{k+1}})^{-1} r_{π_{k+1}}
        v = _evaluate(policy, P, R, gamma, None)
    raise RuntimeError(
        f"policy_iteration did not reach tol={tol} in {max_iter} iterations")
# --8<-- [end:policy_iteration]


# --8<-- [start:truncated_policy_iteration]
def truncated_policy_iteration(P, R, gamma: float, j_truncate: int, tol: float = 1e-10,
                               v0=None, max_iter: int = MAX_ITER,
                               return_history: bool = False):
    """Truncated policy iteration: j_truncate sweeps per evaluation (#eq-truncated-pi).

    pi_{k+1} = greedy in q_k, then v_{k+1} = (T_{pi_{k+1}})^j v_k with
    T_pi v = r_pi + gamma P_pi v, started from v_k (not from 0).
    j_truncate = 1 is value iteration; j_truncate -> infinity is policy iteration.
    """
    P, R, gamma, v = _check_run(P, R, gamma, tol, max_iter, v0)
    if int(j_truncate) != j_truncate or j_truncate < 1:
        raise ValueError(f"j_truncate must be a positive integer, got {j_truncate}")
    S, A = R.shape
    P_rows = P.reshape(S * A, S)
    values, policies = [], []
    for _ in range(max_iter):
        q = R + gamma * (P_rows @ v).reshape(S, A)  # q_k = R + γ P v_k
        policy = greedy_policy(q)  # policy improvement
        values.append(v)
        policies.append(policy)
        if _done(q, policy, v, gamma, tol):
            return _result(v, policy, values, policies, return_history)
        # truncated policy evaluation: j_truncate sweeps of T_{π_{k+1}}, from v_k
        v = _evaluate(policy, P, R, gamma, int(j_truncate), v)
    raise RuntimeError(
        f"truncated_policy_iteration did not reach tol={tol} in {max_iter} iterations")
# --8<-- [end:truncated_policy_iteration]


if __name__ == "__main__":
    from snippets.rl_basics.grid_world import ARROWS, make_grid_world

    world = make_grid_world()
    for name, run in [("value iteration", lambda: value_iteration(
                           world.P, world.R, 0.9, return_history=True)),
                      ("policy iteration", lambda: policy_iteration(
                           world.P, world.R, 0.9, return_history=True)),
                      ("truncated PI, j = 3", lambda: truncated_policy_iteration(
                           world.P, world.R, 0.9, 3, return_history=True))]:
        v, policy, history = run()
        print(f"{name}: {len(history.values) - 1} iterations")
    print("v* (gamma = 0.9):")
    print(np.round(v.reshape(world.n_rows, world.n_cols), 2))
    print("optimal policy:")
    for row in policy.reshape(world.n_rows, world.n_cols):
        print(" ".join(ARROWS[a] for a in row))
