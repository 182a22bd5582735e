"""Figures of algorithms/combination-sum, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.algorithms.combination_sum import (
    combination_sum,
    count_nodes,
    gf_combinations,
    gf_ordered,
    ordered_sequences,
)

CANDIDATES = [2, 3, 6, 7]
TARGET = 7
SOLVED, DUPLICATE, INNER, DEAD = "#2e7d32", "#c62828", "#1565c0", "#9e9e9e"


def _tree(values, rest, start, path, start_index):
    """The pruned search tree as nested dicts; `cut` lists the children pruning skips."""
    node = {"rest": rest, "path": path, "children": [], "cut": []}
    if rest == 0:
        return node
    for j in range(start if start_index else 0, len(values)):
        if values[j] > rest:
            node["cut"] = values[j:]
            break
        node["children"].append(
            _tree(values, rest - values[j], j, path + [values[j]], start_index))
    return node


def _layout(node, depth, next_x, out):
    """Leaves left to right in search order; a parent sits above the mean of its children."""
    if node["children"]:
        xs = [_layout(child, depth + 1, next_x, out) for child in node["children"]]
        x = float(np.mean(xs))
    else:
        x = next_x[0]
        next_x[0] += 1.0
    out.append((node, x, -depth))
    return x


def _draw(ax, root, title, solutions):
    placed: list = []
    _layout(root, 0, [0.0], placed)
    where = {id(node): (x, y) for node, x, y in placed}
    seen: set = set()
    for node, x, y in sorted(placed, key=lambda t: (-t[2], t[1])):
        for child in node["children"]:
            cx, cy = where[id(child)]
            ax.plot([x, cx], [y, cy], color="#555555", lw=1, zorder=1)
            ax.text((x + cx) / 2, (y + cy) / 2, f"+{child['path'][-1]}", fontsize=7,
                    ha="center", va="center", color="#333333",
                    bbox=dict(fc="white", ec="none", pad=0.5), zorder=2)
        if node["cut"]:
            ax.plot([x, x + 0.3], [y, y - 0.28], ls="--", color=DEAD, lw=1, zorder=1)
            ax.text(x + 0.32, y - 0.28, f"$c \\geq {node['cut'][0]}$", fontsize=6.5,
                    color=DEAD, ha="left", va="center")
        colour = INNER
        if node["rest"] == 0:
            key = tuple(sorted(node["path"]))
            colour = DUPLICATE if key in seen else SOLVED
            seen.add(key)
        ax.scatter([x], [y], s=330, color=colour, zorder=3)
        ax.text(x, y, str(node["rest"]), color="white", ha="center", va="center",
                fontsize=8, fontweight="bold", zorder=4)
        if node["rest"] == 0:
            ax.text(x, y - 0.3, "[" + ",".join(map(str, node["path"])) + "]", fontsize=7,
                    ha="center", va="top", color=colour)
    ax.set_title(title + f"\n{len(placed)} nodes, {solutions} leaves with rest 0", fontsize=9)
    ax.set_axis_off()
    xs = [x for _, x, _ in placed]
    ys = [y for _, _, y in placed]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 1.3)
    ax.set_ylim(min(ys) - 1.0, 0.5)


def figures() -> dict:
    values = sorted(CANDIDATES)
    tree, axes = plt.subplots(1, 2, figsize=(9.6, 4.2))
    free = _tree(values, TARGET, 0, [], start_index=False)
    ordered = _tree(values, TARGET, 0, [], start_index=True)
    _draw(axes[0], free, "no start index: every child tries every candidate",
          len(ordered_sequences(CANDIDATES, TARGET)))
    _draw(axes[1], ordered, "start index: children use c >= the last value",
          len(combination_sum(CANDIDATES, TARGET)))
    tree.text(0.5, 0.01, f"candidates {CANDIDATES}, target {TARGET}; node = rest of the "
              "target; green: a new combination, red: a repeat; grey: the children c > rest that pruning skips",
              ha="center", fontsize=8)

    counts, ax = plt.subplots(figsize=(6.4, 3.8))
    T = np.arange(0, 61)
    coeffs = np.array(gf_combinations(CANDIDATES, int(T[-1])), dtype=float)
    ax.semilogy(T, [count_nodes(CANDIDATES, int(t), prune=False) for t in T], "-",
                color=DEAD, label="nodes without pruning")
    ax.semilogy(T, [count_nodes(CANDIDATES, int(t)) for t in T], "-", color=INNER,
                label="nodes with pruning")
    ax.semilogy(T, np.cumsum(coeffs), "o", ms=2.5, color=INNER,
                label=r"$\Sigma_{n \leq T}\ [x^n]\ \Pi_c\ 1/(1-x^c)$")
    ax.semilogy(T, np.where(coeffs > 0, coeffs, np.nan), "s", ms=2.5, color=SOLVED,
                label=r"combinations $[x^T]\ \Pi_c\ 1/(1-x^c)$")
    ax.semilogy(T, np.array(gf_ordered(CANDIDATES, int(T[-1])), dtype=float), "^", ms=2.5,
                color=DUPLICATE, label=r"ordered sequences $[x^T]\ 1/(1-\Sigma_c\ x^c)$")
    ax.set_xlabel("target T")
    ax.set_ylabel("count")
    ax.set_title(f"candidates {CANDIDATES}", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", lw=0.3)
    return {"combination-sum-tree": tree, "combination-sum-nodes": counts}
