"""DDPG on a one-dimensional discounted linear-quadratic regulator (LQR).

Page: deep-rl/ddpg (docs/deep-rl/ddpg.md); each function names its equation's anchor.
Problem: x' = a x + b u + xi, xi ~ N(0, noise_std^2), reward r = -(q x^2 + rho u^2),
discount gamma. The optimal deterministic policy is linear, u = -K x, with K from the
discounted Riccati equation, so DDPG with a linear actor mu_theta(x) = theta x and a
critic quadratic in (x, u) can be checked against the exact answer theta -> -K.
States and actions are float64 torch tensors of shape (B,); the LQR helpers use floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


def _check_positive(name: str, x, allow_zero: bool = False) -> float:
    if not isinstance(x, (int, float)) or not math.isfinite(x) or x < 0 or (
            x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {x!r}")
    return float(x)


def _check_rate(name: str, x, low_open: bool = True) -> float:
    """gamma in [0, 1) (low_open=False) or tau in (0, 1] (low_open=True)."""
    ok = isinstance(x, (int, float)) and (0 < x <= 1 if low_open else 0 <= x < 1)
    if not ok:
        interval = "(0, 1]" if low_open else "[0, 1)"
        raise ValueError(f"{name} must be a number in {interval}, got {x!r}")
    return float(x)


@dataclass(frozen=True)
class LQR:
    """x' = a x + b u + xi, xi ~ N(0, noise_std^2); r = -(q x^2 + rho u^2); discount."""

    a: float = 1.0
    b: float = 0.5
    q: float = 1.0
    rho: float = 0.5
    gamma: float = 0.9
    noise_std: float = 0.1

    def __post_init__(self):
        if not isinstance(self.a, (int, float)) or not math.isfinite(self.a):
            raise ValueError(f"a must be a finite number, got {self.a!r}")
        if not isinstance(self.b, (int, float)) or not math.isfinite(self.b) \
                or self.b == 0:
            raise ValueError(f"b must be a finite non-zero number, got {self.b!r}")
        _check_positive("q", self.q)
        _check_positive("rho", self.rho)
        _check_rate("gamma", self.gamma, low_open=False)
        _check_positive("noise_std", self.noise_std, allow_zero=True)


# --8<-- [start:lqr_optimal_gain]
def lqr_optimal_gain(lqr: LQR) -> tuple[float, float]:
    """Optimal u = -K x, v*(x) = -(P x^2 + c) of the discounted LQR (#eq-lqr-riccati).

    P solves the scalar discounted Riccati equation
        P = q + gamma a^2 P - (gamma a b P)^2 / (rho + gamma b^2 P),
    i.e. gamma b^2 P^2 + (rho (1 - gamma a^2) - gamma b^2 q) P - q rho = 0 (the
    positive root),
    and K = gamma a b P / (rho + gamma b^2 P). Returns (K, P).
    """
    a, b, q, rho, g = lqr.a, lqr.b, lqr.q, lqr.rho, lqr.gamma
    # coefficients of γb²·P² + h·P − qρ = 0
    h = rho * (1 - g * a**2) - g * b**2 * q
    # positive root, written with the conjugate: no cancellation, and at gamma = 0
    # it gives P = q without dividing by 2 gamma b^2
    P = 2 * q * rho / (h + math.sqrt(h**2 + 4 * g * b**2 * q * rho))
    # K = γabP / (ρ + γb²P)
    K = g * a * b * P / (rho + g * b**2 * P)
    return K, P
# --8<-- [end:lqr_optimal_gain]


# --8<-- [start:linear_policy_cost]
def linear_policy_cost(K: float, lqr: LQR) -> tuple[float, float]:
    """Discounted cost of u = -K x: v_K(x) = -(P_K x^2 + c_K) (#eq-linear-policy-cost).

    P_K = (q + rho K^2) / (1 - gamma (a - b K)^2),
    c_K = gamma P_K noise_std^2 / (1 - gamma),
    finite only when gamma (a - b K)^2 < 1. Returns (P_K, c_K).
    """
    a, b, q, rho, g = lqr.a, lqr.b, lqr.q, lqr.rho, lqr.gamma
    if not isinstance(K, (int, float)) or not g * (a - b * K) ** 2 < 1:
        raise ValueError(f"K must satisfy gamma (a - b K)^2 < 1 (finite cost), "
                         f"got {K!r}")
    # P_K = (q + ρK²) Σ_t γ^t (a − bK)^{2t}
    P = (q + rho * K**2) / (1 - g * (a - b * K) ** 2)
    # each step adds noise variance σ² to x², worth γ P_K σ² from the next step on
    c = g * P * lqr.noise_std**2 / (1 - g)
    return P, c
# --8<-- [end:linear_policy_cost]


