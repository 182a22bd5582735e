"""Kimi k1.5: KL-regularised mirror descent, squared surrogate, length reward, sampling.

Page: llm-rl/kimi-k1-5 (docs/llm-rl/kimi-k1-5.md); each function names the anchor of the
equation it implements. Two kinds of input:
- a small categorical output space (every (y, z) enumerated): pi, pi_ref, rewards
  of shape (..., N), the N outputs on the last axis;
- sampled responses: k responses (y_j, z_j) per problem, token tensors logp,
  logp_ref, mask of shape (..., k, T), right-padded with a response mask as in
  snippets.llm_rl.rlhf_ppo, and rewards, lengths, correct of shape (..., k).
pi_theta_i (the policy of iteration i, the reference of the mirror-descent step) is
written pi_ref / logp_ref in the code.
"""

from __future__ import annotations

import math

import torch

from snippets.llm_rl.rlhf_ppo import _as_tensor, _check_like, check_logp, check_mask


def _check_tau(tau: float) -> float:
    tau = float(tau)
    if not (tau > 0 and math.isfinite(tau)):
        raise ValueError(f"tau must be positive and finite, got {tau}")
    return tau


def _check_distribution(name: str, p) -> torch.Tensor:
    p = _as_tensor(name, p)
    if p.ndim == 0 or (p < 0).any():
        raise ValueError(f"{name} must be non-negative with a last axis of outputs")
    if not torch.allclose(p.sum(-1), torch.ones((), dtype=p.dtype), atol=1e-6):
        raise ValueError(f"{name} must sum to 1 over its last axis")
    return p


# --8<-- [start:sequence_logprob]
def sequence_logprob(logp, mask) -> torch.Tensor:
    """log pi(y, z | q) = sum_{t=1}^T m_t log pi(o_t | q, o_<t), o = (z, y), over the
    response mask (#eq-cot-objective).

    logp: per-token log-probabilities of the sampled tokens, shape (..., T), column
    t - 1 holding token t; mask: 0/1
    of the same shape (1 on the thought z and the answer y, 0 on padding).
    Returns shape (...).
    """
    logp = check_logp("logp", logp)
    if logp.ndim == 0:
        raise ValueError("logp must have a last (token) axis")
    mask = check_mask(mask, logp.shape)
    # Σ_t m_t log π(o_t | q, o_<t)
    return (logp * mask).sum(-1)
# --8<-- [end:sequence_logprob]


# --8<-- [start:regularized_objective]
def regularized_objective(pi, pi_ref, rewards, tau: float) -> torch.Tensor:
    """E_{pi}[r] - tau KL(pi || pi_ref) on a categorical output space
    (#eq-kl-objective).

    pi, pi_ref, rewards: shape (..., N); pi and pi_ref sum to 1 over the last axis.
    Returns shape (...). 0 log 0 = 0; KL is +inf where pi > 0 = pi_ref.
    """
    pi = _check_distribution("pi", pi)
    pi_ref = _check_like("pi_ref", _check_distribution("pi_ref", pi_ref), pi)
    rewards = _check_like("rewards", rewards, pi)
    tau = _check_tau(tau)
    # E_π[r] = Σ_y π(y) r(y)
    expected_reward = (pi * rewards).sum(-1)
    # KL(π ‖ π_ref) = Σ_y π(y) (log π(y) − log π_ref(y))
    kl = (torch.xlogy(pi, pi) - torch.xlogy(pi, pi_ref)).sum(-1)
    return expected_reward - tau * kl
# --8<-- [end:regularized_objective]


# --8<-- [start:gibbs_policy]
def gibbs_policy(pi_ref, rewards, tau: float) -> torch.Tensor:
    """Closed-form maximiser pi*(y) = pi_ref(y) exp(r(y) / tau) / Z (#eq-gibbs-optimum).

    pi_ref, rewards: shape (..., N). Returns pi* of shape (..., N), summing to 1.
    """
    pi_ref = _check_distribution("pi_ref", pi_ref)
    rewards = _check_like("rewards", rewards, pi_ref)
    tau = _check_tau(tau)
    # π_ref(y) exp(r(y)/τ), shifted by max r against overflow (Z absorbs the shift)
    weights = pi_ref * torch.exp((rewards - rewards.amax(-1, keepdim=True)) / tau)
    # divide by Z = Σ_y' π_ref(y') exp(r(y')/τ)
    return weights / weights.sum(-1, keepdim=True)
