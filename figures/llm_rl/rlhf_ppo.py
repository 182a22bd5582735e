"""Figures of llm-rl/rlhf-ppo, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from snippets.llm_rl.rlhf_ppo import example_batch, gae, kl_penalized_rewards, ppo_clip_objective

EPS, EPS_HIGH = 0.2, 0.28


def figures() -> dict:
    clip, axes = plt.subplots(1, 2, figsize=(7.2, 3.2), layout="constrained", sharey=False)
    r = torch.linspace(0.0, 2.0, 401, dtype=torch.float64)
    for ax, a in zip(axes, (1.0, -1.0)):
        ratio = r.clone().requires_grad_(True)
        obj = ppo_clip_objective(ratio, torch.full_like(r, a), EPS)
        obj.sum().backward()
        flat = (ratio.grad == 0).numpy()
        ax.plot(r, r * a, color="0.6", ls=":", lw=1.2, label=r"$r\hat A$ (unclipped)")
        ax.plot(r, obj.detach(), lw=2, label=r"$\min(r\hat A,\ \mathrm{clip}(r)\hat A)$")
        high = ppo_clip_objective(r, torch.full_like(r, a), EPS, EPS_HIGH)
        ax.plot(r, high, lw=1.2, ls="--", label=rf"clip-higher, $\varepsilon_{{high}}$={EPS_HIGH}")
        ax.fill_between(r, 0, 1, where=flat, color="tab:red", alpha=0.12,
                        transform=ax.get_xaxis_transform(), label="zero gradient")
        for edge in (1 - EPS, 1 + EPS):
            ax.axvline(edge, color="k", lw=0.6, ls="--")
        ax.set_xlabel(r"ratio $r_t(\theta)=\pi_\theta/\pi_{old}$")
        ax.set_title(rf"$\hat A_t = {a:+.0f}$, $\varepsilon$ = {EPS}")
        ax.grid(True, lw=0.3)
    axes[0].set_ylabel("per-token objective (maximised)")
    axes[1].legend(fontsize=7, loc="upper right")

    ex = example_batch()
    mask = ex["mask"]
    rewards = kl_penalized_rewards(ex["score"], ex["logp"], ex["logp_ref"], mask, 0.1)
    adv_fig, axes = plt.subplots(1, 3, figsize=(7.2, 2.8), layout="constrained", sharey=True)
    lams = (0.0, 0.5, 0.95, 1.0)
    width = 0.8 / len(lams)
    for b, ax in enumerate(axes):
        n = int(mask[b].sum())
        t = np.arange(1, n + 1)  # the page counts tokens from 1
        for i, lam in enumerate(lams):
            adv = gae(rewards, ex["values"], 1.0, lam, mask)[b, :n].numpy()
            ax.bar(t + (i - 1.5) * width, adv, width, label=rf"$\lambda$ = {lam}")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xticks(t)
        ax.set_xlabel("token $t$")
        ax.set_title(f"response {b + 1}: length {n}, score {float(ex['score'][b]):+.1f}",
                     fontsize=9)
        ax.grid(True, axis="y", lw=0.3)
    axes[0].set_ylabel(r"$\hat A_t$ ($\gamma$ = 1, $\beta$ = 0.1)")
    axes[0].legend(fontsize=7)
    return {"rlhf-ppo-clip": clip, "rlhf-ppo-gae": adv_fig}
