"""The ``listUpcomingEvents`` answer: Google's events made compact, bounded in size, and its page cursor.

Pure functions, no I/O. The answer is ``{"events": [...], "truncated": bool, "next_page": str|null}``;
each event holds ``summary``, ``start``, ``end`` and ``link`` (null when Google has none) and
``location`` and ``description`` only when Google has them. The whole body never exceeds the
caller's ``max_chars``: descriptions are trimmed first (down to none), then events are left for
the next page; ``truncated`` says that the bound cut something.

The ``page`` cursor is opaque to the model. It holds the time window of the first answer, Google's
``pageToken`` of the Google page being read and how many of its events were already answered, as
base64url JSON. It is parsed strictly (bounded length and shape): a caller can only choose values
of Google's query parameters for their own calendar, never a URL, so no signature is needed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gpt_auth.runtime.errors import BadRequest
from gpt_auth.runtime.settings import MIN_ACTION_RESPONSE_CHARS

DESCRIPTION_MAX_CHARS = 300
SUMMARY_MAX_CHARS = 200
LOCATION_MAX_CHARS = 200
LINK_MAX_CHARS = 500  # a cut link is a broken link: a longer one is left out
ELLIPSIS = "…"
# Events asked of Google per answer (maxResults): at 20,000 characters all of them fit with
# descriptions trimmed to about 200 characters.
PAGE_SIZE = 50
MAX_DAYS = 31
DEFAULT_DAYS = 7
MAX_PAGE_TOKEN_CHARS = 600
MAX_CURSOR_CHARS = 1024
# The smallest ACTION_RESPONSE_MAX_CHARS: it always fits one event (every field at its cap, JSON
# escapes included) beside a cursor of MAX_CURSOR_CHARS; a test checks that bound.
MIN_ANSWER_CHARS = MIN_ACTION_RESPONSE_CHARS
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
PAGE_TOKEN = re.compile(rf"[\x21-\x7e]{{1,{MAX_PAGE_TOKEN_CHARS}}}")
_CURSOR = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_CURSOR_CHARS}}}")
_URL_TEXT = re.compile(rf"https?://[\x21-\x7e]{{1,{LINK_MAX_CHARS - 8}}}")
_CURSOR_KEYS = frozenset({"v", "a", "b", "t", "s"})
BAD_CURSOR = "'page' must be the next_page value of a previous answer, unchanged; start again without it."


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


# Control characters other than tab and newline: JSON would spell each as six characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def _text(value: object, limit: int) -> str | None:
    """A text field without control characters, cut to ``limit``; None when absent or blank."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub(" ", value).strip()
    return _cut(text, limit) if text else None


def _when(value: object) -> str | None:
    """Google's ``start``/``end``: ``{"dateTime": ...}`` for timed events, ``{"date": ...}`` all day."""
    if isinstance(value, Mapping):
        for key in ("dateTime", "date"):
            text = _text(value.get(key), 40)
            if text:
                return text
    return None


def compact_event(item: Mapping[str, Any]) -> dict[str, Any]:
    """One Google event item as the answer shows it, each text field within its cap."""
    event: dict[str, Any] = {
        "summary": _text(item.get("summary"), SUMMARY_MAX_CHARS),
        "start": _when(item.get("start")),
        "end": _when(item.get("end")),
    }
    location = _text(item.get("location"), LOCATION_MAX_CHARS)
    if location:
        event["location"] = location
    link = item.get("htmlLink")
    event["link"] = link if isinstance(link, str) and _URL_TEXT.fullmatch(link) else None
    description = _text(item.get("description"), DESCRIPTION_MAX_CHARS)
    if description:
        event["description"] = description
    return event


def _with_descriptions(events: Sequence[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    shown = []
    for event in events:
        if "description" in event and len(event["description"]) > limit:
            event = dict(event)
            if limit > 0:
                event["description"] = _cut(event["description"], limit)
            else:
                del event["description"]
        shown.append(event)
    return shown


def _body(events: Sequence[dict[str, Any]], truncated: bool, next_page: str | None) -> str:
    payload = {"events": events, "truncated": truncated, "next_page": next_page}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _largest(low: int, high: int, fits: Callable[[int], bool]) -> int | None:
    """The largest n in [low, high] with ``fits(n)`` (monotone: true up to some n), or None."""
    if not fits(low):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def bounded_answer(
    events: Sequence[dict[str, Any]], *, max_chars: int, next_page_after: Callable[[int], str | None]
) -> str:
    """The answer's JSON body for ``events`` (from :func:`compact_event`), at most ``max_chars`` characters.

    Parameters
    ----------
    events
        The events of this answer, in order.
    max_chars
        The bound (``ACTION_RESPONSE_MAX_CHARS``), at least ``MIN_ANSWER_CHARS``.
    next_page_after
        ``next_page_after(n)`` is the cursor of the answer that follows the first ``n`` events
        (None when nothing follows ``n == len(events)``).

    Returns
    -------
    str
        All events with the longest descriptions that fit; if none fit even without
        descriptions, the most events that fit without them, ``truncated`` and a cursor to the rest.
    """
    everything = len(events)
    full_length = max((len(e.get("description", "")) for e in events), default=0)

    def all_with(limit: int) -> str:
        return _body(_with_descriptions(events, limit), limit < full_length, next_page_after(everything))

    limit = _largest(0, full_length, lambda n: len(all_with(n)) <= max_chars)
    if limit is not None:
        return all_with(limit)
    bare = _with_descriptions(events, 0)

    def first(count: int) -> str:
        return _body(bare[:count], True, next_page_after(count))

    count = _largest(0, everything, lambda n: len(first(n)) <= max_chars)
    if count is None or (count == 0 and everything):
        raise ValueError(
            f"max_chars={max_chars} cannot hold one event; it must be at least {MIN_ANSWER_CHARS}"
        )
    return first(count)
