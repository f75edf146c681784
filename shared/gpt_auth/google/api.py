"""Calling a Google API for the signed-in user: the one helper every Google-backed action uses.

:func:`get` (:func:`request` for any method) does it all: the user's access token from the grant
store (``google_tokens.access_token_for``, refreshed when due), one call with our timeouts, and
after Google's 401 one forced refresh (``google_tokens.after_unauthorized``: a grant removed at
Google shows up as ``invalid_grant`` at once) and one retry. Google's answers become:

- 2xx with a JSON object: that object;
- 401 again after the refresh: ``InvalidToken`` (401); ``invalid_grant`` at the refresh: the same
  401, and the user's sessions are revoked and the grant deleted, so ChatGPT offers sign-in;
- 403 for a missing scope (``insufficientPermissions`` / ``ACCESS_TOKEN_SCOPE_INSUFFICIENT``):
  ``InsufficientScope`` (403 ``insufficient_scope`` naming the scope);
- 429, 403 rate limits, 5xx, a timeout or no connection: ``ServiceUnavailable`` (503) with
  ``Retry-After`` (Google's within 1 to 300 s, else ``RETRY_AFTER_SECONDS``);
- a status the caller maps itself (``refusals``, e.g. a 400 for a stale page token): its error;
- anything else, a 2xx that is not a JSON object included: ``UpstreamError`` (502).

The log gets the status and Google's error reasons, never a token or a body. :func:`fetch` is the
one call without the grant store, for a caller that holds a token. ``requests`` and the grant store
(with ``cryptography``) are imported inside the functions only: an action imports this module
inside its ``run``, so its refusals and the other actions keep their cold path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from gpt_auth.google.http import TIMEOUT, retry_after_seconds
from gpt_auth.runtime.errors import (
    HttpError,
    InsufficientScope,
    InvalidToken,
    ServiceUnavailable,
    UpstreamError,
)
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.settings import get_settings

if TYPE_CHECKING:
    from requests import Response

RETRY_AFTER_SECONDS = 5
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})


class TokenRejected(Exception):
    """Google answered 401: the access token is expired, revoked or was never valid."""


class ScopeMissing(Exception):
    """Google answered 403: the user's grant lacks a scope this call needs."""


def unavailable(service: str, retry_after: int = RETRY_AFTER_SECONDS) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"{service} is not answering right now; try again in a moment.", retry_after=retry_after
    )


def reasons(response: Response) -> set[str]:
    """The ``reason`` values of Google's error body (v1 ``errors[]`` and v2 ``details[]`` shapes)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return set()
    if not isinstance(error, dict):
        return set()
    found = {str(e.get("reason")) for e in error.get("errors") or () if isinstance(e, dict)}
    found |= {str(d.get("reason")) for d in error.get("details") or () if isinstance(d, dict)}
    return found


def fetch(
    api_base: str,
    access_token: str,
    method: str,
    path: str,
    *,
    params: Mapping[str, str | int] | None = None,
    json: Any = None,
    refusals: Mapping[int, HttpError] | None = None,
    service: str = "Google",
) -> dict[str, Any]:
    """One call to ``<api_base><path>`` with ``access_token``: Google's JSON object.

    Raises
    ------
    TokenRejected
        Google answered 401 (:func:`as_user` refreshes once).
    ScopeMissing
        Google answered 403 for a missing scope.
    ServiceUnavailable, UpstreamError, HttpError
        As the module docstring lists; ``refusals[status]`` for a status the caller maps.
    """
    import requests

    try:
        response = requests.request(
            method,
            api_base.rstrip("/") + path,
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        logger.warning("google api unavailable", extra={"service": service, "failure": type(exc).__name__})
        raise unavailable(service) from None
    status = response.status_code
    if 200 <= status < 300:
        return _object(response, service)
    found = reasons(response)
    logger.warning(
        "google api refused", extra={"service": service, "status": status, "reasons": sorted(found)[:5]}
    )
    if status == 401:
        raise TokenRejected()
    if status == 403 and found & SCOPE_REASONS:
        raise ScopeMissing()
    if status == 429 or status >= 500 or (status == 403 and found & RATE_LIMIT_REASONS):
        raise unavailable(
            service, retry_after_seconds(response.headers.get("Retry-After", ""), RETRY_AFTER_SECONDS)
        )
    if refusals and status in refusals:
        raise refusals[status]
    raise UpstreamError(f"{service} answered {status}; see the function's logs.")


def as_user[T](user_id: str, scope: str, send: Callable[[str], T], *, service: str = "Google") -> T:
    """``send(access_token)`` with ``user_id``'s token for ``scope``; once more after a refresh on a 401.

    Raises
    ------
    InvalidToken
        No usable grant, Google refused it (the user's sessions are revoked), or 401 twice.
    InsufficientScope
        The user did not grant ``scope`` (the stored grant lacks it, or Google says so).
    ServiceUnavailable, UpstreamError
        As ``send`` and the grant store raise them.
    """
    from gpt_auth.google import google_tokens

    token = google_tokens.access_token_for(user_id, scope=scope)
    try:
        try:
            return send(token)
        except TokenRejected:
            token = google_tokens.after_unauthorized(user_id, token, scope=scope)
            try:
                return send(token)
            except TokenRejected:
                raise InvalidToken(f"{service} refused access; sign in again from ChatGPT.") from None
    except ScopeMissing:
        raise InsufficientScope(tuple(scope.split())) from None


def request(
    user_id: str,
    scope: str,
    method: str,
    path: str,
    *,
    params: Mapping[str, str | int] | None = None,
    json: Any = None,
    refusals: Mapping[int, HttpError] | None = None,
    service: str = "Google",
) -> dict[str, Any]:
    """``method path`` at ``GOOGLE_API_BASE`` for ``user_id``, who granted ``scope``: Google's JSON object.

    Raises as the module docstring lists.
    """
    base = get_settings().google_api_base

    def send(token: str) -> dict[str, Any]:
        return fetch(base, token, method, path, params=params, json=json, refusals=refusals, service=service)

    return as_user(user_id, scope, send, service=service)


def get(
    user_id: str,
    scope: str,
    path: str,
    *,
    params: Mapping[str, str | int] | None = None,
    refusals: Mapping[int, HttpError] | None = None,
    service: str = "Google",
) -> dict[str, Any]:
    """``GET path`` for ``user_id``, as :func:`request`."""
    return request(user_id, scope, "GET", path, params=params, refusals=refusals, service=service)


def items_of(data: Mapping[str, Any], *, service: str = "Google", key: str = "items") -> list[dict[str, Any]]:
    """The resources listed in Google's answer ``data`` (``[]`` when absent).

    Raises
    ------
    UpstreamError
        ``data[key]`` is not a list of JSON objects (502).
    """
    found = data.get(key, [])
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise UpstreamError(f"{service} answered without a list of {key}.")
    return found


def next_page_token(data: Mapping[str, Any], *, max_chars: int, service: str = "Google") -> str | None:
    """Google's ``nextPageToken`` in ``data``, None on the last page.

    Raises
    ------
    UpstreamError
        It is not 1 to ``max_chars`` printable ASCII characters: the action's cursor cannot carry it.
    """
    token = data.get("nextPageToken")
    if token is None:
        return None
    if not (isinstance(token, str) and re.fullmatch(rf"[\x21-\x7e]{{1,{max_chars}}}", token)):
        raise UpstreamError(f"{service} answered a page token this action cannot carry.")
    return token


def _object(response: Response, service: str) -> dict[str, Any]:
    try:
        data = response.json() if response.content else {}
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise UpstreamError(f"{service} answered without a JSON object.")
    return data
