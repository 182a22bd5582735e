"""Checks of algorithms/maximum-gap: every key equation against something independent.

Independent references used here: sorting and scanning (brute force), exact rational
ceilings and floors (fractions.Fraction), grouping by a dictionary, counting bucket starts
with range(), and explicit enumeration of every array over a small range.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.algorithms.maximum_gap import (
    bucket_count,
    bucket_extremes,
    bucket_width,
    check_nums,
    gap_across_buckets,
    gap_lower_bound,
    maximum_gap,
)


def floor_variant(nums) -> int:
    """The same scan over the floor-width buckets."""
    return gap_across_buckets(bucket_extremes(nums, "floor")) if len(nums) >= 2 else 0


def sorted_scan(nums) -> int:
    """The definition: sort, then the largest difference of neighbours (0 below two)."""
    s = sorted(nums)
    return max((b - a for a, b in zip(s, s[1:])), default=0)


HUGE = 10**40  # far beyond 64 bits
ints = st.integers(-10**6, 10**6)
arrays = st.one_of(
    st.lists(ints, max_size=25),                                    # anything
    st.lists(st.integers(-HUGE, HUGE), min_size=2, max_size=25),    # huge ranges
    st.lists(st.sampled_from([-3, 0, 7, 7, 8]), min_size=2, max_size=25),  # duplicates
    st.tuples(ints, st.integers(1, 25)).map(lambda t: [t[0]] * t[1]),  # all equal
    st.lists(ints, min_size=2, max_size=2),                         # two elements
    # many values in one bucket, one far away: the gap is between two buckets
    st.tuples(st.lists(st.integers(0, 5), min_size=1, max_size=30),
              st.integers(6, HUGE)).map(lambda t: t[0] + [t[1]]),
)
# (lo, hi - lo, n); the small ones keep range() in the bucket-count check cheap
ranges = st.tuples(st.integers(-HUGE, HUGE), st.integers(0, HUGE), st.integers(2, 10**6))
small_ranges = st.tuples(st.integers(-10**6, 10**6), st.integers(0, 10**4), st.integers(2, 10**3))

# Adversarial arrays, each with its answer worked out by hand.
ADVERSARIAL = [
    ([3, 6, 9, 1], 3),            # sorted 1 3 6 9
    ([10], 0),                    # one number: no pair
    ([], 0),                      # no number: no pair
    ([5, 5, 5, 5], 0),            # all equal: w = max(1, 0) = 1, one bucket
    ([1, 1, 2], 1),               # floor width (2 - 1) // 2 = 0, the guard gives 1
    ([1, 10**30], 10**30 - 1),    # two numbers, a huge range
    ([-7, -3], 4),                # negative numbers
    ([0, 1, 2, 3, 100], 97),      # four values in the first bucket, one far away
    ([1, 3, 7, 9, 12, 26, 28, 30], 14),  # the page's example: 12 -> 26 across two empties
    ([0, 2**63, 2**64], 2**63),   # beyond int64
]


# --8<-- [start:test_maximum_gap]
@pytest.mark.formula("eq-bucket-gap")
@given(nums=arrays)
@settings(max_examples=100, deadline=None)
def test_bucket_scan_equals_sort_and_scan(nums):
    # brute force: sort, compare neighbours; both bucket widths must agree with it
    assert maximum_gap(nums) == sorted_scan(nums)
    assert floor_variant(nums) == sorted_scan(nums)
# --8<-- [end:test_maximum_gap]


@pytest.mark.formula("eq-bucket-gap")
@pytest.mark.parametrize("nums, answer", ADVERSARIAL)
def test_hand_computed_examples(nums, answer):
    assert maximum_gap(nums) == answer
    assert floor_variant(nums) == answer
    assert sorted_scan(nums) == answer


@pytest.mark.formula("eq-bucket-gap")
def test_gap_across_buckets_by_hand():
    # the page's example: extremes (1, 3) (7, 9) (12, 12) - - (26, 30): drops 4, 3, 14
    assert gap_across_buckets([(1, 3), (7, 9), (12, 12), None, None, (26, 30)]) == 14
    assert gap_across_buckets([None, (5, 5), None]) == 0  # one non-empty bucket
    assert gap_across_buckets([]) == 0
    assert gap_across_buckets([(0, 2), (9, 9)]) == 7


@pytest.mark.formula("eq-bucket-gap")
def test_numpy_integers_and_tuples_are_accepted():
    assert maximum_gap(np.array([3, 6, 9, 1], dtype=np.int64)) == 3
    assert maximum_gap((3, 6, 9, 1)) == 3
    assert isinstance(maximum_gap(np.array([1, 4], dtype=np.int32)), int)


# --8<-- [start:test_bucket_extremes]
@pytest.mark.formula("eq-bucket-gap")
@pytest.mark.parametrize("rounding", ["ceil", "floor"])
@given(nums=arrays.filter(lambda a: len(a) >= 2))
@settings(max_examples=40, deadline=None)
def test_buckets_hold_their_extremes_and_never_the_maximum_gap(nums, rounding):
    lo, hi, n = min(nums), max(nums), len(nums)
    w = bucket_width(lo, hi, n, rounding)
    groups = {}  # independent grouping: bucket index -> its members
    for x in nums:
        groups.setdefault((x - lo) // w, []).append(x)
    extremes = bucket_extremes(nums, rounding)
    assert len(extremes) == (hi - lo) // w + 1
    for k, e in enumerate(extremes):
        assert e == ((min(groups[k]), max(groups[k])) if k in groups else None)
    answer = sorted_scan(nums)
    # inside one bucket two numbers differ by at most w - 1, which is below the answer
    assert all(max(g) - min(g) <= w - 1 for g in groups.values())
    if answer > 0:
        assert w - 1 < answer
    # more than one distinct value: at least two non-empty buckets
    assert (sum(e is not None for e in extremes) >= 2) == (hi > lo)
    # so both ends of every maximal neighbouring pair sit in different buckets
    s = sorted(nums)
    for a, b in zip(s, s[1:]):
        if b - a == answer and answer > 0:
            assert (a - lo) // w != (b - lo) // w
# --8<-- [end:test_bucket_extremes]


# --8<-- [start:test_pigeonhole]
@pytest.mark.formula("eq-pigeonhole-bound")
@given(nums=arrays.filter(lambda a: len(a) >= 2))
@settings(max_examples=50, deadline=None)
def test_no_array_beats_the_pigeonhole_bound(nums):
    lo, hi, n = min(nums), max(nums), len(nums)
    bound = gap_lower_bound(lo, hi, n)
    assert bound == math.ceil(Fraction(hi - lo, n - 1))  # exact rational ceiling
    assert sorted_scan(nums) >= bound  # the bound, against brute force
    assert (bound == 0) == (hi == lo)  # the ceiling is 0 only when all numbers are equal
    if hi - lo < n - 1:  # the floor is 0 only then, and then some value repeats
        assert (hi - lo) // (n - 1) == 0 and len(set(nums)) < n


@pytest.mark.formula("eq-pigeonhole-bound")
@pytest.mark.parametrize("n", [2, 3, 4, 5])
@pytest.mark.parametrize("span", [0, 1, 2, 5, 7, 8])
def test_the_bound_is_attained_by_some_array(n, span):
    # every array of n integers with min 0 and max span, enumerated: the smallest
    # maximum gap any of them has is exactly the bound
    interior = itertools.combinations_with_replacement(range(span + 1), n - 2)
    smallest = min(sorted_scan([0, *inner, span]) for inner in interior)
    assert smallest == gap_lower_bound(0, span, n)
# --8<-- [end:test_pigeonhole]


@pytest.mark.formula("eq-pigeonhole-bound")
@given(lo=st.integers(-HUGE, HUGE), length=st.integers(0, HUGE), n=st.integers(2, 30))
@settings(max_examples=40, deadline=None)
def test_the_page_construction_attains_the_bound(lo, length, n):
    # x_(i) = x_min + ceil((i - 1) a), a = (x_max - x_min) / (n - 1): the bound is attained
    a = Fraction(length, n - 1)
    nums = [lo + math.ceil(i * a) for i in range(n)]
    assert nums[0] == lo and nums[-1] == lo + length
    assert sorted_scan(nums) == gap_lower_bound(lo, lo + length, n)


# --8<-- [start:test_bucket_width]
@pytest.mark.formula("eq-bucket-width")
@given(r=ranges)
@settings(max_examples=50, deadline=None)
def test_widths_are_the_guarded_ceiling_and_floor(r):
    lo, length, n = r
    average = Fraction(length, n - 1)  # the mean gap (max - min) / (n - 1), exact
    assert bucket_width(lo, lo + length, n) == max(1, math.ceil(average))
    assert bucket_width(lo, lo + length, n, "ceil") == max(1, math.ceil(average))
    assert bucket_width(lo, lo + length, n, "floor") == max(1, math.floor(average))


@pytest.mark.formula("eq-bucket-width")
def test_widths_by_hand():
    # the page's example: min 1, max 30, n 8, mean gap 29/7 = 4.14…
    assert bucket_width(1, 30, 8) == 5
    assert bucket_width(1, 30, 8, "floor") == 4
    assert bucket_width(4, 4, 5) == 1            # all equal: the guard
    assert bucket_width(1, 2, 3, "floor") == 1   # floor 1/2 = 0: the guard
    assert bucket_width(1, 2, 3, "ceil") == 1    # ceil 1/2 = 1, no guard needed
    assert bucket_width(0, 12, 4) == bucket_width(0, 12, 4, "floor") == 4  # divisible
# --8<-- [end:test_bucket_width]


# --8<-- [start:test_bucket_count]
@pytest.mark.formula("eq-bucket-count")
@given(r=small_ranges)
@settings(max_examples=50, deadline=None)
def test_bucket_count_and_its_bounds(r):
    lo, length, n = r
    hi = lo + length
    for rounding, most in (("ceil", n), ("floor", 2 * n - 2)):
        w = bucket_width(lo, hi, n, rounding)
        # count the bucket starts lo, lo + w, lo + 2w, … that are <= hi
        assert bucket_count(lo, hi, w) == len(range(lo, hi + 1, w))
        assert bucket_count(lo, hi, w) <= most
    # the wider ceil buckets are never more numerous than the floor ones
    counts = [bucket_count(lo, hi, bucket_width(lo, hi, n, r)) for r in ("ceil", "floor")]
    assert counts[0] <= counts[1]
    # an arithmetic progression of n terms (step d >= 1) fills exactly n ceil buckets
    d = length % 50 + 1
    assert bucket_count(lo, lo + (n - 1) * d, bucket_width(lo, lo + (n - 1) * d, n)) == n


@pytest.mark.formula("eq-bucket-count")
def test_bucket_counts_by_hand():
    assert bucket_count(1, 30, 5) == 6       # the page's example, ceil width
    assert bucket_count(1, 30, 4) == 8       # … floor width
    assert bucket_count(0, 3, bucket_width(0, 3, 3, "floor")) == 4  # 2n - 2 attained
    assert bucket_count(0, 8, bucket_width(0, 8, 5)) == 5           # n attained
    assert bucket_count(7, 7, 1) == 1
# --8<-- [end:test_bucket_count]


def test_a_float_width_above_the_mean_gap_breaks_the_scan():
    # the pitfall on the page: reals 0, 0.9, 1.0 with width ceil(0.5) = 1 put 0 and 0.9 in
    # one bucket; the scan between buckets then sees only 1.0 - 0.9
    nums, w = [0.0, 0.9, 1.0], 1
    buckets = {}
    for x in nums:
        buckets.setdefault(int((x - 0.0) // w), []).append(x)
    between = min(buckets[1]) - max(buckets[0])
    assert between == pytest.approx(0.1) and sorted_scan(nums) == pytest.approx(0.9)


@given(nums=st.lists(st.fractions(min_value=-100, max_value=100, max_denominator=50),
                     min_size=2, max_size=20))
@settings(max_examples=40, deadline=None)
def test_real_numbers_need_the_exact_mean_gap_as_width(nums):
    # the pitfall's remedy: width exactly (max - min) / (n - 1), half-open buckets; exact
    # rationals stand in for reals
    lo, hi, n = min(nums), max(nums), len(nums)
    if hi == lo:
        return
    width = (hi - lo) / (n - 1)
    low, high = {}, {}
    for x in nums:
        k = math.floor((x - lo) / width)
        low[k], high[k] = min(low.get(k, x), x), max(high.get(k, x), x)
    assert all(high[k] - low[k] < width for k in low)  # strictly inside one bucket
    ks = sorted(low)
    assert max(low[b] - high[a] for a, b in zip(ks, ks[1:])) == sorted_scan(nums)


@pytest.mark.parametrize("bad, message", [
    ("3691", "nums must be a sequence of integers, got str"),
    (5, "nums must be a sequence of integers, got int"),
    (None, "nums must be a sequence of integers, got NoneType"),
    ([1, 2.0], "nums must contain integers only, got 2.0"),
    ([1, True], "nums must contain integers only, got True"),
    ([1, "2"], "nums must contain integers only, got '2'"),
    (b"ab", "nums must be a sequence of integers, got bytes"),
])
def test_bad_nums(bad, message):
    with pytest.raises(ValueError, match=f"^{message}$".replace("(", r"\(").replace(".", r"\.")):
        maximum_gap(bad)
    with pytest.raises(ValueError, match="^nums must"):
        bucket_extremes(bad)


def test_check_nums_converts_to_python_ints():
    out = check_nums(np.array([2, 9], dtype=np.int16))
    assert out == [2, 9] and all(type(x) is int for x in out)


@pytest.mark.parametrize("args, message", [
    ((0.5, 3, 4), "lo must be an integer, got 0.5"),
    ((0, 3.0, 4), "hi must be an integer, got 3.0"),
    ((0, 3, 2.0), "n must be an integer, got 2.0"),
    ((True, 3, 4), "lo must be an integer, got True"),
    ((5, 3, 4), "hi must be >= lo, got lo=5, hi=3"),
    ((0, 3, 1), "n must be at least 2, got 1"),
])
def test_bad_ranges(args, message):
    pattern = "^" + message.replace(".", r"\.") + "$"
    with pytest.raises(ValueError, match=pattern):
        gap_lower_bound(*args)
    with pytest.raises(ValueError, match=pattern):
        bucket_width(*args)


@pytest.mark.parametrize("bad", [[(1, 2, 3)], [(3, 1)], [(1, 2), (0, 4)], [(1.0, 2)],
                                 [None, (3, 1)], [(0, 1), None, (5, 6), (2, 9)]])
def test_bad_extremes(bad):
    with pytest.raises(ValueError, match=r"^extremes must hold None or increasing \(min, max\) "
                                         r"integer pairs, got \("):
        gap_across_buckets(bad)
    for not_pairs in (5, [7]):
        with pytest.raises(ValueError, match=r"^extremes must be a sequence of pairs, got "):
            gap_across_buckets(not_pairs)


def test_touching_buckets_are_accepted():
    # a bucket may start where the previous one ended (a gap of 0 between them)
    assert gap_across_buckets([(1, 2), (2, 3)]) == 0


def test_bad_rounding_and_width():
    with pytest.raises(ValueError, match=r"^rounding must be one of \('ceil', 'floor'\), got 'round'$"):
        bucket_width(0, 3, 4, "round")
    with pytest.raises(ValueError, match=r"^rounding must be one of"):
        bucket_extremes([1, 2], "Ceil")
    for w in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match=rf"^width must be a positive integer, got {w!r}$"):
            bucket_count(0, 3, w)
    with pytest.raises(ValueError, match=r"^hi must be >= lo, got lo=3, hi=0$"):
        bucket_count(3, 0, 1)
    with pytest.raises(ValueError, match=r"^nums must contain integers only"):
        bucket_extremes([1, 2.5])
    for short in ([], [4]):
        with pytest.raises(ValueError, match=rf"^nums must hold at least two integers, got {len(short)}$"):
            bucket_extremes(short)
