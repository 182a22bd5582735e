"""Figures of llm-rl/kimi-k1-5, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from snippets.llm_rl.kimi_k1_5 import gibbs_policy, length_reward, tau_log_z

# the small output space of the page's example: 4 outputs (y, z), two of them correct
PI_REF = torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=torch.float64)
REWARDS = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64)
TAUS = (0.1, 0.5, 1.0, 5.0)
# the worked batch of the page: one problem, k = 4 responses
LENGTHS = torch.tensor([120, 300, 480, 900])
CORRECT = torch.tensor([True, True, False, False])


def _gibbs() -> plt.Figure:
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(8.4, 3.4),
                                  gridspec_kw={"width_ratios": [1.3, 1]})
    n = len(PI_REF)
    width = 0.8 / (len(TAUS) + 1)
    x = np.arange(n)
    ax.bar(x - 0.4 + width / 2, PI_REF.numpy(), width, color="grey",
           label="$\\pi_{\\theta_i}$")
    colours = plt.cm.viridis(np.linspace(0.15, 0.85, len(TAUS)))
    for m, (tau, c) in enumerate(zip(TAUS, colours), start=1):
        ax.bar(x - 0.4 + (m + 0.5) * width, gibbs_policy(PI_REF, REWARDS, tau).numpy(),
               width, color=c, label=f"$\\pi^*$, $\\tau$ = {tau:g}")
    ax.set_xticks(x, [f"$y_{j + 1}$\nr = {int(r)}" for j, r in enumerate(REWARDS)])
    ax.set_ylabel("probability")
    ax.set_title("$\\pi^* \\propto \\pi_{\\theta_i}\\, e^{r/\\tau}$")
    ax.legend(fontsize=8, frameon=False)

    taus = np.logspace(-2, 2, 120)
    ax2.semilogx(taus, [tau_log_z(PI_REF, REWARDS, t).item() for t in taus], "k-",
                 label="$\\tau \\log Z$ (exact)")
    mean = (PI_REF * REWARDS).sum().item()
    ax2.axhline(mean, color="tab:blue", ls="--",
                label="$E_{\\pi_{\\theta_i}}[r]$ (mean reward)")
    ax2.axhline(REWARDS.max().item(), color="tab:red", ls=":", label="$\\max\\, r$")
    ax2.set_xlabel("$\\tau$")
    ax2.set_ylim(0.3, 1.05)
    ax2.set_title("$\\tau \\log Z \\to E[r]$ as $\\tau \\to \\infty$")
    ax2.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def _length() -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    lo, hi = LENGTHS.min().item(), LENGTHS.max().item()
    grid = torch.linspace(lo, hi, 201)
    # sweep one response's length between the group's min and max (the other lengths
    # of the batch fix min_len and max_len)
    for ok, colour, name in ((True, "tab:green", "correct"), (False, "tab:red", "wrong")):
        lengths = LENGTHS.expand(len(grid), -1).clone().to(grid.dtype)
        lengths[:, 1] = grid
        correct = torch.tensor([True, ok, False, False]).expand(len(grid), -1)
        ax.plot(grid.numpy(), length_reward(lengths, correct)[:, 1].numpy(), color=colour,
                lw=2 if ok else 1.5, ls="-" if ok else "--", label=name)
    batch = length_reward(LENGTHS, CORRECT)
    for n, ok, rew in zip(LENGTHS.tolist(), CORRECT.tolist(), batch.tolist()):
        ax.plot(n, rew, "o", color="tab:green" if ok else "tab:red", ms=7,
                mfc="white" if not ok else "tab:green")
        ax.annotate(f"{rew:+.3f}", (n, rew), textcoords="offset points", xytext=(6, 6),
                    fontsize=8)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xlabel("response length len(i)  (min_len = 120, max_len = 900)")
    ax.set_ylabel("length reward")
    ax.set_ylim(-0.6, 0.65)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"kimi-k1-5-gibbs": _gibbs(), "kimi-k1-5-length-reward": _length()}
