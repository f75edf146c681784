"""What the tests that drive /mcp with the official MCP clients share: a seeded /mcp token, the
pinned Node toolchain of ``tests/node`` (``make install`` runs its ``npm ci``) and a loopback proxy
that puts the token in front of a client that cannot send one (the conformance suite's server
scenarios). The token is a real session of the store; nothing in the product is bypassed."""

from __future__ import annotations

import http.client
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from localdev.loopback import LOOPBACK_NAMES, allowed_hosts
from localdev.seed import seed_session_for
from tests.support.paths import ROOT

NODE_DIR = ROOT / "tests" / "node"
NODE22 = NODE_DIR / "node_modules" / ".bin" / "node"
CONFORMANCE = NODE_DIR / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
# 0.2.0-alpha, under an npm alias beside 0.1.16: it adds the authorization server scenarios.
CONFORMANCE_NEXT = NODE_DIR / "node_modules" / "conformance-next" / "dist" / "index.js"
TS_CLIENT = NODE_DIR / "mcp_client.mjs"

# Per connection, never forwarded (RFC 9110, 7.6.1); the lengths are the proxy's own.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
) | {"content-length"}


def bound_token(resource: str | None, scope: str | None = None) -> str:
    """A new access token of a seeded session bound to ``resource`` (None: a GPT's token)."""
    token = "gat_" + secrets.token_urlsafe(32)
    seed_session_for(token, resource=resource, scope=scope)
    return token


def node22() -> Path:
    """tests/node's Node 22; the test is skipped without it (failed under CI, which installs it)."""
    if NODE22.exists() and CONFORMANCE.exists() and CONFORMANCE_NEXT.exists():
        return NODE22
    reason = "tests/node is not installed: run `make install` (needs npm, which Node brings)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _forwarded_host(host: str, own_port: int, upstream_port: int) -> str:
    """The proxy's own loopback address becomes the upstream's; any other ``Host`` passes as sent,
    so a rebound name still reaches the upstream's DNS-rebinding check."""
    if host.strip().lower() in allowed_hosts(own_port):
        return f"{host.strip().lower().rpartition(':')[0]}:{upstream_port}"
    return host


def bearer_proxy(upstream: str, token: str) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """A WSGI app forwarding every request to ``upstream`` (``http://127.0.0.1:<port>``) with
    ``Authorization: Bearer <token>`` set, the rest as sent; the answer comes back whole."""
    target = urlsplit(upstream)
    host, port = target.hostname, target.port
    assert host in LOOPBACK_NAMES and port, upstream

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and key[5:].replace("_", "-").lower() not in _HOP_BY_HOP
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["Host"] = _forwarded_host(environ.get("HTTP_HOST", ""), int(environ["SERVER_PORT"]), port)
        headers["Authorization"] = f"Bearer {token}"
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request(environ["REQUEST_METHOD"], environ["REQUEST_URI"], body, headers)
            answer = connection.getresponse()
            content = answer.read()
        finally:
            connection.close()
        kept = [(name, value) for name, value in answer.getheaders() if name.lower() not in _HOP_BY_HOP]
        start_response(f"{answer.status} {answer.reason}", [*kept, ("Content-Length", str(len(content)))])
        return [content]

    return app
