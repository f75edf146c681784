"""Seed the store so the sample events' placeholder tokens and codes are live (events, `make invoke`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from gpt_auth.oauth import codes, pending, sessions
from gpt_auth.oauth.tokens import hash_token
from gpt_auth.runtime import db
from gpt_auth.runtime.settings import get_settings
from localdev.lambda_env import body_text
from localdev.samples import SAMPLE_GPT_CALLBACK, SAMPLE_SIGN_IN_COOKIE, SAMPLE_USER


def every_action_scope() -> str:
    """A session's scope that every declared action accepts: what the GPT is told to ask for."""
    from gpt_auth.actions.catalog import gpt_scope

    return " ".join(gpt_scope())


def seed_session_for(
    access_token: str, *, user_id: str = SAMPLE_USER, scope: str | None = None, resource: str | None = None
) -> str:
    """Make ``access_token`` valid for a new session (by default granted every action's scope),
    for the GPT's actions, or bound to ``resource`` (the MCP endpoint's URL); returns the family id."""
    scope = every_action_scope() if scope is None else scope
    return _new_session(user_id, scope, access_token=access_token, resource=resource)


def seed_code_for(
    code: str, *, redirect_uri: str, user_id: str = SAMPLE_USER, scope: str = "", used: bool = False
) -> str:
    """Make ``code`` a live authorization code bound to ``redirect_uri``; returns its hash.

    With ``used``, the code has already been redeemed once and a session was issued from it,
    so presenting it is a replay.
    """
    config = get_settings()
    code_hash = hash_token(code)
    db.collection(codes.COLLECTION).delete_one({"_id": code_hash})  # seeding twice starts over
    codes.issue_code(
        client_id=config.gpt_client_id, redirect_uri=redirect_uri, user_id=user_id, scope=scope, code=code
    )
    if used:
        if codes.redeem_code(code) is None:
            raise RuntimeError("the seeded code could not be redeemed")
        sessions.create_session(
            user_id=user_id,
            client_id=config.gpt_client_id,
            scope=scope,
            lifetimes=sessions.Lifetimes.from_settings(config),
            code_hash=code_hash,
        )
    return code_hash


def seed_refresh_token_for(refresh_token: str, *, user_id: str = SAMPLE_USER, scope: str = "") -> str:
    """Make ``refresh_token`` the current refresh token of a new session; returns the family id."""
    return _new_session(user_id, scope, refresh_token=refresh_token)


def _new_session(
    user_id: str,
    scope: str,
    *,
    access_token: str | None = None,
    refresh_token: str | None = None,
    resource: str | None = None,
) -> str:
    """A new session of the GPT client with the chosen token (the other minted); its family id."""
    config = get_settings()
    issued = sessions.create_session(
        user_id=user_id,
        client_id=config.gpt_client_id,
        scope=scope,
        lifetimes=sessions.Lifetimes.from_settings(config),
        access_token=access_token,
        refresh_token=refresh_token,
        resource=resource,
    )
    return issued.family_id


def seed_pending_request(
    request_id: str,
    *,
    redirect_uri: str = SAMPLE_GPT_CALLBACK,
    state: str = "gpt-state-8f2c",
    scope: str = "",
    browser: str = SAMPLE_SIGN_IN_COOKIE,
) -> None:
    """Make ``request_id`` (our state at the provider) a live pending sign-in of the GPT client,
    started by the browser whose sign-in cookie is ``browser``."""
    config = get_settings()
    # Seeding twice starts over.
    db.collection(pending.COLLECTION).delete_one({"_id": hash_token(request_id)})
    pending.create(
        pending.PendingRequest(
            client_id=config.gpt_client_id,
            redirect_uri=redirect_uri,
            state=state,
            scope=scope,
            nonce="sample-nonce",
            code_verifier="sample-code-verifier-" + "0" * 32,
            callback_uri="https://localhost/callback",
        ),
        request_id=request_id,
        browser=browser,
    )


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
    form = dict(parse_qsl(body_text(event)))
    if seed in ("authorization_code", "used_authorization_code"):
        seed_code_for(form["code"], redirect_uri=form["redirect_uri"], used=seed.startswith("used_"))
    elif seed == "refresh_token":
        seed_refresh_token_for(form["refresh_token"])
    else:
        raise ValueError(
            f"unknown seed {seed!r} (authorization_code, used_authorization_code, refresh_token,"
            " pending_request, access_token)"
        )
