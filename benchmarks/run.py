"""Measure the budgets of DESIGN.md on this machine: `make benchmark` (or python benchmarks/run.py).

  1. the check suite's wall time (`pytest -n auto`, as `make check` runs it);
  2. the strict build's wall time (`mkdocs build --strict`, best of 3);
  3. the heaviest page: every byte a browser fetches for it, the search index excepted;
  4. the time KaTeX takes to typeset that page's math in headless Chromium (median of 5 loads;
     katex-render.js records it as the performance measure "katex-typeset");
  5. search latency: from the key release that ends a query to the first result on screen,
     after the index is loaded (median and worst over the queries below, each 3 times).

Prints a Markdown table to paste into benchmarks/README.md. Needs /usr/bin/chromium.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checks.site.browser import build_site, chromium, serve  # noqa: E402

QUERIES = ["贝尔曼方程", "状态价值", "折扣因子", "Bellman", "discounted return", "policy"]
RESULTS = (
    "(() => { const m = document.querySelector('.md-search-result__meta');"
    " return m && (/\\d/.test(m.textContent) || m.textContent.includes('没有')); })()"
)
TYPESET = "document.querySelectorAll('.arithmatex:not([data-katex=done])').length === 0"


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True,
                   env=dict(os.environ, NO_MKDOCS_2_WARNING="1"))
    return time.perf_counter() - start


def page_weights(browser, base: str, pages: list[str]) -> dict[str, int]:
    weights = {}
    for path in pages:
        page = browser.new_page()
        sizes: list[int] = []

        def record(response, sizes=sizes):
            if "search_index" not in response.url:
                sizes.append(len(response.body()))

        page.on("response", record)
        page.goto(base + path, wait_until="networkidle")
        page.wait_for_function(TYPESET)
        page.wait_for_timeout(300)  # fonts requested by the typeset math
        weights[path] = sum(sizes)
        page.close()
    return weights


def typeset_ms(browser, url: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        page = browser.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_function(TYPESET)
        times.append(page.evaluate(
            "performance.getEntriesByName('katex-typeset').map(e => e.duration).reduce((a, b) => a + b, 0)"))
        page.close()
    return statistics.median(times)


def search_ms(browser, url: str, repeats: int = 3) -> list[float]:
    page = browser.new_page()
    page.goto(url, wait_until="networkidle")
    box = page.locator("input.md-search__input")
    box.type("warm")  # loads the index in the worker
    box.press("End")
    page.wait_for_function(RESULTS)
    times = []
    for _ in range(repeats):
        for query in QUERIES:
            box.fill("")
            page.wait_for_function("!document.querySelector('.md-search-result__item')")
            box.type(query)
            start = time.perf_counter()
            box.press("End")
            page.wait_for_function("document.querySelector('.md-search-result__item')")
            times.append((time.perf_counter() - start) * 1000)
    page.close()
    return times


def main() -> None:
    python = str(Path(sys.executable))
    suite = timed([python, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider"])
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        builds = []
        for _ in range(3):
            start = time.perf_counter()
            result = build_site(site)
            builds.append(time.perf_counter() - start)
            if result.returncode:
                sys.exit(result.stdout + result.stderr)
        pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html")
        with serve(site) as base, chromium() as browser:
            weights = page_weights(browser, base, pages)
            heaviest = max(weights, key=weights.get)
            typeset = typeset_ms(browser, base + heaviest)
            searches = search_ms(browser, base + "index.html")
    print("| what | measured | budget |")
    print("|---|---|---|")
    print(f"| `pytest -n auto` (all checks, browser included) | {suite:.1f} s | ≤ 60 s (aim 30 s) |")
    print(f"| `mkdocs build --strict` (best of 3) | {min(builds):.1f} s | ≤ 30 s |")
    print(f"| heaviest page (`{heaviest}`), all fetched bytes but the search index "
          f"| {weights[heaviest] / 1e6:.2f} MB | ≤ 1.5 MB |")
    print(f"| KaTeX typesetting on that page (median of 5) | {typeset:.0f} ms | ≤ 1.5 s |")
    print(f"| search, key release to first result (median / worst of {len(searches)}) "
          f"| {statistics.median(searches):.0f} / {max(searches):.0f} ms | ≤ 300 ms |")


if __name__ == "__main__":
    main()
