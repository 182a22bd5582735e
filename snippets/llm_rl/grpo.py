"""GRPO: group-relative advantages, the k1/k2/k3 KL estimators and the group objective.

Page: llm-rl/grpo (docs/llm-rl/grpo.md); each function names the anchor of the equation
it implements. Tensors: rewards (..., G) with the group of G outputs on the last axis;
token tensors (..., G, T) right-padded with a response mask, as in
snippets.llm_rl.rlhf_ppo. The page writes the prompt q, the responses o_1..o_G and their
tokens o_{i,t}, t = 1..|o_i|; the arrays count from 0, so row i - 1 holds response i and
column t - 1 holds token t.
"""

from __future__ import annotations

import torch

from snippets.llm_rl.rlhf_ppo import (
    _as_tensor,
    _check_non_negative,
    check_logp,
    check_mask,
    masked_mean,
    ppo_policy_loss,
    token_advantages,
)


def _group_normalise(rewards, eps: float, correction: int) -> torch.Tensor:
    rewards = _as_tensor("rewards", rewards)
    if rewards.ndim == 0 or rewards.shape[-1] < 2:
        raise ValueError("rewards must have a last (group) axis of length G >= 2")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    # mean(r) over the group
    mean = rewards.mean(dim=-1, keepdim=True)
    # std(r) = sqrt(Σ_i (r_i − mean)² / (G − correction)); correction 1: sample std
    G = rewards.shape[-1]
    std = (((rewards - mean) ** 2).sum(dim=-1, keepdim=True) / (G - correction)).sqrt()
    # (r_i − mean(r)) / (std(r) + eps)
    return (rewards - mean) / (std + eps)


# --8<-- [start:group_advantages]
def group_advantages(rewards, eps: float = 1e-6) -> torch.Tensor:
    """Outcome-supervision advantages A_i = (r_i - mean(r)) / (std(r) + eps).

    Page anchor: #eq-group-advantage.

    rewards: shape (..., G), one group of G outputs per leading index, G >= 2.
    std is the sample standard deviation (Bessel's correction, divisor G - 1), as in the
    reference implementations of GRPO; an all-equal group gets all-zero advantages.
    Every token t of output i gets the same advantage A_i.
    """
    return _group_normalise(rewards, eps, correction=1)


def group_advantages_population(rewards, eps: float = 1e-6) -> torch.Tensor:
    """The same with the population std (divisor G): sqrt(G/(G-1)) times larger."""
    return _group_normalise(rewards, eps, correction=0)
# --8<-- [end:group_advantages]


# --8<-- [start:leave_one_out_advantages]
def leave_one_out_advantages(rewards) -> torch.Tensor:
    """Leave-one-out advantages A_i = r_i - (1/(G-1)) sum_{j != i} r_j.

    Page anchor: #eq-group-baseline.

    rewards: shape (..., G), G >= 2. The baseline of output i leaves out r_i, so with
    o_1..o_G ~ pi_theta i.i.d., (1/G) sum_i A_i grad log pi_theta(o_i) is unbiased for
    grad J. A_i = G/(G-1) (r_i - mean(r)): the plain mean baseline gives (1 - 1/G)
    grad J in expectation.
    """
    rewards = _as_tensor("rewards", rewards)
    if rewards.ndim == 0 or rewards.shape[-1] < 2:
        raise ValueError("rewards must have a last (group) axis of length G >= 2")
    G = rewards.shape[-1]
    # r̄_{−i} = (Σ_j r_j − r_i) / (G − 1), the mean of the other G − 1 rewards
    others = (rewards.sum(dim=-1, keepdim=True) - rewards) / (G - 1)
    # A_i = r_i − r̄_{−i}
    return rewards - others
# --8<-- [end:leave_one_out_advantages]


