"""GRPO: group-relative advantages, the k3 KL estimator and the group objective.

Page: llm-rl/grpo (docs/llm-rl/grpo.md); each function names the anchor of the equation it
implements. Tensors: rewards (..., G) with the group of G outputs on the last axis; token
tensors (..., G, T) right-padded with a response mask, as in snippets.llm_rl.rlhf_ppo.
"""

from __future__ import annotations

import torch

from snippets.llm_rl.rlhf_ppo import _as_tensor


# --8<-- [start:group_advantages]
def group_advantages(rewards, eps: float = 1e-6) -> torch.Tensor:
    """Outcome-supervision advantages A_i = (r_i - mean(r)) / (std(r) + eps) (#eq-group-advantage).

    rewards: shape (..., G), one group of G outputs per leading index, G >= 2.
    std is the sample standard deviation (Bessel's correction, divisor G - 1), as in the
    reference implementations of GRPO; an all-equal group gets all-zero advantages.
    """
    rewards = _as_tensor("rewards", rewards)
    if rewards.ndim == 0 or rewards.shape[-1] < 2:
        raise ValueError("rewards must have a last (group) axis of length G >= 2")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    mean = rewards.mean(dim=-1, keepdim=True)
    std = rewards.std(dim=-1, keepdim=True, correction=1)  # sample std, divisor G − 1
    return (rewards - mean) / (std + eps)
# --8<-- [end:group_advantages]


# --8<-- [start:kl_k3]
def kl_k3(logp, logp_ref) -> torch.Tensor:
    """Per-element k3 estimate of KL(pi_theta || pi_ref) at a token sampled from pi_theta (#eq-kl-k3).

    With log-ratio u = log pi_ref - log pi_theta: k3 = exp(u) - u - 1 >= 0, and its
    expectation under pi_theta is exactly the KL divergence.
    """
    logp = _as_tensor("logp", logp)
    logp_ref = _as_tensor("logp_ref", logp_ref).to(logp.dtype)
    if logp_ref.shape != logp.shape:
        raise ValueError(f"logp_ref must have the shape of logp {tuple(logp.shape)}, "
                         f"got {tuple(logp_ref.shape)}")
    # log(π_ref / π_θ)
    log_ratio = logp_ref - logp
    # π_ref/π_θ − log(π_ref/π_θ) − 1
    return torch.exp(log_ratio) - log_ratio - 1.0
# --8<-- [end:kl_k3]
