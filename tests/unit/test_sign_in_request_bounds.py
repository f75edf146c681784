"""What an anonymous GET / may store, PKCE from the GPT, and the scope a code is bound to."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import bson
import pytest

from functions.google_authentication import app as token_app
from functions.google_authorization import app
from gpt_auth.oauth import pending, pkce
from gpt_auth.runtime import db
from gpt_auth.runtime.errors import ConfigError
from gpt_auth.runtime.settings import load_settings
from localdev.lambda_env import FakeLambdaContext, with_form
from localdev.samples import SAMPLE_GPT_CALLBACK, SAMPLE_SETTINGS
from tests.support.events import load_event

# RFC 7636 Appendix B
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
BASE = {
    k: SAMPLE_SETTINGS[k]
    for k in (
        "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET",
        "GPT_CLIENT_ID",
        "GPT_CLIENT_SECRET",
        "TOKEN_HASH_KEYS",
    )
}


def authorize(**changes: str | None) -> dict:
    event = load_event("google_authorization_authorize")
    query = dict(parse_qsl(event["rawQueryString"], keep_blank_values=True)) | changes
    event["rawQueryString"] = urlencode({k: v for k, v in query.items() if v is not None})
    return app.lambda_handler(event, FakeLambdaContext())


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def error_back(response: dict) -> dict[str, str]:
    """The error the GPT's callback receives (asserting the redirect goes there)."""
    assert response["statusCode"] == 302, response["body"]
    location = response["headers"]["Location"]
    assert location.startswith(SAMPLE_GPT_CALLBACK + "?"), location
    return query(location)


def stored_requests() -> list[dict]:
    return list(db.collection(pending.COLLECTION).find({}))


def sign_in(fake_idp, **changes: str) -> tuple[str, dict[str, str]]:
    """A whole sign-in with the authorization request changed; our code and what Google was sent."""
    response = authorize(**changes)
    assert response["statusCode"] == 302, response["body"]
    sent = query(response["headers"]["Location"])
    fake_idp.nonce = sent["nonce"]
    callback = load_event("google_authorization_callback_unknown_state")
    callback["rawQueryString"] = urlencode({"code": "provider-code", "state": sent["state"]})
    callback["cookies"] = [response["cookies"][0].split(";")[0]]
    back = app.lambda_handler(callback, FakeLambdaContext())
    assert back["statusCode"] == 302, back["body"]
    return query(back["headers"]["Location"])["code"], sent


def exchange(code: str, **extra: str) -> tuple[int, dict]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": SAMPLE_GPT_CALLBACK,
        "client_id": SAMPLE_SETTINGS["GPT_CLIENT_ID"],
        "client_secret": SAMPLE_SETTINGS["GPT_CLIENT_SECRET"],
        **extra,
    }
    result = token_app.lambda_handler(
        with_form(load_event("google_authentication_code_post"), form), FakeLambdaContext()
    )
    return result["statusCode"], json.loads(result["body"])


# --- 5: what an anonymous caller can store --------------------------------------------------------


def test_a_gpt_id_of_65_characters_is_outside_the_default_allowlist():
    long_id = "https://chatgpt.com/aip/g-" + "A" * 8000 + "/oauth/callback"
    for uri in (long_id, "https://chatgpt.com/aip/g-" + "A" * 65 + "/oauth/callback"):
        response = authorize(redirect_uri=uri)
        assert response["statusCode"] == 400 and "Location" not in response["headers"]
    assert (
        authorize(redirect_uri="https://chatgpt.com/aip/g-" + "A" * 64 + "/oauth/callback")["statusCode"]
        == 302
    )
    assert stored_requests()[0]["redirect_uri"].count("A") == 64


def test_a_redirect_uri_over_256_characters_is_a_page_even_when_a_pattern_would_allow_it(configure):
    configure(ALLOWED_REDIRECT_URIS=r"https://gpt\.example/cb/[a-z]+")
    allowed = "https://gpt.example/cb/" + "a" * (256 - len("https://gpt.example/cb/"))
    assert authorize(redirect_uri=allowed)["statusCode"] == 302
    response = authorize(redirect_uri=allowed + "a")
    assert response["statusCode"] == 400 and "longer than 256 characters" in response["body"]


@pytest.mark.parametrize(("name", "cap"), [("state", 512), ("scope", 512)])
def test_state_and_scope_over_their_cap_go_back_as_invalid_request(name, cap):
    assert authorize(**{name: "s" * cap})["statusCode"] == 302
    db.collection(pending.COLLECTION).delete_many({})
    back = error_back(authorize(**{name: "s" * (cap + 1)}))
    assert back["error"] == "invalid_request" and f"longer than {cap}" in back["error_description"]
    assert "state" not in back or len(back["state"]) <= cap
    assert stored_requests() == []


