"""Representing binarised handwritten digits with generative models (naive Bayes) and a
discriminative one (logistic regression).

Page: generative/mnist-modeling (docs/generative/mnist-modeling.md); each function names
the anchor of the equation it implements. Data: the 8x8 digits that scikit-learn ships
(1,797 images, pixel values 0..16), binarised as x_i = 1 when the value is >= 8.
Shapes: X (N, n) of 0/1, labels y (N,) in 0..K-1, class prior rho (K,), pixel
probabilities mu (K, n) with mu[k, i] = p(x_i = 1 | y = k).
"""

from __future__ import annotations

import gzip
import importlib.util
import itertools
import os

import numpy as np

THRESHOLD = 8  # x_i = 1 when the grey level (0..16) is at least 8


def _check_positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_binary(name: str, X) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2 or not np.all((X == 0) | (X == 1)):
        raise ValueError(f"{name} must be a 2-d array of 0/1, got shape {X.shape}")
    # dtype=None gives the same values: every input here is numeric (0/1 or floats)
    return X.astype(float)  # pragma: no mutate


def _check_labels(y, n_rows: int, n_classes: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n_rows,) or not np.all((y >= 0) & (y < n_classes) & (y == y.astype(int))):
        raise ValueError(f"y must hold {n_rows} integer labels in 0..{n_classes - 1}")
    return y.astype(int)


def _check_model(prior, mu) -> tuple[np.ndarray, np.ndarray]:
    # dtype=None gives the same values: every input here is numeric (0/1 or floats)
    prior = np.asarray(prior, dtype=float)  # pragma: no mutate
    mu = np.asarray(mu, dtype=float)  # pragma: no mutate
    if prior.ndim != 1 or np.any(prior <= 0) or abs(prior.sum() - 1) > 1e-9:
        raise ValueError("prior must be a positive probability vector of shape (K,)")
    if mu.ndim != 2 or mu.shape[0] != prior.shape[0]:
        raise ValueError(f"mu must have shape (K, n) with K = {prior.shape[0]}")
    if np.any(mu <= 0) or np.any(mu >= 1):
        raise ValueError("mu must lie strictly between 0 and 1")
    return prior, mu


def _check_joint(joint) -> np.ndarray:
    # dtype=None gives the same values: every input here is numeric (0/1 or floats)
    joint = np.asarray(joint, dtype=float)  # pragma: no mutate
    if joint.ndim < 1 or joint.shape != (2,) * joint.ndim or np.any(joint < 0) \
            or abs(joint.sum() - 1) > 1e-9:
        raise ValueError("joint must be a probability table of shape (2,)*n")
    return joint


def _check_network(X, parents, cpts) -> np.ndarray:
    X = _check_binary("X", X).astype(int)
    if len(parents) != X.shape[1] or len(cpts) != X.shape[1]:
        raise ValueError(f"parents and cpts must have one entry per column of X "
                         f"({X.shape[1]})")
    for i, (pa, table) in enumerate(zip(parents, cpts)):
        if any(j >= i or j < 0 for j in pa) or np.shape(table) != (2,) * len(pa):
            raise ValueError(f"parents[{i}] must precede {i}; "
                             f"cpts[{i}] must be (2,)*|pa|")
    return X


def _check_logistic(W, b, X, y, l2):
    X = _check_binary("X", X)
    # dtype=None gives the same values: every input here is numeric (0/1 or floats)
    W = np.asarray(W, dtype=float)  # pragma: no mutate
    b = np.asarray(b, dtype=float)  # pragma: no mutate
    if W.ndim != 2 or W.shape[1] != X.shape[1] or b.shape != (W.shape[0],):
        raise ValueError(f"W must be (K, {X.shape[1]}) and b (K,)")
    if not l2 >= 0:
        raise ValueError(f"l2 must be >= 0, got {l2!r}")
    return W, b, X, _check_labels(y, X.shape[0], W.shape[0])


