"""Stored Google grants and the helper actions call, with Google's token and revoke endpoints stubbed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import responses

from gpt_auth.google import google_tokens, provider
from gpt_auth.google.provider import TokenResponse
from gpt_auth.google.token_cipher import new_key_entry
from gpt_auth.oauth import sessions
from gpt_auth.runtime import db, metrics, settings
from gpt_auth.runtime.errors import (
    ConfigError,
    InsufficientScope,
    InvalidToken,
    ServiceUnavailable,
    UpstreamError,
)
from gpt_auth.runtime.routing import Router
from tests.support.grants import session_of
from tests.support.logs import emf_counts

TOKEN_URL = "https://oauth2.googleapis.com/token"
REVOKE_URL = "https://oauth2.googleapis.com/revoke"
CALENDAR = "https://www.googleapis.com/auth/calendar.readonly"
USER = "user-1"


def signed_in_at_google(
    user_id: str = USER,
    *,
    scope: str = f"openid https://www.googleapis.com/auth/userinfo.email {CALENDAR}",
    access: str | None = "ya29.first-access",
    refresh: str | None = "1//first-refresh",
    expires_in: int = 3599,
) -> None:
    """What the callback stores after Google's code exchange."""
    google_tokens.save_from_callback(
        user_id,
        TokenResponse(
            id_token="x.y.z", access_token=access, refresh_token=refresh, expires_in=expires_in, scope=scope
        ),
        requested_scopes=("openid", "email", "profile"),
    )


def live(access_token: str) -> bool:
    return sessions.session_for_access_token(access_token) is not None


def stored(user_id: str = USER) -> dict[str, Any]:
    found = db.collection(google_tokens.COLLECTION).find_one({"_id": user_id})
    assert found is not None
    return found


def expire_access_token(user_id: str = USER, seconds_left: int = 60) -> None:
    db.collection(google_tokens.COLLECTION).update_one(
        {"_id": user_id}, {"$set": {"access_expires_at": db.now() + timedelta(seconds=seconds_left)}}
    )


def google_answers(http_mock: responses.RequestsMock, status: int = 200, **body: Any) -> None:
    answer = body or {"access_token": "ya29.refreshed", "expires_in": 3599, "scope": f"openid {CALENDAR}"}
    http_mock.add(responses.POST, TOKEN_URL, json=answer, status=status)


def refresh_forms(http_mock: responses.RequestsMock) -> list[dict[str, str]]:
    return [dict(parse_qsl(call.request.body)) for call in http_mock.calls if call.request.url == TOKEN_URL]


# --- stored, encrypted -----------------------------------------------------------------------------


def test_a_grant_is_stored_as_ciphertext_with_the_granted_scopes():
    signed_in_at_google()
    record = stored()
    text = json.dumps(record, default=str)
    assert "ya29.first-access" not in text and "1//first-refresh" not in text
    assert record["refresh_token"].startswith("sample:") and record["access_token"].startswith("sample:")
    # Google's long name for "email" counts as "email"; what Google did not grant is not recorded
    assert record["scopes"] == sorted(["openid", "email", CALENDAR])
    assert record["issued_at"] is not None and record["refreshed_at"] is None
    assert record["access_expires_at"] - db.now() > timedelta(seconds=3500)
    grant = google_tokens.load(USER)
    assert grant is not None
    assert (grant.access_token, grant.refresh_token) == ("ya29.first-access", "1//first-refresh")
    assert "ya29" not in repr(grant) and "1//" not in repr(grant)


def test_no_scope_in_the_answer_means_the_requested_ones():
    signed_in_at_google(scope="")
    assert stored()["scopes"] == ["email", "openid", "profile"]


def test_a_later_sign_in_without_a_refresh_token_keeps_the_stored_one(http_mock):
    signed_in_at_google()
    signed_in_at_google(access="ya29.second-access", refresh=None)
    grant = google_tokens.load(USER)
    assert grant is not None
    assert (grant.access_token, grant.refresh_token) == ("ya29.second-access", "1//first-refresh")
    assert google_tokens.holds_refresh_token(USER)
    assert not google_tokens.holds_refresh_token("someone-else")


