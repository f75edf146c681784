"""Sessions: one document per token family (one sign-in), holding only hashes of our tokens.

The rotation rule (docs/architecture.md, 'Token lifecycle'): presenting the ``current`` refresh
token rotates it; the rotated one becomes ``previous`` and is still accepted for
``REFRESH_TOKEN_GRACE`` seconds after that rotation (a lost or slow answer, a retry). A retry
inside that window gets a ``retry`` pair, and the first successor stays valid beside it until one
of the two is presented; then the other retires. Any other token the family issued is retired:
presenting it revokes the family (theft), however many rotations ago it was issued, since a
refresh token names its family (``grt_<family tag>.<random>``): nothing per token is kept. A
family rotates at most ``REFRESH_ROTATIONS_PER_HOUR`` times per hour (then 429), and lives
``SESSION_MAX_AGE`` at most from its sign-in, and ``REFRESH_TOKEN_TTL`` without a refresh.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from pymongo import ReturnDocument

from gpt_auth.oauth.tokens import (
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    Lookup,
    family_tag,
    hash_token,
    is_well_formed,
    lookup,
    mint,
    mint_refresh_token,
    new_family_tag,
)
from gpt_auth.runtime import db, metrics
from gpt_auth.runtime.errors import TooManyRequests
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.settings import DEFAULT_REFRESH_ROTATIONS_PER_HOUR

if TYPE_CHECKING:
    from gpt_auth.runtime.settings import Settings

# A family's rotations are counted from ``rotations_since``; once the bound is reached the count
# starts again only when that is an hour old, so no hour sees more than twice the bound.
ROTATION_WINDOW = timedelta(hours=1)
SLOW_DOWN = "This sign-in refreshed its tokens too often; try again later."

# A session decides who is signed in, and rotation is a compare-and-set: the primary, a majority.
COLLECTION = db.Stored(
    "sessions",
    about="Your sign-in with the GPT",
    holds=(
        "your id and only fingerprints (SHA-256 hashes) of the tokens ChatGPT holds, never the tokens. "
        "An access token works for {access}; the sign-in ends after {refresh} without use, {longest} "
        "after you signed in at the latest, or when you disconnect."
    ),
    indexes=(
        db.expiring(),
        ("access_token_hash", {"unique": True}),
        ("refresh_token_hash", {"unique": True}),
        ("previous_refresh_token_hash", {}),
        ("retry_refresh_token_hash", {}),
        ("retry_access_token_hash", {}),
        ("family_tag_hash", {}),
        ("user_id", {}),
        ("code_hash", {}),
    ),
    strict=True,
    user_field="user_id",
)


# NamedTuples, not frozen dataclasses: a dataclass compiles its methods when this module is
# imported, at every cold start.
class IssuedTokens(NamedTuple):
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


class Lifetimes(NamedTuple):
    """Seconds: an access token, inactivity of a family, the retry window, a family's whole life;
    and the rotations a family may make per hour."""

    access: int
    refresh: int
    grace: int
    max_age: int
    rotations_per_hour: int = DEFAULT_REFRESH_ROTATIONS_PER_HOUR

    @classmethod
    def from_settings(cls, settings: Settings) -> Lifetimes:
        return cls(
            settings.access_token_ttl,
            settings.refresh_token_ttl,
            settings.refresh_token_grace,
            settings.session_max_age,
            settings.refresh_rotations_per_hour,
        )


def _live(when: datetime) -> dict[str, Any]:
    return {"revoked_at": None, "refresh_expires_at": {"$gt": when}, "session_expires_at": {"$gt": when}}


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
    resource: str | None = None,
) -> IssuedTokens:
    """Start a new token family and return its first token pair.

    ``resource`` is the URL its tokens are for (RFC 8707): the MCP endpoint's, or None for the
    GPT's actions; a token is accepted only where its family's resource is the one asked for.

    ``access_token`` and ``refresh_token`` make that pair instead of minted tokens (local seeding
    of the sample events); the family then takes the tag ``refresh_token`` names.
    """
    when = now or db.now()
    family_id = secrets.token_urlsafe(16)
    tag = (family_tag(refresh_token) if refresh_token else None) or new_family_tag()
    access = access_token or mint(ACCESS_TOKEN)
    refresh = refresh_token or mint_refresh_token(tag)
    refresh_expires = when + timedelta(seconds=lifetimes.refresh)
    refresh_hash = hash_token(refresh)
    db.collection(COLLECTION).insert_one(
        {
            "_id": family_id,
            "user_id": user_id,
            "client_id": client_id,
            "resource": resource,
            "scope": scope,
            "code_hash": code_hash,
            "access_token_hash": hash_token(access),
            "access_expires_at": when + timedelta(seconds=lifetimes.access),
            "access_scope": None,
            "refresh_token_hash": refresh_hash,
            "previous_refresh_token_hash": None,
            "grace_ends_at": None,
            **_NO_RETRY,
            "family_tag_hash": hash_token(tag),
            "rotations": 0,
            "rotations_since": when,
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
    token: str,
    *,
    client_id: str | None = None,
    resource: str | tuple[str, ...] | None = None,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """The live session an access token belongs to, or None. Malformed tokens cost no query.

    Only sessions bound to ``resource`` (or to one of several) count (None: the GPT's actions,
    whose sessions have none), and of ``client_id`` (default without ``resource``: the GPT
    client, ``GPT_CLIENT_ID``; with it, any client).
    """
    if not is_well_formed(token, ACCESS_TOKEN):
        return None
    if client_id is None and resource is None:
        from gpt_auth.runtime.settings import get_settings

        client_id = get_settings().gpt_client_id
    when = now or db.now()
    presented = lookup(token)
    sessions = db.collection(COLLECTION, read_only=True)
    # {"resource": None} also matches families stored before the field existed (the GPT's).
    # Several resources are checked here, not with $in, which nx-27017 mis-evaluates beside a
    # hash lookup; a token hash names one family, so this decides the same.
    several = isinstance(resource, tuple)
    live = {**({} if several else {"resource": resource}), **({"client_id": client_id} if client_id else {})}
    live.update(_live(when))
    # Two lookups, no $or: the common case (the current pair) costs one.
    for field, expires, scope in _ACCESS_TOKEN_SLOTS:
        found = sessions.find_one(
            {field: presented, expires: {"$gt": when}, **live},
            {"user_id": 1, "client_id": 1, "scope": 1, scope: 1, "resource": 1},
        )
        if found is not None:
            if isinstance(resource, tuple) and found.get("resource") not in resource:
                return None
            narrower = found.pop(scope, None)  # issued for less than the family's grant
            if narrower is not None:
                found["scope"] = narrower
            return found
    return None


def grant_of_refresh_token(
    token: str, *, client_id: str, now: datetime | None = None
) -> dict[str, Any] | None:
    """The ``scope`` and ``resource`` of the live family for which this refresh token is still accepted."""
    if not is_well_formed(token, REFRESH_TOKEN):
        return None
    when = now or db.now()
    presented = lookup(token)
    sessions = db.collection(COLLECTION)
    live = {"client_id": client_id, **_live(when)}
    for accepted in ({_CURRENT: presented}, {_RETRY: presented}, _inside_window(presented, when)):
        found = sessions.find_one({**accepted, **live}, {"scope": 1, "resource": 1})
        if found is not None:
            return found
    return None


def _inside_window(presented: Lookup, when: datetime) -> dict[str, Any]:
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
        ``grant_of_refresh_token``); None gives it the family's whole scope. The family keeps
        its scope either way (RFC 6749 section 6).

    Raises
    ------
    TooManyRequests
        The family has used its ``rotations_per_hour`` (429 with ``Retry-After``); nothing changes.
    """
    tag = family_tag(token)
    if tag is None:
        return None
    when = now or db.now()
    family = {"family_tag_hash": lookup(tag), "client_id": client_id, **_live(when)}
    issued = _rotate(token, tag, family, lifetimes, scope, when)
    if issued is None and _restart_rotation_count(lookup(token), family, lifetimes, when):
        issued = _rotate(token, tag, family, lifetimes, scope, when)
    return issued


