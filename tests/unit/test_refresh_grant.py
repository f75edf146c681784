"""The refresh_token grant through the token endpoint: rotation, retry grace, theft, scope."""

from __future__ import annotations

from datetime import timedelta

from gpt_auth.oauth import sessions
from gpt_auth.oauth.tokens import hash_token
from gpt_auth.runtime import db
from localdev.lambda_env import with_form
from tests.support.events import load_event
from tests.support.token_requests import POST_AUTH, call, is_live, refresh, signed_in


def family_of(access_token: str) -> dict:
    found = sessions.session_for_access_token(access_token)
    assert found is not None
    return db.collection(sessions.COLLECTION).find_one({"_id": found["_id"]})


def test_rotation_through_generations(store):
    # GIVEN a signed-in client that stores every rotated refresh token
    pair = signed_in()
    seen = [pair]
    # WHEN it refreshes five times
    for _ in range(5):
        status, pair = refresh(pair["refresh_token"])
        assert status == 200, pair
        seen.append(pair)
    # THEN each answer is a new pair, only the newest access token is live,
    # and the family holds current = newest, previous = the one presented last
    assert len({p["refresh_token"] for p in seen}) == len({p["access_token"] for p in seen}) == 6
    assert is_live(pair["access_token"])
    assert not any(is_live(p["access_token"]) for p in seen[:-1])
    family = family_of(pair["access_token"])
    assert family["refresh_token_hash"] == hash_token(seen[-1]["refresh_token"])
    assert family["previous_refresh_token_hash"] == hash_token(seen[-2]["refresh_token"])
    assert family["rotated_at"] is not None and family["scope"] == "openid email"


def test_previous_token_is_accepted_when_its_replacement_was_lost(store):
    # GIVEN a refresh whose answer never reached the client
    first = signed_in()
    status, lost = refresh(first["refresh_token"])
    assert status == 200
    # WHEN the client retries with the token it still has
    status, retried = refresh(first["refresh_token"])
    # THEN it gets a new pair beside the lost one (which may yet arrive), and goes on from it
    assert status == 200 and is_live(retried["access_token"])
    assert is_live(lost["access_token"])
    status, onward = refresh(retried["refresh_token"])
    assert status == 200 and is_live(onward["access_token"])
    assert not is_live(lost["access_token"])
    status, further = refresh(onward["refresh_token"])
    assert status == 200 and is_live(further["access_token"])


def test_client_that_never_stores_rotated_tokens_stays_signed_in(store):
    first = signed_in()
    for _ in range(4):
        status, body = refresh(first["refresh_token"])
        assert status == 200, body
    assert is_live(body["access_token"])


def test_retry_leaves_previous_and_the_first_successor_as_they_are(store):
    first = signed_in()
    slow = refresh(first["refresh_token"])[1]
    status, retried = refresh(first["refresh_token"])
    assert status == 200
    family = family_of(retried["access_token"])
    assert family["previous_refresh_token_hash"] == hash_token(first["refresh_token"])
    assert family["refresh_token_hash"] == hash_token(slow["refresh_token"])
    assert family["retry_refresh_token_hash"] == hash_token(retried["refresh_token"])


def test_older_token_revokes_the_whole_family(store):
    # GIVEN a family rotated twice (first -> second -> third)
    first = signed_in()
    second = refresh(first["refresh_token"])[1]
    third = refresh(second["refresh_token"])[1]
    assert is_live(third["access_token"])
    # WHEN the first refresh token, retired two steps ago, is presented
    status, body = refresh(first["refresh_token"])
    # THEN it is refused and the family is gone: its access token and its newest refresh token
    assert (status, body["error"]) == (400, "invalid_grant")
    assert not is_live(third["access_token"])
    assert refresh(third["refresh_token"])[1]["error"] == "invalid_grant"
    assert refresh(second["refresh_token"])[1]["error"] == "invalid_grant"


def test_slow_answer_presented_after_a_retry_retires_the_retry(store):
    # GIVEN a slow answer, then a retry: two successors of one token
    first = signed_in()
    slow = refresh(first["refresh_token"])[1]
    retried = refresh(first["refresh_token"])[1]
    # WHEN the client kept the slow one and presents it THEN it works and the retry's pair retires
    status, onward = refresh(slow["refresh_token"])
    assert status == 200 and is_live(onward["access_token"])
    assert not is_live(retried["access_token"])
    # AND the retired retry token, presented later, is theft
    assert refresh(retried["refresh_token"])[1]["error"] == "invalid_grant"
    assert not is_live(onward["access_token"])


