"""Value function approximation: linear features, TD-linear, the TD fixed point, LSTD, DQN.

Page: rl-basics/value-function-approximation (docs/rl-basics/value-function-approximation.md);
each function names the anchor of the equation it implements. Arrays follow grid_world.py:
P[s, a, s'], R[s, a], pi[s, a]. Features: Phi of shape (S, m), row s is phi(s); a parameter
vector w has shape (m,); d is a distribution over states, shape (S,).
"""

from __future__ import annotations

import numpy as np

from snippets.rl_basics.grid_world import (
    check_distribution_rows,
    check_gamma,
    check_mdp,
    check_policy,
    check_vector,
    PI_1_ARROWS,
    policy_from_arrows,
    sample_from_cdf,
    uniform_policy,
)


# --8<-- [start:example_policy]
def example_policy(epsilon: float = 0.5) -> np.ndarray:
    """pi = (1 - epsilon) pi_1 + epsilon * uniform on the 5x5 grid, shape (25, 5).

    pi_1 is the policy of rl-basics/state-values; mixing in the uniform policy makes
    every state visited, so that d_pi weights all states."""
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must lie in [0, 1], got {epsilon}")
    pi_1 = policy_from_arrows(list(PI_1_ARROWS))
    return (1.0 - epsilon) * pi_1 + epsilon * uniform_policy(pi_1.shape[0])
# --8<-- [end:example_policy]


# ----------------------------------------------------------------------------------------
# Features and the linear value function
# ----------------------------------------------------------------------------------------

def _check_features(Phi) -> np.ndarray:
    # mutant dtype=None is equivalent: numeric input, float arithmetic below
    Phi = np.asarray(Phi, dtype=float)  # pragma: no mutate
    if Phi.ndim != 2 or 0 in Phi.shape or not np.all(np.isfinite(Phi)):
        raise ValueError(f"Phi must be a finite array of shape (S, m), got shape {Phi.shape}")
    return Phi


def _check_full_rank(Phi: np.ndarray) -> None:
    if np.linalg.matrix_rank(Phi) < Phi.shape[1]:
        raise ValueError(f"Phi must have full column rank {Phi.shape[1]}")


def _check_d(d, n_states: int) -> np.ndarray:
    d = check_distribution_rows("d", d, 1)
    if d.shape[0] != n_states:
        raise ValueError(f"d must have shape ({n_states},), got {d.shape}")
    return d


# --8<-- [start:polynomial_features]
def polynomial_features(n_rows: int, n_cols: int, degree: int) -> np.ndarray:
    """phi(s) = all monomials x^i y^j with i + j <= degree (#eq-linear-value).

    x = 2 col / (n_cols - 1) - 1 and y = 2 row / (n_rows - 1) - 1 are the cell
    coordinates scaled to [-1, 1]. Columns: 1, x, y, x^2, xy, y^2, x^3, ... (by total
    degree, then by falling power of x); shape (n_rows n_cols, (p + 1)(p + 2) / 2).
    """
    if int(n_rows) != n_rows or int(n_cols) != n_cols or n_rows < 2 or n_cols < 2:
        raise ValueError(
            f"n_rows and n_cols must be integers >= 2, got {n_rows}, {n_cols}")
    if int(degree) != degree or degree < 0:
        raise ValueError(f"degree must be a non-negative integer, got {degree}")
    row, col = np.divmod(np.arange(n_rows * n_cols), n_cols)
    x = 2.0 * col / (n_cols - 1) - 1.0  # column -> [-1, 1]
    y = 2.0 * row / (n_rows - 1) - 1.0  # row -> [-1, 1] (y grows downwards)
    monomials = [x**i * y ** (k - i)  # x^i y^(k-i), total degree k
                 for k in range(degree + 1) for i in range(k, -1, -1)]
    return np.stack(monomials, axis=1)
# --8<-- [end:polynomial_features]


# --8<-- [start:one_hot_features]
def one_hot_features(n_states: int) -> np.ndarray:
    """phi(s) = e_s, the tabular case: Phi = I, shape (S, S) (#eq-linear-value)."""
    if int(n_states) != n_states or n_states < 1:
        raise ValueError(f"n_states must be a positive integer, got {n_states}")
    return np.eye(int(n_states))
