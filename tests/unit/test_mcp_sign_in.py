"""An MCP client's sign-in at googleAuthorization: its checks, the consent page and its form, RFC
9207's ``iss`` on every redirect back, and the code bound to PKCE and the resource."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from functions.google_authorization import app
from gpt_auth.oauth import clients, codes, pending, resources
from gpt_auth.oauth.tokens import lookup
from gpt_auth.runtime import db
from localdev.samples import SAMPLE_GPT_CALLBACK, SAMPLE_SIGN_IN_COOKIE
from localdev.seed import seed_pending_request
from tests.support.authorization import assert_page, authorize_event, callback_event, location
from tests.support.fake_idp import ISSUER as IDP_ISSUER
from tests.support.mcp_sign_in import (
    CALLBACK,
    CLIENT_ID,
    ISSUER,
    OTHER_BROWSER,
    RESOURCE,
    allowed,
    callback_query,
    consent_event,
    consent_page,
    form_token,
    mcp_authorize_event,
    save_client,
)


@pytest.fixture(autouse=True)
def mcp_client(store):
    return save_client()


BROWSER = SAMPLE_SIGN_IN_COOKIE


def pending_count(**query) -> int:
    return db.collection(pending.COLLECTION).count_documents(query)


# --- the authorization request ------------------------------------------------------------------


def test_an_mcp_client_gets_a_consent_page_naming_it_and_its_redirect_host(lambda_context):
    # WHEN a registered MCP client asks for a sign-in with PKCE and the resource
    page = consent_page(lambda_context)
    # THEN a page names the client and the host the code goes to, with an Allow/Deny form
    assert_page(page, 200, "Claude", "claude.ai", CALLBACK, "openid", "email")
    body = page["body"]
    assert f'action="{ISSUER}/consent"' in body and 'method="post"' in body
    assert 'value="allow"' in body and 'value="deny"' in body
    assert "<script" not in body
    # AND it cannot be framed nor cached, and it sets the sign-in cookie
    headers = page["headers"]
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert page["cookies"][0].startswith("__Host-gpt_auth_signin=")
    # AND the request waits at the consent stage, bound to the resource, under the form's token
    assert pending_count(stage=pending.CONSENT, resource=RESOURCE) == 1
    assert pending_count(_id=lookup(form_token(page))) == 1


def test_the_client_name_is_escaped(lambda_context):
    save_client(CLIENT_ID, '<img src=x onerror=alert(1)>"')
    page = consent_page(lambda_context)
    assert "<img" not in page["body"]
    assert html.escape('<img src=x onerror=alert(1)>"') in page["body"]


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"client_id": "unknown-client"}, "client_id is unknown"),
        ({"redirect_uri": None}, "no redirect_uri"),
        ({"redirect_uri": "https://claude.ai/api/mcp/auth_callback/"}, "not one of the redirect URIs"),
        ({"redirect_uri": "https://evil.example/cb"}, "not one of the redirect URIs"),
    ],
)
def test_an_unknown_client_or_unregistered_redirect_is_a_page(lambda_context, changes, text):
    response = app.lambda_handler(mcp_authorize_event(**changes), lambda_context)
    assert_page(response, 400, text)
    assert pending_count() == 0


def test_an_expired_registration_is_unknown(lambda_context):
    expired = db.now() - timedelta(seconds=1)
    clients.save(clients.Client(CLIENT_ID, "Old", (CALLBACK,), clients.REGISTERED), expires_at=expired)
    assert_page(app.lambda_handler(mcp_authorize_event(), lambda_context), 400, "client_id is unknown")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # plain
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "admin"}, "invalid_scope"),
        ({"resource": "https://elsewhere.example/api"}, "invalid_target"),
        ({"resource": "http://elsewhere.example/mcp"}, "invalid_target"),
        ({"resource": f"{RESOURCE}#frag"}, "invalid_target"),
        ({"resource": "/mcp"}, "invalid_target"),
        ({"resource": "https://" + "a" * 250 + ".example/mcp"}, "invalid_target"),
    ],
)
def test_other_errors_go_back_to_the_client_with_state_and_iss(lambda_context, changes, error):
    url, query = location(app.lambda_handler(mcp_authorize_event(**changes), lambda_context))
    assert url == CALLBACK
    assert (query["error"], query["state"], query["iss"]) == (error, "mcp-state-1", ISSUER)
    assert query["error_description"]
    assert pending_count() == 0


def test_a_missing_challenge_says_pkce_is_required(lambda_context):
    event = mcp_authorize_event(code_challenge=None, code_challenge_method=None)
    _, query = location(app.lambda_handler(event, lambda_context))
    assert "PKCE is required" in query["error_description"]


def test_a_known_mcp_url_must_be_the_resource(lambda_context, configure):
    configure(ACTION_URL="https://api.example.com/hello")
    _, query = location(app.lambda_handler(mcp_authorize_event(), lambda_context))
    assert (query["error"], query["iss"]) == ("invalid_target", ISSUER)
    assert "https://api.example.com/hello/mcp" in query["error_description"]
    page = consent_page(lambda_context, resource="https://api.example.com/hello/mcp")
    assert page["statusCode"] == 200


def test_loopback_http_is_a_resource(lambda_context):
    consent_page(lambda_context, resource="http://127.0.0.1:3000/mcp")
    assert pending_count(resource="http://127.0.0.1:3000/mcp") == 1


def test_without_resource_the_request_is_bound_to_this_deployments_mcp(lambda_context):
    consent_page(lambda_context, resource=None)
    assert pending_count(resource=resources.THIS_DEPLOYMENTS_MCP) == 1


# --- the consent form ---------------------------------------------------------------------------


def test_allow_sends_the_browser_to_the_provider_with_a_fresh_state(lambda_context):
    page = consent_page(lambda_context)
    token = form_token(page)
    answer = app.lambda_handler(consent_event({"request": token, "decision": "allow"}), lambda_context)
    assert answer["statusCode"] == 303
    url, query = location(answer)
    assert url == "https://accounts.google.com/o/oauth2/v2/auth"
    assert query["state"] != token and query["code_challenge_method"] == "S256"
    # AND the consent-stage request is gone; the provider-stage one is bound to the resource
    assert pending_count(stage=pending.CONSENT) == 0
    stored = pending.consume(query["state"], browser=SAMPLE_SIGN_IN_COOKIE)
    assert stored is not None and (stored.client_id, stored.resource) == (CLIENT_ID, RESOURCE)


def test_deny_sends_the_browser_back_with_access_denied_state_and_iss(lambda_context):
    token = form_token(consent_page(lambda_context))
    answer = app.lambda_handler(consent_event({"request": token, "decision": "deny"}), lambda_context)
    assert answer["statusCode"] == 303
    url, query = location(answer)
    assert url == CALLBACK
    assert (query["error"], query["state"], query["iss"]) == ("access_denied", "mcp-state-1", ISSUER)
    assert pending_count() == 0


@pytest.mark.parametrize(
    ("form", "cookie", "text"),
    [
        (
            lambda token: {"request": token, "decision": "allow"},
            None,
            "did not bring back the sign-in cookie",
        ),
        (lambda token: {"request": token, "decision": "allow"}, OTHER_BROWSER, "another browser"),
        (lambda token: {"request": "gar_" + "A" * 43, "decision": "allow"}, SAMPLE_SIGN_IN_COOKIE, "unknown"),
        (lambda token: {"request": token[:-1], "decision": "allow"}, SAMPLE_SIGN_IN_COOKIE, "unknown"),
        (lambda token: {"decision": "allow"}, SAMPLE_SIGN_IN_COOKIE, "unknown"),
        (
            lambda token: {"request": token, "decision": "maybe"},
            SAMPLE_SIGN_IN_COOKIE,
            "neither Allow nor Deny",
        ),
        (lambda token: {"request": token}, SAMPLE_SIGN_IN_COOKIE, "neither Allow nor Deny"),
    ],
)
def test_a_forged_consent_is_a_page_and_redirects_nowhere(lambda_context, form, cookie, text):
    # GIVEN a consent page shown in the sample browser
    token = form_token(consent_page(lambda_context))
    # WHEN a POST comes without its cookie, from another browser, or with a wrong token or answer
    answer = app.lambda_handler(consent_event(form(token), cookie), lambda_context)
    # THEN it is refused as a page, and the request still waits for its own browser
    assert_page(answer, 400, text)
    assert pending_count(stage=pending.CONSENT) == 1


def test_a_replayed_consent_is_refused(lambda_context):
    token = form_token(consent_page(lambda_context))
    first = app.lambda_handler(consent_event({"request": token, "decision": "allow"}), lambda_context)
    assert first["statusCode"] == 303
    again = app.lambda_handler(consent_event({"request": token, "decision": "allow"}), lambda_context)
    assert_page(again, 400, "already answered")


def test_a_consent_stage_request_is_not_a_callback_state(lambda_context):
    # GIVEN a request waiting for consent: its id travels in the page only
    token = form_token(consent_page(lambda_context))
    # WHEN someone sends the browser to the callback with it (skipping the page)
    response = app.lambda_handler(callback_event(code="provider-code", state=token), lambda_context)
    # THEN nothing happens; the request still waits for the form
    assert_page(response, 400, "Start the sign-in again")
    assert pending_count(stage=pending.CONSENT) == 1


def test_a_provider_stage_request_is_not_a_consent(lambda_context):
    seed_pending_request("gar_" + "P" * 43)
    answer = app.lambda_handler(
        consent_event({"request": "gar_" + "P" * 43, "decision": "allow"}), lambda_context
    )
    assert_page(answer, 400, "unknown")
    assert pending_count() == 1


def test_the_consent_form_only_accepts_post(lambda_context):
    event = consent_event({"request": "x", "decision": "allow"})
    event["requestContext"]["http"]["method"] = "GET"
    assert_page(app.lambda_handler(event, lambda_context), 405)


# --- back from the provider ---------------------------------------------------------------------


def test_the_code_is_bound_to_the_client_its_challenge_and_the_resource(fake_idp, lambda_context):
    query = callback_query(lambda_context, fake_idp)
    assert (query["state"], query["iss"]) == ("mcp-state-1", ISSUER)
    stored = db.collection(codes.COLLECTION).find_one({"_id": lookup(query["code"])})
    assert stored["client_id"] == CLIENT_ID and stored["redirect_uri"] == CALLBACK
    assert stored["resource"] == RESOURCE and stored["code_challenge"]


def test_a_provider_error_goes_back_to_the_mcp_client_with_iss(fake_idp, lambda_context):
    sent = allowed(lambda_context)
    response = app.lambda_handler(callback_event(error="access_denied", state=sent["state"]), lambda_context)
    url, query = location(response)
    assert url == CALLBACK
    assert (query["error"], query["state"], query["iss"]) == ("access_denied", "mcp-state-1", ISSUER)


# --- RFC 9207 for the GPT too -------------------------------------------------------------------


def test_the_gpts_flow_is_unchanged_but_for_iss(fake_idp, lambda_context):
    # GIVEN the GPT's authorization request: no consent page, straight to the provider
    response = app.lambda_handler(authorize_event(), lambda_context)
    assert response["statusCode"] == 302
    _, sent = location(response)
    assert sent["redirect_uri"].startswith("https://") and IDP_ISSUER in response["headers"]["Location"]
    fake_idp.nonce = sent["nonce"]
    url, query = location(app.lambda_handler(callback_event(code="c", state=sent["state"]), lambda_context))
    # THEN the GPT's callback carries the code, its state and our issuer
    assert url == SAMPLE_GPT_CALLBACK
    assert query["state"] == "gpt-state-8f2c" and query["iss"] == ISSUER
    assert db.collection(codes.COLLECTION).find_one({"_id": lookup(query["code"])})["resource"] is None


@pytest.mark.parametrize("changes", [{"response_type": "token"}, {"scope": "admin"}])
def test_the_gpts_error_redirects_carry_iss(lambda_context, changes):
    _, query = location(app.lambda_handler(authorize_event(**changes), lambda_context))
    assert query["error"] and query["iss"] == ISSUER


def test_the_issuer_follows_authorization_server_url(lambda_context, configure):
    configure(AUTHORIZATION_SERVER_URL="https://auth.example.com/authorize")
    _, query = location(app.lambda_handler(authorize_event(response_type="token"), lambda_context))
    assert query["iss"] == "https://auth.example.com/authorize"
    page = consent_page(lambda_context)
    assert 'action="https://auth.example.com/authorize/consent"' in page["body"]
