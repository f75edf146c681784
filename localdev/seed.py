"""Seed the store with a session whose access token is a known sample (events, `make invoke`)."""

from __future__ import annotations

from gpt_auth import db, sessions
from gpt_auth.settings import get_settings
from gpt_auth.tokens import hash_token


def seed_session_for(access_token: str, *, user_id: str = "sample-user", scope: str = "") -> str:
    """Make ``access_token`` valid for a new session; returns the family id."""
    config = get_settings()
    issued = sessions.create_session(
        user_id=user_id,
        client_id=config.gpt_client_id,
        scope=scope,
        lifetimes=sessions.Lifetimes(config.access_token_ttl, config.refresh_token_ttl),
    )
    db.collection(db.SESSIONS).update_one(
        {"_id": issued.family_id}, {"$set": {"access_token_hash": hash_token(access_token)}}
    )
    return issued.family_id
