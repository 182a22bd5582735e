"""Checks of llm-rl/grpo: every key equation against something independent.

Independent references used here: hand-computed advantages; Python's statistics module
(sample and population std); explicit loops over outputs, steps and tokens written with
math.log / math.exp on floats; exact sums over a categorical distribution and
torch.distributions.kl_divergence; torch autograd against the page's analytic gradient.
"""

from __future__ import annotations

import itertools
import math
import statistics

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from snippets.llm_rl.grpo import (
    group_advantages,
    group_advantages_population,
    grpo_loss,
    grpo_loss_grad,
    kl_k1,
    kl_k2,
    kl_k3,
    kl_moments,
    leave_one_out_advantages,
    process_advantages,
)
from snippets.llm_rl.rlhf_ppo import ppo_policy_loss

F64 = torch.float64


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --8<-- [start:test_group_advantages]
@pytest.mark.formula("eq-group-advantage")
def test_group_advantages_by_hand_and_by_statistics():
    # G = 4, rewards 1, 0, 0, 1: mean 1/2, sample std sqrt(1/3), so A = ±(1/2)·sqrt(3)
    a = group_advantages(torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=F64), eps=1e-12)
    torch.testing.assert_close(a, torch.tensor([1, -1, -1, 1], dtype=F64) * 3**0.5 / 2,
                               rtol=0, atol=1e-10)
    # population std 1/2 gives ±1: larger by sqrt(G/(G−1))
    b = group_advantages_population(torch.tensor([1.0, 0, 0, 1], dtype=F64), eps=1e-12)
    torch.testing.assert_close(b, torch.tensor([1.0, -1, -1, 1], dtype=F64),
                               rtol=0, atol=1e-10)
    # a batch of groups (2, 3, G = 5) against statistics.stdev / pstdev, row by row
    r = torch.randn(2, 3, 5, generator=gen(0), dtype=F64)
    for eps in (1e-6, 0.5):
        a, b = group_advantages(r, eps), group_advantages_population(r, eps)
        for idx in [(i, j) for i in range(2) for j in range(3)]:
            row = r[idx].tolist()
            m, s = statistics.fmean(row), statistics.stdev(row)
            p = statistics.pstdev(row)
            for k, x in enumerate(row):
                assert abs(a[idx][k].item() - (x - m) / (s + eps)) < 1e-12
                assert abs(b[idx][k].item() - (x - m) / (p + eps)) < 1e-12
# --8<-- [end:test_group_advantages]


@pytest.mark.formula("eq-group-advantage")
@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=2, max_size=9),
       st.floats(0.01, 50), st.floats(-100, 100))
def test_group_advantages_zero_mean_and_affine_invariance(rewards, scale, shift):
    r = torch.tensor(rewards, dtype=F64)
    a = group_advantages(r, eps=1e-9)
    if len(set(rewards)) == 1:
        # all-equal group: no signal; mean(r) may differ from r_i by a rounding error
        # (≈ 1e-13 here), which the default eps = 1e-6 turns into < 1e-6
        assert group_advantages(r).abs().max() < 1e-6
        return
    spread = r.std().item()
    assume(spread > 1e-3)  # below, rounding of scale·r + shift would dominate
    assert abs(a.sum().item()) < 1e-9  # zero mean
    # r -> scale·r + shift leaves A unchanged up to the eps in the denominators:
    # |d/(s + eps) − d/(s + eps/scale)| <= |A| eps (1 + 1/scale) / s, plus rounding
    b = group_advantages(scale * r + shift, eps=1e-9)
    bound = a.abs().max().item() * 1e-9 * (1 + 1 / scale) / spread + 1e-9
    torch.testing.assert_close(a, b, rtol=0, atol=bound)


@pytest.mark.formula("eq-group-advantage")
def test_group_advantages_all_equal_group_is_zero():
    r = torch.tensor([[3.0, 3.0, 3.0], [0.0, 1.0, 2.0]], dtype=F64)
    a = group_advantages(r)
    assert torch.equal(a[0], torch.zeros(3, dtype=F64))
    torch.testing.assert_close(a[1], torch.tensor([-1.0, 0, 1], dtype=F64) / (1 + 1e-6),
                               rtol=0, atol=1e-12)


def test_group_advantages_default_eps():
    r = torch.tensor([0.3, 1.2, -0.4], dtype=F64)
    row = r.tolist()
    m, s, p = statistics.fmean(row), statistics.stdev(row), statistics.pstdev(row)
    for k, x in enumerate(r.tolist()):
        assert abs(group_advantages(r)[k].item() - (x - m) / (s + 1e-6)) < 1e-12
        assert abs(group_advantages_population(r)[k].item() - (x - m) / (p + 1e-6)) < 1e-12


