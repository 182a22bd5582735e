"""`checks.lazy.lazy_import`: what pytest's collection does to a module-level name does not
import the module; using it does."""

from __future__ import annotations

import inspect
import sys

import pytest

from checks.lazy import lazy_import

NAME = "wave"  # a standard module that nothing in this project imports


def test_collection_probes_do_not_import_and_use_does():
    if NAME in sys.modules:
        pytest.skip(f"{NAME} is already imported")
    module = lazy_import(NAME)
    # what collection looks up on every name of a check file
    assert not inspect.isclass(module) and getattr(module, "_mock_name", None) is None
    assert getattr(module, "__test__", None) is None and not callable(module)
    assert NAME not in sys.modules, "a collection probe imported the module"
    assert callable(module.open)  # the first use imports it
    assert NAME in sys.modules and module.open is sys.modules[NAME].open
