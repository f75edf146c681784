"""The simulator's MCP client on its own: discovery URLs, the authorization request, tool forms.

Its steps against the running functions are in tests/integration/test_simulator_mcp.py.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from gpt_auth.actions.catalog import ACTIONS
from gpt_auth.mcp.tools import tool_of
from gpt_auth.oauth import pkce
from localdev.action_forms import ARGUMENT, form_of
from localdev.simulator import BrowserSession, mask_body
from localdev.simulator_mcp import (
    McpClient,
    challenge_parameters,
    json_of,
    resource_metadata_urls,
    server_metadata_urls,
    tool_form,
)
from tests.support.simulator import BASE, make_client

MCP_URL = "http://127.0.0.1:3000/testEndpoint/mcp"
ISSUER = "http://127.0.0.1:3000/googleAuthorization"
CALLBACK = "http://127.0.0.1:3000/simulator/mcp/callback"
SERVER = {
    "issuer": ISSUER,
    "authorization_endpoint": ISSUER + "/",
    "token_endpoint": "http://127.0.0.1:3000/googleAuthentication/",
    "code_challenge_methods_supported": ["S256"],
}


def unsent(*args: object) -> None:
    raise AssertionError(f"no request expected, got {args}")


def client_with(server: dict[str, object] | None, client_id: str | None = "c1") -> McpClient:
    session = BrowserSession("s")
    session.mcp.resource, session.mcp.issuer, session.mcp.scope = MCP_URL, ISSUER, "openid email"
    session.mcp.server, session.mcp.client_id = server, client_id
    return McpClient(session, unsent, MCP_URL, CALLBACK)


def test_discovery_urls_are_the_mcp_sdk_s_in_its_order():
    from mcp.client.auth import utils

    # the issuer's: the MCP spec's three for an issuer with a path (the SDK then adds the root's)
    expected = utils.build_oauth_authorization_server_metadata_discovery_urls(ISSUER, MCP_URL)
    assert server_metadata_urls(ISSUER) == expected[:3]
    root = "http://127.0.0.1:3000"
    assert server_metadata_urls(root) == utils.build_oauth_authorization_server_metadata_discovery_urls(
        root, MCP_URL
    )
    # the resource's, with a challenge's URL and without one
    for named in ("http://127.0.0.1:3000/x/meta", None):
        challenge = {"resource_metadata": named} if named else {}
        sdk = utils.build_protected_resource_metadata_discovery_urls(named, MCP_URL)
        assert resource_metadata_urls(challenge, MCP_URL) == sdk[: 1 if named else 2]


def test_challenge_parameters_read_the_quoted_values():
    header = 'Bearer error="invalid_token", scope="openid email", resource_metadata="http://h/m"'
    assert challenge_parameters(header) == {
        "error": "invalid_token",
        "scope": "openid email",
        "resource_metadata": "http://h/m",
    }


def test_the_authorization_url_carries_pkce_s256_resource_and_the_loopback_callback():
    client = client_with(SERVER)
    location = client.sign_in_location()
    assert location is not None and location.startswith(SERVER["authorization_endpoint"] + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    state = client.state
    assert query == {
        "response_type": "code",
        "client_id": "c1",
        "redirect_uri": CALLBACK,
        "state": state.pending_state,
        "code_challenge": pkce.s256_challenge(state.verifier or ""),
        "code_challenge_method": "S256",
        "resource": MCP_URL,
        "scope": "openid email",
    }
    # the verifier stays on the server: never in the URL
    assert state.verifier and state.verifier not in location


def test_a_server_without_s256_or_a_client_id_is_not_signed_in_with():
    without_s256 = client_with({**SERVER, "code_challenge_methods_supported": ["plain"]})
    assert without_s256.sign_in_location() is None
    assert without_s256.state.notice and "PKCE S256" in without_s256.state.notice
    unregistered = client_with(SERVER, client_id=None)
    assert unregistered.sign_in_location() is None
    assert unregistered.state.verifier is None and unregistered.state.pending_state is None


def test_the_verifier_is_masked_in_the_timeline():
    shown = mask_body(
        "grant_type=authorization_code&code_verifier=" + "v" * 86, "application/x-www-form-urlencoded"
    )
    assert "v" * 20 not in shown and "(86 chars)" in shown


@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.operation_id)
def test_a_tool_s_form_has_the_action_form_s_fields_as_arguments(action):
    tool = tool_form(tool_of(action))
    declared = form_of(action)
    assert tool.name == action.operation_id
    assert [(f.name, f.widget, f.required, f.rule) for f in tool.fields] == [
        (f.name, f.widget, f.required, f.rule) for f in declared.fields
    ]
    assert {f.part for f in tool.fields} <= {ARGUMENT}


def test_the_mcp_section_starts_collapsed():
    text = make_client().get("/", base_url=BASE).get_data(as_text=True)
    section = text[text.index('<section aria-labelledby="mcp-title"') :]
    assert section.split("\n")[2].startswith("<details><summary>Play an MCP client")
    assert "not discovered yet" in section


def test_json_of_reads_a_json_answer_and_the_last_event_of_a_stream():
    def answer(text: str, media_type: str) -> requests.Response:
        response = requests.Response()
        response._content, response.headers["Content-Type"] = text.encode(), media_type
        return response

    assert json_of(answer('{"id": 1}', "application/json")) == {"id": 1}
    stream = 'event: message\ndata: {"id": 1}\n\nevent: message\ndata: {"id": 2}\n\n'
    assert json_of(answer(stream, "text/event-stream")) == {"id": 2}
    assert json_of(answer("<html>", "text/html")) is None
