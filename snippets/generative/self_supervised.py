"""Self-supervised objectives: reconstruction, masked prediction, contrastive, GAN.

Page: generative/self-supervised (docs/generative/self-supervised.md); each function
names the anchor of the equation it implements. NumPy, float64, natural logarithms.
Shapes: data x of shape (n, d); logits of shape (..., V) over a vocabulary of V tokens;
contrastive scores of shape (..., K) with the positive in column 0; a critic matrix of
shape (..., N, N) with C[i, j] = f(x_i, y_j), the positive pairs on its diagonal.
"""

from __future__ import annotations

import numpy as np


def _check_array(name: str, a, ndim_min: int) -> np.ndarray:
    # dtype=None is equivalent: every input is numeric and the arithmetic makes floats
    a = np.asarray(a, dtype=float)  # pragma: no mutate
    if a.ndim < ndim_min or a.size == 0 or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be a finite non-empty array with at least "
                         f"{ndim_min} dimensions, got shape {a.shape}")
    return a


def _check_rho(rho) -> float:
    if not -1.0 < rho < 1.0:
        raise ValueError(f"rho must lie in (-1, 1), got {rho!r}")
    return float(rho)


def _check_count(name: str, n, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _logsumexp(a: np.ndarray) -> np.ndarray:
    """log sum_j exp(a[..., j]), shifted by the row maximum: exp never overflows."""
    m = a.max(axis=-1, keepdims=True)
    return m[..., 0] + np.log(np.exp(a - m).sum(axis=-1))


# --8<-- [start:reconstruction_loss]
def reconstruction_loss(x: np.ndarray, x_hat: np.ndarray) -> float:
    """L_AE = (1/n) sum_i ||x_i - x_hat_i||^2 (#eq-autoencoder).

    x, x_hat of shape (n, d), or (..., n, d): the mean is over all leading axes.
    """
    x = _check_array("x", x, 2)
    x_hat = _check_array("x_hat", x_hat, 2)
    if x.shape != x_hat.shape:
        raise ValueError(f"x_hat must have the shape of x {x.shape}, got {x_hat.shape}")
    return float(np.mean(np.sum((x - x_hat) ** 2, axis=-1)))
# --8<-- [end:reconstruction_loss]


# --8<-- [start:linear_autoencoder]
def linear_autoencoder(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The best linear autoencoder with a k-dimensional code (#eq-autoencoder).

    Returns (mu, U): mu of shape (d,), U of shape (d, k) with orthonormal columns, the
    top k right singular vectors of the centred data. Encoder h = U^T (x - mu), decoder
    x_hat = mu + U h.
    """
    x = _check_array("x", x, 2)
    k = _check_count("k", k, 1)
    if k > x.shape[1]:
        raise ValueError(f"k must be at most the dimension d = {x.shape[1]}, got {k}")
    mu = x.mean(axis=0)
    # full_matrices=True only appends rows beyond min(n, d); U keeps the first k <= d
    _, _, vt = np.linalg.svd(x - mu, full_matrices=False)  # pragma: no mutate
    return mu, vt[:k].T


def autoencode(x: np.ndarray, mu: np.ndarray, U: np.ndarray) -> np.ndarray:
    """Encode then decode: x_hat = mu + U U^T (x - mu), x of shape (n, d)."""
    return mu + (x - mu) @ U @ U.T
# --8<-- [end:linear_autoencoder]


# --8<-- [start:masked_lm_loss]
def masked_lm_loss(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> float:
    """L_MLM = -(1/|M|) sum_{t in M} log softmax(logits_t)[x_t] (#eq-masked-lm).

    logits (..., T, V); targets (..., T) token ids; mask (..., T) of 0/1, 1 where a
    token was hidden. Only masked positions count; the mean is over all of them.
    """
    logits = _check_array("logits", logits, 2)
    targets = np.asarray(targets)
    # dtype=None is equivalent: a 0/1 mask of ints multiplies and sums the same
    mask = np.asarray(mask, dtype=float)  # pragma: no mutate
    if mask.shape != logits.shape[:-1] or not np.all((mask == 0) | (mask == 1)):
        raise ValueError(f"mask must be 0/1 of shape {logits.shape[:-1]}, "
                         f"got {mask.shape}")
    if mask.sum() == 0:
        raise ValueError("mask must hide at least one position")
    if (targets.shape != mask.shape or not np.issubdtype(targets.dtype, np.integer)
            or np.any(targets < 0) or np.any(targets >= logits.shape[-1])):
        raise ValueError(f"targets must be token ids in [0, {logits.shape[-1]}) "
                         f"of shape {mask.shape}")
    log_p = logits - _logsumexp(logits)[..., None]  # log softmax over the vocabulary
    # NumPy's take_along_axis defaults to axis=-1: dropping the argument is equivalent
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)  # pragma: no mutate
    nll = -picked[..., 0]  # -log p(x_t) at every position
    return float((nll * mask).sum() / mask.sum())
# --8<-- [end:masked_lm_loss]


# --8<-- [start:infonce_loss]
def infonce_loss(scores: np.ndarray) -> np.ndarray:
    """l = -log( exp(f_0) / sum_{k=0}^{K-1} exp(f_k) ) per row (#eq-infonce).

    scores (..., K): column 0 scores the positive, columns 1..K-1 the negatives.
    Returns the loss of each row, shape (...,); the objective is its mean.
    """
    scores = _check_array("scores", scores, 1)
    return _logsumexp(scores) - scores[..., 0]
# --8<-- [end:infonce_loss]


# --8<-- [start:infonce_bound]
def in_batch_scores(critic: np.ndarray) -> np.ndarray:
    """Rows of an (..., N, N) critic matrix, rearranged: the positive C[i, i] first.

    Row i becomes (C[i, i], C[i, i+1], ..., C[i, i-1]) (indices mod N): the other N - 1
    y_j of the batch are the negatives of x_i.
    """
    critic = _check_array("critic", critic, 2)
    n = critic.shape[-1]
    if critic.shape[-2] != n:
        raise ValueError(f"critic must be square in its last two axes, "
                         f"got {critic.shape}")
    cols = (np.arange(n)[:, None] + np.arange(n)[None, :]) % n
    # NumPy's take_along_axis defaults to axis=-1: dropping the argument is equivalent
    return np.take_along_axis(critic, np.broadcast_to(cols, critic.shape),
                              axis=-1)  # pragma: no mutate


def infonce_bound(critic: np.ndarray) -> np.ndarray:
    """I_NCE = log N - (1/N) sum_i l_i, one value per batch (#eq-infonce-bound).

    critic (..., N, N) with C[i, j] = f(x_i, y_j); returns shape (...,).
    E[I_NCE] <= I(X; Y), and I_NCE <= log N always.
    """
    losses = infonce_loss(in_batch_scores(critic))
    # shape[-2] is equivalent: in_batch_scores has checked that the matrix is square
    return np.log(critic.shape[-1]) - losses.mean(axis=-1)  # pragma: no mutate
# --8<-- [end:infonce_bound]


# --8<-- [start:nt_xent_loss]
def nt_xent_loss(z1: np.ndarray, z2: np.ndarray, temperature: float = 0.5) -> float:
    """SimCLR's NT-Xent over 2N views (#eq-nt-xent).

    z1, z2 (N, D): two augmented views of N examples; view i of z1 and view i of z2 are
    a positive pair. With u the 2N views normalised to unit length,
    s_ab = u_a . u_b / tau and l_a = -log( exp(s_{a,p(a)}) / sum_{b != a} exp(s_ab) );
    the loss is the mean of l_a over all 2N anchors a, p(a) = a + N mod 2N.
    """
    z1 = _check_array("z1", z1, 2)
    z2 = _check_array("z2", z2, 2)
    if z1.shape != z2.shape or z1.ndim != 2:
        raise ValueError(f"z2 must have the shape (N, D) of z1 {z1.shape}, "
                         f"got {z2.shape}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    n = z1.shape[0]
    z = np.concatenate([z1, z2])
    u = z / np.linalg.norm(z, axis=1, keepdims=True)  # cosine similarity: unit vectors
    s = u @ u.T / temperature
    np.fill_diagonal(s, -np.inf)  # an anchor is never its own candidate
    # a - N and a + N are the same view mod 2N: the sign is an equivalent mutant
    partner = (np.arange(2 * n) + n) % (2 * n)  # pragma: no mutate
    positive = s[np.arange(2 * n), partner]
    return float(np.mean(_logsumexp(s) - positive))
# --8<-- [end:nt_xent_loss]


# --8<-- [start:gaussian_mi]
def gaussian_mi(rho: float, d: int) -> float:
    """I(X; Y) = -(d/2) log(1 - rho^2) for d independent pairs of correlation rho
    (#eq-gaussian-mi)."""
    rho = _check_rho(rho)
    d = _check_count("d", d, 1)
    return -0.5 * d * np.log1p(-rho**2)


def sample_gaussian_pairs(n_batches: int, n: int, d: int, rho: float,
                          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x ~ N(0, I_d), y = rho x + sqrt(1 - rho^2) e, e ~ N(0, I_d); shapes (B, N, d)."""
    rho = _check_rho(rho)
    n_batches = _check_count("n_batches", n_batches, 1)
    n = _check_count("n", n, 1)
    d = _check_count("d", d, 1)
    shape = (n_batches, n, d)
    x = rng.standard_normal(shape)
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(shape)
    return x, y
# --8<-- [end:gaussian_mi]


# --8<-- [start:critic_matrix]
def critic_matrix(x: np.ndarray, y: np.ndarray, rho: float,
                  kind: str = "optimal") -> np.ndarray:
    """C[..., i, j] = f(x_i, y_j) for x, y of shape (..., N, d).

    kind "optimal": f = log p(y|x) - log p(y), the log density ratio;
    "bilinear": f = rho x.y / (1 - rho^2), the optimal critic without its ||y||^2 term;
    "cosine": f = cos(x, y), a critic bounded by 1 in absolute value.
    """
    rho = _check_rho(rho)
    x = _check_array("x", x, 2)
    y = _check_array("y", y, 2)
    if x.shape != y.shape:
        raise ValueError(f"y must have the shape of x {x.shape}, got {y.shape}")
    xy = x @ np.swapaxes(y, -1, -2)  # x_i . y_j
    if kind == "cosine":
        nx = np.linalg.norm(x, axis=-1)[..., :, None]
        ny = np.linalg.norm(y, axis=-1)[..., None, :]
        return xy / (nx * ny)
    c = 1 - rho**2
    bilinear = rho * xy / c
    if kind == "bilinear":
        return bilinear
    if kind != "optimal":
        raise ValueError(f"kind must be 'optimal', 'bilinear' or 'cosine', "
                         f"got {kind!r}")
    xx = np.sum(x**2, axis=-1)[..., :, None]
    yy = np.sum(y**2, axis=-1)[..., None, :]
    # -||y - rho x||^2 / (2c) - (d/2) log c + ||y||^2 / 2, expanded
    return bilinear - rho**2 * (xx + yy) / (2 * c) - 0.5 * x.shape[-1] * np.log(c)
# --8<-- [end:critic_matrix]


# --8<-- [start:gan_value]
def gan_value(p_data: np.ndarray, p_g: np.ndarray, disc: np.ndarray) -> float:
    """V(D) = sum_x p_data(x) log D(x) + sum_x p_g(x) log(1 - D(x))
    (#eq-gan-discriminator).

    p_data: data distribution, p_g: generator's distribution, disc: D(x) in (0, 1);
    all of shape (m,), over the same m points.
    """
    p_data, p_g = _check_distributions(p_data, p_g)
    disc = _check_array("disc", disc, 1)
    if disc.shape != p_data.shape or np.any(disc <= 0) or np.any(disc >= 1):
        raise ValueError(f"disc must lie in (0, 1) with shape {p_data.shape}")
    return float(np.sum(p_data * np.log(disc)) + np.sum(p_g * np.log1p(-disc)))


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) (#eq-gan-discriminator)."""
    p_data, p_g = _check_distributions(p_data, p_g)
    return p_data / (p_data + p_g)
# --8<-- [end:gan_value]


def _check_distributions(p_data, p_g) -> tuple[np.ndarray, np.ndarray]:
    p_data = _check_array("p_data", p_data, 1)
    p_g = _check_array("p_g", p_g, 1)
    for name, a in (("p_data", p_data), ("p_g", p_g)):
        # >= instead of > differs only for a sum exactly 1 +- 1e-9
        if (a.shape != p_data.shape or np.any(a <= 0)
                or abs(a.sum() - 1) > 1e-9):  # pragma: no mutate
            raise ValueError(f"{name} must be a positive distribution "
                             f"of shape {p_data.shape}")
    return p_data, p_g


if __name__ == "__main__":
    # the toy of the page: 4 pairs, the positive of each x_i is y_i
    toy = np.array([[3.0, 1.0, 0.0, 0.0], [1.0, 2.0, 0.0, 1.0],
                    [0.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 3.0]])
    loss = infonce_loss(in_batch_scores(toy))
    print("toy InfoNCE losses:", np.round(loss, 3),
          "mean", round(float(loss.mean()), 3))
    print(f"toy estimate log 4 - L = {infonce_bound(toy):.3f}, log 4 = {np.log(4):.3f}")
    rng = np.random.default_rng(0)
    rho, d = 0.8, 2
    print(f"I(X;Y) for rho = {rho}, d = {d}: {gaussian_mi(rho, d):.3f} nats")
    for n in (4, 16, 64):
        x, y = sample_gaussian_pairs(200, n, d, rho, rng)
        row = [f"{k} {infonce_bound(critic_matrix(x, y, rho, k)).mean():.3f}"
               for k in ("optimal", "bilinear", "cosine")]
        print(f"N = {n:2d}: log N = {np.log(n):.3f}; " + ", ".join(row))
    z1 = rng.standard_normal((4, 3))
    z2 = z1 + 0.3 * rng.standard_normal((4, 3))  # a second, noisy view
    print(f"NT-Xent of 4 pairs of views, tau = 0.5: {nt_xent_loss(z1, z2):.3f}")
    p_data, p_g = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
    d_star = optimal_discriminator(p_data, p_g)
    print("D* =", np.round(d_star, 3), f"V(D*) = {gan_value(p_data, p_g, d_star):.4f}",
          f"-log 4 = {-np.log(4):.4f}")
