"""Mutation gate: run mutmut over snippets/, print the score per module and every survivor.

Usage (from the project root, in the project's venv):  python .ci/mutation_gate.py
Options: --skip-run  report on the results of the last `mutmut run` without running it again;
         --module snippets/rl_basics/state_values.py  mutate and report only that module
         (repeatable; the gate then applies to those modules alone).

A mutant is on a *formula line* unless the line it changes only validates input (an `if` that
raises, a `raise`, or a call of a `check_*` helper). The gate fails (exit 1) when
  - fewer than MIN_SCORE of all mutants are killed, or
  - any mutant on a formula line survives.
Equivalent mutants are excluded in the source with `# pragma: no mutate` and a reason.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

MIN_SCORE = 0.85
ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3}  # mutmut: pytest failed (or hit an internal error) = the checks noticed
# Exit codes that are neither killed nor survived count against the score too (timeouts,
# "no tests" for a mutant no check calls, suspicious): they are listed with the survivors.


def validation_lines(source: str) -> set[int]:
    """Line numbers that only validate input: `if ...: raise`, `raise`, `x = check_*(...)`."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and all(isinstance(b, ast.Raise) for b in node.body):
            lines.update(range(node.lineno, node.end_lineno + 1))
        elif isinstance(node, ast.Raise):
            lines.update(range(node.lineno, node.end_lineno + 1))
        elif isinstance(node, (ast.Assign, ast.Return, ast.Expr)) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if re.match(r"_?check_", name):
                lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def changed_line(diff: str) -> str:
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    return removed[0].strip() if removed else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-run", action="store_true", help="report on the last run only")
    parser.add_argument("--module", action="append", default=[],
                        help="a snippet module to mutate and report on alone (repeatable)")
    args = parser.parse_args()
    modules = [Path(m).as_posix() for m in args.module]
    for module in modules:
        if not module.startswith("snippets/") or not Path(ROOT, module).is_file():
            parser.error(f"--module {module}: not a file under snippets/")
    os.chdir(ROOT)
    if not args.skip_run:
        # a fresh run: mutmut reuses old results for unchanged functions even when checks changed
        shutil.rmtree("mutants", ignore_errors=True)
        # mutmut's progress spinner is long; keep only its final lines
        # mutant names are dotted module paths: snippets.rl_basics.state_values.x_…
        patterns = [m.removesuffix(".py").replace("/", ".") + ".*" for m in modules]
        run = subprocess.run([sys.executable, "-m", "mutmut", "run", *patterns],
                             capture_output=True, text=True)
        tail = (run.stdout + run.stderr).replace("\r", "\n").strip().splitlines()[-3:]
        print("\n".join(tail))
        if run.returncode != 0:
            print(f"mutmut run failed with exit code {run.returncode}", file=sys.stderr)
            return 1

    sys.path.insert(0, str(ROOT))
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # noqa: E402 (mutmut internals, pinned <3.9)

    per_module: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    survivors: list[tuple[str, str, bool, str]] = []
    metas = sorted(Path("mutants/snippets").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results under mutants/snippets: run without --skip-run", file=sys.stderr)
        return 1
    for meta in metas:
        source_path = Path(str(meta.relative_to("mutants"))[: -len(".meta")])
        if modules and source_path.as_posix() not in modules:
            continue
        source = source_path.read_text(encoding="utf-8")
        guard = validation_lines(source)
        source_lines = source.splitlines()
        results = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in sorted(results.items()):
            if code is None and modules:
                continue  # not selected for this run
            module = str(source_path)
            per_module[module][1] += 1
            if code in KILLED:
                per_module[module][0] += 1
                continue
            diff = get_diff_for_mutant(name, path=source_path)
            line = changed_line(diff)
            numbers = [i + 1 for i, text in enumerate(source_lines) if text.strip() == line]
            on_formula = not numbers or not all(n in guard for n in numbers)
            status = "survived" if code == 0 else f"exit code {code}"
            survivors.append((name, status, on_formula, diff))

    total_killed = sum(k for k, _ in per_module.values())
    total = sum(n for _, n in per_module.values())
    print(f"\n{'module':48} {'killed':>7} {'total':>6} {'score':>7}")
    for module, (killed, n) in sorted(per_module.items()):
        print(f"{module:48} {killed:7d} {n:6d} {killed / n:7.1%}")
    score = total_killed / total if total else 1.0
    print(f"{'all snippets':48} {total_killed:7d} {total:6d} {score:7.1%}   (gate {MIN_SCORE:.0%})")

    formula_survivors = [s for s in survivors if s[2]]
    if survivors:
        print(f"\n{len(survivors)} surviving mutants ({len(formula_survivors)} on formula lines):")
        for name, status, on_formula, diff in survivors:
            where = "FORMULA LINE" if on_formula else "validation"
            print(f"\n# {name}: {status}, {where}")
            print("\n".join(line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")))

    failed = False
    if score < MIN_SCORE:
        print(f"\nFAIL: mutation score {score:.1%} is below the gate of {MIN_SCORE:.0%}")
        failed = True
    if formula_survivors:
        print(f"\nFAIL: {len(formula_survivors)} mutants survive on formula lines: strengthen the checks,"
              " or mark a truly equivalent mutant `# pragma: no mutate` with the reason")
        failed = True
    if not failed:
        print("\nmutation gate passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
