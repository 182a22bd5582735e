"""Draw the map of the 31 articles (docs/_data/catalogue.yml) where a page asks for it.

`<!-- catalogue -->` becomes every section with its articles (the home page);
`<!-- catalogue: rl-basics -->` becomes one section's list (its section page). An article
links to its page once docs/<section>/<slug>.md exists; until then its title is shown plain.
"""

from __future__ import annotations

import re
import copy
import functools
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "docs" / "_data" / "catalogue.yml"
PLACEHOLDER = re.compile(r"<!-- catalogue(?::\s*(?P<section>[\w-]+))? -->")


def load_sections() -> list[dict]:
    """A fresh copy of the file's sections, parsed once per version of the file (the search hook
    asks for them on every page; parsing each time cost a third of the build)."""
    stat = CATALOGUE.stat()
    return copy.deepcopy(_parse(str(CATALOGUE), stat.st_mtime_ns, stat.st_size)["sections"])


@functools.lru_cache(maxsize=4)
def _parse(path: str, mtime_ns: int, size: int) -> dict:
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def article_list(section: dict, from_uri: str, existing: set[str]) -> str:
    prefix = "../" * from_uri.count("/")
    items = []
    for article in section["articles"]:
        uri = f"{section['id']}/{article['slug']}.md"
        if uri in existing:
            items.append(f"- [{article['title']}]({prefix}{uri})")
        else:
            items.append(f"- {article['title']} <small>（撰写中）</small>")
    return "\n".join(items)


def render(match: re.Match, page, files) -> str:
    existing = {f.src_uri for f in files.documentation_pages()}
    sections = load_sections()
    here = page.file.src_uri
    if match["section"]:
        (section,) = [s for s in sections if s["id"] == match["section"]]
        return f"{section['blurb']}\n\n{article_list(section, here, existing)}"
    blocks = []
    prefix = "../" * here.count("/")
    for section in sections:
        done = sum(f"{section['id']}/{a['slug']}.md" in existing for a in section["articles"])
        blocks.append(
            f"### [{section['title']}]({prefix}{section['id']}/index.md)\n\n"
            f"{section['blurb']}（已完成 {done} / {len(section['articles'])}）\n\n"
            f"{article_list(section, here, existing)}"
        )
    return "\n\n".join(blocks)


def on_page_markdown(markdown: str, page, config, files):
    return PLACEHOLDER.sub(lambda m: render(m, page, files), markdown)
