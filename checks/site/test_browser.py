"""The built site in real headless Chromium: pages load cleanly with their math already rendered
(no script typesets anything), figures show, nothing is fetched from another host, anchors and
the table of contents land on their headings, printing shows everything, dark mode works, and
search works from the file system (the query set is checked in test_search.py).

Skips without /usr/bin/chromium unless REQUIRE_BROWSER=1 (CI sets it: then it fails instead).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import urlparse
from xml.etree import ElementTree

import pytest

from checks.site.browser import ROOT, small_search_index

pytestmark = pytest.mark.browser

# Every page of the site (the offline plugin turns x.md into x.html), and the generated index.
PAGES = sorted(p.relative_to(ROOT / "docs").with_suffix(".html").as_posix()
               for p in (ROOT / "docs").rglob("*.md") if "_data" not in p.parts) + ["formulas.html"]
# Math is rendered at build time: a formula reaches the browser as KaTeX's HTML, never as TeX.
RAW_TEX = ("[...document.querySelectorAll('.arithmatex')]"
           ".filter(e => !e.querySelector(':scope > .katex, :scope > .katex-display'))"
           ".map(e => e.textContent.slice(0, 80))")


def open_page(browser, url, site: Path | None = None, **options):
    """Open url in a page of a new context (with the small search index when site is given);
    collect console errors, page errors and every requested URL. Close it with
    `page.context.close()`."""
    context = browser.new_context(**options)
    if site is not None:
        small_search_index(context, site)
    page = context.new_page()
    seen = {"errors": [], "requests": []}
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.goto(url, wait_until="load")
    return page, seen


class Tab:
    """One page, reused for every page check of this worker (a new page per check and
    Playwright's "networkidle", 500 ms of silence, cost 1-3 s a page).

    Every request is counted from its start to its end, so `settle` waits exactly until none
    is pending. With scripts on, the search index is the small one (`small_search_index`).
    With scripts off (`scripts=False`) the page is what its HTML and CSS make of it.
    """

    def __init__(self, browser, site: Path, scripts: bool = True):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           java_script_enabled=scripts)
        if scripts:
            small_search_index(self.context, site)
        self.page = self.context.new_page()
        self.pending: set = set()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.context.on("request", self._started)
        self.context.on("requestfinished", self._ended)
        self.context.on("requestfailed", self._ended)

    def _started(self, request):
        self.requests.append(request.url)
        self.pending.add(request)

    def _ended(self, request):
        self.pending.discard(request)

    def open(self, url: str):
        """Load url, wait for the fonts, then until no request is pending."""
        self.errors.clear()
        self.requests.clear()
        self.page.goto(url, wait_until="load")
        self.page.evaluate("document.fonts.ready.then(() => true)")
        for _ in range(200):  # at most 2 s; a request still open then fails the check
            if not self.pending:
                break
            self.page.wait_for_timeout(10)
        assert not self.pending, [r.url for r in self.pending]
        return self.page

    def hosts(self) -> set[str]:
        return {urlparse(u).netloc for u in self.requests if not u.startswith(("data:", "blob:"))}


@pytest.fixture(scope="session")
def tab(browser, site):
    tab = Tab(browser, site)
    yield tab
    tab.context.close()


# ------------------------------------------------------- what every page shows, and its widths
# What a page shows without scripts is its HTML and CSS: the math is rendered at build time,
# the figures are files, and every stylesheet and script is the same on every page (checked
# below). So the content of every page is checked in its HTML (cheap), and only what needs a
# layout, the widths of rules P4 and P8, in Chromium, on the blocks that hold display math or
# code, laid out in the article column of one page (a page load per page cost most of the
# site layer's time).
ARITHMATEX = re.compile(r'<(div|span) class="arithmatex">(.{0,48})', re.DOTALL)
RENDERED = {"span": '<span class="katex', "div": '<span class="katex-display"><span class="katex'}
IMG_SRC = re.compile(r'<img\b[^>]*\bsrc="([^"]+)"')


def content_problems(site: Path, path: str) -> list[str]:
    """What a page's HTML would show wrong: a formula not rendered by KaTeX (it would reach
    the reader as TeX), a KaTeX error, a figure that is not there or is not an image."""
    html = (site / path).read_text(encoding="utf-8")
    problems = [f"raw TeX: {rest!r}" for kind, rest in ARITHMATEX.findall(html)
                if not rest.startswith(RENDERED[kind])]
    problems += ["KaTeX error"] * html.count("katex-error")
    for src in IMG_SRC.findall(html):
        if src.startswith("data:"):
            continue
        target = (site / path).parent / src.split("#")[0]
        if not target.is_file():
            problems.append(f"missing figure {src}")
        elif target.suffix == ".svg":
            try:
                root = ElementTree.parse(target).getroot()
            except ElementTree.ParseError as error:
                problems.append(f"figure {src} is not an SVG: {error}")
                continue
            if not (root.tag.endswith("svg") and (root.get("viewBox") or root.get("width"))):
                problems.append(f"figure {src} has no size")
    return problems


@pytest.mark.parametrize("path", PAGES)
def test_page_shows_rendered_math_and_its_figures(site, path):
    assert content_problems(site, path) == []


def test_the_content_check_sees_raw_tex_and_a_missing_figure(site, tmp_path):
    """The control: what a build without the KaTeX hook, or with a figure left out, would
    give is reported; a real page passes."""
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "bad.svg").write_text("not svg", encoding="utf-8")
    (tmp_path / "page.html").write_text(
        '<div class="arithmatex">\\[ v = r + \\gamma P v \\]</div>'
        '<span class="arithmatex"><span class="katex">ok</span></span>'
        '<span class="katex-error">x</span><img src="img/gone.svg"><img src="img/bad.svg">',
        encoding="utf-8")
    found = content_problems(tmp_path, "page.html")
    assert len(found) == 4 and found[0].startswith("raw TeX") and "KaTeX error" in found
    assert "missing figure img/gone.svg" in found
    assert any(f.startswith("figure img/bad.svg is not an SVG") for f in found)
    assert content_problems(site, "rl-basics/state-values.html") == []


# The widths. The top-level blocks of a page that hold a display formula, or code outside the
# collapsed checks, are parsed from its HTML (no page load, no figures) and laid out in the
# article column of one page, every block rendered (content-visibility off), one page's blocks
# at a time; a too-wide formula or line is reported with its page.
MEASURE = r"""async ([paths, extra]) => {
  const inner = document.querySelector('.md-content__inner');
  const style = document.createElement('style');
  style.textContent = '.md-content__inner > * { content-visibility: visible !important }';
  document.head.append(style);
  const found = {};
  for (const path of paths) {
    const html = await (await fetch(path)).text();
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const blocks = [...doc.querySelectorAll('.md-content__inner > *')].filter(b =>
      b.matches('div.arithmatex') || b.querySelector('div.arithmatex') ||
      [...b.querySelectorAll('pre > code')].some(c => !c.closest('details')));
    blocks.forEach(b => b.querySelectorAll('img').forEach(i => i.remove()));
    inner.replaceChildren(...blocks.map(b => document.adoptNode(b)));
    if (extra[path]) inner.insertAdjacentHTML('beforeend', extra[path]);
    const formulas = [...inner.querySelectorAll('div.arithmatex')]
      .filter(e => e.scrollWidth > e.clientWidth + 1)
      .map(e => e.querySelector('annotation').textContent.slice(0, 80));
    const code = [...inner.querySelectorAll('pre > code')]
      .filter(e => !e.closest('details'))
      .filter(e => e.scrollWidth > e.clientWidth + 1)
      .map(e => e.textContent.split('\n').find(l => l.length > 88));
    if (formulas.length || code.length) found[path] = {formulas, code};
  }
  return found;
}"""
# The column the blocks are laid out in: an article's, with the navigation and the contents
# beside it (a page that hides them has a wider column, so this is the stricter test).
COLUMN_PAGE = "rl-basics/state-values.html"
SHARDS = 3  # the pages in a few groups, which xdist shares between its workers


@pytest.fixture(scope="session")
def static_tab(browser, site):
    tab = Tab(browser, site, scripts=False)
    yield tab
    tab.context.close()


def too_wide(static_tab, site_url, paths, extra=None) -> dict:
    page = static_tab.open(site_url + COLUMN_PAGE)
    return page.evaluate(MEASURE, [paths, extra or {}])


@pytest.mark.long(2)
@pytest.mark.parametrize("shard", range(SHARDS))
def test_formulas_and_code_fit_the_column(static_tab, site_url, shard):
    """Rules P4 and P8: at a 1280 px window every display formula, and the snippet code
    outside the collapsed checks, fits the text column (use `aligned`; at most 88 characters
    a line)."""
    assert too_wide(static_tab, site_url, PAGES[shard::SHARDS]) == {}


def test_the_width_check_sees_a_formula_and_a_line_too_wide(static_tab, site_url):
    """The control: a formula wider than the column and a code line of 100 characters, put
    after the last block of a page, are reported; without them the page fits."""
    from hooks import katex

    tex = " + ".join(f"x_{{{i}}}" for i in range(120))
    line = "x = " + "1 + " * 24
    wide = (f'<div class="arithmatex">{katex.render(tex, True)}</div>'
            f'<div class="highlight"><pre><code>{line}\nshort</code></pre></div>')
    page = COLUMN_PAGE
    assert too_wide(static_tab, site_url, [page]) == {}
    assert too_wide(static_tab, site_url, [page], {page: wide}) == {
        page: {"formulas": [tex[:80]], "code": [line]}}


def scripts_of(html: str) -> list[str]:
    return re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)


def stylesheets_of(html: str) -> list[str]:
    return re.findall(r'<link[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"', html)


def test_every_page_loads_the_same_scripts_and_stylesheets(site):
    """What lets a few pages stand for all: every page runs the same script files (the
    theme's, anchors.js, checks.js; never KaTeX's) and the same stylesheets, so a page can
    differ from another only in its content, which the checks above see on every page."""
    assets = {}
    for page in sorted(site.rglob("*.html")):
        if page.name == "404.html":
            continue
        rel = page.relative_to(site)
        html = page.read_text(encoding="utf-8")
        scripts, sheets = ([posixpath.normpath(posixpath.join(posixpath.dirname(rel.as_posix()), u))
                            for u in urls] for urls in (scripts_of(html), stylesheets_of(html)))
        assets.setdefault((tuple(scripts), tuple(sheets)), []).append(rel.as_posix())
    assert len(assets) == 1, {k: v[:3] for k, v in assets.items()}
    ((scripts, sheets),) = assets
    assert any("bundle" in p for p in scripts) and not any("katex" in p for p in scripts), scripts
    assert any(p.endswith("katex.min.css") for p in sheets) and "assets/stylesheets/extra.css" in sheets


def heaviest_articles(n: int) -> list[str]:
    articles = [p for p in (ROOT / "docs").glob("*/*.md") if p.name != "index.md"]
    articles.sort(key=lambda p: p.stat().st_size, reverse=True)
    return [p.relative_to(ROOT / "docs").with_suffix(".html").as_posix() for p in articles[:n]]


# One page of each kind (home, section, glossary, the formula index, the exemplar) and the
# heaviest article, with scripts on: they run without an error and fetch only from this host.
SCRIPTED = sorted({"index.html", "rl-basics/index.html", "glossary.html", "formulas.html",
                   "rl-basics/state-values.html", *heaviest_articles(1)})


@pytest.mark.parametrize("path", SCRIPTED)
def test_page_runs_its_scripts_cleanly_and_stays_on_this_host(tab, site_url, path):
    page = tab.open(site_url + path)
    assert tab.errors == []
    assert tab.hosts() == {urlparse(site_url).netloc}
    assert not [u for u in tab.requests if u.endswith(".js") and "katex" in u]
    assert page.evaluate(RAW_TEX) == []


def test_exemplar_shows_math_code_checks_and_figures(tab, site_url):
    page = tab.open(site_url + "rl-basics/state-values.html")
    assert page.locator(".arithmatex").count() > 100
    assert page.locator("h3.key-eq").count() == 8
    code = page.evaluate("[...document.querySelectorAll('pre')].map(e => e.textContent)")
    assert any("def solve_bellman" in c for c in code)
    # the collapsed check blocks hold the check code, which enters the page when a block
    # is opened (checks.js): none is in the page before, every one is after
    assert page.locator("details.success").count() == 8
    assert page.locator("details.success pre").count() == 0
    page.evaluate("document.querySelectorAll('details.success').forEach(d => { d.open = true; })")
    page.wait_for_function("document.querySelectorAll('details.success template').length === 0")
    checks = page.evaluate("[...document.querySelectorAll('details.success pre')].map(e => e.textContent)")
    assert len(checks) == 8
    assert any("def test_closed_form_reproduces_the_hand_computed_example" in c for c in checks)
    sizes = page.evaluate("Promise.all([...document.images].map(i => i.decode()"
                          ".then(() => i.naturalWidth)))")
    assert len(sizes) == 2 and min(sizes) > 300


def test_dark_scheme_follows_the_system_preference(browser, site, site_url):
    page, seen = open_page(browser, site_url + "rl-basics/state-values.html", site,
                           color_scheme="dark")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    r, g, b = (int(x) for x in background[background.index("(") + 1: -1].split(",")[:3])
    assert r + g + b < 200, background
    assert seen["errors"] == []
    page.context.close()


META = "document.querySelector('.md-search-result__meta').textContent.trim()"
READY = "键入以开始搜索"  # Material's placeholder, shown once the worker has built the index


def search(page, query: str) -> list[str]:
    """Type query into the search box; return the result links' paths, in order.

    Waits for the index to be ready (Material replaces "正在初始化搜索引擎" by its placeholder),
    clears the box and waits for the placeholder again, so that the results read are those of
    this query and not of the previous one. The query is entered as one input event and ends
    with a key release, which is what Material's search listens to (a real keyboard or IME
    ends with one too; Playwright types CJK text without key events).
    """
    box = page.locator("input.md-search__input")
    box.focus()
    page.wait_for_function(f"{META} === {READY!r}", timeout=10_000)
    box.fill(query)
    box.press("End")
    page.wait_for_function(f"(() => {{ const m = {META}; return m !== {READY!r} && "
                           f"(/\\d/.test(m) || m.includes('没有')); }})()", timeout=10_000)
    results = page.evaluate("[...document.querySelectorAll('.md-search-result__item > a')]"
                            ".map(a => new URL(a.href).pathname)")
    box.fill("")
    box.press("End")
    return results


@pytest.mark.long(2)
def test_site_works_from_the_file_system(browser, site):
    """The offline plugin: opened as file://, math is typeset and search works."""
    page, seen = open_page(browser, (site / "rl-basics" / "state-values.html").as_uri())
    assert seen["errors"] == []
    assert page.evaluate(RAW_TEX) == [] and page.locator(".katex").count() > 100
    assert any(p.endswith("/rl-basics/state-values.html") for p in search(page, "贝尔曼方程"))
    page.context.close()



