"""A local Lambda Function URL emulator: real HTTP in, payload 2.0 events to the real handlers.

Each function is mounted under its own prefix (``/googleAuthorization``, ...). A request to
``/googleAuthorization/callback?code=x`` becomes the event a Function URL would send to
googleAuthorization for ``/callback?code=x``: the prefix is not part of a real Function URL, so
the handler sees ``rawPath`` ``/callback``. A well-known URL at the root names the mount after
its name: ``/.well-known/oauth-protected-resource/testEndpoint/mcp`` is testEndpoint's
``/.well-known/oauth-protected-resource/mcp`` (RFC 9728's place for ``/testEndpoint/mcp``'s
metadata), and ``/.well-known/oauth-authorization-server/googleAuthorization`` (or
``openid-configuration``) googleAuthorization's ``/.well-known/oauth-authorization-server``, the
issuer's metadata (RFC 8414). The event follows AWS's payload format 2.0:

- header names in lower case, a repeated header joined with commas, ``Cookie`` moved to
  ``cookies``, and ``x-forwarded-*`` and ``x-amzn-trace-id`` added as AWS adds them;
- ``requestContext.domainName`` is the ``Host`` the client used (e.g. ``127.0.0.1:3000``), and
  ``apiId`` and ``domainPrefix`` the function's name; so a handler cannot derive its own local
  URL from the event, and ``make dev`` sets ``GOOGLE_REDIRECT_URI`` explicitly;
- ``rawQueryString`` as sent, ``queryStringParameters`` decoded with repeated values joined by
  commas (absent without a query string);
- the body as text only for ``text/*``, ``application/json``, ``application/xml`` and
  ``application/javascript``; anything else (forms included, and a body without a content type)
  is base64-encoded with ``isBase64Encoded: true``, as AWS does; no ``body`` key without a body.

The handler's result becomes the HTTP response as Lambda maps it: ``statusCode``, ``headers``,
``cookies`` (one ``Set-Cookie`` each), ``body`` (base64-decoded when ``isBase64Encoded``); a
result without ``statusCode`` is Lambda's shorthand: 200, ``application/json``, the result as
JSON. A handler that raises, returns something Lambda cannot map, or runs past its timeout
answers 502 ``Internal Server Error`` (logged with the request id), never a hang.

Requests whose ``Host`` is not the server's own loopback address (``127.0.0.1:<port>`` or
``localhost:<port>``) get 403 before anything else: a DNS-rebinding defence (``localdev.loopback``).

One request at a time per function: each function has a lock, as one Lambda container handles
one request at a time. A request that waits longer than the function's timeout for the lock
gets 429, as a throttled Function URL does. Handlers are imported on their first request (a cold
start) and keep their module state, as a warm container does. All functions share this process,
so they share the embedded session store, as deployed functions share MongoDB.

The emulator sets no ``AWS_LAMBDA_*`` variable: the code must not believe it runs in AWS.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from localdev.lambda_env import (
    FUNCTION_MOUNTS,
    FUNCTION_TIMEOUT,
    FakeLambdaContext,
    event_body,
    handler_module,
)
from localdev.loopback import host_refusal

ROOT = Path(__file__).resolve().parent.parent

Handler = Callable[[dict[str, Any], Any], Any]

# Mount name (as in the template) -> module whose ``lambda_handler`` serves it.
DEFAULT_FUNCTIONS: dict[str, str | Handler] = {
    mount: handler_module(package) for mount, package in FUNCTION_MOUNTS.items()
}
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda's synchronous invocation limit
WELL_KNOWN = "/.well-known/"  # RFC 8615
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"})

log = logging.getLogger("localdev.emulator")


class InvalidResponse(Exception):
    """The handler returned something Lambda cannot turn into an HTTP response."""


@dataclass
class Function:
    """One mounted function: its handler (imported on first use) and its one-container lock."""

    name: str
    source: str | Handler
    lock: threading.Lock = field(default_factory=threading.Lock)
    _handler: Handler | None = None

    def handler(self) -> Handler:
        """The handler, imported on first use; an import error propagates and is retried next time."""
        if self._handler is None:
            if callable(self.source):
                self._handler = self.source
            else:
                module_name, _, attr = self.source.partition(":")
                module = importlib.import_module(module_name)
                self._handler = getattr(module, attr or "lambda_handler")
        return self._handler


def build_event(request: Request, raw_path: str, request_id: str, function_name: str) -> dict[str, Any]:
    """The payload 2.0 event a Function URL builds for ``request``, seen at ``raw_path``."""
    environ = request.environ
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers[key.lower().replace("_", "-")] = value
    cookie_header = headers.pop("cookie", "")
    source_ip = str(environ.get("REMOTE_ADDR", "127.0.0.1"))
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {source_ip}" if forwarded else source_ip
    headers["x-forwarded-proto"] = str(environ.get("wsgi.url_scheme", "http"))
    headers["x-forwarded-port"] = str(environ.get("SERVER_PORT", ""))
    headers["x-amzn-trace-id"] = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"

    raw_query = str(environ.get("QUERY_STRING", ""))
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": function_name,
            "domainName": headers.get("host", f"127.0.0.1:{environ.get('SERVER_PORT', '')}"),
            "domainPrefix": function_name,
            "http": {
                "method": request.method,
                "path": raw_path,
                "protocol": str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    cookies = [c.strip() for c in cookie_header.split(";") if c.strip()]
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        params: dict[str, str] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            params[name] = f"{params[name]},{value}" if name in params else value
        event["queryStringParameters"] = params
    body = request.get_data(cache=False)
    if body:
        event["body"], event["isBase64Encoded"] = event_body(body, request.mimetype or "")
    return event


def to_response(result: Any) -> Response:
    """Map a handler's result to HTTP as a Function URL does.

    Raises
    ------
    InvalidResponse
        When Lambda could not map the result (bad ``statusCode``, body or headers, or a value
        that is not JSON).
    """
    if not (isinstance(result, dict) and "statusCode" in result):
        try:
            payload = json.dumps(result)
        except (TypeError, ValueError) as exc:
            raise InvalidResponse(f"the result is not JSON-serializable: {exc}") from None
        return Response(payload, 200, {"Content-Type": "application/json"})

    status = result["statusCode"]
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise InvalidResponse(f"statusCode must be an integer from 100 to 599, got {status!r}")
    body = result.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise InvalidResponse(f"body must be a string, got {type(body).__name__}")
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidResponse("isBase64Encoded is true but the body is not valid base64") from None
    else:
        data = body.encode("utf-8")
    headers = result.get("headers") or {}
    cookies = result.get("cookies") or []
    if not isinstance(headers, dict) or not isinstance(cookies, list):
        raise InvalidResponse("headers must be an object and cookies a list of strings")
    response = Response(data, status)
    response.headers.remove("Content-Type")
    for name, value in headers.items():
        if str(name).lower() not in HOP_BY_HOP:
            response.headers.add(str(name), _header_value(value))
    for cookie in cookies:
        response.headers.add("Set-Cookie", str(cookie))
    return response


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _plain(status: int, text: str, request_id: str | None = None) -> Response:
    response = Response(
        text, status, {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}
    )
    if request_id:
        response.headers["x-amzn-RequestId"] = request_id
    return response


class FunctionUrlEmulator:
    """A WSGI application serving each function under ``/<name>`` as its own Function URL.

    Parameters
    ----------
    functions
        Mount name to handler: a callable, or ``"module"`` / ``"module:attribute"`` imported on
        the first request (default attribute ``lambda_handler``). Defaults to the three functions.
    timeout
        Seconds a handler may run before the request answers 502, as the function's timeout.
    one_at_a_time
        Serialize the requests to each function, as one Lambda container does (the default).
    """

    def __init__(
        self,
        functions: Mapping[str, str | Handler] | None = None,
        *,
        timeout: float = FUNCTION_TIMEOUT,
        one_at_a_time: bool = True,
    ) -> None:
        self.functions = {
            name: Function(name, source) for name, source in (functions or DEFAULT_FUNCTIONS).items()
        }
        self.timeout = timeout
        self.one_at_a_time = one_at_a_time

    def preload(self) -> dict[str, str]:
        """Import every handler now (a cold start for each); returns the failures by function."""
        failures = {}
        for function in self.functions.values():
            try:
                function.handler()
            except Exception as exc:
                log.exception("%s: the handler failed to import", function.name)
                failures[function.name] = f"{type(exc).__name__}: {exc}"
        return failures

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        refusal = host_refusal(environ)
        if refusal is not None:
            return refusal(environ, start_response)
        request = Request(environ)
        started = time.perf_counter()
        raw_path = _raw_path(environ)
        mount, own_path = function_path(raw_path)
        function = self.functions.get(mount)
        if function is None:
            response = self._not_found(request, raw_path)
            label = "-"
        else:
            response = self._invoke(function, request, own_path)
            label = function.name
        # The path only: query strings carry codes and state, which are never logged.
        log.info(
            "%s %s -> %d in %.0f ms (%s)",
            request.method,
            raw_path[:200],
            response.status_code,
            (time.perf_counter() - started) * 1000,
            label,
        )
        return response(environ, start_response)

    def _invoke(self, function: Function, request: Request, raw_path: str) -> Response:
        request_id = str(uuid.uuid4())
        length = request.content_length or 0
        if length > MAX_PAYLOAD_BYTES:
            return _plain(413, "Request Entity Too Large: Lambda accepts at most 6 MB.", request_id)
        event = build_event(request, raw_path, request_id, function.name)
        if self.one_at_a_time and not function.lock.acquire(timeout=self.timeout):
            return _plain(
                429,
                f"Too Many Requests: {function.name} is still busy with another request "
                "(the emulator runs one request at a time per function, like one Lambda container).",
                request_id,
            )
        lock = function.lock if self.one_at_a_time else None
        # The account and region say "local": nothing here is the deployed function.
        context = FakeLambdaContext(
            function_name=function.name,
            aws_request_id=request_id,
            deadline=time.monotonic() + self.timeout,
            region="local",
            account_id="000000000000",
        )
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["result"] = function.handler()(event, context)
            except BaseException as exc:
                outcome["error"] = exc
            finally:
                if lock is not None:
                    lock.release()

        worker = threading.Thread(target=run, name=f"lambda-{function.name}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            log.error(
                "%s: RequestId %s Task timed out after %.2f seconds",
                function.name,
                request_id,
                self.timeout,
            )
            return _plain(502, "Internal Server Error", request_id)
        if "error" in outcome:
            error = outcome["error"]
            log.error(
                "%s: RequestId %s the handler raised %s",
                function.name,
                request_id,
                type(error).__name__,
                exc_info=error,
            )
            return _plain(502, "Internal Server Error", request_id)
        try:
            response = to_response(outcome["result"])
        except InvalidResponse as exc:
            log.error("%s: RequestId %s invalid handler response: %s", function.name, request_id, exc)
            return _plain(502, "Internal Server Error", request_id)
        response.headers["x-amzn-RequestId"] = request_id
        return response

    def _not_found(self, request: Request, raw_path: str) -> Response:
        base = request.host_url.rstrip("/")
        lines = [
            f"Not Found: no function is mounted at {raw_path[:200]}",
            "",
            "Each function answers under its own prefix, as under its own Function URL:",
            *(f"  {base}/{name}/" for name in self.functions),
        ]
        return _plain(404, "\n".join(lines) + "\n")


def function_path(raw_path: str) -> tuple[str, str]:
    """The mount ``raw_path`` reaches and the path its function sees.

    ``/<mount>/<rest>`` is the function's ``/<rest>``. A well-known URL of something under a mount
    sits at the root with the mount after its name (RFC 9728 and 8414 insert the well-known
    part before the path): ``/.well-known/<name>/<mount>/<rest>`` is the function's
    ``/.well-known/<name>/<rest>``, as the one host's path function does it.
    """
    if raw_path.startswith(WELL_KNOWN):
        name, _, after = raw_path[len(WELL_KNOWN) :].partition("/")
        mount, _, rest = after.partition("/")
        return mount, f"{WELL_KNOWN}{name}" + (f"/{rest}" if rest else "")
    mount, _, rest = raw_path.lstrip("/").partition("/")
    return mount, "/" + rest


def _raw_path(environ: Mapping[str, Any]) -> str:
    """The path as the client sent it (still percent-encoded), without the query string."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = str(raw).split("?", 1)[0]
        if not path.startswith("/"):  # absolute-form request target
            path = urlsplit(path).path
        return path or "/"
    return quote(str(environ.get("PATH_INFO", "/"))) or "/"


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's handler without its access log line, which would print query strings."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def make_emulator_server(app: Any, port: int, host: str = "127.0.0.1") -> BaseWSGIServer:
    """Bind a threaded HTTP server for ``app``; raises ``OSError`` when the port is taken."""
    if port:
        # werkzeug prints its own message and exits on a bind error: try the port first.
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    return make_server(host, port, app, threaded=True, request_handler=_RequestHandler)


@contextmanager
def serve_in_thread(app: Any, port: int = 0, host: str = "127.0.0.1") -> Iterator[BaseWSGIServer]:
    """Serve ``app`` on a background thread; ``port=0`` picks a free port (``.server_port``)."""
    server = make_emulator_server(app, port, host)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="emulator", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
