"""The strict build is clean, and it really fails on what it must catch."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from checks.site.browser import ROOT, build_site


def test_strict_build_is_clean(build):
    result, site = build
    # a page not committed yet has no git date; the plugin says so and uses the build date
    lines = [line for line in (result.stdout + result.stderr).splitlines()
             if "has no git logs, using current timestamp" not in line]
    output = "\n".join(lines)
    assert "WARNING" not in output and "ERROR" not in output, output
    assert (site / "index.html").is_file() and (site / "rl-basics" / "state-values.html").is_file()


KEEP = {"rl-basics/state-values.md"}  # the one article the throwaway copy keeps
LINK = re.compile(r"\[([^\]]*)\]\(([^)#\s]+\.md)(#[^)\s]*)?\)")


def minimal_copy(dest: Path) -> Path:
    """A small copy of the project for builds that must fail: every page but the articles,
    plus the exemplar, and the configuration without the plugins no failing case involves
    (UNUSED_PLUGINS), so that each failing build costs about a second however many articles
    the site has. Links, nav entries, glossary references and checks of the articles left
    out are removed, so that the copy itself builds cleanly (checked below: a broken copy
    warns of more than its breakages)."""
    for name in ("docs", "hooks", "snippets", "checks", "figures"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "package.json", dest / "package.json")
    (dest / "node_modules").symlink_to(ROOT / "node_modules")
    docs = dest / "docs"
    dropped = {p.relative_to(docs).as_posix() for p in docs.glob("*/*.md")
               if p.name != "index.md" and p.relative_to(docs).as_posix() not in KEEP}
    for rel in dropped:
        (docs / rel).unlink()
        section, article = rel[:-3].split("/")
        check = dest / "checks" / section.replace("-", "_") / f"test_{article.replace('-', '_')}.py"
        check.unlink(missing_ok=True)
    for md in docs.rglob("*.md"):  # links to dropped pages become plain text
        def unlink(m, md=md):
            target = (md.parent / m[2]).resolve().relative_to(docs.resolve()).as_posix()
            return m[1] if target in dropped else m[0]
        md.write_text(LINK.sub(unlink, md.read_text(encoding="utf-8")), encoding="utf-8")
    glossary = docs / "_data" / "glossary.yml"
    terms = yaml.safe_load(glossary.read_text(encoding="utf-8"))["terms"]
    for term in terms:
        if term.get("see", "").split("#")[0] in dropped:
            del term["see"]
    glossary.write_text(yaml.safe_dump({"terms": terms}, allow_unicode=True), encoding="utf-8")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = "\n".join(line for line in config.splitlines()
                       if line.strip().removeprefix("- ") not in dropped)
    for plugin in UNUSED_PLUGINS:
        config = without_plugin(config, plugin)
    (dest / "mkdocs.yml").write_text(config, encoding="utf-8")
    return dest


# No failing case involves search or the last-updated dates, and they cost half of each
# small build (jieba's dictionary, the index; a git repository for the dates).
UNUSED_PLUGINS = ("search", "git-revision-date-localized")


def without_plugin(config: str, name: str) -> str:
    """mkdocs.yml's text without one entry of its `plugins:` list (the entry's line and the
    lines indented under it)."""
    lines, out, skipping = config.splitlines(), [], False
    for line in lines:
        if line.startswith("  - "):
            skipping = line[4:].split(":")[0].strip() == name
        elif skipping and not line.startswith("      "):
            skipping = False
        if not skipping:
            out.append(line)
    if len(out) == len(lines):
        raise ValueError(f"mkdocs.yml has no plugin {name!r}")
    return "\n".join(out)


@pytest.fixture
def project_copy(tmp_path) -> Path:
    return minimal_copy(tmp_path)


def break_and_build(copy: Path, breakages: list[tuple[str, str]]) -> str:
    for path, text in breakages:
        with open(copy / path, "a", encoding="utf-8") as f:
            f.write(text)
    result = build_site(copy / "site", root=copy)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    return output


def test_strict_build_reports_every_warning_it_must(project_copy):
    """One build, three breakages reported as warnings: all three must be named, and every
    warning must come from one of them. That is the control: the copy itself has nothing
    the strict build warns about, so each failure below is the breakage's."""
    assert (project_copy / "docs" / "rl-basics" / "state-values.md").is_file()
    assert not (project_copy / "docs" / "rl-basics" / "policy-gradient.md").exists()
    output = break_and_build(project_copy, [
        ("docs/glossary.md", "\n$$\\frac{1}{$$\n"),  # malformed TeX
        ("docs/glossary.md", "\n[x](rl-basics/no-such-page.md)\n"),  # a broken link
        ("docs/rl-basics/state-values.md", "\n### 空的公式 { #eq-empty .key-eq }\n"),  # unchecked
    ])
    assert "KaTeX cannot render a formula in glossary.md" in output, output
    assert "no-such-page.md" in output, output
    assert "#eq-empty: no check is marked" in output, output
    warnings = [line for line in output.splitlines() if line.startswith("WARNING")]
    causes = ("KaTeX cannot render a formula in glossary.md", "no-such-page.md", "#eq-empty:")
    assert warnings and all(any(c in w for c in causes) for w in warnings), output


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
