"""testEndpoint's GET /events (listUpcomingEvents): the route, with Google stubbed at its HTTP edge."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from functions.test_endpoint import app
from gpt_auth.google import google_tokens
from gpt_auth.google.provider import TokenResponse
from gpt_auth.oauth import sessions
from localdev.seed import seed_session_for
from tests.support.events import load_event

SAMPLE_TOKEN = "gat_Ex4mpleAccessT0kenForTheSampleEventsOnly000"


def events_call(lambda_context, query: str, token: str | None = SAMPLE_TOKEN) -> dict:
    event = load_event("test_endpoint_events_bad_days")
    event["rawQueryString"] = query
    if token is None:
        event["headers"].pop("authorization")
    else:
        event["headers"]["authorization"] = f"Bearer {token}"
    return app.lambda_handler(event, lambda_context)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("days=0", "'days'"),
        ("days=32", "'days'"),
        ("days=abc", "'days'"),
        ("days=7&days=8", "'days'"),
        ("page=", "'page'"),
        ("page=%00", "'page'"),
        ("page=" + "A" * 2000, "'page'"),
        ("days=99&page=x", "'days'"),
    ],
)
def test_bad_days_or_page_is_a_json_400_before_google_is_asked(lambda_context, query, names):
    seed_session_for(SAMPLE_TOKEN)
    response = events_call(lambda_context, query)
    assert response["statusCode"] == 400, response["body"]
    body = json.loads(response["body"])
    assert body["error"] == "invalid_request"
    assert names in body["error_description"]


def test_no_or_unknown_token_is_401_before_the_query_is_read(lambda_context):
    missing = events_call(lambda_context, "days=99", None)
    assert missing["statusCode"] == 401
    assert missing["headers"]["WWW-Authenticate"] == 'Bearer realm="gpt-google-auth"'  # RFC 6750 3.1
    unknown = events_call(lambda_context, "days=99", "gat_unknownTokenUnknownTokenUnknownToken0000")
    assert unknown["statusCode"] == 401
    assert 'error="invalid_token"' in unknown["headers"]["WWW-Authenticate"]


def test_post_events_is_405(lambda_context):
    event = load_event("test_endpoint_events_bad_days")
    event["requestContext"]["http"]["method"] = "POST"
    response = app.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET"


# --- with a Google grant: Google's token and Calendar endpoints stubbed ----------------------------

TOKEN_URL = "https://oauth2.googleapis.com/token"
EVENTS_URL = "https://www.googleapis.com/calendar/v3/calendars/primary/events"
CALENDAR = "https://www.googleapis.com/auth/calendar.readonly"
USER = "google-user-1"


def signed_in(scope: str = f"openid email {CALENDAR}") -> str:
    """A user who signed in with Google (their grant stored as the callback stores it); our access token."""
    google_tokens.save_from_callback(
        USER,
        TokenResponse(
            id_token="x.y.z",
            access_token="ya29.stored",
            refresh_token="1//refresh",
            expires_in=3599,
            scope=scope,
        ),
        requested_scopes=("openid", "email", "profile"),
    )
    token = "gat_" + secrets.token_urlsafe(32)
    seed_session_for(token, user_id=USER)
    return token


def item(n: int, description: str = "Agenda") -> dict:
    return {
        "summary": f"Meeting {n}",
        "start": {"dateTime": f"2026-12-02T{n % 24:02d}:00:00Z"},
        "end": {"dateTime": f"2026-12-02T{n % 24:02d}:30:00Z"},
        "htmlLink": f"https://www.google.com/calendar/event?eid={n}",
        "description": description,
    }


def google_query(call: responses.Call) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query))


def calendar_calls(http_mock: responses.RequestsMock) -> list[responses.Call]:
    return [c for c in http_mock.calls if c.request.url.startswith(EVENTS_URL)]


def answer(lambda_context, token: str, query: str = "") -> tuple[int, dict, dict]:
    response = events_call(lambda_context, query, token)
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def test_events_are_the_users_upcoming_week_in_compact_json(lambda_context, http_mock):
    token = signed_in()
    http_mock.get(EVENTS_URL, json={"items": [item(1), item(2)]})
    status, body, headers = answer(lambda_context, token, "days=3")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert body["truncated"] is False and body["next_page"] is None
    assert [e["summary"] for e in body["events"]] == ["Meeting 1", "Meeting 2"]
    assert body["events"][0] == {
        "summary": "Meeting 1",
        "start": "2026-12-02T01:00:00Z",
        "end": "2026-12-02T01:30:00Z",
        "link": "https://www.google.com/calendar/event?eid=1",
        "description": "Agenda",
    }
    (call,) = calendar_calls(http_mock)
    assert call.request.headers["Authorization"] == "Bearer ya29.stored"
    sent = google_query(call)
    assert sent["singleEvents"] == "true" and sent["orderBy"] == "startTime" and "fields" in sent
    start, end = (datetime.fromisoformat(sent[k].replace("Z", "+00:00")) for k in ("timeMin", "timeMax"))
    assert end - start == timedelta(days=3)
    assert abs(start - datetime.now(UTC)) < timedelta(seconds=30)


def test_a_busy_week_is_bounded_and_paged_to_its_end(lambda_context, http_mock):
    # GIVEN Google holds 120 events with 2,000-character descriptions (three Google pages of 50)
    token = signed_in()
    everything = [item(n, "x" * 2000) for n in range(120)]

    def google_page(request):
        query = dict(parse_qsl(urlsplit(request.url).query))
        start = int(query.get("pageToken", "p0")[1:])
        size = int(query["maxResults"])
        page = {"items": everything[start : start + size]}
        if start + size < len(everything):
            page["nextPageToken"] = f"p{start + size}"
        return 200, {}, json.dumps(page)

    http_mock.add_callback(responses.GET, EVENTS_URL, callback=google_page)
    # WHEN the GPT pages with next_page until it is null
    seen, pages, query, sizes = [], 0, "", []
    while True:
        response = events_call(lambda_context, query, token)
        sizes.append(len(response["body"]))
        body = json.loads(response["body"])
        pages += 1
        seen += [e["summary"] for e in body["events"]]
        if body["next_page"] is None:
            break
        assert body["truncated"] is True  # descriptions were cut below their usual 300 characters
        query = "page=" + body["next_page"]
    # THEN every event came once, in order, and no answer passed the bound
    assert seen == [f"Meeting {n}" for n in range(120)]
    assert max(sizes) <= 20_000
    assert pages == 3
    # AND the window stayed the first answer's
    windows = {(google_query(c)["timeMin"], google_query(c)["timeMax"]) for c in calendar_calls(http_mock)}
    assert len(windows) == 1


def test_a_small_bound_leaves_events_for_the_next_page_from_the_same_google_page(
    lambda_context, http_mock, configure
):
    configure(ACTION_RESPONSE_MAX_CHARS="4000")
    token = signed_in()
    http_mock.get(EVENTS_URL, json={"items": [item(n, "y" * 2000) for n in range(30)]})
    status, first, _ = answer(lambda_context, token)
    assert status == 200 and first["truncated"] and first["next_page"]
    assert all("description" not in e for e in first["events"])
    shown = len(first["events"])
    assert 0 < shown < 30
    status, second, _ = answer(lambda_context, token, "page=" + first["next_page"])
    assert second["events"][0]["summary"] == f"Meeting {shown}"
    assert "pageToken" not in google_query(calendar_calls(http_mock)[1])  # the same, first Google page


def test_google_401_forces_one_refresh_then_the_call_works(lambda_context, http_mock):
    token = signed_in()
    http_mock.get(EVENTS_URL, status=401, json={"error": {"code": 401, "errors": [{"reason": "authError"}]}})
    http_mock.get(EVENTS_URL, json={"items": [item(1)]})
    http_mock.post(
        TOKEN_URL, json={"access_token": "ya29.fresh", "expires_in": 3599, "scope": f"openid {CALENDAR}"}
    )
    status, body, _ = answer(lambda_context, token)
    assert status == 200 and len(body["events"]) == 1
    first, second = calendar_calls(http_mock)
    assert first.request.headers["Authorization"] == "Bearer ya29.stored"
    assert second.request.headers["Authorization"] == "Bearer ya29.fresh"
    (refresh,) = [c for c in http_mock.calls if c.request.url == TOKEN_URL]
    assert dict(parse_qsl(refresh.request.body))["grant_type"] == "refresh_token"


def test_access_removed_at_google_is_401_and_ends_the_users_sessions(lambda_context, http_mock):
    token = signed_in()
    http_mock.get(EVENTS_URL, status=401, json={"error": {"code": 401}})
    http_mock.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    status, body, headers = answer(lambda_context, token)
    assert status == 401 and body["error"] == "invalid_token"
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    assert sessions.session_for_access_token(token) is None
    assert len(calendar_calls(http_mock)) == 1


def test_google_401_again_after_the_refresh_is_401(lambda_context, http_mock):
    token = signed_in()
    http_mock.get(EVENTS_URL, status=401, json={"error": {"code": 401}})
    http_mock.post(TOKEN_URL, json={"access_token": "ya29.fresh", "expires_in": 3599})
    status, body, _ = answer(lambda_context, token)
    assert status == 401 and body["error"] == "invalid_token"
    assert len(calendar_calls(http_mock)) == 2


def test_calendar_scope_not_granted_is_403_insufficient_scope_without_calling_google(
    lambda_context, http_mock
):
    token = signed_in(scope="openid email")
    status, body, headers = answer(lambda_context, token)
    assert status == 403 and body["error"] == "insufficient_scope"
    assert headers["WWW-Authenticate"] == f'Bearer error="insufficient_scope", scope="{CALENDAR}"'
    assert calendar_calls(http_mock) == []


def test_google_403_insufficient_permissions_is_403_insufficient_scope(lambda_context, http_mock):
    token = signed_in()
    http_mock.get(
        EVENTS_URL,
        status=403,
        json={"error": {"code": 403, "errors": [{"reason": "insufficientPermissions"}]}},
    )
    status, body, headers = answer(lambda_context, token)
    assert status == 403 and body["error"] == "insufficient_scope"
    assert f'scope="{CALENDAR}"' in headers["WWW-Authenticate"]


@pytest.mark.parametrize("failure", [dict(status=503, body="busy"), dict(body=requests.ReadTimeout())])
def test_google_down_or_slow_is_503_with_retry_after(lambda_context, http_mock, failure):
    token = signed_in()
    http_mock.get(EVENTS_URL, **failure)
    status, body, headers = answer(lambda_context, token)
    assert status == 503 and body["error"] == "temporarily_unavailable"
    assert int(headers["Retry-After"]) > 0
    assert sessions.session_for_access_token(token) is not None  # nothing was revoked


def test_a_sign_in_without_a_stored_grant_is_401(lambda_context, http_mock):
    token = "gat_" + secrets.token_urlsafe(32)
    seed_session_for(token, user_id="no-grant")
    status, body, _ = answer(lambda_context, token)
    assert status == 401 and body["error"] == "invalid_token"
    assert calendar_calls(http_mock) == []


def test_logs_hold_no_google_token_and_no_event_text(lambda_context, http_mock, read_logs):
    token = signed_in()
    http_mock.get(EVENTS_URL, json={"items": [item(1, "secret agenda")]})
    assert answer(lambda_context, token)[0] == 200
    logged = json.dumps(read_logs())
    assert "ya29" not in logged and "1//refresh" not in logged and token not in logged
    assert "secret agenda" not in logged and "Meeting 1" not in logged
