"""Sessions: one document per token family (one sign-in), holding only hashes of our tokens.

The rotation rule (docs/architecture.md, 'Token lifecycle'): presenting the ``current`` refresh
token rotates it; the rotated one becomes ``previous`` and is still accepted for
``REFRESH_TOKEN_GRACE`` seconds after that rotation (a lost or slow answer, a retry). A retry
inside that window gets a ``retry`` pair, and the first successor stays valid beside it until one
of the two is presented; then the other retires. Any other token the family issued is retired:
presenting it revokes the family (theft). ``refresh_token_hashes`` keeps the last
``RETIRED_HASHES_KEPT`` hashes the family issued, so that rule needs a bounded document. A family
lives ``SESSION_MAX_AGE`` at most from its sign-in, and ``REFRESH_TOKEN_TTL`` without a refresh.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pymongo import ReturnDocument

from gpt_auth.oauth.tokens import ACCESS_TOKEN, REFRESH_TOKEN, hash_token, is_well_formed, mint
from gpt_auth.runtime import db, metrics
from gpt_auth.runtime.log import logger

if TYPE_CHECKING:
    from gpt_auth.runtime.settings import Settings

# Refresh-token hashes a family remembers for theft detection. Older ones fail as unknown.
RETIRED_HASHES_KEPT = 100


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
    """Seconds: an access token, inactivity of a family, the retry window, a family's whole life."""

    access: int
    refresh: int
    grace: int
    max_age: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Lifetimes:
        return cls(
            settings.access_token_ttl,
            settings.refresh_token_ttl,
            settings.refresh_token_grace,
            settings.session_max_age,
        )


def _live(when: datetime) -> dict[str, Any]:
    return {"revoked_at": None, "refresh_expires_at": {"$gt": when}, "session_expires_at": {"$gt": when}}


def _remember(refresh_hash: str) -> dict[str, Any]:
    return {"refresh_token_hashes": {"$each": [refresh_hash], "$slice": -RETIRED_HASHES_KEPT}}


# Where a family keeps a live access token: the current pair's, and the retry pair's.
_ACCESS_TOKEN_SLOTS = (
    ("access_token_hash", "access_expires_at", "access_scope"),
    ("retry_access_token_hash", "retry_access_expires_at", "retry_access_scope"),
)
# The refresh tokens a family accepts, in the order rotation tries them.
_CURRENT, _RETRY = "refresh_token_hash", "retry_refresh_token_hash"

_NO_RETRY = {
    "retry_refresh_token_hash": None,
    "retry_access_token_hash": None,
    "retry_access_expires_at": None,
    "retry_access_scope": None,
}


def create_session(
    *,
    user_id: str,
    client_id: str,
    scope: str,
    lifetimes: Lifetimes,
    code_hash: str | None = None,
    now: datetime | None = None,
    access_token: str | None = None,
    refresh_token: str | None = None,
) -> IssuedTokens:
    """Start a new token family and return its first token pair.

    ``access_token`` and ``refresh_token`` make that pair instead of minted tokens (local seeding
    of the sample events).
    """
    when = now or db.now()
    access, refresh = access_token or mint(ACCESS_TOKEN), refresh_token or mint(REFRESH_TOKEN)
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
            "access_scope": None,
            "refresh_token_hash": refresh_hash,
            "previous_refresh_token_hash": None,
            "grace_ends_at": None,
            **_NO_RETRY,
            "refresh_token_hashes": [refresh_hash],
            "refresh_expires_at": refresh_expires,
            "session_expires_at": when + timedelta(seconds=lifetimes.max_age),
            "expires_at": refresh_expires,
            "created_at": when,
            "rotated_at": None,
            "revoked_at": None,
        }
    )
    return IssuedTokens(access, refresh, lifetimes.access, scope, family_id)


def session_for_access_token(
    token: str, *, client_id: str | None = None, now: datetime | None = None
) -> dict[str, Any] | None:
    """The live session an access token belongs to, or None. Malformed tokens cost no query.

    Only sessions of ``client_id`` count (default: the configured GPT client, ``GPT_CLIENT_ID``).
    """
    if not is_well_formed(token, ACCESS_TOKEN):
        return None
    if client_id is None:
        from gpt_auth.runtime.settings import get_settings

        client_id = get_settings().gpt_client_id
    when = now or db.now()
    presented = hash_token(token)
    sessions = db.collection(db.SESSIONS, read_only=True)
    live = {"client_id": client_id, **_live(when)}
    # Two lookups, no $or: the common case (the current pair) costs one.
    for field, expires, scope in _ACCESS_TOKEN_SLOTS:
        found = sessions.find_one(
            {field: presented, expires: {"$gt": when}, **live},
            {"user_id": 1, "client_id": 1, "scope": 1, scope: 1},
        )
        if found is not None:
            narrower = found.pop(scope, None)  # issued for less than the family's grant
            if narrower is not None:
                found["scope"] = narrower
            return found
    return None


