"""Races on nx-27017: one code, one refresh token or one pending sign-in presented many times at once.

Each thread plays one Lambda container answering one request: the real handler, in-process,
against nx-27017 over TCP. The threads share this process's pymongo client as containers share
the database, each request on a pooled connection of its own, so the only thing that can keep
them apart is the atomicity of the store's operations (``find_one_and_update`` and
``find_one_and_delete`` with conditions). mongomock cannot stand in here: its
``find_one_and_update`` is a find and then an update, not atomic across threads. The local
emulator cannot either: it runs one request at a time per function, as one container does.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from functions.google_authorization import app as authorization_app
from gpt_auth.oauth import codes, sessions
from gpt_auth.oauth.tokens import family_tag, hash_token
from gpt_auth.runtime import db
from tests.reliability.cases import GPT_CALLBACK
from tests.reliability.flows import callback_event, start_sign_in
from tests.support.concurrency import CONTAINERS, at_once
from tests.support.token_requests import OTHER_CALLBACK, REDIRECT_URI, exchange, new_code, refresh, signed_in

pytestmark = pytest.mark.nx

ROUNDS = 10  # each round is a fresh race: interleavings differ from one to the next


def family(family_id: str) -> dict[str, Any]:
    found = db.collection(sessions.COLLECTION).find_one({"_id": family_id})
    assert found is not None
    return found


def live_access_tokens(answers: list[dict[str, Any]]) -> list[str]:
    return [a["access_token"] for a in answers if sessions.session_for_access_token(a["access_token"])]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_duplicates_of_one_exchange_keep_one_live_pair(nx_store, round_):
    # GIVEN one authorization code, whose exchange eight containers get at the same moment from
    # the same client with the same redirect_uri (ChatGPT sending one exchange twice)
    code = new_code()
    # WHEN they all redeem it
    answers = at_once(lambda: exchange(code))
    # THEN exactly one token pair was minted and stays live; every other answer is invalid_grant
    issued = [body for status, body in answers if status == 200]
    assert len(issued) == 1, answers
    assert all(body["error"] == "invalid_grant" for status, body in answers if status != 200)
    assert db.collection(sessions.COLLECTION).count_documents({"code_hash": hash_token(code)}) == 1
    assert not codes.was_replayed(hash_token(code))
    assert live_access_tokens(issued) == [issued[0]["access_token"]]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_redemptions_of_one_code_with_a_replay_leave_nothing_live(nx_store, round_):
    # GIVEN one authorization code, presented by eight containers at the same moment, half of
    # them with another redirect_uri (not a duplicate of any first use: a replay)
    code = new_code()
    callbacks = iter([REDIRECT_URI, OTHER_CALLBACK] * (CONTAINERS // 2))
    lock = threading.Lock()

    def present() -> tuple[int, dict[str, Any]]:
        with lock:
            callback = next(callbacks)
        return exchange(code, redirect_uri=callback)

    answers = at_once(present)
    # THEN at most one token pair was ever minted from it, every other answer is invalid_grant,
    assert sum(status == 200 for status, _ in answers) <= 1
    assert all(body["error"] == "invalid_grant" for status, body in answers if status != 200)
    minted = list(db.collection(sessions.COLLECTION).find({"code_hash": hash_token(code)}))
    assert len(minted) <= 1
    # AND since the code was replayed, RFC 6749 4.1.2's rule leaves nothing issued from it live
    assert codes.was_replayed(hash_token(code))
    assert all(session["revoked_at"] is not None for session in minted)
    assert not live_access_tokens([body for status, body in answers if status == 200])


def check_family_after_race(family_id: str, answers: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """What the rotation rule allows after concurrent refreshes; returns the family's live pairs.

    Empty when the family was revoked; else ``{"current": pair}`` plus ``"retry"`` when a retry
    inside the window left a second successor beside the first.
    """
    issued = [body for status, body in answers if status == 200]
    assert all(body["error"] == "invalid_grant" for status, body in answers if status != 200), answers
    assert all(body["token_type"] == "bearer" and body["refresh_token"].startswith("grt_") for body in issued)
    record = family(family_id)
    # Every issued refresh token names the family, so presenting a retired one is caught as theft.
    assert {hash_token(family_tag(body["refresh_token"]) or "") for body in issued} <= {
        record["family_tag_hash"]
    }
    assert db.collection(sessions.COLLECTION).count_documents({"user_id": record["user_id"]}) == 1
    if record["revoked_at"] is not None:
        assert not live_access_tokens(issued)
        return {}
    # The current refresh token, and the retry token if any, are ones that were answered, and the
    # access tokens live beside them are their own pairs': nothing else answered is live.
    by_hash = {hash_token(body["refresh_token"]): body for body in issued}
    pairs = {"current": by_hash.get(record["refresh_token_hash"])}
    if record["retry_refresh_token_hash"] is not None:
        pairs["retry"] = by_hash.get(record["retry_refresh_token_hash"])
    assert all(pairs.values()), "a live refresh token is not one that was answered"
    assert record["access_token_hash"] == hash_token(pairs["current"]["access_token"])
    assert sorted(live_access_tokens(issued)) == sorted(pair["access_token"] for pair in pairs.values())
    return pairs


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_refreshes_of_one_token_leave_two_successors(nx_store, round_):
    # GIVEN a signed-in client whose refresh token eight containers present at the same moment
    first = signed_in()
    family_id = sessions.session_for_access_token(first["access_token"])["_id"]
    # WHEN they all refresh with it
    answers = at_once(lambda: refresh(first["refresh_token"]))
    # THEN each answer is a pair (the first rotates current, the rest present the previous token
    # inside its window: retries), and the family holds the first successor and the latest retry
    assert all(status == 200 for status, _ in answers), answers
    pairs = check_family_after_race(family_id, answers)
    assert set(pairs) == {"current", "retry"}
    assert family(family_id)["previous_refresh_token_hash"] == hash_token(first["refresh_token"])
    # AND either successor still works, and then the other one has retired
    kept, other = (pairs["current"], pairs["retry"]) if round_ % 2 else (pairs["retry"], pairs["current"])
    status, onward = refresh(kept["refresh_token"])
    assert status == 200
    assert sessions.session_for_access_token(onward["access_token"]) is not None
    assert sessions.session_for_access_token(other["access_token"]) is None


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_refreshes_with_both_successors(nx_store, round_):
    # GIVEN two successors of one token (a slow answer and a retry), presented by containers at once
    first = signed_in()
    family_id = sessions.session_for_access_token(first["access_token"])["_id"]
    slow = refresh(first["refresh_token"])[1]
    retry = refresh(first["refresh_token"])[1]
    turn = iter(range(CONTAINERS))
    lock = threading.Lock()

    def present() -> tuple[int, dict[str, Any]]:
        with lock:
            token = (slow, retry)[next(turn) % 2]["refresh_token"]
        return refresh(token)

    answers = at_once(present)
    # THEN the first presentation retires the other successor: the family is whole with the
    # winner's successors live, or (the loser arrived after that) revoked as theft
    check_family_after_race(family_id, answers)
    record = family(family_id)
    if record["revoked_at"] is None:
        assert record["previous_refresh_token_hash"] in {
            hash_token(slow["refresh_token"]),
            hash_token(retry["refresh_token"]),
        }


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_refreshes_with_current_and_previous_tokens(nx_store, round_):
    # GIVEN a family rotated once, and containers presenting its previous and its current token at once
    first = signed_in()
    family_id = sessions.session_for_access_token(first["access_token"])["_id"]
    status, second = refresh(first["refresh_token"])
    assert status == 200
    turn = iter(range(CONTAINERS))
    lock = threading.Lock()

    def present() -> tuple[int, dict[str, Any]]:
        with lock:
            token = (first, second)[next(turn) % 2]["refresh_token"]
        return refresh(token)

    answers = at_once(present)
    # THEN every answer is a pair or invalid_grant, and the family is either whole with its live
    # pairs among the answers or, when an older token arrived after a newer one rotated, revoked
    check_family_after_race(family_id, answers)


def test_concurrent_callbacks_of_one_sign_in_mint_one_code(nx_store, fake_idp, lambda_context):
    # GIVEN one sign-in started at the provider, whose callback reaches eight containers at once
    sent = start_sign_in(fake_idp)
    event = callback_event(code="provider-code", state=sent["state"])
    # WHEN they all complete it
    answers = at_once(lambda: authorization_app.lambda_handler(event, lambda_context))
    # THEN one goes back to the GPT with a code, the others get a page, and the provider was asked once
    statuses = sorted(answer["statusCode"] for answer in answers)
    assert statuses == [302] + [400] * (CONTAINERS - 1), statuses
    assert answers and all(
        a["headers"]["Location"].startswith(GPT_CALLBACK + "?code=")
        for a in answers
        if a["statusCode"] == 302
    )
    assert len(fake_idp.token_forms) == 1
    assert db.collection(codes.COLLECTION).count_documents({}) == 1
