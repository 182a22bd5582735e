"""The glossary (docs/_data/glossary.yml) feeds three things:

1. the table on docs/glossary.md (in place of the line `<!-- glossary -->`);
2. the jieba user dictionary of the search plugin, so that 状态价值 or 权重衰减 stay one token
   (material's search plugin loads it in its own on_config, so this hook runs first);
3. abbreviation tooltips (`*[MDP]: Markov decision process`) appended to every page.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml
from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "_data" / "glossary.yml"
PLACEHOLDER = "<!-- glossary -->"


def load_terms() -> list[dict]:
    return yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))["terms"]


def jieba_user_dict(terms: list[dict]) -> str:
    """One line per Chinese term: `word frequency`; a high frequency keeps the word whole."""
    return "".join(f"{t['zh']} 100000\n" for t in terms)


def glossary_table(terms: list[dict], page_uri: str) -> str:
    depth = page_uri.count("/")
    prefix = "../" * depth
    rows = ["| 中文 | English | 符号 | 缩写 | 见 |", "|---|---|---|---|---|"]
    for t in sorted(terms, key=lambda t: t["en"].lower()):
        symbol = f"${t['symbol']}$" if t.get("symbol") else ""
        see = f"[{t['see'].split('#')[0].removesuffix('.md')}]({prefix}{t['see']})" if t.get("see") else ""
        rows.append(f"| {t['zh']} | {t['en']} | {symbol} | {t.get('abbr', '')} | {see} |")
    return "\n".join(rows)


@event_priority(100)  # before the search plugin reads jieba_dict_user
def on_config(config):
    path = Path(tempfile.gettempdir()) / f"verified-ml-math-jieba-{os.getpid()}.txt"
    path.write_text(jieba_user_dict(load_terms()), encoding="utf-8")
    search = config.plugins.get("material/search") or config.plugins.get("search")
    search.config.jieba_dict_user = str(path)
    return config


def on_page_markdown(markdown: str, page, config, files):
    terms = load_terms()
    if PLACEHOLDER in markdown:
        markdown = markdown.replace(PLACEHOLDER, glossary_table(terms, page.file.src_uri))
    abbreviations = "\n".join(f"*[{t['abbr']}]: {t['en']}" for t in terms if t.get("abbr"))
    return f"{markdown}\n\n{abbreviations}\n"
