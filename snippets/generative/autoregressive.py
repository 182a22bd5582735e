"""Autoregressive models of binary vectors: chain rule, FVSBN, NADE, MADE, ancestral sampling.

Page: generative/autoregressive (docs/generative/autoregressive.md); each function names the
anchor of the equation it implements. A data point is x in {0, 1}^n, stored as a float array
of shape (..., n) whose last axis holds x_1..x_n (column i - 1 holds x_i). Every model gives
the conditionals p_i = p(x_i = 1 | x_<i), an array of the same shape as x, where p_i may depend
on x_1..x_{i-1} only; then log p(x) = sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)].
NumPy for the chain rule, FVSBN and NADE; torch for MADE (its checks use autograd).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch


def _check_binary(x, name: str = "x") -> np.ndarray:
    # dtype=None is equivalent for numeric 0/1 input (ints, floats, booleans): every use
    # below (x == 0, 1 - x, x @ A, the products) gives the same float results
    x = np.asarray(x, dtype=float)  # pragma: no mutate
    if x.ndim < 1 or x.shape[-1] < 1 or not np.all((x == 0) | (x == 1)):
        raise ValueError(f"{name} must be an array of 0/1 values with shape (..., n), n >= 1")
    return x


def _check_shape(name: str, value, shape: tuple) -> np.ndarray:
    # dtype=None is equivalent: integer parameters give the same floats after the arithmetic
    value = np.asarray(value, dtype=float)  # pragma: no mutate
    if value.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
    return value


def _check_count(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _check_joint(joint, x) -> tuple[np.ndarray, np.ndarray]:
    # dtype=None is equivalent: an integer table summing to 1 gives the same float ratios
    joint = np.asarray(joint, dtype=float)  # pragma: no mutate
    n = joint.ndim
    if n < 1 or joint.shape != (2,) * n or np.any(joint < 0) or abs(joint.sum() - 1) > 1e-9:
        raise ValueError("joint must be a nonnegative table of shape (2,)*n summing to 1")
    x = _check_binary(x).astype(int)
    if x.shape != (n,):
        raise ValueError(f"x must have shape ({n},), got {x.shape}")
    return joint, x


# --8<-- [start:chain_rule_factors]
def chain_rule_factors(joint: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The factors p(x_i | x_<i) of p(x) = prod_i p(x_i | x_<i) (#eq-chain-rule).

    joint: shape (2,) * n, joint[x_1, ..., x_n] = p(x), nonnegative, summing to 1.
    x: one binary vector of shape (n,) with p(x_<i) > 0 for every i.
    Returns shape (n,): factor i - 1 is p(x_1..x_i) / p(x_1..x_{i-1}), the marginals
    obtained by summing the joint over the coordinates after i.
    """
    joint, x = _check_joint(joint, x)
    n = joint.ndim
    factors = np.empty(n)
    previous = 1.0  # p(x_<1) = p(empty prefix) = 1
    # range(n + 1) is equivalent: i = 0 writes factors[-1] = 1 / 1, overwritten at i = n
    for i in range(1, n + 1):  # pragma: no mutate
        # p(x_1..x_i): sum out the coordinates i+1..n, then index the prefix
        prefix = joint.sum(axis=tuple(range(i, n)))[tuple(x[:i])]
        if previous == 0:
            raise ValueError("x must have p(x_<i) > 0 for every i")
        factors[i - 1] = prefix / previous
        previous = prefix
    return factors
# --8<-- [end:chain_rule_factors]


