"""Client authentication at the token endpoint: ``client_secret_basic``, ``client_secret_post`` or ``none``.

RFC 6749 section 2.3.1: the GPT sends its id and secret either in an HTTP Basic header (each
form-urlencoded, then joined by ``:`` and base64-encoded) or as ``client_id`` and
``client_secret`` body parameters, never both. Many HTTP clients skip the form-urlencoding step,
so a Basic credential is also accepted exactly as sent; either reading needs the real secret.

An MCP client is public (``gpt_auth.oauth.clients``): it sends its ``client_id`` in the body and
no secret (``none``). Its PKCE verifier proves a code's exchange, and its refresh tokens are bound
to its ``client_id``. The GPT's client never authenticates with ``none``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from gpt_auth.runtime.errors import BadRequest, InvalidClient
from gpt_auth.runtime.settings import Settings

CLIENT_SECRET_BASIC = "client_secret_basic"
CLIENT_SECRET_POST = "client_secret_post"
NONE = "none"


@dataclass(frozen=True)
class AuthenticatedClient:
    client_id: str
    method: str

    @property
    def is_mcp(self) -> bool:
        """A public MCP client (only they authenticate with ``none``)."""
        return self.method == NONE


def authenticate_client(
    authorization: str | None, params: Mapping[str, str], settings: Settings
) -> AuthenticatedClient:
    """Check the GPT's credentials against ``GPT_CLIENT_ID`` and ``GPT_CLIENT_SECRET``, or that a
    ``client_id`` sent alone names a live MCP client.

    Parameters
    ----------
    authorization
        The request's ``Authorization`` header, if any.
    params
        The token request's parameters (``client_id``, ``client_secret`` for client_secret_post).
    settings
        Holds the one registered client.

    Raises
    ------
    InvalidClient
        No, unsupported or wrong credentials (401; with ``WWW-Authenticate: Basic`` when the
        client sent an ``Authorization`` header).
    BadRequest
        Both methods at once, or a body ``client_id`` that contradicts the Basic header.
    """
    if authorization and authorization.strip():
        if "client_secret" in params:
            raise BadRequest(
                "Authenticate the client with one method only: the Authorization header "
                "or client_secret in the body, not both."
            )
        client_id, secret_ok = _check_basic(authorization, settings)
        if "client_id" in params and params["client_id"] != client_id:
            raise BadRequest("The client_id parameter does not match the client in the Authorization header.")
        if not secret_ok:
            raise InvalidClient("The client id or secret in the Authorization header is wrong.", basic=True)
        return AuthenticatedClient(client_id, CLIENT_SECRET_BASIC)
    if "client_secret" in params:
        if "client_id" not in params:
            raise BadRequest("The client_id parameter is missing; send it with client_secret.")
        if not _credentials_match(params["client_id"], params["client_secret"], settings):
            raise InvalidClient("The client_id or client_secret is wrong.")
        return AuthenticatedClient(params["client_id"], CLIENT_SECRET_POST)
    if "client_id" in params and params["client_id"] != settings.gpt_client_id:
        return _public_client(params["client_id"], settings)
    raise InvalidClient(
        "Client authentication is missing: send HTTP Basic credentials, "
        "or client_id and client_secret in the body."
    )


def _public_client(client_id: str, settings: Settings) -> AuthenticatedClient:
    from gpt_auth.oauth import clients  # only an MCP client's request needs the registry

    client = clients.find(client_id, settings)
    if client is None or not client.is_mcp:
        raise InvalidClient(
            "The client_id is unknown, or its registration expired; register the client again."
        )
    return AuthenticatedClient(client.client_id, NONE)


def _check_basic(authorization: str, settings: Settings) -> tuple[str, bool]:
    """The client id of a Basic header, and whether its credentials are right."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient(
            "Only HTTP Basic client authentication is supported in the Authorization header.", basic=True
        )
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise InvalidClient("The Basic credentials are not valid base64 of UTF-8 text.", basic=True) from None
    raw_id, colon, raw_secret = decoded.partition(":")
    if not colon or not raw_id:
        raise InvalidClient("The Basic credentials must be 'client_id:client_secret'.", basic=True)
    try:
        client_id, secret = unquote_plus(raw_id, errors="strict"), unquote_plus(raw_secret, errors="strict")
    except UnicodeDecodeError:
        raise InvalidClient(
            "The Basic credentials have percent-encoded bytes that are not UTF-8.", basic=True
        ) from None
    # Both readings are always compared, so timing does not tell which one matched.
    encoded_ok = _credentials_match(client_id, secret, settings)
    as_sent_ok = _credentials_match(raw_id, raw_secret, settings)
    if as_sent_ok and not encoded_ok:
        client_id = raw_id
    return client_id, encoded_ok | as_sent_ok


def _credentials_match(client_id: str, secret: str, settings: Settings) -> bool:
    # Both compared, always, as SHA-256 digests in constant time: compare_digest of the raw
    # values returns early on a length mismatch, so timing would tell the secret's length.
    id_ok = hmac.compare_digest(_digest(client_id), _digest(settings.gpt_client_id))
    secret_ok = hmac.compare_digest(_digest(secret), _digest(settings.gpt_client_secret))
    return id_ok & secret_ok


def _digest(text: str) -> bytes:
    # A JSON body may carry lone surrogates ("\ud800"); they must fail the compare, not raise.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