def test_theft_leaves_other_families_alone(store):
    mine, theirs = signed_in(), signed_in()
    refresh(mine["refresh_token"])
    second = refresh(refresh(mine["refresh_token"])[1]["refresh_token"])[1]
    assert refresh(mine["refresh_token"])[0] == 400
    assert not is_live(second["access_token"])
    assert is_live(theirs["access_token"])


def test_unknown_expired_and_revoked_refresh_tokens_are_invalid_grant(store, monkeypatch):
    assert refresh("grt_" + "A" * 43)[1]["error"] == "invalid_grant"
    revoked = signed_in()
    sessions.revoke_family(sessions.session_for_access_token(revoked["access_token"])["_id"])
    assert refresh(revoked["refresh_token"])[1]["error"] == "invalid_grant"
    expiring = signed_in()
    real_now = db.now
    monkeypatch.setattr(db, "now", lambda: real_now() + timedelta(days=31))
    assert refresh(expiring["refresh_token"])[1]["error"] == "invalid_grant"


def test_scope_may_be_narrowed_for_one_access_token(store):
    # GIVEN a family granted three scopes
    first = signed_in(scope="openid email profile")
    # WHEN a refresh asks for one of them
    status, narrow = refresh(first["refresh_token"], scope="email")
    # THEN the new access token carries only that one, and the family keeps its grant
    assert (status, narrow["scope"]) == (200, "email")
    assert sessions.session_for_access_token(narrow["access_token"])["scope"] == "email"
    status, full = refresh(narrow["refresh_token"])
    assert (status, full["scope"]) == (200, "openid email profile")
    assert sessions.session_for_access_token(full["access_token"])["scope"] == "openid email profile"


def test_equal_scope_in_any_order_is_the_whole_grant(store):
    first = signed_in(scope="openid email")
    status, body = refresh(first["refresh_token"], scope="email  openid")
    assert (status, body["scope"]) == (200, "openid email")


def test_wider_scope_is_invalid_scope_and_rotates_nothing(store):
    # GIVEN a family granted "openid email"
    first = signed_in(scope="openid email")
    # WHEN a refresh asks for more
    status, body = refresh(first["refresh_token"], scope="openid email drive")
    # THEN it is refused as invalid_scope, and the token is still the current one
    assert (status, body["error"]) == (400, "invalid_scope")
    assert is_live(first["access_token"])
    assert family_of(first["access_token"])["refresh_token_hash"] == hash_token(first["refresh_token"])
    assert refresh(first["refresh_token"])[0] == 200


def test_scope_on_an_empty_grant_is_invalid_scope(store):
    first = signed_in(scope="")
    assert refresh(first["refresh_token"], scope="openid")[1]["error"] == "invalid_scope"


def test_scope_with_a_retired_token_still_trips_the_alarm(store):
    first = signed_in(scope="openid email")
    second = refresh(first["refresh_token"])[1]
    third = refresh(second["refresh_token"])[1]
    status, body = refresh(first["refresh_token"], scope="email")
    assert (status, body["error"]) == (400, "invalid_grant")
    assert not is_live(third["access_token"])


def test_scope_narrowing_with_the_previous_token(store):
    first = signed_in(scope="openid email")
    refresh(first["refresh_token"])  # answer lost
    status, body = refresh(first["refresh_token"], scope="openid")
    assert (status, body["scope"]) == (200, "openid")
    assert sessions.session_for_access_token(body["access_token"])["scope"] == "openid"


def test_a_refresh_over_the_rotation_bound_is_429_with_retry_after_and_keeps_the_tokens(configure):
    # GIVEN a sign-in allowed one rotation per hour, which it has used
    configure(REFRESH_ROTATIONS_PER_HOUR="1")
    first = signed_in()
    status, second = refresh(first["refresh_token"])
    assert status == 200
    # WHEN it refreshes again at once
    status, body, headers = call(
        with_form(
            load_event("google_authentication_refresh"),
            {"grant_type": "refresh_token", "refresh_token": second["refresh_token"], **POST_AUTH},
        )
    )
    # THEN 429 with the wait, and the tokens it holds keep working
    assert (status, body["error"]) == (429, "temporarily_unavailable")
    assert 3500 < int(headers["Retry-After"]) <= 3601
    assert is_live(second["access_token"])
