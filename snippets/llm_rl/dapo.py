"""DAPO: rule-based reward, clip-higher, dynamic sampling, token-level loss, overlong shaping.

Page: llm-rl/dapo (docs/llm-rl/dapo.md); each function names the anchor of the equation it
implements. Token tensors have shape (..., G, T): G responses o_1..o_G to one question on the
axis -2, right-padded to T tokens, with a response mask of 0/1 of the same shape (1 on the
|o_i| tokens of response i). logp holds log pi_theta(o_{i,t} | q, o_{i,<t}) of the sampled
tokens (the page counts tokens from 1: column t - 1 holds token t), logp_old the same
under pi_old. Per-response tensors (rewards, advantages, correct)
have shape (..., G). The shared pieces come from the sibling modules, by full path.
"""

from __future__ import annotations

import numpy as np
import torch

from snippets.llm_rl.rlhf_ppo import (
    _as_tensor,
    _check_like,
    check_logp,
    check_mask,
    masked_mean,
    ppo_clip_objective,
    token_advantages,
)

MODES = ("sample", "token", "fixed")
NORMS = ("group", "batch")


def _check_eps(eps_low: float, eps_high: float) -> None:
    if not 0.0 < eps_low < 1.0:
        raise ValueError(f"eps_low must be in (0, 1), got {eps_low}")
    if not eps_high > 0.0:
        raise ValueError(f"eps_high must be positive, got {eps_high}")


def _check_norm(norm: str) -> str:
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    return norm


def _group_axes(ndim: int) -> tuple[int, ...]:
    """The axes of one group: (G, T) for (..., G, T); a lone response (T,) is a group."""
    return (-2, -1) if ndim >= 2 else (-1,)


# --8<-- [start:rule_reward]
def rule_reward(correct) -> torch.Tensor:
    """Rule-based reward R = 1 if is_equivalent(y_hat, y) else -1 (#eq-rule-reward).

    correct: bool or 0/1 tensor of any shape, e.g. (..., G); returns +1.0 / -1.0.
    """
    correct = torch.as_tensor(correct)
    if not ((correct == 0) | (correct == 1)).all():
        raise ValueError("correct must hold only booleans or 0/1")
    # R = +1 if the final answer is equivalent to the reference, −1 otherwise
    return torch.where(correct.bool(), 1.0, -1.0)
# --8<-- [end:rule_reward]


# --8<-- [start:aggregate_loss]
def aggregate_loss(per_token, mask, mode: str = "token",
                   max_len: int | None = None, norm: str = "group") -> torch.Tensor:
    """Average of per-token values l_{i,t} over n responses (#eq-token-level-loss).

    mode "sample" (GRPO):     1/n sum_i 1/|o_i| sum_t l_{i,t}
    mode "token"  (DAPO):     norm "group": mean over the groups of
                              1/(sum_{i in group} |o_i|) sum_{i in group} sum_t l_{i,t};
                              norm "batch": 1/(sum_i |o_i|) sum_i sum_t l_{i,t}
    mode "fixed"  (Dr. GRPO): 1/(n max_len) sum_i sum_t l_{i,t}
    per_token, mask: (..., G, T), a group of G responses per leading index; n counts
    the responses over all leading axes and G; max_len (mode "fixed" only) is a
    constant >= T, the generation budget. norm only matters for mode "token" (every
    group has G responses, so the other two modes give one value for both).
    """
    per_token = _as_tensor("per_token", per_token)
    if per_token.ndim < 1 or per_token.numel() == 0:
        raise ValueError(f"per_token must have a token axis (..., T) and at least one "
                         f"element, got shape {tuple(per_token.shape)}")
    mask = check_mask(mask, per_token.shape)
    norm = _check_norm(norm)
    if mode == "sample":
        # 1/|o_i| Σ_t l_{i,t} per response, then the mean over the n responses
        return masked_mean(per_token, mask, dim=-1).mean()
    if mode == "token" and norm == "batch":
        # Σ_i Σ_t l_{i,t} / Σ_i |o_i|, one normaliser for the whole batch
        return masked_mean(per_token, mask)
    if mode == "token":
        axes = _group_axes(per_token.ndim)
        count = mask.sum(axes)
        if (count == 0).any():
            raise ValueError("mask must select at least one token in every group")
        # Σ_{i,t} l_{i,t} / Σ_i |o_i| within each group, then the mean over groups
        return ((per_token * mask).sum(axes) / count).mean()
    if mode != "fixed":
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if max_len is None or not max_len >= per_token.shape[-1]:
        raise ValueError(f"max_len must be a constant >= T = "
                         f"{per_token.shape[-1]}, got {max_len}")
    n_responses = mask.shape[:-1].numel()
    # Σ_i Σ_t l_{i,t} / (n · L_max)
    return (per_token * mask).sum() / (n_responses * max_len)