def test_group_advantages_bad_inputs():
    with pytest.raises(ValueError, match=r"^rewards must have a last \(group\) axis of length G"):
        group_advantages(torch.tensor([1.0]))
    with pytest.raises(ValueError, match="^rewards must have"):
        group_advantages(torch.tensor(1.0))
    with pytest.raises(ValueError, match="^rewards must be finite"):
        group_advantages(torch.tensor([1.0, float("nan")]))
    with pytest.raises(ValueError, match="^eps must be positive"):
        group_advantages(torch.tensor([1.0, 2.0]), eps=0.0)
    with pytest.raises(ValueError, match="^eps must be positive"):
        group_advantages_population(torch.tensor([1.0, 2.0]), eps=-1.0)


def process_loop(step_rewards, step_end, step_mask, mask, eps):
    """A_{i,t} = Σ_{j: index(j) ≥ t} (r_ij − mean R) / (std R + eps), by explicit loops."""
    G, K = len(step_rewards), len(step_rewards[0])
    T = len(mask[0])
    pooled = [step_rewards[i][j] for i in range(G) for j in range(K) if step_mask[i][j]]
    m, s = statistics.fmean(pooled), statistics.stdev(pooled)
    out = [[0.0] * T for _ in range(G)]
    for i in range(G):
        for t in range(T):
            if mask[i][t]:
                out[i][t] = sum((step_rewards[i][j] - m) / (s + eps) for j in range(K)
                                if step_mask[i][j] and step_end[i][j] >= t)
    return out


# --8<-- [start:test_process_advantages]
@pytest.mark.formula("eq-process-advantage")
def test_process_advantages_against_loops():
    g = gen(1)
    B, G, K, T = 2, 3, 4, 7
    step_r = torch.rand(B, G, K, generator=g, dtype=F64)
    lengths = torch.tensor([[7, 5, 3], [6, 7, 2]])  # response lengths
    mask = (torch.arange(T) < lengths.unsqueeze(-1)).to(F64)
    n_steps = torch.tensor([[4, 2, 1], [3, 4, 2]])
    step_mask = (torch.arange(K) < n_steps.unsqueeze(-1)).long()
    # step j of output i ends at a token inside the response; the last step at its end
    step_end = torch.randint(0, 100, (B, G, K), generator=g) % lengths.unsqueeze(-1)
    step_end = torch.sort(step_end, dim=-1).values
    for eps in (1e-6, 0.3):
        a = process_advantages(step_r, step_end, step_mask, mask, eps)
        for b in range(B):
            ref = process_loop(step_r[b].tolist(), step_end[b].tolist(),
                               step_mask[b].tolist(), mask[b].tolist(), eps)
            torch.testing.assert_close(a[b], torch.tensor(ref, dtype=F64),
                                       rtol=0, atol=1e-12)
# --8<-- [end:test_process_advantages]


@pytest.mark.formula("eq-process-advantage")
def test_one_step_per_output_is_outcome_supervision():
    # one step ending at the last token: every token gets the group-normalised reward
    r = torch.tensor([[0.2], [0.9], [0.4], [0.4]], dtype=F64)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]])
    step_end = mask.sum(-1, keepdim=True) - 1
    a = process_advantages(r, step_end, torch.ones(4, 1), mask)
    expected = group_advantages(r[:, 0]).unsqueeze(-1) * mask
    torch.testing.assert_close(a, expected, rtol=0, atol=1e-12)


