"""Checks of vision/thundernet: every key equation against something independent.

Independent references used here: explicit index formulas (channel shuffle), forward hooks
that read the shapes torch actually produces (against the cost written out from the
architecture table), published totals (ShuffleNetV2 and ThunderNet), einsum / hand-written
re-implementations of the 1x1 convolutions, batch norm and sigmoid, autograd, and
position-sensitive averages worked out by hand.
"""

from __future__ import annotations

import math

import pytest
import torch

from snippets.vision.thundernet import (
    CEM,
    PUBLISHED_MFLOPS,
    SNET_CONFIGS,
    SAM,
    SNet,
    ShuffleUnit,
    CompressedRPN,
    channel_shuffle,
    conv_macs,
    count_macs,
    psroi_align,
    shuffle_unit,
    snet_macs,
    unit_macs,
)

torch.set_num_threads(1)
DT = torch.float64


@pytest.fixture(scope="module")
def hook_counts():
    """MACs read by hooks from one forward pass, per version and input size."""
    out = {}
    for v in (49, 146, 535):
        for size, classes in ((224, 1000), (320, 0)):
            net = SNet(v, num_classes=classes).eval()
            out[v, size] = count_macs(net, torch.zeros(1, 3, size, size))
    return out


@pytest.fixture(scope="module")
def detector_320():
    """SNet146 + CEM + compressed RPN + SAM on one random 320 x 320 image (eval mode)."""
    torch.manual_seed(0)
    net = SNet(146, num_classes=0).double().eval()
    cem, rpn, sam = (CEM(264, 528).double().eval(), CompressedRPN().double().eval(),
                     SAM().double().eval())
    with torch.no_grad():
        for p in sam.bn.parameters():  # non-trivial BN affine and running statistics
            p.uniform_(-1.0, 1.0)
        sam.bn.running_mean.uniform_(-0.5, 0.5)
        sam.bn.running_var.uniform_(0.5, 2.0)
        feats = net(torch.randn(1, 3, 320, 320, dtype=DT))
        f_cem = cem(feats["C4"], feats["C5"])
        f_rpn, scores, deltas = rpn(f_cem)
        f_sam = sam(f_cem, f_rpn)
    return dict(net=net, cem=cem, rpn=rpn, sam=sam, f_cem=f_cem, f_rpn=f_rpn,
                scores=scores, deltas=deltas, f_sam=f_sam, **feats)


