"""Which clients may sign in: the GPT from settings, MCP clients from the store, and where each
may be sent back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gpt_auth.oauth import clients
from gpt_auth.runtime import db
from gpt_auth.runtime.settings import get_settings

CLAUDE = "https://claude.ai/api/mcp/auth_callback"
INSPECTOR = "http://localhost:6274/oauth/callback"


def registered(client_id: str = "mcp-client-1", **fields) -> clients.Client:
    client = clients.Client(client_id, "Claude", (CLAUDE, INSPECTOR), clients.REGISTERED)
    clients.save(client, expires_at=db.now() + timedelta(days=clients.UNUSED_CLIENT_DAYS), **fields)
    return client


def test_the_gpt_client_comes_from_settings_and_is_not_an_mcp_client(store):
    settings = get_settings()
    client = clients.find(settings.gpt_client_id, settings)
    assert client is not None
    assert client.kind == clients.GPT
    assert not client.is_mcp


def test_a_stored_client_is_found_as_registered(store):
    saved = registered()
    found = clients.find(saved.client_id, get_settings())
    assert found == saved
    assert found is not None and found.is_mcp


@pytest.mark.parametrize("client_id", ["", "unknown", "x" * 300])
def test_an_unknown_client_is_none(store, client_id):
    registered()
    assert clients.find(client_id, get_settings()) is None


def test_an_expired_registration_is_not_found(store):
    client = clients.Client("old", "Old", (CLAUDE,), clients.REGISTERED)
    clients.save(client, expires_at=db.now() - timedelta(seconds=1))
    assert clients.find("old", get_settings()) is None


def test_a_long_client_name_is_shortened_when_read(store):
    clients.save(
        clients.Client("long", "n" * 500, (CLAUDE,), clients.REGISTERED),
        expires_at=db.now() + timedelta(days=1),
    )
    found = clients.find("long", get_settings())
    assert found is not None and len(found.name) == clients.MAX_CLIENT_NAME_CHARS


@pytest.mark.parametrize(
    "uri",
    [
        "https://chatgpt.com/connector/oauth/abc_123-XYZ",
        "https://chatgpt.com/connector_platform_oauth_redirect",
        CLAUDE,
        "https://claude.com/api/mcp/auth_callback",
        INSPECTOR,
        "http://127.0.0.1:33418/callback",
        "http://127.0.0.1/",
        "http://[::1]:8080/cb?x=1",
    ],
)
def test_the_default_mcp_allowlist_takes_chatgpt_claude_and_loopback(uri):
    assert clients.mcp_redirect_refusal(uri, get_settings()) is None


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("https://evil.example/api/mcp/auth_callback", "MCP_REDIRECT_URIS"),
        ("https://claude.ai.evil.example/api/mcp/auth_callback", "MCP_REDIRECT_URIS"),
        ("https://claude.ai/api/mcp/auth_callback/../x", "MCP_REDIRECT_URIS"),
        ("http://chatgpt.com/connector_platform_oauth_redirect", "http://"),
        ("http://localhost.evil.example:80/cb", "port"),
        ("https://user@claude.ai/api/mcp/auth_callback", "user information"),
        ("http://127.0.0.1:99999/cb", "port"),
        ("https://claude.ai/api/mcp/auth_callback#x", "fragment"),
    ],
)
def test_anything_else_is_refused_with_a_reason(uri, reason):
    refusal = clients.mcp_redirect_refusal(uri, get_settings())
    assert refusal is not None and reason in refusal
    assert "ALLOWED_REDIRECT_URIS" not in refusal


def test_mcp_redirect_uris_extends_the_defaults(configure):
    configure(MCP_REDIRECT_URIS=r"https://mcp\.example\.org/callback")
    settings = get_settings()
    assert clients.mcp_redirect_refusal("https://mcp.example.org/callback", settings) is None
    assert clients.mcp_redirect_refusal(CLAUDE, settings) is None


def test_an_mcp_client_goes_back_only_to_a_uri_it_registered(store):
    client = registered()
    patterns = get_settings().allowed_redirect_uris
    assert clients.allows_redirect(client, CLAUDE, patterns) is None
    # Allowed by the allowlist, but not registered by this client: refused.
    refusal = clients.allows_redirect(client, "https://claude.com/api/mcp/auth_callback", patterns)
    assert refusal is not None and "registered" in refusal
    assert clients.allows_redirect(client, CLAUDE + "/", patterns) is not None


def test_the_gpt_goes_back_to_any_allowed_chatgpt_callback():
    settings = get_settings()
    gpt = clients.find(settings.gpt_client_id, settings)
    assert gpt is not None
    ok = "https://chatgpt.com/aip/g-abc/oauth/callback"
    assert clients.allows_redirect(gpt, ok, settings.allowed_redirect_uris) is None
    assert clients.allows_redirect(gpt, CLAUDE, settings.allowed_redirect_uris) is not None
