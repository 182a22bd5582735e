"""Figures of rl-basics/bellman-optimality, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.rl_basics.bellman_optimality import boe_iterates, solve_boe
from snippets.rl_basics.grid_world import ARROWS, make_grid_world
from figures.rl_basics import outline_cells

# (gamma, r_forbidden) of the three panels discussed on the page (数值例子)
SETTINGS = ((0.9, -1.0), (0.9, -10.0), (0.5, -1.0))


def _panel(ax, world, v_star, pi_star, title):
    image = v_star.reshape(world.n_rows, world.n_cols)
    low, high = v_star.min(), v_star.max()
    ax.imshow(image, cmap="viridis", vmin=low, vmax=high)
    for s in range(world.n_states):
        r, c = world.cell(s)
        bright = v_star[s] > low + 0.6 * (high - low)
        # values far from the target at gamma = 0.5 are tiny: show them in e-notation
        mantissa, exponent = f"{v_star[s]:.1e}".split("e")
        value = f"{v_star[s]:.2f}" if abs(v_star[s]) >= 0.1 else f"{mantissa}e{int(exponent)}"
        ax.text(c, r, f"{ARROWS[pi_star[s]]}\n{value}", ha="center", va="center",
                fontsize=8, color="black" if bright else "white")
    outline_cells(ax, world)
    ax.set_title(title, fontsize=10)


def figures() -> dict:
    heat, axes = plt.subplots(1, 3, figsize=(10.8, 4.2))
    for ax, (gamma, r_forbidden) in zip(axes, SETTINGS):
        world = make_grid_world(r_forbidden=r_forbidden)
        v_star, pi_star = solve_boe(world.P, world.R, gamma)
        _panel(ax, world, v_star, pi_star,
               f"$\\gamma$ = {gamma}, $r_{{forbidden}}$ = {r_forbidden:g}")
    heat.suptitle("optimal state values $v^*$ (numbers, colour) and an optimal policy "
                  "$\\pi^*$ (arrows)", fontsize=10)
    heat.text(0.5, 0.02, "orange: forbidden cells, blue: target; each panel has its own "
              "colour scale (min to max of its v*)", ha="center", fontsize=8)

    conv, ax = plt.subplots(figsize=(6.4, 3.6))
    world = make_grid_world()
    for gamma, style in ((0.9, "o"), (0.5, "s")):
        v_star, _ = solve_boe(world.P, world.R, gamma, tol=1e-13)
        k = np.arange(61)
        errors = np.abs(boe_iterates(world.P, world.R, gamma, 60) - v_star).max(axis=1)
        keep = errors > 1e-13  # below that the error is rounding
        ax.semilogy(k[keep], errors[keep], style, ms=3,
                    label=f"$\\gamma$ = {gamma}: $\\|v_k - v^*\\|_\\infty$")
        # the bound is drawn on top: on this grid the error attains it exactly
        ax.semilogy(k, gamma**k * errors[0], "--", lw=1.2, zorder=3, color="black",
                    label="bound $\\gamma^k \\|v_0 - v^*\\|_\\infty$" if gamma == 0.9 else None)
    ax.set_ylim(1e-13, 30)
    ax.set_xlabel("iteration k  ($v_0 = 0$)")
    ax.set_ylabel("max-norm error")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", lw=0.3)
    return {"bellman-optimality-policies": heat, "bellman-optimality-convergence": conv}
