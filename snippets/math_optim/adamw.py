"""Adam, Adam with L2 regularisation, and AdamW (decoupled weight decay).

Page: math-optim/adamw (docs/math-optim/adamw.md); each function names the anchor of the
equation it implements. All arrays are float64 NumPy arrays of one shape, the parameter
vector's: theta, grad, m, v. The step counter t starts at 1 (PyTorch's and Kingma & Ba's
convention), m and v start at zero. Symbols: alpha = lr the learning rate, lambda =
weight_decay, delta = eps the constant in the denominator (the papers' epsilon).
"""

from __future__ import annotations

import numpy as np

METHODS = ("adam-l2", "adamw", "sgd-l2", "sgd-decay")


def _check_array(name: str, x, shape: tuple | None = None) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite")
    if shape is not None and x.shape != shape:
        raise ValueError(f"{name} must have shape {shape} like theta, got {x.shape}")
    return x


def _check_beta(name: str, beta: float) -> float:
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {beta}")
    return float(beta)


def _check_positive(name: str, x: float) -> float:
    if not x > 0:
        raise ValueError(f"{name} must be positive, got {x}")
    return float(x)


def _check_nonnegative(name: str, x: float) -> float:
    if not x >= 0:
        raise ValueError(f"{name} must be non-negative, got {x}")
    return float(x)


def _check_t(t: int) -> int:
    if isinstance(t, bool) or int(t) != t or t < 1:
        raise ValueError(f"t must be an integer >= 1 (the first step is t = 1), got {t}")
    return int(t)


def _check_squares(name: str, v, shape: tuple | None = None) -> np.ndarray:
    v = _check_array(name, v, shape)
    if np.any(v < 0):
        raise ValueError(f"{name} must be non-negative (a moving average of squares)")
    return v


def _check_moments(m, v, shape: tuple):
    return _check_array("m", m, shape), _check_squares("v", v, shape)


def _check_step(theta, grad, t: int):
    theta = _check_array("theta", theta)
    grad = _check_array("grad", grad, theta.shape)
    return theta, grad, _check_t(t)


def _check_rate(decay: float) -> float:
    if not 0 <= decay <= 1:
        raise ValueError(f"decay must be in [0, 1] (a rate per step), got {decay}")
    return float(decay)


def _check_run(method: str, n_steps: int) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if n_steps < 0:
        raise ValueError(f"n_steps must be non-negative, got {n_steps}")


# --8<-- [start:adam_moments]
def adam_moments(m, v, grad, beta1: float = 0.9, beta2: float = 0.999):
    """Exponential moving averages of g and g^2 (#eq-adam-moments).

    m_t = beta1 m_{t-1} + (1 - beta1) g_t,   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
    (elementwise). Returns (m_t, v_t), each of grad's shape.
    """
    grad = _check_array("grad", grad)
    m, v = _check_moments(m, v, grad.shape)
    beta1, beta2 = _check_beta("beta1", beta1), _check_beta("beta2", beta2)
    m = beta1 * m + (1 - beta1) * grad  # m_t = β1 m_{t-1} + (1-β1) g_t
    v = beta2 * v + (1 - beta2) * grad**2  # v_t = β2 v_{t-1} + (1-β2) g_t²
    return m, v
# --8<-- [end:adam_moments]


# --8<-- [start:bias_correction]
def bias_correction(m, v, t: int, beta1: float = 0.9, beta2: float = 0.999):
    """Bias-corrected moments (#eq-bias-correction).

    m_hat_t = m_t / (1 - beta1^t),   v_hat_t = v_t / (1 - beta2^t),  t >= 1.
    Returns (m_hat_t, v_hat_t).
    """
    m = _check_array("m", m)
    m, v = _check_moments(m, v, m.shape)
    t = _check_t(t)
    beta1, beta2 = _check_beta("beta1", beta1), _check_beta("beta2", beta2)
    m_hat = m / (1 - beta1**t)  # m̂_t = m_t / (1 - β1^t)
    v_hat = v / (1 - beta2**t)  # v̂_t = v_t / (1 - β2^t)
    return m_hat, v_hat
# --8<-- [end:bias_correction]


