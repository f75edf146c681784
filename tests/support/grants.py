"""Google grants in the states the grant tests start from, and a session of their user."""

from __future__ import annotations

from datetime import timedelta

from gpt_auth.google import google_tokens
from gpt_auth.google.provider import TokenResponse
from gpt_auth.oauth import sessions
from gpt_auth.runtime import db, settings


def due_grant(user_id: str) -> None:
    """Store a grant for ``user_id`` whose access token expired a few minutes ago (a refresh is due).

    Its refresh token is ``1//r`` and its access token ``ya29.old``; it grants ``openid`` only.
    """
    google_tokens.save_from_callback(
        user_id,
        TokenResponse(
            id_token="x", access_token="ya29.old", refresh_token="1//r", expires_in=60, scope="openid"
        ),
        requested_scopes=("openid",),
        now=db.now() - timedelta(minutes=5),
    )


def session_of(user_id: str) -> str:
    """A new session of the GPT client for ``user_id`` (empty scope, lifetimes in force): its access token."""
    issued = sessions.create_session(
        user_id=user_id,
        client_id="gpt-client",
        scope="",
        lifetimes=sessions.Lifetimes.from_settings(settings.get_settings()),
    )
    return issued.access_token
