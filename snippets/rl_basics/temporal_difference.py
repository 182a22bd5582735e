"""Temporal-difference learning: TD(0), Sarsa, Expected Sarsa, n-step Sarsa, Q-learning.

Page: rl-basics/temporal-difference (docs/rl-basics/temporal-difference.md); each
function names the anchor of the equation it implements. Arrays follow grid_world.py:
P[s, a, s'], R[s, a] (expected immediate reward), pi[s, a]; v has shape (S,), q (S, A).

The learners see the model only through samples: S_{t+1} ~ P[S_t, A_t] and the reward
R[S_t, A_t] (its expectation, which leaves every value function unchanged). A step
size `alpha` is a number in (0, 1] or a function k -> alpha_k of the visit count
k = 1, 2, ... of the state (TD(0)) or state-action pair (Sarsa, Q-learning) updated.
"""

from __future__ import annotations

import bisect
from typing import Callable

import numpy as np

from snippets.rl_basics.grid_world import (
    check_gamma,
    check_mdp,
    check_policy,
    check_vector,
)

StepSize = float | Callable[[int], float]


def _check_discount(gamma) -> float:
    """A single update is defined for gamma in [0, 1] (gamma = 1 for episodic tasks)."""
    if not np.isscalar(gamma) or not np.isreal(gamma) or not 0.0 <= float(gamma) <= 1.0:
        raise ValueError(f"gamma must be a number in [0, 1], got {gamma!r}")
    return float(gamma)


def _check_alpha(alpha, allow_schedule: bool = False):
    if allow_schedule and callable(alpha):
        return alpha
    if not np.isscalar(alpha) or not np.isreal(alpha) or not 0.0 < float(alpha) <= 1.0:
        want = "a number in (0, 1] or a function k -> alpha_k" if allow_schedule \
            else "a number in (0, 1]"
        raise ValueError(f"alpha must be {want}, got {alpha!r}")
    return float(alpha)


