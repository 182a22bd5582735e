"""Search puts the page about a topic first: the site's query set (search_queries.yml and every
glossary term) put to the theme's own search worker on the built site in Chromium, and a
sample of it typed into the real search box, which must show exactly what the worker answered.

Fails with the list of misses when recall@1 is below 95 % or recall@3 below 100 %, and when
a written article has fewer than four queries of its own.

Why the worker: the ranking is the worker's (lunr over the site's index); the box hands it the
query as typed and renders its answer. Typed into the box, a query costs about 30 ms of
rendering against 3 ms in the worker, and the whole set took a third of `make check`; the
sample keeps the box honest (CONTRIBUTING.md, "Search in tests").
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from checks.site.browser import ROOT, small_search_index
from hooks import catalogue, glossary

QUERIES = Path(__file__).with_name("search_queries.yml")
READY = "键入以开始搜索"  # Material's placeholder, shown once the worker has built the index

# Runs every query in the page, one after the other, through the search box's own events: put
# the query in the box and release a key (what Material listens to), wait for the answer
# (Material rewrites the result count for every query it answers), and read the result links
# in order. Queries are distinct, so that each one gets an answer of its own.
RUN = """async ([queries, ready]) => {
  const box = document.querySelector("input.md-search__input");
  const meta = document.querySelector(".md-search-result__meta");
  let answered = null;
  new MutationObserver(() => answered && answered())
    .observe(meta, {childList: true, characterData: true, subtree: true});
  const answer = () => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("search did not answer")), 5000);
    answered = () => { answered = null; clearTimeout(timer); resolve(); };
  });
  box.focus();
  for (let i = 0; i < 5000 && meta.textContent.trim() !== ready; i++)  // the index is loaded
    await new Promise(r => setTimeout(r, 2));
  const out = [];
  for (const q of queries) {
    const done = answer();
    box.value = q;
    box.dispatchEvent(new KeyboardEvent("keyup", {bubbles: true, key: "End"}));
    const start = performance.now();
    await done;
    const ms = performance.now() - start;
    const links = [...document.querySelectorAll(".md-search-result__item")].map(item =>
      [...item.querySelectorAll("a")].map(a => {
        const url = new URL(a.href);
        return url.pathname.replace(/^\\//, "").replace(/\\.html$/, "") + url.hash;
      }));
    out.push({q, links, ms});
  }
  return out;
}"""


# The theme's search worker (the script the page's configuration names), set up with the message
# the theme's page sends it (the site's index and its configuration, suggestions as the theme's
# features say), then asked every query in turn. Each answer is read as the result list renders
# it (templates/search of mkdocs-material): the first ten groups, each the page's own entry
# (the one without "#") followed by its sections in the worker's order.
ASK = """async (queries) => {
  const config = JSON.parse(document.getElementById('__config').textContent);
  // with a query, so that the small index the theme's worker got (small_search_index) is not
  // what answers: the server ignores the query and sends the real index
  const where = new URL(config.base + '/search/search_index.json?real', location.href);
  const index = await (await fetch(where)).json();
  const worker = new Worker(new URL(config.search, location.href));
  let answer = null;
  worker.onmessage = ev => answer(ev.data);
  const ask = message => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the search worker did not answer')), 10000);
    answer = data => { clearTimeout(timer); resolve(data); };
    worker.postMessage(message);
  });
  const ready = await ask({type: 0, data: {config: index.config, docs: index.docs,
    options: {suggest: config.features.includes('search.suggest')}}});
  if (ready.type !== 1) throw new Error('the search worker did not get ready');
  const link = location => {
    const url = new URL(location, new URL(config.base + '/', document.baseURI));
    return url.pathname.replace(/^\\//, '').replace(/\\.html$/, '') + url.hash;
  };
  const out = [];
  for (const q of queries) {
    const result = await ask({type: 2, data: q});
    const links = result.data.items.slice(0, 10).map(group => {
      const docs = [...group];
      const [page] = docs.splice(docs.findIndex(d => !link(d.location).includes('#')), 1);
      return [page, ...docs].map(d => link(d.location));
    });
    out.push({q, links});
  }
  worker.terminate();
  return out;
}"""


def ask_worker(page, queries: list[str]) -> dict[str, dict]:
    """Each distinct query's result links, as the result list would show them, from the
    theme's search worker."""
    distinct = list(dict.fromkeys(queries))
    return {r["q"]: r for r in page.evaluate(ASK, distinct)}


