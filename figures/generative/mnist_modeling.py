"""Figures of generative/mnist-modeling, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch

from snippets.generative.mnist_modeling import (
    fit_logistic_regression,
    fit_naive_bayes,
    load_binary_digits,
    sample_naive_bayes,
    train_test_split,
)

SIZES = [20, 40, 80, 160, 320, 640, 1200]  # training-set sizes of the learning curve
N_REPEATS = 5  # random subsets per size


def _node(ax, xy, label, fill="white"):
    ax.add_patch(Circle(xy, 0.28, fc=fill, ec="k", lw=1.2, zorder=2))
    ax.text(*xy, label, ha="center", va="center", fontsize=10, zorder=3)


def _arrow(ax, a, b, rad=0.0, colour="0.25"):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=10, lw=1.0,
                                 color=colour, shrinkA=12, shrinkB=12,
                                 connectionstyle=f"arc3,rad={rad}", zorder=1))


def _structures_figure():
    fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.3))
    xs = [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (3.0, 0.0)]
    labels = ["$x_1$", "$x_2$", "$x_3$", "$x_4$"]
    titles = ["full joint / chain rule", "a Bayesian network", "naive Bayes"]
    counts = ["$2^n - 1 = 15$", "$\\sum_i 2^{|\\mathrm{pa}(i)|} = 1+2+2+4 = 9$",
              "$(K-1) + Kn$ ($K=2$: $1 + 8 = 9$)"]
    for ax, title, count in zip(axes, titles, counts):
        ax.set_xlim(-0.6, 3.6)
        ax.set_ylim(-1.5, 1.6)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title, fontsize=10)
        ax.text(1.5, -1.3, count, ha="center", fontsize=9)
    ax = axes[0]
    for i in range(4):
        for j in range(i + 1, 4):
            _arrow(ax, xs[i], xs[j], rad=-0.45 * (j - i - 1) if j > i + 1 else 0.0)
    for xy, lab in zip(xs, labels):
        _node(ax, xy, lab)
    ax = axes[1]  # x2 <- x1, x3 <- x1, x4 <- (x2, x3)
    for a, b, rad in [(0, 1, 0.0), (0, 2, -0.45), (1, 3, -0.45), (2, 3, 0.0)]:
        _arrow(ax, xs[a], xs[b], rad=rad)
    for xy, lab in zip(xs, labels):
        _node(ax, xy, lab)
    ax = axes[2]
    top = (1.5, 1.15)
    for xy in xs:
        _arrow(ax, top, xy)
    _node(ax, top, "$y$", fill="#ffe0b0")
    for xy, lab in zip(xs, labels):
        _node(ax, xy, lab)
    fig.tight_layout()
    return fig


def _samples_figure():
    X, y = load_binary_digits()
    train, test = train_test_split(len(y), 597, np.random.default_rng(0))
    prior, mu = fit_naive_bayes(X[train], y[train], 10, pseudo_count=1.0)
    fig, axes = plt.subplots(4, 10, figsize=(8.0, 3.6))
    # ancestral sampling from the fitted joint: y ~ pi, then x | y; two samples per digit
    Xs, ys = sample_naive_bayes(prior, mu, 400, np.random.default_rng(1))
    for k in range(10):
        real = X[train][y[train] == k][0]
        axes[0, k].imshow(real.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[1, k].imshow(mu[k].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        first_two = Xs[ys == k][:2]
        axes[2, k].imshow(first_two[0].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[3, k].imshow(first_two[1].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[0, k].set_title(f"y = {k}", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    for r, label in enumerate(["data", "$\\mu_{k}$", "sample", "sample"]):
        axes[r, 0].set_ylabel(label, fontsize=9)
    fig.tight_layout(h_pad=0.3, w_pad=0.3)
    return fig


def _learning_curve_figure():
    X, y = load_binary_digits()
    train, test = train_test_split(len(y), 597, np.random.default_rng(0))
    rng = np.random.default_rng(2)
    acc = {"naive Bayes": [], "logistic regression": []}
    for size in SIZES:
        runs = {key: [] for key in acc}
        for _ in range(N_REPEATS if size < len(train) else 1):
            while True:  # a subset in which every digit occurs
                sub = rng.choice(train, size=size, replace=False)
                if len(np.unique(y[sub])) == 10:
                    break
            prior, mu = fit_naive_bayes(X[sub], y[sub], 10, pseudo_count=1.0)
            Z = X[test] @ np.log(mu).T + (1 - X[test]) @ np.log(1 - mu).T + np.log(prior)
            runs["naive Bayes"].append(np.mean(Z.argmax(axis=1) == y[test]))
            W, b = fit_logistic_regression(X[sub], y[sub])
            runs["logistic regression"].append(np.mean((X[test] @ W.T + b).argmax(1) == y[test]))
        for key in acc:
            acc[key].append(np.mean(runs[key]))
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    for (key, values), marker in zip(acc.items(), "os"):
        ax.semilogx(SIZES, values, marker + "-", label=key)
    ax.set_xlabel("training images $N$")
    ax.set_ylabel("test accuracy (597 images)")
    ax.set_title("generative vs discriminative: accuracy against training-set size",
                 fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", lw=0.3)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"mnist-modeling-structures": _structures_figure(),
            "mnist-modeling-samples": _samples_figure(),
            "mnist-modeling-learning-curve": _learning_curve_figure()}
