"""Stable Diffusion 3: rectified flow, timestep densities, resolution shift, MM-DiT.

Page: vision/sd3 (docs/vision/sd3.md); each function names the anchor of the equation it
implements. Time t runs over [0, 1]: data x_0 at t = 0, noise z ~ N(0, I) at t = 1. The
path is x_t = a_t x_0 + b_t z (the paper writes z_t for x_t and epsilon for z);
rectified flow is a_t = 1 - t, b_t = t. Arrays are numpy, float64; shapes broadcast.
"""

from __future__ import annotations

import math

import numpy as np

KINDS = ("rf", "cosine")  # the paths of this page: straight, and the cosine schedule


def _check_time(name: str, t, open_interval: bool = False) -> np.ndarray:
    # dtype=None is equivalent: the comparisons below and the arithmetic make floats
    t = np.asarray(t, dtype=float)  # pragma: no mutate
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{name} must be finite, got {t}")
    if open_interval and (np.any(t <= 0.0) or np.any(t >= 1.0)):
        raise ValueError(f"{name} must lie in (0, 1), got {t}")
    if np.any(t < 0.0) or np.any(t > 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got {t}")
    return t


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def _check_positive(name: str, value) -> None:
    if not np.all(np.asarray(value) > 0.0):
        raise ValueError(f"{name} must be > 0, got {value!r}")


def _check_steps(name: str, n, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


# --8<-- [start:rf_interpolant]
def rf_interpolant(x0, noise, t):
    """Rectified flow x_t = (1 - t) x_0 + t z and its velocity target z - x_0
    (#eq-rectified-flow). x0, noise: arrays of one shape; t broadcasts against them.
    Returns (x_t, target).
    """
    t = _check_time("t", t)
    x0, noise = np.asarray(x0), np.asarray(noise)
    if x0.shape != noise.shape:
        raise ValueError(f"x0 and noise must have one shape, got {x0.shape}, "
                         f"{noise.shape}")
    x_t = (1.0 - t) * x0 + t * noise
    target = noise - x0  # d x_t / dt, the same for every t
    return x_t, target
# --8<-- [end:rf_interpolant]


# --8<-- [start:path_coefficients]
def path_coefficients(t, kind: str = "rf"):
    """a_t, b_t of x_t = a_t x_0 + b_t z and their time derivatives (#eq-log-snr).

    rf:     a = 1 - t,         b = t
    cosine: a = cos(pi t / 2), b = sin(pi t / 2)
    Returns (a, b, da, db), each with the shape of t.
    """
    t = _check_time("t", t)
    _check_kind(kind)
    if kind == "rf":
        return 1.0 - t, t, -np.ones_like(t), np.ones_like(t)
    h = 0.5 * math.pi
    return np.cos(h * t), np.sin(h * t), -h * np.sin(h * t), h * np.cos(h * t)


def log_snr(t, kind: str = "rf"):
    """lambda_t = log(a_t^2 / b_t^2) and lambda'_t = 2 (a'_t / a_t - b'_t / b_t)
    (#eq-log-snr), for t in (0, 1). Returns (lam, dlam).
    """
    t = _check_time("t", t, open_interval=True)
    a, b, da, db = path_coefficients(t, kind)
    lam = 2.0 * np.log(a / b)
    dlam = 2.0 * (da / a - db / b)
    return lam, dlam
# --8<-- [end:path_coefficients]


# --8<-- [start:conditional_velocity]
def conditional_velocity(x_t, noise, t, kind: str = "rf"):
    """u_t(x | z) = (a'_t / a_t) x - (b_t / 2) lambda'_t z (#eq-log-snr, paper Eq. 10):
    the velocity of the path through x that carries the noise z. t in (0, 1).
    """
    a, b, da, _ = path_coefficients(t, kind)
    _, dlam = log_snr(t, kind)
    return da / a * np.asarray(x_t) - 0.5 * b * dlam * np.asarray(noise)
# --8<-- [end:conditional_velocity]


# --8<-- [start:loss_weight]
def loss_weight(t, kind: str = "rf"):
    """w_t = -lambda'_t b_t^2 / 2 (#eq-loss-weight): with it the flow-matching loss
    ||v - u_t(x | z)||^2 equals -(1/2) w_t lambda'_t ||z_hat - z||^2.
    For rf, w_t = t / (1 - t).
    """
    _, b, _, _ = path_coefficients(t, kind)
    _, dlam = log_snr(t, kind)
    return -0.5 * dlam * b**2


def noise_from_velocity(v, x_t, t, kind: str = "rf"):
    """z_hat = -2 / (lambda'_t b_t) (v - (a'_t / a_t) x_t), the noise prediction that a
    velocity prediction v implies (#eq-loss-weight).
    """
    a, b, da, _ = path_coefficients(t, kind)
    _, dlam = log_snr(t, kind)
    return -2.0 / (dlam * b) * (np.asarray(v) - da / a * np.asarray(x_t))
# --8<-- [end:loss_weight]


# --8<-- [start:gaussian_velocity]
def gaussian_velocity(x, t, mean, std):
    """Marginal velocity u_t(x) = E[z - x_0 | x_t = x] of rectified flow for data
    x_0 ~ N(mean, std^2), coordinate by coordinate (#eq-gaussian-velocity):

        u_t(x) = -mean + (t - (1 - t) std^2) / ((1 - t)^2 std^2 + t^2)
                         * (x - (1 - t) mean).

    x, mean, std broadcast; t in [0, 1] (std > 0 keeps the denominator positive).
    """
    t = _check_time("t", t)
    _check_positive("std", std)
    mean, var = np.asarray(mean), np.asarray(std) ** 2
    marginal_var = (1.0 - t) ** 2 * var + t**2  # Var x_t
    cov = t - (1.0 - t) * var  # Cov(z - x_0, x_t)
    return -mean + cov / marginal_var * (np.asarray(x) - (1.0 - t) * mean)
# --8<-- [end:gaussian_velocity]


# --8<-- [start:euler_sample]
def euler_sample(x1, velocity, n_steps: int, shift: float = 1.0) -> np.ndarray:
    """Integrate dx/dt = velocity(x, t) from t = 1 (noise) to t = 0 with Euler steps
    (#eq-euler-sampler):
        x_{t_{k-1}} = x_{t_k} + (t_{k-1} - t_k) velocity(x_{t_k}, t_k)
    on the grid t_k = shift_timestep(k / n_steps, shift), k = n_steps, ..., 1.
    x1: samples of N(0, I), any shape. Returns the samples at t = 0.
    """
    n_steps = _check_steps("n_steps", n_steps)
    grid = shift_timestep(np.arange(n_steps + 1) / n_steps, shift)
    # dtype=None is equivalent: the first step makes x float
    x = np.asarray(x1, dtype=float)  # pragma: no mutate
    for k in range(n_steps, 0, -1):
        x = x + (grid[k - 1] - grid[k]) * velocity(x, grid[k])
    return x
# --8<-- [end:euler_sample]


# --8<-- [start:logit_normal_pdf]
def logit_normal_pdf(t, loc: float = 0.0, scale: float = 1.0):
    """pi_ln(t; loc, scale) = 1 / (scale sqrt(2 pi)) / (t (1 - t))
    * exp(-(logit(t) - loc)^2 / (2 scale^2)), t in (0, 1) (#eq-logit-normal).
    The paper writes (m, s) for (loc, scale).
    """
    t = _check_time("t", t, open_interval=True)
    _check_positive("scale", scale)
    logit = np.log(t / (1.0 - t))
    norm = 1.0 / (scale * math.sqrt(2.0 * math.pi))
    return norm / (t * (1.0 - t)) * np.exp(-((logit - loc) ** 2) / (2.0 * scale**2))


def sample_logit_normal(n: int, loc: float, scale: float,
                        rng: np.random.Generator) -> np.ndarray:
    """t = sigmoid(u), u ~ N(loc, scale^2): n samples of pi_ln (#eq-logit-normal)."""
    n = _check_steps("n", n)
    _check_positive("scale", scale)
    u = rng.normal(loc, scale, n)
    return 1.0 / (1.0 + np.exp(-u))
# --8<-- [end:logit_normal_pdf]


MODE_SCALE_MAX = 2.0 / (math.pi - 2.0)  # f_mode is monotone for -1 <= scale <= this


def _check_mode_scale(scale: float) -> None:
    if not -1.0 <= scale <= MODE_SCALE_MAX:
        raise ValueError(f"scale must lie in [-1, 2 / (pi - 2)], got {scale!r}")


# --8<-- [start:mode_map]
def _f_mode(u, scale: float):
    return 1.0 - u - scale * (np.cos(0.5 * math.pi * u) ** 2 - 1.0 + u)


def mode_map(u, scale: float):
    """f_mode(u; scale) = 1 - u - scale (cos^2(pi u / 2) - 1 + u), u in [0, 1]
    (#eq-mode-sampling); t = f_mode(u), u ~ U(0, 1). The paper writes s for scale.
    """
    return _f_mode(_check_time("u", u), scale)


# 60 halvings already reach float64 resolution: 61 (or more) gives the same u
def mode_pdf(t, scale: float, iterations: int = 60):  # pragma: no mutate
    """pi_mode(t; scale) = |d f_mode^{-1}(t) / dt| = 1 / |f_mode'(u)|, u = f^{-1}(t),
    f_mode'(u) = -1 - scale (1 - (pi / 2) sin(pi u)) (#eq-mode-sampling). The inverse is
    found by bisection (f_mode falls from 1 to 0); scale in [-1, 2 / (pi - 2)).
    """
    t = _check_time("t", t)
    _check_mode_scale(scale)
    lo, hi = np.zeros_like(t), np.ones_like(t)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        # f decreasing: the root lies right of mid; ">=" is equivalent (f(mid) = t
        # exactly only on a set of measure zero, and then either half keeps the root)
        above = _f_mode(mid, scale) > t  # pragma: no mutate
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    u = 0.5 * (lo + hi)
    slope = -1.0 - scale * (1.0 - 0.5 * math.pi * np.sin(math.pi * u))
    return 1.0 / np.abs(slope)


def sample_mode(n: int, scale: float, rng: np.random.Generator) -> np.ndarray:
    """t = f_mode(u; scale), u ~ U(0, 1): n samples of pi_mode (#eq-mode-sampling)."""
    n = _check_steps("n", n)
    _check_mode_scale(scale)
    return mode_map(rng.random(n), scale)
# --8<-- [end:mode_map]


# --8<-- [start:shift_timestep]
def shift_timestep(t, shift):
    """t_m = shift t_n / (1 + (shift - 1) t_n), shift = sqrt(m / n) (#eq-timestep-shift,
    paper Eq. 23): the timestep at m pixels with the uncertainty t_n has at n pixels.
    The paper writes alpha for shift.
    """
    t = _check_time("t", t)
    _check_positive("shift", shift)
    # the denominator is 1 + (shift - 1) t, written so that t = 1 maps to 1 exactly
    return shift * t / ((1.0 - t) + shift * t)


def constant_image_uncertainty(t, n_pixels):
    """sigma(t, n) = t / (1 - t) / sqrt(n): the standard deviation of the estimate
    c_hat = mean(x_t) / (1 - t) of a constant image c from x_t = (1 - t) c + t z
    with n pixels (#eq-timestep-shift). t in [0, 1).
    """
    t = _check_time("t", t)
    if np.any(t >= 1.0):
        raise ValueError(f"t must be < 1, got {t}")
    _check_positive("n_pixels", n_pixels)
    return t / (1.0 - t) / np.sqrt(n_pixels)
# --8<-- [end:shift_timestep]


# --8<-- [start:rms_norm]
def rms_norm(x, gain=None, eps: float = 1e-6):
    """RMSNorm(x) = g * x / sqrt(mean(x^2) + xi) over the last axis (#eq-qk-norm);
    gain g of shape (d,), None for g = 1; eps is the stabiliser xi.
    """
    x = np.asarray(x)
    if not eps >= 0.0:
        raise ValueError(f"eps must be >= 0, got {eps!r}")
    g = np.ones(x.shape[-1]) if gain is None else np.asarray(gain)
    if g.shape != (x.shape[-1],):
        raise ValueError(f"gain must have shape ({x.shape[-1]},), got {g.shape}")
    return g * x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + eps)


def qk_norm_logits(q, k, gain_q=None, gain_k=None, eps: float = 1e-6):
    """Attention logits RMSNorm(q) RMSNorm(k)^T / sqrt(d) (#eq-qk-norm).
    q: (Lq, d), k: (Lk, d). Each is at most sqrt(d) max_i |g_q,i g_k,i| in magnitude.
    """
    q, k = np.asarray(q), np.asarray(k)
    if q.ndim != 2 or k.ndim != 2 or q.shape[1] != k.shape[1]:
        raise ValueError(f"q and k must be (L, d) with one d, got {q.shape}, {k.shape}")
    d = q.shape[1]
    return rms_norm(q, gain_q, eps) @ rms_norm(k, gain_k, eps).T / math.sqrt(d)
# --8<-- [end:rms_norm]


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))  # rows of a 2-D array
    return e / e.sum(axis=1, keepdims=True)


