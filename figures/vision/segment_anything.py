"""Figures of vision/segment-anything, computed with the page's own snippet functions."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from snippets.vision.segment_anything import (
    dice_loss,
    focal_loss,
    fourier_pe,
    sam_loss,
)


def _box(ax, x, y, w, h, text, colour):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02",
                                fc=colour, ec="k", lw=0.8))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8.5)


def _arrow(ax, start, end, text=None, dy=0.03):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="->", mutation_scale=10, lw=0.9))
    if text:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + dy, text,
                ha="center", va="bottom", fontsize=7.5, color="0.25")


def _concept_figure():
    fig, ax = plt.subplots(figsize=(9.6, 4.2))
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1)
    ax.axis("off")
    _box(ax, 0.0, 0.68, 0.13, 0.15, "image\n3 x 1024 x 1024", "#f2f2f2")
    _box(ax, 0.19, 0.64, 0.19, 0.23, "image encoder\nViT-H/16 (MAE)\n14x14 windows\n"
         "+ 4 global blocks", "#cfe2f3")
    _box(ax, 0.0, 0.37, 0.13, 0.13, "points, box\n(x, y) in pixels", "#f2f2f2")
    _box(ax, 0.0, 0.07, 0.13, 0.13, "mask prompt\n1 x 256 x 256", "#f2f2f2")
    _box(ax, 0.19, 0.33, 0.19, 0.21, "prompt encoder\nFourier features\n+ learned\n"
         "type embeddings", "#d9ead3")
    _box(ax, 0.19, 0.04, 0.19, 0.19, "convs 2x2 s2 (x2),\n1x1 -> 256 ch", "#d9ead3")
    _box(ax, 0.58, 0.22, 0.21, 0.58, "mask decoder\n\n2 two-way blocks:\n"
         "token self-attn\ntoken -> image\nMLP on tokens\nimage -> token\n\n"
         "upsample x4,\ndynamic mask head", "#fce5cd")
    _box(ax, 0.85, 0.56, 0.15, 0.15, "3 masks\n3 x 256 x 256", "#f4cccc")
    _box(ax, 0.85, 0.3, 0.15, 0.12, "3 IoU scores", "#f4cccc")
    _arrow(ax, (0.135, 0.755), (0.19, 0.755))
    _arrow(ax, (0.385, 0.755), (0.58, 0.7))
    ax.text(0.48, 0.78, "256 x 64 x 64\n(once per image)", ha="center", fontsize=7.5,
            color="0.25")
    _arrow(ax, (0.135, 0.435), (0.19, 0.435))
    _arrow(ax, (0.385, 0.435), (0.58, 0.47))
    ax.text(0.48, 0.39, "n x 256 tokens", ha="center", fontsize=7.5, color="0.25")
    _arrow(ax, (0.135, 0.135), (0.19, 0.135))
    _arrow(ax, (0.385, 0.135), (0.6, 0.22))
    ax.text(0.49, 0.08, "256 x 64 x 64,\nadded to the embedding", ha="center",
            fontsize=7.5, color="0.25")
    _arrow(ax, (0.79, 0.62), (0.85, 0.63))
    _arrow(ax, (0.79, 0.38), (0.85, 0.36))
    ax.text(0.685, 0.84, "per prompt: ~50 ms on CPU", ha="center", fontsize=8, color="0.3")
    ax.set_title("SAM: a heavy encoder run once, a light decoder run per prompt",
                 fontsize=10)
    return fig


def _loss_curves():
    p = np.linspace(0.01, 0.99, 99)
    z = torch.logit(torch.tensor(p, dtype=torch.float64))[None, :]  # one row of pixels
    one = torch.ones_like(z)
    bce = -np.log(p)
    focal = np.array([focal_loss(z[:, i:i + 1], one[:, i:i + 1]).item() for i in range(99)])
    focal_nw = np.array([focal_loss(z[:, i:i + 1], one[:, i:i + 1], zeta=-1).item()
                         for i in range(99)])
    # dice of a 100-pixel foreground mask predicted with the same probability everywhere
    block = z[0][:, None, None].expand(-1, 10, 10)
    dice = dice_loss(block, torch.ones(99, 10, 10, dtype=torch.float64)).numpy()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    ax1.plot(p, bce, label="BCE  $-\\log p$")
    ax1.plot(p, focal_nw, label="focal, $\\kappa=2$")
    ax1.plot(p, focal, label="focal, $\\kappa=2$, $\\zeta=0.25$")
    ax1.plot(p, dice, label="dice (100-pixel mask)")
    ax1.set_xlabel("predicted probability p of a foreground pixel")
    ax1.set_ylabel("loss")
    ax1.set_ylim(0, 3)
    ax1.legend(fontsize=8)
    ax2.semilogy(p, focal_nw / bce, label="focal / BCE $= (1-p)^2$")
    ax2.set_xlabel("p")
    ax2.set_ylabel("ratio")
    ax2.legend(fontsize=8)
    ax2.set_title("well-classified pixels are down-weighted", fontsize=9)
    fig.tight_layout()
    return fig


def _ambiguity_figure():
    n = 24
    yy, xx = np.mgrid[0:n, 0:n]
    whole = (abs(xx - 12) <= 10) & (abs(yy - 12) <= 10)
    part = (abs(xx - 14) <= 6) & (abs(yy - 12) <= 6)
    sub = (abs(xx - 15) <= 2) & (abs(yy - 12) <= 2)
    objects = np.stack([sub, part, whole]).astype(float)
    mean = objects.mean(0)
    target = torch.tensor(objects[1])  # the annotator meant the part
    # three candidate outputs, each a soft version of one object
    logits = torch.tensor(4.0 * (2 * objects - 1))[None]
    per = [(20 * focal_loss(logits[0, k], target) + dice_loss(logits[0, k], target)).item()
           for k in range(3)]
    _, best = sam_loss(logits, target[None], torch.zeros(1, 3, dtype=torch.float64))
    fig, axes = plt.subplots(1, 5, figsize=(10.0, 2.6))
    panels = [(mean, "one output:\nmean of the objects")]
    names = ("subpart", "part", "whole")
    for k in range(3):
        mark = "  <- min" if k == best.item() else ""
        panels.append((objects[k], f"output {k + 1} ({names[k]})\nloss {per[k]:.2f}{mark}"))
    panels.append((objects[1], "ground truth\n(one of three)"))
    for ax, (img, title) in zip(axes, panels):
        ax.imshow(img, cmap="Blues", vmin=0, vmax=1)
        ax.plot([15], [12], "r*", ms=9)
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("one click (red star), three nested valid masks; only the min-loss output "
                 "is trained", fontsize=9)
    fig.tight_layout()
    return fig


def _kernel_figure():
    g = torch.Generator().manual_seed(0)
    m = 128
    gauss = torch.randn(2, m, generator=g, dtype=torch.float64)
    x = torch.tensor([0.5, 0.5], dtype=torch.float64)
    dist = np.linspace(0, 0.35, 141)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for angle, style in ((0.0, "-"), (1.0, "--")):
        direction = torch.tensor([math.cos(angle), math.sin(angle)], dtype=torch.float64)
        y = x[None] + torch.tensor(dist)[:, None] * direction
        k = (fourier_pe(x[None], gauss) * fourier_pe(y, gauss)).sum(-1).numpy() / m
        ax.plot(dist, k, style, lw=1, label=f"one draw of G, direction {angle:.0f} rad")
    ax.plot(dist, np.exp(-8 * np.pi**2 * dist**2), "k", lw=2,
            label="$E\\,k = \\exp(-8\\pi^2 |x-y|^2)$")
    ax.axvline(1 / math.sqrt(8 * math.pi**2), color="0.6", lw=0.8)
    ax.set_xlabel("|x - y| (fraction of the image side)")
    ax.set_ylabel("k(x, y) = pe(x) . pe(y) / m")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def figures() -> dict[str, plt.Figure]:
    return {
        "segment-anything-concept": _concept_figure(),
        "segment-anything-ambiguity": _ambiguity_figure(),
        "segment-anything-kernel": _kernel_figure(),
        "segment-anything-losses": _loss_curves(),
    }
