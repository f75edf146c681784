"""Google Calendar API v3 ``events.list`` on the user's primary calendar, for ``listUpcomingEvents``.

One GET to ``<GOOGLE_API_BASE>/calendar/v3/calendars/primary/events`` with single events in start
order, a fields mask and at most ``event_answers.PAGE_SIZE`` items; connect and read timeouts as
for the sign-in calls. Google's answers become:

- 200 with an ``items`` list: the page (``items``, ``nextPageToken`` or None);
- 401: :class:`CalendarTokenRejected` (the caller refreshes once, the user may have removed access);
- 403 for a missing scope (``insufficientPermissions`` / ``ACCESS_TOKEN_SCOPE_INSUFFICIENT``):
  :class:`CalendarScopeMissing`;
- 400 when a ``pageToken`` was sent: ``BadRequest`` (a stale or edited ``page`` cursor);
- 429, 403 rate limits, 5xx, a timeout or no connection: ``ServiceUnavailable`` with ``Retry-After``;
- anything else (a 200 that is not the documented shape included): ``UpstreamError`` (502).

``requests`` is imported inside :func:`list_events` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpt_auth.actions.event_answers import PAGE_SIZE, PAGE_TOKEN, PageCursor
from gpt_auth.runtime.errors import BadRequest, ServiceUnavailable, UpstreamError
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.web import retry_after_seconds

if TYPE_CHECKING:
    from requests import Response

EVENTS_PATH = "/calendar/v3/calendars/primary/events"
FIELDS = "items(summary,description,location,htmlLink,start,end),nextPageToken"
TIMEOUT = (3.05, 5.0)  # connect, read (seconds), as the calls to Google's token endpoint
RETRY_AFTER_SECONDS = 5
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})


class CalendarTokenRejected(Exception):
    """Google answered 401: the access token is expired, revoked or was never valid."""


class CalendarScopeMissing(Exception):
    """Google answered 403: the user's grant lacks the Calendar scope."""


@dataclass(frozen=True)
class CalendarPage:
    """One page of Google's answer: the raw event items and Google's cursor to the next page."""

    items: list[dict[str, Any]]
    next_page_token: str | None


def unavailable(retry_after: int = RETRY_AFTER_SECONDS) -> ServiceUnavailable:
    return ServiceUnavailable(
        "Google Calendar is not answering right now; try again in a moment.", retry_after=retry_after
    )


def _reasons(response: Response) -> set[str]:
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


def list_events(api_base: str, access_token: str, cursor: PageCursor) -> CalendarPage:
    """The Google page ``cursor`` names (``cursor.skip`` is applied by the caller).

    Raises
    ------
    CalendarTokenRejected, CalendarScopeMissing, BadRequest, ServiceUnavailable, UpstreamError
        As the module docstring lists.
    """
    import requests

    params: dict[str, str | int] = {
        "singleEvents": "true",
        "orderBy": "startTime",
        "timeMin": cursor.time_min,
        "timeMax": cursor.time_max,
        "maxResults": PAGE_SIZE,
        "fields": FIELDS,
    }
    if cursor.page_token is not None:
        params["pageToken"] = cursor.page_token
    try:
        response = requests.get(
            api_base.rstrip("/") + EVENTS_PATH,
            params=params,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        logger.warning("calendar unavailable", extra={"failure": type(exc).__name__})
        raise unavailable() from None
    status = response.status_code
    if status == 200:
        return _page(response)
    reasons = _reasons(response)
    logger.warning("calendar refused", extra={"status": status, "reasons": sorted(reasons)[:5]})
    if status == 401:
        raise CalendarTokenRejected()
    if status == 403 and reasons & SCOPE_REASONS:
        raise CalendarScopeMissing()
    if status == 429 or status >= 500 or (status == 403 and reasons & RATE_LIMIT_REASONS):
        raise unavailable(retry_after_seconds(response.headers.get("Retry-After", ""), RETRY_AFTER_SECONDS))
    if status == 400 and cursor.page_token is not None:
        raise BadRequest("Google no longer accepts this 'page' cursor; start again without 'page'.")
    raise UpstreamError(f"Google Calendar answered {status}; see the function's logs.")


def _page(response: Response) -> CalendarPage:
    try:
        data = response.json()
    except ValueError:
        data = None
    items = data.get("items", []) if isinstance(data, dict) else None
    token = data.get("nextPageToken") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UpstreamError("Google Calendar answered without a list of events.")
    if token is not None and not (isinstance(token, str) and PAGE_TOKEN.fullmatch(token)):
        raise UpstreamError("Google Calendar answered a page token this action cannot carry.")
    return CalendarPage(items[:PAGE_SIZE], token or None)
