"""Figures of generative/diffusion-sde, computed with the page's own snippet functions."""

from __future__ import annotations


import matplotlib.pyplot as plt
import numpy as np

from snippets.generative.diffusion_sde import (
    ddpm_alpha_bar,
    euler_maruyama,
    mixture_marginal,
    probability_flow_sample,
    reverse_sde_sample,
    ve_marginal,
    ve_sde,
    vp_marginal,
    vp_sde,
)

W, MU, SD = [0.3, 0.7], [-2.0, 1.5], [0.4, 0.6]  # the 1-D Gaussian mixture of the page
N_SAMPLES = 20_000
N_STEPS = 500


def sample_data(n: int, rng: np.random.Generator) -> np.ndarray:
    k = rng.choice(2, size=n, p=W)
    return np.asarray(MU)[k] + np.asarray(SD)[k] * rng.standard_normal(n)


def vp_score(x, t):
    return mixture_marginal(x, *vp_marginal(t), W, MU, SD)[1]


def _concept_figure():
    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    rng = np.random.default_rng(3)
    # 100 steps draw the paths as well as 200 and keep the SVG (every noisy point) small
    paths = euler_maruyama(sample_data(12, rng), vp_sde, 100, rng)
    t = np.linspace(0, 1, 101)
    for path in paths.T:
        ax.plot(t, path, lw=0.8, alpha=0.7)
    y = np.linspace(-4, 4, 200)
    for t0, colour in ((0.0, "C0"), (1.0, "C3")):
        pdf, _ = mixture_marginal(y, *vp_marginal(t0), W, MU, SD)
        sign = -1 if t0 == 0.0 else 1
        ax.fill_betweenx(y, t0, t0 + sign * 0.25 * pdf / pdf.max(), color=colour, alpha=0.3)
    ax.annotate("", xy=(0.8, 3.6), xytext=(0.2, 3.6),
                arrowprops=dict(arrowstyle="->", color="k"))
    ax.text(0.5, 3.75, "forward: $dx = f_t(x)dt + g_t dw$", ha="center", fontsize=9)
    ax.annotate("", xy=(0.2, -3.6), xytext=(0.8, -3.6),
                arrowprops=dict(arrowstyle="->", color="k"))
    ax.text(0.5, -3.45, r"reverse: $dx = [f_t(x) - g_t^2 \nabla_x \log p_t(x)]dt + g_t d\bar w$",
            ha="center", fontsize=9)
    ax.text(-0.27, -2.3, "data $p_0$", color="C0", fontsize=9)
    ax.text(1.05, 2.5, "noise $p_1$", color="C3", fontsize=9)
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(-4.2, 4.3)
    ax.set_xlabel("time t")
    ax.set_ylabel("x")
    ax.set_title("VP-SDE paths from a two-component mixture", fontsize=10)
    return fig


def _marginals_figure():
    times = (0.05, 0.2, 1.0)
    fig, axes = plt.subplots(2, 3, figsize=(9.0, 4.8))
    rng = np.random.default_rng(11)
    x0 = sample_data(N_SAMPLES, rng)
    for row, (name, sde, marginal) in enumerate(
            (("VP", vp_sde, vp_marginal), ("VE", ve_sde, ve_marginal))):
        paths = euler_maruyama(x0, sde, N_STEPS, rng)
        for col, t in enumerate(times):
            ax = axes[row, col]
            xt = paths[round(t * N_STEPS)]
            a, s = marginal(t)
            half = 4.5 if name == "VP" else max(4.5, 4 * float(s))
            grid = np.linspace(-half, half, 400)
            pdf, _ = mixture_marginal(grid, a, s, W, MU, SD)
            ax.hist(xt, bins=80, range=(-half, half), density=True, color="0.7", histtype="stepfilled")
            ax.plot(grid, pdf, "C0" if name == "VP" else "C1", lw=1.4)
            ax.set_title(f"{name}, t = {t}", fontsize=9)
            ax.tick_params(labelsize=8)
    axes[0, 0].legend(["closed form $p_t$", "Euler-Maruyama"], fontsize=7)
    fig.tight_layout()
    return fig


def _sampling_figure():
    fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.2))
    rng = np.random.default_rng(5)
    x1 = rng.standard_normal(N_SAMPLES)  # p_1 is N(0, 1) to within exp(-B(1)/2) = 0.0066
    grid = np.linspace(-4, 4, 400)
    pdf, _ = mixture_marginal(grid, 1.0, 0.0, W, MU, SD)
    samples = (reverse_sde_sample(x1, vp_sde, vp_score, N_STEPS, rng),
               probability_flow_sample(x1, vp_sde, vp_score, N_STEPS))
    for ax, x, title in zip(axes, samples, ("reverse SDE", "probability-flow ODE")):
        ax.hist(x, bins=80, range=(-4, 4), density=True, color="0.7", histtype="stepfilled")
        ax.plot(grid, pdf, "C0", lw=1.4)
        ax.set_title(f"{title}, {N_STEPS} steps", fontsize=9)
    ax = axes[2]
    t_fine = np.linspace(0, 1, 200)
    ax.plot(t_fine, vp_marginal(t_fine)[0], "k", lw=1.6, label=r"$e^{-B(t)/2}$")
    for n, style in ((25, "C3--"), (100, "C2-."), (1000, "C0:")):
        t = np.arange(1, n + 1) / n
        ax.plot(t, np.sqrt(ddpm_alpha_bar(n)), style, label=rf"$\sqrt{{\bar\alpha_i}}$, N = {n}")
    ax.set_xlabel("t = i / N")
    ax.set_title("DDPM vs VP mean coefficient", fontsize=9)
    ax.legend(fontsize=7)
    for a in axes:
        a.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


def figures() -> dict:
    return {"diffusion-sde-concept": _concept_figure(),
            "diffusion-sde-marginals": _marginals_figure(),
            "diffusion-sde-sampling": _sampling_figure()}