# --8<-- [end:aggregate_loss]


# --8<-- [start:token_weights]
def token_weights(mask, mode: str = "token", max_len: int | None = None,
                  norm: str = "group") -> torch.Tensor:
    """Weight w_{i,t} = d aggregate_loss / d l_{i,t} (#eq-token-level-loss).

    sample: 1/(n |o_i|); token: 1/(B sum_{j in group} |o_j|) with norm "group"
    (B groups), 1/sum_j |o_j| with norm "batch"; fixed: 1/(n max_len); 0 on padding.
    mask: (..., G, T); returns a tensor of the same shape.
    """
    mask = torch.as_tensor(mask)
    mask = check_mask(mask, mask.shape)
    if mask.ndim < 1 or mask.numel() == 0 or (mask.sum(-1) == 0).any():
        raise ValueError("mask must give every response at least one token")
    norm = _check_norm(norm)
    n_responses = mask.shape[:-1].numel()
    if mode == "sample":
        # 1 / (n |o_i|): each response gets 1/n, shared by its own tokens
        return mask / (n_responses * mask.sum(-1, keepdim=True))
    if mode == "token" and norm == "batch":
        # 1 / Σ_j |o_j|: the same for every token in the batch
        return mask / mask.sum()
    if mode == "token":
        axes = _group_axes(mask.ndim)
        n_groups = mask.shape[:-2].numel()
        # 1 / (B Σ_{j in group} |o_j|): each group gets 1/B, shared by its tokens
        return mask / (n_groups * mask.sum(axes, keepdim=True))
    if mode != "fixed":
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if max_len is None or not max_len >= mask.shape[-1]:
        raise ValueError(f"max_len must be a constant >= T = {mask.shape[-1]}, "
                         f"got {max_len}")
    # 1 / (n L_max)
    return mask / (n_responses * max_len)
# --8<-- [end:token_weights]


# --8<-- [start:dynamic_sampling_keep]
def dynamic_sampling_keep(correct) -> torch.Tensor:
    """Groups kept: 0 < |{o_i : is_equivalent(a, o_i)}| < G (#eq-dynamic-sampling).

    correct: bool or 0/1 tensor (..., G); returns a bool tensor (...,), False for
    the all-correct and all-wrong groups, whose group advantages are all zero.
    """
    correct = torch.as_tensor(correct)
    if correct.ndim < 1 or correct.shape[-1] == 0 or not (
            (correct == 0) | (correct == 1)).all():
        raise ValueError("correct must have shape (..., G) with G >= 1 and hold "
                         "only 0/1")
    group_size = correct.shape[-1]
    # |{o_i : o_i correct}|
    n_correct = correct.sum(-1)
    # 0 < n_correct < G
    return (n_correct > 0) & (n_correct < group_size)
# --8<-- [end:dynamic_sampling_keep]


