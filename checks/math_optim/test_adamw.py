"""Checks of math-optim/adamw: every key equation against something independent.

Independent references used here: torch.optim.Adam, AdamW and SGD run in float64 over
hundreds of steps (one module-scoped fixture creates the optimizers once: the first
torch.optim optimizer imports torch's compiler stack, about 2.5 s on these machines, see
benchmarks/adamw_torch_optim.py), the moving averages unrolled into explicit weighted sums,
values worked out by hand, a Monte Carlo mean with a standard-error bound, and the
paper's Algorithm 2 mapped onto PyTorch's hyperparameters.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.math_optim.adamw import (
    adam_moments,
    adam_step,
    adamw_step,
    adamw_step_paper,
    bias_correction,
    effective_l2_decay,
    quadratic_grad,
    sgd_decay_step,
    sgd_l2_step,
    trajectory,
)


N_STEPS = 300
D = 5
# an ill-conditioned quadratic (curvatures 1e-2 … 1e2) with fixed gradient noise per step
CURVATURE = np.logspace(-2, 2, D)
CENTRE = np.array([1.0, -2.0, 0.5, 3.0, -1.0])
THETA0 = np.array([0.3, 1.0, -2.0, 0.0, 4.0])
NOISE = np.random.default_rng(0).normal(scale=0.3, size=(N_STEPS, D))
LR, WD = 0.05, 0.2
# non-default betas and eps for the runs with decay, so that every hyperparameter is exercised
OURS_KW, TORCH_KW = dict(beta1=0.8, beta2=0.99, eps=1e-6), dict(betas=(0.8, 0.99), eps=1e-6)


def noisy_grad(theta, t):
    """Loss gradient at step t (from 1): h (theta - c) plus that step's fixed noise."""
    return CURVATURE * (theta - CENTRE) + NOISE[t - 1]


