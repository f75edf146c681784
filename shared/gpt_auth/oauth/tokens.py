"""Opaque tokens: minted at random behind a type prefix, stored only as keyed hashes.

A token is stored as its HMAC-SHA256 under the first key of ``TOKEN_HASH_KEYS`` (``hash_token``)
and looked up under every key of that ring (``lookup``), so a key can be rotated without signing
anyone out, and a store without the key can neither check a token nor write one that works.

A refresh token also names its family: ``grt_<family tag>.<random>``, hashed as a whole, so any
token a family ever issued leads back to it (theft detection) without the family storing them.
The tag is random and stored only hashed (``family_tag_hash``); it is not the family's ``_id``,
which logs show, so a log holds no piece of a token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

ACCESS_TOKEN = "gat_"
REFRESH_TOKEN = "grt_"
AUTHORIZATION_CODE = "gac_"
AUTHORIZATION_REQUEST = "gar_"  # our state at the provider: a pending sign-in
SIGN_IN_COOKIE = "gsc_"  # binds a pending sign-in to the browser that started it
REGISTERED_CLIENT = "gcl_"  # an RFC 7591 client_id: not a secret, just unguessable and ours

# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet; a family tag, 22.
_BODY = re.compile(r"[A-Za-z0-9_-]{43}")
_REFRESH_BODY = re.compile(r"([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}")


def mint(prefix: str) -> str:
    """A new token of the given type, e.g. ``mint(ACCESS_TOKEN)`` (a refresh token: of a new family)."""
    if prefix == REFRESH_TOKEN:
        return mint_refresh_token(new_family_tag())
    return prefix + secrets.token_urlsafe(32)


def new_family_tag() -> str:
    return secrets.token_urlsafe(16)


def mint_refresh_token(family_tag: str) -> str:
    """A new refresh token of the family tagged ``family_tag`` (from ``new_family_tag``)."""
    return f"{REFRESH_TOKEN}{family_tag}.{secrets.token_urlsafe(32)}"


def family_tag(refresh_token: str) -> str | None:
    """The family tag a well-formed refresh token names, else None."""
    if not refresh_token.startswith(REFRESH_TOKEN):
        return None
    match = _REFRESH_BODY.fullmatch(refresh_token, len(REFRESH_TOKEN))
    return match.group(1) if match else None


def is_well_formed(token: str, prefix: str) -> bool:
    """True when ``token`` has the shape of a token of that type; checked before any database call."""
    if prefix == REFRESH_TOKEN:
        return family_tag(token) is not None
    return token.startswith(prefix) and _BODY.fullmatch(token, len(prefix)) is not None


def hash_token(token: str) -> str:
    """The hex HMAC-SHA256 under which a token is stored: keyed by the first ``TOKEN_HASH_KEYS`` key."""
    return _keyed(_hash_keys()[0], token)


# A query's value for a stored hash: one hash, or {"$in": [a hash per key]}.
Lookup = str | dict[str, Any]


def lookup(token: str) -> Lookup:
    """What a stored hash of ``token`` equals, for a query: its hash under each ``TOKEN_HASH_KEYS``
    key, a plain value when the ring holds one key (the usual case), an ``$in`` during a rotation."""
    hashes = [_keyed(key, token) for key in _hash_keys()]
    return hashes[0] if len(hashes) == 1 else {"$in": hashes}


def _keyed(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode("ascii"), hashlib.sha256).hexdigest()


def _hash_keys() -> list[bytes]:
    from gpt_auth.runtime.settings import get_settings

    return [key for _, key in get_settings().token_hash_keys.keys]
