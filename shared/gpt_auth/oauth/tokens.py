"""Opaque tokens: minted at random behind a type prefix, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import re
import secrets

ACCESS_TOKEN = "gat_"
REFRESH_TOKEN = "grt_"
AUTHORIZATION_CODE = "gac_"
AUTHORIZATION_REQUEST = "gar_"  # our state at the provider: a pending sign-in
SIGN_IN_COOKIE = "gsc_"  # binds a pending sign-in to the browser that started it

# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet.
_BODY = re.compile(r"[A-Za-z0-9_-]{43}")


def mint(prefix: str) -> str:
    """A new token of the given type, e.g. ``mint(ACCESS_TOKEN)``."""
    return prefix + secrets.token_urlsafe(32)


def is_well_formed(token: str, prefix: str) -> bool:
    """True when ``token`` has the shape of a token of that type; checked before any database call."""
    return token.startswith(prefix) and _BODY.fullmatch(token, len(prefix)) is not None


def hash_token(token: str) -> str:
    """The hex SHA-256 under which a token is stored."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()
