"""Pending authorization requests: what a client asked for, kept while the person is at the provider.

Each one lives ten minutes and is used once: the provider's callback consumes it atomically, so
a replayed callback finds nothing. It is stored under the SHA-256 of its id; the id itself only
travels as our ``state`` through the provider. It is bound to the browser that started it: only
the SHA-256 of that browser's sign-in cookie is stored (``browser_hash``), and only a callback
presenting that cookie consumes it (``gpt_auth.oauth.sign_in_cookie``).

An MCP client's request is first stored at the ``CONSENT`` stage, while its consent page is shown:
only the page's form (``gpt_auth.oauth.consent``) consumes it, never a callback, and the form's
answer stores a new request at the provider stage. So its id, which the page carries as the
form's CSRF token, never travels to the provider.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from gpt_auth.oauth.tokens import AUTHORIZATION_REQUEST, hash_token, is_well_formed, lookup, mint
from gpt_auth.runtime import db

REQUEST_TTL_SECONDS = 600
CONSENT = "consent"  # the stage of a request whose consent page is shown (None: at the provider)

COLLECTION = db.Stored(
    "authorization_requests",
    about="A sign-in in progress",
    holds=(
        "what the GPT or an MCP app asked for, kept while you are at Google: nothing that names "
        f"you. Deleted when Google sends you back, or after {REQUEST_TTL_SECONDS // 60} minutes."
    ),
    indexes=(db.expiring(),),
)


@dataclass(frozen=True)
class PendingRequest:
    """A GPT's authorization request and the secrets of our own request to the provider."""

    client_id: str
    redirect_uri: str
    state: str
    scope: str
    nonce: str
    code_verifier: str
    callback_uri: str
    code_challenge: str | None = None  # the GPT's own PKCE S256 challenge, when it sent one
    # Set on the second trip to the provider, when the first gave no refresh token: never a third.
    consent_prompted: bool = False
    resource: str | None = None  # an MCP client's binding (gpt_auth.oauth.resources); None: the GPT's
    stage: str | None = None  # CONSENT, or None once the browser is sent to the provider


def create(
    request: PendingRequest, *, browser: str, now: datetime | None = None, request_id: str | None = None
) -> str:
    """Store ``request``, bound to the ``browser``'s sign-in cookie; returns its id (our ``state``).

    ``request_id`` stores it under that id instead of a minted one (local seeding of the sample events).
    """
    when = now or db.now()
    request_id = request_id or mint(AUTHORIZATION_REQUEST)
    db.collection(COLLECTION).insert_one(
        {
            "_id": hash_token(request_id),
            **asdict(request),
            "browser_hash": hash_token(browser),
            "created_at": when,
            "expires_at": when + timedelta(seconds=REQUEST_TTL_SECONDS),
        }
    )
    return request_id


def consume(
    request_id: str, *, browser: str, stage: str | None = None, now: datetime | None = None
) -> PendingRequest | None:
    """Take the pending request at ``stage`` out of the store.

    None when malformed, unknown, expired, used, at another stage, or bound to another browser's
    cookie; a request presented with the wrong cookie or at the wrong stage stays in the store.
    """
    if not is_well_formed(request_id, AUTHORIZATION_REQUEST):
        return None
    record = db.collection(COLLECTION).find_one_and_delete(
        {
            "_id": lookup(request_id),
            "browser_hash": lookup(browser),
            "stage": stage,  # None also matches requests stored before stages existed
            "expires_at": {"$gt": now or db.now()},
        }
    )
    if record is None:
        return None
    fields = {name: record[name] for name in PendingRequest.__dataclass_fields__ if name in record}
    fields["consent_prompted"] = bool(fields.get("consent_prompted"))  # nx-27017 stores booleans as 0/1
    return PendingRequest(**fields)
