"""Figures of math-optim/random-walk, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.math_optim.random_walk import (
    first_return_probability,
    first_return_times,
    mean_abs_asymptotic,
    mean_abs_position,
    no_return_probability,
    position_distribution,
    return_probability,
    return_probability_asymptotic,
    simulate_walks,
)

N_PATH = 24  # length of the paths in the concept diagram
N_DIST = 20  # steps of the distribution panel
N_WALKS = 20_000  # simulated walks of the distribution and tail panels


def _paths_figure():
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    n = np.arange(N_PATH + 1)
    for k in range(-N_PATH, N_PATH + 1):
        reach = (np.abs(k) <= n) & ((n + k) % 2 == 0)
        ax.plot(n[reach], np.full(reach.sum(), k), ".", color="0.8", ms=3, zorder=1)
    ax.plot(n, n, ":", color="0.6", lw=0.8)
    ax.plot(n, -n, ":", color="0.6", lw=0.8)
    paths = simulate_walks(N_PATH, 3, np.random.default_rng(7))
    T = first_return_times(paths)
    for path, t, colour in zip(paths, T, ("C0", "C1", "C2")):
        ax.plot(n, path, "-o", color=colour, ms=2.5, lw=1.4, zorder=2)
        if t:
            ax.plot([t], [0], "o", ms=10, mfc="none", mec=colour, mew=1.8, zorder=3)
            ax.annotate(f"T = {t}", (t, 0), xytext=(t - 1.2, -3.2 - (t % 3)), color=colour,
                        fontsize=9)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlim(-0.5, N_PATH + 0.5)
    ax.set_ylim(-9, 9)
    ax.set_xlabel("step n")
    ax.set_ylabel("position $W_n$")
    ax.set_title("three walks; grey dots: reachable $(n, k)$, $n + k$ even, $|k| \\leq n$; "
                 "circles: first return", fontsize=9)
    return fig


def _distribution_figure():
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.4))
    ax = axes[0]
    k = np.arange(-N_DIST, N_DIST + 1)
    p = position_distribution(N_DIST)
    end = simulate_walks(N_DIST, N_WALKS, np.random.default_rng(11))[:, N_DIST]
    freq = np.bincount(end + N_DIST, minlength=2 * N_DIST + 1) / N_WALKS
    ax.bar(k, p, width=1.2, color="C0", alpha=0.6, label="$P(W_{20} = k)$, exact")
    ax.plot(k[p > 0], freq[p > 0], "k.", ms=5, label=f"{N_WALKS:,} simulated walks")
    ax.set_xlim(-14, 14)
    ax.set_ylim(0, 0.24)  # room for the legend above the bars
    ax.set_xlabel("position k")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("distribution after 20 steps", fontsize=9)

    ax = axes[1]
    steps = np.arange(1, 21)
    ax.bar(steps - 0.2, [return_probability(int(s)) for s in steps], width=0.4,
           label="$u_n = P(W_n = 0)$")
    ax.bar(steps + 0.2, [first_return_probability(int(s)) for s in steps], width=0.4,
           label="$f_n$ = P(first return at n)")
    ax.set_xticks(steps[1::2])
    ax.set_xlabel("step n")
    ax.legend(fontsize=8)
    ax.set_title("returns and first returns (odd n: both 0)", fontsize=9)
    fig.tight_layout()
    return fig


def _asymptotics_figure():
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.4))
    ax = axes[0]
    n = np.unique(np.round(np.logspace(0.31, 4, 60)).astype(int) // 2 * 2)
    ratio_u = [return_probability(int(m)) / return_probability_asymptotic(int(m)) for m in n]
    ratio_abs = [mean_abs_position(int(m)) / mean_abs_asymptotic(int(m)) for m in n]
    odd = n + 1
    ratio_odd = [mean_abs_position(int(m)) / mean_abs_asymptotic(int(m)) for m in odd]
    ax.semilogx(n, ratio_u, "o", ms=3, label="$u_n / \\sqrt{2/(\\pi n)}$, n even")
    ax.semilogx(odd, ratio_odd, "s", ms=3, mfc="none",
                label="$E|W_n| / \\sqrt{2n/\\pi}$, n odd")
    ax.semilogx(n, ratio_abs, "x", ms=3, color="C0")
    ax.axhline(1, color="k", lw=0.8)
    ax.set_xlabel("step n")
    ax.set_title("ratios to the asymptotic forms (n even: the two coincide)", fontsize=9)
    ax.legend(fontsize=8)

    ax = axes[1]
    steps = np.unique(np.round(np.logspace(0.31, 3.3, 40)).astype(int) // 2 * 2)
    tail = [no_return_probability(int(s)) for s in steps]
    T = first_return_times(simulate_walks(200, N_WALKS, np.random.default_rng(12)))
    mc_steps = np.arange(2, 201, 2)
    mc_tail = [np.mean((T == 0) | (T > s)) for s in mc_steps]
    ax.loglog(steps, tail, "o-", ms=3, lw=1.5, label="$P(T > n) = 1 - \\sum_{j \\leq n} f_j$")
    ax.loglog(steps, [return_probability_asymptotic(int(s)) for s in steps], "--", lw=1,
              color="k", label="bound $\\sqrt{2/(\\pi n)}$")
    ax.loglog(mc_steps[::4], np.array(mc_tail)[::4], "k.", ms=4,
              label=f"{N_WALKS:,} simulated walks")
    ax.set_xlabel("step n")
    ax.set_title("the walk returns with probability 1, slowly", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", lw=0.3)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"random-walk-paths": _paths_figure(),
            "random-walk-distribution": _distribution_figure(),
            "random-walk-asymptotics": _asymptotics_figure()}
