"""The simulator's MCP side against the real functions, as ``make dev`` serves them, over HTTP.

A ``requests.Session`` plays the browser; the simulator's server side plays the MCP client:
discovery, registration, sign-in, the tools, each request in the page's timeline.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urljoin

import requests

from gpt_auth.actions import hello
from gpt_auth.actions.catalog import ACTIONS
from gpt_auth.oauth import clients
from gpt_auth.runtime.settings import get_settings
from localdev.simulator_mcp import McpState, server_metadata_urls
from tests.support.make_dev import TIMEOUT, Local, press
from tests.support.mcp_clients import bound_token

HELLO = hello.ACTION.operation_id
CLEAR_TOKEN = re.compile(r"g(at|rt|ac)_[A-Za-z0-9_-]{20,}")


def timeline(page: str) -> list[tuple[str, str]]:
    """(title, "METHOD url") of each timeline entry, oldest first."""
    entries = re.findall(
        r'<span class="title">([^<]*)</span>.*?<code class="url">([^<]*)</code>', page, flags=re.S
    )
    return [(html.unescape(title), html.unescape(url)) for title, url in entries]


def notice(page: str) -> str:
    """What the MCP section says about the last step."""
    found = re.search(r'<p id="mcp-notice"[^>]*>([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


def signed_in_with_a_seeded_token(local: Local, browser: requests.Session) -> McpState:
    """The browser's MCP client holding a real /mcp token of a seeded session (no sign-in)."""
    press(local, browser, "/simulator/mcp/discover")
    state = local.browser_session(browser).mcp
    state.access_token = bound_token(local.simulator.config.mcp_url)
    return state


def test_discover_follows_the_challenge_to_the_resource_metadata_and_the_issuer_s_metadata(local):
    browser = requests.Session()
    mcp_url = f"{local.base}/testEndpoint/mcp"
    issuer = f"{local.base}/googleAuthorization"
    # WHEN the user presses Discover
    page = press(local, browser, "/simulator/mcp/discover").text
    # THEN the MCP client sent /mcp an initialize without a token and read the 401's challenge
    steps = timeline(page)
    assert steps[0] == ("MCP discover: POST /mcp without a token", f"POST {mcp_url}")
    metadata_url = f"{local.base}/.well-known/oauth-protected-resource/testEndpoint/mcp"
    assert f"resource_metadata=&#34;{metadata_url}&#34;" in page
    # AND read the resource metadata there, then the issuer's metadata at its first well-known URL
    assert steps[1:] == [
        ("MCP discover: the protected resource metadata (RFC 9728)", f"GET {metadata_url}"),
        ("MCP discover: the authorization server metadata", f"GET {server_metadata_urls(issuer)[0]}"),
    ]
    state = local.browser_session(browser).mcp
    assert (state.resource, state.issuer) == (mcp_url, issuer)
    assert state.server and state.server["issuer"] == issuer
    assert notice(page) == f"Discovered /mcp's authorization server {issuer}; next: register."
    assert '<tr id="mcp-issuer"><th scope="row">Authorization server</th><td>' + issuer in page


def test_register_sends_the_loopback_callback_as_a_public_client(local):
    browser = requests.Session()
    press(local, browser, "/simulator/mcp/discover")
    # WHEN the user presses Register
    page = press(local, browser, "/simulator/mcp/register").text
    # THEN the registration endpoint of the metadata got the loopback callback and no secret
    state = local.browser_session(browser).mcp
    registered = local.browser_session(browser).steps[-1]
    assert (registered.method, registered.url) == ("POST", f"{state.issuer}/register")
    sent = json.loads(registered.request_body)
    assert sent["redirect_uris"] == [f"{local.base}/simulator/mcp/callback"]
    assert sent["token_endpoint_auth_method"] == "none"
    assert registered.status == 201 and "client_secret" not in registered.response_body
    # AND the client id it got is the one the authorization server now knows, with that callback
    assert state.client_id and notice(page) == f"Registered as client {state.client_id}; next: sign in."
    known = clients.find(state.client_id, get_settings())
    assert known is not None and known.redirect_uris == (f"{local.base}/simulator/mcp/callback",)
    assert f'<tr id="mcp-client"><th scope="row">Client ID</th><td>{state.client_id}</td>' in page


def test_an_authorization_server_without_registration_is_said(local):
    browser = requests.Session()
    press(local, browser, "/simulator/mcp/discover")
    state = local.browser_session(browser).mcp
    assert state.server is not None
    del state.server["registration_endpoint"]  # as a server that offers none would publish it
    page = press(local, browser, "/simulator/mcp/register").text
    assert notice(page).startswith("The authorization server's metadata has no registration_endpoint")
    assert local.browser_session(browser).steps[-1].method == "GET"  # nothing was posted


