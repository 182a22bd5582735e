"""Softmax attention and kernelised (linear) attention: docs/attention/linear-attention.md.

Shapes: queries q (..., n, d), keys k (..., n, d), values v (..., n, d_v), torch tensors;
the leading dimensions (batch, heads) broadcast. A feature map takes (..., n, d) to
(..., n, r) with non-negative entries, so that sim(q, k) = φ(q)ᵀφ(k) ≥ 0.
"""

from __future__ import annotations

from typing import Callable

import torch

FeatureMap = Callable[[torch.Tensor], torch.Tensor]


def _check_qkv(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    for name, x in (("q", q), ("k", k), ("v", v)):
        if not isinstance(x, torch.Tensor) or x.dim() < 2:
            raise ValueError(f"{name} must be a torch tensor of shape (..., n, d)")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same last dimension, got {q.shape[-1]} "
                         f"and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same length n, got {k.shape[-2]} "
                         f"and {v.shape[-2]}")


def _check_causal(q: torch.Tensor, k: torch.Tensor) -> None:
    if q.shape[-2] != k.shape[-2]:
        raise ValueError("causal attention needs as many queries as keys, got "
                         f"{q.shape[-2]} and {k.shape[-2]}")


def _causal_mask(n: int, device: torch.device) -> torch.Tensor:
    return torch.ones(n, n, dtype=torch.bool, device=device).tril()


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
        scores = scores.masked_fill(~_causal_mask(q.shape[-2], q.device), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
# --8<-- [end:softmax_attention]


# --8<-- [start:elu_feature_map]
def elu_feature_map(x: torch.Tensor) -> torch.Tensor:
    """φ(x) = elu(x) + 1, elementwise: x + 1 for x > 0, eˣ otherwise; always > 0
    (#eq-elu-feature-map)."""
    if not isinstance(x, torch.Tensor):
        raise ValueError("x must be a torch tensor")
    return torch.nn.functional.elu(x) + 1
# --8<-- [end:elu_feature_map]


# --8<-- [start:kernel_attention]
def kernel_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                     feature_map: FeatureMap, causal: bool = False) -> torch.Tensor:
    """The quadratic form of kernelised attention (#eq-general-attention):
    out_i = Σ_j sim(q_i, k_j) v_j / Σ_j sim(q_i, k_j), sim(q, k) = φ(q)ᵀφ(k).

    It builds the n×n similarity matrix, as softmax attention does: O(n² r).
    """
    _check_qkv(q, k, v)
    sim = feature_map(q) @ feature_map(k).transpose(-1, -2)   # (..., n, n)
    if causal:
        _check_causal(q, k)
        sim = sim * _causal_mask(q.shape[-2], q.device)
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
    S = q.new_zeros(*phi_k.shape[:-2], phi_k.shape[-1], v.shape[-1])   # (..., r, d_v)
    z = q.new_zeros(*phi_k.shape[:-2], phi_k.shape[-1])                # (..., r)
    out = []
    for i in range(q.shape[-2]):
        S = S + phi_k[..., i, :, None] * v[..., i, None, :]
        z = z + phi_k[..., i, :]
        num = (phi_q[..., i, :, None] * S).sum(-2)             # (..., d_v)
        den = (phi_q[..., i, :] * z).sum(-1, keepdim=True)     # (..., 1)
        out.append(num / den)
    return torch.stack(out, dim=-2)
# --8<-- [end:causal_linear_attention]


if __name__ == "__main__":
    torch.manual_seed(0)
    q, k, v = (torch.randn(6, 4, dtype=torch.float64) for _ in range(3))
    quad = kernel_attention(q, k, v, elu_feature_map)
    lin = linear_attention(q, k, v, elu_feature_map)
    print("max |quadratic - associative| =", f"{(quad - lin).abs().max().item():.1e}")
    rnn = causal_linear_attention(q, k, v, elu_feature_map)
    masked = kernel_attention(q, k, v, elu_feature_map, causal=True)
    print("max |recurrent - masked|      =", f"{(rnn - masked).abs().max().item():.1e}")