# --8<-- [start:joint_attention]
def joint_attention(x, c, weights_x, weights_c, n_heads: int):
    """MM-DiT attention (#eq-mm-dit): image tokens x (Lx, D) and text tokens c (Lc, D)
    are projected with their own weights (W_q, W_k, W_v, W_o), each (D, D); one softmax
    attention runs over the joined sequence [c; x]; each stream keeps its own output
    projection. Returns (x_out, c_out).
    """
    x, c = np.asarray(x), np.asarray(c)
    if x.ndim != 2 or c.ndim != 2 or c.shape[1] != x.shape[1]:
        raise ValueError(f"x and c must be (L, D) with one D, got {x.shape}, {c.shape}")
    dim = x.shape[1]
    if n_heads < 1 or dim % n_heads:
        raise ValueError(f"n_heads must divide D = {dim}, got {n_heads!r}")
    qc, kc, vc = (c @ w for w in weights_c[:3])
    qx, kx, vx = (x @ w for w in weights_x[:3])
    q, k, v = (np.concatenate(p) for p in ((qc, qx), (kc, kx), (vc, vx)))
    h = dim // n_heads
    heads = [_softmax(q[:, i:i + h] @ k[:, i:i + h].T / math.sqrt(h)) @ v[:, i:i + h]
             for i in range(0, dim, h)]
    out = np.concatenate(heads, axis=1)
    n_c = c.shape[0]
    return out[n_c:] @ weights_x[3], out[:n_c] @ weights_c[3]
