"""The unit tests that take ``store``, run again, unchanged, on the nx-27017 wire-protocol server.

tests/unit runs them on the embedded store only (no child process, no TCP). Here each one runs
through real pymongo over TCP against the shared nx-27017 server. They are gathered from their
modules by signature, so a new unit test that takes ``store`` runs here too.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import unit
from tests.support import stores

pytestmark = pytest.mark.nx


@pytest.fixture
def store(nx_store: object) -> str:
    return stores.NX


def unit_store_tests() -> Iterator[tuple[str, Callable[..., Any]]]:
    """``(name, test)`` for each unit test taking ``store``; the name keeps its module's."""
    for info in pkgutil.iter_modules(unit.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{unit.__name__}.{info.name}")
        for name, test in vars(module).items():
            takes_store = inspect.isfunction(test) and "store" in inspect.signature(test).parameters
            if name.startswith("test_") and takes_store:
                yield f"test_{info.name.removeprefix('test_')}__{name.removeprefix('test_')}", test


globals().update(unit_store_tests())
