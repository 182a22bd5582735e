"""The key-equation registry is complete, and its parser sees what it must."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from hooks import registry


@pytest.fixture(scope="module")
def collected():
    """The site's registry (key equations and problems), read once for this module's checks:
    it parses every page and every check file."""
    return registry.collect()


@pytest.fixture(scope="module")
def built_pages(site, collected):
    """page -> its built HTML, read once."""
    return {page: (site / f"{page}.html").read_text(encoding="utf-8")
            for page in {eq.page for eq in collected[0]}}


def test_every_key_equation_is_checked_and_every_marker_has_an_equation(collected):
    equations, problems = collected
    assert not problems, "\n".join(problems)
    assert equations, "no key equation found on any page"


def test_every_snippet_module_backs_a_page_with_key_equations(collected):
    equations, _ = collected
    pages = {eq.page for eq in equations}
    for module in sorted((registry.ROOT / "snippets").glob("*/*.py")):
        if module.name == "__init__.py" or module.name == "grid_world.py":
            continue  # grid_world.py is the shared model of rl-basics, checked on its own
        section, article = module.parent.name.replace("_", "-"), module.stem.replace("_", "-")
        assert f"{section}/{article}" in pages, f"{module} has no page with key equations"


def test_the_formula_index_lists_every_key_equation(site, collected):
    equations, _ = collected
    index = (site / "formulas.html").read_text(encoding="utf-8")
    for eq in equations:
        assert f'href="{eq.page}.html#{eq.id}"' in index, eq.id
        for check in eq.checks:
            assert check.split("::")[1] in index


def test_anchors_exist_on_the_built_pages(collected, built_pages):
    equations, _ = collected
    for eq in equations:
        html = built_pages[eq.page]
        assert f'id="{eq.id}"' in html, eq.id


def write(tmp: Path, rel: str, text: str) -> None:
    path = tmp / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_parser_reports_orphans_and_gaps(tmp_path):
    docs, checks = tmp_path / "docs", tmp_path / "checks"
    write(tmp_path, "docs/sec/art.md", '''
        # Art
        ### Checked { #eq-a .key-eq }
        $$ a $$
        ```py
        --8<-- "snippets/sec/art.py:a"
        ```
        ```py
        --8<-- "checks/sec/test_art.py:t"
        ```
        ### Unchecked { #eq-b .key-eq }
        text only
        ```md
        ### Not a heading inside a fence { #eq-c .key-eq }
        ```
    ''')
    write(tmp_path, "checks/sec/test_art.py", '''
        import pytest
        @pytest.mark.formula("eq-a")
        def test_a(): pass
        @pytest.mark.formula("eq-zzz")
        def test_orphan(): pass
    ''')
    write(tmp_path, "checks/other/test_nopage.py", '''
        import pytest
        @pytest.mark.formula("eq-a")
        def test_elsewhere(): pass
    ''')
    equations, problems = registry.collect(docs, checks)
    assert [(e.id, e.checks) for e in equations] == [
        ("eq-a", ["checks/sec/test_art.py::test_a"]), ("eq-b", [])]
    text = "\n".join(problems)
    assert "test_orphan marks formula 'eq-zzz'" in text
    assert "test_elsewhere marks formula 'eq-a'" in text  # scoped to its own page
    assert "#eq-b: no check is marked" in text
    assert "#eq-b: no display formula" in text
    assert "#eq-b: no code included from snippets/sec/art.py" in text
    assert "#eq-b: no check included" in text
    assert "#eq-a" not in text
    assert "eq-c" not in text


def test_key_equation_heading_needs_one_eq_id(tmp_path):
    write(tmp_path, "docs/sec/art.md", "### Bad { #not-eq .key-eq }\n")
    (tmp_path / "checks").mkdir()
    _, problems = registry.collect(tmp_path / "docs", tmp_path / "checks")
    assert problems == ["docs/sec/art.md:1: a .key-eq heading needs one #eq-… id"]


def test_resolve_takes_page_and_id_or_a_unique_bare_id(collected):
    equations, _ = collected
    assert registry.resolve("llm-rl/grpo#eq-group-advantage", equations).key == \
        "llm-rl/grpo#eq-group-advantage"
    assert registry.resolve("llm-rl/grpo.html#eq-group-advantage", equations).page == "llm-rl/grpo"
    assert registry.resolve("eq-group-advantage", equations).page == "llm-rl/grpo"


def test_resolve_rejects_unknown_and_ambiguous_names_with_the_closest(collected):
    equations, _ = collected
    with pytest.raises(LookupError, match=r"no key equation .*closest: llm-rl/grpo#eq-group-adv"):
        registry.resolve("eq-group-advantag", equations)
    with pytest.raises(LookupError, match=r"closest: llm-rl/grpo#eq-group-advantage"):
        registry.resolve("grpo#eq-group-advantage", equations)
    twice = [registry.KeyEquation("a/b", "eq-x", "X", 1), registry.KeyEquation("c/d", "eq-x", "X", 1)]
    with pytest.raises(LookupError, match=r"eq-x is on 2 pages; name one: a/b#eq-x, c/d#eq-x"):
        registry.resolve("eq-x", twice)


def test_each_key_equation_shows_its_command_and_the_index_its_number_of_checks(
        site, collected, built_pages):
    equations, _ = collected
    index = (site / "formulas.html").read_text(encoding="utf-8")
    for eq in equations:
        html = built_pages[eq.page]
        block = html[html.index(f'id="{eq.id}"'):]
        command = f"<code>pytest checks/ --formula {eq.page}#{eq.id}</code>"
        # in the equation's own check block: before the next heading
        assert command in block[:re.search(r"<h[1-6][\s>]", block[1:]).start() + 1], eq.key
        row = index[index.index(f'href="{eq.page}.html#{eq.id}"'):].split("</tr>")[0]
        assert f"<td>{len(eq.checks)}</td>" in row, eq.key
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    pages = {f"{eq.page}.html" for eq in equations}
    indexed = [d for d in docs if d["location"].split("#")[0] in pages]
    assert indexed and not [d for d in indexed if "--formula" in d["text"]]  # added after indexing


def test_check_code_is_on_its_page_but_not_in_the_search_index(site, built_pages):
    """The collapsed check blocks hold their code (in the template checks.js opens), which
    the search index leaves out; the snippet code is searched."""
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    text = "".join(d["text"] for d in docs)
    assert '@pytest.mark.formula("eq-' not in text and "def test_" not in text
    assert "def solve_bellman" in text  # rl-basics/state-values' snippet
    empty = [p for p, html in built_pages.items() if '<template class="lazy-check"></template>' in html]
    assert empty == []
    exemplar = built_pages["rl-basics/state-values"]
    assert exemplar.count('<template class="lazy-check">') == 8
    templates = "".join(part.split("</template>")[0]
                        for part in exemplar.split('<template class="lazy-check">')[1:])
    assert "test_closed_form_reproduces_the_hand_computed_example" in templates
