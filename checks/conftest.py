"""The two layers of checks, `--formula`, and the report by key equation.

- `pytest checks/` runs the formula layer: every check of a key equation plus the cheap static
  checks (registry, catalogue, glossary, KaTeX pins). Nothing builds the site or starts a
  browser. It ends with a report: per page, each key equation with its number of checks,
  passed or failed, and the equation's address on the site.
- `--site` adds the site layer: every check that uses the built site or a browser (the
  fixtures in SITE_FIXTURES) or is marked `site`/`browser` (the strict build, failing builds,
  figures, pages in Chromium, search). `make check` and CI pass it.
- `--formula PAGE#EQ-ID` (repeatable) runs exactly the checks of that key equation:
  `pytest checks/ --formula llm-rl/grpo#eq-group-advantage`; a bare `eq-…` id is accepted where
  only one page has it. An unknown or ambiguous name is a usage error listing the closest.

Hypothesis runs derandomized, without its example database: the same examples on every
machine and every run, so a reader's `pytest checks/` cannot fail by the draw.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import settings

from hooks import registry

settings.register_profile("checks", derandomize=True, database=None, print_blob=False)
settings.load_profile("checks")

SITE_FIXTURES = {"build", "site", "site_url", "browser", "tab", "project_copy"}
CHECKS = Path(__file__).resolve().parent


def pytest_addoption(parser):
    group = parser.getgroup("verified-ml-math", "verified-ml-math checks")
    group.addoption("--site", action="store_true",
                    help="also run the site layer: strict build, failing builds, figures, "
                         "browser and search (make check and CI pass it)")
    group.addoption("--formula", action="append", default=[], metavar="PAGE#EQ-ID",
                    help="run only the checks of this key equation, e.g. "
                         "llm-rl/grpo#eq-group-advantage (a bare eq-… id where unique); repeatable")


# mutmut runs the checks once per mutant, in a fresh pytest session each time: there the
# report, which reads every page (about 0.3 s), is left out.
def under_mutmut() -> bool:
    return "MUTANT_UNDER_TEST" in os.environ


def key_equations(config) -> dict:
    """page#eq-id -> KeyEquation (title, line, address), read from the pages once per session,
    when first needed; which checks each has is what this run reports."""
    if config._key_equations is None:
        config._key_equations = {eq.key: eq for eq in registry.read_pages()[0]}
    return config._key_equations


def pytest_configure(config):
    config._key_equations = None
    chosen = set()
    for query in config.getoption("formula"):
        try:
            chosen.add(registry.resolve(query, list(key_equations(config).values())).key)
        except LookupError as error:
            raise pytest.UsageError(str(error)) from None
    config._chosen_formulas = chosen
    config._formula_outcomes = defaultdict(dict)  # key -> {nodeid: outcome}
    config._site_deselected = 0
    # xdist hands out tests in chunks of a quarter of a worker's share, in order: the first
    # chunk would give one worker every long check of parallel_order(); two at a time, they
    # go to whichever worker is free
    if getattr(config.option, "maxschedchunk", "absent") is None:
        config.option.maxschedchunk = 2
    # the report is the controller's: an xdist worker sends its outcomes there (their
    # user_properties), and would otherwise read every page to print a report nobody sees
    if not under_mutmut() and not hasattr(config, "workerinput"):
        config.pluginmanager.register(FormulaReport(config), "formula-report")


def pytest_sessionstart(session):
    """With the site layer, start the strict build now: it runs beside the formula checks."""
    config = session.config
    if config.getoption("site") and not config._chosen_formulas and not config.option.collectonly:
        from checks.site.browser import start_build

        start_build(config._tmp_path_factory)


def pytest_ignore_collect(collection_path, config):
    """With --formula, only the check files of the chosen equations' pages are collected (a
    key equation's checks live in its page's check file): one equation's checks start in a
    second or two instead of importing every check module."""
    chosen = getattr(config, "_chosen_formulas", None)
    if not chosen:
        return None
    if collection_path.is_dir() and collection_path.parent == CHECKS:
        # a section without a chosen page is not entered: its conftest.py, which may import
        # torch, is not loaded either
        sections = {key.split("/")[0].replace("-", "_") for key in chosen}
        return True if collection_path.name not in sections else None
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    try:
        page = registry.page_of_check_file(collection_path.resolve(), CHECKS)
    except ValueError:  # not under checks/
        return None
    return True if page not in {key.split("#")[0] for key in chosen} else None


def formula_key(item) -> str | None:
    """page#eq-id of the key equation an item checks (its formula marker, scoped to the page
    of its check file), or None."""
    marker = item.get_closest_marker("formula")
    if marker is None:
        return None
    page = registry.page_of_check_file(Path(item.path), CHECKS)
    return f"{page}#{marker.args[0]}" if page else None


def is_site_layer(item) -> bool:
    return (item.get_closest_marker("site") is not None
            or item.get_closest_marker("browser") is not None
            or bool(SITE_FIXTURES & set(getattr(item, "fixturenames", ()))))


# The fixtures that wait for the run's strict build (it starts with the run, checks/site/browser.py).
NEEDS_BUILD = {"build", "site", "site_url", "browser", "tab", "static_tab", "long_page", "results"}


def parallel_order(items):
    """The order in which xdist hands the checks to its workers (`make check`). First the
    site checks that need no build (builds of their own, figures, runs of pytest): they keep
    both workers busy while the run's strict build, under way since the start, takes its
    ten-odd seconds; a check that waited for it would leave a core idle. Then the site checks
    marked `long(seconds)`, the longest first, so that none is left for the end while the
    other worker idles; then the formula checks, and the other checks of the built site."""
    def group(item):
        site = is_site_layer(item)
        if site and not NEEDS_BUILD & set(getattr(item, "fixturenames", ())):
            return (0, 0)
        long = item.get_closest_marker("long")
        if long:
            return (1, -long.args[0])
        return (2, 0) if not site else (3, 0)
    items.sort(key=group)  # stable: otherwise the order is pytest's


def pytest_collection_modifyitems(config, items):
    chosen = config._chosen_formulas
    if chosen:
        keep = [i for i in items if formula_key(i) in chosen]
    elif not config.getoption("site"):
        keep = [i for i in items if not is_site_layer(i)]
        config._site_deselected = len(items) - len(keep)
    else:
        if hasattr(config, "workerinput"):
            parallel_order(items)
        return
    dropped = [i for i in items if i not in set(keep)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    key = formula_key(item)
    if key is None:
        return
    report.user_properties.append(("formula", key))  # travels to the xdist controller
    if not report.failed or under_mutmut():
        return
    eq = key_equations(item.config).get(key)
    if eq is not None:
        report.sections.append(("key equation", f"{eq.title}\n{eq.address}\n"
                                                f"rerun: {registry.command(key)}"))


class FormulaReport:
    """Collects each formula check's outcome (on the xdist controller too) and prints the
    report by key equation at the end of the run."""

    def __init__(self, config):
        self.config = config

    def pytest_runtest_logreport(self, report):
        key = dict(report.user_properties).get("formula")
        if key is None:
            return
        outcomes = self.config._formula_outcomes[key]
        if report.failed:
            outcomes[report.nodeid] = "failed"
        elif report.skipped and outcomes.get(report.nodeid) != "failed":
            outcomes[report.nodeid] = "skipped"
        elif report.when == "call" and report.nodeid not in outcomes:
            outcomes[report.nodeid] = "passed"

    def pytest_terminal_summary(self, terminalreporter):
        summary(terminalreporter, self.config)


def summary(terminalreporter, config):
    outcomes = config._formula_outcomes
    equations = key_equations(config) if outcomes else {}
    if not outcomes:
        return
    write = terminalreporter.write_line
    terminalreporter.write_sep("=", "key equations checked")
    by_page = defaultdict(list)
    for key in outcomes:
        by_page[key.split("#")[0]].append(key)
    failed_equations = 0
    for page in sorted(by_page):
        keys = sorted(by_page[page], key=lambda k: equations[k].line if k in equations else 0)
        results = [list(outcomes[k].values()) for k in keys]
        n_failed = sum("failed" in r for r in results)
        failed_equations += n_failed
        status = f"{n_failed} failed" if n_failed else "all passed"
        write(f"{page}: {len(keys)} key equations, {sum(map(len, results))} checks, {status}",
              bold=True, red=bool(n_failed), green=not n_failed)
        for key, result in zip(keys, results):
            eq = equations.get(key)
            counts = ", ".join(f"{result.count(o)} {o}" for o in ("passed", "failed", "skipped")
                               if result.count(o))
            mark = "FAIL" if "failed" in result else "ok  "
            line = f"  {mark} {key.split('#')[1]:<34} {counts:<18} {eq.title if eq else ''}"
            if "failed" in result and eq is not None:
                line += f"  ->  {eq.address}"
            write(line, red="failed" in result)
    total = len(outcomes)
    write(f"{total - failed_equations} of {total} key equations passed all their checks"
          + (f"; {failed_equations} failed" if failed_equations else ""),
          bold=True, red=bool(failed_equations), green=not failed_equations)
    if config._site_deselected:
        write(f"{config._site_deselected} site-layer checks not run (the built site and the "
              "browser): `pytest checks/ --site`, or `make check`, runs them")
