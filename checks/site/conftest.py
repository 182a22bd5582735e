"""Fixtures of the site checks: one strict build per test run, served on localhost."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from checks.site.browser import build_once, chromium, chromium_available, serve


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """The finished `mkdocs build --strict` of the project (process and site directory).

    Built once per test run, in the background from the start of the run when the site layer
    runs (checks/conftest.py), so that it overlaps with the formula checks; the xdist workers
    share it (see `build_once`).
    """
    site, record = build_once(tmp_path_factory)
    result = subprocess.CompletedProcess(args="mkdocs build --strict", **json.loads(record.read_text()))
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return result, site


@pytest.fixture(scope="session")
def site(build) -> Path:
    return build[1]


@pytest.fixture(scope="session")
def site_url(site):
    with serve(site) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright. Without it the browser checks skip, unless
    REQUIRE_BROWSER=1 (set by CI), which turns the skip into a failure."""
    if not chromium_available():
        message = "Chromium not found at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    with chromium() as b:
        yield b

