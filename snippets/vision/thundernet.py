"""ThunderNet: a lightweight two-stage detector, its SNet backbones, its detection part.

Page: vision/thundernet (docs/vision/thundernet.md); each function names the anchor of
the equation it implements. Tensors are torch, NCHW. Cost is counted in multiply-adds
(MACs), the convention of the ShuffleNetV2 and ThunderNet papers ("FLOPs" there): a
convolution costs H_out * W_out * k * k * (C_in / groups) * C_out, a fully connected
layer C_in * C_out;
batch normalisation, ReLU, pooling, channel shuffle and additions are not counted.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Widths of the architecture table: conv1, stage 2-4 outputs, conv5 (None: removed).
SNET_CONFIGS = {
    49: {"conv1": 24, "stages": (60, 120, 240), "repeats": (4, 8, 4), "conv5": 512},
    146: {"conv1": 24, "stages": (132, 264, 528), "repeats": (4, 8, 4), "conv5": None},
    535: {"conv1": 48, "stages": (248, 496, 992), "repeats": (4, 8, 4), "conv5": None},
}
PUBLISHED_MFLOPS = {49: 49, 146: 146, 535: 535}  # the names: MFLOPs at 224 x 224


def _config(version) -> dict:
    if isinstance(version, dict):
        return version
    if version not in SNET_CONFIGS:
        raise ValueError(f"version must be 49, 146, 535 or a config dict, got {version!r}")
    return SNET_CONFIGS[version]


def _check_size(name: str, size, multiple: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size < multiple \
            or size % multiple:
        raise ValueError(f"{name} must be a positive multiple of {multiple}, "
                         f"got {size!r}")
    return size


def _conv_bn(c_in: int, c_out: int, k: int, stride: int,
             groups: int = 1) -> nn.Sequential:
    """k x k convolution without bias, then batch normalisation."""
    conv = nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups,
                     # bias=None is equivalent to False: no bias either way
                     bias=False)  # pragma: no mutate
    return nn.Sequential(conv, nn.BatchNorm2d(c_out))


def _conv_bn_relu(c_in: int, c_out: int, k: int, stride: int = 1) -> nn.Sequential:
    """k x k convolution without bias, batch normalisation, ReLU."""
    return nn.Sequential(*_conv_bn(c_in, c_out, k, stride), nn.ReLU())


# --8<-- [start:channel_shuffle]
def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Channel shuffle (#eq-shuffle-unit): (N, g*n, H, W) -> view (N, g, n, H, W),
    swap the two channel axes, flatten. Output channel k is input channel
    (k mod g) * n + k // g."""
    n, c, h, w = x.shape
    x = x.view(n, groups, c // groups, h, w).transpose(1, 2)
    return x.reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    """ShuffleNetV2 unit with k x k depthwise convolutions (#eq-shuffle-unit).

    stride 1: split the channels in halves; one half passes unchanged, the other goes
    through 1x1 conv - k x k depthwise conv - 1x1 conv; concatenate; shuffle (g = 2).
    stride 2: both branches see the whole input and halve H and W; each gives c_out / 2.
    """

    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int = 5):
        super().__init__()
        self.stride = stride
        half = c_out // 2
        if stride == 2:
            self.proj = nn.Sequential(_conv_bn(c_in, c_in, kernel, 2, groups=c_in),
                                      _conv_bn_relu(c_in, half, 1))
        branch_in = c_in if stride == 2 else half
        self.branch = nn.Sequential(
            _conv_bn_relu(branch_in, half, 1),
            _conv_bn(half, half, kernel, stride, groups=half),
            _conv_bn_relu(half, half, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            keep, x = x.chunk(2, dim=1)
        else:
            keep = self.proj(x)
        return channel_shuffle(torch.cat((keep, self.branch(x)), dim=1), 2)
# --8<-- [end:channel_shuffle]


def _check_unit(c_in, c_out, stride, kernel) -> None:
    if stride not in (1, 2):
        raise ValueError(f"stride must be 1 or 2, got {stride!r}")
    if c_out % 2 or (stride == 1 and c_in != c_out):
        raise ValueError(f"c_out must be even and equal c_in at stride 1, "
                         f"got {c_in}, {c_out}")
    if kernel % 2 == 0:
        raise ValueError(f"kernel must be odd, got {kernel!r}")


def shuffle_unit(c_in: int, c_out: int, stride: int, kernel: int = 5) -> ShuffleUnit:
    """A validated ShuffleUnit (#eq-shuffle-unit)."""
    _check_unit(c_in, c_out, stride, kernel)
    return ShuffleUnit(c_in, c_out, stride, kernel)


# --8<-- [start:SNet]
class SNet(nn.Module):
    """SNet backbone (#eq-snet): conv1 3x3/2 - max pool 3x3/2 - stages 2-4 of
    ShuffleUnits with 5x5 depthwise convs (first unit of each stage stride 2)
    - conv5 1x1 (SNet49 only) - global average pool - fc (num_classes > 0).

    forward(x) -> {"C4": stage3 output (stride 16), "C5": stage4 or conv5 output
    (stride 32), "logits": (N, num_classes) or None}.
    """

    def __init__(self, version=146, num_classes: int = 1000, kernel: int = 5):
        super().__init__()
        cfg = _config(version)
        c = cfg["conv1"]
        self.conv1 = _conv_bn_relu(3, c, 3, 2)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        for i, (width, repeat) in enumerate(zip(cfg["stages"], cfg["repeats"])):
            units = [shuffle_unit(c, width, 2, kernel)]
            units += [shuffle_unit(width, width, 1, kernel) for _ in range(repeat - 1)]
            setattr(self, f"stage{i + 2}", nn.Sequential(*units))
            c = width
        self.conv5 = _conv_bn_relu(c, cfg["conv5"], 1) if cfg["conv5"] else None
        c = cfg["conv5"] or c
        self.fc = nn.Linear(c, num_classes) if num_classes else None

    def forward(self, x: torch.Tensor) -> dict:
        x = self.maxpool(self.conv1(x))
        c4 = self.stage3(self.stage2(x))
        c5 = self.stage4(c4)
        if self.conv5 is not None:
            c5 = self.conv5(c5)
        logits = self.fc(c5.mean(dim=(2, 3))) if self.fc is not None else None
        return {"C4": c4, "C5": c5, "logits": logits}
# --8<-- [end:SNet]


# --8<-- [start:snet_macs]
def conv_macs(h_out: int, k: int, c_in: int, c_out: int, groups: int = 1) -> int:
    """Multiply-adds of a k x k convolution with a square h_out x h_out output."""
    return h_out * h_out * k * k * (c_in // groups) * c_out


def unit_macs(h_in: int, c_in: int, c_out: int, stride: int, k: int = 5) -> int:
    """Multiply-adds of one ShuffleUnit on an h_in x h_in input (#eq-snet-macs)."""
    half, h = c_out // 2, h_in // stride
    branch = (conv_macs(h_in, 1, c_in if stride == 2 else c_in // 2, half)
              + conv_macs(h, k, half, half, groups=half) + conv_macs(h, 1, half, half))
    if stride == 1:
        return branch
    proj = conv_macs(h, k, c_in, c_in, groups=c_in) + conv_macs(h, 1, c_in, half)
    return branch + proj


def snet_macs(version=146, size: int = 224, num_classes: int = 1000,
              kernel: int = 5) -> dict:
    """Multiply-adds of SNet per part, from the architecture table (#eq-snet-macs).

    Returns {"conv1", "stage2", "stage3", "stage4", "conv5", "fc", "total"} (ints);
    max pooling, BN, ReLU and the global average pool cost 0 in this convention.
    """
    cfg = _config(version)
    size = _check_size("size", size, 32)
    h, c = size // 2, cfg["conv1"]
    macs = {"conv1": conv_macs(h, 3, 3, c)}
    h //= 2  # max pool
    for i, (width, repeat) in enumerate(zip(cfg["stages"], cfg["repeats"])):
        stage = unit_macs(h, c, width, 2, kernel)
        h, c = h // 2, width
        macs[f"stage{i + 2}"] = stage + (repeat - 1) * unit_macs(h, c, c, 1, kernel)
    macs["conv5"] = conv_macs(h, 1, c, cfg["conv5"]) if cfg["conv5"] else 0
    macs["fc"] = (cfg["conv5"] or c) * num_classes
    macs["total"] = sum(macs.values())
    return macs
# --8<-- [end:snet_macs]


# --8<-- [start:count_macs]
def count_macs(module: nn.Module, *inputs: torch.Tensor) -> dict:
    """Multiply-adds of one forward pass, read from the actual output shapes by
    forward hooks on every Conv2d and Linear (#eq-snet-macs).

    Returns {top-level child name: MACs, ..., "total": sum}, per sample of the batch.
    """
    counts: dict = {}

    def hook(name):
        def record(layer, args, out):
            if isinstance(layer, nn.Conv2d):
                kh, kw = layer.kernel_size
                per_output = kh * kw * layer.in_channels // layer.groups
            else:
                per_output = layer.in_features
            counts[name] = counts.get(name, 0) + out[0].numel() * per_output
        return record

    handles = [layer.register_forward_hook(hook(name.split(".")[0]))
               for name, layer in module.named_modules()
               if isinstance(layer, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            module(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    counts["total"] = sum(counts.values())
    return counts
# --8<-- [end:count_macs]


# --8<-- [start:CEM]
class CEM(nn.Module):
    """Context Enhancement Module (#eq-cem): three 1x1 convs to m * p * p channels,

        F_CEM = conv4(C4) + up2(conv5(C5)) + broadcast(conv_glb(avgpool(C5))),

    up2 nearest-neighbour 2x upsampling; C4 has twice the height and width of C5.
    """

    def __init__(self, c4_channels: int, c5_channels: int, out_channels: int = 245):
        super().__init__()
        self.lat4 = nn.Conv2d(c4_channels, out_channels, 1)
        self.lat5 = nn.Conv2d(c5_channels, out_channels, 1)
        self.glb = nn.Conv2d(c5_channels, out_channels, 1)

    def forward(self, c4: torch.Tensor, c5: torch.Tensor) -> torch.Tensor:
        if c4.shape[2:] != tuple(2 * s for s in c5.shape[2:]):
            raise ValueError(f"c4 must be twice c5 in H and W, got {c4.shape}, "
                             f"{c5.shape}")
        local = F.interpolate(self.lat5(c5), scale_factor=2)  # default mode: nearest
        context = self.glb(c5.mean(dim=(2, 3), keepdim=True))  # (N, out, 1, 1)
        return self.lat4(c4) + local + context
# --8<-- [end:CEM]


# --8<-- [start:CompressedRPN]
class CompressedRPN(nn.Module):
    """Compressed RPN (#eq-rpn): 5x5 depthwise conv + 1x1 conv to 256 channels + ReLU
    gives F_RPN; 1x1 convs give 2 scores and 4 box offsets for each of the anchors
    (5 scales x 5 aspect ratios = 25) at every position."""

    def __init__(self, in_channels: int = 245, mid_channels: int = 256,
                 anchors: int = 25):
        super().__init__()
        self.dw = nn.Conv2d(in_channels, in_channels, 5, padding=2, groups=in_channels)
        self.pw = nn.Conv2d(in_channels, mid_channels, 1)
        self.cls = nn.Conv2d(mid_channels, 2 * anchors, 1)
        self.reg = nn.Conv2d(mid_channels, 4 * anchors, 1)

    def forward(self, x: torch.Tensor) -> tuple:
        f_rpn = torch.relu(self.pw(self.dw(x)))
        return f_rpn, self.cls(f_rpn), self.reg(f_rpn)
# --8<-- [end:CompressedRPN]


# --8<-- [start:SAM]
class SAM(nn.Module):
    """Spatial Attention Module (#eq-sam): F_SAM = F_CEM * sigmoid(g(F_RPN)),
    g a 1x1 conv followed by batch normalisation (the paper's theta)."""

    def __init__(self, rpn_channels: int = 256, out_channels: int = 245):
        super().__init__()
        self.conv = nn.Conv2d(rpn_channels, out_channels, 1)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, f_cem: torch.Tensor, f_rpn: torch.Tensor) -> torch.Tensor:
        c = self.conv.out_channels
        if f_cem.shape[1] != c or f_cem.shape[2:] != f_rpn.shape[2:]:
            raise ValueError(f"f_cem must have {c} channels and the H, W of f_rpn, "
                             f"got {f_cem.shape}, {f_rpn.shape}")
        return f_cem * torch.sigmoid(self.bn(self.conv(f_rpn)))
# --8<-- [end:SAM]


def _bilinear(channel: torch.Tensor, y: float, x: float) -> torch.Tensor:
    """Bilinear interpolation of an (H, W) map at (y, x), clamped to the map."""
    h, w = channel.shape
    y, x = min(max(y, 0.0), h - 1.0), min(max(x, 0.0), w - 1.0)
    y0, x0 = int(y), int(x)
    y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
    ly, lx = y - y0, x - x0
    return ((1 - ly) * ((1 - lx) * channel[y0, x0] + lx * channel[y0, x1])
            + ly * ((1 - lx) * channel[y1, x0] + lx * channel[y1, x1]))


# --8<-- [start:psroi_align]
def psroi_align(features: torch.Tensor, rois: torch.Tensor, bins: int = 7,
                spatial_scale: float = 1 / 16, sampling: int = 2) -> torch.Tensor:
    """Position-sensitive RoI align (#eq-psroi-align).

    features: (m * p * p, H, W), one image; rois: (R, 4) boxes (x1, y1, x2, y2) in image
    pixels. The box, scaled by spatial_scale and not rounded, is cut into p x p bins;
    output[r, c, i, j] is the mean of sampling x sampling bilinear samples, evenly
    spaced inside bin (i, j), of input channel (c * p + i) * p + j.
    Returns (R, m, p, p).
    """
    m = _check_psroi(features, rois, bins, sampling)
    out = features.new_zeros(rois.shape[0], m, bins, bins)
    for r, (x1, y1, x2, y2) in enumerate((rois * spatial_scale).tolist()):
        bin_h, bin_w = (y2 - y1) / bins, (x2 - x1) / bins
        for i in range(bins):
            for j in range(bins):
                ys = [y1 + (i + (a + 0.5) / sampling) * bin_h for a in range(sampling)]
                xs = [x1 + (j + (b + 0.5) / sampling) * bin_w for b in range(sampling)]
                for c in range(m):
                    channel = features[(c * bins + i) * bins + j]
                    total = sum(_bilinear(channel, y, x) for y in ys for x in xs)
                    out[r, c, i, j] = total / sampling**2
    return out
# --8<-- [end:psroi_align]


def _check_psroi(features, rois, bins, sampling) -> int:
    if features.dim() != 3 or features.shape[0] % (bins * bins):
        raise ValueError(f"features must be (m * {bins}^2, H, W), "
                         f"got {tuple(features.shape)}")
    if rois.dim() != 2 or rois.shape[1] != 4 or bool((rois[:, 2:] < rois[:, :2]).any()):
        raise ValueError(f"rois must be (R, 4) with x2 >= x1, y2 >= y1, got {rois}")
    if sampling < 1:
        raise ValueError(f"sampling must be >= 1, got {sampling!r}")
    return features.shape[0] // (bins * bins)


if __name__ == "__main__":
    torch.manual_seed(0)
    for v in (49, 146, 535):
        macs = snet_macs(v)
        print(f"SNet{v} @224: {macs['total'] / 1e6:.2f} M multiply-adds "
              f"(published {PUBLISHED_MFLOPS[v]} M), "
              f"{100 * (macs['total'] / 1e6 / PUBLISHED_MFLOPS[v] - 1):+.1f} %")
    for v in (49, 146, 535):
        total = snet_macs(v, 320, num_classes=0)["total"]
        print(f"SNet{v} @320 without fc: {total / 1e6:.2f} M")
    print(f"SNet146 @224 with 3x3 depthwise: {snet_macs(146, kernel=3)['total'] / 1e6:.2f}"
          " M, "
          f"without fc: {snet_macs(146, num_classes=0)['total'] / 1e6:.2f} M")
    v2 = {"conv1": 24, "stages": (116, 232, 464), "repeats": (4, 8, 4), "conv5": 1024}
    print(f"ShuffleNetV2 1x @224 (3x3): {snet_macs(v2, kernel=3)['total'] / 1e6:.2f} M "
          "(published 146 M)")
    net = SNet(146, num_classes=0).eval()
    cem, rpn, sam = CEM(264, 528).eval(), CompressedRPN().eval(), SAM().eval()
    with torch.no_grad():
        feats = net(torch.randn(1, 3, 320, 320))
        f_cem = cem(feats["C4"], feats["C5"])
        f_rpn, scores, deltas = rpn(f_cem)
        f_sam = sam(f_cem, f_rpn)
    for name, t in (("C4", feats["C4"]), ("C5", feats["C5"]), ("F_CEM", f_cem),
                    ("F_RPN", f_rpn), ("RPN scores", scores), ("RPN boxes", deltas),
                    ("F_SAM", f_sam)):
        print(f"{name}: {tuple(t.shape)}")
    rois = torch.tensor([[32.0, 48.0, 144.0, 160.0]])
    print(f"PSRoI align: {tuple(psroi_align(f_sam[0], rois).shape)}")
    rpn_macs = count_macs(rpn, f_cem)
    head = (count_macs(cem, feats["C4"], feats["C5"])["total"] + rpn_macs["total"]
            + count_macs(sam, f_cem, f_rpn)["total"])
    print(f"detection part (CEM + RPN + SAM) @320: {head / 1e6:.2f} M")
    dense = conv_macs(20, 3, 245, 256)
    compressed = rpn_macs["dw"] + rpn_macs["pw"]
    print(f"RPN conv at 20x20: 5x5 dw + 1x1 {compressed / 1e6:.2f} M, "
          f"3x3 conv {dense / 1e6:.2f} M")