# --8<-- [end:gibbs_policy]


# --8<-- [start:tau_log_z]
def tau_log_z(pi_ref, rewards, tau: float) -> torch.Tensor:
    """Exact tau log Z = tau log sum_y pi_ref(y) exp(r(y) / tau) (#eq-gibbs-optimum).

    pi_ref, rewards: shape (..., N). Returns shape (...). It is also the maximum value
    of the regularised objective.
    """
    pi_ref = _check_distribution("pi_ref", pi_ref)
    rewards = _check_like("rewards", rewards, pi_ref)
    tau = _check_tau(tau)
    # τ log Σ_y exp(log π_ref(y) + r(y)/τ)
    return tau * torch.logsumexp(torch.log(pi_ref) + rewards / tau, dim=-1)
# --8<-- [end:tau_log_z]


# --8<-- [start:log_z_estimate]
def log_z_estimate(rewards, tau: float, method: str = "mean") -> torch.Tensor:
    """Estimate tau log Z from k samples y_j ~ pi_ref (#eq-log-z-mean).

    method="mean": the mean reward r_bar = (1/k) sum_j r_j (what Kimi k1.5 uses);
    method="logmeanexp": tau log((1/k) sum_j exp(r_j / tau)), the plug-in estimate of Z.
    rewards: shape (..., k). Returns shape (...).
    """
    rewards = _as_tensor("rewards", rewards)
    if rewards.ndim == 0 or rewards.shape[-1] == 0:
        raise ValueError("rewards must have a last axis of k >= 1 samples")
    tau = _check_tau(tau)
    if method == "mean":
        # r̄ = (1/k) Σ_j r_j
        return rewards.mean(-1)
    if method == "logmeanexp":
        # τ log((1/k) Σ_j exp(r_j/τ)) = τ (logsumexp(r/τ) − log k)
        k = rewards.shape[-1]
        return tau * (torch.logsumexp(rewards / tau, dim=-1) - math.log(k))
    raise ValueError(f"method must be 'mean' or 'logmeanexp', got {method!r}")
# --8<-- [end:log_z_estimate]


def _responses(logp, logp_ref, mask, rewards):
    """Sequence log-probs of pi_theta and pi_ref (detached) and the checked rewards."""
    seq = sequence_logprob(logp, mask)
    logp_ref = check_logp("logp_ref", logp_ref)
    logp_ref = _check_like("logp_ref", logp_ref, torch.as_tensor(logp))
    seq_ref = sequence_logprob(logp_ref.detach(), mask)
    rewards = _check_like("rewards", rewards, seq)
    if rewards.ndim == 0 or rewards.shape[-1] == 0:
        raise ValueError("logp must have shape (..., k, T): k responses per problem, "
                         "k >= 1")
    return seq, seq_ref, rewards


# --8<-- [start:surrogate_residual]
def surrogate_residual(logp, logp_ref, mask, rewards, tau: float,
                       tau_log_z=None) -> torch.Tensor:
    """r_j - tau log Z - tau log(pi_theta(y_j, z_j | q) / pi_ref(y_j, z_j | q))
    (#eq-surrogate-loss).

    logp, logp_ref, mask: shape (..., k, T); rewards: shape (..., k); tau_log_z: shape
    (...), one value per problem; None uses the mean reward of the k samples
    (#eq-log-z-mean).
    logp_ref is treated as a constant. Returns shape (..., k).
    """
    seq, seq_ref, rewards = _responses(logp, logp_ref, mask, rewards)
    tau = _check_tau(tau)
    if tau_log_z is None:
        tau_log_z = log_z_estimate(rewards, tau)
    tau_log_z = _check_like("tau_log_z", tau_log_z, rewards[..., 0])
    # r − τ log Z − τ log(π_θ/π_θi)
    return rewards - tau_log_z.unsqueeze(-1) - tau * (seq - seq_ref)
