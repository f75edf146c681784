"""testEndpoint's routes come from the declarations: each action is routed, and one whose Google
scopes the session was not granted answers 403 insufficient_scope before its input is read."""

from __future__ import annotations

import json
import secrets

import pytest

from functions.test_endpoint import app
from gpt_auth.actions import upcoming_events
from gpt_auth.actions.catalog import ACTIONS, google_scopes, gpt_scope
from localdev.seed import seed_session_for
from tests.support.events import load_event


def call(lambda_context, method: str, path: str, token: str | None, query: str = "") -> dict:
    event = load_event("test_endpoint_events_bad_days")
    event["requestContext"]["http"]["method"] = method
    event["rawPath"] = path
    event["rawQueryString"] = query
    event["headers"]["authorization"] = f"Bearer {token}"
    return app.lambda_handler(event, lambda_context)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.operation_id)
def test_every_declared_action_is_routed_behind_the_token_check(action, lambda_context):
    unknown = "gat_" + secrets.token_urlsafe(32)
    response = call(lambda_context, action.method, action.path, unknown)
    assert response["statusCode"] == 401, response["body"]
    assert 'error="invalid_token"' in response["headers"]["WWW-Authenticate"]


def test_a_session_without_calendar_gets_403_insufficient_scope_naming_it(lambda_context):
    # GIVEN a GPT that asked only for the sign-in's scopes
    token = "gat_" + secrets.token_urlsafe(32)
    seed_session_for(token, scope="openid")
    # WHEN it calls the Calendar action, even with a bad days
    response = call(lambda_context, "GET", "/events", token, "days=99")
    # THEN the missing scope is named, before the input is read
    assert response["statusCode"] == 403
    assert json.loads(response["body"])["error"] == "insufficient_scope"
    assert f'scope="{upcoming_events.SCOPE}"' in response["headers"]["WWW-Authenticate"]
    # AND an action that needs no Google scope still works for that session
    hello = load_event("test_endpoint_valid")
    hello["headers"]["authorization"] = f"Bearer {token}"
    assert app.lambda_handler(hello, lambda_context)["statusCode"] == 200


def test_a_session_granted_every_declared_scope_passes_the_check(lambda_context):
    token = "gat_" + secrets.token_urlsafe(32)
    seed_session_for(token, scope=" ".join(gpt_scope()))
    response = call(lambda_context, "GET", "/events", token, "days=99")
    assert response["statusCode"] == 400  # past the scope check, at the input
    assert upcoming_events.SCOPE in google_scopes()