# --8<-- [start:bernoulli_log_prob]
def bernoulli_log_prob(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """log p(x) = sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)] (#eq-chain-rule).

    x: binary, shape (..., n); p: the conditionals p(x_i = 1 | x_<i), same shape,
    values in (0, 1). Returns shape (...,).
    """
    x = _check_binary(x)
    # dtype=None is equivalent: p in (0, 1) is a float array already
    p = np.asarray(p, dtype=float)  # pragma: no mutate
    if p.shape != x.shape or not np.all((p > 0) & (p < 1)):
        raise ValueError("p must have the shape of x and values in (0, 1)")
    # one Bernoulli factor per coordinate; their product is p(x) by the chain rule
    return np.sum(x * np.log(p) + (1 - x) * np.log1p(-p), axis=-1)
# --8<-- [end:bernoulli_log_prob]


# --8<-- [start:fvsbn_conditionals]
def fvsbn_conditionals(x: np.ndarray, a0: np.ndarray, A: np.ndarray) -> np.ndarray:
    """FVSBN: p(x_i = 1 | x_<i) = sigma(a_{i0} + sum_{j<i} a_{ij} x_j) (#eq-fvsbn).

    x: binary, shape (..., n); a0: biases, shape (n,); A: weights, shape (n, n), of
    which only the strictly lower triangle (j < i) is used. Returns shape (..., n).
    """
    x = _check_binary(x)
    n = x.shape[-1]
    a0 = _check_shape("a0", a0, (n,))
    A = _check_shape("A", A, (n, n))
    # keep a_ij for j < i only: x_i may depend on x_1..x_{i-1}
    lower = np.tril(A, k=-1)
    return _sigmoid(a0 + x @ lower.T)
# --8<-- [end:fvsbn_conditionals]


# --8<-- [start:fvsbn_num_params]
def fvsbn_num_params(n: int) -> int:
    """Number of FVSBN parameters: sum_{i=1}^n i = n (n + 1) / 2 (#eq-fvsbn-params).

    Conditional i has a bias a_{i0} and i - 1 weights a_{i1}..a_{i,i-1}.
    """
    n = _check_count("n", n, 1)
    return n * (n + 1) // 2
# --8<-- [end:fvsbn_num_params]


def _check_nade(x, W, c, V, b):
    x = _check_binary(x)
    n = x.shape[-1]
    # dtype=None is equivalent: integer weights give the same floats after the arithmetic
    W = np.asarray(W, dtype=float)  # pragma: no mutate
    if W.ndim != 2 or W.shape[1] != n or W.shape[0] < 1:
        raise ValueError(f"W must have shape (d, {n}) with d >= 1, got {W.shape}")
    d = W.shape[0]
    return x, W, _check_shape("c", c, (d,)), _check_shape("V", V, (n, d)), _check_shape(
        "b", b, (n,))


# --8<-- [start:nade_conditionals]
def nade_conditionals(x: np.ndarray, W: np.ndarray, c: np.ndarray, V: np.ndarray,
                      b: np.ndarray) -> np.ndarray:
    """NADE: h_i = sigma(W[:, <i] x_<i + c), p_i = sigma(V[i] . h_i + b_i) (#eq-nade).

    x: binary, shape (..., n); W: (d, n); c: (d,); V: (n, d); b: (n,).
    The pre-activation a_i = c + W[:, <i] x_<i is updated by one column per step,
    a_{i+1} = a_i + W[:, i] x_i: O(n d) in all instead of O(n^2 d).
    Returns shape (..., n).
    """
    x, W, c, V, b = _check_nade(x, W, c, V, b)
    n = x.shape[-1]
    p = np.empty(x.shape)
    a = np.broadcast_to(c, x.shape[:-1] + c.shape)  # a_1 = c: x_<1 is empty
    for i in range(n):  # column i holds x_{i+1}
        h = _sigmoid(a)  # h_{i+1}, shape (..., d)
        p[..., i] = _sigmoid(h @ V[i] + b[i])
        a = a + np.multiply.outer(x[..., i], W[:, i])  # add W[:, i] x_{i+1}
    return p
# --8<-- [end:nade_conditionals]


# --8<-- [start:nade_num_params]
def nade_num_params(n: int, d: int) -> tuple[int, int]:
    """NADE parameters (#eq-nade-params): (stored, used) = (2nd + n + d, 2nd + n).

    Stored: W (d n) + c (d) + V (n d) + b (n). Used: the last column W[:, n]
    multiplies x_n, which no conditional sees, so p(x) depends on 2nd + n of them.
    """
    n = _check_count("n", n, 1)
    d = _check_count("d", d, 1)
    stored = d * n + d + n * d + n
    return stored, stored - d
# --8<-- [end:nade_num_params]


# --8<-- [start:made_masks]
def made_masks(n: int, hidden_degrees: Sequence[np.ndarray]) -> list[np.ndarray]:
    """MADE masks from the degrees of the units (#eq-made-masks).

    Inputs have degrees 1..n, hidden unit k of layer l a degree m_l(k) in 1..n-1.
    Hidden layer l: M[k, j] = 1 if m_l(k) >= m_{l-1}(j). Output layer: M[i, k] = 1
    if the output's degree i (1..n) is > m_L(k). Returns 0/1 arrays (out, in), one
    a layer.
    """
    n = _check_count("n", n, 2)
    if len(hidden_degrees) < 1:
        raise ValueError("hidden_degrees must list at least one hidden layer")
    previous = np.arange(1, n + 1)  # input x_i has degree i
    masks = []
    for m in hidden_degrees:
        m = np.asarray(m)
        if m.ndim != 1 or m.size < 1 or np.any(m < 1) or np.any(m > n - 1):
            raise ValueError(f"hidden_degrees must be 1-d with values in 1..{n - 1}")
        # unit k may see unit j of the layer below when m(k) >= m(j)
        allowed = m[:, None] >= previous[None, :]
        # astype(None) is equivalent: numpy reads None as float64
        masks.append(allowed.astype(float))  # pragma: no mutate
        previous = m
    # output i (degree i) may see hidden unit k only when i > m_L(k): strictly
    allowed = np.arange(1, n + 1)[:, None] > previous[None, :]
    # astype(None) is equivalent: numpy reads None as float64
    masks.append(allowed.astype(float))  # pragma: no mutate
    return masks
# --8<-- [end:made_masks]


# --8<-- [start:made_hidden_degrees]
def made_hidden_degrees(n: int, hidden_sizes: Sequence[int],
                        rng: np.random.Generator) -> list[np.ndarray]:
    """Degrees m_l(k) uniform on {min_k' m_{l-1}(k'), ..., n - 1} (#eq-made-masks).

    The inputs' degrees are 1..n (minimum 1). Returns shape (hidden_sizes[l],) a layer.
    """
    n = _check_count("n", n, 2)
    sizes = [_check_count("hidden_sizes", h, 1) for h in hidden_sizes]
    degrees = []
    low = 1  # the smallest input degree
    for size in sizes:
        m = rng.integers(low, n, size=size)  # uniform on low..n-1 (high is exclusive)
        degrees.append(m)
        low = int(m.min())
    return degrees
# --8<-- [end:made_hidden_degrees]


# --8<-- [start:made_conditionals]
def made_conditionals(x: torch.Tensor, weights: Sequence[torch.Tensor],
                      biases: Sequence[torch.Tensor],
                      masks: Sequence[np.ndarray]) -> torch.Tensor:
    """MADE (#eq-made): h_l = sigma((W_l * M_l) h_{l-1} + b_l), h_0 = x, and
    p = sigma((W_out * M_out) h_L + b_out).

    x: tensor of shape (..., n); weights[l]: (out, in); biases[l]: (out,); masks from
    made_masks, one a layer. * is the elementwise product. Returns p, shape (..., n).
    """
    if not (len(weights) == len(biases) == len(masks)) or len(weights) < 2:
        raise ValueError("weights, biases and masks must have the same length >= 2")
    for W, bias, M in zip(weights, biases, masks):
        if tuple(W.shape) != np.shape(M) or tuple(bias.shape) != (W.shape[0],):
            raise ValueError("weights must have their masks' shapes, biases (out,)")
    h = x
    for W, bias, M in zip(weights, biases, masks):
        # the mask zeroes every connection that would let output i see x_j, j >= i
        h = torch.sigmoid(h @ (W * torch.as_tensor(M, dtype=W.dtype)).T + bias)
    return h
# --8<-- [end:made_conditionals]


# --8<-- [start:ancestral_sample]
def ancestral_sample(conditionals: Callable[[np.ndarray], np.ndarray], n: int,
                     num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Ancestral sampling (#eq-sampling): x_1 ~ p(x_1), then x_i ~ p(x_i | x_<i).

    conditionals(x) maps a binary array of shape (num_samples, n) to p(x_i = 1 | x_<i)
    of the same shape, column i depending on columns < i only. Returns (num_samples, n).
    """
    n = _check_count("n", n, 1)
    num_samples = _check_count("num_samples", num_samples, 1)
    x = np.zeros((num_samples, n))
    for i in range(n):
        # columns >= i are still 0, and column i of p does not read them
        p_i = conditionals(x)[:, i]
        # <= is equivalent: it differs only when a uniform draw equals p_i exactly
        x[:, i] = rng.random(num_samples) < p_i  # pragma: no mutate
    return x
# --8<-- [end:ancestral_sample]


def all_binary_vectors(n: int) -> np.ndarray:
    """Every x in {0,1}^n once, shape (2^n, n), row r = the binary digits of r."""
    n = _check_count("n", n, 1)
    bits = (np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)) & 1  # x_1 = top bit
    # astype(None) is equivalent: numpy reads None as float64
    return bits.astype(float)  # pragma: no mutate


if __name__ == "__main__":
    print("parameters, n = 3: full table", 2**3 - 1, " FVSBN", fvsbn_num_params(3))
    print("parameters, n = 784: FVSBN", fvsbn_num_params(784),
          " NADE (d = 500) stored, used:", nade_num_params(784, 500))
    # the toy of the example: n = 3, FVSBN with hand-picked weights
    a0 = np.array([0.0, -1.0, 0.5])
    A = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [-1.0, 1.5, 0.0]])
    X = all_binary_vectors(3)
    p = fvsbn_conditionals(X, a0, A)
    px = np.exp(bernoulli_log_prob(X, p))
    for row, prob in zip(X.astype(int), px):
        print("x =", row, " p(x) =", round(float(prob), 4))
    print("sum over 8 vectors:", round(float(px.sum()), 12))
    rng = np.random.default_rng(0)
    S = ancestral_sample(lambda z: fvsbn_conditionals(z, a0, A), 3, 20_000, rng)
    freq = np.bincount(S.astype(int) @ np.array([4, 2, 1]), minlength=8) / 20_000
    print("20,000 samples, frequencies:", np.round(freq, 4))
    # the example section: a NADE with n = 4, d = 3, and the masks of a small MADE
    rng = np.random.default_rng(1)
    n, d = 4, 3
    W, c = rng.normal(0, 1.5, (d, n)), rng.normal(0, 1, d)
    V, b = rng.normal(0, 1.5, (n, d)), rng.normal(0, 1, n)
    X = all_binary_vectors(n)
    px = np.exp(bernoulli_log_prob(X, nade_conditionals(X, W, c, V, b)))
    print("NADE n = 4, d = 3: sum of p(x) over 16 vectors:", round(float(px.sum()), 12))
    print("largest p(x):", round(float(px.max()), 4), "at x =", X[px.argmax()].astype(int))
    S = ancestral_sample(lambda z: nade_conditionals(z, W, c, V, b), n, 20_000, rng)
    freq = np.bincount(S.astype(int) @ np.array([8, 4, 2, 1]), minlength=16) / 20_000
    se = np.sqrt(px * (1 - px) / 20_000)
    print("20,000 ancestral samples: largest |frequency - p(x)| / standard error:",
          round(float(np.max(np.abs(freq - px) / se)), 2))
    degrees = [np.array([1, 2, 3, 1, 2, 3])]
    masks = made_masks(4, degrees)
    print("MADE, hidden degrees", degrees[0], "-> paths from x_j to p_i:")
    print((masks[1] @ masks[0]).astype(int))
