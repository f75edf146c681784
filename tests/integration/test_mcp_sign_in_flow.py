"""An MCP client's whole sign-in over real HTTP: the Function URL emulator, the real handlers, the
Google stand-in, make dev's settings. The client is stored with ``clients.save`` (as a
registration would store it); its loopback callback is never contacted: the ``code``, ``state``
and ``iss`` are read from the ``Location``."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
import requests

from gpt_auth.oauth import clients, pkce
from gpt_auth.runtime import db
from localdev import revoke
from localdev.dev import LocalUrls
from tests.integration.chatgpt import TIMEOUT, ChatGpt, consent, location, query_of

CLIENT_ID = "mcp-inspector-test"
CALLBACK = "http://127.0.0.1:9/oauth/callback"  # loopback: a local MCP client's, never contacted
VERIFIER = pkce.new_verifier()


class McpClient:
    """A public MCP client and the person's browser, against the emulator at ``base``."""

    def __init__(self, base: str) -> None:
        self.urls = LocalUrls(base)
        self.resource = self.urls.mcp
        self.issuer = self.urls.authorization.rstrip("/")
        self.browser = requests.Session()  # the person's, with its cookies

    def consent_page(self, **overrides: str | None) -> requests.Response:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": CALLBACK,
            "state": "mcp-state-42",
            "code_challenge": pkce.s256_challenge(VERIFIER),
            "code_challenge_method": "S256",
            "resource": self.resource,
        } | overrides
        sent = {name: value for name, value in params.items() if value is not None}
        return self.browser.get(self.urls.authorization, params=sent, allow_redirects=False, timeout=TIMEOUT)

    def answer(self, page: requests.Response, decision: str) -> requests.Response:
        """Submit the consent page's form as its ``decision`` button does."""
        action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page.text)[1])
        token = html.unescape(re.search(r'name="request" value="([^"]+)"', page.text)[1])
        form = {"request": token, "decision": decision}
        return self.browser.post(action, data=form, allow_redirects=False, timeout=TIMEOUT)

    def sign_in(self, user: str = "mia@example.com") -> dict[str, str]:
        """Consent page, Allow, the provider as ``user``, our callback: the client's callback query."""
        page = self.consent_page()
        assert page.status_code == 200, page.text[:500]
        allowed = self.answer(page, "allow")
        assert allowed.status_code == 303, allowed.text[:500]
        provider_redirect = consent(allowed.headers["Location"], sub=user)
        back = location(self.browser.get(provider_redirect, allow_redirects=False, timeout=TIMEOUT))
        assert back.startswith(CALLBACK + "?"), back
        return query_of(back)

    def token(self, **form: str) -> requests.Response:
        """A token request with ``none``: the client_id in the body, no secret."""
        return requests.post(self.urls.token, data={"client_id": CLIENT_ID, **form}, timeout=TIMEOUT)

    def exchange(self, code: str) -> dict[str, Any]:
        answer = self.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=CALLBACK,
            code_verifier=VERIFIER,
            resource=self.resource,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def call(self, token: str, tool: str, **arguments: Any) -> requests.Response:
        message = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments},
        }
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
        return requests.post(self.resource, json=message, headers=headers, timeout=TIMEOUT)


@pytest.fixture
def mcp(chatgpt: ChatGpt, store: str) -> McpClient:
    """A registered MCP client, with the handlers set up as make dev does (``chatgpt``)."""
    client = clients.Client(CLIENT_ID, "MCP Inspector", (CALLBACK,), clients.REGISTERED)
    clients.save(client, expires_at=db.now() + timedelta(days=clients.UNUSED_CLIENT_DAYS))
    return McpClient(chatgpt.base)


def assert_challenged(answer: requests.Response) -> None:
    assert answer.status_code == 401, answer.text
    challenge = answer.headers["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge and 'resource_metadata="' in challenge


def test_an_mcp_client_signs_in_calls_a_tool_refreshes_and_stays_apart_from_the_gpt(
    mcp: McpClient, chatgpt: ChatGpt
):
    # GIVEN the person sees the consent page naming the client and where the code goes
    page = mcp.consent_page()
    assert page.status_code == 200
    assert "MCP Inspector" in page.text and "127.0.0.1:9" in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    # WHEN they allow, sign in at "Google", and come back
    back = mcp.sign_in()
    # THEN the client's callback gets a code, its state and our issuer
    assert (back["state"], back["iss"]) == ("mcp-state-42", mcp.issuer)
    # AND the code, with the verifier and the resource, gives a token pair for /mcp
    first = mcp.exchange(back["code"])
    greeting = mcp.call(first["access_token"], "getHello", name="Ada")
    assert greeting.status_code == 200, greeting.text
    assert greeting.json()["result"]["content"][0]["text"] == "Hello Ada"
    # AND the GPT's action refuses that token
    assert chatgpt.call_action(first["access_token"]).status_code == 401
    # AND a refresh rotates it, with none authentication
    refreshed = mcp.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert mcp.call(second["access_token"], "getHello", name="Bo").status_code == 200
    # AND a GPT's token is refused by /mcp
    assert_challenged(mcp.call(chatgpt.access_token_for("alice@example.com"), "getHello", name="Ada"))


def test_deny_sends_access_denied_back_with_iss(mcp: McpClient):
    page = mcp.consent_page()
    denied = mcp.answer(page, "deny")
    assert denied.status_code == 303
    back = query_of(denied.headers["Location"])
    assert (back["error"], back["state"], back["iss"]) == ("access_denied", "mcp-state-42", mcp.issuer)


def test_a_consent_posted_from_another_browser_is_refused(mcp: McpClient):
    page = mcp.consent_page()
    mcp.browser = requests.Session()  # another browser: no sign-in cookie
    refused = mcp.answer(page, "allow")
    assert refused.status_code == 400 and "Location" not in refused.headers


def test_without_pkce_the_client_hears_invalid_request_with_iss(mcp: McpClient):
    answer = mcp.consent_page(code_challenge=None, code_challenge_method=None)
    back = query_of(location(answer))
    assert (back["error"], back["iss"]) == ("invalid_request", mcp.issuer)


def test_make_revoke_answers_mcp_with_the_challenge(mcp: McpClient):
    tokens = mcp.exchange(mcp.sign_in("mia@example.com")["code"])
    status, _ = revoke.run("mia@example.com", None)
    assert status == 0
    assert_challenged(mcp.call(tokens["access_token"], "getHello", name="Ada"))


def test_delete_my_data_over_mcp_signs_the_client_out(mcp: McpClient):
    tokens = mcp.exchange(mcp.sign_in("noa@example.com")["code"])
    erased = mcp.call(tokens["access_token"], "deleteMyData")
    assert erased.status_code == 200 and erased.json()["result"]["isError"] is False, erased.text
    assert_challenged(mcp.call(tokens["access_token"], "getHello", name="Ada"))