def test_process_advantages_bad_inputs():
    r, end, sm = torch.zeros(2, 2), torch.tensor([[0, 1], [0, 1]]), torch.ones(2, 2)
    m = torch.ones(2, 3)
    r[0, 0] = 1.0
    process_advantages(r, end, sm, m)  # valid
    process_advantages(r, end, torch.tensor([[1, 0], [1, 0]]), m)  # exactly 2 steps: valid
    # the output has the dtype of step_rewards, whatever the dtype of the masks
    out = process_advantages(r.float(), end, sm.double(), m.double())
    assert out.dtype == torch.float32
    with pytest.raises(ValueError, match="^step_rewards must be finite"):
        process_advantages(torch.full((2, 2), float("inf")), end, sm, m)
    with pytest.raises(ValueError, match="mask"):
        process_advantages(r, end, torch.ones(2, 3), m)
    with pytest.raises(ValueError, match="mask"):
        process_advantages(r, end, torch.full((2, 2), 0.5), m)
    with pytest.raises(ValueError, match="^step_end must be integer"):
        process_advantages(r, end.double(), sm, m)
    with pytest.raises(ValueError, match=r"^step_end must be integer token indices of shape \(2, 2\)"):
        process_advantages(r, end[:, :1], sm, m)
    with pytest.raises(ValueError, match=r"^mask must have shape \(\.\.\., G, T\) with \(\.\.\., G\) = \(2,\)"):
        process_advantages(r, end, sm, torch.ones(3, 3))
    with pytest.raises(ValueError, match="^mask must have shape"):
        process_advantages(r[0], end[0], sm[0], m[0])
    with pytest.raises(ValueError, match="mask"):
        process_advantages(r, end, sm, torch.full((2, 3), 2))
    with pytest.raises(ValueError, match="^step_end must lie in"):
        process_advantages(r, torch.tensor([[0, 3], [0, 1]]), sm, m)
    with pytest.raises(ValueError, match="^step_end must lie in"):
        process_advantages(r, torch.tensor([[0, 1], [-1, 1]]), sm, m)
    # an out-of-range index on a missing step is ignored
    process_advantages(r, torch.tensor([[0, 9], [0, 1]]), torch.tensor([[1, 0], [1, 1]]), m)
    with pytest.raises(ValueError, match="eps"):
        process_advantages(r, end, sm, m, eps=0.0)
    with pytest.raises(ValueError, match="^step_mask must select at least 2 steps"):
        process_advantages(r, end, torch.tensor([[1, 0], [0, 0]]), m)


def categorical_pair(seed: int, V: int = 6, scale: float = 1.0):
    g = gen(seed)
    z, z_ref = (scale * torch.randn(V, generator=g, dtype=F64) for _ in range(2))
    # log-softmax written out (torch.log_softmax may enter a thread pool under mutmut's fork)
    return z - torch.log(torch.exp(z).sum()), z_ref - torch.log(torch.exp(z_ref).sum())


# --8<-- [start:test_kl_k3]
@pytest.mark.formula("eq-kl-k3")
def test_k3_is_unbiased_by_an_exact_sum():
    for seed in range(5):
        logp, logp_ref = categorical_pair(seed)
        p, q = logp.exp().tolist(), logp_ref.exp().tolist()
        # KL(π_θ ‖ π_ref) = Σ_v π_θ(v) log(π_θ(v)/π_ref(v)), written with math.log
        kl = sum(px * math.log(px / qx) for px, qx in zip(p, q))
        k3 = kl_k3(logp, logp_ref).tolist()
        # E_{v~π_θ}[k3(v)] by the exact sum over the 6 tokens
        assert abs(sum(px * k for px, k in zip(p, k3)) - kl) < 1e-12
        torch_kl = torch.distributions.kl_divergence(
            torch.distributions.Categorical(logits=logp),
            torch.distributions.Categorical(logits=logp_ref))
        assert abs(torch_kl.item() - kl) < 1e-12
        # each term is π_ref/π_θ − log(π_ref/π_θ) − 1
        for px, qx, k in zip(p, q, k3):
            assert abs(k - (qx / px - math.log(qx / px) - 1)) < 1e-12
# --8<-- [end:test_kl_k3]


@pytest.mark.formula("eq-kl-k3")
def test_k3_is_unbiased_only_when_the_tokens_come_from_pi_theta():
    # GRPO samples from π_old: after a step θ ≠ θ_old the expectation is not the KL
    logp_old, logp_ref = categorical_pair(7)
    z = logp_old + 0.5 * torch.tensor([1.0, -1, 0.5, 0, -0.5, 1], dtype=F64)
    logp = z - torch.log(torch.exp(z).sum())  # log-softmax written out
    p, p_old = logp.exp(), logp_old.exp()
    kl = float((p * (logp - logp_ref)).sum())  # KL(π_θ ‖ π_ref)
    k3 = kl_k3(logp, logp_ref)
    assert abs(float((p * k3).sum()) - kl) < 1e-12  # tokens from π_θ: unbiased
    under_old = float((p_old * k3).sum())  # tokens from π_old: biased
    assert abs(under_old - kl) > 0.01
    # at θ = θ_old the two sampling distributions coincide again
    k3_old = kl_k3(logp_old, logp_ref)
    kl_old = float((p_old * (logp_old - logp_ref)).sum())
    assert abs(float((p_old * k3_old).sum()) - kl_old) < 1e-12