def test_an_issuer_without_metadata_is_tried_at_each_well_known_url_and_said(local, configure):
    # GIVEN /mcp naming an authorization server that publishes no metadata (testEndpoint's base)
    browser = requests.Session()
    issuer = f"{local.base}/testEndpoint"
    configure(AUTHORIZATION_SERVER_URL=issuer)
    # WHEN the user presses Discover
    page = press(local, browser, "/simulator/mcp/discover").text
    # THEN each of the issuer's URLs was tried in the MCP spec's order, and the page says so
    tried = [
        url for title, url in timeline(page) if title == "MCP discover: the authorization server metadata"
    ]
    assert tried == [f"GET {url}" for url in server_metadata_urls(issuer)]
    assert notice(page).startswith(f"The authorization server {issuer} publishes no metadata (RFC 8414)")
    assert local.browser_session(browser).mcp.server is None


def test_the_steps_after_discovery_say_what_they_need(local):
    browser = requests.Session()
    # register, sign in, list the tools and refresh, before anything was discovered
    expected = {
        "register": "Discover first: registration needs the authorization server's metadata.",
        "sign-in": "Discover and register first: signing in needs a client id and the authorization URL.",
        "tools": "Sign in as an MCP client first: /mcp needs an access token.",
        "refresh": "The MCP client holds no refresh token yet: sign in first.",
    }
    for step, said in expected.items():
        page = press(local, browser, f"/simulator/mcp/{step}").text
        assert notice(page) == said, step
    # AND none of them sent a request
    assert "No requests yet" in page


def test_list_tools_and_call_get_hello_with_a_token_bound_to_mcp(local):
    browser = requests.Session()
    state = signed_in_with_a_seeded_token(local, browser)
    # WHEN the user lists the tools
    page = press(local, browser, "/simulator/mcp/tools").text
    # THEN initialize, the initialized notification and tools/list went to /mcp with the token
    titles = [title for title, _ in timeline(page)[-3:]]
    assert titles == ["MCP initialize", "MCP notifications/initialized", "MCP tools/list"]
    assert notice(page) == f"/mcp lists {len(ACTIONS)} tools: each has a form below."
    # AND each tool has a form written from its inputSchema, collapsed until called
    for action in ACTIONS:
        assert f'<details class="action" id="tool-{action.operation_id}">' in page
    assert f'id="tool-{HELLO}-argument-name"' in page
    # WHEN getHello is called with a name
    page = press(local, browser, f"/simulator/mcp/tools/{HELLO}", name="Ada").text
    # THEN its answer is under its form, which is open
    assert f'<output id="tool-answer-{HELLO}">Hello Ada</output>' in page
    assert f'<details class="action" id="tool-{HELLO}" open>' in page
    assert timeline(page)[-1] == (f"MCP tools/call {HELLO}", f"POST {state.resource}")
    # AND a refused input is the tool's error, under the form
    page = press(local, browser, f"/simulator/mcp/tools/{HELLO}", name="   ").text
    assert f"{HELLO} refused (isError): " in html.unescape(page)
    # AND no token is ever on the page in clear
    assert state.access_token not in page and not CLEAR_TOKEN.search(page)


def test_a_token_mcp_refuses_is_said_under_the_tool(local):
    browser = requests.Session()
    state = signed_in_with_a_seeded_token(local, browser)
    press(local, browser, "/simulator/mcp/tools")
    # WHEN the token is one of the GPT's (not bound to /mcp)
    state.access_token = bound_token(None)
    page = press(local, browser, f"/simulator/mcp/tools/{HELLO}", name="Ada").text
    # THEN the 401 and its challenge are shown under the tool's form
    result = html.unescape(page[page.index(f'id="tool-{HELLO}-result"') :])
    assert result.startswith(f'id="tool-{HELLO}-result">\n<p class="refusal" role="alert">/mcp refused')
    assert "resource_metadata=" in result.split("</p>")[0]


