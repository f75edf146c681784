"""The Calendar API stand-in over HTTP, with tokens from the real OIDC stand-in."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import requests

from localdev.calendar_stand_in import (
    BUSY_DESCRIPTION_CHARS,
    BUSY_EVENTS,
    EVENTS_PATH,
    RunningCalendar,
)
from localdev.stand_in import StandIn
from tests.integration.chatgpt import consent, query_of

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
REDIRECT = "http://127.0.0.1:9/callback"  # never contacted: the code is read from the redirect
TIMEOUT = 10


def google_access_token(stand_in: StandIn, user: str) -> str:
    """Sign ``user`` in at the OIDC stand-in with a registered client allowed Calendar's scope."""
    client_id, client_secret = stand_in.register_client(
        [REDIRECT], f"openid email profile {CALENDAR_SCOPE}", auth_method="client_secret_basic"
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": f"openid email {CALENDAR_SCOPE}",
            "state": "s",
            "nonce": secrets.token_urlsafe(8),
        }
    )
    code = query_of(consent(f"{stand_in.authorize_url}?{query}", sub=user))["code"]
    answer = requests.post(
        f"{stand_in.issuer}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
        },
        auth=(client_id, client_secret),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    assert CALENDAR_SCOPE in answer.json()["scope"]
    return str(answer.json()["access_token"])


def events(calendar: RunningCalendar, token: str, **params: str) -> requests.Response:
    return requests.get(
        calendar.api_base + EVENTS_PATH,
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )


def window(days: int = 7) -> dict[str, str]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "timeMin": now.isoformat().replace("+00:00", "Z"),
        "timeMax": (now + timedelta(days=days)).isoformat(),
    }


def test_ada_has_a_handful_of_events_in_google_s_shape(calendar, stand_in):
    token = google_access_token(stand_in, "ada@example.com")
    answer = events(calendar, token, singleEvents="true", orderBy="startTime", **window())
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert 3 <= len(items) <= 10
    assert "nextPageToken" not in answer.json()
    starts = [i["start"].get("dateTime") or i["start"]["date"] for i in items]
    assert starts == sorted(starts)
    assert {"summary", "start", "end", "htmlLink"} <= set(items[0])
    assert any("date" in i["start"] for i in items)  # one all-day event


def test_busy_pages_through_1000_events_with_the_fields_mask(calendar, stand_in):
    token = google_access_token(stand_in, "busy@example.com")
    query = {
        "singleEvents": "true",
        "orderBy": "startTime",
        "maxResults": "300",
        **window(),
        "fields": "items(summary,description,start),nextPageToken",
    }
    seen, page_token = [], None
    while True:
        answer = events(calendar, token, **query, **({"pageToken": page_token} if page_token else {}))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) <= {"items", "nextPageToken"}
        assert all(set(item) == {"summary", "description", "start"} for item in body["items"])
        seen += body["items"]
        page_token = body.get("nextPageToken")
        if not page_token:
            break
    # The first event may already have begun by the time of the query: its end still counts.
    assert len(seen) == BUSY_EVENTS
    assert {len(item["description"]) for item in seen} == {BUSY_DESCRIPTION_CHARS}


def test_time_max_bounds_the_events(calendar, stand_in):
    token = google_access_token(stand_in, "busy@example.com")
    answer = events(calendar, token, singleEvents="true", orderBy="startTime", maxResults="2500", **window(1))
    assert 100 < len(answer.json()["items"]) < 200  # one day of the week's 1,000


def test_unknown_or_revoked_token_is_google_s_401(calendar, stand_in):
    token = google_access_token(stand_in, "revoked@example.com")
    assert events(calendar, token).status_code == 200
    assert events(calendar, token).json()["items"] == []  # anyone else: an empty calendar
    stand_in.revoke_user("revoked@example.com")
    answer = events(calendar, token)
    assert answer.status_code == 401
    assert answer.json()["error"]["errors"][0]["reason"] == "authError"
    assert events(calendar, "made-up").status_code == 401


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"orderBy": "startTime"}, "orderBy"),
        ({"maxResults": "0"}, "maxResults"),
        ({"timeMin": "yesterday"}, "timeMin"),
        ({"pageToken": "bm9wZQ"}, "pageToken"),
    ],
)
def test_bad_queries_are_google_s_400(calendar, stand_in, params, parameter):
    token = google_access_token(stand_in, "ada@example.com")
    answer = events(calendar, token, **params)
    assert answer.status_code == 400
    assert answer.json()["error"]["errors"][0]["location"] == parameter


def test_other_paths_are_404(calendar):
    assert requests.get(calendar.api_base + "/calendar/v3/users/me", timeout=TIMEOUT).status_code == 404
