"""The sign-in as ChatGPT and a browser drive it, in-process, with the provider stubbed at its HTTP edge."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from functions.google_authorization import app as authorization_app
from tests.conftest import FakeLambdaContext, load_event
from tests.fake_idp import FakeIdp


def authorize_event(**changes: str) -> dict[str, Any]:
    """ChatGPT's authorization request (events/google_authorization_authorize.json), parameters changed."""
    event = load_event("google_authorization_authorize")
    query = dict(parse_qsl(event["rawQueryString"], keep_blank_values=True)) | changes
    event["rawQueryString"] = urlencode(query)
    return event


def callback_event(**query: str) -> dict[str, Any]:
    """The provider's redirect to our /callback, as a Function URL event."""
    event = load_event("google_authorization_callback_unknown_state")
    event["rawQueryString"] = urlencode(query)
    return event


def location_query(response: dict[str, Any]) -> dict[str, str]:
    """The single-valued query of a redirect's Location."""
    parts = urlsplit(response["headers"]["Location"])
    return {name: values[0] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}


def start_sign_in(idp: FakeIdp, **changes: str) -> dict[str, str]:
    """ChatGPT's authorization request; returns what we sent the provider (its state, nonce...)."""
    response = authorization_app.lambda_handler(authorize_event(**changes), FakeLambdaContext())
    assert response["statusCode"] == 302, response["body"]
    sent = location_query(response)
    idp.nonce = sent["nonce"]
    return sent


def sign_in(idp: FakeIdp, provider_code: str = "provider-code") -> dict[str, str]:
    """A whole sign-in; returns the query the GPT's callback receives (our code and its state)."""
    sent = start_sign_in(idp)
    response = authorization_app.lambda_handler(
        callback_event(code=provider_code, state=sent["state"]), FakeLambdaContext()
    )
    assert response["statusCode"] == 302, response["body"]
    return location_query(response)
