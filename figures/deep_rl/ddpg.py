"""Figures of deep-rl/ddpg, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from snippets.deep_rl.ddpg import LQR, ddpg, linear_policy_cost, lqr_optimal_gain, ou_noise

SEEDS = (0, 1)
N_STEPS = 300


def figures() -> dict:
    lqr = LQR()
    K, P = lqr_optimal_gain(lqr)

    gain, (ax_cost, ax_train) = plt.subplots(1, 2, figsize=(10, 3.8))
    ks = np.linspace(0.0, 2.5, 251)
    ax_cost.plot(ks, [linear_policy_cost(k, lqr)[0] for k in ks], lw=1.5)
    ax_cost.plot([K], [P], "o", color="C3", label=f"Riccati: $K^*$ = {K:.4f}, $P^*$ = {P:.4f}")
    ax_cost.set_xlabel("gain K of the policy u = -K x")
    ax_cost.set_ylabel("$P_K$  (cost $P_K x^2 + c_K$)")
    ax_cost.set_ylim(0, 6)
    ax_cost.set_title("discounted cost of linear policies")
    ax_cost.legend(fontsize=8)
    ax_cost.grid(True, lw=0.3)

    steps = np.arange(N_STEPS + 1)
    for seed in SEEDS:
        out = ddpg(lqr, N_STEPS, torch.Generator().manual_seed(seed))
        line, = ax_train.plot(steps, out["theta"].numpy(), lw=1.2,
                              label=f"actor $\\theta$, seed {seed}")
        w = out["w"].numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            greedy = -w[:, 1] / (2 * w[:, 2])  # argmax_u of the critic, per unit x
        ax_train.plot(steps, greedy, ":", lw=1, color=line.get_color())
    ax_train.axhline(-K, color="k", ls="--", lw=1, label=f"$-K^*$ = {-K:.4f}")
    ax_train.set_ylim(-1.5, 0.3)
    ax_train.set_xlabel("DDPG step")
    ax_train.set_ylabel("gain")
    ax_train.set_title("DDPG: actor $\\theta$ (solid), critic greedy gain (dotted)")
    ax_train.legend(fontsize=8, loc="upper right")
    ax_train.grid(True, lw=0.3)
    gain.tight_layout()

    theta, sigma, dt = 0.15, 0.2, 1.0
    ou, (ax_paths, ax_var) = plt.subplots(1, 2, figsize=(10, 3.6))
    paths = ou_noise(100, 3, theta, sigma, dt, torch.Generator().manual_seed(0)).numpy()
    sd = np.sqrt(sigma**2 / (2 * theta))
    ax_paths.plot(paths, lw=1)
    ax_paths.axhspan(-2 * sd, 2 * sd, color="0.9", zorder=0,
                     label="$\\pm 2\\sqrt{\\sigma^2/(2\\vartheta)}$")
    ax_paths.set_xlabel("step k")
    ax_paths.set_ylabel("$X_k$")
    ax_paths.set_title(f"OU noise, $\\vartheta$ = {theta}, $\\sigma$ = {sigma}, dt = {dt}")
    ax_paths.legend(fontsize=8, loc="lower left")
    n_chains = 4000
    for scheme, style in (("exact", "-"), ("euler", "-")):
        x = ou_noise(60, n_chains, theta, sigma, dt, torch.Generator().manual_seed(1),
                     scheme=scheme).numpy()
        ax_var.plot(x.var(axis=1), style, lw=1.2, label=f"{scheme}: sample variance")
    ax_var.axhline(sigma**2 / (2 * theta), color="C0", ls="--", lw=1,
                   label=f"$\\sigma^2/(2\\vartheta)$ = {sigma**2 / (2 * theta):.4f}")
    euler = sigma**2 / (theta * (2 - theta * dt))
    ax_var.axhline(euler, color="C1", ls="--", lw=1,
                   label=f"$\\sigma^2/(\\vartheta(2-\\vartheta dt))$ = {euler:.4f}")
    ax_var.set_xlabel("step k")
    ax_var.set_ylabel("Var $X_k$ over 4000 chains")
    ax_var.set_title("variance from $X_0$ = 0: exact vs Euler step")
    ax_var.legend(fontsize=8, loc="lower right")
    ax_var.grid(True, lw=0.3)
    ou.tight_layout()
    return {"ddpg-gain": gain, "ddpg-ou": ou}
