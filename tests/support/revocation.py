"""Signed-in users for the revocation tests, and what their sessions can still do."""

from __future__ import annotations

from functions.test_endpoint import app
from gpt_auth.oauth import sessions, users
from tests.support.events import load_event
from tests.support.identity import GOOGLE, LIFETIMES

ADA = users.user_id(GOOGLE, "sub-ada")


def sign_in(sub: str, email: str | None, client_id: str = "gpt-client") -> sessions.IssuedTokens:
    """A user record as the authorization step writes it (a verified e-mail), and a session issued to it."""
    user_id = users.user_id(GOOGLE, sub)
    if email is not None:
        claims = {"sub": sub, "email": email, "email_verified": True, "name": sub.title()}
        user_id = users.upsert_user(issuer=GOOGLE, claims=claims)
    return sessions.create_session(user_id=user_id, client_id=client_id, scope="openid", lifetimes=LIFETIMES)


def can_call_the_action(issued: sessions.IssuedTokens, lambda_context) -> bool:
    event = load_event("test_endpoint_valid")
    event["headers"]["authorization"] = f"Bearer {issued.access_token}"
    return app.lambda_handler(event, lambda_context)["statusCode"] == 200


def can_refresh(issued: sessions.IssuedTokens, client_id: str = "gpt-client") -> bool:
    return (
        sessions.rotate_refresh_token(issued.refresh_token, client_id=client_id, lifetimes=LIFETIMES)
        is not None
    )