def test_the_callback_checks_state_then_iss_before_any_exchange(local):
    browser = requests.Session()
    press(local, browser, "/simulator/mcp/discover")
    state = local.browser_session(browser).mcp
    callback = f"{local.base}/simulator/mcp/callback"
    before = len(local.browser_session(browser).steps)
    # a state this browser did not start
    state.pending_state, state.verifier = "started-here", "v" * 43
    page = browser.get(callback, params={"state": "other", "code": "x", "iss": state.issuer}, timeout=TIMEOUT)
    assert notice(page.text).startswith("The MCP callback's state matches no sign-in started here")
    # the right state from another issuer (RFC 9207: a mix-up)
    state.pending_state, state.verifier = "started-here", "v" * 43
    page = browser.get(
        callback,
        params={"state": "started-here", "code": "x", "iss": "http://127.0.0.1:1/other"},
        timeout=TIMEOUT,
    )
    assert notice(page.text).startswith("The MCP callback's iss http://127.0.0.1:1/other is not the issuer")
    # no iss, from a server whose metadata promises it (RFC 9207 2.4)
    assert state.server and state.server.get("authorization_response_iss_parameter_supported") is True
    state.pending_state, state.verifier = "started-here", "v" * 43
    page = browser.get(callback, params={"state": "started-here", "code": "x"}, timeout=TIMEOUT)
    assert notice(page.text).startswith(
        "The MCP callback has no iss, which the authorization server promised"
    )
    # AND no code was exchanged: the only new entries are the three callbacks
    added = local.browser_session(browser).steps[before:]
    assert [step.title for step in added] == [
        "MCP callback: the authorization server redirects the browser back"
    ] * 3
    assert "code=x" not in page.text  # the code is masked in the callback's URL


def consent_form(page: requests.Response) -> tuple[str, dict[str, str]]:
    """Our consent page's form: where it posts, and its hidden fields."""
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, page.text[:800]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return urljoin(page.url, html.unescape(action.group(1))), {k: html.unescape(v) for k, v in hidden.items()}


def sign_in_as_mcp_client(local: Local, browser: requests.Session, decision: str = "allow") -> str:
    """Discover, register, press "Sign in as an MCP client", answer our consent page, then consent
    at the Google stand-in as the sample user; returns the simulator's page at the end."""
    press(local, browser, "/simulator/mcp/discover")
    press(local, browser, "/simulator/mcp/register")
    page = press(local, browser, "/simulator/mcp/sign-in")
    # our consent page, before Google
    assert page.url.startswith(f"{local.base}/googleAuthorization"), (page.url, notice(page.text))
    assert page.status_code == 200 and "Allow" in page.text, page.text[:800]
    action, fields = consent_form(page)
    answered = browser.post(action, data={**fields, "decision": decision}, timeout=TIMEOUT)
    if decision != "allow":
        return answered.text
    assert "Authorize Client" in answered.text, answered.text[:800]
    page = browser.post(answered.url, data={"sub": "ada@example.com"}, timeout=TIMEOUT)
    assert page.url.startswith(f"{local.base}/"), page.url
    return page.text


def test_register_sign_in_list_call_and_refresh_as_an_mcp_client(local):
    browser = requests.Session()
    # WHEN the user discovers, registers, signs in (Allow, then the stand-in) as an MCP client
    page = sign_in_as_mcp_client(local, browser)
    state = local.browser_session(browser).mcp
    # THEN the registration named the loopback callback and no secret
    titles = [title for title, _ in timeline(page)]
    assert "MCP register: the client's metadata (RFC 7591)" in titles
    assert state.client_id and f"<td>{state.client_id}</td>" in page
    # AND the callback's state and iss passed, and the code was exchanged for tokens bound to /mcp
    assert notice(page) == "Signed in as an MCP client: next, list the tools."
    assert titles[-3:] == [
        "MCP sign in: the browser opens the authorization URL",
        "MCP callback: the authorization server redirects the browser back",
        "MCP token exchange: the code and the PKCE verifier for tokens",
    ]
    assert state.access_token and state.refresh_token and state.verifier is None
    assert '<p id="mcp-user">MCP client signed in as <strong>ada@example.com</strong>.</p>' in page
    # WHEN the tools are listed and getHello called
    press(local, browser, "/simulator/mcp/tools")
    page = press(local, browser, f"/simulator/mcp/tools/{HELLO}", name="Ada").text
    # THEN the answer is the action's
    assert f'<output id="tool-answer-{HELLO}">Hello Ada</output>' in page
    # WHEN the MCP access token is refreshed, THEN the new one works too
    first = state.access_token
    page = press(local, browser, "/simulator/mcp/refresh").text
    assert notice(page) == "Refreshed the MCP client's access token." and state.access_token != first
    page = press(local, browser, f"/simulator/mcp/tools/{HELLO}", name="Grace").text
    assert f'<output id="tool-answer-{HELLO}">Hello Grace</output>' in page
    # AND no token, code or verifier is on the page in clear
    assert not CLEAR_TOKEN.search(page) and state.access_token not in page


def test_a_denied_consent_is_said_and_exchanges_nothing(local):
    browser = requests.Session()
    page = sign_in_as_mcp_client(local, browser, decision="deny")
    assert notice(page).startswith("MCP sign-in failed: access_denied")
    assert "MCP token exchange" not in page
    assert local.browser_session(browser).mcp.access_token is None