# --8<-- [end:surrogate_residual]


# --8<-- [start:surrogate_loss]
def surrogate_loss(logp, logp_ref, mask, rewards, tau: float,
                   tau_log_z=None) -> torch.Tensor:
    """L(theta) = mean over problems and samples of the squared residual
    (#eq-surrogate-loss).

    Same arguments as surrogate_residual. Returns a scalar.
    """
    residual = surrogate_residual(logp, logp_ref, mask, rewards, tau, tau_log_z)
    # (1/k) Σ_j (r_j − τ log Z − τ log(π_θ/π_θi))², averaged over problems
    return (residual ** 2).mean()
# --8<-- [end:surrogate_loss]


# --8<-- [start:policy_loss]
def policy_loss(logp, logp_ref, mask, rewards, tau: float) -> torch.Tensor:
    """Loss whose gradient is minus the Kimi k1.5 update direction (#eq-kimi-gradient):

        g = (1/k) sum_j [ grad log pi_theta(y_j, z_j | q) (r_j - r_bar)
                          - (tau / 2) grad (log pi_theta(y_j, z_j | q)
                                            - log pi_ref(y_j, z_j | q))^2 ].

    It equals surrogate_loss(...) / (2 tau) up to a constant in theta. Arguments as in
    surrogate_residual; averaged over problems. Returns a scalar.
    """
    seq, seq_ref, rewards = _responses(logp, logp_ref, mask, rewards)
    tau = _check_tau(tau)
    # r_j − r̄: the mean reward of the k samples is the baseline
    advantages = rewards - rewards.mean(-1, keepdim=True)
    # (r_j − r̄) log π_θ(y_j, z_j | q) − (τ/2) (log π_θ/π_θi)²
    per_sample = advantages * seq - tau / 2 * (seq - seq_ref) ** 2
    # gradient ascent on it = descent on its negative mean
    return -per_sample.mean()
# --8<-- [end:policy_loss]


# --8<-- [start:length_reward]
def length_reward(lengths, correct) -> torch.Tensor:
    """Kimi k1.5 length reward of the k responses of each problem (#eq-length-reward).

    lambda_j = 0.5 - (len_j - min_len) / (max_len - min_len), min/max over the k
    samples;
    reward_j = lambda_j if correct_j else min(0, lambda_j); all rewards are 0 when every
    response of the problem has the same length.
    lengths: shape (..., k), non-negative; correct: booleans of the same shape.
    Returns shape (..., k).
    """
    lengths = _as_tensor("lengths", lengths)
    if lengths.ndim == 0 or lengths.shape[-1] == 0 or (lengths < 0).any():
        raise ValueError("lengths must be non-negative with a last axis of k >= 1 "
                         "samples")
    correct = torch.as_tensor(correct)
    if correct.shape != lengths.shape:
        raise ValueError(f"correct must have shape {tuple(lengths.shape)}, "
                         f"got {tuple(correct.shape)}")
    if correct.dtype != torch.bool:
        raise ValueError(f"correct must be boolean, got dtype {correct.dtype}")
    min_len = lengths.amin(-1, keepdim=True)
    span = lengths.amax(-1, keepdim=True) - min_len
    # (len − min_len)/(max_len − min_len); set to 0.5 when all lengths are equal, so
    # that λ = 0 there (the 0/0 of the other branch is discarded by torch.where)
    frac = torch.where(span > 0, (lengths - min_len) / span, 0.5)
    # λ = 0.5 − (len − min_len)/(max_len − min_len)
    lam = 0.5 - frac
    # λ if correct, min(0, λ) if wrong
    return torch.where(correct, lam, lam.clamp(max=0.0))
# --8<-- [end:length_reward]