# ------------------------------------------------- anchors, table of contents and printing
# The heaviest page, where blocks outside the viewport skip rendering (extra.css): a jump must
# still put its heading exactly under the header, however much was never rendered above it.
LONG_PAGE = "rl-basics/value-function-approximation.html"
LANDING = """async (id) => {
    const el = document.getElementById(decodeURIComponent(id));
    for (let i = 0; i < 3; i++) await new Promise(r => requestAnimationFrame(r));
    await new Promise(r => setTimeout(r, 50));
    const want = parseFloat(getComputedStyle(el).scrollMarginTop) || 0;
    return Math.round((el.getBoundingClientRect().top - want) * 10) / 10;
}"""  # px; scrolling is by whole pixels, so a heading at y = 12345.6 lands within 1 px


def missed(offsets: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in offsets.items() if abs(v) >= 1}


def key_equation_ids(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('h3.key-eq')].map(h => h.id)")


@pytest.fixture(scope="module")
def long_page(browser, site, site_url):
    """The heaviest page, loaded once for the checks of anchors, contents and printing."""
    context = small_search_index(browser.new_context(viewport={"width": 1280, "height": 900}), site)
    page = context.new_page()
    page.goto(site_url + LONG_PAGE, wait_until="load")
    yield page
    context.close()


