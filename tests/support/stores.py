"""The two stores tests run on: the embedded one (mongomock) and the nx-27017 wire-protocol server."""

from __future__ import annotations

import pytest

EMBEDDED = "mongomock"
NX = "nx"


def database_for(test_id: str) -> str:
    """A database name of the test's own on the shared nx-27017 server."""
    return f"t{abs(hash(test_id)) % 10**9}"


def skip_on_nx(store: str, reason: str) -> None:
    """Skip where nx-27017 diverges from MongoDB's documented semantics."""
    if store == NX:
        pytest.skip(f"nx-27017 divergence: {reason}")
