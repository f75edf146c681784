"""Google grants as the callback stores them, in the states the grant tests start from."""

from __future__ import annotations

from datetime import timedelta

from gpt_auth import db, google_grants
from gpt_auth.provider import TokenResponse


def due_grant(user_id: str) -> None:
    """Store a grant for ``user_id`` whose access token expired a few minutes ago (a refresh is due).

    Its refresh token is ``1//r`` and its access token ``ya29.old``; it grants ``openid`` only.
    """
    google_grants.save_from_callback(
        user_id,
        TokenResponse(
            id_token="x", access_token="ya29.old", refresh_token="1//r", expires_in=60, scope="openid"
        ),
        requested_scopes=("openid",),
        now=db.now() - timedelta(minutes=5),
    )
