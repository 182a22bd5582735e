"""Figures of vision/kimi-vl, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

from snippets.vision.kimi_vl import (
    CUBIC,
    KIMI_VL_TEXT,
    MOONVIT,
    MUON_QUINTIC,
    lm_param_counts,
    moonvit_param_count,
    ns_polynomial,
    projector_param_count,
    quintic_band,
)


def _box(ax, x, y, w, h, text, colour, fontsize=8.5):
    ax.add_patch(Rectangle((x, y), w, h, facecolor=colour, edgecolor="k", lw=0.8))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, x0, y0, x1, y1):
    ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>",
                                 mutation_scale=10, color="k", lw=0.9))


def _concept_figure():
    fig, ax = plt.subplots(figsize=(10.0, 4.4))
    ax.set_xlim(0, 10.4)
    ax.set_ylim(0, 4.6)
    ax.axis("off")
    # two images of different sizes, cut into 14-pixel patches (grid sizes in patches)
    for (x0, y0, gh, gw, colour) in ((0.15, 2.55, 4, 6, "C0"), (0.45, 0.55, 6, 2, "C1")):
        cell = 0.22
        for i in range(gh):
            for j in range(gw):
                ax.add_patch(Rectangle((x0 + j * cell, y0 + (gh - 1 - i) * cell), cell, cell,
                                       facecolor=colour, alpha=0.35, edgecolor="k", lw=0.4))
        ax.text(x0 + gw * cell / 2, y0 - 0.18, f"{gh} x {gw} patches", ha="center",
                fontsize=7.5)
    ax.text(0.8, 4.35, "images at native resolution", ha="center", fontsize=8.5)
    # the packed sequence and its block-diagonal mask
    _arrow(ax, 1.65, 2.5, 2.15, 2.5)
    n1, n2 = 24, 12
    size = 1.7 / (n1 + n2)
    x0, y0 = 2.25, 1.55
    for start, n, colour in ((0, n1, "C0"), (n1, n2, "C1")):
        ax.add_patch(Rectangle((x0 + start * size, y0 + (n1 + n2 - start - n) * size),
                               n * size, n * size, facecolor=colour, alpha=0.45,
                               edgecolor="k", lw=0.5))
    ax.add_patch(Rectangle((x0, y0), (n1 + n2) * size, (n1 + n2) * size, fill=False,
                           edgecolor="k", lw=0.8))
    ax.add_patch(Rectangle((x0, y0 + 1.85), n1 * size, 0.16, facecolor="C0", alpha=0.45,
                           edgecolor="k", lw=0.5))
    ax.add_patch(Rectangle((x0 + n1 * size, y0 + 1.85), n2 * size, 0.16, facecolor="C1",
                           alpha=0.45, edgecolor="k", lw=0.5))
    ax.text(x0 + 0.85, y0 + 2.2, "packed: L = 24 + 12", ha="center", fontsize=8)
    ax.text(x0 + 0.85, y0 - 0.25, "block-diagonal mask", ha="center", fontsize=8)
    _arrow(ax, 4.05, 2.5, 4.45, 2.5)
    _box(ax, 4.5, 1.7, 1.3, 1.6, "MoonViT\n27 layers\n2D RoPE\n+ pos. table", "#dde8f5")
    _arrow(ax, 5.8, 2.5, 6.15, 2.5)
    _box(ax, 6.2, 2.7, 1.3, 0.75, "pixel shuffle\n2x2: d -> 4d", "#f5e6d3")
    _box(ax, 6.2, 1.55, 1.3, 0.75, "MLP\n4d -> 2048", "#f5e6d3")
    _arrow(ax, 6.85, 2.7, 6.85, 2.3)
    ax.text(6.85, 3.75, "24 + 12 -> 6 + 3\nLLM tokens", ha="center", fontsize=8)
    _arrow(ax, 7.5, 1.95, 7.85, 2.3)
    # the MoE language model: router, 64 routed experts (6 chosen) and 2 shared ones
    _box(ax, 7.9, 0.5, 2.35, 3.7, "", "#eef5e9")
    ax.text(9.07, 3.95, "MoE LM (27 layers)", ha="center", fontsize=8.5)
    _box(ax, 8.1, 3.05, 1.95, 0.5, "router: top-6 of 64", "white", 8)
    chosen = {3, 9, 17, 30, 41, 58}
    for e in range(64):
        row, col = divmod(e, 16)
        ax.add_patch(Rectangle((8.12 + col * 0.12, 2.45 - row * 0.2), 0.1, 0.16,
                               facecolor="C2" if e in chosen else "0.85",
                               edgecolor="k", lw=0.3))
    ax.text(9.07, 1.5, "routed experts (6 active)", ha="center", fontsize=7.5)
    for s in range(2):
        ax.add_patch(Rectangle((8.5 + s * 0.7, 0.7), 0.5, 0.45, facecolor="C3", alpha=0.6,
                               edgecolor="k", lw=0.5))
    ax.text(9.07, 1.25, "2 shared experts", ha="center", fontsize=7.5)
    return fig


def _newton_schulz_figure():
    lo, inner, top = quintic_band()
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.3))
    s = np.linspace(0, 1.25, 500)
    ax = axes[0]
    ax.plot(s, ns_polynomial(s, 1, CUBIC), "C0", label="cubic (3/2, -1/2, 0)")
    ax.plot(s, ns_polynomial(s, 1, MUON_QUINTIC), "C3", label="Muon quintic")
    ax.plot(s, s, "k:", lw=0.8)
    ax.axhspan(lo, inner, color="C3", alpha=0.12)
    ax.set_xlabel("singular value s")
    ax.set_ylabel("p(s)")
    ax.set_title("one step maps s to p(s)", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    s0 = np.geomspace(1e-3, 1.0, 9)
    steps = np.arange(0, 31)
    for ax, coeffs, name, colour in ((axes[1], CUBIC, "cubic", "C0"),
                                     (axes[2], MUON_QUINTIC, "Muon quintic", "C3")):
        paths = np.array([ns_polynomial(s0, k, coeffs) for k in steps])
        ax.plot(steps, paths, colour, lw=1.0, alpha=0.8)
        ax.axhline(1.0, color="k", lw=0.8, ls=":")
        if coeffs is MUON_QUINTIC:
            ax.axhspan(lo, inner, color="C3", alpha=0.12)
            ax.axvline(5, color="0.4", lw=0.8, ls="--")
            ax.text(5.4, 0.1, "Muon: 5 steps", fontsize=7)
        ax.set_ylim(0, 1.3)
        ax.set_xlabel("step k")
        ax.set_ylabel(r"$p^{(k)}(s_0)$")
        ax.set_title(f"{name}, $s_0$ from 1e-3 to 1", fontsize=9)
    for a in axes:
        a.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


def _params_figure():
    lm = lm_param_counts(KIMI_VL_TEXT)
    cfg = KIMI_VL_TEXT
    n_moe = cfg["num_hidden_layers"] - cfg["first_k_dense_replace"]
    layers = cfg["num_hidden_layers"]
    parts = {
        "input embedding": (lm["embedding"], lm["embedding"]),
        "output head": (lm["lm_head"], lm["lm_head"]),
        "attention (MLA) + norms": ((lm["attention"] + 2 * cfg["hidden_size"]) * layers,) * 2,
        "dense FFN (layer 1)": (3 * cfg["hidden_size"] * cfg["intermediate_size"],) * 2,
        "shared experts + router": (n_moe * (lm["shared"] + lm["router"]),) * 2,
        "routed experts": (n_moe * cfg["n_routed_experts"] * lm["expert"],
                           n_moe * cfg["num_experts_per_tok"] * lm["expert"]),
    }
    vit = moonvit_param_count(MOONVIT)
    proj = projector_param_count(MOONVIT["hidden_size"], cfg["hidden_size"])
    parts["MoonViT + projector"] = (vit + proj, vit + proj)
    fig, ax = plt.subplots(figsize=(8.0, 3.4))
    left = np.zeros(2)
    colours = ["C0", "C9", "C1", "C4", "C3", "C2", "C7"]
    for (name, (total, active)), colour in zip(parts.items(), colours):
        values = np.array([total, active]) / 1e9
        ax.barh([1, 0], values, left=left, color=colour, label=name, edgecolor="k", lw=0.4)
        left += values
    for y, v in zip((1, 0), left):
        ax.text(v + 0.15, y, f"{v:.2f}B", va="center", fontsize=8)
    ax.set_yticks([1, 0], ["total", "activated\nper token"])
    ax.set_xlabel("parameters (billions)")
    ax.set_xlim(0, 19.5)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    ax.set_title("Kimi-VL-A3B: parameters by component", fontsize=9)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"kimi-vl-concept": _concept_figure(),
            "kimi-vl-newton-schulz": _newton_schulz_figure(),
            "kimi-vl-params": _params_figure()}