def test_a_ciphertext_copied_to_another_user_does_not_decrypt_and_ends_that_users_sessions(http_mock):
    # GIVEN two users with grants, and user-2's record given user-1's refresh token ciphertext
    signed_in_at_google("user-1")
    signed_in_at_google("user-2", refresh="1//other-refresh")
    copied = stored("user-1")["refresh_token"]
    db.collection(google_tokens.COLLECTION).update_one({"_id": "user-2"}, {"$set": {"refresh_token": copied}})
    ours, theirs = session_of("user-1"), session_of("user-2")
    # WHEN an action asks for user-2's token
    with pytest.raises(InvalidToken, match="Sign in again"):
        google_tokens.access_token_for("user-2")
    # THEN user-1's token was never used at Google, user-2 is signed out, user-1 is untouched
    assert len(http_mock.calls) == 0
    assert not live(theirs) and live(ours)
    assert db.collection(google_tokens.COLLECTION).find_one({"_id": "user-2"}) is None


def test_without_encryption_keys_a_grant_is_a_clear_settings_error(configure):
    configure(TOKEN_ENCRYPTION_KEYS=None)
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEYS is not set"):
        signed_in_at_google()
    assert db.collection(google_tokens.COLLECTION).count_documents({}) == 0


def test_after_key_rotation_a_refresh_reseals_under_the_new_key(http_mock, configure):
    # GIVEN a grant sealed under the sample key, then a new key put first
    signed_in_at_google()
    old = stored()["refresh_token"]
    configure(TOKEN_ENCRYPTION_KEYS=f"{new_key_entry('k2')},{settings_value()}")
    # WHEN its access token is due and the action asks for one
    expire_access_token()
    google_answers(http_mock)
    assert google_tokens.access_token_for(USER) == "ya29.refreshed"
    # THEN both tokens are now sealed under k2, and the refresh token is still the one Google issued
    record = stored()
    assert record["refresh_token"].startswith("k2:") and record["access_token"].startswith("k2:")
    assert record["refresh_token"] != old
    assert refresh_forms(http_mock)[0]["refresh_token"] == "1//first-refresh"
    grant = google_tokens.load(USER)
    assert grant is not None and grant.refresh_token == "1//first-refresh"


def settings_value() -> str:
    from localdev.samples import SAMPLE_SETTINGS

    return SAMPLE_SETTINGS["TOKEN_ENCRYPTION_KEYS"]


def test_a_grant_lives_a_refresh_token_lifetime_after_its_last_sign_in_or_refresh(http_mock):
    # The bound on a stolen store (with its key): a grant nobody uses is gone after REFRESH_TOKEN_TTL.
    signed_in_at_google()
    record = stored()
    ttl = settings.get_settings().refresh_token_ttl
    assert abs(record["expires_at"] - (record["issued_at"] + timedelta(seconds=ttl))) < timedelta(seconds=1)
    assert db.ensure_indexes(db.collection(google_tokens.COLLECTION), google_tokens.COLLECTION) == [
        "expires_at_1"
    ]
    index = db.collection(google_tokens.COLLECTION).index_information()["expires_at_1"]
    assert index["expireAfterSeconds"] == 0
    # past that time it no longer serves, even before MongoDB's TTL monitor deletes it
    later = db.now() + timedelta(seconds=ttl + 1)
    assert google_tokens.load(USER, later) is None
    with pytest.raises(InvalidToken):
        google_tokens.access_token_for(USER, now=later)


# --- the helper: reuse, refresh, errors ------------------------------------------------------------


def test_a_fresh_access_token_is_reused_without_calling_google(http_mock):
    signed_in_at_google()
    assert google_tokens.access_token_for(USER, scope=CALENDAR) == "ya29.first-access"
    assert len(http_mock.calls) == 0


