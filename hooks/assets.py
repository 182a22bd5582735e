"""Serve the front-end files the site needs from node_modules (installed by `npm ci`).

KaTeX's stylesheet and woff2 fonts (the math itself is rendered at build time by
hooks/katex.py) and Material's iframe-worker shim for file:// viewing are added to the build
as files, so `mkdocs build` and `mkdocs serve` both ship them and the
site makes no request to any other host. Nothing third-party is committed to the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"

# (package, file inside the package, path in the site)
ASSETS = [
    ("katex", "dist/katex.min.css", "assets/katex/katex.min.css"),
    ("iframe-worker", "shim/index.js", "assets/javascripts/iframe-worker/shim.js"),
]


def pinned_version(package: str) -> str:
    return json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"][package]


def installed_version(package: str) -> str | None:
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text(encoding="utf-8"))["version"]


def asset_files() -> list[tuple[Path, str]]:
    """(source path, site path) of every file this hook adds."""
    pairs = [(NODE_MODULES / pkg / rel, dest) for pkg, rel, dest in ASSETS]
    fonts = NODE_MODULES / "katex" / "dist" / "fonts"
    # woff2 only: every browser that runs the site's JavaScript reads it, so the CSS never
    # falls back to the woff/ttf entries it also lists
    pairs += [(font, f"assets/katex/fonts/{font.name}") for font in sorted(fonts.glob("*.woff2"))]
    return pairs


def on_files(files: Files, config) -> Files:
    for package in ("katex", "iframe-worker"):
        have, want = installed_version(package), pinned_version(package)
        if have is None:
            raise PluginError(f"node_modules/{package} is missing: run `npm ci` in {ROOT}")
        if have != want:
            raise PluginError(f"node_modules/{package} is {have}, package.json pins {want}: run `npm ci`")
    for source, dest in asset_files():
        if not source.is_file():
            raise PluginError(f"{source} is missing: run `npm ci`")
        files.append(File.generated(config, dest, abs_src_path=str(source)))
    return files
