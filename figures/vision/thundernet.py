"""Figures of vision/thundernet, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from snippets.vision.thundernet import PUBLISHED_MFLOPS, conv_macs, snet_macs

PARTS = ("conv1", "stage2", "stage3", "stage4", "conv5", "fc")


def _box(ax, x, y, w, h, text, colour):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02",
                                fc=colour, ec="k", lw=0.8))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)


def _arrow(ax, start, end, text="", offset=(0.0, 0.06)):
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="->", lw=0.9))
    if text:
        ax.text((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1],
                text, ha="center", fontsize=7, color="0.25")


def _pipeline_figure():
    fig, ax = plt.subplots(figsize=(9.0, 3.6))
    ax.set_xlim(0, 10.2)
    ax.set_ylim(0, 4.0)
    ax.axis("off")
    _box(ax, 0.1, 1.6, 1.0, 0.8, "image\n320 x 320", "0.92")
    _box(ax, 1.5, 1.4, 1.5, 1.2, "SNet backbone\n(ShuffleNetV2 units,\n5x5 depthwise)",
         "#cfe2f3")
    _box(ax, 3.5, 2.6, 1.2, 0.7, "C4\n20 x 20", "#e8f1fa")
    _box(ax, 3.5, 0.7, 1.2, 0.7, "C5\n10 x 10", "#e8f1fa")
    _box(ax, 5.1, 1.5, 1.3, 1.0, "CEM\n$F^{CEM}$: 245 ch", "#d9ead3")
    _box(ax, 5.1, 3.0, 1.3, 0.8, "RPN: 5x5 dw\n+ 1x1, 256 ch", "#fce5cd")
    _box(ax, 6.9, 1.5, 1.3, 1.0, "SAM\n$F^{CEM}\\cdot$ sigmoid", "#ead1dc")
    _box(ax, 6.9, 0.1, 1.3, 0.8, "proposals\n(RoIs)", "#fce5cd")
    _box(ax, 8.6, 2.6, 1.5, 0.8, "PSRoI align\n7 x 7 x 5 = 245", "#fff2cc")
    _box(ax, 8.6, 1.1, 1.5, 0.9, "R-CNN subnet\nfc 1024\nclass + box", "#f4cccc")
    _arrow(ax, (1.1, 2.0), (1.5, 2.0))
    _arrow(ax, (3.0, 2.3), (3.5, 2.9))
    _arrow(ax, (3.0, 1.7), (3.5, 1.1))
    _arrow(ax, (4.7, 2.9), (5.1, 2.2), "1x1", (0.05, 0.12))
    _arrow(ax, (4.7, 1.1), (5.1, 1.8), "1x1, up x2\n+ global pool", (-0.35, -0.6))
    _arrow(ax, (5.75, 2.5), (5.75, 3.0))
    _arrow(ax, (6.4, 2.0), (6.9, 2.0))
    _arrow(ax, (6.4, 3.4), (7.55, 2.5), "$F^{RPN}$", (0.35, 0.2))
    _arrow(ax, (6.1, 3.0), (7.2, 0.9), "", )
    _arrow(ax, (8.2, 2.3), (8.6, 2.9), "$F^{SAM}$", (-0.15, 0.2))
    _arrow(ax, (8.2, 0.5), (8.9, 2.6))
    _arrow(ax, (9.35, 2.6), (9.35, 2.0))
    ax.text(5.1, 3.88, "detection part (one thin feature map, 245 channels)",
            fontsize=8, color="0.3")
    ax.set_title("ThunderNet: backbone, CEM, compressed RPN, SAM, PSRoI align, R-CNN subnet",
                 fontsize=10)
    fig.tight_layout()
    return fig


def _macs_figure():
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9.0, 3.6),
                                  gridspec_kw={"width_ratios": [1.3, 1.0]})
    versions = (49, 146, 535)
    colours = ("0.6", "#9fc5e8", "#6fa8dc", "#3d85c6", "#e69138", "0.3")
    table = np.array([[snet_macs(v)[p] / 1e6 for p in PARTS] for v in versions])
    x = np.arange(len(versions))
    bottom = np.zeros(len(versions))
    for k, part in enumerate(PARTS):
        ax.bar(x, table[:, k], 0.55, bottom=bottom, color=colours[k], label=part)
        bottom = bottom + table[:, k]
    published = np.array([PUBLISHED_MFLOPS[v] for v in versions], dtype=float)
    ax.scatter(x, published, marker="_", s=900, color="k", zorder=3,
               label="published total")
    for xi, total, pub in zip(x, bottom, published):
        ax.text(xi, total * 1.04 + 8, f"{total:.1f}\n({100 * (total / pub - 1):+.1f}%)",
                ha="center", fontsize=7)
    ax.set_xticks(x, [f"SNet{v}" for v in versions])
    ax.set_ylabel("multiply-adds at 224 x 224 (M)")
    ax.set_ylim(0, 660)
    ax.legend(fontsize=7, ncol=2, loc="upper left", markerscale=0.3)
    ax.set_title("computed per part vs published totals", fontsize=9)

    # detection part at 320 x 320 with SNet146: RPN conv, dense 3x3 vs compressed
    labels = ["3x3 conv\n256 ch", "5x5 dw\n+ 1x1"]
    values = np.array([conv_macs(20, 3, 245, 256),
                       conv_macs(20, 5, 245, 245, groups=245) + conv_macs(20, 1, 245, 256)])
    ax2.bar(np.arange(2), values / 1e6, 0.5, color=["0.6", "#e69138"])
    for i, v in enumerate(values / 1e6):
        ax2.text(i, v + 4, f"{v:.1f} M", ha="center", fontsize=8)
    ax2.set_xticks(np.arange(2), labels)
    ax2.set_ylabel("multiply-adds on a 20 x 20 x 245 map (M)")
    ax2.set_title("RPN convolution at 320 x 320 input", fontsize=9)
    ax2.set_ylim(0, 260)
    fig.tight_layout()
    return fig


def figures():
    return {"thundernet-pipeline": _pipeline_figure(), "thundernet-macs": _macs_figure()}