def test_shortly_before_expiry_the_token_is_refreshed_at_google_and_stored(http_mock):
    # GIVEN a stored access token with a minute left (inside the refresh margin)
    signed_in_at_google()
    before = stored()
    expire_access_token(seconds_left=60)
    google_answers(http_mock)
    # WHEN an action asks for a token
    token = google_tokens.access_token_for(USER, scope=CALENDAR)
    # THEN Google's refresh grant was used with our client and the callback's timeouts
    assert token == "ya29.refreshed"
    assert refresh_forms(http_mock) == [
        {
            "grant_type": "refresh_token",
            "refresh_token": "1//first-refresh",
            "client_id": "google-client-id.apps.example",
            "client_secret": "google-secret-value-0123456789",
        }
    ]
    assert http_mock.calls[0].request.req_kwargs["timeout"] == provider.TIMEOUT
    # AND the new token is stored (sealed), with its expiry, the refresh time and a new version
    after = stored()
    assert after["refreshed_at"] is not None and after["version"] == before["version"] + 1
    assert after["access_expires_at"] - db.now() > timedelta(seconds=3500)
    assert "ya29.refreshed" not in json.dumps(after, default=str)
    # AND the next call reuses it
    assert google_tokens.access_token_for(USER) == "ya29.refreshed"
    assert len(http_mock.calls) == 1


def test_a_refresh_token_google_rotates_is_stored(http_mock):
    signed_in_at_google()
    expire_access_token()
    google_answers(http_mock, access_token="ya29.new", refresh_token="1//rotated", expires_in=3599)
    google_tokens.access_token_for(USER)
    grant = google_tokens.load(USER)
    assert grant is not None and grant.refresh_token == "1//rotated"
    # Google's answer named no scope: the granted scopes stay as they were
    assert CALENDAR in grant.scopes


def test_a_missing_scope_is_a_403_naming_it_without_calling_google(http_mock):
    signed_in_at_google(scope="openid email")
    with pytest.raises(InsufficientScope) as caught:
        google_tokens.access_token_for(USER, scope=f"openid {CALENDAR}")
    assert caught.value.status == 403 and caught.value.missing == (CALENDAR,)
    assert (
        caught.value.headers["WWW-Authenticate"] == f'Bearer error="insufficient_scope", scope="{CALENDAR}"'
    )
    assert "Sign in again" in caught.value.description and "allow" in caught.value.description
    assert len(http_mock.calls) == 0


def test_invalid_grant_revokes_the_users_sessions_and_deletes_the_grant(http_mock):
    # GIVEN two users signed in, and Google refusing user-1's refresh token (access removed)
    signed_in_at_google("user-1")
    signed_in_at_google("user-2")
    ours, other = session_of("user-1"), session_of("user-2")
    expire_access_token("user-1")
    google_answers(
        http_mock, 400, error="invalid_grant", error_description="Token has been expired or revoked."
    )
    # WHEN an action asks for user-1's token
    with pytest.raises(InvalidToken) as caught:
        google_tokens.access_token_for("user-1")
    # THEN a 401 invalid_token asks to sign in again, user-1's sessions and grant are gone, user-2's stay
    assert caught.value.status == 401
    assert 'error="invalid_token"' in caught.value.headers["WWW-Authenticate"]
    assert "Sign in again" in caught.value.description
    assert not live(ours) and live(other)
    assert db.collection(google_tokens.COLLECTION).find_one({"_id": "user-1"}) is None
    assert google_tokens.load("user-2") is not None


@pytest.mark.parametrize(
    ("stub", "retry_after"),
    [
        ({"status": 503, "json": {"error": "backend"}}, "10"),
        ({"status": 500, "body": "oops", "headers": {"Retry-After": "42"}}, "42"),
        ({"body": requests.exceptions.ReadTimeout("slow")}, "10"),
        ({"body": requests.exceptions.ConnectionError("down")}, "10"),
    ],
    ids=["503", "500-with-retry-after", "slow", "unreachable"],
)
def test_google_failing_or_slow_is_a_503_with_retry_after_and_revokes_nothing(http_mock, stub, retry_after):
    signed_in_at_google()
    session = session_of(USER)
    expire_access_token()
    before = stored()
    http_mock.add(responses.POST, TOKEN_URL, **stub)
    with pytest.raises(ServiceUnavailable) as caught:
        google_tokens.access_token_for(USER)
    assert caught.value.status == 503 and caught.value.headers["Retry-After"] == retry_after
    assert live(session) and stored() == before


