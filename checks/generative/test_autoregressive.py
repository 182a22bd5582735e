"""Checks of generative/autoregressive: every key equation against something independent.

Independent references used here: explicit enumeration of all 2^n binary vectors (sums of
probabilities, conditionals by counting the joint's mass over matching prefixes); loops
written straight from the formulas (FVSBN's double sum, NADE's hidden layer recomputed from
scratch for every i in torch); torch autograd (which parameters p(x) depends on, the Jacobian
of MADE's outputs); itertools.product; Monte Carlo with a fixed seed and a bound of a few
standard errors computed in the test.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.generative.autoregressive import (
    all_binary_vectors,
    ancestral_sample,
    bernoulli_log_prob,
    chain_rule_factors,
    fvsbn_conditionals,
    fvsbn_num_params,
    made_conditionals,
    made_hidden_degrees,
    made_masks,
    nade_conditionals,
    nade_num_params,
)

N_ENUM = 10  # all 2^10 = 1,024 binary vectors


def brute_force_conditionals(prob: np.ndarray, X: np.ndarray) -> np.ndarray:
    """p(x_i = 1 | x_<i) for every row of X, by summing prob over the rows of X that share
    the prefix x_<i (and x_i = 1): X lists every binary vector once, prob[r] = p(X[r])."""
    n = X.shape[1]
    out = np.empty(X.shape)
    for r, x in enumerate(X):
        for i in range(n):
            same = np.all(X[:, :i] == x[:i], axis=1)
            out[r, i] = prob[same & (X[:, i] == 1)].sum() / prob[same].sum()
    return out


def random_nade(rng, n, d, scale=1.5):
    return (rng.normal(0, scale, (d, n)), rng.normal(0, 1, d), rng.normal(0, scale, (n, d)),
            rng.normal(0, 1, n))


def random_made(rng, n, sizes):
    masks = made_masks(n, made_hidden_degrees(n, sizes, rng))
    weights = [torch.tensor(rng.normal(0, 1.5, M.shape)) for M in masks]
    biases = [torch.tensor(rng.normal(0, 1, M.shape[0])) for M in masks]
    return weights, biases, masks


# --8<-- [start:test_chain_rule]
@pytest.mark.formula("eq-chain-rule")
def test_chain_rule_factors_multiply_to_the_joint_and_equal_counted_conditionals():
    rng = np.random.default_rng(0)
    n = 4
    joint = rng.dirichlet(np.ones(2**n)).reshape((2,) * n)  # an arbitrary p(x) > 0
    X = all_binary_vectors(n)
    prob = np.array([joint[tuple(x.astype(int))] for x in X])
    cond_one = brute_force_conditionals(prob, X)  # p(x_i = 1 | x_<i) by counting
    for r, x in enumerate(X):
        factors = chain_rule_factors(joint, x)
        # each factor is p(x_i | x_<i) = p_i or 1 - p_i, the counted conditional
        counted = np.where(x == 1, cond_one[r], 1 - cond_one[r])
        np.testing.assert_allclose(factors, counted, rtol=1e-12)
        np.testing.assert_allclose(np.prod(factors), prob[r], rtol=1e-12)
    # the Bernoulli form of the same product: log p(x) from the conditionals p_i
    np.testing.assert_allclose(np.exp(bernoulli_log_prob(X, cond_one)), prob, rtol=1e-12)
# --8<-- [end:test_chain_rule]


@pytest.mark.formula("eq-chain-rule")
def test_bernoulli_log_prob_equals_the_explicit_product():
    rng = np.random.default_rng(1)
    X = all_binary_vectors(3)
    p = rng.uniform(0.05, 0.95, X.shape)
    explicit = [np.prod([pi if xi == 1 else 1 - pi for xi, pi in zip(x, q)])
                for x, q in zip(X, p)]
    np.testing.assert_allclose(np.exp(bernoulli_log_prob(X, p)), explicit, rtol=1e-12)
    assert bernoulli_log_prob(X[3], p[3]).shape == ()
    # booleans are 0/1 values too
    assert bernoulli_log_prob(np.array([True, False]), [0.3, 0.4]) == pytest.approx(
        np.log(0.3) + np.log(0.6), rel=1e-14)


def test_chain_rule_factors_of_a_zero_prefix_and_of_independent_coordinates():
    # independent coordinates: the factors are the marginals p(x_i)
    q = np.array([0.2, 0.7, 0.4])
    joint = np.einsum("i,j,k->ijk", *[np.array([1 - v, v]) for v in q])
    np.testing.assert_allclose(chain_rule_factors(joint, [1, 0, 1]), [0.2, 0.3, 0.4])
    zero = np.zeros((2, 2))
    zero[1, 1] = 1.0
    np.testing.assert_allclose(chain_rule_factors(zero, [1, 1]), [1.0, 1.0])
    with pytest.raises(ValueError, match="^x must have p\\(x_<i\\) > 0"):
        chain_rule_factors(zero, [0, 1])
    # n = 1: the only factor is p(x_1)
    np.testing.assert_allclose(chain_rule_factors(np.array([0.3, 0.7]), [1]), [0.7])


@pytest.mark.formula("eq-fvsbn")
def test_fvsbn_conditionals_are_the_conditionals_of_its_own_joint():
    rng = np.random.default_rng(2)
    n = 5
    a0, A = rng.normal(0, 1, n), rng.normal(0, 1.5, (n, n))
    X = all_binary_vectors(n)
    p = fvsbn_conditionals(X, a0, A)
    prob = np.exp(bernoulli_log_prob(X, p))
    np.testing.assert_allclose(p, brute_force_conditionals(prob, X), rtol=1e-10)


# --8<-- [start:test_fvsbn]
@pytest.mark.formula("eq-fvsbn")
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_fvsbn_matches_the_double_sum_and_sums_to_one(seed):
    rng = np.random.default_rng(seed)
    n = N_ENUM
    a0, A = rng.normal(0, 1, n), rng.normal(0, 1.5, (n, n))  # upper triangle: ignored
    X = all_binary_vectors(n)
    p = fvsbn_conditionals(X, a0, A)
    for r in rng.choice(len(X), 10, replace=False):  # the formula as written, j < i
        for i in range(n):
            z = a0[i] + sum(A[i, j] * X[r, j] for j in range(i))
            assert p[r, i] == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-12)
    # p(x) over all 2^10 vectors sums to 1, whatever the parameters
    assert np.exp(bernoulli_log_prob(X, p)).sum() == pytest.approx(1.0, abs=1e-12)
# --8<-- [end:test_fvsbn]


def fvsbn_torch_log_prob(X, a0, A):
    """log p(x) of an FVSBN in torch, every a_ij (j < i) read explicitly."""
    n = X.shape[1]
    total = torch.zeros(X.shape[0], dtype=torch.float64)
    for i in range(n):
        z = a0[i] + sum((A[i, j] * X[:, j] for j in range(i)), torch.zeros(X.shape[0]))
        total = total + X[:, i] * torch.nn.functional.logsigmoid(z) + (
            1 - X[:, i]) * torch.nn.functional.logsigmoid(-z)
    return total


# --8<-- [start:test_fvsbn_params]
@pytest.mark.formula("eq-fvsbn-params")
@pytest.mark.parametrize("n", [1, 2, 3, 6, 9])
def test_fvsbn_parameter_count_equals_the_parameters_p_depends_on(n):
    rng = np.random.default_rng(n)
    X = torch.tensor(all_binary_vectors(n))
    a0 = torch.tensor(rng.normal(0, 1, n), requires_grad=True)
    A = torch.tensor(rng.normal(0, 1, (n, n)), requires_grad=True)
    # gradient of the log-likelihood of a random weighting of all 2^n vectors
    weights = torch.tensor(rng.uniform(0.5, 1.5, 2**n))
    (weights * fvsbn_torch_log_prob(X, a0, A)).sum().backward()
    grads = [g for g in (a0.grad, A.grad) if g is not None]  # n = 1: A is never read
    used = sum(int((g != 0).sum()) for g in grads)
    assert used == fvsbn_num_params(n) == sum(range(1, n + 1))
    assert isinstance(fvsbn_num_params(n), int)
    # and the NumPy model ignores the other n(n-1)/2 entries: the upper triangle and diagonal
    B = A.detach().numpy() + np.triu(rng.normal(0, 1, (n, n)))
    np.testing.assert_array_equal(
        fvsbn_conditionals(X.numpy(), a0.detach().numpy(), A.detach().numpy()),
        fvsbn_conditionals(X.numpy(), a0.detach().numpy(), B))
# --8<-- [end:test_fvsbn_params]


@settings(max_examples=40, deadline=None)
@given(a=st.lists(st.floats(-50, 50), min_size=3, max_size=3))
def test_an_fvsbn_conditional_cannot_be_an_xor_of_two_coordinates(a):
    # p_3 > 1/2 exactly where x_1 = x_2 would need all four logits below with these signs
    X = np.array([[0, 0, 0], [1, 1, 0], [0, 1, 0], [1, 0, 0]], dtype=float)
    A = np.zeros((3, 3))
    A[2, :2] = a[1:]
    p3 = fvsbn_conditionals(X, np.array([0.0, 0.0, a[0]]), A)[:, 2]
    assert not (p3[0] > 0.5 and p3[1] > 0.5 and p3[2] < 0.5 and p3[3] < 0.5)


def nade_naive_torch(X, W, c, V, b):
    """NADE as written: h_i = sigma(c + W[:, <i] x_<i) recomputed for every i, O(n^2 d)."""
    n = X.shape[1]
    cols = []
    for i in range(n):
        h = torch.sigmoid(c + X[:, :i] @ W[:, :i].T)
        cols.append(torch.sigmoid(h @ V[i] + b[i]))
    return torch.stack(cols, dim=1)


@pytest.mark.formula("eq-nade")
def test_nade_conditionals_are_the_conditionals_of_its_own_joint():
    rng = np.random.default_rng(3)
    n, d = 5, 3
    W, c, V, b = random_nade(rng, n, d)
    X = all_binary_vectors(n)
    p = nade_conditionals(X, W, c, V, b)
    prob = np.exp(bernoulli_log_prob(X, p))
    np.testing.assert_allclose(p, brute_force_conditionals(prob, X), rtol=1e-10)
    # one vector at a time (shape (n,)) gives the same rows
    np.testing.assert_allclose(nade_conditionals(X[6], W, c, V, b), p[6], rtol=1e-14)
    # and a batch of batches, shape (2, 16, n), gives the same rows as the flat batch
    batched = nade_conditionals(X.reshape(2, 16, n), W, c, V, b)
    np.testing.assert_allclose(batched.reshape(32, n), p, rtol=1e-14)


# --8<-- [start:test_nade]
@pytest.mark.formula("eq-nade")
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 6))
def test_nade_incremental_equals_the_naive_recomputation_and_sums_to_one(seed, d):
    rng = np.random.default_rng(seed)
    n = N_ENUM
    W, c, V, b = random_nade(rng, n, d)
    X = all_binary_vectors(n)
    p = nade_conditionals(X, W, c, V, b)  # O(n d) per vector
    naive = nade_naive_torch(*(torch.tensor(t) for t in (X, W, c, V, b)))
    np.testing.assert_allclose(p, naive.numpy(), rtol=1e-12)
    assert np.exp(bernoulli_log_prob(X, p)).sum() == pytest.approx(1.0, abs=1e-12)
# --8<-- [end:test_nade]


# --8<-- [start:test_nade_params]
@pytest.mark.formula("eq-nade-params")
@pytest.mark.parametrize("n, d", [(1, 1), (2, 3), (5, 4), (8, 2)])
def test_nade_parameter_counts_equal_the_tensors_and_the_gradient_support(n, d):
    rng = np.random.default_rng(10 * n + d)
    params = [torch.tensor(t, requires_grad=True) for t in random_nade(rng, n, d)]
    stored = sum(t.numel() for t in params)
    X = torch.tensor(all_binary_vectors(n))
    p = nade_naive_torch(X, *params)
    weights = torch.tensor(rng.uniform(0.5, 1.5, 2**n))
    log_p = (X * torch.log(p) + (1 - X) * torch.log1p(-p)).sum(1)
    (weights * log_p).sum().backward()
    used = sum(int((t.grad != 0).sum()) for t in params)
    assert nade_num_params(n, d) == (stored, used) == (2 * n * d + n + d, 2 * n * d + n)
    assert torch.all(params[0].grad[:, -1] == 0)  # the column of x_n is never used
# --8<-- [end:test_nade_params]


def test_nade_uses_fewer_parameters_than_fvsbn_exactly_when_n_exceeds_4d_plus_1():
    for n, d in itertools.product(range(1, 120), range(1, 25)):
        assert (nade_num_params(n, d)[1] < fvsbn_num_params(n)) == (n > 4 * d + 1)


# --8<-- [start:test_made_masks]
@pytest.mark.formula("eq-made-masks")
@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 9), sizes=st.lists(st.integers(1, 12), min_size=1, max_size=3),
       seed=st.integers(0, 2**32 - 1))
def test_made_masks_follow_the_degree_rule_and_connect_strictly_downwards(n, sizes, seed):
    degrees = made_hidden_degrees(n, sizes, np.random.default_rng(seed))
    masks = made_masks(n, degrees)
    layers = [np.arange(1, n + 1), *degrees]
    for l, m in enumerate(degrees):  # hidden: M[k, j] = 1 exactly when m(k) >= m(j)
        for k, j in itertools.product(range(m.size), range(layers[l].size)):
            assert masks[l][k, j] == (m[k] >= layers[l][j])
    for i, k in itertools.product(range(n), range(degrees[-1].size)):
        assert masks[-1][i, k] == (i + 1 > degrees[-1][k])  # output: strictly greater
    # paths from input j to output i: the product of the masks; none with j >= i
    paths = masks[0]
    for M in masks[1:]:
        paths = M @ paths
    assert np.all(np.triu(paths) == 0)
    # degrees drawn from the smallest degree below up to n - 1: no hidden unit without input
    assert all(np.all(M.sum(axis=1) >= 1) for M in masks[:-1])
# --8<-- [end:test_made_masks]


def test_made_hidden_degrees_are_uniform_between_the_minimum_below_and_n_minus_1():
    rng = np.random.default_rng(4)
    n, N = 6, 20_000
    first, second = made_hidden_degrees(n, [N, 3], rng)
    freq = np.bincount(first, minlength=n)[1:] / N  # degrees 1..5, each with probability 1/5
    se = np.sqrt(0.2 * 0.8 / N)
    assert np.max(np.abs(freq - 0.2)) < 4 * se
    assert first.min() == 1 and first.max() == n - 1
    assert np.all((second >= first.min()) & (second <= n - 1))
    for _ in range(20):  # a layer never goes below the smallest degree of the layer before
        d1, d2 = made_hidden_degrees(n, [2, 50], rng)
        assert d2.min() >= d1.min() and d2.max() <= n - 1


@pytest.mark.formula("eq-made")
def test_made_probabilities_over_all_vectors_sum_to_one():
    rng = np.random.default_rng(5)
    weights, biases, masks = random_made(rng, N_ENUM, [20, 20])
    X = all_binary_vectors(N_ENUM)
    p = made_conditionals(torch.tensor(X), weights, biases, masks).numpy()
    assert np.exp(bernoulli_log_prob(X, p)).sum() == pytest.approx(1.0, abs=1e-12)
    # the explicit two-layer network, masks applied by hand
    h = 1 / (1 + np.exp(-(X @ (weights[0].numpy() * masks[0]).T + biases[0].numpy())))
    h = 1 / (1 + np.exp(-(h @ (weights[1].numpy() * masks[1]).T + biases[1].numpy())))
    out = 1 / (1 + np.exp(-(h @ (weights[2].numpy() * masks[2]).T + biases[2].numpy())))
    np.testing.assert_allclose(p, out, rtol=1e-12)
    # float32 weights give a float32 result, equal to the float64 one to float32 precision
    p32 = made_conditionals(torch.tensor(X, dtype=torch.float32), [w.float() for w in weights],
                            [b.float() for b in biases], masks)
    assert p32.dtype == torch.float32
    np.testing.assert_allclose(p32.numpy(), p, atol=1e-5)  # float32 rounding of ~1e-7


# --8<-- [start:test_made]
@pytest.mark.formula("eq-made")
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 2))
def test_made_jacobian_is_strictly_lower_triangular(seed, depth):
    rng = np.random.default_rng(seed)
    n = 6
    weights, biases, masks = random_made(rng, n, [12] * depth)
    x = torch.tensor(rng.integers(0, 2, n).astype(float))
    J = torch.autograd.functional.jacobian(
        lambda z: made_conditionals(z, weights, biases, masks), x)  # J[i, j] = dp_i/dx_j
    assert torch.all(torch.triu(J) == 0)  # p_i does not depend on x_j for j >= i
    # control: the same network without the masks depends on every input
    ones = [np.ones_like(M) for M in masks]
    J_full = torch.autograd.functional.jacobian(
        lambda z: made_conditionals(z, weights, biases, ones), x)
    upper = torch.triu(torch.ones(n, n, dtype=torch.bool))  # the entries j >= i
    assert torch.all(J_full[upper] != 0)
# --8<-- [end:test_made]


# --8<-- [start:test_sampling]
@pytest.mark.formula("eq-sampling")
def test_ancestral_sampling_frequencies_match_the_exact_probabilities():
    rng = np.random.default_rng(6)
    n, d, N = 4, 3, 40_000
    W, c, V, b = random_nade(rng, n, d)
    X = all_binary_vectors(n)
    exact = np.exp(bernoulli_log_prob(X, nade_conditionals(X, W, c, V, b)))
    S = ancestral_sample(lambda z: nade_conditionals(z, W, c, V, b), n, N, rng)
    freq = np.bincount(S.astype(int) @ (2 ** np.arange(n - 1, -1, -1)), minlength=2**n) / N
    # each of the 16 frequencies is a mean of N indicators: standard error sqrt(p(1-p)/N);
    # 4.5 standard errors, so that all 16 pass together with probability > 0.9999
    se = np.sqrt(exact * (1 - exact) / N)
    assert np.all(np.abs(freq - exact) <= 4.5 * se)
    # the joint is far from the product of its marginals, so this is not met by chance
    marg = exact @ X
    indep = np.prod(np.where(X == 1, marg, 1 - marg), axis=1)
    assert np.max(np.abs(indep - exact) / se) > 10
# --8<-- [end:test_sampling]


def test_ancestral_sample_of_a_deterministic_chain_copies_x1():
    # p(x_1 = 1) = 1/2 and x_i = x_{i-1} for i > 1 (probability 0 or 1)
    def cond(x):
        p = np.empty(x.shape)
        p[:, 0] = 0.5
        p[:, 1:] = x[:, :-1]
        return p

    S = ancestral_sample(cond, 5, 1000, np.random.default_rng(7))
    assert np.all(S == S[:, :1])
    assert 400 < S[:, 0].sum() < 600  # Binomial(1000, 1/2): mean 500, sd 15.8
    assert S.shape == (1000, 5) and set(np.unique(S)) == {0.0, 1.0}


def test_all_binary_vectors_lists_each_vector_once_in_order():
    for n in (1, 3, 5):
        expected = np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)
        np.testing.assert_array_equal(all_binary_vectors(n), expected)


def test_bad_inputs_raise_value_errors_naming_the_argument():
    rng = np.random.default_rng(8)
    joint = np.full((2, 2), 0.25)
    with pytest.raises(ValueError, match="^joint must be"):
        chain_rule_factors(np.full((2, 3), 1 / 6), [0, 1])
    with pytest.raises(ValueError, match="^joint must be"):
        chain_rule_factors(np.array([[0.5, 0.6], [-0.1, 0.0]]), [0, 1])
    with pytest.raises(ValueError, match="^joint must be"):
        chain_rule_factors(np.full((2, 2), 0.3), [0, 1])
    with pytest.raises(ValueError, match="^joint must be"):
        chain_rule_factors(np.array(1.0), [0])
    with pytest.raises(ValueError, match="x must have shape"):
        chain_rule_factors(joint, [0, 1, 1])
    with pytest.raises(ValueError, match="x must be"):
        chain_rule_factors(joint, [0, 2])
    with pytest.raises(ValueError, match="x must be"):
        bernoulli_log_prob(np.zeros((2, 0)), np.zeros((2, 0)))
    with pytest.raises(ValueError, match="x must be"):
        bernoulli_log_prob(np.array(1.0), np.array(0.5))
    with pytest.raises(ValueError, match="^p must have the shape of x"):
        bernoulli_log_prob([0, 1], [0.5, 1.0])
    with pytest.raises(ValueError, match="^p must have the shape of x"):
        bernoulli_log_prob([0, 1], [0.0, 0.5])
    with pytest.raises(ValueError, match="^p must have the shape of x"):
        bernoulli_log_prob([0, 1], [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="a0 must have shape"):
        fvsbn_conditionals([0, 1], [0.0], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="A must have shape"):
        fvsbn_conditionals([0, 1], [0.0, 0.0], np.zeros((2, 3)))
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="n must be an integer >= 1"):
            fvsbn_num_params(bad)
    with pytest.raises(ValueError, match="d must be an integer >= 1"):
        nade_num_params(3, 0)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        nade_num_params(0, 3)
    W, c, V, b = random_nade(rng, 3, 2)
    with pytest.raises(ValueError, match="W must have shape"):
        nade_conditionals([0, 1, 1], W[:, :2], c, V, b)
    with pytest.raises(ValueError, match="W must have shape"):
        nade_conditionals([0, 1, 1], np.zeros((0, 3)), c, V, b)
    with pytest.raises(ValueError, match="W must have shape"):
        nade_conditionals([0, 1, 1], np.zeros(3), c, V, b)
    with pytest.raises(ValueError, match="c must have shape"):
        nade_conditionals([0, 1, 1], W, c[:1], V, b)
    with pytest.raises(ValueError, match="V must have shape"):
        nade_conditionals([0, 1, 1], W, c, V.T, b)
    with pytest.raises(ValueError, match="b must have shape"):
        nade_conditionals([0, 1, 1], W, c, V, b[:2])
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        made_masks(1, [np.array([1])])
    with pytest.raises(ValueError, match="^hidden_degrees must list at least one"):
        made_masks(3, [])
    for bad in (np.array([0, 1]), np.array([1, 3]), np.array([[1]]), np.array([], int)):
        with pytest.raises(ValueError, match="^hidden_degrees must be 1-d with values in 1..2$"):
            made_masks(3, [bad])
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        made_hidden_degrees(1, [3], rng)
    with pytest.raises(ValueError, match="^hidden_sizes must be an integer >= 1"):
        made_hidden_degrees(3, [3, 0], rng)
    weights, biases, masks = random_made(rng, 3, [4])
    with pytest.raises(ValueError, match="^weights, biases and masks must have the same length"):
        made_conditionals(torch.zeros(3), weights[:1], biases[:1], masks[:1])
    with pytest.raises(ValueError, match="^weights, biases and masks must have the same length"):
        made_conditionals(torch.zeros(3), weights, biases[:1], masks)
    with pytest.raises(ValueError, match="^weights, biases and masks must have the same length"):
        made_conditionals(torch.zeros(3), weights, biases, masks[:1])
    with pytest.raises(ValueError, match="^weights must have their masks' shapes"):
        made_conditionals(torch.zeros(3), [weights[0].T, weights[1]], biases, masks)
    with pytest.raises(ValueError, match="^weights must have their masks' shapes"):
        made_conditionals(torch.zeros(3), weights, [biases[0][:2], biases[1]], masks)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        ancestral_sample(lambda z: z, 0, 5, rng)
    with pytest.raises(ValueError, match="num_samples must be an integer >= 1"):
        ancestral_sample(lambda z: z, 3, 0, rng)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        all_binary_vectors(0)


def test_pitfall_conditionals_that_see_x_i_or_later_do_not_sum_to_one():
    rng = np.random.default_rng(9)
    n = 6
    a0, A = rng.normal(0, 1, n), rng.normal(0, 1.5, (n, n))
    X = all_binary_vectors(n)
    # the same logistic form with the full matrix A: conditional i also reads x_i..x_n
    p_full = 1 / (1 + np.exp(-(a0 + X @ A.T)))
    total = np.exp(bernoulli_log_prob(X, p_full)).sum()
    assert abs(total - 1) > 0.05
    p = fvsbn_conditionals(X, a0, A)
    assert np.exp(bernoulli_log_prob(X, p)).sum() == pytest.approx(1.0, abs=1e-12)


def test_pitfall_sigmoid_rounds_to_one_in_float64_from_z_37():
    assert 1 / (1 + np.exp(-37.0)) == 1.0
    assert 1 / (1 + np.exp(-36.0)) < 1.0
    # log(1 - sigma(z)) = log sigma(-z) = -z - log(1 + e^{-z}) stays finite
    z = torch.tensor(40.0, dtype=torch.float64)
    assert torch.nn.functional.logsigmoid(-z).item() == pytest.approx(-40.0, abs=1e-15)
