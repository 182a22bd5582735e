"""Measure the budgets of DESIGN.md on this machine: `make benchmark` (python benchmarks/run.py).

  1. the formula layer: wall time of `pytest checks/` (serial, no options), with its cost per
     article (from pytest's own per-test durations) and the extrapolation to 31 articles;
  2. both layers: wall time of `pytest checks/ --site -n auto` (what `make check` runs);
  3. the strict build: wall time of `mkdocs build --strict`, best of 3;
  4. cold loads in headless Chromium: every page once for its bytes, then the three heaviest
     (whole page, gzip) five times: the load event (median of 5,
     each in a fresh browser context, so nothing is cached), whether any formula arrives as
     raw TeX, and the bytes transferred, raw and gzip-compressed as a static host serves text
     (HTML, CSS, JS, SVG; fonts are woff2 and sent as they are), counted twice: up to the load
     event, and for the whole page after scrolling to its end (what a reader of the whole page
     downloads); the search index is left out (it is loaded once per visit, by the worker);
  5. search: the index's size (raw and gzip); the site's query set typed into the real search
     box (checks/site/test_search.py): recall@1 and recall@3, and the time from the key
     release that ends a query to its results on screen, after the index is loaded (median
     and worst over the set).

Prints Markdown tables to paste into benchmarks/README.md. Needs /usr/bin/chromium.
Options: --skip-suites (only 3–5, for a quick look at the site).
"""

from __future__ import annotations

import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checks.site.browser import build_site, chromium, serve  # noqa: E402
from checks.site.test_search import load_queries, rank, run_queries  # noqa: E402

ARTICLES_PLANNED = 31
TEXT_TYPES = ("text/", "javascript", "json", "svg", "xml")
RAW_TEX = ("[...document.querySelectorAll('.arithmatex')]"
           ".filter(e => !e.querySelector(':scope > .katex, :scope > .katex-display')).length")
ENV = dict(os.environ, NO_MKDOCS_2_WARNING="1")


def pytest_run(args: list[str]) -> tuple[float, Path]:
    """Wall time of one pytest run, and its JUnit XML (per-test durations)."""
    junit = Path(tempfile.mkdtemp()) / "junit.xml"
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider",
                             f"--junitxml={junit}"], cwd=ROOT, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"pytest {' '.join(args)} failed:\n{result.stdout[-3000:]}")
    return elapsed, junit


def seconds_by_article(junit: Path) -> dict[str, float]:
    """Summed test durations per check module of an article (checks/<section>/test_<a>.py)."""
    by_file: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit).iter("testcase"):
        module = case.get("classname", "")
        parts = module.split(".")
        if len(parts) >= 3 and parts[1] != "site" and parts[2].startswith("test_"):
            by_file[".".join(parts[1:3])] += float(case.get("time", 0))
    return dict(by_file)


def written_articles() -> int:
    return sum(1 for p in (ROOT / "docs").glob("*/*.md") if p.name != "index.md")


def cold_load(browser, url: str) -> dict:
    """One cold load: load event, raw-TeX count, bytes up to load and for the whole page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/search/search_index.json", lambda route: route.abort())
    page = context.new_page()
    sizes: list[tuple[int, int]] = []

    def record(response):
        try:
            body = response.body()
        except Exception:  # a redirect or an aborted request has no body
            return
        kind = response.headers.get("content-type", "")
        packed = len(gzip.compress(body, 6)) if any(t in kind for t in TEXT_TYPES) else len(body)
        sizes.append((len(body), packed))

    page.on("response", record)
    page.goto(url, wait_until="load")
    timing = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventStart")
    raw_tex = page.evaluate(RAW_TEX)
    page.wait_for_timeout(200)
    at_load = [sum(s[0] for s in sizes), sum(s[1] for s in sizes)]
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height + 900, 600):  # read the whole page
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(15)
    # a block scrolled past too fast may not have rendered (content-visibility), and then
    # never asked for its fonts: render every block, so the count holds all the page can use
    page.add_style_tag(content=".md-content__inner > * { content-visibility: visible !important }")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_timeout(300)
    context.close()
    return {"load": timing, "raw_tex": raw_tex, "at_load": at_load,
            "whole": [sum(s[0] for s in sizes), sum(s[1] for s in sizes)]}


def search_queries(browser, url: str) -> list[dict]:
    """The site's query set through the real search box (checks/site/test_search.py): each
    query's rank of the expected page and its key-release-to-results time in the page."""
    page = browser.new_page()
    page.goto(url, wait_until="load")
    queries = load_queries()
    out = run_queries(page, [q["q"] for q in queries])
    page.close()
    return [dict(q, rank=rank(out[q["q"]], q["page"], q["anchor"]), ms=out[q["q"]]["ms"])
            for q in queries]


