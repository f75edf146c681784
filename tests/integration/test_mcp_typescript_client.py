"""The official TypeScript SDK's client (``@modelcontextprotocol/sdk``'s ``Client`` and
``StreamableHTTPClientTransport``, pinned in tests/node, ``tests/node/mcp_client.mjs``) against
testEndpoint's /mcp on the Function URL emulator, run with tests/node's Node 22: with a seeded
session bound to that /mcp URL as its bearer token (initialize, ping, tools/list, tools/call, a
refusal), and signing in with the SDK's OAuth client provider through the consent page and the
Google stand-in (discovery, registration, PKCE, the code, the token, then getHello)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from typing import Any

from gpt_auth.actions import hello, preferences
from gpt_auth.actions.catalog import ACTIONS
from localdev.dev import LocalUrls
from tests.integration.person import Person
from tests.support.mcp_clients import TS_CLIENT, bound_token, node22

CALLBACK = "http://127.0.0.1:33419/callback"  # the client's loopback callback, never contacted


def run_client(url: str, token: str, calls: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(node22()), str(TS_CLIENT), url],
        input=json.dumps(calls),
        env={**os.environ, "MCP_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=TS_CLIENT.parent,
    )


def test_the_typescript_sdk_client_initializes_lists_and_calls_the_tools(mcp_url):
    calls = [
        {"name": hello.ACTION.operation_id, "arguments": {"name": "Ada"}},
        {"name": hello.ACTION.operation_id, "arguments": {"name": "   "}},
        {"name": preferences.SAVE.operation_id, "arguments": {"tone": "casual"}},
    ]
    ran = run_client(mcp_url, bound_token(mcp_url), calls)
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout)
    # THEN the handshake settled on the newest version both speak, and ping answered {}
    assert seen["protocolVersion"] == "2025-11-25"
    assert seen["serverInfo"]["name"] == "gpt-google-auth"
    assert seen["capabilities"] == {"tools": {"listChanged": False}}
    assert seen["ping"] == {}
    # AND every declared action is a tool, with its input schema
    tools = {tool["name"]: tool for tool in seen["tools"]}
    assert list(tools) == [action.operation_id for action in ACTIONS]
    assert tools[hello.ACTION.operation_id]["inputSchema"]["required"] == ["name"]
    greeting, refused, saved = seen["calls"]
    # AND getHello answers as for the GPT
    assert greeting["content"] == [{"type": "text", "text": "Hello Ada"}]
    assert not greeting.get("isError")
    # AND a refused input is a tool error the model can read, with the 400's sentence
    assert refused["isError"] is True
    assert "'name' must be a string of 1 to 200 characters" in refused["content"][0]["text"]
    # AND a JSON answer is structured content, which the SDK checked against the tool's outputSchema
    assert not saved.get("isError")
    assert saved["structuredContent"] == {"tone": "casual"}


def test_with_a_gpt_token_the_typescript_sdk_client_cannot_connect(mcp_url):
    # A GPT's token (a sign-in bound to no resource) is refused at /mcp: the SDK reports the 401
    ran = run_client(mcp_url, bound_token(None), [])
    assert ran.returncode == 1
    assert "invalid_token" in ran.stderr
    assert ran.stdout == ""


def test_the_typescript_sdk_client_signs_in_through_consent_and_calls_get_hello(mcp_url, emulator):
    person = Person(CALLBACK)
    calls = [{"name": hello.ACTION.operation_id, "arguments": {"name": "Ada"}}]
    env = {**os.environ, "MCP_REDIRECT_URI": CALLBACK}
    env.pop("MCP_TOKEN", None)
    with subprocess.Popen(
        [str(node22()), str(TS_CLIENT), mcp_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=TS_CLIENT.parent,
    ) as client:
        watchdog = threading.Timer(60, client.kill)
        watchdog.start()
        try:
            assert client.stdin and client.stdout
            client.stdin.write(json.dumps(calls) + "\n")
            client.stdin.flush()
            # WHEN the SDK, with no token, meets /mcp's 401, discovers and registers, and sends the
            # person to our authorize URL
            asked = client.stdout.readline()
            assert asked, client.communicate()[1]
            back = person.sign_in(json.loads(asked)["authorize"])
            # AND the person's browser comes back to the client's callback, which hands it over
            client.stdin.write(back + "\n")
            client.stdin.flush()
            out, err = client.communicate()
        finally:
            watchdog.cancel()
    assert client.returncode == 0, err
    seen = json.loads(out)
    # THEN the consent page named the client it registered
    assert "gpt-google-auth tests (TypeScript SDK)" in person.page
    # AND the redirect back carried our issuer (RFC 9207), and a refresh token came with the access token
    signed_in = seen["signedIn"]
    assert signed_in["redirect"] == {
        "params": ["code", "iss", "state"],
        "iss": LocalUrls(emulator).authorization.rstrip("/"),
    }
    assert signed_in["client_id"] and signed_in["refresh_token"] is True
    assert signed_in["token_type"].lower() == "bearer"
    # AND with it the SDK initialized and getHello answered
    assert seen["protocolVersion"] == "2025-11-25"
    assert seen["calls"][0]["content"] == [{"type": "text", "text": "Hello Ada"}]
