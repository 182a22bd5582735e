"""Figures of algorithms/maximum-gap, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from snippets.algorithms.maximum_gap import (
    bucket_count,
    bucket_extremes,
    bucket_width,
    maximum_gap,
)

EXAMPLE = [12, 3, 30, 7, 1, 26, 9, 28]  # the page's worked example


def _buckets_figure():
    nums = EXAMPLE
    lo, hi, n = min(nums), max(nums), len(nums)
    w = bucket_width(lo, hi, n)
    extremes = bucket_extremes(nums)
    fig, ax = plt.subplots(figsize=(8.0, 2.9))
    for k, e in enumerate(extremes):
        start = lo + k * w
        empty = e is None
        ax.add_patch(Rectangle((start - 0.5, -0.45), w, 0.9,
                               fc="#eeeeee" if empty else "#dce9f7", ec="#555555",
                               hatch="//" if empty else None, lw=1))
        label = f"bucket {k}\n[{start}, {start + w})" + ("\nempty" if empty else "")
        ax.text(start - 0.5 + w / 2, 0.62, label, ha="center", va="bottom", fontsize=8)
    ax.scatter(nums, np.zeros(n), s=36, color="#1f4e99", zorder=3)
    for x in nums:
        ax.text(x, -0.62, str(x), ha="center", va="top", fontsize=8)
    # the maximum gap: from the max of one non-empty bucket to the min of the next one
    filled = [e for e in extremes if e is not None]
    a, b = max(zip(filled, filled[1:]), key=lambda p: p[1][0] - p[0][1])
    gap_from, gap_to = a[1], b[0]
    ax.annotate("", xy=(gap_to, -1.25), xytext=(gap_from, -1.25),
                arrowprops=dict(arrowstyle="<->", color="#c0392b", lw=1.6))
    ax.text((gap_from + gap_to) / 2, -1.4,
            f"maximum gap {maximum_gap(nums)} = {gap_to} - {gap_from}",
            ha="center", va="top", color="#c0392b", fontsize=9)
    ax.text(lo - 0.5, -1.95,
            f"n = {n}, $\\ell$ = ceil(({hi} - {lo}) / ({n} - 1)) = {w}: inside a bucket two "
            f"numbers differ by at most $\\ell$ - 1 = {w - 1}", fontsize=8, va="top")
    ax.set_xlim(lo - 1.5, lo + bucket_count(lo, hi, w) * w + 0.5)
    ax.set_ylim(-2.35, 1.5)
    ax.axis("off")
    return fig


def _random_arrays(rng, count):
    kinds = ("uniform", "clustered", "heavy tail")
    for i in range(count):
        n = int(rng.integers(3, 60))
        kind = kinds[i % 3]
        if kind == "uniform":
            x = rng.integers(0, 10**int(rng.integers(1, 7)), size=n)
        elif kind == "clustered":
            centres = rng.integers(0, 10**5, size=3)
            x = centres[rng.integers(0, 3, size=n)] + rng.integers(0, 50, size=n)
        else:
            x = np.floor(rng.pareto(1.0, size=n) * 100)
        yield kind, [int(v) for v in x]


def _bound_figure():
    rng = np.random.default_rng(0)
    rows = {"uniform": [], "clustered": [], "heavy tail": []}
    for kind, nums in _random_arrays(rng, 240):
        if max(nums) == min(nums):
            continue
        w = bucket_width(min(nums), max(nums), len(nums))
        spread = max(b - a for a, b in (e for e in bucket_extremes(nums) if e is not None))
        rows[kind].append((maximum_gap(nums) / w, spread / w))
    fig, ax = plt.subplots(figsize=(6.6, 3.8))
    for (kind, pts), colour in zip(rows.items(), ("#1f77b4", "#2ca02c", "#9467bd")):
        pts = np.array(pts)
        ax.scatter(pts[:, 0], pts[:, 1], s=12, color=colour, alpha=0.75, label=kind)
    ax.axhline(1.0, color="k", lw=1, ls="--")
    ax.axvline(1.0, color="k", lw=1, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("maximum gap / $\\ell$   ($\\ell$ = ceil((max - min) / (n - 1)))")
    ax.set_ylabel("largest spread inside a bucket / $\\ell$")
    ax.set_ylim(-0.05, 1.2)
    ax.text(1.05, 0.5, "x = 1: the\npigeonhole\nbound", fontsize=8)
    ax.text(0.98, 0.95, "every point: x >= 1 and y <= ($\\ell$ - 1) / $\\ell$ < 1", fontsize=8,
            ha="right", transform=ax.transAxes)
    ax.legend(fontsize=8, loc="center right")
    ax.grid(True, lw=0.3)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"maximum-gap-buckets": _buckets_figure(), "maximum-gap-bound": _bound_figure()}
