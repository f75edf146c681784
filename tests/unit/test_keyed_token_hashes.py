"""Our tokens are stored as HMAC-SHA256 under TOKEN_HASH_KEYS: write access to the store without the
key mints no working token, and a key is rotated without signing anyone out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import pytest

from functions.test_endpoint import app
from gpt_auth.google.token_cipher import new_key_entry
from gpt_auth.oauth import sessions
from gpt_auth.runtime import db
from gpt_auth.runtime.errors import ConfigError
from gpt_auth.runtime.settings import load_settings
from localdev.samples import SAMPLE_SETTINGS
from tests.support.config import MINIMAL_SETTINGS
from tests.support.events import load_event
from tests.support.token_requests import is_live, refresh, signed_in

SAMPLE_KEY = SAMPLE_SETTINGS["TOKEN_HASH_KEYS"]


def action_status(access_token: str, lambda_context) -> int:
    event = load_event("test_endpoint_valid")
    event["headers"]["authorization"] = f"Bearer {access_token}"
    return app.lambda_handler(event, lambda_context)["statusCode"]


def intruder_session(access_hash: str) -> None:
    """What someone with write access to the store, and without the key, inserts."""
    first = signed_in()
    record = db.collection(sessions.COLLECTION).find_one({"user_id": "user-1"})
    assert record is not None and first["access_token"]
    record |= {"_id": "intruder", "access_token_hash": access_hash, "refresh_token_hash": "x" * 64}
    db.collection(sessions.COLLECTION).insert_one(record)


def test_a_session_inserted_with_the_sha256_of_a_chosen_token_is_refused(lambda_context):
    # GIVEN a session document the intruder wrote, for a token of their choosing, hashed with SHA-256
    chosen = "gat_" + secrets.token_urlsafe(32)
    intruder_session(hashlib.sha256(chosen.encode()).hexdigest())
    # WHEN they call the action with it THEN 401: the store holds no hash they can compute
    assert action_status(chosen, lambda_context) == 401
    assert not is_live(chosen)


def test_a_session_inserted_with_an_hmac_under_another_key_is_refused(lambda_context):
    chosen = "gat_" + secrets.token_urlsafe(32)
    guessed_key = base64.b64decode(new_key_entry().partition(":")[2])
    intruder_session(hmac.new(guessed_key, chosen.encode(), hashlib.sha256).hexdigest())
    assert action_status(chosen, lambda_context) == 401


def test_a_token_issued_here_works(lambda_context):
    assert action_status(signed_in()["access_token"], lambda_context) == 200


def test_rotating_the_key_keeps_sign_ins_and_removing_the_old_key_ends_them(configure, lambda_context):
    # GIVEN a sign-in under the sample key
    first = signed_in()
    # WHEN a new key is put first, the old one kept after it
    configure(TOKEN_HASH_KEYS=f"{new_key_entry('k2')},{SAMPLE_KEY}")
    # THEN the tokens issued before still work, and a refresh issues tokens hashed under the new key
    assert action_status(first["access_token"], lambda_context) == 200
    status, second = refresh(first["refresh_token"])
    assert status == 200 and action_status(second["access_token"], lambda_context) == 200
    new_ring = f"{new_key_entry('k3')}"
    # AND with only a key that never hashed them, neither works any more
    configure(TOKEN_HASH_KEYS=new_ring)
    assert action_status(second["access_token"], lambda_context) == 401
    assert refresh(second["refresh_token"])[1]["error"] == "invalid_grant"


def test_after_the_rotation_the_new_key_alone_keeps_what_was_refreshed(configure, lambda_context):
    first = signed_in()
    new = new_key_entry("k2")
    configure(TOKEN_HASH_KEYS=f"{new},{SAMPLE_KEY}")
    status, second = refresh(first["refresh_token"])
    assert status == 200
    # the family's current tokens are now hashed under the new key: the old key can go
    configure(TOKEN_HASH_KEYS=new)
    assert action_status(second["access_token"], lambda_context) == 200
    assert refresh(second["refresh_token"])[0] == 200


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_hash_key_is_a_settings_error_naming_it(value):
    env = {k: v for k, v in MINIMAL_SETTINGS.items() if k != "TOKEN_HASH_KEYS"}
    if value is not None:
        env["TOKEN_HASH_KEYS"] = value
    with pytest.raises(ConfigError, match="TOKEN_HASH_KEYS is not set"):
        load_settings(env)


@pytest.mark.parametrize("value", ["k1", "k1:short", f"k1:{'A' * 43},k1:{'B' * 43}"])
def test_a_malformed_hash_key_is_a_settings_error_naming_it_without_the_key(value):
    with pytest.raises(ConfigError, match="TOKEN_HASH_KEYS") as refused:
        load_settings({**MINIMAL_SETTINGS, "TOKEN_HASH_KEYS": value})
    assert "A" * 43 not in str(refused.value)


def test_the_family_tag_and_sessions_work_under_the_keyed_hash():
    first = signed_in()
    record = db.collection(sessions.COLLECTION).find_one({"user_id": "user-1"})
    assert record is not None
    assert record["access_token_hash"] != hashlib.sha256(first["access_token"].encode()).hexdigest()
    assert sessions.session_for_access_token(first["access_token"]) is not None
