"""Time softmax attention against linear attention (elu + 1) and FAVOR+ on CPU, for growing n.

Usage (from the project root, in the project's venv):
    python benchmarks/attention_complexity.py [--quick] [--lengths 64 128 ... 16384]
        [--repeat 5] [--d 64] [--m 128] [--threads 1] [--mem-cap-gib 4]

One head, float32, queries, keys and values of shape (n, d) drawn from N(0, 1) (seed 0).
Three kernels, written here in plain torch and checked against the page's snippet functions
on a small float64 input before anything is timed:
  - softmax: softmax(QKᵀ/√d) V, which forms the n×n score matrix;
  - linear (elu + 1): φ(Q)(φ(K)ᵀV) / φ(Q)(φ(K)ᵀ1), with φ(x) = elu(x) + 1 (r = d features);
  - FAVOR+: the same associative form with Performer's positive random features
    φ(x) = exp(ωx − ‖x‖²/2)/√m of x/d^(1/4), m features, ω ~ N(0, I) (seed 1).

Time: the CPU time of this process (time.process_time), best of `repeat` calls, with torch
on `threads` threads (1 by default: with one thread CPU time is the kernel's own work, and
other processes on a shared machine disturb it less than wall time). Wall time is recorded
too.

Memory, two numbers per call, neither of them the process's resident set:
  - analytic: the bytes of the tensors the formula itself must hold at once at its peak
    (softmax: the scores and the probabilities, 2·n²·4 bytes; linear: φ(Q), φ(K), φ(K)ᵀV,
    z, the numerator, the normaliser and the output, 4·(2nr + r·d_v + r + 2n·d_v + n)
    bytes), leaving out the short-lived temporaries of elementwise operations (elu then
    + 1, the exponent of the random features), which the measured number includes;
  - measured: the peak of the bytes that torch's CPU allocator holds for the call's own
    tensors, from torch.profiler's allocation and free records (profile_memory=True),
    replayed in time order; the inputs, allocated before, are not counted.
Softmax is skipped at a length where its analytic peak exceeds --mem-cap-gib.

It prints the table, the fitted growth exponent b of t ~ n^b (least squares of log t on
log n over the lengths n >= 1024, where fixed per-call costs no longer dominate), the
measured crossover length (where linear attention becomes faster than softmax, log-log
interpolated between the measured lengths) beside the crossover of the multiply-add
counts, and writes benchmarks/results/attention_complexity.json. A benchmark, not a test:
a slow machine fails nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from snippets.attention.linear_attention import (  # noqa: E402
    elu_feature_map,
    linear_attention,
    linear_attention_macs,
    macs_crossover,
    softmax_attention,
    softmax_attention_macs,
)
from snippets.attention.performer import positive_random_features  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "attention_complexity.json"
FIT_FROM = 1024  # lengths used for the growth exponents


# ---- the timed kernels (plain torch, one head, shapes (n, d)) -------------------------------
def softmax_kernel(q, k, v):
    return torch.softmax(q @ k.T * q.shape[-1] ** -0.5, dim=-1) @ v


def linear_kernel(q, k, v, phi):
    fq, fk = phi(q), phi(k)                            # (n, r)
    return (fq @ (fk.T @ v)) / (fq @ fk.sum(0)).unsqueeze(-1)


def elu1(x):
    return torch.nn.functional.elu(x) + 1


def favor_phi(omega):
    m, d = omega.shape

    def phi(x):
        x = x * d**-0.25                               # exp(qᵀk/√d) = exp(q'ᵀk') for x' = x/d^¼
        return torch.exp(x @ omega.T - 0.5 * (x * x).sum(-1, keepdim=True)) / math.sqrt(m)

    return phi


def check_kernels(d: int, m: int) -> None:
    """The kernels agree with the snippet functions (linear attention with elu+1, and with
    Performer's positive random features of d^{-1/4}-scaled inputs) on a small input."""
    g = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(12, d, generator=g, dtype=torch.float64) for _ in range(3))
    omega = torch.randn(m, d, generator=g, dtype=torch.float64)
    assert torch.allclose(softmax_kernel(q, k, v), softmax_attention(q, k, v), atol=1e-10)
    assert torch.allclose(linear_kernel(q, k, v, elu1),
                          linear_attention(q, k, v, elu_feature_map), atol=1e-10)

    def performer_phi(x):
        return torch.from_numpy(positive_random_features(x.numpy() * d**-0.25, omega.numpy()))

    assert torch.allclose(favor_phi(omega)(q), performer_phi(q), rtol=1e-10, atol=0)
    assert torch.allclose(linear_kernel(q, k, v, favor_phi(omega)),
                          linear_attention(q, k, v, performer_phi), atol=1e-10)


