"""The official MCP Python SDK's OAuth client (``mcp`` 2.3.0, ``OAuthClientProvider``) signs in
end to end on the Function URL emulator with make dev's settings and the Google stand-in: /mcp's
401 -> the resource and issuer metadata -> our authorize URL (its redirect handler plays the
person: the consent page's Allow, then the stand-in) -> its callback handler (``code``, ``state``
and RFC 9207's ``iss``, which the SDK checks) -> the token endpoint with ``none``, PKCE and the
resource -> ``tools/call getHello``. With empty storage the SDK registers first (RFC 7591, our
``/register``); with the client's information stored it skips that step."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta
from typing import Any

import pytest
import requests

from gpt_auth.oauth import clients
from gpt_auth.runtime import db
from tests.integration.chatgpt import TIMEOUT, ChatGpt, consent, location, query_of

auth = pytest.importorskip("mcp.client.auth")
httpx2 = pytest.importorskip("httpx2")
mcp_client = pytest.importorskip("mcp.client.streamable_http")
from mcp import ClientSession  # noqa: E402
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken  # noqa: E402

CALLBACK = "http://127.0.0.1:33418/callback"  # the SDK client's loopback callback, never contacted


class Storage:
    """The SDK's token storage: the client's information (None: not registered), then its tokens."""

    def __init__(self, client: OAuthClientInformationFull | None = None) -> None:
        self.tokens: OAuthToken | None = None
        self.client = client

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Person:
    """The person's browser: the consent page, Allow, the stand-in; where it lands at the end."""

    def __init__(self) -> None:
        self.browser = requests.Session()
        self.landed: dict[str, str] = {}
        self.page = ""

    async def redirect_handler(self, authorization_url: str) -> None:
        page = self.browser.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
        assert page.status_code == 200, page.text[:500]
        self.page = page.text
        action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page.text)[1])
        token = html.unescape(re.search(r'name="request" value="([^"]+)"', page.text)[1])
        allowed = self.browser.post(
            action, data={"request": token, "decision": "allow"}, allow_redirects=False, timeout=TIMEOUT
        )
        assert allowed.status_code == 303, allowed.text[:500]
        provider_redirect = consent(allowed.headers["Location"], sub="sdk@example.com")
        back = location(self.browser.get(provider_redirect, allow_redirects=False, timeout=TIMEOUT))
        assert back.startswith(CALLBACK + "?"), back
        self.landed = query_of(back)

    async def callback_handler(self) -> auth.AuthorizationCodeResult:
        return auth.AuthorizationCodeResult(
            code=self.landed["code"], state=self.landed.get("state"), iss=self.landed.get("iss")
        )


def sign_in_and_greet(mcp_url: str, storage: Storage, person: Person) -> Any:
    """Connect the SDK's OAuth client to ``mcp_url`` with no token and call getHello."""
    provider = auth.OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            redirect_uris=[CALLBACK], token_endpoint_auth_method="none", client_name="SDK test client"
        ),
        storage=storage,
        redirect_handler=person.redirect_handler,
        callback_handler=person.callback_handler,
    )

    async def run() -> Any:
        async with (
            httpx2.AsyncClient(auth=provider, follow_redirects=True) as http,
            mcp_client.streamable_http_client(mcp_url, http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await session.call_tool("getHello", {"name": "Ada"})

    return asyncio.run(run())


def test_the_sdk_client_registers_signs_in_through_consent_and_calls_get_hello(chatgpt: ChatGpt, store: str):
    # GIVEN the handlers as make dev sets them up, and the SDK's client with nothing stored
    person, storage = Person(), Storage()
    # WHEN it connects to /mcp
    greeting = sign_in_and_greet(chatgpt.urls.mcp, storage, person)
    # THEN it registered, walked the consent page and the sign-in, and the tool answered
    assert not greeting.is_error
    assert greeting.content[0].text == "Hello Ada"
    assert storage.client is not None and storage.client.client_id.startswith("gcl_")
    assert "SDK test client" in person.page
    # AND the redirect back named our issuer (the SDK checked it against the metadata)
    assert person.landed["iss"] == chatgpt.urls.authorization.rstrip("/")
    # AND it holds a token pair for /mcp, which the GPT's actions refuse
    assert storage.tokens is not None and storage.tokens.refresh_token
    assert chatgpt.call_action(storage.tokens.access_token).status_code == 401


def test_a_client_stored_with_clients_save_signs_in_without_registering(chatgpt: ChatGpt, store: str):
    client = clients.Client("sdk-client-1", "Stored client", (CALLBACK,), clients.REGISTERED)
    clients.save(client, expires_at=db.now() + timedelta(days=clients.UNUSED_CLIENT_DAYS))
    info = OAuthClientInformationFull(
        client_id="sdk-client-1", redirect_uris=[CALLBACK], token_endpoint_auth_method="none"
    )
    person = Person()
    greeting = sign_in_and_greet(chatgpt.urls.mcp, Storage(info), person)
    assert greeting.content[0].text == "Hello Ada"
    assert "Stored client" in person.page
