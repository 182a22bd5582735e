"""Time value iteration and policy iteration on a random MDP with 2,500 states and 4 actions.

Usage (from the project root, in the project's venv):
    python benchmarks/value_policy_iteration.py [--states 2500] [--actions 4] [--repeat 3]

The MDP: every (s, a) moves to 5 successor states drawn uniformly (with Dirichlet(1)
probabilities), rewards R[s, a] ~ N(0, 1), gamma = 0.9 (--gammas 0.9 0.99 for more). P is stored densely, which
takes S * A * S * 8 bytes (200 MB for S = 2,500, A = 4). Prints the best of `repeat` runs of
each solver, its number of iterations and its distance to the other solver's v*.
This is a benchmark, not a test: a slow machine fails nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snippets.rl_basics.value_policy_iteration import (  # noqa: E402
    policy_iteration,
    truncated_policy_iteration,
    value_iteration,
)


def sparse_random_mdp(n_states: int, n_actions: int, n_successors: int, seed: int):
    """P[s, a] has n_successors non-zero entries (duplicates merged); R ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    P = np.zeros((n_states, n_actions, n_states))
    succ = rng.integers(0, n_states, size=(n_states, n_actions, n_successors))
    weights = rng.dirichlet(np.ones(n_successors), size=(n_states, n_actions))
    s_idx = np.arange(n_states)[:, None, None]
    a_idx = np.arange(n_actions)[None, :, None]
    np.add.at(P, (s_idx, a_idx, succ), weights)
    return P, rng.normal(size=(n_states, n_actions))


def best_time(run, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=2500)
    parser.add_argument("--actions", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gammas", type=float, nargs="+", default=[0.9])
    args = parser.parse_args()
    P, R = sparse_random_mdp(args.states, args.actions, 5, seed=0)
    print(f"S = {args.states}, A = {args.actions}, 5 successors per (s, a); "
          f"dense P takes {P.nbytes / 1e6:.0f} MB; best of {args.repeat}; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    print("| gamma | solver | time | iterations | time per iteration | max abs diff to PI's v* |")
    print("|---|---|---|---|---|---|")
    for gamma in args.gammas:
        solvers = {
            "value_iteration": lambda: value_iteration(P, R, gamma, return_history=True),
            "policy_iteration": lambda: policy_iteration(P, R, gamma, return_history=True),
            "truncated_policy_iteration (j=10)":
                lambda: truncated_policy_iteration(P, R, gamma, 10, return_history=True),
        }
        results = {name: best_time(run, args.repeat) for name, run in solvers.items()}
        v_pi = results["policy_iteration"][1][0]
        for name, (seconds, (v, _, history)) in results.items():
            n_iter = len(history.values) - 1
            print(f"| {gamma} | {name} | {seconds:.2f} s | {n_iter} "
                  f"| {1e3 * seconds / max(n_iter, 1):.0f} ms | {np.abs(v - v_pi).max():.1e} |")


if __name__ == "__main__":
    main()
