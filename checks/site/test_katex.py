"""Every formula parses with the KaTeX the browser runs, and the versions stay pinned together."""

from __future__ import annotations

import json
import re
import pytest

from checks.site.browser import ROOT
from hooks import katex

# pykatex release -> the KaTeX version compiled into it (the string "0.16.22" in its binary)
PYKATEX_EMBEDS = {"0.1.1": "0.16.22"}


def test_every_formula_in_the_built_site_renders(site):
    count, errors = 0, []
    for page in sorted(site.rglob("*.html")):
        for display, tex in katex.formulas(page.read_text(encoding="utf-8")):
            count += 1
            error = katex.check(tex, display)
            if error:
                errors.append(f"{page.relative_to(site)}: {error}")
    assert errors == []
    assert count > 100  # the exemplar alone has more than a hundred


@pytest.mark.parametrize("tex", [r"\frac{1}{", r"\undefinedmacro x", "状态"])
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
