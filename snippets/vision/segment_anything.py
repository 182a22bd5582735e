"""Segment Anything (SAM): promptable segmentation, its three modules and its losses.

Page: vision/segment-anything (docs/vision/segment-anything.md); each function names the
anchor of the equation it implements. Written from the paper's description (Kirillov et
al., 2023, Sec. 3 and App. A) and the shapes of the reference code; plain torch.nn.
Masks are torch tensors: logits (float), targets (0/1 float or bool). Shapes:
image (B, 3, 1024, 1024) -> embedding (B, 256, 64, 64); prompts -> sparse tokens
(B, n, 256) and a dense embedding (B, 256, 64, 64); decoder -> mask logits
(B, 3, 256, 256) and IoU predictions (B, 3), or (B, 1, ...) for the single-mask output.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

# (embed dim D, depth L, heads h, indices of the global-attention blocks), build_sam.py
SAM_CONFIGS = {
    "vit_b": (768, 12, 12, (2, 5, 8, 11)),
    "vit_l": (1024, 24, 16, (5, 11, 17, 23)),
    "vit_h": (1280, 32, 16, (7, 15, 23, 31)),
}


def _check_positive_int(name: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return n


def _check_positive_ints(**values) -> None:
    for name, value in values.items():
        _check_positive_int(name, value)


def _check_same_shape(name_a: str, a: torch.Tensor,
                      name_b: str, b: torch.Tensor) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have one shape, "
                         f"got {tuple(a.shape)} and {tuple(b.shape)}")


# --8<-- [start:mask_iou]
def mask_iou(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """IoU(A, B) = |A and B| / |A or B| over the last two axes (#eq-promptable-task).

    pred, target: boolean masks of one shape (..., H, W). Two empty masks have IoU 1.
    """
    _check_same_shape("pred", pred, "target", target)
    pred, target = pred.bool(), target.bool()
    inter = (pred & target).sum(dim=(-2, -1))
    union = (pred | target).sum(dim=(-2, -1))
    # either cast alone suffices (the other float64 operand promotes the division),
    # so dropping one of them, .to(None), is an equivalent mutant
    inter, union = inter.to(torch.float64), union.to(torch.float64)  # pragma: no mutate
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(inter))


def is_valid_mask(mask: torch.Tensor, objects: torch.Tensor,
                  threshold: float = 0.5) -> bool:
    """A mask is valid for an ambiguous prompt when it matches at least ONE of the
    objects the prompt may mean: max_j IoU(mask, O_j) >= threshold
    (#eq-promptable-task).

    mask: (H, W) boolean; objects: (J, H, W) boolean, the candidate objects.
    """
    if objects.dim() != 3 or objects.shape[1:] != mask.shape:
        raise ValueError(f"objects must have shape (J, *mask.shape), got "
                         f"{tuple(objects.shape)} for a mask {tuple(mask.shape)}")
    return bool(mask_iou(mask.expand_as(objects), objects).max() >= threshold)
# --8<-- [end:mask_iou]


# --8<-- [start:encoder_params]
def vit_encoder_params(embed_dim: int, depth: int, num_heads: int, n_global: int,
                       img_size: int = 1024, patch: int = 16, window: int = 14,
                       out_chans: int = 256, mlp_ratio: int = 4) -> dict[str, int]:
    """Parameter count of SAM's image encoder in closed form (#eq-image-encoder).

    patch embedding  3 p^2 D + D          (a p x p, stride-p convolution)
    position         n^2 D,  n = img_size / p = 64
    one block        12 D^2 + 13 D        (2 LayerNorms, qkv, proj, 2-layer MLP of 4D)
      + rel. pos.    2 (2 n_a - 1) D / h  (n_a = window, or n for a global block)
    neck             D c + 2 c + 9 c^2 + 2 c   (1x1 and 3x3 convs without bias, 2 LNs)
    """
    _check_positive_ints(embed_dim=embed_dim, depth=depth, num_heads=num_heads,
                         img_size=img_size, patch=patch, window=window,
                         out_chans=out_chans)
    if img_size % patch:
        raise ValueError(f"img_size must be a multiple of patch, "
                         f"got {img_size} and {patch}")
    if embed_dim % num_heads:
        raise ValueError(f"num_heads must divide embed_dim, "
                         f"got {num_heads} and {embed_dim}")
    if not 0 <= n_global <= depth:
        raise ValueError(f"n_global must lie in [0, depth], got {n_global!r}")
    d, head, n, c = embed_dim, embed_dim // num_heads, img_size // patch, out_chans
    hidden = mlp_ratio * d
    block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (2 * d * hidden + hidden + d)
    rel_windowed = 2 * (2 * window - 1) * head
    rel_global = 2 * (2 * n - 1) * head
    parts = {
        "patch_embed": 3 * patch * patch * d + d,
        "pos_embed": n * n * d,
        "blocks": depth * block,
        "rel_pos": (depth - n_global) * rel_windowed + n_global * rel_global,
        "neck": d * c + 2 * c + 9 * c * c + 2 * c,
    }
    parts["total"] = sum(parts.values())
    return parts
# --8<-- [end:encoder_params]


# --8<-- [start:decoder_params]
def mask_decoder_params(dim: int = 256, mlp_dim: int = 2048, depth: int = 2,
                        num_mask_tokens: int = 4,
                        downsample: int = 2) -> dict[str, int]:
    """Parameter count of the mask decoder and of the prompt encoder (#eq-mask-decoder).

    attention with inner width e: 3 (dim e + e) + (e dim + dim)
    two-way layer: self-attn (e = dim) + 2 cross-attn (e = dim / 2) + MLP + 4 LayerNorms
    decoder: layers + final cross-attn + LN + output tokens + 2 transposed convs + LN
             + one 3-layer hypernetwork MLP per mask token + the 3-layer IoU head
    prompt encoder: 4 point/corner embeddings + "not a point" + "no mask"
             + mask downscaling convs 1 -> 4 -> 16 -> dim with 2 LayerNorms
    """
    _check_positive_ints(dim=dim, mlp_dim=mlp_dim, depth=depth,
                         num_mask_tokens=num_mask_tokens, downsample=downsample)

    def attn(inner: int) -> int:
        return 3 * (dim * inner + inner) + (inner * dim + dim)

    def mlp3(out: int) -> int:
        return 2 * (dim * dim + dim) + (dim * out + out)

    layer = (attn(dim) + 2 * attn(dim // downsample)
             + (2 * dim * mlp_dim + mlp_dim + dim) + 4 * 2 * dim)
    up1, up2 = dim // 4, dim // 8
    decoder = {
        "transformer": depth * layer + attn(dim // downsample) + 2 * dim,
        "tokens": (1 + num_mask_tokens) * dim,
        "upscaling": (dim * up1 * 4 + up1) + 2 * up1 + (up1 * up2 * 4 + up2),
        "hypernetworks": num_mask_tokens * mlp3(up2),
        "iou_head": mlp3(num_mask_tokens),
    }
    decoder["total"] = sum(decoder.values())
    prompt = (4 + 1 + 1) * dim + (1 * 4 * 4 + 4) + 2 * 4 + (4 * 16 * 4 + 16) + 2 * 16 \
        + (16 * dim + dim)
    return {"decoder": decoder["total"], "prompt_encoder": prompt, "parts": decoder}
# --8<-- [end:decoder_params]


# --8<-- [start:image_encoder]
class LayerNorm2d(nn.Module):
    """LayerNorm over the channel axis of a (B, C, H, W) map."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(1, keepdim=True)
        var = (x - mean).pow(2).mean(1, keepdim=True)
        x = (x - mean) / torch.sqrt(var + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


def window_partition(x: torch.Tensor, window: int) -> tuple[torch.Tensor, int]:
    """(B, n, n, C) -> (B * k^2, window, window, C), zero-padding n up to k * window."""
    b, n, _, c = x.shape
    pad = (-n) % window
    x = F.pad(x, (0, 0, 0, pad, 0, pad))
    k = (n + pad) // window
    x = x.view(b, k, window, k, window, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b * k * k, window, window, c), n + pad


def window_unpartition(w: torch.Tensor, window: int, padded: int,
                       n: int) -> torch.Tensor:
    """Inverse of window_partition: back to (B, n, n, C), the padding dropped."""
    k = padded // window
    b = w.shape[0] // (k * k)
    x = w.view(b, k, k, window, window, -1).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, padded, padded, -1)[:, :n, :n, :]


def decomposed_rel_pos(q: torch.Tensor, rel_h: torch.Tensor, rel_w: torch.Tensor,
                       n: int) -> torch.Tensor:
    """Bias of the attention logit between positions (i, j) and (k, l)
    (#eq-image-encoder):

        q_(i,j) . R^h[i - k + n - 1] + q_(i,j) . R^w[j - l + n - 1].

    q: (B, n*n, d) queries; rel_h, rel_w: (2n - 1, d). Returns (B, n*n, n*n).
    """
    idx = torch.arange(n)[:, None] - torch.arange(n)[None, :] + n - 1
    rq = q.reshape(q.shape[0], n, n, -1)
    # upper-case einsum subscripts name the same axes: that mutant is equivalent
    bias_h = torch.einsum("bijc,ikc->bijk", rq, rel_h[idx])  # pragma: no mutate
    bias_w = torch.einsum("bijc,jlc->bijl", rq, rel_w[idx])  # pragma: no mutate
    bias = bias_h[:, :, :, :, None] + bias_w[:, :, :, None, :]
    return bias.reshape(q.shape[0], n * n, n * n)


class ViTBlock(nn.Module):
    """Pre-norm ViT block; windowed attention when window > 0, else global."""

    def __init__(self, dim: int, heads: int, window: int, grid: int) -> None:
        super().__init__()
        self.heads, self.window = heads, window
        side = window if window > 0 else grid
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.rel_h = nn.Parameter(torch.zeros(2 * side - 1, dim // heads))
        self.rel_w = nn.Parameter(torch.zeros(2 * side - 1, dim // heads))
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(),
                                 nn.Linear(4 * dim, dim))

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _, dim = x.shape
        qkv = self.qkv(x).reshape(b, n * n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.reshape(3, b * self.heads, n * n, -1).unbind(0)
        logits = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        logits = logits + decomposed_rel_pos(q, self.rel_h, self.rel_w, n)
        out = (logits.softmax(-1) @ v).view(b, self.heads, n, n, -1)
        return self.proj(out.permute(0, 2, 3, 1, 4).reshape(b, n, n, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # the token grid is square: axes 1 and 2 have one size (an equivalent mutant)
        n = x.shape[1]  # pragma: no mutate
        h = self.norm1(x)
        if self.window > 0:
            h, padded = window_partition(h, self.window)
            h = window_unpartition(self.attention(h), self.window, padded, n)
        else:
            h = self.attention(h)
        x = x + h
        return x + self.mlp(self.norm2(x))


class ImageEncoder(nn.Module):
    """ViT image encoder of SAM: 16x16 patches, absolute + decomposed relative
    positions, 14x14 windowed blocks except the global ones, a conv neck to 256 channels
    (#eq-image-encoder). (B, 3, S, S) -> (B, 256, S/16, S/16).
    """

    def __init__(self, embed_dim: int, depth: int, num_heads: int,
                 global_blocks: tuple[int, ...], img_size: int = 1024, patch: int = 16,
                 window: int = 14, out_chans: int = 256) -> None:
        super().__init__()
        if img_size % patch:
            raise ValueError(f"img_size must be a multiple of patch, got {img_size}")
        grid = img_size // patch
        self.patch_embed = nn.Conv2d(3, embed_dim, patch, stride=patch)
        # a leading axis of 1 broadcasts either way: dropping it is an equivalent mutant
        shape = (1, grid, grid, embed_dim)  # pragma: no mutate
        self.pos_embed = nn.Parameter(torch.zeros(shape))
        self.blocks = nn.ModuleList(
            ViTBlock(embed_dim, num_heads, 0 if i in global_blocks else window, grid)
            for i in range(depth))
        # bias=None and bias=False both build a convolution without bias (equivalent)
        c = out_chans
        self.neck = nn.Sequential(
            nn.Conv2d(embed_dim, c, 1, bias=False),  # pragma: no mutate
            LayerNorm2d(c),
            nn.Conv2d(c, c, 3, padding=1, bias=False),  # pragma: no mutate
            LayerNorm2d(c))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(image).permute(0, 2, 3, 1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.neck(x.permute(0, 3, 1, 2))
# --8<-- [end:image_encoder]


def count_params(module: nn.Module) -> int:
    """Number of learnable parameters (buffers such as the Fourier matrix excluded)."""
    return sum(p.numel() for p in module.parameters())


def build_image_encoder(name: str, device: str = "meta") -> ImageEncoder:
    """One of SAM's encoders (vit_b, vit_l, vit_h); "meta" allocates no memory."""
    if name not in SAM_CONFIGS:
        raise ValueError(f"name must be one of {sorted(SAM_CONFIGS)}, got {name!r}")
    dim, depth, heads, global_blocks = SAM_CONFIGS[name]
    with torch.device(device):
        return ImageEncoder(dim, depth, heads, global_blocks)


# --8<-- [start:fourier_pe]
def fourier_pe(coords: torch.Tensor, gauss: torch.Tensor) -> torch.Tensor:
    """Random Fourier positional features (#eq-fourier-pe):

        pe(v) = [sin(2 pi G^T (2v - 1)), cos(2 pi G^T (2v - 1))],  G in R^{2 x m}.

    coords: (..., 2) points (x, y) in [0, 1]^2; gauss: (2, m), or a batch (..., 2, m)
    of matrices that broadcasts against coords as a matrix product. Returns (..., 2m).
    """
    if coords.shape[-1] != 2 or gauss.dim() < 2 or gauss.shape[-2] != 2:
        raise ValueError(f"coords must end in 2 and gauss be (2, m), got "
                         f"{tuple(coords.shape)} and {tuple(gauss.shape)}")
    angle = 2 * math.pi * (2 * coords - 1) @ gauss
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1)
# --8<-- [end:fourier_pe]


# --8<-- [start:prompt_encoder]
class PromptEncoder(nn.Module):
    """Points, boxes and a mask -> sparse tokens (B, n, dim) and a dense map
    (B, dim, 64, 64) (#eq-prompt-encoder). Point labels: 1 foreground, 0 background,
    -1 padding; a box adds two tokens (its two corners).
    """

    def __init__(self, dim: int = 256, grid: int = 64, img_size: int = 1024,
                 scale: float = 1.0, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.dim, self.grid, self.img_size = dim, grid, img_size
        gauss = scale * torch.randn(2, dim // 2, generator=generator)
        self.register_buffer("gauss", gauss)
        # rows: background point, foreground point, top-left corner, bottom-right corner
        self.point_embed = nn.Parameter(torch.zeros(4, dim))
        self.not_a_point = nn.Parameter(torch.zeros(dim))
        self.no_mask = nn.Parameter(torch.zeros(dim))
        self.mask_down = nn.Sequential(
            nn.Conv2d(1, 4, 2, stride=2), LayerNorm2d(4), nn.GELU(),
            nn.Conv2d(4, 16, 2, stride=2), LayerNorm2d(16), nn.GELU(),
            nn.Conv2d(16, dim, 1))

    def dense_pe(self) -> torch.Tensor:
        """pe of the centres of the 64 x 64 cells, (1, dim, 64, 64)."""
        c = (torch.arange(self.grid, dtype=self.gauss.dtype) + 0.5) / self.grid
        xy = torch.stack(torch.meshgrid(c, c, indexing="xy"), dim=-1)
        return fourier_pe(xy, self.gauss).permute(2, 0, 1)[None]

    def embed_points(self, points: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        pe = fourier_pe((points + 0.5) / self.img_size, self.gauss)
        pad = (labels == -1)[..., None]
        pe = torch.where(pad, self.not_a_point, pe)
        kind = labels.clamp(min=0).long()
        return pe + torch.where(pad, 0.0, self.point_embed[kind])

    def forward(self, points=None, labels=None, boxes=None, masks=None):
        tokens = []
        if points is not None:
            if boxes is None:  # a padding point, as in the reference code
                points = F.pad(points, (0, 0, 0, 1))
                labels = F.pad(labels, (0, 1), value=-1)
            tokens.append(self.embed_points(points, labels))
        if boxes is not None:
            corners = (boxes.reshape(-1, 2, 2) + 0.5) / self.img_size
            corners = fourier_pe(corners, self.gauss)
            tokens.append(corners + self.point_embed[2:])
        batch = (tokens[0].shape[0] if tokens else
                 masks.shape[0] if masks is not None else 1)
        sparse = (torch.cat(tokens, 1) if tokens
                  else self.no_mask.new_zeros(batch, 0, self.dim))
        if masks is not None:  # (B, 1, 256, 256) logits, 4x the embedding grid
            dense = self.mask_down(masks)
        else:
            dense = self.no_mask[None, :, None, None]
            dense = dense.expand(batch, -1, self.grid, self.grid)
        return sparse, dense
# --8<-- [end:prompt_encoder]


# --8<-- [start:mask_decoder]
class Attention(nn.Module):
    """Multi-head attention whose q, k, v are projected to dim / downsample channels."""

    def __init__(self, dim: int, heads: int, downsample: int = 1) -> None:
        super().__init__()
        inner = dim // downsample
        self.heads = heads
        self.q, self.k, self.v = (nn.Linear(dim, inner) for _ in range(3))
        self.out = nn.Linear(inner, dim)

    def forward(self, q: torch.Tensor, k: torch.Tensor,
                v: torch.Tensor) -> torch.Tensor:
        def split(x):  # (B, N, inner) -> (B, heads, N, inner / heads)
            return x.reshape(x.shape[0], x.shape[1], self.heads, -1).transpose(1, 2)

        q, k, v = split(self.q(q)), split(self.k(k)), split(self.v(v))
        # q, k are 4-D: axes +2 and -2 are the same axis, so that mutant is equivalent
        weights = (q @ k.transpose(-2, -1)  # pragma: no mutate
                   / math.sqrt(q.shape[-1])).softmax(-1)
        out = (weights @ v).transpose(1, 2)
        return self.out(out.reshape(out.shape[0], out.shape[1], -1))


class TwoWayBlock(nn.Module):
    """Token self-attention, token -> image attention, token MLP, image -> token
    attention; each followed by a residual add and a LayerNorm. Positional encodings
    (image) and the original prompt tokens are re-added to queries and keys at every
    attention.
    """

    def __init__(self, dim: int, heads: int, mlp_dim: int, skip_first_pe: bool) -> None:
        super().__init__()
        self.self_attn = Attention(dim, heads)
        self.t2i, self.i2t = Attention(dim, heads, 2), Attention(dim, heads, 2)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.ReLU(),
                                 nn.Linear(mlp_dim, dim))
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(4))
        self.skip_first_pe = skip_first_pe

    def forward(self, tok, img, tok_pe, img_pe):
        if self.skip_first_pe:
            tok = self.self_attn(tok, tok, tok)
        else:
            q = tok + tok_pe
            tok = tok + self.self_attn(q, q, tok)
        tok = self.norms[0](tok)
        tok = self.norms[1](tok + self.t2i(tok + tok_pe, img + img_pe, img))
        tok = self.norms[2](tok + self.mlp(tok))
        img = self.norms[3](img + self.i2t(img + img_pe, tok + tok_pe, tok))
        return tok, img


class MaskDecoder(nn.Module):
    """Two-way transformer + dynamic mask head (#eq-mask-decoder). Output token 0
    predicts the IoUs; mask tokens 1..4 give mask k = w_k^T E_up with
    w_k = MLP_k(token k).
    multimask=True returns masks 1..3 (B, 3, 4n, 4n), else mask 0 (B, 1, 4n, 4n).
    """

    def __init__(self, dim: int = 256, heads: int = 8, mlp_dim: int = 2048,
                 depth: int = 2, num_masks: int = 3) -> None:
        super().__init__()
        self.num_tokens = num_masks + 1
        self.layers = nn.ModuleList(
            TwoWayBlock(dim, heads, mlp_dim, i == 0) for i in range(depth))
        self.final_attn, self.final_norm = Attention(dim, heads, 2), nn.LayerNorm(dim)
        self.iou_token = nn.Parameter(torch.zeros(1, dim))
        self.mask_tokens = nn.Parameter(torch.zeros(self.num_tokens, dim))
        self.upscale = nn.Sequential(
            nn.ConvTranspose2d(dim, dim // 4, 2, stride=2), LayerNorm2d(dim // 4),
            nn.GELU(),
            nn.ConvTranspose2d(dim // 4, dim // 8, 2, stride=2), nn.GELU())

        def mlp3(out: int) -> nn.Sequential:
            return nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim),
                                 nn.ReLU(), nn.Linear(dim, out))

        self.hyper = nn.ModuleList(mlp3(dim // 8) for _ in range(self.num_tokens))
        self.iou_head = mlp3(self.num_tokens)

    def forward(self, image_emb, image_pe, sparse, dense, multimask: bool = True):
        b, c, n, _ = dense.shape
        out_tokens = torch.cat([self.iou_token, self.mask_tokens])
        out_tokens = out_tokens[None].expand(b, -1, -1)
        tok = tok_pe = torch.cat([out_tokens, sparse], dim=1)
        img = (image_emb + dense).flatten(2).transpose(1, 2)  # (B, n*n, c)
        img_pe = image_pe.expand(b, -1, -1, -1).flatten(2).transpose(1, 2)
        for layer in self.layers:
            tok, img = layer(tok, img, tok_pe, img_pe)
        tok = self.final_norm(tok + self.final_attn(tok + tok_pe, img + img_pe, img))
        up = self.upscale(img.transpose(1, 2).reshape(b, c, n, n))  # (B, c/8, 4n, 4n)
        w = torch.stack([mlp(tok[:, 1 + i]) for i, mlp in enumerate(self.hyper)], dim=1)
        # upper-case einsum subscripts name the same axes: that mutant is equivalent
        masks = torch.einsum("bkc,bchw->bkhw", w, up)  # pragma: no mutate
        ious = self.iou_head(tok[:, 0])
        # slice(0, 1), slice(None, 1) and slice(1) are the same slice
        keep = slice(1, None) if multimask else slice(0, 1)  # pragma: no mutate
        return masks[:, keep], ious[:, keep]
# --8<-- [end:mask_decoder]


# --8<-- [start:focal_loss]
def focal_loss(logits: torch.Tensor, target: torch.Tensor, kappa: float = 2.0,
               zeta: float = 0.25) -> torch.Tensor:
    """Sigmoid focal loss, mean over the last two axes (#eq-focal-dice):

        FL = mean_u  zeta_t (1 - p_t)^kappa (-log p_t),   p = sigmoid(z),
        p_t = p if y = 1 else 1 - p,  zeta_t = zeta if y = 1 else 1 - zeta.

    kappa is the focusing parameter and zeta the class weight (the paper's gamma and
    alpha); zeta < 0 switches the class weight off. Returns shape logits.shape[:-2].
    """
    _check_same_shape("logits", logits, "target", target)
    if kappa < 0:
        raise ValueError(f"kappa must be >= 0, got {kappa!r}")
    y = target.to(logits.dtype)
    # -log p_t written with log-sigmoid, stable for large |z|
    nll = -(y * F.logsigmoid(logits) + (1 - y) * F.logsigmoid(-logits))
    p = torch.sigmoid(logits)
    p_t = y * p + (1 - y) * (1 - p)
    loss = (1 - p_t) ** kappa * nll
    if zeta >= 0:
        loss = (zeta * y + (1 - zeta) * (1 - y)) * loss
    return loss.mean(dim=(-2, -1))


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Soft dice loss with +1 smoothing, over the last two axes (#eq-focal-dice):

        DL = 1 - (2 sum_u p y + 1) / (sum_u p + sum_u y + 1),   p = sigmoid(z).
    """
    _check_same_shape("logits", logits, "target", target)
    p = torch.sigmoid(logits)
    # the products and sums below promote a bool or integer target by themselves, so
    # dropping the cast, .to(None), is an equivalent mutant
    y = target.to(logits.dtype)  # pragma: no mutate
    inter = (p * y).sum(dim=(-2, -1))
    return 1 - (2 * inter + 1) / (p.sum(dim=(-2, -1)) + y.sum(dim=(-2, -1)) + 1)
# --8<-- [end:focal_loss]


# --8<-- [start:sam_loss]
def sam_loss(mask_logits: torch.Tensor, target: torch.Tensor, iou_pred: torch.Tensor,
             w_focal: float = 20.0, w_dice: float = 1.0, w_iou: float = 1.0):
    """SAM's training loss for K candidate masks of one prompt (#eq-min-loss):

        l_k = w_focal FL(z_k, y) + w_dice DL(z_k, y),   k* = argmin_k l_k,
        loss = l_{k*} + w_iou (c_{k*} - IoU(z_{k*} > 0, y))^2,

    so only the best mask (and its IoU prediction) receives a gradient.
    mask_logits: (B, K, H, W); target: (B, H, W); iou_pred: (B, K).
    Returns (loss averaged over the batch, k* of shape (B,)).
    """
    if mask_logits.dim() != 4 or target.shape != (mask_logits.shape[0],
                                                  *mask_logits.shape[2:]):
        raise ValueError(f"mask_logits must be (B, K, H, W) and target (B, H, W), got "
                         f"{tuple(mask_logits.shape)} and {tuple(target.shape)}")
    if iou_pred.shape != mask_logits.shape[:2]:
        raise ValueError(f"iou_pred must have shape (B, K) = "
                         f"{tuple(mask_logits.shape[:2])}, got {tuple(iou_pred.shape)}")
    y = target[:, None].expand_as(mask_logits)
    per_mask = w_focal * focal_loss(mask_logits, y) + w_dice * dice_loss(mask_logits, y)
    best = per_mask.detach().argmin(dim=1)
    rows = torch.arange(mask_logits.shape[0])
    iou_true = mask_iou(mask_logits[rows, best] > 0, target.bool())
    iou_term = (iou_pred[rows, best] - iou_true) ** 2
    return (per_mask[rows, best] + w_iou * iou_term).mean(), best
# --8<-- [end:sam_loss]


# --8<-- [start:data_engine]
# SA-1B and the data engine, Sec. 4-5 of the paper (counts as printed there)
DATA_ENGINE = {
    "assisted_manual": {"images": 120e3, "masks": 4.3e6},
    "semi_automatic": {"images": 180e3, "masks": 5.9e6},
    "fully_automatic": {"images": 11e6, "masks": 1.1e9},
}
# "1.1B masks, 99.1% of which were generated fully automatically"
AUTOMATIC_SHARE = 0.991


def stability_score(logits: torch.Tensor, offset: float = 1.0) -> torch.Tensor:
    """IoU between the masks {z > +offset} and {z > -offset} of one logit map
    (App. B keeps a mask when it is >= 0.95) (#eq-data-engine). The first mask lies
    inside the second, so the IoU is the ratio of their areas.
    """
    if not offset > 0:
        raise ValueError(f"offset must be > 0, got {offset!r}")
    # strict thresholds as in the reference; either cast alone suffices (see mask_iou)
    inner = (logits > offset).sum(dim=(-2, -1))
    outer = (logits > -offset).sum(dim=(-2, -1))
    inner, outer = inner.to(torch.float64), outer.to(torch.float64)  # pragma: no mutate
    return torch.where(outer > 0, inner / outer.clamp(min=1), torch.ones_like(inner))


def data_engine_summary() -> dict[str, float]:
    """Derived numbers of the data engine: masks per image of each stage, the manual
    total, and the share of SA-1B masks that a human never touched."""
    s = {f"{k}_per_image": v["masks"] / v["images"] for k, v in DATA_ENGINE.items()}
    manual = (DATA_ENGINE["assisted_manual"]["masks"]
              + DATA_ENGINE["semi_automatic"]["masks"])
    s["manual_masks"] = manual
    s["manual_share"] = manual / (manual + DATA_ENGINE["fully_automatic"]["masks"])
    s["grid_prompts"] = 32 * 32
    return s
# --8<-- [end:data_engine]


if __name__ == "__main__":
    torch.manual_seed(0)
    # the toy of the motivation: one click, three nested objects on a 1 x 12 strip
    objects = torch.zeros(3, 1, 12, dtype=torch.bool)
    objects[0, 0, 5:7] = True   # subpart
    objects[1, 0, 3:9] = True   # part
    objects[2, 0, 1:11] = True  # whole
    mean_mask = objects.double().mean(0)  # best single output under an averaged loss
    print("one output = mean:",
          " ".join(f"{v:.2f}" for v in mean_mask[0].tolist()))
    soft = torch.logit(mean_mask.clamp(1e-6, 1 - 1e-6))
    avg_bce = torch.stack([F.binary_cross_entropy_with_logits(soft, o.double())
                           for o in objects]).mean()
    print(f"single output: expected BCE = {avg_bce:.4f}; three outputs: min loss -> 0")
    print("IoU of the thresholded mean with each object:",
          " ".join(f"{v:.2f}" for v in
                   mask_iou((mean_mask > 0.5).expand_as(objects), objects).tolist()))
    for name in SAM_CONFIGS:
        p = vit_encoder_params(*SAM_CONFIGS[name][:3], len(SAM_CONFIGS[name][3]))
        print(f"{name}: image encoder {p['total']:,} parameters "
              f"({p['total'] / 1e6:.1f}M)")
    h = vit_encoder_params(1280, 32, 16, 4)
    print("vit_h: " + ", ".join(f"{k} {v / 1e6:.2f}M" for k, v in h.items()
                                      if k != "total"))
    for name, published in (("vit_b", 91e6), ("vit_l", 308e6), ("vit_h", 636e6),
                            ("vit_h", 632e6)):
        p = vit_encoder_params(*SAM_CONFIGS[name][:3], 4)["total"]
        gap = 100 * (p / published - 1)
        print(f"{name} against {published / 1e6:.0f}M: {gap:+.1f}%")
    d = mask_decoder_params()
    light = d["decoder"] + d["prompt_encoder"]
    print(f"mask decoder {d['decoder']:,} + prompt encoder {d['prompt_encoder']:,}"
          f" = {light / 1e6:.2f}M")
    total = h["total"] + light
    share = 100 * h["blocks"] / h["total"]
    print(f"SAM (vit_h) {total / 1e6:.2f}M: blocks {share:.1f}%"
          f" of the encoder, encoder {100 * h['total'] / total:.1f}% of SAM")
    a = 8 * math.pi**2
    print(f"Fourier kernel exp(-8 pi^2 |x-y|^2) = 1/e at |x-y| = {1 / math.sqrt(a):.4f}"
          f" ({1024 / math.sqrt(a):.0f} px of 1024)")
    s = data_engine_summary()
    print(f"masks per image: stage 1 {s['assisted_manual_per_image']:.1f}, "
          f"stage 2 {s['semi_automatic_per_image']:.1f}, "
          f"SA-1B {s['fully_automatic_per_image']:.0f}; "
          f"manual share {100 * s['manual_share']:.2f}%")
