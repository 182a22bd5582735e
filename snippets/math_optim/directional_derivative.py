"""Directional derivatives, partial derivatives and the gradient.

Page: math-optim/directional-derivative (docs/math-optim/directional-derivative.md).
Each function names the anchor of the equation it implements. A point x and a
direction v are vectors of shape (n,); a function f maps an array of shape (n,) to a
float.
Convention of the page: a direction v is any nonzero vector, and the functions divide
it by its length, so D_v f is the rate of change per unit of distance along v.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def _vector(name: str, x, n: int | None = None) -> np.ndarray:
    """x as a finite float vector of shape (n,), or ValueError naming `name`."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be a finite nonempty vector, "
                         f"got shape {x.shape}")
    if n is not None and x.size != n:
        raise ValueError(f"{name} must have {n} entries, got {x.size}")
    return x


def _unit(name: str, v, n: int) -> np.ndarray:
    """v / ||v|| for a nonzero vector v of n entries, or ValueError naming `name`."""
    v = _vector(name, v, n)
    length = np.linalg.norm(v)
    if length == 0:
        raise ValueError(f"{name} must be a nonzero vector: "
                         "the zero vector has no direction")
    return v / length


# --8<-- [start:difference_quotient]
def difference_quotient(f: Callable, x, v, t: float) -> float:
    """(f(x + t u) - f(x)) / t with u = v / ||v|| (#eq-directional-limit).

    Its limit as t -> 0+ is the directional derivative D_v f(x).
    x, v: shape (n,); v nonzero; t > 0.
    """
    x = _vector("x", x)
    u = _unit("v", v, x.size)
    if not (np.isfinite(t) and t > 0):
        raise ValueError(f"t must be a positive finite step, got {t}")
    # [f(x + t u) - f(x)] / t
    return (float(f(x + t * u)) - float(f(x))) / t
# --8<-- [end:difference_quotient]


# --8<-- [start:partial_derivative]
def partial_derivative(f: Callable, x, i: int, h: float = 1e-5) -> float:
    """(f(x + h e_i) - f(x - h e_i)) / (2h), a central difference for df/dx_i.

    Implements #eq-partial. The error is O(h^2) for a smooth f (exactly k h^2 for
    f = k x_i^3).
    x: shape (n,); 0 <= i < n; h > 0.
    """
    x = _vector("x", x)
    if not 0 <= i < x.size:
        raise ValueError(f"i must be in 0..{x.size - 1}, got {i}")
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"h must be a positive finite step, got {h}")
    e_i = np.zeros_like(x)
    e_i[i] = 1.0
    return (float(f(x + h * e_i)) - float(f(x - h * e_i))) / (2 * h)
# --8<-- [end:partial_derivative]


# --8<-- [start:numerical_gradient]
def numerical_gradient(f: Callable, x, h: float = 1e-5) -> np.ndarray:
    """grad f(x) = (df/dx_1, ..., df/dx_n), each by a central difference (#eq-gradient).

    x: shape (n,); returns shape (n,).
    """
    x = _vector("x", x)
    return np.array([partial_derivative(f, x, i, h) for i in range(x.size)])
# --8<-- [end:numerical_gradient]


# --8<-- [start:directional_derivative]
def directional_derivative(grad, v) -> float:
    """D_v f(x) = grad f(x) . v / ||v|| for f differentiable at x.

    Implements #eq-directional-gradient. grad: the gradient of f at x, shape (n,);
    v: a nonzero direction of shape (n,), normalised here, so v and 2v give the same
    number.
    """
    grad = _vector("grad", grad)
    u = _unit("v", v, grad.size)
    return float(grad @ u)  # ∇f · v/‖v‖
# --8<-- [end:directional_derivative]


# --8<-- [start:steepest_ascent]
def steepest_ascent(grad) -> tuple[np.ndarray, float]:
    """max over unit u of grad . u is ||grad||, attained only at u* = grad / ||grad||.

    Implements #eq-max-rate. grad: shape (n,), nonzero (at grad = 0 every direction
    gives 0 and no direction is the steepest). Returns (u_star, ||grad||).
    """
    grad = _vector("grad", grad)
    rate = float(np.linalg.norm(grad))
    if rate == 0:
        raise ValueError("grad must be nonzero: at grad = 0 every direction "
                         "gives rate 0")
    return grad / rate, rate
# --8<-- [end:steepest_ascent]


# --8<-- [start:examples]
def paraboloid(x) -> float:
    """f(x) = ||x||^2, the page's worked example f(x, y) = x^2 + y^2."""
    x = _vector("x", x)
    return float(x @ x)


def paraboloid_gradient(x) -> np.ndarray:
    """grad f(x) = 2 x for f(x) = ||x||^2."""
    return 2 * _vector("x", x)


def ridge(x) -> float:
    """f(x, y) = x^2 y / (x^4 + y^2), f(0, 0) = 0: every directional derivative exists
    at the origin, yet f is not differentiable there (not even continuous)."""
    x = _vector("x", x, 2)
    denominator = x[0] ** 4 + x[1] ** 2
    if denominator == 0:
        return 0.0
    return float(x[0] ** 2 * x[1] / denominator)
# --8<-- [end:examples]


if __name__ == "__main__":
    p0 = np.array([1.0, 2.0])
    g = paraboloid_gradient(p0)
    print("grad f(1, 2) =", g)
    print("D_w f, w = (3, 4):", directional_derivative(g, [3.0, 4.0]))
    print("D_u f, u = (1, 0):", directional_derivative(g, [1.0, 0.0]))
    print("D along the tangent (-2, 1):", directional_derivative(g, [-2.0, 1.0]))
    u_star, rate = steepest_ascent(g)
    print("steepest direction", u_star.round(4), "rate ||grad f|| =", round(rate, 4))
    angle_star = np.degrees(np.arctan2(u_star[1], u_star[0]))
    for name, d in (("w", [3.0, 4.0]), ("u", [1.0, 0.0]), ("tangent", [-2.0, 1.0])):
        angle = np.degrees(np.arctan2(d[1], d[0]))
        print(f"angle of {name}: {angle:.1f} deg, {abs(angle - angle_star):.1f} deg"
              f" from the gradient's {angle_star:.1f} deg")
    print("unnormalised grad . w:", g @ np.array([3.0, 4.0]))
    for t in (1e-1, 1e-2, 1e-3):
        q = difference_quotient(paraboloid, p0, [3.0, 4.0], t)
        q1 = difference_quotient(paraboloid, p0, [1.0, 0.0], t)
        print(f"t = {t:g}: quotient along w {q:.6f}, along u {q1:.6f}")
    print("numerical gradient at (1, 2):", numerical_gradient(paraboloid, p0).round(8))
    g0 = numerical_gradient(ridge, [0.0, 0.0])
    for a, b in ((1.0, 1.0), (1.0, 0.0)):
        q = difference_quotient(ridge, [0.0, 0.0], [a, b], 1e-6)
        print(f"ridge at 0, v = ({a:g}, {b:g}): quotient t = 1e-6: {q:.6f},",
              "grad . u:", directional_derivative(g0, [a, b]))
    print("ridge on y = x^2:", [ridge([s, s * s]) for s in (0.1, 0.01, 0.001)])
