"""Figures of rl-basics/policy-gradient, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.rl_basics.bellman_optimality import solve_boe
from snippets.rl_basics.grid_world import make_grid_world
from snippets.rl_basics.policy_gradient import (
    gradient_ascent,
    policy_gradient,
    reinforce_gradients,
    sample_episodes,
    softmax_policy,
)
from snippets.rl_basics.state_values import policy_matrices, solve_bellman

GAMMA = 0.9
ALPHA = 3.0
N_ITER = 80
# REINFORCE per iteration: a batch of 8 episodes of 40 steps (truncation: 0.9^40 ≈ 1.5 %)
BATCH, HORIZON = 8, 40
# the gradient component drawn in the histogram: cell (3, 1) (a forbidden cell left of the
# target), action "right"; n episodes of 150 steps at theta = 0
CELL, ACTION, N_EPISODES = 16, 1, 2000


def _reinforce_curve(world, d0, use_baseline: bool, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    theta = np.zeros((world.n_states, world.n_actions))
    J = []
    for _ in range(N_ITER + 1):
        pi = softmax_policy(theta)
        v = solve_bellman(*policy_matrices(pi, world.P, world.R), GAMMA)
        J.append(d0 @ v)
        episodes = sample_episodes(world.P, world.R, pi, d0, BATCH, HORIZON, rng)
        g = reinforce_gradients(theta, *episodes, GAMMA, baseline=v if use_baseline else None)
        theta = theta + ALPHA * g.mean(axis=0)  # θ ← θ + α ĝ
    return np.array(J)


def figures() -> dict:
    world = make_grid_world()
    S, A = world.n_states, world.n_actions
    d0 = np.full(S, 1 / S)
    v_star, _ = solve_boe(world.P, world.R, GAMMA)

    curve, ax = plt.subplots(figsize=(6.4, 3.8))
    k = np.arange(N_ITER + 1)
    exact = gradient_ascent(np.zeros((S, A)), world.P, world.R, d0, GAMMA, ALPHA, N_ITER)
    ax.plot(k, exact, "k-", lw=1.8, label="exact gradient $\\nabla J$")
    for seed in (1, 2):
        for use_baseline, colour in ((False, "tab:orange"), (True, "tab:blue")):
            name = "REINFORCE, b = $v_\\pi$" if use_baseline else "REINFORCE, no baseline"
            ax.plot(k, _reinforce_curve(world, d0, use_baseline, seed), color=colour, lw=1,
                    alpha=0.9, label=name if seed == 1 else None)
    ax.axhline(d0 @ v_star, ls="--", color="grey", lw=1, label="$d_0^T v^*$ (optimum)")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("$J(\\theta_k) = d_0^T v_{\\pi}$")
    ax.set_title(f"gradient ascent on the grid world, $\\alpha$ = {ALPHA}, uniform $d_0$")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, lw=0.3)

    theta = np.zeros((S, A))
    pi = softmax_policy(theta)
    v = solve_bellman(*policy_matrices(pi, world.P, world.R), GAMMA)
    grad = policy_gradient(theta, world.P, world.R, d0, GAMMA)
    episodes = sample_episodes(world.P, world.R, pi, d0, N_EPISODES, 150,
                               np.random.default_rng(0))
    hist, ax = plt.subplots(figsize=(6.4, 3.4))
    bins = np.linspace(-4, 4, 81)
    for use_baseline, colour in ((False, "tab:orange"), (True, "tab:blue")):
        g = reinforce_gradients(theta, *episodes, GAMMA, baseline=v if use_baseline else None)
        x = g[:, CELL, ACTION]
        name = "b = $v_\\pi$" if use_baseline else "no baseline"
        ax.hist(np.clip(x, -4, 4), bins=bins, color=colour, alpha=0.55,
                label=f"{name}: mean {x.mean():.3f}, std {x.std(ddof=1):.2f}")
    ax.axvline(grad[CELL, ACTION], color="k", lw=1.2,
               label=f"exact component {grad[CELL, ACTION]:.3f}")
    ax.set_yscale("log")
    ax.set_xlabel("per-episode REINFORCE estimate of $\\partial J / \\partial\\theta$"
                  "[(3,1), right]  (clipped to [-4, 4])")
    ax.set_ylabel(f"count of {N_EPISODES} episodes")
    ax.legend(fontsize=8)
    return {"policy-gradient-ascent": curve, "policy-gradient-estimates": hist}
