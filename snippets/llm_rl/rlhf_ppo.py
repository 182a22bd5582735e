"""RLHF with PPO: reward model, KL-penalised token rewards, GAE and the clipped surrogate.

Page: llm-rl/rlhf-ppo (docs/llm-rl/rlhf-ppo.md); each function names the anchor of the
equation it implements. Tensors are batched over leading axes; the last axis is the token
position t of a response, right-padded to a common length T, with a response mask
`mask[..., t]` equal to 1 on response tokens and 0 on padding.
"""

from __future__ import annotations

import torch


def _as_tensor(name: str, x) -> torch.Tensor:
    x = torch.as_tensor(x)
    if not torch.is_floating_point(x):
        x = x.to(torch.get_default_dtype())
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite")
    return x


def check_mask(mask, shape: torch.Size) -> torch.Tensor:
    """The response mask as a float tensor of `shape`, checked to hold only 0 and 1."""
    mask = torch.as_tensor(mask)
    if mask.shape != shape:
        raise ValueError(f"mask must have shape {tuple(shape)}, got {tuple(mask.shape)}")
    if not ((mask == 0) | (mask == 1)).all():
        raise ValueError("mask must hold only 0 and 1")
    return mask.to(torch.get_default_dtype() if not torch.is_floating_point(mask) else mask.dtype)


# --8<-- [start:masked_mean]
def masked_mean(x, mask, dim: int | None = None) -> torch.Tensor:
    """Mean of x over the positions where mask = 1: sum(x * mask) / sum(mask).

    dim=None averages over every unmasked element of the batch (a token-level mean);
    dim=-1 averages each response over its own tokens (one mean per response).
    """
    x = _as_tensor("x", x)
    mask = check_mask(mask, x.shape).to(x.dtype)
    count = mask.sum() if dim is None else mask.sum(dim)
    if (count == 0).any():
        raise ValueError("mask selects no element to average over")
    total = (x * mask).sum() if dim is None else (x * mask).sum(dim)
    return total / count
# --8<-- [end:masked_mean]


def _check_rate(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


# --8<-- [start:gae]
def gae(rewards, values, gamma: float, lam: float, mask=None) -> torch.Tensor:
    """Generalised advantage estimation by the reverse recursion (#eq-gae).

    delta_t = r_t + gamma V(s_{t+1}) - V(s_t);  A_t = delta_t + gamma lam A_{t+1}, A_T = 0,
    so A_t = sum_l (gamma lam)^l delta_{t+l}.
    rewards: shape (..., T); values: shape (..., T + 1), values[..., T] is the bootstrap
    value after the last position (0 at a terminal). mask (optional, shape (..., T)):
    a right-padded response ends at its last 1; the state after it is terminal (its value
    counts as 0) and the advantages on padding are 0.
    """
    rewards = _as_tensor("rewards", rewards)
    values = _as_tensor("values", values).to(rewards.dtype)
    if rewards.ndim == 0 or values.shape != rewards.shape[:-1] + (rewards.shape[-1] + 1,):
        raise ValueError(f"values must have shape (..., T + 1) for rewards of shape (..., T); "
                         f"got {tuple(values.shape)} and {tuple(rewards.shape)}")
    gamma, lam = _check_rate("gamma", gamma), _check_rate("lam", lam)
    if mask is None:
        mask = torch.ones_like(rewards)
    mask = check_mask(mask, rewards.shape).to(rewards.dtype)
    # the position after t is still in the response: mask[t + 1]; after the last column, the
    # given bootstrap value values[..., T] is used as it is
    next_mask = torch.cat([mask[..., 1:], torch.ones_like(mask[..., :1])], dim=-1)
    # δ_t = r_t + γ V(s_{t+1}) − V(s_t), zero on padding
    deltas = (rewards + gamma * values[..., 1:] * next_mask - values[..., :-1]) * mask
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[..., 0])  # A_T = 0
    for t in reversed(range(rewards.shape[-1])):
        # A_t = δ_t + γλ A_{t+1}
        running = deltas[..., t] + gamma * lam * next_mask[..., t] * running
        advantages[..., t] = running
    return advantages
# --8<-- [end:gae]


# --8<-- [start:ppo_clip_objective]
def ppo_clip_objective(ratio, advantages, eps: float, eps_high: float | None = None
                       ) -> torch.Tensor:
    """Per-element clipped surrogate min(r A, clip(r, 1 - eps, 1 + eps_high) A) (#eq-ppo-clip).

    ratio = pi_theta(a|s) / pi_old(a|s) and advantages have the same shape; eps_high defaults
    to eps (symmetric PPO clipping; DAPO's clip-higher passes a larger eps_high).
    The objective is maximised; a loss is its negative, aggregated over the response mask.
    """
    ratio = _as_tensor("ratio", ratio)
    advantages = _as_tensor("advantages", advantages).to(ratio.dtype)
    if advantages.shape != ratio.shape:
        raise ValueError(f"advantages must have the shape of ratio {tuple(ratio.shape)}, "
                         f"got {tuple(advantages.shape)}")
    if (ratio < 0).any():
        raise ValueError("ratio must be non-negative (a ratio of probabilities)")
    eps_high = eps if eps_high is None else eps_high
    if not 0.0 < eps < 1.0:
        raise ValueError(f"eps must be in (0, 1), got {eps}")
    if not eps_high > 0.0:
        raise ValueError(f"eps_high must be positive, got {eps_high}")
    # clip(r, 1 − ε_low, 1 + ε_high)
    clipped = torch.clamp(ratio, 1.0 - eps, 1.0 + eps_high)
    # min(r Â, clip(r) Â)
    return torch.minimum(ratio * advantages, clipped * advantages)
# --8<-- [end:ppo_clip_objective]