def _check_table(name: str, x, ndim: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != ndim or 0 in x.shape or not np.all(np.isfinite(x)):
        raise ValueError(
            f"{name} must be a finite array with {ndim} axes, got shape {x.shape}")
    return x


def _check_index(name: str, i, n: int) -> int:
    if not isinstance(i, (int, np.integer)) or not 0 <= i < n:
        raise ValueError(f"{name} must be an integer in 0..{n - 1}, got {i!r}")
    return int(i)


# --8<-- [start:td_target]
def td_target(reward: float, v_next: float, gamma: float) -> float:
    """TD target r_{t+1} + gamma v(s_{t+1}) (#eq-td-error); v_next = 0 at a terminal."""
    gamma = _check_discount(gamma)
    return float(reward) + gamma * float(v_next)
# --8<-- [end:td_target]


# --8<-- [start:td_error]
def td_error(v, state: int, reward: float, next_state: int, gamma: float,
             terminal: bool = False) -> float:
    """TD error delta_t = r_{t+1} + gamma v(s_{t+1}) - v(s_t) (#eq-td-error).

    v: shape (S,). With terminal=True, s_{t+1} ends the episode: v(s_{t+1}) counts as 0.
    """
    v = check_vector("v", v)
    state = _check_index("state", state, len(v))
    next_state = _check_index("next_state", next_state, len(v))
    v_next = 0.0 if terminal else v[next_state]
    return td_target(reward, v_next, gamma) - v[state]
# --8<-- [end:td_error]


# --8<-- [start:td_error_expectation]
def td_error_expectation(v, P, R, pi, gamma: float) -> np.ndarray:
    """E[delta_t | S_t = s] for every s, exactly from the model (#eq-td-mean-zero).

    = sum_a pi(a|s) [R(s, a) + gamma sum_{s'} p(s'|s, a) v(s')] - v(s)
    = (r_pi + gamma P_pi v - v)(s): zero for every s exactly when v = v_pi.
    """
    P, R = check_mdp(P, R)
    pi = check_policy(pi, *R.shape)
    v = check_vector("v", v, R.shape[0])
    gamma = check_gamma(gamma)
    expected_target = np.sum(pi * (R + gamma * P @ v), axis=1)  # E[R + γ v(S') | S = s]
    return expected_target - v
# --8<-- [end:td_error_expectation]


# --8<-- [start:td0_update]
def td0_update(v, state: int, reward: float, next_state: int, alpha: float,
               gamma: float, terminal: bool = False) -> np.ndarray:
    """v(s_t) <- v(s_t) - alpha [v(s_t) - (r_{t+1} + gamma v(s_{t+1}))] (#eq-td0).

    Returns a new array; only entry s_t changes. v: shape (S,).
    """
    v = check_vector("v", v).copy()
    alpha = _check_alpha(alpha)
    delta = td_error(v, state, reward, next_state, gamma, terminal)
    # v(s_t) − α [v(s_t) − v̄_t]  =  v(s_t) + α δ_t
    v[state] += alpha * delta
    return v
# --8<-- [end:td0_update]


# --8<-- [start:robbins_monro_mean]
def robbins_monro_mean(samples, alpha: StepSize) -> np.ndarray:
    """Robbins-Monro iterates for g(w) = w - E[X] = 0 (#eq-robbins-monro).

    w_{k+1} = w_k - alpha_k (w_k - x_k), k = 1, 2, ..., from w_1 = 0; alpha is a
    number (constant step) or a function k -> alpha_k. samples: shape (K, ...),
    samples[k - 1] = x_k (trailing axes are independent chains). Returns w_2, ...,
    w_{K+1}, with the shape of samples.
    """
    x = np.asarray(samples, dtype=float)
    if x.ndim == 0 or x.shape[0] == 0 or not np.all(np.isfinite(x)):
        raise ValueError(
            f"samples must be a finite array of shape (K, ...), got {x.shape}")
    alpha = _check_alpha(alpha, allow_schedule=True)
    w = 0.0  # w_1 = 0 (broadcast against the trailing axes of the samples)
    out = np.empty_like(x)
    for k in range(1, len(x) + 1):
        a_k = alpha(k) if callable(alpha) else alpha
        w = w - a_k * (w - x[k - 1])  # w_{k+1} = w_k − α_k g̃(w_k, x_k)
        out[k - 1] = w
    return out
# --8<-- [end:robbins_monro_mean]


# --8<-- [start:action_value_update]
def action_value_update(q, state: int, action: int, target: float,
                        alpha: float) -> np.ndarray:
    """q(s_t, a_t) <- q(s_t, a_t) - alpha [q(s_t, a_t) - target] (#eq-sarsa).

    Shared by Sarsa, Expected Sarsa, n-step Sarsa and Q-learning, which differ only in
    the target. Returns a new array of shape (S, A); only (s_t, a_t) changes.
    """
    q = _check_table("q", q, 2).copy()
    state = _check_index("state", state, q.shape[0])
    action = _check_index("action", action, q.shape[1])
    alpha = _check_alpha(alpha)
    q[state, action] -= alpha * (q[state, action] - float(target))
    return q
# --8<-- [end:action_value_update]


# --8<-- [start:sarsa_target]
def sarsa_target(reward: float, q, next_state: int, next_action: int, gamma: float,
                 terminal: bool = False) -> float:
    """Sarsa target r_{t+1} + gamma q(s_{t+1}, a_{t+1}) (#eq-sarsa).

    After a terminal s_{t+1} (terminal=True) the target is r_{t+1}. q: shape (S, A).
    """
    q = _check_table("q", q, 2)
    next_state = _check_index("next_state", next_state, q.shape[0])
    next_action = _check_index("next_action", next_action, q.shape[1])
    return td_target(reward, 0.0 if terminal else q[next_state, next_action], gamma)
# --8<-- [end:sarsa_target]


# --8<-- [start:expected_sarsa_target]
def expected_sarsa_target(reward: float, q, next_state: int, pi, gamma: float,
                          terminal: bool = False) -> float:
    """r_{t+1} + gamma sum_a pi(a|s_{t+1}) q(s_{t+1}, a) (#eq-expected-sarsa).

    The expectation of the Sarsa target over A_{t+1} ~ pi(.|s_{t+1}). pi: shape (S, A).
    """
    q = _check_table("q", q, 2)
    pi = check_policy(pi, *q.shape)
    next_state = _check_index("next_state", next_state, q.shape[0])
    v_next = 0.0 if terminal else pi[next_state] @ q[next_state]
    return td_target(reward, v_next, gamma)
# --8<-- [end:expected_sarsa_target]


# --8<-- [start:n_step_returns]
def n_step_returns(rewards, values, n: int, gamma: float) -> np.ndarray:
    """n-step returns G_{t:t+n} of one episode, for every t (#eq-n-step-sarsa).

    G_{t:t+n} = sum_{k=0}^{m-1} gamma^k R_{t+k+1} + gamma^m values[t+m],
    m = min(n, T - t). rewards: shape (T,), rewards[t] = R_{t+1}. values: shape (T+1,),
    values[t] = q(S_t, A_t) for t < T; values[T] is 0 if S_T is terminal, else the
    bootstrap q(S_T, A_T) of a truncated episode. n = 1 gives the Sarsa targets;
    n >= T with values[T] = 0 gives the Monte-Carlo returns.
    """
    rewards = check_vector("rewards", rewards)
    T = len(rewards)
    values = check_vector("values", values, T + 1)
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    gamma = _check_discount(gamma)
    G = np.empty(T)
    for t in range(T):
        m = min(n, T - t)  # rewards available before the bootstrap (or the end)
        discounts = gamma ** np.arange(m)
        G[t] = discounts @ rewards[t:t + m] + gamma**m * values[t + m]
    return G
# --8<-- [end:n_step_returns]


# --8<-- [start:q_learning_target]
def q_learning_target(reward: float, q, next_state: int, gamma: float,
                      terminal: bool = False) -> float:
    """Q-learning target r_{t+1} + gamma max_a q(s_{t+1}, a) (#eq-q-learning)."""
    q = _check_table("q", q, 2)
    next_state = _check_index("next_state", next_state, q.shape[0])
    return td_target(reward, 0.0 if terminal else np.max(q[next_state]), gamma)
# --8<-- [end:q_learning_target]


# --8<-- [start:epsilon_greedy]
def epsilon_greedy(q, epsilon: float) -> np.ndarray:
    """pi(a|s) = 1 - epsilon (|A| - 1)/|A| for a = argmax_a q(s, a), else epsilon/|A|.

    Ties go to the lowest action index. q: shape (S, A); returns pi of shape (S, A).
    """
    q = _check_table("q", q, 2)
    if not np.isscalar(epsilon) or not 0.0 <= float(epsilon) <= 1.0:
        raise ValueError(f"epsilon must be a number in [0, 1], got {epsilon!r}")
    S, A = q.shape
    pi = np.full((S, A), epsilon / A)
    pi[np.arange(S), np.argmax(q, axis=1)] += 1.0 - epsilon
    return pi
# --8<-- [end:epsilon_greedy]


# -------------------------------------------------------------------------------------
# Running episodes on a model given as P (S, A, S) and R (S, A).
# -------------------------------------------------------------------------------------

def _draw(cdf_row: list, u: float) -> int:
    """Index i with cdf[i-1] <= u cdf[-1] < cdf[i]: a draw from the row's law."""
    # u is scaled by the last entry (1 up to rounding) so that it never overshoots;
    # mutants `/` for `*` and bisect_left for bisect_right are equivalent (ties have
    # probability 0)
    return bisect.bisect_right(cdf_row, u * cdf_row[-1])  # pragma: no mutate


def _check_run(P, R, gamma, alpha, n_episodes, horizon, start, terminal):
    P, R = check_mdp(P, R)
    S = R.shape[0]
    if terminal is None:
        terminal = np.zeros(S, dtype=bool)
        gamma = check_gamma(gamma)  # a continuing task needs gamma < 1
    else:
        terminal = np.asarray(terminal)
        if terminal.dtype != bool or terminal.shape != (S,) or terminal.all():
            raise ValueError(f"terminal must be a boolean mask of shape ({S},) "
                             "with at least one non-terminal state")
        gamma = _check_discount(gamma)  # episodic: gamma = 1 is allowed
    alpha = _check_alpha(alpha, allow_schedule=True)
    if not isinstance(n_episodes, (int, np.integer)) or n_episodes < 1:
        raise ValueError(f"n_episodes must be a positive integer, got {n_episodes!r}")
    if not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    if start is not None:
        start = _check_index("start", start, S)
        if terminal[start]:
            raise ValueError(f"start must not be a terminal state, got {start}")
    return P, R, gamma, alpha, terminal, start


def _step_size(alpha, count: int) -> float:
    return alpha(count) if callable(alpha) else alpha


# --8<-- [start:td0_episodes]
def td0_episodes(P, R, pi, gamma: float, alpha: StepSize, n_episodes: int, horizon: int,
                 rng: np.random.Generator, *, start: int | None = None, terminal=None,
                 v0=None) -> tuple[np.ndarray, np.ndarray]:
    """TD(0) estimate of v_pi from episodes generated by pi (#eq-td0).

    Each episode starts in `start` (or a uniformly drawn non-terminal state) and runs
    `horizon` steps or until it enters a state of the boolean mask `terminal` (whose
    value is 0). Returns (v, history): v of shape (S,) and history of shape
    (n_episodes + 1, S), the estimate before the first and after every episode.
    """
    P, R, gamma, alpha, terminal, start = _check_run(P, R, gamma, alpha, n_episodes,
                                                     horizon, start, terminal)
    S, A = R.shape
    pi = check_policy(pi, S, A)
    v = np.zeros(S) if v0 is None else check_vector("v0", v0, S).copy()
    v[terminal] = 0.0
    P_cdf, pi_cdf = np.cumsum(P, axis=2).tolist(), np.cumsum(pi, axis=1).tolist()
    starts = np.flatnonzero(~terminal)
    visits = np.zeros(S, dtype=int)
    history = [v.copy()]
    for _ in range(n_episodes):
        s = start if start is not None else int(rng.choice(starts))
        for u_a, u_s in rng.random((horizon, 2)):
            a = _draw(pi_cdf[s], u_a)  # A_t ~ π(·|S_t)
            s_next = _draw(P_cdf[s][a], u_s)  # S_{t+1} ~ p(·|S_t, A_t)
            visits[s] += 1
            target = R[s, a] + gamma * v[s_next]  # v̄_t = r_{t+1} + γ v(s_{t+1})
            v[s] -= _step_size(alpha, visits[s]) * (v[s] - target)
            if terminal[s_next]:
                break
            s = s_next
        history.append(v.copy())
    return v, np.array(history)
# --8<-- [end:td0_episodes]


# --8<-- [start:sarsa_episodes]
def sarsa_episodes(P, R, gamma: float, alpha: StepSize, n_episodes: int, horizon: int,
                   rng: np.random.Generator, *, pi=None, epsilon: float = 0.1,
                   n: int = 1, expected: bool = False, start: int | None = None,
                   terminal=None, q0=None) -> tuple[np.ndarray, np.ndarray]:
    """(n-step, Expected) Sarsa on the model P, R (#eq-sarsa, #eq-n-step-sarsa).

    With a fixed policy pi (shape (S, A)) it estimates q_pi; with pi=None it is the
    control algorithm that acts epsilon-greedily with respect to its current q. The
    target of (S_tau, A_tau) is the n-step return G_{tau:tau+n} bootstrapped with
    q(S_{tau+n}, A_{tau+n}), or with sum_a pi(a|S_{tau+n}) q(S_{tau+n}, a) if
    expected=True; an episode cut by the horizon bootstraps at its last state.
    Returns (q, history), history of shape (n_episodes + 1, S, A).
    """
    P, R, gamma, alpha, terminal, start = _check_run(P, R, gamma, alpha, n_episodes,
                                                     horizon, start, terminal)
    S, A = R.shape
    if pi is not None:
        pi = check_policy(pi, S, A)
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    q = np.zeros((S, A)) if q0 is None else _check_table("q0", q0, 2).copy()
    if q.shape != (S, A):
        raise ValueError(f"q0 must have shape (S, A) = {(S, A)}, got {q.shape}")
    q[terminal] = 0.0
    P_cdf = np.cumsum(P, axis=2).tolist()

    def policy(s: int) -> np.ndarray:
        # the fixed pi, or the ε-greedy policy of the current q
        return pi[s] if pi is not None else epsilon_greedy(q[[s]], epsilon)[0]

    def act(s: int) -> int:
        return _draw(np.cumsum(policy(s)).tolist(), rng.random())

    def bootstrap(s: int, a: int) -> float:
        # q(S, A) for Sarsa, Σ_a π(a|S) q(S, a) for Expected Sarsa, 0 at a terminal
        if terminal[s]:
            return 0.0
        return policy(s) @ q[s] if expected else q[s, a]

    visits = np.zeros((S, A), dtype=int)
    history = [q.copy()]

    def update(tau: int, states: list, actions: list, rewards: list) -> None:
        # G_{τ:τ+m} = R_{τ+1} + γ R_{τ+2} + … + γ^{m−1} R_{τ+m} + γ^m q̄(S_{τ+m})
        G = bootstrap(states[-1], actions[-1])
        for r in reversed(rewards[tau:]):
            G = r + gamma * G
        s, a = states[tau], actions[tau]
        visits[s, a] += 1
        q[s, a] -= _step_size(alpha, visits[s, a]) * (q[s, a] - G)

    starts = np.flatnonzero(~terminal)
    for _ in range(n_episodes):
        s = start if start is not None else int(rng.choice(starts))
        states, actions, rewards = [s], [act(s)], []
        for t in range(horizon):
            s, a = states[t], actions[t]
            rewards.append(R[s, a])
            s_next = _draw(P_cdf[s][a], rng.random())  # S_{t+1} ~ p(·|S_t, A_t)
            states.append(s_next)
            # A_{t+1} ~ π(·|S_{t+1}); after a terminal state a placeholder 0, never used
            # (mutants drawing a real action there only consume a random number)
            actions.append(0 if terminal[s_next] else act(s_next))  # pragma: no mutate
            if t + 1 >= n:  # the n-step return of τ = t + 1 − n is complete
                update(t + 1 - n, states, actions, rewards)
            if terminal[s_next]:
                break
        for tau in range(max(len(rewards) - n + 1, 0), len(rewards)):
            update(tau, states, actions, rewards)  # last n − 1 pairs: shorter returns
        history.append(q.copy())
    return q, np.array(history)
# --8<-- [end:sarsa_episodes]


# --8<-- [start:q_learning_episodes]
def q_learning_episodes(P, R, gamma: float, alpha: StepSize, n_episodes: int,
                        horizon: int, rng: np.random.Generator, *, behaviour=None,
                        start: int | None = None, terminal=None,
                        q0=None) -> tuple[np.ndarray, np.ndarray]:
    """Off-policy Q-learning with a fixed behaviour policy (#eq-q-learning).

    Actions come from `behaviour` (shape (S, A); uniform if None); the target
    r + gamma max_a q(s', a) is that of the greedy policy. Returns (q, history),
    history of shape (n_episodes + 1, S, A).
    """
    P, R, gamma, alpha, terminal, start = _check_run(P, R, gamma, alpha, n_episodes,
                                                     horizon, start, terminal)
    S, A = R.shape
    behaviour = np.full((S, A), 1.0 / A) if behaviour is None else behaviour
    behaviour = check_policy(behaviour, S, A)
    q = np.zeros((S, A)) if q0 is None else _check_table("q0", q0, 2).copy()
    if q.shape != (S, A):
        raise ValueError(f"q0 must have shape (S, A) = {(S, A)}, got {q.shape}")
    q[terminal] = 0.0
    P_cdf, b_cdf = np.cumsum(P, axis=2).tolist(), np.cumsum(behaviour, axis=1).tolist()
    starts = np.flatnonzero(~terminal)
    visits = np.zeros((S, A), dtype=int)
    history = [q.copy()]
    for _ in range(n_episodes):
        s = start if start is not None else int(rng.choice(starts))
        for u_a, u_s in rng.random((horizon, 2)):
            a = _draw(b_cdf[s], u_a)  # A_t ~ behaviour policy
            s_next = _draw(P_cdf[s][a], u_s)
            visits[s, a] += 1
            target = R[s, a] + gamma * q[s_next].max()  # r + γ max_a q(s_{t+1}, a)
            q[s, a] -= _step_size(alpha, visits[s, a]) * (q[s, a] - target)
            if terminal[s_next]:
                break
            s = s_next
        history.append(q.copy())
    return q, np.array(history)
# --8<-- [end:q_learning_episodes]


def random_walk(n_inner: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sutton & Barto's random walk: states 0 and n_inner + 1 terminal, one action.

    From an inner state the walk moves left or right with probability 1/2; entering the
    right end earns 1, everything else 0 (R holds the expectation, 1/2 in the last inner
    state). Returns (P, R, terminal); with gamma = 1, v_pi(k) = k / (n_inner + 1).
    """
    if not isinstance(n_inner, (int, np.integer)) or n_inner < 1:
        raise ValueError(f"n_inner must be a positive integer, got {n_inner!r}")
    S = n_inner + 2
    P = np.zeros((S, 1, S))
    P[0, 0, 0] = P[S - 1, 0, S - 1] = 1.0  # absorbing ends
    for k in range(1, S - 1):
        P[k, 0, k - 1] = P[k, 0, k + 1] = 0.5
    R = np.zeros((S, 1))
    R[S - 2, 0] = 0.5  # E[R] = 1/2 · 1 for the step into the right end
    terminal = np.zeros(S, dtype=bool)
    terminal[[0, S - 1]] = True
    return P, R, terminal


if __name__ == "__main__":
    from snippets.rl_basics.bellman_optimality import solve_boe
    from snippets.rl_basics.grid_world import make_grid_world
    from snippets.rl_basics.state_values import action_values

    P, R, terminal = random_walk()
    print("true random-walk values k/6:       ", np.round(np.arange(1, 6) / 6, 3))
    for name, alpha in (("1/k", lambda k: 1 / k),
                        ("10/(k+10)", lambda k: 10 / (k + 10)), ("0.1", 0.1)):
        v, _ = td0_episodes(P, R, np.ones((7, 1)), 1.0, alpha, 4000, 1000,
                            np.random.default_rng(0), start=3, terminal=terminal)
        print(f"TD(0), 4,000 episodes, alpha={name:9}", np.round(v[1:-1], 3),
              "max error", round(float(np.abs(v[1:-1] - np.arange(1, 6) / 6).max()), 3))
    world = make_grid_world()
    v_star, _ = solve_boe(world.P, world.R, 0.9)
    q_star = action_values(v_star, world.P, world.R, 0.9)
    q, _ = q_learning_episodes(world.P, world.R, 0.9, 0.1, 200, 100,
                               np.random.default_rng(0))
    print("Q-learning on the grid world, 200 episodes of 100 steps, alpha = 0.1:")
    print("  max |q - q*| =", round(float(np.abs(q - q_star).max()), 3))
