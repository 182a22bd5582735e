"""Figures of generative/self-supervised, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.generative.self_supervised import (
    critic_matrix,
    gaussian_mi,
    in_batch_scores,
    infonce_bound,
    infonce_loss,
    sample_gaussian_pairs,
)

TOY = np.array([[3.0, 1.0, 0.0, 0.0], [1.0, 2.0, 0.0, 1.0],
                [0.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 3.0]])  # the page's toy critic
NS = (2, 4, 8, 16, 32, 64, 128)  # batch sizes of the bound figure
BATCHES = 100  # batches per N (200 for the small N)
KINDS = (("optimal", "C0", "optimal $\\log p(y|x)/p(y)$"),
         ("bilinear", "C1", "bilinear $\\rho\\, x^\\top y/(1-\\rho^2)$"),
         ("cosine", "C2", "cosine $\\cos(x, y)$"))


def _concept_figure():
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.0))
    ax = axes[0]
    ax.imshow(TOY, cmap="Blues", vmin=-1, vmax=4)
    for i in range(4):
        for j in range(4):
            ax.text(j, i, f"{TOY[i, j]:.0f}", ha="center", va="center",
                    color="white" if i == j else "black", fontsize=11)
        ax.add_patch(plt.Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, ec="C3", lw=2))
    ax.set_xticks(range(4), [f"$y_{j + 1}$" for j in range(4)])
    ax.set_yticks(range(4), [f"$x_{i + 1}$" for i in range(4)])
    ax.set_title("critic $f(x_i, y_j)$; red: positive pairs", fontsize=10)
    ax = axes[1]
    p = np.exp(-infonce_loss(in_batch_scores(TOY)))  # softmax probability of the positive
    rows = np.exp(TOY) / np.exp(TOY).sum(axis=1, keepdims=True)
    left = np.zeros(4)
    for j in range(4):
        ax.barh(np.arange(4), rows[:, j], left=left, color=f"C{j}", alpha=0.3, ec="white",
                label=f"$y_{j + 1}$")
        # the positive's segment (row j, column j) in full colour
        ax.barh([j], rows[j, j], left=left[j], color=f"C{j}", ec="C3", lw=1.5)
        left += rows[:, j]
    for i in range(4):
        ax.text(1.02, i, f"$P(y_{i + 1})$ = {p[i]:.2f}", va="center", fontsize=9)
    ax.set_yticks(range(4), [f"$x_{i + 1}$" for i in range(4)])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.35)
    ax.set_xlabel("softmax over $y_1, \\dots, y_4$ (left to right); framed: the partner")
    ax.set_title("InfoNCE = cross-entropy of a 4-way classification", fontsize=10)
    fig.tight_layout()
    return fig


def _bound_panel(ax, rho, d, seed):
    rng = np.random.default_rng(seed)
    mi = gaussian_mi(rho, d)
    for kind, colour, label in KINDS:
        means, ses = [], []
        for n in NS:
            x, y = sample_gaussian_pairs(BATCHES * (2 if n < 16 else 1), n, d, rho, rng)
            est = infonce_bound(critic_matrix(x, y, rho, kind))
            means.append(est.mean())
            ses.append(est.std(ddof=1) / np.sqrt(est.size))
        ax.errorbar(NS, means, yerr=2 * np.array(ses), fmt="-o", ms=3.5, color=colour,
                    capsize=2, label=label)
    ax.axhline(mi, color="k", lw=1.2, label=f"true $I(X;Y)$ = {mi:.2f}")
    ax.plot(NS, np.log(NS), "k:", lw=1, label="$\\log N$")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size $N$")
    ax.set_ylabel("$\\log N - \\mathcal{L}_{\\mathrm{InfoNCE}}$ (nats)")
    ax.set_title(f"$\\rho$ = {rho}, $d$ = {d}", fontsize=10)


def _bound_figure():
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.8))
    _bound_panel(axes[0], 0.8, 2, 0)
    axes[0].set_ylim(-1.5, 2.5)
    _bound_panel(axes[1], 0.95, 5, 1)
    axes[1].set_ylim(-3, 6.5)
    for ax in axes:
        ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def figures():
    return {"self-supervised-infonce-toy": _concept_figure(),
            "self-supervised-bound": _bound_figure()}
