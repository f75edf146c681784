"""googleAuthorization driven by the payload 2.0 events in events/; the provider stubbed at its HTTP edge.

The whole sign-in against a real OpenID provider (the local stand-in) is in
tests/integration/test_sign_in_with_stand_in.py.
"""

from __future__ import annotations

import json

import pytest
import responses

from functions.google_authorization import app
from gpt_auth.google import google_tokens
from gpt_auth.oauth import codes, pending, pkce, users
from gpt_auth.runtime import db, metrics
from localdev.samples import SAMPLE_GPT_CALLBACK, SAMPLE_SIGN_IN_COOKIE
from localdev.seed import seed_pending_request
from tests.support.authorization import assert_page, authorize_event, callback_event, location, start
from tests.support.events import answered, events_of, load_event
from tests.support.fake_idp import ISSUER
from tests.support.logs import emf_counts

CASES = events_of("google_authorization")
DOMAIN = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"


@pytest.mark.parametrize("name", CASES)
def test_every_event_gets_its_documented_status(name, store, lambda_context):
    # GIVEN the event file and, where it documents one, the pending sign-in its state names;
    # WHEN the handler answers it
    meta, response = answered(name, lambda_context)
    # THEN the status is the documented one: a redirect where documented, else a page
    assert response["statusCode"] == meta["status"], response["body"]
    if meta["status"] == 302:
        assert response["headers"]["Location"].startswith(meta["location_starts_with"])
    elif name.startswith("google_authorization_register"):  # an API for MCP clients: JSON
        assert response["headers"]["Content-Type"] == "application/json"
    else:
        assert_page(response, meta["status"])


def test_authorize_redirects_to_google_with_our_callback_nonce_and_pkce(lambda_context):
    # WHEN ChatGPT's authorization request arrives
    response = app.lambda_handler(authorize_event(), lambda_context)
    # THEN the browser goes to Google with our fixed callback, our scope and our own state
    url, query = location(response)
    assert url == "https://accounts.google.com/o/oauth2/v2/auth"
    assert query["client_id"] == "google-client-id.apps.example"
    assert query["redirect_uri"] == f"https://{DOMAIN}/callback"
    assert query["scope"] == "openid email profile"
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["state"] != "gpt-state-8f2c" and query["nonce"]
    # AND the pending sign-in remembers the GPT's request and the PKCE verifier behind the challenge
    stored = pending.consume(query["state"], browser=SAMPLE_SIGN_IN_COOKIE)
    assert stored is not None
    # (the sample's empty scope is bound as everything GOOGLE_SCOPES asks Google for)
    assert (stored.redirect_uri, stored.state, stored.scope) == (
        SAMPLE_GPT_CALLBACK,
        "gpt-state-8f2c",
        "openid email profile",
    )
    assert stored.nonce == query["nonce"]
    assert pkce.s256_challenge(stored.code_verifier) == query["code_challenge"]


def test_google_redirect_uri_setting_is_our_callback(lambda_context, configure):
    configure(GOOGLE_REDIRECT_URI="https://auth.example.com/callback")
    _, query = location(app.lambda_handler(authorize_event(), lambda_context))
    assert query["redirect_uri"] == "https://auth.example.com/callback"


def test_unknown_client_is_a_page_naming_it(lambda_context):
    response = app.lambda_handler(load_event("google_authorization_unknown_client"), lambda_context)
    assert_page(response, 400, "client_id is unknown", "someone-else", "GPT_CLIENT_ID")
    assert db.collection(pending.COLLECTION).count_documents({}) == 0


@pytest.mark.parametrize(
    ("change", "text"),
    [({"client_id": None}, "no client_id"), ({"redirect_uri": None}, "no redirect_uri")],
)
def test_missing_client_or_redirect_uri_is_a_page(lambda_context, change, text):
    assert_page(app.lambda_handler(authorize_event(**change), lambda_context), 400, text)


