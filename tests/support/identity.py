"""Users as the authorization step records them (keyed on issuer and subject), and session lifetimes."""

from __future__ import annotations

from gpt_auth.oauth import sessions, users

GOOGLE = "https://accounts.google.com"
OTHER_ISSUER = "https://login.example.org"
LIFETIMES = sessions.Lifetimes(3600, 86400, grace=120, max_age=7 * 86400)


def sign_in(sub: str, *, issuer: str = GOOGLE, **claims: object) -> str:
    return users.upsert_user(issuer=issuer, claims={"sub": sub, **claims})
