"""The key-equation registry: pages declare key equations, checks declare what they verify.

A key equation is a heading with an `eq-` anchor and the class `key-eq`:

    ### 贝尔曼方程（矩阵形式） { #eq-bellman-matrix .key-eq }

followed (before the next heading) by its display formula, its code included from a snippet
module with `--8<-- "snippets/<section_>/<article_>.py:<function>"` (the article's own, or,
for an equation another article implements and this one recaps, that article's: one home
per formula), and the check included from the article's check module. A check declares what it verifies with
`@pytest.mark.formula("eq-bellman-matrix")` in checks/<section_>/test_<article_>.py, scoped
to the page docs/<section>/<article>.md.

This module is both a mkdocs hook (it generates the page formulas.md and warns, which fails a
strict build, when a key equation lacks its formula, code or check) and the library that the
registry check (checks/site/test_registry.py) uses. One parser, two users.
"""

from __future__ import annotations

import ast
import html
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHECKS = ROOT / "checks"
INDEX_URI = "formulas.md"

log = logging.getLogger("mkdocs.hooks.registry")

HEADING = re.compile(r"^(?P<level>#{2,6})\s+(?P<title>.+?)\s*\{(?P<attrs>[^}]*)\}\s*$")
ANY_HEADING = re.compile(r"^#{1,6}\s")
INCLUDE = re.compile(r'--8<--\s+"(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"')
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass
class KeyEquation:
    page: str  # "rl-basics/state-values"
    id: str  # "eq-bellman-matrix"
    title: str
    line: int
    page_title: str = ""
    has_math: bool = False
    snippets: list[str] = field(default_factory=list)  # "snippets/...py:function"
    check_includes: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # "checks/...py::test_name"

    @property
    def anchor(self) -> str:
        return f"{self.page}.md#{self.id}"

    @property
    def address(self) -> str:
        """Where the equation is on the built site: llm-rl/grpo.html#eq-group-advantage."""
        return f"{self.page}.html#{self.id}"

    @property
    def key(self) -> str:
        """The name `pytest checks/ --formula` takes: llm-rl/grpo#eq-group-advantage."""
        return f"{self.page}#{self.id}"


def page_of_check_file(path: Path, checks: Path = CHECKS) -> str | None:
    """checks/rl_basics/test_state_values.py -> rl-basics/state-values."""
    rel = path.relative_to(checks)
    if len(rel.parts) != 2 or not rel.name.startswith("test_"):
        return None
    section = rel.parts[0].replace("_", "-")
    return f"{section}/{rel.stem.removeprefix('test_').replace('_', '-')}"


def snippet_module_of_page(page: str) -> str:
    section, article = page.split("/")
    return f"snippets/{section.replace('-', '_')}/{article.replace('-', '_')}.py"


def parse_page(page: str, text: str) -> list[KeyEquation]:
    """The key equations of one page, with what follows each heading up to the next one."""
    equations: list[KeyEquation] = []
    current: KeyEquation | None = None
    in_fence = False
    page_title = next((l[2:].strip() for l in text.splitlines() if l.startswith("# ")), page)
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and ANY_HEADING.match(line):
            current = None
            match = HEADING.match(line)
            if match:
                attrs = match["attrs"].split()
                ids = [a[1:] for a in attrs if a.startswith("#")]
                if ".key-eq" in attrs:
                    if len(ids) != 1 or not ids[0].startswith("eq-"):
                        raise ValueError(f"docs/{page}.md:{number}: a .key-eq heading needs one #eq-… id")
                    current = KeyEquation(page, ids[0], match["title"], number, page_title)
                    equations.append(current)
            continue
        if current is None:
            continue
        if line.strip().startswith("$$") or line.strip().startswith(r"\["):
            current.has_math = True
        for inc in INCLUDE.finditer(line):
            target = f"{inc['path']}:{inc['section']}" if inc["section"] else inc["path"]
            if inc["path"].startswith("snippets/"):
                current.snippets.append(target)
            elif inc["path"].startswith("checks/"):
                current.check_includes.append(target)
    return equations


