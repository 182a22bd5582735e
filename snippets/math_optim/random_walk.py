"""The symmetric simple random walk on the integers, studied with generating functions.

Page: math-optim/random-walk (docs/math-optim/random-walk.md); each function names the
anchor of the equation it implements. Steps X_1, X_2, ... are independent, +1 or -1 with
probability 1/2 each; the position after n steps is W_n = X_1 + ... + X_n, W_0 = 0.
Every function takes the step count n, the subscript of the page's formulas:
u_n = P(W_n = 0) and f_n = P(the first return to 0 happens at step n), both 0 for odd n.
"""

from __future__ import annotations

import math

import numpy as np


def _check_steps(name: str, n, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _check_position(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be an integer position, got {k!r}")
    return int(k)


def _check_z(z, closed: bool) -> np.ndarray:
    # dtype=None is equivalent for numeric z: |z| <= 1 and the arithmetic makes floats
    z = np.asarray(z, dtype=float)  # pragma: no mutate
    inside = np.abs(z) <= 1 if closed else np.abs(z) < 1
    if not np.all(inside):
        bound = "|z| <= 1" if closed else "|z| < 1"
        raise ValueError(f"z must satisfy {bound}, got {z}")
    return z


# --8<-- [start:position_distribution]
def position_distribution(n: int) -> np.ndarray:
    """Coefficients of E[x^{W_n}] = ((x + 1/x) / 2)^n (#eq-position-gf).

    Returns p of shape (2n + 1,), p[j] = P(W_n = j - n), the coefficient of x^{j-n}:
    the one-step polynomial (x^{-1} + x)/2 multiplied into itself n times.
    """
    n = _check_steps("n", n, 0)
    # (x^{-1} + x)/2: the coefficients of x^{-1}, x^0, x^1
    one_step = np.array([0.5, 0.0, 0.5])
    p = np.array([1.0])  # E[x^{W_0}] = 1
    for _ in range(n):
        p = np.convolve(p, one_step)  # one more factor (x + x^{-1})/2
    return p
# --8<-- [end:position_distribution]


# --8<-- [start:position_probability]
def position_probability(n: int, k: int) -> float:
    """P(W_n = k) = C(n, (n + k)/2) / 2^n (#eq-position-probability).

    (n + k)/2 is the number of +1 steps; the probability is 0 when n + k is odd or
    |k| > n. n >= 0 (W_0 = 0 with probability 1), k any integer.
    """
    n = _check_steps("n", n, 0)
    k = _check_position(k)
    if abs(k) > n or k % 2 != n % 2:  # n + k odd: no integer number of up-steps
        return 0.0
    # n - k for n + k is equivalent: C(n, j) = C(n, n - j), the walk is symmetric
    up_steps = (n + k) // 2  # pragma: no mutate
    # C(n, up_steps) equally likely paths, each of probability 2^{-n}
    return math.comb(n, up_steps) / 2**n
# --8<-- [end:position_probability]


# --8<-- [start:return_probability]
def return_probability(n: int) -> float:
    """u_n = P(W_n = 0): u_{2m} = C(2m, m) / 4^m, u_{odd} = 0 (#eq-return-probability).

    n >= 0 steps; u_0 = 1.
    """
    n = _check_steps("n", n, 0)
    if n % 2 == 1:
        return 0.0
    m = n // 2
    return math.comb(2 * m, m) / 4**m
# --8<-- [end:return_probability]


# --8<-- [start:first_returns_from_returns]
def first_returns_from_returns(u) -> np.ndarray:
    """Solve the renewal equation u_n = sum_{j=1}^{n} f_j u_{n-j} for f (#eq-renewal).

    u: shape (N + 1,), u[n] = P(W_n = 0) for n = 0..N, with u[0] = 1.
    Returns f of shape (N + 1,), f[0] = 0 and f[n] = u_n - sum_{j=1}^{n-1} f_j u_{n-j}.
    """
    # dtype=None is equivalent: an integer u gives the same (integer) f exactly
    u = np.asarray(u, dtype=float)  # pragma: no mutate
    if u.ndim != 1 or u.size < 1 or u[0] != 1.0:
        raise ValueError(f"u must be a 1-D sequence u_0, ..., u_N with u_0 = 1, "
                         f"got {u}")
    f = np.zeros_like(u)  # f_0 = 0: step 0 is not a return
    for n in range(1, u.size):
        # the last term j = n is f_n u_0 = f_n; the others are already known
        f[n] = u[n] - np.dot(f[1:n], u[n - 1:0:-1])
    return f
# --8<-- [end:first_returns_from_returns]


# --8<-- [start:return_generating_function]
def return_generating_function(z):
    """U(z) = sum_n u_n z^n = (1 - z^2)^{-1/2} for |z| < 1 (#eq-return-gf).

    z: a number or an array; the result has its shape.
    """
    # closed=None is equivalent to closed=False: both are false
    z = _check_z(z, closed=False)  # pragma: no mutate
    return 1.0 / np.sqrt(1.0 - z**2)
# --8<-- [end:return_generating_function]


# --8<-- [start:first_return_generating_function]
def first_return_generating_function(z):
    """F(z) = sum_n f_n z^n = 1 - sqrt(1 - z^2) for |z| <= 1 (#eq-first-return-gf).

    F = 1 - 1/U inside the unit disc; F(1) = 1 is the probability of ever returning.
    """
    z = _check_z(z, closed=True)
    return 1.0 - np.sqrt(1.0 - z**2)
# --8<-- [end:first_return_generating_function]


# --8<-- [start:first_return_probability]
def first_return_probability(n: int) -> float:
    """f_n = P(W_1 != 0, ..., W_{n-1} != 0, W_n = 0) (#eq-first-return-probability).

    f_{2m} = u_{2m} / (2m - 1) for even n = 2m >= 2; 0 for odd n. n >= 1.
    """
    n = _check_steps("n", n, 1)
    if n % 2 == 1:
        return 0.0
    return return_probability(n) / (n - 1)
# --8<-- [end:first_return_probability]


# --8<-- [start:no_return_probability]
def no_return_probability(n: int) -> float:
    """P(T > n) = 1 - sum_{j=1}^{n} f_j, T the step of the first return
    (#eq-recurrence).

    Equals u_{2m} for n = 2m and n = 2m + 1, and tends to 0: the walk returns with
    probability F(1) = 1. n >= 0.
    """
    n = _check_steps("n", n, 0)
    total = 0.0
    for m in range(1, n // 2 + 1):  # odd steps are never returns
        total += first_return_probability(2 * m)
    return 1.0 - total
# --8<-- [end:no_return_probability]


# --8<-- [start:return_probability_asymptotic]
def return_probability_asymptotic(n: int) -> float:
    """u_{2m} ~ 1 / sqrt(pi m), in the step count n = 2m (#eq-return-asymptotic).

    Returns sqrt(2 / (pi n)) for even n >= 2. The exact u_{2m} lies strictly between
    1/sqrt(pi (m + 1/2)) and this value.
    """
    n = _check_steps("n", n, 2)
    if n % 2 == 1:
        raise ValueError(f"n must be even (returns happen at even steps), got {n}")
    return math.sqrt(2.0 / (math.pi * n))
# --8<-- [end:return_probability_asymptotic]


# --8<-- [start:mean_abs_position]
def mean_abs_position(n: int) -> float:
    """E|W_n| = u_0 + u_1 + ... + u_{n-1} = 2m u_{2m}, m = ceil(n/2) (#eq-mean-abs).

    n >= 0; E|W_0| = 0.
    """
    n = _check_steps("n", n, 0)
    m = (n + 1) // 2  # W_{2m-1} and W_{2m} have the same mean distance
    return 2 * m * return_probability(2 * m)


def mean_abs_asymptotic(n: int) -> float:
    """E|W_n| ~ sqrt(2n / pi) as n -> infinity (#eq-mean-abs). n >= 1."""
    n = _check_steps("n", n, 1)
    return math.sqrt(2.0 * n / math.pi)
# --8<-- [end:mean_abs_position]


# --8<-- [start:simulate_walks]
def simulate_walks(n_steps: int, n_walks: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of n_walks independent walks, shape (n_walks, n_steps + 1).

    Row i is W_0 = 0, W_1, ..., W_{n_steps} of walk i; steps are +1 or -1 with
    probability 1/2 each, drawn from rng.
    """
    n_steps = _check_steps("n_steps", n_steps, 1)
    n_walks = _check_steps("n_walks", n_walks, 1)
    steps = rng.choice(np.array([-1, 1]), size=(n_walks, n_steps))  # X_i = ±1
    start = np.zeros((n_walks, 1), dtype=steps.dtype)
    return np.concatenate([start, np.cumsum(steps, axis=1)], axis=1)


def first_return_times(paths) -> np.ndarray:
    """Step of the first return to 0 of each path (rows of simulate_walks); 0 if none.

    paths: shape (n_walks, n_steps + 1) with paths[:, 0] = 0.
    """
    paths = np.asarray(paths)
    if paths.ndim != 2 or paths.shape[1] < 2 or np.any(paths[:, 0] != 0):
        raise ValueError("paths must have shape (n_walks, n_steps + 1), starting at 0")
    at_zero = paths[:, 1:] == 0
    hit = at_zero.any(axis=1)
    # argmax finds the first True; +1 because column 0 of at_zero is step 1
    return np.where(hit, at_zero.argmax(axis=1) + 1, 0)
# --8<-- [end:simulate_walks]


if __name__ == "__main__":
    print("P(W_4 = k), k = -4..4:", position_distribution(4))
    print("u_2, u_4, u_6:", [return_probability(n) for n in (2, 4, 6)])
    print("f_2, f_4, f_6:", [first_return_probability(n) for n in (2, 4, 6)])
    print("P(W_20 = 0) =", round(position_probability(20, 0), 5),
          " P(W_20 = 10) =", round(position_probability(20, 10), 5))
    for n in (10, 100, 1000, 10_000):
        print(f"n = {n}: u_n = {return_probability(n):.5f}, "
              f"sqrt(2/(pi n)) = {return_probability_asymptotic(n):.5f}, "
              f"P(T > n) = {no_return_probability(n):.5f}, "
              f"E|W_n| = {mean_abs_position(n):.4f}, "
              f"sqrt(2n/pi) = {mean_abs_asymptotic(n):.4f}")
    print("E|W_99| =", round(mean_abs_position(99), 4))
    print("F(1) =", first_return_generating_function(1.0),
          " U(0.5) =", round(float(return_generating_function(0.5)), 6),
          " F(0.5) =", round(float(first_return_generating_function(0.5)), 6))
    n, u = 0, 1.0
    while u >= 0.01:  # u_{n+2} = u_n (n + 1)/(n + 2); P(T > n) = u_n for even n
        n, u = n + 2, u * (n + 1) / (n + 2)
    print("first step count with P(T > n) < 0.01:", n, " u_n =", round(u, 6),
          " check:", round(no_return_probability(n), 6))
    T = first_return_times(simulate_walks(200, 20_000, np.random.default_rng(12)))
    print("20,000 simulated walks of 200 steps: no return by step 200:",
          np.mean(T == 0), " exact:", round(no_return_probability(200), 6))
