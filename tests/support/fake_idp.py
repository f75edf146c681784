"""An OpenID provider stubbed at the HTTP edge with ``responses``, for the cases the stand-in cannot play.

It serves discovery, a JWK set and a token endpoint whose ID token the test shapes (audience,
nonce, issuer, signing key...), signed with RSA keys the test holds.
"""

from __future__ import annotations

import json
import time
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import jwt
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from localdev.samples import SAMPLE_SETTINGS

ISSUER = "https://idp.test"
GOOGLE_CLIENT_ID = SAMPLE_SETTINGS["GOOGLE_CLIENT_ID"]


@cache
def private_key(kid: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(kid: str) -> dict[str, Any]:
    return {**RSAAlgorithm.to_jwk(private_key(kid).public_key(), as_dict=True), "kid": kid, "use": "sig"}


class FakeIdp:
    """``with responses.RequestsMock() as mock: idp = FakeIdp(mock)``; set ``nonce`` before the callback."""

    def __init__(
        self, mock: responses.RequestsMock, *, issuer: str = ISSUER, token_endpoint: str | None = None
    ):
        self.issuer = issuer
        self.published = ["key-1"]  # kids in the JWK set
        self.signing_kid = "key-1"
        self.nonce: str | None = None
        self.claims: dict[str, Any] = {}  # overrides; None removes a claim
        self.keys_cache_control = "public, max-age=3600"
        self.token_forms: list[dict[str, str]] = []
        self.revoke_forms: list[dict[str, str]] = []
        # (status, JSON body) the token endpoint answers instead, e.g. (400, {"error": "invalid_grant"})
        self.token_failure: tuple[int, dict[str, Any]] | None = None
        # What the token endpoint adds to the ID token (None removes a field), as Google answers
        # a first consent with access_type=offline.
        self.token_answer: dict[str, Any] = {
            "access_token": "provider-access-token",
            "refresh_token": "provider-refresh-token",
            "expires_in": 3599,
            "scope": "openid https://www.googleapis.com/auth/userinfo.email "
            "https://www.googleapis.com/auth/userinfo.profile",
        }
        self.issued_id_tokens: list[str] = []
        self.jwks_fetches = 0
        self.discovery = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": token_endpoint or f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "revocation_endpoint": f"{issuer}/revoke",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }
        mock.add_callback(
            "GET",
            f"{issuer}/.well-known/openid-configuration",
            callback=lambda _: (200, {}, json.dumps(self.discovery)),
        )
        mock.add_callback("GET", f"{issuer}/jwks", callback=self._jwks)
        mock.add_callback("POST", f"{issuer}/token", callback=self._token)
        mock.add_callback("POST", f"{issuer}/revoke", callback=self._revoke)

    def id_token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": GOOGLE_CLIENT_ID,
            "sub": "user-1",
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "iat": now,
            "exp": now + 3600,
            "nonce": self.nonce,
            **self.claims,
        }
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(
            claims, private_key(self.signing_kid), algorithm="RS256", headers={"kid": self.signing_kid}
        )

    def _jwks(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.jwks_fetches += 1
        keys = [public_jwk(kid) for kid in self.published]
        return 200, {"Cache-Control": self.keys_cache_control}, json.dumps({"keys": keys})

    def _token(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.token_forms.append(dict(parse_qsl(request.body)))
        if self.token_failure is not None:
            status, body = self.token_failure
            return status, {}, json.dumps(body)
        self.issued_id_tokens.append(self.id_token())
        answer = {"token_type": "Bearer", "id_token": self.issued_id_tokens[-1], **self.token_answer}
        return 200, {}, json.dumps({name: value for name, value in answer.items() if value is not None})

    def _revoke(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.revoke_forms.append(dict(parse_qsl(request.body)))
        return 200, {}, ""
