"""Combination sum by backtracking, and the generating functions that count its answers.

Page: algorithms/combination-sum (docs/algorithms/combination-sum.md); each function
names the anchor of the equation it implements. candidates: a list of positive ints
(distinct for problem I, a multiset for problem II); target: a non-negative int. A
combination is a list sorted ascending; target 0 has exactly one combination, the empty
one (the x^0 coefficient of every generating function here is 1).
"""

from __future__ import annotations

from collections import Counter
from numbers import Integral


def _check_candidates(candidates, distinct: bool = False) -> list[int]:
    try:
        values = list(candidates)
    except TypeError:
        raise ValueError("candidates must be a list of positive integers") from None
    for c in values:
        if isinstance(c, bool) or not isinstance(c, Integral) or c < 1:
            raise ValueError(f"candidates must be positive integers, got {c!r}")
    if distinct and len(set(values)) != len(values):
        raise ValueError("candidates must be distinct for this problem, got repeats")
    return [int(c) for c in values]


def _check_target(target) -> int:
    if isinstance(target, bool) or not isinstance(target, Integral) or target < 0:
        raise ValueError(f"target must be a non-negative integer, got {target!r}")
    return int(target)


def _check_flag(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


# --8<-- [start:ordered_sequences]
def ordered_sequences(candidates, target) -> list[list[int]]:
    """Every ordered sequence of candidates summing to target (#eq-search-tree).

    The search tree without a start index: every node tries every candidate again,
    so 2, 2, 3 and 3, 2, 2 are different leaves. Their number is
    [x^target] 1/(1 - sum_c x^c).
    """
    values = sorted(_check_candidates(candidates, distinct=True))
    target = _check_target(target)
    out: list[list[int]] = []
    path: list[int] = []

    def dfs(rest: int) -> None:
        if rest == 0:
            out.append(path.copy())
            return
        for c in values:
            if c > rest:
                # `return` would do the same: the loop is the last statement of dfs
                break  # pragma: no mutate
            path.append(c)
            dfs(rest - c)  # no start index: every candidate again
            path.pop()

    dfs(target)
    return out
# --8<-- [end:ordered_sequences]


# --8<-- [start:gf_ordered]
def gf_ordered(candidates, target) -> list[int]:
    """a_n = [x^n] 1/(1 - sum_c x^c) for n = 0..target (#eq-search-tree).

    a_0 = 1 and a_n = sum_{c <= n} a_{n-c}: the first step of a sequence is any c.
    """
    values = _check_candidates(candidates, distinct=True)
    target = _check_target(target)
    a = [1]  # a_0 = 1: the empty sequence
    for n in range(1, target + 1):
        # a_n = Σ_c a_{n-c}, over the candidates c <= n
        a.append(sum(a[n - c] for c in values if c <= n))
    return a
# --8<-- [end:gf_ordered]


# --8<-- [start:combination_sum]
def combination_sum(candidates, target) -> list[list[int]]:
    """Problem I: every multiset of the distinct candidates summing to target.

    #eq-start-index and #eq-pruning. Each combination is sorted ascending and the
    list is sorted; target 0 gives [[]].
    """
    values = sorted(_check_candidates(candidates, distinct=True))
    target = _check_target(target)
    out: list[list[int]] = []
    path: list[int] = []

    def dfs(start: int, rest: int) -> None:
        if rest == 0:
            out.append(path.copy())
            return
        for j in range(start, len(values)):
            if values[j] > rest:  # pruning: values are sorted, so the rest are too big
                # `return` would do the same: the loop is the last statement of dfs
                break  # pragma: no mutate
            path.append(values[j])
            dfs(j, rest - values[j])  # start index j: values[j] may be used again
            path.pop()

    dfs(0, target)
    return out
# --8<-- [end:combination_sum]


# --8<-- [start:combination_sum2]
def combination_sum2(candidates, target) -> list[list[int]]:
    """Problem II: every distinct sub-multiset of candidates summing to target.

    #eq-skip-duplicates. Each element is used at most once, but equal values are
    interchangeable: [1, 7] is one combination however many 1s there are.
    """
    values = sorted(_check_candidates(candidates))
    target = _check_target(target)
    out: list[list[int]] = []
    path: list[int] = []

    def dfs(start: int, rest: int) -> None:
        if rest == 0:
            out.append(path.copy())
            return
        for j in range(start, len(values)):
            if values[j] > rest:  # pruning, as in problem I
                # `return` would do the same: the loop is the last statement of dfs
                break  # pragma: no mutate
            if j > start and values[j] == values[j - 1]:  # same depth, same value: skip
                continue
            path.append(values[j])
            dfs(j + 1, rest - values[j])  # start index j + 1: each element once
            path.pop()

    dfs(0, target)
    return out
# --8<-- [end:combination_sum2]


# --8<-- [start:count_nodes]
def count_nodes(candidates, target, prune: bool = True, reuse: bool = True) -> int:
    """Nodes the backtracking visits, the root included (#eq-pruning).

    reuse=True: the tree of problem I (distinct candidates, start index j);
    reuse=False: the tree of problem II (start index j + 1, equal siblings skipped).
    prune=False: a child is entered even when its value exceeds the rest, and returns at
    once (a dead leaf with a negative rest).
    """
    reuse = _check_flag("reuse", reuse)
    prune = _check_flag("prune", prune)
    values = sorted(_check_candidates(candidates, distinct=reuse))
    target = _check_target(target)

    def visit(start: int, rest: int) -> int:
        if rest <= 0:  # a solution (rest 0) or a dead end (rest < 0): a leaf
            return 1
        nodes = 1
        for j in range(start, len(values)):
            if prune and values[j] > rest:
                break
            if not reuse and j > start and values[j] == values[j - 1]:
                continue
            nodes += visit(j if reuse else j + 1, rest - values[j])
        return nodes

    return visit(0, target)
# --8<-- [end:count_nodes]


# --8<-- [start:gf_combinations]
def gf_combinations(candidates, target) -> list[int]:
    """[x^n] prod_c 1/(1 - x^c), n = 0..target: problem I's counts (#eq-gf-unbounded).

    Multiplying by 1/(1 - x^c) = 1 + x^c + x^{2c} + ... is the running sum
    a_n += a_{n-c}, taken in increasing n so that c can be used again.
    """
    values = _check_candidates(candidates, distinct=True)
    target = _check_target(target)
    a = [1] + [0] * target  # the empty product: 1
    for c in values:
        for n in range(c, target + 1):
            a[n] += a[n - c]  # times 1/(1 - x^c)
    return a
# --8<-- [end:gf_combinations]


# --8<-- [start:gf_subsets]
def gf_subsets(candidates, target) -> list[int]:
    """[x^n] prod_i (1 + x^{c_i}) over the multiset, n = 0..target (#eq-gf-bounded).

    Counts the subsets of positions with sum n: two equal values at different positions
    make different subsets. Multiplying by 1 + x^c is a_n += a_{n-c} in decreasing n,
    so that each position is used at most once.
    """
    values = _check_candidates(candidates)
    target = _check_target(target)
    a = [1] + [0] * target
    for c in values:
        for n in range(target, c - 1, -1):
            a[n] += a[n - c]  # times (1 + x^c)
    return a
# --8<-- [end:gf_subsets]


# --8<-- [start:gf_combinations2]
def gf_combinations2(candidates, target) -> list[int]:
    """[x^n] prod_v (1 + x^v + ... + x^{m_v v}), n = 0..target (#eq-gf-bounded).

    v runs over the distinct values and m_v is how often v occurs: problem II's counts.
    """
    values = _check_candidates(candidates)
    target = _check_target(target)
    a = [1] + [0] * target
    for v, m in Counter(values).items():
        # times (1 + x^v + ... + x^{m v}): use v k times, k = 0..m
        a = [sum(a[n - k * v] for k in range(min(m, n // v) + 1))
             for n in range(target + 1)]
    return a
# --8<-- [end:gf_combinations2]


if __name__ == "__main__":
    print("combination_sum([2, 3, 6, 7], 7) =", combination_sum([2, 3, 6, 7], 7))
    print("ordered sequences:", ordered_sequences([2, 3, 6, 7], 7))
    print("combination_sum2([10, 1, 2, 7, 6, 1, 5], 8) =",
          combination_sum2([10, 1, 2, 7, 6, 1, 5], 8))
    print("target 0:", combination_sum([2, 3], 0), combination_sum2([1, 1], 0))
    c1 = [2, 3, 6, 7]
    print("candidates", c1, "f(0..7) =", gf_combinations(c1, 7))
    for T in (7, 8, 30, 60):
        print(f"T = {T}: combinations f = {gf_combinations(c1, T)[T]}, "
              f"ordered h = {gf_ordered(c1, T)[T]}, nodes D = {count_nodes(c1, T)}, "
              f"D+ = {count_nodes(c1, T, prune=False)}")
    h = gf_ordered(c1, 61)
    print(f"h(61) / h(60) = {h[61] / h[60]:.6f}")
    c2 = [10, 1, 2, 7, 6, 1, 5]
    print("II, T = 8: subsets of positions", gf_subsets(c2, 8)[8],
          "distinct combinations", gf_combinations2(c2, 8)[8])
    print("II, T = 8: nodes D =", count_nodes(c2, 8, reuse=False),
          "D+ =", count_nodes(c2, 8, prune=False, reuse=False))
