"""PKCE (RFC 7636) with S256: for our requests to the identity provider, and enforced for the GPT.

Towards the provider we send an S256 challenge and keep its verifier. From the GPT, a
``code_challenge`` is optional (ChatGPT sends none); when sent it must be S256 (``plain`` is
refused, RFC 9700 2.1.1), and then the code it is bound to is redeemed only with the matching
``code_verifier``. A ``code_verifier`` sent for a code issued without a challenge is refused
too (RFC 9700 2.1.1: a downgrade attempt, or a client that lost track of its own request).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from gpt_auth.runtime.errors import InvalidGrant

S256 = "S256"
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # BASE64URL of a SHA-256, unpadded
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 4.1


def new_verifier() -> str:
    """A fresh code verifier: 64 random bytes, 86 URL-safe characters (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(64)


def s256_challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(ASCII(verifier)))`` without padding (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def challenge_error(challenge: str | None, method: str | None) -> str | None:
    """Why the GPT's ``code_challenge`` / ``code_challenge_method`` cannot be honoured, or None."""
    if challenge is None:
        return "code_challenge_method was sent without code_challenge." if method is not None else None
    if method != S256:
        # RFC 7636 4.3: a challenge without a method is "plain".
        return "Only code_challenge_method=S256 is supported; plain is refused."
    if not CHALLENGE.fullmatch(challenge):
        return "code_challenge must be 43 base64url characters (an S256 challenge)."
    return None


def verifier_error(verifier: str | None) -> str | None:
    """Why a ``code_verifier`` is malformed (RFC 7636 4.1), or None (also when absent)."""
    if verifier is None or VERIFIER.fullmatch(verifier):
        return None
    return "code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'."


def check_verifier(challenge: str | None, verifier: str | None) -> None:
    """Hold a code's challenge against the token request's verifier.

    Raises
    ------
    InvalidGrant
        A challenge without its matching verifier, or a verifier for a code without a challenge.
    """
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant(
                "A code_verifier was sent, but the authorization request had no code_challenge."
            )
        return
    if verifier is None:
        raise InvalidGrant("The code_verifier is missing; the authorization request had a code_challenge.")
    if not secrets.compare_digest(s256_challenge(verifier), challenge):
        raise InvalidGrant(
            "The code_verifier does not match the code_challenge of the authorization request."
        )
