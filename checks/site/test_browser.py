"""The built site in real headless Chromium: pages load cleanly, math is typeset, figures show,
nothing is fetched from another host, dark mode works, and search finds Chinese and English.

Skips without /usr/bin/chromium unless REQUIRE_BROWSER=1 (CI sets it: then it fails instead).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from checks.site.browser import ROOT

pytestmark = pytest.mark.browser

# Every page of the site (the offline plugin turns x.md into x.html), and the generated index.
PAGES = sorted(p.relative_to(ROOT / "docs").with_suffix(".html").as_posix()
               for p in (ROOT / "docs").rglob("*.md") if "_data" not in p.parts) + ["formulas.html"]
TYPESET = "document.querySelectorAll('.arithmatex:not([data-katex=done])').length === 0"


def open_page(browser, url, **options):
    """Open url in a new page; collect console errors, page errors and every requested URL."""
    page = browser.new_page(**options)
    seen = {"errors": [], "requests": []}
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.goto(url, wait_until="networkidle")
    return page, seen


class Tab:
    """One page, reused for every page check of this worker (a new page per check and
    Playwright's "networkidle", 500 ms of silence, cost 1-3 s a page).

    Every request is counted from its start to its end, so `settle` waits exactly until none
    is pending. The search index is answered with an empty one: the search worker would
    otherwise fetch and index the whole site on every page; it gets the real index's
    configuration with one document (searching the real index is checked below).
    """

    def __init__(self, browser, site: Path):
        index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
        small = {"config": index["config"], "docs": index["docs"][:1]}  # the real format
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.route("**/search/search_index.json", lambda route: route.fulfill(json=small))
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
        """Load url, wait for the math and the fonts, then until no request is pending."""
        self.errors.clear()
        self.requests.clear()
        self.page.goto(url, wait_until="load")
        self.page.wait_for_function(TYPESET, timeout=10_000)
        self.page.evaluate("document.fonts.ready.then(() => true)")
        for _ in range(200):  # at most 2 s; a request still open then fails the check
            if not self.pending:
                break
            self.page.wait_for_timeout(10)
        assert not self.pending, [r.url for r in self.pending]
        return self.page


@pytest.fixture(scope="session")
def tab(browser, site):
    tab = Tab(browser, site)
    yield tab
    tab.context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_typesets_math_and_stays_on_this_host(tab, site_url, path):
    page = tab.open(site_url + path)
    assert tab.errors == []
    hosts = {urlparse(u).netloc for u in tab.requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {urlparse(site_url).netloc}, hosts
    formulas = page.locator(".arithmatex").count()
    assert page.locator(".arithmatex .katex").count() == formulas
    assert page.locator(".katex-error").count() == 0
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
                           ".map(i => i.src)")
    assert broken == []
    # rule P4: at a 1280 px window every display formula fits its column (use `aligned`)
    too_wide = page.evaluate("[...document.querySelectorAll('div.arithmatex')]"
                             ".filter(e => e.scrollWidth > e.clientWidth + 1)"
                             ".map(e => e.querySelector('annotation').textContent.slice(0, 80))")
    assert too_wide == []
    # rule P8: snippet code (outside the collapsed checks) fits the column without scrolling
    wide_code = page.evaluate("[...document.querySelectorAll('.md-typeset pre > code')]"
                              ".filter(e => !e.closest('details'))"
                              ".filter(e => e.scrollWidth > e.clientWidth + 1)"
                              ".map(e => e.textContent.split('\\n').find(l => l.length > 88))")
    assert wide_code == []


def test_exemplar_shows_math_code_checks_and_figures(tab, site_url):
    page = tab.open(site_url + "rl-basics/state-values.html")
    assert page.locator(".arithmatex").count() > 100
    assert page.locator("h3.key-eq").count() == 8
    code = page.locator("pre").all_inner_texts()
    assert any("def solve_bellman" in c for c in code)
    # the collapsed check blocks hold the check code
    assert page.locator("details.success").count() == 8
    checks = page.evaluate("[...document.querySelectorAll('details.success pre')].map(e => e.textContent)")
    assert any("def test_closed_form_reproduces_the_hand_computed_example" in c for c in checks)
    sizes = page.evaluate("[...document.images].map(i => i.naturalWidth)")
    assert len(sizes) == 2 and min(sizes) > 300


def test_dark_scheme_follows_the_system_preference(browser, site_url):
    page, seen = open_page(browser, site_url + "rl-basics/state-values.html", color_scheme="dark")
    page.wait_for_function(TYPESET, timeout=10_000)
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    r, g, b = (int(x) for x in background[background.index("(") + 1: -1].split(",")[:3])
    assert r + g + b < 200, background
    assert seen["errors"] == []
    page.close()


def search(page, query: str) -> list[str]:
    """Type query into the search box; return the result links' paths.

    CJK text typed by Playwright arrives as one input event without key events; a real
    keyboard (or IME) ends with a key release, which is what Material's search listens to,
    so the helper presses End after typing.
    """
    box = page.locator("input.md-search__input")
    box.fill("")
    box.type(query)
    box.press("End")
    page.wait_for_function(
        "(() => { const m = document.querySelector('.md-search-result__meta');"
        " return m && /\\d/.test(m.textContent) || (m && m.textContent.includes('没有')); })()",
        timeout=10_000)
    return page.evaluate("[...document.querySelectorAll('.md-search-result__item > a')]"
                         ".map(a => new URL(a.href).pathname)")


@pytest.fixture(scope="session")
def search_page(browser, site_url):
    """The home page with the real search index, shared by the queries of this worker."""
    page, seen = open_page(browser, site_url + "index.html")
    yield page
    assert seen["errors"] == []
    page.close()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("贝尔曼方程", "/rl-basics/state-values.html"),
        ("状态价值", "/rl-basics/state-values.html"),
        ("折扣因子", "/rl-basics/state-values.html"),
        ("权重衰减", "/glossary.html"),
        ("Bellman", "/rl-basics/state-values.html"),
        ("discounted return", "/rl-basics/state-values.html"),
    ],
)
def test_search_finds_chinese_and_english_terms(search_page, query, expected):
    results = search(search_page, query)
    assert expected in results, (query, results)


def test_site_works_from_the_file_system(browser, site):
    """The offline plugin: opened as file://, math is typeset and search works."""
    page, seen = open_page(browser, (site / "rl-basics" / "state-values.html").as_uri())
    page.wait_for_function(TYPESET, timeout=10_000)
    assert seen["errors"] == []
    assert page.locator(".katex-error").count() == 0
    assert any(p.endswith("/rl-basics/state-values.html") for p in search(page, "贝尔曼方程"))
    page.close()