def formula_markers(path: Path) -> list[tuple[str, str]]:
    """(equation id, test name) for every @pytest.mark.formula("…") in one check file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for deco in node.decorator_list:
            if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)
                    and deco.func.attr == "formula" and ast.unparse(deco.func.value) == "pytest.mark"):
                args = [a.value for a in deco.args if isinstance(a, ast.Constant)]
                if len(args) != 1 or len(deco.args) != 1 or not isinstance(args[0], str):
                    raise ValueError(f"{path}:{deco.lineno}: formula() takes one string, the equation id")
                found.append((args[0], node.name))
    return found


def read_pages(docs: Path = DOCS) -> tuple[list[KeyEquation], list[str]]:
    """The key equations the pages show (without their checks: the check files are not read),
    and the headings that could not be parsed."""
    equations: list[KeyEquation] = []
    problems: list[str] = []
    for md in sorted(docs.rglob("*.md")):
        page = md.relative_to(docs).with_suffix("").as_posix()
        try:
            equations += parse_page(page, md.read_text(encoding="utf-8"))
        except ValueError as error:
            problems.append(str(error))
    return equations, problems


def collect(docs: Path = DOCS, checks: Path = CHECKS) -> tuple[list[KeyEquation], list[str]]:
    """All key equations with their checks, and the problems that make the registry incomplete."""
    equations, problems = read_pages(docs)
    by_key = {(eq.page, eq.id): eq for eq in equations}
    seen: set[tuple[str, str]] = set()
    for eq in equations:
        if (eq.page, eq.id) in seen:
            problems.append(f"docs/{eq.page}.md:{eq.line}: key equation #{eq.id} appears twice")
        seen.add((eq.page, eq.id))
    for path in sorted(checks.rglob("test_*.py")):
        page = page_of_check_file(path, checks)
        rel = path.relative_to(checks.parent).as_posix()
        for eq_id, test in formula_markers(path):
            eq = by_key.get((page, eq_id)) if page else None
            if eq is None:
                problems.append(f"{rel}::{test} marks formula {eq_id!r}, which no key equation on "
                                f"docs/{page}.md shows (orphan marker)")
            else:
                eq.checks.append(f"{rel}::{test}")
    for eq in equations:
        where = f"docs/{eq.page}.md:{eq.line} #{eq.id}"
        if not eq.checks:
            problems.append(f"{where}: no check is marked @pytest.mark.formula({eq.id!r})")
        problems += page_problems(eq, where)
    return equations, problems


def page_problems(eq: KeyEquation, where: str) -> list[str]:
    """What the page itself must show under a key equation (also reported by the build)."""
    problems = []
    if not eq.has_math:
        problems.append(f"{where}: no display formula ($$ … $$) under the heading")
    if not any(":" in s for s in eq.snippets):
        module = snippet_module_of_page(eq.page)
        problems.append(f"{where}: no code included from {module}:<function> "
                        "(or from the module of the article it recaps)")
    if not eq.check_includes:
        problems.append(f"{where}: no check included from checks/…")
    return problems


def command(key: str) -> str:
    """The command that runs exactly the checks of one key equation."""
    return f"pytest checks/ --formula {key}"


def resolve(query: str, equations: list[KeyEquation]) -> KeyEquation:
    """The key equation that `--formula QUERY` names: `page#eq-id` (`llm-rl/grpo#eq-…`, also
    with `.html` or `.md` after the page), or a bare `eq-id` where only one page has it.
    Raises LookupError, listing the closest names, for an unknown or ambiguous one."""
    import difflib

    page, _, eq_id = query.strip().rpartition("#")
    for suffix in (".html", ".md"):
        page = page.removesuffix(suffix)
    if page:
        found = [e for e in equations if e.page == page and e.id == eq_id]
    else:
        found = [e for e in equations if e.id == eq_id]
    if len(found) == 1:
        return found[0]
    if found:
        raise LookupError(f"--formula {query}: {eq_id} is on {len(found)} pages; name one: "
                          + ", ".join(e.key for e in found))
    names = [e.key for e in equations]
    close = difflib.get_close_matches(f"{page}#{eq_id}" if page else eq_id,
                                      names if page else [e.id for e in equations], n=5, cutoff=0.4)
    if not page:
        close = [e.key for c in close for e in equations if e.id == c]
    hint = ("; the closest: " + ", ".join(close)) if close else ""
    raise LookupError(f"--formula {query}: no key equation has this name{hint}")


def index_markdown(equations: list[KeyEquation], section_titles: dict[str, str]) -> str:
    lines = [
        "# 关键公式索引",
        "",
        "本页由 `hooks/registry.py` 在构建时生成：每个关键公式都链接到它所在的页面位置，",
        "并列出实现它的代码（`snippets/`）与核对它的检查（`checks/`，以",
        '`@pytest.mark.formula("…")` 标记）。运行 `pytest checks/` 即可在本机重新核对全部公式，',
        "结束时按页面与公式列出每个公式的核对结果；`pytest checks/ --formula <页面>#<公式>` 只运行一个公式的核对",
        "（例如 `pytest checks/ --formula rl-basics/state-values#eq-bellman-matrix`）。",
        "",
        f"共 {len(equations)} 个关键公式，"
        f"{sum(len(e.checks) for e in equations)} 个核对。",
    ]
    for section, title in section_titles.items():
        in_section = [e for e in equations if e.page.startswith(section + "/")]
        if not in_section:
            continue
        lines += ["", f"## {title}", "",
                  "| 公式 | 页面 | 代码 | 核对数 | 核对 |", "|---|---|---|---|---|"]
        for eq in in_section:
            code = "<br>".join(f"`{s.split(':')[1]}`" for s in eq.snippets if ":" in s)
            checks = "<br>".join(f"`{c.split('::')[1]}`" for c in eq.checks)
            lines.append(f"| [{eq.title}]({eq.anchor}) | [{eq.page_title}]({eq.page}.md) | {code} "
                         f"| {len(eq.checks)} | {checks} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- mkdocs hook


def on_files(files, config):
    from mkdocs.structure.files import File

    equations, problems = collect(Path(config.docs_dir), CHECKS)
    for problem in problems:
        log.warning(f"key-equation registry: {problem}")
    catalogue = yaml.load((Path(config.docs_dir) / "_data" / "catalogue.yml").read_text("utf-8"),
                          Loader=yaml.CSafeLoader)
    titles = {s["id"]: s["title"] for s in catalogue["sections"]}
    files.append(File.generated(config, INDEX_URI, content=index_markdown(equations, titles)))
    return files


KEY_HEADING = re.compile(r'<h3 class="key-eq" id="(?P<id>eq-[\w-]+)">')
CHECK_SUMMARY = re.compile(r'<details class="success">\s*<summary>.*?</summary>', re.DOTALL)
NEXT_HEADING = re.compile(r"<h[1-6][\s>]")


def with_commands(html_text: str, page: str) -> str:
    """Each key equation's first collapsed check block, opened, starts with the command that
    runs that equation's checks (`pytest checks/ --formula page#eq-id`)."""
    out, last = [], 0
    for heading in KEY_HEADING.finditer(html_text):
        start = heading.end()
        following = NEXT_HEADING.search(html_text, start)
        end = following.start() if following else len(html_text)
        summary = CHECK_SUMMARY.search(html_text, start, end)
        if summary is None:
            continue
        text = html.escape(command(f"{page}#{heading['id']}"))
        out += [html_text[last:summary.end()],
                f'\n<p class="formula-command">在本机只运行这个公式的核对：<code>{text}</code></p>']
        last = summary.end()
    return "".join(out) + html_text[last:]


