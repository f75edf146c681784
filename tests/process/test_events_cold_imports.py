"""A cold container answering testEndpoint: POST / (getHello) and GET /events' refusals load
nothing that talks to Google; only GET /events past its checks reaches the Calendar modules."""

from __future__ import annotations

import pytest

from tests.support import cold_imports

HEAVY = (
    "requests",
    "google.auth",
    "cryptography",
    "gpt_auth.google.google_tokens",
    "gpt_auth.google.api",
    "gpt_auth.google.calendar",
)
SAMPLE_TOKEN = "gat_Ex4mpleAccessT0kenForTheSampleEventsOnly000"  # events/test_endpoint_*.json


def loaded_after(
    event_name: str, query: str | None, status: int, env: dict[str, str], heavy: tuple[str, ...] = HEAVY
) -> list[str]:
    """The heavy modules a fresh interpreter holds after answering the sample event, its token live."""
    script = f"""
from functions.test_endpoint import app
from localdev.lambda_env import FakeLambdaContext
from localdev.seed import seed_session_for
seed_session_for({SAMPLE_TOKEN!r})
event = json.load(open('events/{event_name}.json'))
if {query!r} is not None:
    event['rawQueryString'] = {query!r}
answer = app.lambda_handler(event, FakeLambdaContext())
assert answer['statusCode'] == {status}, answer
"""
    return cold_imports.loaded_after(script, heavy, env)


@pytest.mark.parametrize(
    ("event_name", "query", "status"),
    [
        ("test_endpoint_valid", None, 200),  # getHello keeps its cold path
        ("test_endpoint_events_bad_days", None, 400),  # a bad days is refused before any of them
        ("test_endpoint_events_bad_page", None, 400),
    ],
    ids=["getHello", "events-bad-days", "events-bad-page"],
)
def test_testendpoint_cold_paths_load_nothing_that_talks_to_google(app_settings, event_name, query, status):
    assert loaded_after(event_name, query, status, app_settings) == []


def test_the_probe_sees_the_calendar_modules_once_events_are_asked_for(app_settings):
    # The probe can fail: a valid GET /events loads the grant store and the Calendar client (then
    # answers 401: this sample user has no Google grant).
    loaded = loaded_after("test_endpoint_events_bad_days", "days=7", 401, app_settings)
    assert {
        "gpt_auth.google.google_tokens",
        "gpt_auth.google.api",
        "gpt_auth.google.calendar",
    } <= set(loaded)


def test_gethello_loads_not_even_the_events_answer_code(app_settings):
    # testEndpoint's cold start imports every declaration; GET /events' answer code (its cursor,
    # the bounded answer) waits for a call of that route (docs/performance.md)
    answer_code = ("gpt_auth.actions.bounded", "gpt_auth.actions.event_cursor")
    assert loaded_after("test_endpoint_valid", None, 200, app_settings, answer_code) == []
    events = loaded_after("test_endpoint_events_bad_days", "days=7", 401, app_settings, answer_code)
    assert "gpt_auth.actions.event_cursor" in events