# --8<-- [start:test_shuffle_unit]
@pytest.mark.formula("eq-shuffle-unit")
def test_channel_shuffle_and_the_units():
    # channel shuffle is the permutation k -> (k mod g) * n + k // g
    x = torch.arange(2 * 12 * 2 * 3, dtype=DT).reshape(2, 12, 2, 3)
    for g in (2, 3, 4):
        n = 12 // g
        index = [(k % g) * n + k // g for k in range(12)]
        assert torch.equal(channel_shuffle(x, g), x[:, index])
    torch.manual_seed(1)
    unit = shuffle_unit(16, 16, 1).double().eval()
    x = torch.randn(2, 16, 9, 9, dtype=DT)
    with torch.no_grad():
        y = unit(x)
    # stride 1: the first half passes unchanged and lands on the even channels
    assert y.shape == x.shape
    assert torch.equal(y[:, 0::2], x[:, :8])
    # the odd channels are the branch applied to the second half only
    with torch.no_grad():
        assert torch.allclose(y[:, 1::2], unit.branch(x[:, 8:]), atol=1e-12)
    dw = unit.branch[1][0]
    assert dw.kernel_size == (5, 5) and dw.groups == 8 == dw.in_channels
    assert ShuffleUnit(16, 16, 1).branch[1][0].kernel_size == (5, 5)  # the default
    down = shuffle_unit(16, 24, 2).double().eval()
    with torch.no_grad():
        z = down(x)
        assert z.shape == (2, 24, 5, 5)
        assert torch.allclose(z[:, 0::2], down.proj(x), atol=1e-12)
        assert torch.allclose(z[:, 1::2], down.branch(x), atol=1e-12)
    assert down.proj[0][0].kernel_size == (5, 5) and down.proj[0][0].stride == (2, 2)
# --8<-- [end:test_shuffle_unit]


# --8<-- [start:test_snet]
@pytest.mark.formula("eq-snet")
def test_snet_feature_maps_at_320(detector_320):
    # C4 at stride 16, C5 at stride 32; widths of the architecture table
    assert detector_320["C4"].shape == (1, 264, 20, 20)
    assert detector_320["C5"].shape == (1, 528, 10, 10)
    assert detector_320["logits"] is None
    expected = {49: (120, 512), 146: (264, 528), 535: (496, 992)}
    for v, (c4, c5) in expected.items():
        net = SNet(v).eval()
        with torch.no_grad():
            out = net(torch.zeros(1, 3, 320, 320))
        assert out["C4"].shape == (1, c4, 20, 20)
        assert out["C5"].shape == (1, c5, 10, 10)
        assert out["logits"].shape == (1, 1000)
        units = [m for m in net.modules() if type(m).__name__ == "ShuffleUnit"]
        assert len(units) == 16  # 4 + 8 + 4
        assert (net.conv5 is not None) == (v == 49)
        assert net.conv1[0].out_channels == (48 if v == 535 else 24)
        kernels = {m.kernel_size for m in net.modules()
                   if isinstance(m, torch.nn.Conv2d) and m.groups > 1}
        assert kernels == {(5, 5)}
        # every conv is conv + BN without bias; ReLU follows the dense convs only
        blocks = [m for m in net.modules() if isinstance(m, torch.nn.Sequential)
                  and isinstance(m[0], torch.nn.Conv2d)]
        assert len(blocks) == 1 + 3 * 5 + 13 * 3 + (v == 49)  # conv1, units, conv5
        for block in blocks:
            conv = block[0]
            assert conv.bias is None and isinstance(block[1], torch.nn.BatchNorm2d)
            assert conv.padding == (conv.kernel_size[0] // 2,) * 2
            has_relu = len(block) == 3 and isinstance(block[2], torch.nn.ReLU)
            assert has_relu == (conv.groups == 1) and len(block) == 2 + has_relu
        pool = net.maxpool
        assert (pool.kernel_size, pool.stride, pool.padding) == (3, 2, 1)
    assert SNet().fc.in_features == 528  # the default is SNet146
    # the configurations are the architecture table of the page, transcribed
    assert SNET_CONFIGS == {
        49: {"conv1": 24, "stages": (60, 120, 240), "repeats": (4, 8, 4), "conv5": 512},
        146: {"conv1": 24, "stages": (132, 264, 528), "repeats": (4, 8, 4), "conv5": None},
        535: {"conv1": 48, "stages": (248, 496, 992), "repeats": (4, 8, 4), "conv5": None},
    }
# --8<-- [end:test_snet]


# --8<-- [start:test_snet_macs]
@pytest.mark.formula("eq-snet-macs")
def test_analytic_count_equals_the_hooks_exactly(hook_counts):
    for (v, size), hooks in hook_counts.items():
        analytic = snet_macs(v, size, num_classes=1000 if size == 224 else 0)
        for part in ("conv1", "stage2", "stage3", "stage4", "fc", "total"):
            assert hooks.get(part, 0) == analytic[part], (v, size, part)
        assert hooks.get("conv5", 0) == analytic["conv5"]
        assert all(type(x) is int for x in (*analytic.values(), *hooks.values()))
    # kernel 3 (ShuffleNetV2's): the module and the count follow the argument
    net = SNet(146, kernel=3).eval()
    assert count_macs(net, torch.zeros(1, 3, 64, 64)) == {
        k: x for k, x in snet_macs(146, 64, kernel=3).items() if k != "conv5"}
    assert snet_macs() == snet_macs(146, 224, 1000, 5)
    # a stride-1 unit written out: two 1x1 convs on C/2 channels plus a 5x5 depthwise conv
    assert unit_macs(28, 132, 132, 1) == 28 * 28 * (2 * 66 * 66 + 25 * 66)
    # SNet146 at 224 by hand: conv1 112^2*27*24, stage widths 132/264/528, fc 528*1000
    assert snet_macs(146)["conv1"] == 112 * 112 * 27 * 24
    assert snet_macs(146)["fc"] == 528_000


@pytest.mark.formula("eq-snet-macs")
def test_convention_reproduces_shufflenet_v2():
    # ShuffleNetV2 (3x3 depthwise, conv5 1024, 2048 for 2x): published 41/146/299/591
    # MFLOPs (the authors' repository megvii-model/ShuffleNet-Series, table of the
    # ShuffleNetV2 README). The same count lands within 1.5 % of each: multiply-adds,
    # conv and fc only. (The official code's down-sampling unit splits its output
    # channels unevenly, which explains most of the remaining gap.)
    published = {(48, 96, 192, 1024): 41, (116, 232, 464, 1024): 146,
                 (176, 352, 704, 1024): 299, (244, 488, 976, 2048): 591}
    for (*widths, conv5), mflops in published.items():
        cfg = {"conv1": 24, "stages": tuple(widths), "repeats": (4, 8, 4), "conv5": conv5}
        total = snet_macs(cfg, kernel=3)["total"] / 1e6
        assert abs(total / mflops - 1) < 0.015, (widths, total)
    # counted as 2 FLOPs per multiply-add instead, every total would double: not the paper's
    cfg = {"conv1": 24, "stages": (116, 232, 464), "repeats": (4, 8, 4), "conv5": 1024}
    assert abs(2 * snet_macs(cfg, kernel=3)["total"] / 1e6 / 146 - 1) > 0.9
# --8<-- [end:test_snet_macs]


# --8<-- [start:test_published]
@pytest.mark.formula("eq-snet-macs")
def test_against_the_published_snet_totals(hook_counts):
    # published: the names SNet49 / SNet146 / SNet535 = MFLOPs at 224 x 224 (paper,
    # architecture table). Computed: 51.21 / 161.14 / 535.35 M. SNet535 agrees within
    # 0.1 %; SNet49 is 4.5 % and SNet146 10.4 % above (discussed on the page).
    rel = {v: hook_counts[v, 224]["total"] / 1e6 / PUBLISHED_MFLOPS[v] - 1
           for v in (49, 146, 535)}
    assert abs(rel[535]) < 0.002
    assert 0.04 < rel[49] < 0.05
    assert 0.10 < rel[146] < 0.11
    # the discrepancy is not the 5x5 kernel: with 3x3 depthwise convs SNet146 is 152.8 M
    assert 0.04 < snet_macs(146, kernel=3)["total"] / 146e6 - 1 < 0.05
    # nor the classifier: without fc SNet146 is still 160.6 M
    assert snet_macs(146, num_classes=0)["total"] / 146e6 - 1 > 0.09
    # nor an uneven down-sampling unit (official ShuffleNetV2 code: the depthwise path
    # keeps c_in channels, the other gives c_out - c_in): it moves each total by < 1.5 %
    for v, cfg in SNET_CONFIGS.items():
        size, c, delta = 56, cfg["conv1"], 0
        for width in cfg["stages"]:
            n, h = width // 2, size // 2
            even = h * h * (25 * c + c * n) + size * size * c * n + h * h * (25 * n + n * n)
            uneven = h * h * (25 * c + c * c) + size * size * c * n \
                + h * h * (25 * n + n * (width - c))
            assert even == unit_macs(size, c, width, 2)
            delta += uneven - even
            size, c = h, width
        assert abs(delta) / snet_macs(v)["total"] < 0.015
# --8<-- [end:test_published]


def test_observations_of_the_page():
    parts = {v: snet_macs(v) for v in (49, 146, 535)}
    # stage3 is the largest part of every backbone; SNet49's conv5 is about 12 %
    for macs in parts.values():
        stages = {k: macs[k] for k in ("conv1", "stage2", "stage3", "stage4", "conv5")}
        assert max(stages, key=stages.get) == "stage3"
    assert 0.11 < parts[49]["conv5"] / parts[49]["total"] < 0.125
    # without fc, 320 x 320 costs exactly (320 / 224)^2 times 224 x 224
    for v in (49, 146, 535):
        assert snet_macs(v, 320, 0)["total"] * 224**2 == snet_macs(v, 224, 0)["total"] * 320**2
    # motivation: the dense 3x3 RPN conv is more than twice SNet49 at 320, and what the
    # compression saves is more than all of SNet49
    dense = conv_macs(20, 3, 245, 256)
    compressed = conv_macs(20, 5, 245, 245, groups=245) + conv_macs(20, 1, 245, 256)
    backbone = snet_macs(49, 320, 0)["total"]
    assert dense > 2 * backbone and dense - compressed > backbone


# --8<-- [start:test_cem]
@pytest.mark.formula("eq-cem")
def test_cem_shapes_and_values(detector_320):
    cem, c4, c5, f_cem = (detector_320[k] for k in ("cem", "C4", "C5", "f_cem"))
    assert f_cem.shape == (1, 245, 20, 20) and 245 == 5 * 7 * 7

    def conv1x1(conv, x):
        return (torch.einsum("oi,nihw->nohw", conv.weight[:, :, 0, 0], x)
                + conv.bias[None, :, None, None])

    with torch.no_grad():
        up = conv1x1(cem.lat5, c5).repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
        glb = conv1x1(cem.glb, c5.mean(dim=(2, 3), keepdim=True)).expand(-1, -1, 20, 20)
        expected = conv1x1(cem.lat4, c4) + up + glb
    assert torch.allclose(f_cem, expected, atol=1e-10)
    # the global term is the same at every position: F_CEM - its local parts is constant
    rest = f_cem - conv1x1(cem.lat4, c4) - up
    assert torch.allclose(rest, rest[:, :, :1, :1].expand_as(rest), atol=1e-10)
    assert count_macs(cem, c4, c5)["total"] == 20 * 20 * 264 * 245 + 10 * 10 * 528 * 245 \
        + 528 * 245
# --8<-- [end:test_cem]


# --8<-- [start:test_rpn]
@pytest.mark.formula("eq-rpn")
def test_compressed_rpn_shapes_and_cost(detector_320):
    rpn, f_cem = detector_320["rpn"], detector_320["f_cem"]
    assert detector_320["f_rpn"].shape == (1, 256, 20, 20)
    assert detector_320["scores"].shape == (1, 2 * 25, 20, 20)
    assert detector_320["deltas"].shape == (1, 4 * 25, 20, 20)
    assert (detector_320["f_rpn"] >= 0).all()  # ReLU output
    macs = count_macs(rpn, f_cem)
    assert macs["dw"] == 20 * 20 * 25 * 245 and macs["pw"] == 20 * 20 * 245 * 256
    assert macs["cls"] + macs["reg"] == 20 * 20 * 256 * 150
    # against the 3x3 conv with 256 channels of Light-Head R-CNN's RPN: 8.2x fewer
    dense = count_macs(torch.nn.Conv2d(245, 256, 3, padding=1).double(), f_cem)["total"]
    assert dense == conv_macs(20, 3, 245, 256)
    ratio = dense / (macs["dw"] + macs["pw"])
    assert abs(ratio - 9 * 256 / (25 + 256)) < 1e-12 and 8.1 < ratio < 8.3
    # the ratio depends neither on the map size nor on the input channels
    for c, h in ((64, 7), (245, 40), (512, 13)):
        small = CompressedRPN(c).eval()
        x = torch.zeros(1, c, h, h)
        got = count_macs(small, x)
        full = count_macs(torch.nn.Conv2d(c, 256, 3, padding=1), x)["total"]
        assert full * (25 + 256) == 9 * 256 * (got["dw"] + got["pw"])
    # the whole detection part at 320: CEM + RPN + SAM, less than a third of SNet146
    head = (count_macs(detector_320["cem"], detector_320["C4"], detector_320["C5"])["total"]
            + macs["total"]
            + count_macs(detector_320["sam"], f_cem, detector_320["f_rpn"])["total"])
    assert head == (20 * 20 * 264 * 245 + 10 * 10 * 528 * 245 + 528 * 245
                    + 20 * 20 * (25 * 245 + 245 * 256 + 256 * 150) + 20 * 20 * 256 * 245)
    assert 3 * head < snet_macs(146, 320, 0)["total"]
# --8<-- [end:test_rpn]


# --8<-- [start:test_sam]
@pytest.mark.formula("eq-sam")
def test_sam_formula_bounds_and_gradient(detector_320):
    sam, f_cem, f_rpn, f_sam = (detector_320[k] for k in ("sam", "f_cem", "f_rpn", "f_sam"))
    assert f_sam.shape == f_cem.shape == (1, 245, 20, 20)
    # written out: 1x1 conv by einsum, BN in eval mode, logistic function 1 / (1 + e^-z)
    bn = sam.bn
    with torch.no_grad():
        z = (torch.einsum("oi,nihw->nohw", sam.conv.weight[:, :, 0, 0], f_rpn)
             + sam.conv.bias[None, :, None, None])
        z = ((z - bn.running_mean[None, :, None, None])
             / torch.sqrt(bn.running_var[None, :, None, None] + bn.eps)
             * bn.weight[None, :, None, None] + bn.bias[None, :, None, None])
        expected = f_cem / (1 + torch.exp(-z))
    assert torch.allclose(f_sam, expected, atol=1e-10)
    # F_SAM lies between 0 and F_CEM elementwise, whatever the sign of F_CEM ...
    lo, hi = torch.minimum(f_cem, torch.zeros_like(f_cem)), torch.maximum(f_cem, 0 * f_cem)
    assert ((lo <= f_sam) & (f_sam <= hi)).all()
    # ... so 0 <= F_SAM <= F_CEM holds where F_CEM >= 0, and fails where F_CEM < 0
    neg = f_cem < 0
    assert neg.any() and (~neg).any()
    assert ((f_sam[~neg] >= 0) & (f_sam[~neg] <= f_cem[~neg])).all()
    assert (f_sam[neg] > f_cem[neg]).all() and (f_sam[neg] <= 0).all()
    # the R-CNN loss reaches the RPN through SAM: d sum(F_SAM) / d F_RPN is not zero
    f_rpn = f_rpn.clone().requires_grad_(True)
    sam(f_cem, f_rpn).sum().backward()
    assert f_rpn.grad.abs().sum() > 0
    assert count_macs(sam, f_cem, f_rpn.detach())["total"] == 20 * 20 * 256 * 245
# --8<-- [end:test_sam]


# --8<-- [start:test_psroi]
@pytest.mark.formula("eq-psroi-align")
def test_psroi_align_by_hand():
    # p = 2 bins, m = 1: four channels, channel k constant k + 1 except channel 3 = x^2.
    # RoI (0, 0)-(4, 4) at scale 1: bins of 2 x 2 pixels; bin (1, 1) reads channel 3,
    # sampled (default sampling 2) at x = 2.5 and 3.5: bilinear (4 + 9) / 2 = 6.5 and
    # (9 + 16) / 2 = 12.5, mean 9.5.
    feat = torch.ones(4, 6, 6, dtype=DT) * torch.tensor([1.0, 2, 3, 0])[:, None, None]
    feat[3] = torch.arange(6, dtype=DT)[None, :] ** 2
    out = psroi_align(feat, torch.tensor([[0.0, 0, 4, 4]], dtype=DT), bins=2,
                      spatial_scale=1.0)
    assert out.shape == (1, 1, 2, 2)
    assert torch.allclose(out[0, 0], torch.tensor([[1.0, 2.0], [3.0, 9.5]], dtype=DT))
    # bin (0, 0) with one sample per bin and a half-pixel sample: bilinear by hand
    feat[0] = torch.arange(36, dtype=DT).reshape(6, 6)  # value 6 y + x
    out = psroi_align(feat, torch.tensor([[0.0, 0, 2, 2]], dtype=DT), bins=2,
                      spatial_scale=1.0, sampling=1)
    assert math.isclose(out[0, 0, 0, 0].item(), 6 * 0.5 + 0.5)


@pytest.mark.formula("eq-psroi-align")
def test_psroi_align_is_exact_on_linear_maps():
    # channel k = a_k x + b_k y + c_k: bilinear sampling is exact and the samples are
    # symmetric about the bin centre, so each output is channel (c p + i) p + j at the centre
    torch.manual_seed(2)
    m, p, h, w = 5, 7, 24, 30
    a, b, c = (torch.randn(m * p * p, dtype=DT) for _ in range(3))
    ys, xs = torch.meshgrid(torch.arange(h, dtype=DT), torch.arange(w, dtype=DT),
                            indexing="ij")
    feat = a[:, None, None] * xs + b[:, None, None] * ys + c[:, None, None]
    rois = torch.tensor([[40.0, 32.0, 300.0, 330.0], [17.0, 5.0, 117.0, 55.5]], dtype=DT)
    out = psroi_align(feat, rois, bins=p, spatial_scale=1 / 16)
    assert out.shape == (2, m, p, p)
    for r, (x1, y1, x2, y2) in enumerate(rois.tolist()):
        x1, y1, x2, y2 = (v / 16 for v in (x1, y1, x2, y2))
        for ch in range(m):
            for i in range(p):
                for j in range(p):
                    k = (ch * p + i) * p + j
                    yc = y1 + (i + 0.5) * (y2 - y1) / p
                    xc = x1 + (j + 0.5) * (x2 - x1) / p
                    want = a[k] * xc + b[k] * yc + c[k]
                    assert math.isclose(out[r, ch, i, j].item(), want.item(), abs_tol=1e-9)


@pytest.mark.formula("eq-psroi-align")
def test_psroi_align_clamps_at_the_border():
    # one channel f = 10 y + x on a 4 x 5 map, p = 1: samples beyond the map take the
    # value of the nearest border pixel (by hand)
    feat = (10 * torch.arange(4, dtype=DT)[:, None] + torch.arange(5, dtype=DT))[None]
    box = torch.tensor([[3.0, 2.0, 7.0, 6.0]], dtype=DT)  # samples x 4, 6; y 3, 5
    out = psroi_align(feat, box, bins=1, spatial_scale=1.0)
    assert math.isclose(out.item(), 10 * 3 + 4)
    box = torch.tensor([[-4.0, -4.0, 0.0, 0.0]], dtype=DT)  # samples at -3, -1
    assert psroi_align(feat, box, bins=1, spatial_scale=1.0).item() == 0.0
    # one sample at (2.5, 3.5), inside the last cell: interpolates rows 2, 3, columns 3, 4
    box = torch.tensor([[3.0, 2.0, 4.0, 3.0]], dtype=DT)
    out = psroi_align(feat, box, bins=1, spatial_scale=1.0, sampling=1)
    assert math.isclose(out.item(), 10 * 2.5 + 3.5)
# --8<-- [end:test_psroi]


def test_bad_inputs():
    with pytest.raises(ValueError, match="version"):
        SNet(100)
    with pytest.raises(ValueError, match="version"):
        snet_macs(50)
    with pytest.raises(ValueError, match="^size must"):
        snet_macs(146, size=300)
    with pytest.raises(ValueError, match="^size must"):
        snet_macs(146, size=0)
    with pytest.raises(ValueError, match="^size must"):
        snet_macs(146, size=True)
    with pytest.raises(ValueError, match="^size must"):
        snet_macs(146, size=224.0)
    assert snet_macs(146, size=32)["conv1"] == 16 * 16 * 27 * 24  # the smallest size
    with pytest.raises(ValueError, match="stride"):
        shuffle_unit(16, 16, 3)
    with pytest.raises(ValueError, match="c_out"):
        shuffle_unit(16, 24, 1)
    with pytest.raises(ValueError, match="c_out"):
        shuffle_unit(16, 15, 2)
    with pytest.raises(ValueError, match="kernel"):
        shuffle_unit(16, 16, 1, kernel=4)
    cem = CEM(8, 16, 245)
    with pytest.raises(ValueError, match="c4"):
        cem(torch.zeros(1, 8, 10, 10), torch.zeros(1, 16, 4, 4))
    sam = SAM(8, 245)
    with pytest.raises(ValueError, match="f_cem"):
        sam(torch.zeros(1, 244, 4, 4), torch.zeros(1, 8, 4, 4))
    with pytest.raises(ValueError, match="f_cem"):
        sam(torch.zeros(1, 245, 4, 4), torch.zeros(1, 8, 5, 4))
    with pytest.raises(ValueError, match="features"):
        psroi_align(torch.zeros(50, 4, 4), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="features"):
        psroi_align(torch.zeros(1, 49, 4, 4), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="rois"):
        psroi_align(torch.zeros(49, 4, 4), torch.zeros(4))
    with pytest.raises(ValueError, match="rois"):
        psroi_align(torch.zeros(49, 4, 4), torch.tensor([[2.0, 0, 1, 1]]))
    with pytest.raises(ValueError, match="rois"):
        psroi_align(torch.zeros(49, 4, 4), torch.tensor([[0.0, 2, 1, 1]]))
    with pytest.raises(ValueError, match="rois"):
        psroi_align(torch.zeros(49, 4, 4), torch.tensor([[5.0, 0, 1, 10]]))
    with pytest.raises(ValueError, match="sampling"):
        psroi_align(torch.zeros(49, 4, 4), torch.zeros(1, 4), sampling=0)
