"""The glossary (docs/_data/glossary.yml) feeds three things:

1. the table on docs/glossary.md (in place of the line `<!-- glossary -->`);
2. the jieba user dictionary of the search plugin, so that 状态价值 or 权重衰减 stay one token
   (`jieba_user_dict`; hooks/search.py writes it with the other search words);
3. abbreviation tooltips (`*[MDP]: Markov decision process`) appended to every page.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "_data" / "glossary.yml"
PLACEHOLDER = "<!-- glossary -->"


def load_terms() -> list[dict]:
    """A fresh copy of the file's terms, parsed once per version of the file (the search hook
    asks for them on every page; parsing each time cost a third of the build)."""
    stat = GLOSSARY.stat()
    return copy.deepcopy(_parse(str(GLOSSARY), stat.st_mtime_ns, stat.st_size)["terms"])


@functools.lru_cache(maxsize=4)
def _parse(path: str, mtime_ns: int, size: int) -> dict:
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def jieba_user_dict(terms: list[dict], extra: list[str] = ()) -> str:
    """One line per Chinese term (and extra word): `word frequency`; a high frequency keeps
    the word whole. A term written with a space (概率流 ODE, as the pages write it) is not one
    word for jieba and is left out: its parts are segmented as in the text."""
    words = dict.fromkeys(w for w in [t["zh"] for t in terms] + list(extra) if " " not in w)
    return "".join(f"{w} 100000\n" for w in words)


def glossary_table(terms: list[dict], page_uri: str) -> str:
    depth = page_uri.count("/")
    prefix = "../" * depth
    rows = ["| 中文 | English | 符号 | 缩写 | 见 |", "|---|---|---|---|---|"]
    for t in sorted(terms, key=lambda t: t["en"].lower()):
        symbol = f"${t['symbol']}$" if t.get("symbol") else ""
        see = f"[{t['see'].split('#')[0].removesuffix('.md')}]({prefix}{t['see']})" if t.get("see") else ""
        rows.append(f"| {t['zh']} | {t['en']} | {symbol} | {t.get('abbr', '')} | {see} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, page, config, files):
    terms = load_terms()
    if PLACEHOLDER in markdown:
        markdown = markdown.replace(PLACEHOLDER, glossary_table(terms, page.file.src_uri))
    abbreviations = "\n".join(f"*[{t['abbr']}]: {t['en']}" for t in terms if t.get("abbr"))
    return f"{markdown}\n\n{abbreviations}\n"
