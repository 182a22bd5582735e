"""TransNormer: NormAttention, SRMSNorm and DiagAttention (docs/attention/transnormer.md).

Shapes follow the shared core snippets/attention/linear_attention.py: queries q (..., n, d),
keys k (..., n, d), values v (..., n, d_v), torch tensors, leading dimensions broadcast.
A score matrix s (..., n, n) holds s_ij in row i (query) and column j (key); an upstream
gradient g = dL/dO has the shape of the output (..., n, d_v).
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from snippets.attention.linear_attention import (
    FeatureMap,
    elu_feature_map,
    kernel_attention,
    softmax_attention,
)

Attention = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def _check_tensor(name: str, x, min_dim: int = 2) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() < min_dim:
        raise ValueError(f"{name} must be a torch tensor with at least {min_dim} dimensions")


def _check_eps(eps: float) -> None:
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")


def _check_scores(s: torch.Tensor, v: torch.Tensor, g: torch.Tensor) -> None:
    _check_tensor("s", s)
    _check_tensor("v", v)
    _check_tensor("g", g)
    # the second test runs only when s is square, so shape[-2] there is the same n
    if s.shape[-1] != s.shape[-2] or s.shape[-1] != v.shape[-2]:  # pragma: no mutate
        raise ValueError(f"s must be (..., n, n) with n = len(v), got {tuple(s.shape)}")
    if g.shape[-2:] != (s.shape[-2], v.shape[-1]):
        raise ValueError(f"g must have the output's shape (..., n, d_v), got {tuple(g.shape)}")


# --8<-- [start:attention_jacobian]
def attention_jacobian(s: torch.Tensor, kernel: str) -> torch.Tensor:
    """dp_ij/ds_ik of p_ij = f(s_ij) / sum_m f(s_im) (#eq-scaled-gradient):

        dp_ij/ds_ik = f'(s_ik)/f(s_ik) * p_ij * (1[j = k] - p_ik),

    f = exp (kernel="exp", softmax) or f(x) = x (kernel="identity", linear attention,
    s_ij = phi(q_i)^T phi(k_j) > 0). s: (..., n, n). Returns J[..., i, j, k].
    """
    _check_tensor("s", s)
    if kernel == "exp":
        p = torch.softmax(s, dim=-1)
        ratio = torch.ones_like(s)                             # f'/f = 1
    elif kernel == "identity":
        p = s / s.sum(-1, keepdim=True)
        ratio = 1 / s                                          # f'/f = 1/s
    else:
        raise ValueError(f"kernel must be 'exp' or 'identity', got {kernel!r}")
    # s is square, so shape[-2] is the same n; 0 and 1 are exact in every dtype and
    # the product below is in s's dtype anyway
    eye = torch.eye(s.shape[-1], dtype=s.dtype)  # pragma: no mutate
    # ratio[i, k] * p[i, j] * (1[j = k] - p[i, k]), broadcast over (i, j, k)
    return ratio[..., :, None, :] * p[..., :, :, None] * (eye - p[..., :, None, :])
# --8<-- [end:attention_jacobian]


# --8<-- [start:scaled_score_grad]
def scaled_score_grad(s: torch.Tensor, v: torch.Tensor,
                      g: torch.Tensor) -> torch.Tensor:
    """dL/ds_ik of scaled linear attention o_i = sum_j s_ij v_j / sum_j s_ij
    (#eq-scaled-gradient):  dL/ds_ik = g_i^T (v_k - o_i) / sum_m s_im.

    s: (..., n, n) positive scores, v: (..., n, d_v), g = dL/dO: (..., n, d_v).
    """
    _check_scores(s, v, g)
    z = s.sum(-1, keepdim=True)                                # (..., n, 1)
    o = (s @ v) / z                                            # (..., n, d_v)
    gv = g @ v.transpose(-1, -2)                               # g_i^T v_k: (..., n, n)
    go = (g * o).sum(-1, keepdim=True)                         # g_i^T o_i: (..., n, 1)
    return (gv - go) / z
# --8<-- [end:scaled_score_grad]


# --8<-- [start:srms_norm]
def srms_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """SRMSNorm(x) = x / (||x||_2 / sqrt(d) + eps) over the last axis, no learned gain
    (#eq-srms-norm); eps as in the official code (fairseq-evo SimpleRMSNorm).
    """
    _check_tensor("x", x, 1)
    _check_eps(eps)
    rms = x.norm(dim=-1, keepdim=True) / x.shape[-1] ** 0.5
    return x / (rms + eps)
# --8<-- [end:srms_norm]


# --8<-- [start:rms_norm]
def rms_norm(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """RMSNorm without gain: x / sqrt(mean(x^2) + eps), eps inside the root
    (#eq-srms-norm); what torch.nn.functional.rms_norm computes with weight=None.
    """
    _check_tensor("x", x, 1)
    _check_eps(eps)
    return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps)
# --8<-- [end:rms_norm]


# --8<-- [start:norm_attention]
def norm_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                   feature_map: FeatureMap = elu_feature_map,
                   norm: Callable[[torch.Tensor], torch.Tensor] = srms_norm,
                   causal: bool = False) -> torch.Tensor:
    """NormAttention O = Norm(phi(Q) (phi(K)^T V)) (#eq-norm-attention): no division by
    sum_j phi(q_i)^T phi(k_j); the norm acts on each row of the product. O(n r d_v).

    causal=True: row i uses the prefix sum S_i = sum_{j <= i} phi(k_j) v_j^T.
    """
    _check_tensor("q", q)
    _check_tensor("k", k)
    _check_tensor("v", v)
    phi_q, phi_k = feature_map(q), feature_map(k)              # (..., n, r)
    if causal:
        kv = phi_k[..., :, :, None] * v[..., :, None, :]       # (..., n, r, d_v)
        kv = kv.cumsum(-3)                                     # prefix sums over j <= i
        t = (phi_q[..., :, :, None] * kv).sum(-2)              # (..., n, d_v)
    else:
        t = phi_q @ (phi_k.transpose(-1, -2) @ v)              # (..., n, d_v)
    return norm(t)
# --8<-- [end:norm_attention]


# --8<-- [start:norm_score_grad]
def norm_score_grad(s: torch.Tensor, v: torch.Tensor, g: torch.Tensor,
                    eps: float = 1e-8) -> torch.Tensor:
    """dL/dS of O = SRMSNorm(S V) (#eq-norm-gradient-bound): with t_i = sum_j s_ij v_j,
    rho_i = ||t_i|| / sqrt(d_v),

        J_i = [I - t_i t_i^T / (sqrt(d_v) ||t_i|| (rho_i + eps))] / (rho_i + eps),
        dL/ds_ij = (J_i g_i)^T v_j      (J_i is symmetric).
    """
    _check_scores(s, v, g)
    _check_eps(eps)
    t = s @ v                                                  # (..., n, d_v)
    norm_t = t.norm(dim=-1, keepdim=True)
    c = norm_t / t.shape[-1] ** 0.5 + eps                      # rho_i + eps
    tg = (t * g).sum(-1, keepdim=True)                         # t_i^T g_i
    jg = (g - t * tg / (t.shape[-1] ** 0.5 * norm_t * c)) / c  # J_i g_i
    return jg @ v.transpose(-1, -2)
# --8<-- [end:norm_score_grad]


# --8<-- [start:norm_grad_bound]
def norm_grad_bound(v: torch.Tensor, g: torch.Tensor, eps: float = 1e-8,
                    norm: str = "srms") -> torch.Tensor:
    """|dL/ds_ij| <= ||g_i|| ||v_j|| / c for O = Norm(S V) and any scores S
    (#eq-norm-gradient-bound): c = eps for SRMSNorm, c = sqrt(eps) for RMSNorm.
    Returns the (..., n, n) matrix of the bounds.
    """
    _check_tensor("v", v)
    _check_tensor("g", g)
    _check_eps(eps)
    if norm == "srms":
        c = eps
    elif norm == "rms":
        c = eps ** 0.5
    else:
        raise ValueError(f"norm must be 'srms' or 'rms', got {norm!r}")
    return g.norm(dim=-1)[..., :, None] * v.norm(dim=-1)[..., None, :] / c
# --8<-- [end:norm_grad_bound]


# --8<-- [start:diag_attention]
def diag_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                   block_size: int, causal: bool = False) -> torch.Tensor:
    """DiagAttention (#eq-diag-attention): cut the sequence into consecutive blocks of
    block_size tokens (the last may be shorter) and run softmax attention inside each:
    O_[b] = softmax(Q_[b] K_[b]^T / sqrt(d)) V_[b]. O(n m d) for block size m.
    """
    if isinstance(block_size, bool) or not isinstance(block_size, int) \
            or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
    _check_tensor("q", q)
    if q.shape[-2] != k.shape[-2]:
        raise ValueError(f"q and k must have the same length n, got {q.shape[-2]} "
                         f"and {k.shape[-2]}")
    blocks = [softmax_attention(qb, kb, vb, causal=causal)
              for qb, kb, vb in zip(q.split(block_size, dim=-2),
                                    k.split(block_size, dim=-2),
                                    v.split(block_size, dim=-2))]
    return torch.cat(blocks, dim=-2)
# --8<-- [end:diag_attention]


# --8<-- [start:attention_matrix]
def attention_matrix(q: torch.Tensor, k: torch.Tensor,
                     attention: Attention) -> torch.Tensor:
    """The weights p_ij of any attention that is linear in V: its output for V = I_n
    (row i of the output is sum_j p_ij e_j^T). q, k: (n, d); returns (n, n).
    """
    _check_tensor("q", q)
    return attention(q, k, torch.eye(k.shape[-2], dtype=q.dtype))
# --8<-- [end:attention_matrix]


# --8<-- [start:local_attention_mass]
def local_attention_mass(p: torch.Tensor, r: float) -> torch.Tensor:
    """Locally accumulated attention (#eq-dilution): the mass that query i puts on
    a window W_i of ceil(r n) consecutive keys centred on i (shifted at the ends to
    stay inside the sequence), averaged over the queries:
    l(r) = (1/n) sum_i sum_{j in W_i} p_ij. p: (..., n, n) attention weights.
    """
    _check_tensor("p", p)
    if p.shape[-1] != p.shape[-2]:
        raise ValueError(f"p must be a square (..., n, n) matrix, got {tuple(p.shape)}")
    if not 0 <= r <= 1:
        raise ValueError(f"r must lie in [0, 1], got {r!r}")
    # p is square: shape[-2] is the same number
    n = p.shape[-1]  # pragma: no mutate
    width = math.ceil(r * n)
    idx = torch.arange(n)
    # (width - 1) / 2 instead of // 2 gives the same window: idx >= start - 1/2 and
    # idx < start + width - 1/2 hold for the same integers
    start = (idx - (width - 1) // 2).clamp(0, n - width)[:, None]  # pragma: no mutate
    inside = (idx[None, :] >= start) & (idx[None, :] < start + width)   # (n, n)
    # summing over the queries first, sum(-2), and then averaging gives the same
    # (1/n) sum_i sum_j: the double sum does not depend on the order
    return (p * inside).sum(-1).mean(-1)  # pragma: no mutate
# --8<-- [end:local_attention_mass]


def toy_positions(n: int = 64, n_freq: int = 4, scale: float = 2.0) -> torch.Tensor:
    """The page's dilution toy: q_i = k_i = scale * [cos(w_m i), sin(w_m i)]_m with
    n_freq frequencies w_m = 2 pi 2^m / n (d = 2 n_freq), so that q_i^T k_j depends on
    i - j only and is largest at i = j."""
    # integer positions times the float64 frequencies give the same float64 products
    i = torch.arange(n, dtype=torch.float64)[:, None]  # pragma: no mutate
    w = 2 * torch.pi * 2.0 ** torch.arange(n_freq, dtype=torch.float64) / n
    # the result is 2-D, so dim=1 is the same axis as dim=-1
    return scale * torch.cat([torch.cos(w * i), torch.sin(w * i)], dim=-1)  # pragma: no mutate


def cancelling_scores(zeta: float) -> torch.Tensor:
    """Scores of features that may be negative (phi = identity): q_1 = (1, 0),
    q_2 = (0, 1), k_1 = (1, 0), k_2 = (zeta - 1, 1/2). Row 1 is (1, zeta - 1): its sum
    is zeta."""
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    k = torch.tensor([[1.0, 0.0], [zeta - 1.0, 0.5]], dtype=torch.float64)
    return q @ k.T


if __name__ == "__main__":
    v = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    g = torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=torch.float64)   # L = sum_i o_i1
    for zeta in (1e-1, 1e-3, 1e-6):
        s = cancelling_scores(zeta)
        big = scaled_score_grad(s, v, g).abs().max().item()
        normed = norm_score_grad(s, v, g).abs().max().item()
        print(f"zeta = {zeta:.0e}: max |dL/ds| scaled {big:.2e}, "
              f"NormAttention {normed:.2e}")
    torch.manual_seed(0)
    n, d = 4, 3
    v = torch.randn(n, d, dtype=torch.float64)
    g = torch.randn(n, d, dtype=torch.float64)
    cap = norm_grad_bound(v, g).max().item()
    for c in (0.0, -6.0, -12.0):
        q = torch.full((n, d), c, dtype=torch.float64)         # q_i = k_j = c * 1
        phi = elu_feature_map(q)
        s = phi @ phi.T
        big = scaled_score_grad(s, v, g).abs().max().item()
        normed = norm_score_grad(s, v, g).abs().max().item()
        print(f"c = {c:5.1f}: Z = {s.sum(-1)[0].item():.1e}, scaled {big:.1e}, "
              f"NormAttention {normed:.1e}, bound {cap:.1e}")
    x = toy_positions()
    linear = lambda a, b, c: kernel_attention(a, b, c, elu_feature_map)  # noqa: E731
    diag = lambda a, b, c: diag_attention(a, b, c, block_size=8)         # noqa: E731
    for name, att in (("softmax", softmax_attention), ("linear", linear), ("diag", diag)):
        p = attention_matrix(x, x, att)
        print(f"{name:7s}: l(0.1) = {local_attention_mass(p, 0.1).item():.3f}, "
              f"l(0.4) = {local_attention_mass(p, 0.4).item():.3f}")
