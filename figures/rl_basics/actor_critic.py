"""Figures of rl-basics/actor-critic, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.rl_basics.actor_critic import gradient_variance, optimal_baseline, run_a2c
from snippets.rl_basics.bellman_optimality import solve_boe
from snippets.rl_basics.grid_world import make_grid_world
from snippets.rl_basics.policy_gradient import softmax_policy
from snippets.rl_basics.state_values import action_values, policy_matrices, solve_bellman

GAMMA = 0.9
STATE = (4, 0)  # the cell whose variance curve is drawn (bottom-left corner)


def example():
    """The actor of the page's example: theta = one-hot of pi*, its v_pi and q_pi."""
    world = make_grid_world()
    v_star, pi_star = solve_boe(world.P, world.R, GAMMA)
    theta = np.eye(world.n_actions)[pi_star]
    v = solve_bellman(*policy_matrices(softmax_policy(theta), world.P, world.R), GAMMA)
    return world, v_star, theta, v, action_values(v, world.P, world.R, GAMMA)


def figures() -> dict:
    world, v_star, theta, v, q = example()
    s = world.state(*STATE)
    one = np.eye(world.n_states)[s]
    b_star = optimal_baseline(theta, q)

    var, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    grid = np.sort(np.r_[np.linspace(-6.0, 6.0, 61), b_star[s], v[s]])
    curve = [gradient_variance(theta, q, one, b * one) for b in grid]
    ax.semilogy(grid, curve, lw=1.5, label="variance of the one-sample estimate at $s$")
    for b, name, marker in ((0.0, "no baseline, $b=0$", "s"),
                            (v[s], f"$b=v_\\pi(s)={v[s]:.2f}$", "o"),
                            (b_star[s], f"optimal $b^*(s)={b_star[s]:.2f}$", "*")):
        ax.plot(b, gradient_variance(theta, q, one, b * one), marker, ms=9, label=name)
    ax.set_xlabel("baseline value $b(s)$")
    ax.set_ylabel(r"tr Cov$[g \mid S=s]$ (log scale)")
    ax.set_title(f"state $s$ = cell {STATE} of the grid world, $\\gamma$ = {GAMMA}")
    ax.legend(fontsize=8)
    ax.grid(True, lw=0.3)

    learn, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    record, steps = 50, 2000
    _, _, J = run_a2c(world.P, world.R, GAMMA, np.zeros_like(theta), steps, 0.5, 0.2,
                      np.random.default_rng(0), record_every=record)
    ax.plot(np.arange(len(J)) * record, J, lw=1.5, label="A2C (seed 0)")
    ax.axhline(np.mean(v_star), color="k", lw=1, ls="--", label=r"$J(\pi^*)$")
    ax.set_ylim(top=9)
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$J(\theta_t)$ = mean of $v_{\pi_\theta}$")
    ax.set_title(r"A2C on the grid world from $\theta_0 = 0$ (uniform policy)")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, lw=0.3)
    return {"actor-critic-baseline": var, "actor-critic-a2c": learn}