@pytest.mark.formula("eq-kl-k3")
@settings(max_examples=30, deadline=None)
@given(st.floats(-30, 30), st.floats(-30, 30))
def test_k3_is_non_negative_and_zero_only_at_equality(a, b):
    logp, logp_ref = torch.tensor([-abs(a)], dtype=F64), torch.tensor([-abs(b)], dtype=F64)
    k3 = kl_k3(logp, logp_ref).item()
    assert k3 >= 0.0
    # second-order: k3 = u²/2 + O(u³) ≥ u²/2 − |u|³/6 for u = log(π_ref/π_θ) <= 1
    u = -abs(b) + abs(a)
    if abs(u) <= 1:
        assert k3 >= u * u / 2 - abs(u) ** 3 / 6 - 1e-15


@pytest.mark.formula("eq-kl-k3")
def test_k1_unbiased_but_negative_k2_biased():
    logp, logp_ref = categorical_pair(7)
    p = logp.exp()
    kl = float((p * (logp - logp_ref)).sum())
    k1, k2 = kl_k1(logp, logp_ref), kl_k2(logp, logp_ref)
    assert abs(float((p * k1).sum()) - kl) < 1e-12
    assert (k1 < 0).any() and (k2 >= 0).all()
    # k2 = (log π_θ − log π_ref)² / 2 token by token
    for x in range(6):
        assert abs(k2[x].item() - 0.5 * (logp[x].item() - logp_ref[x].item()) ** 2) < 1e-12
    assert abs(float((p * k2).sum()) - kl) > 1e-3  # biased on this pair


@pytest.mark.formula("eq-kl-k3")
def test_k3_gradient_is_the_reverse_kl_gradient():
    # as a loss, E_{v~π_θ}[∇_θ k3(v)] (sampling held fixed) = ∇_θ KL(π_ref ‖ π_θ)
    z = torch.randn(5, generator=gen(20), dtype=F64, requires_grad=True)
    z_ref = torch.randn(5, generator=gen(21), dtype=F64)
    log_p = z - torch.log(torch.exp(z).sum())  # log-softmax written out
    log_q = z_ref - torch.log(torch.exp(z_ref).sum())
    (g_k3,) = torch.autograd.grad((log_p.exp().detach() * kl_k3(log_p, log_q)).sum(), z,
                                  retain_graph=True)
    (g_rev,) = torch.autograd.grad((log_q.exp() * (log_q - log_p)).sum(), z)
    torch.testing.assert_close(g_k3, g_rev, rtol=0, atol=1e-12)


def test_kl_estimators_bad_inputs_and_dtype():
    for k in (kl_k1, kl_k2, kl_k3):
        # the estimate has the dtype of logp
        assert k(torch.zeros(2), torch.zeros(2, dtype=F64)).dtype == torch.float32
    for k in (kl_k1, kl_k2, kl_k3, kl_moments):
        with pytest.raises(ValueError, match="^logp_ref must have the shape of logp"):
            k(torch.zeros(3), torch.zeros(2))
        with pytest.raises(ValueError, match="^logp must be finite"):
            k(torch.tensor([float("nan")]), torch.zeros(1))
        with pytest.raises(ValueError, match="^logp_ref must be finite"):
            k(torch.zeros(1), torch.tensor([float("inf")]))
    with pytest.raises(ValueError, match="^logp must be normalised"):
        kl_moments(torch.zeros(3), torch.zeros(3))  # probabilities sum to 3
    half = torch.log(torch.tensor([0.5, 0.5], dtype=F64))
    kl_moments(half + 2.5e-7, half)  # sums to 1 + 5e-7: accepted
    with pytest.raises(ValueError, match="^logp must be normalised"):
        kl_moments(half + 1e-6, half)  # sums to 1 + 2e-6


# --8<-- [start:test_kl_moments]
@pytest.mark.formula("eq-kl-moments")
def test_kl_moments_against_loops():
    logp, logp_ref = categorical_pair(3, V=5, scale=0.7)
    p, q = logp.exp().tolist(), logp_ref.exp().tolist()
    kl = sum(px * math.log(px / qx) for px, qx in zip(p, q))
    per_token = {"k1": [math.log(px / qx) for px, qx in zip(p, q)],
                 "k2": [0.5 * math.log(qx / px) ** 2 for px, qx in zip(p, q)],
                 "k3": [qx / px - 1 - math.log(qx / px) for px, qx in zip(p, q)]}
    moments = kl_moments(logp, logp_ref)
    for name, values in per_token.items():
        mean = sum(px * v for px, v in zip(p, values))
        var = sum(px * (v - mean) ** 2 for px, v in zip(p, values))
        assert abs(moments[name][0].item() - mean) < 1e-12
        assert abs(moments[name][1].item() - var) < 1e-12
    assert abs(moments["k1"][0].item() - kl) < 1e-12
    assert abs(moments["k3"][0].item() - kl) < 1e-12
    # near π_ref the k3 variance is far below the k1 variance
    close, close_ref = categorical_pair(3, V=5, scale=0.1)
    near = kl_moments(close, close_ref)
    assert near["k3"][1] < 0.1 * near["k1"][1]