def torch_run(make_optimizer, lrs=None):
    """Iterates of a torch.optim optimizer on noisy_grad, float64; lrs[t-1] sets step t's lr."""
    p = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([p])
    out = [THETA0.copy()]
    for t in range(1, N_STEPS + 1):
        if lrs is not None:
            opt.param_groups[0]["lr"] = float(lrs[t - 1])
        p.grad = torch.tensor(noisy_grad(p.detach().numpy(), t), dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


SCHEDULE = 0.5 * (1 + np.cos(np.pi * np.arange(N_STEPS) / N_STEPS))  # κ_t, cosine
ALPHA_PAPER, LAMBDA_PAPER = 0.05, 0.01  # paper's α and λ (decay not multiplied by α)


@pytest.fixture(scope="module")
def torch_reference():
    """One run of each torch optimizer, shared by the checks below."""
    adam0 = torch.optim.Adam([torch.zeros(1, dtype=torch.float64)])
    adamw0 = torch.optim.AdamW([torch.zeros(1, dtype=torch.float64)])
    return {
        "adam_defaults": adam0.defaults,
        "adamw_defaults": adamw0.defaults,
        "adam": torch_run(lambda ps: torch.optim.Adam(ps, lr=LR)),
        "adam-l2": torch_run(lambda ps: torch.optim.Adam(ps, lr=LR, weight_decay=WD,
                                                         **TORCH_KW)),
        "adamw": torch_run(lambda ps: torch.optim.AdamW(ps, lr=LR, weight_decay=WD,
                                                        **TORCH_KW)),
        "adamw-default": torch_run(lambda ps: torch.optim.AdamW(ps, lr=LR)),
        "sgd-l2": torch_run(lambda ps: torch.optim.SGD(ps, lr=LR / 10, weight_decay=WD)),
        # Algorithm 2 in PyTorch's convention: lr = κ_t α, weight_decay = λ / α
        "adamw-paper": torch_run(
            lambda ps: torch.optim.AdamW(ps, lr=LR, weight_decay=LAMBDA_PAPER / ALPHA_PAPER,
                                         betas=(0.85, 0.95)),
            lrs=SCHEDULE * ALPHA_PAPER),
    }


def numpy_run(step, **kw):
    theta, m, v = THETA0.copy(), np.zeros(D), np.zeros(D)
    out = [theta]
    for t in range(1, N_STEPS + 1):
        theta, m, v = step(theta, noisy_grad(theta, t), m, v, t, **kw)
        out.append(theta)
    return np.array(out)


def report(ours, ref):
    """Absolute and relative error, labml-style, for the assertion message."""
    err = np.abs(ours - ref).max()
    return f"max abs error {err:.2e}, relative {err / np.abs(ref).max():.2e}"


# --8<-- [start:test_moments]
@pytest.mark.formula("eq-adam-moments")
@given(seed=st.integers(0, 2**32 - 1), T=st.integers(1, 30),
       beta1=st.floats(0.0, 0.99), beta2=st.floats(0.0, 0.999))
@settings(max_examples=15, deadline=None)
def test_moments_equal_the_unrolled_weighted_sums(seed, T, beta1, beta2):
    g = np.random.default_rng(seed).normal(size=(T, 3))
    m, v = np.zeros(3), np.zeros(3)
    for t in range(T):
        m, v = adam_moments(m, v, g[t], beta1, beta2)
    # m_T = (1-β1) Σ_i β1^{T-i} g_i and v_T = (1-β2) Σ_i β2^{T-i} g_i², i = 1..T
    w1 = (1 - beta1) * beta1 ** np.arange(T - 1, -1, -1)
    w2 = (1 - beta2) * beta2 ** np.arange(T - 1, -1, -1)
    np.testing.assert_allclose(m, w1 @ g, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(v, w2 @ g**2, rtol=1e-10, atol=1e-12)
# --8<-- [end:test_moments]


@pytest.mark.formula("eq-adam-moments")
def test_moments_by_hand_with_the_default_betas(torch_reference):
    # defaults equal torch's (0.9, 0.999); one step from zero with g = 2: m = 0.2, v = 0.004
    assert torch_reference["adam_defaults"]["betas"] == (0.9, 0.999)
    m, v = adam_moments(np.zeros(1), np.zeros(1), np.array([2.0]))
    np.testing.assert_allclose([m[0], v[0]], [0.2, 0.004], rtol=1e-14)
    m, v = adam_moments(m, v, np.array([-1.0]))  # 0.9·0.2 − 0.1 = 0.08; 0.999·0.004 + 0.001
    np.testing.assert_allclose([m[0], v[0]], [0.08, 0.004996], rtol=1e-14)


# --8<-- [start:test_bias_correction]
@pytest.mark.formula("eq-bias-correction")
@pytest.mark.parametrize("beta1, beta2", [(0.9, 0.999), (0.5, 0.9), (0.0, 0.0)])
def test_constant_gradient_is_recovered_from_step_one(beta1, beta2):
    g = np.array([2.0, -0.5, 3e-4])
    m, v = np.zeros(3), np.zeros(3)
    for t in range(1, 51):
        m, v = adam_moments(m, v, g, beta1, beta2)
        m_hat, v_hat = bias_correction(m, v, t, beta1, beta2)
        np.testing.assert_allclose(m_hat, g, rtol=1e-12)  # from t = 1 on, not only late
        np.testing.assert_allclose(v_hat, g**2, rtol=1e-12)
    # without the correction the first moment is (1 − β1^t) g: 0.1 g at t = 1 for β1 = 0.9
    if beta1 == 0.9:
        np.testing.assert_allclose(adam_moments(np.zeros(3), np.zeros(3), g)[0], 0.1 * g)
# --8<-- [end:test_bias_correction]


@pytest.mark.formula("eq-bias-correction")
def test_bias_corrected_moments_are_unbiased_for_iid_gradients():
    # g_t iid N(μ, σ²): E[m̂_t] = μ and E[v̂_t] = μ² + σ² at every t; n = 20,000 runs
    n, T, mu, sigma = 20_000, 5, 0.7, 2.0
    g = np.random.default_rng(1).normal(mu, sigma, size=(T, n))
    m, v = np.zeros(n), np.zeros(n)
    for t in range(1, T + 1):
        m, v = adam_moments(m, v, g[t - 1])
        m_hat, v_hat = bias_correction(m, v, t)
        assert abs(m_hat.mean() - mu) <= 4 * m_hat.std(ddof=1) / np.sqrt(n)
        assert abs(v_hat.mean() - (mu**2 + sigma**2)) <= 4 * v_hat.std(ddof=1) / np.sqrt(n)
    # the raw m_T is biased towards zero by the factor 1 − 0.9^5 ≈ 0.41, far outside the bound
    assert abs(m.mean() - mu) > 10 * m.std(ddof=1) / np.sqrt(n)


# --8<-- [start:test_adam_update]
@pytest.mark.formula("eq-adam-update")
def test_adam_matches_torch_adam_over_300_steps(torch_reference):
    ours = numpy_run(adam_step, lr=LR)
    ref = torch_reference["adam"]
    # float64 on both sides; only the order of the operations differs
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12, err_msg=report(ours, ref))
# --8<-- [end:test_adam_update]


@pytest.mark.formula("eq-adam-update")
def test_the_first_adam_step_has_length_lr_in_every_coordinate(torch_reference):
    # t = 1: m̂ = g, v̂ = g², so the step is α g / (|g| + δ) ≈ α sign(g), whatever |g|
    assert torch_reference["adam_defaults"]["eps"] == 1e-8
    g = np.array([1e3, -1.0, 1e-3])
    theta, m, v = adam_step(np.zeros(3), g, np.zeros(3), np.zeros(3), 1, 0.1)
    np.testing.assert_allclose(theta, -0.1 * g / (np.abs(g) + 1e-8), rtol=1e-14)
    np.testing.assert_allclose(m, 0.1 * g)


@pytest.mark.formula("eq-adam-update")
@given(seed=st.integers(0, 2**32 - 1), log_c=st.floats(-6.0, 6.0))
@settings(max_examples=10, deadline=None)
def test_with_delta_zero_rescaling_all_gradients_leaves_the_path_unchanged(seed, log_c):
    # m̂ scales by c, √v̂ by c: the ratio, hence every step, is invariant (δ = 0)
    g = np.random.default_rng(seed).normal(size=(20, 3))
    c = 10.0**log_c
    paths = []
    for scale in (1.0, c):
        theta, m, v = np.zeros(3), np.zeros(3), np.zeros(3)
        for t in range(1, 21):
            theta, m, v = adam_step(theta, scale * g[t - 1], m, v, t, 0.1, eps=0.0)
        paths.append(theta)
    np.testing.assert_allclose(paths[1], paths[0], rtol=1e-9, atol=1e-12)


# --8<-- [start:test_adam_l2]
@pytest.mark.formula("eq-adam-l2")
def test_adam_with_l2_matches_torch_adam_weight_decay(torch_reference):
    ours = numpy_run(adam_step, lr=LR, weight_decay=WD, **OURS_KW)
    ref = torch_reference["adam-l2"]
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12, err_msg=report(ours, ref))
    # and it is a different run from plain Adam
    assert np.abs(ref - torch_reference["adam"]).max() > 0.1
