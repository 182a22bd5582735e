"""Figures of math-optim/quadratic-form, computed with the page's own snippet functions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from snippets.math_optim.quadratic_form import (
    SADDLE_A,
    TOY_A,
    TOY_B,
    TOY_C,
    VALLEY_A,
    VALLEY_B_IN,
    gradient_descent,
    quadratic_infimum,
    quadratic_minimum,
    quadratic_value,
    stationary_point,
    symmetrize,
)


def _contours(ax, A, b, c, levels, lim=(-1.5, 2.5)):
    t = np.linspace(*lim, 201)
    X1, X2 = np.meshgrid(t, t)
    F = quadratic_value(np.stack([X1, X2], axis=-1), A, b, c)
    cs = ax.contour(X1, X2, F, levels=levels, cmap="viridis", linewidths=1)
    ax.clabel(cs, fontsize=7, fmt="%g")
    ax.set_aspect("equal")
    ax.set_xlim(*lim)
    ax.set_ylim(*lim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def _eigen_axes(ax, A, centre, scale=0.9):
    lam, Q = np.linalg.eigh(symmetrize(A))
    for value, q in zip(lam, Q.T):
        ax.annotate("", centre + scale * q, centre,
                    arrowprops={"arrowstyle": "->", "color": "tab:red", "lw": 1.2})
        ax.text(*(centre + 1.1 * scale * q), f"$\\lambda$={value:.2f}", fontsize=7,
                color="tab:red", ha="center", va="center")


def figures() -> dict:
    level, axes = plt.subplots(1, 3, figsize=(10.5, 3.8))
    x_star, f_star = quadratic_minimum(TOY_A, TOY_B, TOY_C)
    _contours(axes[0], TOY_A, TOY_B, TOY_C, [1.5, 2, 3, 5, 8, 12, 17])
    axes[0].plot(*x_star, "k*", ms=10)
    _eigen_axes(axes[0], TOY_A, x_star)
    axes[0].set_title(f"positive definite: minimum {f_star:g} at (0.6, 0.8)", fontsize=9)

    valley = quadratic_infimum(VALLEY_A, VALLEY_B_IN, TOY_C)
    _contours(axes[1], VALLEY_A, VALLEY_B_IN, TOY_C, [4.25, 5, 6, 8, 11])
    t = np.linspace(-1.5, 2.5, 2)
    axes[1].plot(t, 1 - t, "k--", lw=1.5, label="minimisers $x_1 + x_2 = 1$")
    axes[1].plot(*valley.x, "k*", ms=10)
    axes[1].legend(fontsize=7, loc="upper right")
    axes[1].set_title(f"semidefinite, b in range: minimum {valley.value:g}", fontsize=9)

    s = stationary_point(SADDLE_A, TOY_B)
    f_s = float(quadratic_value(s, SADDLE_A, TOY_B, TOY_C))
    _contours(axes[2], SADDLE_A, TOY_B, TOY_C, [-6, -2, 0, 2, 3, 4, 6, 10, 16])
    axes[2].plot(*s, "kX", ms=9)
    _eigen_axes(axes[2], SADDLE_A, s)
    axes[2].set_title(f"indefinite: saddle f = {f_s:g} at (1, 0)", fontsize=9)
    level.tight_layout()

    lam, Q = np.linalg.eigh(symmetrize(TOY_A))
    descent, (ax_path, ax_err) = plt.subplots(1, 2, figsize=(10, 4))
    _contours(ax_path, TOY_A, TOY_B, TOY_C, [1.5, 2, 3, 5, 8, 12, 17])
    x0 = np.array([-1.0, -1.0])
    runs = {"$\\alpha$ = 0.1": 0.1, "$\\alpha = 1/(\\lambda_1+\\lambda_2)$ = 0.2": 0.2,
            "$\\alpha = 0.9/\\lambda_{max}$": 0.9 / lam[-1],
            "$\\alpha = 1/\\lambda_{max}$": 1 / lam[-1]}
    k = np.arange(41)
    for (name, lr), style in zip(runs.items(), ("o-", "s-", "^-", "v-")):
        xs = gradient_descent(TOY_A, TOY_B, x0, lr, 40)
        line, = ax_err.semilogy([], [], style, ms=3, lw=0.8)
        if lr < 0.9 / lam[-1] + 1e-12 and lr != 0.2:  # two paths: smooth and zigzag
            ax_path.plot(xs[:16, 0], xs[:16, 1], style, ms=3, lw=0.8,
                         color=line.get_color(), label=name)
        err = np.linalg.norm(xs - x_star, axis=1)
        rho = np.abs(1 - 2 * lr * lam).max()
        ax_err.semilogy(k, np.maximum(err, 1e-17), style, ms=3, lw=0.8,
                        color=line.get_color(), label=f"{name}, $\\rho$ = {rho:.3f}")
        ax_err.semilogy(k, rho**k * err[0], ":", lw=1, color=line.get_color())
    ax_path.plot(*x_star, "k*", ms=10)
    ax_path.legend(fontsize=7, loc="upper left")
    ax_path.set_title("first 15 steps from (-1, -1)", fontsize=9)
    ax_err.set_ylim(1e-17, 10)
    ax_err.set_xlabel("step k")
    ax_err.set_ylabel("$\\|x_k - x^*\\|$ (dotted: $\\rho^k \\|x_0 - x^*\\|$)")
    ax_err.legend(fontsize=7, loc="lower left")
    ax_err.grid(True, which="both", lw=0.3)
    descent.tight_layout()
    return {"quadratic-form-level-sets": level, "quadratic-form-descent": descent}
