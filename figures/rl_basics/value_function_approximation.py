"""Figures of rl-basics/value-function-approximation, computed with the page's snippet."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.rl_basics.grid_world import make_grid_world
from snippets.rl_basics.state_values import policy_matrices, solve_bellman
from snippets.rl_basics.value_function_approximation import (
    d_norm,
    example_policy,
    expected_td_iterates,
    least_squares_fit,
    polynomial_features,
    sample_trajectories,
    stationary_distribution,
    td_fixed_point,
    td_linear,
    td_matrices,
)
from figures.rl_basics import outline_cells

GAMMA = 0.9
EPSILON = 0.5
DEGREES = (1, 2, 3)


def _grid(ax, world, values, title, vmin, vmax, fmt="{:.1f}", cmap="viridis"):
    ax.imshow(values.reshape(world.n_rows, world.n_cols), cmap=cmap, vmin=vmin, vmax=vmax)
    mid = (vmin + vmax) / 2
    for s in range(world.n_states):
        r, c = world.cell(s)
        ax.text(c, r, fmt.format(values[s]), ha="center", va="center", fontsize=7,
                color="white" if values[s] < mid else "black")
    outline_cells(ax, world, lw=2, ticks=False)
    ax.set_title(title, fontsize=9)


def figures() -> dict:
    world = make_grid_world()
    pi = example_policy(EPSILON)
    r_pi, P_pi = policy_matrices(pi, world.P, world.R)
    v_pi = solve_bellman(r_pi, P_pi, GAMMA)
    d = stationary_distribution(P_pi)

    # heat maps: v_pi and d_pi, then for each degree the least-squares fit and TD fixed point
    heat, axes = plt.subplots(2, 3, figsize=(7.8, 6.0))
    lo, hi = -1.0, 2.5
    _grid(axes[0, 0], world, v_pi, "$v_\\pi$", lo, hi)
    _grid(axes[1, 0], world, 100 * d, "$d_\\pi$ in percent", 0.0, 10.0, cmap="magma")
    for j, degree in enumerate(DEGREES[:2], start=1):
        Phi = polynomial_features(world.n_rows, world.n_cols, degree)
        w_ls = least_squares_fit(Phi, v_pi, d)
        w_td = td_fixed_point(Phi, d, P_pi, r_pi, GAMMA)
        e_ls, e_td = d_norm(Phi @ w_ls - v_pi, d), d_norm(Phi @ w_td - v_pi, d)
        _grid(axes[0, j], world, Phi @ w_ls,
              f"least squares, degree {degree}\n$\\|\\Phi w - v_\\pi\\|_D$ = {e_ls:.3f}", lo, hi)
        _grid(axes[1, j], world, Phi @ w_td,
              f"TD fixed point, degree {degree}\n$\\|\\Phi w - v_\\pi\\|_D$ = {e_td:.3f}", lo, hi)
    heat.text(0.5, 0.01, f"policy 0.5 pi_1 + 0.5 uniform, gamma = {GAMMA}; orange: forbidden, "
              "blue: target; values coloured from -1 to 2.5", ha="center", fontsize=8)
    heat.tight_layout(rect=(0, 0.03, 1, 1))

    # left: the expected iteration for degrees 1-3; right: one stochastic run, degree 1
    conv, (ax_e, ax_s) = plt.subplots(1, 2, figsize=(10.0, 3.8))
    n_iter = 3000
    for degree, colour in zip(DEGREES, ("C0", "C1", "C2")):
        Phi = polynomial_features(world.n_rows, world.n_cols, degree)
        A, b = td_matrices(Phi, d, P_pi, r_pi, GAMMA)
        w_star = np.linalg.solve(A, b)
        gaps = (expected_td_iterates(A, b, 1.0, n_iter) - w_star) @ Phi.T  # rows Φ(w_k − w*)
        err = np.sqrt(gaps**2 @ d)
        # below 1e-12 the error is rounding noise, whose level differs between machines
        err = np.where(err >= 1e-12, err, np.nan)
        ax_e.semilogy(np.arange(n_iter + 1), err, color=colour, label=f"degree {degree}")
    ax_e.set_xlabel("iteration k")
    ax_e.set_ylabel("$\\|\\Phi (w_k - A^{-1} b)\\|_D$")
    ax_e.set_ylim(1e-12, 10)
    ax_e.set_title("expected TD-linear, $w_{k+1} = w_k + (b - A w_k)$", fontsize=9)
    ax_e.legend(fontsize=8)
    ax_e.grid(True, which="both", lw=0.3)

    # K runs on i.i.d. transitions (S ~ d_pi, one step) and one run along a trajectory
    Phi = polynomial_features(world.n_rows, world.n_cols, 1)
    A, b = td_matrices(Phi, d, P_pi, r_pi, GAMMA)
    w_star = np.linalg.solve(A, b)
    K, T, chunk = 200, 2000, 20
    alphas = 0.5 / (1 + np.arange(T) / 200)
    rng = np.random.default_rng(0)
    states, rewards = sample_trajectories(world.P, world.R, pi, rng.choice(25, K * T, p=d),
                                          1, rng)
    s, r, s_next = (x.reshape(K, T) for x in (states[:, 0], rewards[:, 0], states[:, 1]))
    path, path_r = sample_trajectories(world.P, world.R, pi, np.array([17]), T,
                                       np.random.default_rng(1))
    w_runs, w_path, m = np.zeros((K, 3)), np.zeros(3), np.zeros(3)
    curves = {"mean": [w_runs.mean(axis=0)], "iid": [w_runs[0]], "path": [w_path], "m": [m]}
    for t0 in range(0, T, chunk):  # continue each run chunk by chunk (w0 = last w)
        sl = slice(t0, t0 + chunk)
        w_runs = td_linear(Phi, s[:, sl], r[:, sl], s_next[:, sl], GAMMA, alphas[sl], w_runs)
        w_path = td_linear(Phi, path[0, sl], path_r[0, sl], path[0, t0 + 1:t0 + chunk + 1],
                           GAMMA, alphas[sl], w_path)
        for alpha in alphas[sl]:
            m = m + alpha * (b - A @ m)
        for key, w in (("mean", w_runs.mean(axis=0)), ("iid", w_runs[0]), ("path", w_path),
                       ("m", m)):
            curves[key].append(w)
    t = np.arange(0, T + 1, chunk)
    labels = {"path": "one run along a trajectory", "iid": "one run, i.i.d. transitions",
              "mean": f"mean of {K} i.i.d. runs", "m": "$m_t$: expected recursion"}
    styles = {"path": ("C3", 0.8), "iid": ("C4", 0.8), "mean": ("C0", 1.8), "m": ("k", 1.0)}
    for key, ws in curves.items():
        err = np.sqrt(((np.array(ws) - w_star) @ Phi.T) ** 2 @ d)
        ax_s.semilogy(t, err, color=styles[key][0], lw=styles[key][1], label=labels[key])
    gap = d_norm(Phi @ (least_squares_fit(Phi, v_pi, d) - w_star), d)
    ax_s.axhline(gap, color="k", lw=0.8, ls="--", label="least-squares fit")
    ax_s.set_xlabel("time step t")
    ax_s.set_title("stochastic TD-linear, degree 1, $\\alpha_t = 0.5/(1 + t/200)$",
                   fontsize=9)
    ax_s.legend(fontsize=7)
    ax_s.grid(True, which="both", lw=0.3)
    conv.tight_layout()
    return {"value-function-approximation-fits": heat,
            "value-function-approximation-td-error": conv}
