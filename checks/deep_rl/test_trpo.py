"""Checks of deep-rl/trpo: every key equation against something independent.

Independent references used here: J(pi) from the closed-form Bellman solution
(rl_basics), the state distribution propagated step by step, the policy gradient
theorem of rl-basics/policy-gradient (explicit softmax Jacobian, numpy), the Fisher
matrix summed explicitly from grad log pi (rl_basics, numpy), numpy.linalg.solve /
pinv, and brute-force scans of the line-search candidates.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.deep_rl.trpo import (
    conjugate_gradient,
    fisher_vector_product,
    gradient_ascent_step,
    kl_lower_bound,
    line_search,
    mean_kl,
    natural_step,
    old_policy_stats,
    performance,
    performance_difference,
    random_mdp,
    surrogate,
    trpo_update,
)
from snippets.rl_basics.state_values import policy_matrices, solve_bellman
from snippets.rl_basics.policy_gradient import (
    grad_log_pi,
    policy_gradient,
    softmax_policy,
)

GAMMA = 0.9
S, A = 4, 3
D0 = np.full(S, 1 / S)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def setting(seed: int, scale: float = 1.0):
    """A random MDP, random old parameters and a random new policy."""
    rng = np.random.default_rng(seed)
    P, R = random_mdp(S, A, rng)
    theta_old = scale * rng.normal(size=(S, A))
    theta_new = theta_old + rng.normal(size=(S, A))
    return P, R, theta_old, theta_new


def explicit_fisher(theta, rho_bar) -> np.ndarray:
    """F = sum_s rho_bar(s) sum_a pi(a|s) grad log pi grad log pi^T, flattened to (SA, SA)."""
    pi = softmax_policy(theta)
    n = theta.size
    F = np.zeros((n, n))
    for s in range(theta.shape[0]):
        for a in range(theta.shape[1]):
            u = grad_log_pi(theta, s, a).reshape(-1)
            F += rho_bar[s] * pi[s, a] * np.outer(u, u)
    return F


# --8<-- [start:test_gradient_ascent]
@pytest.mark.formula("eq-gradient-ascent")
def test_gradient_ascent_is_a_first_order_step():
    np.testing.assert_allclose(gradient_ascent_step([1.0, -2.0], [0.5, 4.0], 0.1),
                               [1.05, -1.6])
    P, R, theta, _ = setting(7)
    g = policy_gradient(theta, P, R, D0, GAMMA)
    J0 = performance(softmax_policy(theta), P, R, D0, GAMMA)

    def gap(alpha):  # J(θ + α g) − J(θ) − α ‖g‖²: the error of the linear model
        pi = softmax_policy(gradient_ascent_step(theta, g, alpha))
        return performance(pi, P, R, D0, GAMMA) - J0 - alpha * np.sum(g * g)

    # the error is O(α²): halving α divides it by about 4
    assert 3.5 < gap(1e-3) / gap(5e-4) < 4.5
# --8<-- [end:test_gradient_ascent]


@pytest.mark.formula("eq-gradient-ascent")
def test_the_same_parameter_step_moves_policies_by_very_different_kl():
    # the step-size problem: ‖Δθ‖ says little about how far the policy moves
    step = np.array([[1.0, 0.0, -1.0]])
    rho_bar = np.array([1.0])
    kls = []
    for theta in (np.zeros((1, 3)), np.array([[0.0, 8.0, 0.0]])):
        new = gradient_ascent_step(theta, step, 1.0)
        kls.append(float(mean_kl(torch.as_tensor(new), softmax_policy(theta), rho_bar)))
    assert kls[0] > 100 * kls[1]


# --8<-- [start:test_performance_difference]
@pytest.mark.formula("eq-performance-difference")
@given(seed=seeds)
@settings(max_examples=15, deadline=None)
def test_performance_difference_lemma_is_exact(seed):
    P, R, theta_old, theta_new = setting(seed)
    pi_old, pi_new = softmax_policy(theta_old), softmax_policy(theta_new)
    exact = performance(pi_new, P, R, D0, GAMMA) - performance(pi_old, P, R, D0, GAMMA)
    assert performance_difference(pi_new, pi_old, P, R, D0, GAMMA) == pytest.approx(
        exact, abs=1e-10)
    # trajectory form Σ_t γ^t E_{S_t ~ π_new}[Σ_a π_new(a|S_t) A_π(S_t, a)],
    # with the law of S_t propagated step by step
    _, adv, _ = old_policy_stats(pi_old, P, R, D0, GAMMA)
    P_new = np.einsum("sa,sat->st", pi_new, P)
    d, total, H = D0.copy(), 0.0, 400
    for t in range(H):
        total += GAMMA**t * d @ np.sum(pi_new * adv, axis=1)
        d = d @ P_new
    truncation = GAMMA**H * np.abs(adv).max() / (1 - GAMMA)  # < 1e-16
    assert abs(total - exact) <= 1e-10 + truncation
# --8<-- [end:test_performance_difference]


# --8<-- [start:test_surrogate]
@pytest.mark.formula("eq-surrogate")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_surrogate_matches_j_to_first_order(seed):
    P, R, theta_old, theta_new = setting(seed)
    pi_old = softmax_policy(theta_old)
    rho, adv, J_old = old_policy_stats(pi_old, P, R, D0, GAMMA)
    theta = torch.tensor(theta_old, requires_grad=True)
    L = surrogate(theta, pi_old, rho, adv)  # the code's L − J(θ_old)
    (grad_L,) = torch.autograd.grad(L, theta)
    # L(θ_old) = J(θ_old): the advantages average to 0 under π_old, so the code's
    # L − J(θ_old) is 0 there, and J(θ_old) + it equals J by the closed form
    assert float(L.detach()) == pytest.approx(0.0, abs=1e-12)
    J_closed = performance(pi_old, P, R, D0, GAMMA)
    assert J_old + float(L.detach()) == pytest.approx(J_closed, abs=1e-12)
    # ∇L(θ_old) = ∇J(θ_old), the policy gradient theorem (explicit softmax Jacobian)
    np.testing.assert_allclose(grad_L.numpy(),
                               policy_gradient(theta_old, P, R, D0, GAMMA),
                               rtol=1e-10, atol=1e-12)
    # away from θ_old: the explicit double sum Σ_s ρ(s) Σ_a π_θ(a|s) A(s, a)
    pi_new = softmax_policy(theta_new)
    explicit = sum(rho[s] * pi_new[s, a] * adv[s, a]
                   for s in range(S) for a in range(A))
    L_new = float(surrogate(torch.as_tensor(theta_new), pi_old, rho, adv))
    assert L_new == pytest.approx(explicit, abs=1e-12)
# --8<-- [end:test_surrogate]


# --8<-- [start:test_kl_bound]
@pytest.mark.formula("eq-kl-bound")
@given(seed=seeds, size=st.sampled_from([0.0, 0.05, 0.3, 1.0, 3.0]))
@settings(max_examples=25, deadline=None)
def test_kl_penalised_bound_holds(seed, size):
    P, R, theta_old, theta_new = setting(seed)
    theta_new = theta_old + size * (theta_new - theta_old)
    pi_old, pi_new = softmax_policy(theta_old), softmax_policy(theta_new)
    L, penalty = kl_lower_bound(pi_new, pi_old, P, R, D0, GAMMA)
    J_new = performance(pi_new, P, R, D0, GAMMA)
    assert J_new >= L - penalty - 1e-12
    # the penalty, term by term: 4 A_max γ / (1 − γ)² · max_s Σ_a π log(π / π_new)
    rho, adv, J_old = old_policy_stats(pi_old, P, R, D0, GAMMA)
    a_max = max(abs(x) for x in adv.ravel())
    kl_max = max(sum(pi_old[s, a] * math.log(pi_old[s, a] / pi_new[s, a])
                     for a in range(A)) for s in range(S))
    C = 4 * a_max * GAMMA / (1 - GAMMA) ** 2
    assert penalty == pytest.approx(C * kl_max, rel=1e-12, abs=1e-12)
    # L_π(π_new) = J(π) + Σ_s ρ_π(s) Σ_a π_new(a|s) A_π(s, a), the sums written out
    explicit = sum(rho[s] * pi_new[s, a] * adv[s, a]
                   for s in range(S) for a in range(A))
    assert L == pytest.approx(J_old + explicit, abs=1e-10)
# --8<-- [end:test_kl_bound]


@pytest.mark.formula("eq-kl-bound")
def test_kl_bound_is_tight_at_the_old_policy():
    P, R, theta_old, _ = setting(3)
    pi = softmax_policy(theta_old)
    L, penalty = kl_lower_bound(pi, pi, P, R, D0, GAMMA)
    assert penalty == pytest.approx(0.0, abs=1e-14)
    assert L == pytest.approx(performance(pi, P, R, D0, GAMMA), abs=1e-12)


# --8<-- [start:test_mean_kl]
@pytest.mark.formula("eq-trust-region")
def test_mean_kl_equals_the_explicit_sum():
    _, _, theta_old, theta_new = setting(4)
    pi_old, pi_new = softmax_policy(theta_old), softmax_policy(theta_new)
    rho_bar = np.array([0.1, 0.2, 0.3, 0.4])
    explicit = sum(rho_bar[s] * pi_old[s, a] * math.log(pi_old[s, a] / pi_new[s, a])
                   for s in range(S) for a in range(A))
    assert float(mean_kl(torch.as_tensor(theta_new), pi_old, rho_bar)) == pytest.approx(
        explicit, abs=1e-12)
    # zero at θ_old and unchanged by adding a constant to a row of θ (softmax shift)
    at_old = float(mean_kl(torch.as_tensor(theta_old), pi_old, rho_bar))
    assert at_old == pytest.approx(0, abs=1e-14)
    shifted = theta_new + np.array([[1.0], [-2.0], [0.5], [3.0]])
    assert float(mean_kl(torch.as_tensor(shifted), pi_old, rho_bar)) == pytest.approx(
        explicit, abs=1e-12)
# --8<-- [end:test_mean_kl]


# --8<-- [start:test_fvp]
@pytest.mark.formula("eq-fvp")
@pytest.mark.parametrize("seed", [0, 5])
def test_fisher_vector_product_equals_the_explicit_fisher(seed):
    rng = np.random.default_rng(seed)
    theta_old = rng.normal(size=(S, A))
    pi_old = softmax_policy(theta_old)
    rho_bar = rng.dirichlet(np.ones(S))
    F = explicit_fisher(theta_old, rho_bar)  # E_s E_a[∇log π ∇log πᵀ]
    v = rng.normal(size=S * A)

    def kl(theta):
        return mean_kl(theta, pi_old, rho_bar)

    Fv = fisher_vector_product(kl, torch.as_tensor(theta_old), torch.as_tensor(v))
    np.testing.assert_allclose(Fv.numpy(), F @ v, rtol=1e-10, atol=1e-12)
    damped = fisher_vector_product(kl, torch.as_tensor(theta_old), torch.as_tensor(v),
                                   damping=0.1)
    np.testing.assert_allclose(damped.numpy(), F @ v + 0.1 * v, rtol=1e-10, atol=1e-12)
# --8<-- [end:test_fvp]


# --8<-- [start:test_cg]
@pytest.mark.formula("eq-cg")
@given(seed=seeds, n=st.integers(1, 8))
@settings(max_examples=25, deadline=None)
def test_cg_equals_a_direct_solve_within_n_steps(seed, n):
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.normal(size=(n, n)))[0]
    M = Q @ np.diag(rng.uniform(1.0, 10.0, size=n)) @ Q.T  # SPD, condition number ≤ 10
    b = rng.normal(size=n)
    calls = []

    def matvec(x):
        calls.append(1)
        return M @ x

    x = conjugate_gradient(matvec, b, iters=n, tol=1e-20)
    np.testing.assert_allclose(x, np.linalg.solve(M, b), rtol=1e-8, atol=1e-10)
    assert len(calls) <= n
# --8<-- [end:test_cg]


@pytest.mark.formula("eq-cg")
def test_cg_by_hand_and_on_torch():
    # A = diag(1, 2), b = (1, 1): x₁ = (rᵀr / pᵀAp) b = (2/3) b; x₂ = exact (1, 1/2)
    M = np.diag([1.0, 2.0])
    np.testing.assert_allclose(conjugate_gradient(lambda x: M @ x, np.ones(2), iters=1),
                               [2 / 3, 2 / 3], rtol=1e-15)
    np.testing.assert_allclose(conjugate_gradient(lambda x: M @ x, np.ones(2), iters=2),
                               [1.0, 0.5], rtol=1e-14)
    Mt = torch.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
    bt = torch.tensor([1.0, 2.0], dtype=torch.float64)
    xt = conjugate_gradient(lambda x: Mt @ x, bt)
    assert isinstance(xt, torch.Tensor)
    np.testing.assert_allclose(xt.numpy(), np.linalg.solve(Mt.numpy(), bt.numpy()),
                               rtol=1e-12)
    # an eigenvector is solved in one step, then the residual test stops the loop
    calls = []
    x = conjugate_gradient(lambda x: calls.append(1) or M @ x, np.array([0.0, 3.0]))
    np.testing.assert_allclose(x, [0.0, 1.5], rtol=1e-15)
    assert len(calls) == 1
    # a loose tol stops early: the first residual 1ᵀ1 = 2 is below tol = 3
    early = conjugate_gradient(lambda x: M @ x, np.ones(2), tol=3.0)
    np.testing.assert_array_equal(early, [0.0, 0.0])


# --8<-- [start:test_natural_step]
@pytest.mark.formula("eq-natural-step")
@pytest.mark.parametrize("seed, delta", [(0, 0.01), (1, 0.1)])
def test_full_step_uses_the_whole_kl_budget(seed, delta):
    rng = np.random.default_rng(seed)
    theta_old = rng.normal(size=(S, A))
    rho_bar = rng.dirichlet(np.ones(S))
    F = explicit_fisher(theta_old, rho_bar)
    g = rng.normal(size=(S, A))
    g -= g.mean(axis=1, keepdims=True)  # a policy gradient: each row sums to 0
    step = natural_step(g.reshape(-1), lambda v: F @ v, delta)
    # ½ Δθᵀ F Δθ = δ: the quadratic model of the KL sits on the boundary
    assert 0.5 * step @ F @ step == pytest.approx(delta, rel=1e-10)
    # at a stationary point (g = 0) there is no step
    zero = natural_step(0 * g.reshape(-1), lambda v: F @ v, delta)
    np.testing.assert_array_equal(zero, 0)
    # Δθ = √(2δ / gᵀF⁺g) F⁺g (F is singular: each softmax row is shift invariant)
    x = np.linalg.pinv(F) @ g.reshape(-1)
    np.testing.assert_allclose(step, np.sqrt(2 * delta / (g.reshape(-1) @ x)) * x,
                               rtol=1e-8, atol=1e-10)
# --8<-- [end:test_natural_step]


@pytest.mark.formula("eq-natural-step")
def test_natural_gradient_of_a_tabular_softmax_is_the_advantage():
    # F_s = ρ̄(s) (diag π_s − π_s π_sᵀ) and g_s = ρ(s) (diag π_s − π_s π_sᵀ) A_s with
    # ρ̄ = (1 − γ) ρ, so F x = g is solved by x_s = A_s / (1 − γ); CG started at 0 stays
    # in the range of F (rows summing to 0): that solution minus each row's mean.
    P, R, theta_old, _ = setting(11)
    pi_old = softmax_policy(theta_old)
    rho, adv, _ = old_policy_stats(pi_old, P, R, D0, GAMMA)
    g = torch.as_tensor(policy_gradient(theta_old, P, R, D0, GAMMA)).reshape(-1)

    def Fv(v):
        return fisher_vector_product(lambda t: mean_kl(t, pi_old, (1 - GAMMA) * rho),
                                     torch.as_tensor(theta_old), v)

    x = conjugate_gradient(Fv, g, iters=S * (A - 1), tol=1e-24).reshape(S, A).numpy()
    expected = (adv - adv.mean(axis=1, keepdims=True)) / (1 - GAMMA)
    np.testing.assert_allclose(x, expected, rtol=1e-7, atol=1e-8)


@pytest.mark.formula("eq-natural-step")
def test_natural_step_by_hand():
    # F = diag(1, 2), g = (0.1, 0.1): x = F⁻¹g = (0.1, 0.05), gᵀF⁻¹g = 0.015,
    # Δθ = √(2 · 0.01 / 0.015) x = √(4/3) x
    step = natural_step(np.array([0.1, 0.1]), lambda v: np.array([1.0, 2.0]) * v, 0.01)
    np.testing.assert_allclose(step, np.sqrt(4 / 3) * np.array([0.1, 0.05]), rtol=1e-14)


def _problem(seed):
    P, R, theta_old, _ = setting(seed)
    pi_old = softmax_policy(theta_old)
    rho, adv, _ = old_policy_stats(pi_old, P, R, D0, GAMMA)

    def L(theta):
        return surrogate(theta, pi_old, rho, adv)

    def kl(theta):
        return mean_kl(theta, pi_old, (1 - GAMMA) * rho)

    return P, R, torch.as_tensor(theta_old), L, kl


# --8<-- [start:test_line_search]
@pytest.mark.formula("eq-line-search")
@given(seed=seeds, delta=st.floats(1e-3, 0.5), scale=st.floats(0.1, 30.0))
@settings(max_examples=10, deadline=None)
def test_line_search_never_accepts_a_step_outside_the_trust_region(seed, delta, scale):
    _, _, theta_old, L, kl = _problem(seed)
    step = scale * torch.as_tensor(np.random.default_rng(seed).normal(size=(S, A)))
    theta, fraction = line_search(L, kl, theta_old, step, delta)
    if fraction == 0.0:
        assert torch.equal(theta, theta_old)
        return
    assert float(kl(theta)) <= delta and float(L(theta)) > float(L(theta_old))
    # it is the first candidate ν_j = b^j = 1, ½, ¼, … that passes both tests
    for j in range(int(round(-math.log2(fraction)))):
        candidate = theta_old + 0.5**j * step
        assert (float(kl(candidate)) > delta
                or float(L(candidate)) <= float(L(theta_old)))
    torch.testing.assert_close(theta, theta_old + fraction * step, rtol=0, atol=0)
# --8<-- [end:test_line_search]


@pytest.mark.formula("eq-line-search")
def test_trpo_update_improves_j_inside_the_trust_region():
    P, R, theta, L, kl = _problem(2)
    J_old = performance(softmax_policy(theta.numpy()), P, R, D0, GAMMA)
    theta_new, fraction, step = trpo_update(theta, P, R, D0, GAMMA, 0.1)
    # on this MDP the full step overshoots the budget: the search halves it once
    assert float(kl(theta + step)) > 0.1
    assert fraction == 0.5
    assert float(kl(theta_new)) <= 0.1
    assert performance(softmax_policy(theta_new.numpy()), P, R, D0, GAMMA) > J_old
    # a descent direction is never accepted; nor a step when the budget is tiny
    assert line_search(L, kl, theta, -step, 0.1)[1] == 0.0
    assert line_search(L, kl, theta, step, 1e-9, max_backtracks=3)[1] == 0.0
    assert line_search(L, kl, theta, step, 0.1, backtrack=0.25)[1] == 0.25


def test_random_mdp_shapes():
    P, R = random_mdp(3, 2, np.random.default_rng(0))
    assert P.shape == (3, 2, 3) and R.shape == (3, 2)
    np.testing.assert_allclose(P.sum(axis=2), 1.0, rtol=0, atol=1e-12)
    P1, R1 = random_mdp(1, 1, np.random.default_rng(0))  # the smallest MDP
    assert P1.shape == (1, 1, 1) and P1[0, 0, 0] == 1.0 and R1.shape == (1, 1)


def test_bad_inputs():
    P, R, theta_old, _ = setting(0)
    pi = softmax_policy(theta_old)
    rho, adv, _ = old_policy_stats(pi, P, R, D0, GAMMA)
    th = torch.as_tensor(theta_old)
    rho_bar = np.full(S, 1 / S)
    with pytest.raises(ValueError, match="^n_states and n_actions must"):
        random_mdp(0, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="^grad must"):
        gradient_ascent_step(np.zeros(3), np.zeros(2), 0.1)
    with pytest.raises(ValueError, match="^alpha must"):
        gradient_ascent_step(np.zeros(3), np.zeros(3), 0.0)
    with pytest.raises(ValueError, match="^d0 must"):
        performance(pi, P, R, np.full(S, 0.3), GAMMA)
    with pytest.raises(ValueError, match="^d0 must"):
        performance(pi, P, R, np.array([1.5, -0.5, 0, 0]), GAMMA)
    with pytest.raises(ValueError, match="gamma"):
        old_policy_stats(pi, P, R, D0, 1.0)
    with pytest.raises(ValueError, match="pi"):
        performance_difference(pi[:, :2], pi, P, R, D0, GAMMA)
    with pytest.raises(ValueError, match="^theta must"):
        surrogate(torch.zeros(S), pi, rho, adv)
    with pytest.raises(ValueError, match="^theta must"):
        surrogate(torch.full((S, A), float("nan")), pi, rho, adv)
    with pytest.raises(ValueError, match="^rho_old must"):
        surrogate(th, pi, rho[:2], adv)
    with pytest.raises(ValueError, match="^rho_old must"):
        surrogate(th, pi, -rho, adv)
    with pytest.raises(ValueError, match="^adv_old must"):
        surrogate(th, pi, rho, adv[:, :2])
    with pytest.raises(ValueError, match="pi"):
        kl_lower_bound(pi, pi[:2], P, R, D0, GAMMA)
    with pytest.raises(ValueError, match="^pi_old must be strictly positive \\(KL to"):
        mean_kl(th, np.eye(A)[[0, 1, 2, 0]], rho_bar)
    with pytest.raises(ValueError, match="^theta must"):
        mean_kl(torch.zeros(S), pi, rho_bar)
    with pytest.raises(ValueError, match="^state_weights must"):
        mean_kl(th, pi, rho_bar[:2])
    with pytest.raises(ValueError, match="^state_weights must"):
        mean_kl(th, pi, 2 * rho_bar)
    with pytest.raises(ValueError, match="^state_weights must"):
        mean_kl(th, pi, np.array([1.5, -0.5, 0, 0]))
    kl = lambda t: mean_kl(t, pi, rho_bar)  # noqa: E731
    with pytest.raises(ValueError, match="^v must be finite and flat with 12 entries"):
        fisher_vector_product(kl, th, torch.zeros(3))
    with pytest.raises(ValueError, match="^damping must"):
        fisher_vector_product(kl, th, torch.zeros(S * A), -1.0)
    with pytest.raises(ValueError, match="^matvec must be callable: x -> A x"):
        conjugate_gradient(None, np.ones(2))
    with pytest.raises(ValueError, match="^b must be a non-empty 1-D numpy"):
        conjugate_gradient(lambda x: x, np.ones((2, 2)))
    with pytest.raises(ValueError, match="^b must be a non-empty 1-D numpy"):
        conjugate_gradient(lambda x: x, np.ones(0))
    with pytest.raises(ValueError, match="^iters must"):
        conjugate_gradient(lambda x: x, np.ones(2), iters=0)
    with pytest.raises(ValueError, match="^iters must"):
        conjugate_gradient(lambda x: x, np.ones(2), iters=1.5)
    with pytest.raises(ValueError, match="^tol must"):
        conjugate_gradient(lambda x: x, np.ones(2), tol=-1.0)
    with pytest.raises(ValueError, match="^delta must"):
        natural_step(np.ones(2), lambda x: x, 0.0)
    positive = r"^matvec must be positive definite along p \(p\^T A p"
    for bad in (lambda x: -x, lambda x: 0 * x):
        with pytest.raises(ValueError, match=positive):
            conjugate_gradient(bad, np.ones(2))
    with pytest.raises(ValueError, match="^b must be a non-empty 1-D numpy"):
        conjugate_gradient(lambda x: x, [1.0, 2.0])
    L = lambda t: surrogate(t, pi, rho, adv)  # noqa: E731
    with pytest.raises(ValueError, match="^step must"):
        line_search(L, kl, th, th[:2], 0.1)
    with pytest.raises(ValueError, match="^delta must"):
        line_search(L, kl, th, th, -0.1)
    for bad in (0.0, 1.0):
        with pytest.raises(ValueError, match="^backtrack must"):
            line_search(L, kl, th, th, 0.1, backtrack=bad)
    with pytest.raises(ValueError, match="^max_backtracks must"):
        line_search(L, kl, th, th, 0.1, max_backtracks=0)
    with pytest.raises(ValueError, match="^theta_old must"):
        trpo_update(torch.zeros(S), P, R, D0, GAMMA, 0.1)


def test_bad_inputs_are_reported_under_the_right_name():
    P, R, theta_old, _ = setting(0)
    pi = softmax_policy(theta_old)
    rho, adv, _ = old_policy_stats(pi, P, R, D0, GAMMA)
    th = torch.as_tensor(theta_old)
    rho_bar = np.full(S, 1 / S)
    nan = float("nan")
    # a NaN in b is b's fault, not matvec's (it used to read "matvec must be positive
    # definite"), for numpy and torch alike
    for b in (np.array([1.0, nan]), torch.tensor([1.0, nan]), np.array([np.inf, 1.0])):
        with pytest.raises(ValueError, match=r"^b must be finite"):
            conjugate_gradient(lambda x: x, b)
    # a NaN that matvec produces is matvec's
    with pytest.raises(ValueError, match=r"^matvec must be positive definite along p "
                                         r"\(p\^T A p > 0\), got p\^T A p = nan"):
        conjugate_gradient(lambda x: x * nan, np.ones(2))
    # natural_step names its own arguments g and cg_iters, not b and iters
    with pytest.raises(ValueError, match=r"^g must be finite"):
        natural_step(np.array([1.0, nan]), lambda x: x, 0.1)
    with pytest.raises(ValueError, match=r"^g must be a non-empty 1-D"):
        natural_step(np.ones((2, 2)), lambda x: x, 0.1)
    with pytest.raises(ValueError, match=r"^g must be a non-empty 1-D"):
        natural_step([1.0, 2.0], lambda x: x, 0.1)  # a list has no ndim
    with pytest.raises(ValueError, match=r"^g must be finite \(a NaN or an infinity in g\)$"):
        natural_step(np.array([np.inf, 1.0]), lambda x: x, 0.1)
    with pytest.raises(ValueError, match=r"^b must be finite \(a NaN or an infinity in b\)$"):
        conjugate_gradient(lambda x: x, np.array([np.inf, 1.0]))
    # the boundaries are allowed: one parameter, one CG step
    s1 = natural_step(np.array([2.0]), lambda x: 3 * x, 0.1)  # x = 2/3, x F x = 4/3
    np.testing.assert_allclose(s1, [(0.2 / (4 / 3)) ** 0.5 * 2 / 3], rtol=1e-12)
    s2 = natural_step(np.ones(2), lambda x: x, 0.1, cg_iters=1)  # F = I: x = g
    np.testing.assert_allclose(s2, (0.2 / 2) ** 0.5 * np.ones(2), rtol=1e-12)
    with pytest.raises(ValueError, match=r"^cg_iters must be an integer >= 1, got 0"):
        natural_step(np.ones(2), lambda x: x, 0.1, cg_iters=0)
    with pytest.raises(ValueError, match=r"^cg_iters must be an integer >= 1"):
        trpo_update(th, P, R, D0, GAMMA, 0.1, cg_iters=0)
    # NaNs in the other inputs are reported, not propagated
    with pytest.raises(ValueError, match=r"^rho_old must be finite"):
        surrogate(th, pi, rho * nan, adv)
    with pytest.raises(ValueError, match=r"^adv_old must be finite"):
        surrogate(th, pi, rho, adv * nan)
    kl = lambda t: mean_kl(t, pi, rho_bar)  # noqa: E731
    with pytest.raises(ValueError, match=r"^v must be finite and flat"):
        fisher_vector_product(kl, th, torch.full((S * A,), nan))
    L = lambda t: surrogate(t, pi, rho, adv)  # noqa: E731
    with pytest.raises(ValueError, match=r"^step must be finite"):
        line_search(L, kl, th, th * nan, 0.1)
    with pytest.raises(ValueError, match=r"^theta_old must be finite"):
        line_search(L, kl, th * nan, th, 0.1)


def arnoldi_krylov_solution(M, b, k):
    """argmin of 1/2 x^T M x - b^T x over span{b, Mb, ..., M^{k-1} b}."""
    Q = [b / np.linalg.norm(b)]
    for _ in range(k - 1):
        u = M @ Q[-1]
        for _ in range(2):  # Gram-Schmidt twice for stability
            u = u - sum((q @ u) * q for q in Q)
        Q.append(u / np.linalg.norm(u))
    Q = np.column_stack(Q)
    return Q @ np.linalg.solve(Q.T @ M @ Q, Q.T @ b)


def spd(n, seed, top=10.0):
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.normal(size=(n, n)))[0]
    return Q @ np.diag(np.geomspace(1.0, top, n)) @ Q.T, rng.normal(size=n)


@pytest.mark.formula("eq-cg")
@pytest.mark.parametrize("k", [1, 2, 4])
def test_cg_after_k_steps_minimises_over_the_krylov_space(k):
    M, b = spd(6, k)
    np.testing.assert_allclose(conjugate_gradient(lambda v: M @ v, b, iters=k),
                               arnoldi_krylov_solution(M, b, k), rtol=1e-9, atol=1e-12)


def test_default_numbers_of_iterations():
    M, b = spd(12, 0, top=1e3)
    calls = []
    x = conjugate_gradient(lambda v: calls.append(1) or M @ v, b)
    assert len(calls) == 10  # iters=10 by default; the residual is still > tol
    np.testing.assert_allclose(x, arnoldi_krylov_solution(M, b, 10),
                               rtol=1e-6, atol=1e-7)
    calls.clear()
    natural_step(b, lambda v: calls.append(1) or M @ v, 0.1)
    assert len(calls) == 11  # 10 CG steps and x^T F x
    # cg_iters is passed on: two CG steps, then scaled to the budget
    x2 = arnoldi_krylov_solution(M, b, 2)
    np.testing.assert_allclose(natural_step(b, lambda v: M @ v, 0.1, cg_iters=2),
                               np.sqrt(0.2 / (x2 @ M @ x2)) * x2, rtol=1e-9)
    # tol: the loop runs while u^T u >= tol, and tol = 0 is allowed
    M2 = np.diag([1.0, 2.0])
    x1 = conjugate_gradient(lambda v: M2 @ v, np.ones(2), iters=1, tol=2.0)
    np.testing.assert_allclose(x1, [2 / 3, 2 / 3])
    np.testing.assert_allclose(
        conjugate_gradient(lambda v: M2 @ v, np.ones(2), iters=2, tol=0.0), [1.0, 0.5])


@pytest.mark.formula("eq-line-search")
@pytest.mark.parametrize("cg_iters", [3, None])
def test_trpo_update_equals_the_explicit_pipeline(cg_iters):
    # 8 states, 3 actions: rank F = 16, so 3 or 10 CG steps are not yet converged
    rng = np.random.default_rng(8)
    P, R = random_mdp(8, 3, rng)
    theta = rng.normal(size=(8, 3))
    d0 = np.full(8, 1 / 8)
    kwargs = {} if cg_iters is None else {"cg_iters": cg_iters}
    theta_new, fraction, step = trpo_update(theta, P, R, d0, GAMMA, 0.05, **kwargs)
    rho, _, _ = old_policy_stats(softmax_policy(theta), P, R, d0, GAMMA)
    F = explicit_fisher(theta, (1 - GAMMA) * rho)
    g = policy_gradient(theta, P, R, d0, GAMMA).reshape(-1)
    expected = natural_step(g, lambda v: F @ v, 0.05, cg_iters or 10)
    np.testing.assert_allclose(step.reshape(-1).numpy(), expected,
                               rtol=1e-8, atol=1e-10)
    more = natural_step(g, lambda v: F @ v, 0.05, (cg_iters or 10) + 1)
    assert np.abs(more - expected).max() > 1e-4  # the number of CG steps matters here
    assert fraction > 0
    np.testing.assert_allclose(theta_new.numpy(), theta + fraction * step.numpy(),
                               rtol=0, atol=1e-15)


@pytest.mark.formula("eq-line-search")
def test_line_search_boundaries():
    def L(t):  # increases along +t
        return t.sum()

    def kl(t):
        return (t**2).sum()

    zero = torch.zeros(1, 1)
    # an exact KL equal to δ is accepted (≤), a step that does not raise L is not (>)
    assert line_search(L, kl, zero, torch.tensor([[0.5]]), 0.25)[1] == 1.0
    assert line_search(L, kl, zero, torch.zeros(1, 1), 0.25)[1] == 0.0
    one_try = line_search(L, kl, zero, torch.tensor([[0.5]]), 0.25, max_backtracks=1)
    assert one_try[1] == 1.0
    # the first feasible candidate is j = 10, one beyond the default tries j = 0..9
    big = torch.tensor([[2.0**9.5]])
    assert line_search(L, kl, zero, big, 1.0)[1] == 0.0
    assert line_search(L, kl, zero, big, 1.0, max_backtracks=11)[1] == 2.0**-10


def test_lists_and_float32_inputs_are_computed_in_float64():
    P, R, theta_old, theta_new = setting(6)
    pi_old = softmax_policy(theta_old)
    rho, adv, _ = old_policy_stats(pi_old, P, R, D0, GAMMA)
    rho_bar = (1 - GAMMA) * rho
    t_new = torch.as_tensor(theta_new)
    ref = float(surrogate(t_new, pi_old, rho, adv))
    assert float(surrogate(theta_new.tolist(), pi_old, rho.tolist(), adv.tolist())) == (
        pytest.approx(ref, abs=1e-13))
    ref = float(mean_kl(t_new, pi_old, rho_bar))
    assert float(mean_kl(theta_new.tolist(), pi_old, rho_bar.tolist())) == pytest.approx(
        ref, abs=1e-13)

    def kl(t):
        return mean_kl(t, pi_old, rho_bar)

    v = np.random.default_rng(0).normal(size=S * A)
    ref = fisher_vector_product(kl, torch.as_tensor(theta_old), torch.as_tensor(v))
    out = fisher_vector_product(kl, theta_old.tolist(), v.tolist())
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=0, atol=1e-13)

    def L(t):
        return surrogate(t, pi_old, rho, adv)

    step = 0.05 * policy_gradient(theta_old, P, R, D0, GAMMA)
    ref_theta, ref_fraction = line_search(L, kl, torch.as_tensor(theta_old),
                                          torch.as_tensor(step), 0.05)
    out_theta, out_fraction = line_search(L, kl, theta_old.tolist(), step.tolist(),
                                          0.05)
    assert out_fraction == ref_fraction > 0
    assert out_theta.dtype == torch.float64
    torch.testing.assert_close(out_theta, ref_theta, rtol=0, atol=0)
    th32, g32 = np.float32([0.1, 0.7]), np.float32([0.3, -0.2])
    out = gradient_ascent_step(th32, g32, 0.1)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, th32.astype(float) + 0.1 * g32.astype(float))


def test_zero_weights_are_allowed():
    P, R, theta_old, theta_new = setting(9)
    pi_old, pi_new = softmax_policy(theta_old), softmax_policy(theta_new)
    e0 = np.array([1.0, 0.0, 0.0, 0.0])
    v = solve_bellman(*policy_matrices(pi_old, P, R), GAMMA)
    assert performance(pi_old, P, R, e0, GAMMA) == pytest.approx(v[0], abs=1e-12)
    kl_0 = sum(pi_old[0, a] * math.log(pi_old[0, a] / pi_new[0, a]) for a in range(A))
    assert float(mean_kl(torch.as_tensor(theta_new), pi_old, e0)) == pytest.approx(
        kl_0, abs=1e-12)
    _, adv, _ = old_policy_stats(pi_old, P, R, D0, GAMMA)
    rho = np.array([0.0, 0.5, 0.25, 2.0])  # any non-negative weights
    explicit = sum(rho[s] * pi_new[s, a] * adv[s, a]
                   for s in range(S) for a in range(A))
    L_new = float(surrogate(torch.as_tensor(theta_new), pi_old, rho, adv))
    assert L_new == pytest.approx(explicit, abs=1e-12)