# --8<-- [end:test_kl_moments]


@pytest.mark.formula("eq-kl-moments")
def test_kl_moments_batched():
    pairs = [categorical_pair(s, V=4) for s in range(3)]
    logp = torch.stack([a for a, _ in pairs])
    logp_ref = torch.stack([b for _, b in pairs])
    batched = kl_moments(logp, logp_ref)
    for i, (a, b) in enumerate(pairs):
        one = kl_moments(a, b)
        for name in ("k1", "k2", "k3"):
            for j in range(2):
                assert abs(batched[name][j][i].item() - one[name][j].item()) < 1e-14


def random_tokens(seed: int, shape=(2, 4, 6), spread: float = 0.4):
    """Old, current and reference log-probs and a ragged response mask."""
    g = gen(seed)
    logp_old = -torch.rand(shape, generator=g, dtype=F64) * 3 - 0.05
    # log-probabilities stay <= 0 (probabilities <= 1)
    logp = (logp_old + spread * torch.randn(shape, generator=g, dtype=F64)).clamp(max=-1e-3)
    logp_ref = (logp_old + spread * torch.randn(shape, generator=g, dtype=F64)
                ).clamp(max=-1e-3)
    lengths = torch.randint(1, shape[-1] + 1, shape[:-1], generator=g)
    mask = (torch.arange(shape[-1]) < lengths.unsqueeze(-1)).to(F64)
    return logp, logp_old, logp_ref, mask


def clip(x, lo, hi):
    return max(lo, min(hi, x))


# --8<-- [start:test_ppo_objective]
@pytest.mark.formula("eq-ppo")
def test_ppo_objective_against_a_loop():
    logp, logp_old, _, mask = random_tokens(4, shape=(5, 7))
    adv = torch.randn(5, 7, generator=gen(5), dtype=F64)
    for eps in (0.1, 0.2, 0.5):
        total = 0.0
        for b in range(5):
            terms = []
            for t in range(7):
                if mask[b, t]:
                    r = math.exp(logp[b, t].item() - logp_old[b, t].item())
                    a = adv[b, t].item()
                    terms.append(min(r * a, clip(r, 1 - eps, 1 + eps) * a))
            total += sum(terms) / len(terms)
        # PPO's objective is implemented once, as the loss of llm-rl/rlhf-ppo
        got = -ppo_policy_loss(logp, logp_old, adv, mask, eps, per_sequence=True)
        assert abs(got.item() - total / 5) < 1e-12
# --8<-- [end:test_ppo_objective]


@pytest.mark.formula("eq-ppo")
def test_ppo_objective_batched_over_groups():
    logp, logp_old, _, mask = random_tokens(19, shape=(2, 3, 4))
    adv = torch.randn(2, 3, generator=gen(22), dtype=F64)
    flat = ppo_policy_loss(logp.reshape(6, 4), logp_old.reshape(6, 4), adv.reshape(6),
                           mask.reshape(6, 4), 0.2, per_sequence=True)
    got = ppo_policy_loss(logp, logp_old, adv, mask, 0.2, per_sequence=True)
    assert abs(got.item() - flat.item()) < 1e-14


@pytest.mark.formula("eq-ppo")
def test_ppo_objective_with_one_advantage_per_output():
    logp, logp_old, _, mask = random_tokens(6, shape=(3, 5), spread=0.5)
    adv = torch.tensor([1.0, -2.0, 0.5], dtype=F64)
    expanded = adv.unsqueeze(-1).expand(3, 5)
    a = ppo_policy_loss(logp, logp_old, adv, mask, 0.2, per_sequence=True)
    b = ppo_policy_loss(logp, logp_old, expanded, mask, 0.2, per_sequence=True)
    assert abs(a.item() - b.item()) < 1e-14
    c = ppo_policy_loss(logp, logp_old, adv, mask, 0.3, per_sequence=True)
    assert abs(a.item() - c.item()) > 1e-6


