"""listUpcomingEvents over HTTP, the whole flow as ``make dev`` runs it: the emulator, the OIDC
stand-in (with a client registered for Calendar's scope) and the Calendar API stand-in.

Only Google is replaced, by its local stand-ins; every request is real HTTP.
"""

from __future__ import annotations

import json

import requests

from localdev.calendar_stand_in import BUSY_EVENTS
from tests.integration.chatgpt import TIMEOUT, ChatGpt

MAX_CHARS = 20_000  # ACTION_RESPONSE_MAX_CHARS's default


def list_events(gpt: ChatGpt, token: str, **params: str) -> requests.Response:
    return requests.get(
        gpt.urls.test_endpoint + "events",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )


def test_ada_sees_her_week(calendar_gpt):
    token = calendar_gpt.access_token_for("ada@example.com")
    answer = list_events(calendar_gpt, token, days="7")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["truncated"] is False and body["next_page"] is None
    summaries = [e["summary"] for e in body["events"]]
    assert len(summaries) == 5 and summaries[0] == "Notes on the Analytical Engine"
    assert body["events"][0]["location"] == "Dorset Street, London"
    assert calendar_gpt.call_action(token).text == "Hello Ada"  # getHello keeps its contract beside it


def test_busy_pages_through_1000_events_each_answer_within_the_bound(calendar_gpt, record_property):
    # GIVEN busy@example.com signed in, with 1,000 events of 2,000-character descriptions this week
    token = calendar_gpt.access_token_for("busy@example.com")
    seen: list[str] = []
    sizes: list[int] = []
    params = {"days": "7"}
    # WHEN the GPT follows next_page to the end
    while True:
        answer = list_events(calendar_gpt, token, **params)
        assert answer.status_code == 200, answer.text
        sizes.append(len(answer.text))
        body = json.loads(answer.text)
        seen += [e["summary"] for e in body["events"]]
        if body["next_page"] is None:
            break
        assert body["truncated"] is True
        params = {"page": body["next_page"]}
    # THEN every event arrived once, in order, and no answer passed ACTION_RESPONSE_MAX_CHARS
    assert seen == [f"Meeting {n + 1} of {BUSY_EVENTS}" for n in range(BUSY_EVENTS)]
    assert max(sizes) <= MAX_CHARS
    record_property("busy_pages", len(sizes))
    record_property("busy_largest_answer_chars", max(sizes))
    print(f"\nbusy@example.com: {len(sizes)} pages, largest answer {max(sizes):,} characters")


def test_access_removed_at_google_is_401_then_a_new_sign_in_works(calendar_gpt, stand_in):
    # GIVEN ada signed in and reading her events
    token = calendar_gpt.access_token_for("ada@example.com")
    assert list_events(calendar_gpt, token).status_code == 200
    # WHEN she removes our access at Google (the stand-in drops her tokens)
    stand_in.revoke_user("ada@example.com")
    # THEN the action answers 401, as ChatGPT needs to offer sign-in, and her session is over
    refused = list_events(calendar_gpt, token)
    assert refused.status_code == 401, refused.text
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert calendar_gpt.call_action(token).status_code == 401
    # AND after signing in again, the action works
    again = calendar_gpt.access_token_for("ada@example.com")
    answer = list_events(calendar_gpt, again)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["events"]) == 5


def test_bad_days_and_page_over_http_are_400(calendar_gpt):
    token = calendar_gpt.access_token_for("ada@example.com")
    for params in ({"days": "0"}, {"days": "32"}, {"page": "bm9wZQ"}):
        answer = list_events(calendar_gpt, token, **params)
        assert answer.status_code == 400, params
        assert answer.json()["error"] == "invalid_request"
