"""Figures of math-optim/directional-derivative, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.math_optim.directional_derivative import (
    difference_quotient,
    directional_derivative,
    numerical_gradient,
    paraboloid,
    paraboloid_gradient,
    ridge,
    steepest_ascent,
)

P0 = np.array([1.0, 2.0])
DIRECTIONS = {  # name: (vector, colour)
    "$u^* = \\nabla f/\\|\\nabla f\\|$": (None, "#d62728"),
    "$w = (3, 4)$": (np.array([3.0, 4.0]), "#1f77b4"),
    "$e_1 = (1, 0)$": (np.array([1.0, 0.0]), "#2ca02c"),
    "tangent $(-2, 1)$": (np.array([-2.0, 1.0]), "#7f7f7f"),
}


def _level_sets():
    grad = paraboloid_gradient(P0)
    u_star, rate = steepest_ascent(grad)
    fig, ax = plt.subplots(figsize=(5.6, 5.0))
    xs = np.linspace(-0.6, 2.8, 200)
    ys = np.linspace(0.2, 3.6, 200)
    X, Y = np.meshgrid(xs, ys)
    levels = [1, 2, 3, 4, 5, 6.5, 8, 10, 12.5, 15]
    cs = ax.contour(X, Y, X**2 + Y**2, levels=levels, colors="#999999", linewidths=0.8)
    ax.clabel(cs, fmt="%g", fontsize=7)
    ax.contour(X, Y, X**2 + Y**2, levels=[paraboloid(P0)], colors="black", linewidths=1.6)
    for name, (v, colour) in DIRECTIONS.items():
        u = u_star if v is None else v / np.linalg.norm(v)
        d = directional_derivative(grad, u)
        ax.annotate("", xy=P0 + 0.9 * u, xytext=P0,
                    arrowprops=dict(arrowstyle="-|>", color=colour, lw=2))
        ax.plot([], [], color=colour, lw=2, label=f"{name}: $D f$ = {d:.3f}")
    circle = np.linspace(0, 2 * np.pi, 200)
    ax.plot(P0[0] + 0.9 * np.cos(circle), P0[1] + 0.9 * np.sin(circle), ":", color="#555555",
            lw=0.8)
    ax.plot(*P0, "ko", ms=5)
    ax.text(P0[0] + 0.05, P0[1] - 0.17, "$P_0 = (1, 2)$", fontsize=9)
    ax.set_title(f"level sets of $f = x^2 + y^2$; $\\|\\nabla f(P_0)\\|$ = {rate:.3f}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="lower left")
    return fig


def _angle_plots():
    grad = paraboloid_gradient(P0)
    u_star, rate = steepest_ascent(grad)
    phi = np.linspace(-np.pi, np.pi, 721)
    units = np.stack([np.cos(phi), np.sin(phi)], axis=1)
    exact = np.array([directional_derivative(grad, u) for u in units])

    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 4.0))
    left.plot(np.degrees(phi), exact, color="black", lw=1.5,
              label="$\\nabla f \\cdot u(\\vartheta)$")
    coarse = phi[::30]
    for t, marker in ((0.5, "s"), (0.05, "o")):
        q = [difference_quotient(paraboloid, P0, [np.cos(p), np.sin(p)], t) for p in coarse]
        left.plot(np.degrees(coarse), q, marker, ms=4, mfc="none",
                  label=f"difference quotient, t = {t:g}")
    best = np.degrees(np.arctan2(u_star[1], u_star[0]))
    left.axhline(rate, color="#d62728", lw=0.8, ls="--")
    left.axhline(-rate, color="#d62728", lw=0.8, ls="--")
    left.axhline(0, color="#999999", lw=0.6)
    left.plot([best], [rate], "*", color="#d62728", ms=12,
              label=f"max $\\|\\nabla f\\|$ = {rate:.3f} at {best:.1f} deg")
    for name in ("$w = (3, 4)$", "$e_1 = (1, 0)$", "tangent $(-2, 1)$"):
        v, colour = DIRECTIONS[name]
        angle = np.degrees(np.arctan2(v[1], v[0]))
        left.plot([angle], [directional_derivative(grad, v)], "D", color=colour, ms=6,
                  label=name)
    left.set_xlabel("direction angle $\\vartheta$ (degrees)")
    left.set_ylabel("$D_u f(1, 2)$")
    left.set_xticks(range(-180, 181, 60))
    left.set_title("$f = x^2 + y^2$ at $(1, 2)$")
    left.set_ylim(-5, 7.5)
    left.legend(fontsize=7, loc="upper left", ncol=2)
    left.grid(True, lw=0.3)

    origin = np.zeros(2)
    g0 = numerical_gradient(ridge, origin)
    phi = np.linspace(0.0, 2 * np.pi, 1441)
    limit = np.array([difference_quotient(ridge, origin, [np.cos(p), np.sin(p)], 1e-6)
                      for p in phi])
    formula = np.array([directional_derivative(g0, [np.cos(p), np.sin(p)]) for p in phi])
    limit[np.abs(limit) > 4] = np.nan
    right.plot(np.degrees(phi), limit, color="#9467bd", lw=1.5,
               label="limit of the quotient ($t = 10^{-6}$)")
    right.plot(np.degrees(phi), formula, "--", color="black", lw=1.2,
               label="$\\nabla f(0) \\cdot u = 0$")
    right.set_ylim(-4, 4)
    right.set_xticks(range(0, 361, 60))
    right.set_xlabel("direction angle $\\vartheta$ (degrees)")
    right.set_ylabel("$D_u f(0, 0)$")
    right.set_title("$f = x^2 y / (x^4 + y^2)$ at the origin")
    right.legend(fontsize=7, loc="lower left")
    right.grid(True, lw=0.3)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"directional-derivative-level-sets": _level_sets(),
            "directional-derivative-angle": _angle_plots()}
