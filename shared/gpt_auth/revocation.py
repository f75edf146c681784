"""Operator revocation: every session of a user or of a GPT client, and their unredeemed codes.

ChatGPT never revokes tokens, so this is how an operator signs someone out (``make revoke``).
Unredeemed authorization codes are voided too, so a sign-in in flight cannot mint a new session
right after the revocation; presenting a voided code is then refused like a used one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gpt_auth import db, sessions


@dataclass(frozen=True)
class Revoked:
    sessions: int
    codes: int


def user_ids_for(who: str) -> list[str]:
    """Ids (Google ``sub``) of the users ``who`` names: an e-mail address, else a ``sub`` itself.

    An e-mail matches as given or in lower case; a ``sub`` is returned as is even when the
    ``users`` collection does not know it, so its sessions can still be revoked.
    """
    who = who.strip()
    if "@" not in who:
        return [who] if who else []
    users = db.collection(db.USERS).find({"email": {"$in": sorted({who, who.lower()})}}, {"_id": 1})
    return sorted(str(user["_id"]) for user in users)


def revoke(
    *, user_ids: list[str] | None = None, client_id: str | None = None, now: datetime | None = None
) -> Revoked:
    """Revoke the live sessions and void the unredeemed codes of some users, of a client, or both.

    Raises
    ------
    ValueError
        When neither users nor a client is named (that would revoke everything).
    """
    query: dict[str, Any] = {}
    if user_ids is not None:
        query["user_id"] = {"$in": list(user_ids)}
    if client_id:
        query["client_id"] = client_id
    if not query:
        raise ValueError("Name the users or the client whose sessions to revoke.")
    when = now or db.now()
    revoked_sessions = sessions.revoke(query, when)
    voided = db.collection(db.AUTHORIZATION_CODES).update_many(
        {**query, "used_at": None, "expires_at": {"$gt": when}}, {"$set": {"used_at": when}}
    )
    return Revoked(sessions=revoked_sessions, codes=voided.modified_count)