@pytest.mark.parametrize(
    ("redirect_uri", "reason"),
    [
        ("https://chatgpt.com.evil.example/aip/g-abc123/oauth/callback", "none of the allowed"),
        ("https://chatgpt.com@evil.example/aip/g-abc123/oauth/callback", "user information"),
        ("https://chatgpt.com:8443/aip/g-abc123/oauth/callback", "port (8443)"),
        ("https://chatgpt.com/aip/g-abc123/oauth/callback#x", "fragment"),
        ("https://chatgpt.com/aip/g-abc123/oauth/callback/more", "none of the allowed"),
        ("http://chatgpt.com/aip/g-abc123/oauth/callback", "http://"),
    ],
)
def test_redirect_uri_outside_the_allowlist_is_a_page_never_a_redirect(lambda_context, redirect_uri, reason):
    # WHEN the request names a callback outside the allowlist
    response = app.lambda_handler(authorize_event(redirect_uri=redirect_uri), lambda_context)
    # THEN a page shows what was received, the GPT id it names and why, and nothing is stored
    assert_page(response, 400, redirect_uri, "g-abc123", reason, "ALLOWED_REDIRECT_URIS")
    assert db.collection(pending.COLLECTION).count_documents({}) == 0


def test_every_value_on_a_page_is_escaped(lambda_context):
    hostile = 'https://chatgpt.com/aip/g-1/oauth/callback?"><script>alert(1)</script>'
    response = app.lambda_handler(
        authorize_event(redirect_uri=hostile, client_id="gpt-client"), lambda_context
    )
    assert_page(response, 400, hostile)
    assert "<script>" not in response["body"]
    response = app.lambda_handler(authorize_event(client_id="<img src=x onerror=alert(1)>"), lambda_context)
    assert_page(response, 400, "<img src=x onerror=alert(1)>")
    assert "<img" not in response["body"]


@pytest.mark.parametrize(
    ("change", "error", "state_echoed"),
    [
        ({"state": None}, "invalid_request", False),
        ({"state": ""}, "invalid_request", False),
        ({"response_type": None}, "invalid_request", True),
        ({"response_type": "token"}, "unsupported_response_type", True),
        ({"scope": "x" * 513}, "invalid_request", True),
        ({"state": "s" * 513}, "invalid_request", False),
        ({"scope": "admin delete:everything"}, "invalid_scope", True),
    ],
)
def test_other_request_errors_go_back_to_the_gpt(lambda_context, change, error, state_echoed):
    response = app.lambda_handler(authorize_event(**change), lambda_context)
    url, query = location(response)
    assert url == SAMPLE_GPT_CALLBACK
    assert query["error"] == error and query["error_description"]
    assert query.get("state") == ("gpt-state-8f2c" if state_echoed else None)
    assert db.collection(pending.COLLECTION).count_documents({}) == 0


def test_a_repeated_parameter_is_a_page(lambda_context):
    event = authorize_event()
    event["rawQueryString"] += "&redirect_uri=https%3A%2F%2Fevil.example%2F"
    assert_page(app.lambda_handler(event, lambda_context), 400, "'redirect_uri' appears more than once")


def test_wrong_method_is_a_405_page(lambda_context):
    event = authorize_event()
    event["requestContext"]["http"]["method"] = "POST"
    response = app.lambda_handler(event, lambda_context)
    assert_page(response, 405)
    assert response["headers"]["Allow"] == "GET"


def test_no_domain_and_no_google_redirect_uri_is_a_page_naming_the_setting(lambda_context):
    event = authorize_event()
    del event["requestContext"]["domainName"]
    assert_page(app.lambda_handler(event, lambda_context), 500, "GOOGLE_REDIRECT_URI")


@pytest.mark.parametrize("state", [None, "", "not-ours", "gar_" + "A" * 43])
def test_callback_without_a_pending_sign_in_is_a_page(lambda_context, state):
    query = {"code": "provider-code"} | ({"state": state} if state is not None else {})
    assert_page(app.lambda_handler(callback_event(**query), lambda_context), 400, "Start the sign-in again")


def test_provider_error_goes_back_to_the_gpt_once(lambda_context):
    # GIVEN a pending sign-in the provider answered with an error
    seed_pending_request("gar_" + "E" * 43, state="the-gpt-state")
    event = callback_event(error="access_denied", state="gar_" + "E" * 43)
    # WHEN the callback arrives, twice
    first = app.lambda_handler(event, lambda_context)
    second = app.lambda_handler(event, lambda_context)
    # THEN the GPT hears access_denied with its own state, and the request is gone
    url, query = location(first)
    assert url == SAMPLE_GPT_CALLBACK
    assert (query["error"], query["state"]) == ("access_denied", "the-gpt-state")
    assert "code" not in query
    assert_page(second, 400, "cancelled or refused", "access_denied")


