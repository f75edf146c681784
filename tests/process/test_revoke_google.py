"""`make revoke USER=...` also revokes the user's Google grant at Google, with Google's endpoint stubbed."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl

import pytest
import requests
import responses

from gpt_auth.google import google_tokens
from gpt_auth.google.provider import TokenResponse
from gpt_auth.oauth import sessions, users
from gpt_auth.runtime import db, settings
from localdev import revoke

REVOKE_URL = "https://oauth2.googleapis.com/revoke"
ADA = "https://accounts.google.com#sub-ada"

pytestmark = pytest.mark.nx


@pytest.fixture
def ada(nx_store) -> sessions.IssuedTokens:
    """Ada signed in on a store on nx-27017 (the command refuses the embedded store), with a grant."""
    claims = {"sub": "sub-ada", "email": "ada@example.com", "email_verified": True, "name": "Ada"}
    assert users.upsert_user(issuer="https://accounts.google.com", claims=claims) == ADA
    google_tokens.save_from_callback(
        ADA,
        TokenResponse(
            id_token="x", access_token="ya29.ada", refresh_token="1//ada", expires_in=3599, scope="openid"
        ),
        requested_scopes=("openid",),
    )
    return sessions.create_session(
        user_id=ADA,
        client_id="gpt-client",
        scope="",
        lifetimes=sessions.Lifetimes.from_settings(settings.get_settings()),
    )


def grant_stored() -> bool:
    return db.collection(google_tokens.COLLECTION).find_one({"_id": ADA}) is not None


def test_revoking_a_user_revokes_their_grant_at_google_and_deletes_it(ada, http_mock, capsys):
    http_mock.add(responses.POST, REVOKE_URL, status=200)
    assert revoke.main(["--user", "ada@example.com"]) == 0
    out = capsys.readouterr().out
    assert "Revoked 1 session(s)" in out and f"Revoked the Google grant of {ADA} at Google" in out
    assert [dict(parse_qsl(call.request.body)) for call in http_mock.calls] == [{"token": "1//ada"}]
    assert not grant_stored()
    assert sessions.session_for_access_token(ada.access_token) is None
    # run again: nothing left at Google to revoke, and it says so
    assert revoke.main(["--user", "ada@example.com"]) == 0
    assert f"No Google grant stored for {ADA}" in capsys.readouterr().out
    assert len(http_mock.calls) == 1


def test_google_unreachable_signs_out_keeps_the_grant_and_exits_4_until_retried(ada, http_mock, capsys):
    # GIVEN Google's revocation endpoint down
    http_mock.add(responses.POST, REVOKE_URL, body=requests.exceptions.ConnectionError("down"))
    # WHEN the operator revokes Ada
    assert revoke.main(["--user", "ada@example.com"]) == 4
    # THEN our sessions are revoked all the same, the grant is kept, and the message says to retry
    err = capsys.readouterr().err
    assert "Revoked 1 session(s)" in err and "could not be reached" in err and "Run make revoke again" in err
    assert sessions.session_for_access_token(ada.access_token) is None
    assert grant_stored()
    # AND the retry, with Google back, finishes the job
    http_mock.replace(responses.POST, REVOKE_URL, status=200)
    assert revoke.main(["--user", "sub-ada"]) == 0
    assert not grant_stored()


def test_revoking_a_client_leaves_google_grants_alone(ada, http_mock):
    assert revoke.main(["--client", "gpt-client"]) == 0
    assert len(http_mock.calls) == 0 and grant_stored()


def past_its_expiry(monkeypatch) -> None:
    """Our clock a day past the grant's expires_at (the store's TTL monitor keeps its own clock)."""
    later = db.now() + timedelta(seconds=settings.get_settings().refresh_token_ttl + 86400)
    monkeypatch.setattr(db, "now", lambda: later)


def test_an_expired_grant_is_revoked_at_google_before_it_is_deleted(ada, http_mock, capsys, monkeypatch):
    # GIVEN Ada's grant past its expires_at (unused here for REFRESH_TOKEN_TTL; the TTL index has
    # not deleted it yet), whose refresh token may still work at Google
    past_its_expiry(monkeypatch)
    assert google_tokens.load(ADA) is None  # the store no longer uses it
    http_mock.add(responses.POST, REVOKE_URL, status=200)
    # WHEN the operator revokes Ada
    assert revoke.main(["--user", "ada@example.com"]) == 0
    # THEN its refresh token was revoked at Google, then the grant deleted
    assert f"Revoked the Google grant of {ADA} at Google" in capsys.readouterr().out
    assert [dict(parse_qsl(call.request.body)) for call in http_mock.calls] == [{"token": "1//ada"}]
    assert not grant_stored()


def test_an_expired_grant_google_cannot_take_now_is_kept_for_the_retry(ada, http_mock, capsys, monkeypatch):
    past_its_expiry(monkeypatch)
    http_mock.add(responses.POST, REVOKE_URL, body=requests.exceptions.ConnectionError("down"))
    assert revoke.main(["--user", "ada@example.com"]) == 4
    assert "Run make revoke again" in capsys.readouterr().err and grant_stored()
    http_mock.replace(responses.POST, REVOKE_URL, status=200)
    assert revoke.main(["--user", "ada@example.com"]) == 0
    assert len(http_mock.calls) == 2 and not grant_stored()
