"""Softmax attention, kernelised (linear) attention and sparse attention.

Page: attention/linear-attention (docs/attention/linear-attention.md); each function
names the anchor of the equation it implements. The performer and transnormer pages
import the attention functions from here (one home per formula).

Shapes: queries q (..., n, d), keys k (..., n, d), values v (..., n, d_v), torch
tensors; the leading dimensions (batch, heads) broadcast. A feature map takes
(..., n, d) to (..., n, r) with non-negative entries, so that sim(q, k) = φ(q)ᵀφ(k) ≥ 0.
A similarity function takes q (..., n, d) and k (..., m, d) to the matrix (..., n, m) of
sim(q_i, k_j). The operation counts are multiply-adds (one multiplication and one
addition count as one) of the matrix products, per head.
"""

from __future__ import annotations

from typing import Callable

import torch

FeatureMap = Callable[[torch.Tensor], torch.Tensor]
Similarity = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check_qkv(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    for name, x in (("q", q), ("k", k), ("v", v)):
        if not isinstance(x, torch.Tensor) or x.dim() < 2:
            raise ValueError(f"{name} must be a torch tensor of shape (..., n, d)")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError("q and k must have the same last dimension, got "
                         f"{q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same length n, got {k.shape[-2]} "
                         f"and {v.shape[-2]}")


def _check_causal(q: torch.Tensor, k: torch.Tensor) -> None:
    if q.shape[-2] != k.shape[-2]:
        raise ValueError("causal attention needs as many queries as keys, got "
                         f"{q.shape[-2]} and {k.shape[-2]}")


def _causal_mask(x: torch.Tensor) -> torch.Tensor:
    """The (n, n) lower-triangular mask j <= i, on x's device (x: (..., n, d))."""
    n = x.shape[-2]
    return x.new_ones((n, n), dtype=torch.bool).tril()


def _check_tensor(name: str, x) -> None:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch tensor")


def _check_count(name: str, x) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {x!r}")
    return x


def _check_bool_tensor(mask) -> None:
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise ValueError("mask must be a boolean torch tensor")


def _check_mask(mask: torch.Tensor, q: torch.Tensor, k: torch.Tensor) -> None:
    _check_bool_tensor(mask)
    if mask.shape[-2:] != (q.shape[-2], k.shape[-2]):
        raise ValueError(f"mask must have shape (n, m) = ({q.shape[-2]}, "
                         f"{k.shape[-2]}), got {tuple(mask.shape)}")
    if not bool(mask.any(-1).all()):
        raise ValueError("mask must let every query see at least one key")


# --8<-- [start:softmax_attention]
def softmax_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                      causal: bool = False) -> torch.Tensor:
    """Attention(Q, K, V) = softmax(QKᵀ/√d) V, row by row (#eq-softmax-attention).

    With causal=True, query i sees keys j ≤ i only. Cost O(n² d): the n×n score matrix.
    """
    _check_qkv(q, k, v)
    scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5      # (..., n, n)
    if causal:
        _check_causal(q, k)
        scores = scores.masked_fill(~_causal_mask(q), -torch.inf)
    return torch.softmax(scores, dim=-1) @ v
# --8<-- [end:softmax_attention]


# --8<-- [start:general_attention]
def general_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                      sim: Similarity) -> torch.Tensor:
    """The general form (#eq-general-attention), any similarity sim(q, k) ≥ 0:
    out_i = Σ_j sim(q_i, k_j) v_j / Σ_j sim(q_i, k_j).

    sim(q, k) returns the (..., n, m) matrix of similarities. With
    sim(q, k) = exp(qᵀk/√d) this is softmax attention.
    """
    _check_qkv(q, k, v)
    a = sim(q, k)                                              # (..., n, m)
    return (a @ v) / a.sum(-1, keepdim=True)
# --8<-- [end:general_attention]


# --8<-- [start:elu_feature_map]
def elu_feature_map(x: torch.Tensor) -> torch.Tensor:
    """φ(x) = elu(x) + 1, elementwise: x + 1 for x > 0, eˣ otherwise; always > 0
    (#eq-elu-feature-map)."""
    _check_tensor("x", x)
    return torch.nn.functional.elu(x) + 1
# --8<-- [end:elu_feature_map]


# --8<-- [start:kernel_attention]
def kernel_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                     feature_map: FeatureMap, causal: bool = False) -> torch.Tensor:
    """The quadratic form of kernelised attention (#eq-kernel-attention):
    out_i = Σ_j sim(q_i, k_j) v_j / Σ_j sim(q_i, k_j), sim(q, k) = φ(q)ᵀφ(k).

    It builds the n×n similarity matrix, as softmax attention does: O(n² r).
    """
    _check_qkv(q, k, v)
    sim = feature_map(q) @ feature_map(k).transpose(-1, -2)   # (..., n, n)
    if causal:
        _check_causal(q, k)
        sim = sim * _causal_mask(q)
    return (sim @ v) / sim.sum(-1, keepdim=True)
