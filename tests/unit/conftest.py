"""Unit tests stay in-process: ``store`` is the embedded store here.

tests/process/test_unit_store_tests_on_nx.py runs every unit test that takes ``store`` once more
on the nx-27017 server (a child process, real pymongo over TCP).
"""

from __future__ import annotations

import pytest

from tests.support import stores


@pytest.fixture
def store() -> str:
    return stores.EMBEDDED
