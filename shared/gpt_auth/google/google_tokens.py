"""Google grants: per user, the tokens Google gave us to act for them, encrypted at rest.

One document per user in ``google_grants`` (``_id`` = our user id): the refresh token, the current
access token and its expiry, the scopes Google granted, and when they were issued and last
refreshed. Token values are AES-256-GCM ciphertexts (``gpt_auth.google.token_cipher``) bound to the user
id and field, so a value copied to another record does not decrypt.

Actions call ``access_token_for`` for a valid access token: the stored one while it has more than
``REFRESH_MARGIN`` left, else a fresh one from Google, stored with a compare-and-set on
``version`` so two containers refreshing at once both answer and the store keeps one result.
Google's ``invalid_grant`` ends the user's sessions with us and deletes the grant: the action
answers 401 and ChatGPT offers sign-in. An outage at Google answers 503 with ``Retry-After``.

``cryptography`` and ``requests`` are imported only when a token is sealed, opened or refreshed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from gpt_auth.google import provider
from gpt_auth.google.provider import TokenResponse
from gpt_auth.oauth import sessions
from gpt_auth.runtime import db, metrics
from gpt_auth.runtime.errors import InsufficientScope, InvalidToken, ServiceUnavailable
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.settings import get_settings

# An access token this close to its expiry is refreshed first, so a call to Google with it
# (and clock skew between Google and us) cannot outlive it.
REFRESH_MARGIN = timedelta(seconds=120)
# When Google's answer names no lifetime (RFC 6749 makes expires_in optional).
DEFAULT_ACCESS_SECONDS = 3600

SIGN_IN_AGAIN = (
    "Access to your Google account has ended (it was removed, your password changed, or it expired). "
    "Sign in again from ChatGPT to continue."
)
FIELDS = ("refresh_token", "access_token")
# Google answers the scopes "email" and "profile" by their long names.
SCOPE_ALIASES = {
    "https://www.googleapis.com/auth/userinfo.email": "email",
    "https://www.googleapis.com/auth/userinfo.profile": "profile",
}

# A grant is refreshed by compare-and-set and deleted when Google refuses it: a secondary that has
# not seen a new sign-in's grant would sign the user out, a deletion on one node can be rolled back.
COLLECTION = db.Stored(
    "google_grants",
    about="Google's access to your account",
    holds=(
        "the tokens Google gives for reading your calendar, encrypted (AES-256-GCM). Deleted after "
        "{refresh} without use, or as soon as Google refuses them, for example after you remove access."
    ),
    indexes=(db.expiring(),),
    strict=True,
    user_field="_id",
)


@dataclass(frozen=True, repr=False)
class Grant:
    """A stored grant, its tokens decrypted. Its repr shows no token."""

    user_id: str
    refresh_token: str | None
    access_token: str | None
    access_expires_at: datetime | None
    scopes: frozenset[str]
    version: int

    def __repr__(self) -> str:
        return f"Grant(user_id={self.user_id!r}, scopes={sorted(self.scopes)!r}, version={self.version})"

    def live_access_token(self, when: datetime) -> str | None:
        if self.access_token and self.access_expires_at and self.access_expires_at - REFRESH_MARGIN > when:
            return self.access_token
        return None


def save_from_callback(
    user_id: str, tokens: TokenResponse, *, requested_scopes: Iterable[str], now: datetime | None = None
) -> None:
    """Store what Google's code exchange gave for ``user_id``, replacing the previous grant.

    A refresh token Google did not send again (it sends one only with the consent screen) leaves
    the stored one in place. The granted scopes are Google's ``scope`` answer (the person may
    have unticked some), or the requested ones when it sent none (RFC 6749 5.1).

    Raises
    ------
    ConfigError
        ``TOKEN_ENCRYPTION_KEYS`` is not set.
    """
    if tokens.access_token is None and tokens.refresh_token is None:
        return
    when = now or db.now()
    fields: dict[str, Any] = {
        "scopes": granted_scopes(tokens, requested_scopes),
        "refreshed_at": None,
        "expires_at": _grant_expiry(when),
    }
    fields |= _access_fields(user_id, tokens, when)
    if tokens.refresh_token is not None:
        fields |= {"refresh_token": _seal(user_id, "refresh_token", tokens.refresh_token), "issued_at": when}
    db.collection(COLLECTION).update_one(
        {"_id": user_id}, {"$set": fields, "$inc": {"version": 1}}, upsert=True
    )


def holds_refresh_token(user_id: str, *, covering: Iterable[str] = (), now: datetime | None = None) -> bool:
    """Whether a live grant with a refresh token for at least the scopes ``covering`` is stored.

    A refresh token serves the scopes of the consent it came from: when a sign-in grants more
    (the person allowed a scope they had unticked), only a new refresh token covers them.
    """
    query: dict[str, Any] = {"_id": user_id, "refresh_token": {"$type": "string"}}
    wanted = sorted({SCOPE_ALIASES.get(name, name) for name in covering})
    if wanted:
        query["scopes"] = {"$all": wanted}
    found = db.collection(COLLECTION).find_one({**query, "expires_at": {"$gt": now or db.now()}}, {"_id": 1})
    return found is not None


def granted_scopes(tokens: TokenResponse, requested: Iterable[str]) -> list[str]:
    """The scopes a token response grants: its ``scope``, else the requested ones (RFC 6749 5.1)."""
    return _scopes(tokens.scope, requested)


def access_token_for(user_id: str, *, scope: str | Iterable[str] = (), now: datetime | None = None) -> str:
    """A Google access token for ``user_id`` that holds ``scope`` and outlives ``REFRESH_MARGIN``.

    Parameters
    ----------
    user_id
        The session's ``user_id``.
    scope
        The Google scopes the action needs (a space-separated string or an iterable).

    Raises
    ------
    InsufficientScope
        The person did not grant a needed scope (403, ``WWW-Authenticate`` names it).
    InvalidToken
        There is no usable grant, or Google refused it: the user's sessions are revoked (401).
    ServiceUnavailable
        Google is unreachable, slow or failing (503 with ``Retry-After``); nothing is revoked.
    UpstreamError
        Google refused our client credentials or answered nonsense (502).
    ConfigError
        ``TOKEN_ENCRYPTION_KEYS`` is not set. (A stored token that does not open, its key id
        unknown or malformed included, is an ``InvalidToken``: the grant is dropped.)
    """
    when = now or db.now()
    grant = _checked(user_id, scope, when)
    return grant.live_access_token(when) or _refresh(grant, when)


def after_unauthorized(
    user_id: str, rejected_token: str, *, scope: str | Iterable[str] = (), now: datetime | None = None
) -> str:
    """A new access token after Google's API answered 401 for ``rejected_token``.

    Forces one refresh even though the token has not expired, so a removed grant shows up as
    ``invalid_grant`` at once. When another container already replaced the rejected token, its
    replacement is returned instead. Raises as ``access_token_for`` does.
    """
    when = now or db.now()
    grant = _checked(user_id, scope, when)
    live = grant.live_access_token(when)
    if live is not None and live != rejected_token:
        return live
    return _refresh(grant, when)


def force_refresh(user_id: str, *, scope: str | Iterable[str] = (), now: datetime | None = None) -> str:
    """A new access token from Google whatever the stored one's expiry. Raises as ``access_token_for``."""
    when = now or db.now()
    return _refresh(_checked(user_id, scope, when), when)


