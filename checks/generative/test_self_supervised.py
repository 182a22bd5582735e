"""Checks of generative/self-supervised: every key equation against something independent.

Independent references used here: torch.nn.functional.cross_entropy (InfoNCE with the
positive as class 0, in-batch InfoNCE with labels 0..N-1, the masked-LM loss with
ignore_index); explicit Python loops (NT-Xent, the in-batch rearrangement, the squared
error); numpy.linalg.eigvalsh of the covariance (the best linear autoencoder); the entropy
formula of a joint Gaussian via slogdet and explicit Gaussian log densities (mutual
information, the optimal critic); explicit KL sums (the Jensen-Shannon value of the GAN);
Monte Carlo with fixed seeds and bounds of a few standard errors computed in the test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from snippets.generative.self_supervised import (
    autoencode,
    critic_matrix,
    gan_value,
    gaussian_mi,
    in_batch_scores,
    infonce_bound,
    infonce_loss,
    linear_autoencoder,
    masked_lm_loss,
    nt_xent_loss,
    optimal_discriminator,
    reconstruction_loss,
    sample_gaussian_pairs,
)

FINITE = st.floats(-5, 5, allow_nan=False)


# --8<-- [start:test_autoencoder]
@pytest.mark.formula("eq-autoencoder")
def test_best_linear_autoencoder_loses_the_discarded_eigenvalues():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 5)) @ rng.standard_normal((5, 5)) + 3.0
    cov = np.cov(x.T, bias=True)  # (1/n) sum (x - mean)(x - mean)^T
    lam = np.sort(np.linalg.eigvalsh(cov))[::-1]
    for k in range(1, 5):
        mu, W = linear_autoencoder(x, k)
        np.testing.assert_allclose(W.T @ W, np.eye(k), atol=1e-10)
        best = reconstruction_loss(x, autoencode(x, mu, W))
        assert best == pytest.approx(lam[k:].sum(), rel=1e-10)
        for _ in range(20):  # any other orthonormal k-dimensional code does no better
            Q, _ = np.linalg.qr(rng.standard_normal((5, k)))
            assert reconstruction_loss(x, autoencode(x, x.mean(0), Q)) >= best - 1e-10
    # k = d: the code keeps everything
    mu, W = linear_autoencoder(x, 5)
    assert reconstruction_loss(x, autoencode(x, mu, W)) == pytest.approx(0, abs=1e-20)
# --8<-- [end:test_autoencoder]


@pytest.mark.formula("eq-autoencoder")
def test_reconstruction_loss_is_the_mean_squared_norm():
    rng = np.random.default_rng(2)
    x, x_hat = rng.standard_normal((2, 7, 3))
    loop = sum(sum((a - b) ** 2 for a, b in zip(r, s)) for r, s in zip(x, x_hat)) / 7
    assert reconstruction_loss(x, x_hat) == pytest.approx(loop, rel=1e-12)
    x3, xh3 = rng.standard_normal((2, 2, 7, 3))  # leading axes: mean over them too
    loop3 = np.mean([[np.sum((a - b) ** 2) for a, b in zip(r, q)] for r, q in zip(x3, xh3)])
    assert reconstruction_loss(x3, xh3) == pytest.approx(loop3, rel=1e-12)


# --8<-- [start:test_masked_lm]
@pytest.mark.formula("eq-masked-lm")
def test_masked_lm_is_cross_entropy_over_masked_positions_only():
    rng = np.random.default_rng(3)
    T, V = 12, 7
    logits = rng.standard_normal((T, V)) * 2
    targets = rng.integers(0, V, T)
    mask = (rng.random(T) < 0.3).astype(int)
    mask[0] = 1
    ignored = np.where(mask == 1, targets, -100)  # torch skips the -100 positions
    ref = F.cross_entropy(torch.tensor(logits), torch.tensor(ignored), ignore_index=-100)
    assert masked_lm_loss(logits, targets, mask) == pytest.approx(ref.item(), rel=1e-12)
    # what the model predicts at visible positions does not enter the loss
    other = logits.copy()
    other[mask == 0] = rng.standard_normal((int((mask == 0).sum()), V)) * 9
    assert masked_lm_loss(other, targets, mask) == pytest.approx(ref.item(), rel=1e-12)
    # a mean over all T positions would be a different number here
    full = F.cross_entropy(torch.tensor(logits), torch.tensor(targets)).item()
    assert abs(full - ref.item()) > 1e-3
    # a batch of sequences, shape (B, T, V): the mean over all masked tokens of the batch
    lb = rng.standard_normal((2, T, V))
    tb = rng.integers(0, V, (2, T))
    mb = np.stack([mask, 1 - mask])
    ref_b = F.cross_entropy(torch.tensor(lb.reshape(-1, V)),
                            torch.tensor(np.where(mb == 1, tb, -100).ravel()))
    assert masked_lm_loss(lb, tb, mb) == pytest.approx(ref_b.item(), rel=1e-12)
# --8<-- [end:test_masked_lm]


# --8<-- [start:test_infonce]
@pytest.mark.formula("eq-infonce")
@settings(deadline=None, max_examples=40)
@given(arrays(float, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=FINITE))
def test_infonce_is_cross_entropy_with_the_positive_as_class_0(scores):
    labels = torch.zeros(scores.shape[0], dtype=torch.long)
    ref = F.cross_entropy(torch.tensor(scores), labels, reduction="none").numpy()
    np.testing.assert_allclose(infonce_loss(scores), ref, rtol=1e-10, atol=1e-12)
# --8<-- [end:test_infonce]


@pytest.mark.formula("eq-infonce")
def test_infonce_is_stable_for_large_scores():
    s = np.array([[1000.0, 999.0, 0.0]])
    expected = math.log(1 + math.exp(-1) + math.exp(-1000))
    assert infonce_loss(s)[0] == pytest.approx(expected, rel=1e-12)
    assert infonce_loss(s - 2000)[0] == pytest.approx(expected, rel=1e-12)
    # rows of very different size: each row is shifted by its own maximum
    two = infonce_loss(np.array([[1000.0, 999.0, 0.0], [0.0, 1.0, -1.0]]))
    np.testing.assert_allclose(two, [expected, math.log(1 + math.e + math.exp(-1))],
                               rtol=1e-12)
    # a single row of K scores, shape (K,)
    assert infonce_loss(np.array([2.0, 0.0])) == pytest.approx(math.log(1 + math.exp(-2)))


# --8<-- [start:test_infonce_in_batch]
@pytest.mark.formula("eq-infonce-bound")
def test_in_batch_infonce_is_cross_entropy_with_labels_on_the_diagonal():
    rng = np.random.default_rng(4)
    C = rng.standard_normal((3, 5, 5)) * 3
    for b in range(3):
        rows = in_batch_scores(C)[b]
        for i in range(5):  # explicit: positive first, then the other columns in turn
            assert list(rows[i]) == [C[b, i, (i + k) % 5] for k in range(5)]
        ce = F.cross_entropy(torch.tensor(C[b]), torch.arange(5)).item()
        assert infonce_bound(C)[b] == pytest.approx(math.log(5) - ce, rel=1e-12)
    C4 = rng.standard_normal((2, 3, 4, 4))  # two leading axes of batches
    ce4 = [[math.log(4) - F.cross_entropy(torch.tensor(C4[a, b]), torch.arange(4)).item()
            for b in range(3)] for a in range(2)]
    np.testing.assert_allclose(infonce_bound(C4), ce4, rtol=1e-12)
# --8<-- [end:test_infonce_in_batch]


@pytest.mark.formula("eq-infonce-bound")
@settings(deadline=None, max_examples=40)
@given(arrays(float, st.sampled_from([(1, 1), (2, 2), (3, 3), (6, 6)]), elements=FINITE))
def test_estimate_never_exceeds_log_n(C):
    n = C.shape[0]
    assert infonce_bound(C) <= math.log(n) + 1e-12
    # a critic bounded by |f| <= 1 gives at most 2 nats, whatever N
    assert infonce_bound(np.clip(C, -1, 1)) <= 2 + 1e-12
    for tau in (0.1, 0.5):  # cos / tau, as in NT-Xent: at most 2 / tau
        assert infonce_bound(np.clip(C, -1, 1) / tau) <= 2 / tau + 1e-12


# --8<-- [start:test_infonce_bound]
@pytest.mark.formula("eq-infonce-bound")
def test_bound_holds_in_expectation_and_tightens_with_the_optimal_critic():
    rho, d, B = 0.8, 2, 400  # I = 1.022 nats; 400 batches per N
    mi = gaussian_mi(rho, d)
    rng = np.random.default_rng(5)
    means = {}
    for n in (4, 16, 64):
        x, y = sample_gaussian_pairs(B, n, d, rho, rng)
        for kind in ("optimal", "bilinear", "cosine"):
            est = infonce_bound(critic_matrix(x, y, rho, kind))
            se = est.std(ddof=1) / math.sqrt(B)
            assert est.mean() - 4 * se <= mi  # E[log N - L] <= I(X; Y)
            assert est.max() <= math.log(n) + 1e-12
            means[n, kind] = est.mean(), se
            if kind == "optimal" and n == 64:  # in expectation only: single batches exceed I
                assert (est > mi).mean() > 0.05
    (m4, s4), (m16, s16), (m64, s64) = (means[n, "optimal"] for n in (4, 16, 64))
    assert m16 - m4 > 4 * math.hypot(s4, s16)  # grows with N ...
    assert m64 - m16 > 4 * math.hypot(s16, s64)
    assert mi - m64 < 0.06 + 4 * s64  # ... to within 0.06 nats of I at N = 64
    for kind in ("bilinear", "cosine"):  # the two other critics stay well below
        assert mi - means[64, kind][0] > 0.5 + 4 * means[64, kind][1]
# --8<-- [end:test_infonce_bound]


@pytest.mark.formula("eq-infonce-bound")
def test_estimate_saturates_at_log_n_when_i_is_large():
    rho, d, B, n = 0.95, 10, 200, 16  # I = 11.7 nats, far above log 16 = 2.77
    rng = np.random.default_rng(6)
    x, y = sample_gaussian_pairs(B, n, d, rho, rng)
    est = infonce_bound(critic_matrix(x, y, rho, "optimal"))
    assert gaussian_mi(rho, d) > 4 * math.log(n)
    assert math.log(n) - est.mean() < 0.02  # pinned at log N, not near I


@pytest.mark.formula("eq-infonce-bound")
def test_optimal_critic_is_the_log_density_ratio():
    rng = np.random.default_rng(7)
    rho, d, n = -0.6, 3, 4
    x, y = sample_gaussian_pairs(1, n, d, rho, rng)
    C = critic_matrix(x, y, rho, "optimal")[0]
    s2 = 1 - rho**2
    for i in range(n):
        for j in range(n):
            log_cond = sum(-0.5 * math.log(2 * math.pi * s2)
                           - (y[0, j, k] - rho * x[0, i, k]) ** 2 / (2 * s2) for k in range(d))
            log_marg = sum(-0.5 * math.log(2 * math.pi) - y[0, j, k] ** 2 / 2
                           for k in range(d))
            assert C[i, j] == pytest.approx(log_cond - log_marg, rel=1e-12, abs=1e-12)
            xy = sum(x[0, i, k] * y[0, j, k] for k in range(d))
            bil = critic_matrix(x, y, rho, "bilinear")[0, i, j]
            assert bil == pytest.approx(rho * xy / s2, rel=1e-12, abs=1e-12)
            cos = xy / (np.linalg.norm(x[0, i]) * np.linalg.norm(y[0, j]))
            assert critic_matrix(x, y, rho, "cosine")[0, i, j] == pytest.approx(cos, rel=1e-12)


# --8<-- [start:test_gaussian_mi]
@pytest.mark.formula("eq-gaussian-mi")
def test_gaussian_mi_against_entropies_and_monte_carlo():
    for rho, d in ((0.8, 2), (-0.3, 1), (0.95, 4)):
        joint = np.block([[np.eye(d), rho * np.eye(d)], [rho * np.eye(d), np.eye(d)]])
        # I = h(X) + h(Y) - h(X, Y) = -(1/2) log det(joint) for unit marginals
        assert gaussian_mi(rho, d) == pytest.approx(-0.5 * np.linalg.slogdet(joint)[1],
                                                    rel=1e-12)
    rng = np.random.default_rng(8)
    x, y = sample_gaussian_pairs(1, 20_000, 2, 0.8, rng)  # 20,000 pairs
    np.testing.assert_allclose(np.corrcoef(x[0, :, 0], y[0, :, 0])[0, 1], 0.8, atol=0.01)
    # I = E[log p(y|x)/p(y)] over the joint: the mean of the optimal critic at (x_i, y_i)
    xx, yy, xy = (x**2).sum(-1), (y**2).sum(-1), (x * y).sum(-1)
    s2 = 1 - 0.8**2
    ratio = (0.8 * xy - 0.32 * (xx + yy)) / s2 - math.log(s2)
    se = ratio.std(ddof=1) / math.sqrt(ratio.size)
    assert abs(ratio.mean() - gaussian_mi(0.8, 2)) < 4 * se
    diag = np.diagonal(critic_matrix(x[:, :5], y[:, :5], 0.8), axis1=-2, axis2=-1)
    np.testing.assert_allclose(diag[0], ratio[0, :5], rtol=1e-12)
# --8<-- [end:test_gaussian_mi]


def explicit_nt_xent(z1, z2, tau):
    """SimCLR's loss written out: every anchor, its partner and the 2N - 2 negatives."""
    views = [np.asarray(v, float) for v in list(z1) + list(z2)]
    n2 = len(views)

    def sim(a, b):
        return float(a @ b) / math.sqrt(float(a @ a) * float(b @ b)) / tau

    total = 0.0
    for a in range(n2):
        partner = (a + n2 // 2) % n2
        denom = sum(math.exp(sim(views[a], views[b])) for b in range(n2) if b != a)
        total += -math.log(math.exp(sim(views[a], views[partner])) / denom)
    return total / n2


# --8<-- [start:test_nt_xent]
@pytest.mark.formula("eq-nt-xent")
@settings(deadline=None, max_examples=30)
@given(st.integers(1, 5), st.integers(1, 4), st.sampled_from([0.1, 0.5, 1.0, 2.0]),
       st.integers(0, 10_000))
def test_nt_xent_against_an_explicit_loop(n, dim, tau, seed):
    rng = np.random.default_rng(seed)
    z1 = rng.standard_normal((n, dim)) * 3 + 0.1
    z2 = z1 + rng.standard_normal((n, dim))
    assert nt_xent_loss(z1, z2, tau) == pytest.approx(explicit_nt_xent(z1, z2, tau),
                                                      rel=1e-9)
# --8<-- [end:test_nt_xent]


@pytest.mark.formula("eq-nt-xent")
def test_nt_xent_default_temperature_and_scale_invariance():
    rng = np.random.default_rng(9)
    z1, z2 = rng.standard_normal((2, 4, 3))
    assert nt_xent_loss(z1, z2) == pytest.approx(explicit_nt_xent(z1, z2, 0.5), rel=1e-12)
    # keeping the anchor itself in the denominator (cos = 1) makes every l_a larger
    u = np.concatenate([z1, z2])
    u = u / np.linalg.norm(u, axis=1, keepdims=True)
    s_all = u @ u.T / 0.5
    partner = [(a + 4) % 8 for a in range(8)]
    with_self = np.mean([np.log(np.exp(s_all[a]).sum()) - s_all[a, partner[a]]
                         for a in range(8)])
    assert with_self > nt_xent_loss(z1, z2) + 0.1
    # cosine similarity: rescaling a view changes nothing
    assert nt_xent_loss(5 * z1, z2, 0.2) == pytest.approx(nt_xent_loss(z1, z2, 0.2), rel=1e-12)
    # two identical views of orthogonal examples: 2N - 2 = 4 negatives at cos 0
    e = np.eye(3)
    expected = -math.log(math.exp(2) / (math.exp(2) + 4))
    assert nt_xent_loss(e, e, 0.5) == pytest.approx(expected, rel=1e-12)


# --8<-- [start:test_gan]
@pytest.mark.formula("eq-gan-discriminator")
def test_optimal_discriminator_maximises_v_and_gives_jensen_shannon():
    rng = np.random.default_rng(10)
    for _ in range(10):
        p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
        d_star = optimal_discriminator(p, q)
        best = gan_value(p, q, d_star)
        m = (p + q) / 2
        js = 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m))
        assert best == pytest.approx(2 * js - math.log(4), rel=1e-12)
        assert best > -math.log(4)  # JS > 0 when p_g differs from p_data
        for _ in range(50):  # any other discriminator does worse
            other = np.clip(d_star + rng.normal(0, 0.05, 6), 1e-6, 1 - 1e-6)
            assert gan_value(p, q, other) < best
        h = 1e-6  # central differences: dV/dD(x) = 0 at D*
        for i in range(6):
            up, down = d_star.copy(), d_star.copy()
            up[i] += h
            down[i] -= h
            grad = (gan_value(p, q, up) - gan_value(p, q, down)) / (2 * h)
            assert abs(grad) < 1e-6  # central difference error O(h^2) times V'''
    # generator equal to the data: D* = 1/2 everywhere and V = -log 4
    p = rng.dirichlet(np.ones(4))
    np.testing.assert_allclose(optimal_discriminator(p, p), 0.5, rtol=1e-15)
    assert gan_value(p, p, optimal_discriminator(p, p)) == pytest.approx(-math.log(4))
