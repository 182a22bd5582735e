"""Extrema of a multivariate quadratic polynomial f(x) = x^T A x + b^T x + c.

Page: math-optim/quadratic-form (docs/math-optim/quadratic-form.md); each function names the
anchor of the equation it implements. Shapes: A (n, n), any square matrix (only its symmetric
part (A + A^T)/2 matters for f); b and x (n,); c a scalar. quadratic_value also takes a batch
of points x of shape (..., n).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def _check_square(name: str, A) -> np.ndarray:
    A = np.asarray(A, dtype=float)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.size == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} must be finite")
    return A


def _check_vector(name: str, v, n: int, batch: bool = False) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    if (v.ndim < 1 if batch else v.ndim != 1) or v.shape[-1] != n:
        raise ValueError(f"{name} must have last dimension {n}, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite")
    return v


def _check_scalar(name: str, c) -> float:
    if np.ndim(c) != 0 or not np.isfinite(c):
        raise ValueError(f"{name} must be a finite scalar, got {c!r}")
    return float(c)


# --8<-- [start:quadratic_value]
def quadratic_value(x, A, b, c: float) -> np.ndarray:
    """f(x) = x^T A x + b^T x + c = sum_ij a_ij x_i x_j + sum_k b_k x_k + c.

    (#eq-quadratic-form) x: shape (n,) or a batch (..., n); returns shape () or (...).
    A need not be symmetric.
    """
    A = _check_square("A", A)
    b = _check_vector("b", b, len(A))
    c = _check_scalar("c", c)
    x = _check_vector("x", x, len(A), batch=True)
    # x^T A x for every point of the batch (upper-case subscripts would mean the same)
    quad = np.einsum("...i,ij,...j->...", x, A, x)  # pragma: no mutate
    return quad + x @ b + c  # xᵀAx + bᵀx + c
# --8<-- [end:quadratic_value]


# --8<-- [start:symmetrize]
def symmetrize(A) -> np.ndarray:
    """A_s = (A + A^T) / 2, the symmetric matrix with x^T A_s x = x^T A x.

    (#eq-symmetrize) A: shape (n, n); returns shape (n, n).
    """
    A = _check_square("A", A)
    return (A + A.T) / 2
# --8<-- [end:symmetrize]


# --8<-- [start:quadratic_gradient]
def quadratic_gradient(x, A, b) -> np.ndarray:
    """grad f(x) = (A + A^T) x + b; equals 2 A x + b only for symmetric A.

    (#eq-gradient) x, b: shape (n,); returns shape (n,).
    """
    A = _check_square("A", A)
    x = _check_vector("x", x, len(A))
    b = _check_vector("b", b, len(A))
    return (A + A.T) @ x + b  # ∂f/∂x_k = Σ_j a_kj x_j + Σ_i a_ik x_i + b_k
# --8<-- [end:quadratic_gradient]


# --8<-- [start:quadratic_hessian]
def quadratic_hessian(A) -> np.ndarray:
    """Hessian of f: H = A + A^T = 2 A_s, the same at every x (#eq-hessian)."""
    A = _check_square("A", A)
    return A + A.T  # ∂²f/∂x_k∂x_l = a_kl + a_lk
# --8<-- [end:quadratic_hessian]


def _check_tol(tol) -> float:
    if np.ndim(tol) != 0 or not 0 <= tol < 1:
        raise ValueError(f"tol must be a scalar in [0, 1), got {tol!r}")
    return float(tol)


# --8<-- [start:definiteness]
def definiteness(A, tol: float = 1e-10) -> str:
    """Definiteness of x^T A x from the eigenvalues of A_s (#eq-definiteness).

    x^T A x = sum_i lambda_i (q_i^T x)^2 with A_s = Q diag(lambda) Q^T. An eigenvalue
    with |lambda| <= tol * max|lambda| counts as zero. Returns one of
    'positive definite', 'positive semidefinite', 'negative definite',
    'negative semidefinite', 'indefinite'.
    """
    tol = _check_tol(tol)
    lam = np.linalg.eigvalsh(symmetrize(A))
    zero = tol * np.abs(lam).max()  # eigenvalues within ±zero count as 0
    pos, neg = np.any(lam > zero), np.any(lam < -zero)
    if pos and neg:
        return "indefinite"
    if neg:
        return "negative definite" if np.all(lam < -zero) else "negative semidefinite"
    # no negative eigenvalue (A_s = 0 is semidefinite both ways; reported as positive)
    return "positive definite" if np.all(lam > zero) else "positive semidefinite"
# --8<-- [end:definiteness]


# --8<-- [start:stationary_point]
def stationary_point(A, b) -> np.ndarray:
    """The x with grad f(x) = 0: x* = -(1/2) A_s^{-1} b (#eq-stationary-point).

    A_s = (A + A^T)/2 must be invertible; x* is a minimum, a maximum or a saddle
    according to definiteness(A).
    """
    A_s = symmetrize(A)
    b = _check_vector("b", b, len(A_s))
    if np.linalg.matrix_rank(A_s) < len(A_s):
        raise ValueError("A must have an invertible symmetric part (A + A^T)/2")
    return -0.5 * np.linalg.solve(A_s, b)  # (A + A^T) x + b = 0
# --8<-- [end:stationary_point]


# --8<-- [start:quadratic_minimum]
def quadratic_minimum(A, b, c: float) -> tuple[np.ndarray, float]:
    """Unique minimiser and minimum of f for positive definite A_s (#eq-minimum).

    x* = -(1/2) A_s^{-1} b,  f(x*) = c - (1/4) b^T A_s^{-1} b,  A_s = (A + A^T)/2.
    Raises ValueError when A_s is not positive definite.
    """
    A_s = symmetrize(A)
    b = _check_vector("b", b, len(A_s))
    c = _check_scalar("c", c)
    try:
        np.linalg.cholesky(A_s)  # succeeds exactly when A_s is positive definite
    except np.linalg.LinAlgError:
        raise ValueError("A must be positive definite (its symmetric part)") from None
    y = np.linalg.solve(A_s, b)  # y = A_s^{-1} b
    x_star = -0.5 * y
    f_star = c - 0.25 * b @ y  # c - ¼ bᵀ A_s⁻¹ b
    return x_star, float(f_star)
# --8<-- [end:quadratic_minimum]


class Infimum(NamedTuple):
    """Result of quadratic_infimum: kind, a point (or a direction), the infimum."""

    kind: str  # 'unique', 'not unique' or 'unbounded'
    x: np.ndarray  # a minimiser, or a direction d with f(t d) -> -inf as t -> inf
    value: float  # inf_x f(x), -inf when unbounded


# --8<-- [start:quadratic_infimum]
def quadratic_infimum(A, b, c: float, tol: float = 1e-10) -> Infimum:
    """inf_x f(x) in all cases (#eq-minimum-cases).

    A_s positive definite: unique minimiser -(1/2) A_s^{-1} b.
    A_s positive semidefinite, singular, b in range(A_s): the minimisers are
      -(1/2) A_s^+ b + null(A_s) (x is the one of least norm),
      value c - (1/4) b^T A_s^+ b.
    Otherwise unbounded below: x is a direction d with f(t d) -> -inf.
    Eigenvalues with |lambda| <= tol * max|lambda| count as zero, and b is in range(A_s)
    when its component in null(A_s) has norm <= tol * |b|.
    """
    A_s = symmetrize(A)
    b = _check_vector("b", b, len(A_s))
    c = _check_scalar("c", c)
    tol = _check_tol(tol)
    lam, Q = np.linalg.eigh(A_s)  # A_s = Q diag(λ) Qᵀ, λ ascending
    zero = tol * np.abs(lam).max()  # eigenvalues within ±zero count as 0
    if lam[0] < -zero:  # a direction of negative curvature
        return Infimum("unbounded", Q[:, 0], -np.inf)
    null = Q[:, lam <= zero]  # orthonormal basis of null(A_s)
    b_null = null @ (null.T @ b)  # the part of b outside range(A_s)
    if np.linalg.norm(b_null) > tol * np.linalg.norm(b):
        return Infimum("unbounded", -b_null, -np.inf)  # f(t d) = c - t |b_null|²
    pos = lam > zero
    lam_pinv = np.zeros(len(A_s))
    lam_pinv[pos] = 1 / lam[pos]  # pseudo-inverse of diag(λ)
    y = Q @ (lam_pinv * (Q.T @ b))  # y = A_s⁺ b
    kind = "unique" if null.shape[1] == 0 else "not unique"
    return Infimum(kind, -0.5 * y, float(c - 0.25 * b @ y))
# --8<-- [end:quadratic_infimum]


def _check_steps(lr, n_steps) -> None:
    if np.ndim(lr) != 0 or not lr > 0:
        raise ValueError(f"lr must be a positive scalar, got {lr!r}")
    if not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer, got {n_steps!r}")


# --8<-- [start:gradient_descent]
def gradient_descent(A, b, x0, lr: float, n_steps: int) -> np.ndarray:
    """Iterates x_{k+1} = x_k - lr * ((A + A^T) x_k + b), k = 0..n_steps-1.

    (#eq-gd-error) Returns shape (n_steps + 1, n), row k = x_k. For positive definite
    A_s the error obeys x_k - x* = (I - 2 lr A_s)^k (x_0 - x*).
    """
    A = _check_square("A", A)
    b = _check_vector("b", b, len(A))
    x = _check_vector("x0", x0, len(A))
    _check_steps(lr, n_steps)
    xs = [x]
    for _ in range(n_steps):
        x = x - lr * ((A + A.T) @ x + b)  # x - α ∇f(x)
        xs.append(x)
    return np.array(xs)
# --8<-- [end:gradient_descent]


# The toy example of the page: f(x1, x2) = 2x1² + 3x1x2 - x2x1 + 3x2² - 4x1 - 6x2 + 5.
TOY_A = np.array([[2.0, 3.0], [-1.0, 3.0]])
TOY_B = np.array([-4.0, -6.0])
TOY_C = 5.0
# Same b and c, an indefinite A_s (eigenvalues 5 and -1): a saddle.
SADDLE_A = np.array([[2.0, 3.0], [3.0, 2.0]])
# A positive semidefinite A_s (eigenvalues 2 and 0): b in its range, and b outside it.
VALLEY_A = np.array([[1.0, 1.0], [1.0, 1.0]])
VALLEY_B_IN, VALLEY_B_OUT = np.array([-2.0, -2.0]), np.array([-2.0, 0.0])


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    A_s = symmetrize(TOY_A)
    print("A_s =", A_s.tolist(), " eigenvalues:", np.linalg.eigvalsh(A_s))
    print("f(1, 1) =", quadratic_value([1.0, 1.0], TOY_A, TOY_B, TOY_C))
    print("grad f(1, 1) =", quadratic_gradient([1.0, 1.0], TOY_A, TOY_B),
          " wrong 2Ax+b =", 2 * TOY_A @ [1.0, 1.0] + TOY_B)
    x_star, f_star = quadratic_minimum(TOY_A, TOY_B, TOY_C)
    # printed rounded: the last bits (1.3999999999999995, -0.) differ between machines
    print("minimiser", x_star, " minimum", f"{f_star:.10g}", " ", definiteness(TOY_A))
    s = stationary_point(SADDLE_A, TOY_B)
    print("saddle", np.round(s, 12) + 0.0, " f =", quadratic_value(s, SADDLE_A, TOY_B, TOY_C),
          " eigenvalues", np.linalg.eigvalsh(SADDLE_A), " ", definiteness(SADDLE_A))
    for name, bb in (("b in range", VALLEY_B_IN), ("b outside", VALLEY_B_OUT)):
        print("valley,", name, ":", quadratic_infimum(VALLEY_A, bb, TOY_C))
    lam_1, lam_max = np.linalg.eigvalsh(A_s)
    kappa = lam_max / lam_1
    print(f"kappa = {kappa:.3f}  best lr 1/(lam1 + lam2) = {1 / (lam_1 + lam_max):.4f}"
          f"  (kappa - 1)/(kappa + 1) = {(kappa - 1) / (kappa + 1):.4f}")
    for lr in (0.1, 0.2, 0.9 / lam_max, 1 / lam_max):
        xs = gradient_descent(TOY_A, TOY_B, [-1.0, -1.0], lr, 50)
        rho = np.abs(1 - 2 * lr * np.linalg.eigvalsh(A_s)).max()
        gap = np.linalg.norm(xs[-1] - x_star)  # below 1e-12: rounding, machine-dependent
        print(f"lr = {lr:.4f}: rho = {rho:.4f}, |x_50 - x*| "
              + (f"= {gap:.3e}" if gap >= 1e-12 else "< 1e-12"))
