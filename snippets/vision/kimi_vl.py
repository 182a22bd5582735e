"""Kimi-VL: MoE routing, parameter counts, MoonViT packing, 2D RoPE, Muon.

Page: vision/kimi-vl (docs/vision/kimi-vl.md); each function names the anchor of the
equation it implements. Model pieces (routing, attention, RoPE, pixel shuffle,
projector) are PyTorch; parameter counts and the Newton-Schulz iteration are NumPy
(float64).
Token-level tensors are (L, d): L tokens of width d; a packed sequence of several images
is the concatenation of their row-major patch sequences, with their lengths given apart.
"""

from __future__ import annotations

import math

import numpy as np
import torch

# The language model of Kimi-VL-A3B (Moonlight, a DeepSeek-V3-style MoE with MLA):
# the fields of text_config in the model's config.json.
KIMI_VL_TEXT = dict(
    vocab_size=163840, hidden_size=2048, num_hidden_layers=27, first_k_dense_replace=1,
    intermediate_size=11264, moe_intermediate_size=1408, n_routed_experts=64,
    n_shared_experts=2, num_experts_per_tok=6, num_attention_heads=16,
    q_lora_rank=None, kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64,
    v_head_dim=128, tie_word_embeddings=False,
)
# MoonViT (vision_config of config.json) and the 2x2 merge in front of the projector.
MOONVIT = dict(
    hidden_size=1152, num_hidden_layers=27, num_attention_heads=16,
    intermediate_size=4304, patch_size=14, init_pos_emb_height=64,
    init_pos_emb_width=64, merge_kernel_size=(2, 2),
)
CUBIC = (1.5, -0.5, 0.0)  # classic Newton-Schulz: p(s) = (3 s - s^3) / 2
# KellerJordan/Muon, muon.py, zeropower_via_newtonschulz5
MUON_QUINTIC = (3.4445, -4.7750, 2.0315)


def _check_matrix(name: str, x, ndim: int = 2) -> None:
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, "
                         f"got shape {tuple(x.shape)}")


