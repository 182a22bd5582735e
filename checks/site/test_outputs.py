"""An output a page shows is what its snippet prints now.

A page may show what its snippet module's `__main__` block prints, in a fenced block whose
title starts with 输出 (```` ```text title="输出" ````). Such a block is a copy, so it is checked:
every line of it must be a line that `python -m snippets.<section_>.<article_>` prints today.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import runpy

import pytest

from checks.site.browser import ROOT
from hooks import registry

# Left out of mutation runs: a mutant that changes what `__main__` prints would be killed here
# though no check of its formula sees it, which would hide a weak check (and cost a run of
# the module's `__main__` per mutant).
pytestmark = pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ,
                                reason="not a check of a formula (mutation testing)")

OUTPUT_BLOCK = re.compile(r'^(?P<indent>[ \t]*)```text\s+title="输出[^"]*"\s*\n(?P<body>.*?)^(?P=indent)```',
                          re.MULTILINE | re.DOTALL)


# numpy's documented defaults (np.get_printoptions() of a fresh interpreter)
NUMPY_DEFAULTS = dict(edgeitems=3, threshold=1000, floatmode="maxprec", precision=8,
                      suppress=False, linewidth=75, nanstr="nan", infstr="inf", sign="-",
                      formatter=None, legacy=False)


def output_blocks(text: str) -> list[list[str]]:
    """The lines of each 输出 block of a page (indentation of the block removed)."""
    blocks = []
    for m in OUTPUT_BLOCK.finditer(text):
        lines = [line.removeprefix(m["indent"]).rstrip() for line in m["body"].splitlines()]
        blocks.append([line for line in lines if line.strip()])
    return blocks


def pages_with_outputs() -> list[str]:
    return sorted(p.relative_to(ROOT / "docs").with_suffix("").as_posix()
                  for p in (ROOT / "docs").glob("*/*.md")
                  if output_blocks(p.read_text(encoding="utf-8")))


def printed(path: str) -> set[str]:
    """The lines a snippet module prints when run as a script, as in a fresh interpreter:
    NumPy's and torch's print options are their defaults while it runs and are restored
    after it (a `__main__` block may set them for itself)."""
    import numpy as np
    import torch

    out = io.StringIO()
    with contextlib.redirect_stdout(out), np.printoptions(**NUMPY_DEFAULTS):
        torch.set_printoptions(profile="default")
        try:
            runpy.run_path(str(ROOT / path), run_name="__main__")
        finally:
            torch.set_printoptions(profile="default")
    return {line.rstrip() for line in out.getvalue().splitlines()}


@pytest.mark.parametrize("page", pages_with_outputs())
def test_every_output_a_page_shows_is_printed_by_its_snippet(page):
    path = registry.snippet_module_of_page(page)
    module = path.removesuffix(".py").replace("/", ".")
    lines = printed(path)
    text = (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")
    stale = [line for block in output_blocks(text) for line in block if line not in lines]
    assert stale == [], f"{page}: lines shown as output that `python -m {module}` does not print"


def test_the_output_blocks_are_found():
    page = ('x\n\n```text title="输出"\nA = 1\n\nB = 2\n```\n\n'
            '    ```text title="输出（python -m m）"\n    C\n    ```\n\n```text\nnot an output\n```\n')
    assert output_blocks(page) == [["A = 1", "B = 2"], ["C"]]
