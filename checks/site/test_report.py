"""`pytest checks/` as a reader runs it: `--formula` runs one key equation's checks, a failure
names its equation and address, and the run ends with a report by key equation.

Each check here starts pytest in a subprocess (a few seconds each), so they belong to the site
layer (`--site`)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from checks.site.browser import ROOT

pytestmark = pytest.mark.site

# A plugin that breaks one formula the way a mutant would: the closed form of the Bellman
# equation solved with gamma squared.
BREAK = '''
import snippets.rl_basics.state_values as sv
solve = sv.solve_bellman
sv.solve_bellman = lambda r_pi, P_pi, gamma: solve(r_pi, P_pi, gamma ** 2)
'''


def run(*args: str, plugin_dir=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if plugin_dir is not None:
        env["PYTHONPATH"] = f"{plugin_dir}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return subprocess.run([sys.executable, "-m", "pytest", "checks/", "-p", "no:cacheprovider",
                           "-p", "no:xdist", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env)


def test_formula_runs_exactly_one_equations_checks_and_reports_it():
    result = run("--formula", "llm-rl/grpo#eq-group-advantage", "-q")
    assert result.returncode == 0, result.stdout
    out = result.stdout
    assert "3 passed" in out and " deselected" in out
    assert "llm-rl/grpo: 1 key equations, 3 checks, all passed" in out
    assert "eq-group-advantage" in out and "结果监督的优势" in out
    assert "1 of 1 key equations passed all their checks" in out


def test_an_unknown_formula_is_a_usage_error_naming_the_closest():
    result = run("--formula", "eq-group-advantag")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "the closest: llm-rl/grpo#eq-group-advantage" in result.stderr


def test_a_failing_check_names_its_equation_and_its_address(tmp_path):
    (tmp_path / "break_closed_form.py").write_text(BREAK, encoding="utf-8")
    result = run("--formula", "rl-basics/state-values#eq-closed-form", "-p", "break_closed_form",
                 plugin_dir=tmp_path)
    out = result.stdout
    assert result.returncode == 1, out
    # pytest's own report of the failure carries the equation's title and address ...
    assert "- key equation -" in out and "闭式解" in out
    assert "rl-basics/state-values.html#eq-closed-form" in out
    assert "rerun: pytest checks/ --formula rl-basics/state-values#eq-closed-form" in out
    # ... and so does the report by key equation
    assert "FAIL eq-closed-form" in out
    assert "0 of 1 key equations passed all their checks; 1 failed" in out
