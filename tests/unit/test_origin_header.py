"""With ORIGIN_SECRET set (one host), a request that did not come through CloudFront gets 403."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.google_authentication import app as token_app
from functions.google_authorization import app as authorization_app
from functions.test_endpoint import app as action_app
from gpt_auth.runtime.origin import ORIGIN_HEADER, PUBLIC_URL_HEADER
from localdev.nx_server import free_port
from tests.reliability.flows import action_event, authorize_event, location_query, token_event

SECRET = "Zq0" * 16  # 48 characters, the shape CloudFormation generates
ONE_HOST = "https://d111111abcdef8.cloudfront.net"

ROUTES = {
    "authorize": (authorization_app.lambda_handler, authorize_event),
    "token": (token_app.lambda_handler, lambda: token_event({"grant_type": "refresh_token"})),
    "action": (action_app.lambda_handler, lambda: action_event("gat_" + "A" * 43)),
}


def call(
    route: str, lambda_context: Any, origin_value: str | None, header: str = ORIGIN_HEADER
) -> dict[str, Any]:
    handler, build = ROUTES[route]
    event = build()
    if origin_value is not None:
        event["headers"][header] = origin_value
        event["headers"][PUBLIC_URL_HEADER] = f"{ONE_HOST}/{route}"  # as the path function sets it
    return handler(event, lambda_context)


@pytest.fixture
def one_host(configure):
    configure(ORIGIN_SECRET=SECRET)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "sent",
    [None, "", SECRET[:-1], SECRET + "x", SECRET.lower()],
    ids=["none", "empty", "short", "long", "case"],
)
def test_without_the_secret_every_function_answers_403(one_host, route, sent, lambda_context, configure):
    # GIVEN a store that cannot be reached: a refusal must come before any store call
    configure(MONGODB_URI=f"mongodb://127.0.0.1:{free_port()}/?directConnection=true")
    # WHEN a function is called without CloudFront's header, or with another value
    response = call(route, lambda_context, sent)
    # THEN it is a 403 that says to use the one host, a page for the browser route
    assert response["statusCode"] == 403
    assert "only through its CloudFront host" in response["body"]
    if route == "authorize":
        assert response["headers"]["Content-Type"].startswith("text/html")
    else:
        assert json.loads(response["body"])["error"] == "forbidden"


@pytest.mark.parametrize("header", [ORIGIN_HEADER, "X-Origin-Verify"])
def test_with_the_secret_requests_are_routed_as_usual(one_host, header, lambda_context):
    # GIVEN CloudFront's header (any case), WHEN each function is called
    answers = {route: call(route, lambda_context, SECRET, header)["statusCode"] for route in ROUTES}
    # THEN each answers what it answers without one host: the secret grants nothing beyond routing
    assert answers == {"authorize": 302, "token": 400, "action": 401}


def test_without_the_setting_no_header_is_needed(lambda_context):
    answers = {route: call(route, lambda_context, None)["statusCode"] for route in ROUTES}
    assert answers == {"authorize": 302, "token": 400, "action": 401}


@pytest.mark.parametrize("value", ["short", "x" * 40 + " y", "x" * 40 + '"'], ids=["short", "space", "quote"])
def test_a_malformed_origin_secret_is_a_500_naming_it(value, configure, lambda_context):
    configure(ORIGIN_SECRET=value)
    response = call("action", lambda_context, value)
    assert response["statusCode"] == 500
    assert "ORIGIN_SECRET" in json.loads(response["body"])["error_description"]


def authorize(lambda_context: Any, headers: dict[str, str]) -> dict[str, Any]:
    event = authorize_event()
    event["headers"].update(headers)
    return authorization_app.lambda_handler(event, lambda_context)


def test_behind_cloudfront_google_s_callback_is_on_the_one_host(one_host, configure, lambda_context):
    # GIVEN one host on the distribution's own name: no GOOGLE_REDIRECT_URI in the template
    configure(GOOGLE_REDIRECT_URI=None)
    # WHEN the sign-in starts through CloudFront (the origin secret and the path function's header)
    response = authorize(lambda_context, {ORIGIN_HEADER: SECRET, PUBLIC_URL_HEADER: f"{ONE_HOST}/authorize"})
    # THEN Google is sent back to /authorize/callback on that host, not to the Function URL
    assert response["statusCode"] == 302
    assert location_query(response)["redirect_uri"] == f"{ONE_HOST}/authorize/callback"


def test_the_public_url_header_counts_only_with_the_origin_secret(configure, lambda_context):
    # GIVEN three hosts (no ORIGIN_SECRET): anyone may send the header to the Function URL
    configure(GOOGLE_REDIRECT_URI=None)
    event_domain = authorize_event()["requestContext"]["domainName"]
    response = authorize(lambda_context, {PUBLIC_URL_HEADER: "https://evil.example/authorize"})
    # THEN it is ignored: the callback is the Function URL's own
    assert location_query(response)["redirect_uri"] == f"https://{event_domain}/callback"


@pytest.mark.parametrize("sent", [None, "http://d1.cloudfront.net/authorize", "https://x/y/z"])
def test_through_cloudfront_without_a_valid_public_url_the_sign_in_stops_naming_it(
    one_host, configure, lambda_context, sent
):
    # GIVEN no GOOGLE_REDIRECT_URI, and a request through CloudFront without a usable header
    configure(GOOGLE_REDIRECT_URI=None)
    headers = {ORIGIN_HEADER: SECRET} | ({PUBLIC_URL_HEADER: sent} if sent else {})
    response = authorize(lambda_context, headers)
    # THEN a 500 page that names the setting and the header, never the Function URL as callback
    assert response["statusCode"] == 500
    assert "X-Public-Url" in response["body"] and "GOOGLE_REDIRECT_URI" in response["body"]