def _check_int(name: str, n, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _check_positive_int(name: str, n) -> int:
    return _check_int(name, n, 1)


def _check_gate_input(logits, k) -> None:
    _check_matrix("logits", logits)
    k = _check_positive_int("k", k)
    if k > logits.shape[-1]:
        raise ValueError(f"k must be <= the number of experts {logits.shape[-1]}, "
                         f"got {k}")


# --8<-- [start:topk_gate]
def topk_gate(logits: torch.Tensor, k: int, scoring: str = "sigmoid",
              bias: torch.Tensor | None = None) -> torch.Tensor:
    """Top-k routing weights, zero off the chosen experts (#eq-topk-routing).

    s = sigmoid(u) (Kimi-VL, DeepSeek-V3) or softmax(u); the k experts with the largest
    s + bias are chosen; g_i = s_i / sum_{j chosen} s_j on them, 0 elsewhere.
    logits: (T, E). Returns (T, E); every row sums to 1.
    """
    _check_gate_input(logits, k)
    # logits are 2-D (checked), so dim=-1 and dim=+1 name the same axis below
    if scoring == "sigmoid":
        scores = torch.sigmoid(logits)
    elif scoring == "softmax":
        scores = torch.softmax(logits, dim=-1)  # pragma: no mutate
    else:
        raise ValueError(f"scoring must be 'sigmoid' or 'softmax', got {scoring!r}")
    # the bias only chooses the experts; the weights use the unbiased scores
    choice = scores if bias is None else scores + bias
    chosen = torch.topk(choice, k, dim=-1).indices  # pragma: no mutate
    # the mask's value cancels in the normalisation: only its zeros matter
    mask = torch.zeros_like(scores).scatter(-1, chosen, 1.0)  # pragma: no mutate
    kept = scores * mask
    return kept / kept.sum(dim=-1, keepdim=True)  # pragma: no mutate
# --8<-- [end:topk_gate]


def swiglu(x: torch.Tensor, w_gate: torch.Tensor, w_up: torch.Tensor,
           w_down: torch.Tensor) -> torch.Tensor:
    """One expert: FFN(x) = W_down (silu(W_gate x) * (W_up x)); x (T, d)."""
    _check_matrix("x", x)
    return (torch.nn.functional.silu(x @ w_gate.T) * (x @ w_up.T)) @ w_down.T


# --8<-- [start:moe_layer]
def moe_layer(x: torch.Tensor, router: torch.Tensor, experts, k: int,
              shared=None, scale: float = 1.0, scoring: str = "sigmoid",
              bias: torch.Tensor | None = None) -> torch.Tensor:
    """Sparse MoE feed-forward (#eq-moe-layer), computing only the chosen experts.

    y_t = FFN_shared(x_t) + scale * sum_{i in TopK(t)} g_{t,i} FFN_i(x_t).
    x: (T, d); router: (E, d); experts: (W_gate (E, f, d), W_up (E, f, d),
    W_down (E, d, f)); shared: None or one (W_gate, W_up, W_down) triple.
    Returns (T, d); the residual connection is outside this function.
    """
    _check_matrix("x", x)
    w_gate, w_up, w_down = experts
    g = topk_gate(x @ router.T, k, scoring, bias)
    y = torch.zeros_like(x) if shared is None else swiglu(x, *shared)
    for i in range(router.shape[0]):
        tokens = torch.nonzero(g[:, i]).flatten()  # the tokens routed to expert i
        if tokens.numel() == 0:
            continue
        out = swiglu(x[tokens], w_gate[i], w_up[i], w_down[i])
        y = y.index_add(0, tokens, scale * g[tokens, i, None] * out)
    return y
# --8<-- [end:moe_layer]


def _check_lm_config(cfg: dict) -> None:
    if not 1 <= cfg["num_experts_per_tok"] <= cfg["n_routed_experts"]:
        raise ValueError("cfg['num_experts_per_tok'] must lie in [1, n_routed_experts],"
                         f" got {cfg['num_experts_per_tok']}")


# --8<-- [start:lm_param_counts]
def lm_param_counts(cfg: dict) -> dict:
    """Total and per-token activated parameters of the MoE LM (#eq-param-count).

    Per layer: MLA attention + 2 RMSNorms + a dense SwiGLU FFN (first_k_dense_replace
    layers) or an MoE FFN (router, n_routed experts, shared experts as one FFN of width
    n_shared * f_e). Activated counts k routed experts instead of all of them.
    Returns a dict of integers by component, plus 'total' and 'activated'
    (which include both embedding matrices; 'embedding' and 'lm_head' are also given).
    """
    _check_lm_config(cfg)
    d, n_h = cfg["hidden_size"], cfg["num_attention_heads"]
    d_qk = cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]
    r_kv, d_v = cfg["kv_lora_rank"], cfg["v_head_dim"]
    if cfg["q_lora_rank"] is None:
        q = d * n_h * d_qk                                  # q_proj
    else:
        r_q = cfg["q_lora_rank"]
        q = d * r_q + r_q + r_q * n_h * d_qk                # q_a_proj, norm, q_b_proj
    attn = (q + d * (r_kv + cfg["qk_rope_head_dim"])        # kv_a_proj_with_mqa
            + r_kv                                          # kv_a_layernorm
            + r_kv * n_h * (cfg["qk_nope_head_dim"] + d_v)  # kv_b_proj
            + n_h * d_v * d)                                # o_proj
    norms = 2 * d
    ffn_dense = 3 * d * cfg["intermediate_size"]
    n_e, f_e = cfg["n_routed_experts"], cfg["moe_intermediate_size"]
    expert = 3 * d * f_e
    router = n_e * d + n_e                                  # weight + correction bias
    shared = 3 * d * cfg["n_shared_experts"] * f_e
    n_dense = cfg["first_k_dense_replace"]
    n_moe = cfg["num_hidden_layers"] - n_dense
    embedding = cfg["vocab_size"] * d
    lm_head = 0 if cfg["tie_word_embeddings"] else cfg["vocab_size"] * d
    common = embedding + lm_head + d + cfg["num_hidden_layers"] * (attn + norms)
    common += n_dense * ffn_dense + n_moe * (router + shared)
    return dict(
        attention=attn, expert=expert, router=router, shared=shared,
        embedding=embedding, lm_head=lm_head,
        total=common + n_moe * n_e * expert,
        activated=common + n_moe * cfg["num_experts_per_tok"] * expert,
    )
# --8<-- [end:lm_param_counts]


def moonvit_param_count(cfg: dict) -> int:
    """Parameters of MoonViT: patch conv, 2-D position table, pre-LN blocks."""
    d, f, p = (_check_positive_int(f"cfg['{key}']", cfg[key])
               for key in ("hidden_size", "intermediate_size", "patch_size"))
    patch = 3 * p * p * d + d
    pos = cfg["init_pos_emb_height"] * cfg["init_pos_emb_width"] * d
    block = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d)
    return patch + pos + cfg["num_hidden_layers"] * block + 2 * d


