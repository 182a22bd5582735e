"""Checks of algorithms/combination-sum: every key equation against something independent.

Independent references used here: brute-force enumeration with itertools (products over
multiplicities, subsets of positions, all multisets of bounded sum), generating-function
coefficients computed by explicit polynomial multiplication with numpy, and the two
standard examples whose answers are known.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.algorithms.combination_sum import (
    combination_sum,
    combination_sum2,
    count_nodes,
    gf_combinations,
    gf_combinations2,
    gf_ordered,
    gf_subsets,
    ordered_sequences,
)

# distinct candidates (problem I) and multisets (problem II), small enough to brute-force
distinct = st.lists(st.integers(1, 9), unique=True, max_size=4)
multisets = st.lists(st.integers(1, 8), max_size=8)
targets = st.integers(0, 16)


def poly_product(factors, degree: int) -> np.ndarray:
    """Coefficients 0..degree of a product of polynomials, multiplied out with np.convolve."""
    out = np.zeros(degree + 1, dtype=np.int64)
    out[0] = 1
    for f in factors:
        out = np.convolve(out, np.asarray(f, dtype=np.int64))[: degree + 1]
    return out


def monomial_sum(exponents, degree: int) -> np.ndarray:
    """The polynomial sum_e x^e, truncated at x^degree."""
    p = np.zeros(degree + 1, dtype=np.int64)
    for e in exponents:
        if e <= degree:
            p[e] += 1
    return p


def brute_force_1(candidates, target) -> list[list[int]]:
    """Problem I by every vector of multiplicities k_c in 0..target // c."""
    cs = sorted(candidates)
    found = []
    for ks in itertools.product(*(range(target // c + 1) for c in cs)):
        if sum(k * c for k, c in zip(ks, cs)) == target:
            found.append([c for k, c in zip(ks, cs) for _ in range(k)])
    return sorted(found)


def brute_force_2(candidates, target) -> list[list[int]]:
    """Problem II by every subset of positions, equal value lists counted once."""
    found = {tuple(sorted(s)) for r in range(len(candidates) + 1)
             for s in itertools.combinations(candidates, r) if sum(s) == target}
    return sorted(list(s) for s in found)


# --8<-- [start:test_search_tree]
@pytest.mark.formula("eq-search-tree")
@given(candidates=st.lists(st.integers(1, 9), unique=True, max_size=3), target=st.integers(0, 9))
@settings(max_examples=50, deadline=None)
def test_ordered_sequences_are_counted_by_one_over_one_minus_p(candidates, target):
    # brute force: every tuple of candidates of every length L <= target / min(c)
    longest = target // min(candidates) if candidates else 0
    brute = sorted(list(t) for L in range(longest + 1)
                   for t in itertools.product(candidates, repeat=L) if sum(t) == target)
    assert sorted(ordered_sequences(candidates, target)) == brute
    # 1/(1 - P) = sum_k P^k with P = sum_c x^c, multiplied out (P^k starts at x^k)
    P = monomial_sum(candidates, target)
    series = sum(poly_product([P] * k, target) for k in range(target + 1))
    assert gf_ordered(candidates, target) == list(series)
# --8<-- [end:test_search_tree]


@pytest.mark.formula("eq-search-tree")
@pytest.mark.parametrize("candidates", [[2, 3, 6, 7], [1, 2], [3, 5], [2, 3]])
def test_ordered_counts_grow_like_one_over_the_smallest_root(candidates):
    # gcd 1: h(T+1)/h(T) -> 1/rho, rho the smallest positive root of 1 - P(x), from np.roots
    coeffs = np.zeros(max(candidates) + 1)
    coeffs[0] = 1.0
    coeffs[candidates] -= 1.0  # 1 - sum_c x^c, lowest degree first
    roots = np.roots(coeffs[::-1])
    rho = min(r.real for r in roots if abs(r.imag) < 1e-12 and r.real > 0)
    h = gf_ordered(candidates, 400)
    assert h[400] / h[399] == pytest.approx(1 / rho, rel=1e-9)
    if candidates == [1, 2]:
        assert 1 / rho == pytest.approx((1 + 5**0.5) / 2, rel=1e-12)  # the golden ratio


@pytest.mark.formula("eq-search-tree")
def test_ordered_sequences_standard_example():
    assert ordered_sequences([2, 3, 6, 7], 7) == [[2, 2, 3], [2, 3, 2], [3, 2, 2], [7]]
    # a_n = a_{n-1} + a_{n-2} with candidates 1, 2: the Fibonacci numbers
    assert gf_ordered([2, 1], 10) == [1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]
    assert ordered_sequences([5], 0) == [[]] and ordered_sequences([5], 3) == []


# --8<-- [start:test_start_index]
@pytest.mark.formula("eq-start-index")
@given(candidates=distinct, target=targets)
@settings(max_examples=50, deadline=None)
def test_combination_sum_equals_brute_force(candidates, target):
    result = combination_sum(candidates, target)
    assert result == brute_force_1(candidates, target)  # the same list, in the same order
    assert all(c == sorted(c) and sum(c) == target for c in result)
    assert len({tuple(c) for c in result}) == len(result)  # no duplicates
# --8<-- [end:test_start_index]


@pytest.mark.formula("eq-start-index")
def test_combination_sum_standard_examples():
    assert combination_sum([2, 3, 6, 7], 7) == [[2, 2, 3], [7]]
    assert combination_sum([7, 6, 3, 2], 7) == [[2, 2, 3], [7]]  # input order is irrelevant
    assert combination_sum([2, 3, 5], 8) == [[2, 2, 2, 2], [2, 3, 3], [3, 5]]
    assert combination_sum([2], 1) == []
    assert combination_sum([2, 3], 0) == [[]]  # target 0: the empty combination, x^0 = 1
    assert combination_sum([], 0) == [[]] and combination_sum([], 4) == []
    out = combination_sum(np.array([3, 2]), np.int64(5))  # numpy integers are accepted
    assert out == [[2, 3]] and all(type(x) is int for x in out[0])


def all_multisets(values, max_sum: int):
    """Every multiset of positions 0..k-1 (nondecreasing tuples) with value sum <= max_sum."""
    longest = max_sum // min(values) if values else 0
    for L in range(longest + 1):
        for idx in itertools.combinations_with_replacement(range(len(values)), L):
            if sum(values[i] for i in idx) <= max_sum:
                yield idx


# --8<-- [start:test_pruning]
@pytest.mark.formula("eq-pruning")
@given(candidates=distinct, target=targets)
@settings(max_examples=60, deadline=None)
def test_node_counts_equal_enumerated_multisets(candidates, target):
    values = sorted(candidates)
    k = len(values)
    # pruned tree: one node per multiset of sum <= target
    nodes = list(all_multisets(values, target))
    coeffs = poly_product([monomial_sum(range(0, target + 1, c), target) for c in values],
                          target)
    assert count_nodes(candidates, target) == len(nodes) == coeffs.sum()
    # unpruned: plus one dead leaf per (inner node, j >= its last index, c_j > rest)
    dead = 0
    for idx in nodes:
        rest = target - sum(values[i] for i in idx)
        if rest > 0:
            last = idx[-1] if idx else 0
            dead += sum(1 for j in range(last, k) if values[j] > rest)
    assert count_nodes(candidates, target, prune=False) == len(nodes) + dead
    assert len(nodes) + dead <= (k + 1) * len(nodes)  # the bound D+ <= (k + 1) D
# --8<-- [end:test_pruning]


@pytest.mark.formula("eq-pruning")
def test_node_counts_of_the_standard_example():
    # drawn by hand in the page's tree: 10 nodes with pruning; 18 dead leaves without
    assert count_nodes([2, 3, 6, 7], 7) == 10
    assert count_nodes([2, 3, 6, 7], 7, prune=False) == 28
    assert count_nodes([6, 2, 7, 3], 7, True, True) == 10  # sorted inside
    assert count_nodes([2, 3], 0) == 1 and count_nodes([2, 3], 0, prune=False) == 1
    assert count_nodes([1], 3, prune=False) == 4  # a chain 3 → 2 → 1 → 0


@pytest.mark.formula("eq-pruning")
def test_break_without_sorting_loses_a_solution():
    # the pitfall on the page: the same loop with `break` but unsorted candidates
    def unsorted_with_break(values, target):
        out = []

        def dfs(start, rest, path):
            if rest == 0:
                out.append(sorted(path))
                return
            for j in range(start, len(values)):
                if values[j] > rest:
                    break
                dfs(j, rest - values[j], path + [values[j]])

        dfs(0, target, [])
        return sorted(out)

    assert unsorted_with_break([5, 2, 3], 7) == [[2, 2, 3]]  # [2, 5] is lost
    assert combination_sum([5, 2, 3], 7) == [[2, 2, 3], [2, 5]] == brute_force_1([5, 2, 3], 7)


@pytest.mark.formula("eq-pruning")
@given(candidates=multisets, target=targets)
@settings(max_examples=60, deadline=None)
def test_problem_2_node_counts_equal_enumerated_sub_multisets(candidates, target):
    values = sorted(candidates)
    counts = Counter(values)
    first = {v: values.index(v) for v in counts}  # position of v's first copy
    dead, inner = 0, 0
    subs = [dict(zip(counts, ks)) for ks in
            itertools.product(*(range(m + 1) for m in counts.values()))]
    subs = [s for s in subs if sum(v * k for v, k in s.items()) <= target]
    for s in subs:
        rest = target - sum(v * k for v, k in s.items())
        if rest > 0:
            inner += 1
            # its canonical positions: the first k_v copies of each v; children start after
            used = [first[v] + k - 1 for v, k in s.items() if k]
            start = max(used) + 1 if used else 0
            dead += sum(1 for v in set(values[start:]) if v > rest)
    assert count_nodes(candidates, target, reuse=False) == len(subs)
    assert count_nodes(candidates, target, prune=False, reuse=False) == len(subs) + dead


# --8<-- [start:test_skip_duplicates]
@pytest.mark.formula("eq-skip-duplicates")
@given(candidates=multisets, target=targets)
@settings(max_examples=50, deadline=None)
def test_combination_sum2_equals_brute_force(candidates, target):
    result = combination_sum2(candidates, target)
    assert result == brute_force_2(candidates, target)  # the same list, in the same order
    assert len({tuple(c) for c in result}) == len(result)  # no duplicates
    pool = Counter(candidates)
    assert all(c == sorted(c) and not Counter(c) - pool for c in result)  # each at most once
# --8<-- [end:test_skip_duplicates]


@pytest.mark.formula("eq-skip-duplicates")
def test_combination_sum2_standard_examples():
    assert combination_sum2([10, 1, 2, 7, 6, 1, 5], 8) == [[1, 1, 6], [1, 2, 5], [1, 7], [2, 6]]
    assert combination_sum2([2, 5, 2, 1, 2], 5) == [[1, 2, 2], [5]]
    assert combination_sum2([1, 1, 1], 2) == [[1, 1]]
    assert combination_sum2([2, 2], 6) == []
    assert combination_sum2([1, 1], 0) == [[]]


# --8<-- [start:test_gf_unbounded]
@pytest.mark.formula("eq-gf-unbounded")
@given(candidates=distinct, target=targets)
@settings(max_examples=50, deadline=None)
def test_problem_1_counts_are_the_product_coefficients(candidates, target):
    # prod_c (1 + x^c + x^{2c} + ...) truncated at x^target, multiplied out
    geometric = [monomial_sum(range(0, target + 1, c), target) for c in candidates]
    coeffs = poly_product(geometric, target)
    assert gf_combinations(candidates, target) == list(coeffs)
    assert [len(brute_force_1(candidates, n)) for n in range(target + 1)] == list(coeffs)
    assert len(combination_sum(candidates, target)) == coeffs[target]
    # e_2..e_k fix e_1: f(T) <= prod_{j >= 2} (T // c_j + 1), a polynomial of degree k - 1
    assert coeffs[target] <= np.prod([target // c + 1 for c in sorted(candidates)[1:]])
# --8<-- [end:test_gf_unbounded]


@pytest.mark.formula("eq-gf-unbounded")
def test_problem_1_counts_by_hand():
    # coins 1, 2, 5 make 10 in 10 ways (the classic change-making count)
    assert gf_combinations([1, 2, 5], 10)[10] == 10
    assert gf_combinations([2, 3, 6, 7], 7) == [1, 0, 1, 1, 1, 1, 3, 2]
    assert gf_combinations([], 3) == [1, 0, 0, 0] and gf_combinations([4], 0) == [1]


# --8<-- [start:test_gf_bounded]
@pytest.mark.formula("eq-gf-bounded")
@given(candidates=multisets, target=targets)
@settings(max_examples=50, deadline=None)
def test_problem_2_counts_are_the_product_coefficients(candidates, target):
    # prod_i (1 + x^{c_i}), one factor per position: counts subsets of positions
    per_position = poly_product([monomial_sum([0, c], target) for c in candidates], target)
    subsets = [sum(1 for r in range(len(candidates) + 1)
                   for s in itertools.combinations(candidates, r) if sum(s) == n)
               for n in range(target + 1)]
    assert gf_subsets(candidates, target) == list(per_position) == subsets
    # prod_v (1 + x^v + ... + x^{m_v v}), one factor per distinct value: problem II's count
    per_value = poly_product([monomial_sum(range(0, m * v + 1, v), target)
                              for v, m in Counter(candidates).items()], target)
    assert gf_combinations2(candidates, target) == list(per_value)
    assert len(combination_sum2(candidates, target)) == per_value[target]
    if len(set(candidates)) == len(candidates):  # no repeats: the two products agree
        assert list(per_position) == list(per_value)
    for v, m in Counter(candidates).items():  # a value v repeated m >= 2 times: they differ
        if m >= 2:
            assert gf_subsets(candidates, v)[v] >= gf_combinations2(candidates, v)[v] + m - 1
# --8<-- [end:test_gf_bounded]


@pytest.mark.formula("eq-gf-bounded")
def test_the_two_products_differ_on_the_standard_example():
    c = [10, 1, 2, 7, 6, 1, 5]
    # [1, 7] and [1, 2, 5] each come from two different 1s: 6 subsets, 4 combinations
    assert gf_subsets(c, 8)[8] == 6
    assert gf_combinations2(c, 8)[8] == 4
    assert gf_combinations2([2, 2, 2], 6) == [1, 0, 1, 0, 1, 0, 1]
    assert gf_subsets([2, 2, 2], 6) == [1, 0, 3, 0, 3, 0, 1]  # binomial(3, k)


def variant(values, target, step, same_depth_only=True, dedup=True):
    """The page's pitfalls: backtracking with a chosen start step and duplicate rule."""
    values, out = sorted(values), []

    def dfs(start, rest, path):
        if rest == 0:
            out.append(path)
            return
        for j in range(start, len(values)):
            if values[j] > rest:
                break
            if dedup and (j > start or not same_depth_only) and j > 0 \
                    and values[j] == values[j - 1]:
                continue
            dfs(j + step, rest - values[j], path + [values[j]])

    dfs(0, target, [])
    return out


@pytest.mark.formula("eq-skip-duplicates")
def test_the_pitfalls_of_start_index_and_skipping():
    # problem I with start j + 1 loses [2, 2, 3]; problem II with start j reuses elements
    assert variant([2, 3, 6, 7], 7, step=1) == [[7]]
    reused = variant([10, 1, 2, 7, 6, 1, 5], 8, step=0)
    assert any(Counter(c) - Counter([10, 1, 2, 7, 6, 1, 5]) for c in reused)
    # skipping equal values at every depth, not only among siblings, loses [1, 1, 6]
    assert variant([10, 1, 2, 7, 6, 1, 5], 8, step=1, same_depth_only=False) == \
        [[1, 2, 5], [1, 7], [2, 6]]
    assert variant([10, 1, 2, 7, 6, 1, 5], 8, step=1) == \
        combination_sum2([10, 1, 2, 7, 6, 1, 5], 8)


PUBLIC = [combination_sum, combination_sum2, ordered_sequences, gf_ordered, count_nodes,
          gf_combinations, gf_subsets, gf_combinations2]
DISTINCT_ONLY = [combination_sum, ordered_sequences, gf_ordered, gf_combinations, count_nodes]


@pytest.mark.parametrize("f", PUBLIC)
@pytest.mark.parametrize("candidates", [[2, 0], [2, -3], [2.0, 3], [True, 2], ["2"], [None], 5])
def test_bad_candidates(f, candidates):
    with pytest.raises(ValueError, match="^candidates must be"):
        f(candidates, 5)


@pytest.mark.parametrize("f", PUBLIC)
@pytest.mark.parametrize("target", [-1, 2.0, True, "5", None])
def test_bad_target(f, target):
    with pytest.raises(ValueError, match="^target must be a non-negative integer"):
        f([2, 3], target)


@pytest.mark.parametrize("f", DISTINCT_ONLY)
def test_repeated_candidates_are_rejected_where_they_must_be_distinct(f):
    with pytest.raises(ValueError, match="^candidates must be distinct"):
        f([2, 3, 2], 5)
    assert f([2, 3], 5)  # and accepted when distinct


def test_repeats_are_accepted_in_problem_2():
    assert count_nodes([2, 2], 4, reuse=False) == 3  # root, {2}, {2, 2}
    assert gf_subsets([2, 2], 4) == [1, 0, 2, 0, 1]


@pytest.mark.parametrize("kwargs, name", [({"prune": 1}, "prune"), ({"reuse": None}, "reuse")])
def test_bad_flags(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name} must be True or False"):
        count_nodes([2, 3], 5, **kwargs)
