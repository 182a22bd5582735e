"""Checks of llm-rl/kimi-k1-5: every key equation against something independent.

Independent references used here: exhaustive enumeration of a tiny autoregressive
policy, explicit Python loops with math.log / math.exp, random alternative distributions
on a small categorical output space, the identity J(pi) = tau log Z - tau KL(pi || pi*),
numerical minimisation of the exact surrogate, the hand-written softmax gradient
d log softmax(theta)_a / d theta = e_a - softmax(theta) against autograd, a second-order
expansion in 1/tau, hand-computed numbers and Monte-Carlo frequencies with standard
errors.
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.llm_rl.kimi_k1_5 import (
    curriculum_mask,
    gibbs_policy,
    length_reward,
    log_z_estimate,
    policy_loss,
    prioritized_probs,
    regularized_objective,
    sample_problems,
    sequence_logprob,
    surrogate_loss,
    surrogate_residual,
    tau_log_z,
)

F64 = torch.float64
seeds = st.integers(min_value=0, max_value=2**31 - 1)


def _dirichlet(g: torch.Generator, *shape) -> torch.Tensor:
    # Exp(1) draws, normalised: Dirichlet(1, …, 1)
    x = -torch.log(torch.rand(*shape, generator=g, dtype=F64))
    return x / x.sum(-1, keepdim=True)


def _explicit_objective(pi, pi_ref, r, tau) -> float:
    total = 0.0
    for p, p_ref, ry in zip(pi.tolist(), pi_ref.tolist(), r.tolist()):
        if p > 0:
            total += p * ry - tau * p * math.log(p / p_ref)
    return total


# --8<-- [start:test_sequence_logprob]
@pytest.mark.formula("eq-cot-objective")
def test_sequence_probabilities_of_a_tiny_autoregressive_policy_sum_to_one():
    # thought z = (z1, z2), answer y: 3 tokens from a vocabulary of 3, conditionals
    # given by a random table of logits for every prefix; 27 sequences in all
    g = torch.Generator().manual_seed(0)
    V, T, PAD = 3, 3, 2
    table = {p: torch.randn(V, generator=g, dtype=F64)
             for n in range(T) for p in itertools.product(range(V), repeat=n)}
    seqs = list(itertools.product(range(V), repeat=T))
    # per-token log π(token_t | prefix), then 2 padding columns holding garbage
    logp = -torch.randn(len(seqs), T + PAD, generator=g, dtype=F64).abs()
    mask = torch.zeros(len(seqs), T + PAD, dtype=F64)
    mask[:, :T] = 1
    prob = []
    for i, s in enumerate(seqs):
        pr = 1.0
        for t in range(T):
            logits = table[s[:t]].tolist()
            p_t = math.exp(logits[s[t]]) / sum(math.exp(v) for v in logits)
            logp[i, t] = math.log(p_t)
            pr *= p_t  # π(y, z | q) = Π_t π(o_t | q, o_<t)
        prob.append(pr)
    seq = sequence_logprob(logp, mask)
    torch.testing.assert_close(seq.exp(), torch.tensor(prob, dtype=F64),
                               rtol=1e-12, atol=0)
    assert abs(seq.exp().sum().item() - 1.0) < 1e-12
    # J = E_{(y,z)~π}[r]: reward 1 when the answer token is 0, by enumeration
    r = torch.tensor([float(s[-1] == 0) for s in seqs], dtype=F64)
    p_answer0 = sum(pr for pr, s in zip(prob, seqs) if s[-1] == 0)
    assert abs((seq.exp() * r).sum().item() - p_answer0) < 1e-12
# --8<-- [end:test_sequence_logprob]


@pytest.mark.formula("eq-cot-objective")
def test_padding_does_not_enter_the_sequence_logprob():
    logp = torch.tensor([[-0.5, -1.0, -7.0], [-0.25, -3.0, -2.0]], dtype=F64)
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    torch.testing.assert_close(sequence_logprob(logp, mask),
                               torch.tensor([-1.5, -0.25], dtype=F64))


# --8<-- [start:test_kl_objective]
@pytest.mark.formula("eq-kl-objective")
def test_regularized_objective_equals_the_explicit_sum():
    g = torch.Generator().manual_seed(1)
    pi, pi_ref = _dirichlet(g, 3, 6), _dirichlet(g, 3, 6)
    pi[0, 2] = 0.0  # a zero probability: 0 log 0 = 0
    pi[0] /= pi[0].sum()
    r = torch.randn(3, 6, generator=g, dtype=F64)
    got = regularized_objective(pi, pi_ref, r, 0.7)
    want = [_explicit_objective(pi[b], pi_ref[b], r[b], 0.7) for b in range(3)]
    torch.testing.assert_close(got, torch.tensor(want, dtype=F64),
                               rtol=1e-12, atol=1e-12)
# --8<-- [end:test_kl_objective]


# --8<-- [start:test_gibbs_is_the_maximiser]
@pytest.mark.formula("eq-gibbs-optimum")
@settings(max_examples=20, deadline=None)
@given(seed=seeds, tau=st.floats(min_value=0.05, max_value=5.0))
def test_gibbs_policy_beats_random_alternatives_and_attains_tau_log_z(seed, tau):
    g = torch.Generator().manual_seed(seed)
    N = 5
    pi_ref, r = _dirichlet(g, N), torch.rand(N, generator=g, dtype=F64)
    pi_star = gibbs_policy(pi_ref, r, tau)
    best = regularized_objective(pi_star, pi_ref, r, tau).item()
    # exact sums over the 5 outputs for 200 random alternatives and near-misses of π*
    others = torch.cat([_dirichlet(g, 200, N),
                        0.9 * pi_star + 0.1 * _dirichlet(g, 50, N)])
    values = regularized_objective(others, pi_ref.expand_as(others),
                                   r.expand_as(others), tau)
    assert (values <= best + 1e-12).all()
    # Gibbs variational principle: the maximum value is τ log Z (explicit sum for Z)
    Z = sum(p_ref * math.exp(ry / tau) for p_ref, ry in zip(pi_ref.tolist(), r.tolist()))
    assert abs(best - tau * math.log(Z)) < 1e-10
    assert abs(tau_log_z(pi_ref, r, tau).item() - tau * math.log(Z)) < 1e-10
    # and every π falls short by exactly τ KL(π ‖ π*)
    kl = (others * (others.log() - pi_star.log())).sum(-1)
    torch.testing.assert_close(values, tau * math.log(Z) - tau * kl, rtol=0, atol=1e-10)
# --8<-- [end:test_gibbs_is_the_maximiser]


@pytest.mark.formula("eq-gibbs-optimum")
def test_gibbs_policy_by_hand_and_its_limits():
    pi_ref = torch.tensor([0.5, 0.25, 0.25], dtype=F64)
    r = torch.tensor([0.0, 1.0, 2.0], dtype=F64)
    w = [0.5, 0.25 * math.e, 0.25 * math.e**2]  # τ = 1
    torch.testing.assert_close(gibbs_policy(pi_ref, r, 1.0),
                               torch.tensor(w, dtype=F64) / sum(w), rtol=1e-12, atol=0)
    # τ → 0: all mass on the best output; τ → ∞: back to π_ref
    assert gibbs_policy(pi_ref, r, 1e-3)[2] > 1 - 1e-12
    torch.testing.assert_close(gibbs_policy(pi_ref, r, 1e6), pi_ref, rtol=1e-5, atol=0)
    # large rewards do not overflow (the max shift)
    torch.testing.assert_close(gibbs_policy(pi_ref, r + 1000.0, 1.0),
                               torch.tensor(w, dtype=F64) / sum(w), rtol=1e-12, atol=0)


def _as_tokens(seq_logp: torch.Tensor, lengths: list[int], T: int):
    """Spread each sequence log-prob evenly over its tokens; padding gets garbage."""
    n = seq_logp.shape[-1]
    mask = torch.zeros(n, T, dtype=F64)
    logp = torch.full((n, T), -9.0, dtype=F64)
    for j, L in enumerate(lengths):
        mask[j, :L] = 1
        logp[j, :L] = seq_logp[j] / L
    return logp, mask


# --8<-- [start:test_surrogate_residual_zero]
@pytest.mark.formula("eq-surrogate-loss")
def test_surrogate_residual_vanishes_at_the_gibbs_policy_for_every_output():
    g = torch.Generator().manual_seed(3)
    N, tau, lengths = 6, 0.4, [3, 1, 4, 2, 4, 3]
    pi_ref, r = _dirichlet(g, N), (torch.rand(N, generator=g) < 0.5).to(F64)
    # every output y of the small space as one "response", written as tokens with a mask
    logp_ref, mask = _as_tokens(pi_ref.log(), lengths, 5)
    logp_star, _ = _as_tokens(gibbs_policy(pi_ref, r, tau).log(), lengths, 5)
    Z = sum(p_ref * math.exp(ry / tau) for p_ref, ry in zip(pi_ref.tolist(), r.tolist()))
    exact = torch.tensor(tau * math.log(Z), dtype=F64)
    res = surrogate_residual(logp_star, logp_ref, mask, r, tau, exact)
    assert res.abs().max() < 1e-12
    assert surrogate_loss(logp_star, logp_ref, mask, r, tau, exact) < 1e-24
    # any other policy leaves a residual: here π_θ = π_ref gives r − τ log Z
    res_ref = surrogate_residual(logp_ref, logp_ref, mask, r, tau, exact)
    torch.testing.assert_close(res_ref, r - exact, rtol=0, atol=1e-12)
# --8<-- [end:test_surrogate_residual_zero]


@pytest.mark.formula("eq-surrogate-loss")
def test_surrogate_loss_is_the_mean_squared_residual_of_an_explicit_loop():
    g = torch.Generator().manual_seed(4)
    B, k, T, tau = 2, 3, 4, 0.8
    logp = -torch.rand(B, k, T, generator=g, dtype=F64)
    logp_ref = -torch.rand(B, k, T, generator=g, dtype=F64)
    mask = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]]).expand(B, k, T)
    r = torch.rand(B, k, generator=g, dtype=F64)
    tlz = torch.tensor([0.3, -0.2], dtype=F64)
    total = 0.0
    for b in range(B):
        for j in range(k):
            s = sum(logp[b, j, t].item() for t in range(T) if mask[b, j, t])
            s_ref = sum(logp_ref[b, j, t].item() for t in range(T) if mask[b, j, t])
            total += (r[b, j].item() - tlz[b].item() - tau * (s - s_ref)) ** 2
    got = surrogate_loss(logp, logp_ref, mask, r, tau, tlz).item()
    assert abs(got - total / (B * k)) < 1e-12
    # default τ log Z: the mean reward of each problem's k samples
    total = 0.0
    for b in range(B):
        r_bar = sum(r[b].tolist()) / k
        for j in range(k):
            s = sum(logp[b, j, t].item() for t in range(T) if mask[b, j, t])
            s_ref = sum(logp_ref[b, j, t].item() for t in range(T) if mask[b, j, t])
            total += (r[b, j].item() - r_bar - tau * (s - s_ref)) ** 2
    got = surrogate_loss(logp, logp_ref, mask, r, tau).item()
    assert abs(got - total / (B * k)) < 1e-12


@pytest.mark.formula("eq-surrogate-loss")
def test_minimising_the_exact_surrogate_recovers_the_gibbs_policy():
    g = torch.Generator().manual_seed(5)
    N, tau = 4, 0.5
    pi_ref, r = _dirichlet(g, N), torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=F64)
    exact = tau_log_z(pi_ref, r, tau)
    logits = torch.zeros(N, dtype=F64, requires_grad=True)
    opt = torch.optim.LBFGS([logits], max_iter=200, tolerance_grad=1e-12,
                            tolerance_change=1e-14, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        log_pi = logits - torch.logsumexp(logits, 0)
        # E_{y~π_ref}[(r − τ log Z − τ log(π_θ/π_ref))²], an exact sum over y
        res = r - exact - tau * (log_pi - pi_ref.log())
        loss = (pi_ref * res**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    pi = torch.softmax(logits.detach(), 0)
    torch.testing.assert_close(pi, gibbs_policy(pi_ref, r, tau), rtol=0, atol=1e-7)


# --8<-- [start:test_log_z_mean]
@pytest.mark.formula("eq-log-z-mean")
def test_mean_reward_is_the_large_tau_limit_of_tau_log_z():
    pi_ref = torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=F64)
    r = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=F64)
    mean = (pi_ref * r).sum().item()  # E_{π_ref}[r] = 0.4
    var = (pi_ref * (r - mean) ** 2).sum().item()  # 0.24
    gaps = []
    for tau in (0.1, 1.0, 10.0, 100.0, 1000.0):
        exact = tau * math.log(sum(p_ref * math.exp(x / tau) for p_ref, x in
                                   zip(pi_ref.tolist(), r.tolist())))
        got = tau_log_z(pi_ref, r, tau).item()
        assert abs(got - exact) < 1e-12
        # Jensen: E[r] ≤ τ log E[exp(r/τ)] ≤ max r
        assert mean <= got <= 1.0
        gaps.append(got - mean)
    # the gap shrinks monotonically and is Var(r)/(2τ) + O(1/τ²) (cumulant expansion)
    assert all(a > b for a, b in zip(gaps, gaps[1:]))
    assert abs(gaps[-1] - var / 2000) < 1e-6
    assert gaps[0] > 0.5  # at τ = 0.1 the mean reward is far off (0.4 vs 0.908)
# --8<-- [end:test_log_z_mean]


@pytest.mark.formula("eq-log-z-mean")
def test_sample_estimates_of_tau_log_z():
    r = torch.tensor([[0.0, 1.0, 1.0, 0.0], [0.5, 0.5, 0.5, 0.5]], dtype=F64)
    torch.testing.assert_close(log_z_estimate(r, 2.0),
                               torch.tensor([0.5, 0.5], dtype=F64))
    lme = 2.0 * math.log((2 + 2 * math.exp(0.5)) / 4)
    torch.testing.assert_close(log_z_estimate(r, 2.0, "logmeanexp"),
                               torch.tensor([lme, 0.5], dtype=F64), rtol=1e-12, atol=0)
    # the two agree as τ → ∞ (gap Var/(2τ) = 0.25/(2·1e4) for the first problem)
    gap = log_z_estimate(r, 1e4, "logmeanexp") - log_z_estimate(r, 1e4)
    # (τ = 1e4 multiplies the float64 round-off of logsumexp, ~1e-16, by 1e4: tol 1e-10)
    assert abs(gap[0].item() - 0.25 / 2e4) < 1e-8 and abs(gap[1].item()) < 1e-10


def _softmax_tokens(theta, tokens):
    """Per-token log-probs of `tokens` under logits theta, by hand (no log_softmax)."""
    log_norm = theta.exp().sum(-1).log()
    return theta.gather(-1, tokens.unsqueeze(-1)).squeeze(-1) - log_norm


# --8<-- [start:test_mean_baseline]
@pytest.mark.formula("eq-kimi-gradient")
@pytest.mark.parametrize("k", [2, 3, 4])
def test_mean_reward_baseline_scales_the_expected_update_by_1_minus_1_over_k(k):
    # one-token responses from a categorical π_θ over V = 3 answers, at θ = θ_i
    z = torch.tensor([0.4, -0.3, 0.1], dtype=F64, requires_grad=True)
    r = torch.tensor([1.0, 0.0, 1.0], dtype=F64)
    pi = torch.exp(z) / torch.exp(z).sum()  # softmax written out
    (grad_J,) = torch.autograd.grad((pi * r).sum(), z)  # ∇J = ∇ Σ_y π(y) r(y)
    expected = torch.zeros(3, dtype=F64)
    pi = pi.detach()
    for ys in itertools.product(range(3), repeat=k):  # all 3^k sample sets
        prob = math.prod(float(pi[y]) for y in ys)
        logp = (z - torch.log(torch.exp(z).sum()))[list(ys)].unsqueeze(-1)  # (k, 1)
        loss = policy_loss(logp, logp.detach(), torch.ones(k, 1), r[list(ys)], 5.0)
        (g,) = torch.autograd.grad(loss, z)
        expected += prob * -g  # the update direction is minus the loss gradient
    # r̄ contains r_j itself: (1 − 1/k) ∇J, not ∇J
    torch.testing.assert_close(expected, (1 - 1 / k) * grad_J, rtol=0, atol=1e-14)
# --8<-- [end:test_mean_baseline]


# --8<-- [start:test_kimi_gradient]
@pytest.mark.formula("eq-kimi-gradient")
def test_surrogate_gradient_is_the_papers_expression():
    g = torch.Generator().manual_seed(6)
    B, k, T, V, tau = 2, 3, 4, 5, 0.7
    theta = torch.randn(B, k, T, V, generator=g, dtype=F64, requires_grad=True)
    theta_ref = theta.detach() + 0.3 * torch.randn(B, k, T, V, generator=g, dtype=F64)
    tokens = torch.randint(V, (B, k, T), generator=g)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 0, 0]]).expand(B, k, T)
    r = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=F64)
    logp = _softmax_tokens(theta, tokens)
    logp_ref = _softmax_tokens(theta_ref, tokens)
    (grad_L,) = torch.autograd.grad(surrogate_loss(logp, logp_ref, mask, r, tau), theta,
                                    retain_graph=True)
    (grad_P,) = torch.autograd.grad(policy_loss(logp, logp_ref, mask, r, tau), theta)
    # the paper's expression by hand, with
    # ∇log π_θ(y_j, z_j | q) = Σ_t m_t (e_{a_t} − softmax(θ_t))
    with torch.no_grad():
        p = theta.exp() / theta.exp().sum(-1, keepdim=True)
        grad_logpi = (torch.nn.functional.one_hot(tokens, V) - p) * mask.unsqueeze(-1)
        log_ratio = (logp * mask).sum(-1) - (logp_ref * mask).sum(-1)
        r_bar = r.mean(-1, keepdim=True)
        # (1/k) Σ_j [∇log π (r_j − r̄) − (τ/2) ∇(log π_θ/π_θi)²], with ∇ℓ² = 2ℓ ∇log π
        coeff = ((r - r_bar) - tau / 2 * 2 * log_ratio) / k
        paper = coeff[..., None, None] * grad_logpi  # one problem per b: no cross terms
    # surrogate loss averages over the B problems: ∇L = −2τ · paper / B
    torch.testing.assert_close(grad_L, -2 * tau * paper / B, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(grad_P, -paper / B, rtol=1e-10, atol=1e-12)
    assert log_ratio.abs().mean() > 0.2  # the regulariser term is really exercised
# --8<-- [end:test_kimi_gradient]


@pytest.mark.formula("eq-kimi-gradient")
def test_at_the_reference_policy_the_update_is_reinforce_with_mean_baseline():
    g = torch.Generator().manual_seed(7)
    k, T = 4, 3
    logp = -torch.rand(k, T, generator=g, dtype=F64).requires_grad_()
    mask = torch.tensor([[1, 1, 1], [1, 1, 0], [1, 0, 0], [1, 1, 1]])
    r = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=F64)
    (grad,) = torch.autograd.grad(policy_loss(logp, logp.detach(), mask, r, 5.0), logp)
    # ∂/∂logp_{j,t} of −(1/k) Σ_j (r_j − r̄) Σ_t m_t logp_{j,t}
    want = -((r - 0.5) / k)[:, None] * mask
    torch.testing.assert_close(grad, want.to(F64), rtol=0, atol=1e-14)
    # policy_loss differs from surrogate_loss / (2τ) by a constant in θ: same gradient
    ref = logp.detach()
    logp2 = (ref - 0.2 * torch.rand(k, T, generator=g, dtype=F64)).requires_grad_()
    (a,) = torch.autograd.grad(policy_loss(logp2, ref, mask, r, 5.0), logp2)
    (b,) = torch.autograd.grad(surrogate_loss(logp2, ref, mask, r, 5.0), logp2)
    torch.testing.assert_close(a, b / (2 * 5.0), rtol=1e-12, atol=1e-14)


def _length_reward_loop(lengths, correct):
    out = []
    for lens, oks in zip(lengths, correct):
        lo, hi = min(lens), max(lens)
        row = []
        for n, ok in zip(lens, oks):
            if hi == lo:
                row.append(0.0)
                continue
            lam = 0.5 - (n - lo) / (hi - lo)
            row.append(lam if ok else min(0.0, lam))
        out.append(row)
    return out


# --8<-- [start:test_length_reward]
@pytest.mark.formula("eq-length-reward")
def test_length_reward_at_the_extremes_and_by_hand():
    lengths = torch.tensor([[120, 300, 480, 900], [900, 120, 300, 480], [5, 5, 5, 5]])
    correct = torch.tensor([[True, True, False, False], [True, False, False, True],
                            [True, False, True, False]])
    got = length_reward(lengths, correct)
    want = [[0.5, 0.5 - 180 / 780, 0.0, -0.5],   # shortest correct 0.5, longest −0.5
            [-0.5, 0.0, 0.0, 0.5 - 360 / 780],  # shortest but wrong: min(0, 0.5) = 0
            [0.0, 0.0, 0.0, 0.0]]                # all lengths equal: no length reward
    torch.testing.assert_close(got, torch.tensor(want), rtol=1e-6, atol=1e-7)
    # adjacent lengths (span 1): the longest gets −0.5, the shortest 0.5
    torch.testing.assert_close(length_reward([3, 4], [True, True]),
                               torch.tensor([0.5, -0.5]))
# --8<-- [end:test_length_reward]


@pytest.mark.formula("eq-length-reward")
@settings(max_examples=30, deadline=None)
@given(seed=seeds, k=st.integers(min_value=1, max_value=6))
def test_length_reward_equals_an_explicit_loop(seed, k):
    g = torch.Generator().manual_seed(seed)
    # lengths from a small range, so that ties and all-equal rows happen
    lengths = torch.randint(1, 6, (3, k), generator=g).to(F64)
    correct = torch.rand(3, k, generator=g) < 0.5
    want = torch.tensor(_length_reward_loop(lengths.tolist(), correct.tolist()),
                        dtype=F64)
    got = length_reward(lengths, correct)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    assert (got <= 0.5).all() and (got >= -0.5).all()


# --8<-- [start:test_prioritized]
@pytest.mark.formula("eq-prioritized-sampling")
def test_prioritized_sampling_frequencies_and_hand_values():
    s = torch.tensor([0.9, 0.5, 0.2, 1.0], dtype=F64)
    p = prioritized_probs(s)
    torch.testing.assert_close(p, torch.tensor([0.1, 0.5, 0.8, 0.0], dtype=F64) / 1.4)
    # Monte Carlo: n = 20,000 draws; each frequency within 4 standard errors of p
    n = 20_000
    idx = sample_problems(p, n, torch.Generator().manual_seed(8))
    freq = torch.bincount(idx, minlength=4).to(F64) / n
    se = (p * (1 - p) / n).sqrt()
    assert ((freq - p).abs() <= 4 * se + 1e-12).all()
    # a curriculum mask restricts sampling to the admitted (easy) problems
    admitted = curriculum_mask(torch.tensor([0.1, 0.9, 0.3, 0.45]), 0.5)
    # threshold 0.1 + 0.5 · (0.9 − 0.1) = 0.5
    assert admitted.tolist() == [True, False, True, True]
    p2 = prioritized_probs(s, admitted)
    torch.testing.assert_close(p2, torch.tensor([0.1, 0.0, 0.8, 0.0], dtype=F64) / 0.9)
# --8<-- [end:test_prioritized]


@pytest.mark.formula("eq-prioritized-sampling")
def test_curriculum_ends_and_all_solved_fallback():
    d = torch.tensor([0.4, 0.2, 0.8, 0.2])
    assert curriculum_mask(d, 0.0).tolist() == [False, True, False, True]
    assert curriculum_mask(d, 1.0).all()
    # thresholds 0.38 and 0.404
    assert curriculum_mask(d, 0.3).tolist() == [False, True, False, True]
    assert curriculum_mask(d, 0.34).tolist() == [True, True, False, True]
    # all admitted problems always solved: uniform over the admitted ones
    p = prioritized_probs([1.0, 1.0, 0.5], [True, True, False])
    torch.testing.assert_close(p, torch.tensor([0.5, 0.5, 0.0]))


def test_bad_inputs_raise():
    ok2 = torch.tensor([0.5, 0.5])
    with pytest.raises(ValueError, match="^logp must have a last"):
        sequence_logprob(torch.tensor(-1.0), torch.tensor(1.0))
    with pytest.raises(ValueError, match="^mask must hold only 0 and 1"):
        sequence_logprob([[-1.0, -2.0]], [[1, 2]])
    with pytest.raises(ValueError, match="^tau"):
        gibbs_policy(ok2, [0.0, 1.0], 0.0)
    with pytest.raises(ValueError, match="^tau"):
        gibbs_policy(ok2, [0.0, 1.0], float("inf"))
    with pytest.raises(ValueError, match="^pi_ref must be non-negative"):
        gibbs_policy([1.5, -0.5], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="^pi_ref must be non-negative"):
        gibbs_policy(torch.tensor(1.0), torch.tensor(0.0), 1.0)
    with pytest.raises(ValueError, match="^pi_ref must sum to 1"):
        tau_log_z([0.5, 0.6], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="^rewards must have shape"):
        tau_log_z(ok2, [0.0, 1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="^tau"):
        tau_log_z(ok2, [0.0, 1.0], -1.0)
    with pytest.raises(ValueError, match="^pi must sum"):
        regularized_objective([0.5, 0.4], ok2, [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="^pi_ref must have shape"):
        regularized_objective(ok2, [1.0], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="^rewards must have shape"):
        regularized_objective(ok2, ok2, [0.0], 1.0)
    with pytest.raises(ValueError, match="^tau"):
        regularized_objective(ok2, ok2, [0.0, 1.0], 0.0)
    with pytest.raises(ValueError, match="^rewards must have a last"):
        log_z_estimate(torch.tensor(1.0), 1.0)
    with pytest.raises(ValueError, match="^tau"):
        log_z_estimate([1.0], 0.0)
    with pytest.raises(ValueError, match="^method"):
        log_z_estimate([1.0], 1.0, "max")
    lp = -torch.ones(2, 3)
    m = torch.ones(2, 3)
    with pytest.raises(ValueError, match="^logp_ref must have shape"):
        surrogate_loss(lp, -torch.ones(2, 2), m, [1.0, 0.0], 1.0)
    with pytest.raises(ValueError, match="^rewards must have shape"):
        surrogate_loss(lp, lp, m, [1.0, 0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match=r"^logp must have shape \(\.\.\., k, T\): k responses"):
        surrogate_residual(-torch.ones(3), -torch.ones(3), torch.ones(3), 1.0, 1.0)
    with pytest.raises(ValueError, match="^tau must"):
        surrogate_residual(lp, lp, m, [1.0, 0.0], 0.0)
    with pytest.raises(ValueError, match="^tau_log_z must have shape"):
        surrogate_residual(lp, lp, m, [1.0, 0.0], 1.0, [0.1, 0.2])
    with pytest.raises(ValueError, match="^tau must"):
        policy_loss(lp, lp, m, [1.0, 0.0], -2.0)
    with pytest.raises(ValueError, match="^rewards must have shape"):
        policy_loss(lp, lp, m, [1.0], 1.0)
    with pytest.raises(ValueError, match="^lengths must be non-negative"):
        length_reward([3, -1], [True, False])
    with pytest.raises(ValueError, match="^lengths must be non-negative"):
        length_reward(torch.tensor(3), torch.tensor(True))
    with pytest.raises(ValueError, match="^correct must have shape"):
        length_reward([3, 4], [True])
    with pytest.raises(ValueError, match="^correct must be boolean"):
        length_reward([3, 4], [1, 0])
    with pytest.raises(ValueError, match="^difficulty"):
        curriculum_mask([[0.1]], 0.5)
    with pytest.raises(ValueError, match="^difficulty"):
        curriculum_mask([], 0.5)
    with pytest.raises(ValueError, match="^progress"):
        curriculum_mask([0.1, 0.2], 1.5)
    with pytest.raises(ValueError, match="^progress"):
        curriculum_mask([0.1, 0.2], -0.1)
    with pytest.raises(ValueError, match="^success_rates"):
        prioritized_probs([[0.5]])
    with pytest.raises(ValueError, match="^success_rates"):
        prioritized_probs([])
    with pytest.raises(ValueError, match="^success_rates"):
        prioritized_probs([1.5, 0.2])
    with pytest.raises(ValueError, match="^success_rates"):
        prioritized_probs([-0.5, 0.2])
    with pytest.raises(ValueError, match="^admitted"):
        prioritized_probs([0.5, 0.2], [True])
    with pytest.raises(ValueError, match="^admitted"):
        prioritized_probs([0.5, 0.2], [1, 0])
    with pytest.raises(ValueError, match="^admitted"):
        prioritized_probs([0.5, 0.2], [False, False])
    gen = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="^probs must have shape"):
        sample_problems(torch.full((2, 2), 0.5), 3, gen)
    with pytest.raises(ValueError, match="^n must be"):
        sample_problems(ok2, 0, gen)
    with pytest.raises(ValueError, match="^n must be"):
        sample_problems(ok2, 2.5, gen)
    # non-finite inputs: the message names the argument
    nan = float("nan")
    with pytest.raises(ValueError, match="^logp must be finite"):
        sequence_logprob([[nan, -1.0]], [[1, 1]])
    with pytest.raises(ValueError, match="^logp must be finite"):
        surrogate_loss([[nan, -1.0]], [[-1.0, -1.0]], [[1, 1]], [1.0], 1.0)
    with pytest.raises(ValueError, match="^pi_ref must be finite"):
        regularized_objective(ok2, [nan, 0.5], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="^pi_ref must be non-negative"):
        regularized_objective(ok2, [1.5, -0.5], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="^rewards must be finite"):
        gibbs_policy(ok2, [nan, 1.0], 1.0)
    with pytest.raises(ValueError, match="^rewards must be finite"):
        log_z_estimate([nan, 1.0], 1.0)
    with pytest.raises(ValueError, match="^lengths must be finite"):
        length_reward([nan, 1.0], [True, False])
    with pytest.raises(ValueError, match="^difficulty must be finite"):
        curriculum_mask([nan, 1.0], 0.5)
    with pytest.raises(ValueError, match="^success_rates must be finite"):
        prioritized_probs([nan, 0.5])
    with pytest.raises(ValueError, match="^probs must be finite"):
        sample_problems([nan, 0.5], 2, gen)
    with pytest.raises(ValueError, match="^tau_log_z must be finite"):
        surrogate_residual(lp, lp, m, [1.0, 0.0], 1.0, nan)


def test_boundary_inputs_are_accepted():
    # zero length, one draw, a success rate of 0 are all valid
    torch.testing.assert_close(length_reward([0, 10], [True, True]),
                               torch.tensor([0.5, -0.5]))
    gen = torch.Generator().manual_seed(0)
    assert sample_problems(torch.tensor([0.0, 1.0]), 1, gen).tolist() == [1]
    torch.testing.assert_close(prioritized_probs([0.0, 0.5]), torch.tensor([2 / 3, 1 / 3]))
    # sample_problems uses the generator it is given: same seed, same draws
    p = torch.full((5,), 0.2)
    a = sample_problems(p, 50, torch.Generator().manual_seed(3))
    b = sample_problems(p, 50, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


@pytest.mark.formula("eq-gibbs-optimum")
def test_gibbs_policy_is_computed_row_by_row():
    # a batch of 3 problems whose rewards differ by orders of magnitude: each row has its
    # own normaliser and its own overflow shift
    g = torch.Generator().manual_seed(9)
    pi_ref = _dirichlet(g, 3, 5)
    r = torch.rand(3, 5, generator=g, dtype=F64) + torch.tensor([[0.0], [2000.0], [-50.0]],
                                                                 dtype=F64)
    got = gibbs_policy(pi_ref, r, 1.0)
    for b in range(3):
        torch.testing.assert_close(got[b], gibbs_policy(pi_ref[b], r[b] - r[b].min(), 1.0))
        w = [p_ref * math.exp(x - r[b].min().item()) for p_ref, x in
             zip(pi_ref[b].tolist(), r[b].tolist())]
        torch.testing.assert_close(got[b], torch.tensor(w, dtype=F64) / sum(w))


@pytest.mark.formula("eq-log-z-mean")
def test_sample_estimates_are_per_problem_on_the_last_axis():
    g = torch.Generator().manual_seed(10)
    r = torch.rand(2, 3, 4, generator=g, dtype=F64)
    for method in ("mean", "logmeanexp"):
        got = log_z_estimate(r, 0.5, method)
        assert got.shape == (2, 3)
        for i in range(2):
            for j in range(3):
                row = r[i, j].tolist()
                want = (sum(row) / 4 if method == "mean"
                        else 0.5 * math.log(sum(math.exp(x / 0.5) for x in row) / 4))
                assert abs(got[i, j].item() - want) < 1e-12


@pytest.mark.formula("eq-length-reward")
def test_length_reward_with_fractional_lengths():
    # lengths need not be integers (e.g. normalised lengths): span 0.5
    torch.testing.assert_close(length_reward([0.25, 0.75, 0.5], [True, False, True]),
                               torch.tensor([0.5, -0.5, 0.0]))


def test_empty_axes_and_log_probabilities_above_zero_are_rejected():
    # k = 0 responses: no min_len / max_len (was an IndexError from inside torch)
    with pytest.raises(ValueError, match="^lengths must be non-negative with a last axis "
                                         "of k >= 1 samples"):
        length_reward(torch.zeros(2, 0), torch.zeros(2, 0, dtype=torch.bool))
    for method in ("mean", "logmeanexp"):  # no mean of zero samples, no log 0
        with pytest.raises(ValueError, match="^rewards must have a last axis of k >= 1"):
            log_z_estimate(torch.zeros(3, 0), 1.0, method)
    empty = torch.zeros(0, 3)
    for f in (surrogate_residual, surrogate_loss, policy_loss):
        with pytest.raises(ValueError, match=r"^logp must have shape \(\.\.\., k, T\): "
                                             r"k responses per problem, k >= 1"):
            f(empty, empty, empty, torch.zeros(0), 1.0)
    # a log-probability above 0 is a probability above 1
    with pytest.raises(ValueError, match=r"^logp must hold log-probabilities \(<= 0\)"):
        sequence_logprob([[-1.0, 0.5]], [[1, 1]])
    lp, m = -torch.ones(2, 3), torch.ones(2, 3)
    for f in (surrogate_residual, surrogate_loss, policy_loss):
        with pytest.raises(ValueError, match=r"^logp must hold log-probabilities"):
            f(-lp, lp, m, [1.0, 0.0], 1.0)
        with pytest.raises(ValueError, match=r"^logp_ref must hold log-probabilities"):
            f(lp, -lp, m, [1.0, 0.0], 1.0)
    # log π = 0 (a certain token) is allowed
    assert float(sequence_logprob([[0.0, -1.0]], [[1, 1]])[0]) == -1.0
