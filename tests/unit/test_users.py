"""Users on mongomock and nx-27017: upserted by issuer and subject, no provider token kept."""

from __future__ import annotations

from datetime import timedelta

from gpt_auth.oauth import users
from gpt_auth.runtime import db
from tests.support.stores import skip_on_nx


def test_first_sign_in_creates_the_user(store):
    claims = {"sub": "s-1", "email": "ada@example.com", "email_verified": True, "name": "Ada"}
    user_id = users.upsert_user(issuer="https://accounts.google.com", claims=claims)
    record = db.collection(users.COLLECTION).find_one({"_id": user_id})
    assert user_id == "https://accounts.google.com#s-1"
    assert {k: record[k] for k in ("sub", "issuer", "email", "name")} == {
        "sub": "s-1",
        "issuer": "https://accounts.google.com",
        "email": "ada@example.com",
        "name": "Ada",
    }
    assert record["created_at"] == record["last_login_at"]


def test_next_sign_in_refreshes_claims_and_keeps_what_was_not_sent(store):
    # GIVEN a user who signed in an hour ago
    earlier = db.now() - timedelta(hours=1)
    verified = {"sub": "s-1", "email_verified": True}
    users.upsert_user(
        issuer="iss", claims={**verified, "email": "old@example.com", "name": "Ada"}, now=earlier
    )
    # WHEN they sign in again with a new email and no name claim
    users.upsert_user(issuer="iss", claims={**verified, "email": "new@example.com"})
    # THEN one record: new email, the name kept, created_at unchanged
    records = list(db.collection(users.COLLECTION).find({"sub": "s-1"}))
    assert len(records) == 1
    record = records[0]
    assert (record["email"], record["name"]) == ("new@example.com", "Ada")
    assert abs(record["created_at"] - earlier) < timedelta(seconds=1)


def test_next_sign_in_moves_last_login(store):
    skip_on_nx(store, "$set of a datetime on an existing document stores it as a string")
    earlier = db.now() - timedelta(hours=1)
    users.upsert_user(issuer="iss", claims={"sub": "s-1"}, now=earlier)
    user_id = users.upsert_user(issuer="iss", claims={"sub": "s-1"})
    record = db.collection(users.COLLECTION).find_one({"_id": user_id})
    assert record["last_login_at"] > earlier + timedelta(minutes=59)