# --8<-- [end:test_adam_l2]


@pytest.mark.formula("eq-adam-l2")
def test_adam_l2_is_adam_on_the_regularised_gradient():
    # the L2 term enters exactly as the gradient of (λ/2)‖θ‖², here written out by autograd
    rng = np.random.default_rng(2)
    theta, grad = rng.normal(size=4), rng.normal(size=4)
    m, v = rng.normal(size=4), rng.random(4)
    x = torch.tensor(theta, requires_grad=True)
    (0.5 * 0.3 * (x**2).sum()).backward()
    reg_grad = grad + x.grad.numpy()
    expected = adam_step(theta, reg_grad, m, v, 7, 0.01, 0.8, 0.99, 1e-6)
    got = adam_step(theta, grad, m, v, 7, 0.01, 0.8, 0.99, 1e-6, weight_decay=0.3)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-14)


# --8<-- [start:test_adamw]
@pytest.mark.formula("eq-adamw")
def test_adamw_matches_torch_adamw_over_300_steps(torch_reference):
    ours = numpy_run(adamw_step, lr=LR, weight_decay=WD, **OURS_KW)
    ref = torch_reference["adamw"]
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12, err_msg=report(ours, ref))
    # the snippet's defaults are torch.optim.AdamW's (weight_decay 0.01, betas, eps)
    assert torch_reference["adamw_defaults"]["weight_decay"] == 0.01
    ours_default = numpy_run(adamw_step, lr=LR)
    np.testing.assert_allclose(ours_default, torch_reference["adamw-default"],
                               rtol=1e-10, atol=1e-12)
# --8<-- [end:test_adamw]


@pytest.mark.formula("eq-adamw")
def test_adamw_differs_from_adam_with_l2(torch_reference):
    # same λ, same data: decoupled decay and L2 inside Adam are different algorithms
    gap = np.abs(torch_reference["adamw"] - torch_reference["adam-l2"]).max()
    assert gap > 0.05, gap
    ours_gap = np.abs(numpy_run(adamw_step, lr=LR, weight_decay=WD, **OURS_KW)
                      - numpy_run(adam_step, lr=LR, weight_decay=WD, **OURS_KW)).max()
    assert ours_gap == pytest.approx(gap, rel=1e-6)


