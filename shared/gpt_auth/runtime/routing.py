"""A small router for one Function URL, shaped like Powertools' ``LambdaFunctionUrlResolver``.

Routes are registered with ``@router.route(method, path)`` (or ``get``, ``post``, ``put``,
``delete``), and every exception becomes an HTTP answer in one place (``Router.exception_handler``
and ``_answer_for``). Powertools' resolver does the same but costs a measurable share of cold
start for functions with one or two routes (docs/performance.md), so the handlers use this one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gpt_auth.runtime import db
from gpt_auth.runtime.app_secret import SecretUnavailable
from gpt_auth.runtime.errors import (
    ConfigError,
    HttpError,
    MethodNotAllowed,
    NotFound,
    ServerMisconfigured,
    shown,
)
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.metrics import count_outcome, publish
from gpt_auth.runtime.origin import require_cloudfront
from gpt_auth.runtime.web import Request, error_page, error_response

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

Route = Callable[[Request], dict[str, Any]]
ExceptionHandler = Callable[[Any], HttpError]


def _misconfigured(exc: ConfigError) -> HttpError:
    logger.error("configuration error", extra={"reason": str(exc), "detail": exc.detail})
    return ServerMisconfigured(f"The server is misconfigured: {exc}")


def _secret_unavailable(exc: SecretUnavailable) -> HttpError:
    logger.error("settings secret unavailable", extra={"detail": exc.detail})
    return exc


class Router:
    """Routes of one function. With ``error_page_title``, errors are HTML pages (browser-facing
    routes), except on the paths registered with ``json_errors=True`` (a client's API on the same
    function, such as RFC 7591 registration)."""

    def __init__(self, error_page_title: str | None = None) -> None:
        self._routes: dict[str, dict[str, Route]] = {}
        self._error_page_title = error_page_title
        self._json_error_paths: dict[str, dict[str, str]] = {}  # path -> headers its errors carry
        self._exception_handlers: dict[type[Exception], ExceptionHandler] = {
            HttpError: lambda exc: exc,
            ConfigError: _misconfigured,
            SecretUnavailable: _secret_unavailable,
        }

    def route(
        self,
        method: str,
        path: str,
        *,
        json_errors: bool = False,
        error_headers: dict[str, str] | None = None,
    ) -> Callable[[Route], Route]:
        """Register ``func`` for ``method`` and ``path``; with ``json_errors`` its errors are JSON
        even on a router of pages, carrying ``error_headers`` (e.g. ``web.PUBLIC_READ``)."""

        def register(func: Route) -> Route:
            self._routes.setdefault(path, {})[method.upper()] = func
            if json_errors:
                self._json_error_paths[path] = dict(error_headers or {})
            return func

        return register

    def get(
        self, path: str, *, json_errors: bool = False, error_headers: dict[str, str] | None = None
    ) -> Callable[[Route], Route]:
        return self.route("GET", path, json_errors=json_errors, error_headers=error_headers)

    def post(
        self, path: str, *, json_errors: bool = False, error_headers: dict[str, str] | None = None
    ) -> Callable[[Route], Route]:
        return self.route("POST", path, json_errors=json_errors, error_headers=error_headers)

    def put(self, path: str) -> Callable[[Route], Route]:
        return self.route("PUT", path)

    def delete(self, path: str) -> Callable[[Route], Route]:
        return self.route("DELETE", path)

    def exception_handler(self, exc_type: type[Exception]) -> Callable[[ExceptionHandler], ExceptionHandler]:
        """Register how ``exc_type`` (and its subclasses) becomes an ``HttpError``."""

        def register(func: ExceptionHandler) -> ExceptionHandler:
            self._exception_handlers[exc_type] = func
            return func

        return register

    def _find(self, request: Request) -> Route:
        methods = self._routes.get(request.path.rstrip("/") or "/")
        if methods is None:
            raise NotFound(f"There is nothing at {shown(request.path)} on this function.")
        if request.method not in methods:
            raise MethodNotAllowed(shown(request.method), sorted(methods))
        return methods[request.method]

    def _answer_for(self, exc: Exception) -> HttpError:
        """The one place where an exception becomes an HTTP error: registered handlers first (the
        most specific class wins), then the store's outages, else a 500 whose cause is only logged."""
        for cls in type(exc).__mro__:
            handler = self._exception_handlers.get(cls)
            if handler is not None:
                return handler(exc)
        outage = db.outage_answer(exc)
        if outage is not None:
            return outage
        logger.exception("unhandled error")
        return ServerMisconfigured("Internal error; see the function's logs.")

    def _error(self, error: HttpError, path: str) -> dict[str, Any]:
        extra = self._json_error_paths.get(path.rstrip("/") or "/")
        if extra is not None:
            answer = error_response(error)
            answer["headers"].update(extra)
            return answer
        if self._error_page_title is None:
            return error_response(error)
        return error_page(error, self._error_page_title)

    def resolve(self, event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
        """Answer one Function URL event; never raises."""
        started = time.perf_counter()
        path = str(event.get("rawPath") or "/")[:200]
        headers = event.get("headers") or {}
        logger.set_correlation_id(headers.get("openai-conversation-id"))
        gpt_id = headers.get("openai-gpt-id")
        try:
            require_cloudfront(headers)  # first: a direct call learns nothing about the request
            request = Request.from_event(event)
            result = self._find(request)(request)
        except Exception as exc:
            result = self._error(self._answer_for(exc), path)
        logger.info(
            "request",
            extra={
                "route": path,
                "method": str((event.get("requestContext") or {}).get("http", {}).get("method", ""))[:20],
                "status": result["statusCode"],
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                **({"gpt_id": str(gpt_id)[:100]} if gpt_id else {}),
            },
        )
        count_outcome(result["statusCode"])
        publish()
        return result
