"""Every formula is rendered at build time by the KaTeX whose CSS and fonts the site serves:
the pages hold finished math (with MathML for assistive tools), the search index holds the TeX,
a malformed formula fails the build, and the versions stay pinned together."""

from __future__ import annotations

import json
import re
import pytest

from checks.site.browser import ROOT
from hooks import katex

# pykatex release -> the KaTeX version compiled into it (the string "0.16.22" in its binary)
PYKATEX_EMBEDS = {"0.1.1": "0.16.22"}


ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">(.{0,40})')


def test_every_formula_in_the_built_site_is_rendered(site):
    count, raw = 0, []
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert "katex-error" not in text, page
        for tag, start in ARITHMATEX.findall(text):
            count += 1
            if not start.startswith('<span class="katex' + ("-display" if tag == "div" else "")):
                raw.append(f"{page.relative_to(site)}: {start}")
    assert raw == []
    assert count > 1000  # the exemplar alone has more than a hundred


def test_the_search_index_holds_the_tex_not_katex_markup(site):
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    text = "".join(doc["text"] + doc["title"] for doc in index["docs"])
    for markup in ("katex", "<math", "<semantics", "mathnormal"):
        assert markup not in text, markup
    assert r"v_\pi = r_\pi + \gamma P_\pi v_\pi" in text  # the TeX of eq-bellman-matrix


def test_a_rendered_formula_carries_mathml_with_its_tex():
    page, errors = katex.render_page('<p><span class="arithmatex">\\(a &lt; b\\)</span></p>')
    assert errors == []
    assert '<span class="arithmatex"><span class="katex"><span class="katex-mathml"><math' in page
    assert '<annotation encoding="application/x-tex">a &lt; b</annotation>' in page


def test_a_formula_katex_rejects_is_reported_and_shown_as_an_error():
    page, errors = katex.render_page('<div class="arithmatex">\\[\\frac{1}{\\]</div>', "x.md")
    assert len(errors) == 1 and errors[0].startswith("KaTeX cannot render a formula in x.md")
    assert page == '<div class="arithmatex"><span class="katex-error">\\frac{1}{</span></div>'


@pytest.mark.parametrize("tex", [r"\frac{1}{", r"\undefinedmacro x", "状态",
                                 r"\mathbb{1}[t = n]"])  # accepted by KaTeX, but no glyph
def test_katex_rejects_malformed_tex(tex):
    assert katex.check(tex, True) is not None


def test_formulas_are_found_in_arithmatex_output():
    html = ('<p><span class="arithmatex">\\(a &lt; b\\)</span></p>'
            '<div class="arithmatex">\\[\nx^2\n\\]</div>')
    assert list(katex.formulas(html)) == [(False, "a < b"), (True, "x^2")]


def test_npm_katex_is_pinned_to_the_version_pykatex_embeds():
    package = json.loads((ROOT / "package.json").read_text())
    pykatex_version = re.search(r'"pykatex==([\d.]+)"', (ROOT / "pyproject.toml").read_text())[1]
    assert package["dependencies"]["katex"] == PYKATEX_EMBEDS[pykatex_version]
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/katex"]["version"] == package["dependencies"]["katex"]