# --8<-- [start:test_adamw_paper]
@pytest.mark.formula("eq-adamw-paper")
def test_algorithm_2_is_torch_adamw_with_lr_kappa_alpha_and_decay_lambda_over_alpha(
        torch_reference):
    theta, m, v = THETA0.copy(), np.zeros(D), np.zeros(D)
    ours = [theta]
    for t in range(1, N_STEPS + 1):
        theta, m, v = adamw_step_paper(theta, noisy_grad(theta, t), m, v, t, ALPHA_PAPER,
                                       SCHEDULE[t - 1], 0.85, 0.95, weight_decay=LAMBDA_PAPER)
        ours.append(theta)
    ref = torch_reference["adamw-paper"]
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)
    # reading the paper's λ = 0.01 as PyTorch's weight_decay = 0.01 is a different run:
    # its decay per step is α times smaller
    theta, m, v = THETA0.copy(), np.zeros(D), np.zeros(D)
    misread = [theta]
    for t in range(1, N_STEPS + 1):
        theta, m, v = adamw_step(theta, noisy_grad(theta, t), m, v, t,
                                 SCHEDULE[t - 1] * ALPHA_PAPER, 0.85, 0.95,
                                 weight_decay=LAMBDA_PAPER)
        misread.append(theta)
    assert np.abs(np.array(misread) - ref).max() > 0.05
# --8<-- [end:test_adamw_paper]


@pytest.mark.formula("eq-adamw-paper")
def test_algorithm_2_by_hand_at_step_one():
    # t = 1, g = 2, θ = 1: θ_1 = 1 − κ(α·2/(2 + δ) + λ·1)
    theta, m, v = adamw_step_paper(np.ones(1), np.array([2.0]), np.zeros(1), np.zeros(1), 1,
                                   alpha=0.1, schedule=0.5, weight_decay=0.2, eps=0.0)
    np.testing.assert_allclose(theta, [1 - 0.5 * (0.1 + 0.2)], rtol=1e-15)
    # defaults: β1 = 0.9, β2 = 0.999, δ = 1e-8, λ = 0 (no decay)
    theta, m, v = adamw_step_paper(np.ones(1), np.array([2.0]), np.zeros(1), np.zeros(1), 1,
                                   alpha=0.1, schedule=1.0)
    np.testing.assert_allclose(theta, [1 - 0.1 * 2 / (2 + 1e-8)], rtol=1e-15)
    np.testing.assert_allclose([m[0], v[0]], [0.2, 0.004], rtol=1e-14)


# --8<-- [start:test_sgd]
@pytest.mark.formula("eq-sgd-equivalence")
@given(seed=st.integers(0, 2**32 - 1), lr=st.floats(1e-3, 0.5),
       lam=st.floats(0.0, 1.0), T=st.integers(1, 30))
@settings(max_examples=15, deadline=None)
def test_sgd_l2_and_decay_coincide_with_the_lr_scaled_coefficient(seed, lr, lam, T):
    rng = np.random.default_rng(seed)
    h, c = rng.uniform(0.1, 2.0, 3), rng.normal(size=3)
    a = b = rng.normal(size=3)
    for _ in range(T):
        a = sgd_l2_step(a, quadratic_grad(a, h, c), lr, weight_decay=lam)
        b = sgd_decay_step(b, quadratic_grad(b, h, c), lr, decay=lr * lam)
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
# --8<-- [end:test_sgd]


@pytest.mark.formula("eq-sgd-equivalence")
def test_sgd_l2_matches_torch_sgd_and_the_decay_form(torch_reference):
    theta = THETA0.copy()
    ours = [theta]
    for t in range(1, N_STEPS + 1):
        theta = sgd_l2_step(theta, noisy_grad(theta, t), LR / 10, weight_decay=WD)
        ours.append(theta)
    np.testing.assert_allclose(ours, torch_reference["sgd-l2"], rtol=1e-10, atol=1e-12)
    # the paper's Eq. (1): decay λ per step equals L2 with λ' = λ / α
    theta = THETA0.copy()
    for t in range(1, N_STEPS + 1):
        theta = sgd_decay_step(theta, noisy_grad(theta, t), LR / 10, decay=WD * LR / 10)
    np.testing.assert_allclose(theta, ours[-1], rtol=1e-10, atol=1e-12)
    assert sgd_l2_step(np.ones(1), np.zeros(1), 0.1).tolist() == [1.0]  # default λ' = 0