# --8<-- [start:q_weights_of_linear_policy]
def q_weights_of_linear_policy(K: float, lqr: LQR) -> torch.Tensor:
    """Exact q_K(x, u) of u = -K x as weights on the features (x^2, x u, u^2, 1).

    q_K(x, u) = -(q x^2 + rho u^2) - gamma (P_K E[(a x + b u + xi)^2] + c_K)
    (#eq-critic-target). Returns a float64 tensor of shape (4,).
    """
    P, c = linear_policy_cost(K, lqr)
    a, b, g = lqr.a, lqr.b, lqr.gamma
    return torch.tensor([-lqr.q - g * P * a**2,  # x²
                         -2 * g * P * a * b,  # x u
                         -lqr.rho - g * P * b**2,  # u²
                         -g * (P * lqr.noise_std**2 + c)],  # constant
                        dtype=torch.float64)
# --8<-- [end:q_weights_of_linear_policy]


# --8<-- [start:models]
class LinearActor(torch.nn.Module):
    """mu_theta(x) = theta x; the optimal policy is theta = -K."""

    def __init__(self, theta: float = 0.0):
        super().__init__()
        self.theta = torch.nn.Parameter(torch.tensor(float(theta), dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.theta * x


class QuadraticCritic(torch.nn.Module):
    """Q_w(x, u) = w0 x^2 + w1 x u + w2 u^2 + w3: exact for every linear policy."""

    def __init__(self, w=(0.0, 0.0, 0.0, 0.0)):
        super().__init__()
        self.w = torch.nn.Parameter(torch.as_tensor(w, dtype=torch.float64).clone())

    def forward(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        features = torch.stack([x * x, x * u, u * u, torch.ones_like(x)], dim=-1)
        return features @ self.w
# --8<-- [end:models]


# --8<-- [start:critic_target]
def critic_target(reward, next_state, done, gamma: float, actor_targ: torch.nn.Module,
                  critic_targ: torch.nn.Module) -> torch.Tensor:
    """y = r + gamma (1 - done) Q'(s', mu'(s')), target networks (#eq-critic-target).

    reward, next_state, done: shape (B,); done is 1 where s' is terminal (never in
    the LQR). No gradient flows through y.
    """
    gamma = _check_rate("gamma", gamma, low_open=False)
    if not (reward.shape == next_state.shape == done.shape) or reward.ndim != 1:
        raise ValueError(
            f"reward, next_state and done must have one shape (B,), got "
            f"{tuple(reward.shape)}, {tuple(next_state.shape)}, {tuple(done.shape)}")
    with torch.no_grad():
        # a' = μ'(s'), the target actor's action, not the one stored in the buffer
        next_action = actor_targ(next_state)
        # y = r + γ (1 − d) Q'(s', a')
        return reward + gamma * (1 - done) * critic_targ(next_state, next_action)
# --8<-- [end:critic_target]


# --8<-- [start:critic_loss]
def critic_loss(critic: torch.nn.Module, state, action, target) -> torch.Tensor:
    """L(w) = (1/B) sum_i (Q_w(s_i, a_i) - y_i)^2 (#eq-critic-loss); shapes (B,)."""
    if not (state.shape == action.shape == target.shape) or state.ndim != 1 or (
            state.numel() == 0):
        raise ValueError(
            f"state, action and target must have one shape (B,) with B >= 1, got "
            f"{tuple(state.shape)}, {tuple(action.shape)}, {tuple(target.shape)}")
    # the target is a constant: detach in case the caller built it with gradients
    return ((critic(state, action) - target.detach()) ** 2).mean()
# --8<-- [end:critic_loss]


# --8<-- [start:actor_gradient]
def actor_gradient(actor: torch.nn.Module, critic: torch.nn.Module, state) -> list:
    """grad_theta J = (1/B) sum_i grad_theta mu(s_i) grad_a Q(s_i, a)|_{a = mu(s_i)}
    (#eq-actor-gradient), by the chain rule in two explicit stages.

    state: shape (B,). Returns one gradient per actor parameter (the ascent direction).
    """
    if state.ndim != 1 or state.numel() == 0:
        raise ValueError(
            f"state must have shape (B,) with B >= 1, got {tuple(state.shape)}")
    action = actor(state)
    # stage 1: ∇_a Q(s, a) at a = μ(s), with the actor cut off
    a = action.detach().requires_grad_(True)
    (dq_da,) = torch.autograd.grad(critic(state, a).sum(), a)
    # stage 2: Σ_i ∇_θ μ(s_i) · (∇_a Q)_i / B, a vector-Jacobian product through μ only
    return list(torch.autograd.grad(action, list(actor.parameters()),
                                    grad_outputs=dq_da / len(state)))
# --8<-- [end:actor_gradient]


# --8<-- [start:soft_update]
def soft_update(target: torch.nn.Module, online: torch.nn.Module, tau: float) -> None:
    """theta' <- tau theta + (1 - tau) theta' for every parameter, in place
    (#eq-soft-update)."""
    tau = _check_rate("tau", tau)
    target_params, online_params = list(target.parameters()), list(online.parameters())
    if [p.shape for p in target_params] != [p.shape for p in online_params]:
        raise ValueError("target and online must have parameters of the same shapes")
    with torch.no_grad():
        for p_targ, p in zip(target_params, online_params):
            # θ' ← τ θ + (1 − τ) θ'
            p_targ.mul_(1 - tau).add_(tau * p)
# --8<-- [end:soft_update]


# --8<-- [start:ou_noise]
def ou_noise(n_steps: int, n_chains: int, theta: float, sigma: float, dt: float,
             generator: torch.Generator, x0: float = 0.0,
             scheme: str = "exact") -> torch.Tensor:
    """Ornstein-Uhlenbeck paths dX = -theta X dt + sigma dW, mean 0 (#eq-ou-noise).

    "exact": X_{k+1} = e^{-theta dt} X_k + sigma sqrt((1 - e^{-2 theta dt})/(2 theta)) Z
    (Z ~ N(0, 1)),
    stationary variance sigma^2 / (2 theta) for every dt;
    "euler": X_{k+1} = X_k - theta X_k dt + sigma sqrt(dt) Z (what DDPG code usually
    does), stationary variance sigma^2 / (theta (2 - theta dt)).
    Returns shape (n_steps + 1, n_chains), row 0 equal to x0.
    """
    if not isinstance(n_steps, int) or not isinstance(n_chains, int) \
            or n_steps < 1 or n_chains < 1:
        raise ValueError(f"n_steps and n_chains must be integers >= 1, "
                         f"got {n_steps!r}, {n_chains!r}")
    theta, sigma = _check_positive("theta", theta), _check_positive("sigma", sigma)
    dt = _check_positive("dt", dt)
    if scheme == "exact":
        decay = math.exp(-theta * dt)  # e^{−θ dt}
        scale = sigma * math.sqrt((1 - decay**2) / (2 * theta))
    elif scheme == "euler":
        if not theta * dt < 2:
            raise ValueError(
                f"the euler scheme needs theta dt < 2, got {theta * dt!r}")
        decay = 1 - theta * dt  # X − θ X dt
        scale = sigma * math.sqrt(dt)  # σ √dt Z
    else:
        raise ValueError(f"scheme must be 'exact' or 'euler', got {scheme!r}")
    z = torch.randn(n_steps, n_chains, generator=generator, dtype=torch.float64)
    x = torch.empty(n_steps + 1, n_chains, dtype=torch.float64)
    x[0] = x0
    for k in range(n_steps):
        x[k + 1] = decay * x[k] + scale * z[k]
    return x
# --8<-- [end:ou_noise]


class _Adam:
    """Adam (Kingma & Ba) for one tensor, written out (torch.optim takes seconds to
    import, longer than the whole training)."""

    def __init__(self, param: torch.Tensor, lr: float, betas=(0.9, 0.999),
                 eps: float = 1e-8):
        self.param, self.lr, self.betas, self.eps = param, lr, betas, eps
        self.m, self.v, self.t = torch.zeros_like(param), torch.zeros_like(param), 0

    def step(self, grad: torch.Tensor) -> None:
        b1, b2 = self.betas
        self.t += 1
        self.m = b1 * self.m + (1 - b1) * grad
        self.v = b2 * self.v + (1 - b2) * grad**2
        m_hat, v_hat = self.m / (1 - b1**self.t), self.v / (1 - b2**self.t)
        with torch.no_grad():
            self.param -= self.lr * m_hat / (v_hat.sqrt() + self.eps)


# --8<-- [start:ddpg]
def ddpg(lqr: LQR, n_steps: int, generator: torch.Generator, batch_size: int = 64,
         lr_actor: float = 0.02, lr_critic: float = 0.2, tau: float = 0.05,
         ou_theta: float = 0.15, ou_sigma: float = 1.0, episode_len: int = 20) -> dict:
    """DDPG (Lillicrap et al., Algorithm 1) on the LQR: one environment step, one critic
    step, one actor step and one soft update per iteration.

    Returns {"theta": (n_steps + 1,) actor parameter after each step,
    "w": (n_steps + 1, 4) critic weights, "transitions": (n_steps, 3) the replay
    buffer rows (s, a, s')}. Episodes restart from x0 ~ U(-1, 1) every episode_len
    steps. The generator draws, in this order, the OU noise (n_steps), the dynamics
    noise xi (n_steps), a start state per step (used at restarts), then per step the
    minibatch indices.
    """
    if not isinstance(n_steps, int) or n_steps < 1:
        raise ValueError(f"n_steps must be an integer >= 1, got {n_steps!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    if not isinstance(episode_len, int) or episode_len < 1:
        raise ValueError(f"episode_len must be an integer >= 1, got {episode_len!r}")
    # ddpg's own names, before ou_noise and _Adam would report theta, sigma or lr
    _check_positive("ou_theta", ou_theta)
    _check_positive("ou_sigma", ou_sigma)
    _check_positive("lr_actor", lr_actor)
    _check_positive("lr_critic", lr_critic)
    actor, critic = LinearActor(), QuadraticCritic()
    actor_targ, critic_targ = LinearActor(), QuadraticCritic()
    actor_targ.load_state_dict(actor.state_dict())
    critic_targ.load_state_dict(critic.state_dict())
    opt_actor, opt_critic = _Adam(actor.theta, lr_actor), _Adam(critic.w, lr_critic)
    f64 = torch.float64
    noise = ou_noise(n_steps, 1, ou_theta, ou_sigma, 1.0, generator)[1:, 0]
    xi = lqr.noise_std * torch.randn(n_steps, generator=generator, dtype=f64)
    x_start = 2 * torch.rand(n_steps, generator=generator, dtype=f64) - 1  # U(-1, 1)
    # rows (s, a, s'), r is recomputed; NaN marks rows not written yet
    buffer = torch.full((n_steps, 3), torch.nan, dtype=f64)
    thetas, ws = [actor.theta.item()], [critic.w.detach().clone()]
    for t in range(n_steps):
        if t % episode_len == 0:
            x = x_start[t]  # a new episode
        with torch.no_grad():
            u = actor(x) + noise[t]  # behaviour: μ(s) + OU noise
        x_next = lqr.a * x + lqr.b * u + xi[t]  # x' = a x + b u + ξ
        buffer[t] = torch.stack([x, u, x_next])
        x = x_next
        # a minibatch drawn uniformly from the t + 1 stored transitions
        idx = torch.randint(t + 1, (batch_size,), generator=generator)
        s, a, s2 = buffer[idx].T
        r = -(lqr.q * s**2 + lqr.rho * a**2)
        done = torch.zeros_like(r)  # the LQR never terminates
        y = critic_target(r, s2, done, lqr.gamma, actor_targ, critic_targ)
        # critic: one step down the loss L(w) = mean (Q_w(s, a) − y)²
        (grad_w,) = torch.autograd.grad(critic_loss(critic, s, a, y), [critic.w])
        opt_critic.step(grad_w)
        # actor: one step up J, i.e. down −∇_θ J (Adam descends)
        (grad_theta,) = actor_gradient(actor, critic, s)
        opt_actor.step(-grad_theta)
        soft_update(actor_targ, actor, tau)
        soft_update(critic_targ, critic, tau)
        thetas.append(actor.theta.item())
        ws.append(critic.w.detach().clone())
    return {"theta": torch.tensor(thetas, dtype=torch.float64), "w": torch.stack(ws),
            "transitions": buffer}
# --8<-- [end:ddpg]


if __name__ == "__main__":
    lqr = LQR()
    K, P = lqr_optimal_gain(lqr)
    print(f"{lqr}: K* = {K:.4f}, P* = {P:.4f}")
    for k in (0.0, 0.5, K, 1.5):
        P_k, c_k = linear_policy_cost(k, lqr)
        print(f"  u = -{k:.4f} x: P_K = {P_k:.4f}, c_K = {c_k:.4f}")
    print("  q* weights on (x^2, xu, u^2, 1):",
          q_weights_of_linear_policy(K, lqr).numpy().round(4))
    for seed in range(10):
        out = ddpg(lqr, 300, torch.Generator().manual_seed(seed))
        th, w = out["theta"], out["w"][-1]
        print(f"seed {seed}: theta at steps 0, 50, 100, 200, 300 ="
              f" {th[[0, 50, 100, 200, 300]].numpy().round(4)},"
              f" error {th[-1] + K:+.4f},"
              f" critic greedy gain {-w[1] / (2 * w[2]):.4f}")
    for seed in range(5):
        th = ddpg(lqr, 300, torch.Generator().manual_seed(seed), tau=0.2)["theta"]
        print(f"tau = 0.2, seed {seed}: theta at 300 = {th[-1]:.4f}")
    for sig in (0.5, 1.0):
        th = ddpg(lqr, 300, torch.Generator().manual_seed(22), ou_sigma=sig)["theta"]
        print(f"ou_sigma = {sig}, seed 22: theta at 300 = {th[-1]:.4f}")
    theta, sigma, dt = 0.15, 0.2, 1.0
    print(f"OU theta={theta}, sigma={sigma}, dt={dt}:"
          f" exact variance {sigma**2 / (2 * theta):.4f},"
          f" Euler {sigma**2 / (theta * (2 - theta * dt)):.4f}")
