"""Google's grant against a real OpenID provider (the local stand-in), set up as ``make dev`` sets it.

The client is registered at the stand-in for the Calendar scope, as ``make dev`` does; the
person's browser is played with ``requests``. The stand-in issues a refresh token on each consent,
serves the refresh grant, and ``POST /users/<sub>/revoke-tokens`` plays the person removing our
access in their Google account.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from functions.google_authorization import app
from gpt_auth.google import google_tokens, provider
from gpt_auth.oauth import sessions, users
from gpt_auth.runtime import db
from gpt_auth.runtime.errors import InsufficientScope, InvalidToken
from localdev.dev import LocalUrls, local_settings
from localdev.stand_in import StandIn
from tests.support.events import load_event
from tests.support.grants import session_of
from tests.support.make_dev import calendar_settings

CALENDAR = "https://www.googleapis.com/auth/calendar.readonly"
BASE = "http://127.0.0.1:3999"  # our callback's address; the test delivers the redirect itself


@pytest.fixture
def as_make_dev(stand_in: StandIn, configure) -> StandIn:
    configure(**calendar_settings(stand_in, LocalUrls(BASE)))
    return stand_in


def sign_in(lambda_context, sub: str) -> str:
    """A whole sign-in as ``sub`` through the stand-in; returns our user id for them."""
    start = load_event("google_authorization_authorize")
    # the browser of the sample callback events: it presents their sign-in cookie
    start["cookies"] = load_event("google_authorization_callback_unknown_state")["cookies"]
    answer = app.lambda_handler(start, lambda_context)
    assert answer["statusCode"] == 302, answer["body"]
    provider_url = answer["headers"]["Location"]
    assert requests.get(provider_url, timeout=5).status_code == 200
    consented = requests.post(provider_url, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert consented.status_code == 302, consented.text
    back = load_event("google_authorization_callback_unknown_state")
    back["rawQueryString"] = urlsplit(consented.headers["Location"]).query
    done = app.lambda_handler(back, lambda_context)
    assert done["statusCode"] == 302, done["body"]
    assert "code" in parse_qs(urlsplit(done["headers"]["Location"]).query)
    user = db.collection(users.COLLECTION).find_one({"sub": sub})
    assert user is not None
    return str(user["_id"])


def test_the_grant_refreshes_at_the_stand_in_and_ends_when_the_person_removes_access(
    as_make_dev, lambda_context
):
    # GIVEN a sign-in through the stand-in with the Calendar scope, and a session of that user
    user_id = sign_in(lambda_context, "grace@example.com")
    grant = google_tokens.load(user_id)
    assert grant is not None and grant.refresh_token and CALENDAR in grant.scopes
    session = session_of(user_id)
    first = google_tokens.access_token_for(user_id, scope=CALENDAR)
    # WHEN the stand-in's userinfo is asked with it, it answers; a forced refresh gives a new working one
    userinfo = f"{as_make_dev.issuer}/userinfo"
    assert requests.get(userinfo, headers={"Authorization": f"Bearer {first}"}, timeout=5).status_code == 200
    second = google_tokens.force_refresh(user_id, scope=CALENDAR)
    assert second != first
    assert requests.get(userinfo, headers={"Authorization": f"Bearer {second}"}, timeout=5).status_code == 200
    # WHEN the person removes our access at "Google"
    removed = requests.post(f"{as_make_dev.issuer}/users/grace@example.com/revoke-tokens", timeout=5)
    assert removed.status_code == 204
    # (the stand-in refuses a dropped token with 400 where Google's APIs answer 401)
    assert requests.get(userinfo, headers={"Authorization": f"Bearer {second}"}, timeout=5).status_code in (
        400,
        401,
    )
    # THEN the action's report of that 401 forces a refresh, which shows invalid_grant at once:
    # a 401 asking to sign in again, the user's sessions revoked and the grant gone
    with pytest.raises(InvalidToken, match="Sign in again"):
        google_tokens.after_unauthorized(user_id, second, scope=CALENDAR)
    assert sessions.session_for_access_token(session) is None
    assert google_tokens.load(user_id) is None


def test_a_client_not_allowed_the_calendar_gets_a_403_naming_it(stand_in, lambda_context, configure):
    # GIVEN the calendar scope asked of a stand-in client that may not have it (the person "unticked" it)
    configure(**local_settings(os.environ, LocalUrls(BASE), stand_in.issuer))
    user_id = sign_in(lambda_context, "hopper@example.com")
    # THEN the grant records what was granted, and an action needing the calendar is refused
    with pytest.raises(InsufficientScope) as caught:
        google_tokens.access_token_for(user_id, scope=CALENDAR)
    assert caught.value.missing == (CALENDAR,)


def test_make_dev_asks_for_the_calendar_and_seals_with_a_local_key():
    from gpt_auth.runtime.settings import load_settings

    urls = LocalUrls(BASE)
    local = load_settings(local_settings({}, urls, "http://127.0.0.1:9999", ("cid", "csecret")))
    assert local.google_scopes == ("openid", "email", "profile", CALENDAR)
    assert local.key_ring().current_id == "local"
    assert (local.google_client_id, local.google_client_secret) == ("cid", "csecret")
    own = {"GOOGLE_SCOPES": "openid email", "TOKEN_ENCRYPTION_KEYS": "mine:" + "A" * 43}
    mine = load_settings(local_settings(own, urls, "http://127.0.0.1:9999"))
    assert mine.google_scopes == ("openid", "email") and mine.key_ring().current_id == "mine"


def test_disconnect_drops_the_grant_here_and_the_tokens_at_the_stand_in(as_make_dev, lambda_context):
    from localdev import revoke

    # GIVEN a grant from the stand-in, whose discovery document names no revocation endpoint
    user_id = sign_in(lambda_context, "lovelace@example.com")
    token = google_tokens.access_token_for(user_id)
    assert provider.current().revocation_endpoint is None
    # WHEN make revoke disconnects the user
    status, message = revoke.disconnect_google([user_id])
    # THEN the grant is deleted here, and the stand-in no longer honours its tokens
    assert status == 0 and "announces no revocation endpoint" in message
    assert google_tokens.load(user_id) is None
    userinfo = requests.get(
        f"{as_make_dev.issuer}/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert userinfo.status_code in (400, 401)
