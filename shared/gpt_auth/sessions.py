"""Sessions: one document per token family, holding only hashes of our tokens.

A family has one live access token and two live refresh tokens, ``current`` and ``previous``
(the retry grace: docs/architecture.md, 'Token lifecycle'). ``refresh_token_hashes`` lists every refresh token
the family ever issued, so presenting a retired one is recognised as theft.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from gpt_auth import db
from gpt_auth.log import logger
from gpt_auth.tokens import ACCESS_TOKEN, REFRESH_TOKEN, hash_token, is_well_formed, mint


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    family_id: str

    def as_response(self) -> dict[str, Any]:
        """The RFC 6749 5.1 token response body."""
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
        }


@dataclass(frozen=True)
class Lifetimes:
    access: int
    refresh: int


def _live(when: datetime) -> dict[str, Any]:
    return {"revoked_at": None, "refresh_expires_at": {"$gt": when}}


def create_session(
    *,
    user_id: str,
    client_id: str,
    scope: str,
    lifetimes: Lifetimes,
    code_hash: str | None = None,
    now: datetime | None = None,
) -> IssuedTokens:
    """Start a new token family and return its first token pair."""
    when = now or db.now()
    access, refresh = mint(ACCESS_TOKEN), mint(REFRESH_TOKEN)
    family_id = secrets.token_urlsafe(16)
    refresh_expires = when + timedelta(seconds=lifetimes.refresh)
    refresh_hash = hash_token(refresh)
    db.collection(db.SESSIONS).insert_one(
        {
            "_id": family_id,
            "user_id": user_id,
            "client_id": client_id,
            "scope": scope,
            "code_hash": code_hash,
            "access_token_hash": hash_token(access),
            "access_expires_at": when + timedelta(seconds=lifetimes.access),
            "refresh_token_hash": refresh_hash,
            "previous_refresh_token_hash": None,
            "refresh_token_hashes": [refresh_hash],
            "refresh_expires_at": refresh_expires,
            "expires_at": refresh_expires,
            "created_at": when,
            "rotated_at": None,
            "revoked_at": None,
        }
    )
    return IssuedTokens(access, refresh, lifetimes.access, scope, family_id)


def session_for_access_token(token: str, now: datetime | None = None) -> dict[str, Any] | None:
    """The live session an access token belongs to, or None. Malformed tokens cost no query."""
    if not is_well_formed(token, ACCESS_TOKEN):
        return None
    when = now or db.now()
    found = db.collection(db.SESSIONS, read_only=True).find_one(
        {"access_token_hash": hash_token(token), "access_expires_at": {"$gt": when}, **_live(when)},
        {"user_id": 1, "client_id": 1, "scope": 1, "access_scope": 1},
    )
    if found is not None and "access_scope" in found:
        found["scope"] = found.pop("access_scope")  # this access token was issued for less
    return found


def scope_of_refresh_token(token: str, *, client_id: str, now: datetime | None = None) -> str | None:
    """The scope granted to the live family whose current or previous refresh token this is."""
    if not is_well_formed(token, REFRESH_TOKEN):
        return None
    when = now or db.now()
    presented = hash_token(token)
    found = db.collection(db.SESSIONS).find_one(
        {
            "$or": [{"refresh_token_hash": presented}, {"previous_refresh_token_hash": presented}],
            "client_id": client_id,
            **_live(when),
        },
        {"scope": 1},
    )
    return None if found is None else str(found["scope"])


def rotate_refresh_token(
    token: str,
    *,
    client_id: str,
    lifetimes: Lifetimes,
    scope: str | None = None,
    now: datetime | None = None,
) -> IssuedTokens | None:
    """Exchange a refresh token for a new pair, or return None (the caller answers invalid_grant).

    Each step is one atomic update, so concurrent presentations of one token each either get
    a pair or None, and the family always ends with exactly one current refresh token.

    Parameters
    ----------
    scope
        A narrower scope for the new access token (checked by the caller against
        ``scope_of_refresh_token``); None gives it the family's whole scope. The family keeps
        its scope either way (RFC 6749 section 6).
    """
    if not is_well_formed(token, REFRESH_TOKEN):
        return None
    when = now or db.now()
    presented = hash_token(token)
    sessions = db.collection(db.SESSIONS)
    access, refresh = mint(ACCESS_TOKEN), mint(REFRESH_TOKEN)
    new_refresh = hash_token(refresh)
    refresh_expires = when + timedelta(seconds=lifetimes.refresh)
    common = {
        "refresh_token_hash": new_refresh,
        "access_token_hash": hash_token(access),
        "access_expires_at": when + timedelta(seconds=lifetimes.access),
        "refresh_expires_at": refresh_expires,
        "expires_at": refresh_expires,
        "rotated_at": when,
        **({} if scope is None else {"access_scope": scope}),
    }
    narrowing: dict[str, Any] = {} if scope is not None else {"$unset": {"access_scope": ""}}
    live = {"client_id": client_id, **_live(when)}
    # Presenting current: previous := current, current := new.
    family = sessions.find_one_and_update(
        {"refresh_token_hash": presented, **live},
        {
            "$set": {**common, "previous_refresh_token_hash": presented},
            "$push": {"refresh_token_hashes": new_refresh},
            **narrowing,
        },
        projection={"scope": 1},
        return_document=ReturnDocument.AFTER,
    )
    if family is None:
        # Presenting previous (its replacement never arrived): current := new, previous unchanged.
        family = sessions.find_one_and_update(
            {"previous_refresh_token_hash": presented, **live},
            {"$set": common, "$push": {"refresh_token_hashes": new_refresh}, **narrowing},
            projection={"scope": 1},
            return_document=ReturnDocument.AFTER,
        )
    if family is None:
        # Any older token of a family: theft detected, the whole family goes.
        revoked = sessions.update_many(
            {"refresh_token_hashes": presented, "revoked_at": None}, {"$set": {"revoked_at": when}}
        )
        if revoked.modified_count:
            logger.warning("retired refresh token presented; its family is revoked")
        return None
    granted = family["scope"] if scope is None else scope
    return IssuedTokens(access, refresh, lifetimes.access, granted, family["_id"])


def revoke(query: dict[str, Any], now: datetime | None = None) -> int:
    """Revoke every live session matching ``query``; returns how many were revoked."""
    result = db.collection(db.SESSIONS).update_many(
        {**query, "revoked_at": None}, {"$set": {"revoked_at": now or db.now()}}
    )
    return result.modified_count


def revoke_family(family_id: str, now: datetime | None = None) -> int:
    return revoke({"_id": family_id}, now)


def revoke_issued_from_code(code_hash: str, now: datetime | None = None) -> int:
    return revoke({"code_hash": code_hash}, now)
