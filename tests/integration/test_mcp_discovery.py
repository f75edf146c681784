"""An MCP client finds our authorization server on the Function URL emulator with make dev's
settings, as the official SDK (``mcp`` 2.3.0, ``OAuthClientProvider``) does it: /mcp's 401 ->
its resource metadata (RFC 9728) -> the issuer's metadata (RFC 8414) at the path-inserted URL
at the emulator's root. The one host's path function: tests/process/test_cloudfront_function.py."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx2
import pytest
import requests
from mcp.client import auth
from mcp.client.auth import utils
from mcp.shared.auth import OAuthClientMetadata, OAuthToken

from gpt_auth.oauth import server_metadata
from localdev.dev import LocalUrls, local_settings


class AfterDiscovery(Exception):
    """The client's first request past discovery (registering, or signing in): the test stops it."""


class Memory:
    """The SDK's token storage, empty: a client that never signed in."""

    async def get_tokens(self) -> OAuthToken | None:
        return None

    async def set_tokens(self, tokens: OAuthToken) -> None:
        raise AssertionError("no token is issued during discovery")

    async def get_client_info(self) -> Any:
        return None

    async def set_client_info(self, client_info: Any) -> None:
        raise AssertionError("no client registers during discovery")


@pytest.fixture
def local(emulator: str, configure) -> LocalUrls:
    """The emulator with the settings make dev gives the handlers."""
    urls = LocalUrls(emulator)
    configure(**local_settings(os.environ, urls, "http://127.0.0.1:9/unused-provider"))
    return urls


def discover(mcp_url: str) -> tuple[list[tuple[str, str]], Any]:
    """Connect the SDK's OAuth client to ``mcp_url`` until discovery is over: the requests it sent
    (method, URL) and the metadata it settled on."""
    sent: list[tuple[str, str]] = []

    async def record(request: Any) -> None:
        if request.method == "POST" and str(request.url) != mcp_url:
            raise AfterDiscovery(str(request.url))
        sent.append((request.method, str(request.url)))

    provider = auth.OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(redirect_uris=["http://127.0.0.1:33418/callback"]),
        storage=Memory(),
        redirect_handler=lambda url: _stop(url),
    )

    async def run() -> None:
        async with httpx2.AsyncClient(auth=provider, event_hooks={"request": [record]}) as client:
            initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
            with pytest.raises(AfterDiscovery):
                await client.post(mcp_url, json=initialize)

    asyncio.run(run())
    return sent, provider.context.oauth_metadata


async def _stop(url: str) -> None:
    raise AfterDiscovery(url)


def test_the_sdk_client_discovers_our_issuer_from_mcps_401(local: LocalUrls):
    # WHEN the SDK's OAuth client meets /mcp's 401 with no token stored
    sent, found = discover(local.mcp)
    # THEN it followed the challenge to the resource metadata, then the issuer's path-inserted
    # RFC 8414 URL at the emulator's root, which answered at the first try
    issuer = local.authorization.rstrip("/")
    assert sent == [
        ("POST", local.mcp),
        ("GET", f"{local.base}/.well-known/oauth-protected-resource/testEndpoint/mcp"),
        ("GET", f"{local.base}/.well-known/oauth-authorization-server/googleAuthorization"),
    ]
    # AND settled on our metadata, whose issuer is byte for byte the one /mcp names (the SDK checks)
    assert found is not None
    assert str(found.issuer) == issuer
    assert str(found.authorization_endpoint) == issuer
    assert str(found.token_endpoint) == local.token
    assert found.code_challenge_methods_supported == ["S256"]


def test_every_url_mcp_lists_for_the_issuer_answers_the_same_document(local: LocalUrls):
    issuer = local.authorization.rstrip("/")
    urls = utils.build_oauth_authorization_server_metadata_discovery_urls(issuer, local.mcp)
    # GIVEN MCP's order: path-inserted RFC 8414, path-inserted OpenID, the issuer's OpenID URL
    assert urls == [
        server_metadata.well_known_url(issuer, server_metadata.OAUTH_WELL_KNOWN),
        server_metadata.well_known_url(issuer, server_metadata.OPENID_WELL_KNOWN),
        issuer + server_metadata.OPENID_WELL_KNOWN,
    ]
    answers = [requests.get(url, headers={"Origin": "http://localhost:6274"}, timeout=10) for url in urls]
    # THEN each is the same JSON document, readable by a page on any origin, cacheable an hour
    for answer in answers:
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert answer.headers["Cache-Control"] == "public, max-age=3600"
        assert answer.json() == answers[0].json()
    assert answers[0].json()["issuer"] == issuer


def test_a_well_known_url_of_another_mount_is_not_the_issuers(local: LocalUrls):
    # The issuer has no metadata at the root or under another function's mount
    for path in ("", "/testEndpoint", "/googleAuthentication"):
        url = f"{local.base}{server_metadata.OAUTH_WELL_KNOWN}{path}"
        assert requests.get(url, timeout=10).status_code == 404, url


def test_a_browser_page_may_fetch_both_metadata_documents(local: LocalUrls):
    # GIVEN a browser-based MCP client's page (the MCP Inspector's origin), which sends MCP's
    # header with each metadata fetch, so the browser asks first
    page = {"Origin": "http://localhost:6274"}
    preflight = {
        **page,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "mcp-protocol-version",
    }
    for url in (
        f"{local.base}/.well-known/oauth-protected-resource/testEndpoint/mcp",
        f"{local.base}/.well-known/oauth-authorization-server/googleAuthorization",
    ):
        # WHEN it asks, then fetches
        asked = requests.options(url, headers=preflight, timeout=10)
        fetched = requests.get(url, headers={**page, "MCP-Protocol-Version": "2025-11-25"}, timeout=10)
        # THEN the preflight allows the GET and its header, and the answer is readable by the page
        assert asked.status_code == 204, url
        assert asked.headers["Access-Control-Allow-Origin"] == "*"
        assert "GET" in asked.headers["Access-Control-Allow-Methods"]
        assert asked.headers["Access-Control-Allow-Headers"] == "*"
        assert fetched.status_code == 200
        assert fetched.headers["Access-Control-Allow-Origin"] == "*"
