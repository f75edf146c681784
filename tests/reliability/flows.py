"""Requests as ChatGPT and a browser send them, in-process; the provider stubbed at its HTTP edge."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from functions.google_authentication import app as token_app
from functions.google_authorization import app as authorization_app
from functions.test_endpoint import app as action_app
from localdev.lambda_env import FakeLambdaContext, with_form
from tests.support.events import load_event
from tests.support.fake_idp import FakeIdp
from tests.support.token_requests import POST_AUTH, REDIRECT_URI


def authorize_event(**changes: str) -> dict[str, Any]:
    """ChatGPT's authorization request (events/google_authorization_authorize.json), parameters
    changed, from the browser of the sample callback events (it presents their sign-in cookie)."""
    event = load_event("google_authorization_authorize")
    query = dict(parse_qsl(event["rawQueryString"], keep_blank_values=True)) | changes
    event["rawQueryString"] = urlencode(query)
    event["cookies"] = load_event("google_authorization_callback_unknown_state")["cookies"]
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


def token_event(form: dict[str, str]) -> dict[str, Any]:
    """A token request with the test client's credentials in the body."""
    return with_form(load_event("google_authentication_code_post"), {**form, **POST_AUTH})


def action_event(access_token: str) -> dict[str, Any]:
    """The action called with ``{"name": "Ada"}`` and this access token."""
    event = load_event("test_endpoint_valid")
    event["headers"]["authorization"] = f"Bearer {access_token}"
    return event


def store_routes(tokens: dict[str, str]) -> dict[str, Callable[[], dict[str, Any]]]:
    """One request per route that must reach the store, for the given (live or merely well-formed) tokens."""
    context = FakeLambdaContext()
    code_form = {"grant_type": "authorization_code", "code": tokens["code"], "redirect_uri": REDIRECT_URI}
    refresh_form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh"]}
    requests: dict[str, tuple[Callable[..., dict[str, Any]], Callable[[], dict[str, Any]]]] = {
        "authorize": (authorization_app.lambda_handler, lambda: load_event("google_authorization_authorize")),
        "callback": (
            authorization_app.lambda_handler,
            lambda: callback_event(code="c", state="gar_" + "S" * 43),
        ),
        "code grant": (token_app.lambda_handler, lambda: token_event(code_form)),
        "refresh grant": (token_app.lambda_handler, lambda: token_event(refresh_form)),
        "action": (action_app.lambda_handler, lambda: action_event(tokens["access"])),
    }
    return {name: (lambda h=handler, e=event: h(e(), context)) for name, (handler, event) in requests.items()}


def token_call(form: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, JSON body and headers of the token endpoint's answer (a code grant gets the callback)."""
    form = {"redirect_uri": REDIRECT_URI, **form} if form["grant_type"] == "authorization_code" else form
    result = token_app.lambda_handler(token_event(form), FakeLambdaContext())
    return result["statusCode"], json.loads(result["body"]), result["headers"]
