"""Local servers answer only to their own loopback address: a DNS-rebinding defence.

A web page on another site can point its own host name at 127.0.0.1 and so reach a local
server from the user's browser; the ``Host`` header then names that site. ``make dev``'s
servers bind to 127.0.0.1 and refuse any request whose ``Host`` is not ``127.0.0.1:<port>`` or
``localhost:<port>`` for the port they listen on (``SERVER_PORT`` in the WSGI environ).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response

LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def allowed_hosts(port: int | str) -> frozenset[str]:
    """The ``Host`` values a local server on ``port`` answers to."""
    return frozenset(f"{name}:{port}" for name in LOOPBACK_NAMES)


def host_refusal(environ: Mapping[str, Any]) -> Response | None:
    """A 403 for a request whose ``Host`` is not this server's loopback address, else None."""
    port = str(environ.get("SERVER_PORT", ""))
    host = str(environ.get("HTTP_HOST", "")).strip().lower()
    default_port = "443" if environ.get("wsgi.url_scheme") == "https" else "80"
    with_port = host if host.rpartition(":")[2].isdigit() else f"{host}:{default_port}"
    if with_port in allowed_hosts(port):
        return None
    shown = host[:100] if host.isascii() and host.isprintable() else "(unprintable)"
    return Response(
        f"Refused: this local server answers only to Host 127.0.0.1:{port} or localhost:{port}, "
        f"not {shown or '(none)'}; a page of another site cannot reach it through its own name "
        "(DNS rebinding). Open http://127.0.0.1:" + port + "/ instead.\n",
        403,
        {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"},
    )
