"""Modules imported on first use: a check file that needs scipy or sympy for a few checks
should not make every pytest run pay for importing them while it collects (each xdist worker
collects every check file).

A stand-in, not `importlib.util.LazyLoader`: while it collects a file, pytest looks at every
name of the module (is it a class? a test function? a fixture?), and a LazyLoader module
loads itself on any attribute lookup, `__class__` included, so scipy and sympy were imported
at collection all the same. The stand-in imports its module on the first lookup of a public
attribute (`stats.norm`); lookups of private and dunder names (`__class__`, pytest's
`_mock_name`, …), which is all that collection makes, do not import it.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    """A module imported when one of its public attributes is first used."""

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str):  # only for what the stand-in itself lacks
        if attr.startswith("_"):  # what collection probes: __class__, _mock_name, …
            raise AttributeError(attr)
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy module {self._name!r}, {state}>"


def lazy_import(name: str) -> LazyModule:
    """The module `name`, imported when one of its public attributes is first used."""
    return LazyModule(name)