def load(user_id: str, now: datetime | None = None, *, expired_too: bool = False) -> Grant | None:
    """The stored grant of ``user_id`` with its tokens decrypted, or None.

    ``expired_too`` also returns one past its ``expires_at`` that the TTL index has not deleted
    yet: unusable here, but its refresh token may still work at Google, so it is revoked there.

    Raises
    ------
    ConfigError
        ``TOKEN_ENCRYPTION_KEYS`` is not set.
    UndecryptableToken
        A stored token is malformed, names a key the ring lacks, was altered or copied from
        another record.
    """
    query: dict[str, Any] = {"_id": user_id}
    if not expired_too:
        query["expires_at"] = {"$gt": now or db.now()}
    found = db.collection(COLLECTION, read_only=True).find_one(query)
    if found is None:
        return None
    opened = {name: _open(user_id, name, found.get(name)) for name in FIELDS}
    return Grant(
        user_id=user_id,
        refresh_token=opened["refresh_token"],
        access_token=opened["access_token"],
        access_expires_at=found.get("access_expires_at"),
        scopes=frozenset(found.get("scopes") or ()),
        version=int(found.get("version") or 0),
    )


def delete(user_id: str, version: int | None = None) -> bool:
    """Delete the grant (only at ``version`` when given); whether one was deleted."""
    query: dict[str, Any] = {"_id": user_id}
    if version is not None:
        query["version"] = version
    return db.collection(COLLECTION).delete_one(query).deleted_count == 1


def revoke_at_google(user_id: str) -> str:
    """Revoke the user's grant at Google (RFC 7009) and delete it here.

    A grant past its ``expires_at`` is revoked too: the store no longer uses it, but its refresh
    token may still work at Google.

    Returns
    -------
    str
        ``"revoked"``; ``"none"`` when no grant is stored; ``"unsupported"`` when the provider
        announces no revocation endpoint (the grant is deleted here all the same);
        ``"undecryptable"`` when it does not open (deleted here: nothing can use it, nor send it
        to Google).

    Raises
    ------
    UpstreamError
        Google could not be reached or failed: the grant is kept, so running again retries.
    """
    from gpt_auth.google import token_cipher

    try:
        grant = load(user_id, expired_too=True)
    except token_cipher.UndecryptableToken as exc:
        logger.error("a stored Google grant does not decrypt; deleted unrevoked", extra={"reason": str(exc)})
        delete(user_id)
        return "undecryptable"
    if grant is None:
        return "none"
    token = grant.refresh_token or grant.access_token
    revoked = token is not None and provider.current().revoke(token)
    delete(user_id)
    return "revoked" if revoked else "unsupported"


