"""Token endpoint requests built from the sample events in events/, for the token tests."""

from __future__ import annotations

import json
from typing import Any

from functions.google_authentication import app
from gpt_auth.oauth import codes, sessions
from localdev.lambda_env import FakeLambdaContext, with_body, with_form
from localdev.samples import SAMPLE_GPT_CALLBACK, SAMPLE_SETTINGS
from tests.support.events import load_event

REDIRECT_URI = SAMPLE_GPT_CALLBACK
# A redirect_uri the codes of new_code are not bound to.
OTHER_CALLBACK = "https://chatgpt.com/aip/g-Other456/oauth/callback"
POST_AUTH = {
    "client_id": SAMPLE_SETTINGS["GPT_CLIENT_ID"],
    "client_secret": SAMPLE_SETTINGS["GPT_CLIENT_SECRET"],
}


def with_json(event: dict[str, Any], body: str) -> dict[str, Any]:
    """The event with ``body`` as a plain application/json body."""
    event["headers"]["content-type"] = "application/json"
    return with_body(event, body.encode(), "application/json")


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, parsed JSON body and headers of the token endpoint's answer."""
    response = app.lambda_handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def exchange(code: str, *, redirect_uri: str = REDIRECT_URI) -> tuple[int, dict[str, Any]]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **POST_AUTH}
    status, body, _ = call(with_form(load_event("google_authentication_code_post"), form))
    return status, body


def refresh(refresh_token: str, **extra: str) -> tuple[int, dict[str, Any]]:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **POST_AUTH, **extra}
    status, body, _ = call(with_form(load_event("google_authentication_refresh"), form))
    return status, body


def new_code(*, client_id: str = POST_AUTH["client_id"], scope: str = "openid email", **kwargs: Any) -> str:
    return codes.issue_code(
        client_id=client_id, redirect_uri=REDIRECT_URI, user_id="user-1", scope=scope, **kwargs
    )


def signed_in(scope: str = "openid email") -> dict[str, Any]:
    """A token response from a fresh code, as ChatGPT gets it after sign-in."""
    status, body = exchange(new_code(scope=scope))
    assert status == 200, body
    return body


def is_live(access_token: str) -> bool:
    """What testEndpoint asks before it answers."""
    return sessions.session_for_access_token(access_token) is not None
