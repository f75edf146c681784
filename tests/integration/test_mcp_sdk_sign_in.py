"""The official MCP Python SDK's OAuth client (``mcp`` 2.3.0, ``OAuthClientProvider``) signs in
end to end on the Function URL emulator with make dev's settings and the Google stand-in: /mcp's
401 -> the resource and issuer metadata -> our authorize URL (its redirect handler plays the
person: the consent page's Allow, then the stand-in) -> its callback handler (``code``, ``state``
and RFC 9207's ``iss``, which the SDK checks) -> the token endpoint with ``none``, PKCE and the
resource -> ``tools/call getHello``. With empty storage the SDK registers first (RFC 7591, our
``/register``); with the client's information stored it skips that step."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx2
from mcp import ClientSession
from mcp.client import auth
from mcp.client import streamable_http as mcp_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from gpt_auth.oauth import clients
from gpt_auth.runtime import db
from tests.integration.chatgpt import ChatGpt, query_of
from tests.integration.person import Person

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


class Handlers:
    """The SDK's redirect and callback handlers: the person's browser, and where it landed."""

    def __init__(self) -> None:
        self.person = Person(CALLBACK)
        self.landed: dict[str, str] = {}

    async def redirect_handler(self, authorization_url: str) -> None:
        self.landed = query_of(self.person.sign_in(authorization_url))

    async def callback_handler(self) -> auth.AuthorizationCodeResult:
        return auth.AuthorizationCodeResult(
            code=self.landed["code"], state=self.landed.get("state"), iss=self.landed.get("iss")
        )


def sign_in_and_greet(mcp_url: str, storage: Storage, handlers: Handlers) -> Any:
    """Connect the SDK's OAuth client to ``mcp_url`` with no token and call getHello."""
    provider = auth.OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            redirect_uris=[CALLBACK], token_endpoint_auth_method="none", client_name="SDK test client"
        ),
        storage=storage,
        redirect_handler=handlers.redirect_handler,
        callback_handler=handlers.callback_handler,
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
    handlers, storage = Handlers(), Storage()
    # WHEN it connects to /mcp
    greeting = sign_in_and_greet(chatgpt.urls.mcp, storage, handlers)
    # THEN it registered, walked the consent page and the sign-in, and the tool answered
    assert not greeting.is_error
    assert greeting.content[0].text == "Hello Ada"
    assert storage.client is not None and storage.client.client_id.startswith("gcl_")
    assert "SDK test client" in handlers.person.page
    # AND the redirect back named our issuer (the SDK checked it against the metadata)
    assert handlers.landed["iss"] == chatgpt.urls.authorization.rstrip("/")
    # AND it holds a token pair for /mcp, which the GPT's actions refuse
    assert storage.tokens is not None and storage.tokens.refresh_token
    assert chatgpt.call_action(storage.tokens.access_token).status_code == 401


def test_a_client_stored_with_clients_save_signs_in_without_registering(chatgpt: ChatGpt, store: str):
    client = clients.Client("sdk-client-1", "Stored client", (CALLBACK,), clients.REGISTERED)
    clients.save(client, expires_at=db.now() + timedelta(days=clients.UNUSED_CLIENT_DAYS))
    info = OAuthClientInformationFull(
        client_id="sdk-client-1", redirect_uris=[CALLBACK], token_endpoint_auth_method="none"
    )
    handlers = Handlers()
    greeting = sign_in_and_greet(chatgpt.urls.mcp, Storage(info), handlers)
    assert greeting.content[0].text == "Hello Ada"
    assert "Stored client" in handlers.person.page