# --8<-- [start:curriculum_mask]
def curriculum_mask(difficulty, progress: float) -> torch.Tensor:
    """Curriculum sampling: admit the problems with
    difficulty <= d_min + progress (d_max - d_min) (#eq-prioritized-sampling).

    difficulty: shape (n,) (any scale, larger = harder, e.g. 1 - pass rate of the SFT
    model); progress in [0, 1]: 0 admits only the easiest, 1 admits everything.
    Returns a boolean mask of shape (n,).
    """
    difficulty = _as_tensor("difficulty", difficulty)
    if difficulty.ndim != 1 or difficulty.numel() == 0:
        raise ValueError("difficulty must have shape (n,) with n >= 1")
    progress = float(progress)
    if not 0.0 <= progress <= 1.0:
        raise ValueError(f"progress must be in [0, 1], got {progress}")
    lo, hi = difficulty.min(), difficulty.max()
    # threshold moves from the easiest to the hardest problem as training progresses
    return difficulty <= lo + progress * (hi - lo)
# --8<-- [end:curriculum_mask]


# --8<-- [start:prioritized_probs]
def prioritized_probs(success_rates, admitted=None) -> torch.Tensor:
    """Prioritised sampling p_i proportional to 1 - s_i (#eq-prioritized-sampling).

    success_rates: s_i in [0, 1], shape (n,); admitted (optional): boolean mask of
    shape (n,) (e.g. from curriculum_mask); problems outside it get probability 0.
    If every admitted problem is always solved (all weights 0), the admitted problems
    are sampled uniformly.
    Returns probabilities of shape (n,).
    """
    s = _as_tensor("success_rates", success_rates)
    if s.ndim != 1 or s.numel() == 0 or (s < 0).any() or (s > 1).any():
        raise ValueError("success_rates must have shape (n,) with values in [0, 1]")
    if admitted is None:
        admitted = torch.ones_like(s, dtype=torch.bool)
    admitted = torch.as_tensor(admitted)
    if admitted.shape != s.shape or admitted.dtype != torch.bool or not admitted.any():
        raise ValueError(f"admitted must be a boolean mask of shape {tuple(s.shape)} "
                         "with at least one True")
    # w_i = 1 − s_i on the admitted problems, 0 elsewhere
    weights = torch.where(admitted, 1.0 - s, 0.0)
    if weights.sum() == 0:
        weights = torch.where(admitted, torch.ones_like(s), weights)
    # p_i = w_i / Σ_j w_j
    return weights / weights.sum()
# --8<-- [end:prioritized_probs]


def sample_problems(probs, n: int, generator: torch.Generator) -> torch.Tensor:
    """n problem indices drawn with replacement from probs (shape (n_problems,))."""
    probs = _check_distribution("probs", probs)
    if probs.ndim != 1:
        raise ValueError("probs must have shape (n_problems,)")
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n}")
    return torch.multinomial(probs, int(n), replacement=True, generator=generator)


if __name__ == "__main__":
    torch.set_printoptions(precision=4, sci_mode=False)
    # worked batch: 2 problems, k = 4 responses each
    lengths = torch.tensor([[120, 300, 480, 900], [200, 200, 200, 200]])
    correct = torch.tensor([[True, True, False, False], [True, False, True, False]])
    print("length reward:\n", length_reward(lengths, correct))
    # Gibbs optimum on 4 outputs
    pi_ref = torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=torch.float64)
    r = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64)
    for tau in (0.1, 0.5, 1.0, 5.0):
        print(f"tau={tau}: pi*={gibbs_policy(pi_ref, r, tau)}, "
              f"tau log Z={tau_log_z(pi_ref, r, tau).item():.4f}, "
              f"E_ref[r]={(pi_ref * r).sum().item():.4f}")
    samples = torch.tensor([0, 1, 1, 0, 0, 1, 0, 0], dtype=torch.float64)
    for tau in (0.1, 1.0, 10.0):
        print(f"tau={tau}: mean={log_z_estimate(samples, tau).item():.4f}, "
              f"logmeanexp={log_z_estimate(samples, tau, 'logmeanexp').item():.4f}")
    print("prioritised:", prioritized_probs(torch.tensor([0.9, 0.5, 0.2, 1.0])))