# --8<-- [end:test_gan]


def test_bad_inputs_name_the_argument():
    x = np.ones((3, 2))
    with pytest.raises(ValueError, match="x must"):
        reconstruction_loss(np.ones(3), x)
    with pytest.raises(ValueError, match="x_hat must"):
        reconstruction_loss(x, np.ones((3, 3)))
    with pytest.raises(ValueError, match="^x_hat must be a finite"):
        reconstruction_loss(x, np.ones(3))
    with pytest.raises(ValueError, match="x must"):
        linear_autoencoder(np.array([[np.nan, 1.0]]), 1)
    with pytest.raises(ValueError, match="k must"):
        linear_autoencoder(x, 3)
    with pytest.raises(ValueError, match="k must"):
        linear_autoencoder(x, 0)
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"^mask must be 0/1 of shape \(3,\)"):
        masked_lm_loss(logits, np.array([0, 1, 2]), np.array([1, 0]))
    with pytest.raises(ValueError, match="^logits must be a finite"):
        masked_lm_loss(np.ones(3), np.array([0, 1, 2]), np.array([1, 0, 1]))
    with pytest.raises(ValueError, match="mask must"):
        masked_lm_loss(logits, np.array([0, 1, 2]), np.array([1, 0, 2]))
    lb = np.zeros((1, 3, 5))  # a batch of one sequence: V = 5 is the last axis
    assert masked_lm_loss(lb, np.array([[4, 3, 0]]), np.ones((1, 3))) == pytest.approx(
        math.log(5))
    with pytest.raises(ValueError, match=r"^mask must be 0/1 of shape \(1, 3\)"):
        masked_lm_loss(lb, np.array([[4, 3, 0]]), np.ones(3))
    with pytest.raises(ValueError, match=r"^targets must be token ids in \[0, 5\)"):
        masked_lm_loss(lb, np.array([[5, 3, 0]]), np.ones((1, 3)))
    with pytest.raises(ValueError, match="^mask must hide at least one position$"):
        masked_lm_loss(logits, np.array([0, 1, 2]), np.array([0, 0, 0]))
    for bad in ([0, 1, 4], [0, -1, 2], [0.0, 1.0, 2.0], [0, 1]):
        with pytest.raises(ValueError, match=r"^targets must be token ids in \[0, 4\)"):
            masked_lm_loss(logits, np.array(bad), np.array([1, 0, 1]))
    with pytest.raises(ValueError, match="scores must"):
        infonce_loss(np.array([]))
    with pytest.raises(ValueError, match="scores must"):
        infonce_loss(np.array([1.0, np.inf]))
    with pytest.raises(ValueError, match="critic must be square"):
        infonce_bound(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="critic must"):
        in_batch_scores(np.zeros(3))
    with pytest.raises(ValueError, match="z2 must"):
        nt_xent_loss(x, np.ones((3, 3)))
    with pytest.raises(ValueError, match="^z2 must be a finite"):
        nt_xent_loss(x, np.ones(3))
    with pytest.raises(ValueError, match="z2 must"):
        nt_xent_loss(np.ones((2, 3, 2)), np.ones((2, 3, 2)))
    with pytest.raises(ValueError, match="z1 must"):
        nt_xent_loss(np.ones(3), x)
    for tau in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="temperature must"):
            nt_xent_loss(x, x, tau)
    for rho in (1.0, -1.0, 1.5):
        with pytest.raises(ValueError, match="rho must"):
            gaussian_mi(rho, 1)
        with pytest.raises(ValueError, match="rho must"):
            critic_matrix(x, x, rho)
        with pytest.raises(ValueError, match="rho must"):
            sample_gaussian_pairs(1, 2, 1, rho, np.random.default_rng(0))
    for d in (0, 1.5, True):
        with pytest.raises(ValueError, match="d must"):
            gaussian_mi(0.5, d)
    with pytest.raises(ValueError, match="^d must"):
        sample_gaussian_pairs(1, 2, 0, 0.5, np.random.default_rng(0))
    x1, y1 = sample_gaussian_pairs(1, 1, 1, 0.5, np.random.default_rng(0))  # n = d = 1 is fine
    assert x1.shape == y1.shape == (1, 1, 1)
    with pytest.raises(ValueError, match="n_batches must"):
        sample_gaussian_pairs(0, 2, 1, 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n must"):
        sample_gaussian_pairs(1, 0, 1, 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="y must"):
        critic_matrix(x, np.ones((3, 3)), 0.5)
    with pytest.raises(ValueError, match="^y must be a finite"):
        critic_matrix(x, np.ones(3), 0.5)
    with pytest.raises(ValueError, match="x must"):
        critic_matrix(np.ones(3), np.ones(3), 0.5)
    with pytest.raises(ValueError, match="kind must"):
        critic_matrix(x, x, 0.5, "linear")
    p = np.array([0.5, 0.5])
    with pytest.raises(ValueError, match="p_data must"):
        optimal_discriminator(np.array([0.5, 0.6]), p)
    with pytest.raises(ValueError, match="p_data must"):
        optimal_discriminator(np.array([1.0, 0.0]), p)
    with pytest.raises(ValueError, match="^p_data must be a finite"):
        optimal_discriminator(np.array([]), p)
    with pytest.raises(ValueError, match="^p_g must be a finite"):
        optimal_discriminator(p, np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match="^disc must be a finite"):
        gan_value(p, p, np.array([]))
    with pytest.raises(ValueError, match="p_g must"):
        optimal_discriminator(p, np.array([0.2, 0.3, 0.5]))
    with pytest.raises(ValueError, match="p_g must"):
        gan_value(p, np.array([0.6, 0.6]), p)
    for disc in ([0.0, 0.5], [0.5, 1.0], [0.5]):
        with pytest.raises(ValueError, match="disc must"):
            gan_value(p, p, np.array(disc))
