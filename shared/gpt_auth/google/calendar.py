"""Google Calendar API v3 ``events.list`` on the user's primary calendar, for the upcoming-events action.

One GET to ``<GOOGLE_API_BASE>/calendar/v3/calendars/primary/events`` through ``google.api.fetch``
(its timeouts and error mapping), with single events in start order, a fields mask and at most
``event_cursor.PAGE_SIZE`` items. Beyond that mapping:

- 200 with an ``items`` list: the page (``items``, ``nextPageToken`` or None); another shape, or a
  page token the cursor cannot carry, is ``UpstreamError`` (502);
- 400 when a ``pageToken`` was sent: ``BadRequest`` (a stale or edited ``page`` cursor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpt_auth.actions.event_cursor import MAX_PAGE_TOKEN_CHARS, PAGE_SIZE, STALE_CURSOR, PageCursor
from gpt_auth.google import api
from gpt_auth.runtime.errors import BadRequest

SERVICE = "Google Calendar"
EVENTS_PATH = "/calendar/v3/calendars/primary/events"
FIELDS = "items(summary,description,location,htmlLink,start,end),nextPageToken"


@dataclass(frozen=True)
class CalendarPage:
    """One page of Google's answer: the raw event items and Google's cursor to the next page."""

    items: list[dict[str, Any]]
    next_page_token: str | None


def list_events(api_base: str, access_token: str, cursor: PageCursor) -> CalendarPage:
    """The Google page ``cursor`` names (``cursor.skip`` is applied by the caller).

    Raises
    ------
    api.TokenRejected, api.ScopeMissing, BadRequest, ServiceUnavailable, UpstreamError
        As ``api.fetch`` and the module docstring list.
    """
    params: dict[str, str | int] = {
        "singleEvents": "true",
        "orderBy": "startTime",
        "timeMin": cursor.time_min,
        "timeMax": cursor.time_max,
        "maxResults": PAGE_SIZE,
        "fields": FIELDS,
    }
    refusals = {}
    if cursor.page_token is not None:
        params["pageToken"] = cursor.page_token
        refusals[400] = BadRequest(STALE_CURSOR)
    data = api.fetch(
        api_base, access_token, "GET", EVENTS_PATH, params=params, refusals=refusals, service=SERVICE
    )
    items = api.items_of(data, service=SERVICE)
    return CalendarPage(
        items[:PAGE_SIZE], api.next_page_token(data, max_chars=MAX_PAGE_TOKEN_CHARS, service=SERVICE)
    )
