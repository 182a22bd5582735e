"""Nodes visited by the backtracking of algorithms/combination-sum, with and without pruning.

Usage (from the project root, in the project's venv):
    python benchmarks/combination_sum.py [--targets 10 20 40 80 120]

Problem I uses the candidates 2, 3, 6, 7 (the page's example); problem II uses the list
10, 1, 2, 7, 6, 1, 5 repeated three times (21 elements, values repeated up to six times).
For each target it prints the number of combinations, the nodes visited with pruning
(which equals the prefix sum of generating-function coefficients), the nodes without
pruning, their ratio and the time of one pruned search (combination_sum / combination_sum2).
This is a benchmark, not a test: a slow machine fails nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snippets.algorithms.combination_sum import (  # noqa: E402
    combination_sum,
    combination_sum2,
    count_nodes,
    gf_combinations,
    gf_combinations2,
)

PROBLEMS = {
    "I   [2, 3, 6, 7]": ([2, 3, 6, 7], True, combination_sum, gf_combinations),
    "II  [10, 1, 2, 7, 6, 1, 5] x 3": ([10, 1, 2, 7, 6, 1, 5] * 3, False, combination_sum2,
                                     gf_combinations2),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, nargs="+", default=[10, 20, 40, 80, 120])
    args = parser.parse_args()
    print(f"{'problem':32} {'T':>5} {'solutions':>10} {'nodes pruned':>13} "
          f"{'unpruned':>10} {'ratio':>6} {'time pruned':>12}")
    for name, (candidates, reuse, search, gf) in PROBLEMS.items():
        for T in args.targets:
            pruned = count_nodes(candidates, T, prune=True, reuse=reuse)
            unpruned = count_nodes(candidates, T, prune=False, reuse=reuse)
            assert pruned == sum(gf(candidates, T))  # D(T) = sum_{n <= T} [x^n] F(x)
            start = time.perf_counter()
            solutions = len(search(candidates, T))
            elapsed = time.perf_counter() - start
            print(f"{name:32} {T:5d} {solutions:10d} {pruned:13d} {unpruned:10d} "
                  f"{unpruned / pruned:6.2f} {elapsed * 1e3:9.1f} ms")


if __name__ == "__main__":
    main()
