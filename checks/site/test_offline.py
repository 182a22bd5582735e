"""Nothing in the built site makes a browser fetch from another host."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Attributes whose URL a browser fetches by itself when it renders the page.
FETCHED = {
    "script": ["src"], "img": ["src", "srcset"], "iframe": ["src"], "source": ["src", "srcset"],
    "video": ["src", "poster"], "audio": ["src"], "embed": ["src"], "object": ["data"],
    "link": ["href"],  # stylesheets, icons, preloads, manifests
    "image": ["href", "xlink:href"], "use": ["href", "xlink:href"],
}
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*['"]?(?P<url>[^'")]+)""")
CSS_IMPORT = re.compile(r"""@import\s+['"](?P<url>[^'"]+)""")


class FetchedURLs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and "alternate" in (attrs.get("rel") or "") and "stylesheet" not in (attrs.get("rel") or ""):
            return  # rel=alternate (e.g. hreflang) is not fetched
        for name in FETCHED.get(tag, []):
            if attrs.get(name):
                self.urls += [part.split()[0] for part in attrs[name].split(",") if part.strip()]
        if attrs.get("style"):
            self.urls += [m["url"] for m in CSS_URL.finditer(attrs["style"])]


# The tags that can make a browser fetch (FETCHED), and any tag with an inline style: only these
# are parsed (rendered math makes a page tens of thousands of other tags).
CANDIDATE = re.compile(r"<(?:(?:%s)\b|[a-z][\w-]*\s[^>]*\bstyle=)[^>]*>" % "|".join(FETCHED),
                       re.IGNORECASE)


def external_urls(site):
    found = []
    for page in site.rglob("*.html"):
        parser = FetchedURLs()
        parser.feed("\n".join(CANDIDATE.findall(page.read_text(encoding="utf-8"))))
        found += [(page.name, u) for u in parser.urls if EXTERNAL.match(u)]
    for sheet in site.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8")
        for m in list(CSS_URL.finditer(text)) + list(CSS_IMPORT.finditer(text)):
            if EXTERNAL.match(m["url"]):
                found.append((sheet.name, m["url"]))
    for svg in site.rglob("*.svg"):
        text = svg.read_text(encoding="utf-8")
        found += [(svg.name, u) for u in re.findall(r'(?:href|src)="((?:https?:)?//[^"]+)"', text)]
    return found


def test_no_page_stylesheet_or_figure_fetches_from_another_host(site):
    assert external_urls(site) == []


def test_the_scanner_sees_external_urls(tmp_path):
    (tmp_path / "a.html").write_text(
        '<link rel="stylesheet" href="https://cdn.example/k.css"><script src="//cdn.example/k.js">'
        '</script><img src="img/ok.svg"><link rel="alternate" hreflang="en" href="https://x.example/">',
        encoding="utf-8")
    (tmp_path / "b.css").write_text("@font-face{src:url(https://fonts.example/f.woff2)}", encoding="utf-8")
    assert sorted(u for _, u in external_urls(tmp_path)) == [
        "//cdn.example/k.js", "https://cdn.example/k.css", "https://fonts.example/f.woff2"]


def test_offline_search_and_the_iframe_worker_shim_are_local(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "assets/javascripts/iframe-worker/shim.js" in html
    assert "unpkg.com" not in html
    assert (site / "assets/javascripts/iframe-worker/shim.js").is_file()
    assert (site / "search/search_index.js").is_file()  # the offline plugin inlines the index
