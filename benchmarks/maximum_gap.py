"""Time the bucket method of algorithms/maximum-gap against sorting, for growing n.

Usage (from the project root, in the project's venv):
    python benchmarks/maximum_gap.py [--sizes 1000 10000 100000 1000000] [--repeat 3]

Input: n integers drawn uniformly from [0, 10^9) (numpy Generator, seed 0), as a Python
list. Three methods, best of `repeat` runs each, timed by the CPU time of this process
(time.process_time, so that other processes on a shared machine disturb it less):
  - buckets (pure Python): snippets.algorithms.maximum_gap.maximum_gap, O(n);
  - sorted (pure Python scan): sorted() (CPython's C timsort, O(n log n)) and a Python loop
    over neighbours;
  - numpy sort: np.diff(np.sort(a)).max() on an int64 array, O(n log n) in C.
Prints the times, the fitted growth exponent b of t ~ n^b (least squares on log t against
log n) and the machine. A benchmark, not a test: a slow machine fails nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snippets.algorithms.maximum_gap import maximum_gap  # noqa: E402


def sort_and_scan(nums) -> int:
    s = sorted(nums)
    return max((b - a for a, b in zip(s, s[1:])), default=0)


def numpy_sort(a: np.ndarray) -> int:
    return int(np.diff(np.sort(a)).max())


def best_time(run, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        start = time.process_time()
        out = run()
        times.append(time.process_time() - start)
    return min(times), out


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000, 1000000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, {platform.machine()}, "
          f"Python {platform.python_version()}, numpy {np.__version__}")
    rng = np.random.default_rng(0)
    methods = ("buckets (pure Python)", "sorted + Python scan", "numpy sort + diff")
    times = {m: [] for m in methods}
    print(f"{'n':>9}  " + "  ".join(f"{m:>22}" for m in methods))
    for n in args.sizes:
        a = rng.integers(0, 10**9, size=n)
        nums = a.tolist()
        t1, r1 = best_time(lambda: maximum_gap(nums), args.repeat)
        t2, r2 = best_time(lambda: sort_and_scan(nums), args.repeat)
        t3, r3 = best_time(lambda: numpy_sort(a), args.repeat)
        assert r1 == r2 == r3, (n, r1, r2, r3)
        for m, t in zip(methods, (t1, t2, t3)):
            times[m].append(t)
        print(f"{n:>9}  " + "  ".join(f"{t * 1e3:>19.2f} ms" for t in (t1, t2, t3)))
    log_n = np.log(np.array(args.sizes, dtype=float))
    for m in methods:
        slope = np.polyfit(log_n, np.log(times[m]), 1)[0]
        print(f"growth exponent b (t ~ n^b), {m}: {slope:.2f}")


if __name__ == "__main__":
    main()