def run_queries(page, queries: list[str]) -> dict[str, dict]:
    """Each distinct query's result links and time, from the page's real search box."""
    distinct = list(dict.fromkeys(queries))
    return {r["q"]: r for r in page.evaluate(RUN, [distinct, READY])}


def load_queries() -> list[dict]:
    """Every query with the page (docs path without .md) and anchor expected first."""
    data = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))["articles"]
    queries = []
    for page, items in data.items():
        for item in items:
            item = {"q": item} if isinstance(item, str) else dict(item)
            queries.append({"q": item["q"], "page": page, "anchor": item.get("anchor")})
    for term in glossary.load_terms():
        page = term.get("see", "glossary.md").split("#")[0].removesuffix(".md")
        queries += [{"q": term["zh"], "page": page, "anchor": None},
                    {"q": term["en"], "page": page, "anchor": None}]
    return queries


def test_every_written_article_has_its_queries():
    data = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))["articles"]
    written = [f"{s['id']}/{a['slug']}" for s in catalogue.load_sections() for a in s["articles"]
               if (ROOT / "docs" / s["id"] / f"{a['slug']}.md").is_file()]
    few = {page: len(data.get(page, [])) for page in written if len(data.get(page, [])) < 4}
    assert few == {}, f"articles with fewer than four search queries: {few}"
    unknown = sorted(set(data) - set(written))
    assert unknown == [], f"queries for pages that do not exist: {unknown}"


def rank(result: dict, page: str, anchor: str | None) -> int | None:
    """1-based rank of the expected page among the result pages (None: not found). With an
    anchor, the page's group of results must also hold a link to that heading."""
    for k, group in enumerate(result["links"], start=1):
        if group and group[0].split("#")[0] == page:
            if anchor is None or f"{page}#{anchor}" in group:
                return k
            return None
    return None


@pytest.fixture(scope="module")
def answers(browser, site, site_url):
    """Every query's answer from the theme's search worker, on the built site's home page
    (whose own worker, which this does not use, gets the small index)."""
    context = small_search_index(browser.new_context(), site)
    page = context.new_page()
    page.goto(site_url + "index.html", wait_until="load")
    out = ask_worker(page, [q["q"] for q in load_queries()])
    context.close()
    return out


@pytest.fixture(scope="module")
def results(answers):
    return [dict(q, rank=rank(answers[q["q"]], q["page"], q["anchor"]),
                 top=answers[q["q"]]["links"][:3]) for q in load_queries()]


@pytest.mark.long(4)
def test_the_page_about_a_topic_comes_first(results):
    n = len(results)
    first = sum(r["rank"] == 1 for r in results)
    top3 = sum(r["rank"] is not None and r["rank"] <= 3 for r in results)
    misses = "\n".join(
        f"  {r['q']!r}: want {r['page']}{'#' + r['anchor'] if r['anchor'] else ''} "
        f"(rank {r['rank']}), got {[g[0] for g in r['top']]}"
        for r in results if r["rank"] != 1)
    assert n >= 300
    assert first / n >= 0.95 and top3 == n, (
        f"recall@1 {first / n:.1%}, recall@3 {top3 / n:.1%} over {n} queries; misses:\n{misses}")


SAMPLE = 20  # every twentieth distinct query is also typed into the box


@pytest.mark.long(3)
def test_the_search_box_shows_what_the_worker_answers(answers, browser, site_url):
    """The control that lets the worker stand for the box: typed into the real search box
    of another page, every twentieth query (Chinese terms, English names, abbreviations)
    shows the same result links in the same order, sections included."""
    sample = list(answers)[::SAMPLE]
    page = browser.new_page()
    page.goto(site_url + "rl-basics/state-values.html", wait_until="load")
    typed = run_queries(page, sample)
    page.close()
    assert len(sample) >= 30
    differ = {q: (typed[q]["links"][:3], answers[q]["links"][:3]) for q in sample
              if typed[q]["links"] != answers[q]["links"]}
    assert differ == {}, differ
