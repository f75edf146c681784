"""Seed the store so the sample events' placeholder tokens and codes are live (events, `make invoke`)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl

from gpt_auth import codes, db, pending, sessions
from gpt_auth.settings import get_settings
from gpt_auth.tokens import hash_token

# The clients the sample events carry (in bodies, Basic headers and query strings): the test
# suite and `make invoke` run them with these settings.
SAMPLE_SETTINGS = {
    "GOOGLE_CLIENT_ID": "google-client-id.apps.example",
    "GOOGLE_CLIENT_SECRET": "google-secret-value-0123456789",
    "GPT_CLIENT_ID": "gpt-client",
    "GPT_CLIENT_SECRET": "gpt-secret-value-0123456789",
}


def seed_session_for(access_token: str, *, user_id: str = "sample-user", scope: str = "") -> str:
    """Make ``access_token`` valid for a new session; returns the family id."""
    config = get_settings()
    issued = sessions.create_session(
        user_id=user_id,
        client_id=config.gpt_client_id,
        scope=scope,
        lifetimes=sessions.Lifetimes.from_settings(config),
    )
    db.collection(db.SESSIONS).update_one(
        {"_id": issued.family_id}, {"$set": {"access_token_hash": hash_token(access_token)}}
    )
    return issued.family_id


def seed_code_for(
    code: str, *, redirect_uri: str, user_id: str = "sample-user", scope: str = "", used: bool = False
) -> str:
    """Make ``code`` a live authorization code bound to ``redirect_uri``; returns its hash.

    With ``used``, the code has already been redeemed once and a session was issued from it,
    so presenting it is a replay.
    """
    config = get_settings()
    codes_collection = db.collection(db.AUTHORIZATION_CODES)
    issued = codes.issue_code(
        client_id=config.gpt_client_id, redirect_uri=redirect_uri, user_id=user_id, scope=scope
    )
    record = codes_collection.find_one_and_delete({"_id": hash_token(issued)})
    if record is None:
        raise RuntimeError("the code just issued is not in the store")
    code_hash = hash_token(code)
    codes_collection.delete_one({"_id": code_hash})  # seeding twice starts over
    codes_collection.insert_one({**record, "_id": code_hash})
    if used:
        if codes.redeem_code(code) is None:
            raise RuntimeError("the seeded code could not be redeemed")
        sessions.create_session(
            user_id=user_id,
            client_id=config.gpt_client_id,
            scope=scope,
            lifetimes=_lifetimes(),
            code_hash=code_hash,
        )
    return code_hash


def seed_refresh_token_for(refresh_token: str, *, user_id: str = "sample-user", scope: str = "") -> str:
    """Make ``refresh_token`` the current refresh token of a new session; returns the family id."""
    config = get_settings()
    issued = sessions.create_session(
        user_id=user_id, client_id=config.gpt_client_id, scope=scope, lifetimes=_lifetimes()
    )
    token_hash = hash_token(refresh_token)
    db.collection(db.SESSIONS).update_one(
        {"_id": issued.family_id},
        {"$set": {"refresh_token_hash": token_hash, "refresh_token_hashes": [token_hash]}},
    )
    return issued.family_id


SAMPLE_GPT_CALLBACK = "https://chatgpt.com/aip/g-AbCdEf123/oauth/callback"


def seed_pending_request(
    request_id: str,
    *,
    redirect_uri: str = SAMPLE_GPT_CALLBACK,
    state: str = "gpt-state-8f2c",
    scope: str = "",
) -> None:
    """Make ``request_id`` (our state at the provider) a live pending sign-in of the GPT client."""
    config = get_settings()
    minted = pending.create(
        pending.PendingRequest(
            client_id=config.gpt_client_id,
            redirect_uri=redirect_uri,
            state=state,
            scope=scope,
            nonce="sample-nonce",
            code_verifier="sample-code-verifier-" + "0" * 32,
            callback_uri="https://localhost/callback",
        )
    )
    stored = db.collection(db.AUTHORIZATION_REQUESTS)
    record = stored.find_one_and_delete({"_id": hash_token(minted)})
    if record is None:
        raise RuntimeError("the seeded pending request vanished")
    stored.delete_one({"_id": hash_token(request_id)})  # seeding twice starts over
    stored.insert_one({**record, "_id": hash_token(request_id)})


def seed_event(event: dict[str, Any], seed: str) -> None:
    """Make the placeholder code, refresh token or state in a sample event live.

    ``seed`` is the event's ``seed`` entry in ``events/index.json``: ``authorization_code``,
    ``used_authorization_code`` or ``refresh_token`` (in the form body), ``pending_request``
    (the ``state`` of a provider callback's query string), or ``access_token`` (its Bearer token).
    """
    if seed == "access_token":
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        seed_session_for(headers.get("authorization", "").removeprefix("Bearer ").strip())
        return
    if seed == "pending_request":
        seed_pending_request(dict(parse_qsl(event.get("rawQueryString") or ""))["state"])
        return
    body = event.get("body") or ""
    form = dict(parse_qsl(base64.b64decode(body).decode() if event.get("isBase64Encoded") else body))
    if seed in ("authorization_code", "used_authorization_code"):
        seed_code_for(form["code"], redirect_uri=form["redirect_uri"], used=seed.startswith("used_"))
    elif seed == "refresh_token":
        seed_refresh_token_for(form["refresh_token"])
    else:
        raise ValueError(
            f"unknown seed {seed!r} (authorization_code, used_authorization_code, refresh_token,"
            " pending_request, access_token)"
        )


def _lifetimes() -> sessions.Lifetimes:
    config = get_settings()
    return sessions.Lifetimes.from_settings(config)
