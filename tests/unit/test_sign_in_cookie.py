"""The sign-in is bound to the browser that started it (RFC 9700 4.7.1) by the sign-in cookie."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from functions.google_authorization import app
from gpt_auth.oauth import codes, pending, sign_in_cookie
from gpt_auth.oauth.tokens import hash_token
from gpt_auth.runtime import db
from tests.support.events import load_event

COOKIE_PAIR = f"{sign_in_cookie.HTTPS_NAME}="


def authorize_event(*, cookies: list[str] | None = None, proto: str = "https") -> dict:
    event = load_event("google_authorization_authorize")
    event["headers"]["x-forwarded-proto"] = proto
    event.pop("cookies", None)
    if cookies is not None:
        event["cookies"] = cookies
    return event


def callback_event(state: str, *, cookies: list[str] | None, proto: str = "https") -> dict:
    event = load_event("google_authorization_callback_unknown_state")
    event["rawQueryString"] = f"code=provider-code&state={state}"
    event["headers"]["x-forwarded-proto"] = proto
    event.pop("cookies", None)
    if cookies is not None:
        event["cookies"] = cookies
    return event


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def started(lambda_context, **kwargs) -> tuple[dict[str, str], str, str]:
    """GET /: returns what was sent to the provider, the Set-Cookie value and the cookie pair."""
    response = app.lambda_handler(authorize_event(**kwargs), lambda_context)
    assert response["statusCode"] == 302, response["body"]
    (set_cookie,) = response["cookies"]
    pair = set_cookie.split(";", 1)[0]
    return query(response["headers"]["Location"]), set_cookie, pair


def test_authorize_sets_a_host_only_secure_httponly_lax_cookie_over_https(lambda_context):
    _, set_cookie, pair = started(lambda_context)
    name, _, value = pair.partition("=")
    assert name == "__Host-gpt_auth_signin" and value.startswith("gsc_") and len(value) == 47
    attributes = [a.strip() for a in set_cookie.split(";")[1:]]
    assert attributes == ["Path=/", "Max-Age=600", "HttpOnly", "Secure", "SameSite=Lax"]


def test_over_plain_http_the_cookie_has_no_secure_flag_and_no_host_prefix(lambda_context):
    _, set_cookie, pair = started(lambda_context, proto="http")
    assert pair.startswith("gpt_auth_signin=gsc_")
    assert "Secure" not in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie


def test_only_the_cookies_hash_is_stored_with_the_pending_request(lambda_context):
    _, _, pair = started(lambda_context)
    value = pair.partition("=")[2]
    (record,) = db.collection(pending.COLLECTION).find({})
    assert record["browser_hash"] == hash_token(value)
    assert value not in repr(record)


def test_the_browser_that_started_it_completes_it(fake_idp, lambda_context):
    sent, _, pair = started(lambda_context)
    fake_idp.nonce = sent["nonce"]
    response = app.lambda_handler(callback_event(sent["state"], cookies=[pair]), lambda_context)
    assert response["statusCode"] == 302, response["body"]
    assert query(response["headers"]["Location"])["code"].startswith("gac_")


@pytest.mark.parametrize(
    "cookies",
    [
        None,  # a browser that never visited GET /, or blocks cookies
        [],
        ["__Host-gpt_auth_signin=gsc_" + "V" * 43],  # the victim's own sign-in cookie
        ["__Host-gpt_auth_signin=not-a-cookie-of-ours"],
        ["other=1"],
    ],
    ids=["no cookies", "empty cookies", "another browser's cookie", "malformed cookie", "unrelated cookie"],
)
def test_another_browser_gets_a_400_page_and_the_provider_is_not_called(fake_idp, lambda_context, cookies):
    # GIVEN an attacker who started a sign-in in their own browser
    sent, _, attacker_pair = started(lambda_context)
    fake_idp.nonce = sent["nonce"]
    # WHEN the victim's browser brings its state to our callback without the attacker's cookie
    response = app.lambda_handler(callback_event(sent["state"], cookies=cookies), lambda_context)
    # THEN a 400 page, no call to the provider, no code
    assert response["statusCode"] == 400 and response["headers"]["Content-Type"].startswith("text/html")
    assert "another browser" in response["body"]
    assert fake_idp.token_forms == []
    assert db.collection(codes.COLLECTION).count_documents({}) == 0
    # AND the sign-in is still there for the browser that started it
    finished = app.lambda_handler(callback_event(sent["state"], cookies=[attacker_pair]), lambda_context)
    assert finished["statusCode"] == 302, finished["body"]


def test_over_https_a_cookie_without_the_host_prefix_is_not_accepted(fake_idp, lambda_context):
    # A sibling host can set gpt_auth_signin for a parent domain, never __Host-gpt_auth_signin.
    sent, _, pair = started(lambda_context)
    tossed = "gpt_auth_signin=" + pair.partition("=")[2]
    response = app.lambda_handler(callback_event(sent["state"], cookies=[tossed]), lambda_context)
    assert response["statusCode"] == 400
    assert fake_idp.token_forms == []


def test_two_sign_ins_in_one_browser_both_complete(fake_idp, lambda_context):
    first, _, pair = started(lambda_context)
    second, _, again = started(lambda_context, cookies=[pair])
    assert again == pair  # the browser keeps its value
    for sent in (first, second):
        fake_idp.nonce = sent["nonce"]
        response = app.lambda_handler(callback_event(sent["state"], cookies=[pair]), lambda_context)
        assert response["statusCode"] == 302, response["body"]