def _rotate(
    token: str, tag: str, family: dict[str, Any], lifetimes: Lifetimes, scope: str | None, when: datetime
) -> IssuedTokens | None:
    presented = lookup(token)
    sessions = db.collection(COLLECTION)
    access, refresh = mint(ACCESS_TOKEN), mint_refresh_token(tag)
    new_refresh = hash_token(refresh)
    access_expires = when + timedelta(seconds=lifetimes.access)
    refresh_expires = when + timedelta(seconds=lifetimes.refresh)
    inactivity = {"refresh_expires_at": refresh_expires, "expires_at": refresh_expires}
    # Every step needs the family live and its rotation count under the bound.
    live = {**family, "rotations": {"$lt": lifetimes.rotations_per_hour}}
    # Presenting current, or the retry token: it becomes previous (with a fresh window), the
    # new pair becomes current, and the other of the two retires. Two updates, no $or: the
    # common case costs one, and nx-27017 mis-evaluates an $or beside other conditions.
    updated = None
    for accepted in (_CURRENT, _RETRY):
        updated = sessions.find_one_and_update(
            {accepted: presented, **live},
            {
                "$set": {
                    _CURRENT: new_refresh,
                    "access_token_hash": hash_token(access),
                    "access_expires_at": access_expires,
                    "access_scope": scope,
                    "previous_refresh_token_hash": hash_token(token),
                    "grace_ends_at": when + timedelta(seconds=lifetimes.grace),
                    **_NO_RETRY,
                    **inactivity,
                    "family_tag_hash": hash_token(tag),  # under the first key, after a rotation too
                    "rotated_at": when,
                },
                "$inc": {"rotations": 1},
            },
            projection={"scope": 1},
            return_document=ReturnDocument.AFTER,
        )
        if updated is not None:
            break
    if updated is None:
        # Presenting previous inside its window (a retry): the new pair becomes the retry pair,
        # replacing an earlier retry's; current, the first successor, stays as it is.
        updated = sessions.find_one_and_update(
            {**_inside_window(presented, when), **live},
            {
                "$set": {
                    _RETRY: new_refresh,
                    "retry_access_token_hash": hash_token(access),
                    "retry_access_expires_at": access_expires,
                    "retry_access_scope": scope,
                    **inactivity,
                    "family_tag_hash": hash_token(tag),
                },
                "$inc": {"rotations": 1},
            },
            projection={"scope": 1},
            return_document=ReturnDocument.AFTER,
        )
    if updated is None:
        _revoke_if_retired(live, when)
        return None
    granted = updated["scope"] if scope is None else scope
    return IssuedTokens(access, refresh, lifetimes.access, granted, updated["_id"])