@pytest.mark.formula("eq-adam-inequivalence")
@given(lam_l2=st.floats(0.0, 1e6))
@settings(max_examples=30, deadline=None)
def test_no_l2_coefficient_reproduces_the_first_adamw_step(lam_l2):
    # θ = (1, 1), g = (1, 0.01), α = 0.1, λ = 0.5: AdamW's first step moves each coordinate
    # by α(λθ_i + g_i/(|g_i| + δ)) ≈ 0.15 > α, while every Adam step with L2 moves each
    # coordinate by α |x|/(|x| + δ) < α at t = 1, for any λ'
    theta, g, z = np.ones(2), np.array([1.0, 0.01]), np.zeros(2)
    decoupled = theta - adamw_step(theta, g, z, z, 1, 0.1, weight_decay=0.5)[0]
    assert np.all(np.abs(decoupled) > 0.1499)
    l2 = theta - adam_step(theta, g, z, z, 1, 0.1, weight_decay=lam_l2)[0]
    assert np.all(np.abs(l2) <= 0.1)


# --8<-- [start:test_inequivalence]
@pytest.mark.formula("eq-adam-inequivalence")
def test_with_beta1_zero_the_l2_term_is_a_decay_divided_by_sqrt_v_hat():
    rng = np.random.default_rng(3)
    theta, grad = rng.normal(size=4), rng.normal(size=4) * [100, 1, 0.1, 0.01]
    m, v = np.zeros(4), rng.random(4) * [1e4, 1, 1e-2, 1e-4]
    lr, lam, beta2, t = 0.01, 0.1, 0.99, 5
    theta_l2, _, v_new = adam_step(theta, grad, m, v, t, lr, 0.0, beta2, 1e-8, lam)
    # v̂ of the L2 run written out: (β2 v + (1 − β2)(g + λθ)²) / (1 − β2^t)
    v_hat = (beta2 * v + (1 - beta2) * (grad + lam * theta) ** 2) / (1 - beta2**t)
    lam_i = effective_l2_decay(v_hat, lam)
    # = θ − α ∇f / (√v̂ + δ) − α λ_i θ
    np.testing.assert_allclose(theta_l2, theta - lr * grad / (np.sqrt(v_hat) + 1e-8)
                               - lr * lam_i * theta, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lam_i, lam / (np.sqrt(v_hat) + 1e-8), rtol=1e-15)
    # the effective decays span orders of magnitude across coordinates
    assert lam_i.max() / lam_i.min() > 100
    np.testing.assert_allclose(effective_l2_decay([4.0], 0.5, eps=0.0), [0.25], rtol=1e-15)
    np.testing.assert_allclose(effective_l2_decay([4.0], 0.5), [0.5 / (2 + 1e-8)], rtol=1e-15)
# --8<-- [end:test_inequivalence]


@pytest.mark.formula("eq-adam-inequivalence")
def test_on_the_quadratic_l2_adam_ends_at_the_l2_minimiser_and_adamw_does_not():
    h, c, lam = np.array([100.0, 1.0]), np.array([1.0, 1.0]), 0.5
    grad_fn = lambda x: quadratic_grad(x, h, c)  # noqa: E731
    l2 = trajectory("adam-l2", grad_fn, np.zeros(2), 1000, 0.01, lam)
    # the minimiser of f + (λ/2)‖θ‖², solved by hand: h c / (h + λ) = (0.995, 0.667)
    np.testing.assert_allclose(l2[-1], h * c / (h + lam), rtol=1e-8)
    # AdamW shrinks both coordinates alike: with δ = 0 its path does not depend on h_i
    w = trajectory("adamw", grad_fn, np.zeros(2), 500, 0.01, lam, eps=0.0)
    np.testing.assert_allclose(w[:, 0], w[:, 1], rtol=1e-12, atol=1e-14)
    assert abs(w[-1, 1] - 2 / 3) > 0.15
    # plain SGD with L2 reaches the same minimiser (contraction 1 − 0.015·1.5 per step, 1,000 steps)
    np.testing.assert_allclose(trajectory("sgd-l2", grad_fn, np.zeros(2), 1000, 0.015, lam)[-1],
                               h * c / (h + lam), rtol=1e-8)


