"""Google Calendar events.list, stubbed at Google's HTTP edge with ``responses``."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from gpt_auth.actions.event_cursor import PAGE_SIZE, PageCursor
from gpt_auth.google import api
from gpt_auth.google import calendar as gc
from gpt_auth.runtime.errors import BadRequest, ServiceUnavailable, UpstreamError

API = "https://www.googleapis.com"
URL = API + gc.EVENTS_PATH
FIRST = PageCursor("2026-12-01T09:30:15Z", "2026-12-08T09:30:15Z")


def google_error(status: int, reason: str) -> str:
    return json.dumps({"error": {"code": status, "message": "x", "errors": [{"reason": reason}]}})


def test_the_query_is_google_s_and_the_page_comes_back(http_mock):
    items = [{"summary": f"e{n}"} for n in range(3)]
    http_mock.get(URL, json={"items": items, "nextPageToken": "CigKGjRk"})
    page = gc.list_events(
        API + "/", "ya29.token", PageCursor(FIRST.time_min, FIRST.time_max, "prev-token", 4)
    )
    assert page == gc.CalendarPage(items, "CigKGjRk")
    sent = http_mock.calls[0].request
    assert sent.headers["Authorization"] == "Bearer ya29.token"
    assert urlsplit(sent.url).path == gc.EVENTS_PATH
    assert dict(parse_qsl(urlsplit(sent.url).query)) == {
        "singleEvents": "true",
        "orderBy": "startTime",
        "timeMin": FIRST.time_min,
        "timeMax": FIRST.time_max,
        "maxResults": str(PAGE_SIZE),
        "fields": gc.FIELDS,
        "pageToken": "prev-token",
    }


def test_first_page_sends_no_page_token_and_an_empty_calendar_is_fine(http_mock):
    http_mock.get(URL, json={})
    assert gc.list_events(API, "t", FIRST) == gc.CalendarPage([], None)
    assert "pageToken" not in http_mock.calls[0].request.url


def test_401_is_a_rejected_token(http_mock):
    http_mock.get(URL, status=401, body=google_error(401, "authError"))
    with pytest.raises(api.TokenRejected):
        gc.list_events(API, "t", FIRST)


@pytest.mark.parametrize("reason", ["insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"])
def test_403_for_scope_is_scope_missing(http_mock, reason):
    body = json.loads(google_error(403, "x"))
    body["error"]["details"] = [{"reason": reason}]
    http_mock.get(URL, status=403, json=body)
    with pytest.raises(api.ScopeMissing):
        gc.list_events(API, "t", FIRST)


@pytest.mark.parametrize(
    ("status", "body", "headers", "retry_after"),
    [
        (500, "oops", {}, "5"),
        (503, google_error(503, "backendError"), {"Retry-After": "30"}, "30"),
        (429, google_error(429, "rateLimitExceeded"), {"Retry-After": "99999"}, "300"),
        (403, google_error(403, "userRateLimitExceeded"), {}, "5"),
    ],
)
def test_outages_and_rate_limits_are_503_with_retry_after(http_mock, status, body, headers, retry_after):
    http_mock.get(URL, status=status, body=body, headers=headers)
    with pytest.raises(ServiceUnavailable) as caught:
        gc.list_events(API, "t", FIRST)
    assert caught.value.status == 503
    assert caught.value.headers["Retry-After"] == retry_after


@pytest.mark.parametrize(
    "failure", [requests.ConnectTimeout(), requests.ReadTimeout(), requests.ConnectionError()]
)
def test_timeouts_and_no_connection_are_503(http_mock, failure):
    http_mock.get(URL, body=failure)
    with pytest.raises(ServiceUnavailable) as caught:
        gc.list_events(API, "t", FIRST)
    assert caught.value.headers["Retry-After"] == "5"


def test_400_on_a_later_page_is_a_stale_cursor(http_mock):
    http_mock.get(URL, status=400, body=google_error(400, "invalid"))
    with pytest.raises(BadRequest, match="'page'"):
        gc.list_events(API, "t", PageCursor(FIRST.time_min, FIRST.time_max, "old", 0))
    with pytest.raises(UpstreamError):  # on the first page it is our fault: a 502, logged
        gc.list_events(API, "t", FIRST)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps([1]),
        json.dumps({"items": {"a": 1}}),
        json.dumps({"items": ["x"]}),
        json.dumps({"items": [], "nextPageToken": "has space"}),
        json.dumps({"items": [], "nextPageToken": "x" * 601}),
    ],
)
def test_a_200_of_the_wrong_shape_is_502(http_mock, body):
    http_mock.get(URL, body=body)
    with pytest.raises(UpstreamError):
        gc.list_events(API, "t", FIRST)


def test_other_refusals_are_502(http_mock):
    http_mock.get(URL, status=404, body=google_error(404, "notFound"))
    with pytest.raises(UpstreamError, match="404"):
        gc.list_events(API, "t", FIRST)


def test_timeouts_are_bounded(http_mock):
    http_mock.get(URL, json={"items": []})
    gc.list_events(API, "t", FIRST)
    assert http_mock.calls[0].request.req_kwargs["timeout"] == api.TIMEOUT


def test_a_longer_page_than_asked_is_cut(http_mock):
    http_mock.get(URL, json={"items": [{}] * (PAGE_SIZE + 5)})
    assert len(gc.list_events(API, "t", FIRST).items) == PAGE_SIZE
