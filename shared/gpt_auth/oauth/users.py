"""People who signed in: one record per provider issuer and subject, holding no provider token.

A user's id is ``<issuer>#<sub>``: OpenID Connect's unique, never reassigned identifier of a
person (the subject is unique only within its issuer). An issuer URL has no fragment, so the
first ``#`` separates the two. The id is a stable string: it keys other records (sessions,
codes) and may serve as associated data when something is encrypted for the user.

An e-mail address is stored only when the provider says it verified it (``email_verified``),
so an address someone merely typed into an account can never be matched by ``make revoke``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gpt_auth.runtime import db

ID_SEPARATOR = "#"

COLLECTION = db.Stored(
    "users",
    about="Your Google account",
    holds="its id, your email address and your name, to know who signed in. Kept until you erase it.",
    indexes=(("email", {}),),  # make revoke USER=<email>
    user_field="_id",
)


def user_id(issuer: str, sub: str) -> str:
    """The id of the user ``sub`` at ``issuer`` (a trailing slash of the issuer does not count)."""
    return f"{issuer.rstrip('/')}{ID_SEPARATOR}{sub}"


def email_is_verified(claims: Mapping[str, Any]) -> bool:
    """True when the ID token says the e-mail is verified: ``true``, or the string ``"true"``
    that some providers send (Google did, for years)."""
    verified = claims.get("email_verified")
    return verified is True or (isinstance(verified, str) and verified.strip().lower() == "true")


def upsert_user(*, issuer: str, claims: Mapping[str, Any], now: datetime | None = None) -> str:
    """Create or refresh the user the verified ID token ``claims`` name; returns the user id.

    Parameters
    ----------
    issuer
        The provider's issuer as configured (not the token's ``iss``, which Google also sends
        without its scheme), so the id is the same whichever form the token used.
    claims
        The ID token's claims: ``sub`` (required), ``email`` with ``email_verified``, ``name``.
        A name the provider did not send leaves the stored one as it was; an e-mail it did not
        send, or did not verify, is removed.
    """
    when = now or db.now()
    sub = str(claims["sub"])
    fields: dict[str, Any] = {"sub": sub, "issuer": issuer.rstrip("/"), "last_login_at": when}
    update: dict[str, Any] = {"$set": fields, "$setOnInsert": {"created_at": when}}
    email = claims.get("email")
    if isinstance(email, str) and email and email_is_verified(claims):
        fields["email"] = email
    else:
        update["$unset"] = {"email": ""}
    name = claims.get("name")
    if isinstance(name, str):
        fields["name"] = name
    key = user_id(issuer, sub)
    db.collection(COLLECTION).update_one({"_id": key}, update, upsert=True)
    return key