# --8<-- [start:adam_step]
def adam_step(theta, grad, m, v, t: int, lr: float, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0):
    """One step of Adam; weight_decay > 0 is L2 inside the gradient
    (#eq-adam-update, #eq-adam-l2), as torch.optim.Adam(weight_decay=...).

    g_t = grad + lambda theta_{t-1};  m_t, v_t as in adam_moments;
    theta_t = theta_{t-1} - alpha m_hat_t / (sqrt(v_hat_t) + delta).
    Returns (theta_t, m_t, v_t).
    """
    theta, grad, t = _check_step(theta, grad, t)
    lr, eps = _check_positive("lr", lr), _check_nonnegative("eps", eps)
    weight_decay = _check_nonnegative("weight_decay", weight_decay)
    g = grad + weight_decay * theta  # g_t = ∇f(θ_{t-1}) + λ θ_{t-1}  (L2)
    m, v = adam_moments(m, v, g, beta1, beta2)
    m_hat, v_hat = bias_correction(m, v, t, beta1, beta2)
    theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)  # θ_{t-1} - α m̂/(√v̂ + δ)
    return theta, m, v
# --8<-- [end:adam_step]


# --8<-- [start:adamw_step]
def adamw_step(theta, grad, m, v, t: int, lr: float, beta1: float = 0.9,
               beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.01):
    """One step of AdamW in PyTorch's convention (#eq-adamw), as torch.optim.AdamW.

    The moments see the loss gradient only; the decay is applied beside them and is
    multiplied by the learning rate:
    theta_t = theta_{t-1}
              - alpha (m_hat_t / (sqrt(v_hat_t) + delta) + lambda theta_{t-1}).
    Returns (theta_t, m_t, v_t).
    """
    theta, grad, t = _check_step(theta, grad, t)
    lr, eps = _check_positive("lr", lr), _check_nonnegative("eps", eps)
    weight_decay = _check_nonnegative("weight_decay", weight_decay)
    m, v = adam_moments(m, v, grad, beta1, beta2)  # g_t = ∇f(θ_{t-1}), no λθ
    m_hat, v_hat = bias_correction(m, v, t, beta1, beta2)
    adaptive = m_hat / (np.sqrt(v_hat) + eps)  # m̂_t / (√v̂_t + δ)
    theta = theta - lr * (adaptive + weight_decay * theta)  # ... - α λ θ_{t-1}
    return theta, m, v
# --8<-- [end:adamw_step]


# --8<-- [start:adamw_step_paper]
def adamw_step_paper(theta, grad, m, v, t: int, alpha: float, schedule: float,
                     beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                     weight_decay: float = 0.0):
    """One step of AdamW as in Loshchilov & Hutter, Algorithm 2 (#eq-adamw-paper).

    theta_t = theta_{t-1} - kappa_t (alpha m_hat_t / (sqrt(v_hat_t) + delta)
                                     + lambda theta_{t-1}),
    kappa_t = schedule (the paper's eta_t). The decay is NOT multiplied by alpha:
    the same run in PyTorch's convention has lr = kappa_t alpha and
    weight_decay = lambda / alpha.
    Returns (theta_t, m_t, v_t).
    """
    theta, grad, t = _check_step(theta, grad, t)
    alpha, eps = _check_positive("alpha", alpha), _check_nonnegative("eps", eps)
    weight_decay = _check_nonnegative("weight_decay", weight_decay)
    schedule = _check_nonnegative("schedule", schedule)
    m, v = adam_moments(m, v, grad, beta1, beta2)
    m_hat, v_hat = bias_correction(m, v, t, beta1, beta2)
    adaptive = alpha * m_hat / (np.sqrt(v_hat) + eps)  # α m̂_t / (√v̂_t + δ)
    theta = theta - schedule * (adaptive + weight_decay * theta)  # - κ_t(... + λ θ)
    return theta, m, v
# --8<-- [end:adamw_step_paper]


# --8<-- [start:sgd_steps]
def sgd_l2_step(theta, grad, lr: float, weight_decay: float = 0.0) -> np.ndarray:
    """Plain SGD on f + (lambda'/2)||theta||^2 (#eq-sgd-equivalence),
    as torch.optim.SGD(weight_decay=...): theta - alpha (grad + lambda' theta)."""
    theta = _check_array("theta", theta)
    grad = _check_array("grad", grad, theta.shape)
    lr = _check_positive("lr", lr)
    weight_decay = _check_nonnegative("weight_decay", weight_decay)
    return theta - lr * (grad + weight_decay * theta)  # θ - α(∇f + λ'θ)


def sgd_decay_step(theta, grad, lr: float, decay: float) -> np.ndarray:
    """Plain SGD with decay applied to the weights (#eq-sgd-equivalence):
    theta_t = (1 - decay) theta_{t-1} - alpha grad, decay = the per-step rate
    (alpha lambda in PyTorch's convention, the paper's lambda in its Eq. 1)."""
    theta = _check_array("theta", theta)
    grad = _check_array("grad", grad, theta.shape)
    lr, decay = _check_positive("lr", lr), _check_rate(decay)
    return (1 - decay) * theta - lr * grad  # (1 - λ_step) θ - α ∇f
