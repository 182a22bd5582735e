"""Generative models as fitting a distribution: KL, maximum likelihood, sampling.

Page: generative/generative-models (docs/generative/generative-models.md); each function
names the anchor of the equation it implements. Discrete distributions are 1-D arrays of
shape (K,) over the outcomes 0..K-1; a data set is a 1-D integer array of N outcomes.
Binary vectors x in {0, 1}^n are arrays of shape (N, n). Logarithms are natural (nats).
"""

from __future__ import annotations

import numpy as np


# Each `np.asarray(..., dtype=float)` below is marked: with dtype=None an integer input
# stays integer, and the arithmetic after it gives the same floats.


def _check_distribution(name: str, p) -> np.ndarray:
    p = np.asarray(p, dtype=float)  # pragma: no mutate
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"{name} must have finite non-negative entries, got {p}")
    if abs(p.sum() - 1.0) > 1e-9:
        raise ValueError(f"{name} must sum to 1, got sum {p.sum()}")
    return p


def _check_pair(p, q) -> tuple[np.ndarray, np.ndarray]:
    p, q = _check_distribution("p", p), _check_distribution("q", q)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape}, {q.shape}")
    return p, q


def _check_data(data, k: int) -> np.ndarray:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    data = np.asarray(data)
    if data.ndim != 1 or data.size == 0 or not np.issubdtype(data.dtype, np.integer):
        raise ValueError(f"data must be a non-empty 1-D integer array, got {data}")
    if data.min() < 0 or data.max() >= k:
        raise ValueError(f"data must hold outcomes in 0..{k - 1}, got {data!r}")
    return data


def _check_probs(q) -> np.ndarray:
    q = np.asarray(q, dtype=float)  # pragma: no mutate
    if q.ndim != 1 or q.size == 0 or np.any(q <= 0) or np.any(q >= 1):
        raise ValueError(f"q must be a non-empty 1-D array with entries in (0, 1): {q}")
    return q


def _check_binary(x, n: int) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != n or not np.all((x == 0) | (x == 1)):
        raise ValueError(f"x must be an (N, {n}) array of zeros and ones: {x.shape}")
    return x


def _check_mixture(weights, means, stds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    weights = _check_distribution("weights", weights)
    means = np.asarray(means, dtype=float)  # pragma: no mutate
    stds = np.asarray(stds, dtype=float)  # pragma: no mutate
    if means.shape != weights.shape or stds.shape != weights.shape:
        raise ValueError("means and stds must have the shape of weights, "
                         f"got {means.shape}, {stds.shape} and {weights.shape}")
    if np.any(stds <= 0):
        raise ValueError(f"stds must be positive, got {stds}")
    return weights, means, stds


# --8<-- [start:kl_divergence]
def kl_divergence(p, q) -> float:
    """KL(p || q) = sum_x p(x) log(p(x) / q(x)) (#eq-kl).

    p, q: (K,) distributions. Terms with p(x) = 0 are 0 (the limit of t log t); the
    result is +inf when q(x) = 0 somewhere p(x) > 0.
    """
    p, q = _check_pair(p, q)
    on = p > 0  # the support of p: only these terms count
    if np.any(q[on] == 0):
        # float() reads "inf" in any case: "INF" is the same value
        return float("inf")  # pragma: no mutate
    return float(np.sum(p[on] * np.log(p[on] / q[on])))
# --8<-- [end:kl_divergence]


# --8<-- [start:cross_entropy]
def entropy(p) -> float:
    """H(p) = -sum_x p(x) log p(x) (#eq-gibbs); p: (K,)."""
    p = _check_distribution("p", p)
    on = p > 0
    return float(-np.sum(p[on] * np.log(p[on])))


def cross_entropy(p, q) -> float:
    """H(p, q) = -sum_x p(x) log q(x) >= H(p) (Gibbs' inequality, #eq-gibbs).

    p, q: (K,); +inf when q(x) = 0 somewhere p(x) > 0.
    """
    p, q = _check_pair(p, q)
    on = p > 0
    if np.any(q[on] == 0):
        # float() reads "inf" in any case: "INF" is the same value
        return float("inf")  # pragma: no mutate
    return float(-np.sum(p[on] * np.log(q[on])))
# --8<-- [end:cross_entropy]


# --8<-- [start:empirical_distribution]
def empirical_distribution(data, k: int) -> np.ndarray:
    """p_hat(x) = (1/N) #{i : x_i = x}, x = 0..k-1 (#eq-empirical-loglik).

    data: (N,) outcomes in 0..k-1; returns (k,).
    """
    data = _check_data(data, k)
    return np.bincount(data, minlength=k) / data.size


def log_likelihood(q, data) -> float:
    """Average log-likelihood l(q) = (1/N) sum_i log q(x_i) (#eq-empirical-loglik).

    q: (K,) model distribution; data: (N,) outcomes. -inf if some q(x_i) = 0.
    """
    q = _check_distribution("q", q)
    data = _check_data(data, q.size)
    with np.errstate(divide="ignore"):  # log 0 = -inf is the intended value
        return float(np.mean(np.log(q[data])))
# --8<-- [end:empirical_distribution]


# --8<-- [start:categorical_mle]
def categorical_mle(data, k: int) -> np.ndarray:
    """argmax_q l(q) over all (k,) distributions = the frequencies p_hat (#eq-kl-mle).

    The same q minimises KL(p_hat || q) = -H(p_hat) - l(q); data: (N,) outcomes.
    """
    counts = np.bincount(_check_data(data, k), minlength=k)
    return counts / counts.sum()
# --8<-- [end:categorical_mle]


# --8<-- [start:monte_carlo_mean]
def monte_carlo_mean(values) -> tuple[float, float]:
    """E[f(x)] ~ (1/N) sum_i f(x_i), with standard error s / sqrt(N) (#eq-monte-carlo).

    values: (N,) with N >= 2, the f(x_i) of independent draws x_i ~ p. s is the sample
    standard deviation with the 1/(N-1) normalisation, so s^2 is unbiased for Var f(x).
    """
    values = np.asarray(values, dtype=float)  # pragma: no mutate
    if values.ndim != 1 or values.size < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"values must be a 1-D finite array of >= 2 draws, {values}")
    n = values.size
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(n))
# --8<-- [end:monte_carlo_mean]