# --8<-- [start:dapo_loss]
def dapo_loss(logp, logp_old, advantages, mask, eps_low: float = 0.2,
              eps_high: float = 0.28, norm: str = "group") -> torch.Tensor:
    """DAPO loss -J_DAPO: clip-higher, token-level mean, no KL (#eq-dapo-objective).

    J = mean over groups of 1/(sum_i |o_i|) sum_i sum_t min(r Â, clip(r, 1-eps_low,
    1+eps_high) Â), the sums over the G responses of a group (norm "group", the
    paper's formula); norm "batch": one token count over the whole batch (all
    leading axes), as common implementations average a mini-batch.
    logp, logp_old, mask: (..., G, T); advantages: (..., G).
    """
    _check_eps(eps_low, eps_high)
    logp = check_logp("logp", logp)
    logp_old = _check_like("logp_old", check_logp("logp_old", logp_old), logp)
    mask = check_mask(mask, logp.shape)
    adv = token_advantages(advantages, logp.shape)
    # r_{i,t} = exp(log π_θ − log π_old)
    ratio = torch.exp(logp - logp_old)
    # min(r Â, clip(r, 1 − ε_low, 1 + ε_high) Â): a decoupled upper clip, no KL term
    surrogate = ppo_clip_objective(ratio, adv, eps_low, eps_high)
    # −Σ_i Σ_t min(…) / Σ_i |o_i| (the default mode "token"), per group (then the
    # mean over groups) or over the batch
    return -aggregate_loss(surrogate, mask, norm=norm)
# --8<-- [end:dapo_loss]


# --8<-- [start:clip_active]
def clip_active(ratio, advantages, eps_low: float, eps_high: float) -> torch.Tensor:
    """c = 1 where min(r A, clip(r, 1-eps_low, 1+eps_high) A) has slope A in r,
    else 0 (#eq-clip-higher). The slope is 0 when A > 0 and r > 1 + eps_high, or
    A < 0 and r < 1 - eps_low. ratio, advantages: same shape.
    """
    ratio = _as_tensor("ratio", ratio)
    advantages = _as_tensor("advantages", advantages)
    if advantages.shape != ratio.shape:
        raise ValueError(f"advantages must have the shape of ratio "
                         f"{tuple(ratio.shape)}")
    _check_eps(eps_low, eps_high)
    # A > 0: clipped above 1 + ε_high;  A < 0: clipped below 1 − ε_low
    stopped = ((advantages > 0) & (ratio > 1 + eps_high)) | (
        (advantages < 0) & (ratio < 1 - eps_low))
    return (~stopped).to(ratio.dtype)
# --8<-- [end:clip_active]


# --8<-- [start:dapo_logp_grad]
def dapo_logp_grad(logp, logp_old, advantages, mask, eps_low: float = 0.2,
                   eps_high: float = 0.28, norm: str = "group") -> torch.Tensor:
    """d dapo_loss / d logp_{i,t} = -m r Â c / N (#eq-dapo-objective).

    m: mask, r: ratio, c = clip_active(r, Â); norm "group": N = B N_b with
    N_b = sum_{j in group b} |o_j| and B groups; norm "batch": N = sum_j |o_j| over
    the batch. Uses d r / d logp = r. Shapes as in dapo_loss; returns (..., G, T).
    """
    logp = check_logp("logp", logp)
    logp_old = check_logp("logp_old", logp_old)
    if logp_old.shape != logp.shape:
        raise ValueError(f"logp_old must have the shape of logp {tuple(logp.shape)}, "
                         f"got {tuple(logp_old.shape)}")
    mask = check_mask(mask, logp.shape)
    norm = _check_norm(norm)
    adv = token_advantages(advantages, logp.shape)
    ratio = torch.exp(logp - logp_old)
    c = clip_active(ratio, adv, eps_low, eps_high)
    if norm == "batch":
        # N = Σ_j |o_j| over the whole batch
        count = mask.sum()
    else:
        # N = B · N_b: the token count of the group, times the number B of groups
        count = mask.sum(_group_axes(logp.ndim), keepdim=True) * mask.shape[:-2].numel()
    if (count == 0).any():
        raise ValueError("mask must select at least one token in every group")
    # −m r Â c / N
    return -mask * ratio * adv * c / count
