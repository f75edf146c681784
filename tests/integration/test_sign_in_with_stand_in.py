"""A whole sign-in against a real OpenID provider: the local stand-in (oidc-provider-mock) via OIDC_ISSUER.

The handler runs in-process on payload 2.0 events; the browser's part (following the redirect to
the provider and consenting) is played with ``requests``, as the stand-in's form would be posted.
"""

from __future__ import annotations

import html
from datetime import timedelta
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
import requests

from functions.google_authorization import app
from functions.test_endpoint import app as test_endpoint
from gpt_auth.oauth import codes, users
from gpt_auth.runtime import db, settings
from tests.support.events import load_event
from tests.support.token_requests import exchange

GPT_CALLBACK = "https://chatgpt.com/aip/g-AbCdEf123/oauth/callback"
DOMAIN = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"


@pytest.fixture(autouse=True)
def use_stand_in(oidc_issuer, configure):
    configure(OIDC_ISSUER=oidc_issuer)


def query_of(url):
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def authorize(lambda_context, **changes):
    """ChatGPT's authorization request, from the browser of the sample callback event (it presents
    that event's sign-in cookie); returns our redirect to the provider."""
    event = load_event("google_authorization_authorize")
    event["rawQueryString"] = urlencode(
        dict(parse_qsl(event["rawQueryString"], keep_blank_values=True)) | changes
    )
    event["cookies"] = load_event("google_authorization_callback_unknown_state")["cookies"]
    response = app.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 302, response["body"]
    return response["headers"]["Location"]


def consent(provider_url, **form):
    """The person at the provider: open the consent page, then submit it; returns where it sends them."""
    assert requests.get(provider_url, timeout=5).status_code == 200
    answer = requests.post(provider_url, data=form, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def callback(lambda_context, provider_redirect):
    """The provider's redirect to our /callback, as a Function URL event."""
    parts = urlsplit(provider_redirect)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"https://{DOMAIN}/callback"
    event = load_event("google_authorization_callback_unknown_state")
    event["rawQueryString"] = parts.query
    return app.lambda_handler(event, lambda_context)


def test_sign_in_ends_at_the_gpt_with_a_code_that_redeems_once(store, lambda_context):
    # GIVEN ChatGPT's authorization request, sent on to the provider
    provider_url = authorize(lambda_context)
    assert query_of(provider_url)["state"].startswith("gar_")
    # WHEN the person consents as alice and the provider calls us back
    response = callback(lambda_context, consent(provider_url, sub="alice@example.com"))
    # THEN the browser goes to the GPT's callback with our code and the GPT's own state
    assert response["statusCode"] == 302, response["body"]
    location = response["headers"]["Location"]
    assert location.startswith(GPT_CALLBACK + "?")
    back = query_of(location)
    assert set(back) == {"code", "state", "iss"}
    assert (back["state"], back["iss"]) == ("gpt-state-8f2c", f"https://{DOMAIN}")
    # AND the code redeems once, bound to the GPT client, its callback, alice and, for the empty
    # scope asked, all of GOOGLE_SCOPES
    grant = codes.redeem_code(back["code"])
    assert grant is not None
    alice = users.user_id(settings.get_settings().oidc_issuer, "alice@example.com")
    assert (grant.client_id, grant.redirect_uri, grant.user_id, grant.scope) == (
        "gpt-client",
        GPT_CALLBACK,
        alice,
        "openid email profile",
    )
    assert codes.redeem_code(back["code"]) is None
    # AND alice is a user keyed on issuer and subject, with no provider token stored, and no
    # e-mail: the provider did not say it verified it
    user = db.collection(users.COLLECTION).find_one({"_id": alice})
    assert user["sub"] == "alice@example.com" and "email" not in user
    assert set(user) <= {"_id", "sub", "issuer", "email", "name", "created_at", "last_login_at"}


def test_the_gpts_scope_within_google_scopes_is_bound_to_the_code(lambda_context):
    provider_url = authorize(lambda_context, scope="profile tasks.read")
    assert query_of(provider_url)["scope"] == "openid email profile"
    back = query_of(callback(lambda_context, consent(provider_url, sub="bob"))["headers"]["Location"])
    assert codes.redeem_code(back["code"]).scope == "profile"  # tasks.read is not granted here


def test_the_name_and_verified_email_the_provider_sends_are_stored(oidc_issuer, lambda_context):
    claims = {"email": "carol@example.com", "email_verified": True, "name": "Carol"}
    requests.put(f"{oidc_issuer}/users/carol", json=claims, timeout=5)
    callback(lambda_context, consent(authorize(lambda_context), sub="carol"))
    user = db.collection(users.COLLECTION).find_one({"_id": users.user_id(oidc_issuer, "carol")})
    assert (user["email"], user["name"]) == ("carol@example.com", "Carol")


def test_an_email_the_provider_does_not_verify_is_not_stored(oidc_issuer, lambda_context):
    claims = {"email": "ceo@example.com", "email_verified": False, "name": "Eve"}
    requests.put(f"{oidc_issuer}/users/eve", json=claims, timeout=5)
    callback(lambda_context, consent(authorize(lambda_context), sub="eve"))
    user = db.collection(users.COLLECTION).find_one({"_id": users.user_id(oidc_issuer, "eve")})
    assert user["name"] == "Eve" and "email" not in user


def test_refusing_at_the_provider_sends_access_denied_to_the_gpt(lambda_context):
    # WHEN the person denies consent
    response = callback(lambda_context, consent(authorize(lambda_context), action="deny"))
    # THEN the GPT hears access_denied with its own state, and no code exists
    back = query_of(response["headers"]["Location"])
    assert response["headers"]["Location"].startswith(GPT_CALLBACK + "?")
    assert (back["error"], back["state"]) == ("access_denied", "gpt-state-8f2c")
    assert db.collection(codes.COLLECTION).count_documents({}) == 0


def test_a_replayed_callback_is_refused(lambda_context):
    redirect = consent(authorize(lambda_context), sub="dave")
    assert callback(lambda_context, redirect)["statusCode"] == 302
    replay = callback(lambda_context, redirect)
    assert replay["statusCode"] == 400
    assert "already used" in html.unescape(replay["body"])


def test_a_callback_after_ten_minutes_is_refused(lambda_context, monkeypatch):
    redirect = consent(authorize(lambda_context), sub="erin")
    real_now = db.now
    monkeypatch.setattr(db, "now", lambda: real_now() + timedelta(minutes=10, seconds=1))
    response = callback(lambda_context, redirect)
    assert response["statusCode"] == 400
    assert "expired" in response["body"]
    assert db.collection(codes.COLLECTION).count_documents({}) == 0


def test_the_code_buys_tokens_that_call_the_action(store, lambda_context):
    # GIVEN a sign-in through the stand-in, ended at the GPT's callback
    back = query_of(
        callback(lambda_context, consent(authorize(lambda_context), sub="frank"))["headers"]["Location"]
    )
    # WHEN ChatGPT redeems the code at the token endpoint and calls the action with the access token
    status, tokens = exchange(back["code"])
    assert status == 200, tokens
    event = load_event("test_endpoint_valid")
    event["headers"]["authorization"] = f"Bearer {tokens['access_token']}"
    answer = test_endpoint.lambda_handler(event, lambda_context)
    # THEN the action answers for the signed-in session
    assert (answer["statusCode"], answer["body"]) == (200, "Hello Ada")
