"""Pending sign-ins on mongomock and nx-27017: one use, ten minutes, stored under a hash."""

from __future__ import annotations

from datetime import timedelta

from gpt_auth.oauth import pending
from gpt_auth.oauth.tokens import AUTHORIZATION_REQUEST, SIGN_IN_COOKIE, mint
from gpt_auth.runtime import db

REQUEST = pending.PendingRequest(
    client_id="gpt-client",
    redirect_uri="https://chatgpt.com/aip/g-1/oauth/callback",
    state="gpt-state",
    scope="",
    nonce="n-123",
    code_verifier="v" * 86,
    callback_uri="https://fn.example/callback",
)
BROWSER = mint(SIGN_IN_COOKIE)


def test_a_pending_request_is_consumed_once(store):
    # GIVEN a stored request
    request_id = pending.create(REQUEST, browser=BROWSER)
    # WHEN the callback consumes it twice
    first, second = pending.consume(request_id, browser=BROWSER), pending.consume(request_id, browser=BROWSER)
    # THEN the first gets it back whole and the second nothing
    assert first == REQUEST
    assert second is None


def test_only_the_hash_of_the_id_is_stored(store):
    request_id = pending.create(REQUEST, browser=BROWSER)
    assert request_id.startswith(AUTHORIZATION_REQUEST)
    assert request_id not in repr(list(db.collection(pending.COLLECTION).find()))


def test_an_expired_request_is_refused(store):
    request_id = pending.create(
        REQUEST, browser=BROWSER, now=db.now() - timedelta(seconds=pending.REQUEST_TTL_SECONDS + 1)
    )
    assert pending.consume(request_id, browser=BROWSER) is None


def test_a_request_just_inside_its_ten_minutes_works(store):
    request_id = pending.create(
        REQUEST, browser=BROWSER, now=db.now() - timedelta(seconds=pending.REQUEST_TTL_SECONDS - 5)
    )
    assert pending.consume(request_id, browser=BROWSER) == REQUEST


def test_unknown_or_malformed_ids_are_refused(store):
    pending.create(REQUEST, browser=BROWSER)
    assert pending.consume(mint(AUTHORIZATION_REQUEST), browser=BROWSER) is None
    assert pending.consume("", browser=BROWSER) is None
    assert pending.consume("gac_" + "a" * 43, browser=BROWSER) is None
    assert db.collection(pending.COLLECTION).count_documents({}) == 1


def test_malformed_ids_cost_no_database_call(monkeypatch):
    def no_database(name):
        raise AssertionError("the store was queried for a malformed id")

    monkeypatch.setattr(db, "collection", no_database)
    assert pending.consume("not-a-request-id", browser=BROWSER) is None


def test_another_browsers_cookie_consumes_nothing(store):
    # GIVEN a request started by one browser
    request_id = pending.create(REQUEST, browser=BROWSER)
    # WHEN another browser's cookie is presented with its id
    assert pending.consume(request_id, browser=mint(SIGN_IN_COOKIE)) is None
    # THEN it is still there for the browser that started it
    assert pending.consume(request_id, browser=BROWSER) == REQUEST