def grpo_loop(logp, logp_old, logp_ref, adv, mask, eps, beta):
    """−J_GRPO by explicit loops: groups, then outputs i, then tokens t."""
    groups = []
    for b in range(logp.shape[0]):
        per_output = []
        for i in range(logp.shape[1]):
            terms = []
            for t in range(logp.shape[2]):
                if mask[b, i, t]:
                    lp, lo, lr = (x[b, i, t].item() for x in (logp, logp_old, logp_ref))
                    a = adv[b, i, t].item() if adv.ndim == 3 else adv[b, i].item()
                    r = math.exp(lp - lo)
                    d_kl = math.exp(lr - lp) - (lr - lp) - 1
                    terms.append(min(r * a, clip(r, 1 - eps, 1 + eps) * a) - beta * d_kl)
            per_output.append(sum(terms) / len(terms))
        groups.append(sum(per_output) / len(per_output))
    return -sum(groups) / len(groups)


# --8<-- [start:test_grpo_loss]
@pytest.mark.formula("eq-grpo-objective")
def test_grpo_loss_against_loops():
    logp, logp_old, logp_ref, mask = random_tokens(8)
    outcome = group_advantages(torch.randn(2, 4, generator=gen(9), dtype=F64))
    process = torch.randn(2, 4, 6, generator=gen(10), dtype=F64)
    for adv in (outcome, process):
        for eps, beta in ((0.2, 0.04), (0.1, 0.0), (0.3, 1.5)):
            got = grpo_loss(logp, logp_old, logp_ref, adv, mask, eps, beta)
            want = grpo_loop(logp, logp_old, logp_ref, adv, mask, eps, beta)
            assert abs(got.item() - want) < 1e-12
# --8<-- [end:test_grpo_loss]


@pytest.mark.formula("eq-grpo-objective")
def test_grpo_loss_defaults_and_padding():
    logp, logp_old, logp_ref, mask = random_tokens(11)
    adv = torch.randn(2, 4, generator=gen(12), dtype=F64)
    default = grpo_loss(logp, logp_old, logp_ref, adv, mask)
    want = grpo_loop(logp, logp_old, logp_ref, adv, mask, 0.2, 0.04)
    assert abs(default.item() - want) < 1e-12
    # whatever sits on the padding does not count
    noisy = logp - (1 - mask) * torch.rand(2, 4, 6, generator=gen(13), dtype=F64)
    assert abs(grpo_loss(noisy, logp_old, logp_ref, adv, mask).item() - default.item()) < 1e-14
    # on-policy with π_ref = π_θ and zero-mean group advantages, the loss is 0
    zero = grpo_loss(logp_old, logp_old, logp_old, group_advantages(adv), mask)
    assert abs(zero.item()) < 1e-12


# --8<-- [start:test_grpo_gradient]
@pytest.mark.formula("eq-grpo-gradient")
def test_grpo_gradient_autograd_equals_the_formula():
    logp, logp_old, logp_ref, mask = random_tokens(14, shape=(3, 4, 5), spread=0.3)
    outcome = group_advantages(torch.randn(3, 4, generator=gen(15), dtype=F64))
    process = torch.randn(3, 4, 5, generator=gen(16), dtype=F64)
    ratio = torch.exp(logp - logp_old)
    # the data exercise both branches of the min: tokens inside and outside the clip
    assert ((ratio > 1.2) & (mask > 0)).any() and ((ratio < 0.8) & (mask > 0)).any()
    for adv in (outcome, process):
        for eps, beta in ((0.2, 0.04), (0.1, 0.5)):
            x = logp.clone().requires_grad_(True)
            grpo_loss(x, logp_old, logp_ref, adv, mask, eps, beta).backward()
            # an integer 0/1 mask is accepted
            analytic = grpo_loss_grad(logp, logp_old, logp_ref, adv, mask.long(),
                                      eps, beta)
            torch.testing.assert_close(x.grad, analytic, rtol=0, atol=1e-14)
# --8<-- [end:test_grpo_gradient]


@pytest.mark.formula("eq-grpo-gradient")
def test_on_policy_gradient_coefficient():
    # at θ = θ_old (r = 1, never clipped) the coefficient of ∇log π_θ(o_t) is
    # Â + β(π_ref/π_θ − 1), divided by N |o_i|: the paper's gradient coefficient
    _, logp_old, logp_ref, mask = random_tokens(17, shape=(1, 3, 4))
    adv = torch.tensor([[0.5, -1.0, 2.0]], dtype=F64)
    got = grpo_loss_grad(logp_old, logp_old, logp_ref, adv, mask, beta=0.1)
    for i in range(3):
        n_i = mask[0, i].sum().item()
        for t in range(4):
            coef = adv[0, i].item() + 0.1 * (math.exp(logp_ref[0, i, t] - logp_old[0, i, t]) - 1)
            want = -coef / (3 * n_i) if mask[0, i, t] else 0.0
            assert abs(got[0, i, t].item() - want) < 1e-14
    default = grpo_loss_grad(logp_old, logp_old, logp_ref, adv, mask)
    assert torch.equal(default, grpo_loss_grad(logp_old, logp_old, logp_ref, adv, mask,
                                               0.2, 0.04))