def projector_param_count(vit_hidden: int, text_hidden: int, r: int = 2) -> int:
    """LayerNorm(d_v), Linear(r^2 d_v -> r^2 d_v), Linear(r^2 d_v -> d_text)."""
    vit_hidden = _check_positive_int("vit_hidden", vit_hidden)
    text_hidden = _check_positive_int("text_hidden", text_hidden)
    wide = _check_positive_int("r", r) ** 2 * vit_hidden
    return 2 * vit_hidden + (wide * wide + wide) + (wide * text_hidden + text_hidden)


# --8<-- [start:packed_attention]
def packed_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                     lengths) -> torch.Tensor:
    """Attention over a packed sequence, block-diagonal mask (#eq-packed-attention).

    softmax(q k^T / sqrt(d_h) + M) v with M = 0 inside each image's block and -inf
    outside. q, k, v: (H, L, d_h) with L = sum(lengths). Returns (H, L, d_h).
    """
    _check_matrix("q", q, 3)
    lengths = [_check_positive_int("lengths", n) for n in lengths]
    if sum(lengths) != q.shape[1]:
        raise ValueError(f"lengths must sum to L = {q.shape[1]}, got {sum(lengths)}")
    # repeat_interleave(repeats) alone means the same (arange(len) repeated): equivalent
    labels, counts = torch.arange(len(lengths)), torch.tensor(lengths)
    image = torch.repeat_interleave(labels, counts)  # pragma: no mutate
    same = image[:, None] == image[None, :]                 # (L, L), block diagonal
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    # float() reads "-INF" as "-inf": an equivalent mutant
    scores = scores.masked_fill(~same, float("-inf"))  # pragma: no mutate
    return torch.softmax(scores, dim=-1) @ v
# --8<-- [end:packed_attention]


