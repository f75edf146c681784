"""OpenID Connect ID tokens: the signature through google-auth, then the claims it leaves to us.

``google.oauth2.id_token.verify_token`` checks a JWK-set signature (through PyJWT), the audience
and the expiry, but on that path not the issuer: issuer, nonce, ``azp``, a present expiry and
a subject are checked here. It fetches keys through a transport per call; we hand it the keys the
provider module already caches, so no token costs a key download.

Imported only when a callback verifies a token (google-auth is heavy).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from google.auth import exceptions as google_exceptions
from google.auth import transport
from google.oauth2 import id_token as google_id_token


class InvalidIdToken(Exception):
    """The ID token is refused. ``reason`` is a fixed phrase that never quotes the token."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# Most specific first: InvalidSignatureError is a DecodeError, all of them PyJWTError.
_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "it has expired"),
    (jwt.ImmatureSignatureError, "it is not valid yet"),
    (jwt.InvalidAudienceError, "it was issued to another client (audience)"),
    (jwt.MissingRequiredClaimError, "it lacks a required claim"),
    (jwt.InvalidSignatureError, "its signature does not verify"),
    (jwt.PyJWKClientError, "it is signed with a key the provider does not publish"),
    (jwt.PyJWKSetError, "the provider publishes no usable signing key"),
)


class _Served(transport.Response):
    def __init__(self, body: bytes):
        self._body = body

    @property
    def status(self) -> int:
        return 200

    @property
    def headers(self) -> Mapping[str, str]:
        return {}

    @property
    def data(self) -> bytes:
        return self._body


class _CachedKeys(transport.Request):
    """A google-auth transport that answers the key download with keys we already hold."""

    def __init__(self, body: bytes):
        self._body = body

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> transport.Response:
        return _Served(self._body)


def unverified_key_id(token: str) -> str | None:
    """The ``kid`` in the token's header, to pick (or refresh) the signing keys."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidIdToken("it is not a well-formed JWT") from None
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def verify(
    token: str, *, keys: bytes, keys_url: str, audience: str, issuers: Sequence[str], nonce: str
) -> dict[str, Any]:
    """Verify ``token`` against the JWK set ``keys``; returns its claims.

    Parameters
    ----------
    token
        The ID token from the provider's token response.
    keys, keys_url
        The provider's JWK set (raw JSON) and the URL it came from.
    audience
        Our client id at the provider.
    issuers
        The ``iss`` values accepted.
    nonce
        The nonce sent in this sign-in's authorization request.

    Raises
    ------
    InvalidIdToken
        With the reason; the token itself is never part of it.
    """
    try:
        claims = dict(
            google_id_token.verify_token(token, _CachedKeys(keys), audience=audience, certs_url=keys_url)
        )
    except (jwt.PyJWTError, ValueError, google_exceptions.GoogleAuthError) as exc:
        reason = next(
            (text for kind, text in _REASONS if isinstance(exc, kind)), "it is malformed or invalid"
        )
        raise InvalidIdToken(reason) from None
    if claims.get("iss") not in issuers:
        raise InvalidIdToken("it was issued by another issuer")
    if not isinstance(claims.get("exp"), int | float):
        raise InvalidIdToken("it has no expiry")
    received = claims.get("nonce")
    if not isinstance(received, str) or not hmac.compare_digest(received.encode(), nonce.encode()):
        raise InvalidIdToken("its nonce does not match this sign-in")
    if "azp" in claims and claims["azp"] != audience:
        raise InvalidIdToken("it was issued to another client (azp)")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidIdToken("it has no subject")
    return claims