# --8<-- [end:one_hot_features]


# --8<-- [start:linear_value]
def linear_value(Phi, w) -> np.ndarray:
    """v_hat(s, w) = phi(s)^T w for every state: the vector Phi w (#eq-linear-value).

    Phi: (S, m); w: (m,); returns (S,).
    """
    Phi = _check_features(Phi)
    w = check_vector("w", w, Phi.shape[1])
    return Phi @ w
# --8<-- [end:linear_value]


# ----------------------------------------------------------------------------------------
# The objective and the stationary distribution
# ----------------------------------------------------------------------------------------

# --8<-- [start:value_error]
def value_error(w, Phi, v_pi, d) -> float:
    """J(w) = E_{S~d}[(v_pi(S) - phi(S)^T w)^2] = sum_s d(s) (v_pi(s) - phi(s)^T w)^2.

    (#eq-objective) Phi: (S, m); w: (m,); v_pi, d: (S,).
    """
    Phi = _check_features(Phi)
    S = Phi.shape[0]
    w = check_vector("w", w, Phi.shape[1])
    v_pi = check_vector("v_pi", v_pi, S)
    d = _check_d(d, S)
    residual = v_pi - Phi @ w  # v_π(s) − v̂(s, w)
    return float(np.sum(d * residual**2))
# --8<-- [end:value_error]


# --8<-- [start:value_error_gradient]
def value_error_gradient(w, Phi, v_pi, d) -> np.ndarray:
    """grad J(w) = -2 E[(v_pi(S) - phi(S)^T w) phi(S)] = -2 Phi^T D (v_pi - Phi w).

    (#eq-gradient-step) D = diag(d); returns shape (m,).
    """
    Phi = _check_features(Phi)
    S = Phi.shape[0]
    w = check_vector("w", w, Phi.shape[1])
    v_pi = check_vector("v_pi", v_pi, S)
    d = _check_d(d, S)
    return -2.0 * Phi.T @ (d * (v_pi - Phi @ w))
# --8<-- [end:value_error_gradient]


# --8<-- [start:stationary_distribution]
def stationary_distribution(P_pi) -> np.ndarray:
    """The d_pi with d_pi^T P_pi = d_pi^T and sum_s d_pi(s) = 1 (#eq-stationary).

    Solves the S + 1 equations (I - P_pi^T) d = 0, 1^T d = 1 (least squares, exact when
    the solution is unique). P_pi: (S, S) row-stochastic; returns (S,).
    """
    P_pi = check_distribution_rows("P_pi", P_pi, 2)
    # mutant shape[1] is equivalent: a non-square P_pi fails the test below either way
    S = P_pi.shape[0]  # pragma: no mutate
    if P_pi.shape != (S, S):
        raise ValueError(f"P_pi must be square, got shape {P_pi.shape}")
    M = np.vstack([np.eye(S) - P_pi.T, np.ones((1, S))])
    rhs = np.zeros(S + 1)
    rhs[-1] = 1.0
    if np.linalg.matrix_rank(M) < S:
        raise ValueError(
            "P_pi must have a unique stationary distribution (one recurrent class)")
    d, *_ = np.linalg.lstsq(M, rhs)
    return d
# --8<-- [end:stationary_distribution]


# --8<-- [start:sample_trajectories]
def sample_trajectories(P, R, pi, s0, n_steps: int, rng: np.random.Generator):
    """len(s0) independent chains: S_0 = s0, A_t ~ pi(.|S_t), S_{t+1} ~ p(.|S_t, A_t).

    Returns (states, rewards): states (N, n_steps + 1), rewards (N, n_steps) with
    rewards[:, t] = R[S_t, A_t] (the grid world's rewards are deterministic given s, a).
    """
    P, R = check_mdp(P, R)
    S, A = R.shape
    pi = check_policy(pi, S, A)
    s = np.atleast_1d(np.asarray(s0))
    is_int = np.issubdtype(s.dtype, np.integer)
    if s.ndim != 1 or not is_int or np.any((s < 0) | (s >= S)):
        raise ValueError(f"s0 must hold state indices in 0..{S - 1}")
    if int(n_steps) != n_steps or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer, got {n_steps}")
    pi_cdf, P_cdf = np.cumsum(pi, axis=1), np.cumsum(P, axis=2)
    states = np.empty((s.shape[0], n_steps + 1), dtype=int)
    rewards = np.empty((s.shape[0], n_steps))
    states[:, 0] = s
    for t in range(n_steps):
        a = sample_from_cdf(pi_cdf[s], rng)  # A_t ~ π(·|S_t)
        rewards[:, t] = R[s, a]
        s = sample_from_cdf(P_cdf[s, a], rng)  # S_{t+1} ~ p(·|S_t, A_t)
        states[:, t + 1] = s
    return states, rewards