def main() -> None:
    n = written_articles()
    rows = []
    if "--skip-suites" not in sys.argv:
        serial, junit = pytest_run(["checks/"])
        per_article = seconds_by_article(junit)
        mean = statistics.mean(per_article.values())
        fixed = serial - sum(per_article.values())
        rows.append(("`pytest checks/` (formula layer, serial)", f"{serial:.1f} s",
                     "≤ 30 s at 13 articles"))
        rows.append((f"… per article (mean of {len(per_article)}; slowest "
                     f"{max(per_article, key=per_article.get)} {max(per_article.values()):.1f} s)",
                     f"{mean:.2f} s, fixed cost {fixed:.1f} s", ""))
        rows.append((f"… extrapolated to {ARTICLES_PLANNED} articles",
                     f"{fixed + ARTICLES_PLANNED * mean:.0f} s", "≤ 60 s"))
        both, _ = pytest_run(["checks/", "--site", "-n", "auto"])
        rows.append(("`pytest checks/ --site -n auto` (`make check`, both layers)",
                     f"{both:.1f} s", "≤ 60 s at 31 articles"))
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        builds = []
        for _ in range(3):
            start = time.perf_counter()
            result = build_site(site)
            builds.append(time.perf_counter() - start)
            if result.returncode:
                sys.exit(result.stdout + result.stderr)
        rows.append(("`mkdocs build --strict` (best of 3)", f"{min(builds):.1f} s", "≤ 30 s"))
        index = (site / "search" / "search_index.json").read_bytes()
        rows.append(("search index (raw / gzip)",
                     f"{len(index) / 1e6:.2f} MB / {len(gzip.compress(index, 6)) / 1e3:.0f} kB", ""))
        pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                       if p.name != "404.html")
        loads = []
        with serve(site) as base, chromium() as browser:
            cold_load(browser, base + pages[0])  # warm the browser process itself
            # every page once, for its bytes; the three heaviest (whole page, gzip) five times
            whole = {path: cold_load(browser, base + path)["whole"][1] for path in pages}
            heaviest = sorted(pages, key=lambda path: -whole[path])
            for path in heaviest[:3]:
                runs = [cold_load(browser, base + path) for _ in range(5)]
                loads.append((path, runs))
            searches = search_queries(browser, base + "index.html")
        over = [p for p in pages if whole[p] > 300e3]
        rows.append((f"pages over 300 kB (whole page, gzip), of {len(pages)}",
                     ", ".join(f"`{p}` {whole[p] / 1e3:.0f} kB" for p in over) or "none", "none"))
    for path, runs in loads:
        last = runs[-1]
        rows.append((f"cold load `{path}`: load event (median of 5)",
                     f"{statistics.median(r['load'] for r in runs):.0f} ms", "≤ 1.5 s"))
        rows.append(("… formulas arriving as raw TeX", str(max(r["raw_tex"] for r in runs)), "0"))
        rows.append(("… bytes up to the load event (gzip / raw)",
                     f"{last['at_load'][1] / 1e3:.0f} kB / {last['at_load'][0] / 1e6:.2f} MB", ""))
        rows.append(("… bytes of the whole page, read to its end (gzip / raw)",
                     f"{last['whole'][1] / 1e3:.0f} kB / {last['whole'][0] / 1e6:.2f} MB",
                     "≤ 300 kB / ≤ 2 MB"))
    q = len(searches)
    rows.append((f"search: the query set ({q} queries), recall@1 / recall@3",
                 f"{sum(r['rank'] == 1 for r in searches) / q:.1%} / "
                 f"{sum(r['rank'] is not None and r['rank'] <= 3 for r in searches) / q:.1%}",
                 "≥ 95 % / 100 %"))
    ms = [r["ms"] for r in searches]
    rows.append((f"search: key release to results (median / worst of {q})",
                 f"{statistics.median(ms):.0f} / {max(ms):.0f} ms", "≤ 100 / 300 ms"))
    print(f"Measured with {n} articles written, {time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()} cores.\n")
    print("| what | measured | budget |")
    print("|---|---|---|")
    for what, measured, budget in rows:
        print(f"| {what} | {measured} | {budget} |")


if __name__ == "__main__":
    main()
