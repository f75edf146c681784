"""The provider client against a provider stubbed at the HTTP edge: discovery, code exchange, ID tokens."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import responses

from gpt_auth.google import provider
from gpt_auth.runtime.errors import UpstreamError
from tests.support.fake_idp import GOOGLE_CLIENT_ID, ISSUER


@pytest.fixture
def idp(fake_idp):
    fake_idp.nonce = "nonce-1"
    return fake_idp


def verify(token, nonce="nonce-1"):
    return provider.current().verify_id_token(token, client_id=GOOGLE_CLIENT_ID, nonce=nonce)


def test_google_needs_no_discovery_fetch(http_mock):
    # GIVEN no OIDC_ISSUER, and no HTTP call allowed
    # WHEN the provider is looked up and an authorization URL built
    idp = provider.current()
    url = idp.authorization_url(
        client_id="cid",
        callback_uri="https://fn/callback",
        state="s",
        nonce="n",
        code_challenge="c",
        scope="openid email profile",
    )
    # THEN it is Google's, built without a request
    assert len(http_mock.calls) == 0
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://accounts.google.com/o/oauth2/v2/auth"
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": "https://fn/callback",
        "scope": "openid email profile",
        "state": "s",
        "nonce": "n",
        "code_challenge": "c",
        "code_challenge_method": "S256",
        "access_type": "offline",
        "include_granted_scopes": "true",
    }
    assert idp.accepted_issuers == ("https://accounts.google.com", "accounts.google.com")


def test_discovery_is_fetched_once_per_container(idp, http_mock):
    first, second = provider.current(), provider.current()
    assert first is second
    assert first.token_endpoint == f"{ISSUER}/token"
    assert [call.request.url for call in http_mock.calls] == [f"{ISSUER}/.well-known/openid-configuration"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"issuer": "https://other.test"}, "names another issuer"),
        ({"jwks_uri": None}, "no usable jwks_uri"),
        ({"token_endpoint": "ftp://idp.test/token"}, "no usable token_endpoint"),
        ({"authorization_endpoint": "http://idp.test/authorize"}, "no usable authorization_endpoint"),
    ],
)
def test_a_bad_discovery_document_is_a_clear_upstream_error(idp, change, message):
    idp.discovery.update(change)
    with pytest.raises(UpstreamError, match=message):
        provider.current()


def test_a_failing_discovery_is_not_cached(idp, http_mock):
    http_mock.replace(responses.GET, f"{ISSUER}/.well-known/openid-configuration", status=503)
    with pytest.raises(UpstreamError, match="answered HTTP 503 while reading its OpenID configuration"):
        provider.current()
    http_mock.replace(responses.GET, f"{ISSUER}/.well-known/openid-configuration", json=idp.discovery)
    assert provider.current().issuer == ISSUER


def test_code_exchange_posts_the_verifier_and_client_secret(idp, app_settings):
    token = provider.current().exchange_code(
        code="c-1",
        callback_uri="https://fn/callback",
        code_verifier="v-1",
        client_id="cid",
        client_secret="sec",
    )
    assert token.id_token is not None and token.id_token.count(".") == 2
    assert (token.access_token, token.refresh_token) == ("provider-access-token", "provider-refresh-token")
    assert idp.token_forms == [
        {
            "grant_type": "authorization_code",
            "code": "c-1",
            "redirect_uri": "https://fn/callback",
            "code_verifier": "v-1",
            "client_id": "cid",
            "client_secret": "sec",
        }
    ]


def test_client_secret_basic_when_the_provider_offers_only_that(idp, http_mock):
    # GIVEN a provider whose discovery names no auth method (the default is client_secret_basic)
    del idp.discovery["token_endpoint_auth_methods_supported"]
    provider.current().exchange_code(
        code="c", callback_uri="https://fn/callback", code_verifier="v", client_id="c id", client_secret="s:1"
    )
    # THEN the credentials travel form-encoded in Basic (RFC 6749 2.3.1), not in the body
    request = http_mock.calls[-1].request
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"c+id:s%3A1").decode()
    assert "client_secret" not in idp.token_forms[-1]


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, {"error": "invalid_grant"}, r"refused the sign-in code \(invalid_grant\)"),
        (401, {"error": "invalid_client"}, "Check GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET"),
        (400, "<html>", r"\(HTTP 400\)"),
        (500, {"error": "x"}, "answered HTTP 500"),
        (200, "not json", "other than a JSON object"),
        (200, {"access_token": "only"}, "without an ID token"),
    ],
)
def test_token_endpoint_failures_are_upstream_errors(idp, http_mock, status, body, message):
    payload = json.dumps(body) if isinstance(body, dict) else body
    http_mock.replace(responses.POST, f"{ISSUER}/token", body=payload, status=status)
    with pytest.raises(UpstreamError, match=message):
        provider.current().exchange_code(
            code="c",
            callback_uri="https://fn/callback",
            code_verifier="v",
            client_id="cid",
            client_secret="s",
        )


def test_a_valid_id_token_gives_its_claims(idp):
    claims = verify(idp.id_token())
    assert (claims["sub"], claims["email"], claims["name"]) == ("user-1", "ada@example.com", "Ada Lovelace")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "someone-else"}, r"another client \(audience\)"),
        ({"aud": None}, "lacks a required claim"),
        ({"nonce": "nonce-2"}, "nonce does not match"),
        ({"nonce": None}, "nonce does not match"),
        ({"iss": "https://evil.test"}, "another issuer"),
        ({"exp": 1_000_000}, "has expired"),
        ({"exp": None}, "has no expiry"),
        ({"azp": "someone-else"}, r"another client \(azp\)"),
        ({"sub": ""}, "has no subject"),
    ],
)
def test_id_token_claims_are_checked(idp, claims, reason):
    idp.claims = claims
    with pytest.raises(UpstreamError, match=reason) as caught:
        verify(idp.id_token())
    assert caught.value.status == 502 and caught.value.code == "server_error"


def test_a_token_signed_with_an_unpublished_key_is_refused(idp):
    idp.signing_kid = "attacker-key"
    with pytest.raises(UpstreamError, match="key the provider does not publish"):
        verify(idp.id_token())


def test_a_forged_signature_is_refused(idp):
    # GIVEN a token whose header names the published key but that another key signed
    idp.signing_kid = "key-2"
    _, payload, signature = idp.id_token().split(".")
    forged_header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": "key-1"}).encode()).rstrip(
        b"="
    )
    with pytest.raises(UpstreamError, match="signature does not verify"):
        verify(f"{forged_header.decode()}.{payload}.{signature}")


@pytest.mark.parametrize("token", ["not-a-jwt", "!!.??.##", "a.b.c.d"])
def test_a_malformed_token_is_refused_without_quoting_it(idp, token):
    with pytest.raises(UpstreamError, match=r"well-formed|malformed") as caught:
        verify(token)
    assert token not in caught.value.description.replace("ID token", "")


def test_an_unsigned_token_is_refused(idp):
    claims = {"iss": ISSUER, "aud": GOOGLE_CLIENT_ID, "sub": "u", "exp": 9_999_999_999, "nonce": "nonce-1"}
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "key-1"})
    with pytest.raises(UpstreamError, match="ID token was refused"):
        verify(unsigned)


def test_signing_keys_are_cached_in_the_container(idp):
    verify(idp.id_token())
    verify(idp.id_token())
    assert idp.jwks_fetches == 1


def test_a_rotated_key_is_fetched_when_a_token_names_it(idp):
    # GIVEN keys cached before the provider rotated to key-2
    verify(idp.id_token())
    idp.published = ["key-1", "key-2"]
    idp.signing_kid = "key-2"
    # WHEN a token signed with key-2 arrives
    claims = verify(idp.id_token())
    # THEN the keys were fetched again and the token accepted
    assert claims["sub"] == "user-1"
    assert idp.jwks_fetches == 2


def test_keys_are_fetched_again_after_their_max_age(idp, monkeypatch):
    idp.keys_cache_control = "public, max-age=120"
    verify(idp.id_token())
    clock = provider.time.monotonic() + 121
    monkeypatch.setattr(provider.time, "monotonic", lambda: clock)
    verify(idp.id_token())
    assert idp.jwks_fetches == 2


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("public, max-age=22000, must-revalidate", 22000),
        ("", 3600),
        ("max-age=0", 60),
        ("max-age=9999999", 86400),
    ],
)
def test_keys_max_age_follows_cache_control_within_bounds(header, seconds):
    assert provider._max_age(header) == seconds
