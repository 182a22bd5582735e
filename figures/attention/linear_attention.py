"""Figures of attention/linear-attention: the order of multiplication drawn to scale, the
sparse masks, and the measured timings (from the benchmark's committed JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from snippets.attention.linear_attention import (
    linear_attention_macs,
    softmax_attention_macs,
    strided_masks,
)

DATA = ("benchmarks/results/attention_complexity.json",)
ROOT = Path(__file__).resolve().parent.parent.parent
N, D = 16, 4  # the concept diagram: n = 16 tokens, d = 4 dimensions, one cell per entry


def _matrix(ax, x, y, rows, cols, colour, label, big=False):
    """A rows×cols matrix with its top-left corner at (x, y), one unit per entry."""
    ax.add_patch(Rectangle((x, y - rows), cols, rows, facecolor=colour,
                           edgecolor="k", lw=1.2 if big else 0.8, alpha=0.85))
    ax.text(x + cols / 2, y + 0.6, label, ha="center", va="bottom", fontsize=9)
    return x + cols


def _concept_figure():
    fig, axes = plt.subplots(2, 1, figsize=(8.6, 6.2))
    blue, orange, green, red, grey = "#9ecae1", "#fdae6b", "#a1d99b", "#fb6a4a", "#d9d9d9"
    ax = axes[0]
    x = _matrix(ax, 0, 0, N, D, blue, "$Q$")
    x = _matrix(ax, x + 1, 0, D, N, orange, r"$K^\top$")
    ax.text(x + 1.3, -N / 2, "=", fontsize=14, va="center")
    x = _matrix(ax, x + 3, 0, N, N, red, r"$QK^\top$: $n \times n$", big=True)
    ax.text(x + 1.0, -N / 2, r"$\times$", fontsize=14, va="center")
    x = _matrix(ax, x + 2.5, 0, N, D, green, "$V$")
    ax.text(x + 1.3, -N / 2, "=", fontsize=14, va="center")
    _matrix(ax, x + 3, 0, N, D, grey, "out")
    ax.set_title(r"$(QK^\top)V$: $n^2 d + n^2 d_v$ multiply-adds, an $n \times n$ "
                 f"matrix in memory (n = {N}, d = {D})", fontsize=10)
    ax = axes[1]
    x = _matrix(ax, 0, 0, D, N, orange, r"$\phi(K)^\top$")
    x = _matrix(ax, x + 1, 0, N, D, green, "$V$")
    ax.text(x + 1.3, -N / 2, "=", fontsize=14, va="center")
    x = _matrix(ax, x + 3, 0, D, D, red, r"$\phi(K)^\top V$: $r \times d_v$", big=True)
    ax.text(x + 1.0, -N / 2, r"$\to$", fontsize=14, va="center")
    x = _matrix(ax, x + 3, 0, N, D, blue, r"$\phi(Q)$")
    ax.text(x + 1.0, -N / 2, r"$\times$", fontsize=14, va="center")
    x = _matrix(ax, x + 2.5, 0, D, D, red, r"$\phi(K)^\top V$")
    ax.text(x + 1.3, -N / 2, "=", fontsize=14, va="center")
    _matrix(ax, x + 3, 0, N, D, grey, "out")
    ax.set_title(r"$\phi(Q)(\phi(K)^\top V)$: $2 n r d_v$ multiply-adds, an $r \times d_v$ "
                 "matrix in memory", fontsize=10)
    for ax in axes:
        ax.set_xlim(-0.5, 54.5)
        ax.set_ylim(-N - 0.8, 2.6)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.tight_layout()
    return fig


def _masks_figure():
    n, stride = 16, 4
    local, strided = strided_masks(n, stride)
    full = np.tril(np.ones((n, n), dtype=bool))
    panels = ((full, "full causal"), (local.numpy(), rf"local head: $0 \leq i - j \leq l = {stride}$"),
              (strided.numpy(), rf"strided head: $(i - j)\ \mathrm{{mod}}\ {stride} = 0$"),
              ((local | strided).numpy(), "both heads"))
    fig, axes = plt.subplots(1, 4, figsize=(9.6, 2.9))
    for ax, (mask, title) in zip(axes, panels):
        ax.imshow(mask, cmap="Blues", vmin=0, vmax=1.3)
        ax.set_title(f"{title}\n{int(mask.sum())} pairs", fontsize=8.5)
        ax.set_xticks([0, n - 1])
        ax.set_yticks([0, n - 1])
        ax.set_xlabel("key j", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("query i", fontsize=8)
    fig.tight_layout()
    return fig


def _timing_figure():
    data = json.loads((ROOT / DATA[0]).read_text())
    ns = np.array(data["lengths"], dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.9))
    styles = {"softmax": "C3o-", "linear (elu+1)": "C0s-", "FAVOR+": "C2^-"}
    for name, row in data["methods"].items():
        t = np.array([np.nan if x is None else x for x in row["cpu_s"]], dtype=float)
        b = row["time_exponent"]
        label = name if b is None else f"{name}: slope {b:.2f}"
        axes[0].loglog(ns, t * 1e3, styles[name], ms=4, lw=1.2, label=label)
        mem = np.array([np.nan if x is None else x for x in row["peak_bytes_measured"]],
                       dtype=float)
        axes[1].loglog(ns, mem / 2**20, styles[name], ms=4, lw=1.2, label=f"{name} (measured)")
        axes[1].loglog(ns, np.array(row["peak_bytes_analytic"], dtype=float) / 2**20,
                       styles[name][:2] + ":", lw=1.0)
    d = data["settings"]["d"]
    fit_from = data["settings"]["fit_from"]
    # guide lines: multiply-add counts, scaled to meet the measured curve at the largest n
    soft = np.array(data["methods"]["softmax"]["cpu_s"], dtype=object)
    last = max(i for i, x in enumerate(soft) if x is not None)
    macs_s = np.array([softmax_attention_macs(int(n), d, d) for n in ns], dtype=float)
    macs_l = np.array([linear_attention_macs(int(n), d, d) for n in ns], dtype=float)
    axes[0].loglog(ns, macs_s / macs_s[last] * soft[last] * 1e3, "k--", lw=0.8,
                   label=r"$\propto n^2(d+d_v)$ multiply-adds")
    lin_last = data["methods"]["linear (elu+1)"]["cpu_s"][-1]
    axes[0].loglog(ns, macs_l / macs_l[-1] * lin_last * 1e3, "k:", lw=0.8,
                   label=r"$\propto 2nrd_v + nr$ multiply-adds")
    axes[0].axvspan(ns[0], fit_from, color="0.92", lw=0)
    axes[0].set_ylabel("CPU time per call (ms)")
    axes[1].set_ylabel("peak bytes held by torch (MiB)")
    axes[0].set_title("time (shaded: not used in the fit)", fontsize=9)
    axes[1].set_title("memory: measured (solid), analytic (dotted)", fontsize=9)
    for ax in axes:
        ax.set_xlabel("sequence length n")
        ax.legend(fontsize=7)
        ax.tick_params(labelsize=8)
    m = data["machine"]
    prelim = "  [PRELIMINARY: quick run on a shared machine]" if data.get("preliminary") else ""
    fig.suptitle(f"{m['cpu']}, {m['cores']} cores, torch {m['torch']}, {m['threads']} "
                 f"thread; one head, d = d_v = {d}, float32, FAVOR+ with "
                 f"{data['settings']['m']} random features{prelim}", fontsize=8.5)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"linear-attention-concept": _concept_figure(),
            "linear-attention-masks": _masks_figure(),
            "linear-attention-timing": _timing_figure()}
