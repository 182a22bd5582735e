"""The strict build is clean, and it really fails on what it must catch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checks.site.browser import ROOT, build_site


def test_strict_build_is_clean(build):
    result, site = build
    # a page not committed yet has no git date; the plugin says so and uses the build date
    lines = [line for line in (result.stdout + result.stderr).splitlines()
             if "has no git logs, using current timestamp" not in line]
    output = "\n".join(lines)
    assert "WARNING" not in output and "ERROR" not in output, output
    assert (site / "index.html").is_file() and (site / "rl-basics" / "state-values.html").is_file()


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A throwaway copy of what the build reads, to break on purpose."""
    for name in ("docs", "hooks", "snippets", "checks", "figures"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("mkdocs.yml", "package.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    return tmp_path


def break_and_build(copy: Path, breakages: list[tuple[str, str]]) -> str:
    for path, text in breakages:
        with open(copy / path, "a", encoding="utf-8") as f:
            f.write(text)
    result = build_site(copy / "site", root=copy)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    return output


def test_strict_build_reports_every_warning_it_must(project_copy):
    """One build, three breakages reported as warnings: all three must be named."""
    output = break_and_build(project_copy, [
        ("docs/glossary.md", "\n$$\\frac{1}{$$\n"),  # malformed TeX
        ("docs/glossary.md", "\n[x](rl-basics/no-such-page.md)\n"),  # a broken link
        ("docs/rl-basics/state-values.md", "\n### 空的公式 { #eq-empty .key-eq }\n"),  # unchecked
    ])
    assert "KaTeX cannot render a formula in glossary.md" in output, output
    assert "no-such-page.md" in output, output
    assert "#eq-empty: no check is marked" in output, output


@pytest.mark.parametrize(
    "include, expected",
    [
        ("snippets/rl_basics/missing.py:nothing", "missing.py"),
        ("snippets/rl_basics/state_values.py:nope", "Snippet section 'nope' could not be located"),
    ],
    ids=["missing-snippet-file", "missing-snippet-section"],
)
def test_strict_build_fails_on_a_missing_include(project_copy, include, expected):
    output = break_and_build(project_copy, [("docs/glossary.md", f'\n```py\n--8<-- "{include}"\n```\n')])
    assert expected in output, output