# --8<-- [end:sample_trajectories]


# ----------------------------------------------------------------------------------------
# TD-linear, its fixed point, and what the fixed point is
# ----------------------------------------------------------------------------------------

# --8<-- [start:td_linear_update]
def td_linear_update(w, phi_s, r: float, phi_next, gamma: float,
                     alpha: float) -> np.ndarray:
    """w <- w + alpha [r + gamma phi(s')^T w - phi(s)^T w] phi(s) (#eq-td-linear).

    One semi-gradient step on the transition (s, r, s'); all vectors have shape (m,).
    """
    w = check_vector("w", w)
    phi_s = check_vector("phi_s", phi_s, w.shape[0])
    phi_next = check_vector("phi_next", phi_next, w.shape[0])
    gamma = check_gamma(gamma)
    if not alpha > 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    delta = r + gamma * phi_next @ w - phi_s @ w  # TD error δ_t
    return w + alpha * delta * phi_s
# --8<-- [end:td_linear_update]


# --8<-- [start:td_linear]
def td_linear(Phi, states, rewards, next_states, gamma: float, alpha,
              w0=None) -> np.ndarray:
    """TD-linear over T transitions: w_{t+1} = w_t + a_t delta_t phi(s_t).

    (#eq-td-linear) states, rewards, next_states: shape (T,) for one run, or (K, T) for
    K independent runs done at once (transition t of run k is (s, r, s') = the [k, t]
    entries; along one trajectory next_states[t] = states[t + 1]). alpha: a positive
    number or T step sizes.
    Returns w_T, shape (m,) or (K, m); w0 (same shape) defaults to zeros.
    """
    Phi = _check_features(Phi)
    gamma = check_gamma(gamma)
    states, next_states = np.asarray(states), np.asarray(next_states)
    # mutant dtype=None is equivalent: numeric input, float arithmetic below
    rewards = np.asarray(rewards, dtype=float)  # pragma: no mutate
    if rewards.ndim not in (1, 2) or not np.all(np.isfinite(rewards)):
        raise ValueError(
            f"rewards must be finite with shape (T,) or (K, T), got {rewards.shape}")
    for name, x in (("states", states), ("next_states", next_states)):
        is_int = np.issubdtype(x.dtype, np.integer)
        in_range = np.all((x >= 0) & (x < Phi.shape[0]))
        if x.shape != rewards.shape or not is_int or not in_range:
            raise ValueError(
                f"{name} must hold row indices of Phi, shape {rewards.shape}")
    T = rewards.shape[-1]
    # mutant dtype=None is equivalent: numeric input, float arithmetic below
    alphas = np.broadcast_to(np.asarray(alpha, dtype=float), (T,))  # pragma: no mutate
    if not np.all(alphas > 0):
        raise ValueError("alpha must be positive (a number or T step sizes)")
    shape = rewards.shape[:-1] + (Phi.shape[1],)
    w0 = np.zeros(shape) if w0 is None else w0
    # mutant dtype=None is equivalent: numeric input, float arithmetic below
    w = np.asarray(w0, dtype=float)  # pragma: no mutate
    if w.shape != shape or not np.all(np.isfinite(w)):
        raise ValueError(f"w0 must be finite with shape {shape}, got {w.shape}")
    for t in range(T):
        phi_s, phi_next = Phi[states[..., t]], Phi[next_states[..., t]]
        v_s, v_next = np.sum(phi_s * w, axis=-1), np.sum(phi_next * w, axis=-1)
        delta = rewards[..., t] + gamma * v_next - v_s  # δ_t, one per run
        w = w + alphas[t] * delta[..., None] * phi_s
    return w
