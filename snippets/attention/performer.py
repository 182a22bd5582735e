"""Performer (FAVOR+): the softmax kernel as an expectation over random features.

Page: attention/performer (docs/attention/performer.md); each function names the
anchor of the equation it implements. Vectors x, y have shape (..., d); a random-feature
matrix omega has shape (m, d), one random direction omega_i per row (more leading
dimensions, (..., m, d), stand for independent draws and broadcast with those of x as in
a matrix product). The
softmax kernel is SM(x, y) = exp(xᵀy). Arrays are NumPy; favor_attention takes torch
tensors, because it builds on the shared core snippets/attention/linear_attention.py.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from snippets.attention.linear_attention import linear_attention, softmax_attention


def _check_x_omega(x, omega) -> tuple[np.ndarray, np.ndarray]:
    x, omega = np.asarray(x), np.asarray(omega)
    if x.ndim < 1:
        raise ValueError("x must have shape (..., d)")
    if omega.ndim < 2 or omega.shape[-2] < 1:
        raise ValueError("omega must have shape (m, d) with m >= 1")
    if omega.shape[-1] != x.shape[-1]:
        raise ValueError(f"omega must have d = {x.shape[-1]} columns like x, "
                         f"got {omega.shape[-1]}")
    return x, omega


def _project(x: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """ω_iᵀx for every row of omega: shape (..., m)."""
    return np.matmul(x, np.swapaxes(omega, -1, -2))


def _check_features(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


# --8<-- [start:positive_random_features]
def positive_random_features(x, omega) -> np.ndarray:
    """φ⁺(x) = exp(ω_iᵀx − ‖x‖²/2) / √m, i = 1..m (#eq-positive-features).

    E_ω[φ⁺(x)ᵀφ⁺(y)] = exp(xᵀy) for ω_i ~ N(0, I_d); every entry is > 0.
    x: (..., d), omega: (m, d). Returns (..., m).
    """
    x, omega = _check_x_omega(x, omega)
    m = omega.shape[-2]
    half_sq_norm = 0.5 * np.sum(x * x, axis=-1, keepdims=True)   # ‖x‖²/2, (..., 1)
    return np.exp(_project(x, omega) - half_sq_norm) / math.sqrt(m)
# --8<-- [end:positive_random_features]


# --8<-- [start:trig_random_features]
def trig_random_features(x, omega) -> np.ndarray:
    """φ_trig(x) = exp(‖x‖²/2) / √m · (sin ω_iᵀx, cos ω_iᵀx), i = 1..m
    (#eq-trig-features).

    φ_trig(x)ᵀφ_trig(y) = exp((‖x‖² + ‖y‖²)/2) · (1/m) Σ_i cos(ω_iᵀ(x − y)), unbiased
    for exp(xᵀy), but it can be negative. x: (..., d), omega: (m, d). Returns (..., 2m):
    the m sines, then the m cosines.
    """
    x, omega = _check_x_omega(x, omega)
    m = omega.shape[-2]
    proj = _project(x, omega)                                      # (..., m)
    scale = np.exp(0.5 * np.sum(x * x, axis=-1, keepdims=True)) / math.sqrt(m)
    return scale * np.concatenate([np.sin(proj), np.cos(proj)], axis=-1)
# --8<-- [end:trig_random_features]


# --8<-- [start:trig_negative_probability]
# the terms fall like exp(-(2k+1)² ‖x - y‖²/2): one term more or less changes nothing
def trig_negative_probability(x, y, n_terms: int = 200) -> np.ndarray:  # pragma: no mutate
    """P[φ_trig(x)ᵀφ_trig(y) < 0] with one feature (m = 1), ω ~ N(0, I_d)
    (#eq-trig-features).

    The estimate has the sign of cos g, g = ωᵀ(x − y) ~ N(0, ‖x − y‖²). The
    square wave sign(cos g) = (4/π) Σ_k (−1)ᵏ cos((2k+1)g)/(2k+1) and
    E cos(νg) = exp(−ν² ‖x − y‖²/2) give
        P = 1/2 − (2/π) Σ_{k≥0} (−1)ᵏ exp(−(2k+1)² ‖x − y‖²/2) / (2k+1).
    x, y: (..., d). Returns (...).
    """
    n_terms = _check_features("n_terms", n_terms)
    diff = np.asarray(x) - np.asarray(y)
    s2 = np.sum(diff * diff, axis=-1)[..., None]                   # ‖x − y‖², (..., 1)
    j = 2 * np.arange(n_terms) + 1                                 # 1, 3, 5, ...
    terms = (-1.0) ** np.arange(n_terms) * np.exp(-0.5 * j**2 * s2) / j
    return 0.5 - 2 / math.pi * terms.sum(-1)
# --8<-- [end:trig_negative_probability]


# --8<-- [start:estimator_variance]
def positive_variance(x, y, m: int) -> np.ndarray:
    """Var[φ⁺(x)ᵀφ⁺(y)] with m i.i.d. ω_i ~ N(0, I_d) (#eq-variance):

        (1/m) exp(‖x + y‖²) SM²(x, y) (1 − exp(−‖x + y‖²)),  SM(x, y) = exp(xᵀy).

    x, y: (..., d). Returns (...).
    """
    m = _check_features("m", m)
    x, y = np.asarray(x), np.asarray(y)
    z2 = np.sum((x + y) ** 2, axis=-1)                             # ‖x + y‖²
    sm = np.exp(np.sum(x * y, axis=-1))                            # SM(x, y)
    return np.exp(z2) * sm**2 * -np.expm1(-z2) / m


def trig_variance(x, y, m: int) -> np.ndarray:
    """Var[φ_trig(x)ᵀφ_trig(y)] with m i.i.d. ω_i ~ N(0, I_d) (#eq-variance):

        (1/(2m)) exp(‖x + y‖²) SM⁻²(x, y) (1 − exp(−‖x − y‖²))².

    x, y: (..., d). Returns (...).
    """
    m = _check_features("m", m)
    x, y = np.asarray(x), np.asarray(y)
    z2 = np.sum((x + y) ** 2, axis=-1)                             # ‖x + y‖²
    diff2 = np.sum((x - y) ** 2, axis=-1)                          # ‖x − y‖²
    sm = np.exp(np.sum(x * y, axis=-1))
    return np.exp(z2) / sm**2 * np.expm1(-diff2) ** 2 / (2 * m)
# --8<-- [end:estimator_variance]


# --8<-- [start:positive_relative_error]
def positive_relative_error(x, y, m: int) -> np.ndarray:
    """Relative RMSE of φ⁺(x)ᵀφ⁺(y), m i.i.d. features (#eq-rate):

        sqrt(Var_+) / SM(x, y) = sqrt((exp(‖x + y‖²) − 1) / m),

    which falls like 1/√m. x, y: (..., d). Returns (...).
    """
    m = _check_features("m", m)
    z = np.asarray(x) + np.asarray(y)
    return np.sqrt(np.expm1(np.sum(z * z, axis=-1)) / m)
# --8<-- [end:positive_relative_error]


def _check_batch(batch) -> tuple[int, ...]:
    batch = (batch,) if isinstance(batch, (int, np.integer)) else tuple(batch)
    for b in batch:
        _check_features("batch", b)
    return batch


# --8<-- [start:gaussian_omega]
def gaussian_omega(m: int, d: int, rng: np.random.Generator, batch=()) -> np.ndarray:
    """m i.i.d. rows ω_i ~ N(0, I_d): the random-feature matrix, shape (*batch, m, d);
    batch gives independent draws of the whole matrix."""
    m, d, batch = _check_features("m", m), _check_features("d", d), _check_batch(batch)
    return rng.standard_normal((*batch, m, d))
# --8<-- [end:gaussian_omega]


# --8<-- [start:orthogonal_omega]
def orthogonal_omega(m: int, d: int, rng: np.random.Generator, batch=()) -> np.ndarray:
    """Orthogonal random features (#eq-orthogonal): shape (*batch, m, d).

    Rows come in blocks of d; within a block they are exactly orthogonal. A block is
    Qᵀ from the QR factorisation of a d×d Gaussian matrix, with the signs of diag(R)
    moved into Q so that Q is uniform (Haar) on the orthogonal group; each row is then
    rescaled to an independent length ‖g‖, g ~ N(0, I_d), that is chi(d). So every row
    is still N(0, I_d), while rows of one block are orthogonal.
    """
    m, d, batch = _check_features("m", m), _check_features("d", d), _check_batch(batch)
    n_blocks = -(-m // d)                                          # ceil(m / d)
    q, r = np.linalg.qr(rng.standard_normal((*batch, n_blocks, d, d)))
    signs = np.sign(np.diagonal(r, axis1=-2, axis2=-1))            # (..., n_blocks, d)
    # dividing by signs = ±1 is multiplying by them
    q = q * signs[..., None, :]  # pragma: no mutate
    # Q and Qᵀ are both Haar-uniform: no test of the distribution tells rows from columns
    rows = np.swapaxes(q, -1, -2)  # pragma: no mutate
    directions = rows.reshape(*batch, n_blocks * d, d)[..., :m, :]
    lengths = np.linalg.norm(rng.standard_normal((*batch, m, d)), axis=-1)  # chi(d)
    return lengths[..., None] * directions
# --8<-- [end:orthogonal_omega]


# --8<-- [start:orthogonal_mse_bound]
def orthogonal_mse_bound(x, y, m: int) -> np.ndarray:
    """Upper bound on the MSE of φ⁺(x)ᵀφ⁺(y) with orthogonal ω, m ≤ d (#eq-orthogonal):

        MSE_ort ≤ Var_iid − 2(m − 1) / (m (d + 2)) · (SM(x, y) − Λ)²,
        Λ = exp(−(‖x‖² + ‖y‖²)/2),

    Var_iid = positive_variance(x, y, m). x, y: (..., d). Returns (...).
    """
    m = _check_features("m", m)
    x, y = np.asarray(x), np.asarray(y)
    d = x.shape[-1]
    if m > d:
        raise ValueError(f"m must be <= d = {d} for one orthogonal block, got {m}")
    sm = np.exp(np.sum(x * y, axis=-1))
    lam = np.exp(-0.5 * (np.sum(x * x, axis=-1) + np.sum(y * y, axis=-1)))
    gap = 2 * (m - 1) / (m * (d + 2)) * (sm - lam) ** 2
    return positive_variance(x, y, m) - gap
# --8<-- [end:orthogonal_mse_bound]


# --8<-- [start:favor_attention]
def favor_feature_map(omega):
    """The feature map of FAVOR+ for torch inputs (#eq-favor-attention):
    x ↦ φ⁺(x / d^{1/4}), so that E[φ⁺(q/d^{1/4})ᵀφ⁺(k/d^{1/4})] = exp(qᵀk/√d)."""
    omega = np.asarray(omega)

    def feature_map(x: torch.Tensor) -> torch.Tensor:
        scaled = x.detach().cpu().numpy() * x.shape[-1] ** -0.25   # x / d^{1/4}
        return torch.from_numpy(positive_random_features(scaled, omega)).to(x.dtype)

    return feature_map


def favor_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                    omega) -> torch.Tensor:
    """FAVOR+ attention (#eq-favor-attention): the associative linear attention of the
    shared core with φ⁺ applied to q/d^{1/4} and k/d^{1/4}. It estimates
    softmax(QKᵀ/√d)V in O(n m d) without forming an n×n matrix.
    q, k: (..., n, d), v: (..., n, d_v) torch tensors; omega: (m, d).
    """
    return linear_attention(q, k, v, favor_feature_map(omega))
# --8<-- [end:favor_attention]


if __name__ == "__main__":
    x = np.array([0.6, -0.2, 0.3, 0.1])
    y = np.array([0.4, 0.1, -0.5, 0.2])
    rng = np.random.default_rng(0)
    print(f"x.y = {x @ y:.2f}, exp(x.y) = {math.exp(x @ y):.4f}")
    for m in (4, 64, 1024):
        omega = gaussian_omega(m, 4, rng)
        phi_x = positive_random_features(x, omega)
        est_pos = phi_x @ positive_random_features(y, omega)
        est_trig = trig_random_features(x, omega) @ trig_random_features(y, omega)
        print(f"m = {m:4d}: positive {est_pos:.4f}, trigonometric {est_trig:.4f}")
    print(f"std at m = 64: positive {math.sqrt(positive_variance(x, y, 64)):.4f}, "
          f"trigonometric {math.sqrt(trig_variance(x, y, 64)):.4f}")
    a = math.radians(150)                                  # a small kernel value
    x2, y2 = np.array([1.2, 0, 0, 0]), 1.2 * np.array([math.cos(a), math.sin(a), 0, 0])
    print(f"150 degrees: exp(x.y) = {math.exp(x2 @ y2):.4f}, std at m = 64: "
          f"positive {math.sqrt(positive_variance(x2, y2, 64)):.4f}, "
          f"trigonometric {math.sqrt(trig_variance(x2, y2, 64)):.4f}")
    draws = gaussian_omega(16, 4, rng, batch=10_000)
    trig16 = (trig_random_features(x2, draws) * trig_random_features(y2, draws)).sum(-1)
    print(f"150 degrees: P[trigonometric estimate < 0] = "
          f"{trig_negative_probability(x2, y2):.4f} (m = 1), "
          f"{np.mean(trig16 < 0):.4f} (m = 16, 10000 draws)")
    omega = orthogonal_omega(4, 4, rng)
    print("orthogonal omega, Gram matrix off-diagonal max:",
          f"{np.abs(np.triu(omega @ omega.T, 1)).max():.1e}")
    torch.manual_seed(0)
    q, k = (0.5 * torch.randn(256, 16, dtype=torch.float64) for _ in range(2))
    v = torch.randn(256, 16, dtype=torch.float64)
    exact = softmax_attention(q, k, v)
    for m in (16, 64, 256):
        approx = favor_attention(q, k, v, orthogonal_omega(m, 16, rng))
        print(f"FAVOR+ m = {m:3d}: mean |error| vs softmax attention = "
              f"{(approx - exact).abs().mean().item():.4f}")
