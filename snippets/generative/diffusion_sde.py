"""Diffusion models as stochastic differential equations (score-based SDE framework).

Page: generative/diffusion-sde (docs/generative/diffusion-sde.md); each function names
the anchor of the equation it implements. Time runs over t in [0, 1]; data sit at t = 0 and
noise at t = 1. An SDE is a callable sde(x, t) -> (drift f_t(x), diffusion g_t), a score
a callable score(x, t) -> grad_x log p_t(x); x is an array of independent 1-D samples
(any shape), t a float.
"""

from __future__ import annotations

import math

import numpy as np


def _check_time(name: str, t) -> np.ndarray:
    # dtype=None is equivalent: the comparisons below and the arithmetic make floats
    t = np.asarray(t, dtype=float)  # pragma: no mutate
    if not np.all(np.isfinite(t)) or np.any(t < 0.0) or np.any(t > 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got {t}")
    return t


def _check_schedule(name_lo: str, lo: float, name_hi: str, hi: float) -> None:
    if not lo > 0.0:
        raise ValueError(f"{name_lo} must be > 0, got {lo!r}")
    if not hi >= lo:
        raise ValueError(f"{name_hi} must be >= {name_lo}, got {hi!r} < {lo!r}")


def _check_steps(name: str, n, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


# --8<-- [start:euler_maruyama]
def euler_maruyama(x0, sde, n_steps: int, rng: np.random.Generator) -> np.ndarray:
    """Forward SDE dx = f_t(x) dt + g_t dw on [0, 1], Euler-Maruyama (#eq-forward-sde).

    x_{t+dt} = x_t + f_t(x_t) dt + g_t sqrt(dt) z, z ~ N(0, 1) fresh at every step.
    x0: array of starting points, shape S. Returns the paths, shape (n_steps + 1, *S);
    row k is the state at time t_k = k / n_steps.
    """
    n_steps = _check_steps("n_steps", n_steps, 1)
    dt = 1.0 / n_steps
    # dtype=None is equivalent: the first step makes x float, np.stack upcasts row 0
    x = np.asarray(x0, dtype=float)  # pragma: no mutate
    paths = [x]
    for k in range(n_steps):
        drift, diffusion = sde(x, k * dt)
        x = x + drift * dt + diffusion * math.sqrt(dt) * rng.standard_normal(x.shape)
        paths.append(x)
    return np.stack(paths)
# --8<-- [end:euler_maruyama]


# --8<-- [start:linear_moments]
def linear_moments(f, g, m0: float, v0: float, t: float, n_steps: int = 1000):
    """Mean and variance of dx = f(t) x dt + g(t) dw, by RK4 on (#eq-linear-gaussian)

        dm/dt = f(t) m,    dv/dt = 2 f(t) v + g(t)^2,    m(0) = m0, v(0) = v0.

    f, g: callables of t. Returns (m(t), v(t)) as floats.
    """
    n_steps = _check_steps("n_steps", n_steps, 1)
    t = float(_check_time("t", t))
    if not v0 >= 0.0:
        raise ValueError(f"v0 must be >= 0, got {v0!r}")

    def rate(s, y):
        return np.array([f(s) * y[0], 2.0 * f(s) * y[1] + g(s) ** 2])

    h = t / n_steps
    # dtype=None is equivalent: the first RK4 update makes y float whatever m0, v0 are
    y = np.array([m0, v0], dtype=float)  # pragma: no mutate
    for k in range(n_steps):
        s = k * h
        k1 = rate(s, y)
        k2 = rate(s + h / 2, y + h / 2 * k1)
        k3 = rate(s + h / 2, y + h / 2 * k2)
        k4 = rate(s + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return float(y[0]), float(y[1])
# --8<-- [end:linear_moments]


# --8<-- [start:vp_marginal]
def vp_beta(t, beta_min: float = 0.1, beta_max: float = 20.0):
    """Noise schedule beta(t) = beta_min + t (beta_max - beta_min) (#eq-vp-sde)."""
    t = _check_time("t", t)
    _check_schedule("beta_min", beta_min, "beta_max", beta_max)
    return beta_min + t * (beta_max - beta_min)


def vp_sde(x, t, beta_min: float = 0.1, beta_max: float = 20.0):
    """VP-SDE dx = -beta(t)/2 x dt + sqrt(beta(t)) dw: returns (drift, diffusion)."""
    beta = vp_beta(t, beta_min, beta_max)
    return -0.5 * beta * np.asarray(x), np.sqrt(beta)


def vp_marginal(t, beta_min: float = 0.1, beta_max: float = 20.0):
    """p(x_t | x_0) = N(mean_coef x_0, std^2) of the VP-SDE (#eq-vp-sde).

    mean_coef = exp(-B(t)/2), std = sqrt(1 - exp(-B(t))),
    B(t) = int_0^t beta = beta_min t + (beta_max - beta_min) t^2 / 2.
    t: float or array in [0, 1]; both results have its shape.
    """
    t = _check_time("t", t)
    _check_schedule("beta_min", beta_min, "beta_max", beta_max)
    integral = beta_min * t + 0.5 * (beta_max - beta_min) * t**2
    mean_coef = np.exp(-0.5 * integral)
    std = np.sqrt(-np.expm1(-integral))  # 1 - exp(-B), accurate for small B
    return mean_coef, std
# --8<-- [end:vp_marginal]


# --8<-- [start:ve_marginal]
def ve_sde(x, t, sigma_min: float = 0.01, sigma_max: float = 50.0):
    """VE-SDE dx = sqrt(d sigma^2 / dt) dw, sigma(t) = sigma_min (sigma_max/sigma_min)^t.

    Returns (drift, diffusion) = (0, sigma(t) sqrt(2 ln(sigma_max / sigma_min))).
    """
    t = _check_time("t", t)
    _check_schedule("sigma_min", sigma_min, "sigma_max", sigma_max)
    sigma = sigma_min * (sigma_max / sigma_min) ** t
    diffusion = sigma * math.sqrt(2.0 * math.log(sigma_max / sigma_min))
    # dtype=None is equivalent: a zero drift is 0 in any dtype
    return np.zeros_like(np.asarray(x, dtype=float)), diffusion  # pragma: no mutate


def ve_marginal(t, sigma_min: float = 0.01, sigma_max: float = 50.0,
                exact: bool = True):
    """p(x_t | x_0) = N(x_0, std^2) of the VE-SDE (#eq-ve-sde).

    exact=True: std^2 = sigma(t)^2 - sigma(0)^2, the variance the SDE adds from t = 0.
    exact=False: std = sigma(t), the convention of common code (score_sde), which treats
    x_0 as already perturbed by sigma_min. Returns (mean_coef = 1, std).
    """
    t = _check_time("t", t)
    _check_schedule("sigma_min", sigma_min, "sigma_max", sigma_max)
    sigma = sigma_min * (sigma_max / sigma_min) ** t
    std = np.sqrt(sigma**2 - sigma_min**2) if exact else sigma
    return np.ones_like(t), std
# --8<-- [end:ve_marginal]


# --8<-- [start:ddpm_alpha_bar]
def ddpm_alpha_bar(n_steps: int, beta_min: float = 0.1, beta_max: float = 20.0):
    """DDPM's alpha_bar_i = prod_{j<=i} (1 - beta_j), i = 1..N (#eq-ddpm-limit).

    The discrete betas are beta_i = beta(t_i) / N on the grid beta_1 = beta_min / N ..
    beta_N = beta_max / N (N = 1000 gives DDPM's 1e-4 .. 0.02). sqrt(alpha_bar_i)
    tends to the VP mean coefficient exp(-B(i/N)/2) as N grows. Returns shape (N,).
    """
    n_steps = _check_steps("n_steps", n_steps, 2)
    _check_schedule("beta_min", beta_min, "beta_max", beta_max)
    if not beta_max < n_steps:
        raise ValueError(f"n_steps must exceed beta_max so that every beta_i < 1, "
                         f"got {n_steps!r}")
    betas = np.linspace(beta_min, beta_max, n_steps) / n_steps
    return np.cumprod(1.0 - betas)
# --8<-- [end:ddpm_alpha_bar]


# --8<-- [start:conditional_score]
def conditional_score(x_t, x0, mean_coef, std):
    """grad_{x_t} log N(x_t; mean_coef x0, std^2) = -(x_t - mean_coef x0) / std^2
    (#eq-denoising-target). With x_t = mean_coef x0 + std z it equals -z / std.
    """
    # dtype=None is equivalent: the comparison and the division make floats
    std = np.asarray(std, dtype=float)  # pragma: no mutate
    if not np.all(std > 0.0):
        raise ValueError(f"std must be > 0, got {std}")
    return -(np.asarray(x_t) - mean_coef * np.asarray(x0)) / std**2
# --8<-- [end:conditional_score]


# --8<-- [start:dsm_loss]
def dsm_loss(score, x0, t, z, beta_min: float = 0.1, beta_max: float = 20.0) -> float:
    """Denoising score matching with lambda(t) = std(t)^2 (#eq-score-matching):

        mean over samples of std^2 (score(x_t, t) - grad log p(x_t | x_0))^2
        = mean of (std score(x_t, t) + z)^2,   x_t = mean_coef x0 + std z.

    x0, t, z: arrays of one shape (one time and one noise per sample); t > 0.
    score(x, t) must accept arrays x and t of that shape.
    """
    # dtype=None is equivalent: only shapes are compared, the arithmetic makes floats
    x0, z = np.asarray(x0, dtype=float), np.asarray(z, dtype=float)  # pragma: no mutate
    t = _check_time("t", t)
    if not (x0.shape == t.shape == z.shape):
        raise ValueError(f"x0, t and z must have one shape, got {x0.shape}, "
                         f"{t.shape}, {z.shape}")
    mean_coef, std = vp_marginal(t, beta_min, beta_max)
    x_t = mean_coef * x0 + std * z
    target = conditional_score(x_t, x0, mean_coef, std)
    return float(np.mean(std**2 * (score(x_t, t) - target) ** 2))
# --8<-- [end:dsm_loss]


# --8<-- [start:mixture_marginal]
def mixture_marginal(x, mean_coef, std, weights, means, stds):
    """Density and score at time t of data sum_k rho_k N(mu_k, tau_k^2)
    (#eq-mixture-score).

    Each component moves to N(m_k, v_k), m_k = mean_coef mu_k,
    v_k = mean_coef^2 tau_k^2 + std^2, so p_t(x) = sum_k rho_k N_k(x) and
    grad log p_t(x) = sum_k xi_k(x) (-(x - m_k) / v_k), xi_k = rho_k N_k(x) / p_t(x)
    the posterior weight. Returns (pdf, score).
    """
    # dtype=None is equivalent: the arithmetic below makes floats of integer inputs
    rho = np.asarray(weights, dtype=float)  # pragma: no mutate
    mu = np.asarray(means, dtype=float)  # pragma: no mutate
    tau = np.asarray(stds, dtype=float)  # pragma: no mutate
    if rho.ndim != 1 or rho.shape != mu.shape or rho.shape != tau.shape:
        raise ValueError("weights, means and stds must be 1-D of one length")
    if np.any(rho < 0.0) or not math.isclose(rho.sum(), 1.0):
        raise ValueError(f"weights must be >= 0 and sum to 1, got {rho}")
    # samples along a new last axis k; dtype=None is equivalent, x - m makes floats
    x = np.asarray(x, dtype=float)[..., None]  # pragma: no mutate
    m = mean_coef * mu
    v = mean_coef**2 * tau**2 + std**2
    log_nk = -0.5 * (x - m) ** 2 / v - 0.5 * np.log(2 * np.pi * v)
    top = log_nk.max(axis=-1, keepdims=True)  # for a stable log-sum-exp
    weighted = rho * np.exp(log_nk - top)  # rho_k N_k(x), up to the factor exp(top)
    pdf = weighted.sum(axis=-1) * np.exp(top[..., 0])
    xi = weighted / weighted.sum(axis=-1, keepdims=True)
    score = (xi * (-(x - m) / v)).sum(axis=-1)
    return pdf, score
# --8<-- [end:mixture_marginal]


# --8<-- [start:reverse_sde_sample]
def reverse_sde_sample(x1, sde, score, n_steps: int,
                       rng: np.random.Generator) -> np.ndarray:
    """Reverse SDE dx = [f_t(x) - g_t^2 grad log p_t(x)] dt + g_t dw_bar from t = 1 to
    t = 0, Euler-Maruyama with dt > 0 going back (#eq-reverse-sde):

        x_{t-dt} = x_t - [f_t(x_t) - g_t^2 score(x_t, t)] dt + g_t sqrt(dt) z.

    x1: samples of p_1, shape S. Returns the samples at t = 0, shape S.
    """
    n_steps = _check_steps("n_steps", n_steps, 1)
    dt = 1.0 / n_steps
    # dtype=None is equivalent: the first step makes x float
    x = np.asarray(x1, dtype=float)  # pragma: no mutate
    for k in range(n_steps, 0, -1):
        t = k * dt
        drift, diffusion = sde(x, t)
        x = (x - (drift - diffusion**2 * score(x, t)) * dt
             + diffusion * math.sqrt(dt) * rng.standard_normal(x.shape))
    return x
# --8<-- [end:reverse_sde_sample]


# --8<-- [start:probability_flow_sample]
def probability_flow_sample(x1, sde, score, n_steps: int) -> np.ndarray:
    """Probability-flow ODE dx/dt = f_t(x) - g_t^2 grad log p_t(x) / 2 from t = 1 to
    t = 0, Euler steps going back (#eq-probability-flow); deterministic given x1.
    """
    n_steps = _check_steps("n_steps", n_steps, 1)
    dt = 1.0 / n_steps
    # dtype=None is equivalent: the first step makes x float
    x = np.asarray(x1, dtype=float)  # pragma: no mutate
    for k in range(n_steps, 0, -1):
        t = k * dt
        drift, diffusion = sde(x, t)
        x = x - (drift - 0.5 * diffusion**2 * score(x, t)) * dt
    return x
# --8<-- [end:probability_flow_sample]


if __name__ == "__main__":
    for t in (0.1, 0.5, 1.0):
        a, s = vp_marginal(t)
        print(f"VP t = {t}: mean_coef = {a:.4f}, std = {s:.4f}")
    for t in (0.05, 1.0):
        print(f"VE t = {t}: std = {float(ve_marginal(t)[1]):.4f} (exact), "
              f"{float(ve_marginal(t, exact=False)[1]):.4f} (sigma(t))")
    for n in (50, 200, 1000):
        ratio = np.sqrt(ddpm_alpha_bar(n)[-1]) / vp_marginal(1.0)[0]
        print(f"N = {n}: sqrt(alpha_bar_N) / exp(-B(1)/2) - 1 = {ratio - 1:.3e}")
    rng = np.random.default_rng(0)
    mu0, s0 = 2.0, 0.5  # data N(2, 0.5^2)

    def gauss_score(x, t):
        a, s = vp_marginal(t)
        return -(x - a * mu0) / (a**2 * s0**2 + s**2)

    a1, s1 = vp_marginal(1.0)
    x1 = a1 * mu0 + np.sqrt(a1**2 * s0**2 + s1**2) * rng.standard_normal(10_000)
    xs = reverse_sde_sample(x1, vp_sde, gauss_score, 200, rng)
    xo = probability_flow_sample(x1, vp_sde, gauss_score, 200)
    print(f"reverse SDE: mean {xs.mean():.3f}, std {xs.std():.3f}; "
          f"probability flow: mean {xo.mean():.3f}, std {xo.std():.3f}")
