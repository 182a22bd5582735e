"""Figures of llm-rl/dapo, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from snippets.llm_rl.dapo import clip_active, overlong_penalty, token_weights
from snippets.llm_rl.rlhf_ppo import ppo_clip_objective

L_MAX, L_CACHE = 20480, 4096  # the paper's setting: 16,384 expected + 4,096 cache
EPS_LOW, EPS_HIGH = 0.2, 0.28


def _overlong():
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    y = np.linspace(12000, 24000, 121)
    r = overlong_penalty(y, L_MAX, L_CACHE)
    ax.plot(y, 1.0 + r, lw=2, label="correct answer: $1 + R_{length}$")
    ax.plot(y, -1.0 + r, lw=2, label="wrong answer: $-1 + R_{length}$")
    ax.plot(y, r, "k--", lw=1, label="$R_{length}(y)$")
    for x in (L_MAX - L_CACHE, L_MAX):
        ax.axvline(x, color="grey", lw=0.6, ls=":")
    ax.text(L_MAX - L_CACHE, 1.15, "$L_{max}-L_{cache}$ = 16384", ha="center", fontsize=8)
    ax.text(L_MAX, 1.15, "$L_{max}$ = 20480", ha="center", fontsize=8)
    ax.set_xlabel("response length $|y|$ (tokens)")
    ax.set_ylabel("reward")
    ax.set_ylim(-2.2, 1.35)
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(True, lw=0.3)
    fig.tight_layout()
    return fig


def _clip_higher():
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    r = torch.linspace(0.5, 1.6, 111, dtype=torch.float64)
    for a, colour in ((1.0, "C0"), (-1.0, "C3")):
        adv = torch.full_like(r, a)
        for eps_high, ls in ((EPS_LOW, ":"), (EPS_HIGH, "-")):
            obj = ppo_clip_objective(r, adv, EPS_LOW, eps_high)
            ax.plot(r, obj, ls, color=colour, lw=1.6,
                    label=f"$\\hat A$ = {a:+.0f}, $\\epsilon_{{high}}$ = {eps_high}")
        active = clip_active(r, adv, EPS_LOW, EPS_HIGH)
        ax.fill_between(r, -1.9, 1.9, where=(active == 0).numpy(), color=colour,
                        alpha=0.08, lw=0)
    ax.set_xlabel("ratio $r = \\pi_\\theta / \\pi_{old}$")
    ax.set_ylabel("$\\min(r\\hat A,\\ \\mathrm{clip}(r)\\hat A)$")
    ax.set_title("shaded: zero gradient ($\\epsilon_{low}$ = 0.2, $\\epsilon_{high}$ = 0.28)",
                 fontsize=9)
    ax.set_ylim(-1.9, 1.9)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, lw=0.3)

    fig.tight_layout()
    return fig


def _weights():
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    mask = torch.tensor([[1.0] * 2 + [0.0] * 6, [1.0] * 8], dtype=torch.float64)
    modes = (("sample", "sample-level (GRPO)"), ("token", "token-level (DAPO)"),
             ("fixed", "fixed length $L$ = 8 (Dr. GRPO)"))
    width = 0.27
    for k, (mode, label) in enumerate(modes):
        w = token_weights(mask, mode, 8)
        per_token = [float(w[0, 0]), float(w[1, 0])]
        totals = [float(w[0].sum()), float(w[1].sum())]
        x = np.arange(2) + (k - 1) * width
        bars = ax.bar(x, per_token, width, label=label, color=f"C{k}")
        for bar, total in zip(bars, totals):
            ax.text(bar.get_x() + width / 2, bar.get_height() + 0.005,
                    f"sum {total:.3g}", ha="center", fontsize=7)
    ax.set_xticks([0, 1], ["$o_1$: 2 tokens", "$o_2$: 8 tokens"])
    ax.set_ylabel("weight of each token")
    ax.set_ylim(0, 0.3)
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", lw=0.3)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"dapo-overlong": _overlong(), "dapo-clip-higher": _clip_higher(),
            "dapo-token-weights": _weights()}
