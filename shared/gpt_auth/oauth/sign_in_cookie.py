"""The sign-in cookie: it binds a pending sign-in to the browser that started it (RFC 9700 4.7.1).

``GET /`` answers with a cookie holding a random value and stores only that value's SHA-256 with
the pending request; ``/callback`` completes the sign-in only for the browser that presents the
value whose hash was stored. So a sign-in someone started in their own browser cannot be
finished in another person's browser (login CSRF: the victim ending up signed in to the
attacker's account, or the attacker's code landing in the victim's GPT).

The cookie is ``HttpOnly`` and ``SameSite=Lax`` (sent on the top-level redirect back from
Google, not on cross-site subrequests), lives as long as a pending request (10 minutes), and has
``Path=/``. Over https it is ``__Host-gpt_auth_signin`` with ``Secure``: browsers accept that
name only from this very host, so a sibling host (another Function URL under ``on.aws``) cannot
plant one. A Function URL is always https, and its events say so in ``x-forwarded-proto``; only
an event that says ``http`` (the local emulator, plain http on 127.0.0.1) gets the plain name
``gpt_auth_signin`` without ``Secure``, which a browser would not store over http.

A browser that already holds a well-formed cookie keeps its value, so two sign-ins started in
one browser (two tabs) can both complete. The value alone grants nothing: it only completes a
pending sign-in whose state went through the same browser, once, within its 10 minutes.
"""

from __future__ import annotations

from gpt_auth.oauth.pending import REQUEST_TTL_SECONDS
from gpt_auth.oauth.tokens import SIGN_IN_COOKIE, is_well_formed, mint
from gpt_auth.runtime.web import Request

NAME = "gpt_auth_signin"
HTTPS_NAME = f"__Host-{NAME}"
MAX_AGE_SECONDS = REQUEST_TTL_SECONDS  # the cookie is useless once the pending request expired


def over_https(request: Request) -> bool:
    """False only when the event says the browser used plain http (``x-forwarded-proto: http``)."""
    return request.headers.get("x-forwarded-proto", "https").strip().lower() != "http"


def cookie_name(https: bool) -> str:
    return HTTPS_NAME if https else NAME


def presented(request: Request) -> str | None:
    """The well-formed sign-in cookie value the browser sent under this scheme's name, if any."""
    value = request.cookie(cookie_name(over_https(request)))
    return value if value is not None and is_well_formed(value, SIGN_IN_COOKIE) else None


def value_for(request: Request) -> str:
    """The browser's current value, or a new one for a browser that has none."""
    return presented(request) or mint(SIGN_IN_COOKIE)


def set_cookie(value: str, request: Request) -> str:
    """The ``Set-Cookie`` value for the response's ``cookies`` list (payload 2.0)."""
    https = over_https(request)
    secure = "; Secure" if https else ""
    return f"{cookie_name(https)}={value}; Path=/; Max-Age={MAX_AGE_SECONDS}; HttpOnly{secure}; SameSite=Lax"