@pytest.mark.formula("eq-adam-inequivalence")
def test_with_a_frozen_denominator_decay_is_an_l2_weighted_by_s():
    # θ ← θ − α ∇f/s − αλθ equals θ − α (∇f + ∇R)/s with R = (λ/2) Σ s_i θ_i², ∇R by autograd
    rng = np.random.default_rng(4)
    theta, grad, s = rng.normal(size=4), rng.normal(size=4), rng.uniform(0.01, 100, 4)
    alpha, lam = 0.05, 0.3
    x = torch.tensor(theta, requires_grad=True)
    (0.5 * lam * (torch.tensor(s) * x**2).sum()).backward()
    decoupled = theta - alpha * grad / s - alpha * lam * theta
    np.testing.assert_allclose(decoupled, theta - alpha * (grad + x.grad.numpy()) / s,
                               rtol=1e-13, atol=1e-15)
    # and not the plain L2 of the same λ (the s_i differ)
    assert np.abs(decoupled - (theta - alpha * (grad + lam * theta) / s)).max() > 1e-3


@pytest.mark.formula("eq-adam-inequivalence")
def test_the_fixed_point_of_deterministic_adamw_is_within_delta_of_the_plain_minimiser():
    # at rest with a constant gradient G (t large, so 1 − β^t = 1): m̂ = G, v̂ = G², and
    # θ stays put iff G/(|G| + δ) = −λθ, i.e. |G| = δ λ|θ| / (1 − λ|θ|) for λ|θ| < 1
    h, c, lam, lr, delta = np.array([100.0, 1.0]), np.array([1.0, 1.0]), 0.5, 0.01, 1e-8
    theta = c.copy()
    for _ in range(50):  # solve θ = c + G/h with G = −δ λθ / (1 − λθ) by iteration
        G = -delta * lam * theta / (1 - lam * theta)
        theta = c + G / h
    assert np.abs(theta - c).max() < 2e-8  # within δ/h of the minimiser of f
    grad = quadratic_grad(theta, h, c)
    step = adamw_step(theta, grad, grad, grad**2, 10**6, lr, weight_decay=lam)[0] - theta
    assert np.abs(step).max() < 1e-9  # rounding of θ − c limits this, not the formula
    # the L2 minimiser h c / (h + λ) is not at rest under AdamW: it moves by ~αλθ
    l2_min = h * c / (h + lam)
    g2 = quadratic_grad(l2_min, h, c)
    step = adamw_step(l2_min, g2, g2, g2**2, 10**6, lr, weight_decay=lam)[0] - l2_min
    assert np.abs(step).min() > 1e-3


def test_trajectory_defaults_and_the_decay_form_of_sgd():
    grad_fn = lambda x: quadratic_grad(x, [2.0], [1.0])  # noqa: E731
    a = trajectory("sgd-decay", grad_fn, [0.0], 3, 0.1, 0.5)
    # θ_1 = 0.95·0 + 0.2 = 0.2; θ_2 = 0.95·0.2 − 0.1·2·(0.2 − 1) = 0.35; θ_3 = 0.4625
    np.testing.assert_allclose(a[:, 0], [0.0, 0.2, 0.35, 0.4625], rtol=1e-14)
    b = trajectory("adamw", grad_fn, [0.0], 4, 0.1, 0.5)
    theta, m, v = np.zeros(1), np.zeros(1), np.zeros(1)
    for t in range(1, 5):
        theta, m, v = adamw_step(theta, grad_fn(theta), m, v, t, 0.1, 0.9, 0.999, 1e-8, 0.5)
    np.testing.assert_allclose(b[-1], theta, rtol=1e-15)
    assert trajectory("adam-l2", grad_fn, [0.0], 0, 0.1, 0.5).shape == (1, 1)


def test_trajectory_runs_exactly_the_named_step_functions():
    # sgd-l2 and sgd-decay agree only up to rounding (the page's equivalence); the dispatch
    # must call the named function, so compare bit for bit with explicit loops
    grad_fn = lambda x: quadratic_grad(x, [3.0, 0.7], [1.0, -2.0])  # noqa: E731
    theta0, n, lr, lam = np.array([0.3, 0.9]), 60, 0.07, 0.4
    a, b = theta0.copy(), theta0.copy()
    for _ in range(n):
        a = sgd_l2_step(a, grad_fn(a), lr, lam)
        b = sgd_decay_step(b, grad_fn(b), lr, lr * lam)
    assert not np.array_equal(a, b)  # the two forms round differently
    np.testing.assert_array_equal(trajectory("sgd-l2", grad_fn, theta0, n, lr, lam)[-1], a)
    np.testing.assert_array_equal(trajectory("sgd-decay", grad_fn, theta0, n, lr, lam)[-1], b)
    theta, m, v = theta0.copy(), np.zeros(2), np.zeros(2)
    for t in range(1, n + 1):
        theta, m, v = adam_step(theta, grad_fn(theta), m, v, t, lr, 0.7, 0.9, 1e-3, lam)
    np.testing.assert_array_equal(
        trajectory("adam-l2", grad_fn, theta0, n, lr, lam, 0.7, 0.9, 1e-3)[-1], theta)


