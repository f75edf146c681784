"""The session store, on mongomock and on the nx-27017 wire-protocol server."""

from __future__ import annotations

from datetime import timedelta

from gpt_auth.oauth import sessions
from gpt_auth.oauth.tokens import ACCESS_TOKEN, hash_token, mint
from gpt_auth.runtime import db

LIFETIMES = sessions.Lifetimes(access=3600, refresh=86400, grace=120, max_age=7 * 86400)


def new_session(**kwargs):
    return sessions.create_session(
        user_id="user-1", client_id="gpt-client", scope="", lifetimes=LIFETIMES, **kwargs
    )


def test_only_hashes_are_stored(store):
    issued = new_session()
    stored = db.collection(sessions.COLLECTION).find_one({"_id": issued.family_id})
    text = repr(stored)
    assert issued.access_token not in text and issued.refresh_token not in text
    assert stored["access_token_hash"] == hash_token(issued.access_token)
    assert stored["refresh_token_hash"] == hash_token(issued.refresh_token)


def test_access_token_finds_its_session(store):
    issued = new_session()
    found = sessions.session_for_access_token(issued.access_token)
    assert found is not None and found["user_id"] == "user-1" and found["_id"] == issued.family_id


def test_unknown_and_wrong_type_tokens_find_nothing(store):
    issued = new_session()
    assert sessions.session_for_access_token(mint(ACCESS_TOKEN)) is None
    assert sessions.session_for_access_token(issued.refresh_token) is None


def test_expired_access_token_is_refused_before_ttl_cleanup(store):
    issued = new_session()
    later = db.now() + timedelta(seconds=LIFETIMES.access + 1)
    assert db.collection(sessions.COLLECTION).count_documents({"_id": issued.family_id}) == 1
    assert sessions.session_for_access_token(issued.access_token, now=later) is None


def test_revoked_family_refuses_its_access_token(store):
    issued = new_session()
    assert sessions.revoke_family(issued.family_id) == 1
    assert sessions.session_for_access_token(issued.access_token) is None
    assert sessions.revoke_family(issued.family_id) == 0


def test_revoke_by_user_leaves_other_users_alone(store):
    mine, theirs = (
        new_session(),
        sessions.create_session(user_id="user-2", client_id="gpt-client", scope="", lifetimes=LIFETIMES),
    )
    assert sessions.revoke({"user_id": "user-1"}) == 1
    assert sessions.session_for_access_token(mine.access_token) is None
    assert sessions.session_for_access_token(theirs.access_token) is not None


def test_indexes_exist_with_ttl_and_uniqueness(store):
    new_session()
    indexes = db.collection(sessions.COLLECTION).index_information()
    by_key = {tuple(k for k, _ in spec["key"]): spec for spec in indexes.values()}
    assert by_key[("expires_at",)].get("expireAfterSeconds") == 0
    assert by_key[("access_token_hash",)].get("unique")
    assert by_key[("refresh_token_hash",)].get("unique")


def test_index_creation_is_idempotent(store):
    new_session()
    sessions_collection = db.collection(sessions.COLLECTION)
    before = sessions_collection.index_information()
    assert db.ensure_indexes(sessions_collection, sessions.COLLECTION) == db.ensure_indexes(
        sessions_collection, sessions.COLLECTION
    )
    assert sessions_collection.index_information() == before


def test_token_check_leaves_index_creation_to_the_writers(store):
    # GIVEN a store no writer has touched yet
    # WHEN the token check looks a token up (testEndpoint's cold start)
    assert sessions.session_for_access_token(mint(ACCESS_TOKEN)) is None
    # THEN it spent no round trip creating indexes: only MongoDB's own _id index exists, if any
    names = set(db.collection(sessions.COLLECTION, read_only=True).index_information())
    assert names <= {"_id_"}
    # AND the first write creates them as before
    new_session()
    keys = {
        tuple(k for k, _ in spec["key"])
        for spec in db.collection(sessions.COLLECTION).index_information().values()
    }
    assert ("access_token_hash",) in keys
