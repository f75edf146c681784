"""listUpcomingEvents over HTTP, the whole flow as ``make dev`` runs it: the emulator, the OIDC
stand-in (with a client registered for Calendar's scope) and the Calendar API stand-in.

Only Google is replaced, by its local stand-ins; every request is real HTTP.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
import requests

from gpt_auth import provider, settings
from localdev.calendar_stand_in import BUSY_EVENTS, RunningCalendar, calendar_stand_in
from localdev.dev import LOCAL_GOOGLE_SCOPES, LocalUrls, local_settings
from localdev.stand_in import StandIn
from tests.integration.chatgpt import TIMEOUT, ChatGpt

MAX_CHARS = 20_000  # ACTION_RESPONSE_MAX_CHARS's default


@pytest.fixture(scope="module")
def calendar(stand_in: StandIn) -> Iterator[RunningCalendar]:
    with calendar_stand_in(stand_in.issuer) as running:
        yield running


@pytest.fixture
def gpt(
    emulator: str, stand_in: StandIn, calendar: RunningCalendar, monkeypatch: pytest.MonkeyPatch
) -> ChatGpt:
    """A GPT on the emulator's URLs, the handlers set up exactly as ``make dev`` sets them."""
    urls = LocalUrls(emulator)
    client = stand_in.register_client(
        [urls.google_redirect], LOCAL_GOOGLE_SCOPES, auth_method="client_secret_basic"
    )
    for name, value in local_settings(os.environ, urls, stand_in.issuer, client, calendar.api_base).items():
        monkeypatch.setenv(name, value)
    settings.reset()
    provider.reset()
    config = settings.get_settings()
    return ChatGpt(emulator, config.gpt_client_id, config.gpt_client_secret)


def signed_in(gpt: ChatGpt, user: str) -> str:
    """Sign ``user`` in as ChatGPT does; returns the GPT's access token."""
    exchanged = gpt.exchange(gpt.sign_in(user).code)
    assert exchanged.status_code == 200, exchanged.text
    return str(exchanged.json()["access_token"])


def list_events(gpt: ChatGpt, token: str, **params: str) -> requests.Response:
    return requests.get(
        gpt.urls.test_endpoint + "events",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )


def test_ada_sees_her_week(gpt):
    token = signed_in(gpt, "ada@example.com")
    answer = list_events(gpt, token, days="7")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["truncated"] is False and body["next_page"] is None
    summaries = [e["summary"] for e in body["events"]]
    assert len(summaries) == 5 and summaries[0] == "Notes on the Analytical Engine"
    assert body["events"][0]["location"] == "Dorset Street, London"
    assert gpt.call_action(token).text == "Hello Ada"  # getHello keeps its contract beside it


def test_busy_pages_through_1000_events_each_answer_within_the_bound(gpt, record_property):
    # GIVEN busy@example.com signed in, with 1,000 events of 2,000-character descriptions this week
    token = signed_in(gpt, "busy@example.com")
    seen: list[str] = []
    sizes: list[int] = []
    params = {"days": "7"}
    # WHEN the GPT follows next_page to the end
    while True:
        answer = list_events(gpt, token, **params)
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


def test_access_removed_at_google_is_401_then_a_new_sign_in_works(gpt, stand_in):
    # GIVEN ada signed in and reading her events
    token = signed_in(gpt, "ada@example.com")
    assert list_events(gpt, token).status_code == 200
    # WHEN she removes our access at Google (the stand-in drops her tokens)
    stand_in.revoke_user("ada@example.com")
    # THEN the action answers 401, as ChatGPT needs to offer sign-in, and her session is over
    refused = list_events(gpt, token)
    assert refused.status_code == 401, refused.text
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert gpt.call_action(token).status_code == 401
    # AND after signing in again, the action works
    again = signed_in(gpt, "ada@example.com")
    answer = list_events(gpt, again)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["events"]) == 5


def test_bad_days_and_page_over_http_are_400(gpt):
    token = signed_in(gpt, "ada@example.com")
    for params in ({"days": "0"}, {"days": "32"}, {"page": "bm9wZQ"}):
        answer = list_events(gpt, token, **params)
        assert answer.status_code == 400, params
        assert answer.json()["error"] == "invalid_request"
