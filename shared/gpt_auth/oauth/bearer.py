"""The resource server's side of a token: who an ``Authorization: Bearer`` header signs in (RFC 6750)."""

from __future__ import annotations

from typing import Any

from gpt_auth.oauth import sessions
from gpt_auth.runtime.errors import InvalidToken, MissingToken
from gpt_auth.runtime.web import Request


def bearer_token(request: Request) -> str:
    """The bearer token; ``MissingToken`` without one, ``InvalidToken`` for an empty one."""
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        raise MissingToken("Send the access token in the header 'Authorization: Bearer TOKEN'.")
    if not token.strip():
        raise InvalidToken("The Authorization header says Bearer but carries no token.")
    return token.strip()


def signed_in_session(request: Request) -> dict[str, Any]:
    """The live session of the request's bearer token; ``InvalidToken`` when there is none."""
    session = sessions.session_for_access_token(bearer_token(request))
    if session is None:
        raise InvalidToken()
    return session
