"""Figures of vision/sd3, computed with the page's own snippet functions."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from snippets.vision.sd3 import (
    euler_sample,
    gaussian_velocity,
    log_snr,
    logit_normal_pdf,
    mode_pdf,
    path_coefficients,
    sample_logit_normal,
    sample_mode,
    shift_timestep,
)

MU0, S0 = 2.0, 0.5  # the Gaussian data N(2, 0.5^2) of the page


def _field(x, t):
    return gaussian_velocity(x, t, MU0, S0)


def _concept_figure():
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.9))
    ax = axes[0]
    t = np.linspace(0, 1, 41)  # smooth curves: 41 points draw them, and keep the SVG small
    data = np.array([[1.6, 0.3], [1.2, 1.1], [1.9, 0.9]])
    noise = np.array([[-1.5, -1.2], [-0.4, -1.9], [0.2, -0.8]])  # three noise draws
    for k, (x0, z) in enumerate(zip(data, noise)):
        for kind, style in (("rf", "-"), ("cosine", "--")):
            a, b, _, _ = path_coefficients(t, kind)
            path = a[:, None] * x0 + b[:, None] * z
            ax.plot(path[:, 0], path[:, 1], style, color=f"C{k}", lw=1.4,
                    label=None if k else ("rectified flow: $(1-t)x_0 + t z$" if kind == "rf"
                                          else r"cosine: $\cos(\frac{\pi t}{2})x_0"
                                               r" + \sin(\frac{\pi t}{2}) z$"))
        ax.plot(*x0, "o", color=f"C{k}")
        ax.plot(*z, "x", color=f"C{k}", ms=8)
    ax.text(1.95, 1.25, "data $x_0$", fontsize=9)
    ax.text(-2.1, -2.2, "noise $z$", fontsize=9)
    ax.set_aspect("equal")
    ax.set_xlim(-2.3, 2.7)
    ax.set_ylim(-2.4, 1.8)
    ax.legend(fontsize=7.5, loc="lower right")
    ax.set_title("conditional paths in a 2-D latent", fontsize=10)
    ax = axes[1]
    # the marginal flow of Gaussian data: exact paths x(t) = (1-t) mu + s_t xi are curved
    xi = np.linspace(-2.0, 2.0, 9)
    s_t = np.sqrt((1 - t) ** 2 * S0**2 + t**2)
    for v in xi:
        ax.plot(t, (1 - t) * MU0 + s_t * v, color="C0", lw=1.0)
    for v in xi[::2]:  # straight conditional lines from one data point to a noise value
        ax.plot([0, 1], [MU0, v], color="0.6", lw=0.8, ls=":")
    ax.set_xlabel("t  (0: data, 1: noise)")
    ax.set_ylabel("x")
    ax.set_title(r"marginal ODE paths for data $N(2, 0.5^2)$ (blue)", fontsize=10)
    ax.text(0.42, 2.5, "conditional lines (grey) are straight,\nthe averaged flow is not",
            fontsize=8)
    fig.tight_layout()
    return fig


def _sampling_figure():
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.4))
    ax = axes[0]
    x1 = np.random.default_rng(0).standard_normal(100_000)
    grid = np.linspace(0, 4, 161)
    target = np.exp(-0.5 * ((grid - MU0) / S0) ** 2) / (S0 * math.sqrt(2 * math.pi))
    for n_steps, colour in ((2, "C3"), (4, "C1"), (32, "C2")):
        x = euler_sample(x1, _field, n_steps)
        ax.hist(x, bins=120, range=(0, 4), density=True, histtype="step", color=colour,
                label=f"Euler, N = {n_steps}")
    ax.plot(grid, target, "k", lw=1.4, label="data $N(2, 0.5^2)$")
    ax.axvline(MU0, color="0.5", lw=0.6, ls=":")
    ax.set_xlabel("x at t = 0")
    ax.legend(fontsize=7.5)
    ax.set_title("samples from the exact velocity field", fontsize=10)
    ax = axes[1]
    steps = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512])
    err = [abs(float(euler_sample(np.array([1.0]), _field, n)[0]) - (MU0 + S0)) for n in steps]
    t = np.linspace(0, 1, 100_001)
    big_s = (1 - t) ** 2 * S0**2 + t**2
    d1 = t - (1 - t) * S0**2
    lip = np.max(np.abs(d1 / big_s))
    m2 = np.max(np.abs(((1 + S0**2) * big_s - d1**2) / big_s**1.5))
    ax.loglog(steps, err, "o-", label="std error $|A_N - \\sigma|$")
    ax.loglog(steps, m2 / (2 * lip) * (math.exp(lip) - 1) / steps, "k--",
              label=r"bound $\frac{hM}{2L}(e^L - 1)$")
    ax.set_xlabel("Euler steps N")
    ax.legend(fontsize=7.5)
    ax.set_title("error of the spread shrinks like 1/N", fontsize=10)
    fig.tight_layout()
    return fig


def _timesteps_figure():
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.4))
    t = np.linspace(1e-4, 1 - 1e-4, 200)
    rng = np.random.default_rng(4)
    ax = axes[0]
    for k, (loc, scale) in enumerate(((0.0, 1.0), (1.0, 0.6), (-0.5, 1.5))):
        samples = sample_logit_normal(50_000, loc, scale, rng)
        ax.hist(samples, bins=50, range=(0, 1), density=True, color=f"C{k}", alpha=0.3,
                histtype="stepfilled")
        ax.plot(t, logit_normal_pdf(t, loc, scale), color=f"C{k}", lw=1.4,
                label=f"$\\mu_u$ = {loc}, $\\sigma_u$ = {scale}")
    ax.set_title("logit-normal: histogram vs density", fontsize=10)
    ax.set_xlabel("t")
    ax.legend(fontsize=7.5)
    ax = axes[1]
    t = np.linspace(0, 1, 201)
    for k, scale in enumerate((-0.8, 0.0, 1.29)):
        samples = sample_mode(50_000, scale, rng)
        ax.hist(samples, bins=50, range=(0, 1), density=True, color=f"C{k}", alpha=0.3,
                histtype="stepfilled")
        ax.plot(t, mode_pdf(t, scale), color=f"C{k}", lw=1.4, label=f"$\\kappa$ = {scale}")
    ax.set_ylim(0, 4.2)
    ax.set_title("mode sampling: histogram vs density", fontsize=10)
    ax.set_xlabel("t")
    ax.legend(fontsize=7.5)
    fig.tight_layout()
    return fig


def _shift_figure():
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.4))
    t = np.linspace(0, 1, 161)
    ax = axes[0]
    for k, shift in enumerate((1.0, 1.5, 3.0)):
        ax.plot(t, shift_timestep(t, shift), color=f"C{k}", label=f"$\\rho$ = {shift}")
    ax.set_xlabel("$t_n$")
    ax.set_ylabel("$t_m$")
    ax.set_aspect("equal")
    ax.legend(fontsize=8)
    ax.set_title("shifted timestep", fontsize=10)
    ax = axes[1]
    u = np.linspace(0.01, 0.99, 197)  # the uniform grid of sampling steps
    for k, shift in enumerate((1.0, 1.5, 3.0)):
        ax.plot(u, log_snr(shift_timestep(u, shift))[0], color=f"C{k}",
                label=f"$\\rho$ = {shift}")
    lam = log_snr(0.5)[0]
    ax.annotate("", xy=(0.5, lam - 2 * math.log(3.0)), xytext=(0.5, lam),
                arrowprops=dict(arrowstyle="->", color="k"))
    ax.text(0.54, 1.6, r"$-2\log\rho = -\log\frac{m}{n}$ for $\rho = 3$", fontsize=9)
    ax.set_xlabel("$t_n$ (uniform step grid)")
    ax.set_ylabel(r"log-SNR $\lambda$ at $t_m$")
    ax.legend(fontsize=8)
    ax.set_title("log-SNR before and after the shift", fontsize=10)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"sd3-concept": _concept_figure(),
            "sd3-sampling": _sampling_figure(),
            "sd3-timesteps": _timesteps_figure(),
            "sd3-shift": _shift_figure()}
