"""Authorization codes on mongomock and nx-27017: one use, expiry, replay marking."""

from __future__ import annotations

from datetime import timedelta

from gpt_auth.oauth import codes
from gpt_auth.oauth.tokens import AUTHORIZATION_CODE, mint
from gpt_auth.runtime import db

BOUND = {
    "client_id": "gpt-client",
    "redirect_uri": "https://chatgpt.com/aip/g-1/oauth/callback",
    "user_id": "u1",
}


def test_code_redeems_once_with_its_binding(store):
    code = codes.issue_code(scope="", **BOUND)
    grant = codes.redeem_code(code)
    assert grant is not None
    assert (grant.client_id, grant.redirect_uri, grant.user_id, grant.scope) == (*BOUND.values(), "")
    assert codes.redeem_code(code) is None
    assert codes.was_replayed(grant.code_hash)


def test_only_the_hash_is_stored(store):
    code = codes.issue_code(scope="", **BOUND)
    assert code not in repr(list(db.collection(codes.COLLECTION).find()))


def test_expired_code_is_refused(store):
    code = codes.issue_code(scope="", **BOUND, now=db.now() - timedelta(seconds=codes.CODE_TTL_SECONDS + 1))
    assert codes.redeem_code(code) is None


def test_unknown_or_wrong_type_code_is_refused_and_not_marked(store):
    assert codes.redeem_code(mint(AUTHORIZATION_CODE)) is None
    assert codes.redeem_code("gat_" + "a" * 43) is None
    assert db.collection(codes.COLLECTION).count_documents({"replayed_at": {"$ne": None}}) == 0


def test_fresh_code_is_not_replayed(store):
    code = codes.issue_code(scope="", **BOUND)
    grant = codes.redeem_code(code)
    assert grant is not None and not codes.was_replayed(grant.code_hash)


def test_redeeming_in_a_fresh_container_spends_no_index_round_trip(store, monkeypatch):
    # GIVEN a code issued (its writer ensured the indexes), then a fresh container
    code = codes.issue_code(scope="", **BOUND)
    monkeypatch.setattr(db, "_ready", set())
    ensured: list[str] = []
    real_ensure = db.ensure_indexes
    monkeypatch.setattr(
        db, "ensure_indexes", lambda coll, name: ensured.append(name) or real_ensure(coll, name)
    )
    # WHEN the token endpoint redeems it, and checks a replay
    grant = codes.redeem_code(code)
    assert grant is not None and not codes.was_replayed(grant.code_hash)
    # THEN no createIndexes went out for the codes; the next insert still ensures them
    assert ensured == []
    codes.issue_code(scope="", **BOUND)
    assert ensured == [codes.COLLECTION]