# --8<-- [end:sgd_steps]


# --8<-- [start:effective_l2_decay]
def effective_l2_decay(v_hat, weight_decay: float, eps: float = 1e-8) -> np.ndarray:
    """Per-coordinate decay that L2 becomes inside Adam with beta1 = 0
    (#eq-adam-inequivalence): lambda_i = lambda / (sqrt(v_hat_i) + delta).

    With beta1 = 0 one step of adam_step(weight_decay=lambda) is
    theta - alpha grad / (sqrt(v_hat) + delta) - alpha lambda_i theta, where v_hat is
    that run's own bias-corrected second moment (it contains the L2 term too).
    """
    v_hat = _check_squares("v_hat", v_hat)
    weight_decay = _check_nonnegative("weight_decay", weight_decay)
    eps = _check_nonnegative("eps", eps)
    return weight_decay / (np.sqrt(v_hat) + eps)  # λ / (√v̂_i + δ)
# --8<-- [end:effective_l2_decay]


def quadratic_grad(theta, curvature, centre) -> np.ndarray:
    """Gradient of f(theta) = sum_i h_i (theta_i - c_i)^2 / 2: h * (theta - c)."""
    theta = _check_array("theta", theta)
    h = _check_array("curvature", curvature, theta.shape)
    c = _check_array("centre", centre, theta.shape)
    if np.any(h <= 0):
        raise ValueError("curvature must be positive")
    return h * (theta - c)


# --8<-- [start:trajectory]
def trajectory(method: str, grad_fn, theta0, n_steps: int, lr: float,
               weight_decay: float, beta1: float = 0.9, beta2: float = 0.999,
               eps: float = 1e-8) -> np.ndarray:
    """Iterates theta_0, ..., theta_n of one method from theta0, m_0 = v_0 = 0.

    method: "adam-l2" (adam_step), "adamw" (adamw_step), "sgd-l2" (sgd_l2_step) or
    "sgd-decay" (sgd_decay_step with decay = lr * weight_decay).
    grad_fn(theta) returns the loss gradient at theta. Returns shape (n_steps + 1, d).
    """
    _check_run(method, n_steps)
    theta = _check_array("theta0", theta0)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    out = [theta]
    for t in range(1, n_steps + 1):
        grad = grad_fn(theta)
        if method == "adam-l2":
            theta, m, v = adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps,
                                    weight_decay)
        elif method == "adamw":
            theta, m, v = adamw_step(theta, grad, m, v, t, lr, beta1, beta2, eps,
                                     weight_decay)
        elif method == "sgd-l2":
            theta = sgd_l2_step(theta, grad, lr, weight_decay)
        else:
            theta = sgd_decay_step(theta, grad, lr, lr * weight_decay)
        out.append(theta)
    return np.array(out)
# --8<-- [end:trajectory]


if __name__ == "__main__":
    # toy: a constant gradient 2.0; the raw m_1 is 0.2, the corrected one is 2.0 at once
    m1, v1 = adam_moments(np.zeros(1), np.zeros(1), np.array([2.0]))
    print("m_1 =", m1, " m_hat_1 =", bias_correction(m1, v1, 1)[0])
    # first step from theta = (1, 1) with grad = (1, 0.01), lr = 0.1, lambda = 0.5
    theta, grad = np.array([1.0, 1.0]), np.array([1.0, 0.01])
    z = np.zeros(2)
    print("Adam step, no decay:", theta - adam_step(theta, grad, z, z, 1, 0.1)[0])
    print("Adam + L2 step:", theta - adam_step(theta, grad, z, z, 1, 0.1, weight_decay=0.5)[0])
    print("AdamW step:    ", theta - adamw_step(theta, grad, z, z, 1, 0.1, weight_decay=0.5)[0])
    # the ill-conditioned quadratic of the figure
    h, c = np.array([100.0, 1.0]), np.array([1.0, 1.0])
    grad_fn = lambda x: quadratic_grad(x, h, c)  # noqa: E731
    for method in METHODS:
        path = trajectory(method, grad_fn, np.zeros(2), 3000, 0.01, 0.5)
        print(f"{method:9s} theta_3000 =", np.round(path[-1], 4))
    print("L2 minimiser h c / (h + lambda) =", np.round(h * c / (h + 0.5), 4))
