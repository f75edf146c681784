"""Operator revocation: every session of a user or of a GPT client, and their unredeemed codes.

ChatGPT never revokes tokens, so this is how an operator signs someone out (``make revoke``).
Unredeemed authorization codes are voided too, so a sign-in in flight cannot mint a new session
right after the revocation; presenting a voided code is then refused like a used one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gpt_auth.google import provider
from gpt_auth.oauth import codes, sessions, users
from gpt_auth.runtime import db
from gpt_auth.runtime.settings import get_settings


@dataclass(frozen=True)
class Revoked:
    sessions: int
    codes: int


def user_ids_for(who: str) -> list[str]:
    """Ids (``<issuer>#<sub>``, see ``gpt_auth.oauth.users``) of the users ``who`` names.

    ``who`` is a whole user id, a verified e-mail address (as given or in lower case), or a
    provider ``sub`` (at any issuer). A ``sub`` nobody recorded names that subject at the
    configured provider, so its sessions can still be revoked; an unknown e-mail names nobody.
    """
    who = who.strip()
    if not who:
        return []
    issuer, separator, _ = who.partition(users.ID_SEPARATOR)
    if separator and "://" in issuer:
        return [who]
    records = db.collection(users.COLLECTION)
    found = {str(user["_id"]) for user in records.find({"sub": who}, {"_id": 1})}
    if "@" in who:
        emails = sorted({who, who.lower()})
        found |= {str(user["_id"]) for user in records.find({"email": {"$in": emails}}, {"_id": 1})}
    elif not found:
        found = {users.user_id(configured_issuer(), who)}
    return sorted(found)


def configured_issuer() -> str:
    """The issuer of the configured provider: ``OIDC_ISSUER``, else Google's."""
    return get_settings().oidc_issuer or provider.GOOGLE.issuer


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
    voided = db.collection(codes.COLLECTION).update_many(
        {**query, "used_at": None, "expires_at": {"$gt": when}}, {"$set": {"used_at": when}}
    )
    return Revoked(sessions=revoked_sessions, codes=voided.modified_count)