# --8<-- [start:rope_2d]
def rope_2d(x: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor,
            theta: float = 10000.0) -> torch.Tensor:
    """2D rotary position embedding as in MoonViT (#eq-rope-2d).

    Channels (2j, 2j+1) form the complex number z_j. For i = 0, ..., D/4 - 1 with
    omega_i = theta^(-4 i / D): z_{2i} is rotated by cols * omega_i (the width axis),
    z_{2i+1} by rows * omega_i (the height axis). x: (..., L, D), D divisible by 4;
    rows, cols: (L,) integer patch coordinates. Returns a tensor shaped like x.
    """
    dim = x.shape[-1]
    if dim % 4 != 0:
        raise ValueError(f"x must have a last dimension divisible by 4, got {dim}")
    # dim is divisible by 4 (checked): dim / 4 and dim // 4 give the same arange
    m = torch.arange(dim // 4, dtype=x.dtype)  # pragma: no mutate
    omega = theta ** (-4.0 * m / dim)
    angle = torch.stack([cols[:, None] * omega, rows[:, None] * omega], dim=-1)
    rot = torch.polar(torch.ones_like(angle), angle).flatten(-2)   # (L, D/2)
    z = torch.view_as_complex(x.reshape(*x.shape[:-1], dim // 2, 2).contiguous())
    return torch.view_as_real(z * rot).flatten(-2)
# --8<-- [end:rope_2d]


def grid_positions(h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column of each patch of an h x w grid in row-major order."""
    h, w = _check_positive_int("h", h), _check_positive_int("w", w)
    idx = torch.arange(h * w)
    return idx // w, idx % w


# --8<-- [start:pixel_shuffle]
def pixel_shuffle(x: torch.Tensor, h: int, w: int, r: int = 2) -> torch.Tensor:
    """Merge each r x r block of patches into one token of r^2 times the width.

    (#eq-pixel-shuffle) x: (h w, d), row-major patches. Token (i, j) of the output,
    at row i * (w / r) + j, is the concatenation of x at patches (r i + a, r j + b)
    for a, b = 0, ..., r - 1 in that order. Returns (h w / r^2, r^2 d).
    """
    _check_matrix("x", x)
    if h % r or w % r or x.shape[0] != h * w:
        raise ValueError(f"x must hold an h x w grid with h, w divisible by r = {r}, "
                         f"got {x.shape[0]} tokens for h = {h}, w = {w}")
    d = x.shape[1]
    blocks = x.reshape(h // r, r, w // r, r, d).permute(0, 2, 1, 3, 4)
    return blocks.reshape(h * w // (r * r), r * r * d)


def pixel_unshuffle(y: torch.Tensor, h: int, w: int, r: int = 2) -> torch.Tensor:
    """Inverse of pixel_shuffle: (h w / r^2, r^2 d) back to (h w, d)."""
    _check_matrix("y", y)
    if h % r or w % r or y.shape[0] * r * r != h * w:
        raise ValueError(f"y must hold an (h/r) x (w/r) grid, got {y.shape[0]} tokens "
                         f"for h = {h}, w = {w}, r = {r}")
    d = y.shape[1] // (r * r)
    blocks = y.reshape(h // r, w // r, r, r, d).permute(0, 2, 1, 3, 4)
    return blocks.reshape(h * w, d)
# --8<-- [end:pixel_shuffle]


# --8<-- [start:mlp_projector]
def mlp_projector(x: torch.Tensor, h: int, w: int, params: dict,
                  r: int = 2, eps: float = 1e-5) -> torch.Tensor:
    """MoonViT features of one image to LLM embeddings (#eq-mlp-projector).

    e = W_2 GELU(W_1 PS(LN(x)) + b_1) + b_2: LayerNorm over each patch's d_v channels,
    2x2 pixel shuffle, then a two-layer MLP. x: (h w, d_v); params: ln_w, ln_b (d_v,),
    w1 (4 d_v, 4 d_v), b1, w2 (d_text, 4 d_v), b2. Returns (h w / 4, d_text).
    """
    _check_matrix("x", x)
    # x is 2-D (checked above), so dim=+1 is the same axis as dim=-1: equivalent
    mean = x.mean(dim=-1, keepdim=True)  # pragma: no mutate
    var = x.var(dim=-1, unbiased=False, keepdim=True)  # pragma: no mutate
    z = (x - mean) / torch.sqrt(var + eps) * params["ln_w"] + params["ln_b"]
    z = pixel_shuffle(z, h, w, r)
    u = z @ params["w1"].T + params["b1"]
    u = 0.5 * u * (1.0 + torch.erf(u / math.sqrt(2.0)))    # exact GELU
    return u @ params["w2"].T + params["b2"]
# --8<-- [end:mlp_projector]


# --8<-- [start:newton_schulz]
def newton_schulz(g: np.ndarray, steps: int, coeffs=CUBIC) -> np.ndarray:
    """Odd-polynomial Newton-Schulz iteration (#eq-newton-schulz).

    X_0 = G / ||G||_F; X_{k+1} = a X_k + b (X_k X_k^T) X_k + c (X_k X_k^T)^2 X_k.
    Each step maps every singular value s of X_k to p(s) = a s + b s^3 + c s^5 and keeps
    the singular vectors. CUBIC = (3/2, -1/2, 0) converges to U V^T;
    MUON_QUINTIC does not (#eq-muon-quintic). g: (m, n). Returns (m, n).
    """
    _check_matrix("g", g)
    steps = _check_int("steps", steps, 0)
    a, b, c = coeffs
    # the division below makes x float whatever its dtype: dtype=None is equivalent
    x = np.asarray(g, dtype=float)  # pragma: no mutate
    # either side gives the same polar factor (to rounding); this one is the cheaper one
    wide = x.shape[0] <= x.shape[1]  # pragma: no mutate
    x = x if wide else x.T
    x = x / np.linalg.norm(x)               # Frobenius norm: every s <= 1
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x if wide else x.T
# --8<-- [end:newton_schulz]


# --8<-- [start:ns_polynomial]
def ns_polynomial(s, steps: int, coeffs=MUON_QUINTIC) -> np.ndarray:
    """The scalar map of one Newton-Schulz step applied steps times: p^(steps)(s)."""
    steps = _check_int("steps", steps, 0)
    a, b, c = coeffs
    # a * s makes s float whatever its dtype: dtype=None is equivalent
    s = np.asarray(s, dtype=float)  # pragma: no mutate
    for _ in range(steps):
        s = a * s + b * s**3 + c * s**5
    return s


def quintic_band(coeffs=MUON_QUINTIC) -> tuple[float, float, float]:
    """The band the quintic iteration settles in (#eq-muon-quintic).

    p'(s) = a + 3 b s^2 + 5 c s^4 has two positive roots: s_peak (local maximum of p)
    and s_star (local minimum). top = p(s_peak), lo = p(s_star), inner = p(lo).
    p maps [lo, top] into [lo, inner]. Returns (lo, inner, top).
    """
    a, b, c = coeffs
    disc = 9 * b * b - 20 * a * c
    if not (c > 0 and disc > 0):
        raise ValueError(f"coeffs must have c > 0 and 9 b^2 > 20 a c, got {coeffs}")
    s_peak = math.sqrt((-3 * b - math.sqrt(disc)) / (10 * c))
    s_star = math.sqrt((-3 * b + math.sqrt(disc)) / (10 * c))
    lo = float(ns_polynomial(s_star, 1, coeffs))
    inner = float(ns_polynomial(lo, 1, coeffs))
    return lo, inner, float(ns_polynomial(s_peak, 1, coeffs))
# --8<-- [end:ns_polynomial]


# --8<-- [start:muon_update]
def muon_update(grad: np.ndarray, buf: np.ndarray, beta: float = 0.95,
                steps: int = 5, nesterov: bool = True):
    """One Muon direction with Moonlight's update scale (#eq-muon-update).

    M_t = beta M_{t-1} + G_t; with Nesterov, D_t = G_t + beta M_t, else D_t = M_t;
    O_t = NS5(D_t) with MUON_QUINTIC; returns (0.2 sqrt(max(A, B)) O_t, M_t) for a
    weight of shape (A, B). The step is W <- W (1 - lr wd) - lr * (returned update).
    """
    _check_matrix("grad", grad)
    if buf.shape != grad.shape:
        raise ValueError(f"buf must have the shape of grad {grad.shape}, "
                         f"got {buf.shape}")
    buf = beta * buf + grad
    direction = grad + beta * buf if nesterov else buf
    ortho = newton_schulz(direction, steps, MUON_QUINTIC)
    return 0.2 * math.sqrt(max(grad.shape)) * ortho, buf
# --8<-- [end:muon_update]


if __name__ == "__main__":
    torch.manual_seed(0)
    logits = torch.tensor([[1.2, -0.3, 0.8, 2.0, -1.5, 0.1, 0.4, -0.9]],
                          dtype=torch.float64)
    g = topk_gate(logits, 2)
    print("router scores:", np.round(torch.sigmoid(logits)[0].numpy(), 3).tolist())
    print("top-2 weights:", np.round(g[0].numpy(), 3).tolist(), "sum =",
          round(float(g.sum()), 6))

    lm = lm_param_counts(KIMI_VL_TEXT)
    vit = moonvit_param_count(MOONVIT)
    proj = projector_param_count(MOONVIT["hidden_size"], KIMI_VL_TEXT["hidden_size"])
    emb, head = lm["embedding"], lm["lm_head"]
    print(f"LM total {lm['total'] / 1e9:.3f}B, activated {lm['activated'] / 1e9:.3f}B")
    act = lm["activated"]
    print(f"LM activated without the input embedding {(act - emb) / 1e9:.3f}B,"
          f" without both embeddings {(act - emb - head) / 1e9:.3f}B")
    print(f"one expert {lm['expert'] / 1e6:.2f}M, "
          f"attention {lm['attention'] / 1e6:.2f}M, embedding {emb / 1e6:.1f}M")
    print(f"MoonViT {vit / 1e6:.1f}M, projector {proj / 1e6:.1f}M, "
          f"Kimi-VL total {(lm['total'] + vit + proj) / 1e9:.3f}B")

    h, w = 28, 42                      # a 392 x 588 image in 14-pixel patches
    print(f"image 392x588: {h * w} patches -> {h * w // 4} LLM tokens")

    lo, inner, top = quintic_band()
    print(f"quintic p(1) = {float(ns_polynomial(1.0, 1)):.4f}; "
          f"band [{lo:.4f}, {inner:.4f}], never above {top:.4f}")
    s0 = np.geomspace(1e-3, 1.0, 2001)
    late = s0[ns_polynomial(s0, 5) < lo].max()
    print(f"after 5 quintic steps every s0 > {late:.4f} is in [{lo:.4f}, {top:.4f}]")
    for k in (1, 5, 7, 10, 20, 30):
        cub, qui = ns_polynomial(s0, k, CUBIC), ns_polynomial(s0, k)
        print(f"k = {k:2d}: cubic s in [{cub.min():.4f}, {cub.max():.4f}], "
              f"quintic s in [{qui.min():.4f}, {qui.max():.4f}]")
