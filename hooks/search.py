"""Search keywords: what a page is about, so that the page about a topic comes first.

Material's search (lunr) scores three fields of every section of every page: `title` (boost
1e3), `text` (1) and `tags` (1e6); a page's tags are copied into the index entry of each of its
sections. So a query that matches a page's tag puts that page above every page that merely
mentions the words, and within the page the section whose heading matches comes first. This
hook gives each page its search keywords as tags, for the index only:

- from docs/_data/catalogue.yml: the article's English name (`en`), abbreviations (`abbr`) and
  synonyms (`also`);
- from docs/_data/glossary.yml: the Chinese, English and abbreviated forms of every term whose
  `see` points at the page; the glossary page gets the terms that point nowhere else.

Material's worker segments a Chinese query against the index's own vocabulary, and never
matches a query's last word whole: it tries only the proper prefixes of what remains, so that
`动态采样` becomes the prefix query `动*` unless the index holds a longer proper prefix such as
`动态采`. For each Chinese keyword the page therefore also gets the keyword less its last
character (`动态采`, `贝尔曼方`), which turns the query into a prefix that only the keyword
matches.

The tags shown under a page's title stay those of its front matter: Material's tags plugin
collects them in `on_page_markdown`, and this hook adds the keywords in `on_page_context`,
before the search plugin (priority 0) indexes the page. The English name and abbreviations are
also written under the page's title, for the reader.
"""

from __future__ import annotations

import html
import os
import re
import sys
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority

# mkdocs loads each hook as a module of its own: make the hooks package importable
ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
from hooks import registry  # noqa: E402
from hooks.catalogue import load_sections  # noqa: E402
from hooks.glossary import jieba_user_dict, load_terms  # noqa: E402

GLOSSARY_PAGE = "glossary.md"


def articles() -> dict[str, dict]:
    """docs path (rl-basics/state-values.md) -> the article's catalogue entry."""
    return {f"{s['id']}/{a['slug']}.md": a for s in load_sections() for a in s["articles"]}


HAN = re.compile(r"[\u4e00-\u9fff]{3,}")
RUN = re.compile(r"[\u4e00-\u9fff]+")


def segmenter_words() -> list[str]:
    """Words the index must keep whole besides the glossary terms: the Chinese keywords of the
    catalogue, and the Chinese runs of two to six characters in key-equation titles (so that
    压缩性质 is one token, which the query 压缩性质, cut to its prefix 压缩性, matches)."""
    words = [w for a in articles().values() for k in [a.get("en", "")] + a.get("also", [])
             for w in HAN.findall(k)]
    equations, _ = registry.collect()
    words += [run for eq in equations for run in RUN.findall(eq.title) if 2 <= len(run) <= 6]
    return words


def query_prefixes(keyword: str) -> list[str]:
    """Each run of three or more Chinese characters of a keyword, less its last character."""
    return [run[:-1] for run in HAN.findall(keyword)]


def keywords(src_uri: str) -> list[str]:
    """The search keywords of one page (docs path), without repeats, in a stable order."""
    found: list[str] = []
    article = articles().get(src_uri)
    if article:
        found += [article.get("en", "")] + list(article.get("abbr", [])) + list(article.get("also", []))
    for term in load_terms():
        target = term.get("see", "").split("#")[0] or GLOSSARY_PAGE
        if target == src_uri:
            found += [term["zh"], term["en"], term.get("abbr", "")]
    found += [prefix for k in found if k for prefix in query_prefixes(k)]
    return list(dict.fromkeys(k for k in found if k))


def english_line(src_uri: str) -> str | None:
    """The line under an article's title: its English name and abbreviations."""
    article = articles().get(src_uri)
    if not article or not article.get("en"):
        return None
    parts = [article["en"][0].upper() + article["en"][1:]] + list(article.get("abbr", []))
    return f'<p class="page-en" lang="en">{html.escape(" · ".join(parts))}</p>'


@event_priority(100)  # before the search plugin reads jieba_dict_user
def on_config(config):
    search = config.plugins.get("material/search") or config.plugins.get("search")
    if search is None:  # a build without search (the small copies of the failing builds)
        return config
    path = Path(tempfile.gettempdir()) / f"verified-ml-math-jieba-{os.getpid()}.txt"
    path.write_text(jieba_user_dict(load_terms(), segmenter_words()), encoding="utf-8")
    search.config.jieba_dict_user = str(path)
    return config


def on_page_markdown(markdown: str, page, config, files):
    line = english_line(page.file.src_uri)
    if line is None:
        return markdown
    lines = markdown.split("\n")
    for k, text in enumerate(lines):
        if text.startswith("# "):
            lines.insert(k + 1, "\n" + line)
            break
    return "\n".join(lines)


@event_priority(100)  # before the search plugin indexes the page
def on_page_context(context, page, config, nav):
    extra = keywords(page.file.src_uri)
    if extra:
        tags = list(page.meta.get("tags") or [])
        page.meta["tags"] = tags + [k for k in extra if k not in tags]
    return context


def on_post_page(output: str, page, config) -> str:
    """The keywords stay on the page's own entry only: copied into every section's entry, as
    Material does with tags, they would make the index grow with sections times keywords.
    A section found by its heading is shown in its page's group, which the page's entry
    ranks."""
    search = config.plugins.get("material/search") or config.plugins.get("search")
    index = getattr(search, "search_index", None)
    for entry in getattr(index, "entries", []):
        if entry["location"].startswith(page.url + "#") and "tags" in entry:
            del entry["tags"]
    return output

