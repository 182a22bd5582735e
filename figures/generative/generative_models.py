"""Figures of generative/generative-models, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.generative.generative_models import (
    TOY_DATA,
    TOY_MIXTURE,
    empirical_distribution,
    gaussian_kls,
    kl_divergence,
    log_likelihood,
    mixture_moments,
    reverse_kl_fit,
)

GRID = np.linspace(-8, 8, 801)


def _box(ax, xy, text, colour):
    ax.text(*xy, text, ha="center", va="center", fontsize=9,
            bbox={"boxstyle": "round,pad=0.5", "fc": colour, "ec": "0.3"})


def _arrow(ax, start, end, label="", dx=0.0, dy=0.06):
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": "0.3"})
    if label:
        ax.text((start[0] + end[0]) / 2 + dx, (start[1] + end[1]) / 2 + dy, label, ha="center",
                fontsize=8, color="0.25")


def _concept_figure():
    fig = plt.figure(figsize=(8.4, 3.6))
    ax = fig.add_axes([0.0, 0.0, 0.62, 1.0])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    _box(ax, (0.12, 0.8), "$p_{data}$\n(unknown)", "#f4cccc")
    _box(ax, (0.12, 0.35), "data set $D$\n$x_1, \\dots, x_N$", "#fce5cd")
    _box(ax, (0.55, 0.35), "$\\max_\\theta \\frac{1}{N}\\sum_i \\log p_\\theta(x_i)$\n"
         "$\\Leftrightarrow \\min_\\theta KL(\\hat p_{data} \\Vert p_\\theta)$", "#d9ead3")
    _box(ax, (0.55, 0.8), "model $p_\\theta$", "#cfe2f3")
    _arrow(ax, (0.12, 0.7), (0.12, 0.47), "i.i.d. draws", dx=0.1, dy=0.0)
    _arrow(ax, (0.22, 0.35), (0.36, 0.35))
    _arrow(ax, (0.55, 0.46), (0.55, 0.7), "fit $\\theta$", dx=0.06, dy=0.0)
    _arrow(ax, (0.5, 0.8), (0.24, 0.8), "close in $d$ ?")
    for y, text in ((0.9, "density: $p_\\theta(x)$"), (0.66, "sampling: $x \\sim p_\\theta$"),
                    (0.42, "representation:\nfeatures")):
        _box(ax, (0.88, y), text, "white")
        ax.annotate("", xy=(0.76, y), xytext=(0.64, 0.8),
                    arrowprops={"arrowstyle": "->", "color": "0.5"})
    ax2 = fig.add_axes([0.68, 0.36, 0.3, 0.54])
    p_hat = empirical_distribution(TOY_DATA, 3)
    candidates = {"uniform": np.full(3, 1 / 3), "(0.6,0.2,0.2)": np.array([0.6, 0.2, 0.2]),
                  "$\\hat p_{data}$": p_hat}
    for i, (name, q) in enumerate(candidates.items()):
        ax2.bar(np.arange(3) + (i - 1) * 0.27, q, width=0.27,
                label=f"{name}: l = {log_likelihood(q, TOY_DATA):.3f}, "
                      f"KL = {kl_divergence(p_hat, q):.3f}")
    ax2.set_xticks(range(3))
    ax2.set_xlabel("outcome x")
    ax2.set_ylim(0, 0.7)
    ax2.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    ax2.set_title("toy: 10 draws, three models", fontsize=9)
    return fig


def _mixture_density(x):
    c, m, s = TOY_MIXTURE
    return sum(ci * np.exp(-0.5 * ((x - mi) / si) ** 2) / (si * np.sqrt(2 * np.pi))
               for ci, mi, si in zip(c, m, s))


def _kl_figure():
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.4))
    ax = axes[0]
    x = np.linspace(-6, 6, 601)
    mu_f, sigma_f = mixture_moments(*TOY_MIXTURE)
    mu_r, sigma_r = reverse_kl_fit(*TOY_MIXTURE, np.linspace(-3, 3, 13),
                                   np.linspace(0.3, 1.2, 10), GRID)
    ax.fill_between(x, _mixture_density(x), color="0.8", label="target $p$ (two modes)")
    for mu, sigma, name, colour in ((mu_f, sigma_f, "forward $KL(p \\Vert q)$", "C0"),
                                    (mu_r, sigma_r, "reverse $KL(q \\Vert p)$", "C3")):
        q = np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
        ax.plot(x, q, color=colour, lw=1.8,
                label=f"{name}: $\\mu$ = {mu:.2f}, $\\sigma$ = {sigma:.2f}")
    ax.set_xlabel("x")
    ax.set_ylim(0, 0.78)
    ax.legend(fontsize=7.5, loc="upper left")
    ax.set_title("best single Gaussian under each KL", fontsize=9)

    ax = axes[1]
    mus = np.linspace(-3.5, 3.5, 141)
    fwd, rev = np.array([gaussian_kls(mu, 0.6, *TOY_MIXTURE, GRID) for mu in mus]).T
    ax.plot(mus, fwd, color="C0", label="forward $KL(p \\Vert q)$")
    ax.plot(mus, rev, color="C3", label="reverse $KL(q \\Vert p)$")
    ax.set_ylim(0, 10)
    ax.set_xlabel("$\\mu$ of $q = N(\\mu, 0.6^2)$")
    ax.legend(fontsize=8, loc="upper center")
    ax.set_title("one minimum vs two local minima ($\\sigma$ = 0.6)", fontsize=9)
    fig.tight_layout()
    return fig


def figures():
    return {"generative-models-concept": _concept_figure(),
            "generative-models-forward-reverse-kl": _kl_figure()}
