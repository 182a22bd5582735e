"""Figures of attention/transnormer, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import FancyBboxPatch

from snippets.attention.linear_attention import (
    elu_feature_map,
    kernel_attention,
    softmax_attention,
)
from snippets.attention.transnormer import (
    attention_matrix,
    cancelling_scores,
    diag_attention,
    local_attention_mass,
    norm_grad_bound,
    norm_score_grad,
    rms_norm,
    scaled_score_grad,
    toy_positions,
)

F64 = torch.float64


def _box(ax, x, y, w, h, text, colour, fontsize=9):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02", fc=colour,
                                ec="0.3", lw=1.0))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize)


def _stack_figure():
    fig = plt.figure(figsize=(9.0, 4.4))
    ax = fig.add_axes([0.0, 0.0, 0.62, 1.0])
    ax.set_xlim(0, 6.2)
    ax.set_ylim(0, 10)
    ax.axis("off")
    _box(ax, 1.0, 0.3, 3.0, 0.8, "token embeddings  $X$", "0.92")
    for i in range(3):
        y = 1.6 + i * 1.0
        _box(ax, 1.0, y, 3.0, 0.75, "DiagAttention + GLU", "#cfe3f7")
    ax.text(4.3, 2.95, "early layers\n(first half):\nsoftmax inside\nblocks of m tokens",
            fontsize=8, va="center")
    for i in range(3):
        y = 4.9 + i * 1.0
        _box(ax, 1.0, y, 3.0, 0.75, "NormAttention + GLU", "#f7dccf")
    ax.text(4.3, 6.25, "later layers\n(second half):\n$\\mathrm{Norm}(Q(K^\\top V))$,\nno denominator",
            fontsize=8, va="center")
    _box(ax, 1.0, 8.2, 3.0, 0.8, "output", "0.92")
    for y0, y1 in ((1.1, 1.6), (4.35, 4.9), (7.65, 8.2)):
        ax.annotate("", xy=(2.5, y1), xytext=(2.5, y0), arrowprops=dict(arrowstyle="->"))
    ax.text(2.5, 4.5, "...", ha="center", fontsize=10)
    ax.text(0.35, 2.95, "local", rotation=90, va="center", fontsize=9, color="#2b6cb0")
    ax.text(0.35, 6.25, "global", rotation=90, va="center", fontsize=9, color="#c05621")
    # the two attention patterns, 16 tokens
    n, w = 16, 4
    idx = np.arange(n)
    block = (idx[:, None] // w == idx[None, :] // w).astype(float)
    ax1 = fig.add_axes([0.66, 0.56, 0.3, 0.36])
    ax1.imshow(block, cmap="Blues", vmin=0, vmax=1.3, interpolation="none")
    ax1.set_title("DiagAttention: block-diagonal mask", fontsize=9)
    ax2 = fig.add_axes([0.66, 0.08, 0.3, 0.36])
    x = toy_positions(n, 4, 1.0).numpy()
    phi = np.where(x > 0, x + 1, np.exp(x))          # elu + 1
    ax2.imshow(phi @ phi.T, cmap="Oranges", interpolation="none")
    ax2.set_title(r"NormAttention: all pairs, $\phi(q_i)^\top\phi(k_j)$", fontsize=9)
    for a in (ax1, ax2):
        a.set_xticks([])
        a.set_yticks([])
        a.set_xlabel("key j", fontsize=8)
        a.set_ylabel("query i", fontsize=8)
    return fig


def _gradient_figure():
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.8))
    # (a) features with a sign: the row sum delta of the scores goes to 0
    v = torch.eye(2, dtype=F64)
    g = torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=F64)
    deltas = np.logspace(-6, 0, 25)
    scaled = [scaled_score_grad(cancelling_scores(x), v, g).abs().max().item() for x in deltas]
    normed = [norm_score_grad(cancelling_scores(x), v, g).abs().max().item() for x in deltas]
    ax = axes[0]
    ax.loglog(deltas, scaled, "C3", lw=1.8, label="scaled linear attention")
    ax.loglog(deltas, normed, "C0", lw=1.8, label="NormAttention (SRMSNorm)")
    ax.set_xlabel(r"denominator $\sum_j s_{1j} = \zeta$")
    ax.set_ylabel(r"$\max_{ij} |\partial L / \partial s_{ij}|$")
    ax.set_title("(a) signed features: denominator cancels", fontsize=10)
    ax.legend(fontsize=8)
    # (b) positive features shrinking: q_i = k_j = c 1, elu + 1
    gen = torch.Generator().manual_seed(0)
    n, d = 4, 3
    v = torch.randn(n, d, dtype=F64, generator=gen)
    g = torch.randn(n, d, dtype=F64, generator=gen)
    zs, sc, sr, rm = [], [], [], []
    for c in np.linspace(1.0, -17.0, 37):
        phi = elu_feature_map(torch.full((n, d), float(c), dtype=F64))
        s = phi @ phi.T
        zs.append(s.sum(-1)[0].item())
        sc.append(scaled_score_grad(s, v, g).abs().max().item())
        sr.append(norm_score_grad(s, v, g).abs().max().item())
        s_ = s.clone().requires_grad_()
        (rms_norm(s_ @ v) * g).sum().backward()
        rm.append(s_.grad.abs().max().item())
    ax = axes[1]
    ax.loglog(zs, sc, "C3", lw=1.8, label="scaled linear attention")
    ax.loglog(zs, sr, "C0", lw=1.8, label=r"SRMSNorm, $\kappa = 10^{-8}$")
    ax.loglog(zs, rm, "C2", lw=1.8, label=r"RMSNorm, $\kappa = 10^{-6}$")
    cap = norm_grad_bound(v, g).max().item()
    ax.axhline(cap, color="C0", ls="--", lw=1)
    cap_rms = norm_grad_bound(v, g, eps=1e-6, norm="rms").max().item()
    ax.axhline(cap_rms, color="C2", ls="--", lw=1)
    ax.text(zs[0], cap * 2.5, r"bound $\|g\|\|v\|/\kappa$", fontsize=8, color="C0")
    ax.text(zs[0], cap_rms * 2.5, r"bound $\|g\|\|v\|/\sqrt{\kappa}$", fontsize=8,
            color="C2")
    ax.set_xlabel(r"denominator $\sum_j \phi(q_i)^\top \phi(k_j)$")
    ax.set_title("(b) positive features shrinking", fontsize=10)
    ax.invert_xaxis()
    ax.legend(fontsize=8, loc="lower right")
    axes[0].invert_xaxis()
    fig.tight_layout()
    return fig


def _dilution_figure():
    x = toy_positions()
    atts = {"softmax": softmax_attention,
            "linear (elu+1)": lambda a, b, c: kernel_attention(a, b, c, elu_feature_map),
            "DiagAttention (m = 8)": lambda a, b, c: diag_attention(a, b, c, block_size=8)}
    fig = plt.figure(figsize=(10.0, 3.6))
    rs = np.linspace(0.0, 1.0, 65)
    ax = fig.add_axes([0.07, 0.15, 0.3, 0.75])
    for colour, (name, att) in zip(("C0", "C3", "C2"), atts.items()):
        p = attention_matrix(x, x, att)
        ax.plot(rs, [local_attention_mass(p, float(r)).item() for r in rs], colour, lw=1.8,
                label=name)
    ax.plot(rs, rs, color="0.6", ls=":", lw=1, label="uniform")
    ax.set_xlabel("window fraction r")
    ax.set_ylabel("local attention mass l(r)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("locally accumulated attention", fontsize=10)
    for i, (name, att) in enumerate(atts.items()):
        a = fig.add_axes([0.43 + i * 0.19, 0.15, 0.17, 0.75])
        p = attention_matrix(x, x, att).numpy()
        a.imshow(p, cmap="viridis", vmin=0, vmax=p.max(), interpolation="none")
        a.set_title(name, fontsize=9)
        a.set_xticks([])
        a.set_yticks([])
        a.set_xlabel("key j", fontsize=8)
        if i == 0:
            a.set_ylabel("query i", fontsize=8)
    return fig


def figures() -> dict:
    return {"transnormer-stack": _stack_figure(),
            "transnormer-gradient": _gradient_figure(),
            "transnormer-dilution": _dilution_figure()}
