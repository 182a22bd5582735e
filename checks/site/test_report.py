"""`pytest checks/` as a reader runs it: `--formula` runs one key equation's checks, a failure
names its equation and address, and the run ends with a report by key equation.

These checks start pytest in a subprocess, so they belong to the site layer (`--site`). One run
is the real command with two equations, one of which is broken on purpose (it collects only
the check files of their two pages, and deselects the other checks there); a second run, which
stops before collecting, shows the usage error.
"""

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


def test_formula_runs_exactly_those_checks_and_a_failure_names_its_equation(tmp_path):
    (tmp_path / "break_closed_form.py").write_text(BREAK, encoding="utf-8")
    # two pages whose checks need no torch: the run starts in about a second
    result = run("--formula", "algorithms/maximum-gap#eq-bucket-width",
                 "--formula", "eq-closed-form",  # a bare id, unique on the site
                 "-p", "break_closed_form", plugin_dir=tmp_path)
    out = result.stdout
    assert result.returncode == 1, out
    # exactly the checks of the two equations ran: 2 of the one, 2 of the other
    assert "2 failed, 2 passed" in out and " deselected" in out, out[-2000:]
    # pytest's own report of the failure carries the equation's title and address ...
    assert "- key equation -" in out and "闭式解" in out
    assert "rl-basics/state-values.html#eq-closed-form" in out
    assert "rerun: pytest checks/ --formula rl-basics/state-values#eq-closed-form" in out
    # ... and the report by key equation lists both, the broken one with its address
    assert "algorithms/maximum-gap: 1 key equations, 2 checks, all passed" in out
    assert "ok   eq-bucket-width" in out and "桶宽" in out
    assert "rl-basics/state-values: 1 key equations, 2 checks, 1 failed" in out
    assert "FAIL eq-closed-form" in out
    assert "1 of 2 key equations passed all their checks; 1 failed" in out


def test_an_unknown_formula_is_a_usage_error_naming_the_closest():
    result = run("--formula", "eq-group-advantag")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "the closest: llm-rl/grpo#eq-group-advantage" in result.stderr
