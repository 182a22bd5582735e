"""Render every formula to HTML at build time, with the KaTeX version whose CSS the site serves.

pymdownx.arithmatex (generic mode) leaves each formula as
  <span class="arithmatex">\\( … \\)</span>   or   <div class="arithmatex">\\[ … \\]</div>.
In `on_post_page`, after the search plugin has read the page (it indexes the TeX source in
`on_page_context`), each one is rendered by pykatex (KaTeX 0.16.22 embedded, no node, no
network) into KaTeX's HTML plus MathML (the MathML carries the TeX as an annotation and is what
screen readers read). The browser then only needs KaTeX's CSS and fonts: no script typesets
anything. A formula KaTeX rejects is reported with its page and text and left as TeX in a
`katex-error` span; under `strict: true` the build then fails.
"""

from __future__ import annotations

import functools
import html
import logging
import re

import pykatex

log = logging.getLogger("mkdocs.hooks.katex")

FORMULA = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<body>.*?)</(?P=tag)>', re.DOTALL
)
DELIMITERS = {"span": (r"\(", r"\)"), "div": (r"\[", r"\]")}

# Errors are errors, and a formula must not rely on KaTeX's lenient handling of, e.g., Unicode
# text in math mode. HTML for the eye, MathML (with the TeX as annotation) for assistive tools.
OPTIONS = dict(throwOnError=True, strict=pykatex.STRICT_ERROR, output=pykatex.OUTPUT_HTML_AND_MATHML)


def tex_of(tag: str, body: str) -> str:
    """The TeX inside one arithmatex element's body (HTML-escaped, with its delimiters)."""
    body = html.unescape(body).strip()
    left, right = DELIMITERS[tag]
    if body.startswith(left) and body.endswith(right):
        body = body[len(left): -len(right)].strip()
    return body


def formulas(html_text: str):
    """Yield (display_mode, tex) for every arithmatex formula in a page not yet rendered."""
    for match in FORMULA.finditer(html_text):
        yield match["tag"] == "div", tex_of(match["tag"], match["body"])


# KaTeX accepts these but its fonts have no glyph for them, so the reader sees a plain
# character: its double-struck alphabet is the capitals and k (\\mathbb{1} shows as "1";
# write an indicator as \\mathbb{I}).
NO_GLYPH = re.compile(r"\\mathbb\s*(?:\{\s*)?(?P<char>[^A-Zk\s{}\\])")


class Unrenderable(ValueError):
    """A formula KaTeX accepts but renders wrongly (NO_GLYPH)."""


@functools.lru_cache(maxsize=None)
def render(tex: str, display: bool) -> str:
    """KaTeX's HTML+MathML for one formula; raises pykatex.ParseError when KaTeX rejects it,
    Unrenderable when KaTeX would show a character without its glyph.
    Cached: the same inline formulas (\\(\\pi\\), \\(\\gamma\\)…) recur on every page."""
    missing = NO_GLYPH.search(tex)
    if missing:
        raise Unrenderable(f"KaTeX has no double-struck glyph for {missing['char']!r} "
                           "(its \\mathbb has the capitals and k; an indicator is \\mathbb{I})")
    return pykatex.renderToString(tex, displayMode=display, **OPTIONS)


def check(tex: str, display: bool) -> str | None:
    """None when KaTeX accepts the formula, else KaTeX's message."""
    try:
        render(tex, display)
    except (pykatex.ParseError, Unrenderable) as error:
        return str(error)
    return None


def render_page(html_text: str, where: str = "a page") -> tuple[str, list[str]]:
    """The page with every formula rendered, and KaTeX's message for each one it rejects."""
    errors: list[str] = []

    def replace(match: re.Match) -> str:
        tag, display = match["tag"], match["tag"] == "div"
        tex = tex_of(tag, match["body"])
        try:
            rendered = render(tex, display)
        except (pykatex.ParseError, Unrenderable) as error:
            errors.append(f"KaTeX cannot render a formula in {where}: {error}\n    {tex}")
            rendered = f'<span class="katex-error">{html.escape(tex)}</span>'
        return f'<{tag} class="arithmatex">{rendered}</{tag}>'

    return FORMULA.sub(replace, html_text), errors


def on_post_page(output: str, page, config) -> str:
    output, errors = render_page(output, page.file.src_uri)
    for error in errors:
        log.warning(error)
    return output
