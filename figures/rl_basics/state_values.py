"""Figures of rl-basics/state-values, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.rl_basics.grid_world import (
    ARROWS,
    PI_1_ARROWS,
    make_grid_world,
    policy_from_arrows,
    uniform_policy,
)
from snippets.rl_basics.state_values import bellman_iterates, policy_matrices, solve_bellman
from figures.rl_basics import outline_cells

GAMMA = 0.9


def _grid(ax, world, values, pi=None, title=""):
    image = values.reshape(world.n_rows, world.n_cols)
    ax.imshow(image, cmap="viridis", vmin=-10, vmax=10)
    for s in range(world.n_states):
        r, c = world.cell(s)
        text = f"{values[s]:.2f}"
        if pi is not None:
            text = f"{ARROWS[int(pi[s].argmax())]}\n{text}"
        ax.text(c, r, text, ha="center", va="center", fontsize=8,
                color="white" if values[s] < 2 else "black")
    outline_cells(ax, world)
    ax.set_title(title)


def figures() -> dict:
    world = make_grid_world()
    policies = {"pi_1 (arrows)": policy_from_arrows(PI_1_ARROWS),
                "uniform policy": uniform_policy(world.n_states)}
    values = {name: solve_bellman(*policy_matrices(pi, world.P, world.R), GAMMA)
              for name, pi in policies.items()}

    heat, axes = plt.subplots(1, 2, figsize=(8.4, 4.2))
    for ax, (name, pi) in zip(axes, policies.items()):
        _grid(ax, world, values[name], pi if "arrows" in name else None,
              f"$v_\\pi$ of {name}, $\\gamma$ = {GAMMA}")
    heat.text(0.5, 0.0, "orange: forbidden cells, blue: target; colour scale from -10 to 10",
              ha="center", fontsize=8)

    conv, ax = plt.subplots(figsize=(6.4, 3.6))
    k = np.arange(61)
    for (name, pi), style in zip(policies.items(), ("o", "s")):
        r_pi, P_pi = policy_matrices(pi, world.P, world.R)
        errors = np.abs(bellman_iterates(r_pi, P_pi, GAMMA, 60) - values[name]).max(axis=1)
        ax.semilogy(k, errors, style, ms=3, label=f"{name}: $\\|v_k - v_\\pi\\|_\\infty$")
        ax.semilogy(k, GAMMA**k * errors[0], "--", lw=1, color=ax.lines[-1].get_color(),
                    label=f"{name}: bound $\\gamma^k \\|v_0 - v_\\pi\\|_\\infty$")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("max-norm error")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", lw=0.3)
    return {"state-values-heatmap": heat, "state-values-convergence": conv}
