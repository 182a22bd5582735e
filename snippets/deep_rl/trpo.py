"""Trust region policy optimization (TRPO) on a tabular softmax policy, end to end.

Page: deep-rl/trpo (docs/deep-rl/trpo.md); each function names the anchor of the
equation it implements. Arrays follow rl_basics: P[s, a, s'] shape (S, A, S), R[s, a]
shape (S, A), pi[s, a] shape (S, A), d0 and rho of shape (S,). theta has shape (S, A)
and pi(a|s) = softmax(theta[s])[a]. J(pi) = d0^T v_pi is the performance (the paper's
eta(pi));
rho_pi(s) = sum_t gamma^t Pr(S_t = s) is the unnormalised discounted visitation (the
eta(s) of rl-basics/policy-gradient). The page's letters: s is a state only, a step is
Delta theta = theta - theta_old (the paper's s), A_max = max |A| (the paper's eps),
alpha a step size, lambda the Lagrange multiplier, zeta the damping, u_k the CG residual,
c_k the CG coefficient and nu_j = b^j the line search's fraction of the full step. The model quantities are numpy;
everything that is differentiated (surrogate, KL, Fisher-vector products) is torch float64.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from snippets.rl_basics.grid_world import check_gamma, check_mdp, check_policy
from snippets.rl_basics.policy_gradient import discounted_visitation, softmax_policy
from snippets.rl_basics.state_values import (
    action_values,
    policy_matrices,
    solve_bellman,
)

Tensor = torch.Tensor


def _check_positive(name: str, x) -> float:
    if not (np.isscalar(x) and np.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {x!r}")
    return float(x)


def _check_d0(d0, n_states: int) -> np.ndarray:
    d0 = np.asarray(d0)
    if d0.shape != (n_states,) or np.any(d0 < 0) or not np.isclose(d0.sum(), 1.0):
        raise ValueError(f"d0 must be a distribution of shape ({n_states},)")
    return d0


def _check_theta(name: str, theta) -> Tensor:
    theta = torch.as_tensor(theta, dtype=torch.float64)
    if theta.ndim != 2 or 0 in theta.shape or not bool(torch.isfinite(theta).all()):
        raise ValueError(
            f"{name} must be a finite tensor of shape (S, A), got {tuple(theta.shape)}")
    return theta


def random_mdp(n_states: int, n_actions: int, rng: np.random.Generator):
    """A dense random MDP: P[s, a] ~ Dirichlet(1), R[s, a] ~ N(0, 1). Returns (P, R)."""
    if n_states < 1 or n_actions < 1:
        raise ValueError(
            f"n_states and n_actions must be >= 1, got {n_states}, {n_actions}")
    P = rng.dirichlet(np.ones(n_states), size=(n_states, n_actions))
    R = rng.normal(size=(n_states, n_actions))
    return P, R


def performance(pi, P, R, d0, gamma: float) -> float:
    """J(pi) = d0^T v_pi, v_pi = (I - gamma P_pi)^{-1} r_pi (the paper's eta(pi))."""
    P, R = check_mdp(P, R)
    pi = check_policy(pi, *R.shape)
    d0 = _check_d0(d0, R.shape[0])
    return float(d0 @ solve_bellman(*policy_matrices(pi, P, R), gamma))


def old_policy_stats(pi_old, P, R, d0, gamma: float):
    """Exact (model-based) ingredients of a TRPO update at pi_old.

    Returns (rho, A, J): rho[s] = sum_t gamma^t Pr(S_t = s) under pi_old, shape (S,);
    A[s, a] = q_pi_old(s, a) - v_pi_old(s), shape (S, A); J = d0^T v_pi_old.
    """
    P, R = check_mdp(P, R)
    pi_old = check_policy(pi_old, *R.shape)
    d0 = _check_d0(d0, R.shape[0])
    gamma = check_gamma(gamma)
    r_pi, P_pi = policy_matrices(pi_old, P, R)
    v = solve_bellman(r_pi, P_pi, gamma)
    adv = action_values(v, P, R, gamma) - v[:, None]
    return discounted_visitation(d0, P_pi, gamma), adv, float(d0 @ v)


# --8<-- [start:gradient_ascent_step]
def gradient_ascent_step(theta, grad, alpha: float) -> np.ndarray:
    """theta_{k+1} = theta_k + alpha grad J(theta_k) (#eq-gradient-ascent).

    theta, grad: arrays of the same shape; alpha > 0 is the step size (learning rate).
    """
    theta = np.asarray(theta)
    grad = np.asarray(grad, dtype=float)  # θ + α ∇J is then float64 as well
    if grad.shape != theta.shape:
        raise ValueError(
            f"grad must have the shape of theta {theta.shape}, got {grad.shape}")
    alpha = _check_positive("alpha", alpha)
    # θ + α ∇J(θ)
    return theta + alpha * grad
# --8<-- [end:gradient_ascent_step]


# --8<-- [start:performance_difference]
def performance_difference(pi_new, pi_old, P, R, d0, gamma: float) -> float:
    """Performance difference lemma, visitation form (#eq-performance-difference):

        J(pi_new) - J(pi_old) = sum_s rho_new(s) sum_a pi_new(a|s) A_old(s, a).

    pi_new, pi_old: shape (S, A); rho_new is the discounted visitation of pi_new.
    """
    P, R = check_mdp(P, R)
    pi_new = check_policy(pi_new, *R.shape)
    d0 = _check_d0(d0, R.shape[0])
    _, adv_old, _ = old_policy_stats(pi_old, P, R, d0, gamma)
    # ρ_π_new(s) = Σ_t γ^t Pr(S_t = s | π_new)
    rho_new = discounted_visitation(d0, policy_matrices(pi_new, P, R)[1], gamma)
    # Σ_s ρ_π_new(s) Σ_a π_new(a|s) A_π(s, a)
    return float(rho_new @ np.sum(pi_new * adv_old, axis=1))
# --8<-- [end:performance_difference]


def log_softmax_policy(theta: Tensor) -> Tensor:
    """log pi(a|s) = theta[s, a] - log sum_b exp(theta[s, b]), torch, shape (S, A)."""
    return theta - torch.logsumexp(theta, dim=1, keepdim=True)


# --8<-- [start:surrogate]
def surrogate(theta, pi_old, rho_old, adv_old) -> Tensor:
    """L_old(pi_theta) - J(pi_old) = sum_s rho_old(s) sum_a pi_theta(a|s) A_old(s, a).

    (#eq-surrogate): the surrogate without its constant J(pi_old), which changes neither
    its gradient nor the line search's comparison; written with the ratio
    pi_theta / pi_old as in the sampled form.
    theta: torch (S, A) (may require grad); pi_old, adv_old: (S, A); rho_old: (S,).
    """
    theta = _check_theta("theta", theta)
    S, A = theta.shape
    pi_old = torch.as_tensor(check_policy(pi_old, S, A))
    rho_old = torch.as_tensor(rho_old, dtype=torch.float64)
    if rho_old.shape != (S,) or not bool(torch.isfinite(rho_old).all()) or bool(
            (rho_old < 0).any()):
        raise ValueError(f"rho_old must be finite and non-negative with shape ({S},)")
    adv_old = torch.as_tensor(adv_old, dtype=torch.float64)
    if adv_old.shape != (S, A) or not bool(torch.isfinite(adv_old).all()):
        raise ValueError(
            f"adv_old must be finite with shape ({S}, {A}), got {tuple(adv_old.shape)}")
    # r(θ) = π_θ(a|s) / π_old(a|s)
    ratio = torch.exp(log_softmax_policy(theta)) / pi_old
    # Σ_s ρ_old(s) Σ_a π_old(a|s) r(θ) A_old(s, a)
    return (rho_old[:, None] * pi_old * ratio * adv_old).sum()
# --8<-- [end:surrogate]


# --8<-- [start:kl_lower_bound]
def kl_lower_bound(pi_new, pi_old, P, R, d0, gamma: float) -> tuple[float, float]:
    """Eq. (9) of Schulman et al. (2015), the KL form of their Theorem 1 (#eq-kl-bound):

        J(pi_new) >= L_old(pi_new) - C max_s KL(pi_old(.|s) || pi_new(.|s)),
        C = 4 A_max gamma / (1 - gamma)^2,  A_max = max_{s,a} |A_old(s, a)|.

    Returns (L_old(pi_new), C * KL_max); the bound is their difference.
    """
    P, R = check_mdp(P, R)
    pi_new = check_policy(pi_new, *R.shape)
    pi_old = check_policy(pi_old, *R.shape)
    rho, adv, J_old = old_policy_stats(pi_old, P, R, d0, gamma)
    # L_π(π_new) = J(π) + Σ_s ρ_π(s) Σ_a π_new(a|s) A_π(s, a)
    L = J_old + float(rho @ np.sum(pi_new * adv, axis=1))
    # C = 4 ε γ / (1 − γ)², ε = max |A_π|
    C = 4 * np.abs(adv).max() * gamma / (1 - gamma) ** 2
    # max_s KL(π(·|s) ‖ π_new(·|s))
    kl_max = np.max(np.sum(pi_old * (np.log(pi_old) - np.log(pi_new)), axis=1))
    return L, float(C * kl_max)
# --8<-- [end:kl_lower_bound]


# --8<-- [start:mean_kl]
def mean_kl(theta, pi_old, state_weights) -> Tensor:
    """KL_bar(theta) = sum_s rho_bar(s) KL(pi_old(.|s) || pi_theta(.|s))
    (#eq-trust-region).

    theta: torch (S, A); pi_old: (S, A), strictly positive; state_weights rho_bar: (S,),
    a distribution over states (TRPO uses the normalised visitation
    rho_bar_old = (1 - gamma) rho_old).
    """
    theta = _check_theta("theta", theta)
    S, A = theta.shape
    pi_old = torch.as_tensor(check_policy(pi_old, S, A))
    if bool((pi_old <= 0).any()):
        raise ValueError("pi_old must be strictly positive (KL to a zero probability)")
    weights = torch.as_tensor(state_weights, dtype=torch.float64)
    if (weights.shape != (S,) or bool((weights < 0).any())
            or not np.isclose(float(weights.sum()), 1.0)):
        raise ValueError(f"state_weights must be a distribution of shape ({S},)")
    # KL(π_old(·|s) ‖ π_θ(·|s)) = Σ_a π_old (log π_old − log π_θ)
    kl = (pi_old * (torch.log(pi_old) - log_softmax_policy(theta))).sum(dim=1)
    # Σ_s ρ̄(s) KL_s
    return (weights * kl).sum()
# --8<-- [end:mean_kl]


# --8<-- [start:fisher_vector_product]
def fisher_vector_product(kl_fn: Callable[[Tensor], Tensor], theta, v,
                          damping: float = 0.0) -> Tensor:
    """F v = d/dtheta [ (d KL_bar / dtheta) . v ] at theta = theta_old (#eq-fvp).

    Double backprop: the Hessian of the mean KL at theta_old is the Fisher matrix F,
    so F v costs two backward passes and F is never formed. kl_fn(theta) -> scalar;
    theta: torch tensor (the old parameters); v: flat, theta.numel() entries.
    Returns (F + damping I) v, flat, float64 (the page's damping zeta).
    """
    theta = torch.as_tensor(theta, dtype=torch.float64).detach().requires_grad_(True)
    v = torch.as_tensor(v, dtype=torch.float64)
    if v.shape != (theta.numel(),) or not bool(torch.isfinite(v).all()):
        raise ValueError(
            f"v must be finite and flat with {theta.numel()} entries, "
            f"got shape {tuple(v.shape)}")
    if not (np.isfinite(damping) and damping >= 0):
        raise ValueError(f"damping must be a finite number >= 0, got {damping!r}")
    # ∇_θ KL, kept in the graph for the second derivative
    (grad,) = torch.autograd.grad(kl_fn(theta), theta, create_graph=True)
    # ∇_θ (∇_θ KL · v) = H_KL v = F v
    (fv,) = torch.autograd.grad(grad.reshape(-1) @ v, theta)
    return fv.reshape(-1) + damping * v
# --8<-- [end:fisher_vector_product]


# --8<-- [start:conjugate_gradient]
def conjugate_gradient(matvec: Callable, b, iters: int = 10, tol: float = 1e-10):
    """Solve A x = b, A symmetric positive (semi)definite, given x -> A x (#eq-cg).

    b: 1-D numpy array or torch tensor (x has the same type); matvec maps such a vector
    to A times it. Stops after `iters` steps or when the residual u^T u < tol. In exact
    arithmetic CG ends in at most n steps (rank A steps when b lies in the range of A).
    """
    if not callable(matvec):
        raise ValueError("matvec must be callable: x -> A x")
    if getattr(b, "ndim", None) != 1 or b.shape[0] == 0:
        raise ValueError("b must be a non-empty 1-D numpy array or torch tensor")
    if not bool((b == b).all() and (abs(b) < np.inf).all()):
        raise ValueError("b must be finite (a NaN or an infinity in b)")
    if not (isinstance(iters, (int, np.integer)) and iters >= 1):
        raise ValueError(f"iters must be an integer >= 1, got {iters!r}")
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    x = b * 0.0  # x_0 = 0
    u = b  # u_0 = b − A x_0 = b, the residual (no update below is in place)
    p = u  # p_0 = u_0
    uu = u @ u
    for _ in range(iters):
        if uu < tol:
            break
        Ap = matvec(p)
        pAp = p @ Ap
        if not pAp > 0:
            raise ValueError("matvec must be positive definite along p (p^T A p > 0), "
                             f"got p^T A p = {float(pAp):.4g}")
        # α_k = u_kᵀ u_k / p_kᵀ A p_k
        alpha = uu / pAp
        # x_{k+1} = x_k + α_k p_k,  u_{k+1} = u_k − α_k A p_k
        x = x + alpha * p
        u = u - alpha * Ap
        uu_new = u @ u
        # p_{k+1} = u_{k+1} + (u_{k+1}ᵀ u_{k+1} / u_kᵀ u_k) p_k
        p = u + (uu_new / uu) * p
        uu = uu_new
    return x
# --8<-- [end:conjugate_gradient]


def _check_step_inputs(g, cg_iters) -> None:
    """natural_step's own names for what conjugate_gradient would call b and iters."""
    if getattr(g, "ndim", None) != 1 or g.shape[0] == 0:
        raise ValueError("g must be a non-empty 1-D numpy array or torch tensor")
    if not bool((g == g).all() and (abs(g) < np.inf).all()):
        raise ValueError("g must be finite (a NaN or an infinity in g)")
    if not (isinstance(cg_iters, (int, np.integer)) and cg_iters >= 1):
        raise ValueError(f"cg_iters must be an integer >= 1, got {cg_iters!r}")


# --8<-- [start:natural_step]
def natural_step(g, matvec: Callable, delta: float, cg_iters: int = 10):
    """Full TRPO step Delta theta = sqrt(2 delta / x^T F x) x, x = F^{-1} g
    (#eq-natural-step).

    x = F^{-1} g by CG; x^T F x = g^T F^{-1} g when CG has converged, and using x^T F x
    makes the quadratic model of the KL, 1/2 Delta theta^T F Delta theta, equal delta
    exactly.
    g: flat gradient of the surrogate.
    Returns the zero step when g^T g < 1e-10 (CG's tol: a stationary point).
    """
    delta = _check_positive("delta", delta)
    _check_step_inputs(g, cg_iters)
    # x ≈ F⁻¹ g
    x = conjugate_gradient(matvec, g, iters=cg_iters)
    xFx = x @ matvec(x)
    if not xFx > 0:  # CG stopped at once with x = 0 (g ≈ 0): a stationary point
        return x  # the zero step
    # Δθ = √(2δ / xᵀ F x) x
    return (2 * delta / xFx) ** 0.5 * x
# --8<-- [end:natural_step]


# --8<-- [start:line_search]
def line_search(surrogate_fn: Callable, kl_fn: Callable, theta_old, step, delta: float,
                backtrack: float = 0.5, max_backtracks: int = 10):
    """Backtracking line search of TRPO (#eq-line-search).

    Tries theta_old + nu_j * step, nu_j = backtrack^j (the page's b^j), for
    j = 0, 1, ..., max_backtracks - 1 and accepts the first one whose surrogate improves
    on theta_old and whose exact mean KL <= delta. step is the full step Delta theta.
    Returns (theta_new, fraction nu_j); (theta_old, 0.0) when none passes.
    """
    theta_old = torch.as_tensor(theta_old, dtype=torch.float64)
    step = torch.as_tensor(step, dtype=torch.float64)
    if not bool(torch.isfinite(theta_old).all()):
        raise ValueError("theta_old must be finite")
    if step.shape != theta_old.shape or not bool(torch.isfinite(step).all()):
        raise ValueError(
            f"step must be finite with the shape of theta_old {tuple(theta_old.shape)}")
    delta = _check_positive("delta", delta)
    if not 0 < backtrack < 1:
        raise ValueError(f"backtrack must be in (0, 1), got {backtrack!r}")
    if not (isinstance(max_backtracks, (int, np.integer)) and max_backtracks >= 1):
        raise ValueError(
            f"max_backtracks must be an integer >= 1, got {max_backtracks!r}")
    with torch.no_grad():
        L_old = float(surrogate_fn(theta_old))
        for j in range(max_backtracks):
            fraction = backtrack**j  # ν_j = b^j
            theta = theta_old + fraction * step
            # accept iff L(θ) > L(θ_old) and KL_bar(θ_old, θ) ≤ δ
            if float(surrogate_fn(theta)) > L_old and float(kl_fn(theta)) <= delta:
                return theta, fraction
    return theta_old, 0.0
# --8<-- [end:line_search]


# --8<-- [start:trpo_update]
def trpo_update(theta_old, P, R, d0, gamma: float, delta: float, cg_iters: int = 10):
    """One exact TRPO update of a tabular softmax policy (#eq-line-search).

    g = grad L at theta_old (autograd), x = F^{-1} g by CG with Fisher-vector products,
    full step by the KL budget delta, then the backtracking line search.
    Returns (theta_new, fraction, full_step); theta arrays are torch (S, A).
    """
    theta_old = _check_theta("theta_old", theta_old)
    pi_old = softmax_policy(theta_old.numpy())
    rho, adv, _ = old_policy_stats(pi_old, P, R, d0, gamma)
    weights = (1 - gamma) * rho  # normalised visitation, sums to 1

    def L(theta):
        return surrogate(theta, pi_old, rho, adv)

    def kl(theta):
        return mean_kl(theta, pi_old, weights)

    theta = theta_old.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(L(theta), theta)  # g = ∇_θ L at θ_old
    def Fv(v):  # F v by double backprop of the mean KL
        return fisher_vector_product(kl, theta_old, v)

    step = natural_step(g.reshape(-1), Fv, delta, cg_iters).reshape(theta_old.shape)
    theta_new, fraction = line_search(L, kl, theta_old, step, delta)
    return theta_new, fraction, step
# --8<-- [end:trpo_update]


if __name__ == "__main__":
    # the page's example: 4 states, 3 actions, gamma = 0.9, delta = 0.1 (seed 2)
    rng = np.random.default_rng(2)
    P, R = random_mdp(4, 3, rng)
    theta_old = torch.as_tensor(rng.normal(size=(4, 3)))
    d0, gamma, delta = np.full(4, 0.25), 0.9, 0.1
    pi_old = softmax_policy(theta_old.numpy())
    rho, adv, J_old = old_policy_stats(pi_old, P, R, d0, gamma)
    theta_new, fraction, step = trpo_update(theta_old, P, R, d0, gamma, delta)
    rho_bar = (1 - gamma) * rho
    full = theta_old + step
    pi_full = softmax_policy(full.numpy())
    reverse = float(rho_bar @ np.sum(pi_full * np.log(pi_full / pi_old), axis=1))
    pi_new = softmax_policy(theta_new.numpy())
    print(f"J(pi_old) = {J_old:.4f}, A_max = max|A| = {np.abs(adv).max():.4f}")
    print(f"full step: KL(old||new) = {float(mean_kl(full, pi_old, rho_bar)):.5f}, "
          f"KL(new||old) = {reverse:.5f}, delta = {delta}")
    J_new = performance(pi_new, P, R, d0, gamma)
    lemma = J_old + performance_difference(pi_new, pi_old, P, R, d0, gamma)
    kl_new = float(mean_kl(theta_new, pi_old, rho_bar))
    print(f"accepted fraction {fraction}: KL = {kl_new:.5f},"
          f" J(pi_new) = {J_new:.4f}, by the lemma {lemma:.4f}")
    L, penalty = kl_lower_bound(pi_new, pi_old, P, R, d0, gamma)
    C = 4 * np.abs(adv).max() * gamma / (1 - gamma) ** 2
    print(f"C = {C:.1f}; L(pi_new) = {L:.4f}, C KL_max = {penalty:.4f},"
          f" bound = {L - penalty:.4f}")
    # CG on F x = g at theta_old: the residual ||g - F x_k|| after k steps
    th = theta_old.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(surrogate(th, pi_old, rho, adv), th)
    def Fv(v):
        return fisher_vector_product(lambda t: mean_kl(t, pi_old, rho_bar), theta_old, v)
    for k in (1, 2, 7, 8):
        x = conjugate_gradient(Fv, g.reshape(-1), iters=k, tol=0.0)
        print(f"CG residual after {k} steps: {float((g.reshape(-1) - Fv(x)).norm()):.3g}")
    theta = theta_old
    for k in range(6):
        J = performance(softmax_policy(theta.numpy()), P, R, d0, gamma)
        print(f"iter {k}: J = {J:.4f}")
        theta = trpo_update(theta, P, R, d0, gamma, delta)[0]