def test_the_largest_pending_request_an_anonymous_caller_can_store_is_under_2_kb(configure):
    # GIVEN an allowlist that lets through redirect URIs up to the cap (the default ones stop at ~110)
    configure(ALLOWED_REDIRECT_URIS=r"https://gpt\.example/cb/[a-z]+")
    uri = "https://gpt.example/cb/" + "a" * (256 - len("https://gpt.example/cb/"))
    # WHEN GET / carries every parameter at its cap, and a PKCE challenge
    response = authorize(
        redirect_uri=uri,
        state="s" * 512,
        scope=" ".join(["openid", "email", "profile"] + ["x" * 40] * 11)[:512],
        code_challenge=CHALLENGE,
        code_challenge_method="S256",
    )
    assert response["statusCode"] == 302, response["body"]
    # THEN the stored document is under 2 kB
    (record,) = stored_requests()
    assert len(bson.encode(record)) < 2048


# --- 6: PKCE from the GPT ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, "S256"),
        ({"code_challenge": CHALLENGE}, "S256"),  # no method means plain (RFC 7636 4.3)
        ({"code_challenge_method": "S256"}, "without code_challenge"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "43"),
        ({"code_challenge": CHALLENGE + "=", "code_challenge_method": "S256"}, "43"),
    ],
)
def test_a_pkce_request_we_cannot_honour_goes_back_as_invalid_request(changes, words):
    back = error_back(authorize(**changes))
    assert back["error"] == "invalid_request" and words in back["error_description"]
    assert stored_requests() == []


def test_a_code_with_a_challenge_needs_its_verifier(fake_idp):
    code, _ = sign_in(fake_idp, code_challenge=CHALLENGE, code_challenge_method="S256")
    status, body = exchange(code)
    assert (status, body["error"]) == (400, "invalid_grant") and "code_verifier" in body["error_description"]


def test_a_code_with_a_challenge_refuses_a_wrong_verifier(fake_idp):
    code, _ = sign_in(fake_idp, code_challenge=CHALLENGE, code_challenge_method="S256")
    status, body = exchange(code, code_verifier=VERIFIER[:-1] + "X")
    assert (status, body["error"]) == (400, "invalid_grant")


def test_a_code_with_a_challenge_gives_tokens_for_the_right_verifier(fake_idp):
    assert pkce.s256_challenge(VERIFIER) == CHALLENGE
    code, _ = sign_in(fake_idp, code_challenge=CHALLENGE, code_challenge_method="S256")
    status, body = exchange(code, code_verifier=VERIFIER)
    assert status == 200, body


def test_a_verifier_for_a_code_without_challenge_is_refused(fake_idp):
    # RFC 9700 2.1.1: a code_verifier is accepted only where the request had a code_challenge.
    code, _ = sign_in(fake_idp)
    status, body = exchange(code, code_verifier=VERIFIER)
    assert (status, body["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize("verifier", ["short", "x" * 129, VERIFIER[:-1] + "+"])
def test_a_malformed_verifier_is_invalid_request_and_leaves_the_code_unspent(fake_idp, verifier):
    code, _ = sign_in(fake_idp, code_challenge=CHALLENGE, code_challenge_method="S256")
    status, body = exchange(code, code_verifier=verifier)
    assert (status, body["error"]) == (400, "invalid_request") and "43" in body["error_description"]
    assert exchange(code, code_verifier=VERIFIER)[0] == 200


# --- 7: the scope bound to a code ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        ("", "openid email profile"),  # the GPT editor's Scope left empty: all we ask Google for
        ("openid email profile", "openid email profile"),
        ("email openid", "openid email"),
        ("profile tasks.read admin", "profile"),  # unknown members are dropped
    ],
)
def test_the_code_carries_the_requested_scope_within_what_google_was_asked_for(fake_idp, requested, granted):
    code, sent = sign_in(fake_idp, scope=requested)
    assert sent["scope"] == "openid email profile"
    status, body = exchange(code)
    assert status == 200, body
    assert body["scope"] == granted


def test_a_scope_with_nothing_in_common_goes_back_as_invalid_scope():
    back = error_back(authorize(scope="admin delete:everything"))
    assert back["error"] == "invalid_scope"
    assert "openid email profile" in back["error_description"]
    assert back["state"] == "gpt-state-8f2c"
    assert stored_requests() == []


def test_google_scopes_is_what_google_is_asked_for(configure, fake_idp):
    configure(GOOGLE_SCOPES="openid email")
    code, sent = sign_in(fake_idp, scope="openid email profile")
    assert sent["scope"] == "openid email"
    assert exchange(code)[1]["scope"] == "openid email"


@pytest.mark.parametrize("value", ["email profile", "openid e\\mail", 'openid "x"'])
def test_google_scopes_without_openid_or_with_bad_characters_is_a_config_error(value):
    with pytest.raises(ConfigError, match="GOOGLE_SCOPES"):
        load_settings({**BASE, "GOOGLE_SCOPES": value})


def test_google_scopes_defaults_and_duplicates():
    assert load_settings(BASE).google_scopes == ("openid", "email", "profile")
    assert load_settings({**BASE, "GOOGLE_SCOPES": " openid  email openid\n"}).google_scopes == (
        "openid",
        "email",
    )