def _revoke_if_retired(live: dict[str, Any], when: datetime) -> bool:
    """A retired token of a live family was presented: theft detected, the whole family goes.

    Every step above refused the token although its family is live and under the rotation
    bound, so it is none the family accepts: the family issued it and rotated past it (or
    someone who knows the family's tag, from one of its tokens, wrote one). A concurrent
    rotation cannot make it acceptable meanwhile: only new tokens become current or retry.
    """
    family = db.collection(COLLECTION).find_one_and_update(
        live,
        {"$set": {"revoked_at": when}},
        projection={"_id": 1},
    )
    if family is not None:
        logger.warning(
            "retired refresh token presented; its family is revoked", extra={"family_id": family["_id"]}
        )
        metrics.count(metrics.REFRESH_TOKEN_REUSE)
    return family is not None


def _restart_rotation_count(
    presented: Lookup, family: dict[str, Any], lifetimes: Lifetimes, when: datetime
) -> bool:
    """After a refusal: True when the family had reached its rotation bound an hour or more after
    its count began, and the count starts again now (the caller tries once more). A retired
    token presented while the bound is reached still revokes the family.

    Raises
    ------
    TooManyRequests
        The family reached the bound less than an hour after its count began, and the token is
        one it accepts.
    """
    sessions = db.collection(COLLECTION)
    spent = {**family, "rotations": {"$gte": lifetimes.rotations_per_hour}}
    restarted = sessions.find_one_and_update(
        {**spent, "rotations_since": {"$lte": when - ROTATION_WINDOW}},
        {"$set": {"rotations": 0, "rotations_since": when}},
        projection={"_id": 1},
    )
    if restarted is not None:
        return True
    found = sessions.find_one(spent, {"rotations_since": 1})
    if found is None:
        return False  # not live, or under the bound: refused for another reason
    accepted = (
        {_CURRENT: presented},
        {_RETRY: presented},
        _inside_window(presented, when),
    )
    if all(sessions.find_one({**spent, **state}, {"_id": 1}) is None for state in accepted):
        _revoke_if_retired(spent, when)
        return False
    since = found.get("rotations_since")
    wait = since + ROTATION_WINDOW - when if isinstance(since, datetime) else ROTATION_WINDOW
    logger.warning("refresh rotations over the bound; refused", extra={"family_id": found["_id"]})
    raise TooManyRequests(SLOW_DOWN, retry_after=max(1, int(wait.total_seconds()) + 1))


def revoke(query: dict[str, Any], now: datetime | None = None) -> int:
    """Revoke every live session matching ``query``; returns how many were revoked."""
    result = db.collection(COLLECTION).update_many(
        {**query, "revoked_at": None}, {"$set": {"revoked_at": now or db.now()}}
    )
    return result.modified_count


def revoke_family(family_id: str, now: datetime | None = None) -> int:
    return revoke({"_id": family_id}, now)


def revoke_issued_from_code(code_hash: Lookup, now: datetime | None = None) -> int:
    return revoke({"code_hash": code_hash}, now)