# --8<-- [end:kernel_attention]


# --8<-- [start:linear_attention]
def linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                     feature_map: FeatureMap) -> torch.Tensor:
    """The same attention by associativity (#eq-associativity):
    out_i = φ(q_i)ᵀ (Σ_j φ(k_j) v_jᵀ) / φ(q_i)ᵀ (Σ_j φ(k_j)), that is φ(Q)(φ(K)ᵀV)
    normalised row by row. Cost O(n r d_v): no n×n matrix is formed.
    """
    _check_qkv(q, k, v)
    phi_q, phi_k = feature_map(q), feature_map(k)              # (..., n, r)
    kv = phi_k.transpose(-1, -2) @ v                           # (..., r, d_v)
    z = phi_k.sum(-2)                                          # (..., r)
    return (phi_q @ kv) / (phi_q @ z.unsqueeze(-1))
# --8<-- [end:linear_attention]


# --8<-- [start:softmax_qk_attention]
def softmax_qk_attention(q: torch.Tensor, k: torch.Tensor,
                         v: torch.Tensor) -> torch.Tensor:
    """Softmax on Q and on K separately, then associativity (#eq-softmax-qk):
    out = softmax_row(Q) (softmax_col(K)ᵀ V), softmax_row over the d features of each
    query, softmax_col over the m positions of each key feature. Rows of softmax_row(Q)
    and columns of softmax_col(K) sum to 1, so no normaliser is needed. Not causal.
    """
    _check_qkv(q, k, v)
    rho_q = torch.softmax(q, dim=-1)              # (..., n, d), each row sums to 1
    rho_k = torch.softmax(k, dim=-2)              # (..., m, d), each column sums to 1
    return rho_q @ (rho_k.transpose(-1, -2) @ v)  # (..., n, d_v)
# --8<-- [end:softmax_qk_attention]


# --8<-- [start:causal_linear_attention]
def causal_linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                            feature_map: FeatureMap) -> torch.Tensor:
    """Causal linear attention as an RNN over prefix sums (#eq-causal-rnn):
    S_i = S_{i-1} + φ(k_i) v_iᵀ, z_i = z_{i-1} + φ(k_i),
    out_i = φ(q_i)ᵀ S_i / φ(q_i)ᵀ z_i, with S_0 = 0, z_0 = 0. One step per token.
    """
    _check_qkv(q, k, v)
    _check_causal(q, k)
    phi_q, phi_k = feature_map(q), feature_map(k)              # (..., n, r)
    # S_0 = 0 and z_0 = 0; the first update broadcasts them over the leading dimensions.
    # Any zero that broadcasts to (r, d_v), e.g. of shape (d_v,), gives the same S_1:
    # equivalent mutants of S_0's shape
    S = q.new_zeros(phi_k.shape[-1], v.shape[-1])  # pragma: no mutate
    z = q.new_zeros(phi_k.shape[-1])                           # (r,)
    out = []
    for i in range(q.shape[-2]):
        S = S + phi_k[..., i, :, None] * v[..., i, None, :]
        z = z + phi_k[..., i, :]
        num = (phi_q[..., i, :, None] * S).sum(-2)             # (..., d_v)
        den = (phi_q[..., i, :] * z).sum(-1, keepdim=True)     # (..., 1)
        out.append(num / den)
    return torch.stack(out, dim=-2)
# --8<-- [end:causal_linear_attention]


