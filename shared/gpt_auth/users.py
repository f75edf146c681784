"""People who signed in: one record per provider subject, holding no provider token."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gpt_auth import db


def upsert_user(
    *, sub: str, issuer: str, email: str | None, name: str | None, now: datetime | None = None
) -> str:
    """Create or refresh the user with this subject; returns the user id (the subject).

    A claim the provider did not send leaves the stored value as it was.
    """
    when = now or db.now()
    fields: dict[str, Any] = {"sub": sub, "issuer": issuer, "last_login_at": when}
    if email is not None:
        fields["email"] = email
    if name is not None:
        fields["name"] = name
    db.collection(db.USERS).update_one(
        {"_id": sub}, {"$set": fields, "$setOnInsert": {"created_at": when}}, upsert=True
    )
    return sub