# --8<-- [end:joint_attention]


if __name__ == "__main__":
    # the toy of the page: one data point x_0 = 2.0 and one noise draw z = -1.0
    x0, z = 2.0, -1.0
    for t in (0.0, 0.5, 1.0):
        xt, target = rf_interpolant(x0, z, t)
        print(f"t = {t}: x_t = {float(xt):.2f}, target z - x_0 = {float(target):.2f}")
    # Gaussian data N(2, 0.5^2), the exact marginal velocity, Euler from noise
    mu0, s0 = 2.0, 0.5

    def field(x, t):
        return gaussian_velocity(x, t, mu0, s0)

    rng = np.random.default_rng(0)
    x1 = rng.standard_normal(100_000)
    for n in (1, 2, 4, 8, 32):
        x = euler_sample(x1, field, n)
        print(f"Euler N = {n}: mean {x.mean():.4f}, std {x.std():.4f}")
    print(f"u_0.5(2.0) = {float(gaussian_velocity(2.0, 0.5, mu0, s0)):.4f}")
    # Euler's global error bound h M / (2 L) (e^L - 1) for the path from x_1 = 1
    tt = np.linspace(0.0, 1.0, 100_001)
    big_s = (1 - tt) ** 2 * s0**2 + tt**2  # Var x_t
    half_ds = tt - (1 - tt) * s0**2  # (d Var x_t / dt) / 2
    lip = np.max(np.abs(half_ds / big_s))
    m2 = np.max(np.abs(((1 + s0**2) * big_s - half_ds**2) / big_s**1.5))
    const = m2 / (2 * lip) * (math.exp(lip) - 1)
    err32 = abs(float(euler_sample(np.array([1.0]), field, 32)[0]) - (mu0 + s0))
    print(f"L = {lip:.4f}, M = {m2:.4f}, bound = {const:.4f} / N; "
          f"N = 32: error {err32:.4f} <= {const / 32:.4f}")
    # weights and timestep densities
    print("w_t^RF at t = 0.1, 0.5, 0.9:",
          ", ".join(f"{float(loss_weight(t)):.4f}" for t in (0.1, 0.5, 0.9)))
    print(f"pi_ln(0.5; 0, 1) = {float(logit_normal_pdf(0.5)):.4f}, "
          f"pi_mode(0.5; 1.29) = {float(mode_pdf(0.5, 1.29)):.4f}, "
          f"pi_mode(0; 1.29) = {float(mode_pdf(0.0, 1.29)):.4f}")
    # the resolution shift of SD3 at 1024^2: shift = 3
    for t in (0.25, 0.5, 0.75):
        lam_n = float(log_snr(t)[0])
        t_m = float(shift_timestep(t, 3.0))
        print(f"shift 3: t = {t} -> {t_m:.4f}, log-SNR {lam_n:.4f} -> "
              f"{float(log_snr(t_m)[0]):.4f}")
    print(f"-2 log 3 = {-2 * math.log(3.0):.4f}")
