"""A refresh Google refuses while a new sign-in replaced the grant: the new grant serves.

Google's token endpoint is stubbed (``responses``); the replacement happens inside the stub, as
another container's callback storing a new grant while our refresh is at Google.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import responses

from gpt_auth.google import google_tokens
from gpt_auth.google.provider import TokenResponse
from gpt_auth.oauth import sessions
from tests.support.grants import due_grant, session_of

TOKEN_URL = "https://oauth2.googleapis.com/token"
USER = "user-1"


def test_a_replacement_that_is_due_itself_is_refreshed_and_nobody_is_signed_out(http_mock):
    # GIVEN a due grant, and a session of its user
    due_grant(USER)
    session = session_of(USER)
    refreshed_with: list[str] = []

    def google(request):
        refresh_token = dict(parse_qsl(request.body))["refresh_token"]
        refreshed_with.append(refresh_token)
        if refresh_token == "1//r":
            # meanwhile the user signed in again: a new refresh token, an access token about to expire
            google_tokens.save_from_callback(
                USER,
                TokenResponse(
                    id_token="x",
                    access_token="ya29.short",
                    refresh_token="1//new",
                    expires_in=60,
                    scope="openid",
                ),
                requested_scopes=("openid",),
            )
            return 400, {}, json.dumps({"error": "invalid_grant"})
        return 200, {}, json.dumps({"access_token": "ya29.from-new", "expires_in": 3599, "scope": "openid"})

    http_mock.add_callback(responses.POST, TOKEN_URL, callback=google)
    # WHEN an action asks for a token
    token = google_tokens.access_token_for(USER)
    # THEN the new grant's refresh token got one, and the user stays signed in with the new grant
    assert refreshed_with == ["1//r", "1//new"]
    assert token == "ya29.from-new"
    assert sessions.session_for_access_token(session) is not None
    grant = google_tokens.load(USER)
    assert grant is not None and grant.refresh_token == "1//new" and grant.access_token == "ya29.from-new"
