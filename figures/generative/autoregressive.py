"""Figures of generative/autoregressive, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.generative.autoregressive import (
    all_binary_vectors,
    ancestral_sample,
    bernoulli_log_prob,
    fvsbn_num_params,
    made_masks,
    nade_conditionals,
    nade_num_params,
)

N_MADE = 4  # inputs of the MADE diagram
DEGREES = [np.array([1, 2, 3, 1, 2, 3])]  # hidden degrees of the MADE diagram
N_SAMPLES = 20_000  # ancestral samples of the example


def _made_figure():
    masks = made_masks(N_MADE, DEGREES)
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.6), gridspec_kw={"width_ratios": [1.6, 1]})
    ax = axes[0]
    hidden = DEGREES[0]
    x_in = np.linspace(0, 5, N_MADE)
    x_hid = np.linspace(-0.25, 5.25, hidden.size)
    rows = {"in": 0.0, "hid": 1.0, "out": 2.0}
    for k, j in zip(*np.nonzero(masks[0])):
        ax.plot([x_in[j], x_hid[k]], [rows["in"], rows["hid"]], color="C0", lw=1, alpha=0.7)
    for i, k in zip(*np.nonzero(masks[1])):
        ax.plot([x_hid[k], x_in[i]], [rows["hid"], rows["out"]], color="C1", lw=1, alpha=0.7)
    for j in range(N_MADE):
        ax.plot(x_in[j], rows["in"], "o", ms=22, mfc="white", mec="k", zorder=3)
        ax.text(x_in[j], rows["in"], f"$x_{j + 1}$", ha="center", va="center", zorder=4)
        ax.text(x_in[j], rows["in"] - 0.3, f"{j + 1}", ha="center", va="center", fontsize=8,
                color="0.4")
        ax.plot(x_in[j], rows["out"], "o", ms=22, mfc="white", mec="k", zorder=3)
        ax.text(x_in[j], rows["out"], f"$p_{j + 1}$", ha="center", va="center", zorder=4)
    for k, m in enumerate(hidden):
        ax.plot(x_hid[k], rows["hid"], "o", ms=18, mfc="0.92", mec="k", zorder=3)
        ax.text(x_hid[k], rows["hid"], f"{m}", ha="center", va="center", zorder=4)
    ax.text(-0.9, rows["in"], "inputs\n(degree)", ha="right", va="center", fontsize=8)
    ax.text(-0.9, rows["hid"], "hidden\n$m(k)$", ha="right", va="center", fontsize=8)
    ax.text(-0.9, rows["out"], "outputs", ha="right", va="center", fontsize=8)
    ax.set_xlim(-2.2, 5.8)
    ax.set_ylim(-0.55, 2.35)
    ax.axis("off")
    ax.set_title("MADE: edge kept iff $m(k) \\geq j$ (blue), $i > m(k)$ (orange)",
                 fontsize=9)

    ax = axes[1]
    paths = masks[1] @ masks[0]
    ax.imshow(paths, cmap="Blues", vmin=0, vmax=paths.max() + 1)
    for i in range(N_MADE):
        for j in range(N_MADE):
            ax.text(j, i, f"{int(paths[i, j])}", ha="center", va="center", fontsize=10)
    ax.set_xticks(range(N_MADE), [f"$x_{j + 1}$" for j in range(N_MADE)])
    ax.set_yticks(range(N_MADE), [f"$p_{i + 1}$" for i in range(N_MADE)])
    ax.set_title("paths $x_j \\to p_i$: zero for $j \\geq i$", fontsize=9)
    fig.tight_layout()
    return fig


def _example_figure():
    rng = np.random.default_rng(1)  # the NADE of the page's example (the snippet's __main__)
    n, d = 4, 3
    W, c, V, b = (rng.normal(0, 1.5, (d, n)), rng.normal(0, 1, d), rng.normal(0, 1.5, (n, d)),
                  rng.normal(0, 1, n))
    X = all_binary_vectors(n)
    px = np.exp(bernoulli_log_prob(X, nade_conditionals(X, W, c, V, b)))
    S = ancestral_sample(lambda z: nade_conditionals(z, W, c, V, b), n, N_SAMPLES, rng)
    freq = np.bincount(S.astype(int) @ np.array([8, 4, 2, 1]), minlength=16) / N_SAMPLES
    se = np.sqrt(px * (1 - px) / N_SAMPLES)

    fig, axes = plt.subplots(1, 2, figsize=(8.8, 3.5))
    ax = axes[0]
    idx = np.arange(16)
    ax.bar(idx, px, color="C0", alpha=0.6, label="exact $p(x)$ (NADE, $n = 4$, $d = 3$)")
    ax.errorbar(idx, freq, yerr=2 * se, fmt="k.", ms=4, capsize=2,
                label=f"{N_SAMPLES:,} ancestral samples $\\pm 2$ SE")
    ax.set_xticks(idx, ["".join(str(int(v)) for v in x) for x in X], rotation=90,
                  fontsize=7)
    ax.set_xlabel("$x = x_1 x_2 x_3 x_4$")
    ax.set_ylabel("probability")
    ax.legend(fontsize=7)
    ax.set_title("sampling one coordinate at a time reproduces $p(x)$", fontsize=9)

    ax = axes[1]
    ns = np.arange(2, 801)
    d = 50
    ax.loglog(ns, [fvsbn_num_params(int(m)) for m in ns], lw=1.6,
              label="FVSBN $n(n+1)/2$")
    ax.loglog(ns, [nade_num_params(int(m), d)[1] for m in ns], lw=1.6,
              label=f"NADE $2nd + n$, $d = {d}$")
    full = ns[ns <= 40]
    ax.loglog(full, 2.0**full - 1, "--", color="0.4", lw=1.2, label="full table $2^n - 1$")
    cross = 4 * d + 1
    ax.axvline(cross, color="k", lw=0.7, ls=":")
    ax.text(cross * 0.92, 20, f"$n = 4d + 1 = {cross}$", fontsize=8, ha="right")
    ax.set_ylim(1, 1e8)
    ax.set_xlabel("dimension $n$")
    ax.set_ylabel("parameters")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("parameter counts", fontsize=9)
    ax.grid(True, which="major", lw=0.3)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"autoregressive-made": _made_figure(),
            "autoregressive-example": _example_figure()}