# --8<-- [start:strided_masks]
def strided_masks(n: int, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The two heads of strided sparse attention (#eq-sparse-attention), causal:
    local:   j ∈ {t, t+1, ..., i}, t = max(0, i − l)   (the previous l tokens and i);
    strided: j ≤ i and (i − j) mod l = 0                (every l-th token back).

    Returns two boolean (n, n) masks, mask[i, j] = query i may see key j.
    """
    n, stride = _check_count("n", n), _check_count("stride", stride)
    i = torch.arange(n)[:, None]
    j = torch.arange(n)[None, :]
    causal = j <= i
    local = causal & (i - j <= stride)
    strided = causal & ((i - j) % stride == 0)
    return local, strided
# --8<-- [end:strided_masks]


# --8<-- [start:sparse_attention]
def sparse_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                     mask: torch.Tensor) -> torch.Tensor:
    """Sparse attention as a masked softmax (#eq-sparse-attention):
    out_i = Σ_{j ∈ A_i} softmax_j(q_iᵀk_j/√d) v_j over the allowed keys A_i only.

    mask: boolean (n, m) or (..., n, m), every query with at least one allowed key.
    This dense form shows the definition; a sparse kernel computes only the allowed
    pairs.
    """
    _check_qkv(q, k, v)
    _check_mask(mask, q, k)
    scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5      # (..., n, m)
    scores = scores.masked_fill(~mask, -torch.inf)
    return torch.softmax(scores, dim=-1) @ v
# --8<-- [end:sparse_attention]


# --8<-- [start:attention_macs]
def softmax_attention_macs(n: int, d: int, d_v: int) -> int:
    """Multiply-adds of softmax (or any quadratic-form) attention, per head
    (#eq-op-counts): QKᵀ costs n·n·d, (weights)V costs n·n·d_v, so n²(d + d_v).
    The softmax itself (n² exponentials and divisions) is not a multiply-add and is
    left out.
    """
    n, d, d_v = _check_count("n", n), _check_count("d", d), _check_count("d_v", d_v)
    return n * n * (d + d_v)


def linear_attention_macs(n: int, r: int, d_v: int) -> int:
    """Multiply-adds of linear attention φ(Q)(φ(K)ᵀV) with r features (#eq-op-counts):
    φ(K)ᵀV costs n·r·d_v, φ(Q)(φ(K)ᵀV) another n·r·d_v, the normaliser φ(Q)z costs n·r.
    """
    n, r, d_v = _check_count("n", n), _check_count("r", r), _check_count("d_v", d_v)
    return 2 * n * r * d_v + n * r


def sparse_attention_macs(mask: torch.Tensor, d: int, d_v: int) -> int:
    """Multiply-adds of sparse attention that computes only the allowed pairs
    (#eq-op-counts): each allowed (i, j) costs d for q_iᵀk_j and d_v for weighting v_j.
    """
    _check_bool_tensor(mask)
    d, d_v = _check_count("d", d), _check_count("d_v", d_v)
    return int(mask.sum()) * (d + d_v)


def macs_crossover(d: int, d_v: int, r: int) -> int:
    """The smallest n at which linear attention needs fewer multiply-adds than softmax
    attention: 2nrd_v + nr < n²(d + d_v)  ⇔  n > r(2d_v + 1)/(d + d_v) (#eq-op-counts).
    """
    d, d_v, r = _check_count("d", d), _check_count("d_v", d_v), _check_count("r", r)
    return r * (2 * d_v + 1) // (d + d_v) + 1
# --8<-- [end:attention_macs]


if __name__ == "__main__":
    torch.manual_seed(0)
    q, k, v = (torch.randn(6, 4, dtype=torch.float64) for _ in range(3))
    phi_q, phi_k = elu_feature_map(q), elu_feature_map(k)
    print("(phi(Q) phi(K)^T) V: middle matrix", tuple((phi_q @ phi_k.T).shape),
          "| phi(Q) (phi(K)^T V): middle matrix", tuple((phi_k.T @ v).shape))
    quad = kernel_attention(q, k, v, elu_feature_map)
    lin = linear_attention(q, k, v, elu_feature_map)
    print("max |quadratic - associative| =", f"{(quad - lin).abs().max().item():.1e}")
    rnn = causal_linear_attention(q, k, v, elu_feature_map)
    masked = kernel_attention(q, k, v, elu_feature_map, causal=True)
    print("max |recurrent - masked|      =", f"{(rnn - masked).abs().max().item():.1e}")
    soft = softmax_attention(q, k, v)
    print("max |softmax - elu+1 linear|  =", f"{(soft - lin).abs().max().item():.2f}")
    qk = softmax_qk_attention(q, k, v)
    print("max |softmax - softmax(Q), softmax(K) form| =",
          f"{(soft - qk).abs().max().item():.2f}")
    d = 64
    for n in (1024, 4096, 16384):
        ratio = softmax_attention_macs(n, d, d) / linear_attention_macs(n, d, d)
        quad, lin = softmax_attention_macs(n, d, d), linear_attention_macs(n, d, d)
        print(f"n = {n:5d}, d = r = {d}: softmax {quad:.2e} MACs, "
              f"linear {lin:.2e} MACs, ratio {ratio:.1f}")
    print("crossover (d = d_v = r = 64): n >=", macs_crossover(d, d, d))
    n = 16384
    print(f"n = {n}: n x n float32 scores {n * n * 4 / 2**30:.1f} GiB, "
          f"r x d_v float32 state {d * d * 4 / 2**10:.0f} KiB")
    for n, l in ((16, 4), (4096, 64)):
        local, strided = strided_masks(n, l)
        print(f"strided masks n = {n}, l = {l}: {int((local | strided).sum())} of "
              f"{n * (n + 1) // 2} causal pairs")