# --8<-- [start:process_advantages]
def process_advantages(step_rewards, step_end, step_mask, mask, eps: float = 1e-6
                       ) -> torch.Tensor:
    """Process-supervision advantages A_{i,t} = sum_{j: index(j) >= t} r~_{i,j}.

    Page anchor: #eq-process-advantage.
    step_rewards, step_end, step_mask: shape (..., G, K), the reward of step j of output
    i, the array column index(j) - 1 of the token index(j) at which that step ends
    (column t - 1 holds token t), and 1 for the steps that exist
    (an output has at most K steps). r~ = (r - mean(R)) / (std(R) + eps), where R pools
    the existing steps of all G outputs of a group (sample std).
    mask: (..., G, T) response mask. Returns (..., G, T), zero on padding.
    """
    step_rewards = _as_tensor("step_rewards", step_rewards)
    step_mask = check_mask(step_mask, step_rewards.shape).to(step_rewards.dtype)
    step_end = torch.as_tensor(step_end)
    if step_end.shape != step_rewards.shape or torch.is_floating_point(step_end):
        raise ValueError(f"step_end must be integer token indices of shape "
                         f"{tuple(step_rewards.shape)}")
    mask = torch.as_tensor(mask)
    if step_rewards.ndim < 2 or mask.shape[:-1] != step_rewards.shape[:-1]:
        raise ValueError(f"mask must have shape (..., G, T) with (..., G) = "
                         f"{tuple(step_rewards.shape[:-1])}")
    mask = check_mask(mask, mask.shape).to(step_rewards.dtype)
    T = mask.shape[-1]
    if ((step_end < 0) | (step_end >= T))[step_mask.bool()].any():
        raise ValueError(f"step_end must lie in [0, T) = [0, {T}) on existing steps")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    n = step_mask.sum(dim=(-2, -1), keepdim=True)
    if (n < 2).any():
        raise ValueError("step_mask must select at least 2 steps in every group")
    # mean(R) and sample std(R) over the existing steps of the whole group
    mean = (step_rewards * step_mask).sum(dim=(-2, -1), keepdim=True) / n
    squares = ((step_rewards - mean) * step_mask) ** 2
    var = squares.sum(dim=(-2, -1), keepdim=True) / (n - 1)
    # r~_{i,j} = (r_{i,j} − mean(R)) / (std(R) + eps), 0 for missing steps
    normalised = (step_rewards - mean) / (var.sqrt() + eps) * step_mask
    # step j counts for token t when index(j) >= t, i.e. step_end >= column t − 1:
    # shape (..., G, T, K)
    t = torch.arange(T)
    later = step_end.unsqueeze(-2) >= t[:, None]
    # A_{i,t} = Σ_{index(j) >= t} r~_{i,j}, on response tokens only
    return (later * normalised.unsqueeze(-2)).sum(dim=-1) * mask
# --8<-- [end:process_advantages]


def _log_pair(logp, logp_ref):
    logp = check_logp("logp", logp)
    logp_ref = check_logp("logp_ref", logp_ref).to(logp.dtype)
    if logp_ref.shape != logp.shape:
        raise ValueError(f"logp_ref must have the shape of logp {tuple(logp.shape)}, "
                         f"got {tuple(logp_ref.shape)}")
    return logp, logp_ref


# --8<-- [start:kl_k3]
def kl_k3(logp, logp_ref) -> torch.Tensor:
    """Per-element k3 estimate of KL(pi_theta || pi_ref) at a token o_t ~ pi_theta.

    Page anchor: #eq-kl-k3.

    With the ratio x = pi_ref / pi_theta and u = log x: k3 = x - u - 1
    = exp(u) - u - 1 >= 0, and its
    expectation under pi_theta is exactly the KL divergence. Any shape; logp_ref alike.
    """
    logp, logp_ref = _log_pair(logp, logp_ref)
    # log(π_ref / π_θ)
    log_ratio = logp_ref - logp
    # π_ref/π_θ − log(π_ref/π_θ) − 1, as (π_ref/π_θ − 1) − log(π_ref/π_θ): expm1
    # keeps the rounding error of the small values from pushing them below 0
    return torch.expm1(log_ratio) - log_ratio


def kl_k1(logp, logp_ref) -> torch.Tensor:
    """k1 = -u = log pi_theta - log pi_ref: unbiased, but negative on some tokens."""
    logp, logp_ref = _log_pair(logp, logp_ref)
    return logp - logp_ref


def kl_k2(logp, logp_ref) -> torch.Tensor:
    """k2 = u^2 / 2 >= 0: biased in general (its mean is not the KL)."""
    logp, logp_ref = _log_pair(logp, logp_ref)
    return 0.5 * (logp_ref - logp) ** 2