def test_a_callback_with_a_pending_sign_in_but_no_code_is_a_400_page(lambda_context):
    seed_pending_request("gar_" + "F" * 43)
    assert_page(
        app.lambda_handler(callback_event(state="gar_" + "F" * 43), lambda_context), 400, "neither a code"
    )


# --- the provider stubbed at its HTTP edge -------------------------------------------------------


def test_fake_provider_sign_in_issues_a_code(fake_idp, lambda_context):
    sent = start(lambda_context)
    fake_idp.nonce = sent["nonce"]
    response = app.lambda_handler(callback_event(code="provider-code", state=sent["state"]), lambda_context)
    url, query = location(response)
    assert (
        url == SAMPLE_GPT_CALLBACK and query["state"] == "gpt-state-8f2c" and query["code"].startswith("gac_")
    )
    # AND the code exchange used our callback and the PKCE verifier of this sign-in
    form = fake_idp.token_forms[0]
    assert form["redirect_uri"] == f"https://{DOMAIN}/callback"
    assert pkce.s256_challenge(form["code_verifier"]) == sent["code_challenge"]


def test_a_sign_in_is_counted_once(fake_idp, lambda_context, capsys, monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    sent = start(lambda_context)
    fake_idp.nonce = sent["nonce"]
    capsys.readouterr()
    app.lambda_handler(callback_event(code="provider-code", state=sent["state"]), lambda_context)
    assert emf_counts(capsys.readouterr().out) == [{metrics.SIGN_INS: [1.0]}]


@pytest.mark.parametrize(
    ("claims", "nonce", "reason"),
    [
        ({"aud": "another-client.apps.example"}, None, "another client (audience)"),
        ({}, "a-nonce-from-another-sign-in", "nonce does not match"),
    ],
)
def test_an_id_token_we_refuse_is_a_502_page_and_no_code(fake_idp, lambda_context, claims, nonce, reason):
    # GIVEN a provider whose ID token names another audience, or another sign-in's nonce
    sent = start(lambda_context)
    fake_idp.nonce = nonce or sent["nonce"]
    fake_idp.claims = claims
    # WHEN its callback arrives
    response = app.lambda_handler(callback_event(code="provider-code", state=sent["state"]), lambda_context)
    # THEN a 502 page says why, and no code was minted
    assert_page(response, 502, reason)
    assert db.collection(codes.COLLECTION).count_documents({}) == 0


def test_discovery_failure_at_authorize_is_a_502_page_and_nothing_stored(fake_idp, http_mock, lambda_context):
    http_mock.replace(
        responses.GET, f"{ISSUER}/.well-known/openid-configuration", body="<html>oops</html>", status=500
    )
    assert_page(app.lambda_handler(authorize_event(), lambda_context), 502, "answered HTTP 500")
    assert db.collection(pending.COLLECTION).count_documents({}) == 0


def test_nothing_secret_in_the_store_or_the_logs(fake_idp, read_logs, lambda_context, app_settings):
    # GIVEN a whole sign-in, plus a refused and a replayed callback
    sent = start(lambda_context, scope="profile")
    fake_idp.nonce = sent["nonce"]
    event = callback_event(code="provider-code-4/0AbC", state=sent["state"])
    _, query = location(app.lambda_handler(event, lambda_context))
    app.lambda_handler(event, lambda_context)
    # THEN neither the store nor the logs hold a code, our state, a token or a secret
    # Google's tokens were stored, sealed
    assert db.collection(google_tokens.COLLECTION).count_documents({}) == 1
    stored = json.dumps(
        [
            list(db.collection(name).find())
            for name in (users.COLLECTION, pending.COLLECTION, codes.COLLECTION, google_tokens.COLLECTION)
        ],
        default=str,
    )
    logged = "\n".join(json.dumps(line) for line in read_logs())
    assert "sign-in completed" in logged
    for secret in (
        query["code"],
        sent["state"],
        "provider-code-4/0AbC",
        "provider-access-token",
        "provider-refresh-token",
        fake_idp.issued_id_tokens[0].split(".")[1],
        app_settings["GOOGLE_CLIENT_SECRET"],
        app_settings["GPT_CLIENT_SECRET"],
    ):
        assert secret not in stored
        assert secret not in logged
    assert fake_idp.token_forms[0]["code_verifier"] not in logged
