"""Actor-critic methods: QAC, baselines and the advantage, A2C, off-policy AC, the DPG.

Page: rl-basics/actor-critic (docs/rl-basics/actor-critic.md). Tabular softmax actor as in
policy_gradient.py: theta has shape (S, A), pi = softmax_policy(theta) has shape (S, A).
Tabular critics: q of shape (S, A) (QAC) or v of shape (S,) (A2C). A baseline b is a number
or an array of shape (S,) (one number per state); weights d is a distribution over states.
"""

from __future__ import annotations

import numpy as np

from snippets.rl_basics.grid_world import (
    check_distribution_rows,
    check_gamma,
    check_mdp,
    check_vector,
)
from snippets.rl_basics.policy_gradient import (
    _check_distribution,
    discounted_visitation,
    grad_log_pi,
    objective,
    softmax_policy,
)
from snippets.rl_basics.state_values import action_values, policy_matrices, solve_bellman


def _check_table(name: str, x, shape: tuple[int, ...]) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.shape != shape or not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be a finite array of shape {shape}, got {x.shape}")
    return x


def _check_index(name: str, i, n: int) -> int:
    if not 0 <= i < n:
        raise ValueError(f"{name} must be in 0..{n - 1}, got {i}")
    return int(i)


def _check_rate(name: str, alpha: float) -> float:
    if not (np.isscalar(alpha) and np.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {alpha!r}")
    return float(alpha)


def _check_weights(name: str, w, n_states: int) -> np.ndarray:
    """Non-negative state weights of shape (S,); they need not sum to 1."""
    # mutant dtype=None is equivalent: the weights only multiply float arrays
    w = np.asarray(w, dtype=float)  # pragma: no mutate
    if w.shape != (n_states,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(
            f"{name} must be finite and non-negative with shape ({n_states},), got {w.shape}")
    return w


def _check_baseline(baseline, n_states: int) -> np.ndarray:
    # mutant dtype=None is equivalent: b is only subtracted from the float q
    b = np.asarray(baseline, dtype=float)  # pragma: no mutate
    if b.ndim > 1 or b.size not in (1, n_states) or not np.all(np.isfinite(b)):
        raise ValueError(
            f"baseline must be a finite number or shape ({n_states},), got {b.shape}")
    return np.broadcast_to(b, (n_states,))


# --8<-- [start:qac_update]
def qac_update(theta, q, s: int, a: int, r: float, s_next: int, a_next: int,
               gamma: float, alpha_theta: float, alpha_w: float):
    """One step of QAC on (s, a, r, s', a') with a' ~ pi(.|s') (#eq-qac).

    critic (Sarsa):  q(s, a) <- q(s, a) + alpha_w [r + gamma q(s', a') - q(s, a)]
    actor:           theta   <- theta + alpha_theta grad ln pi(a|s, theta) q(s, a)
    The actor uses the critic's new value q(s, a). theta, q: shape (S, A);
    returns new arrays.
    """
    pi = softmax_policy(theta)
    S, A = pi.shape
    q = _check_table("q", q, (S, A)).copy()
    s, a = _check_index("s", s, S), _check_index("a", a, A)
    s_next = _check_index("s_next", s_next, S)
    a_next = _check_index("a_next", a_next, A)
    gamma = check_gamma(gamma)
    alpha_theta = _check_rate("alpha_theta", alpha_theta)
    alpha_w = _check_rate("alpha_w", alpha_w)
    # Sarsa's TD error r + γ q(s', a') − q(s, a)
    delta = r + gamma * q[s_next, a_next] - q[s, a]
    q[s, a] += alpha_w * delta
    # θ + α_θ ∇ln π(a|s) q(s, a)
    theta_next = theta + alpha_theta * grad_log_pi(theta, s, a) * q[s, a]
    return theta_next, q
# --8<-- [end:qac_update]


# --8<-- [start:pg_sample]
def pg_sample(theta, q, s: int, a: int, baseline=0.0) -> np.ndarray:
    """One-sample policy-gradient estimate g = grad ln pi(a|s) (q(s, a) - b(s))
    (#eq-baseline-invariance). Shape (S, A); baseline: a number or shape (S,)."""
    S, A = softmax_policy(theta).shape
    q = _check_table("q", q, (S, A))
    b = _check_baseline(baseline, S)
    s, a = _check_index("s", s, S), _check_index("a", a, A)
    return grad_log_pi(theta, s, a) * (q[s, a] - b[s])
# --8<-- [end:pg_sample]


# --8<-- [start:expected_gradient]
def expected_gradient(theta, q, weights, baseline) -> np.ndarray:
    """E[g] = sum_s d(s) sum_a pi(a|s) grad ln pi(a|s) (q(s, a) - b(s)), shape (S, A)
    (#eq-baseline-invariance): an explicit sum over states and actions."""
    pi = softmax_policy(theta)
    S, A = pi.shape
    d = check_distribution_rows("weights", weights, 1)
    if d.shape != (S,):
        raise ValueError(f"weights must have shape ({S},), got {d.shape}")
    total = np.zeros((S, A))
    for s in np.flatnonzero(d):  # the states that carry weight
        for a in range(A):
            # dropping `baseline` here is an equivalent mutant: by the invariance proved
            # above the sum is the same for every b (checked per state via pg_sample)
            g = pg_sample(theta, q, s, a, baseline)  # pragma: no mutate
            total += d[s] * pi[s, a] * g
    return total
# --8<-- [end:expected_gradient]


# --8<-- [start:gradient_variance]
def gradient_variance(theta, q, weights, baseline=0.0) -> float:
    """tr Cov[g] = E||g||^2 - ||E g||^2 over S ~ d, A ~ pi(.|S) (#eq-optimal-baseline).

    g = grad ln pi(A|S) (q(S, A) - b(S)); ||.|| is the Frobenius norm of g.
    """
    pi = softmax_policy(theta)
    S, A = pi.shape
    d = check_distribution_rows("weights", weights, 1)
    if d.shape != (S,):
        raise ValueError(f"weights must have shape ({S},), got {d.shape}")
    second_moment = 0.0
    for s in np.flatnonzero(d):  # the states that carry weight
        for a in range(A):
            g = pg_sample(theta, q, s, a, baseline)
            second_moment += d[s] * pi[s, a] * np.sum(g**2)
    # E[g] does not depend on b (the invariance above): any value here is an equivalent
    # mutant of 0.0
    mean = expected_gradient(theta, q, d, 0.0)  # pragma: no mutate
    return float(second_moment - np.sum(mean**2))
# --8<-- [end:gradient_variance]


# --8<-- [start:optimal_baseline]
def optimal_baseline(theta, q) -> np.ndarray:
    """b*(s) = E[||grad ln pi(A|s)||^2 q(s, A)] / E[||grad ln pi(A|s)||^2], A ~ pi(.|s)
    (#eq-optimal-baseline). Shape (S,). For the softmax, ||grad ln pi(a|s)||^2 =
    ||e_a - pi(.|s)||^2 > 0 unless pi(.|s) puts all its mass on a."""
    pi = softmax_policy(theta)
    S, A = pi.shape
    q = _check_table("q", q, (S, A))
    # ‖∇ln π(a|s)‖² for every (s, a): row s of ∇ln π(a|s) is e_a − π(·|s)
    sq_norm = np.array([[np.sum(grad_log_pi(theta, s, a) ** 2) for a in range(A)]
                        for s in range(S)])
    weight = pi * sq_norm  # π(a|s) ‖∇ln π(a|s)‖²
    return np.sum(weight * q, axis=1) / np.sum(weight, axis=1)
# --8<-- [end:optimal_baseline]


# --8<-- [start:advantage]
def advantage(q, v) -> np.ndarray:
    """A(s, a) = q(s, a) - v(s), shape (S, A) (#eq-advantage)."""
    # mutant dtype=None is equivalent: q - v is float because v is
    q = np.asarray(q, dtype=float)  # pragma: no mutate
    if q.ndim != 2 or not np.all(np.isfinite(q)):
        raise ValueError(f"q must be a finite array of shape (S, A), got {q.shape}")
    v = check_vector("v", v, q.shape[0])
    return q - v[:, None]
# --8<-- [end:advantage]


# --8<-- [start:td_errors]
def td_errors(r, v_s, v_next, gamma: float):
    """delta = r + gamma v(s') - v(s), elementwise over arrays (#eq-td-advantage).

    The vectorised form of temporal_difference.td_error (one transition, v as a
    table)."""
    gamma = check_gamma(gamma)
    # mutants dropping the float dtype are equivalent: gamma * v_next is float already
    arrays = [np.asarray(x, float) for x in (r, v_s, v_next)]  # pragma: no mutate
    r, v_s, v_next = arrays
    if not all(np.all(np.isfinite(x)) for x in (r, v_s, v_next)):
        raise ValueError("r, v_s and v_next must be finite")
    return r + gamma * v_next - v_s
# --8<-- [end:td_errors]


# --8<-- [start:a2c_update]
def a2c_update(theta, v, s: int, a: int, r: float, s_next: int,
               gamma: float, alpha_theta: float, alpha_w: float):
    """One step of advantage actor-critic (A2C) on (s, a, r, s') (#eq-a2c).

    delta  = r + gamma v(s') - v(s)                     (estimate of A(s, a))
    critic: v(s)  <- v(s) + alpha_w delta
    actor:  theta <- theta + alpha_theta delta grad ln pi(a|s, theta)
    Both use the same delta, computed with the old v. theta: (S, A), v: (S,);
    returns new arrays.
    """
    S, A = softmax_policy(theta).shape
    v = check_vector("v", v, S).copy()
    s, a = _check_index("s", s, S), _check_index("a", a, A)
    s_next = _check_index("s_next", s_next, S)
    gamma = check_gamma(gamma)
    alpha_theta = _check_rate("alpha_theta", alpha_theta)
    alpha_w = _check_rate("alpha_w", alpha_w)
    delta = r + gamma * v[s_next] - v[s]  # TD error = advantage estimate
    theta_next = theta + alpha_theta * delta * grad_log_pi(theta, s, a)
    v[s] += alpha_w * delta
    return theta_next, v
# --8<-- [end:a2c_update]


def uniform_start_objective(theta, P, R, gamma: float) -> float:
    """J(theta) = (1/S) sum_s v_pi(s): policy_gradient.objective with a uniform d0."""
    S = np.shape(R)[0]
    return objective(theta, P, R, np.full(S, 1.0 / S), gamma)


# --8<-- [start:run_a2c]
def run_a2c(P, R, gamma: float, theta0, n_steps: int, alpha_theta: float,
            alpha_w: float, rng: np.random.Generator, episode_length: int = 20,
            record_every: int = 100):
    """A2C on the model (P, R) from theta0 with v = 0 (#eq-a2c).

    Episodes start in a uniformly random state and last episode_length steps; the
    reward of a step is R[s, a]. Returns (theta, v, J), where
    J[k] = uniform_start_objective(theta) after k * record_every steps.
    """
    pi0 = softmax_policy(theta0)
    S, A = pi0.shape
    if R.shape != (S, A):
        raise ValueError(f"R must have shape (S, A) = {(S, A)}, got {np.shape(R)}")
    if n_steps < 1 or episode_length < 1 or record_every < 1:
        raise ValueError("n_steps, episode_length and record_every must be positive, "
                         f"got {n_steps}, {episode_length}, {record_every}")
    theta, v = theta0, np.zeros(S)
    J = [uniform_start_objective(theta, P, R, gamma)]
    for t in range(n_steps):
        if t % episode_length == 0:
            s = int(rng.integers(S))  # a new episode
        a = int(rng.choice(A, p=softmax_policy(theta)[s]))  # A_t ~ π(·|S_t)
        s_next = int(rng.choice(S, p=P[s, a]))  # S_{t+1} ~ p(·|S_t, A_t)
        theta, v = a2c_update(theta, v, s, a, R[s, a], s_next, gamma,
                              alpha_theta, alpha_w)
        s = s_next
        if (t + 1) % record_every == 0:
            J.append(uniform_start_objective(theta, P, R, gamma))
    return theta, v, np.array(J)
# --8<-- [end:run_a2c]


# --8<-- [start:importance_weights]
def importance_weights(pi, behavior) -> np.ndarray:
    """rho(s, a) = pi(a|s) / pi_b(a|s), shape (S, A) (#eq-importance-sampling).

    behavior: the behaviour policy pi_b, shape (S, A), rows summing to 1.
    E_{A~pi_b}[rho(s, A) f(A)] = E_{A~pi}[f(A)] needs pi_b(a|s) > 0 wherever
    pi(a|s) > 0; rho is 0 where both are 0.
    """
    pi = check_distribution_rows("pi", pi, 2)
    behavior = check_distribution_rows("behavior", behavior, 2)
    if behavior.shape != pi.shape:
        raise ValueError(f"behavior must have the shape of pi {pi.shape}, "
                         f"got {behavior.shape}")
    if np.any((behavior == 0) & (pi > 0)):
        raise ValueError("behavior must be positive wherever pi is (coverage)")
    return np.divide(pi, behavior, out=np.zeros_like(pi), where=behavior > 0)
# --8<-- [end:importance_weights]


def _values(theta, P, R, gamma: float):
    """pi = softmax(theta), P_pi, v_pi and q_pi of the model (P, R)."""
    P, R = check_mdp(P, R)
    pi = softmax_policy(theta)
    if pi.shape != R.shape:
        raise ValueError(f"theta must have shape (S, A) = {R.shape}, got {pi.shape}")
    r_pi, P_pi = policy_matrices(pi, P, R)
    v = solve_bellman(r_pi, P_pi, gamma)
    return pi, P_pi, v, action_values(v, P, R, gamma)


# --8<-- [start:importance_weighted_gradient]
def importance_weighted_gradient(theta, behavior, q, v, weights) -> np.ndarray:
    """sum_s w(s) E_{A~pi_b}[rho(s, A) grad ln pi(A|s) (q(s, A) - v(s))], shape (S, A)
    (#eq-off-policy-ac), with rho = pi / behavior; weights w >= 0 of shape (S,)."""
    pi = softmax_policy(theta)
    S, A = pi.shape
    rho = importance_weights(pi, behavior)
    w = _check_weights("weights", weights, S)
    total = np.zeros((S, A))
    for s in np.flatnonzero(w):  # the states that carry weight
        for a in range(A):
            # v(s) is a baseline: dropping it is an equivalent mutant (the invariance
            # proved above holds under the importance weights too)
            g = pg_sample(theta, q, s, a, v)  # pragma: no mutate
            total += w[s] * behavior[s, a] * rho[s, a] * g
    return total
# --8<-- [end:importance_weighted_gradient]


# --8<-- [start:off_policy_gradient]
def off_policy_gradient(theta, behavior, P, R, d_behavior, gamma: float) -> np.ndarray:
    """Exact gradient of J(theta) = d_pi_b^T v_pi (#eq-off-policy-ac):

        grad J = sum_s eta(s) E_{A~pi_b}[rho grad ln pi(A|s) (q_pi(s, A) - v_pi(s))],
        eta(s) = sum_s' d_behavior(s') [(I - gamma P_pi)^{-1}]_{s's}.

    d_behavior: a state distribution that does not depend on theta, shape (S,).
    """
    pi, P_pi, v, q = _values(theta, P, R, gamma)
    d_behavior = _check_distribution("d_behavior", d_behavior, len(v))
    # η = d_{π_b}ᵀ (I − γ P_π)⁻¹: the discounted visitation of π started from d_{π_b}
    eta = discounted_visitation(d_behavior, P_pi, gamma)
    return importance_weighted_gradient(theta, behavior, q, v, eta)
# --8<-- [end:off_policy_gradient]


# --8<-- [start:off_pac_gradient]
def off_pac_gradient(theta, behavior, P, R, d_behavior, gamma: float) -> np.ndarray:
    """Degris et al.'s approximate gradient (#eq-off-policy-ac): the states weighted
    by d_behavior itself instead of eta; it leaves out how q_pi changes with theta."""
    pi, P_pi, v, q = _values(theta, P, R, gamma)
    d_behavior = _check_distribution("d_behavior", d_behavior, len(v))
    return importance_weighted_gradient(theta, behavior, q, v, d_behavior)
# --8<-- [end:off_pac_gradient]


# --8<-- [start:off_policy_ac_update]
def off_policy_ac_update(theta, v, behavior, s: int, a: int, r: float, s_next: int,
                         gamma: float, alpha_theta: float, alpha_w: float):
    """Off-policy actor-critic step on (s, a, r, s'), a ~ pi_b(.|s) (#eq-off-policy-ac).

    rho    = pi(a|s, theta) / pi_b(a|s),  delta = r + gamma v(s') - v(s)
    critic: v(s)  <- v(s) + alpha_w rho delta
    actor:  theta <- theta + alpha_theta rho delta grad ln pi(a|s, theta)
    behavior: the behaviour policy, shape (S, A).
    """
    pi = softmax_policy(theta)
    S, A = pi.shape
    rho = importance_weights(pi, behavior)
    s, a = _check_index("s", s, S), _check_index("a", a, A)
    alpha_theta = _check_rate("alpha_theta", alpha_theta)
    alpha_w = _check_rate("alpha_w", alpha_w)
    # ρ multiplies δ in both updates: an A2C step whose step sizes are scaled by ρ
    return a2c_update(theta, v, s, a, r, s_next, gamma,
                      rho[s, a] * alpha_theta, rho[s, a] * alpha_w)
# --8<-- [end:off_policy_ac_update]


# --8<-- [start:deterministic_policy_gradient]
def deterministic_policy_gradient(jac_mu, grad_q, weights) -> np.ndarray:
    """sum_s w(s) [d mu(s)/d theta]^T grad_a q(s, a)|_{a = mu(s)} (#eq-dpg).

    jac_mu: shape (S, m, n), jac_mu[s, i, j] = d mu_i(s) / d theta_j;
    grad_q: shape (S, m), grad_q[s] = grad_a q(s, a) at a = mu(s);
    weights w >= 0: shape (S,); the theorem takes w = eta. Returns shape (n,).
    """
    # mutants dtype=None are equivalent: einsum with the float weights is float
    jac_mu = np.asarray(jac_mu, dtype=float)  # pragma: no mutate
    grad_q = np.asarray(grad_q, dtype=float)  # pragma: no mutate
    if jac_mu.ndim != 3 or grad_q.shape != jac_mu.shape[:2]:
        raise ValueError(f"jac_mu (S, m, n) and grad_q (S, m) must match, got "
                         f"{jac_mu.shape} and {grad_q.shape}")
    w = _check_weights("weights", weights, jac_mu.shape[0])
    # Σ_s w(s) Σ_i ∂μ_i(s)/∂θ_j ∂q/∂a_i; an upper-case mutant of the
    # subscripts is equivalent (einsum accepts both cases)
    return np.einsum("s,sij,si->j", w, jac_mu, grad_q)  # pragma: no mutate
# --8<-- [end:deterministic_policy_gradient]


def _check_dpg_model(phi, H, B, L, K):
    # mutant dtype=None is equivalent: the products below are float for float inputs
    arrays = [np.asarray(x, float) for x in (phi, H, B, L, K)]  # pragma: no mutate
    phi, H, B, L, K = arrays
    if B.ndim != 2 or phi.ndim != 2 or 0 in B.shape or len(phi) == 0:
        raise ValueError(f"phi (S, k) and B (m, k) must be non-empty matrices, got "
                         f"{phi.shape} and {B.shape}")
    (m, k), S = B.shape, len(phi)
    if phi.shape != (S, k) or H.shape != (m, m):
        raise ValueError(f"phi (S, k), H (m, m) and B (m, k) must match, got "
                         f"{phi.shape}, {H.shape} and {B.shape}")
    if not np.allclose(H, H.T, rtol=0, atol=1e-12):
        raise ValueError("H must be symmetric")
    if L.shape != (S, S) or K.shape != (S, S, m):
        raise ValueError(f"L must have shape ({S}, {S}) and K ({S}, {S}, {m}), "
                         f"got {L.shape} and {K.shape}")
    return phi, H, B, L, K


# --8<-- [start:continuous_action_model]
def continuous_action_model(actions, phi, H, B, L, K):
    """Reward and next-state distribution of one action per state (#eq-dpg):

        r(s, a) = -1/2 a^T H a + a^T B phi(s),
        p(s'|s, a) = softmax over s' of L[s, s'] + K[s, s'] . a.

    actions: (S, m), phi: (S, k), H: (m, m) symmetric, B: (m, k), L: (S, S),
    K: (S, S, m). Returns r of shape (S,) and p of shape (S, S), p[s, s'].
    """
    phi, H, B, L, K = _check_dpg_model(phi, H, B, L, K)
    a = _check_table("actions", actions, (len(phi), len(H)))
    r = -0.5 * np.sum((a @ H) * a, axis=1) + np.sum(a * (phi @ B.T), axis=1)
    # the logits L[s, s'] + K[s, s'] · a(s); each row is a softmax over s'
    return r, softmax_policy(L + np.sum(K * a[:, None, :], axis=2))
# --8<-- [end:continuous_action_model]


# --8<-- [start:dpg_theorem]
def dpg_theorem(W, phi, H, B, L, K, d0, gamma: float) -> np.ndarray:
    """grad J(W) of J = d0^T v_mu for mu(s) = W phi(s) on continuous_action_model,
    by the deterministic policy gradient theorem (#eq-dpg):

        grad J = sum_s eta(s) grad_W mu(s) grad_a q_mu(s, a)|_{a = mu(s)},
        eta = d0^T (I - gamma P_mu)^{-1},
        q_mu(s, a) = r(s, a) + gamma sum_s' p(s'|s, a) v_mu(s').

    W: (m, k); d0: start distribution, shape (S,). Returns shape (m, k), like W.
    """
    phi, H, B, L, K = _check_dpg_model(phi, H, B, L, K)
    (m, k), S = B.shape, len(phi)
    W = _check_table("W", W, (m, k))
    mu = phi @ W.T  # μ(s) = W φ(s), shape (S, m)
    r_mu, P_mu = continuous_action_model(mu, phi, H, B, L, K)
    v = solve_bellman(r_mu, P_mu, gamma)  # v_μ
    eta = discounted_visitation(d0, P_mu, gamma)  # η = d0ᵀ (I − γ P_μ)⁻¹
    # ∇_a p(s'|s, a) = p(s'|s, a) (K[s, s'] − Σ_s'' p(s''|s, a) K[s, s''])
    K_mean = np.sum(P_mu[:, :, None] * K, axis=1)
    grad_p = P_mu[:, :, None] * (K - K_mean[:, None, :])
    # ∇_a q_μ(s, a) at a = μ(s): ∇_a r + γ Σ_s' ∇_a p(s'|s, a) v_μ(s')
    grad_q = -mu @ H + phi @ B.T + gamma * np.sum(grad_p * v[None, :, None], axis=1)
    # ∂μ_i/∂W_jl = [i = j] φ_l(s); upper-case subscripts are an equivalent mutant
    jac_mu = np.einsum("ij,sl->sijl", np.eye(m), phi)  # pragma: no mutate
    jac_mu = jac_mu.reshape(S, m, m * k)
    return deterministic_policy_gradient(jac_mu, grad_q, eta).reshape(m, k)
# --8<-- [end:dpg_theorem]


if __name__ == "__main__":
    from snippets.rl_basics.bellman_optimality import solve_boe
    from snippets.rl_basics.grid_world import make_grid_world
    from snippets.rl_basics.state_values import action_values

    world, gamma = make_grid_world(), 0.9
    v_star, pi_star = solve_boe(world.P, world.R, gamma)
    theta = np.eye(world.n_actions)[pi_star]  # softmax leaning towards π*
    pi = softmax_policy(theta)
    v = solve_bellman(*policy_matrices(pi, world.P, world.R), gamma)
    q = action_values(v, world.P, world.R, gamma)
    d = np.full(world.n_states, 1 / world.n_states)
    b_star = optimal_baseline(theta, q)
    print(f"pi(pi*(s)|s) = {pi[0, pi_star[0]]:.4f}, J(theta) = {d @ v:.4f}, "
          f"J(pi*) = {d @ v_star:.4f}")
    variances = {name: gradient_variance(theta, q, d, b)
                 for name, b in (("none", 0.0), ("v_pi", v), ("optimal", b_star))}
    for name, var in variances.items():
        print(f"variance with baseline {name:8s}: {var:.4f}")
    signal = np.linalg.norm(expected_gradient(theta, q, d, 0.0))
    print(f"||E g|| = {signal:.4f}; without a baseline, std {np.sqrt(variances['none']):.2f}, "
          f"std / ||E g|| = "
          f"{np.sqrt(variances['none']) / signal:.1f}; variance ratio v_pi / none = "
          f"1/{variances['none'] / variances['v_pi']:.1f}")
    print("max |b* - v_pi| =", np.round(np.abs(b_star - v).max(), 4))
    s = world.state(4, 0)  # the cell of the page's figure
    one = np.eye(world.n_states)[s]
    print(f"cell (4, 0): b* = {b_star[s]:.4f}, v_pi = {v[s]:.4f}; variance there with "
          + ", ".join(f"{name} {gradient_variance(theta, q, one, b * one):.4f}"
                      for name, b in (("b*", b_star[s]), ("v_pi", v[s]), ("0", 0.0))))
    # off-policy: uniform behaviour policy, d_behavior its stationary distribution
    from snippets.rl_basics.value_function_approximation import stationary_distribution

    behavior = np.full((world.n_states, world.n_actions), 1 / world.n_actions)
    P_behavior = policy_matrices(behavior, world.P, world.R)[1]
    d_behavior = stationary_distribution(P_behavior)
    exact = off_policy_gradient(theta, behavior, world.P, world.R, d_behavior, gamma)
    approx = off_pac_gradient(theta, behavior, world.P, world.R, d_behavior, gamma)
    cos = np.sum(exact * approx) / np.linalg.norm(exact) / np.linalg.norm(approx)
    c = np.sum(exact * approx) / np.sum(approx**2)
    print(f"d_behavior uniform: {np.allclose(d_behavior, 1 / world.n_states)}; ||grad J|| = "
          f"{np.linalg.norm(exact):.4f}, ||d_behavior form|| = {np.linalg.norm(approx):.4f}, "
          f"cosine {cos:.4f} (angle {np.degrees(np.arccos(cos)):.1f} deg), best rescaling "
          f"c = {c:.2f} leaves {np.linalg.norm(exact - c * approx) / np.linalg.norm(exact):.2f}"
          f" of ||grad J||")
    eta = discounted_visitation(d_behavior, policy_matrices(pi, world.P, world.R)[1], gamma)
    print("eta = d_pi_b^T (I - gamma P_pi)^-1 on the grid:\n", np.round(eta.reshape(5, 5), 2))
    theta0 = np.zeros((world.n_states, world.n_actions))
    _, _, J = run_a2c(world.P, world.R, gamma, theta0, 20_000, 0.5, 0.2,
                      np.random.default_rng(0), record_every=2000)
    print("A2C: J every 2,000 steps", np.round(J, 3))
