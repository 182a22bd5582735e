"""Fixtures of the site checks: one strict build per test run, served on localhost."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from pathlib import Path

import pytest

from checks.site.browser import build_site, chromium, chromium_available, serve


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """The finished `mkdocs build --strict` of the project (process and site directory).

    Built once per test run: the xdist workers share the base temporary directory's parent,
    and the first worker to take the lock builds while the others wait for it.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    site, record = root / "site", root / "site-build.json"
    with open(root / "site-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            result = build_site(site)
            record.write_text(json.dumps({"returncode": result.returncode,
                                          "stdout": result.stdout, "stderr": result.stderr}))
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

