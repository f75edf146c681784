"""Our one-time authorization codes: minted at Google's callback, redeemed at the token endpoint.

A code lives about two minutes (ChatGPT sends no PKCE), is bound to the client, the redirect
URI, the user, the scope and, for an MCP client, its PKCE challenge and resource, and works
once. Presenting it again is refused (RFC 6749 section
4.1.2). A duplicate (the same client, the same redirect_uri, within
``DUPLICATE_WINDOW_SECONDS`` of the first use: ChatGPT has been seen sending one exchange twice
within a second) is only refused, and counted (``DuplicateCodeExchanges``); any other second
presentation marks the code replayed, and the token endpoint then revokes every session issued
from it. The window is short because inside it whoever redeemed first keeps the tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ReturnDocument

from gpt_auth.oauth.tokens import AUTHORIZATION_CODE, Lookup, hash_token, is_well_formed, lookup, mint
from gpt_auth.runtime import db, metrics
from gpt_auth.runtime.log import logger

CODE_TTL_SECONDS = 120
DUPLICATE_WINDOW_SECONDS = 2

# A code decides who is signed in: it reads the primary and writes to a majority (db.Stored.strict).
COLLECTION = db.Stored(
    "authorization_codes",
    about="Your sign-in code",
    holds=(
        "the fingerprint of the one-time code ChatGPT exchanges for its tokens, with your id. It works "
        f"once, and is deleted {CODE_TTL_SECONDS // 60} minutes after you signed in."
    ),
    indexes=(db.expiring(),),
    strict=True,
    user_field="user_id",
)


@dataclass(frozen=True)
class CodeGrant:
    """What a redeemed code was bound to. ``code_hash`` ties issued sessions to the code."""

    client_id: str
    redirect_uri: str
    user_id: str
    scope: str
    code_hash: str
    code_challenge: str | None = None  # the client's PKCE S256 challenge (an MCP client's always)
    resource: str | None = None  # an MCP client's binding (gpt_auth.oauth.resources); None: the GPT's


def issue_code(
    *,
    client_id: str,
    redirect_uri: str,
    user_id: str,
    scope: str,
    now: datetime | None = None,
    code: str | None = None,
    code_challenge: str | None = None,
    resource: str | None = None,
) -> str:
    """Mint and store a new code; returns the code itself (only its hash is stored).

    ``code`` stores that value instead of a minted one (local seeding of the sample events).
    """
    when = now or db.now()
    code = code or mint(AUTHORIZATION_CODE)
    db.collection(COLLECTION).insert_one(
        {
            "_id": hash_token(code),
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "user_id": user_id,
            "scope": scope,
            "code_challenge": code_challenge,
            "resource": resource,
            "created_at": when,
            "expires_at": when + timedelta(seconds=CODE_TTL_SECONDS),
            "used_at": None,
            "replayed_at": None,
        }
    )
    return code


def redeem_code(
    code: str,
    *,
    client_id: str | None = None,
    redirect_uri: str | None = None,
    now: datetime | None = None,
) -> CodeGrant | None:
    """Use a code once. Returns None when it is malformed, unknown, expired or already used.

    Parameters
    ----------
    client_id, redirect_uri
        The authenticated client presenting the code and the redirect_uri it sent; recorded at
        the first use, so that a second presentation with the same two within
        ``DUPLICATE_WINDOW_SECONDS`` counts as a duplicate (refused, nothing marked). Any other
        second presentation sets ``replayed_at``; see ``was_replayed``.
    """
    if not is_well_formed(code, AUTHORIZATION_CODE):
        return None
    when = now or db.now()
    # Only updates codes that issue_code inserted, after it ensured the indexes: no round trip here.
    codes = db.collection(COLLECTION, read_only=True)
    code_hash = lookup(code)
    record = codes.find_one_and_update(
        {"_id": code_hash, "used_at": None, "expires_at": {"$gt": when}},
        {"$set": {"used_at": when, "used_by_client_id": client_id, "used_with_redirect_uri": redirect_uri}},
        return_document=ReturnDocument.AFTER,
    )
    if record is None:
        if not _is_duplicate(code_hash, client_id, redirect_uri, when):
            codes.update_one({"_id": code_hash, "used_at": {"$ne": None}}, {"$set": {"replayed_at": when}})
        return None
    return CodeGrant(
        record["client_id"],
        record["redirect_uri"],
        record["user_id"],
        record["scope"],
        record["_id"],
        record.get("code_challenge"),
        record.get("resource"),
    )


def _is_duplicate(code_hash: Lookup, client_id: str | None, redirect_uri: str | None, when: datetime) -> bool:
    """The first use was by this client with this redirect_uri, moments ago (fields set once)."""
    if client_id is None or redirect_uri is None:
        return False
    first_use = {
        "_id": code_hash,
        "used_by_client_id": client_id,
        "used_with_redirect_uri": redirect_uri,
        "used_at": {"$gt": when - timedelta(seconds=DUPLICATE_WINDOW_SECONDS)},
    }
    if db.collection(COLLECTION, read_only=True).find_one(first_use, {"_id": 1}) is None:
        return False
    logger.info("duplicate code exchange refused; the first one's tokens are kept")
    metrics.count(metrics.DUPLICATE_CODE_EXCHANGES)
    return True


def was_replayed(code_hash: Lookup) -> bool:
    """True when the code was presented again after its first use (``code_hash``: the stored hash,
    or ``tokens.lookup`` of the code)."""
    record = db.collection(COLLECTION, read_only=True).find_one({"_id": code_hash}, {"replayed_at": 1})
    return record is not None and record.get("replayed_at") is not None
