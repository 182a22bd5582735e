"""Headless Chromium for the site checks, the benchmarks and screenshots.

Debian's Chromium (`apt-get install chromium`) driven by Playwright; Playwright's own browser
download is never used. The flags keep Chromium from calling Google services, which this
machine's closed network would refuse.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
]


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


def build_site(site_dir: Path, root: Path = ROOT) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of the project at root into site_dir (output captured)."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=root, capture_output=True, text=True, env=env,
    )


def _build_dir(tmp_path_factory) -> Path:
    """A directory all xdist workers of one run share: the parent of their base temp dirs."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


BUILD_SCRIPT = """
import json, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from checks.site.browser import build_site
result = build_site(Path({site!r}))
record = Path({record!r})
tmp = record.with_suffix(".tmp")
tmp.write_text(json.dumps({{"returncode": result.returncode,
                            "stdout": result.stdout, "stderr": result.stderr}}))
tmp.rename(record)
"""


def start_build(tmp_path_factory) -> None:
    """Start the run's strict build in the background, once per run (the first caller wins)."""
    where = _build_dir(tmp_path_factory)
    try:
        os.close(os.open(where / "site-build.started", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    script = BUILD_SCRIPT.format(root=str(ROOT), site=str(where / "site"),
                                 record=str(where / "site-build.json"))
    subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def build_once(tmp_path_factory, timeout: float = 600) -> tuple[Path, Path]:
    """(site directory, JSON record of the build) once the run's build has finished."""
    import time

    start_build(tmp_path_factory)  # a no-op when the run started it already
    where = _build_dir(tmp_path_factory)
    record = where / "site-build.json"
    deadline = time.monotonic() + timeout
    while not record.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the strict build did not finish in {timeout:.0f} s")
        time.sleep(0.05)
    return where / "site", record


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@contextlib.contextmanager
def serve(site_dir: Path):
    """Serve site_dir on 127.0.0.1 (a free port) for the duration of the block; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def small_search_index(context, site: Path):
    """Answer the theme's request for the search index, in this browser context, with an index
    of one document in the real format (the real configuration): on every page with scripts
    the theme's search worker fetches the index and builds it, about 1.5 s of CPU for the
    whole site, which only the checks of search need (test_search.py, the file:// check)."""
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    small = {"config": index["config"], "docs": index["docs"][:1]}
    context.route("**/search/search_index.json", lambda route: route.fulfill(json=small))
    return context


@contextlib.contextmanager
def chromium():
    """A Playwright Browser on Debian's Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(url: str, path: Path, *, dark: bool = False, width: int = 1280, height: int = 900,
               full_page: bool = False, browser=None) -> None:
    """Save a PNG of url (the math is rendered at build time), once its fonts are loaded."""
    with contextlib.ExitStack() as stack:
        if browser is None:
            browser = stack.enter_context(chromium())
        page = browser.new_page(viewport={"width": width, "height": height},
                                color_scheme="dark" if dark else "light")
        page.goto(url)
        if full_page:  # blocks out of view skip rendering (content-visibility, extra.css)
            page.add_style_tag(content=".md-content__inner > * { content-visibility: visible !important }")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.screenshot(path=str(path), full_page=full_page)
        page.close()


if __name__ == "__main__":
    # python checks/site/browser.py PAGE OUT.png [--dark] [--full]: build, serve, screenshot
    import tempfile

    page_path, out = sys.argv[1], Path(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        result = build_site(Path(tmp))
        if result.returncode != 0:
            sys.exit(result.stdout + result.stderr)
        with serve(Path(tmp)) as base:
            screenshot(base + page_path, out, dark="--dark" in sys.argv, full_page="--full" in sys.argv)
