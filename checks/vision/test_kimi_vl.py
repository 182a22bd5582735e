"""Checks of vision/kimi-vl: every key equation against something independent.

Independent references used here: NumPy sorting and explicit sums for the routing; a dense
computation of every expert with zeroed weights; small PyTorch modules laid out like the
released model code (modeling_kimi_vl.py, DeepSeek-V3's MLA and MoE) whose parameters are
counted by torch, and forward hooks that record which of them one token touches; the
published sizes (Kimi-VL report sec. 2.1, the Kimi-VL README's model table);
torch's scaled_dot_product_attention on each image alone; explicit 2x2 rotation matrices;
torch.nn.functional.pixel_unshuffle; torch.nn LayerNorm / Linear / GELU; NumPy's SVD.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from snippets.vision.kimi_vl import (
    CUBIC,
    KIMI_VL_TEXT,
    MOONVIT,
    MUON_QUINTIC,
    grid_positions,
    lm_param_counts,
    mlp_projector,
    moe_layer,
    moonvit_param_count,
    muon_update,
    newton_schulz,
    ns_polynomial,
    packed_attention,
    pixel_shuffle,
    pixel_unshuffle,
    projector_param_count,
    quintic_band,
    rope_2d,
    swiglu,
    topk_gate,
)

D64 = torch.float64


def close(actual, desired, rtol=1e-12, atol=1e-12):
    """assert_allclose on tensors (torch.testing's first call imports for ~2 s)."""
    np.testing.assert_allclose(np.asarray(actual), np.asarray(desired), rtol=rtol, atol=atol)


def rand(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=D64)


# --8<-- [start:test_topk_routing]
@pytest.mark.formula("eq-topk-routing")
@pytest.mark.parametrize("scoring", ["sigmoid", "softmax"])
def test_topk_weights_sum_to_one_over_the_chosen_experts(scoring):
    logits, bias = rand(50, 16, seed=1), 0.5 * rand(16, seed=2)
    for b in (None, bias):
        g = topk_gate(logits, 6, scoring, b).numpy()
        u = logits.numpy()
        s = 1 / (1 + np.exp(-u)) if scoring == "sigmoid" else (
            np.exp(u) / np.exp(u).sum(-1, keepdims=True))
        choice = s if b is None else s + b.numpy()
        for t in range(u.shape[0]):
            top = np.argsort(-choice[t])[:6]             # brute force: sort and cut
            want = np.zeros(16)
            want[top] = s[t, top] / s[t, top].sum()      # unbiased scores, renormalised
            np.testing.assert_allclose(g[t], want, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g.sum(-1), 1.0, rtol=1e-12)
        assert ((g > 0).sum(-1) == 6).all()
    # the bias changes which experts are chosen (here on most tokens)
    assert (topk_gate(logits, 6, scoring, bias) > 0).ne(topk_gate(logits, 6, scoring) > 0).any()
# --8<-- [end:test_topk_routing]


@pytest.mark.formula("eq-topk-routing")
def test_softmax_topk_equals_a_softmax_over_the_chosen_logits():
    logits = rand(20, 8, seed=3)
    g = topk_gate(logits, 3, "softmax")
    chosen = g > 0
    masked = logits.masked_fill(~chosen, float("-inf"))
    close(g, torch.softmax(masked, -1), rtol=1e-12, atol=1e-15)


def test_topk_gate_rejects_bad_input():
    with pytest.raises(ValueError, match="^logits must have 2"):
        topk_gate(rand(4), 2)
    with pytest.raises(ValueError, match="^k must be <= the number of experts 3, got 4"):
        topk_gate(rand(4, 3), 4)
    with pytest.raises(ValueError, match="^k must"):
        topk_gate(rand(4, 3), 0)
    with pytest.raises(ValueError, match="^scoring must"):
        topk_gate(rand(4, 3), 2, "relu")


def _experts(n_e, d, f, seed):
    return (rand(n_e, f, d, seed=seed) / d**0.5, rand(n_e, f, d, seed=seed + 1) / d**0.5,
            rand(n_e, d, f, seed=seed + 2) / f**0.5)


# --8<-- [start:test_moe_layer]
@pytest.mark.formula("eq-moe-layer")
def test_sparse_moe_equals_the_dense_sum_with_zeroed_weights():
    t, d, f, n_e, k = 40, 12, 7, 8, 3
    x, router = rand(t, d, seed=4), rand(n_e, d, seed=5)
    experts = _experts(n_e, d, f, 6)
    shared = tuple(w[0] for w in _experts(1, d, 2 * f, 9))
    bias = 0.3 * rand(n_e, seed=12)
    y = moe_layer(x, router, experts, k, shared=shared, scale=2.446, bias=bias)
    # dense: every expert on every token, weighted by the gate (zero off the top k)
    g = topk_gate(x @ router.T, k, bias=bias)
    w1, w3, w2 = experts
    h = torch.nn.functional.silu(torch.einsum("efd,td->tef", w1, x))
    h = h * torch.einsum("efd,td->tef", w3, x)
    every = torch.einsum("edf,tef->ted", w2, h)                  # (T, E, d)
    s1, s3, s2 = shared
    base = (torch.nn.functional.silu(x @ s1.T) * (x @ s3.T)) @ s2.T
    dense = base + 2.446 * torch.einsum("te,ted->td", g, every)
    close(y, dense, rtol=1e-12, atol=1e-12)
    # defaults: no shared expert, scale 1
    close(moe_layer(x, router, experts, k, bias=bias),
          torch.einsum("te,ted->td", g, every), rtol=1e-12, atol=1e-12)
# --8<-- [end:test_moe_layer]


@pytest.mark.formula("eq-moe-layer")
def test_sparse_moe_with_experts_that_get_zero_or_one_token():
    d, f, n_e = 6, 5, 8
    x, router = rand(3, d, seed=13), rand(n_e, d, seed=14)
    experts = _experts(n_e, d, f, 15)
    g = topk_gate(x @ router.T, 2)
    per_expert = (g > 0).sum(0)
    assert (per_expert == 0).any() and (per_expert == 1).any()
    w1, w3, w2 = experts
    h = torch.nn.functional.silu(torch.einsum("efd,td->tef", w1, x))
    every = torch.einsum("edf,tef->ted", w2, h * torch.einsum("efd,td->tef", w3, x))
    close(moe_layer(x, router, experts, 2), torch.einsum("te,ted->td", g, every))


def test_moe_layer_and_swiglu_reject_bad_input():
    with pytest.raises(ValueError, match="^x must"):
        moe_layer(rand(3), rand(4, 3), _experts(4, 3, 2, 0), 2)
    with pytest.raises(ValueError, match="^x must"):
        swiglu(rand(3), rand(2, 3), rand(2, 3), rand(3, 2))


# ---- parameter counts: torch modules laid out like the released code -------------------

class MLA(nn.Module):
    """DeepSeek-V3 attention as in modeling_deepseek.py (no biases)."""

    def __init__(self, c):
        super().__init__()
        d, n_h = c["hidden_size"], c["num_attention_heads"]
        d_qk = c["qk_nope_head_dim"] + c["qk_rope_head_dim"]
        if c["q_lora_rank"] is None:
            self.q_proj = nn.Linear(d, n_h * d_qk, bias=False)
        else:
            self.q_a_proj = nn.Linear(d, c["q_lora_rank"], bias=False)
            self.q_a_layernorm = nn.RMSNorm(c["q_lora_rank"])
            self.q_b_proj = nn.Linear(c["q_lora_rank"], n_h * d_qk, bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(d, c["kv_lora_rank"] + c["qk_rope_head_dim"],
                                            bias=False)
        self.kv_a_layernorm = nn.RMSNorm(c["kv_lora_rank"])
        self.kv_b_proj = nn.Linear(c["kv_lora_rank"],
                                   n_h * (c["qk_nope_head_dim"] + c["v_head_dim"]), bias=False)
        self.o_proj = nn.Linear(n_h * c["v_head_dim"], d, bias=False)

    def forward(self, x):  # only which weights a token touches matters here
        q = self.q_proj(x) if hasattr(self, "q_proj") else self.q_b_proj(
            self.q_a_layernorm(self.q_a_proj(x)))
        kv = self.kv_a_proj_with_mqa(x)
        latent = self.kv_a_layernorm(kv[..., : self.kv_a_layernorm.weight.numel()])
        v = self.kv_b_proj(latent)
        return self.o_proj(v[..., : self.o_proj.in_features]) + 0 * q.sum()


class MLP(nn.Module):
    def __init__(self, d, f):
        super().__init__()
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x):
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class MoE(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, f = c["hidden_size"], c["moe_intermediate_size"]
        self.k = c["num_experts_per_tok"]
        self.gate = nn.Linear(d, c["n_routed_experts"], bias=False)
        self.e_score_correction_bias = nn.Parameter(torch.zeros(c["n_routed_experts"]))
        self.experts = nn.ModuleList(MLP(d, f) for _ in range(c["n_routed_experts"]))
        self.shared_experts = MLP(d, f * c["n_shared_experts"])

    def forward(self, x):
        score = torch.sigmoid(self.gate(x)) + self.e_score_correction_bias
        top = torch.topk(score, self.k, dim=-1).indices.flatten().tolist()
        return self.shared_experts(x) + sum(self.experts[i](x) for i in top)


class LM(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.embed_tokens = nn.Embedding(c["vocab_size"], d)
        self.layers = nn.ModuleList()
        for i in range(c["num_hidden_layers"]):
            layer = nn.Module()
            layer.input_layernorm, layer.post_attention_layernorm = nn.RMSNorm(d), nn.RMSNorm(d)
            layer.self_attn = MLA(c)
            dense = i < c["first_k_dense_replace"]
            layer.mlp = MLP(d, c["intermediate_size"]) if dense else MoE(c)
            self.layers.append(layer)
        self.norm = nn.RMSNorm(d)
        self.lm_head = nn.Linear(d, c["vocab_size"], bias=False)
        if c["tie_word_embeddings"]:
            self.lm_head.weight = self.embed_tokens.weight

    def forward(self, ids):
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = x + layer.self_attn(layer.input_layernorm(x))
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        return self.lm_head(self.norm(x))


def touched_parameters(model, ids):
    """Parameters of the modules one forward pass calls (each tensor counted once)."""
    seen = {}

    def hook(module, *_):
        for p in module.parameters(recurse=False):
            seen[id(p)] = p.numel()
        if isinstance(module, MoE):  # the correction bias is read by the router
            seen[id(module.e_score_correction_bias)] = module.e_score_correction_bias.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model(ids)
    for h in handles:
        h.remove()
    return sum(seen.values())


SMALL = [
    dict(KIMI_VL_TEXT, vocab_size=50, hidden_size=16, num_hidden_layers=3,
         intermediate_size=40, moe_intermediate_size=6, n_routed_experts=8,
         num_experts_per_tok=3, num_attention_heads=2, kv_lora_rank=8,
         qk_nope_head_dim=4, qk_rope_head_dim=2, v_head_dim=5),
    dict(KIMI_VL_TEXT, vocab_size=30, hidden_size=12, num_hidden_layers=4,
         first_k_dense_replace=2, intermediate_size=20, moe_intermediate_size=4,
         n_routed_experts=6, n_shared_experts=1, num_experts_per_tok=2,
         num_attention_heads=3, q_lora_rank=6, kv_lora_rank=5, qk_nope_head_dim=3,
         qk_rope_head_dim=2, v_head_dim=4, tie_word_embeddings=True),
]


# --8<-- [start:test_param_count]
@pytest.mark.formula("eq-param-count")
@pytest.mark.parametrize("cfg", SMALL)
def test_counts_equal_torch_modules_built_from_the_config(cfg):
    torch.manual_seed(0)
    model = LM(cfg)
    counts = lm_param_counts(cfg)
    assert counts["total"] == sum(p.numel() for p in model.parameters())
    # activated: what one token's forward pass touches (the input row of the embedding
    # is one lookup, but the whole matrix is counted, as in the formula)
    assert counts["activated"] == touched_parameters(model, torch.tensor([[3]]))
# --8<-- [end:test_param_count]


@pytest.mark.formula("eq-param-count")
def test_vision_side_counts_equal_torch_modules():
    c = dict(MOONVIT, hidden_size=24, num_hidden_layers=2, intermediate_size=40,
             patch_size=3, init_pos_emb_height=5, init_pos_emb_width=4)
    d, f = c["hidden_size"], c["intermediate_size"]
    vit = nn.ModuleDict(dict(
        proj=nn.Conv2d(3, d, kernel_size=c["patch_size"], stride=c["patch_size"]),
        blocks=nn.ModuleList(nn.ModuleDict(dict(
            norm0=nn.LayerNorm(d), norm1=nn.LayerNorm(d), wqkv=nn.Linear(d, 3 * d),
            wo=nn.Linear(d, d), fc0=nn.Linear(d, f), fc1=nn.Linear(f, d)))
            for _ in range(c["num_hidden_layers"])),
        final_layernorm=nn.LayerNorm(d)))
    pos = c["init_pos_emb_height"] * c["init_pos_emb_width"] * d  # nn.Parameter (h, w, d)
    assert moonvit_param_count(c) == sum(p.numel() for p in vit.parameters()) + pos
    proj = nn.Sequential(nn.LayerNorm(d), nn.Linear(4 * d, 4 * d), nn.GELU(),
                         nn.Linear(4 * d, 10))
    assert projector_param_count(d, 10) == sum(p.numel() for p in proj.parameters())


@pytest.mark.formula("eq-param-count")
def test_kimi_vl_counts_against_the_published_sizes():
    # Published: Kimi-VL report (arXiv 2504.07491) sec. 2.1 "an MoE language model with
    # 2.8B activated parameters, 16B total parameters" and "a 400M native-resolution
    # MoonViT"; the Kimi-VL README's model table: 16B total, 3B activated.
    lm = lm_param_counts(KIMI_VL_TEXT)
    assert abs(lm["total"] / 16e9 - 1) < 0.01                    # 15.96B
    vit = moonvit_param_count(MOONVIT)
    assert abs(vit / 400e6 - 1) < 0.05  # 416.9M: "400M" names the SigLIP-SO400M size
    # 2.8B lies between the count without the input embedding (2.58B) and the count with
    # both embedding matrices (2.92B): no single convention gives it; 2.92B rounds to
    # the README's 3B ("A3B").
    assert lm["activated"] - lm["embedding"] < 2.8e9 < lm["activated"]
    assert round(lm["activated"] / 1e9) == 3
    assert lm["activated"] - lm["embedding"] - lm["lm_head"] < 2.8e9 * 0.81


def test_counts_reject_bad_input():
    with pytest.raises(ValueError, match=r"^cfg\['num_experts_per_tok'\] must lie in \[1, n_routed_experts\], got 65"):
        lm_param_counts(dict(KIMI_VL_TEXT, num_experts_per_tok=65))
    with pytest.raises(ValueError, match=r"^cfg\['hidden_size'\] must"):
        moonvit_param_count(dict(MOONVIT, hidden_size=0))
    with pytest.raises(ValueError, match="^text_hidden must"):
        projector_param_count(1152, -1)


# --8<-- [start:test_packed_attention]
@pytest.mark.formula("eq-packed-attention")
def test_packed_attention_equals_attention_on_each_image_alone():
    lengths = [6, 12, 4]                      # e.g. 2x3, 3x4 and 2x2 patch grids
    q, k, v = (rand(3, sum(lengths), 8, seed=s) for s in (20, 21, 22))
    out = packed_attention(q, k, v, lengths)
    start = 0
    for n in lengths:
        part = slice(start, start + n)
        ref = nn.functional.scaled_dot_product_attention(q[:, part], k[:, part], v[:, part])
        close(out[:, part], ref, rtol=1e-12, atol=1e-12)
        start += n
    # without the mask the images would mix
    full = nn.functional.scaled_dot_product_attention(q, k, v)
    assert (full - out).abs().max() > 1e-2
# --8<-- [end:test_packed_attention]


def test_packed_attention_rejects_bad_input():
    q = rand(2, 5, 4)
    with pytest.raises(ValueError, match="lengths must sum to L = 5, got 4"):
        packed_attention(q, q, q, [2, 2])
    with pytest.raises(ValueError, match="^lengths must be an integer"):
        packed_attention(q, q, q, [5, 0])
    with pytest.raises(ValueError, match="^q must"):
        packed_attention(q[0], q[0], q[0], [5])


def rotation_matrix(row, col, dim, theta=10000.0):
    """Block-diagonal 2x2 rotations written out: block 2i by col w_i, 2i+1 by row w_i."""
    r = np.zeros((dim, dim))
    for j in range(dim // 2):
        i, pos = j // 2, (col if j % 2 == 0 else row)
        a = pos * theta ** (-4 * i / dim)
        r[2 * j: 2 * j + 2, 2 * j: 2 * j + 2] = [[math.cos(a), -math.sin(a)],
                                                 [math.sin(a), math.cos(a)]]
    return r


# --8<-- [start:test_rope_2d]
@pytest.mark.formula("eq-rope-2d")
def test_rope_scores_depend_only_on_the_relative_2d_position():
    rng = np.random.default_rng(7)
    dim = 16
    q, k = rand(200, dim, seed=30), rand(200, dim, seed=31)
    pos = torch.tensor(rng.integers(0, 60, size=(200, 4)), dtype=D64)  # (m_r, m_c, n_r, n_c)
    shift = torch.tensor(rng.integers(-30, 30, size=(200, 2)), dtype=D64)

    def scores(p):
        return (rope_2d(q, p[:, 0], p[:, 1]) * rope_2d(k, p[:, 2], p[:, 3])).sum(-1)

    moved = pos + torch.cat([shift, shift], dim=1)       # same shift for query and key
    close(scores(moved), scores(pos), rtol=1e-9, atol=1e-9)
    # the explicit rotation matrices give the same vectors, and R(m)^T R(n) = R(n - m)
    for t in range(5):
        m_r, m_c, n_r, n_c = pos[t].tolist()
        rq = rotation_matrix(m_r, m_c, dim) @ q[t].numpy()
        np.testing.assert_allclose(rope_2d(q[t: t + 1], pos[t:t + 1, 0], pos[t:t + 1, 1])[0],
                                   rq, rtol=1e-12, atol=1e-12)
        rel = rotation_matrix(n_r - m_r, n_c - m_c, dim)
        want = q[t].numpy() @ rel @ k[t].numpy()
        np.testing.assert_allclose(scores(pos)[t].item(), want, rtol=1e-9)
# --8<-- [end:test_rope_2d]


@pytest.mark.formula("eq-rope-2d")
def test_rope_tells_rows_from_columns():
    # patch offsets (1, 0) and (0, 1) of a 1-D flattened index would be w and 1; 2D RoPE
    # gives different scores for (0,0)-(1,0) and (0,0)-(0,1), and keeps the norm
    q, k = rand(1, 8, seed=40), rand(1, 8, seed=41)
    z = torch.zeros(1, dtype=D64)
    one = torch.ones(1, dtype=D64)
    down = (rope_2d(q, z, z) * rope_2d(k, one, z)).sum()
    right = (rope_2d(q, z, z) * rope_2d(k, z, one)).sum()
    assert abs(down - right) > 1e-3
    rows, cols = grid_positions(3, 5)
    assert rows.tolist()[5:10] == [1] * 5 and cols.tolist()[5:10] == list(range(5))
    x = rand(15, 8, seed=42)
    close(rope_2d(x, rows.double(), cols.double()).norm(dim=-1),
                               x.norm(dim=-1), rtol=1e-12, atol=1e-12)


def test_rope_rejects_bad_input():
    with pytest.raises(ValueError, match="^x must have a last dimension divisible by 4, got 6"):
        rope_2d(rand(3, 6), torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="^h must"):
        grid_positions(0, 3)


# --8<-- [start:test_pixel_shuffle]
@pytest.mark.formula("eq-pixel-shuffle")
def test_pixel_shuffle_is_invertible_and_matches_the_explicit_layout():
    h, w, d = 6, 8, 5
    x = rand(h * w, d, seed=50)
    y = pixel_shuffle(x, h, w)
    assert y.shape == (h * w // 4, 4 * d)
    close(pixel_unshuffle(y, h, w), x, rtol=0, atol=0)
    z = rand(h * w // 4, 4 * d, seed=51)
    close(pixel_shuffle(pixel_unshuffle(z, h, w), h, w), z, rtol=0, atol=0)
    for i in range(h // 2):                       # explicit loop over the layout
        for j in range(w // 2):
            for a in range(2):
                for b in range(2):
                    src = x[(2 * i + a) * w + (2 * j + b)]
                    col = (2 * a + b) * d
                    close(y[i * (w // 2) + j, col: col + d], src)
    # torch's pixel_unshuffle on (d, h, w) holds the same numbers, channel-major
    ref = nn.functional.pixel_unshuffle(x.T.reshape(1, d, h, w), 2)[0]  # (4d, h/2, w/2)
    ref = ref.reshape(d, 4, -1).permute(2, 1, 0).reshape(-1, 4 * d)
    close(y, ref, rtol=0, atol=0)
# --8<-- [end:test_pixel_shuffle]


def test_pixel_shuffle_rejects_bad_input():
    with pytest.raises(ValueError, match=r"^x must hold an h x w grid with h, w divisible by r = 2, got 15 tokens for h = 3, w = 5"):
        pixel_shuffle(rand(15, 2), 3, 5)
    with pytest.raises(ValueError, match="^x must"):
        pixel_shuffle(rand(16), 4, 4)
    with pytest.raises(ValueError, match=r"^y must hold an \(h/r\) x \(w/r\) grid, got 3 tokens for h = 4, w = 4, r = 2"):
        pixel_unshuffle(rand(3, 8), 4, 4)


# --8<-- [start:test_mlp_projector]
@pytest.mark.formula("eq-mlp-projector")
def test_projector_matches_torch_modules():
    h, w, d, d_text = 4, 6, 8, 10
    x = rand(h * w, d, seed=60)
    torch.manual_seed(1)
    ln, l1, l2 = nn.LayerNorm(d), nn.Linear(4 * d, 4 * d), nn.Linear(4 * d, d_text)
    for m in (ln, l1, l2):
        m.double()
        for p in m.parameters():
            nn.init.normal_(p)
    params = dict(ln_w=ln.weight, ln_b=ln.bias, w1=l1.weight, b1=l1.bias,
                  w2=l2.weight, b2=l2.bias)
    with torch.no_grad():
        # the released code: pre_norm on (tokens, 4, d), .view(-1, 4 d), linear, GELU, linear
        merged = pixel_shuffle(x, h, w).reshape(-1, 4, d)
        ref = l2(nn.GELU()(l1(ln(merged).reshape(-1, 4 * d))))
        out = mlp_projector(x, h, w, params)
    assert out.shape == (h * w // 4, d_text)
    close(out, ref, rtol=1e-12, atol=1e-12)
# --8<-- [end:test_mlp_projector]


def test_projector_rejects_bad_input():
    with pytest.raises(ValueError, match="^x must"):
        mlp_projector(rand(8), 2, 2, {})


def _matrix(m, n, sv, seed):
    """U diag(sv) V^T with random orthonormal U (m x r), V (n x r), r = len(sv)."""
    rng = np.random.default_rng(seed)
    u = np.linalg.qr(rng.standard_normal((m, len(sv))))[0]
    v = np.linalg.qr(rng.standard_normal((n, len(sv))))[0]
    return u @ np.diag(sv) @ v.T, u, v


# --8<-- [start:test_newton_schulz]
@pytest.mark.formula("eq-newton-schulz")
@pytest.mark.parametrize("shape", [(6, 9), (9, 6)])
def test_cubic_iteration_converges_to_the_polar_factor(shape):
    g = np.random.default_rng(8).standard_normal(shape)
    u, sv, vt = np.linalg.svd(g, full_matrices=False)
    polar = u @ vt
    s = sv / np.linalg.norm(g)
    for k in (5, 15, 30):  # spectral-norm error = the worst singular value's distance to 1
        err = np.linalg.norm(newton_schulz(g, k) - polar, 2)
        np.testing.assert_allclose(err, np.abs(ns_polynomial(s, k, CUBIC) - 1).max(),
                                   rtol=1e-8, atol=1e-13)
    assert np.linalg.norm(newton_schulz(g, 5) - polar, 2) > 1e-2
    assert np.linalg.norm(newton_schulz(g, 30) - polar, 2) < 1e-10
    # the page's argument: on (0, 1) the cubic p has s < p(s) < 1, and p(1) = 1, p'(1) = 0
    grid = np.linspace(1e-6, 1 - 1e-6, 100_001)
    p1 = ns_polynomial(grid, 1, CUBIC)
    assert (p1 > grid).all() and (p1 < 1).all() and ns_polynomial(1.0, 1, CUBIC) == 1.0
    # every step acts on the singular values only: X_k = U p^k(S / ||G||_F) V^T
    for coeffs in (CUBIC, MUON_QUINTIC):
        want = u @ np.diag(ns_polynomial(sv / np.linalg.norm(g), 4, coeffs)) @ vt
        np.testing.assert_allclose(newton_schulz(g, 4, coeffs), want, atol=1e-12)
# --8<-- [end:test_newton_schulz]


def test_newton_schulz_rejects_bad_input():
    with pytest.raises(ValueError, match="^g must"):
        newton_schulz(np.ones(3), 2)
    with pytest.raises(ValueError, match="^steps must be an integer >= 0"):
        newton_schulz(np.ones((2, 3)), -1)
    with pytest.raises(ValueError, match="^steps must be an integer >= 0"):
        ns_polynomial(0.5, 1.5)
    with pytest.raises(ValueError, match="^coeffs must"):
        quintic_band(CUBIC)


# --8<-- [start:test_muon_quintic]
@pytest.mark.formula("eq-muon-quintic")
def test_quintic_pushes_singular_values_into_a_band_not_to_one():
    lo, inner, top = quintic_band()
    assert 0.68 < lo < 0.69 and 1.13 < inner < 1.14 and 1.20 < top < 1.21
    # the numbers the page quotes: s_peak ~ 0.554 (local max), s_star ~ 1.050 (local min),
    # p(top) ~ 0.947; found here by a grid search, not by the closed form of the snippet
    fine = np.linspace(0.3, 1.3, 1_000_001)
    pf = ns_polynomial(fine, 1)
    inner_max = (fine > 0.3) & (fine < 0.8)
    assert abs(fine[inner_max][pf[inner_max].argmax()] - 0.554) < 1e-3
    assert abs(pf[inner_max].max() - top) < 1e-9
    tail = fine > 0.8
    assert abs(fine[tail][pf[tail].argmin()] - 1.050) < 1e-3
    assert abs(pf[tail].min() - lo) < 1e-9
    assert abs(float(ns_polynomial(top, 1)) - 0.947) < 0.001
    # p maps [lo, top] into [lo, inner], and (0, top] into (0, top]: checked on a grid
    # 1e-6 apart; p' <= |a| + 3|b| top^2 + 5 c top^4 < 40 bounds it between grid points
    grid = np.linspace(lo, top, 1_500_001)
    image = ns_polynomial(grid, 1)
    slack = 40 * (grid[1] - grid[0])
    assert image.min() >= lo - 1e-12 and image.max() <= inner + 1e-12
    assert (ns_polynomial(np.linspace(1e-9, top, 1_500_001), 1) <= top + slack).all()
    # measured: from s0 in [1e-3, 1], after 7 steps every value is in [lo, inner]
    s0 = np.geomspace(1e-3, 1.0, 20_001)
    s7 = ns_polynomial(s0, 7)
    assert s7.min() >= lo - 1e-9 and s7.max() <= inner + 1e-9
    assert s7.min() < lo + 1e-3 and s7.max() > inner - 1e-3  # the band is filled
    # and it does not converge to 1: p(1) = 0.701, and the one fixed point in the band,
    # s_f^2 = (-b - sqrt(b^2 - 4 c (a - 1))) / (2 c), repels (|p'(s_f)| > 1), so after
    # 50 steps the values still spread over the band (the cubic's collapse onto 1)
    a, b, c = MUON_QUINTIC
    s_f = math.sqrt((-b - math.sqrt(b * b - 4 * c * (a - 1))) / (2 * c))
    assert abs(ns_polynomial(s_f, 1) - s_f) < 1e-12 and lo < s_f < inner
    assert abs(s_f - 0.868) < 1e-3 and abs(abs(a + 3 * b * s_f**2 + 5 * c * s_f**4) - 1.58) < 0.01
    assert abs(ns_polynomial(1.0, 1) - 0.701) < 1e-12
    s50 = ns_polynomial(s0, 50)
    assert s50.max() - s50.min() > 0.4
    assert np.ptp(ns_polynomial(s0, 50, CUBIC)) < 1e-12
    # Muon's 5 steps: every s0 = sigma / ||G||_F above 0.0016 ends in [lo, top], the
    # smaller ones are still climbing; on a matrix, singular vectors are kept
    late = s0[ns_polynomial(s0, 5) < lo]
    assert 0.0014 < late.max() < 0.0016
    s5 = ns_polynomial(s0[s0 > 0.0016], 5)
    assert s5.min() >= lo and s5.max() <= top + 1e-12
    sv = np.array([3.0, 1.0, 0.3, 0.05, 0.02, 0.01, 0.006, 0.001])
    g, u, v = _matrix(8, 12, sv, 9)
    x = newton_schulz(g, 5, MUON_QUINTIC)
    got = np.linalg.svd(x, compute_uv=False)
    big = sv / np.linalg.norm(sv) > 0.0016
    assert got[big].min() >= lo - 1e-9 and got.max() <= top + 1e-9 and got[~big] < lo
    np.testing.assert_allclose(u.T @ x @ v, np.diag(np.diag(u.T @ x @ v)), atol=1e-12)
# --8<-- [end:test_muon_quintic]


# --8<-- [start:test_muon_update]
@pytest.mark.formula("eq-muon-update")
def test_muon_update_scale_and_momentum_conventions():
    rng = np.random.default_rng(10)
    grad, buf = rng.standard_normal((16, 40)), rng.standard_normal((16, 40))
    upd, new_buf = muon_update(grad, buf)
    np.testing.assert_allclose(new_buf, 0.95 * buf + grad, rtol=1e-15)
    direction = grad + 0.95 * (0.95 * buf + grad)
    np.testing.assert_allclose(upd, 0.2 * math.sqrt(40) *
                               newton_schulz(direction, 5, MUON_QUINTIC), rtol=1e-12)
    # KellerJordan/Muon's lerp form (buf <- beta buf + (1 - beta) g, d = lerp(g, buf, beta))
    # is the same direction times (1 - beta) when buf is scaled alike: NS removes the scale
    kj_buf = 0.05 * buf
    kj_buf = 0.95 * kj_buf + 0.05 * grad
    kj_dir = 0.05 * grad + 0.95 * kj_buf
    np.testing.assert_allclose(newton_schulz(kj_dir, 5, MUON_QUINTIC),
                               newton_schulz(direction, 5, MUON_QUINTIC), atol=1e-12)
    no_nesterov, _ = muon_update(grad, buf, nesterov=False)
    np.testing.assert_allclose(no_nesterov, 0.2 * math.sqrt(40) *
                               newton_schulz(0.95 * buf + grad, 5, MUON_QUINTIC), rtol=1e-12)
    # with the exact polar factor U V^T the update's RMS is 0.2 for any full-rank shape
    for a, b in ((16, 40), (40, 16), (24, 24)):
        g = rng.standard_normal((a, b))
        u, _, vt = np.linalg.svd(g, full_matrices=False)
        exact = 0.2 * math.sqrt(max(a, b)) * (u @ vt)
        assert abs(np.sqrt(np.mean(exact**2)) - 0.2) < 1e-12
    lo, _, top = quintic_band()
    d = np.linalg.svd(direction, compute_uv=False)
    assert (d / np.linalg.norm(d) > 0.0016).all()  # the condition stated on the page
    rms = np.sqrt(np.mean(upd**2))
    assert 0.2 * lo <= rms <= 0.2 * top
# --8<-- [end:test_muon_update]


def test_muon_update_rejects_bad_input():
    with pytest.raises(ValueError, match=r"^buf must have the shape of grad \(2, 3\), got \(3, 2\)"):
        muon_update(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="^grad must"):
        muon_update(np.ones(3), np.ones(3))


def test_boundary_values_are_accepted():
    logits = rand(4, 5, seed=70)
    assert (topk_gate(logits, 5) > 0).all() and ((topk_gate(logits, 1) > 0).sum(-1) == 1).all()
    g = rand(3, 4, seed=71)
    np.testing.assert_allclose(newton_schulz(g, 0), g.numpy() / np.linalg.norm(g.numpy()))
    assert float(ns_polynomial(0.5, 0)) == 0.5
    for k in (1, 64):
        lm_param_counts(dict(KIMI_VL_TEXT, num_experts_per_tok=k))
    # a quintic with 0 < c < 1 and 0 < 9 b^2 - 20 a c < 1 is valid; disc = 0 is not
    other = (2.0, -1.5, 0.5)
    lo, inner, top = quintic_band(other)
    fine = np.linspace(0.05, 3.0, 600_001)
    pf = ns_polynomial(fine, 1, other)
    interior = (pf[1:-1] <= pf[:-2]) & (pf[1:-1] <= pf[2:])
    assert abs(pf[1:-1][interior].min() - lo) < 1e-9
    assert abs(float(ns_polynomial(lo, 1, other)) - inner) < 1e-12
    peak = (pf[1:-1] >= pf[:-2]) & (pf[1:-1] >= pf[2:])
    assert abs(pf[1:-1][peak].max() - top) < 1e-9
    with pytest.raises(ValueError, match="^coeffs must"):
        quintic_band((1.0, 1.0, 0.45))


def test_component_counts_and_a_3x3_merge():
    cfg = SMALL[0]
    model, counts = LM(cfg), lm_param_counts(cfg)
    layer = model.layers[1]
    assert counts["attention"] == sum(p.numel() for p in layer.self_attn.parameters())
    assert counts["expert"] == sum(p.numel() for p in layer.mlp.experts[0].parameters())
    assert counts["shared"] == sum(p.numel() for p in layer.mlp.shared_experts.parameters())
    assert counts["router"] == layer.mlp.gate.weight.numel() + cfg["n_routed_experts"]
    assert counts["embedding"] == model.embed_tokens.weight.numel()
    proj = nn.Sequential(nn.LayerNorm(5), nn.Linear(45, 45), nn.Linear(45, 7))
    assert projector_param_count(5, 7, r=3) == sum(p.numel() for p in proj.parameters())


def test_three_dimensional_inputs_and_a_3x3_projector():
    # rope on (heads, L, D) equals rope on each head
    x = rand(2, 6, 8, seed=72)
    rows, cols = grid_positions(2, 3)
    both = rope_2d(x, rows.double(), cols.double())
    for h in range(2):
        close(both[h], rope_2d(x[h], rows.double(), cols.double()))
    # the projector with r = 3 merges 3 x 3 blocks
    h, w, d = 3, 6, 4
    z = rand(h * w, d, seed=73)
    params = dict(ln_w=torch.ones(d, dtype=D64), ln_b=torch.zeros(d, dtype=D64),
                  w1=torch.eye(9 * d, dtype=D64), b1=torch.zeros(9 * d, dtype=D64),
                  w2=torch.eye(9 * d, dtype=D64), b2=torch.zeros(9 * d, dtype=D64))
    normed = (z - z.mean(-1, keepdim=True)) / torch.sqrt(z.var(-1, unbiased=False,
                                                              keepdim=True) + 1e-5)
    u = pixel_shuffle(normed, h, w, 3)
    close(mlp_projector(z, h, w, params, r=3), nn.functional.gelu(u), rtol=1e-12, atol=1e-12)


def test_more_bad_inputs_name_their_argument():
    with pytest.raises(ValueError, match="^w must"):
        grid_positions(3, 0)
    with pytest.raises(ValueError, match="^vit_hidden must"):
        projector_param_count(0, 10)
    with pytest.raises(ValueError, match="^r must"):
        projector_param_count(4, 4, r=0)
    with pytest.raises(ValueError, match="^y must have 2"):
        pixel_unshuffle(rand(8), 2, 2)
    with pytest.raises(ValueError, match="^x must hold"):
        pixel_shuffle(rand(12, 2), 4, 4)            # h, w even, wrong token count
    with pytest.raises(ValueError, match="^x must hold"):
        pixel_shuffle(rand(12, 2), 3, 4)            # only h odd
    with pytest.raises(ValueError, match="^y must hold"):
        pixel_unshuffle(rand(3, 8), 3, 4)           # only h odd
