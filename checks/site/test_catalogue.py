"""The navigation, the article map and the glossary agree with their data files."""

from __future__ import annotations

import re

import jieba
import yaml

from checks.site.browser import ROOT
from hooks import catalogue, glossary


def nav():
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = re.sub(r"!!python/\S+", "", text)  # the config's python tags are not needed here
    return yaml.safe_load(text)["nav"]


def test_catalogue_has_the_31_articles_in_8_sections():
    sections = catalogue.load_sections()
    assert len(sections) == 8
    assert sum(len(s["articles"]) for s in sections) == 31


def test_nav_has_every_section_and_every_written_article():
    sections = catalogue.load_sections()
    entries = {next(iter(e)): next(iter(e.values())) for e in nav()}
    for section in sections:
        assert section["title"] in entries, section["title"]
        pages = entries[section["title"]]
        assert pages[0] == f"{section['id']}/index.md"
        written = [f"{section['id']}/{a['slug']}.md" for a in section["articles"]
                   if (ROOT / "docs" / section["id"] / f"{a['slug']}.md").is_file()]
        assert pages[1:] == written, section["id"]
    known = {f"{s['id']}/{a['slug']}.md" for s in sections for a in s["articles"]}
    for md in (ROOT / "docs").glob("*/*.md"):
        rel = md.relative_to(ROOT / "docs").as_posix()
        assert md.name == "index.md" or rel in known, f"{rel} is not in docs/_data/catalogue.yml"


def test_home_page_maps_all_articles_and_links_the_written_ones(site):
    home = (site / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", home)  # titles may hold <abbr> tooltips
    for section in catalogue.load_sections():
        for article in section["articles"]:
            assert article["title"] in text
            uri = f"{section['id']}/{article['slug']}.html"
            assert (f'href="{uri}"' in home) == (site / uri).is_file(), uri


def test_glossary_page_lists_every_term(site):
    page = re.sub(r"<[^>]+>", "", (site / "glossary.html").read_text(encoding="utf-8"))
    for term in glossary.load_terms():
        assert term["zh"] in page and term["en"] in page


def test_jieba_keeps_glossary_terms_whole():
    terms = glossary.load_terms()
    for line in glossary.jieba_user_dict(terms).splitlines():
        word, freq = line.split()
        jieba.add_word(word, int(freq))
    for term in ("状态价值", "贝尔曼方程", "权重衰减", "时序差分"):
        assert term in jieba.lcut(f"本文讨论{term}的计算"), term


def test_a_page_is_found_by_its_keywords_and_their_query_prefixes():
    from hooks import search

    words = search.keywords("deep-rl/trpo.md")
    assert {"TRPO", "trust region policy optimization", "线搜索", "信赖域"} <= set(words)
    assert "线搜" in words  # what Material cuts the query 线搜索 to (hooks/search.py)
    assert search.query_prefixes("Gibbs 分布与贝尔曼方程") == ["分布与贝尔曼方"]
    # a glossary term belongs to the page its `see` names, and to no other
    assert "Riccati equation" in search.keywords("deep-rl/ddpg.md")
    assert "Riccati equation" not in search.keywords("deep-rl/trpo.md")
    # a term with no page yet belongs to the glossary
    assert "mutation testing" in search.keywords("glossary.md")  # 变异测试 has no page
