"""Figures of math-optim/adamw, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.math_optim.adamw import quadratic_grad, trajectory

H = np.array([100.0, 1.0])  # an ill-conditioned quadratic: curvatures 100 and 1
C = np.array([1.0, 1.0])  # its unregularised minimiser
LR, LAM, N = 0.01, 0.5, 3000


def _box(ax, x, y, text, colour="#e8eef7"):
    ax.text(x, y, text, ha="center", va="center", fontsize=10,
            bbox=dict(boxstyle="round,pad=0.4", fc=colour, ec="#4a6a8a"))


def _arrow(ax, x0, x1, y0, y1=None, colour="#4a6a8a"):
    ax.annotate("", xy=(x1, y0 if y1 is None else y1), xytext=(x0, y0),
                arrowprops=dict(arrowstyle="->", color=colour, lw=1.4))


def _concept():
    fig, ax = plt.subplots(figsize=(8.4, 3.4))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 4.2)
    ax.axis("off")
    xs = [0.9, 2.9, 5.0, 7.0, 9.1]
    for y, title in ((3.0, "Adam + L2"), (1.0, "AdamW")):
        ax.text(0.0, y + 0.75, title, fontsize=11, weight="bold")
        _box(ax, xs[0], y, r"$\nabla f(\theta_{t-1})$")
        _box(ax, xs[2], y, "$m_t,\\ v_t$\n(EMA)")
        _box(ax, xs[3], y, r"$\hat m_t / (\sqrt{\hat v_t} + \delta)$")
        for a, b in zip(xs[1:4], xs[2:5]):
            _arrow(ax, a + 0.55, b - 0.75, y)
    # L2: the decay is added to the gradient and goes through the normalisation
    _box(ax, xs[1], 3.0, r"$+\,\lambda\theta_{t-1}$", "#fde2c8")
    _arrow(ax, xs[0] + 0.75, xs[1] - 0.55, 3.0)
    _box(ax, xs[4], 3.0, r"$\theta_t = \theta_{t-1} - \alpha\,\cdot$")
    # AdamW: the gradient goes straight to the moments; the decay bypasses them
    _arrow(ax, xs[0] + 0.75, xs[2] - 0.75, 1.0)
    _box(ax, xs[4], 1.0, "$\\theta_t = \\theta_{t-1} - \\alpha\\,\\cdot$\n"
         r"$\;-\ \alpha\lambda\theta_{t-1}$")
    ax.annotate("", xy=(xs[4], 1.55), xytext=(xs[1], 1.75),
                arrowprops=dict(arrowstyle="->", color="#d9822b", lw=1.4,
                                connectionstyle="arc3,rad=-0.15"))
    _box(ax, xs[1], 1.9, r"$\lambda\theta_{t-1}$", "#fde2c8")
    ax.text(5.0, 0.05, "L2: decay is divided by $\\sqrt{\\hat v_t}$ per coordinate;"
            "  AdamW: every coordinate decays at rate $\\alpha\\lambda$",
            ha="center", fontsize=9)
    return fig


def figures() -> dict:
    grad_fn = lambda x: quadratic_grad(x, H, C)  # noqa: E731
    paths = {name: trajectory(name, grad_fn, np.zeros(2), N, LR, LAM)
             for name in ("adam-l2", "adamw")}
    l2_min = H * C / (H + LAM)

    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 4.0))
    g1, g2 = np.meshgrid(np.linspace(-0.1, 1.15, 200), np.linspace(-0.1, 1.15, 200))
    f = 0.5 * (H[0] * (g1 - C[0]) ** 2 + H[1] * (g2 - C[1]) ** 2)
    left.contour(g1, g2, f, levels=np.geomspace(0.01, 80, 12), colors="#bbbbbb",
                 linewidths=0.7)
    styles = {"adam-l2": ("#d9822b", "Adam + L2 ($\\lambda$ = 0.5)"),
              "adamw": ("#2b6cd9", "AdamW ($\\lambda$ = 0.5)")}
    for name, (colour, label) in styles.items():
        p = paths[name]
        left.plot(p[:, 0], p[:, 1], "-", color=colour, lw=1.3, label=label)
        left.plot(*p[-1], "o", color=colour, ms=5)
    left.plot(*C, "k*", ms=10, label="minimiser of $f$")
    left.plot(*l2_min, "kx", ms=8, mew=2, label=r"minimiser of $f + \lambda\|\theta\|^2/2$")
    left.set_xlabel(r"$\theta_1$ (curvature 100)")
    left.set_ylabel(r"$\theta_2$ (curvature 1)")
    left.set_title(f"paths from 0, {N} steps, lr = {LR}")
    left.legend(fontsize=7.5, loc="lower right")
    left.set_aspect("equal")

    steps = np.arange(N + 1)
    for name, (colour, label) in styles.items():
        for i, ls in ((0, "-"), (1, "--")):
            right.semilogx(steps[1:], paths[name][1:, i], ls, color=colour,
                           label=f"{label.split(' (')[0]}: $\\theta_{i + 1}$")
    for i, y in enumerate(l2_min):
        right.axhline(y, color="k", lw=0.6, ls=":")
    right.set_xlabel("step t")
    right.set_ylabel("coordinate value")
    right.set_title("coordinates over time (dotted: L2 minimiser)")
    right.legend(fontsize=7.5)
    right.grid(True, lw=0.3)
    fig.tight_layout()
    return {"adamw-concept": _concept(), "adamw-quadratic": fig}
