"""A provider that fails or lies at the callback: each fault, and the reason its 502 page must give."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import responses

from tests.support.fake_idp import GOOGLE_CLIENT_ID, ISSUER, FakeIdp


def unsigned(claims: dict[str, Any]) -> str:
    """A JWT with ``alg: none`` and no signature."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def valid_claims(idp: FakeIdp) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": GOOGLE_CLIENT_ID,
        "sub": "u",
        "nonce": idp.nonce,
        "iat": now,
        "exp": now + 600,
    }


def token_answer(http_mock: responses.RequestsMock, **kwargs: Any) -> None:
    http_mock.replace(responses.POST, f"{ISSUER}/token", **kwargs)


def id_token(idp: FakeIdp, make: Callable[[FakeIdp], str]) -> None:
    idp.id_token = lambda: make(idp)  # type: ignore[method-assign]


PROVIDER_FAULTS: dict[str, tuple[Callable[[FakeIdp, responses.RequestsMock], None], str]] = {
    "token endpoint 500": (
        lambda idp, mock: token_answer(mock, status=500, body="oops"),
        "answered HTTP 500",
    ),
    "token endpoint 503 page": (
        lambda idp, mock: token_answer(mock, status=503, body="<html>busy</html>"),
        "answered HTTP 503",
    ),
    "code refused": (
        lambda idp, mock: token_answer(mock, status=400, json={"error": "invalid_grant"}),
        "refused the sign-in code",
    ),
    "token answer not JSON": (
        lambda idp, mock: token_answer(mock, body="<html>"),
        "other than a JSON object",
    ),
    "token answer without ID token": (
        lambda idp, mock: token_answer(mock, json={"access_token": "x"}),
        "without an ID token",
    ),
    "ID token not a JWT": (lambda idp, mock: id_token(idp, lambda i: "not-a-jwt"), "not a well-formed JWT"),
    "ID token unsigned (alg none)": (
        lambda idp, mock: id_token(idp, lambda i: unsigned(valid_claims(i))),
        "ID token was refused",
    ),
    "ID token signed with our client secret (HS256)": (
        lambda idp, mock: id_token(
            idp,
            lambda i: jwt.encode(
                valid_claims(i), "google-secret-value-0123456789", algorithm="HS256", headers={"kid": "key-1"}
            ),
        ),
        "ID token was refused",
    ),
    "ID token signed with an unpublished key": (
        lambda idp, mock: setattr(idp, "signing_kid", "key-2"),
        "a key the provider does not publish",
    ),
    "ID token expired": (
        lambda idp, mock: idp.claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
        "it has expired",
    ),
    "ID token from another issuer": (
        lambda idp, mock: idp.claims.update(iss="https://evil.example"),
        "issued by another issuer",
    ),
    "ID token for another client": (
        lambda idp, mock: idp.claims.update(aud="someone-else"),
        "another client (audience)",
    ),
    "ID token of another sign-in": (
        lambda idp, mock: idp.claims.update(nonce="another-nonce"),
        "nonce does not match",
    ),
    "signing keys 500": (
        lambda idp, mock: mock.replace(responses.GET, f"{ISSUER}/jwks", status=500),
        "answered HTTP 500 while fetching its signing keys",
    ),
    "signing keys not a JWK set": (
        lambda idp, mock: mock.replace(responses.GET, f"{ISSUER}/jwks", json={"keys": "none"}),
        "signing keys are not a JWK set",
    ),
}