def scope_of_refresh_token(token: str, *, client_id: str, now: datetime | None = None) -> str | None:
    """The scope granted to the live family for which this refresh token is still accepted."""
    if not is_well_formed(token, REFRESH_TOKEN):
        return None
    when = now or db.now()
    presented = hash_token(token)
    sessions = db.collection(db.SESSIONS)
    live = {"client_id": client_id, **_live(when)}
    for accepted in ({_CURRENT: presented}, {_RETRY: presented}, _inside_window(presented, when)):
        found = sessions.find_one({**accepted, **live}, {"scope": 1})
        if found is not None:
            return str(found["scope"])
    return None


def _inside_window(presented: str, when: datetime) -> dict[str, Any]:
    return {"previous_refresh_token_hash": presented, "grace_ends_at": {"$gt": when}}


def rotate_refresh_token(
    token: str,
    *,
    client_id: str,
    lifetimes: Lifetimes,
    scope: str | None = None,
    now: datetime | None = None,
) -> IssuedTokens | None:
    """Exchange a refresh token for a new pair, or return None (the caller answers invalid_grant).

    Each step is one atomic update whose filter encodes the state it moves from, so concurrent
    presentations each either get a pair or None, and the family always ends with one current
    refresh token and at most one retry token beside it.

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
    access_expires = when + timedelta(seconds=lifetimes.access)
    refresh_expires = when + timedelta(seconds=lifetimes.refresh)
    inactivity = {"refresh_expires_at": refresh_expires, "expires_at": refresh_expires}
    live = {"client_id": client_id, **_live(when)}
    # Presenting current, or the retry token: it becomes previous (with a fresh window), the
    # new pair becomes current, and the other of the two retires. Two updates, no $or: the
    # common case costs one, and nx-27017 mis-evaluates an $or beside other conditions.
    family = None
    for accepted in (_CURRENT, _RETRY):
        family = sessions.find_one_and_update(
            {accepted: presented, **live},
            {
                "$set": {
                    _CURRENT: new_refresh,
                    "access_token_hash": hash_token(access),
                    "access_expires_at": access_expires,
                    "access_scope": scope,
                    "previous_refresh_token_hash": presented,
                    "grace_ends_at": when + timedelta(seconds=lifetimes.grace),
                    **_NO_RETRY,
                    **inactivity,
                    "rotated_at": when,
                },
                "$push": _remember(new_refresh),
            },
            projection={"scope": 1},
            return_document=ReturnDocument.AFTER,
        )
        if family is not None:
            break
    if family is None:
        # Presenting previous inside its window (a retry): the new pair becomes the retry pair,
        # replacing an earlier retry's; current, the first successor, stays as it is.
        family = sessions.find_one_and_update(
            {**_inside_window(presented, when), **live},
            {
                "$set": {
                    _RETRY: new_refresh,
                    "retry_access_token_hash": hash_token(access),
                    "retry_access_expires_at": access_expires,
                    "retry_access_scope": scope,
                    **inactivity,
                },
                "$push": _remember(new_refresh),
            },
            projection={"scope": 1},
            return_document=ReturnDocument.AFTER,
        )
    if family is None:
        _revoke_if_retired(presented, when)
        return None
    granted = family["scope"] if scope is None else scope
    return IssuedTokens(access, refresh, lifetimes.access, granted, family["_id"])


def _revoke_if_retired(presented: str, when: datetime) -> None:
    """A retired token of a live family was presented: theft detected, the whole family goes."""
    family = db.collection(db.SESSIONS).find_one_and_update(
        {"refresh_token_hashes": presented, **_live(when)},
        {"$set": {"revoked_at": when}},
        projection={"_id": 1},
    )
    if family is not None:
        logger.warning(
            "retired refresh token presented; its family is revoked", extra={"family_id": family["_id"]}
        )
        metrics.count(metrics.REFRESH_TOKEN_REUSE)


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
