"""A minimal router for one Function URL: routes by method and path, maps errors to HTTP.

Powertools' ``LambdaFunctionUrlResolver`` does the same but costs about 60 ms of imports at
cold start for functions that have one or two routes, so the handlers use this instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gpt_auth.errors import (
    ConfigError,
    HttpError,
    MethodNotAllowed,
    NotFound,
    ServerMisconfigured,
    ServiceUnavailable,
    shown,
)
from gpt_auth.http import Request, error_page, error_response
from gpt_auth.log import logger
from gpt_auth.metrics import count_outcome, publish

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

Route = Callable[[Request], dict[str, Any]]


class Router:
    """Routes of one function. With ``error_page_title``, errors are HTML pages (browser-facing routes)."""

    def __init__(self, error_page_title: str | None = None) -> None:
        self._routes: dict[str, dict[str, Route]] = {}
        self._error_page_title = error_page_title

    def _error(self, error: HttpError) -> dict[str, Any]:
        if self._error_page_title is None:
            return error_response(error)
        return error_page(error, self._error_page_title)

    def route(self, method: str, path: str) -> Callable[[Route], Route]:
        def register(func: Route) -> Route:
            self._routes.setdefault(path, {})[method.upper()] = func
            return func

        return register

    def _find(self, request: Request) -> Route:
        methods = self._routes.get(request.path.rstrip("/") or "/")
        if methods is None:
            raise NotFound(f"There is nothing at {shown(request.path)} on this function.")
        if request.method not in methods:
            raise MethodNotAllowed(shown(request.method), sorted(methods))
        return methods[request.method]

    def resolve(self, event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
        """Answer one Function URL event; never raises."""
        started = time.perf_counter()
        path = str(event.get("rawPath") or "/")[:200]
        headers = event.get("headers") or {}
        logger.set_correlation_id(headers.get("openai-conversation-id"))
        gpt_id = headers.get("openai-gpt-id")
        try:
            request = Request.from_event(event)
            result = self._find(request)(request)
        except HttpError as exc:
            result = self._error(exc)
        except ConfigError as exc:
            logger.error("configuration error", extra={"reason": str(exc)})
            result = self._error(ServerMisconfigured(f"The server is misconfigured: {exc}"))
        except Exception as exc:
            if _is_database_outage(exc):
                logger.warning("database unavailable", extra={"error_type": type(exc).__name__})
                result = self._error(
                    ServiceUnavailable("The session store is unreachable; try again in a moment.")
                )
            else:
                logger.exception("unhandled error")
                result = self._error(ServerMisconfigured("Internal error; see the function's logs."))
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


def _is_database_outage(exc: Exception) -> bool:
    from pymongo.errors import ConnectionFailure, ExecutionTimeout, WriteConcernError

    return isinstance(exc, (ConnectionFailure, ExecutionTimeout, WriteConcernError))
