"""Local stand-ins for reading the settings secret: moto's Secrets Manager as a server, and the AWS
Parameters and Secrets Lambda Extension in front of it. For tests and ``make bench``; loopback only.

The extension stand-in answers what the function asks of the real one: ``GET
/secretsmanager/get?secretId=<arn>`` with ``X-Aws-Parameters-Secrets-Token`` equal to the
function's ``AWS_SESSION_TOKEN``, answered with GetSecretValue's JSON (read here with boto3), kept
``ttl`` seconds (the real one's ``SECRETS_MANAGER_TTL``; 0 reads every time). A wrong token is a
401, a Secrets Manager error keeps its status and code, Secrets Manager unreachable is a 502, and
``fault = (status, body)`` makes it answer that instead (a throttled or failing Secrets Manager,
which moto cannot play).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

REGION = "eu-west-1"
SESSION_TOKEN = "local-session-token-not-a-secret"
# moto needs credentials of some kind; these reach no account.
FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@contextmanager
def moto_secrets_manager() -> Iterator[str]:
    """moto's server on a free loopback port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def secrets_client(endpoint_url: str) -> Any:
    """A boto3 Secrets Manager client for the moto server at ``endpoint_url``."""
    import boto3

    return boto3.client("secretsmanager", endpoint_url=endpoint_url, region_name=REGION, **FAKE_CREDENTIALS)


class SecretsExtension:
    """The extension stand-in on a free loopback port, as a context manager."""

    def __init__(self, endpoint_url: str, *, ttl: float = 0, token: str = SESSION_TOKEN) -> None:
        self.client = secrets_client(endpoint_url)
        self.ttl = ttl
        self.token = token
        self.fault: tuple[int, str] | None = None
        self.reads = 0  # requests served, faults included
        self._cache: dict[str, tuple[float, bytes]] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def environment(self) -> dict[str, str]:
        """What Lambda gives a function that has the extension: its port and the session token."""
        return {"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(self.port), "AWS_SESSION_TOKEN": self.token}

    def answer(self, path: str, token: str | None) -> tuple[int, bytes]:
        """Status and body for one request."""
        self.reads += 1
        parts = urlsplit(path)
        secret_id = parse_qs(parts.query).get("secretId", [""])[0]
        if token != self.token:
            return 401, b"missing or invalid X-Aws-Parameters-Secrets-Token"
        if parts.path != "/secretsmanager/get" or not secret_id:
            return 400, b"use /secretsmanager/get?secretId=<name or ARN>"
        if self.fault is not None:
            return self.fault[0], self.fault[1].encode()
        cached = self._cache.get(secret_id)
        if cached and cached[0] > time.monotonic():
            return 200, cached[1]
        return self._get_secret_value(secret_id)

    def _get_secret_value(self, secret_id: str) -> tuple[int, bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            value = self.client.get_secret_value(SecretId=secret_id)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
            return status, f"{error.get('Code')}: {error.get('Message')}".encode()
        except BotoCoreError as exc:
            return 502, f"Secrets Manager did not answer: {type(exc).__name__}".encode()
        value.pop("ResponseMetadata", None)
        body = json.dumps(value, default=str).encode()
        if self.ttl > 0:
            self._cache[secret_id] = (time.monotonic() + self.ttl, body)
        return 200, body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        extension = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = extension.answer(self.path, self.headers.get("X-Aws-Parameters-Secrets-Token"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests read the product's logs

        return Handler

    def __enter__(self) -> SecretsExtension:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
