"""The upcoming-events action's ``page`` cursor: where the next answer starts. Pure functions, no I/O.

The cursor is opaque to the model. It holds the time window of the first answer, Google's
``pageToken`` of the Google page being read and how many of its events were already answered, as
base64url JSON. It is parsed strictly (bounded length and shape): a caller can only choose values
of Google's query parameters for their own calendar, never a URL, so no signature is needed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gpt_auth.actions.upcoming_events import MAX_CURSOR_CHARS, MAX_DAYS
from gpt_auth.runtime.errors import BadRequest

# Events asked of Google per answer (maxResults): at 20,000 characters all of them fit with
# descriptions trimmed to about 200 characters.
PAGE_SIZE = 50
MAX_PAGE_TOKEN_CHARS = 600
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
PAGE_TOKEN = re.compile(rf"[\x21-\x7e]{{1,{MAX_PAGE_TOKEN_CHARS}}}")
_CURSOR = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_CURSOR_CHARS}}}")
_CURSOR_KEYS = frozenset({"v", "a", "b", "t", "s"})
BAD_CURSOR = "'page' must be the next_page value of a previous answer, unchanged; start again without it."
STALE_CURSOR = "Google no longer accepts this 'page' cursor; start again without 'page'."


@dataclass(frozen=True)
class PageCursor:
    """Where the next answer starts: the window, Google's page (None: the first) and events already given."""

    time_min: str
    time_max: str
    page_token: str | None = None
    skip: int = 0

    def encode(self) -> str:
        payload = {"v": 1, "a": self.time_min, "b": self.time_max, "t": self.page_token, "s": self.skip}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def window(days: int, now: datetime) -> PageCursor:
    """The first page of the window from ``now`` (to the second) to ``days`` days later."""
    start = now.astimezone(UTC).replace(microsecond=0)
    return PageCursor(
        start.strftime(_TIMESTAMP_FORMAT), (start + timedelta(days=days)).strftime(_TIMESTAMP_FORMAT)
    )


def _timestamp(value: object) -> datetime:
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        raise ValueError
    return datetime.strptime(value, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def parse_cursor(raw: str) -> PageCursor:
    """The ``page`` query parameter, checked field by field.

    Raises
    ------
    BadRequest
        When it is not a cursor this module wrote (too long, not base64url JSON, a field missing,
        extra, of the wrong type or out of range).
    """
    if not _CURSOR.fullmatch(raw):
        raise BadRequest(BAD_CURSOR)
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not isinstance(data, dict) or set(data) != _CURSOR_KEYS or data["v"] != 1:
            raise ValueError
        start, end = _timestamp(data["a"]), _timestamp(data["b"])
        if not timedelta(0) < end - start <= timedelta(days=MAX_DAYS):
            raise ValueError
        token, skip = data["t"], data["s"]
        if token is not None and not (isinstance(token, str) and PAGE_TOKEN.fullmatch(token)):
            raise ValueError
        if type(skip) is not int or not 0 <= skip < PAGE_SIZE:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise BadRequest(BAD_CURSOR) from None
    return PageCursor(data["a"], data["b"], token, skip)
