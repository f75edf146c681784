"""The OAuth clients that may sign in: the GPT, configured once in settings, and MCP clients.

An MCP client (ChatGPT's apps and connectors, Claude's custom connectors, the MCP Inspector) comes
one of two ways: RFC 7591 dynamic registration, which gives it a ``client_id`` of ours, or a Client
ID Metadata Document, where its ``client_id`` is the https URL of that document. Either way it is
a public client (``token_endpoint_auth_method`` ``none``: PKCE S256 proves it), its tokens are for
``/mcp`` only, and its redirect URIs are taken exactly from what it registered or published, each
one on the MCP redirect allowlist (``mcp_redirect_refusal``).

Both kinds are kept in one collection: a registration until it goes unused for
``UNUSED_CLIENT_DAYS``, a metadata document for as long as it may be cached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from gpt_auth.oauth import redirects
from gpt_auth.runtime import db
from gpt_auth.runtime.errors import RequestRefused
from gpt_auth.runtime.settings import Settings

# Advertised in the authorization server metadata only once each way of registering works.
DYNAMIC_REGISTRATION = True  # gpt_auth.oauth.registration
CLIENT_ID_METADATA_DOCUMENTS = True  # gpt_auth.oauth.metadata_documents

REGISTERED = "registered"  # RFC 7591 dynamic registration
METADATA_DOCUMENT = "metadata_document"  # a client_id that is the https URL of its metadata
GPT = "gpt"  # the GPT's client, GPT_CLIENT_ID and GPT_CLIENT_SECRET

UNUSED_CLIENT_DAYS = 30  # a registration nobody signed in with for this long is forgotten
# A registration's expiry moves forward when it is found, at most once a day (not a write a sign-in).
_EXTEND_AFTER = timedelta(days=1)
MAX_CLIENT_NAME_CHARS = 100

# Where MCP clients are sent back. ChatGPT: one callback per connector, and the older single one;
# Claude: its web app's two hosts; loopback http on any port and path (RFC 8252 7.3: local tools
# such as the MCP Inspector listen on a port of their choosing). MCP_REDIRECT_URIS adds patterns.
DEFAULT_MCP_REDIRECT_PATTERNS = (
    r"https://chatgpt\.com/connector/oauth/[A-Za-z0-9_-]{1,128}",
    r"https://chatgpt\.com/connector_platform_oauth_redirect",
    r"https://claude\.ai/api/mcp/auth_callback",
    r"https://claude\.com/api/mcp/auth_callback",
    r"http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/[^?]*)?(\?.*)?",
)
_DEFAULT_MCP_PATTERNS = tuple(re.compile(source) for source in DEFAULT_MCP_REDIRECT_PATTERNS)

COLLECTION = db.Stored(
    "oauth_clients",
    about="The apps that may sign you in",
    holds=(
        "the name and callback addresses that an MCP client (such as ChatGPT's or Claude's "
        "connectors) registered, or published at its client_id: nothing that names you. A "
        f"registration is deleted after {UNUSED_CLIENT_DAYS} days without a sign-in."
    ),
    indexes=(db.expiring(),),
)


class MetadataDocumentRefused(RequestRefused):
    """A ``client_id`` naming a metadata document that could not be fetched or used: a 400 page
    that says why (never a redirect: where to is what the document did not tell), or
    ``invalid_client`` as JSON."""

    code = "invalid_client"

    def __init__(self, client_id: str, reason: str):
        super().__init__(
            f"This client's metadata document could not be used: {reason}", {"client_id": client_id}
        )


class Client(NamedTuple):
    """A client that may ask for a sign-in.

    ``redirect_uris`` are compared exactly; the GPT's are the ``ALLOWED_REDIRECT_URIS`` patterns
    instead (empty here). ``kind`` is ``GPT``, ``REGISTERED`` or ``METADATA_DOCUMENT``.
    """

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    kind: str

    @property
    def is_mcp(self) -> bool:
        """A public MCP client: PKCE S256 required, a consent page, tokens for ``/mcp``."""
        return self.kind != GPT


def find(client_id: str, settings: Settings, *, now: datetime | None = None) -> Client | None:
    """The client ``client_id`` names, or None when it is unknown (or its registration expired).

    An ``https://`` ``client_id`` is a Client ID Metadata Document's URL: the kept copy while it
    may be cached, else the document fetched now (``metadata_documents.load``).

    Raises
    ------
    MetadataDocumentRefused
        The document at an ``https://`` ``client_id`` could not be fetched or used.
    """
    if client_id == settings.gpt_client_id:
        return Client(client_id, "ChatGPT", (), GPT)
    if not client_id or len(client_id) > redirects.MAX_REDIRECT_URI_CHARS:
        return None
    when = now or db.now()
    coll = db.collection(COLLECTION, read_only=True)
    record = coll.find_one({"_id": client_id, "expires_at": {"$gt": when}})
    if record is None:
        if CLIENT_ID_METADATA_DOCUMENTS and client_id.startswith("https://"):
            return _fetched_document(client_id, settings, when)
        return None
    client = _from_record(record)
    if client.kind == REGISTERED:
        _keep_registration(coll, record, when)
    return client


def _fetched_document(url: str, settings: Settings, now: datetime) -> Client:
    from gpt_auth.oauth import metadata_documents  # fetching is for the requests that need it

    try:
        return metadata_documents.load(url, settings, now=now)
    except metadata_documents.DocumentRefused as exc:
        from gpt_auth.runtime.log import logger

        logger.info("client metadata document refused", extra={"client_id": url, "reason": str(exc)})
        raise MetadataDocumentRefused(url, str(exc)) from None


def _keep_registration(coll: Any, record: dict[str, Any], now: datetime) -> None:
    """A registration in use lives ``UNUSED_CLIENT_DAYS`` from now: written when a day has passed."""
    expires_at = now + timedelta(days=UNUSED_CLIENT_DAYS)
    if record["expires_at"] < expires_at - _EXTEND_AFTER:
        # matched on the value read, so two sign-ins at once write once
        coll.update_one(
            {"_id": record["_id"], "expires_at": record["expires_at"]}, {"$set": {"expires_at": expires_at}}
        )


def save(client: Client, *, expires_at: datetime, now: datetime | None = None, **extra: Any) -> None:
    """Store (or replace) an MCP client until ``expires_at``; ``extra`` fields are kept beside it."""
    when = now or db.now()
    db.collection(COLLECTION).replace_one(
        {"_id": client.client_id},
        {
            "_id": client.client_id,
            "client_name": client.name,
            "redirect_uris": list(client.redirect_uris),
            "kind": client.kind,
            "created_at": when,
            "expires_at": expires_at,
            **extra,
        },
        upsert=True,
    )


def mcp_redirect_patterns(settings: Settings) -> tuple[re.Pattern[str], ...]:
    """The MCP redirect allowlist: the defaults, then ``MCP_REDIRECT_URIS``."""
    return _DEFAULT_MCP_PATTERNS + settings.mcp_redirect_uris


def mcp_redirect_refusal(uri: str, settings: Settings) -> str | None:
    """Why an MCP client may not use ``uri`` as a redirect URI, or None when it may."""
    reason = redirects.refusal_reason(uri, mcp_redirect_patterns(settings))
    if reason is None:
        return None
    return reason.replace("ALLOWED_REDIRECT_URIS", "MCP_REDIRECT_URIS")


def allows_redirect(client: Client, uri: str, gpt_patterns: Iterable[re.Pattern[str]]) -> str | None:
    """Why ``client`` may not be sent back to ``uri``, or None when it may.

    An MCP client's redirect URI must be one it registered, character for character (RFC 9700
    2.1); the GPT's must match ``ALLOWED_REDIRECT_URIS``.
    """
    if client.kind == GPT:
        return redirects.refusal_reason(uri, gpt_patterns)
    if uri in client.redirect_uris:
        return None
    return "It is not one of the redirect URIs this client registered."


def _from_record(record: dict[str, Any]) -> Client:
    return Client(
        client_id=record["_id"],
        name=str(record.get("client_name") or record["_id"])[:MAX_CLIENT_NAME_CHARS],
        redirect_uris=tuple(record.get("redirect_uris") or ()),
        kind=record.get("kind", REGISTERED),
    )