def test_google_refusing_our_client_is_a_502_that_revokes_nothing(http_mock):
    signed_in_at_google()
    session = session_of(USER)
    expire_access_token()
    google_answers(http_mock, 401, error="invalid_client")
    with pytest.raises(UpstreamError, match="GOOGLE_CLIENT_SECRET"):
        google_tokens.access_token_for(USER)
    assert live(session) and google_tokens.load(USER) is not None


def test_no_grant_at_all_is_a_401_and_ends_the_users_sessions(http_mock):
    session = session_of(USER)
    with pytest.raises(InvalidToken, match="Sign in again"):
        google_tokens.access_token_for(USER)
    assert not live(session)


def test_an_access_token_without_a_refresh_token_serves_until_it_is_due(http_mock):
    signed_in_at_google(refresh=None)
    assert google_tokens.access_token_for(USER) == "ya29.first-access"
    expire_access_token()
    with pytest.raises(InvalidToken):
        google_tokens.access_token_for(USER)
    assert len(http_mock.calls) == 0


def test_after_unauthorized_forces_one_refresh_of_an_unexpired_token(http_mock):
    # GIVEN a stored token with an hour left that Google's API just refused, and the grant removed
    signed_in_at_google()
    session = session_of(USER)
    google_answers(http_mock, 400, error="invalid_grant")
    # WHEN the action reports the 401
    with pytest.raises(InvalidToken):
        google_tokens.after_unauthorized(USER, "ya29.first-access")
    # THEN the refresh happened at once and showed the removal: the user is signed out
    assert len(refresh_forms(http_mock)) == 1
    assert not live(session)


def test_after_unauthorized_returns_a_replacement_another_container_stored(http_mock):
    signed_in_at_google()
    signed_in_at_google(access="ya29.replaced", refresh=None)  # e.g. another container refreshed
    assert google_tokens.after_unauthorized(USER, "ya29.first-access") == "ya29.replaced"
    assert len(http_mock.calls) == 0
    google_answers(http_mock)
    assert google_tokens.after_unauthorized(USER, "ya29.replaced") == "ya29.refreshed"
    assert google_tokens.force_refresh(USER) == "ya29.refreshed"
    assert len(refresh_forms(http_mock)) == 2


def test_a_refresh_that_loses_the_race_answers_and_keeps_the_winners_result(http_mock):
    # GIVEN a due token, and another container storing its own refresh while ours is at Google
    signed_in_at_google()
    expire_access_token()

    def google_while_the_other_container_stores(request):
        signed_in_at_google(access="ya29.winner", refresh=None)
        return 200, {}, json.dumps({"access_token": "ya29.loser", "expires_in": 3599})

    http_mock.add_callback(responses.POST, TOKEN_URL, callback=google_while_the_other_container_stores)
    # WHEN ours comes back
    token = google_tokens.access_token_for(USER)
    # THEN it answers with its own (valid at Google) token and the store keeps the winner's
    assert token == "ya29.loser"
    grant = google_tokens.load(USER)
    assert grant is not None and grant.access_token == "ya29.winner"


def test_invalid_grant_after_another_container_replaced_the_grant_uses_the_replacement(http_mock):
    # GIVEN a refresh token that a new sign-in replaced while our refresh was at Google
    signed_in_at_google()
    session = session_of(USER)
    expire_access_token()

    def refused_after_a_new_sign_in(request):
        signed_in_at_google(access="ya29.new-sign-in", refresh="1//new-sign-in")
        return 400, {}, json.dumps({"error": "invalid_grant"})

    http_mock.add_callback(responses.POST, TOKEN_URL, callback=refused_after_a_new_sign_in)
    # THEN the new grant serves and nobody is signed out
    assert google_tokens.access_token_for(USER) == "ya29.new-sign-in"
    assert live(session)


# --- as an action answers ---------------------------------------------------------------------------

action = Router()


@action.get("/")
def calendar_action(request):
    from gpt_auth.runtime.web import text_response

    return text_response(200, google_tokens.access_token_for(USER, scope=CALENDAR)[:5])


ANSWERED: list[str] = []  # every answer the test router gave, as text


def answer() -> tuple[int, dict[str, str], dict[str, Any]]:
    event = {"rawPath": "/", "requestContext": {"http": {"method": "GET"}}, "headers": {}}
    result = action.resolve(event)
    ANSWERED.append(json.dumps(result))
    body = json.loads(result["body"]) if result["headers"]["Content-Type"] == "application/json" else {}
    return result["statusCode"], result["headers"], body


