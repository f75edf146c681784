"""testEndpoint driven by the payload 2.0 events in events/."""

from __future__ import annotations

import json

import pytest

from functions.test_endpoint import app
from gpt_auth.oauth import sessions
from localdev.samples import SAMPLE_ACCESS_TOKEN
from localdev.seed import seed_session_for
from tests.support.events import answered, events_of, load_event

CASES = events_of("test_endpoint")


@pytest.mark.parametrize("name", CASES)
def test_every_event_gets_its_documented_status(name, store, lambda_context):
    # GIVEN the event file and, where it documents one, a live session for its token;
    # WHEN the handler answers it
    meta, response = answered(name, lambda_context)
    # THEN the status is the documented one, with the right shape
    assert response["statusCode"] == meta["status"], response["body"]
    if name == "test_endpoint_no_token":  # RFC 6750 3.1: no token, no error in the challenge
        assert response["headers"]["WWW-Authenticate"] == 'Bearer realm="gpt-google-auth"'
    elif meta["status"] == 401:
        assert response["headers"]["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    if meta["status"] in (400, 401, 405):
        assert json.loads(response["body"])["error"]


def test_valid_call_says_hello(lambda_context):
    seed_session_for(SAMPLE_ACCESS_TOKEN)
    response = app.lambda_handler(load_event("test_endpoint_valid"), lambda_context)
    assert response["statusCode"] == 200
    assert response["body"] == "Hello Ada"
    assert response["headers"]["Content-Type"].startswith("text/plain")
    assert response["headers"]["Cache-Control"] == "no-store"


def test_real_session_token_works_and_stops_after_revocation(lambda_context):
    issued = sessions.create_session(
        user_id="u",
        client_id="gpt-client",
        scope="",
        lifetimes=sessions.Lifetimes(60, 600, grace=120, max_age=86400),
    )
    event = load_event("test_endpoint_valid")
    event["headers"]["authorization"] = f"Bearer {issued.access_token}"
    assert app.lambda_handler(event, lambda_context)["statusCode"] == 200
    sessions.revoke_family(issued.family_id)
    assert app.lambda_handler(event, lambda_context)["statusCode"] == 401


def test_expired_token_is_401(lambda_context, monkeypatch):
    seed_session_for(SAMPLE_ACCESS_TOKEN)
    from datetime import timedelta

    from gpt_auth.runtime import db

    real_now = db.now
    monkeypatch.setattr(db, "now", lambda: real_now() + timedelta(hours=2))
    response = app.lambda_handler(load_event("test_endpoint_valid"), lambda_context)
    assert response["statusCode"] == 401


def test_malformed_token_never_reaches_the_database(lambda_context, monkeypatch):
    from gpt_auth.runtime import db

    def no_database(name):
        raise AssertionError("the store was queried for a malformed token")

    monkeypatch.setattr(db, "collection", no_database)
    response = app.lambda_handler(load_event("test_endpoint_malformed_token"), lambda_context)
    assert response["statusCode"] == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"name": "   "}', "must not be empty"),
        ('"Ada"', "JSON object"),
        ('{"name": null}', "must be a string"),
        ('{"name": "' + "a" * 200 + '"}', None),
    ],
)
def test_name_validation(body, message, lambda_context):
    seed_session_for(SAMPLE_ACCESS_TOKEN)
    event = load_event("test_endpoint_valid")
    event["body"] = body
    response = app.lambda_handler(event, lambda_context)
    if message is None:
        assert response["statusCode"] == 200 and response["body"] == "Hello " + "a" * 200
    else:
        assert response["statusCode"] == 400
        assert message in json.loads(response["body"])["error_description"]


def test_unknown_path_is_404(lambda_context):
    event = load_event("test_endpoint_valid")
    event["rawPath"] = "/admin"
    assert app.lambda_handler(event, lambda_context)["statusCode"] == 404


def test_missing_setting_is_a_clear_500_naming_it(lambda_context, configure):
    configure(GPT_CLIENT_SECRET=None)
    response = app.lambda_handler(load_event("test_endpoint_unknown_token"), lambda_context)
    assert response["statusCode"] == 500
    assert "GPT_CLIENT_SECRET" in json.loads(response["body"])["error_description"]


def test_logs_hold_no_token_or_secret(read_logs, lambda_context, app_settings):
    # GIVEN a live token, and requests that succeed and fail
    seed_session_for(SAMPLE_ACCESS_TOKEN)
    issued = sessions.create_session(
        user_id="u",
        client_id="gpt-client",
        scope="",
        lifetimes=sessions.Lifetimes(60, 600, grace=120, max_age=86400),
    )
    for name in CASES:
        event = load_event(name)
        app.lambda_handler(event, lambda_context)
    event = load_event("test_endpoint_valid")
    event["headers"]["authorization"] = f"Bearer {issued.access_token}"
    app.lambda_handler(event, lambda_context)
    # THEN one structured line per request, none with a token or a secret
    lines = read_logs()
    requests = [line for line in lines if line.get("message") == "request"]
    assert len(requests) == len(CASES) + 1
    assert {"route", "status", "latency_ms"} <= set(requests[0])
    assert requests[0]["correlation_id"] == "5b6a8f0e-1d1c-4c5e-9a4e-000000000001"
    text = "\n".join(json.dumps(line) for line in lines)
    for secret in (
        SAMPLE_ACCESS_TOKEN,
        issued.access_token,
        issued.refresh_token,
        app_settings["GPT_CLIENT_SECRET"],
        app_settings["GOOGLE_CLIENT_SECRET"],
    ):
        assert secret not in text