def test_grpo_bad_inputs_and_dtype():
    logp, logp_old, logp_ref, mask = random_tokens(18)
    adv = torch.zeros(2, 4, dtype=F64)
    nan = torch.full_like(logp, float("nan"))
    for f in (grpo_loss, grpo_loss_grad):
        # the result has the dtype of logp
        assert f(logp.float(), logp_old, logp_ref, adv, mask).dtype == torch.float32
        with pytest.raises(ValueError, match=r"^logp must have shape \(\.\.\., G, T\)"):
            f(logp[0, 0], logp_old[0, 0], logp_ref[0, 0], adv[0, 0], mask[0, 0])
        with pytest.raises(ValueError, match="^logp_old must have the shape of logp"):
            f(logp, logp_old[0], logp_ref, adv, mask)
        with pytest.raises(ValueError, match="^logp_ref must have the shape of logp"):
            f(logp, logp_old, logp_ref[..., :3], adv, mask)
        with pytest.raises(ValueError, match=r"^advantages must have shape \(2, 4, 6\) \(per token\) or \(2, 4\)"):
            f(logp, logp_old, logp_ref, adv[0], mask)
        with pytest.raises(ValueError, match="^mask must have shape"):
            f(logp, logp_old, logp_ref, adv, mask[0])
        empty = mask.clone()
        empty[1, 2] = 0
        with pytest.raises(ValueError, match="^mask must select at least one token"):
            f(logp, logp_old, logp_ref, adv, empty)
        with pytest.raises(ValueError, match="^beta must be non-negative"):
            f(logp, logp_old, logp_ref, adv, mask, beta=-0.1)
        f(logp, logp_old, logp_ref, adv, mask, beta=0.0)  # beta = 0 is allowed
        with pytest.raises(ValueError, match="^logp must be finite"):
            f(nan, logp_old, logp_ref, adv, mask)
        with pytest.raises(ValueError, match="^logp_old must be finite"):
            f(logp, nan, logp_ref, adv, mask)
        with pytest.raises(ValueError, match="^logp_ref must be finite"):
            f(logp, logp_old, nan, adv, mask)
        with pytest.raises(ValueError, match="^advantages must be finite"):
            f(logp, logp_old, logp_ref, adv * float("nan"), mask)
    for f in (grpo_loss, grpo_loss_grad):
        with pytest.raises(ValueError, match="eps"):
            f(logp, logp_old, logp_ref, adv, mask, eps=1.0)
        with pytest.raises(ValueError, match="eps"):
            f(logp, logp_old, logp_ref, adv, mask, eps=0.0)


def test_log_probabilities_above_zero_and_empty_groups_are_rejected():
    # logp = 1 is not a log-probability: k3 used to return a number for it
    for f in (kl_k3, kl_k1, kl_k2, kl_moments):
        with pytest.raises(ValueError, match=r"^logp must hold log-probabilities \(<= 0\), "
                                             r"got a maximum of 1"):
            f(torch.tensor([1.0]), torch.tensor([-1.0]))
        with pytest.raises(ValueError, match=r"^logp_ref must hold log-probabilities"):
            f(torch.tensor([-1.0]), torch.tensor([0.5]))
    assert float(kl_k3(torch.tensor([0.0]), torch.tensor([0.0]))) == 0.0  # log 1 is fine
    logp, logp_old, logp_ref, mask = random_tokens(19)
    adv = torch.zeros(2, 4, dtype=F64)
    for f in (grpo_loss, grpo_loss_grad):
        with pytest.raises(ValueError, match=r"^logp must hold log-probabilities"):
            f(logp + 5, logp_old, logp_ref, adv, mask)
        with pytest.raises(ValueError, match=r"^logp_old must hold log-probabilities"):
            f(logp, logp_old + 5, logp_ref, adv, mask)
        with pytest.raises(ValueError, match=r"^logp_ref must hold log-probabilities"):
            f(logp, logp_old, logp_ref + 5, adv, mask)
        # G = 0 responses (or T = 0 tokens): no mean to take
        for shape in ((2, 0, 6), (2, 4, 0)):
            z = torch.zeros(shape, dtype=F64)
            with pytest.raises(ValueError, match=r"^logp must have shape \(\.\.\., G, T\) "
                                                 r"with at least one response and one token"):
                f(z, z, z, torch.zeros(shape[:-1], dtype=F64), z)