def test_the_router_answers_each_failure_as_the_issue_says(http_mock):
    signed_in_at_google(scope="openid email")
    status, headers, body = answer()
    assert (status, body["error"]) == (403, "insufficient_scope")
    assert headers["WWW-Authenticate"] == f'Bearer error="insufficient_scope", scope="{CALENDAR}"'
    assert "Sign in again" in body["error_description"]

    signed_in_at_google()
    expire_access_token()
    http_mock.add(responses.POST, TOKEN_URL, status=502)
    status, headers, body = answer()
    assert (status, headers["Retry-After"], body["error"]) == (503, "10", "temporarily_unavailable")

    http_mock.replace(responses.POST, TOKEN_URL, json={"error": "invalid_grant"}, status=400)
    status, headers, body = answer()
    assert (status, body["error"]) == (401, "invalid_token")
    assert headers["WWW-Authenticate"].startswith('Bearer error="invalid_token", error_description="Access')
    assert "Sign in again from ChatGPT" in headers["WWW-Authenticate"]
    # AND no answer holds a Google token (a session of ours never yields one)
    assert ANSWERED and not any("ya29" in text or "1//first-refresh" in text for text in ANSWERED)


def test_each_grant_outcome_is_counted_once(http_mock, capsys, monkeypatch):
    # GIVEN metrics on, and a due grant: a refresh, a Google outage, then a refusal
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    signed_in_at_google()
    expire_access_token()
    google_answers(http_mock)
    capsys.readouterr()
    counted = []
    for stub in ({"status": 200}, {"status": 503}, {"status": 400, "json": {"error": "invalid_grant"}}):
        expire_access_token()
        if stub["status"] == 200:
            http_mock.replace(responses.POST, TOKEN_URL, json={"access_token": "ya29.n", "expires_in": 3599})
        else:
            http_mock.replace(responses.POST, TOKEN_URL, **stub)
        answer()
        counted.append(emf_counts(capsys.readouterr().out))
    # THEN the refresh, the outage and the end of the grant are each counted once, beside the answer's
    assert counted[0] == [{metrics.GOOGLE_REFRESHES: [1.0]}]
    assert counted[1] == [{metrics.GOOGLE_UNAVAILABLE: [1.0], metrics.SERVER_ERRORS: [1.0]}]
    assert counted[2] == [{metrics.GOOGLE_GRANTS_ENDED: [1.0], metrics.REFUSALS: [1.0]}]


# --- disconnect ---------------------------------------------------------------------------------------


def test_revoke_at_google_revokes_the_refresh_token_and_deletes_the_grant(http_mock):
    signed_in_at_google()
    http_mock.add(responses.POST, REVOKE_URL, status=200)
    assert google_tokens.revoke_at_google(USER) == "revoked"
    assert dict(parse_qsl(http_mock.calls[0].request.body)) == {"token": "1//first-refresh"}
    assert http_mock.calls[0].request.req_kwargs["timeout"] == provider.TIMEOUT
    assert db.collection(google_tokens.COLLECTION).find_one({"_id": USER}) is None
    assert google_tokens.revoke_at_google(USER) == "none"
    assert len(http_mock.calls) == 1


def test_a_grant_google_already_dropped_counts_as_revoked(http_mock):
    signed_in_at_google()
    http_mock.add(responses.POST, REVOKE_URL, status=400, json={"error": "invalid_token"})
    assert google_tokens.revoke_at_google(USER) == "revoked"
    assert db.collection(google_tokens.COLLECTION).find_one({"_id": USER}) is None


@pytest.mark.parametrize(
    "stub",
    [{"status": 503}, {"body": requests.exceptions.ConnectTimeout("down")}],
    ids=["5xx", "unreachable"],
)
def test_revoke_when_google_is_unreachable_keeps_the_grant_to_retry(http_mock, stub):
    signed_in_at_google()
    http_mock.add(responses.POST, REVOKE_URL, **stub)
    with pytest.raises(UpstreamError):
        google_tokens.revoke_at_google(USER)
    assert google_tokens.load(USER) is not None