def analytic_peak_bytes(method: str, n: int, d: int, r: int) -> int:
    if method == "softmax":
        return 2 * n * n * 4
    return 4 * (2 * n * r + r * d + r + 2 * n * d + n)


def measured_peak_bytes(run) -> int:
    """Peak of live bytes allocated by torch's CPU allocator during run(), from the profiler."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        run()
    changes = []
    for e in prof.events():
        if e.name == "[memory]":                        # a free: negative bytes
            changes.append((e.time_range.start, e.cpu_memory_usage))
        elif e.self_cpu_memory_usage > 0:               # an op's own allocation
            changes.append((e.time_range.start, e.self_cpu_memory_usage))
    live = peak = 0
    for _, b in sorted(changes, key=lambda c: c[0]):
        live += b
        peak = max(peak, live)
    return peak


def macs(method: str, n: int, d: int, r: int) -> int:
    """Multiply-adds of one call; FAVOR+ adds its features ωx of q and k, 2·n·m·d."""
    if method == "softmax":
        return softmax_attention_macs(n, d, d)
    extra = 2 * n * r * d if method == "FAVOR+" else 0
    return linear_attention_macs(n, r, d) + extra


def favor_crossover(d: int, m: int) -> int:
    """Smallest n with n(2md + m + 2md) < n²(2d): FAVOR+ cheaper than softmax in MACs."""
    return m * (4 * d + 1) // (2 * d) + 1


def best_times(run, repeat: int):
    cpu, wall = [], []
    for _ in range(repeat):
        t0, w0 = time.process_time(), time.perf_counter()
        run()
        cpu.append(time.process_time() - t0)
        wall.append(time.perf_counter() - w0)
    return min(cpu), min(wall)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def slope(ns, ts) -> float | None:
    pts = [(n, t) for n, t in zip(ns, ts) if n >= FIT_FROM and t is not None]
    if len(pts) < 2:
        return None
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0])


def crossover(ns, t_soft, t_lin):
    """First measured n where linear is faster, log-log interpolated with the previous n."""
    prev = None
    for n, a, b in zip(ns, t_soft, t_lin):
        if a is None:
            break
        if b < a:
            if prev is None:
                return None, f"< {n}"
            (n0, a0, b0) = prev
            g0, g1 = math.log(b0 / a0), math.log(b / a)   # log(linear/softmax), sign change
            x = math.log(n0) + (math.log(n) - math.log(n0)) * g0 / (g0 - g1)
            return float(math.exp(x)), f"{math.exp(x):.0f}"
        prev = (n, a, b)
    return None, "not reached"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="few lengths (64 to 8192) and 2 repeats; the JSON is marked "
                             "preliminary")
    parser.add_argument("--lengths", type=int, nargs="+")
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--m", type=int, default=128, help="FAVOR+ random features")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mem-cap-gib", type=float, default=4.0)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    lengths = args.lengths or ([2**p for p in range(6, 14)] if args.quick
                               else [2**p for p in range(6, 15)])
    repeat = args.repeat or (2 if args.quick else 5)
    torch.set_num_threads(args.threads)
    d, m = args.d, args.m
    check_kernels(d, m)

    machine = {"cpu": cpu_name(), "cores": os.cpu_count(), "torch": torch.__version__,
               "threads": torch.get_num_threads(), "python": platform.python_version(),
               "platform": platform.platform(),
               "load_average": [round(x, 2) for x in os.getloadavg()]}
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, torch {machine['torch']}, "
          f"{machine['threads']} thread(s), load average {machine['load_average']}")
    print(f"d = d_v = {d}, elu + 1: r = {d}, FAVOR+: m = {m}; best of {repeat}, CPU time")

    g = torch.Generator().manual_seed(0)
    omega = torch.randn(m, d, generator=torch.Generator().manual_seed(1))
    methods = {
        "softmax": (softmax_kernel, d),
        "linear (elu+1)": (lambda q, k, v: linear_kernel(q, k, v, elu1), d),
        "FAVOR+": (lambda q, k, v: linear_kernel(q, k, v, favor_phi(omega)), m),
    }
    rows = {name: {"cpu_s": [], "wall_s": [], "peak_bytes_measured": [],
                   "peak_bytes_analytic": [], "r": r} for name, (_, r) in methods.items()}
    cap = args.mem_cap_gib * 2**30
    print(f"{'n':>6} " + " ".join(f"{name:>16}" for name in methods) + "   (ms; peak MiB)")
    for n in lengths:
        q, k, v = (torch.randn(n, d, generator=g) for _ in range(3))
        cells = []
        for name, (kernel, r) in methods.items():
            row = rows[name]
            analytic = analytic_peak_bytes(name, n, d, r)
            if name == "softmax" and analytic > cap:
                for key in ("cpu_s", "wall_s", "peak_bytes_measured"):
                    row[key].append(None)
                row["peak_bytes_analytic"].append(analytic)
                cells.append(f"{'skipped':>16}")
                continue
            run = lambda: kernel(q, k, v)  # noqa: E731
            run()                                       # warm-up
            cpu_s, wall_s = best_times(run, repeat)
            peak = measured_peak_bytes(run)
            row["cpu_s"].append(cpu_s)
            row["wall_s"].append(wall_s)
            row["peak_bytes_measured"].append(peak)
            row["peak_bytes_analytic"].append(analytic)
            cells.append(f"{cpu_s * 1e3:>8.2f}; {peak / 2**20:>6.1f}")
        print(f"{n:>6} " + " ".join(cells))

    fits = {name: slope(lengths, row["cpu_s"]) for name, row in rows.items()}
    for name, b in fits.items():
        shown = "n/a" if b is None else f"{b:.2f}"
        print(f"growth exponent b (t ~ n^b, n >= {FIT_FROM}), {name}: {shown}")
    mem_fits = {}
    for name, row in rows.items():
        mem_fits[name] = slope(lengths, row["peak_bytes_measured"])
        shown = "n/a" if mem_fits[name] is None else f"{mem_fits[name]:.2f}"
        print(f"growth exponent of the measured peak memory, {name}: {shown}")
    cross = {}
    for name in ("linear (elu+1)", "FAVOR+"):
        value, text = crossover(lengths, rows["softmax"]["cpu_s"], rows[name]["cpu_s"])
        r = rows[name]["r"]
        by_macs = macs_crossover(d, d, r) if name != "FAVOR+" else favor_crossover(d, m)
        cross[name] = {"measured": value, "measured_text": text, "multiply_adds": by_macs}
        print(f"crossover {name} vs softmax: measured n ≈ {text}; "
              f"by multiply-adds n >= {by_macs}")

    out = {
        "what": "softmax vs linear attention (elu+1) vs FAVOR+, one head, float32, CPU",
        "command": "python benchmarks/attention_complexity.py" + (" --quick" if args.quick
                                                                   else ""),
        "preliminary": bool(args.quick),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine,
        "settings": {"d": d, "d_v": d, "m": m, "repeat": repeat, "dtype": "float32",
                     "time": "process CPU time, best of repeat", "fit_from": FIT_FROM,
                     "mem_cap_gib": args.mem_cap_gib},
        "lengths": lengths,
        "methods": {name: {**row,
                           "macs": [macs(name, n, d, row["r"]) for n in lengths],
                           "time_exponent": fits[name], "memory_exponent": mem_fits[name]}
                    for name, row in rows.items()},
        "crossover": cross,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