# --8<-- [end:td_linear]


def _check_model(Phi, d, P_pi, r_pi):
    Phi = _check_features(Phi)
    S = Phi.shape[0]
    d = _check_d(d, S)
    P_pi = check_distribution_rows("P_pi", P_pi, 2)
    if P_pi.shape != (S, S):
        raise ValueError(f"P_pi must have shape (S, S) = {(S, S)}, got {P_pi.shape}")
    r_pi = check_vector("r_pi", r_pi, S)
    return Phi, d, P_pi, r_pi


# --8<-- [start:td_matrices]
def td_matrices(Phi, d, P_pi, r_pi, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """A = Phi^T D (I - gamma P_pi) Phi and b = Phi^T D r_pi, D = diag(d).

    (#eq-td-fixed-point) The expected TD-linear update at w is b - A w.
    Shapes: A (m, m), b (m,).
    """
    Phi, d, P_pi, r_pi = _check_model(Phi, d, P_pi, r_pi)
    gamma = check_gamma(gamma)
    D = np.diag(d)
    A = Phi.T @ D @ (np.eye(len(d)) - gamma * P_pi) @ Phi
    b = Phi.T @ D @ r_pi
    return A, b
# --8<-- [end:td_matrices]


# --8<-- [start:td_fixed_point]
def td_fixed_point(Phi, d, P_pi, r_pi, gamma: float) -> np.ndarray:
    """w* = A^{-1} b, the parameter where the expected TD-linear update vanishes.

    (#eq-td-fixed-point) A is invertible when Phi has full column rank, d > 0 and d
    is the stationary distribution of P_pi. Returns shape (m,).
    """
    A, b = td_matrices(Phi, d, P_pi, r_pi, gamma)
    _check_full_rank(_check_features(Phi))
    return np.linalg.solve(A, b)
# --8<-- [end:td_fixed_point]


# --8<-- [start:expected_td_iterates]
def expected_td_iterates(A, b, alpha: float, n_iter: int, w0=None) -> np.ndarray:
    """w_{k+1} = w_k + alpha (b - A w_k) (#eq-expected-td).

    Returns all iterates w_0, ..., w_n, shape (n_iter + 1, m).
    """
    b = check_vector("b", b)
    # mutant dtype=None is equivalent: numeric input, float arithmetic below
    A = np.asarray(A, dtype=float)  # pragma: no mutate
    if A.shape != (b.shape[0],) * 2 or not np.all(np.isfinite(A)):
        raise ValueError(
            f"A must be finite with shape {(b.shape[0],) * 2}, got {A.shape}")
    if not alpha > 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    if int(n_iter) != n_iter or n_iter < 0:
        raise ValueError(f"n_iter must be a non-negative integer, got {n_iter}")
    w = np.zeros_like(b) if w0 is None else check_vector("w0", w0, b.shape[0])
    out = [w]
    for _ in range(int(n_iter)):
        w = w + alpha * (b - A @ w)
        out.append(w)
    return np.array(out)
# --8<-- [end:expected_td_iterates]


# --8<-- [start:least_squares_fit]
def d_norm(x, d) -> float:
    """||x||_D = sqrt(sum_s d(s) x(s)^2), the norm of the page's errors."""
    x = check_vector("x", x)
    d = _check_d(d, x.shape[0])
    return float(np.sqrt(np.sum(d * x**2)))


def least_squares_fit(Phi, v, d) -> np.ndarray:
    """argmin_w ||Phi w - v||_D^2 = (Phi^T D Phi)^{-1} Phi^T D v.

    (#eq-projected-bellman) Phi: (S, m); v, d: (S,); returns (m,).
    """
    Phi = _check_features(Phi)
    v = check_vector("v", v, Phi.shape[0])
    d = _check_d(d, Phi.shape[0])
    _check_full_rank(Phi)
    return np.linalg.solve(Phi.T @ (d[:, None] * Phi), Phi.T @ (d * v))


def projection_matrix(Phi, d) -> np.ndarray:
    """Pi = Phi (Phi^T D Phi)^{-1} Phi^T D, so Pi v = Phi least_squares_fit(Phi, v, d).

    Shape (S, S): the D-orthogonal projection onto the span of the features.
    """
    Phi = _check_features(Phi)
    d = _check_d(d, Phi.shape[0])
    _check_full_rank(Phi)
    return Phi @ np.linalg.solve(Phi.T @ (d[:, None] * Phi), Phi.T * d)
# --8<-- [end:least_squares_fit]


# --8<-- [start:td_error_bound]
def td_error_bound(Phi, v_pi, d, gamma: float) -> float:
    """Right side of ||Phi w_TD - v_pi||_D <= ||Pi v_pi - v_pi||_D / sqrt(1 - gamma^2).

    (#eq-td-bound) Valid when d is the stationary distribution of the policy's P_pi.
    """
    gamma = check_gamma(gamma)
    Phi = _check_features(Phi)
    v_pi = check_vector("v_pi", v_pi, Phi.shape[0])
    best = Phi @ least_squares_fit(Phi, v_pi, d)  # Π v_π
    return d_norm(best - v_pi, d) / np.sqrt(1.0 - gamma**2)
# --8<-- [end:td_error_bound]


# --8<-- [start:lstd]
def lstd(phi, rewards, phi_next, gamma: float) -> np.ndarray:
    """LSTD: w = A_hat^{-1} b_hat from n sampled transitions (#eq-lstd).

    A_hat = sum_t phi(s_t) (phi(s_t) - gamma phi(s_{t+1}))^T,
    b_hat = sum_t r_{t+1} phi(s_t).
    phi, phi_next: (n, m) features of s_t and s_{t+1}; rewards: (n,).
    """
    phi = _check_features(phi)
    # mutant dtype=None is equivalent: numeric input, float arithmetic below
    phi_next = np.asarray(phi_next, dtype=float)  # pragma: no mutate
    if phi_next.shape != phi.shape or not np.all(np.isfinite(phi_next)):
        raise ValueError(f"phi_next must be finite with the shape of phi {phi.shape}")
    rewards = check_vector("rewards", rewards, phi.shape[0])
    gamma = check_gamma(gamma)
    A_hat = phi.T @ (phi - gamma * phi_next)
    b_hat = phi.T @ rewards
    if np.linalg.matrix_rank(A_hat) < phi.shape[1]:
        raise ValueError(
            "the samples leave A_hat singular: too few or too similar transitions")
    return np.linalg.solve(A_hat, b_hat)
# --8<-- [end:lstd]


# ----------------------------------------------------------------------------------------
# Action values: Q-learning with function approximation and the DQN loss
# ----------------------------------------------------------------------------------------

# --8<-- [start:q_learning_fa_update]
def q_learning_fa_update(w, phi_sa, r: float, phi_next_all, gamma: float,
                         alpha: float) -> np.ndarray:
    """w <- w + alpha [r + gamma max_a phi(s', a)^T w - phi(s, a)^T w] phi(s, a).

    (#eq-q-learning-fa) phi_sa: (m,) features of (s, a); phi_next_all: (A, m), row a is
    phi(s', a). Returns the new w, shape (m,).
    """
    w = check_vector("w", w)
    phi_sa = check_vector("phi_sa", phi_sa, w.shape[0])
    # mutant dtype=None is equivalent: numeric input, float arithmetic below
    phi_next_all = np.asarray(phi_next_all, dtype=float)  # pragma: no mutate
    m = w.shape[0]
    if phi_next_all.ndim != 2 or phi_next_all.shape[1] != m or 0 in phi_next_all.shape:
        raise ValueError(
            f"phi_next_all must have shape (A, {m}), got {phi_next_all.shape}")
    gamma = check_gamma(gamma)
    if not alpha > 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    target = r + gamma * np.max(phi_next_all @ w)  # r + γ max_a q̂(s', a, w)
    return w + alpha * (target - phi_sa @ w) * phi_sa
# --8<-- [end:q_learning_fa_update]


# --8<-- [start:dqn_loss]
def dqn_loss(q_values, actions, rewards, q_next_target, gamma: float, dones=None):
    """L(w) = mean_i (y_i - q(s_i, a_i; w))^2 with the target held fixed (#eq-dqn-loss):

        y_i = r_i + gamma (1 - done_i) max_a q(s'_i, a; w_T).

    torch tensors: q_values = q(s_i, . ; w), shape (N, A), from the online network;
    q_next_target = q(s'_i, . ; w_T), shape (N, A), from the target network; actions
    (N,) int64; rewards and dones (N,). y is detached, so the gradient reaches w only
    through q(s_i, a_i; w): a semi-gradient. Returns a 0-dim tensor.
    """
    gamma = check_gamma(gamma)
    if q_values.ndim != 2 or q_next_target.shape != q_values.shape:
        raise ValueError(
            "q_values and q_next_target must have the same shape (N, A), got "
            f"{tuple(q_values.shape)} and {tuple(q_next_target.shape)}")
    n, n_actions = q_values.shape
    if tuple(actions.shape) != (n,) or actions.min() < 0 or actions.max() >= n_actions:
        raise ValueError(
            f"actions must hold N = {n} action indices in 0..{n_actions - 1}")
    if tuple(rewards.shape) != (n,):
        raise ValueError(f"rewards must have shape ({n},), got {tuple(rewards.shape)}")
    not_done = 1.0 if dones is None else 1.0 - dones
    if dones is not None and tuple(dones.shape) != (n,):
        raise ValueError(f"dones must have shape ({n},), got {tuple(dones.shape)}")
    q_sa = q_values.gather(1, actions[:, None]).squeeze(1)  # q(s_i, a_i; w)
    y = rewards + gamma * not_done * q_next_target.max(dim=1).values  # TD target
    return ((y.detach() - q_sa) ** 2).mean()
# --8<-- [end:dqn_loss]


if __name__ == "__main__":
    from snippets.rl_basics.grid_world import make_grid_world
    from snippets.rl_basics.state_values import policy_matrices, solve_bellman

    gamma = 0.9
    world = make_grid_world()
    pi = example_policy(0.5)
    r_pi, P_pi = policy_matrices(pi, world.P, world.R)
    v_pi = solve_bellman(r_pi, P_pi, gamma)
    d_pi = stationary_distribution(P_pi)
    np.set_printoptions(precision=3, suppress=True)
    print("d_pi (rows of the grid):\n", d_pi.reshape(5, 5))
    print("v_pi:\n", v_pi.reshape(5, 5))
    print("degree  m   ||Phi w_TD - v||_D  ||Pi v - v||_D  bound   ||Phi w_TD - Pi v||_D")
    for degree in (1, 2, 3, 4):
        Phi = polynomial_features(5, 5, degree)
        w_td = td_fixed_point(Phi, d_pi, P_pi, r_pi, gamma)
        w_ls = least_squares_fit(Phi, v_pi, d_pi)
        e_td = d_norm(Phi @ w_td - v_pi, d_pi)
        e_ls = d_norm(Phi @ w_ls - v_pi, d_pi)
        print(f"{degree:6d} {Phi.shape[1]:3d} {e_td:18.4f} {e_ls:15.4f} "
              f"{td_error_bound(Phi, v_pi, d_pi, gamma):7.4f} "
              f"{d_norm(Phi @ (w_td - w_ls), d_pi):10.4f}")
    Phi = polynomial_features(5, 5, 1)
    A, b = td_matrices(Phi, d_pi, P_pi, r_pi, gamma)
    print("degree 1: A =\n", A, "\nb =", b)
    print("w_TD =", np.linalg.solve(A, b), " w_LS =", least_squares_fit(Phi, v_pi, d_pi))
    print("eigenvalues of A:", np.sort(np.linalg.eigvals(A).real))
    one_hot = one_hot_features(25)
    w = td_fixed_point(one_hot, d_pi, P_pi, r_pi, gamma)
    print("one-hot features: max |w_TD - v_pi| =", np.abs(w - v_pi).max())