# --8<-- [end:kl_k3]


# --8<-- [start:kl_moments]
def kl_moments(logp, logp_ref) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Exact mean and variance of k1, k2, k3 under v ~ pi_theta (#eq-kl-moments).

    A sum over the tokens v of the vocabulary. logp, logp_ref: full log-probability
    vectors, shape (..., V) (each sums to 1 in probability).
    Returns {"k1": (mean, var), "k2": ..., "k3": ...}, each of shape (...).
    """
    logp, logp_ref = _log_pair(logp, logp_ref)
    p = torch.exp(logp)
    if ((p.sum(-1) - 1.0).abs() > 1e-6).any():
        raise ValueError("logp must be normalised log-probabilities over the last axis")
    out = {}
    for name, k in (("k1", kl_k1), ("k2", kl_k2), ("k3", kl_k3)):
        values = k(logp, logp_ref)
        # E[k] = Σ_v π_θ(v) k(v)
        mean = (p * values).sum(-1)
        # Var[k] = Σ_v π_θ(v) (k(v) − E[k])²
        out[name] = (mean, (p * (values - mean.unsqueeze(-1)) ** 2).sum(-1))
    return out
# --8<-- [end:kl_moments]


def _token_tensors(logp, others: dict, advantages, mask):
    logp = check_logp("logp", logp)
    if logp.ndim < 2 or logp.numel() == 0:
        raise ValueError(f"logp must have shape (..., G, T) with at least one response "
                         f"and one token, got {tuple(logp.shape)}")
    tensors = []
    for name, x in others.items():
        x = check_logp(name, x).to(logp.dtype)
        if x.shape != logp.shape:
            raise ValueError(f"{name} must have the shape of logp {tuple(logp.shape)}, "
                             f"got {tuple(x.shape)}")
        tensors.append(x)
    advantages = token_advantages(advantages, logp.shape).to(logp.dtype)
    mask = check_mask(mask, logp.shape).to(logp.dtype)
    if (mask.sum(-1) == 0).any():
        raise ValueError("mask must select at least one token of every response")
    return logp, tensors, advantages, mask




# --8<-- [start:grpo_loss]
def grpo_loss(logp, logp_old, logp_ref, advantages, mask, eps: float = 0.2,
              beta: float = 0.04) -> torch.Tensor:
    """GRPO loss -J_GRPO with sample-level aggregation (#eq-grpo-objective).

    J = mean over groups of 1/G sum_i 1/|o_i| sum_t [min(r A, clip(r, 1-eps, 1+eps) A)
    - beta k3(pi_theta, pi_ref)], r = exp(logp - logp_old).
    logp, logp_old, logp_ref, mask: shape (..., G, T); advantages: (..., G) (outcome) or
    (..., G, T) (process). beta = 0 drops the KL term (DAPO): logp_ref may be None.
    Returns the scalar loss (to minimise).
    """
    beta = _check_non_negative("beta", beta)
    if beta > 0 and logp_ref is None:
        raise ValueError("logp_ref is needed when beta > 0")
    others = {"logp_old": logp_old} | ({"logp_ref": logp_ref} if beta > 0 else {})
    logp, tensors, advantages, mask = _token_tensors(logp, others, advantages, mask)
    # −1/G Σ_i 1/|o_i| Σ_t min(r Â, clip(r, 1 − ε, 1 + ε) Â), then the mean over groups
    loss = ppo_policy_loss(logp, tensors[0], advantages, mask, eps, per_sequence=True)
    if beta == 0:
        return loss  # no KL term, no reference model
    # + β 1/G Σ_i 1/|o_i| Σ_t D_KL,t with the k3 estimate per token
    return loss + beta * masked_mean(kl_k3(logp, tensors[1]), mask, dim=-1).mean()
# --8<-- [end:grpo_loss]


# --8<-- [start:grpo_loss_grad]
def grpo_loss_grad(logp, logp_old, logp_ref, advantages, mask, eps: float = 0.2,
                   beta: float = 0.04) -> torch.Tensor:
    """Analytic d(grpo_loss)/d(logp), shape (..., G, T) (#eq-grpo-gradient).

    d/d logp_{i,t} = -m_{i,t} / (N |o_i|) [1{unclipped} r A + beta (pi_ref/pi_th - 1)]
    with N = number of responses (groups times G); 'unclipped': the min picks r A.
    Token t of response i is logp[..., i - 1, t - 1].
    """
    logp, (logp_old, logp_ref), advantages, mask = _token_tensors(
        logp, {"logp_old": logp_old, "logp_ref": logp_ref}, advantages, mask)
    beta = _check_non_negative("beta", beta)
    if not 0.0 < eps < 1.0:
        raise ValueError(f"eps must be in (0, 1), got {eps}")
    ratio = torch.exp(logp - logp_old)
    clipped = torch.clamp(ratio, 1.0 - eps, 1.0 + eps)
    # the min keeps r Â (its derivative r Â) or the constant clip(r) Â (derivative 0)
    unclipped = ratio * advantages <= clipped * advantages
    # d(−β k3)/d log π_θ = β (π_ref/π_θ − 1)
    kl_term = beta * (torch.exp(logp_ref - logp) - 1.0)
    # weight m_{i,t} / (N |o_i|) of the sample-level mean
    weight = mask / mask.sum(-1, keepdim=True) / mask.shape[:-1].numel()
    return -weight * (unclipped * ratio * advantages + kl_term)
# --8<-- [end:grpo_loss_grad]


if __name__ == "__main__":
    torch.set_printoptions(precision=4, sci_mode=False)
    rewards = torch.tensor([[1.0, 0, 0, 1], [1, 0, 0, 0], [1, 1, 1, 1]],
                           dtype=torch.float64)
    print("rewards (3 groups of G = 4):\n", rewards)
    print("advantages, sample std (API):\n", group_advantages(rewards))
    print("advantages, population std:\n", group_advantages_population(rewards))
    factor = group_advantages_population(rewards) / group_advantages(rewards)
    print("population / sample =", float(factor[0, 0]), " sqrt(G/(G-1)) =", (4 / 3) ** 0.5)
    # process supervision: 2 outputs, T = 6 tokens; steps end at tokens 2, 4, 6 and 3, 5
    # (array columns 1, 3, 5 and 2, 4)
    step_r = torch.tensor([[0.9, 0.2, 0.7], [0.1, 0.6, 0.0]], dtype=torch.float64)
    step_end = torch.tensor([[1, 3, 5], [2, 4, 0]])
    step_m = torch.tensor([[1, 1, 1], [1, 1, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]])
    print("process advantages:\n", process_advantages(step_r, step_end, step_m, mask))
    # KL estimators on a categorical with 4 tokens
    logits = torch.tensor([2.0, 1.0, 0.0, -1.0], dtype=torch.float64)
    logits_ref = torch.tensor([0.5, 1.5, 0.0, 0.5], dtype=torch.float64)
    lp, lr = torch.log_softmax(logits, -1), torch.log_softmax(logits_ref, -1)
    print("pi_theta =", lp.exp(), " pi_ref =", lr.exp())
    print("exact KL(pi_theta||pi_ref) =", float((lp.exp() * (lp - lr)).sum()))
    for k, (m, v) in kl_moments(lp, lr).items():
        print(f"{k}: mean {float(m):.4f}  variance {float(v):.4f}")
    print("k1 per token:", kl_k1(lp, lr), " k3 per token:", kl_k3(lp, lr))
    # GRPO loss and gradient on one group
    g = torch.Generator().manual_seed(0)
    lo = -torch.rand(2, 4, 5, generator=g, dtype=torch.float64) - 0.5
    lt = lo + 0.3 * torch.randn(2, 4, 5, generator=g, dtype=torch.float64)
    lref = lo + 0.3 * torch.randn(2, 4, 5, generator=g, dtype=torch.float64)
    m = torch.ones(2, 4, 5, dtype=torch.float64)
    m[:, 1, 3:] = 0
    adv = group_advantages(torch.tensor([[1.0, 0, 0, 1], [0, 0, 1, 0]],
                                        dtype=torch.float64))
    print("GRPO loss =", float(grpo_loss(lt, lo, lref, adv, m)))
    print("GRPO loss without the KL term (beta = 0) =",
          float(grpo_loss(lt, lo, None, adv, m, beta=0.0)))