@pytest.mark.long(2)
def test_a_link_to_a_key_equation_lands_on_it_on_a_cold_load(browser, site, site_url):
    from hooks import registry

    page_name = LONG_PAGE.removesuffix(".html")
    text = (ROOT / "docs" / f"{page_name}.md").read_text(encoding="utf-8")
    last = registry.parse_page(page_name, text)[-1].id  # the farthest down
    context = small_search_index(browser.new_context(viewport={"width": 1280, "height": 900}), site)
    page = context.new_page()
    page.goto(f"{site_url}{LONG_PAGE}#{last}", wait_until="load")
    assert page.evaluate("window.scrollY") > 5000
    assert abs(page.evaluate(LANDING, last)) < 1
    context.close()


@pytest.mark.long(5)
def test_every_key_equation_anchor_lands_on_its_heading(long_page):
    page = long_page
    ids = key_equation_ids(page)
    assert len(ids) >= 10
    off = {}
    for ident in ids + ids[::-1][1:]:  # down the page, then back up
        page.evaluate("id => { location.hash = id; }", ident)
        off[ident] = max(off.get(ident, 0), page.evaluate(LANDING, ident), key=abs)
    assert missed(off) == {}


@pytest.mark.long(4)
def test_the_table_of_contents_lands_on_its_headings(long_page):
    page = long_page
    links = page.locator(".md-sidebar--secondary a.md-nav__link")
    targets = [href.split("#")[1] for href in links.evaluate_all("as => as.map(a => a.href)")]
    assert len(targets) >= 10
    off = {}
    bottom = page.evaluate("document.documentElement.scrollHeight - innerHeight")
    # every other entry, from the end of the page up, then a few down again
    for k in list(range(len(targets) - 1, -1, -2)) + list(range(1, len(targets), 7)):
        links.nth(k).click()
        landed = page.evaluate(LANDING, targets[k])
        # a heading near the end cannot reach the top: the page ends first
        if not (landed > 0 and page.evaluate("window.scrollY") >= bottom - 1):
            off[targets[k]] = max(off.get(targets[k], 0), landed, key=abs)
    assert len(off) >= 10 and missed(off) == {}


def test_printing_renders_every_block(long_page):
    page = long_page
    style = ("[...document.querySelectorAll('.md-content__inner > *')]"
             ".map(e => getComputedStyle(e).contentVisibility)")
    assert "auto" in page.evaluate(style)  # on screen, blocks far away skip rendering
    page.emulate_media(media="print")
    try:
        assert set(page.evaluate(style)) == {"visible"}
        # and the last formula of the page is laid out, with its real size
        height = page.evaluate("(() => { const k = [...document.querySelectorAll('.katex')];"
                               " return k[k.length - 1].getBoundingClientRect().height; })()")
        assert height > 5
    finally:
        page.emulate_media(media="screen")
