"""The official MCP Python SDK's client (``mcp`` 2.3.0: ``streamable_http_client`` and
``ClientSession``) against testEndpoint's /mcp on the Function URL emulator, with a seeded session
bound to that /mcp URL as the bearer token: initialize, tools/list, tools/call, a refusal."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import requests
from mcp import ClientSession
from mcp.client import streamable_http as mcp_client
from mcp.shared._httpx_utils import create_mcp_http_client

from gpt_auth.actions import hello, preferences, upcoming_events
from gpt_auth.actions.catalog import ACTIONS
from tests.support.mcp_clients import bound_token


def with_client(url: str, token: str, work: Any) -> Any:
    """Run ``work(session)`` in a ClientSession over Streamable HTTP, the token in a header."""

    async def run() -> Any:
        http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
        async with (
            http,
            mcp_client.streamable_http_client(url, http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            initialized = await session.initialize()
            return initialized, await work(session)

    return asyncio.run(run())


def test_the_sdk_client_initializes_lists_and_calls_the_tools(mcp_url):
    token = bound_token(mcp_url)

    async def work(session: ClientSession) -> dict[str, Any]:
        await session.send_ping()
        listed = await session.list_tools()
        greeting = await session.call_tool(hello.ACTION.operation_id, {"name": "Ada"})
        refused = await session.call_tool(hello.ACTION.operation_id, {"name": "   "})
        bad_days = await session.call_tool(upcoming_events.ACTION.operation_id, {"days": 0})
        saved = await session.call_tool(preferences.SAVE.operation_id, {"tone": "casual"})
        return {
            "listed": listed,
            "greeting": greeting,
            "refused": refused,
            "bad_days": bad_days,
            "saved": saved,
        }

    initialized, seen = with_client(mcp_url, token, work)
    # THEN the handshake settled on the newest version both speak
    assert initialized.protocol_version == "2025-11-25"
    assert initialized.server_info.name == "gpt-google-auth"
    # AND every declared action is a tool, with its input schema
    tools = {tool.name: tool for tool in seen["listed"].tools}
    assert list(tools) == [action.operation_id for action in ACTIONS]
    assert tools[hello.ACTION.operation_id].input_schema["required"] == ["name"]
    # AND getHello answers as for the GPT
    assert seen["greeting"].is_error is False
    assert [block.text for block in seen["greeting"].content] == ["Hello Ada"]
    # AND a refused input is a tool error the model can read, with the 400's sentence
    assert seen["refused"].is_error is True
    assert "'name' must be a string of 1 to 200 characters" in seen["refused"].content[0].text
    assert seen["bad_days"].is_error is True
    assert seen["bad_days"].content[0].text == "'days' must be a whole number from 1 to 31."
    # AND a JSON answer is structured content, which the SDK checked against the tool's outputSchema
    assert seen["saved"].is_error is False
    assert seen["saved"].structured_content == {"tone": "casual"}


def test_without_a_bound_token_the_sdk_client_cannot_connect_and_the_challenge_names_the_metadata(
    mcp_url, emulator
):
    # A GPT's token (no resource) is refused at /mcp: the SDK client cannot initialize, as the
    # 401 it met says
    gpt_token = bound_token(None)
    with pytest.raises(ExceptionGroup):
        with_client(mcp_url, gpt_token, lambda session: asyncio.sleep(0))
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25"},
    }
    refused = requests.post(
        mcp_url, json=initialize, headers={"Authorization": f"Bearer {gpt_token}"}, timeout=10
    )
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    # The 401 names the metadata, served at the emulator's root, which names the resource and issuer
    challenge = requests.post(mcp_url, json={}, timeout=10).headers["WWW-Authenticate"]
    metadata_url = f"{emulator}/.well-known/oauth-protected-resource/testEndpoint/mcp"
    assert f'resource_metadata="{metadata_url}"' in challenge
    document = requests.get(metadata_url, timeout=10).json()
    assert document["resource"] == mcp_url
    assert document["authorization_servers"] == [f"{emulator}/googleAuthorization"]
    # And a /mcp token is refused by the GPT's getHello
    mcp_token = bound_token(mcp_url)
    answer = requests.post(
        f"{emulator}/testEndpoint/",
        json={"name": "Ada"},
        headers={"Authorization": f"Bearer {mcp_token}"},
        timeout=10,
    )
    assert answer.status_code == 401


def test_a_tool_the_sign_in_lacks_the_scope_for_is_403_insufficient_scope_over_http(mcp_url):
    token = bound_token(mcp_url, scope="openid email profile")
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "listUpcomingEvents"}}
    answer = requests.post(mcp_url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 403
    assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]
    assert "resource_metadata=" in answer.headers["WWW-Authenticate"]
