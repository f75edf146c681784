"""RFC 7591 dynamic client registration for MCP clients: ``POST /register`` on googleAuthorization.

Anyone may register, so a registration grants nothing by itself: it is a public client
(``token_endpoint_auth_method`` ``none``, no secret; PKCE S256 proves each sign-in) whose redirect
URIs are each on the MCP allowlist (``clients.mcp_redirect_refusal``), so its codes can only go
back to ChatGPT, Claude or the registrant's own machine, after a person consents and signs in with
Google. What it costs us is a stored document, so registrations are bounded: per address and per
hour overall (``registration_counts``), a small body, at most ``MAX_REDIRECT_URIS`` URIs, and a
registration nobody signs in with is deleted after ``clients.UNUSED_CLIENT_DAYS``.

A client that asks for a secret (``client_secret_post``, ``client_secret_basic``, ...) is
registered as ``none`` and told so in the answer, as RFC 7591 3.2.1 allows: it has no secret to
send, and PKCE proves it instead. Unknown fields are ignored (RFC 7591 2); ``logo_uri`` and the
other URLs are not kept, so the consent page shows nothing a registrant points at.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gpt_auth.oauth import clients, registration_counts, tokens
from gpt_auth.runtime import db
from gpt_auth.runtime.errors import BadRequest, HttpError, PayloadTooLarge
from gpt_auth.runtime.log import logger
from gpt_auth.runtime.settings import Settings
from gpt_auth.runtime.web import Request

MAX_BODY_BYTES = 8_192
MAX_REDIRECT_URIS = 10
GRANT_TYPES = ("authorization_code", "refresh_token")
RESPONSE_TYPES = ("code",)
PUBLIC = "none"
# RFC 7591 2 and the IANA registry: each is registered as PUBLIC; anything else is refused.
AUTH_METHODS = frozenset(
    {PUBLIC, "client_secret_post", "client_secret_basic", "client_secret_jwt", "private_key_jwt"}
)


class InvalidClientMetadata(HttpError):
    """RFC 7591 3.2.2: a metadata value is refused; the description names the field."""

    status = 400
    code = "invalid_client_metadata"


class InvalidRedirectUri(InvalidClientMetadata):
    code = "invalid_redirect_uri"


def register(
    request: Request, settings: Settings, address: str | None, *, now: datetime | None = None
) -> dict[str, Any]:
    """Register the client the request's JSON describes; its RFC 7591 3.2.1 answer.

    Raises
    ------
    InvalidClientMetadata, InvalidRedirectUri
        A field is missing or refused (400, the field named).
    PayloadTooLarge, UnsupportedMediaType
        The body is over ``MAX_BODY_BYTES`` (413) or not JSON (415).
    TooManyRequests
        Over ``REGISTRATIONS_PER_IP_PER_HOUR`` or ``REGISTRATIONS_PER_HOUR`` (429).
    """
    metadata = _metadata(request)
    uris = redirect_uris(metadata.get("redirect_uris"), settings)
    name = client_name(metadata.get("client_name"))
    grant_types = subset(metadata, "grant_types", GRANT_TYPES, default=GRANT_TYPES)
    if "authorization_code" not in grant_types:
        raise InvalidClientMetadata(
            "grant_types must include 'authorization_code': it is the only way to sign in here."
        )
    response_types = subset(metadata, "response_types", RESPONSE_TYPES, default=RESPONSE_TYPES)
    _auth_method(metadata.get("token_endpoint_auth_method", PUBLIC))
    when = now or db.now()
    registration_counts.spend(address, settings, now=when)  # only a valid registration counts
    client = clients.Client(tokens.mint(tokens.REGISTERED_CLIENT), name, uris, clients.REGISTERED)
    clients.save(
        client,
        expires_at=when + timedelta(days=clients.UNUSED_CLIENT_DAYS),
        now=when,
        grant_types=list(grant_types),
    )
    # who registered what, for an operator; a client_id is no credential
    logger.info("client registered", extra={"client_id": client.client_id, "redirect_uris": list(uris)})
    answer: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": int(when.timestamp()),
        "redirect_uris": list(uris),
        "token_endpoint_auth_method": PUBLIC,
        "grant_types": list(grant_types),
        "response_types": list(response_types),
    }
    if name:
        answer["client_name"] = name
    return answer


def _metadata(request: Request) -> dict[str, Any]:
    if len(request.raw_body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The registration request is larger than {MAX_BODY_BYTES:,} bytes.")
    try:
        metadata = request.json()
    except BadRequest as exc:
        raise InvalidClientMetadata(exc.description) from None
    if not isinstance(metadata, dict):
        raise InvalidClientMetadata("The registration request must be a JSON object of client metadata.")
    return metadata


def redirect_uris(value: Any, settings: Settings) -> tuple[str, ...]:
    if value is None:
        raise InvalidRedirectUri("redirect_uris is required: the URIs this client's sign-ins return to.")
    if not isinstance(value, list) or not value or not all(isinstance(uri, str) for uri in value):
        raise InvalidRedirectUri("redirect_uris must be a non-empty array of strings.")
    if len(value) > MAX_REDIRECT_URIS:
        raise InvalidRedirectUri(
            f"redirect_uris holds {len(value)} URIs; at most {MAX_REDIRECT_URIS} are accepted."
        )
    for index, uri in enumerate(value):
        refusal = clients.mcp_redirect_refusal(uri, settings)
        if refusal is not None:
            raise InvalidRedirectUri(f"redirect_uris[{index}] ({_quoted(uri)}) is refused: {refusal}")
    return tuple(dict.fromkeys(value))  # in order, each once


def _quoted(value: str) -> str:
    """A client's value quoted in an error: its first 100 characters, any but printable ASCII as '?'."""
    printable = "".join(c if " " < c < "\x7f" and c not in "'\"\\" else "?" for c in value[:100])
    return f"'{printable}{'...' if len(value) > 100 else ''}'"


def client_name(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidClientMetadata("client_name must be a string.")
    name = value.strip()
    if len(name) > clients.MAX_CLIENT_NAME_CHARS:
        raise InvalidClientMetadata(f"client_name is longer than {clients.MAX_CLIENT_NAME_CHARS} characters.")
    if not name.isprintable():
        raise InvalidClientMetadata(
            "client_name holds control, formatting or line-break characters; it is shown on the consent page."
        )
    return name


def subset(
    metadata: dict[str, Any], field: str, allowed: tuple[str, ...], *, default: tuple[str, ...]
) -> tuple[str, ...]:
    value = metadata.get(field)
    if value is None:
        return default
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise InvalidClientMetadata(f"{field} must be a non-empty array of strings.")
    unsupported = [item for item in value if item not in allowed]
    if unsupported:
        named = ", ".join(map(_quoted, unsupported[:3]))
        raise InvalidClientMetadata(f"{field} holds {named}; only {', '.join(allowed)} are supported.")
    return tuple(dict.fromkeys(value))


def _auth_method(value: Any) -> None:
    if not isinstance(value, str) or value not in AUTH_METHODS:
        shown = _quoted(value) if isinstance(value, str) else "a non-string"
        raise InvalidClientMetadata(
            f"token_endpoint_auth_method {shown} is not supported; "
            "this server registers public clients ('none')."
        )
