"""Policy gradient methods: metrics, the policy gradient theorem, REINFORCE.

Page: rl-basics/policy-gradient (docs/rl-basics/policy-gradient.md). Tabular softmax policy:
theta has shape (S, A) and pi(a|s, theta) = exp(theta[s, a]) / sum_b exp(theta[s, b]).
"""

from __future__ import annotations

import numpy as np


def _check_theta(theta) -> np.ndarray:
    theta = np.asarray(theta, dtype=float)
    if theta.ndim != 2 or 0 in theta.shape or not np.all(np.isfinite(theta)):
        raise ValueError(f"theta must be a finite array of shape (S, A), got shape {theta.shape}")
    return theta


# --8<-- [start:softmax_policy]
def softmax_policy(theta) -> np.ndarray:
    """pi(a|s) = exp(theta[s, a]) / sum_b exp(theta[s, b]), shape (S, A) (#eq-softmax-policy)."""
    theta = _check_theta(theta)
    z = np.exp(theta - theta.max(axis=1, keepdims=True))  # shift for overflow; pi is unchanged
    return z / z.sum(axis=1, keepdims=True)
# --8<-- [end:softmax_policy]


# --8<-- [start:grad_log_pi]
def grad_log_pi(theta, s: int, a: int) -> np.ndarray:
    """d ln pi(a|s, theta) / d theta, shape (S, A): row s is e_a - pi(.|s), other rows 0
    (#eq-softmax-policy)."""
    theta = _check_theta(theta)
    S, A = theta.shape
    if not (0 <= s < S and 0 <= a < A):
        raise ValueError(f"(s, a) must index theta of shape {theta.shape}, got ({s}, {a})")
    grad = np.zeros_like(theta)
    grad[s] = -softmax_policy(theta)[s]
    grad[s, a] += 1.0
    return grad
# --8<-- [end:grad_log_pi]
