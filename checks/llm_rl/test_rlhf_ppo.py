"""Checks of llm-rl/rlhf-ppo: every key equation against something independent.

Independent references used here: GAE as the explicit double sum over (gamma lam)^l delta_{t+l}
and as discounted returns; each padded row against the same row unpadded; torch autograd
against the analytic gradients written on the page; log-sigmoid written out with math.exp;
exact enumeration of all sequences of a toy autoregressive policy; numbers computed by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.llm_rl.rlhf_ppo import (
    check_logp,
    check_mask,
    example_batch,
    gae,
    kl_penalized_rewards,
    masked_entropy,
    masked_mean,
    normalize_rewards,
    ppo_clip_objective,
    ppo_max_loss,
    ppo_policy_loss,
    reward_model_loss,
    value_loss,
    whiten,
)

F64 = torch.float64
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def randn(seed: int, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def right_padded_mask(lengths, T: int) -> torch.Tensor:
    return (torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]).to(F64)


# ---------------------------------------------------------------------------- masked mean


@pytest.mark.formula("eq-ppo-loss")
def test_masked_mean_by_hand():
    x = torch.tensor([[1.0, 2.0, 9.0], [4.0, 9.0, 9.0]], dtype=F64)
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    # token level: (1 + 2 + 4) / 3; per response: (1 + 2) / 2 and 4 / 1
    assert masked_mean(x, mask).item() == pytest.approx(7 / 3, abs=1e-15)
    np.testing.assert_allclose(masked_mean(x, mask, dim=-1), [1.5, 4.0], atol=1e-15)
    np.testing.assert_allclose(masked_mean(x.T, mask.T, dim=0), [1.5, 4.0], atol=1e-15)


def test_masked_mean_rejects_bad_input():
    with pytest.raises(ValueError, match="x must be finite"):
        masked_mean([1.0, float("nan")], [1, 1])
    with pytest.raises(ValueError, match="mask must have shape"):
        masked_mean([1.0, 2.0], [1, 1, 1])
    with pytest.raises(ValueError, match="mask must hold only 0 and 1"):
        masked_mean([1.0, 2.0], [1, 2])
    with pytest.raises(ValueError, match="selects no element"):
        masked_mean([[1.0, 2.0], [3.0, 4.0]], [[1, 1], [0, 0]], dim=-1)
    with pytest.raises(ValueError, match="selects no element"):
        masked_mean([1.0, 2.0], [0, 0])


# ---------------------------------------------------------------------------- reward model


# --8<-- [start:test_rm_loss]
@pytest.mark.formula("eq-rm-loss")
def test_rm_loss_value_and_gradient_sign():
    r_pos = torch.tensor([1.0, 0.2, -3.0], dtype=F64, requires_grad=True)
    r_neg = torch.tensor([0.0, 0.7, 2.0], dtype=F64, requires_grad=True)
    loss = reward_model_loss(r_pos, r_neg)
    # −log σ(Δ) with σ(Δ) = 1 / (1 + e^{−Δ}), written out with math.exp
    expected = np.mean([-math.log(1 / (1 + math.exp(-(p - n))))
                        for p, n in [(1.0, 0.0), (0.2, 0.7), (-3.0, 2.0)]])
    assert loss.item() == pytest.approx(expected, abs=1e-14)
    loss.backward()
    # ∂L/∂r⁺ = −σ(−Δ)/B < 0 (a descent step raises r⁺), ∂L/∂r⁻ = +σ(−Δ)/B > 0
    sigma_minus = torch.sigmoid(-(r_pos - r_neg)).detach() / 3
    np.testing.assert_allclose(r_pos.grad, -sigma_minus, rtol=0, atol=1e-15)
    np.testing.assert_allclose(r_neg.grad, sigma_minus, rtol=0, atol=1e-15)
    assert (r_pos.grad < 0).all() and (r_neg.grad > 0).all()
# --8<-- [end:test_rm_loss]


@pytest.mark.formula("eq-rm-loss")
def test_rm_loss_lm_term_and_large_margins():
    # LM term: 0.5 · mean(2.0, 4.0) = 1.5 on top of the pairwise term log 2 (Δ = 0)
    loss = reward_model_loss([0.0, 1.0], [0.0, 1.0], lm_nll=[2.0, 4.0], lm_coef=0.5)
    assert loss.item() == pytest.approx(math.log(2) + 1.5, abs=1e-6)
    assert reward_model_loss([0.0], [0.0], lm_nll=[3.0]).item() == pytest.approx(math.log(2))
    # large margins: −log σ(1000) = 0, −log σ(−1000) = 1000 (a naive log(sigmoid) gives inf)
    assert reward_model_loss(torch.tensor([1000.0], dtype=F64), [0.0]).item() == 0.0
    assert reward_model_loss(torch.tensor([0.0], dtype=F64), [1000.0]).item() == 1000.0


def test_rm_loss_rejects_bad_input():
    with pytest.raises(ValueError, match="r_rejected must have shape"):
        reward_model_loss([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="r_chosen must be finite"):
        reward_model_loss([float("inf")], [1.0])
    with pytest.raises(ValueError, match="lm_nll must have shape"):
        reward_model_loss([1.0, 2.0], [1.0, 0.0], lm_nll=[1.0])
    with pytest.raises(ValueError, match="lm_coef must be non-negative"):
        reward_model_loss([1.0], [1.0], lm_coef=-0.1)


# ---------------------------------------------------------------------------- token rewards


# --8<-- [start:test_token_reward]
@pytest.mark.formula("eq-token-reward")
def test_token_rewards_by_hand_and_their_sum():
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]], dtype=F64)
    logp = torch.tensor([[-1.0, -0.5, -2.0], [-0.3, -7.0, -7.0]], dtype=F64)
    logp_ref = torch.tensor([[-1.5, -0.5, -1.0], [-0.1, -3.0, -3.0]], dtype=F64)
    r = kl_penalized_rewards([2.0, -1.0], logp, logp_ref, mask, kl_coef=0.1)
    # row 1: −0.1·(0.5, 0, −1) + (0, 0, 2)
    # row 2: −0.1·(−0.2) − 1 at its only token, 0 on padding
    np.testing.assert_allclose(r, [[-0.05, 0.0, 2.1], [-0.98, 0.0, 0.0]], atol=1e-15)
    # summed over a response: score − β log(π_RL(o|q) / π_SFT(o|q))
    np.testing.assert_allclose(r.sum(-1), [2.0 - 0.1 * (-0.5), -1.0 - 0.1 * (-0.2)],
                               atol=1e-15)
# --8<-- [end:test_token_reward]


@pytest.mark.formula("eq-token-reward")
def test_summed_k1_penalty_is_the_sequence_kl_in_expectation():
    """All 2^3 sequences of a toy autoregressive policy over a 2-token vocabulary."""
    gen = torch.Generator().manual_seed(0)
    # logits[t, prefix index] of the policy and of the SFT reference, prefix = bits so far
    pol = torch.randn(3, 4, 2, generator=gen, dtype=F64)
    ref = torch.randn(3, 4, 2, generator=gen, dtype=F64)

    def token_logp(logits, seq):
        out, prefix = [], 0
        for t, y in enumerate(seq):
            z = logits[t, prefix]
            out.append(z[y] - torch.log(torch.exp(z).sum()))
            prefix = 2 * prefix + y if t < 1 else 2 + y  # distinct index per short prefix
        return torch.stack(out)

    seqs = [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]
    logp = torch.stack([token_logp(pol, s) for s in seqs])
    logp_ref = torch.stack([token_logp(ref, s) for s in seqs])
    p_seq = torch.exp(logp.sum(-1))
    assert p_seq.sum().item() == pytest.approx(1.0, abs=1e-12)
    # KL(π_RL ‖ π_SFT) over whole sequences, from the sequence probabilities
    kl = (p_seq * (logp.sum(-1) - logp_ref.sum(-1))).sum()
    r = kl_penalized_rewards(torch.zeros(8, dtype=F64), logp, logp_ref, torch.ones(8, 3), 1.0)
    # E_{o∼π_RL}[Σ_t r_t] = −β KL with score 0 and β = 1
    assert (p_seq * r.sum(-1)).sum().item() == pytest.approx(-kl.item(), abs=1e-12)
    assert kl.item() > 0.05


def test_token_rewards_reject_bad_input():
    ok = torch.zeros(2, 3, dtype=F64)
    mask = torch.ones(2, 3)
    with pytest.raises(ValueError, match="logp_ref must have shape"):
        kl_penalized_rewards([0.0, 0.0], ok, torch.zeros(2, 2), mask, 0.1)
    with pytest.raises(ValueError, match="score must have shape"):
        kl_penalized_rewards([0.0], ok, ok, mask, 0.1)
    with pytest.raises(ValueError, match="kl_coef must be non-negative"):
        kl_penalized_rewards([0.0, 0.0], ok, ok, mask, -0.1)
    with pytest.raises(ValueError, match="right-padded"):
        kl_penalized_rewards([0.0, 0.0], ok, ok, [[1, 0, 1], [1, 1, 1]], 0.1)
    with pytest.raises(ValueError, match="at least one response token"):
        kl_penalized_rewards([0.0, 0.0], ok, ok, [[1, 0, 0], [0, 0, 0]], 0.1)
    with pytest.raises(ValueError, match="logp must be finite"):
        kl_penalized_rewards([0.0, 0.0], ok - float("inf"), ok, mask, 0.1)


# ---------------------------------------------------------------------------- GAE


def gae_double_sum(r, v, gamma, lam):
    """Â_t = Σ_l (γλ)^l δ_{t+l}, every term written out (one unpadded response, numpy)."""
    T = len(r)
    delta = [r[t] + gamma * v[t + 1] - v[t] for t in range(T)]
    return [sum((gamma * lam) ** k * delta[t + k] for k in range(T - t)) for t in range(T)]


# --8<-- [start:test_gae]
@pytest.mark.formula("eq-gae")
@given(seed=seeds, T=st.integers(1, 8), gamma=st.floats(0.0, 1.0),
       lam=st.floats(0.0, 1.0))
@settings(max_examples=30, deadline=None)
def test_gae_recursion_equals_the_double_sum(seed, T, gamma, lam):
    r, v = np.random.default_rng(seed).normal(size=(2, T + 1))
    expected = gae_double_sum(r[:T], v, gamma, lam)
    np.testing.assert_allclose(gae(r[:T], v, gamma, lam), expected,
                               rtol=1e-12, atol=1e-12)


@pytest.mark.formula("eq-gae")
def test_gae_limits_lambda_0_and_1():
    r, v, gamma = randn(1, 6), randn(2, 7), 0.9
    # λ = 0: Â_t = δ_t = r_t + γ V(s_{t+1}) − V(s_t)
    delta = r + gamma * v[1:] - v[:-1]
    np.testing.assert_allclose(gae(r, v, gamma, 0.0), delta, atol=1e-14)
    # λ = 1: Â_t = Σ_k γ^k r_{t+k} + γ^{T−t} V(s_T) − V(s_t),
    # the discounted return minus V
    ret = [sum(gamma**k * r[t + k] for k in range(6 - t)) + gamma ** (6 - t) * v[6]
           for t in range(6)]
    np.testing.assert_allclose(gae(r, v, gamma, 1.0), torch.stack(ret) - v[:-1],
                               atol=1e-13)
# --8<-- [end:test_gae]


# --8<-- [start:test_gae_masked]
@pytest.mark.formula("eq-gae")
def test_masked_batch_gae_equals_each_row_alone():
    lengths, T = [5, 3, 1, 2], 5
    mask = right_padded_mask(lengths, T)
    r, v = randn(3, 4, T), randn(4, 4, T + 1)  # padding holds garbage on purpose
    batch = gae(r, v, 1.0, 0.95, mask)
    for b, n in enumerate(lengths):
        # the row alone: its n rewards and values; after the last token the state is
        # terminal (bootstrap 0), unless the row fills all T columns (bootstrap v[b, T])
        v_row = torch.cat([v[b, :n], v[b, T:] if n == T else torch.zeros(1, dtype=F64)])
        alone = gae(r[b, :n], v_row, 1.0, 0.95)
        np.testing.assert_allclose(batch[b, :n], alone, atol=1e-13)
        explicit = gae_double_sum(r[b, :n], v_row, 1.0, 0.95)
        np.testing.assert_allclose(batch[b, :n], explicit, atol=1e-13)
        assert (batch[b, n:] == 0).all()
# --8<-- [end:test_gae_masked]


@pytest.mark.formula("eq-gae")
def test_gae_by_hand_and_integer_input():
    # r = (0, 1), V = (0.5, 0.2, 0.4), γ = 0.5, λ = 0.5:
    # δ_1 = 1 + 0.5·0.4 − 0.2 = 1.0, δ_0 = 0 + 0.5·0.2 − 0.5 = −0.4, Â_0 = −0.4 + 0.25·1.0
    np.testing.assert_allclose(gae([0, 1], [0.5, 0.2, 0.4], 0.5, 0.5), [-0.15, 1.0],
                               atol=1e-7)
    assert gae([0, 1], [0, 0, 0], 1.0, 1.0).dtype == torch.get_default_dtype()


def test_gae_rejects_bad_input():
    with pytest.raises(ValueError, match="values must have shape"):
        gae([1.0, 2.0], [0.0, 0.0], 1.0, 0.9)
    with pytest.raises(ValueError, match=r"^rewards must have shape \(\.\.\., T\) with T >= 1"):
        gae(1.0, [0.0, 0.0], 1.0, 0.9)
    # T = 0: no token, nothing to estimate (was an IndexError from inside torch)
    with pytest.raises(ValueError, match=r"^rewards must have shape \(\.\.\., T\) with T >= 1, "
                                         r"got \(0,\)"):
        gae(torch.zeros(0), torch.zeros(1), 1.0, 0.9)
    with pytest.raises(ValueError, match=r"^rewards must have shape \(\.\.\., T\) with T >= 1"):
        gae(torch.zeros(2, 0), torch.zeros(2, 1), 1.0, 0.9)
    with pytest.raises(ValueError, match="values must have shape"):
        gae([[1.0, 2.0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], 1.0, 0.9)
    for bad in (-0.1, 1.1):
        with pytest.raises(ValueError, match="gamma must be in"):
            gae([1.0], [0.0, 0.0], bad, 0.9)
        with pytest.raises(ValueError, match="lam must be in"):
            gae([1.0], [0.0, 0.0], 0.9, bad)
    with pytest.raises(ValueError, match="rewards must be finite"):
        gae([float("nan")], [0.0, 0.0], 1.0, 0.9)
    with pytest.raises(ValueError, match="values must be finite"):
        gae([1.0], [0.0, float("inf")], 1.0, 0.9)
    with pytest.raises(ValueError, match="mask must have shape"):
        gae([1.0, 2.0], [0.0, 0.0, 0.0], 1.0, 0.9, mask=[1])
    with pytest.raises(ValueError, match="right-padded"):
        gae([1.0, 2.0], [0.0, 0.0, 0.0], 1.0, 0.9, mask=[0, 1])


# ---------------------------------------------------------------------------- whitening


# --8<-- [start:test_whiten]
@pytest.mark.formula("eq-whiten")
def test_whitening_gives_mean_0_var_1_over_the_response_tokens():
    mask = right_padded_mask([4, 2, 3], 4)
    x = 3.0 + 2.0 * randn(5, 3, 4)
    w = whiten(x, mask)
    # the 9 response tokens, unpadded
    tokens = torch.cat([x[0, :4], x[1, :2], x[2, :3]])
    mu, var = tokens.mean(), tokens.var(correction=0)
    np.testing.assert_allclose(w[mask == 1], (tokens - mu) / torch.sqrt(var + 1e-8),
                               atol=1e-14)
    white = w[mask == 1]
    assert abs(white.mean().item()) < 1e-14
    assert white.var(correction=0).item() == pytest.approx(1.0, abs=1e-8)
    assert (w[mask == 0] == 0).all()
# --8<-- [end:test_whiten]


@pytest.mark.formula("eq-whiten")
def test_whitening_eps_by_hand():
    # tokens 1, 3: μ = 2, σ² = 1; with eps = 3 the scale is √4 = 2
    np.testing.assert_allclose(whiten([1.0, 3.0, 8.0], [1, 1, 0], eps=3.0), [-0.5, 0.5, 0.0])


def test_whitening_rejects_bad_input():
    with pytest.raises(ValueError, match="eps must be positive"):
        whiten([1.0, 2.0], [1, 1], eps=0.0)
    with pytest.raises(ValueError, match="mask must have shape"):
        whiten([1.0, 2.0], [1])


# ---------------------------------------------------------------------------- reward norm


# --8<-- [start:test_reward_norm]
@pytest.mark.formula("eq-reward-norm")
def test_reward_normalisation_by_hand():
    # (r − 0.5) / 0.8 = 1.25, −1.25, 0.375 → clipped to ±1
    out = normalize_rewards(torch.tensor([1.5, -0.5, 0.8], dtype=F64), 0.5, 0.8, 1.0)
    np.testing.assert_allclose(out, [1.0, -1.0, 0.375], atol=1e-15)
    np.testing.assert_allclose(normalize_rewards([2.0], -1.0, 2.0, 5.0), [1.5])
# --8<-- [end:test_reward_norm]


def test_reward_normalisation_rejects_bad_input():
    with pytest.raises(ValueError, match="std must be positive"):
        normalize_rewards([1.0], 0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="clip must be positive"):
        normalize_rewards([1.0], 0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="score must be finite"):
        normalize_rewards([float("nan")], 0.0, 1.0, 1.0)


# ---------------------------------------------------------------------------- clipped surrogate


# --8<-- [start:test_ppo_clip]
@pytest.mark.formula("eq-ppo-clip")
@pytest.mark.parametrize("eps, eps_high", [(0.2, None), (0.2, 0.28)])
def test_clipped_surrogate_has_zero_gradient_exactly_where_the_page_says(eps, eps_high):
    high = eps if eps_high is None else eps_high
    r = torch.tensor([0.5, 0.79, 0.95, 1.1, 1.19, 1.25, 1.5], dtype=F64)
    for a in (2.0, -3.0):
        ratio = r.clone().requires_grad_(True)
        ppo_clip_objective(ratio, torch.full_like(r, a), eps, eps_high).sum().backward()
        # A > 0: flat (gradient 0) for r > 1 + ε_high; A < 0: flat for r < 1 − ε
        flat = r > 1 + high if a > 0 else r < 1 - eps
        np.testing.assert_allclose(ratio.grad, torch.where(flat, 0.0, a), atol=0)
        assert flat.any() and (~flat).any()  # both sides of the clip are exercised
    # the values: min(rA, clip(r)A) by hand at r = 1.5 and r = 0.5
    out = ppo_clip_objective([1.5, 0.5, 1.5, 0.5], [2.0, 2.0, -3.0, -3.0],
                             eps, eps_high)
    np.testing.assert_allclose(out, [2 * (1 + high), 1.0, -4.5, -3 * (1 - eps)],
                               atol=1e-6)
# --8<-- [end:test_ppo_clip]


def test_clip_objective_rejects_bad_input():
    with pytest.raises(ValueError, match="advantages must have the shape"):
        ppo_clip_objective([1.0, 1.0], [1.0], 0.2)
    with pytest.raises(ValueError, match="ratio must be non-negative"):
        ppo_clip_objective([-0.1], [1.0], 0.2)
    for bad in (0.0, 1.0):
        with pytest.raises(ValueError, match="eps must be in"):
            ppo_clip_objective([1.0], [1.0], bad)
    with pytest.raises(ValueError, match="eps_high must be positive"):
        ppo_clip_objective([1.0], [1.0], 0.2, eps_high=0.0)
    with pytest.raises(ValueError, match="ratio must be finite"):
        ppo_clip_objective([float("nan")], [1.0], 0.2)
    assert ppo_clip_objective([0.0], [1.0], 0.5).item() == 0.0  # r = 0 is allowed


# --8<-- [start:test_ppo_loss]
@pytest.mark.formula("eq-ppo-loss")
@pytest.mark.parametrize("eps_high", [None, 0.3])
def test_ppo_loss_gradient_equals_the_page_formula(eps_high):
    mask = right_padded_mask([5, 3, 2], 5)
    ratios = torch.tensor([[1.25, 1.35, 0.75, 0.85, 1.1], [0.7, 1.4, 1.15, 1, 1],
                           [1.25, 0.9, 1, 1, 1]], dtype=F64)
    adv = torch.tensor([[1.0, 2.0, -1.0, -0.5, 0.3], [1.0, -1.0, 0.4, 9, 9],
                        [-2.0, 1.0, 9, 9, 9]], dtype=F64)
    logp_old = -torch.rand(3, 5, generator=torch.Generator().manual_seed(6), dtype=F64)
    logp_old = logp_old - 0.5  # log π_θ = log π_old + log r stays <= 0 for r <= 1.4
    logp = (logp_old + torch.log(ratios)).requires_grad_(True)
    ppo_policy_loss(logp, logp_old, adv, mask, 0.2, eps_high).backward()
    # ∂L/∂log π_θ(o_t) = −m_t Â_t r_t · 1[not clipped] / Σ m, where "clipped" means
    # Â_t > 0 and r_t > 1 + ε_high, or Â_t < 0 and r_t < 1 − ε
    r = torch.exp(logp.detach() - logp_old)
    high = 0.2 if eps_high is None else eps_high
    clipped = ((adv > 0) & (r > 1 + high)) | ((adv < 0) & (r < 0.8))
    analytic = -mask * adv * r * (~clipped) / mask.sum()
    np.testing.assert_allclose(logp.grad, analytic, rtol=1e-12, atol=1e-15)
    # r = 1.25 with Â > 0 is clipped at ε_high = 0.2 only
    assert clipped[0, 0] == (eps_high is None) and clipped[0, 1] and clipped[0, 2]
# --8<-- [end:test_ppo_loss]


@pytest.mark.formula("eq-ppo-loss")
def test_ppo_loss_is_batched_over_leading_axes():
    # groups × responses × tokens: per_sequence averages each response (last axis) alone
    mask = torch.tensor([[[1, 1, 0], [1, 0, 0]], [[1, 1, 1], [1, 1, 0]]], dtype=F64)
    adv = randn(10, 2, 2, 3)
    zeros = torch.zeros(2, 2, 3, dtype=F64)  # r = 1: the surrogate is Â
    per_row = [adv[g, b, : int(mask[g, b].sum())].mean() for g in range(2) for b in range(2)]
    per_seq = ppo_policy_loss(zeros, zeros, adv, mask, 0.2, per_sequence=True)
    assert per_seq.item() == pytest.approx(-torch.stack(per_row).mean().item(), abs=1e-14)
    token = ppo_policy_loss(zeros, zeros, adv, mask, 0.2)
    assert token.item() == pytest.approx(-(adv[mask == 1]).mean().item(), abs=1e-14)


@pytest.mark.formula("eq-ppo-loss")
def test_ppo_loss_token_level_versus_per_sequence():
    mask = torch.tensor([[1, 1, 1, 1], [1, 0, 0, 0]], dtype=F64)
    adv = torch.tensor([[1.0, 1.0, 1.0, 1.0], [-2.0, 5.0, 5.0, 5.0]], dtype=F64)
    zeros = torch.zeros(2, 4, dtype=F64)  # r = 1: the surrogate equals Â on every token
    # token level: −(4·1 − 2) / 5; per sequence: −(1 + (−2)) / 2
    assert ppo_policy_loss(zeros, zeros, adv, mask, 0.2).item() == pytest.approx(-0.4)
    assert ppo_policy_loss(zeros, zeros, adv, mask, 0.2, per_sequence=True).item() == \
        pytest.approx(0.5)


def test_ppo_loss_rejects_bad_input():
    with pytest.raises(ValueError, match="logp_old must have shape"):
        ppo_policy_loss(torch.zeros(2, 3), torch.zeros(2, 2), torch.zeros(2, 3),
                        torch.ones(2, 3), 0.2)
    with pytest.raises(ValueError, match="mask must have shape"):
        ppo_policy_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3),
                        torch.ones(2, 2), 0.2)


# ---------------------------------------------------------------------------- value clipping


# --8<-- [start:test_value_clip]
@pytest.mark.formula("eq-value-clip")
def test_value_clipping_by_hand():
    old = torch.tensor([[0.5, 0.5, 0.5, 1.0, 5.0]], dtype=F64)
    ret = torch.tensor([[1.5, 1.5, 0.2, -1.0, 9.0]], dtype=F64)
    v = torch.tensor([[1.0, 2.6, 0.6, 0.5, 7.0]], dtype=F64, requires_grad=True)
    mask = torch.tensor([[1, 1, 1, 1, 0]], dtype=F64)
    loss = value_loss(v, old, ret, mask, clip=0.2)
    # t=0: up toward R, V_clip = 0.7: max(0.25, 0.64) = 0.64, the clipped term wins
    # t=1: overshoots R, V_clip = 0.7: max(1.21, 0.64) = 1.21, the unclipped term wins
    # t=2: inside [0.3, 0.7]: 0.4² = 0.16
    # t=3: down toward R, V_clip = 0.8: max(1.5², 1.8²) = 3.24, the clipped term wins
    assert loss.item() == pytest.approx((0.64 + 1.21 + 0.16 + 3.24) / 4, abs=1e-14)
    loss.backward()
    # gradient 2 (V − R) / 4 where the unclipped term wins, 0 where the clipped one does
    np.testing.assert_allclose(v.grad, [[0.0, 0.55, 0.2, 0.0, 0.0]], atol=1e-15)
# --8<-- [end:test_value_clip]


def test_value_loss_rejects_bad_input():
    ok = torch.zeros(1, 2)
    with pytest.raises(ValueError, match="old_values must have shape"):
        value_loss(ok, torch.zeros(1, 3), ok, torch.ones(1, 2), 0.2)
    with pytest.raises(ValueError, match="returns must have shape"):
        value_loss(ok, ok, torch.zeros(2, 2), torch.ones(1, 2), 0.2)
    with pytest.raises(ValueError, match="clip must be positive"):
        value_loss(ok, ok, ok, torch.ones(1, 2), 0.0)


# ---------------------------------------------------------------------------- PPO-max total


# --8<-- [start:test_ppo_max]
@pytest.mark.formula("eq-ppo-max")
def test_entropy_against_numpy_and_total_loss_by_hand():
    logits = randn(9, 2, 3, 4)
    mask = right_padded_mask([3, 1], 3)
    z = logits.numpy()
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    h = -(p * np.log(p)).sum(-1)  # H_t = −Σ_v p_v log p_v per token, numpy
    expected = (h[0].sum() + h[1, 0]) / 4
    assert masked_entropy(logits, mask).item() == pytest.approx(expected, abs=1e-13)
    # uniform logits: H = log V exactly; large logits stay finite
    assert masked_entropy(torch.zeros(1, 2, 4, dtype=F64), torch.ones(1, 2)).item() == \
        pytest.approx(math.log(4), abs=1e-15)
    big = torch.tensor([[[1000.0, 0.0]]], dtype=F64)
    assert masked_entropy(big, torch.ones(1, 1)).item() == 0.0
    # L = L_clip + c_v L_V − c_H H + γ_ptx L_ptx = 0.3 + 0.5·2 − 0.01·4 + 0.2·3
    assert ppo_max_loss(0.3, 2.0, 4.0, 3.0, 0.5, 0.01, 0.2).item() == \
        pytest.approx(1.86, abs=1e-6)
# --8<-- [end:test_ppo_max]


@pytest.mark.formula("eq-ppo-max")
def test_ptx_term_raises_the_pretraining_likelihood():
    logp_pre = torch.tensor([-2.0, -1.0], dtype=F64, requires_grad=True)
    zero = torch.tensor(0.0, dtype=F64)
    ppo_max_loss(zero, zero, zero, -logp_pre.mean(), 1.0, 0.1, 0.5).backward()
    # ∂L/∂log π(x) = −γ_ptx / n < 0: a descent step raises the pretraining log-likelihood
    np.testing.assert_allclose(logp_pre.grad, [-0.25, -0.25], atol=1e-15)


def test_ppo_max_rejects_bad_input():
    with pytest.raises(ValueError, match="logits must have shape"):
        masked_entropy([1.0, 2.0], [1, 1])
    with pytest.raises(ValueError, match="mask must have shape"):
        masked_entropy(torch.zeros(2, 3, 4), torch.ones(2, 4))
    with pytest.raises(ValueError, match="value_loss must be a scalar"):
        ppo_max_loss(0.0, [1.0, 2.0], 0.0, 0.0, 1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="entropy must be finite"):
        ppo_max_loss(0.0, 0.0, float("nan"), 0.0, 1.0, 0.0, 0.0)
    for i, name in enumerate(("vf_coef", "ent_coef", "ptx_coef")):
        coefs = [1.0, 1.0, 1.0]
        coefs[i] = -1.0
        with pytest.raises(ValueError, match=f"{name} must be non-negative"):
            ppo_max_loss(0.0, 0.0, 0.0, 0.0, *coefs)


# ---------------------------------------------------------------------------- worked example


@pytest.mark.formula("eq-gae")
def test_worked_example_on_the_page():
    ex = example_batch()
    mask = ex["mask"]
    r = kl_penalized_rewards(ex["score"], ex["logp"], ex["logp_ref"], mask, 0.1)
    # row 2 (length 3): −0.1·(0.2, −0.2, 0.3) + (0, 0, −0.5)
    np.testing.assert_allclose(r[1], [-0.02, 0.02, -0.53, 0.0, 0.0], atol=1e-15)
    adv = gae(r, ex["values"], 1.0, 1.0, mask)
    # λ = γ = 1: return − V, row 3: (−0.03 + 0.85) − 0.5 and 0.85 − 0.2
    np.testing.assert_allclose(adv[2], [0.32, 0.65, 0.0, 0.0, 0.0], atol=1e-14)


# ---------------------------------------------------------------------------- inputs, dtypes


def valid_args(name):
    """Valid float32 arguments of each public function, by keyword."""
    f32 = torch.float32
    z2, m2 = torch.zeros(2, 3, dtype=f32), torch.ones(2, 3)
    return {
        "masked_mean": (masked_mean, {"x": z2, "mask": m2}),
        "reward_model_loss": (reward_model_loss, {"r_chosen": torch.zeros(2, dtype=f32),
                                                  "r_rejected": torch.zeros(2, dtype=f32),
                                                  "lm_nll": torch.zeros(2, dtype=f32)}),
        "kl_penalized_rewards": (kl_penalized_rewards, {
            "score": torch.zeros(2, dtype=f32), "logp": z2, "logp_ref": z2, "mask": m2,
            "kl_coef": 0.1}),
        "gae": (gae, {"rewards": z2, "values": torch.zeros(2, 4, dtype=f32), "gamma": 1.0,
                      "lam": 0.9}),
        "whiten": (whiten, {"x": z2, "mask": m2}),
        "normalize_rewards": (normalize_rewards, {"score": z2, "mean": 0.0, "std": 1.0,
                                                  "clip": 1.0}),
        "ppo_clip_objective": (ppo_clip_objective, {"ratio": z2 + 1, "advantages": z2,
                                                    "eps": 0.2}),
        "ppo_policy_loss": (ppo_policy_loss, {"logp": z2, "logp_old": z2, "advantages": z2,
                                              "mask": m2, "eps": 0.2}),
        "value_loss": (value_loss, {"values": z2, "old_values": z2, "returns": z2,
                                    "mask": m2, "clip": 0.2}),
        "masked_entropy": (masked_entropy, {"logits": torch.zeros(2, 3, 4, dtype=f32),
                                            "mask": m2}),
        "ppo_max_loss": (ppo_max_loss, {"policy_loss": 0.0, "value_loss": 0.0,
                                        "entropy": 0.0, "ptx_nll": 0.0, "vf_coef": 1.0,
                                        "ent_coef": 0.0, "ptx_coef": 0.0}),
    }[name]


TENSOR_ARGS = [("masked_mean", "x"), ("reward_model_loss", "r_chosen"),
               ("reward_model_loss", "r_rejected"), ("reward_model_loss", "lm_nll"),
               ("kl_penalized_rewards", "score"), ("kl_penalized_rewards", "logp"),
               ("kl_penalized_rewards", "logp_ref"), ("gae", "rewards"), ("gae", "values"),
               ("whiten", "x"), ("normalize_rewards", "score"),
               ("ppo_clip_objective", "ratio"), ("ppo_clip_objective", "advantages"),
               ("ppo_policy_loss", "logp"), ("ppo_policy_loss", "logp_old"),
               ("value_loss", "values"), ("value_loss", "old_values"),
               ("value_loss", "returns"), ("masked_entropy", "logits"),
               ("ppo_max_loss", "policy_loss"), ("ppo_max_loss", "value_loss"),
               ("ppo_max_loss", "entropy"), ("ppo_max_loss", "ptx_nll")]


@pytest.mark.parametrize("func, arg", TENSOR_ARGS)
def test_a_non_finite_input_is_named(func, arg):
    f, kwargs = valid_args(func)
    f(**kwargs)  # the valid arguments pass
    kwargs[arg] = torch.as_tensor(kwargs[arg]) * float("nan")
    with pytest.raises(ValueError, match=f"^{arg} must be finite$"):
        f(**kwargs)


@pytest.mark.parametrize("arg", ["policy_loss", "value_loss", "entropy", "ptx_nll"])
def test_ppo_max_loss_names_a_non_scalar(arg):
    f, kwargs = valid_args("ppo_max_loss")
    kwargs[arg] = [1.0, 2.0]
    with pytest.raises(ValueError, match=rf"^{arg} must be a scalar, got shape \(2,\)$"):
        f(**kwargs)


@pytest.mark.parametrize("func", ["masked_mean", "kl_penalized_rewards", "gae", "whiten",
                                  "ppo_clip_objective", "ppo_policy_loss", "value_loss",
                                  "masked_entropy", "reward_model_loss"])
def test_float32_inputs_give_float32_outputs_whatever_the_other_dtypes(func):
    f, kwargs = valid_args(func)
    for key in ("mask", "logp_ref", "logp_old", "old_values", "returns", "advantages",
                "score", "r_rejected", "lm_nll"):
        if key in kwargs:  # the other tensors in float64: the result keeps float32
            kwargs[key] = torch.as_tensor(kwargs[key]).to(F64)
    assert f(**kwargs).dtype == torch.float32


def test_check_mask_returns_a_float_mask():
    assert check_mask([1, 0], torch.Size([2])).dtype == torch.get_default_dtype()
    assert check_mask([True, False], torch.Size([2])).dtype == torch.get_default_dtype()
    assert check_mask(torch.ones(2, dtype=F64), torch.Size([2])).dtype == F64


def test_exact_error_messages():
    with pytest.raises(ValueError, match=r"^mask must hold only 0 and 1$"):
        masked_mean([1.0, 2.0], [1, 2])
    with pytest.raises(ValueError, match=r"^mask selects no element to average over$"):
        masked_mean([1.0, 2.0], [0, 0])
    with pytest.raises(ValueError, match=r"^mask must be right-padded: ones, then zeros, "
                                         r"along the last axis$"):
        gae([1.0, 2.0], [0.0, 0.0, 0.0], 1.0, 0.9, mask=[0, 1])
    with pytest.raises(ValueError, match=r"^ratio must be non-negative \(a ratio of "
                                         r"probabilities\)$"):
        ppo_clip_objective([-0.1], [1.0], 0.2)
    with pytest.raises(ValueError, match=r"^logits must have shape \(\.\.\., T, V\) with "
                                         r"V >= 1, got \(2,\)$"):
        masked_entropy([1.0, 2.0], [1, 1])
    with pytest.raises(ValueError, match=r"^logits must have shape \(\.\.\., T, V\) with "
                                         r"V >= 1, got \(1, 2, 0\)$"):
        masked_entropy(torch.zeros(1, 2, 0), [[1, 1]])
    with pytest.raises(ValueError, match=r"^mask must select at least one response token "
                                         r"per row$"):
        kl_penalized_rewards([0.0], [[0.0, 0.0]], [[0.0, 0.0]], [[0, 0]], 0.1)


@pytest.mark.formula("eq-token-reward")
def test_token_rewards_batched_over_leading_axes_without_a_full_row():
    # shape (2, 2, 4): groups × responses × tokens, no response fills all 4 columns
    mask = torch.tensor([[[1, 1, 0, 0], [1, 0, 0, 0]], [[1, 1, 1, 0], [1, 1, 0, 0]]])
    logp, logp_ref = -randn(11, 2, 2, 4).abs(), -randn(12, 2, 2, 4).abs()
    score = randn(13, 2, 2)
    r = kl_penalized_rewards(score, logp, logp_ref, mask, 0.5)
    for g in range(2):
        for b in range(2):
            n = int(mask[g, b].sum())
            expected = torch.zeros(4, dtype=F64)
            expected[:n] = -0.5 * (logp[g, b, :n] - logp_ref[g, b, :n])
            expected[n - 1] += score[g, b]  # last token t = n is column n − 1
            np.testing.assert_allclose(r[g, b], expected, atol=1e-15)


@pytest.mark.formula("eq-ppo-max")
def test_entropy_of_a_single_response_2d():
    # logits (T, V) with mask (T,): ln 2 for a uniform pair, 0 for a certain token
    logits = torch.tensor([[0.0, 0.0], [0.0, -1e4], [3.0, 1.0]], dtype=F64)
    assert masked_entropy(logits, [1, 1, 0]).item() == pytest.approx(math.log(2) / 2,
                                                                     abs=1e-15)


@pytest.mark.formula("eq-token-reward")
def test_token_rewards_of_one_token_responses():
    # T = 1: the only token gets −β log-ratio plus the score
    r = kl_penalized_rewards([2.0, -1.0], [[-1.0], [-0.5]], [[-0.5], [-0.5]], [[1], [1]], 0.2)
    np.testing.assert_allclose(r, [[2.0 + 0.1], [-1.0]], atol=1e-7)


def test_empty_axes_and_log_probabilities_above_zero_are_rejected():
    # a log-probability above 0 is a probability above 1
    lp, m = -torch.ones(2, 3, dtype=F64), torch.ones(2, 3, dtype=F64)
    with pytest.raises(ValueError, match=r"^logp must hold log-probabilities \(<= 0\), "
                                         r"got a maximum of 0\.5"):
        ppo_policy_loss(lp + 1.5, lp, [1.0, -1.0], m, 0.2)
    with pytest.raises(ValueError, match=r"^logp_old must hold log-probabilities"):
        ppo_policy_loss(lp, lp + 1.5, [1.0, -1.0], m, 0.2)
    with pytest.raises(ValueError, match=r"^logp must hold log-probabilities"):
        kl_penalized_rewards([0.0, 0.0], lp + 1.5, lp, m, 0.1)
    with pytest.raises(ValueError, match=r"^logp_ref must hold log-probabilities"):
        kl_penalized_rewards([0.0, 0.0], lp, lp + 1.5, m, 0.1)
    # T = 0: no last token to put the score on (was an IndexError from inside torch)
    z = torch.zeros(2, 0, dtype=F64)
    with pytest.raises(ValueError, match=r"^logp must have shape \(B, T\) with T >= 1, "
                                         r"got \(2, 0\)"):
        kl_penalized_rewards([0.0, 0.0], z, z, z, 0.1)
    # B = 0 pairs: no mean
    with pytest.raises(ValueError, match="^r_chosen must hold at least one pair"):
        reward_model_loss(torch.zeros(0), torch.zeros(0))


def test_token_rewards_of_one_response_and_of_groups_without_tokens():
    # one response of shape (T,): the same as the row of a batch of one
    logp, logp_ref = torch.tensor([-0.5, -1.0, -2.0]), torch.tensor([-0.7, -1.0, -1.5])
    one = kl_penalized_rewards(torch.tensor(2.0), logp, logp_ref, [1, 1, 0], 0.1)
    batch = kl_penalized_rewards([2.0], logp[None], logp_ref[None], [[1, 1, 0]], 0.1)
    torch.testing.assert_close(one, batch[0])
    # (groups, responses, T = 0): no token in any response
    z = torch.zeros(2, 3, 0, dtype=F64)
    with pytest.raises(ValueError, match=r"^logp must have shape \(B, T\) with T >= 1, "
                                         r"got \(2, 3, 0\)"):
        kl_penalized_rewards(torch.zeros(2, 3), z, z, z, 0.1)


def test_check_logp_accepts_log_probabilities_and_rejects_the_rest():
    x = check_logp("logp", [[0.0, -1.5], [-30.0, -0.1]])  # log 1 = 0 is allowed
    assert x.dtype == torch.get_default_dtype() and x.shape == (2, 2)
    with pytest.raises(ValueError, match=r"^logq must hold log-probabilities \(<= 0\), "
                                         r"got a maximum of 0\.25$"):
        check_logp("logq", [-1.0, 0.25])
    with pytest.raises(ValueError, match="^logq must be finite"):
        check_logp("logq", [-1.0, float("-inf")])