CHECK_BLOCK = re.compile(
    r'(?P<head><details class="success">\s*<summary>.*?</summary>'
    r'(?:\s*<p class="formula-command">.*?</p>)?)(?P<body>.*?)(?P<end></details>)', re.DOTALL)
EMPTY_TEMPLATE = re.compile(r'<template class="lazy-check"></template>')


def take_out_checks(html_text: str) -> tuple[str, list[str]]:
    """Each collapsed check block with its code taken out, leaving an empty <template>, and
    the code taken out, in order. Done before the search plugin reads the page: the check
    code is not searched (a reader searches the page's text and its snippet code), and left
    in, it was half of the code the index and the build's HTML parsing went through."""
    bodies: list[str] = []

    def take(m: re.Match) -> str:
        if "<details" in m["body"] or "<template" in m["body"]:
            return m[0]  # a nested block: leave it as it is
        bodies.append(m["body"])
        return f'{m["head"]}<template class="lazy-check"></template>{m["end"]}'
    return CHECK_BLOCK.sub(take, html_text), bodies


def put_back_checks(html_text: str, bodies: list[str]) -> str:
    """The code of each collapsed check block back, in the <template> that keeps it out of
    the page until the block is opened (docs/assets/javascripts/checks.js puts it in place
    then). A long page holds dozens of check blocks; parsed, styled and mounted by the theme
    they cost half of its load time. Their summary and command stay in the page."""
    parts = EMPTY_TEMPLATE.split(html_text)
    if len(parts) != len(bodies) + 1:
        raise ValueError(f"{len(parts) - 1} empty check templates for {len(bodies)} check blocks")
    out = [parts[0]]
    for body, rest in zip(bodies, parts[1:]):
        out += [f'<template class="lazy-check">{body}</template>', rest]
    return "".join(out)


def on_page_content(html_text: str, page, config, files) -> str:
    html_text, page.check_bodies = take_out_checks(html_text)
    return html_text


@event_priority(50)  # before hooks/katex.py renders the math, some of which is in the checks
def on_post_page(output: str, page, config) -> str:
    # after the search plugin has read the page: the command is not indexed either
    output = with_commands(output, page.file.src_uri.removesuffix(".md"))
    return put_back_checks(output, getattr(page, "check_bodies", []))
