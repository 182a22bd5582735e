"""Checks of generative/mnist-modeling: every key equation against something independent.

Independent references used here: explicit enumeration of all 2^n binary images (n <= 9,
a 3x3 crop of the digits), joint tables built at random and their marginals summed by
hand, counts made with Python loops, the data file read with the csv module and its published class sizes,
central finite differences, scipy's L-BFGS, and Monte Carlo with standard-error bounds.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.generative.mnist_modeling import (
    all_binary_images,
    bayes_net_log_prob,
    bayes_net_parameter_count,
    chain_rule_conditionals,
    conditional_log_likelihood,
    fit_logistic_regression,
    fit_naive_bayes,
    full_joint_parameter_count,
    load_binary_digits,
    log_softmax,
    logistic_loss_and_grad,
    naive_bayes_log_joint,
    naive_bayes_log_marginal,
    naive_bayes_parameter_count,
    naive_bayes_posterior,
    naive_bayes_to_softmax,
    sample_naive_bayes,
    train_test_split,
)

seeds = st.integers(min_value=0, max_value=2**32 - 1)
CROP = [27, 28, 29, 35, 36, 37, 43, 44, 45]  # the 3x3 block at rows 3..5, columns 3..5


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    # the matrices are small: BLAS threads only wait for each other on a loaded machine
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def digits():
    X, y = load_binary_digits()
    train, test = train_test_split(len(y), 597, np.random.default_rng(0))
    return X, y, train, test


@pytest.fixture(scope="module")
def logistic(digits):
    X, y, train, _ = digits
    return fit_logistic_regression(X[train], y[train])


@pytest.fixture(scope="module")
def crop_model(digits):
    X, y, train, _ = digits
    return fit_naive_bayes(X[train][:, CROP], y[train], 10, pseudo_count=1.0)


def random_joint(rng, n):
    p = rng.random((2,) * n) + 0.01
    return p / p.sum()


# --8<-- [start:test_loader]
def test_loader_matches_the_file_read_with_csv_and_the_published_class_counts():
    import csv
    import gzip
    import importlib.util
    import os

    root = importlib.util.find_spec("sklearn").submodule_search_locations[0]
    with gzip.open(os.path.join(root, "datasets", "data", "digits.csv.gz"), "rt") as f:
        rows = [[float(v) for v in row] for row in csv.reader(f)]
    X, y = load_binary_digits()
    assert X.shape == (1797, 64) and len(rows) == 1797
    for m in (0, 1, 900, 1796):
        assert list(X[m]) == [int(v >= 8) for v in rows[m][:64]]
        assert y[m] == int(rows[m][64])
    X4, _ = load_binary_digits(4)
    assert list(X4[5]) == [int(v >= 4) for v in rows[5][:64]]
    # class sizes of scikit-learn's digits (its documentation: 1797 images, ~180 per class)
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
# --8<-- [end:test_loader]


def test_split_is_a_partition():
    train, test = train_test_split(20, 5, np.random.default_rng(1))
    assert len(test) == 5 and len(train) == 15
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(20))


# --8<-- [start:test_full_joint]
@pytest.mark.formula("eq-full-joint")
@pytest.mark.parametrize("n", [1, 2, 3, 5, 9])
def test_full_joint_count_equals_configurations_minus_one(n):
    # list the configurations; all but one probability can be chosen freely
    n_configurations = sum(1 for _ in itertools.product((0, 1), repeat=n))
    assert full_joint_parameter_count(n) == n_configurations - 1
    # the chain rule with full tables needs 1 + 2 + ... + 2^(n-1) numbers: the same count
    assert full_joint_parameter_count(n) == sum(2**i for i in range(n))
# --8<-- [end:test_full_joint]


@pytest.mark.formula("eq-full-joint")
def test_full_joint_count_of_the_digits():
    assert full_joint_parameter_count(64) == 18_446_744_073_709_551_615


# --8<-- [start:test_chain_rule]
@pytest.mark.formula("eq-chain-rule")
@given(seed=seeds, n=st.integers(1, 6))
@settings(max_examples=15, deadline=None)
def test_chain_rule_rebuilds_a_random_joint_table(seed, n):
    joint = random_joint(np.random.default_rng(seed), n)
    conditionals = chain_rule_conditionals(joint)
    for x in itertools.product((0, 1), repeat=n):
        product = 1.0
        for i in range(n):
            # p(x_{i+1} = 1 | x_1..x_i) by summing the table by hand
            rest = joint[x[:i]]
            q = rest[1].sum() / rest.sum()
            assert conditionals[i][x[:i]] == pytest.approx(q, rel=1e-12)
            product *= q if x[i] == 1 else 1 - q
        assert product == pytest.approx(joint[x], rel=1e-10)
# --8<-- [end:test_chain_rule]


@pytest.mark.formula("eq-chain-rule")
def test_chain_rule_through_the_network_with_full_parents():
    joint = random_joint(np.random.default_rng(3), 4)
    parents = [tuple(range(i)) for i in range(4)]
    images = all_binary_images(4)
    log_p = bayes_net_log_prob(images, parents, chain_rule_conditionals(joint))
    np.testing.assert_allclose(np.exp(log_p), [joint[tuple(x)] for x in images], rtol=1e-12)


def test_chain_rule_zero_prefix_gets_one_half():
    joint = np.zeros((2, 2))
    joint[0, 0], joint[0, 1] = 0.25, 0.75  # p(x_1 = 1) = 0
    c = chain_rule_conditionals(joint)
    assert c[0] == 0.0
    np.testing.assert_allclose(c[1], [0.75, 0.5])


# --8<-- [start:test_bayes_net]
@pytest.mark.formula("eq-bayes-net")
@given(seed=seeds)
@settings(max_examples=10, deadline=None)
def test_bayes_net_sums_to_one_and_counts_its_tables(seed):
    rng = np.random.default_rng(seed)
    n = 6
    parents = [tuple(j for j in range(i) if rng.random() < 0.5) for i in range(n)]
    cpts = [rng.uniform(0.05, 0.95, size=(2,) * len(pa)) for pa in parents]
    p = np.exp(bayes_net_log_prob(all_binary_images(n), parents, cpts))
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    # one free number per node and per configuration of its parents, counted by listing them
    listed = sum(1 for pa in parents for _ in itertools.product((0, 1), repeat=len(pa)))
    assert bayes_net_parameter_count(parents) == listed
    # p(x_i = 1 | x_<i) of the enumerated joint depends on x_pa(i) only, and is the factor
    images = all_binary_images(n)
    table = p.reshape((2,) * n)  # all_binary_images lists x in the order of this table
    for i, cond in enumerate(chain_rule_conditionals(table)):
        for x in itertools.product((0, 1), repeat=i):
            assert cond[x] == pytest.approx(cpts[i][tuple(x[j] for j in parents[i])], rel=1e-10)
    # and each factor is what it claims: p(x_i = 1 | x_pa(i)) of the enumerated joint
    for i in range(n):
        for config in itertools.product((0, 1), repeat=len(parents[i])):
            rows = np.all(images[:, list(parents[i])] == config, axis=1)
            q = p[rows & (images[:, i] == 1)].sum() / p[rows].sum()
            assert q == pytest.approx(cpts[i][config], rel=1e-10)
# --8<-- [end:test_bayes_net]


@pytest.mark.formula("eq-bayes-net")
def test_network_counts_at_the_two_extremes():
    assert bayes_net_parameter_count([()] * 64) == 64  # independent pixels
    assert bayes_net_parameter_count([tuple(range(i)) for i in range(10)]) == 2**10 - 1


# --8<-- [start:test_naive_bayes]
@pytest.mark.formula("eq-naive-bayes")
def test_naive_bayes_joint_on_a_3x3_crop_sums_to_one_over_all_512_images(crop_model):
    prior, mu = crop_model
    images = all_binary_images(9)  # every 3x3 binary image
    joint = np.exp(naive_bayes_log_joint(images, prior, mu))  # (512, 10)
    assert joint.sum() == pytest.approx(1.0, abs=1e-12)
    # summing out x leaves the prior; each factor is an explicit product of Bernoullis
    np.testing.assert_allclose(joint.sum(axis=0), prior, rtol=1e-12)
    x, k = images[300], 4
    explicit = prior[k] * math.prod(mu[k, i] if x[i] else 1 - mu[k, i] for i in range(9))
    assert joint[300, k] == pytest.approx(explicit, rel=1e-12)
# --8<-- [end:test_naive_bayes]


@pytest.mark.formula("eq-naive-bayes")
def test_pixels_independent_given_the_class_but_not_marginally(crop_model):
    prior, mu = crop_model
    images = all_binary_images(9)
    joint = np.exp(naive_bayes_log_joint(images, prior, mu))
    a, c = images[:, 0] == 1, images[:, 8] == 1  # two corners of the crop
    for k in range(10):
        given_k = joint[:, k] / joint[:, k].sum()
        assert given_k[a & c].sum() == pytest.approx(given_k[a].sum() * given_k[c].sum(),
                                                     rel=1e-12)
    p_x = joint.sum(axis=1)
    gap = p_x[a & c].sum() - p_x[a].sum() * p_x[c].sum()
    assert abs(gap) > 1e-3  # the class couples them once it is summed out


@pytest.mark.formula("eq-naive-bayes")
def test_naive_bayes_parameter_count_against_the_network_count():
    # binary y as node 0, every pixel with parent y: the network count is 1 + 2n
    for n in (1, 9, 64):
        parents = [()] + [(0,)] * n
        assert naive_bayes_parameter_count(n, 2) == bayes_net_parameter_count(parents)
    assert naive_bayes_parameter_count(64, 10) == 9 + 640


# --8<-- [start:test_nb_estimate]
@pytest.mark.formula("eq-nb-estimate")
@pytest.mark.parametrize("pseudo_count", [0.0, 1.0, 0.5])
def test_estimates_equal_counts_made_with_loops(digits, pseudo_count):
    X, y, train, _ = digits
    Xt, yt = X[train][:300], y[train][:300]
    prior, mu = fit_naive_bayes(Xt, yt, 10, pseudo_count)
    for k in range(10):
        members = [m for m in range(len(yt)) if yt[m] == k]
        assert prior[k] == len(members) / len(yt)
        for i in (0, 20, 63):
            ones = sum(int(Xt[m, i]) for m in members)
            assert mu[k, i] == pytest.approx((ones + pseudo_count) / (len(members) + 2 * pseudo_count),
                                                rel=1e-14)
    # the smoothed estimate is the maximum of the Beta(lam + 1, lam + 1) posterior, found on a grid
    if pseudo_count > 0:
        grid = np.linspace(1e-6, 1 - 1e-6, 400_001)
        for k, i in [(0, 20), (3, 0), (7, 45)]:
            Nk = int(np.sum(yt == k))
            c = int(Xt[yt == k, i].sum())
            log_post = (c + pseudo_count) * np.log(grid) + (Nk - c + pseudo_count) * np.log(1 - grid)
            assert abs(grid[np.argmax(log_post)] - mu[k, i]) <= 2.5e-6  # one grid step
# --8<-- [end:test_nb_estimate]


# --8<-- [start:test_nb_posterior]
@pytest.mark.formula("eq-nb-posterior")
def test_posterior_equals_softmax_with_the_derived_weights(digits):
    X, y, train, test = digits
    prior, mu = fit_naive_bayes(X[train], y[train], 10, pseudo_count=1.0)
    W, b = naive_bayes_to_softmax(prior, mu)
    Z = X[test] @ W.T + b
    softmax = np.exp(Z - Z.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    # Bayes' rule with the products written out, image by image
    for m in range(0, len(test), 50):
        x = X[test[m]]
        joint = [prior[k] * np.prod(np.where(x == 1, mu[k], 1 - mu[k])) for k in range(10)]
        np.testing.assert_allclose(softmax[m], np.array(joint) / sum(joint), rtol=1e-10)
    np.testing.assert_allclose(softmax, naive_bayes_posterior(X[test], prior, mu),
                               rtol=1e-10, atol=1e-300)
# --8<-- [end:test_nb_posterior]


@pytest.mark.formula("eq-nb-posterior")
@given(seed=seeds)
@settings(max_examples=30, deadline=None)
def test_every_softmax_model_is_the_posterior_of_some_naive_bayes(seed):
    rng = np.random.default_rng(seed)
    K, n = 4, 6
    W, b = rng.normal(scale=2.0, size=(K, n)), rng.normal(size=K)
    mu = 1 / (1 + np.exp(-W))  # mu_ki = sigma(W_ki)
    log_rho = b - np.log(1 - mu).sum(axis=1)
    prior = np.exp(log_rho - log_rho.max())
    prior /= prior.sum()
    x = all_binary_images(n)
    Z = x @ W.T + b
    softmax = np.exp(Z - Z.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(naive_bayes_posterior(x, prior, mu), softmax, rtol=1e-9,
                               atol=1e-15)


@pytest.mark.formula("eq-nb-posterior")
@given(seed=seeds)
@settings(max_examples=30, deadline=None)
def test_two_classes_give_a_sigmoid_of_the_weight_difference(seed):
    rng = np.random.default_rng(seed)
    n = 7
    prior = np.array([0.3, 0.7]) if seed % 2 else np.array([0.6, 0.4])
    mu = rng.uniform(0.02, 0.98, size=(2, n))
    W, b = naive_bayes_to_softmax(prior, mu)
    x = rng.integers(0, 2, size=(5, n))
    logit = x @ (W[1] - W[0]) + (b[1] - b[0])
    # sigma(logit) from the log-odds written per pixel: log(p1/p0) = sum of ratios
    log_odds = np.log(prior[1] / prior[0]) + np.sum(
        np.where(x == 1, np.log(mu[1] / mu[0]), np.log((1 - mu[1]) / (1 - mu[0]))),
        axis=1)
    np.testing.assert_allclose(logit, log_odds, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(naive_bayes_posterior(x, prior, mu)[:, 1],
                               1 / (1 + np.exp(-log_odds)), rtol=1e-10)


# --8<-- [start:test_logistic]
@pytest.mark.formula("eq-logistic")
@given(seed=seeds, l2=st.sampled_from([0.0, 0.1]))
@settings(max_examples=15, deadline=None)
def test_gradient_equals_central_finite_differences(seed, l2):
    rng = np.random.default_rng(seed)
    K, n, N = 3, 5, 8
    W, b = rng.normal(size=(K, n)), rng.normal(size=K)
    X, y = rng.integers(0, 2, size=(N, n)), rng.integers(0, K, size=N)
    loss, dW, db = logistic_loss_and_grad(W, b, X, y, l2)
    # the loss itself, written as a sum of -log of normalised exponentials
    explicit = -np.mean([np.log(np.exp(W[y[m]] @ X[m] + b[y[m]])
                                / np.sum(np.exp(W @ X[m] + b))) for m in range(N)])
    assert loss == pytest.approx(explicit + 0.5 * l2 * np.sum(W**2), rel=1e-12)
    # convex in (W, b): along a random segment the loss lies below the chord
    W2, b2 = rng.normal(size=(K, n)), rng.normal(size=K)
    for t in (0.25, 0.5, 0.75):
        mid = logistic_loss_and_grad(t * W + (1 - t) * W2, t * b + (1 - t) * b2, X, y, l2)[0]
        chord = t * loss + (1 - t) * logistic_loss_and_grad(W2, b2, X, y, l2)[0]
        assert mid <= chord + 1e-12
    h = 1e-6  # central differences: error O(h^2) ~ 1e-12, rounding ~ 1e-16/h = 1e-10
    for idx in [(0, 0), (1, 3), (2, 4)]:
        E = np.zeros_like(W)
        E[idx] = h
        fd = (logistic_loss_and_grad(W + E, b, X, y, l2)[0]
              - logistic_loss_and_grad(W - E, b, X, y, l2)[0]) / (2 * h)
        assert dW[idx] == pytest.approx(fd, abs=1e-8)
    for k in range(K):
        e = np.eye(K)[k] * h
        fd = (logistic_loss_and_grad(W, b + e, X, y, l2)[0]
              - logistic_loss_and_grad(W, b - e, X, y, l2)[0]) / (2 * h)
        assert db[k] == pytest.approx(fd, abs=1e-8)
# --8<-- [end:test_logistic]


@pytest.mark.formula("eq-logistic")
def test_gradient_descent_reaches_the_lbfgs_minimum():
    from scipy.optimize import minimize

    rng = np.random.default_rng(5)
    K, n, N, l2 = 3, 6, 60, 0.05
    X, y = rng.integers(0, 2, size=(N, n)), rng.integers(0, K, size=N)

    def f(v):
        loss, dW, db = logistic_loss_and_grad(v[:K * n].reshape(K, n), v[K * n:], X, y, l2)
        return loss, np.concatenate([dW.ravel(), db])

    best = minimize(f, np.zeros(K * (n + 1)), jac=True, method="L-BFGS-B",
                    options={"gtol": 1e-12, "ftol": 1e-15})
    W, b = fit_logistic_regression(X, y, K, l2=l2, n_steps=200, lr=1.5)
    assert f(np.concatenate([W.ravel(), b]))[0] == pytest.approx(best.fun, abs=1e-9)
    W1, b1 = fit_logistic_regression(X, y, K, l2=l2, n_steps=1, lr=0.5)
    _, dW0, db0 = logistic_loss_and_grad(np.zeros((K, n)), np.zeros(K), X, y, l2)
    np.testing.assert_allclose(W1, -0.5 * dW0, rtol=1e-12)
    np.testing.assert_allclose(b1, -0.5 * db0, rtol=1e-12)


def test_default_fit_on_the_digits_is_near_stationary(digits, logistic):
    X, y, train, _ = digits
    W, b = logistic
    _, dW, db = logistic_loss_and_grad(W, b, X[train], y[train], 1e-3)
    assert np.abs(dW).max() < 2e-3 and np.abs(db).max() < 2e-3


# --8<-- [start:test_conditional]
@pytest.mark.formula("eq-conditional")
def test_joint_likelihood_splits_into_conditional_plus_marginal(crop_model, digits):
    X, y, _, test = digits
    prior, mu = crop_model
    Xc = X[test][:, CROP]
    log_joint = naive_bayes_log_joint(Xc, prior, mu)
    # p(x) by enumeration: look each image up in the table of all 512 images
    table = np.exp(naive_bayes_log_joint(all_binary_images(9), prior, mu)).sum(axis=1)
    index = Xc @ (2 ** np.arange(8, -1, -1))
    log_px = np.log(table[index])
    np.testing.assert_allclose(naive_bayes_log_marginal(Xc, prior, mu), log_px, rtol=1e-12)
    joint_term = log_joint[np.arange(len(test)), y[test]].mean()
    assert joint_term == pytest.approx(conditional_log_likelihood(log_joint, y[test])
                                       + log_px.mean(), rel=1e-12)
# --8<-- [end:test_conditional]


# --8<-- [start:test_discriminative_wins]
@pytest.mark.formula("eq-conditional")
def test_logistic_fit_beats_the_naive_bayes_weights_on_its_own_objective(digits, logistic):
    X, y, train, _ = digits
    Xt, yt = X[train], y[train]
    prior, mu = fit_naive_bayes(Xt, yt, 10, pseudo_count=1.0)
    W_nb, b_nb = naive_bayes_to_softmax(prior, mu)
    W_lr, b_lr = logistic
    l2 = 1e-3
    penalised_nb = logistic_loss_and_grad(W_nb, b_nb, Xt, yt, l2)[0]
    penalised_lr = logistic_loss_and_grad(W_lr, b_lr, Xt, yt, l2)[0]
    assert penalised_lr < penalised_nb
    # and naive Bayes' weights are the better fit of log p(x, y): the likelihood it maximises
    joint_nb = naive_bayes_log_joint(Xt, prior, mu)[np.arange(len(yt)), yt].mean()
    prior2, mu2 = fit_naive_bayes(Xt, yt, 10, pseudo_count=0.0)
    mu2 = np.clip(mu2, 1e-12, 1 - 1e-12)
    joint_ml = naive_bayes_log_joint(Xt, prior2, mu2)[np.arange(len(yt)), yt].mean()
    assert joint_ml >= joint_nb
# --8<-- [end:test_discriminative_wins]


# --8<-- [start:test_sampling]
def test_sample_frequencies_match_the_model_within_four_standard_errors(crop_model):
    prior, mu = crop_model
    M = 20_000  # samples
    X, y = sample_naive_bayes(prior, mu, M, np.random.default_rng(0))
    freq_y = np.bincount(y, minlength=10) / M
    assert np.all(np.abs(freq_y - prior) <= 4 * np.sqrt(prior * (1 - prior) / M))
    # p(x_i = 1) = sum_k rho_k mu_ki for each pixel
    p1 = prior @ mu
    assert np.all(np.abs(X.mean(axis=0) - p1) <= 4 * np.sqrt(p1 * (1 - p1) / M))
    # given the class, the pixel frequencies are mu
    k = 3
    Nk = np.sum(y == k)
    se = np.sqrt(mu[k] * (1 - mu[k]) / Nk)
    assert np.all(np.abs(X[y == k].mean(axis=0) - mu[k]) <= 4 * se)
# --8<-- [end:test_sampling]


def test_log_softmax_is_shift_invariant_and_normalised():
    Z = np.array([[1000.0, 1001.0, 999.0], [0.0, 0.0, 0.0]])
    L = log_softmax(Z)
    np.testing.assert_allclose(np.exp(L).sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(L[0], np.log(np.exp([1.0, 2.0, 0.0]) / np.exp([1, 2, 0]).sum()),
                               rtol=1e-12)


def test_all_binary_images_lists_each_once():
    imgs = all_binary_images(3)
    assert imgs.shape == (8, 3)
    assert len({tuple(r) for r in imgs}) == 8
    np.testing.assert_array_equal(imgs[5], [1, 0, 1])


def test_integer_outputs_and_defaults(digits):
    X, y, train, _ = digits
    assert X.dtype.kind == "i" and all_binary_images(1).dtype.kind == "i"
    np.testing.assert_array_equal(all_binary_images(1), [[0], [1]])
    Xs, _ = sample_naive_bayes(GOOD_PRIOR, GOOD_MU, 1, np.random.default_rng(0))
    assert Xs.shape == (1, 3) and Xs.dtype.kind == "i"
    X16, _ = load_binary_digits(16)
    X1, _ = load_binary_digits(1)
    assert 0 < X16.sum() < X.sum() < X1.sum()
    assert train_test_split(2, 1, np.random.default_rng(0))[1].shape == (1,)
    # the documented defaults: K = 10, Laplace smoothing, l2 = 1e-3, 300 steps, step 2
    sub = train[:200]
    prior, mu = fit_naive_bayes(X[sub], y[sub])
    c = np.eye(10)[y[sub]].T @ X[sub]
    np.testing.assert_allclose(mu, (c + 1) / (np.bincount(y[sub], minlength=10)[:, None] + 2),
                               rtol=1e-14)
    W, b = fit_logistic_regression(X[sub], y[sub])
    W2, b2 = fit_logistic_regression(X[sub], y[sub], 10, l2=1e-3, n_steps=300, lr=2.0)
    np.testing.assert_array_equal(W, W2)
    np.testing.assert_array_equal(b, b2)
    loss0 = logistic_loss_and_grad(W, b, X[sub], y[sub])[0]
    assert loss0 == pytest.approx(-conditional_log_likelihood(X[sub] @ W.T + b, y[sub]),
                                  rel=1e-12)


def test_log_softmax_normalises_the_last_axis_of_any_array():
    Z = np.random.default_rng(0).normal(size=(2, 3, 4))
    L = log_softmax(Z)
    np.testing.assert_allclose(np.exp(L).sum(axis=-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(L, Z - np.log(np.exp(Z).sum(axis=-1, keepdims=True)),
                               rtol=1e-12)


# ---- bad input ----
GOOD_PRIOR, GOOD_MU = np.array([0.5, 0.5]), np.full((2, 3), 0.4)
HALF = np.full(2, 0.5)


@pytest.mark.parametrize("call, match", [
    (lambda: load_binary_digits(0), r"^threshold must be an integer >= 1"),
    (lambda: load_binary_digits(17), r"^threshold must be in 1\.\.16"),
    (lambda: train_test_split(10, 10, np.random.default_rng(0)), r"^n_test must be < n_rows"),
    (lambda: train_test_split(10, 0, np.random.default_rng(0)), r"^n_test must be an integer >= 1"),
    (lambda: train_test_split(1, 1, np.random.default_rng(0)), r"^n_rows must be an integer >= 2"),
    (lambda: full_joint_parameter_count(0), r"^n must be an integer >= 1"),
    (lambda: full_joint_parameter_count(True), r"^n must"),
    (lambda: full_joint_parameter_count(2.0), r"^n must"),
    (lambda: chain_rule_conditionals(np.full((2, 3), 1 / 6)), r"^joint must be a probability"),
    (lambda: chain_rule_conditionals(np.full((2, 2), 0.5)), r"^joint must"),
    (lambda: chain_rule_conditionals(np.array([1.5, -0.5])), r"^joint must"),
    (lambda: chain_rule_conditionals(np.array(1.0)), r"^joint must"),
    (lambda: bayes_net_log_prob(np.zeros((1, 2)), [()], [0.5, 0.5]),
     r"^parents and cpts must have one entry per column of X \(2\)"),
    (lambda: bayes_net_log_prob(np.zeros((1, 2)), [(), ()], [0.5]), r"^parents and cpts"),
    (lambda: bayes_net_log_prob(np.zeros((1, 2)), [(), (1,)], [0.5, HALF]),
     r"^parents\[1\] must precede 1; cpts\[1\] must be"),
    (lambda: bayes_net_log_prob(np.zeros((1, 2)), [(), (-1,)], [0.5, HALF]), r"^parents\[1\]"),
    (lambda: bayes_net_log_prob(np.zeros((1, 2)), [(), (0,)], [0.5, 0.5]), r"^parents\[1\]"),
    (lambda: bayes_net_log_prob(np.full((1, 2), 2), [(), ()], [0.5, 0.5]), r"^X must be a 2-d"),
    (lambda: bayes_net_parameter_count([]), r"^parents must list the parents"),
    (lambda: naive_bayes_parameter_count(3, 1), r"^n_classes must be an integer >= 2"),
    (lambda: naive_bayes_parameter_count(0, 2), r"^n must be an integer >= 1"),
    (lambda: naive_bayes_log_joint(np.zeros((1, 4)), GOOD_PRIOR, GOOD_MU),
     r"^X must have 3 columns, got 4"),
    (lambda: naive_bayes_log_joint(np.zeros(3), GOOD_PRIOR, GOOD_MU), r"^X must be a 2-d"),
    (lambda: naive_bayes_log_joint(np.zeros((1, 3)), [0.5, 0.6], GOOD_MU),
     r"^prior must be a positive probability vector of shape \(K,\)"),
    (lambda: naive_bayes_log_joint(np.zeros((1, 3)), [1.0, 0.0], GOOD_MU), r"^prior must"),
    (lambda: naive_bayes_log_joint(np.zeros((1, 3)), GOOD_PRIOR, np.full((3, 3), 0.4)),
     r"^mu must have shape \(K, n\) with K = 2"),
    (lambda: naive_bayes_log_joint(np.zeros((1, 3)), GOOD_PRIOR, np.full(2, 0.4)),
     r"^mu must have shape"),
    (lambda: naive_bayes_log_joint(np.zeros((1, 3)), GOOD_PRIOR, np.full((2, 3), 1.0)),
     r"^mu must lie strictly between 0 and 1"),
    (lambda: naive_bayes_log_joint(np.zeros((1, 3)), GOOD_PRIOR, np.full((2, 3), 0.0)),
     r"^mu must lie strictly"),
    (lambda: naive_bayes_to_softmax(np.ones((2, 1)) / 2, GOOD_MU), r"^prior must"),
    (lambda: fit_naive_bayes(np.zeros((2, 3)), [0, 2], 2), r"^y must hold 2 integer labels in 0\.\.1$"),
    (lambda: fit_naive_bayes(np.zeros((3, 3)), [0, 1, 1.5], 3), r"^y must hold 3 integer labels in 0\.\.2$"),
    (lambda: fit_naive_bayes(np.zeros((2, 3)), [0, -1], 2), r"^y must hold"),
    (lambda: fit_naive_bayes(np.zeros((2, 3)), [0, 0, 1], 2), r"^y must hold"),
    (lambda: fit_naive_bayes(np.zeros((2, 3)), [0, 0], 2), r"^y must contain every class 0\.\.n_classes-1"),
    (lambda: fit_naive_bayes(np.zeros((2, 3)), [0, 1], 2, pseudo_count=-1.0), r"^pseudo_count must be >= 0"),
    (lambda: fit_naive_bayes(np.zeros((2, 3)), [0, 1], 1), r"^n_classes must be an integer >= 2"),
    (lambda: fit_naive_bayes(np.zeros(3), [0, 1], 2), r"^X must be a 2-d"),
    (lambda: logistic_loss_and_grad(np.zeros((2, 4)), np.zeros(2), np.zeros((1, 3)), [0]),
     r"^W must be \(K, 3\) and b \(K,\)"),
    (lambda: logistic_loss_and_grad(np.zeros((2, 3)), np.zeros(3), np.zeros((1, 3)), [0]),
     r"^W must be"),
    (lambda: logistic_loss_and_grad(np.zeros(3), np.zeros(3), np.zeros((1, 3)), [0]), r"^W must"),
    (lambda: logistic_loss_and_grad(np.zeros((2, 3)), np.zeros(2), np.zeros((1, 3)), [0],
                                    l2=-1.0), r"^l2 must be >= 0"),
    (lambda: logistic_loss_and_grad(np.zeros((2, 3)), np.zeros(2), np.zeros((1, 3)), [2]),
     r"^y must hold 1 integer labels in 0\.\.1$"),
    (lambda: logistic_loss_and_grad(np.zeros((2, 3)), np.zeros(2), np.full((1, 3), 3), [0]),
     r"^X must be a 2-d"),
    (lambda: fit_logistic_regression(np.zeros((2, 3)), [0, 1], 2, lr=0.0), r"^lr must be > 0"),
    (lambda: fit_logistic_regression(np.zeros((2, 3)), [0, 1], 2, n_steps=0),
     r"^n_steps must be an integer >= 1"),
    (lambda: fit_logistic_regression(np.zeros((2, 3)), [0, 1], 1), r"^n_classes must be an integer >= 2"),
    (lambda: fit_logistic_regression(np.zeros(3), [0, 1], 2), r"^X must be a 2-d"),
    (lambda: sample_naive_bayes(GOOD_PRIOR, GOOD_MU, 0, np.random.default_rng(0)),
     r"^n_samples must be an integer >= 1"),
    (lambda: all_binary_images(0), r"^n must be an integer >= 1"),
    (lambda: conditional_log_likelihood(np.zeros(3), [0]), r"^logits must be \(N, K\)"),
    (lambda: conditional_log_likelihood(np.zeros((1, 3)), [3]), r"^y must hold 1 integer labels in 0\.\.2$"),
])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