def expected_score_weighted(z, r, G, advantages):
    """E over o_1..o_G ~ softmax(z) i.i.d. of (1/G) sum_i A_i grad_z log pi(o_i),
    by summing over all V^G outcomes; A = advantages(rewards of the group)."""
    pi = torch.exp(z) / torch.exp(z).sum()  # softmax written out
    V = len(z)
    total = torch.zeros(V, dtype=F64)
    for ys in itertools.product(range(V), repeat=G):
        prob = math.prod(float(pi[y]) for y in ys)
        a = advantages(r[list(ys)])
        for i, y in enumerate(ys):
            score = -pi.clone()
            score[y] += 1.0  # grad_z log softmax(z)[y] = e_y − π
            total += prob * float(a[i]) / G * score
    return total


# --8<-- [start:test_group_baseline]
@pytest.mark.formula("eq-group-baseline")
@pytest.mark.parametrize("G", [2, 3, 4])
def test_mean_baseline_scales_the_gradient_by_1_minus_1_over_G(G):
    # a categorical policy over V = 3 whole responses, rewards r(o); on-policy
    z = torch.tensor([0.3, -0.2, 0.5], dtype=F64, requires_grad=True)
    r = torch.tensor([1.0, 0.0, 0.4], dtype=F64)
    pi = torch.exp(z) / torch.exp(z).sum()
    (grad_J,) = torch.autograd.grad((pi * r).sum(), z)  # ∇J = ∇ Σ_o π(o) r(o)
    z = z.detach()
    # the group mean contains r_i itself: (1 − 1/G) ∇J, exactly
    mean = expected_score_weighted(z, r, G, lambda x: x - x.mean())
    torch.testing.assert_close(mean, (1 - 1 / G) * grad_J, rtol=0, atol=1e-14)
    # the leave-one-out baseline does not: ∇J itself
    loo = expected_score_weighted(z, r, G, leave_one_out_advantages)
    torch.testing.assert_close(loo, grad_J, rtol=0, atol=1e-14)
    # and the two advantages differ by the factor G/(G − 1), sample by sample
    x = torch.tensor([0.2, 1.0, -0.5, 0.7][:G], dtype=F64)
    torch.testing.assert_close(leave_one_out_advantages(x), G / (G - 1) * (x - x.mean()),
                               rtol=0, atol=1e-15)
    # dividing by std(r) changes more than the scale: the expectation is no longer a
    # multiple of ∇J (its component ratios differ)
    std = expected_score_weighted(z, r, G, group_advantages) / grad_J
    assert float(std.max() - std.min()) > 0.01
# --8<-- [end:test_group_baseline]


@pytest.mark.formula("eq-group-baseline")
def test_leave_one_out_advantages_by_a_loop_over_groups():
    r = torch.tensor([[1.0, 0.0, 0.5], [2.0, -1.0, 4.0]], dtype=F64)  # 2 groups, G = 3
    want = [[x - sum(row[:i] + row[i + 1:]) / 2 for i, x in enumerate(row)]
            for row in r.tolist()]
    torch.testing.assert_close(leave_one_out_advantages(r),
                               torch.tensor(want, dtype=F64), rtol=0, atol=1e-15)


def test_leave_one_out_bad_inputs():
    with pytest.raises(ValueError, match=r"^rewards must have a last \(group\) axis of length G >= 2"):
        leave_one_out_advantages(torch.tensor([1.0]))
    with pytest.raises(ValueError, match=r"^rewards must have a last \(group\) axis"):
        leave_one_out_advantages(torch.tensor(1.0))
    with pytest.raises(ValueError, match="^rewards must be finite"):
        leave_one_out_advantages(torch.tensor([1.0, float("nan")]))


def test_grpo_loss_takes_a_single_group_of_shape_G_T():
    logp, logp_old, logp_ref, mask = random_tokens(20)
    adv = torch.tensor([[0.5, -0.5, 1.0, -1.0], [1.0, 0.0, -1.0, 0.0]], dtype=F64)
    for f in (grpo_loss, grpo_loss_grad):
        whole = f(logp, logp_old, logp_ref, adv, mask)
        first = f(logp[0], logp_old[0], logp_ref[0], adv[0], mask[0])  # (G, T)
        if f is grpo_loss:  # the mean over 2 groups of the per-group losses
            second = f(logp[1], logp_old[1], logp_ref[1], adv[1], mask[1])
            assert abs(float(whole) - (float(first) + float(second)) / 2) < 1e-14
        else:  # weights 1/(N |o_i|): N = 8 responses in the batch, 4 in one group
            torch.testing.assert_close(first / 2, whole[0], rtol=0, atol=1e-15)
