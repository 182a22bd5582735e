"""Checks of attention/linear-attention: every key equation against something independent.

Independent references used here: torch's own scaled_dot_product_attention; explicit
per-row loops in NumPy that follow the papers' equations term by term (Vaswani et al. eq. 1,
Katharopoulos et al. eqs. 3-5 and 8); the masked quadratic form against the recurrence;
piecewise definitions of elu written out by hand; torch's FlopCounterMode, which counts the
floating-point operations of every matrix product actually executed (2 per multiply-add);
brute-force scans and pair counts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from snippets.attention.linear_attention import (
    causal_linear_attention,
    elu_feature_map,
    general_attention,
    kernel_attention,
    linear_attention,
    linear_attention_macs,
    macs_crossover,
    softmax_attention,
    softmax_attention_macs,
    softmax_qk_attention,
    sparse_attention,
    sparse_attention_macs,
    strided_masks,
)

TOL = 1e-10  # float64 identities (CONTRIBUTING C2)


def qkv(*lead, n=7, m=None, d=4, d_v=3, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    m = n if m is None else m
    q = scale * torch.randn(*lead, n, d, generator=g, dtype=torch.float64)
    k = scale * torch.randn(*lead, m, d, generator=g, dtype=torch.float64)
    v = torch.randn(*lead, m, d_v, generator=g, dtype=torch.float64)
    return q, k, v


def np_softmax_rows(q, k, v, allowed=None):
    """Vaswani et al. eq. (1), one query at a time, over the allowed keys only."""
    q, k, v = (np.asarray(x) for x in (q, k, v))
    out = np.zeros((q.shape[0], v.shape[1]))
    for i in range(q.shape[0]):
        js = range(k.shape[0]) if allowed is None else allowed(i)
        js = list(js)
        s = np.array([q[i] @ k[j] / math.sqrt(q.shape[1]) for j in js])
        w = np.exp(s - s.max())
        w /= w.sum()
        out[i] = sum(w_j * v[j] for w_j, j in zip(w, js))
    return out


def np_elu1(x):
    """elu(x) + 1 written piecewise: x + 1 for x > 0, exp(x) for x <= 0."""
    x = np.asarray(x)
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def np_kernel_rows(q, k, v, causal=False):
    """Katharopoulos et al. eq. (4) (eq. (8) when causal): explicit double loop."""
    fq, fk, v = np_elu1(q), np_elu1(k), np.asarray(v)
    out = np.zeros((fq.shape[0], v.shape[1]))
    for i in range(fq.shape[0]):
        js = range(i + 1) if causal else range(fk.shape[0])
        num = sum((fq[i] @ fk[j]) * v[j] for j in js)
        den = sum(fq[i] @ fk[j] for j in js)
        out[i] = num / den
    return out


def exp_sim(q, k):
    """sim(q, k) = exp(qᵀk/√d), the similarity that makes eq. 3 softmax attention."""
    return torch.exp(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]))


def flops(fn, *args, **kwargs):
    with FlopCounterMode(display=False) as counter:
        fn(*args, **kwargs)
    return counter.get_total_flops()


# --8<-- [start:test_softmax_attention]
@pytest.mark.formula("eq-softmax-attention")
def test_softmax_attention_equals_torch_and_the_row_loop():
    # torch's fused reference (its default scale is 1/sqrt(d)), batched over (B, H)
    q, k, v = qkv(2, 3, n=9, d=5, d_v=4)
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    assert torch.allclose(softmax_attention(q, k, v), ref, atol=TOL, rtol=0)
    ref_c = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert torch.allclose(softmax_attention(q, k, v, causal=True), ref_c, atol=TOL, rtol=0)
    # and one head against eq. (1) written out row by row, with n != m (cross-attention)
    q, k, v = qkv(n=5, m=8, d=3, d_v=2, seed=1)
    ref = np_softmax_rows(q, k, v)
    assert np.allclose(softmax_attention(q, k, v).numpy(), ref, atol=TOL, rtol=0)
    q, k, v = qkv(n=6, seed=2)
    causal_ref = np_softmax_rows(q, k, v, allowed=lambda i: range(i + 1))
    assert np.allclose(softmax_attention(q, k, v, causal=True).numpy(), causal_ref,
                       atol=TOL, rtol=0)
# --8<-- [end:test_softmax_attention]


@pytest.mark.formula("eq-softmax-attention")
def test_softmax_attention_rows_are_convex_combinations_of_values():
    # each output row lies in the convex hull of the values: inside [min v, max v] per column
    q, k, v = qkv(n=11, d=6, d_v=5, seed=3, scale=3.0)
    out = softmax_attention(q, k, v)
    assert torch.all(out <= v.max(0).values + TOL) and torch.all(out >= v.min(0).values - TOL)
    # the causal first row sees only key 0: it is v_0 exactly
    assert torch.allclose(softmax_attention(q, k, v, causal=True)[0], v[0], atol=TOL, rtol=0)


@pytest.mark.formula("eq-softmax-attention")
def test_dot_product_of_unit_variance_vectors_has_variance_d():
    # the page's reason for 1/√d: q, k with independent N(0, 1) entries give Var(qᵀk) = d.
    # Monte Carlo, N samples; E[(qᵀk)^4] = 3d² + 6d, so Var(s²) ≈ (2d² + 6d)/N
    n_samples, z = 20_000, 4.5
    rng = np.random.default_rng(0)
    for d in (4, 64):
        x = (rng.standard_normal((n_samples, d)) * rng.standard_normal((n_samples, d))).sum(1)
        se = math.sqrt((2 * d * d + 6 * d) / n_samples)
        assert abs(x.var() - d) <= z * se
        # after dividing by √d the variance is 1, whatever d
        assert abs((x / math.sqrt(d)).var() - 1) <= z * se / d


# --8<-- [start:test_general_attention]
@pytest.mark.formula("eq-general-attention")
def test_general_form_with_exp_similarity_is_softmax_attention():
    # eq. 3 with sim = exp(qᵀk/√d) against torch's softmax attention, batched and n != m
    q, k, v = qkv(2, 4, n=6, m=9, d=5, d_v=3, seed=4)
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    assert torch.allclose(general_attention(q, k, v, exp_sim), ref, atol=TOL, rtol=0)
    # with a plain non-negative similarity, eq. 3 against an explicit weighted mean
    q, k, v = qkv(n=4, m=5, d=3, d_v=2, seed=5)

    def sq_sim(a, b):
        return (a @ b.transpose(-1, -2)) ** 2                 # (qᵀk)², non-negative

    out = general_attention(q, k, v, sq_sim).numpy()
    for i in range(4):
        w = np.array([float(q[i] @ k[j]) ** 2 for j in range(5)])
        assert np.allclose(out[i], (w[:, None] * v.numpy()).sum(0) / w.sum(), atol=TOL)
# --8<-- [end:test_general_attention]


@pytest.mark.formula("eq-general-attention")
def test_general_form_is_invariant_to_scaling_the_similarity():
    # the normaliser: multiplying every sim(q_i, ·) by c_i > 0 leaves row i unchanged
    q, k, v = qkv(n=5, seed=6)
    c = torch.tensor([0.5, 2.0, 3.0, 7.0, 0.1], dtype=torch.float64)[:, None]
    out = general_attention(q, k, v, exp_sim)
    scaled = general_attention(q, k, v, lambda a, b: c * exp_sim(a, b))
    assert torch.allclose(out, scaled, atol=TOL, rtol=0)


# --8<-- [start:test_kernel_attention]
@pytest.mark.formula("eq-kernel-attention")
def test_kernel_form_equals_the_explicit_double_sum():
    # Katharopoulos eq. (4) with φ = elu + 1, term by term, non-causal and causal (eq. 8)
    q, k, v = qkv(n=6, d=4, d_v=3, seed=7)
    assert np.allclose(kernel_attention(q, k, v, elu_feature_map).numpy(),
                       np_kernel_rows(q, k, v), atol=TOL, rtol=0)
    assert np.allclose(kernel_attention(q, k, v, elu_feature_map, causal=True).numpy(),
                       np_kernel_rows(q, k, v, causal=True), atol=TOL, rtol=0)
    # and it is the general form with sim(q, k) = φ(q)ᵀφ(k)
    def phi_sim(a, b):
        return elu_feature_map(a) @ elu_feature_map(b).transpose(-1, -2)
    q, k, v = qkv(3, n=5, m=8, seed=8)
    assert torch.allclose(kernel_attention(q, k, v, elu_feature_map),
                          general_attention(q, k, v, phi_sim), atol=TOL, rtol=0)
# --8<-- [end:test_kernel_attention]


# --8<-- [start:test_associativity]
@pytest.mark.formula("eq-associativity")
def test_associative_form_equals_the_quadratic_form_batched_and_per_head():
    # (B, H, n, d): the associative form against the quadratic form with the same kernel
    q, k, v = qkv(2, 3, n=10, m=12, d=4, d_v=5, seed=9)
    quad = kernel_attention(q, k, v, elu_feature_map)
    lin = linear_attention(q, k, v, elu_feature_map)
    assert lin.shape == (2, 3, 10, 5)
    assert torch.allclose(lin, quad, atol=TOL, rtol=0)
    # per head, one (n, d) slice at a time, against the explicit double sum of eq. (4)
    for b in range(2):
        for h in range(3):
            ref = np_kernel_rows(q[b, h], k[b, h], v[b, h])
            assert np.allclose(linear_attention(q[b, h], k[b, h], v[b, h],
                                                elu_feature_map).numpy(), ref, atol=TOL)
# --8<-- [end:test_associativity]


@pytest.mark.formula("eq-associativity")
@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 9), m=st.integers(1, 9), d=st.integers(1, 5),
       d_v=st.integers(1, 4), seed=st.integers(0, 2**31 - 1))
def test_associative_form_equals_quadratic_form_for_all_shapes(n, m, d, d_v, seed):
    q, k, v = qkv(n=n, m=m, d=d, d_v=d_v, seed=seed, scale=2.0)
    assert torch.allclose(linear_attention(q, k, v, elu_feature_map),
                          kernel_attention(q, k, v, elu_feature_map), atol=1e-9, rtol=0)


@pytest.mark.formula("eq-associativity")
def test_associative_form_with_a_feature_map_that_changes_the_width():
    # r != d: φ(x) = [x², 1] has r = d + 1; the middle matrix φ(K)ᵀV is (r, d_v)
    def phi(x):
        return torch.cat([x * x, torch.ones_like(x[..., :1])], dim=-1)
    q, k, v = qkv(2, n=6, m=7, d=3, d_v=2, seed=10)
    assert torch.allclose(linear_attention(q, k, v, phi), kernel_attention(q, k, v, phi),
                          atol=TOL, rtol=0)


# --8<-- [start:test_elu_feature_map]
@pytest.mark.formula("eq-elu-feature-map")
def test_elu_plus_one_is_positive_with_a_nonzero_gradient():
    x = torch.linspace(-30, 5, 701, dtype=torch.float64, requires_grad=True)
    y = elu_feature_map(x)
    assert np.allclose(y.detach().numpy(), np_elu1(x.detach().numpy()), atol=TOL, rtol=0)
    assert torch.all(y > 0)
    (grad,) = torch.autograd.grad(y.sum(), x)
    # derivative written by hand: 1 for x > 0, exp(x) for x <= 0; never 0
    xs = x.detach().numpy()
    assert np.allclose(grad.numpy(), np.where(xs > 0, 1.0, np.exp(np.minimum(xs, 0))),
                       atol=TOL, rtol=0)
    assert torch.all(grad > 0)
    # relu + 1 is positive too, but its gradient vanishes on the negative side
    (grad_relu,) = torch.autograd.grad((torch.relu(x) + 1).sum(), x)
    assert torch.all(grad_relu[x < 0] == 0)
# --8<-- [end:test_elu_feature_map]


@pytest.mark.formula("eq-elu-feature-map")
def test_elu_kernel_makes_every_denominator_positive():
    # φ(q)ᵀφ(k) > 0 for all pairs, so the normaliser of eq. (5) never vanishes, even when
    # softmax's scores would be very negative
    q, k, v = qkv(3, n=20, d=8, seed=11, scale=6.0)
    sim = elu_feature_map(q) @ elu_feature_map(k).transpose(-1, -2)
    assert torch.all(sim > 0)
    assert torch.isfinite(linear_attention(q, k, v, elu_feature_map)).all()


def test_elu_feature_map_bad_input():
    with pytest.raises(ValueError, match="^x must be a torch tensor"):
        elu_feature_map(np.zeros(3))


# --8<-- [start:test_softmax_qk]
@pytest.mark.formula("eq-softmax-qk")
def test_softmax_on_q_and_k_is_a_weighted_mean_with_explicit_weights():
    # weights written out: a_ij = Σ_c softmax(q_i)_c · exp(k_jc) / Σ_j' exp(k_j'c)
    q, k, v = qkv(n=5, m=7, d=4, d_v=3, seed=18, scale=2.0)
    qn, kn, vn = q.numpy(), k.numpy(), v.numpy()
    rho_q = np.exp(qn) / np.exp(qn).sum(1, keepdims=True)
    rho_k = np.exp(kn) / np.exp(kn).sum(0, keepdims=True)
    a = np.array([[sum(rho_q[i, c] * rho_k[j, c] for c in range(4)) for j in range(7)]
                  for i in range(5)])
    assert np.allclose(a.sum(1), 1.0, atol=TOL)             # no normaliser needed
    assert np.allclose(softmax_qk_attention(q, k, v).numpy(), a @ vn, atol=TOL, rtol=0)
    # batched: each head on its own
    q, k, v = qkv(2, 3, n=6, d=4, d_v=2, seed=19)
    out = softmax_qk_attention(q, k, v)
    for b in range(2):
        for h in range(3):
            assert torch.allclose(out[b, h], softmax_qk_attention(q[b, h], k[b, h], v[b, h]),
                                  atol=TOL, rtol=0)
# --8<-- [end:test_softmax_qk]


@pytest.mark.formula("eq-softmax-qk")
def test_softmax_on_q_and_k_differs_from_softmax_attention():
    q, k, v = qkv(n=6, d=4, seed=20)
    assert (softmax_qk_attention(q, k, v) - softmax_attention(q, k, v)).abs().max() > 0.05


# --8<-- [start:test_causal_rnn]
@pytest.mark.formula("eq-causal-rnn")
def test_recurrent_form_equals_the_masked_quadratic_form():
    # batched (B, H, n, d): the prefix-sum recurrence against the masked quadratic form
    q, k, v = qkv(2, 3, n=9, d=4, d_v=5, seed=12)
    rnn = causal_linear_attention(q, k, v, elu_feature_map)
    assert rnn.shape == (2, 3, 9, 5)
    assert torch.allclose(rnn, kernel_attention(q, k, v, elu_feature_map, causal=True),
                          atol=TOL, rtol=0)
    # one head against the explicit double sum of eq. (8) (j <= i)
    assert np.allclose(rnn[1, 2].numpy(), np_kernel_rows(q[1, 2], k[1, 2], v[1, 2], True),
                       atol=TOL, rtol=0)
# --8<-- [end:test_causal_rnn]


@pytest.mark.formula("eq-causal-rnn")
@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 8), d=st.integers(1, 4), d_v=st.integers(1, 3),
       heads=st.integers(1, 2), seed=st.integers(0, 2**31 - 1))
def test_recurrent_form_equals_masked_form_for_all_shapes(n, d, d_v, heads, seed):
    q, k, v = qkv(heads, n=n, d=d, d_v=d_v, seed=seed, scale=2.0)
    assert torch.allclose(causal_linear_attention(q, k, v, elu_feature_map),
                          kernel_attention(q, k, v, elu_feature_map, causal=True),
                          atol=1e-9, rtol=0)


@pytest.mark.formula("eq-causal-rnn")
def test_recurrent_state_is_the_prefix_sum():
    # the last output is φ(q_n)ᵀS_n / φ(q_n)ᵀz_n with S_n = φ(K)ᵀV and z_n = Σ φ(k_j):
    # the full associative form's last row; the first output is v_1 exactly
    q, k, v = qkv(n=8, seed=13)
    rnn = causal_linear_attention(q, k, v, elu_feature_map)
    fq, fk = elu_feature_map(q), elu_feature_map(k)
    S, z = fk.T @ v, fk.sum(0)
    assert torch.allclose(rnn[-1], (fq[-1] @ S) / (fq[-1] @ z), atol=TOL, rtol=0)
    assert torch.allclose(rnn[0], v[0], atol=TOL, rtol=0)


@pytest.mark.formula("eq-causal-rnn")
def test_recurrent_outputs_do_not_see_the_future():
    # changing tokens after position i leaves outputs 1..i unchanged
    q, k, v = qkv(n=10, seed=14)
    q2, k2, v2 = q.clone(), k.clone(), v.clone()
    q2[6:], k2[6:], v2[6:] = 5.0, -3.0, 9.0
    a = causal_linear_attention(q, k, v, elu_feature_map)
    b = causal_linear_attention(q2, k2, v2, elu_feature_map)
    assert torch.allclose(a[:6], b[:6], atol=TOL, rtol=0)
    assert not torch.allclose(a[6:], b[6:])


def test_causal_forms_need_as_many_queries_as_keys():
    q, k, v = qkv(n=4, m=5)
    for fn in (lambda: causal_linear_attention(q, k, v, elu_feature_map),
               lambda: kernel_attention(q, k, v, elu_feature_map, causal=True),
               lambda: softmax_attention(q, k, v, causal=True)):
        with pytest.raises(ValueError, match="^causal attention needs as many queries"):
            fn()


@pytest.mark.parametrize("fn", [
    softmax_attention,
    lambda q, k, v: general_attention(q, k, v, exp_sim),
    lambda q, k, v: kernel_attention(q, k, v, elu_feature_map),
    lambda q, k, v: linear_attention(q, k, v, elu_feature_map),
    lambda q, k, v: causal_linear_attention(q, k, v, elu_feature_map),
    softmax_qk_attention,
    lambda q, k, v: sparse_attention(q, k, v, torch.ones(3, 3, dtype=torch.bool)),
])
def test_attention_bad_input(fn):
    q, k, v = qkv(n=3)
    with pytest.raises(ValueError, match="^q must be a torch tensor"):
        fn(q.numpy(), k, v)
    with pytest.raises(ValueError, match="^k must be a torch tensor"):
        fn(q, k[0], v)
    with pytest.raises(ValueError, match="^v must be a torch tensor"):
        fn(q, k, [1.0])
    with pytest.raises(ValueError,
                       match="^q and k must have the same last dimension, got 4 and 2$"):
        fn(q, k[:, :2], v)
    with pytest.raises(ValueError, match="^k and v must have the same length n, got 3 and 2$"):
        fn(q, k, v[:2])
    # with leading dimensions, the message names the last dimensions
    q3, k3, v3 = qkv(2, n=3, d=4)
    with pytest.raises(ValueError,
                       match="^q and k must have the same last dimension, got 4 and 2$"):
        fn(q3, k3[..., :2], v3)


# --8<-- [start:test_op_counts]
@pytest.mark.formula("eq-op-counts")
def test_multiply_adds_match_torch_flop_counter():
    # FlopCounterMode counts 2 flops per multiply-add of every matmul the code executes
    for n, d, d_v in ((16, 4, 3), (33, 8, 8), (64, 5, 7)):
        q, k, v = qkv(n=n, d=d, d_v=d_v, seed=n)
        assert flops(softmax_attention, q, k, v) == 2 * softmax_attention_macs(n, d, d_v)
        # the quadratic kernel form has r = d features here (elu + 1 keeps the width)
        assert (flops(kernel_attention, q, k, v, elu_feature_map)
                == 2 * softmax_attention_macs(n, d, d_v))
        assert (flops(linear_attention, q, k, v, elu_feature_map)
                == 2 * linear_attention_macs(n, d, d_v))
    # batched: B·H heads, each with the per-head count
    q, k, v = qkv(2, 3, n=20, d=4, d_v=6)
    assert flops(linear_attention, q, k, v, elu_feature_map) == 6 * 2 * linear_attention_macs(
        20, 4, 6)
    assert flops(softmax_attention, q, k, v) == 6 * 2 * softmax_attention_macs(20, 4, 6)
# --8<-- [end:test_op_counts]


@pytest.mark.formula("eq-op-counts")
def test_counts_grow_quadratically_and_linearly():
    # doubling n multiplies the quadratic count by exactly 4 and the linear count by 2
    for n in (10, 100, 1000):
        assert softmax_attention_macs(2 * n, 64, 32) == 4 * softmax_attention_macs(n, 64, 32)
        assert linear_attention_macs(2 * n, 64, 32) == 2 * linear_attention_macs(n, 64, 32)
    # with r = d = d_v the ratio quadratic / linear is n(2d) / (2d² + d) = 2n / (2d + 1)
    for n in (1024, 4096):
        ratio = softmax_attention_macs(n, 64, 64) / linear_attention_macs(n, 64, 64)
        assert ratio == pytest.approx(2 * n / 129, rel=1e-12)


@pytest.mark.formula("eq-op-counts")
@pytest.mark.parametrize("d, d_v, r", [(64, 64, 64), (64, 64, 256), (16, 32, 8), (1, 1, 1),
                                       (3, 5, 7), (8, 8, 100)])
def test_crossover_is_the_first_length_where_linear_is_cheaper(d, d_v, r):
    # "linear attention needs fewer multiply-adds if and only if n >= n*", by brute force
    n_star = macs_crossover(d, d_v, r)
    for n in range(1, 4 * n_star + 10):
        cheaper = linear_attention_macs(n, r, d_v) < softmax_attention_macs(n, d, d_v)
        assert cheaper == (n >= n_star), n


# --8<-- [start:test_sparse_attention]
@pytest.mark.formula("eq-sparse-attention")
def test_sparse_attention_equals_per_row_softmax_over_the_allowed_keys():
    n, stride = 13, 4
    local, strided = strided_masks(n, stride)
    # the two heads written out from Child et al.'s definitions
    for i in range(n):
        assert set(torch.nonzero(local[i]).flatten().tolist()) == set(
            range(max(0, i - stride), i + 1))
        assert set(torch.nonzero(strided[i]).flatten().tolist()) == {
            j for j in range(i + 1) if (i - j) % stride == 0}
    q, k, v = qkv(2, n=n, d=5, d_v=3, seed=15)
    for mask in (local, strided, local | strided):
        out = sparse_attention(q, k, v, mask)
        for b in range(2):
            ref = np_softmax_rows(q[b], k[b], v[b],
                                  allowed=lambda i: torch.nonzero(mask[i]).flatten().tolist())
            assert np.allclose(out[b].numpy(), ref, atol=TOL, rtol=0)
    # the full causal mask gives causal softmax attention
    full = torch.ones(n, n, dtype=torch.bool).tril()
    assert torch.allclose(sparse_attention(q, k, v, full), softmax_attention(q, k, v, True),
                          atol=TOL, rtol=0)
# --8<-- [end:test_sparse_attention]


@pytest.mark.formula("eq-sparse-attention")
def test_sparse_attention_with_one_mask_per_batch_element():
    # a (B, n, n) mask: element b of the batch uses its own pattern
    n = 9
    local, strided = strided_masks(n, 3)
    q, k, v = qkv(2, n=n, seed=17)
    out = sparse_attention(q, k, v, torch.stack([local, strided]))
    assert torch.allclose(out[0], sparse_attention(q[0], k[0], v[0], local), atol=TOL)
    assert torch.allclose(out[1], sparse_attention(q[1], k[1], v[1], strided), atol=TOL)


@pytest.mark.formula("eq-sparse-attention")
def test_sparse_attention_cost_is_n_times_the_window():
    # counted by FlopCounterMode on a loop that computes only the allowed pairs of each row
    n, stride, d, d_v = 40, 6, 4, 3
    q, k, v = qkv(n=n, d=d, d_v=d_v, seed=16)
    local, _ = strided_masks(n, stride)

    def rows_only(q, k, v, mask):
        for i in range(q.shape[0]):
            js = torch.nonzero(mask[i]).flatten()
            w = torch.softmax(q[i : i + 1] @ k[js].T / math.sqrt(d), -1)
            w @ v[js]

    assert flops(rows_only, q, k, v, local) == 2 * sparse_attention_macs(local, d, d_v)
    # the local head has l + 1 keys per row once i >= l: n(l + 1) - l(l + 1)/2 pairs
    pairs = n * (stride + 1) - stride * (stride + 1) // 2
    assert sparse_attention_macs(local, d, d_v) == pairs * (d + d_v)
    assert sparse_attention_macs(local, d, d_v) <= n * (stride + 1) * (d + d_v)


@pytest.mark.formula("eq-sparse-attention")
@pytest.mark.parametrize("n", [64, 256, 1024])
def test_strided_pattern_with_stride_sqrt_n_costs_order_n_sqrt_n(n):
    # Child et al.: l ≈ √n; each row sees at most (l + 1) + (i // l + 1) keys, so the union
    # of the two heads has at most n(2√n + 2) pairs, against n(n + 1)/2 for full causal
    stride = math.isqrt(n)
    local, strided = strided_masks(n, stride)
    pairs = int((local | strided).sum())
    brute = sum(len(set(range(max(0, i - stride), i + 1))
                    | {j for j in range(i % stride, i + 1, stride)}) for i in range(n))
    assert pairs == brute
    assert pairs <= n * (2 * stride + 2)


@pytest.mark.formula("eq-sparse-attention")
@pytest.mark.parametrize("n, stride", [(16, 4), (50, 7), (64, 8), (30, 1), (9, 12)])
def test_every_earlier_token_reaches_every_later_one_in_two_steps(n, stride):
    # the page: j reaches i through some a with j in A_a^(1) (local) and a in A_i^(2)
    # (strided). The relation "strided after local" (a product of 0/1 matrices counts the
    # a's) must cover the whole causal triangle; the page's witness a is checked too.
    local, strided = strided_masks(n, stride)
    paths = strided.numpy().astype(int) @ local.numpy().astype(int)   # [i, j] = #a
    assert np.all(paths[np.tril_indices(n)] >= 1)
    for i in range(n):
        for j in range(i + 1):
            a = j + (i - j) % stride          # smallest a >= j with a ≡ i (mod l)
            assert j <= a <= i and bool(local[a, j]) and bool(strided[i, a]), (i, j)
    # neither head alone does (once the stride leaves something out)
    if 1 < stride < n - 1:
        full = torch.ones(n, n, dtype=torch.bool).tril()
        assert not torch.equal(local, full) and not torch.equal(strided, full)


def test_sparse_and_count_bad_input():
    q, k, v = qkv(n=3)
    with pytest.raises(ValueError, match="^mask must be a boolean torch tensor"):
        sparse_attention(q, k, v, torch.ones(3, 3))
    with pytest.raises(ValueError, match=r"^mask must have shape \(n, m\) = \(3, 3\)"):
        sparse_attention(q, k, v, torch.ones(3, 2, dtype=torch.bool))
    empty = torch.ones(3, 3, dtype=torch.bool)
    empty[1] = False
    with pytest.raises(ValueError, match="^mask must let every query see"):
        sparse_attention(q, k, v, empty)
    # a batch of masks: query 1 of the first one sees nothing, although every key is seen
    batch = torch.ones(2, 3, 3, dtype=torch.bool)
    batch[0, 1] = False
    with pytest.raises(ValueError, match="^mask must let every query see"):
        sparse_attention(q, k, v, batch)
    with pytest.raises(ValueError, match="^mask must be a boolean torch tensor"):
        sparse_attention_macs(np.ones((2, 2), dtype=bool), 1, 1)
    for call, name in ((lambda x: strided_masks(x, 2), "n"), (lambda x: strided_masks(4, x),
                                                              "stride"),
                       (lambda x: softmax_attention_macs(x, 1, 1), "n"),
                       (lambda x: softmax_attention_macs(1, x, 1), "d"),
                       (lambda x: softmax_attention_macs(1, 1, x), "d_v"),
                       (lambda x: linear_attention_macs(x, 1, 1), "n"),
                       (lambda x: linear_attention_macs(1, x, 1), "r"),
                       (lambda x: linear_attention_macs(1, 1, x), "d_v"),
                       (lambda x: sparse_attention_macs(empty, x, 1), "d"),
                       (lambda x: sparse_attention_macs(empty, 1, x), "d_v"),
                       (lambda x: macs_crossover(x, 1, 1), "d"),
                       (lambda x: macs_crossover(1, x, 1), "d_v"),
                       (lambda x: macs_crossover(1, 1, x), "r")):
        for bad in (0, 2.0, True):
            with pytest.raises(ValueError, match=f"^{name} must be an integer >= 1"):
                call(bad)
