"""Figures of attention/performer, computed with the page's own snippet functions."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from snippets.attention.linear_attention import linear_attention, softmax_attention
from snippets.attention.performer import (
    favor_attention,
    gaussian_omega,
    orthogonal_omega,
    positive_random_features,
    positive_variance,
    trig_negative_probability,
    trig_random_features,
    trig_variance,
)

D = 16  # dimension of the pairs and of the attention heads in these figures


def _pair(norm: float, angle_deg: float, d: int = D):
    """x, y of equal norm at the given angle, in the first two coordinates of R^d."""
    a = math.radians(angle_deg)
    x, y = np.zeros(d), np.zeros(d)
    x[0] = norm
    y[0], y[1] = norm * math.cos(a), norm * math.sin(a)
    return x, y


def _estimates(features, x, y, omega):
    return np.sum(features(x, omega) * features(y, omega), axis=-1)


def _box(ax, xy, w, h, text, colour):
    ax.add_patch(FancyBboxPatch(xy, w, h, boxstyle="round,pad=0.02", fc=colour,
                                ec="0.3", lw=1.0))
    ax.text(xy[0] + w / 2, xy[1] + h / 2, text, ha="center", va="center", fontsize=9)


def _arrow(ax, start, end):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="->", mutation_scale=12,
                                 color="0.2", lw=1.0))


def _concept_figure():
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.6),
                             gridspec_kw={"width_ratios": [1.15, 1.0]})
    ax = axes[0]
    _box(ax, (0.0, 0.68), 0.16, 0.16, "$q$", "#dbe9f6")
    _box(ax, (0.0, 0.16), 0.16, 0.16, "$k$", "#dbe9f6")
    _box(ax, (0.27, 0.38), 0.2, 0.24, r"$\omega_1,\dots,\omega_m$" "\n"
         r"$\sim \mathcal{N}(0, I_d)$", "#fde9c9")
    _box(ax, (0.56, 0.66), 0.2, 0.2, r"$\phi^+(q) \in \mathbb{R}^m_{>0}$", "#d9f0d3")
    _box(ax, (0.56, 0.14), 0.2, 0.2, r"$\phi^+(k) \in \mathbb{R}^m_{>0}$", "#d9f0d3")
    _box(ax, (0.84, 0.38), 0.16, 0.24, r"$\phi^+(q)^\top\phi^+(k)$", "#f3d9e9")
    _arrow(ax, (0.16, 0.76), (0.56, 0.76))
    _arrow(ax, (0.16, 0.24), (0.56, 0.24))
    _arrow(ax, (0.37, 0.62), (0.6, 0.66))
    _arrow(ax, (0.37, 0.38), (0.6, 0.34))
    _arrow(ax, (0.76, 0.76), (0.88, 0.62))
    _arrow(ax, (0.76, 0.24), (0.88, 0.38))
    ax.text(0.36, 0.9, r"$\phi^+_i(x) = e^{\omega_i^\top x - \|x\|^2/2}/\sqrt{m}$",
            ha="center", fontsize=9)
    ax.text(0.92, 0.2, r"mean over $\omega$" "\n" r"$= \exp(q^\top k)$", ha="center",
            fontsize=9)
    ax.set_xlim(-0.02, 1.04)
    ax.set_ylim(0.05, 1.0)
    ax.axis("off")
    ax.set_title("one kernel value as an average over random projections", fontsize=10)

    ax = axes[1]
    _box(ax, (0.0, 0.15), 0.12, 0.7, r"$\phi(Q)$" "\n" r"$n\times m$", "#d9f0d3")
    ax.text(0.17, 0.5, r"$\times$", ha="center", va="center", fontsize=12)
    _box(ax, (0.24, 0.42), 0.32, 0.16, r"$\phi(K)^\top V$:  $m\times d_v$", "#fde9c9")
    ax.text(0.61, 0.5, "=", ha="center", va="center", fontsize=12)
    _box(ax, (0.67, 0.15), 0.12, 0.7, "out\n" r"$n\times d_v$", "#dbe9f6")
    ax.text(0.4, 0.8, r"cost $O(n\,m\,d_v)$", ha="center", fontsize=9)
    ax.text(0.4, 0.22, r"the $n\times n$ matrix" "\n" r"$\exp(QK^\top/\sqrt{d})$ is never formed",
            ha="center", fontsize=9)
    _box(ax, (0.84, 0.42), 0.16, 0.16, "divide by\n" r"$\phi(Q)\phi(K)^\top 1$",
         "#f3d9e9")
    ax.set_xlim(-0.02, 1.04)
    ax.set_ylim(0.05, 1.0)
    ax.axis("off")
    ax.set_title("FAVOR+: multiply in the other order", fontsize=10)
    fig.tight_layout()
    return fig


def _variance_figure():
    """Empirical MSE against m, with Lemma 2's formulas, for two pairs."""
    rng = np.random.default_rng(0)
    ms = np.array([1, 2, 4, 8, 16, 32, 64])
    n_draws = 4000
    pairs = ((r"moderate kernel: $\|x\|=\|y\|=1$, angle 60°", _pair(1.0, 60)),
             (r"small kernel: $\|x\|=\|y\|=1.2$, angle 150°", _pair(1.2, 150)))
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.8))
    for ax, (title, (x, y)) in zip(axes, pairs):
        sm = math.exp(x @ y)
        for features, name, colour in ((positive_random_features, "positive", "C0"),
                                       (trig_random_features, "trigonometric", "C3")):
            for make, style, label in ((gaussian_omega, "o", "i.i.d."),
                                       (orthogonal_omega, "^", "orthogonal")):
                mse = [np.mean((_estimates(features, x, y,
                                           make(int(m), D, rng, batch=n_draws)) - sm) ** 2)
                       for m in ms]
                ax.plot(ms, np.array(mse) / sm**2, style, color=colour,
                        mfc="none" if label == "orthogonal" else colour, ms=5,
                        label=f"{name}, {label}")
            formula = positive_variance if name == "positive" else trig_variance
            fine = np.geomspace(1, 64, 50)
            ax.plot(fine, [formula(x, y, 1) / m / sm**2 for m in fine], "-", color=colour,
                    lw=1.0, label=f"{name}: Lemma 2")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("number of features m")
        ax.set_ylabel(r"relative MSE  $\mathrm{MSE}/\mathrm{SM}^2$")
        ax.set_title(f"{title}, SM = {sm:.3f}", fontsize=9)
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _negative_figure():
    """Where trigonometric features give negative estimates, and the MSE ratio."""
    rng = np.random.default_rng(1)
    angles = np.linspace(0, 180, 37)
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.8))
    ax = axes[0]
    norm = 1.2
    fine = np.linspace(0, 180, 181)
    ax.plot(fine, [trig_negative_probability(*_pair(norm, a)) for a in fine], "k-",
            lw=1.2, label="m = 1, series")
    for m, colour in ((1, "C3"), (4, "C1"), (16, "C2")):
        frac = []
        for a in angles:
            x, y = _pair(norm, a)
            omega = gaussian_omega(m, D, rng, batch=4000)
            frac.append(np.mean(_estimates(trig_random_features, x, y, omega) < 0))
        ax.plot(angles, frac, "o", color=colour, ms=4, mfc="none",
                label=f"trigonometric, m = {m}")
    ax.axhline(0, color="C0", lw=2, label="positive, any m")
    ax2 = ax.twinx()
    ax2.plot(fine, [math.exp(np.dot(*_pair(norm, a))) for a in fine], ":", color="0.5")
    ax2.set_yscale("log")
    ax2.set_ylabel(r"SM(x, y) (dotted)", color="0.4")
    ax.set_xlabel("angle between x and y (degrees)")
    ax.set_ylabel("fraction of negative estimates")
    ax.set_title(rf"$\|x\|=\|y\|={norm}$, 4000 draws per point", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)

    ax = axes[1]
    for norm, colour in ((0.5, "C0"), (1.0, "C1"), (1.5, "C2"), (2.0, "C3")):
        some = fine[1:171]                                         # 1 ... 170 degrees
        ratio = [trig_variance(*_pair(norm, a), 1) / positive_variance(*_pair(norm, a), 1)
                 for a in some]
        ax.plot(some, ratio, color=colour, label=rf"$\|x\|=\|y\|={norm}$")
    ax.axhline(1, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("angle between x and y (degrees)")
    ax.set_ylabel(r"$\mathrm{MSE}_\mathrm{trig} / \mathrm{MSE}_+$ (Lemma 2)")
    ax.set_title("above 1: positive features are more accurate", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def _attention_figure():
    """Error of FAVOR attention against exact softmax attention, as m grows, for queries
    and keys of two scales (near-uniform and peaked attention)."""
    n, reps = 256, 15
    ms = np.array([4, 8, 16, 32, 64, 128, 256])
    rng = np.random.default_rng(2)
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.9))
    for ax, scale in zip(axes, (0.5, 1.0)):
        gen = torch.Generator().manual_seed(0)
        q, k = (scale * torch.randn(n, D, generator=gen, dtype=torch.float64)
                for _ in range(2))
        v = torch.randn(n, D, generator=gen, dtype=torch.float64)
        exact = softmax_attention(q, k, v)

        def trig_attention(omega, q=q, k=k, v=v):
            def feature_map(x):
                scaled = x.numpy() * x.shape[-1] ** -0.25
                return torch.from_numpy(trig_random_features(scaled, omega))
            return linear_attention(q, k, v, feature_map)

        def positive_attention(omega, q=q, k=k, v=v):
            return favor_attention(q, k, v, omega)

        for name, run, colour in (("positive", positive_attention, "C0"),
                                  ("trigonometric", trig_attention, "C3")):
            for make, style, label in ((gaussian_omega, "o-", "i.i.d."),
                                       (orthogonal_omega, "^--", "orthogonal")):
                mse = np.array([[((run(make(int(m), D, rng)) - exact) ** 2).mean().item()
                                 for _ in range(reps)] for m in ms])
                ax.plot(ms, np.median(mse, axis=1), style, color=colour, ms=5,
                        mfc="none" if label == "orthogonal" else colour,
                        label=f"{name}, {label}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("number of features m")
        ax.set_ylabel("MSE of the attention output (median of 15)")
        ax.set_title(rf"n = {n}, d = {D}, entries of q, k ~ N(0, {scale}$^2$)", fontsize=9)
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"performer-concept": _concept_figure(),
            "performer-variance": _variance_figure(),
            "performer-negative": _negative_figure(),
            "performer-attention-error": _attention_figure()}
