"""Checks of llm-rl/dapo: every key equation against something independent.

Independent references used here: explicit Python loops over responses and tokens with
math.exp / math.log, hand-computed numbers, torch autograd against the analytic gradient
written on the page, exhaustive enumeration of all 2^G correctness patterns of a group, and
the piecewise definition of the overlong penalty written with if/else.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.llm_rl.dapo import (
    aggregate_loss,
    clip_active,
    dapo_logp_grad,
    dapo_loss,
    dynamic_sampling_keep,
    overlong_penalty,
    rule_reward,
    token_weights,
)
from snippets.llm_rl.grpo import group_advantages, grpo_loss
from snippets.llm_rl.rlhf_ppo import gae, ppo_clip_objective, ppo_policy_loss

F64 = torch.float64


def batch(seed: int, lengths, T: int):
    """Random logp, logp_old (float64, <= 0) and a right-padded mask of given lengths.

    lengths: nested list of shape (..., G); returns tensors of shape (..., G, T).
    """
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor(lengths)
    mask = (torch.arange(T) < lengths[..., None]).to(F64)
    logp_old = -torch.rand(mask.shape, generator=g, dtype=F64) * 2 - 0.05
    logp = torch.clamp(logp_old + 0.4 * torch.randn(mask.shape, generator=g, dtype=F64),
                       max=-1e-3)
    return logp, logp_old, mask


def loop_surrogate(lp, lo, a, eps_low, eps_high):
    """min(r A, clip(r, 1 - eps_low, 1 + eps_high) A) for one token, with math.exp."""
    r = math.exp(lp - lo)
    return min(r * a, min(max(r, 1 - eps_low), 1 + eps_high) * a)


def lens_of(mask):
    return [int(n) for n in mask.sum(-1).reshape(-1)]


# --8<-- [start:test_ppo_objective]
@pytest.mark.formula("eq-ppo-objective")
def test_ppo_loss_with_gae_equals_a_loop():
    logp, logp_old, mask = batch(0, [[3, 5]], T=5)
    g = torch.Generator().manual_seed(1)
    rewards = torch.randn(mask.shape, generator=g, dtype=F64) * mask
    values = torch.randn(mask.shape[:-1] + (6,), generator=g, dtype=F64)
    adv = gae(rewards, values, gamma=1.0, lam=0.95, mask=mask)  # Â_t by GAE, (1, 2, 5)
    got = ppo_policy_loss(logp, logp_old, adv, mask, 0.2)  # mean over the 8 tokens
    want = sum(loop_surrogate(float(logp[0, i, t]), float(logp_old[0, i, t]),
                              float(adv[0, i, t]), 0.2, 0.2)
               for i, n in enumerate(lens_of(mask)) for t in range(n))
    assert abs(float(got) + want / 8) < 1e-12
# --8<-- [end:test_ppo_objective]


@pytest.mark.formula("eq-ppo-objective")
def test_ppo_loss_by_hand_and_per_response_advantages():
    # r = 1.5 and 0.5; A = +2 (per response, broadcast over tokens)
    logp_old = torch.log(torch.tensor([[0.2, 0.4]], dtype=F64))
    logp = torch.log(torch.tensor([[0.3, 0.2]], dtype=F64))
    mask = torch.ones(1, 2, dtype=F64)
    got = ppo_policy_loss(logp, logp_old, [2.0], mask, 0.2, 0.28)
    # min(3, 1.28·2) = 2.56 and, at r = 0.5 < 1 − 0.2, min(1.0, 0.8·2) = 1.0
    assert abs(float(got) + (2.56 + 1.0) / 2) < 1e-12
    # eps_high defaults to eps_low: min(3, 1.2·2) = 2.4
    got = ppo_policy_loss(logp, logp_old, [2.0], mask, 0.2)
    assert abs(float(got) + (2.4 + 1.0) / 2) < 1e-12


# --8<-- [start:test_grpo_objective]
@pytest.mark.formula("eq-grpo-objective")
def test_grpo_loss_equals_explicit_loops():
    logp, logp_old, mask = batch(2, [[2, 6, 4], [5, 1, 3]], T=6)  # 2 questions, G = 3
    logp_ref = batch(3, [[6, 6, 6], [6, 6, 6]], T=6)[1]
    rewards = torch.tensor([[1.0, -1.0, -1.0], [1.0, 1.0, -1.0]], dtype=F64)
    adv = group_advantages(rewards)
    got = grpo_loss(logp, logp_old, logp_ref, adv, mask)  # ε = 0.2, β = 0.04
    total = 0.0
    for b, i in itertools.product(range(2), range(3)):
        n = int(mask[b, i].sum())
        inner = 0.0
        for t in range(n):
            lp, lr = float(logp[b, i, t]), float(logp_ref[b, i, t])
            kl = math.exp(lr - lp) - (lr - lp) - 1  # k3
            inner += loop_surrogate(lp, float(logp_old[b, i, t]), float(adv[b, i]),
                                    0.2, 0.2) - 0.04 * kl
        total += inner / n  # 1/|o_i| Σ_t
    assert abs(float(got) - (-total / 6)) < 1e-12  # −1/G Σ_i, averaged over 2 questions
# --8<-- [end:test_grpo_objective]


# --8<-- [start:test_no_kl]
@pytest.mark.formula("eq-no-kl")
def test_beta_zero_drops_the_reference_model():
    logp, logp_old, mask = batch(4, [[3, 7]], T=7)
    adv = torch.tensor([[0.7, -0.7]], dtype=F64)
    ref = torch.zeros_like(logp, requires_grad=True)
    with_kl = grpo_loss(logp, logp_old, ref, adv, mask, beta=0.04)
    with_kl.backward()
    assert ref.grad.abs().max() > 1e-3  # β > 0: the loss depends on π_ref
    no_ref = grpo_loss(logp, logp_old, None, adv, mask, beta=0.0)  # no π_ref needed
    ref2 = torch.zeros_like(logp, requires_grad=True)
    zero_beta = grpo_loss(logp, logp_old, ref2, adv, mask, beta=0.0)
    assert not zero_beta.requires_grad  # π_ref is not even read
    assert float(no_ref) == float(zero_beta)
    # and what remains is the clipped surrogate alone, by the loop
    want = sum(sum(loop_surrogate(float(logp[0, i, t]), float(logp_old[0, i, t]),
                                  float(adv[0, i]), 0.2, 0.2) for t in range(n)) / n
               for i, n in enumerate([3, 7])) / 2
    assert abs(float(no_ref) + want) < 1e-12
    # with β > 0 the k3 term (≥ 0) raises the loss by β · its sample-level mean
    assert float(with_kl.detach()) > float(no_ref)
# --8<-- [end:test_no_kl]


# --8<-- [start:test_rule_reward]
@pytest.mark.formula("eq-rule-reward")
def test_rule_reward_is_plus_minus_one():
    got = rule_reward(torch.tensor([[True, False], [False, True]]))
    assert got.tolist() == [[1.0, -1.0], [-1.0, 1.0]]
    assert rule_reward([1, 0, 1]).tolist() == [1.0, -1.0, 1.0]
    assert got.dtype == torch.get_default_dtype()
# --8<-- [end:test_rule_reward]


# --8<-- [start:test_clip_higher]
@pytest.mark.formula("eq-clip-higher")
def test_clip_higher_range_and_zero_gradient_outside():
    eps_low, eps_high = 0.2, 0.28
    # ratios on a grid that avoids the two kinks exactly
    r = torch.linspace(0.5, 1.6, 111, dtype=F64) + 1e-4
    for a in (1.5, -1.5):
        ratio = r.clone().requires_grad_(True)
        adv = torch.full_like(r, a)
        obj = ppo_clip_objective(ratio, adv, eps_low, eps_high)
        obj.sum().backward()
        # the objective equals A times the ratio confined to one side of the range
        bound = torch.minimum(r, torch.tensor(1 + eps_high, dtype=F64)) if a > 0 else \
            torch.maximum(r, torch.tensor(1 - eps_low, dtype=F64))
        torch.testing.assert_close(obj.detach(), a * bound, rtol=0, atol=1e-12)
        # autograd slope = A where the page says "active", 0 elsewhere
        slope = a * clip_active(r, adv, eps_low, eps_high)
        torch.testing.assert_close(ratio.grad, slope, rtol=0, atol=0)
        outside = (r > 1 + eps_high) if a > 0 else (r < 1 - eps_low)
        assert (ratio.grad[outside] == 0).all() and (ratio.grad[~outside] == a).all()
        assert outside.any() and (~outside).any()
# --8<-- [end:test_clip_higher]


@pytest.mark.formula("eq-clip-higher")
def test_clip_active_by_hand():
    ratio = torch.tensor([1.25, 1.25, 0.75, 0.75, 1.3, 0.7, 2.0], dtype=F64)
    adv = torch.tensor([1.0, -1.0, -1.0, 1.0, 0.0, 0.0, -1.0], dtype=F64)
    # 1.25 < 1.28 still active for A > 0 (a symmetric ε = 0.2 would stop it);
    # 0.75 < 0.8 stopped for A < 0; A = 0 never "stopped"; r = 2 with A < 0 is active
    assert clip_active(ratio, adv, 0.2, 0.28).tolist() == [1, 1, 0, 1, 1, 1, 1]
    assert clip_active(ratio, adv, 0.2, 0.2).tolist() == [0, 1, 0, 1, 1, 1, 1]
    # just inside / outside each bound
    r = torch.tensor([1.2799, 1.2801, 0.8001, 0.7999], dtype=F64)
    a = torch.tensor([1.0, 1.0, -1.0, -1.0], dtype=F64)
    assert clip_active(r, a, 0.2, 0.28).tolist() == [1, 0, 1, 0]
    assert clip_active(r, a, 0.2, 0.28).dtype == F64
    # exactly on a bound the gradient still flows, as torch's autograd says
    on = torch.tensor([1 + 0.28, 1 - 0.2], dtype=F64, requires_grad=True)
    a = torch.tensor([1.0, -1.0], dtype=F64)
    ppo_clip_objective(on, a, 0.2, 0.28).sum().backward()
    assert on.grad.tolist() == [1.0, -1.0]
    assert clip_active(on.detach(), a, 0.2, 0.28).tolist() == [1.0, 1.0]


# --8<-- [start:test_dynamic_sampling]
@pytest.mark.formula("eq-dynamic-sampling")
@pytest.mark.parametrize("G", [2, 4])
def test_dynamic_sampling_removes_exactly_the_zero_advantage_groups(G):
    patterns = torch.tensor(list(itertools.product([0, 1], repeat=G)))  # all 2^G groups
    keep = dynamic_sampling_keep(patterns)
    adv = group_advantages(rule_reward(patterns).to(F64))
    zero_adv = (adv == 0).all(-1)
    assert (keep == ~zero_adv).all()
    # exactly two groups go: all wrong and all correct
    dropped = patterns[~keep].tolist()
    assert dropped == [[0] * G, [1] * G]
    assert keep.shape == (2**G,) and keep.dtype == torch.bool
    # leading axes (2, 3) of groups, G on the last axis
    many = patterns[torch.arange(6) % 2**G].reshape(2, 3, G)
    assert (dynamic_sampling_keep(many) == keep[torch.arange(6) % 2**G].reshape(2, 3)).all()
    assert bool(dynamic_sampling_keep([1, 0, 1])) and not dynamic_sampling_keep([1, 1])
# --8<-- [end:test_dynamic_sampling]


@pytest.mark.formula("eq-dynamic-sampling")
def test_dropped_groups_carry_no_gradient_under_sample_level_averaging():
    logp, logp_old, mask = batch(5, [[2, 5, 3], [4, 4, 1]], T=5)
    correct = torch.tensor([[1, 0, 1], [1, 1, 1]])
    adv = group_advantages(rule_reward(correct).to(F64))
    keep = dynamic_sampling_keep(correct)
    assert keep.tolist() == [True, False]
    lp = logp.clone().requires_grad_(True)
    grpo_loss(lp, logp_old, None, adv, mask, beta=0.0).backward()
    assert (lp.grad[1] == 0).all() and lp.grad[0].abs().max() > 0


# --8<-- [start:test_token_level_loss]
@pytest.mark.formula("eq-token-level-loss")
def test_three_aggregations_against_loops_on_unequal_lengths():
    lengths = [[2, 8, 5], [1, 3, 8]]
    _, _, mask = batch(6, lengths, T=8)
    x = torch.randn(mask.shape, generator=torch.Generator().manual_seed(7), dtype=F64)
    flat = [(b, i, n) for b in range(2) for i, n in enumerate(lengths[b])]
    sample = sum(sum(float(x[b, i, t]) for t in range(n)) / n for b, i, n in flat) / 6
    total = sum(sum(float(x[b, i, t]) for t in range(n)) for b, i, n in flat)
    n_tokens = sum(n for _, _, n in flat)
    # token level per group: Σ over the group's tokens / the group's token count,
    # then the mean over the 2 groups (the paper's formula)
    per_group = sum(sum(float(x[b, i, t]) for i, n in enumerate(lengths[b])
                        for t in range(n)) / sum(lengths[b]) for b in range(2)) / 2
    for norm in ("group", "batch"):
        token = per_group if norm == "group" else total / n_tokens
        for mode, want in (("sample", sample), ("token", token),
                           ("fixed", total / (6 * 10))):
            got = aggregate_loss(x, mask, mode, max_len=10, norm=norm)
            assert abs(float(got) - want) < 1e-12
    # the conventions differ on unequal lengths (here by more than 0.05)
    assert abs(sample - total / n_tokens) > 0.05
    assert abs(sample - per_group) > 0.02 and abs(per_group - total / n_tokens) > 0.01
    # token weights = autograd of the aggregate, and the 2- vs 8-token table of the page
    for mode, norm in itertools.product(("sample", "token", "fixed"), ("group", "batch")):
        xg = x.clone().requires_grad_(True)
        aggregate_loss(xg, mask, mode, max_len=10, norm=norm).backward()
        torch.testing.assert_close(token_weights(mask, mode, 10, norm=norm), xg.grad,
                                   rtol=0, atol=1e-15)
    two = torch.tensor([[1.0] * 2 + [0.0] * 6, [1.0] * 8], dtype=F64)
    modes = ("sample", "token", "fixed")
    table = [[float(token_weights(two, m, 8)[i, 0]) for m in modes] for i in range(2)]
    assert table == [[1 / 4, 1 / 10, 1 / 16], [1 / 16, 1 / 10, 1 / 16]]
# --8<-- [end:test_token_level_loss]


@pytest.mark.formula("eq-token-level-loss")
def test_default_mode_is_token_and_equal_lengths_agree():
    _, _, mask = batch(8, [[4, 4, 4]], T=6)
    x = torch.randn(mask.shape, generator=torch.Generator().manual_seed(9), dtype=F64)
    token = float(aggregate_loss(x, mask, "token"))
    assert float(aggregate_loss(x, mask)) == token
    torch.testing.assert_close(token_weights(mask), token_weights(mask, "token"))
    # equal lengths |o_i| = 4: sample = token, and fixed with L_max = 4 (≥ T? no: T = 6)
    assert abs(float(aggregate_loss(x, mask, "sample")) - token) < 1e-12
    fixed = float(aggregate_loss(x, mask, "fixed", max_len=6))
    assert abs(fixed - token * 4 / 6) < 1e-12


# --8<-- [start:test_dapo_gradient]
@pytest.mark.formula("eq-dapo-objective")
def test_dapo_gradient_autograd_equals_the_analytic_formula():
    logp, logp_old, mask = batch(10, [[2, 8, 5, 3], [6, 1, 8, 4]], T=8)  # (2, 4, 8)
    correct = torch.tensor([[1, 0, 0, 1], [0, 1, 1, 1]])
    adv = group_advantages(rule_reward(correct).to(F64))
    lp = logp.clone().requires_grad_(True)
    dapo_loss(lp, logp_old, adv, mask).backward()  # defaults ε_low = 0.2, ε_high = 0.28
    r = torch.exp(logp - logp_old)
    # no ratio sits on a kink, where the slope is undefined
    assert ((r - 1.28).abs() > 1e-6).all() and ((r - 0.8).abs() > 1e-6).all()
    lp_batch = logp.clone().requires_grad_(True)
    dapo_loss(lp_batch, logp_old, adv, mask, norm="batch").backward()
    group_tokens = [float(mask[b].sum()) for b in range(2)]  # N_b = 25 and 19
    for norm, autograd in (("group", lp.grad), ("batch", lp_batch.grad)):
        grad = torch.zeros_like(logp)
        for b, i, t in itertools.product(range(2), range(4), range(8)):
            a, rr = float(adv[b, i]), float(r[b, i, t])
            stopped = (a > 0 and rr > 1.28) or (a < 0 and rr < 0.8)
            # N = B N_b (2 groups) per group, N = Σ_j |o_j| = 44 over the batch
            n = 2 * group_tokens[b] if norm == "group" else sum(group_tokens)
            if mask[b, i, t] == 1 and not stopped:
                grad[b, i, t] = -rr * a / n  # −r Â / N
        torch.testing.assert_close(autograd, grad, rtol=0, atol=1e-14)
        got = dapo_logp_grad(logp, logp_old, adv, mask, norm=norm)
        torch.testing.assert_close(got, grad, rtol=0, atol=1e-14)
        # some tokens on each side are clipped, so the indicator is exercised
        assert (grad == 0).sum() > (mask == 0).sum()
# --8<-- [end:test_dapo_gradient]


# --8<-- [start:test_dapo_norms]
@pytest.mark.formula("eq-dapo-objective")
def test_per_group_and_per_batch_token_means_on_groups_of_unequal_length():
    # group 1: |o| = 2, 3 (N_1 = 5 tokens); group 2: |o| = 8, 8 (N_2 = 16)
    lengths = [[2, 3], [8, 8]]
    logp, logp_old, mask = batch(14, lengths, T=8)
    adv = torch.tensor([[0.7, -0.7], [-0.7, 0.7]], dtype=F64)
    # J_b: the token mean of the clipped surrogate within group b, by a loop
    J, N = [], []
    for b in range(2):
        terms = [loop_surrogate(float(logp[b, i, t]), float(logp_old[b, i, t]),
                                float(adv[b, i]), 0.2, 0.28)
                 for i, n in enumerate(lengths[b]) for t in range(n)]
        J.append(sum(terms) / len(terms))
        N.append(len(terms))
    per_group = float(dapo_loss(logp, logp_old, adv, mask, norm="group"))
    per_batch = float(dapo_loss(logp, logp_old, adv, mask, norm="batch"))
    # the paper: the plain mean of the group means, each group weighs 1/B
    assert abs(per_group + (J[0] + J[1]) / 2) < 1e-12
    # common implementations: group b weighs N_b / (N_1 + N_2) = 5/21 and 16/21
    assert abs(per_batch + (N[0] * J[0] + N[1] * J[1]) / (N[0] + N[1])) < 1e-12
    # the two differ here, so swapping the normalisers fails the lines above
    assert abs(per_group - per_batch) > 0.01
    # total weight of each group's tokens: 1/2 and 1/2, against 5/21 and 16/21
    for norm, want in (("group", [1 / 2, 1 / 2]), ("batch", [5 / 21, 16 / 21])):
        w = token_weights(mask, "token", norm=norm)
        assert [float(w[b].sum()) for b in range(2)] == pytest.approx(want, abs=1e-15)
    # one group alone: both normalisers are the same
    one = [float(dapo_loss(logp[1:], logp_old[1:], adv[1:], mask[1:], norm=m))
           for m in ("group", "batch")]
    assert one[0] == one[1] and abs(one[0] + J[1]) < 1e-12
# --8<-- [end:test_dapo_norms]


@pytest.mark.formula("eq-dapo-objective")
def test_dapo_loss_equals_a_loop_and_uses_token_averaging():
    logp, logp_old, mask = batch(11, [[2, 8]], T=8)
    # both signs of Â on each response: the short one has a ratio of 1.16, inside
    # (1 + 0.1, 1 + 0.5], so a symmetric clip would give another value
    for adv in ([[-1.0, 1.0]], [[1.0, -1.0]]):
        adv = torch.tensor(adv, dtype=F64)
        total = sum(loop_surrogate(float(logp[0, i, t]), float(logp_old[0, i, t]),
                                   float(adv[0, i]), 0.2, 0.28)
                    for i, n in enumerate([2, 8]) for t in range(n))
        assert abs(float(dapo_loss(logp, logp_old, adv, mask)) + total / 10) < 1e-12
        got = dapo_loss(logp, logp_old, adv, mask, eps_low=0.1, eps_high=0.5)
        total = sum(loop_surrogate(float(logp[0, i, t]), float(logp_old[0, i, t]),
                                   float(adv[0, i]), 0.1, 0.5)
                    for i, n in enumerate([2, 8]) for t in range(n))
        assert abs(float(got) + total / 10) < 1e-12
        g = dapo_logp_grad(logp, logp_old, adv, mask, eps_low=0.1, eps_high=0.5)
        lp = logp.clone().requires_grad_(True)
        dapo_loss(lp, logp_old, adv, mask, eps_low=0.1, eps_high=0.5).backward()
        torch.testing.assert_close(g, lp.grad, rtol=0, atol=1e-14)


def piecewise(y: float, L_max: float, L_cache: float) -> float:
    """R_length written case by case, as in the paper."""
    if y <= L_max - L_cache:
        return 0.0
    if y <= L_max:
        return ((L_max - L_cache) - y) / L_cache
    return -1.0


# --8<-- [start:test_overlong_penalty]
@pytest.mark.formula("eq-overlong-penalty")
@settings(max_examples=30, deadline=None)
@given(y=st.floats(0, 3000), L_max=st.floats(10, 2000), frac=st.floats(0.01, 1.0))
def test_overlong_penalty_equals_the_piecewise_definition(y, L_max, frac):
    L_cache = frac * L_max
    got = overlong_penalty(y, L_max, L_cache)
    assert type(got) is float
    assert abs(got - piecewise(y, L_max, L_cache)) < 1e-12


@pytest.mark.formula("eq-overlong-penalty")
def test_overlong_penalty_is_continuous_at_both_breakpoints():
    L_max, L_cache = 20480, 4096
    ys = np.array([16384, 18432, 20480, 16000, 21000])
    np.testing.assert_allclose(overlong_penalty(ys, L_max, L_cache),
                               [0.0, -0.5, -1.0, 0.0, -1.0], rtol=0, atol=1e-15)
    for knot in (L_max - L_cache, L_max):
        for h in (1e-3, 1e-6):
            ys = np.array([knot - h, knot + h])
            left, right = overlong_penalty(ys, L_max, L_cache)
            # one-sided values within slope × h of the value at the knot
            at = piecewise(knot, L_max, L_cache)
            assert abs(left - at) <= h / L_cache + 1e-12
            assert abs(right - at) <= h / L_cache + 1e-12
    out = overlong_penalty([[1, 20000], [20480, 30000]], L_max, L_cache)
    assert isinstance(out, np.ndarray) and out.shape == (2, 2)
# --8<-- [end:test_overlong_penalty]


# ---- bad inputs: one case per argument and boundary ----

def test_bad_inputs_of_the_losses():
    logp, logp_old, mask = batch(12, [[2, 3]], T=3)
    adv = torch.tensor([[1.0, -1.0]], dtype=F64)
    nan = float("nan")
    for loss in (dapo_loss, dapo_logp_grad):
        with pytest.raises(ValueError, match="^logp_old must have"):
            loss(logp, logp_old[..., :2], adv, mask)
        with pytest.raises(ValueError, match="^logp must be finite"):
            loss(logp * nan, logp_old, adv, mask)
        with pytest.raises(ValueError, match="^logp_old must be finite"):
            loss(logp, logp_old * nan, adv, mask)
        with pytest.raises(ValueError, match="^advantages must be finite"):
            loss(logp, logp_old, adv * nan, mask)
        with pytest.raises(ValueError, match=r"^advantages must have shape \(1, 2, 3\)"):
            loss(logp, logp_old, adv[..., :1], mask)
        with pytest.raises(ValueError, match="^mask must have shape"):
            loss(logp, logp_old, adv, mask[..., :2])
        for eps_low in (0.0, 1.0):
            with pytest.raises(ValueError, match="^eps_low must be in"):
                loss(logp, logp_old, adv, mask, eps_low)
        with pytest.raises(ValueError, match="^eps_high must be positive"):
            loss(logp, logp_old, adv, mask, eps_high=0.0)
        with pytest.raises(ValueError, match=r"^norm must be one of \('group', 'batch'\)"):
            loss(logp, logp_old, adv, mask, norm="mean")
        # a group without a single response token has no token mean
        two = torch.cat([mask, torch.zeros_like(mask)])
        with pytest.raises(ValueError, match="^mask must select at least one token in"):
            loss(logp.expand(2, 2, 3), logp_old.expand(2, 2, 3), adv.expand(2, 2), two)
    # a log-probability above 0 is a probability above 1
    for loss in (dapo_loss, dapo_logp_grad):
        with pytest.raises(ValueError, match=r"^logp must hold log-probabilities \(<= 0\)"):
            loss(logp + 2, logp_old, adv, mask)
        with pytest.raises(ValueError, match=r"^logp_old must hold log-probabilities"):
            loss(logp, logp_old + 2, adv, mask)
    with pytest.raises(ValueError, match="^logp_ref is needed"):
        grpo_loss(logp, logp_old, None, adv, mask, beta=0.1)


def test_bad_inputs_of_aggregation_and_weights():
    _, _, mask = batch(13, [[2, 3]], T=3)
    x = torch.ones_like(mask)
    with pytest.raises(ValueError, match=r"^per_token must have a token axis \(\.\.\., T\)"):
        aggregate_loss(torch.tensor(1.0), torch.tensor(1.0))
    for mode in ("sample", "token", "fixed"):  # no element: no mean (was NaN)
        with pytest.raises(ValueError, match=r"^per_token must have a token axis \(\.\.\., T\) "
                                             r"and at least one element"):
            aggregate_loss(torch.zeros(0, 2, 3), torch.zeros(0, 2, 3), mode, max_len=3)
    with pytest.raises(ValueError, match="^mask must give every response at least one token"):
        token_weights(torch.zeros(0, 2, 3))
    with pytest.raises(ValueError, match="^per_token must be finite"):
        aggregate_loss(x * float("nan"), mask)
    # one response of shape (T,) is a valid input for every mode
    one = torch.tensor([1.0, 1.0, 0.0])
    assert float(aggregate_loss(torch.tensor([2.0, 4.0, 9.0]), one, "sample")) == 3.0
    assert token_weights(one, "fixed", 4).tolist() == [0.25, 0.25, 0.0]
    # a lone response is one group: its token mean, under both normalisers
    for norm in ("group", "batch"):
        assert float(aggregate_loss(torch.tensor([2.0, 4.0, 9.0]), one, norm=norm)) == 3.0
        assert token_weights(one, "token", norm=norm).tolist() == [0.5, 0.5, 0.0]
    with pytest.raises(ValueError, match="^mode must be one of"):
        aggregate_loss(x, mask, "mean")
    with pytest.raises(ValueError, match="^mode must be one of"):
        token_weights(mask, "mean")
    for mode in ("sample", "token", "fixed"):
        with pytest.raises(ValueError, match="^norm must be one of"):
            aggregate_loss(x, mask, mode, max_len=3, norm="all")
        with pytest.raises(ValueError, match="^norm must be one of"):
            token_weights(mask, mode, max_len=3, norm="all")
    empty_group = torch.cat([mask, torch.zeros_like(mask)])
    with pytest.raises(ValueError, match="^mask must select at least one token in every group"):
        aggregate_loss(torch.ones_like(empty_group), empty_group)
    # per batch, the empty group is only padding
    assert float(aggregate_loss(torch.ones_like(empty_group), empty_group, norm="batch")) == 1.0
    for max_len in (None, 2):
        with pytest.raises(ValueError, match="^max_len must be a constant >= T = 3"):
            aggregate_loss(x, mask, "fixed", max_len=max_len)
        with pytest.raises(ValueError, match="^max_len must be a constant >= T = 3"):
            token_weights(mask, "fixed", max_len=max_len)
    assert float(aggregate_loss(x, mask, "fixed", max_len=3)) == 5 / 6  # T itself is fine
    assert float(token_weights(mask, "fixed", max_len=3)[0, 0, 0]) == 1 / 6
    with pytest.raises(ValueError, match="^mask must give every response at least one token"):
        token_weights(torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="^mask must hold only 0 and 1"):
        token_weights(torch.tensor([[1.0, 0.5]]))


def test_bad_inputs_of_reward_sampling_and_clip():
    with pytest.raises(ValueError, match="^correct must hold only"):
        rule_reward([1, 2])
    with pytest.raises(ValueError, match=r"^correct must have shape \(\.\.\., G\)"):
        dynamic_sampling_keep(torch.tensor(1))
    with pytest.raises(ValueError, match="^correct must have shape"):
        dynamic_sampling_keep([0.5, 1])
    with pytest.raises(ValueError, match=r"^correct must have shape \(\.\.\., G\) with G >= 1"):
        dynamic_sampling_keep(torch.zeros(3, 0))
    r = torch.ones(3, dtype=F64)
    with pytest.raises(ValueError, match="^advantages must have the shape of ratio"):
        clip_active(r, torch.ones(2), 0.2, 0.28)
    with pytest.raises(ValueError, match="^eps_low must be in"):
        clip_active(r, r, 1.0, 0.28)
    with pytest.raises(ValueError, match="^eps_high must be positive"):
        clip_active(r, r, 0.2, 0.0)
    with pytest.raises(ValueError, match="^ratio must be finite"):
        clip_active(r * float("inf"), r, 0.2, 0.28)
    with pytest.raises(ValueError, match="^advantages must be finite"):
        clip_active(r, r * float("nan"), 0.2, 0.28)


def test_bad_inputs_of_overlong_penalty():
    for length in (-1, float("inf"), [5, -0.5]):
        with pytest.raises(ValueError, match="^length must be finite and >= 0"):
            overlong_penalty(length, 100, 20)
    for cache_len in (0, -3):
        with pytest.raises(ValueError, match="^cache_len must be positive"):
            overlong_penalty(5, 100, cache_len)
    with pytest.raises(ValueError, match="^max_len must be >= cache_len"):
        overlong_penalty(5, 19, 20)
    # boundaries that are allowed: length 0, max_len = cache_len (ramp from length 0)
    assert overlong_penalty(0, 100, 20) == 0.0
    assert overlong_penalty(10, 20, 20) == -0.5
