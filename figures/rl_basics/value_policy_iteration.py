"""Figures of rl-basics/value-policy-iteration, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.rl_basics.bellman_optimality import solve_boe
from snippets.rl_basics.grid_world import ARROWS, make_grid_world
from snippets.rl_basics.value_policy_iteration import (
    policy_iteration,
    truncated_policy_iteration,
    value_iteration,
)
from figures.rl_basics import outline_cells

GAMMA = 0.9


def runs(world):
    """The four runs drawn on the page, all from v_0 = 0: name -> (v, policy, history)."""
    P, R = world.P, world.R
    return {
        "value iteration": value_iteration(P, R, GAMMA, return_history=True),
        "truncated PI, j = 3": truncated_policy_iteration(P, R, GAMMA, 3, return_history=True),
        "truncated PI, j = 10": truncated_policy_iteration(P, R, GAMMA, 10,
                                                           return_history=True),
        "policy iteration": policy_iteration(P, R, GAMMA, return_history=True),
    }


def figures() -> dict:
    world = make_grid_world()
    v_star, pi_star = solve_boe(world.P, world.R, GAMMA, tol=1e-13)
    results = runs(world)

    conv, ax = plt.subplots(figsize=(6.6, 3.8))
    for (name, (_, _, history)), marker in zip(results.items(), "o^sD"):
        errors = np.abs(history.values - v_star).max(axis=1)
        k = np.arange(len(errors))
        ax.semilogy(k, np.maximum(errors, 1e-16), marker + "-", ms=3, lw=1,
                    label=f"{name} ({len(errors) - 1} iterations)")
    ax.semilogy(np.arange(241), 10 * GAMMA ** np.arange(241), "k--", lw=0.8,
                label=r"$10\,\gamma^k$")
    ax.set_xlabel("iteration k")
    ax.set_ylabel(r"$\|v_k - v^*\|_\infty$")
    ax.set_ylim(1e-12, 30)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", lw=0.3)
    ax.set_title(r"5x5 grid world, $\gamma$ = 0.9, all from $v_0 = 0$", fontsize=10)

    # The optimal policy and v*: every run returns exactly this policy.
    same = all(np.array_equal(policy, pi_star) for _, policy, _ in results.values())
    grid, ax = plt.subplots(figsize=(4.4, 4.4))
    ax.imshow(v_star.reshape(world.n_rows, world.n_cols), cmap="viridis", vmin=-10, vmax=10)
    for s in range(world.n_states):
        r, c = world.cell(s)
        ax.text(c, r, f"{ARROWS[pi_star[s]]}\n{v_star[s]:.2f}", ha="center", va="center",
                fontsize=9, color="white" if v_star[s] < 2 else "black")
    outline_cells(ax, world)
    ax.set_title(r"$\pi^*$ and $v^*$" + (" (same from VI, PI, TPI)" if same else ""),
                 fontsize=10)
    return {"value-policy-iteration-convergence": conv, "value-policy-iteration-optimal": grid}
