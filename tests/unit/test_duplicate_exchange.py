"""A code exchange sent twice: a duplicate from the same client is refused without revoking.

ChatGPT has been seen sending one code exchange twice within a second. RFC 6749 4.1.2 says a
second use is denied; it says revoking what the first issued is a SHOULD, and a duplicate from
the client that already holds those tokens is no attack, so only other replays revoke.
"""

from __future__ import annotations

from datetime import timedelta

from gpt_auth.oauth import codes
from gpt_auth.oauth.tokens import hash_token
from gpt_auth.runtime import db, metrics
from tests.support.logs import emf_counts
from tests.support.token_requests import OTHER_CALLBACK, REDIRECT_URI, exchange, is_live, new_code, refresh


def test_a_duplicate_exchange_is_refused_and_the_first_answer_stays_good(store):
    # GIVEN a code the GPT exchanged successfully
    code = new_code()
    status, first = exchange(code)
    assert status == 200
    # WHEN the same client sends the same exchange again at once
    status, second = exchange(code)
    # THEN the duplicate is refused as invalid_grant, and the tokens of the first still work
    assert (status, second["error"]) == (400, "invalid_grant")
    assert is_live(first["access_token"])
    status, refreshed = refresh(first["refresh_token"])
    assert status == 200 and is_live(refreshed["access_token"])
    assert not codes.was_replayed(hash_token(code))


def test_a_second_presentation_with_another_redirect_uri_revokes(store):
    code = new_code()
    status, first = exchange(code)
    assert status == 200
    status, body = exchange(code, redirect_uri=OTHER_CALLBACK)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert not is_live(first["access_token"])
    assert refresh(first["refresh_token"])[1]["error"] == "invalid_grant"


def test_the_duplicate_window_is_two_seconds_after_the_first_use(store):
    # GIVEN a code redeemed at t
    assert codes.DUPLICATE_WINDOW_SECONDS == 2  # ChatGPT's doubled POST /token comes within a second
    code = new_code()
    t = db.now().replace(microsecond=0)  # nx-27017 keeps whole seconds
    assert codes.redeem_code(code, client_id="gpt-client", redirect_uri=REDIRECT_URI, now=t) is not None
    # WHEN the same client presents it again 1.9 s later THEN it is refused, not marked a replay
    later = t + timedelta(seconds=1.9)
    assert codes.redeem_code(code, client_id="gpt-client", redirect_uri=REDIRECT_URI, now=later) is None
    assert not codes.was_replayed(hash_token(code))
    # WHEN it comes again 2.1 s after the first use THEN it is a replay
    late = t + timedelta(seconds=2.1)
    assert codes.redeem_code(code, client_id="gpt-client", redirect_uri=REDIRECT_URI, now=late) is None
    assert codes.was_replayed(hash_token(code))


def test_a_redemption_three_seconds_after_the_first_revokes_what_the_first_redeemer_got(store, monkeypatch):
    # GIVEN a code redeemed first by whoever intercepted it (with the GPT's credentials)
    code = new_code()
    status, first = exchange(code)
    assert status == 200
    # WHEN the real client's exchange arrives 3 s later (outside the old 10 s tolerance's reach)
    real_now = db.now
    monkeypatch.setattr(db, "now", lambda: real_now() + timedelta(seconds=3))
    assert exchange(code)[1]["error"] == "invalid_grant"
    # THEN the first redeemer's tokens are revoked
    assert not is_live(first["access_token"])
    assert refresh(first["refresh_token"])[1]["error"] == "invalid_grant"


def test_every_duplicate_is_counted(store, capsys):
    # GIVEN a code the GPT exchanged
    code = new_code()
    assert exchange(code)[0] == 200
    capsys.readouterr()
    # WHEN the same client sends the exchange twice more at once
    assert exchange(code)[0] == 400 and exchange(code)[0] == 400
    # THEN each answer counted one duplicate, and nothing was revoked
    counted = [c.get(metrics.DUPLICATE_CODE_EXCHANGES) for c in emf_counts(capsys.readouterr().out)]
    assert counted == [[1.0], [1.0]]
    assert not codes.was_replayed(hash_token(code))


def test_another_client_presenting_a_used_code_is_a_replay(store):
    code = new_code()
    assert codes.redeem_code(code, client_id="gpt-client", redirect_uri=REDIRECT_URI) is not None
    assert codes.redeem_code(code, client_id="another-gpt", redirect_uri=REDIRECT_URI) is None
    assert codes.was_replayed(hash_token(code))


def test_a_replay_after_the_window_revokes_the_first_answer(store, monkeypatch):
    code = new_code()
    status, first = exchange(code)
    assert status == 200
    real_now = db.now
    monkeypatch.setattr(db, "now", lambda: real_now() + timedelta(seconds=codes.DUPLICATE_WINDOW_SECONDS + 1))
    assert exchange(code)[1]["error"] == "invalid_grant"
    assert not is_live(first["access_token"])


def test_a_duplicate_then_a_replay_still_revokes(store):
    code = new_code()
    status, first = exchange(code)
    assert status == 200
    assert exchange(code)[0] == 400  # duplicate: refused, nothing revoked
    assert is_live(first["access_token"])
    assert exchange(code, redirect_uri=OTHER_CALLBACK)[0] == 400  # replay
    assert not is_live(first["access_token"])
