"""Figures of llm-rl/grpo, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from snippets.llm_rl.grpo import (
    group_advantages,
    group_advantages_population,
    kl_k1,
    kl_k2,
    kl_k3,
    kl_moments,
    process_advantages,
)

F64 = torch.float64
# the categorical pair of the page's worked example (V = 4 tokens)
LOGITS_REF = torch.tensor([0.5, 1.5, 0.0, 0.5], dtype=F64)
DIRECTION = torch.tensor([2.0, 1.0, 0.0, -1.0], dtype=F64) - LOGITS_REF


def _kl_figure():
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.2, 3.6))
    x = torch.logspace(-1.3, 1.3, 200, dtype=F64)  # ratio π_ref / π_θ
    # only the ratio matters; log π_θ = −3 keeps both log-probabilities <= 0
    logp = torch.full_like(x, -3.0)
    logp_ref = logp + torch.log(x)
    for k, label in ((kl_k1, "$k_1 = -\\log x$"), (kl_k2, "$k_2 = (\\log x)^2/2$"),
                     (kl_k3, "$k_3 = x - \\log x - 1$")):
        left.plot(x, k(logp, logp_ref), label=label)
    left.axhline(0, color="gray", lw=0.6)
    left.set_xscale("log")
    left.set_ylim(-3, 5)
    left.set_xlabel("$x = \\pi_{ref}(o_t) / \\pi_\\theta(o_t)$")
    left.set_ylabel("estimate at one token")
    left.set_title("per-token KL estimators")
    left.legend(fontsize=8)

    # π_θ = softmax(z_ref + s·d): s = 0 is π_ref, s = 1 the worked example
    s = torch.linspace(0, 1.5, 61, dtype=F64)
    logits = LOGITS_REF + s.unsqueeze(-1) * DIRECTION
    m = kl_moments(torch.log_softmax(logits, -1),
                   torch.log_softmax(LOGITS_REF, -1).expand_as(logits))
    right.plot(s, m["k1"][0], "k", lw=2, label="KL = $E[k_1]$ = $E[k_3]$")
    right.plot(s, m["k2"][0], "--", label="$E[k_2]$ (biased)")
    right.plot(s, m["k1"][1].sqrt(), ":", label="std of $k_1$")
    right.plot(s, m["k3"][1].sqrt(), "-.", label="std of $k_3$")
    right.axvline(1.0, color="gray", lw=0.6)
    right.set_xlabel("s  ($\\pi_\\theta$ = softmax($z_{ref}$ + s d), s = 1: example)")
    right.set_title("exact mean and std under $\\pi_\\theta$ (V = 4)")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _advantage_figure():
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.2, 3.6))
    G = 8
    k = torch.arange(1, G)
    # group with k correct (reward 1) and G − k wrong (reward 0) outputs
    rewards = (torch.arange(G) < k.unsqueeze(-1)).to(F64)
    sample, population = group_advantages(rewards), group_advantages_population(rewards)
    left.plot(k, sample[:, 0], "o-", label="correct, sample std (code)")
    left.plot(k, population[:, 0], "o--", label="correct, population std")
    left.plot(k, sample[:, -1], "s-", label="wrong, sample std (code)")
    left.plot(k, population[:, -1], "s--", label="wrong, population std")
    left.axhline(0, color="gray", lw=0.6)
    left.set_xlabel(f"number of correct outputs in a group of G = {G}")
    left.set_ylabel("advantage $\\hat A_i$")
    left.set_title("outcome supervision, 0/1 rewards")
    left.legend(fontsize=7)

    step_r = torch.tensor([[0.9, 0.2, 0.7], [0.1, 0.6, 0.0]], dtype=F64)
    step_end = torch.tensor([[1, 3, 5], [2, 4, 0]])
    step_m = torch.tensor([[1, 1, 1], [1, 1, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]])
    a = process_advantages(step_r, step_end, step_m, mask)
    t = torch.arange(1, 7)  # the page counts tokens from 1: column t - 1 holds token t
    for i, style in ((0, "o-"), (1, "s-")):
        n = int(mask[i].sum())
        right.step(t[:n], a[i, :n], style, where="mid", label=f"output {i + 1}")
        for j in range(int(step_m[i].sum())):
            end = int(step_end[i, j])  # an array column; the token is end + 1
            right.annotate(f"r={step_r[i, j]:.1f}", (end + 1, float(a[i, end])),
                           textcoords="offset points", xytext=(0, 6 - 14 * i), fontsize=7,
                           ha="center")
    right.axhline(0, color="gray", lw=0.6)
    right.set_xlabel("token t (step ends at the annotated tokens)")
    right.set_ylabel("$\\hat A_{i,t}$")
    right.set_title("process supervision, a group of G = 2")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"grpo-kl-estimators": _kl_figure(), "grpo-advantages": _advantage_figure()}