# --8<-- [start:bernoulli_log_prob]
def bernoulli_log_prob(x, q) -> np.ndarray:
    """log p(x) = sum_j [x_j log q_j + (1 - x_j) log(1 - q_j)] (#eq-density).

    x: (N, n) binary vectors; q: (n,) the probabilities P(x_j = 1), each in (0, 1).
    Returns (N,) log-probabilities under independent Bernoulli coordinates.
    """
    q = _check_probs(q)
    x = _check_binary(x, q.size)
    return x @ np.log(q) + (1 - x) @ np.log1p(-q)
# --8<-- [end:bernoulli_log_prob]


# --8<-- [start:sample_categorical]
def sample_categorical(q, n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws x = min{x : F(x) > u}, u ~ U[0, 1) (inverse CDF, #eq-sampling).

    q: (K,) distribution, F(x) = sum_{y <= x} q(y). Returns (n,) outcomes in 0..K-1.
    """
    q = _check_distribution("q", q)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    cdf = np.cumsum(q)
    u = rng.random(n) * cdf[-1]  # cdf[-1] = 1 up to rounding: u stays below it
    return np.searchsorted(cdf, u, side="right")
# --8<-- [end:sample_categorical]


# --8<-- [start:forward_kl_fit]
def mixture_moments(weights, means, stds) -> tuple[float, float]:
    """argmin_(mu, sigma) KL(p || N(mu, sigma^2)), p a mixture of J Gaussians.

    #eq-forward-kl.

    Moment matching: mu = sum_j c_j m_j, sigma^2 = sum_j c_j (s_j^2 + m_j^2) - mu^2,
    weights c, means m, standard deviations s, each of shape (J,). Returns (mu, sigma).
    """
    c, m, s = _check_mixture(weights, means, stds)
    mu = float(np.sum(c * m))
    second = float(np.sum(c * (s**2 + m**2)))  # E_p[x^2]
    return mu, float(np.sqrt(second - mu**2))
# --8<-- [end:forward_kl_fit]


def _normal_log_pdf(x, mu, sigma):
    return -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma * np.sqrt(2 * np.pi))


def _check_grid(sigma, grid) -> np.ndarray:
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    grid = np.asarray(grid, dtype=float)  # pragma: no mutate
    if grid.ndim != 1 or grid.size < 3 or np.any(np.diff(grid) <= 0):
        raise ValueError("grid must be a 1-D increasing array of >= 3 points")
    return grid


# --8<-- [start:gaussian_kls]
def gaussian_kls(mu, sigma, weights, means, stds, grid) -> tuple[float, float]:
    """(KL(p || q), KL(q || p)), q = N(mu, sigma^2), p a Gaussian mixture.

    #eq-reverse-kl.

    Both integrals by the trapezoid rule on grid: (G,) increasing points that cover both
    densities (their mass outside the grid is neglected).
    """
    c, m, s = _check_mixture(weights, means, stds)
    grid = _check_grid(sigma, grid)
    terms = np.log(c) + _normal_log_pdf(grid[:, None], m, s)  # log c_j N(x; m_j, s_j^2)
    top = terms.max(axis=1)
    log_p = top + np.log(np.exp(terms - top[:, None]).sum(axis=1))  # log-sum-exp
    log_q = _normal_log_pdf(grid, mu, sigma)
    forward = np.trapezoid(np.exp(log_p) * (log_p - log_q), grid)  # E_p[log p - log q]
    reverse = np.trapezoid(np.exp(log_q) * (log_q - log_p), grid)  # E_q[log q - log p]
    return float(forward), float(reverse)
# --8<-- [end:gaussian_kls]


# --8<-- [start:reverse_kl_fit]
def reverse_kl_fit(weights, means, stds, mus, sigmas, grid) -> tuple[float, float]:
    """argmin of KL(q || p) over the candidates (mu, sigma) in mus x sigmas.

    #eq-reverse-kl.

    Brute force over the (M,) and (S,) candidate arrays; returns the best (mu, sigma).
    """
    mus = np.asarray(mus, dtype=float)  # pragma: no mutate
    sigmas = np.asarray(sigmas, dtype=float)  # pragma: no mutate
    table = np.array([[gaussian_kls(mu, sd, weights, means, stds, grid)[1]
                       for sd in sigmas] for mu in mus])
    i, j = np.unravel_index(np.argmin(table), table.shape)
    return float(mus[i]), float(sigmas[j])
# --8<-- [end:reverse_kl_fit]


TOY_DATA = np.array([0, 1, 0, 2, 0, 1, 0, 0, 1, 2])  # ten draws of a 3-outcome variable
TOY_MIXTURE = (np.array([0.4, 0.6]), np.array([-2.0, 2.0]), np.array([0.6, 0.6]))


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    p_hat = empirical_distribution(TOY_DATA, 3)
    print("p_hat =", p_hat)
    for q in ([1 / 3, 1 / 3, 1 / 3], [0.6, 0.2, 0.2], list(p_hat)):
        print(f"q = {np.round(q, 4)}: l(q) = {log_likelihood(q, TOY_DATA):.4f}, "
              f"KL(p_hat||q) = {kl_divergence(p_hat, q):.4f}")
    print(f"H(p_hat) = {entropy(p_hat):.4f}")
    p, q = np.array([0.5, 0.4, 0.1]), np.array([0.4, 0.3, 0.3])
    print(f"KL(p||q) = {kl_divergence(p, q):.4f}, KL(q||p) = {kl_divergence(q, p):.4f}")
    x = np.array([[1, 0, 1], [0, 0, 0]])
    print("log p(x) =", bernoulli_log_prob(x, np.array([0.9, 0.2, 0.5])))
    draws = sample_categorical(p_hat, 10_000, np.random.default_rng(0))
    print("frequencies of 10,000 draws:", empirical_distribution(draws, 3))
    mean, se = monte_carlo_mean(np.log(p_hat[draws]))
    exact = -entropy(p_hat)
    print(f"MC estimate of E[log p_hat(x)]: {mean:.4f} +- {se:.4f} (exact {exact:.4f})")
    grid = np.linspace(-8, 8, 801)
    mu_f, sigma_f = mixture_moments(*TOY_MIXTURE)
    mu_r, sigma_r = reverse_kl_fit(*TOY_MIXTURE, np.linspace(-3, 3, 13),
                                   np.linspace(0.3, 1.2, 10), grid)
    fits = (("forward", (mu_f, sigma_f)), ("reverse", (mu_r, sigma_r)))
    for name, (mu, sigma) in fits:
        fwd, rev = gaussian_kls(mu, sigma, *TOY_MIXTURE, grid)
        print(f"{name} KL fit: mu = {mu:.2f}, sigma = {sigma:.2f}; "
              f"KL(p||q) = {fwd:.3f}, KL(q||p) = {rev:.3f}")
