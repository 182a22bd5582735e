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


@pytest.mark.parametrize(
    "breakage, expected",
    [
        # malformed TeX: the page and the formula are named
        (("docs/glossary.md", "\n$$\\frac{1}{$$\n"), "KaTeX cannot render a formula in glossary.md"),
        # an included snippet section that does not exist
        (("docs/glossary.md", '\n```py\n--8<-- "snippets/rl_basics/missing.py:nothing"\n```\n'), "missing.py"),
        # an included section that the (existing) file does not have
        (("docs/glossary.md", '\n```py\n--8<-- "snippets/rl_basics/state_values.py:nope"\n```\n'),
         "Snippet section 'nope' could not be located"),
        # a link to a page that does not exist
        (("docs/glossary.md", "\n[x](rl-basics/no-such-page.md)\n"), "no-such-page.md"),
        # a key equation without check, code or formula
        (("docs/rl-basics/state-values.md", "\n### 空的公式 { #eq-empty .key-eq }\n"),
         "#eq-empty: no check is marked"),
    ],
    ids=["malformed-tex", "missing-snippet", "missing-section", "broken-link",
         "unchecked-key-equation"],
)
def test_strict_build_fails_on(project_copy, breakage, expected):
    path, text = breakage
    with open(project_copy / path, "a", encoding="utf-8") as f:
        f.write(text)
    result = build_site(project_copy / "site", root=project_copy)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert expected in output, output
