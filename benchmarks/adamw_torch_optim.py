"""Time what the torch reference of math-optim/adamw costs, apart from the checks themselves.

Usage (from the project root, in the project's venv):
    python benchmarks/adamw_torch_optim.py

Prints, in one fresh interpreter: `import torch`; creating the first torch.optim optimizer
(it imports torch's compiler stack, torch._dynamo); creating a second one; the module-scoped
fixture `torch_reference` of checks/math_optim/test_adamw.py (eight torch runs of 300 steps);
and the same 300 steps with the snippet's adamw_step. The fixture pays the first-optimizer
cost once per pytest session, so no single check carries it.
This is a benchmark, not a test: a slow machine fails nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    t0 = time.perf_counter()
    import torch

    torch.set_num_threads(1)
    t1 = time.perf_counter()
    torch.optim.Adam([torch.zeros(1, dtype=torch.float64)])
    t2 = time.perf_counter()
    torch.optim.AdamW([torch.zeros(1, dtype=torch.float64)])
    t3 = time.perf_counter()
    import checks.math_optim.test_adamw as checks

    t4 = time.perf_counter()
    checks.torch_reference.__wrapped__()
    t5 = time.perf_counter()
    from snippets.math_optim.adamw import adamw_step

    t6 = time.perf_counter()
    checks.numpy_run(adamw_step, lr=checks.LR, weight_decay=checks.WD)
    t7 = time.perf_counter()
    rows = [("import torch", t1 - t0), ("first torch.optim optimizer", t2 - t1),
            ("second optimizer", t3 - t2), ("fixture torch_reference (8 runs x 300 steps)", t5 - t4),
            ("adamw_step, 300 steps (NumPy)", t7 - t6)]
    for name, seconds in rows:
        print(f"{name:48s} {seconds:8.3f} s")


if __name__ == "__main__":
    main()