def test_edge_values_that_are_allowed():
    # integers are promoted to float before squaring: (2^40)^2 would overflow int64
    m, v = adam_moments([0], [0], [2**40])
    assert v[0] == pytest.approx(0.001 * 2.0**80, rel=1e-15)
    # schedule 0 freezes the parameters; decay 1 forgets them in one step
    theta = adamw_step_paper([1.0], [2.0], [0.0], [0.0], 1, 0.1, 0.0, weight_decay=0.5)[0]
    assert theta.tolist() == [1.0]
    assert sgd_decay_step([5.0], [2.0], 0.1, 1.0).tolist() == [-0.2]
    assert sgd_decay_step([5.0], [2.0], 0.1, 0.0).tolist() == [4.8]
    assert effective_l2_decay([0.0], 0.5).tolist() == [0.5 / 1e-8]  # v̂ = 0 is allowed


Z1 = [0.0]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: adam_moments(np.zeros(2), np.zeros(2), np.zeros(3)), r"^m must have shape \(3,\)"),
        (lambda: adam_moments(np.zeros(2), np.zeros(3), np.zeros(2)), r"^v must have shape \(2,\)"),
        (lambda: adam_moments(Z1, [np.nan], Z1), "^v must be finite"),
        (lambda: adam_moments([np.nan], Z1, Z1), "^m must be finite"),
        (lambda: adam_moments(Z1, [-1.0], Z1), "^v must be non-negative"),
        (lambda: adam_moments(Z1, Z1, [np.nan]), "^grad must be finite"),
        (lambda: adam_moments(Z1, Z1, [1.0], beta1=1.0), r"^beta1 must be in \[0, 1\), got 1.0"),
        (lambda: adam_moments(Z1, Z1, [1.0], beta1=-0.1), "^beta1 must be in"),
        (lambda: adam_moments(Z1, Z1, [1.0], beta2=-0.1), "^beta2 must be in"),
        (lambda: adam_moments(Z1, Z1, [1.0], beta2=1.0), "^beta2 must be in"),
        (lambda: bias_correction(Z1, Z1, 0), r"^t must be an integer >= 1 \(the first step is t = 1\), got 0"),
        (lambda: bias_correction(Z1, Z1, 1.5), "^t must be an integer"),
        (lambda: bias_correction(Z1, Z1, True), "^t must be an integer"),
        (lambda: bias_correction([np.nan], Z1, 1), "^m must be finite"),
        (lambda: bias_correction(Z1, [-1.0], 1), "^v must be non-negative"),
        (lambda: bias_correction(Z1, np.zeros(2), 1), r"^v must have shape \(1,\) like theta, got \(2,\)"),
        (lambda: bias_correction(Z1, Z1, 1, beta1=1.0), "^beta1 must"),
        (lambda: bias_correction(Z1, Z1, 1, beta2=1.0), "^beta2 must"),
        (lambda: adam_step(np.zeros(2), Z1, np.zeros(2), np.zeros(2), 1, 0.1), r"^grad must have shape \(2,\) like theta"),
        (lambda: adam_step([np.inf], Z1, Z1, Z1, 1, 0.1), "^theta must be finite"),
        (lambda: adam_step(Z1, Z1, [0.0, 1.0], Z1, 1, 0.1), "^m must have shape"),
        (lambda: adam_step(Z1, Z1, Z1, [-1.0], 1, 0.1), "^v must be non-negative"),
        (lambda: adam_step(Z1, Z1, Z1, Z1, 0, 0.1), "^t must be an integer >= 1"),
        (lambda: adam_step(Z1, Z1, Z1, Z1, 1, 0.0), "^lr must be positive, got 0.0"),
        (lambda: adam_step(Z1, Z1, Z1, Z1, 1, 0.1, eps=-1.0), "^eps must be non-negative, got -1.0"),
        (lambda: adam_step(Z1, Z1, Z1, Z1, 1, 0.1, weight_decay=-0.1), "^weight_decay must be non-negative"),
        (lambda: adam_step(Z1, Z1, Z1, Z1, 1, 0.1, beta1=1.0), "^beta1 must"),
        (lambda: adamw_step(Z1, Z1, Z1, Z1, 1, -1.0), "^lr must be positive"),
        (lambda: adamw_step(Z1, Z1, Z1, Z1, 2.5, 0.1), "^t must be an integer"),
        (lambda: adamw_step(Z1, Z1, Z1, Z1, 1, 0.1, eps=-1.0), "^eps must be non-negative"),
        (lambda: adamw_step(Z1, Z1, Z1, Z1, 1, 0.1, weight_decay=-1.0), "^weight_decay must be non-negative"),
        (lambda: adamw_step(Z1, [0.0, 1.0], Z1, Z1, 1, 0.1), "^grad must have shape"),
        (lambda: adamw_step(Z1, Z1, Z1, Z1, 1, 0.1, beta2=1.0), "^beta2 must"),
        (lambda: adamw_step_paper(Z1, Z1, Z1, Z1, 1, 0.1, -0.5), "^schedule must be non-negative, got -0.5"),
        (lambda: adamw_step_paper(Z1, Z1, Z1, Z1, 1, 0.1, np.nan), "^schedule must be"),
        (lambda: adamw_step_paper(Z1, Z1, Z1, Z1, 1, 0.0, 1.0), "^alpha must be positive, got 0.0"),
        (lambda: adamw_step_paper(Z1, Z1, Z1, Z1, 1, 0.1, 1.0, eps=-1.0), "^eps must be non-negative"),
        (lambda: adamw_step_paper(Z1, Z1, Z1, Z1, 1, 0.1, 1.0, weight_decay=-1.0), "^weight_decay must be non-negative"),
        (lambda: adamw_step_paper(Z1, Z1, Z1, Z1, 0, 0.1, 1.0), "^t must be"),
        (lambda: sgd_l2_step(Z1, [0.0, 1.0], 0.1), r"^grad must have shape \(1,\)"),
        (lambda: sgd_l2_step([np.nan], Z1, 0.1), "^theta must be finite"),
        (lambda: sgd_l2_step(Z1, Z1, 0.0), "^lr must be positive"),
        (lambda: sgd_l2_step(Z1, Z1, 0.1, -1.0), "^weight_decay must be non-negative"),
        (lambda: sgd_decay_step(Z1, Z1, 0.1, -0.1), r"^decay must be in \[0, 1\] \(a rate per step\), got -0.1"),
        (lambda: sgd_decay_step(Z1, Z1, 0.1, 1.5), "^decay must be in"),
        (lambda: sgd_decay_step(Z1, Z1, 0.0, 0.1), "^lr must be positive"),
        (lambda: sgd_decay_step([np.nan], Z1, 0.1, 0.1), "^theta must be finite"),
        (lambda: sgd_decay_step(Z1, [0.0, 1.0], 0.1, 0.1), r"^grad must have shape \(1,\)"),
        (lambda: effective_l2_decay([-1.0], 0.1), r"^v_hat must be non-negative \(a moving average of squares\)"),
        (lambda: effective_l2_decay([np.inf], 0.1), "^v_hat must be finite"),
        (lambda: effective_l2_decay([1.0], -0.1), "^weight_decay must be non-negative"),
        (lambda: effective_l2_decay([1.0], 0.1, eps=-1.0), "^eps must be non-negative"),
        (lambda: quadratic_grad(Z1, Z1, [1.0]), "^curvature must be positive$"),
        (lambda: quadratic_grad([np.nan], [1.0], [1.0]), "^theta must be finite"),
        (lambda: quadratic_grad(Z1, [1.0, 2.0], [1.0]), r"^curvature must have shape \(1,\)"),
        (lambda: quadratic_grad(Z1, [1.0], [1.0, 2.0]), r"^centre must have shape \(1,\)"),
        (lambda: trajectory("sgd", lambda x: x, Z1, 3, 0.1, 0.0), r"^method must be one of \('adam-l2', 'adamw', 'sgd-l2', 'sgd-decay'\), got 'sgd'"),
        (lambda: trajectory("adamw", lambda x: x, Z1, -1, 0.1, 0.0), "^n_steps must be non-negative, got -1"),
        (lambda: trajectory("adamw", lambda x: x, [np.nan], 1, 0.1, 0.0), "^theta0 must be finite"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
