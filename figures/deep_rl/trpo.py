"""Figures of deep-rl/trpo, computed with the page's own snippet functions.

The example: a random MDP with 4 states and 3 actions (seed 2), gamma = 0.9, uniform d0,
random old parameters, KL budget delta = 0.1 (the setting of the line-search check).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from snippets.deep_rl.trpo import (
    mean_kl,
    old_policy_stats,
    performance,
    random_mdp,
    surrogate,
    trpo_update,
)
from snippets.rl_basics.bellman_optimality import solve_boe
from snippets.rl_basics.policy_gradient import policy_gradient, softmax_policy

GAMMA, DELTA = 0.9, 0.1
D0 = np.full(4, 0.25)


def example():
    """(P, R, theta_old) of the page's example."""
    rng = np.random.default_rng(2)
    P, R = random_mdp(4, 3, rng)
    return P, R, rng.normal(size=(4, 3))


def line_search_profile(ts):
    """Surrogate gain, true gain and mean KL at fractions ts of the full TRPO step."""
    P, R, theta_old = example()
    pi_old = softmax_policy(theta_old)
    rho, adv, J_old = old_policy_stats(pi_old, P, R, D0, GAMMA)
    theta_new, fraction, step = trpo_update(theta_old, P, R, D0, GAMMA, DELTA)
    th = torch.as_tensor(theta_old)
    L = [float(surrogate(th + nu * step, pi_old, rho, adv)) for nu in ts]
    J = [performance(softmax_policy((th + nu * step).numpy()), P, R, D0, GAMMA) - J_old
         for nu in ts]
    kl = [float(mean_kl(th + nu * step, pi_old, (1 - GAMMA) * rho)) for nu in ts]
    return np.array(L), np.array(J), np.array(kl), fraction


def learning_curves(n_iter: int = 15):
    """J at the start and after each of n_iter - 1 updates: TRPO (delta = 0.01, 0.1)
    and gradient ascent (fixed alpha)."""
    P, R, theta0 = example()
    curves = {}
    for delta in (0.01, 0.1):
        theta, Js = torch.as_tensor(theta0), []
        for _ in range(n_iter):
            Js.append(performance(softmax_policy(theta.numpy()), P, R, D0, GAMMA))
            theta = trpo_update(theta, P, R, D0, GAMMA, delta)[0]
        curves[f"TRPO, $\\delta$ = {delta}"] = Js
    for alpha in (0.1, 1.0):
        theta, Js = theta0.copy(), []
        for _ in range(n_iter):
            Js.append(performance(softmax_policy(theta), P, R, D0, GAMMA))
            theta = theta + alpha * policy_gradient(theta, P, R, D0, GAMMA)
        curves[f"gradient ascent, $\\alpha$ = {alpha}"] = Js
    return curves


def figures() -> dict:
    ts = np.linspace(0.0, 1.6, 33)
    L, J, kl, fraction = line_search_profile(ts)
    candidates = [1.0, 0.5]
    cand_idx = [int(np.argmin(np.abs(ts - c))) for c in candidates]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.0, 3.6))
    ax1.plot(ts, L, label="surrogate $L(\\theta) - L(\\theta_{old})$")
    ax1.plot(ts, J, "--", label="true $J(\\theta) - J(\\theta_{old})$")
    ax1.axvline(fraction, color="green", lw=0.8, label=f"accepted step, $\\nu$ = {fraction}")
    ax1.set_xlabel("fraction $\\nu$ of the full step $\\Delta\\theta$ "
                   "($\\theta = \\theta_{old} + \\nu \\Delta\\theta$)")
    ax1.set_ylabel("improvement")
    ax1.legend(fontsize=8)
    ax1.grid(True, lw=0.3)

    ax2.plot(ts, kl, label="exact mean KL")
    ax2.plot(ts, DELTA * ts**2, ":",
             label="quadratic model $\\frac{1}{2} \\nu^2 \\Delta\\theta^T F \\Delta\\theta$")
    ax2.axhline(DELTA, color="grey", lw=0.8, label="budget $\\delta$ = 0.1")
    ax2.plot(ts[cand_idx[0]], kl[cand_idx[0]], "rx", ms=8,
             label="$\\nu$ = 1: KL > $\\delta$, rejected")
    ax2.plot(ts[cand_idx[1]], kl[cand_idx[1]], "go", ms=6,
             label=f"$\\nu$ = {fraction}: accepted")
    ax2.set_xlabel("fraction $\\nu$ of the full step $\\Delta\\theta$")
    ax2.set_ylabel("$\\bar D_{KL}(\\theta_{old}, \\theta)$")
    ax2.set_ylim(0, 0.25)
    ax2.legend(fontsize=8)
    ax2.grid(True, lw=0.3)
    fig.tight_layout()

    curves = learning_curves()
    P, R, _ = example()
    fig2, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.axhline(D0 @ solve_boe(P, R, GAMMA)[0], color="grey", lw=0.8,
               label="optimum $J^*$")
    for (name, Js), style in zip(curves.items(), ("o-", "s-", "^--", "v--")):
        ax.plot(Js, style, ms=3, label=name)
    ax.set_xlabel("iteration")
    ax.set_ylabel("$J(\\theta_k) = d_0^T v_{\\pi}$")
    ax.legend(fontsize=8)
    ax.grid(True, lw=0.3)
    fig2.tight_layout()
    return {"trpo-line-search": fig, "trpo-learning": fig2}


if __name__ == "__main__":
    ts = np.array([0.25, 0.5, 1.0])
    L, J, kl, fraction = line_search_profile(ts)
    for nu, a, b, c in zip(ts, L, J, kl):
        print(f"nu = {nu}: L gain {a:.4f}, J gain {b:.4f}, KL {c:.5f}")
    print("accepted fraction", fraction)
    for name, Js in learning_curves().items():
        print(name, np.round(Js[::2], 3))
    P, R, _ = example()
    print("J* =", D0 @ solve_boe(P, R, GAMMA)[0])
