"""Figures of rl-basics/temporal-difference, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.rl_basics.bellman_optimality import solve_boe
from snippets.rl_basics.grid_world import make_grid_world, uniform_policy
from snippets.rl_basics.state_values import action_values, policy_matrices, solve_bellman
from snippets.rl_basics.temporal_difference import (
    q_learning_episodes,
    random_walk,
    sarsa_episodes,
    td0_episodes,
)

GAMMA = 0.9
EPISODES, HORIZON = 300, 100  # the target is not terminal: every episode has 100 steps
STEP_SIZES = {r"constant $\alpha = 0.1$": 0.1,
              r"$\alpha_k = 10/(k + 10)$": lambda k: 10 / (k + 10)}


def learning_curves() -> dict:
    """Max-norm errors after each episode: TD(0) and Sarsa vs v_pi, q_pi; Q-learning vs q*."""
    world = make_grid_world()
    pi = uniform_policy(world.n_states)
    v_pi = solve_bellman(*policy_matrices(pi, world.P, world.R), GAMMA)
    q_pi = action_values(v_pi, world.P, world.R, GAMMA)
    v_star, _ = solve_boe(world.P, world.R, GAMMA)
    q_star = action_values(v_star, world.P, world.R, GAMMA)
    curves = {}
    for label, alpha in STEP_SIZES.items():
        args = (GAMMA, alpha, EPISODES, HORIZON)
        _, v_hist = td0_episodes(world.P, world.R, pi, *args, np.random.default_rng(1))
        _, s_hist = sarsa_episodes(world.P, world.R, *args, np.random.default_rng(2), pi=pi)
        _, q_hist = q_learning_episodes(world.P, world.R, *args, np.random.default_rng(3))
        curves[label] = {
            "TD(0): $\\|v - v_\\pi\\|_\\infty$": np.abs(v_hist - v_pi).max(axis=1),
            "Sarsa: $\\|q - q_\\pi\\|_\\infty$": np.abs(s_hist - q_pi).max(axis=(1, 2)),
            "Q-learning: $\\|q - q^*\\|_\\infty$": np.abs(q_hist - q_star).max(axis=(1, 2)),
        }
    return curves


RUNS = 200  # independent TD(0) runs on the random walk


def random_walk_estimates() -> tuple[np.ndarray, dict]:
    """TD(0) on the 5-state random walk (alpha = 0.1, v0 = 0.5), RUNS independent runs.

    Returns the true values k/6 and {k: estimates after k episodes, shape (RUNS, 5)}
    for k = 0, 1, 10, 100; run r uses the generator seeded with r.
    """
    P, R, terminal = random_walk()
    hist = np.array([td0_episodes(P, R, np.ones((7, 1)), 1.0, 0.1, 100, 1000,
                                  np.random.default_rng(seed), start=3, terminal=terminal,
                                  v0=np.full(7, 0.5))[1] for seed in range(RUNS)])
    return np.arange(1, 6) / 6, {k: hist[:, k, 1:-1] for k in (0, 1, 10, 100)}


def figures() -> dict:
    curves = learning_curves()
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharey=True)
    episodes = np.arange(EPISODES + 1)
    for style, (label, by_algo) in zip(("-", "--"), curves.items()):
        for ax, (algo, err) in zip(axes, by_algo.items()):
            ax.semilogy(episodes, err, style, lw=1.2, label=label)
            ax.set_title(algo)
    for ax in axes:
        ax.set_xlabel(f"episode ({HORIZON} steps each)")
        ax.grid(True, which="both", lw=0.3)
    axes[0].set_ylabel("max-norm error")
    axes[0].legend(fontsize=8)
    fig.text(0.5, -0.1, "5x5 grid world, $\\gamma$ = 0.9; TD(0) and Sarsa evaluate the "
             "uniform policy, Q-learning follows it as behaviour policy", ha="center", fontsize=8)

    true, estimates = random_walk_estimates()
    walk, ax = plt.subplots(figsize=(5.6, 3.4))
    x = np.arange(1, 6)
    for k, v in estimates.items():
        mean, sd = v.mean(axis=0), v.std(axis=0, ddof=1)
        (line,) = ax.plot(x, mean, "o-", ms=4, lw=1, label=f"after {k} episodes")
        if k:  # every run starts at 0.5: no spread after 0 episodes
            ax.fill_between(x, mean - sd, mean + sd, color=line.get_color(), alpha=0.15,
                            lw=0)
    ax.plot(x, true, "k--", lw=1.5, label="true $v_\\pi(k) = k/6$")
    ax.set_xticks(x, ["A", "B", "C", "D", "E"])
    ax.set_xlabel("state")
    ax.set_ylabel("estimated value")
    ax.set_title(f"TD(0) on the 5-state random walk ($\\alpha$ = 0.1, $\\gamma$ = 1): "
                 f"mean of {RUNS} runs $\\pm$ 1 sd", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(True, lw=0.3)
    return {"temporal-difference-curves": fig, "temporal-difference-random-walk": walk}
