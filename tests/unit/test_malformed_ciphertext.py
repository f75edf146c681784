"""A stored Google token whose ciphertext is malformed or names an unknown key id is undecryptable:
the action answers 401 and signs the user out, the id is never echoed, and `make revoke` deletes it."""

from __future__ import annotations

import json

import pytest

from gpt_auth.google import google_tokens, token_cipher
from gpt_auth.oauth import sessions
from gpt_auth.runtime import db
from localdev import revoke
from tests.support.logs import captured_logs
from tests.unit.test_events_route import USER, answer, signed_in
from tests.unit.test_token_cipher import KEY_1, ring

LONG_ID = "Z" * 5000
# No colon, an empty key id, an unknown one, a 5,000-character one, one with markup in it.
MALFORMED = [
    "no-colon-at-all",
    ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "k-unknown:AAAA",
    f"{LONG_ID}:AAAA",
    "<b>x</b>:AAAA",
]


@pytest.mark.parametrize("stored", MALFORMED)
def test_a_malformed_ciphertext_does_not_open_and_its_message_is_bounded(stored):
    with pytest.raises(token_cipher.UndecryptableToken) as refused:
        token_cipher.decrypt(ring(f"k1:{KEY_1}"), stored, "aad")
    message = str(refused.value)
    assert len(message) < 200 and LONG_ID not in message and "<b>" not in message


def grant_stored_as(stored: str) -> str:
    """A signed-in user whose stored Google tokens are replaced by ``stored``; our access token."""
    token = signed_in()
    db.collection(google_tokens.COLLECTION).update_one(
        {"_id": USER}, {"$set": {"refresh_token": stored, "access_token": stored}}
    )
    return token


@pytest.mark.parametrize("stored", MALFORMED)
def test_an_action_on_a_malformed_grant_is_401_signs_out_and_never_echoes_the_key_id(
    lambda_context, http_mock, stored
):
    # GIVEN a user whose stored Google grant holds a malformed ciphertext
    token = grant_stored_as(stored)
    # WHEN the GPT lists their events
    with captured_logs() as logged:
        status, body, _headers = answer(lambda_context, token)
    # THEN 401 asking to sign in again, Google never called, the session revoked, the grant gone
    assert status == 401, body
    assert body["error"] == "invalid_token" and "Sign in again" in body["error_description"]
    assert len(http_mock.calls) == 0
    assert sessions.session_for_access_token(token) is None
    assert db.collection(google_tokens.COLLECTION).find_one({"_id": USER}) is None
    # AND the key id is in no answer, and in the log only bounded and sanitized
    key_id = stored.partition(":")[0]
    assert "TOKEN_ENCRYPTION_KEYS" not in json.dumps(body)
    assert not key_id or key_id not in json.dumps(body)
    lines = json.dumps(logged())
    assert LONG_ID not in lines and "<b>" not in lines
    assert "does not decrypt" in lines


@pytest.mark.parametrize("stored", MALFORMED)
def test_make_revoke_deletes_a_grant_it_cannot_open(stored, http_mock):
    # GIVEN a grant that does not open
    grant_stored_as(stored)
    # WHEN the operator disconnects the user from Google
    status, message = revoke.disconnect_google([USER])
    # THEN it exits 0, deletes the grant, says it could not be revoked at Google, and calls nobody
    assert status == 0, message
    assert "does not decrypt" in message and USER in message
    assert db.collection(google_tokens.COLLECTION).find_one({"_id": USER}) is None
    assert len(http_mock.calls) == 0
    assert google_tokens.load(USER) is None
