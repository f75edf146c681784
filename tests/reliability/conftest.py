"""Fixtures of the reliability suite: the store on nx-27017, a TCP black hole, the stubbed provider."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from gpt_auth import db, settings
from localdev.nx_server import NxServer
from tests.unit.conftest import fake_idp, http_mock  # noqa: F401  (the provider stubbed at its HTTP edge)


@pytest.fixture
def nx_store(
    nx_server: NxServer, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> NxServer:
    """The session store on the shared nx-27017 server (a real server over TCP), in a database of its own."""
    monkeypatch.setenv("MONGODB_URI", nx_server.uri)
    monkeypatch.setenv("MONGODB_DATABASE", f"r{abs(hash(request.node.nodeid)) % 10**9}")
    settings.reset()
    db.reset()
    return nx_server


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A loopback port that accepts TCP connections and never answers a byte (a hung server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield listener.getsockname()[1]
