"""Our authorization server's metadata (RFC 8414), which googleAuthorization serves.

The issuer is googleAuthorization's base URL as clients reach it, with no trailing slash: clients
compare it byte for byte with the one ``/mcp``'s resource metadata names
(:mod:`gpt_auth.oauth.protected_resource`), so both come from ``issuer_from``:
``AUTHORIZATION_SERVER_URL`` resolved against the function's public URL, or, unset on
googleAuthorization, that public URL itself (``gpt_auth.runtime.origin.public_url``). GET on the
issuer is the authorize URL; the token endpoint is ``TOKEN_URL`` (googleAuthentication's URL, or a
path on the issuer's host). The document is served at ``OAUTH_WELL_KNOWN`` and its OpenID alias
``OPENID_WELL_KNOWN`` below googleAuthorization's ``/``, and, for an issuer with a path, at the
host's root with the path after the well-known name (CloudFront's path function, the emulator).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from gpt_auth.runtime.errors import ConfigError

OAUTH_WELL_KNOWN = "/.well-known/oauth-authorization-server"  # RFC 8414 section 3
OPENID_WELL_KNOWN = "/.well-known/openid-configuration"  # OpenID Connect Discovery 1.0, 4
REGISTRATION_PATH = "/register"
TOKEN_AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic")
# Public, the same for every caller of one URL, changed only by a deploy: clients may keep it an
# hour.
CACHE_CONTROL = "public, max-age=3600"


def issuer_from(public_url: str | None) -> str | None:
    """``AUTHORIZATION_SERVER_URL`` resolved against ``public_url`` (a function's ``/``); None when unset.

    Raises
    ------
    ConfigError
        The setting is a path and ``public_url`` is unknown.
    """
    from gpt_auth.runtime.settings import get_settings

    configured = get_settings().authorization_server_url
    if configured is None:
        return None
    return _resolved(public_url, configured, "AUTHORIZATION_SERVER_URL").rstrip("/")


def own_issuer(public_url: str | None) -> str:
    """The issuer as googleAuthorization states it: ``issuer_from``, else its own public URL.

    Raises
    ------
    ConfigError
        Neither is known.
    """
    issuer = issuer_from(public_url) or public_url
    if issuer is None:
        raise ConfigError("googleAuthorization's public URL is unknown: set AUTHORIZATION_SERVER_URL.")
    return issuer


def token_endpoint(issuer: str) -> str:
    """``TOKEN_URL`` resolved against the issuer; ``ConfigError`` when unset."""
    from gpt_auth.runtime.settings import get_settings

    configured = get_settings().token_url
    if configured is None:
        raise ConfigError("TOKEN_URL is not set; googleAuthorization names the token URL in its metadata.")
    return _resolved(issuer, configured, "TOKEN_URL")


def well_known_url(url: str, name: str) -> str:
    """RFC 8414 section 3.1 and RFC 9728 section 3.1: ``name`` inserted between ``url``'s host and path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{name}{parts.path.rstrip('/')}"


def metadata_document(issuer: str, token_url: str, scopes: tuple[str, ...]) -> dict[str, Any]:
    """The authorization server metadata for ``issuer``."""
    from gpt_auth.oauth import clients, pkce

    document: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": issuer,
        "token_endpoint": token_url,
    }
    if clients.DYNAMIC_REGISTRATION:
        document["registration_endpoint"] = issuer + REGISTRATION_PATH
    document.update(
        {
            "scopes_supported": list(scopes),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": [pkce.S256],
            "token_endpoint_auth_methods_supported": list(TOKEN_AUTH_METHODS),
            "client_id_metadata_document_supported": clients.CLIENT_ID_METADATA_DOCUMENTS,
            "authorization_response_iss_parameter_supported": True,
        }
    )
    return document


def metadata_answer(public_url: str | None) -> dict[str, Any]:
    """The metadata document as googleAuthorization answers it, for its public URL ``public_url``."""
    from gpt_auth.actions.catalog import gpt_scope
    from gpt_auth.runtime.web import PUBLIC_READ, json_response

    issuer = own_issuer(public_url)
    document = metadata_document(issuer, token_endpoint(issuer), gpt_scope())
    answer = json_response(200, document, {"Cache-Control": CACHE_CONTROL, **PUBLIC_READ})
    del answer["headers"]["Pragma"]  # the no-cache default would contradict Cache-Control
    return answer


def _resolved(base: str | None, configured: str, name: str) -> str:
    if base is None and configured.startswith("/"):
        raise ConfigError(f"{name} is a path ({configured}) but this function's public URL is unknown.")
    return urljoin((base or "") + "/", configured)
