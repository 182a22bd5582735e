"""Maximum gap of an unsorted integer array in linear time, by buckets and pigeonholes.

Page: algorithms/maximum-gap (docs/algorithms/maximum-gap.md); each function names the
anchor of the equation it implements. Inputs are sequences of Python integers (numpy
integers are accepted and converted); all arithmetic is on Python ints, so huge ranges
(beyond 64 bits) are exact. Fewer than two numbers (the empty list included) give 0:
there is no adjacent pair, and the problem defines the answer as 0 then.
"""

from __future__ import annotations

import numbers

ROUNDINGS = ("ceil", "floor")


def check_nums(nums) -> list[int]:
    """nums as a list of Python ints; ValueError naming `nums` otherwise."""
    if isinstance(nums, (str, bytes)):
        raise ValueError(
            f"nums must be a sequence of integers, got {type(nums).__name__}")
    try:
        items = list(nums)
    except TypeError:
        raise ValueError(
            f"nums must be a sequence of integers, got {type(nums).__name__}") from None
    for x in items:
        if isinstance(x, bool) or not isinstance(x, numbers.Integral):
            raise ValueError(f"nums must contain integers only, got {x!r}")
    return [int(x) for x in items]


def check_range(lo, hi) -> None:
    """lo <= hi, both integers; ValueError naming the argument otherwise."""
    for name, value in (("lo", lo), ("hi", hi)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if hi < lo:
        raise ValueError(f"hi must be >= lo, got lo={lo}, hi={hi}")


def check_count(n) -> None:
    """n >= 2 numbers; ValueError naming n otherwise."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"n must be an integer, got {n!r}")
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")


def check_extremes(extremes) -> list:
    """A list of None or (min, max) integer pairs with min <= max, increasing."""
    try:
        items = [None if e is None else tuple(e) for e in extremes]
    except TypeError:
        raise ValueError(
            f"extremes must be a sequence of pairs, got {extremes!r}") from None
    last = None
    for e in items:
        if e is None:
            continue
        if (len(e) != 2 or not all(isinstance(v, numbers.Integral) for v in e)
                or e[0] > e[1] or (last is not None and e[0] < last)):
            raise ValueError("extremes must hold None or increasing (min, max) "
                             f"integer pairs, got {e!r}")
        last = e[1]
    return items


# --8<-- [start:gap_lower_bound]
def gap_lower_bound(lo: int, hi: int, n: int) -> int:
    """ceil((hi - lo) / (n - 1)): no n integers spanning [lo, hi] have a smaller
    maximum gap (#eq-pigeonhole-bound). The n - 1 gaps sum to hi - lo.
    """
    check_range(lo, hi)
    check_count(n)
    # ⌈(max − min)/(n − 1)⌉, in integer arithmetic: −⌊−x/y⌋ = ⌈x/y⌉
    return -((lo - hi) // (n - 1))
# --8<-- [end:gap_lower_bound]


# --8<-- [start:bucket_width]
def bucket_width(lo: int, hi: int, n: int, rounding: str = "ceil") -> int:
    """Width l of the buckets [lo + k l, lo + (k+1) l) (#eq-bucket-width).

    ceil:  l = max(1, ceil((hi - lo) / (n - 1)))   (this page's choice)
    floor: l = max(1, floor((hi - lo) / (n - 1)))  (the common alternative)
    Either way two numbers in one bucket differ by at most l - 1 < maximum gap.
    """
    check_range(lo, hi)
    check_count(n)
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}, got {rounding!r}")
    if rounding == "ceil":
        width = gap_lower_bound(lo, hi, n)  # ⌈(max − min)/(n − 1)⌉
    else:
        width = (hi - lo) // (n - 1)  # ⌊(max − min)/(n − 1)⌋
    return max(1, width)  # guard: the width is 0 when max − min < n − 1
# --8<-- [end:bucket_width]


# --8<-- [start:bucket_count]
def bucket_count(lo: int, hi: int, width: int) -> int:
    """Number of buckets floor((hi - lo) / width) + 1; hi gets one (#eq-bucket-count).

    With the ceil width this is at most n; with the floor width at most 2n - 2.
    """
    check_range(lo, hi)
    if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
        raise ValueError(f"width must be a positive integer, got {width!r}")
    # bucket of x: ⌊(x − min)/ℓ⌋ ∈ {0, …, ⌊(max − min)/ℓ⌋}
    return (hi - lo) // width + 1
# --8<-- [end:bucket_count]


# --8<-- [start:bucket_extremes]
def bucket_extremes(nums, rounding: str = "ceil") -> list[tuple[int, int] | None]:
    """(min, max) of each bucket in order, None for an empty one (#eq-bucket-gap).

    x goes to bucket floor((x - lo) / width); a bucket keeps only its extremes.
    nums: at least two integers.
    """
    nums = check_nums(nums)
    if len(nums) < 2:
        raise ValueError(f"nums must hold at least two integers, got {len(nums)}")
    lo, hi = min(nums), max(nums)
    width = bucket_width(lo, hi, len(nums), rounding)
    low = [None] * bucket_count(lo, hi, width)
    high = [None] * len(low)
    for x in nums:
        k = (x - lo) // width  # the bucket of x: k = ⌊(x − min)/ℓ⌋
        low[k] = x if low[k] is None else min(low[k], x)
        high[k] = x if high[k] is None else max(high[k], x)
    return [None if a is None else (a, b) for a, b in zip(low, high)]
# --8<-- [end:bucket_extremes]


# --8<-- [start:gap_across_buckets]
def gap_across_buckets(extremes) -> int:
    """max over neighbouring non-empty buckets j < k of lo_k - hi_j (#eq-bucket-gap).

    extremes: per bucket, in order, its (min, max) or None when empty, as returned by
    bucket_extremes; 0 when fewer than two buckets are non-empty.
    """
    extremes = check_extremes(extremes)
    best, previous_high = 0, None
    for e in extremes:
        if e is None:
            continue  # an empty bucket: the gap runs across it
        low, high = e
        if previous_high is not None:
            best = max(best, low - previous_high)  # lo_k − hi_j, neighbouring buckets
        previous_high = high
    return best
# --8<-- [end:gap_across_buckets]


# --8<-- [start:maximum_gap]
def maximum_gap(nums) -> int:
    """max_i (x_(i+1) - x_(i)) over the sorted values, in O(n) time (#eq-bucket-gap).

    Fewer than two numbers give 0.
    """
    nums = check_nums(nums)
    if len(nums) < 2:
        return 0
    return gap_across_buckets(bucket_extremes(nums))
# --8<-- [end:maximum_gap]


if __name__ == "__main__":
    for example in ([3, 6, 9, 1], [10]):
        print(f"maximum_gap({example}) = {maximum_gap(example)}")
    nums = [12, 3, 30, 7, 1, 26, 9, 28]
    lo, hi, n = min(nums), max(nums), len(nums)
    w = bucket_width(lo, hi, n)
    print(f"nums = {nums}: min = {lo}, max = {hi}, n = {n}")
    print(f"lower bound ceil((max-min)/(n-1)) = {gap_lower_bound(lo, hi, n)}")
    print(f"ceil width = {w}, buckets = {bucket_count(lo, hi, w)}")
    for k, e in enumerate(bucket_extremes(nums)):
        print(f"  bucket {k}: [{lo + k * w}, {lo + (k + 1) * w})  extremes {e}")
    wf = bucket_width(lo, hi, n, "floor")
    print(f"floor width = {wf}, buckets = {bucket_count(lo, hi, wf)}")
    floor_gap = gap_across_buckets(bucket_extremes(nums, "floor"))
    print(f"maximum gap = {maximum_gap(nums)}, floor variant = {floor_gap}")
    print(f"sorted: {sorted(nums)}")
