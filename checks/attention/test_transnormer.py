"""Checks of attention/transnormer: every key equation against something independent.

Independent references used here: torch autograd (torch.autograd.functional.jacobian and
backward through the formulas written out in the test), torch.nn.functional.rms_norm,
numpy, masked full-length softmax attention written out with torch.softmax, explicit
Python loops. float64 throughout; torch runs on one thread (conftest.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from snippets.attention.linear_attention import (
    elu_feature_map,
    kernel_attention,
    linear_attention,
    softmax_attention,
)
from snippets.attention.transnormer import (
    attention_jacobian,
    attention_matrix,
    cancelling_scores,
    diag_attention,
    local_attention_mass,
    norm_attention,
    norm_grad_bound,
    norm_score_grad,
    rms_norm,
    scaled_score_grad,
    srms_norm,
    toy_positions,
)

F64 = torch.float64


def randn(*shape, seed=0):
    return torch.randn(*shape, dtype=F64, generator=torch.Generator().manual_seed(seed))


def positive_scores(n, seed=0, scale=1.0):
    """s = phi(Q) phi(K)^T with elu+1 features of random inputs: every s_ij > 0."""
    phi_q = elu_feature_map(randn(n, 3, seed=seed))
    phi_k = elu_feature_map(randn(n, 3, seed=seed + 1))
    return scale * phi_q @ phi_k.T


def probs_written_out(s, kernel):
    f = torch.exp(s) if kernel == "exp" else s
    return f / f.sum(-1, keepdim=True)


# --8<-- [start:test_scaled_gradient]
@pytest.mark.formula("eq-scaled-gradient")
@pytest.mark.parametrize("kernel", ["exp", "identity"])
def test_attention_jacobian_equals_autograd(kernel):
    # J[i, j, k] = dp_ij/ds_ik; autograd's jacobian of the written-out p(s) has index
    # order (i, j, i', k), and only i' = i is non-zero (row i depends on row i only).
    n = 5
    s = positive_scores(n, seed=3)
    full = torch.autograd.functional.jacobian(lambda x: probs_written_out(x, kernel), s)
    idx = torch.arange(n)
    expected = full[idx, :, idx, :]                            # (i, j, k)
    torch.testing.assert_close(attention_jacobian(s, kernel), expected, rtol=1e-12, atol=1e-12)
    off_rows = full.clone()
    off_rows[idx, :, idx, :] = 0
    assert off_rows.abs().max() == 0
    # a batch of two score matrices: each one is its own Jacobian
    batch = torch.stack([s, positive_scores(n, seed=9)])
    out = attention_jacobian(batch, kernel)
    for b in range(2):
        torch.testing.assert_close(out[b], attention_jacobian(batch[b], kernel),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.formula("eq-scaled-gradient")
def test_softmax_jacobian_is_at_most_one_quarter_and_reaches_it():
    # |p_ij (1[j = k] - p_ik)| <= 1/4 for every score matrix, whatever its scale
    for seed, scale in enumerate((1e-3, 1.0, 10.0, 1e3)):
        s = scale * randn(6, 6, seed=seed)
        assert attention_jacobian(s, "exp").abs().max() <= 0.25 + 1e-15
    # equality at p_ii = 1/2: two equal scores
    assert attention_jacobian(torch.zeros(1, 2, dtype=F64), "exp")[0, 0, 0] == 0.25


@pytest.mark.formula("eq-scaled-gradient")
def test_scaled_linear_jacobian_exceeds_every_bound():
    # The construction: q_i = k_j = phi^{-1}(x_0) with phi = elu + 1, x_0 = sqrt(eps/r) 1,
    # so s_ij = ||x_0||^2 = eps and p_ij = 1/n; then dp_ii/ds_ii = (1 - 1/n) / (n eps).
    # For every M, eps = (1 - 1/n) / (2 n M) gives a derivative of 2M > M.
    n, r = 4, 3
    for big in (1e3, 1e6, 1e9, 1e12):
        eps = (1 - 1 / n) / (2 * n * big)
        x0 = torch.full((r,), math.sqrt(eps / r), dtype=F64)
        q = torch.log(x0).expand(n, r)                        # phi^{-1}(y) = log y, y <= 1
        phi = elu_feature_map(q)
        s = phi @ phi.T
        # elu(x) + 1 is computed as (e^x - 1) + 1: for e^x ~ 1e-7 it keeps about nine
        # digits, so s equals eps to 1e-8 relative, not 1e-12
        torch.testing.assert_close(s, torch.full((n, n), eps, dtype=F64), rtol=1e-8, atol=0)
        jac = torch.autograd.functional.jacobian(lambda x: probs_written_out(x, "identity"), s)
        s_ii = s[0, 0].item()
        assert jac[0, 0, 0, 0].item() == pytest.approx((1 - 1 / n) / (n * s_ii), rel=1e-9)
        assert jac[0, 0, 0, 0].item() > big
        assert attention_jacobian(s, "identity")[0, 0, 0].item() == pytest.approx(2 * big, rel=1e-7)
# --8<-- [end:test_scaled_gradient]


@pytest.mark.formula("eq-scaled-gradient")
def test_scaled_score_grad_equals_autograd_through_the_shared_core():
    # L = sum(g * O), O = kernel_attention with the identity feature map on positive
    # features, so that s = phi_q phi_k^T; dL/dphi_q = (dL/ds) phi_k by the chain rule.
    n, dv = 6, 4
    phi_q = elu_feature_map(randn(n, 3, seed=5)).requires_grad_()
    phi_k = elu_feature_map(randn(n, 3, seed=6))
    v, g = randn(n, dv, seed=7), randn(n, dv, seed=8)
    s = (phi_q @ phi_k.T).detach().requires_grad_()
    ((s @ v) / s.sum(-1, keepdim=True) * g).sum().backward()
    grad = scaled_score_grad(s.detach(), v, g)
    torch.testing.assert_close(grad, s.grad, rtol=1e-12, atol=1e-12)
    # batched (heads, n, n) scores with (heads, n, d_v) values: row by row the same
    sb = torch.stack([s.detach(), positive_scores(n, seed=12)])
    vb, gb = torch.stack([v, randn(n, dv, seed=13)]), torch.stack([g, randn(n, dv, seed=14)])
    for b in range(2):
        torch.testing.assert_close(scaled_score_grad(sb, vb, gb)[b],
                                   scaled_score_grad(sb[b], vb[b], gb[b]), rtol=1e-12, atol=0)
    (kernel_attention(phi_q, phi_k, v, lambda x: x) * g).sum().backward()
    torch.testing.assert_close(grad @ phi_k, phi_q.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.formula("eq-scaled-gradient")
def test_through_elu_the_query_gradient_stays_bounded_while_the_feature_gradient_grows():
    # The page's remark: inputs q = c 1 + u, k = c 1 + u' with fixed perturbations in
    # [-1/2, 1/2] and phi = elu + 1 = e^x there: every score is e^{2c} times a constant, so
    # dL/ds ~ e^{-2c} and dL/dphi(q) ~ e^{-c} grow as c -> -inf, while
    # dL/dq = dL/dphi(q) * phi'(q), phi'(q) = e^{q}, does not change (autograd through
    # the shared core). elu(x) + 1 = (e^x - 1) + 1 keeps ~9 digits at e^x ~ 1e-7: rel 1e-6.
    n, d = 4, 3
    v, g = randn(n, d, seed=70), randn(n, d, seed=71)
    u_q = torch.rand(n, d, dtype=F64, generator=torch.Generator().manual_seed(72)) - 0.5
    u_k = torch.rand(n, d, dtype=F64, generator=torch.Generator().manual_seed(73)) - 0.5
    grads_q, grads_phi = [], []
    for c in (-5.0, -10.0, -15.0):
        q = (c + u_q).requires_grad_()
        k = c + u_k
        (kernel_attention(q, k, v, elu_feature_map) * g).sum().backward()
        grads_q.append(q.grad.abs().max().item())
        phi_q = elu_feature_map(q.detach()).requires_grad_()
        (kernel_attention(phi_q, elu_feature_map(k), v, lambda x: x) * g).sum().backward()
        grads_phi.append(phi_q.grad.abs().max().item())
    assert grads_q[0] > 1e-3                               # not trivially zero
    assert max(grads_q) / min(grads_q) < 1 + 1e-6          # the same at every c
    for a, b in zip(grads_phi, grads_phi[1:]):
        assert b / a == pytest.approx(math.exp(5.0), rel=1e-6)   # grows like e^{-c}


@pytest.mark.formula("eq-scaled-gradient")
def test_cancelling_denominator_makes_the_scaled_gradient_grow_like_one_over_delta_squared():
    # Signed features: row 1 of the scores is (1, delta - 1), its sum delta. With v = I and
    # L = sum_i o_i1: dL/ds_11 = (1 - o_11) / delta = (1 - 1/delta) / delta (autograd too).
    v = torch.eye(2, dtype=F64)
    g = torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=F64)
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=F64)
    k = torch.tensor([[1.0, 0.0], [0.25 - 1.0, 0.5]], dtype=F64)
    torch.testing.assert_close(cancelling_scores(0.25), q @ k.T, rtol=0, atol=0)
    for delta in (1e-1, 1e-3, 1e-6):
        s = cancelling_scores(delta).requires_grad_()
        ((s @ v) / s.sum(-1, keepdim=True) * g).sum().backward()
        expected = (1 - 1 / delta) / delta
        assert s.grad[0, 0].item() == pytest.approx(expected, rel=1e-9)
        assert scaled_score_grad(s.detach(), v, g)[0, 0].item() == pytest.approx(expected, rel=1e-9)
        # NormAttention on the same scores: the gradient stays of order one
        assert norm_score_grad(s.detach(), v, g).abs().max() < 3


# --8<-- [start:test_norm_attention]
@pytest.mark.formula("eq-norm-attention")
@pytest.mark.parametrize("norm_name", ["srms", "rms"])
def test_norm_attention_right_product_equals_the_left_product(norm_name):
    # Right product phi(Q)(phi(K)^T V) in the snippet; left product (phi(Q) phi(K)^T) V
    # here, normalised by an independent implementation: torch's rms_norm (eps inside the
    # root) or x / (||x||/sqrt(d) + eps) written out with torch.linalg.vector_norm.
    q, k, v = randn(2, 7, 4, seed=1), randn(2, 7, 4, seed=2), randn(2, 7, 5, seed=3)
    left = (elu_feature_map(q) @ elu_feature_map(k).transpose(-1, -2)) @ v
    if norm_name == "rms":
        out = norm_attention(q, k, v, elu_feature_map, norm=rms_norm)
        expected = F.rms_norm(left, (5,), eps=1e-6)
    else:
        out = norm_attention(q, k, v, elu_feature_map)
        expected = left / (torch.linalg.vector_norm(left, dim=-1, keepdim=True) / 5**0.5 + 1e-8)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
# --8<-- [end:test_norm_attention]


@pytest.mark.formula("eq-norm-attention")
def test_causal_norm_attention_equals_the_masked_left_product():
    q, k, v = randn(6, 3, seed=4), randn(6, 3, seed=5), randn(6, 2, seed=6)
    sim = elu_feature_map(q) @ elu_feature_map(k).T
    masked = (sim * torch.ones(6, 6, dtype=torch.bool).tril()) @ v
    expected = F.rms_norm(masked, (2,), eps=1e-6)
    out = norm_attention(q, k, v, elu_feature_map, norm=rms_norm, causal=True)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    # row 1 sees key 1 only; the last row sees everything (the non-causal row)
    full = norm_attention(q, k, v, elu_feature_map, norm=rms_norm)
    torch.testing.assert_close(out[-1], full[-1], rtol=1e-12, atol=1e-12)


@pytest.mark.formula("eq-norm-attention")
def test_with_positive_features_the_norm_absorbs_the_scaling():
    # Norm(T) with T_i = Z_i (linear attention)_i, Z_i > 0: RMSNorm without eps is scale
    # invariant, so NormAttention = Norm(linear_attention) up to the eps terms (rms of the
    # rows here is far above eps, the difference is below 1e-6 relative).
    q, k, v = randn(8, 4, seed=7), randn(8, 4, seed=8), randn(8, 3, seed=9)
    a = norm_attention(q, k, v, elu_feature_map, norm=lambda x: F.rms_norm(x, (3,), eps=0.0))
    b = F.rms_norm(linear_attention(q, k, v, elu_feature_map), (3,), eps=0.0)
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    # and the output is bounded in the forward pass: ||o_i|| < sqrt(d_v) for SRMSNorm
    o = norm_attention(q * 100, k * 100, v * 100, elu_feature_map)
    assert torch.all(o.norm(dim=-1) < 3**0.5)


# --8<-- [start:test_srms_norm]
@pytest.mark.formula("eq-srms-norm")
def test_srms_norm_and_rms_norm_against_numpy_and_torch():
    x = randn(5, 6, seed=11)
    x[0] *= 1e-5                                              # a row with a small norm
    xn = x.numpy()
    srms = xn / (np.linalg.norm(xn, axis=-1, keepdims=True) / np.sqrt(6) + 1e-8)
    np.testing.assert_allclose(srms_norm(x).numpy(), srms, rtol=1e-13, atol=0)
    np.testing.assert_allclose(srms_norm(x, eps=0.5).numpy(),
                               xn / (np.linalg.norm(xn, axis=-1, keepdims=True) / np.sqrt(6)
                                     + 0.5), rtol=1e-13, atol=0)
    torch.testing.assert_close(rms_norm(x), F.rms_norm(x, (6,), eps=1e-6), rtol=1e-13, atol=0)
    torch.testing.assert_close(rms_norm(x, eps=0.3), F.rms_norm(x, (6,), eps=0.3),
                               rtol=1e-13, atol=0)
    # The two place eps differently: they agree on ordinary rows and not on the small one
    torch.testing.assert_close(srms_norm(x)[1:], rms_norm(x)[1:], rtol=1e-5, atol=0)
    assert (srms_norm(x)[0] - rms_norm(x)[0]).abs().max() > 0.5
# --8<-- [end:test_srms_norm]


@pytest.mark.formula("eq-srms-norm")
def test_srms_norm_output_has_rms_just_below_one_and_ignores_the_scale():
    x = randn(4, 8, seed=12)
    rms_out = srms_norm(x).pow(2).mean(-1).sqrt()
    rho = x.norm(dim=-1) / 8**0.5
    torch.testing.assert_close(rms_out, rho / (rho + 1e-8), rtol=1e-13, atol=0)
    # scaling x by a is the same as dividing eps by a: SRMSNorm(a x, eps) = SRMSNorm(x, eps/a)
    torch.testing.assert_close(srms_norm(1e3 * x), srms_norm(x, eps=1e-11), rtol=1e-13, atol=0)


# --8<-- [start:test_norm_gradient_bound]
@pytest.mark.formula("eq-norm-gradient-bound")
def test_norm_score_grad_equals_autograd():
    s = randn(2, 6, 6, seed=13)                               # signed scores
    v, g = randn(2, 6, 3, seed=14), randn(2, 6, 3, seed=15)
    for eps in (1e-8, 0.1):
        s_ = s.clone().requires_grad_()
        (srms_norm(s_ @ v, eps=eps) * g).sum().backward()
        torch.testing.assert_close(norm_score_grad(s, v, g, eps=eps), s_.grad,
                                   rtol=1e-10, atol=1e-12)


@pytest.mark.formula("eq-norm-gradient-bound")
def test_the_bound_holds_for_every_score_matrix_and_is_reached():
    # |dL/ds_ij| <= ||g_i|| ||v_j|| / eps for all S: random signed and positive scores
    # from 1e-14 to 1e3, the constructed small-denominator input, the cancelling one;
    # the gradient is autograd's.
    eps = 1e-4
    v, g = randn(5, 3, seed=16), randn(5, 3, seed=17)
    cases = [scale * randn(5, 5, seed=18 + i) for i, scale in enumerate((1e-14, 1e-6, 1, 1e3))]
    cases += [positive_scores(5, seed=30, scale=scale) for scale in (1e-12, 1e-5, 1.0)]
    signed = randn(5, 5, seed=25)
    signed[:, -1] = 1e-9 - signed[:, :-1].sum(-1)             # every row sums to 1e-9
    cases.append(signed)
    for s in cases:
        for norm_name, norm in (("srms", srms_norm), ("rms", rms_norm)):
            s_ = s.clone().requires_grad_()
            (norm(s_ @ v, eps=eps) * g).sum().backward()
            bound = norm_grad_bound(v, g, eps=eps, norm=norm_name)
            assert torch.all(s_.grad.abs() <= bound * (1 + 1e-12))
    # batched: each head its own bound
    vb, gb = torch.stack([v, 2 * v]), torch.stack([g, randn(5, 3, seed=26)])
    for b in range(2):
        torch.testing.assert_close(norm_grad_bound(vb, gb, eps=eps)[b],
                                   norm_grad_bound(vb[b], gb[b], eps=eps), rtol=1e-14, atol=0)
    # equality in the limit t -> 0 with g_i parallel to v_j: n = 1, g = v
    v1 = randn(1, 3, seed=40)
    s_ = torch.full((1, 1), 1e-12, dtype=F64, requires_grad=True)
    (srms_norm(s_ @ v1, eps=eps) * v1).sum().backward()
    ratio = s_.grad.abs() / norm_grad_bound(v1, v1, eps=eps)
    assert ratio.item() == pytest.approx(1.0, abs=1e-6)
    s_ = torch.full((1, 1), 1e-12, dtype=F64, requires_grad=True)
    (rms_norm(s_ @ v1, eps=eps) * v1).sum().backward()
    ratio = s_.grad.abs() / norm_grad_bound(v1, v1, eps=eps, norm="rms")
    assert ratio.item() == pytest.approx(1.0, abs=1e-6)
# --8<-- [end:test_norm_gradient_bound]


@pytest.mark.formula("eq-norm-gradient-bound")
def test_scaled_and_normalised_gradients_both_scale_like_one_over_the_scores():
    # Both forms are invariant to S -> a S (a > 0), so dL/dS scales as 1/a: the scaled
    # form has no ceiling, the normalised one stops at the bound (eps = 1e-8 here).
    v, g = randn(4, 3, seed=41), randn(4, 3, seed=42)
    s = positive_scores(4, seed=43)
    for a in (1e-2, 1e-4):
        torch.testing.assert_close(scaled_score_grad(a * s, v, g), scaled_score_grad(s, v, g) / a,
                                   rtol=1e-10, atol=0)
    # rho >> eps: the normalised gradient follows 1/a as well
    torch.testing.assert_close(norm_score_grad(1e-2 * s, v, g), norm_score_grad(s, v, g) / 1e-2,
                               rtol=1e-5, atol=0)
    tiny = 1e-16
    assert scaled_score_grad(tiny * s, v, g).abs().max() > 1e14
    assert torch.all(norm_score_grad(tiny * s, v, g).abs() <= norm_grad_bound(v, g))


# --8<-- [start:test_diag_attention]
@pytest.mark.formula("eq-diag-attention")
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("n, w", [(12, 4), (10, 4), (5, 8), (6, 1)])
def test_diag_attention_equals_block_masked_softmax(n, w, causal):
    # The full n x n softmax attention with every score outside the diagonal blocks
    # (block of i = i // w) set to -inf, written out here with torch.softmax.
    q, k, v = randn(2, n, 3, seed=n), randn(2, n, 3, seed=n + 1), randn(2, n, 2, seed=n + 2)
    idx = torch.arange(n)
    keep = (idx[:, None] // w) == (idx[None, :] // w)
    if causal:
        keep &= idx[None, :] <= idx[:, None]
    scores = (q @ k.transpose(-1, -2) / math.sqrt(3)).masked_fill(~keep, float("-inf"))
    expected = torch.softmax(scores, dim=-1) @ v
    out = diag_attention(q, k, v, block_size=w, causal=causal)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
# --8<-- [end:test_diag_attention]


@pytest.mark.formula("eq-diag-attention")
def test_diag_attention_limits():
    q, k, v = randn(7, 3, seed=50), randn(7, 3, seed=51), randn(7, 2, seed=52)
    torch.testing.assert_close(diag_attention(q, k, v, block_size=7), softmax_attention(q, k, v),
                               rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(diag_attention(q, k, v, block_size=1), v, rtol=1e-12, atol=1e-12)


# --8<-- [start:test_dilution]
@pytest.mark.formula("eq-dilution")
def test_local_attention_mass_equals_a_loop_over_windows():
    p = torch.softmax(randn(9, 9, seed=60), dim=-1)
    n = 9
    for r in (0.0, 0.1, 0.3, 0.5, 0.9, 1.0):
        m = math.ceil(r * n)
        total = 0.0
        for i in range(n):
            start = min(max(i - (m - 1) // 2, 0), n - m)
            total += sum(p[i, j].item() for j in range(start, start + m))
        assert local_attention_mass(p, r).item() == pytest.approx(total / n, abs=1e-14)
    uniform = torch.full((n, n), 1 / n, dtype=F64)
    assert local_attention_mass(uniform, 0.5).item() == pytest.approx(5 / 9, abs=1e-14)
    assert local_attention_mass(torch.eye(n, dtype=F64), 0.1).item() == pytest.approx(1.0)
    assert local_attention_mass(p, 1.0).item() == pytest.approx(1.0, abs=1e-14)
    # a batch of attention matrices gives one value each
    pb = torch.stack([p, uniform])
    out = local_attention_mass(pb, 0.5)
    assert out.shape == (2,)
    assert out[0].item() == pytest.approx(local_attention_mass(p, 0.5).item(), abs=1e-14)
    assert out[1].item() == pytest.approx(5 / 9, abs=1e-14)


@pytest.mark.formula("eq-dilution")
def test_on_the_toy_softmax_is_local_and_linear_attention_is_diluted():
    # The page's toy (n = 64): for every window fraction r up to 0.5, softmax puts more
    # mass near the query than elu+1 linear attention, and DiagAttention (w = 8) all of
    # it once the window holds a block (r >= 15/64).
    x = toy_positions()
    i, m = np.arange(64)[:, None], np.arange(4)
    w = 2 * np.pi * 2.0**m / 64
    np.testing.assert_allclose(x.numpy(), 2 * np.hstack([np.cos(w * i), np.sin(w * i)]),
                               rtol=0, atol=1e-13)
    assert x.dtype == F64
    p_soft = attention_matrix(x, x, softmax_attention)
    p_lin = attention_matrix(x, x, lambda a, b, c: kernel_attention(a, b, c, elu_feature_map))
    p_diag = attention_matrix(x, x, lambda a, b, c: diag_attention(a, b, c, block_size=8))
    # the weights are what the attention matrices are, written out here
    torch.testing.assert_close(p_soft, torch.softmax(x @ x.T / math.sqrt(8), dim=-1))
    for r in np.linspace(0.05, 0.5, 10):
        assert local_attention_mass(p_soft, r) > local_attention_mass(p_lin, r) + 0.3
    assert local_attention_mass(p_diag, 15 / 64).item() == pytest.approx(1.0, abs=1e-12)
    assert local_attention_mass(p_lin, 0.1).item() < 0.2
# --8<-- [end:test_dilution]


def test_bad_inputs_name_the_argument():
    s, v, g = positive_scores(3), randn(3, 2), randn(3, 2)
    with pytest.raises(ValueError, match="kernel"):
        attention_jacobian(s, "relu")
    with pytest.raises(ValueError, match="s must"):
        attention_jacobian(torch.ones(3, dtype=F64), "exp")
    with pytest.raises(ValueError, match="^s must"):
        scaled_score_grad(s[:, :2], v[:2], g)                 # not square
    with pytest.raises(ValueError, match="^s must"):
        scaled_score_grad(s, randn(4, 2), g)                  # n differs from len(v)
    with pytest.raises(ValueError, match="^s must"):
        scaled_score_grad(torch.ones(3, dtype=F64), v, g)
    with pytest.raises(ValueError, match="^v must"):
        scaled_score_grad(s, torch.ones(3, dtype=F64), g)
    with pytest.raises(ValueError, match="^g must"):
        scaled_score_grad(s, v, torch.ones(3, dtype=F64))
    with pytest.raises(ValueError, match="^v must"):
        norm_grad_bound(None, g)
    with pytest.raises(ValueError, match="p must be a square"):
        local_attention_mass(torch.ones(3, 4), 0.5)
    # valid four-dimensional (batch, heads, n, n) inputs with heads != n pass the checks; a
    # batched product may sum in another order than the unbatched one, so equal to rounding
    s4 = positive_scores(3).expand(1, 2, 3, 3)
    v4, g4 = v.expand(1, 2, 3, 2), g.expand(1, 2, 3, 2)
    torch.testing.assert_close(scaled_score_grad(s4, v4, g4)[0, 1], scaled_score_grad(s, v, g),
                               rtol=1e-14, atol=1e-15)
    p4 = torch.softmax(s4, dim=-1)
    assert local_attention_mass(p4, 0.5).shape == (1, 2)
    # one-dimensional input is a single row for the norms
    torch.testing.assert_close(srms_norm(v[0]), srms_norm(v)[0], rtol=1e-14, atol=1e-15)
    torch.testing.assert_close(rms_norm(v[0]), rms_norm(v)[0], rtol=1e-14, atol=1e-15)
    with pytest.raises(ValueError, match="g must"):
        scaled_score_grad(s, v, g[:, :1])
    with pytest.raises(ValueError, match="v must"):
        norm_score_grad(s, [1.0], g)
    with pytest.raises(ValueError, match="eps"):
        norm_score_grad(s, v, g, eps=0.0)
    with pytest.raises(ValueError, match="eps"):
        srms_norm(v, eps=-1.0)
    with pytest.raises(ValueError, match="eps"):
        rms_norm(v, eps=0.0)
    with pytest.raises(ValueError, match="x must"):
        srms_norm([1.0, 2.0])
    with pytest.raises(ValueError, match="x must"):
        rms_norm(np.ones(3))
    with pytest.raises(ValueError, match="g must"):
        norm_grad_bound(v, None)
    with pytest.raises(ValueError, match="eps"):
        norm_grad_bound(v, g, eps=0)
    with pytest.raises(ValueError, match="norm must"):
        norm_grad_bound(v, g, norm="layer")
    with pytest.raises(ValueError, match="q must"):
        norm_attention(torch.ones(3), v, v)
    with pytest.raises(ValueError, match="k must"):
        norm_attention(v, None, v)
    with pytest.raises(ValueError, match="v must"):
        norm_attention(v, v, None)
    with pytest.raises(ValueError, match="block_size"):
        diag_attention(v, v, v, block_size=0)
    with pytest.raises(ValueError, match="block_size"):
        diag_attention(v, v, v, block_size=True)
    with pytest.raises(ValueError, match="block_size"):
        diag_attention(v, v, v, block_size=2.0)
    with pytest.raises(ValueError, match="q must"):
        diag_attention(torch.ones(3), v, v, block_size=2)
    with pytest.raises(ValueError, match="same length"):
        diag_attention(v, randn(4, 2), v, block_size=2)
    with pytest.raises(ValueError, match="q must"):
        attention_matrix(None, v, softmax_attention)
    with pytest.raises(ValueError, match="p must"):
        local_attention_mass(torch.ones(3), 0.5)
    with pytest.raises(ValueError, match="r must"):
        local_attention_mass(s, 1.5)
    with pytest.raises(ValueError, match="r must"):
        local_attention_mass(s, -0.1)
