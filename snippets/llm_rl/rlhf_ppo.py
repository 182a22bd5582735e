"""RLHF with PPO: reward model, KL-penalised token rewards, GAE and the clipped surrogate.

Page: llm-rl/rlhf-ppo (docs/llm-rl/rlhf-ppo.md); each function names the anchor of the
equation it implements. Tensors are batched over leading axes; the last axis is the token
position of a response, right-padded to a common length T, with a response mask equal to 1
on response tokens and 0 on padding. The page counts tokens from 1 (o = (o_1, ..., o_n));
the arrays count columns from 0, so column t - 1 holds token t. `logp[..., t - 1]` is the
log-probability log pi(o_t | q, o_<t) of the sampled token t.
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


def check_logp(name: str, x) -> torch.Tensor:
    """Log-probabilities as a finite tensor, checked to be <= 0 (probabilities <= 1)."""
    x = _as_tensor(name, x)
    if (x > 0).any():
        raise ValueError(f"{name} must hold log-probabilities (<= 0), got a maximum of "
                         f"{float(x.max()):.4g}")
    return x


def _check_logp_like(name: str, x, ref: torch.Tensor) -> torch.Tensor:
    """Log-probabilities with the shape and the dtype of ref."""
    return _check_same_shape(name, check_logp(name, x).to(ref.dtype), ref.shape)


def check_mask(mask, shape: torch.Size) -> torch.Tensor:
    """The response mask as a float tensor of `shape`, checked to hold only 0 and 1."""
    mask = torch.as_tensor(mask)
    if mask.shape != shape:
        raise ValueError(f"mask must have shape {tuple(shape)}, got {tuple(mask.shape)}")
    if not ((mask == 0) | (mask == 1)).all():
        raise ValueError("mask must hold only 0 and 1")
    return mask.to(torch.get_default_dtype() if not torch.is_floating_point(mask) else mask.dtype)


def check_right_padded(mask: torch.Tensor) -> torch.Tensor:
    """A response mask that is 1 on a prefix of each row and 0 after it (right padding)."""
    if mask.ndim == 0 or not (mask[..., 1:] <= mask[..., :-1]).all():
        raise ValueError("mask must be right-padded: ones, then zeros, along the last axis")
    return mask


def _check_same_shape(name: str, x: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    if x.shape != shape:
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(x.shape)}")
    return x


def _check_like(name: str, x, ref: torch.Tensor) -> torch.Tensor:
    """x as a finite tensor with the shape and the dtype of ref."""
    return _check_same_shape(name, _as_tensor(name, x).to(ref.dtype), ref.shape)


def _check_scalar(name: str, x) -> torch.Tensor:
    x = _as_tensor(name, x)
    if x.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got shape {tuple(x.shape)}")
    return x


def _check_positive(name: str, value: float) -> float:
    if not value > 0.0:
        raise ValueError(f"{name} must be positive, got {value}")
    return float(value)


def _check_non_negative(name: str, value: float) -> float:
    if not value >= 0.0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return float(value)


# --8<-- [start:masked_mean]
def masked_mean(x, mask, dim: int | None = None) -> torch.Tensor:
    """Mean of x over the positions where mask = 1: sum(x * mask) / sum(mask).

    dim=None averages over every unmasked element of the batch (a token-level mean);
    dim=-1 averages each response over its own tokens (one mean per response).
    """
    x = _as_tensor("x", x)
    mask = check_mask(mask, x.shape).to(x.dtype)
    count = mask.sum(dim)  # dim=None: every element
    if (count == 0).any():
        raise ValueError("mask selects no element to average over")
    return (x * mask).sum(dim) / count
# --8<-- [end:masked_mean]


# --8<-- [start:reward_model_loss]
def reward_model_loss(r_chosen, r_rejected, lm_nll=None, lm_coef: float = 0.0
                      ) -> torch.Tensor:
    """Pairwise RM loss -mean log sigmoid(r_phi(q, o+) - r_phi(q, o-)) (#eq-rm-loss).

    r_chosen, r_rejected: shape (B,), the scalar rewards of the preferred o+ and the
    rejected o- of each pair (the papers' y_w, y_l). Optional LM term of the paper:
    lm_coef (the page's c_rm) * mean(lm_nll), where lm_nll (shape (B,)) is the
    token-mean negative log-likelihood of o+ under the reward model's LM head.
    """
    r_chosen = _as_tensor("r_chosen", r_chosen)
    if r_chosen.numel() == 0:
        raise ValueError("r_chosen must hold at least one pair, got an empty tensor")
    r_rejected = _check_like("r_rejected", r_rejected, r_chosen)
    lm_coef = _check_non_negative("lm_coef", lm_coef)
    # -log σ(Δ) = softplus(-Δ), with Δ = r_φ(q, o⁺) - r_φ(q, o⁻); stable for large |Δ|
    pair = torch.nn.functional.softplus(r_rejected - r_chosen)
    loss = pair.mean()
    if lm_nll is not None:
        lm_nll = _check_like("lm_nll", lm_nll, r_chosen)
        # + c_rm · (−log π_LM(o⁺ | q)), the imitation term on the preferred responses
        loss = loss + lm_coef * lm_nll.mean()
    return loss
# --8<-- [end:reward_model_loss]


# --8<-- [start:kl_penalized_rewards]
def kl_penalized_rewards(score, logp, logp_ref, mask, kl_coef: float) -> torch.Tensor:
    """Token rewards r_t = -beta (log pi_RL - log pi_SFT)_t + 1[t = n] r_phi(q, o):
    the RM score at the last response token t = n (#eq-token-reward).

    score: shape (B,); logp, logp_ref, mask: shape (B, T), right-padded, at least one
    response token per row; column t - 1 holds token t, so the score goes to column
    n - 1 of a response of length n. kl_coef is beta. The KL term is the k1 estimate,
    one per token; summed over a response the rewards give
    score - beta * log(pi_RL(y|x) / pi_SFT(y|x)).
    """
    logp = check_logp("logp", logp)
    if logp.ndim == 0 or logp.shape[-1] == 0:
        raise ValueError(f"logp must have shape (B, T) with T >= 1, "
                         f"got {tuple(logp.shape)}")
    logp_ref = _check_logp_like("logp_ref", logp_ref, logp)
    mask = check_right_padded(check_mask(mask, logp.shape).to(logp.dtype))
    score = _check_like("score", score, logp[..., 0])
    kl_coef = _check_non_negative("kl_coef", kl_coef)
    lengths = mask.sum(-1).long()
    if (lengths == 0).any():
        raise ValueError("mask must select at least one response token per row")
    # −β (log π_RL(o_t) − log π_SFT(o_t)) on response tokens, 0 on padding
    rewards = -kl_coef * (logp - logp_ref) * mask
    # + r_φ(q, o) at the last response token t = n, array column n − 1
    last = torch.nn.functional.one_hot(lengths - 1, logp.shape[-1])
    return rewards + score[..., None] * last
# --8<-- [end:kl_penalized_rewards]


def _check_rate(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


# --8<-- [start:gae]
def gae(rewards, values, gamma: float, lam: float, mask=None) -> torch.Tensor:
    """Generalised advantage estimation by the reverse recursion (#eq-gae).

    delta_t = r_t + gamma V(s_{t+1}) - V(s_t);  A_t = delta_t + gamma lam A_{t+1},
    A_{T+1} = 0, so A_t = sum_l (gamma lam)^l delta_{t+l}, for tokens t = 1..T.
    Column t - 1 holds token t: rewards[..., t - 1] = r_t, values[..., t - 1] = V(s_t).
    rewards: shape (..., T); values: shape (..., T + 1), values[..., T] = V(s_{T+1}) is
    the bootstrap value after the last position (0 at a terminal). mask (optional,
    shape (..., T), right-padded): a response ends at its last 1; the state after
    it is terminal (its value counts as 0) and the advantages on padding are 0.
    """
    rewards = _as_tensor("rewards", rewards)
    values = _as_tensor("values", values)
    shape = rewards.shape
    if rewards.ndim == 0 or shape[-1] == 0:
        raise ValueError(f"rewards must have shape (..., T) with T >= 1, "
                         f"got {tuple(shape)}")
    if values.shape != shape[:-1] + (shape[-1] + 1,):
        raise ValueError(f"values must have shape (..., T + 1) for rewards of shape "
                         f"(..., T); got {tuple(values.shape)} and {tuple(shape)}")
    gamma, lam = _check_rate("gamma", gamma), _check_rate("lam", lam)
    if mask is None:
        mask = torch.ones_like(rewards)
    mask = check_right_padded(check_mask(mask, rewards.shape))
    # the position after t is still in the response: mask[t + 1]; after the last
    # column, the given bootstrap value values[..., T] is used as it is
    next_mask = torch.cat([mask[..., 1:], torch.ones_like(mask[..., :1])], dim=-1)
    # δ_t = r_t + γ V(s_{t+1}) − V(s_t), zero on padding
    deltas = (rewards + gamma * values[..., 1:] * next_mask - values[..., :-1]) * mask
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[..., 0])  # Â_{T+1} = 0
    for t in reversed(range(rewards.shape[-1])):  # column t holds token t + 1
        # Â_t = δ_t + γλ Â_{t+1} (page indices)
        running = deltas[..., t] + gamma * lam * next_mask[..., t] * running
        advantages[..., t] = running
    return advantages
# --8<-- [end:gae]


# --8<-- [start:whiten]
def whiten(x, mask, eps: float = 1e-8) -> torch.Tensor:
    """Masked whitening (x - mu) / sqrt(var + eps) over response tokens (#eq-whiten).

    mu and var are the mean and the population variance (divisor N) of x over all
    N tokens with mask = 1 in the batch; padding is returned as 0. Shapes: (..., T).
    """
    x = _as_tensor("x", x)
    mask = check_mask(mask, x.shape).to(x.dtype)
    eps = _check_positive("eps", eps)
    # μ = Σ m x / Σ m
    mu = masked_mean(x, mask)
    # σ² = Σ m (x − μ)² / Σ m
    var = masked_mean((x - mu) ** 2, mask)
    return (x - mu) / torch.sqrt(var + eps) * mask
# --8<-- [end:whiten]


# --8<-- [start:normalize_rewards]
def normalize_rewards(score, mean: float, std: float, clip: float) -> torch.Tensor:
    """Reward normalisation and clipping clip((r - mean) / std, -clip, clip)
    (#eq-reward-norm).

    score: shape (B,) (any shape); mean, std: running statistics of past RM scores.
    """
    score = _as_tensor("score", score)
    std = _check_positive("std", std)
    clip = _check_positive("clip", clip)
    # (r − μ) / σ
    z = (score - float(mean)) / std
    # clip(·, −c, c)
    return torch.clamp(z, -clip, clip)
# --8<-- [end:normalize_rewards]


def token_advantages(advantages, shape: torch.Size) -> torch.Tensor:
    """Advantages for every token: shape (..., T) as given, or one per response, shape
    (...), shared by all the tokens of that response (outcome rewards: GRPO, DAPO)."""
    advantages = _as_tensor("advantages", advantages)
    if advantages.shape == shape[:-1]:
        # Â_{i,t} = Â_i for every token t of response i
        return advantages.unsqueeze(-1).expand(shape)
    if advantages.shape != shape:
        raise ValueError(f"advantages must have shape {tuple(shape)} (per token) or "
                         f"{tuple(shape[:-1])} (per response), got {tuple(advantages.shape)}")
    return advantages


# --8<-- [start:ppo_clip_objective]
def ppo_clip_objective(ratio, advantages, eps: float, eps_high: float | None = None
                       ) -> torch.Tensor:
    """Per-element clipped surrogate min(r A, clip(r, 1 - eps, 1 + eps_high) A)
    (#eq-ppo-clip).

    ratio = pi_theta(a|s) / pi_old(a|s) and advantages have the same shape;
    eps_high defaults to eps (symmetric PPO clipping; DAPO's clip-higher passes a
    larger eps_high). The objective is maximised; a loss is its negative,
    aggregated over the response mask.
    """
    ratio = _as_tensor("ratio", ratio)
    advantages = _as_tensor("advantages", advantages).to(ratio.dtype)
    if advantages.shape != ratio.shape:
        raise ValueError(f"advantages must have the shape of ratio "
                         f"{tuple(ratio.shape)}, got {tuple(advantages.shape)}")
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


# --8<-- [start:ppo_policy_loss]
def ppo_policy_loss(logp, logp_old, advantages, mask, eps: float,
                    eps_high: float | None = None, per_sequence: bool = False
                    ) -> torch.Tensor:
    """Token-level PPO loss -masked_mean(min(r_t A_t, clip(r_t) A_t)) (#eq-ppo-loss).

    logp (differentiable), logp_old, mask: shape (B, T) (or (..., T)); advantages:
    the same shape (one per token, e.g. GAE) or (B,) (one per response, e.g. GRPO).
    r_t = exp(logp - logp_old). per_sequence=False: one mean over all response
    tokens of the batch; True: the mean of each response over its own tokens, then
    the mean over responses.
    """
    logp = check_logp("logp", logp)
    logp_old = _check_logp_like("logp_old", logp_old, logp)
    check_mask(mask, logp.shape)
    advantages = token_advantages(advantages, logp.shape)
    # r_t(θ) = π_θ(o_t) / π_old(o_t) = exp(log π_θ − log π_old)
    ratio = torch.exp(logp - logp_old)
    surrogate = ppo_clip_objective(ratio, advantages, eps, eps_high)
    if per_sequence:
        # mean over responses of (mean over each response's tokens)
        return -masked_mean(surrogate, mask, dim=-1).mean()
    # − Σ m_t min(…) / Σ m_t over the whole batch
    return -masked_mean(surrogate, mask)
# --8<-- [end:ppo_policy_loss]


# --8<-- [start:value_loss]
def value_loss(values, old_values, returns, mask, clip: float) -> torch.Tensor:
    """Clipped value loss masked_mean(max((V - R)^2, (clip(V, V_old +- clip) - R)^2))
    (#eq-value-clip).

    values (differentiable), old_values (the critic at rollout time), returns
    (R_t = A_t + V_old(s_t)), mask: shape (B, T).
    """
    values = _as_tensor("values", values)
    old_values = _check_like("old_values", old_values, values)
    returns = _check_like("returns", returns, values)
    check_mask(mask, values.shape)
    clip = _check_positive("clip", clip)
    # V_clip = V_old + clip(V − V_old, −ε_v, ε_v)
    clipped = old_values + torch.clamp(values - old_values, -clip, clip)
    # max((V − R)², (V_clip − R)²), the pessimistic of the two
    loss = torch.maximum((values - returns) ** 2, (clipped - returns) ** 2)
    return masked_mean(loss, mask)
# --8<-- [end:value_loss]


# --8<-- [start:masked_entropy]
def masked_entropy(logits, mask) -> torch.Tensor:
    """Mean token entropy H_t = -sum_v p_v log p_v, p = softmax(logits), over the
    response tokens (#eq-ppo-max).

    logits: shape (B, T, V); mask: shape (B, T).
    """
    logits = _as_tensor("logits", logits)
    if logits.ndim < 2 or logits.shape[-1] == 0:
        raise ValueError(f"logits must have shape (..., T, V) with V >= 1, "
                         f"got {tuple(logits.shape)}")
    check_mask(mask, logits.shape[:-1])
    # log p_v = z_v − log Σ_u exp z_u (shifted by the max for stability)
    shifted = logits - logits.max(-1, keepdim=True).values
    logp = shifted - torch.log(torch.exp(shifted).sum(-1, keepdim=True))
    # H = −Σ_v p_v log p_v
    entropy = -(torch.exp(logp) * logp).sum(-1)
    return masked_mean(entropy, mask)
# --8<-- [end:masked_entropy]


# --8<-- [start:ppo_max_loss]
def ppo_max_loss(policy_loss, value_loss, entropy, ptx_nll, vf_coef: float,
                 ent_coef: float, ptx_coef: float) -> torch.Tensor:
    """Total PPO loss L = L_clip + c_v L_V - c_H H + gamma_ptx L_ptx (#eq-ppo-max).

    All four inputs are scalars: the clipped policy loss, the clipped value loss,
    the mean token entropy and the pretraining NLL -mean log pi_theta(x) on a
    pretraining batch. PPO-max trains with ent_coef = 0 (the entropy bonus was
    studied and not adopted); it is kept to write the studied option.
    """
    policy = _check_scalar("policy_loss", policy_loss)
    value = _check_scalar("value_loss", value_loss)
    ent = _check_scalar("entropy", entropy)
    ptx = _check_scalar("ptx_nll", ptx_nll)
    vf_coef = _check_non_negative("vf_coef", vf_coef)
    ent_coef = _check_non_negative("ent_coef", ent_coef)
    ptx_coef = _check_non_negative("ptx_coef", ptx_coef)
    # L_clip + c_v L_V − c_H H + γ_ptx (−log π_θ(x_pretrain))
    return policy + vf_coef * value - ent_coef * ent + ptx_coef * ptx
# --8<-- [end:ppo_max_loss]


# The page's worked example (#example): three responses of lengths 5, 3 and 2, right-padded
# to T = 5. values[b, t - 1] = V(s_t) for t = 1..T + 1, zero after each response has ended.
EXAMPLE = {
    "mask": [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]],
    "logp": [[-1.2, -0.4, -2.0, -0.7, -0.3], [-0.9, -1.5, -0.5, 0, 0], [-0.5, -2.2, 0, 0, 0]],
    "logp_ref": [[-1.0, -0.6, -1.6, -0.9, -0.4], [-1.1, -1.3, -0.8, 0, 0],
                 [-0.8, -1.7, 0, 0, 0]],
    "values": [[0.3, 0.4, 0.2, 0.5, 0.6, 0], [-0.2, 0.1, 0.3, 0, 0, 0], [0.5, 0.2, 0, 0, 0, 0]],
    "score": [1.5, -0.5, 0.8],
}


def example_batch() -> dict:
    """The worked example as float64 tensors."""
    return {key: torch.tensor(value, dtype=torch.float64) for key, value in EXAMPLE.items()}


if __name__ == "__main__":
    torch.set_printoptions(precision=4, sci_mode=False)
    ex = example_batch()
    mask = ex["mask"]
    rewards = kl_penalized_rewards(ex["score"], ex["logp"], ex["logp_ref"], mask, 0.1)
    print("token rewards r_t (beta = 0.1):\n", rewards)
    print("sum over each response:", rewards.sum(-1))
    for lam in (0.0, 0.95, 1.0):
        print(f"GAE advantages (gamma = 1, lambda = {lam}):\n",
              gae(rewards, ex["values"], 1.0, lam, mask))
    adv = gae(rewards, ex["values"], 1.0, 0.95, mask)
    white = whiten(adv, mask)
    print("whitened advantages:\n", white)
    print("masked mean / var of the whitened:", float(masked_mean(white, mask)),
          float(masked_mean(white**2, mask)))
    returns = adv + ex["values"][:, :-1] * mask
    # the new policy: log-probabilities 0.3 higher on tokens t = 1, 3, 5, lower on t = 2, 4
    shift = 0.3 * torch.tensor([[1.0, -1, 1, -1, 1]] * 3, dtype=torch.float64) * mask
    logp_new = ex["logp"] + shift
    ratio = torch.exp(logp_new - ex["logp"])
    print("ratio r_t:\n", ratio * mask)
    print("clipped (zero-gradient) tokens:\n",
          (((white > 0) & (ratio > 1.2)) | ((white < 0) & (ratio < 0.8))).int() * mask.int())
    print("PPO loss (token-level mean):",
          float(ppo_policy_loss(logp_new, ex["logp"], white, mask, 0.2)))
    print("PPO loss (per-sequence mean):",
          float(ppo_policy_loss(logp_new, ex["logp"], white, mask, 0.2, per_sequence=True)))
    v_new = ex["values"][:, :-1] + 0.5
    print("value loss (clip 0.2):", float(value_loss(v_new, ex["values"][:, :-1], returns,
                                                     mask, 0.2)))
    print("value loss unclipped:", float(masked_mean((v_new - returns) ** 2, mask)))
    v_new.requires_grad_(True)
    value_loss(v_new, ex["values"][:, :-1], returns, mask, 0.2).backward()
    print("tokens with zero value gradient:", int(((v_new.grad == 0) & (mask == 1)).sum()))
    print("RM loss for r+ = [1.0, 0.2], r- = [0.0, 0.7]:",
          float(reward_model_loss([1.0, 0.2], [0.0, 0.7])))
    print("normalised scores (mean 0.5, std 0.8, clip 1.5):",
          normalize_rewards(ex["score"], 0.5, 0.8, 1.5))