def load_binary_digits(threshold: int = THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 digits bundled with scikit-learn, binarised: x_i = [grey level >= threshold].

    Returns X (1797, 64) of 0/1 (row-major pixels) and the labels y (1797,) in 0..9. The
    file is read directly from the installed package (no download, no sklearn import).
    """
    threshold = _check_positive_int("threshold", threshold)
    if threshold > 16:
        raise ValueError(f"threshold must be in 1..16 (grey levels are 0..16), got {threshold}")
    spec = importlib.util.find_spec("sklearn")
    path = os.path.join(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz")
    # "rb" (the default) is equivalent: np.loadtxt reads bytes as well as text
    with gzip.open(path, "rt") as f:  # pragma: no mutate
        table = np.loadtxt(f, delimiter=",")
    grey, y = table[:, :-1], table[:, -1].astype(int)
    return (grey >= threshold).astype(np.int64), y


def train_test_split(n_rows: int, n_test: int, rng: np.random.Generator):
    """A random split of the indices 0..n_rows-1 into (train, test), n_test of them for test."""
    n_rows = _check_positive_int("n_rows", n_rows, 2)
    n_test = _check_positive_int("n_test", n_test)
    if n_test >= n_rows:
        raise ValueError(f"n_test must be < n_rows = {n_rows}, got {n_test}")
    order = rng.permutation(n_rows)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


# --8<-- [start:full_joint_parameter_count]
def full_joint_parameter_count(n: int) -> int:
    """Free parameters of any distribution over {0,1}^n: 2^n - 1 (#eq-full-joint).

    One probability per configuration, minus one because they sum to 1.
    """
    n = _check_positive_int("n", n)
    return 2**n - 1
# --8<-- [end:full_joint_parameter_count]


# --8<-- [start:chain_rule_conditionals]
def chain_rule_conditionals(joint: np.ndarray) -> list[np.ndarray]:
    """Conditionals p(x_i = 1 | x_<i) of a joint table over {0,1}^n (#eq-chain-rule).

    joint has shape (2,)*n, joint[x_1, ..., x_n] = p(x). Returns a list of n arrays, the
    i-th (0-based) of shape (2,)*i: p(x_{i+1} = 1 | x_1..x_i), from the marginals
    p(x_1..x_i) = sum over the later pixels. A prefix of probability 0 gets 1/2.
    """
    joint = _check_joint(joint)
    n = joint.ndim
    conditionals = []
    for i in range(n):
        # marginal of the first i+1 pixels: sum out x_{i+2}..x_n
        marginal = joint.sum(axis=tuple(range(i + 1, n)))
        prefix = marginal.sum(axis=-1)  # p(x_1..x_i)
        # any non-zero placeholder is equivalent: np.where below discards those entries
        safe = np.where(prefix > 0, prefix, 1.0)  # pragma: no mutate
        conditionals.append(np.where(prefix > 0, marginal[..., 1] / safe, 0.5))
    return conditionals
# --8<-- [end:chain_rule_conditionals]


# --8<-- [start:bayes_net_log_prob]
def bayes_net_log_prob(X: np.ndarray, parents: list[tuple[int, ...]],
                       cpts: list[np.ndarray]) -> np.ndarray:
    """log p(x) = sum_i log p(x_i | x_pa(i)) for binary variables (#eq-bayes-net).

    X (N, n) of 0/1; parents[i] a tuple of indices (each < i, so the order is
    topological); cpts[i] of shape (2,)*len(parents[i]) with p(x_i = 1 | x_pa(i)).
    The chain rule is the case parents[i] = (0, ..., i-1). Returns (N,).
    """
    X = _check_network(X, parents, cpts)
    log_p = np.zeros(X.shape[0])
    for i, (pa, table) in enumerate(zip(parents, cpts)):
        # dtype=None gives the same values: the tables hold floats
        table = np.asarray(table, dtype=float)  # pragma: no mutate
        q = table[tuple(X[:, j] for j in pa)]  # p(x_i = 1 | x_pa(i)) of every image
        log_p += np.log(np.where(X[:, i] == 1, q, 1 - q))
    return log_p
# --8<-- [end:bayes_net_log_prob]


# --8<-- [start:bayes_net_parameter_count]
def bayes_net_parameter_count(parents: list[tuple[int, ...]]) -> int:
    """Free parameters of a binary Bayesian network: sum_i 2^{|pa(i)|} (#eq-bayes-net).

    Node i needs one number p(x_i = 1 | pa) per configuration of its parents.
    """
    if len(parents) == 0:
        raise ValueError("parents must list the parents of at least one node")
    return sum(2 ** len(pa) for pa in parents)
# --8<-- [end:bayes_net_parameter_count]


# --8<-- [start:naive_bayes_parameter_count]
def naive_bayes_parameter_count(n: int, n_classes: int) -> int:
    """Free parameters of naive Bayes: (K - 1) + K n (#eq-naive-bayes).

    K - 1 for the class prior, one p(x_i = 1 | y = k) per class and pixel.
    """
    n = _check_positive_int("n", n)
    n_classes = _check_positive_int("n_classes", n_classes, 2)
    return (n_classes - 1) + n_classes * n
# --8<-- [end:naive_bayes_parameter_count]


# --8<-- [start:naive_bayes_log_joint]
def naive_bayes_log_joint(X: np.ndarray, prior: np.ndarray,
                          mu: np.ndarray) -> np.ndarray:
    """log p(y = k, x) = log rho_k + sum_i [x_i log mu_ki + (1-x_i) log(1-mu_ki)]
    (#eq-naive-bayes). X (N, n) of 0/1; returns (N, K).
    """
    X = _check_binary("X", X)
    prior, mu = _check_model(prior, mu)
    if X.shape[1] != mu.shape[1]:
        raise ValueError(f"X must have {mu.shape[1]} columns, got {X.shape[1]}")
    # sum_i log p(x_i | y = k) for every image and class
    log_lik = X @ np.log(mu).T + (1 - X) @ np.log(1 - mu).T
    return np.log(prior) + log_lik
# --8<-- [end:naive_bayes_log_joint]


# --8<-- [start:fit_naive_bayes]
def fit_naive_bayes(X: np.ndarray, y: np.ndarray, n_classes: int = 10,
                    pseudo_count: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Maximum likelihood prior, smoothed pixel probabilities (#eq-nb-estimate).

    rho_k = N_k / N;  mu_ki = (#{x_i = 1, y = k} + lam) / (N_k + 2 lam), lam the
    pseudo_count: 1 is Laplace smoothing, 0 the maximum likelihood estimate.
    Every class must occur in y. Returns (prior (K,), mu (K, n)).
    """
    X = _check_binary("X", X)
    n_classes = _check_positive_int("n_classes", n_classes, 2)
    y = _check_labels(y, X.shape[0], n_classes)
    if not pseudo_count >= 0:
        raise ValueError(f"pseudo_count must be >= 0, got {pseudo_count!r}")
    Y = np.eye(n_classes)[y]  # one-hot, (N, K)
    counts = Y.sum(axis=0)  # N_k
    if np.any(counts == 0):
        raise ValueError("y must contain every class 0..n_classes-1")
    ones = Y.T @ X  # (K, n): images of class k with x_i = 1
    mu = (ones + pseudo_count) / (counts[:, None] + 2 * pseudo_count)
    return counts / X.shape[0], mu
# --8<-- [end:fit_naive_bayes]


# --8<-- [start:log_softmax]
def log_softmax(Z: np.ndarray) -> np.ndarray:
    """log softmax along the last axis, shifted by the row maximum for stability."""
    # dtype=None gives the same values: every input here is numeric (0/1 or floats)
    Z = np.asarray(Z, dtype=float)  # pragma: no mutate
    # shift by the row maximum: exp never overflows, the result is unchanged
    Z = Z - Z.max(axis=-1, keepdims=True)
    return Z - np.log(np.exp(Z).sum(axis=-1, keepdims=True))
# --8<-- [end:log_softmax]


# --8<-- [start:naive_bayes_posterior]
def naive_bayes_posterior(X: np.ndarray, prior: np.ndarray,
                          mu: np.ndarray) -> np.ndarray:
    """p(y = k | x) = p(y = k, x) / sum_k' p(y = k', x), Bayes' rule (#eq-nb-posterior).

    Returns (N, K), rows summing to 1.
    """
    return np.exp(log_softmax(naive_bayes_log_joint(X, prior, mu)))
# --8<-- [end:naive_bayes_posterior]


# --8<-- [start:naive_bayes_to_softmax]
def naive_bayes_to_softmax(prior: np.ndarray, mu: np.ndarray):
    """Softmax weights equal to the naive Bayes posterior (#eq-nb-posterior).

    W_ki = log(mu_ki / (1 - mu_ki)),  b_k = log rho_k + sum_i log(1 - mu_ki),
    so that p(y = k | x) = softmax(W x + b)_k. Returns W (K, n), b (K,).
    """
    prior, mu = _check_model(prior, mu)
    W = np.log(mu) - np.log(1 - mu)  # log-odds of each pixel given the class
    b = np.log(prior) + np.log(1 - mu).sum(axis=1)  # log p(y = k, x = 0)
    return W, b
# --8<-- [end:naive_bayes_to_softmax]


# --8<-- [start:logistic_loss_and_grad]
def logistic_loss_and_grad(W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray,
                           l2: float = 0.0):
    """Mean cross-entropy of softmax(W x + b) plus (l2/2)||W||^2, and its gradient
    (#eq-logistic).

    L = -(1/N) sum_m log softmax(W x_m + b)_{y_m} + (l2/2) sum W^2;
    dL/dW = (P - Y)^T X / N + l2 W,  dL/db = mean of (P - Y). Returns (L, dW, db).
    """
    W, b, X, y = _check_logistic(W, b, X, y, l2)
    N = X.shape[0]
    log_p = log_softmax(X @ W.T + b)  # (N, K)
    loss = -log_p[np.arange(N), y].mean() + 0.5 * l2 * np.sum(W**2)
    residual = (np.exp(log_p) - np.eye(W.shape[0])[y]) / N  # (P - Y) / N
    return loss, residual.T @ X + l2 * W, residual.sum(axis=0)
# --8<-- [end:logistic_loss_and_grad]


# --8<-- [start:fit_logistic_regression]
def fit_logistic_regression(X: np.ndarray, y: np.ndarray, n_classes: int = 10,
                            l2: float = 1e-3, n_steps: int = 300, lr: float = 2.0):
    """Gradient descent on the penalised cross-entropy from W = 0, b = 0 (#eq-logistic).

    Full-batch steps W <- W - lr dL/dW, b <- b - lr dL/db. Returns (W (K, n), b (K,)).
    """
    n_classes = _check_positive_int("n_classes", n_classes, 2)
    n_steps = _check_positive_int("n_steps", n_steps)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    X = _check_binary("X", X)
    W, b = np.zeros((n_classes, X.shape[1])), np.zeros(n_classes)
    for _ in range(n_steps):
        _, dW, db = logistic_loss_and_grad(W, b, X, y, l2)
        W, b = W - lr * dW, b - lr * db
    return W, b
# --8<-- [end:fit_logistic_regression]


# --8<-- [start:sample_naive_bayes]
def sample_naive_bayes(prior: np.ndarray, mu: np.ndarray, n_samples: int,
                       rng: np.random.Generator):
    """Ancestral sampling: y ~ Categorical(rho), then each x_i ~ Bernoulli(mu_{y,i}).

    Returns X (n_samples, n) of 0/1 and y (n_samples,).
    """
    prior, mu = _check_model(prior, mu)
    n_samples = _check_positive_int("n_samples", n_samples)
    y = rng.choice(prior.shape[0], size=n_samples, p=prior)
    # < or <=: a uniform draw equals mu with probability 0
    X = (rng.random((n_samples, mu.shape[1])) < mu[y]).astype(np.int64)  # pragma: no mutate
    return X, y
# --8<-- [end:sample_naive_bayes]


def all_binary_images(n: int) -> np.ndarray:
    """Every x in {0,1}^n once, shape (2^n, n), in the order of itertools.product."""
    n = _check_positive_int("n", n)
    # dtype=None is equivalent: numpy makes int64 of Python ints on the platforms we run
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int64)  # pragma: no mutate


# --8<-- [start:log_marginal]
def naive_bayes_log_marginal(X: np.ndarray, prior: np.ndarray, mu: np.ndarray):
    """log p(x) = log sum_k p(y = k, x), the density of an image (#eq-conditional).

    Returns (N,).
    """
    log_joint = naive_bayes_log_joint(X, prior, mu)
    top = log_joint.max(axis=1)
    return top + np.log(np.exp(log_joint - top[:, None]).sum(axis=1))
# --8<-- [end:log_marginal]


# --8<-- [start:conditional_log_likelihood]
def conditional_log_likelihood(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean log p(y_m | x_m) of labels under softmax(logits) (#eq-conditional).

    logits (N, K): W x + b for logistic regression, log p(y, x) for naive Bayes.
    """
    # dtype=None gives the same values: every input here is numeric (0/1 or floats)
    logits = np.asarray(logits, dtype=float)  # pragma: no mutate
    if logits.ndim != 2:
        raise ValueError(f"logits must be (N, K), got shape {logits.shape}")
    y = _check_labels(y, logits.shape[0], logits.shape[1])
    return float(log_softmax(logits)[np.arange(logits.shape[0]), y].mean())
# --8<-- [end:conditional_log_likelihood]


if __name__ == "__main__":
    X, y = load_binary_digits()
    train, test = train_test_split(len(y), 597, np.random.default_rng(0))
    n = X.shape[1]
    print(f"images: {X.shape[0]}, pixels n = {n}, mean x_i = {X.mean():.3f}")
    print(f"parameters, 3x3 crop: full joint {full_joint_parameter_count(9)}, "
          f"naive Bayes {naive_bayes_parameter_count(9, 10)}")
    print(f"parameters, 8x8 image: full joint {full_joint_parameter_count(n):.3e}, "
          f"naive Bayes {naive_bayes_parameter_count(n, 10)}")
    prior, mu = fit_naive_bayes(X[train], y[train], 10, pseudo_count=1.0)
    counts = np.eye(10)[y[train]].T @ X[train]  # c_ki
    print(f"counts c_ki = 0: {int(np.sum(counts == 0))} of {counts.size}")
    W_nb, b_nb = naive_bayes_to_softmax(prior, mu)
    W_lr, b_lr = fit_logistic_regression(X[train], y[train])
    post_nb = naive_bayes_posterior(X[test], prior, mu)
    post_softmax = np.exp(log_softmax(X[test] @ W_nb.T + b_nb))
    top = np.argsort(-post_nb[0])[:3]
    print(f"first test image (label {y[test[0]]}), top 3 of p(y|x): "
          + ", ".join(f"{k}: {post_nb[0, k]:.4f}" for k in top))
    gap = np.abs(post_nb - post_softmax).max()
    print(f"max |naive Bayes posterior - softmax(W x + b)| over {len(test)} test images "
          f"< 1e-12: {gap < 1e-12}")
    for name, Z_train, Z_test in [
            ("naive Bayes", naive_bayes_log_joint(X[train], prior, mu),
             naive_bayes_log_joint(X[test], prior, mu)),
            ("logistic", X[train] @ W_lr.T + b_lr, X[test] @ W_lr.T + b_lr)]:
        acc = np.mean(Z_test.argmax(axis=1) == y[test])
        print(f"{name:11s}: test accuracy {acc:.3f}, mean log p(y|x) train "
              f"{conditional_log_likelihood(Z_train, y[train]):.3f}, "
              f"test {conditional_log_likelihood(Z_test, y[test]):.3f}")
    q = (X[train].sum(axis=0) + 1) / (len(train) + 2)  # one Bernoulli per pixel, no class
    log_px_ind = X[test] @ np.log(q) + (1 - X[test]) @ np.log(1 - q)
    print(f"mean log p(x) on test: naive Bayes "
          f"{naive_bayes_log_marginal(X[test], prior, mu).mean():.2f} nats, "
          f"independent pixels {log_px_ind.mean():.2f} nats")
