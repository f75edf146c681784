"""The MCP endpoint as an OAuth protected resource: its URL, its RFC 9728 metadata, its challenge.

The resource is testEndpoint's ``/mcp`` as clients reach it: ``ACTION_URL`` + ``/mcp`` when set
(``make dev``, a custom domain), else the function's public URL (``gpt_auth.runtime.origin``).
Its metadata lives at the RFC 9728 path-inserted URL on that host
(``https://<host>/.well-known/oauth-protected-resource/<path>/mcp``), and names one
authorization server: our issuer, googleAuthorization's base URL (``AUTHORIZATION_SERVER_URL``:
absolute, or a path on the same host such as ``/authorize`` behind the one host). Every 401 and
403 of ``/mcp`` carries ``WWW-Authenticate: Bearer resource_metadata="<metadata URL>"``, so a
client finds the authorization server from any refusal.
"""

from __future__ import annotations

from typing import Any

import msgspec

from gpt_auth.mcp.mount import MCP_PATH, WELL_KNOWN
from gpt_auth.oauth import server_metadata
from gpt_auth.runtime import origin
from gpt_auth.runtime.errors import ConfigError, HttpError, description_text
from gpt_auth.runtime.web import Request

RESOURCE_NAME = "gpt-google-auth MCP tools"


class ResourceUrls(msgspec.Struct, frozen=True):
    """``/mcp`` as clients reach it (the resource a token must be bound to) and its metadata URL.

    A frozen Struct, not a dataclass, for the cold start (as :mod:`gpt_auth.mcp.jsonrpc`'s Message).
    """

    resource: str
    metadata: str
    action_url: str

    def issuer(self) -> str:
        """Our authorization server's issuer; ``ConfigError`` when ``AUTHORIZATION_SERVER_URL`` is unset."""
        issuer = server_metadata.issuer_from(self.action_url)
        if issuer is None:
            raise ConfigError(
                "AUTHORIZATION_SERVER_URL is not set; testEndpoint needs it to name the authorization "
                "server of /mcp (template.yaml sets it)."
            )
        return issuer


def resource_urls(request: Request) -> ResourceUrls:
    """The URLs of ``/mcp`` for ``request``; ``ConfigError`` when the public URL is unknown."""
    from gpt_auth.runtime.settings import get_settings

    base = get_settings().action_url
    if base is None:
        base = origin.request_public_url(request)
    if base is None:
        raise ConfigError("testEndpoint's public URL is unknown: set ACTION_URL.")
    resource = base + MCP_PATH
    return ResourceUrls(resource, server_metadata.well_known_url(resource, WELL_KNOWN), base)


def metadata_document(urls: ResourceUrls, scopes: tuple[str, ...]) -> dict[str, Any]:
    """The RFC 9728 protected resource metadata of ``/mcp``."""
    return {
        "resource": urls.resource,
        "authorization_servers": [urls.issuer()],
        "scopes_supported": list(scopes),
        "bearer_methods_supported": ["header"],
        "resource_name": RESOURCE_NAME,
    }


def challenged(error: HttpError, urls: ResourceUrls, scope: str) -> HttpError:
    """``error`` (a 401 or 403 of the bearer check) with MCP's challenge: the metadata URL added.

    ``scope`` is what to ask for: the missing scopes of a 403, every tool's for a 401.
    """
    params = []
    if "error=" in error.headers.get("WWW-Authenticate", ""):  # a token was sent (RFC 6750 3.1)
        params.append(f'error="{error.code}"')
        params.append(f'error_description="{description_text(error.description)}"')
    params.append(f'scope="{scope}"')
    params.append(f'resource_metadata="{urls.metadata}"')
    error.headers = {**error.headers, "WWW-Authenticate": "Bearer " + ", ".join(params)}
    return error
