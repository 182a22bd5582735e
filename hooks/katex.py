"""Parse every formula at build time with the same KaTeX version the browser runs.

pymdownx.arithmatex (generic mode) leaves each formula as
  <span class="arithmatex">\\( … \\)</span>   or   <div class="arithmatex">\\[ … \\]</div>.
Each one is rendered here by pykatex (KaTeX 0.16.22 embedded, no node, no network) with the
options docs/assets/javascripts/katex-render.js uses in the browser. A formula KaTeX rejects is
reported with its page and text; under `strict: true` the build then fails.
"""

from __future__ import annotations

import html
import logging
import re

import pykatex

log = logging.getLogger("mkdocs.hooks.katex")

FORMULA = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<body>.*?)</(?P=tag)>', re.DOTALL
)
DELIMITERS = {"span": (r"\(", r"\)"), "div": (r"\[", r"\]")}

# KaTeX options shared with the browser (katex-render.js): errors are errors, and a formula
# must not rely on KaTeX's lenient handling of, e.g., Unicode text in math mode.
OPTIONS = dict(throwOnError=True, strict=pykatex.STRICT_ERROR)


def formulas(html_text: str):
    """Yield (display_mode, tex) for every arithmatex formula in a rendered page."""
    for match in FORMULA.finditer(html_text):
        tag = match["tag"]
        body = html.unescape(match["body"]).strip()
        left, right = DELIMITERS[tag]
        if body.startswith(left) and body.endswith(right):
            body = body[len(left): -len(right)].strip()
        yield tag == "div", body


def check(tex: str, display: bool) -> str | None:
    """None when KaTeX accepts the formula, else KaTeX's message."""
    try:
        pykatex.renderToString(tex, displayMode=display, **OPTIONS)
    except pykatex.ParseError as error:
        return str(error)
    return None


def on_page_content(html_text: str, page, config, files):
    for display, tex in formulas(html_text):
        error = check(tex, display)
        if error is not None:
            log.warning(f"KaTeX cannot render a formula in {page.file.src_uri}: {error}\n    {tex}")
    return html_text