# --8<-- [end:dapo_logp_grad]


# --8<-- [start:overlong_penalty]
def overlong_penalty(length, max_len: float, cache_len: float):
    """Soft overlong punishment R_length(o) (#eq-overlong-penalty).

    R = 0                                   if |o| <= L_max - L_cache
      = ((L_max - L_cache) - |o|) / L_cache  if L_max - L_cache < |o| <= L_max
      = -1                                  if |o| > L_max
    i.e. clip(((L_max - L_cache) - |o|) / L_cache, -1, 0). length: a scalar (gives
    a float) or an array of response lengths |o| (gives an array of that shape).
    """
    length_arr = np.asarray(length)
    if not (np.isfinite(length_arr).all() and (length_arr >= 0).all()):
        raise ValueError("length must be finite and >= 0")
    if not cache_len > 0:
        raise ValueError(f"cache_len must be positive, got {cache_len}")
    if not max_len >= cache_len:
        raise ValueError(f"max_len must be >= cache_len = {cache_len}, got {max_len}")
    # L_max − L_cache: the expected maximum length, free of penalty
    expected = max_len - cache_len
    # linear ramp from 0 at L_max − L_cache to −1 at L_max, flat outside
    penalty = np.clip((expected - length_arr) / cache_len, -1.0, 0.0)
    return float(penalty) if penalty.ndim == 0 else penalty
# --8<-- [end:overlong_penalty]


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    mask = torch.tensor([[1.0] * 2 + [0.0] * 6, [1.0] * 8])  # |o_1| = 2, |o_2| = 8
    print("token weights (rows: responses; columns: sample, token, fixed L_max = 8):")
    for i in range(2):
        print(f"  o_{i + 1}:", [round(float(token_weights(mask, m, 8)[i, 0]), 4)
                                for m in MODES],
              " response totals:", [round(float(token_weights(mask, m, 8)[i].sum()), 4)
                                    for m in MODES])
    # two groups: |o| = 2, 3 (5 tokens) and 8, 8 (16 tokens)
    two_groups = (torch.arange(8) < torch.tensor([[2, 3], [8, 8]])[..., None]).double()
    for norm in NORMS:
        w = token_weights(two_groups, "token", norm=norm)
        print(f"token level, norm = {norm}: total weight of each group",
              [round(float(w[b].sum()), 4) for b in range(2)],
              " weight of one token", [round(float(w[b, 0, 0]), 4) for b in range(2)])
    correct = torch.tensor([[1, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 0, 1]])
    print("dynamic sampling keeps groups:", dynamic_sampling_keep(correct).tolist())
    print("rule rewards of group 0:", rule_reward(correct[0]).tolist())
    print("overlong penalty (L_max = 20480, L_cache = 4096) at 16000, 16384, 18432, 20480,"
          " 21000:", overlong_penalty(np.array([16000, 16384, 18432, 20480, 21000]),
                                      20480, 4096).tolist())
    for p_old in (0.01, 0.9):
        print(f"p_old = {p_old}: max p after one clipped step, eps = 0.2: "
              f"{min(1.0, p_old * 1.2):.4f}, eps_high = 0.28: {min(1.0, p_old * 1.28):.4f}")
    # o_1 short and correct, o_2 long and wrong; first step on-policy (r = 1)
    from snippets.llm_rl.grpo import group_advantages, grpo_loss
    adv = group_advantages(rule_reward([1, 0]))
    logp = torch.log(torch.full((2, 8), 0.5)).requires_grad_(True)
    grpo_loss(logp, logp.detach(), None, adv, mask, beta=0.0).backward()
    print("advantages:", [round(float(a), 4) for a in adv])
    print("d loss / d logp at one token, (o_1, o_2): GRPO",
          [round(float(logp.grad[i, 0]), 4) for i in range(2)], " DAPO",
          [round(float(dapo_logp_grad(logp.detach(), logp.detach(), adv, mask)[i, 0]), 4)
           for i in range(2)])
