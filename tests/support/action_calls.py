"""Calls of testEndpoint's declared actions through its real handler, as payload 2.0 events."""

from __future__ import annotations

import json
import secrets
from typing import Any

from functions.test_endpoint import app
from gpt_auth.actions.declaration import Action
from localdev.lambda_env import with_body
from localdev.seed import seed_session_for
from tests.support.events import load_event


def signed_in(user_id: str) -> str:
    """A new access token of a live session of ``user_id``, granted every action's scope."""
    token = "gat_" + secrets.token_urlsafe(32)
    seed_session_for(token, user_id=user_id)
    return token


def call(
    action: Action, token: str | None, context: Any, *, body: Any = None, raw: bytes | None = None
) -> dict[str, Any]:
    """The handler's answer to ``action`` called with ``token``, and a JSON ``body`` (or ``raw`` bytes)."""
    event = load_event("test_endpoint_valid")
    event["requestContext"]["http"]["method"] = action.method
    event["requestContext"]["http"]["path"] = event["rawPath"] = action.path
    if token is None:
        del event["headers"]["authorization"]
    else:
        event["headers"]["authorization"] = f"Bearer {token}"
    if raw is None and body is not None:
        raw = json.dumps(body).encode()
    if raw is None:
        event.pop("body")
        event["headers"].pop("content-type")
    else:
        with_body(event, raw, "application/json")
    return app.lambda_handler(event, context)


def answer(response: dict[str, Any]) -> Any:
    """The JSON body of a 200, or fail showing what came instead."""
    assert response["statusCode"] == 200, response["body"]
    return json.loads(response["body"])


def refusal(response: dict[str, Any], status: int) -> str:
    """The ``error_description`` of a refusal with ``status``."""
    assert response["statusCode"] == status, response["body"]
    return str(json.loads(response["body"])["error_description"])
