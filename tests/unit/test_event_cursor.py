"""listUpcomingEvents' page cursor as pure functions: the window, the round trip, strict parsing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from gpt_auth.actions import event_cursor as ec
from gpt_auth.runtime.errors import BadRequest

NOW = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)


def test_cursor_round_trip_and_window():
    first = ec.window(7, NOW)
    assert (first.time_min, first.time_max) == ("2026-12-01T09:30:15Z", "2026-12-08T09:30:15Z")
    cursor = ec.PageCursor(first.time_min, first.time_max, "CigKGjRkZ2Vw", 12)
    assert ec.parse_cursor(cursor.encode()) == cursor
    assert ec.parse_cursor(first.encode()) == first


def test_longest_cursor_fits_its_bound():
    cursor = ec.PageCursor("2026-12-01T09:30:15Z", "2027-01-01T09:30:15Z", "~" * ec.MAX_PAGE_TOKEN_CHARS, 49)
    assert len(cursor.encode()) <= ec.MAX_CURSOR_CHARS
    assert ec.parse_cursor(cursor.encode()) == cursor


def b64(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


GOOD = {"v": 1, "a": "2026-12-01T09:30:15Z", "b": "2026-12-08T09:30:15Z", "t": None, "s": 0}


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "x" * (ec.MAX_CURSOR_CHARS + 1),
        "not base64!",
        "AAAA",
        b64([1, 2]),
        b64({**GOOD, "extra": 1}),
        b64({k: v for k, v in GOOD.items() if k != "s"}),
        b64({**GOOD, "v": 2}),
        b64({**GOOD, "a": "2026-12-01 09:30:15"}),
        b64({**GOOD, "b": "2026-11-30T09:30:15Z"}),
        b64({**GOOD, "b": "2027-02-01T09:30:15Z"}),
        b64({**GOOD, "t": "has space"}),
        b64({**GOOD, "t": "x" * (ec.MAX_PAGE_TOKEN_CHARS + 1)}),
        b64({**GOOD, "t": 5}),
        b64({**GOOD, "s": -1}),
        b64({**GOOD, "s": ec.PAGE_SIZE}),
        b64({**GOOD, "s": True}),
        b64({**GOOD, "s": 1.0}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode().rstrip("="),
    ],
)
def test_bad_cursor_is_a_400(raw):
    with pytest.raises(BadRequest) as caught:
        ec.parse_cursor(raw)
    assert caught.value.status == 400
    assert "'page'" in caught.value.description