def _checked(user_id: str, scope: str | Iterable[str], when: datetime) -> Grant:
    from gpt_auth.google import token_cipher

    try:
        grant = load(user_id, when)
    except token_cipher.UndecryptableToken as exc:
        logger.error("a stored Google grant does not decrypt; it is dropped", extra={"reason": str(exc)})
        _end(user_id, None)
    if grant is None:
        _end(user_id, None)
    needed = tuple(scope.split()) if isinstance(scope, str) else tuple(scope)
    missing = tuple(s for s in dict.fromkeys(needed) if SCOPE_ALIASES.get(s, s) not in grant.scopes)
    if missing:
        raise InsufficientScope(missing)
    return grant


def _refresh(grant: Grant, when: datetime) -> str:
    if grant.refresh_token is None:
        _end(grant.user_id, grant.version)
    config = get_settings()
    try:
        tokens = provider.current().refresh(
            refresh_token=grant.refresh_token,
            client_id=config.google_client_id,
            client_secret=config.google_client_secret,
        )
    except ServiceUnavailable:
        metrics.count(metrics.GOOGLE_UNAVAILABLE)
        raise
    except provider.GrantRefused:
        # Another container may have replaced this grant meanwhile (a new sign-in, a rotated
        # refresh token): Google's refusal was of the old one, so the replacement serves (refreshed
        # in its turn when its access token is due) and nobody is signed out.
        from gpt_auth.google import token_cipher

        try:
            current = load(grant.user_id, when)
        except token_cipher.UndecryptableToken:
            current = None
        if current is not None and current.version != grant.version:
            return current.live_access_token(when) or _refresh(current, when)
        _end(grant.user_id, grant.version)
    assert tokens.access_token is not None  # provider.refresh guarantees it
    metrics.count(metrics.GOOGLE_REFRESHES)
    # The refresh token is sealed again on every refresh, so a rotated key takes over.
    fields: dict[str, Any] = {
        "refresh_token": _seal(grant.user_id, "refresh_token", tokens.refresh_token or grant.refresh_token),
        "refreshed_at": when,
        "expires_at": _grant_expiry(when),
        **_access_fields(grant.user_id, tokens, when),
    }
    if tokens.scope:
        fields["scopes"] = _scopes(tokens.scope, ())
    won = db.collection(COLLECTION).update_one(
        {"_id": grant.user_id, "version": grant.version}, {"$set": fields, "$inc": {"version": 1}}
    )
    if won.matched_count == 0:
        # Another container stored its refresh first. Google leaves earlier access tokens valid
        # on a refresh, so ours is good; theirs is the one kept.
        logger.info("concurrent refresh of a Google grant; the other result is kept")
    else:
        logger.info("Google grant refreshed")
    return tokens.access_token


def _end(user_id: str, version: int | None) -> NoReturn:
    """Revoke the user's sessions and delete the grant; raise the 401 that asks to sign in again."""
    delete(user_id, version)
    revoked = sessions.revoke({"user_id": user_id})
    metrics.count(metrics.GOOGLE_GRANTS_ENDED)
    logger.warning("Google grant unusable; the user's sessions are revoked", extra={"sessions": revoked})
    raise InvalidToken(SIGN_IN_AGAIN)


def _access_fields(user_id: str, tokens: TokenResponse, when: datetime) -> dict[str, Any]:
    if tokens.access_token is None:
        return {"access_token": None, "access_expires_at": None}
    lifetime = tokens.expires_in or DEFAULT_ACCESS_SECONDS
    return {
        "access_token": _seal(user_id, "access_token", tokens.access_token),
        "access_expires_at": when + timedelta(seconds=lifetime),
    }


def _scopes(granted: str | None, requested: Iterable[str]) -> list[str]:
    names = granted.split() if granted else list(requested)
    return sorted({SCOPE_ALIASES.get(name, name) for name in names})


def _grant_expiry(when: datetime) -> datetime:
    # A grant serves only live sessions; one unused for a refresh token's inactivity limit is
    # dropped by the TTL index.
    return when + timedelta(seconds=get_settings().refresh_token_ttl)


def _aad(user_id: str, field: str) -> str:
    return f"{COLLECTION.name}/{user_id}/{field}"


def _seal(user_id: str, field: str, value: str) -> str:
    from gpt_auth.google import token_cipher

    return token_cipher.encrypt(get_settings().key_ring(), value, _aad(user_id, field))


def _open(user_id: str, field: str, stored: object) -> str | None:
    if not isinstance(stored, str):
        return None
    from gpt_auth.google import token_cipher

    return token_cipher.decrypt(get_settings().key_ring(), stored, _aad(user_id, field))
