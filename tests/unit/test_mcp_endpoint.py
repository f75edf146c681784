"""testEndpoint's /mcp, driven in-process with payload 2.0 events: the declared actions as MCP
tools, JSON-RPC answered per the spec, and tokens for /mcp and for the GPT kept apart."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from functions.test_endpoint import app
from gpt_auth.actions import hello, preferences, upcoming_events
from gpt_auth.actions.catalog import ACTIONS, gpt_scope
from gpt_auth.actions.declaration import Action, Reply
from gpt_auth.mcp import endpoint, tools
from gpt_auth.oauth import sessions
from localdev.seed import seed_session_for
from tests.support.events import load_event

DOMAIN = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"  # the sample event's
RESOURCE = f"https://{DOMAIN}/mcp"
METADATA = f"https://{DOMAIN}/.well-known/oauth-protected-resource/mcp"


def new_token() -> str:
    return "gat_" + secrets.token_urlsafe(32)


def mcp_token(scope: str | None = None) -> str:
    token = new_token()
    seed_session_for(token, scope=scope, resource=RESOURCE)
    return token


def post(lambda_context, body: Any, token: str | None, method: str = "POST", **headers: str) -> dict:
    event = load_event("test_endpoint_valid")
    event["rawPath"] = "/mcp"
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = "/mcp"
    event["headers"].pop("authorization")
    if token is not None:
        event["headers"]["authorization"] = f"Bearer {token}"
    event["headers"].update({name.replace("_", "-"): value for name, value in headers.items()})
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    return app.lambda_handler(event, lambda_context)


def rpc(method: str, params: dict | None = None, request_id: int | str = 1) -> dict:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def result_of(response: dict, request_id: int | str = 1) -> dict:
    assert response["statusCode"] == 200, response
    assert response["headers"]["Content-Type"] == "application/json"
    answer = json.loads(response["body"])
    assert answer["jsonrpc"] == "2.0" and answer["id"] == request_id
    assert "error" not in answer, answer
    return answer["result"]


def error_of(response: dict, status: int = 200) -> dict:
    assert response["statusCode"] == status, response
    answer = json.loads(response["body"])
    assert answer["jsonrpc"] == "2.0" and "result" not in answer
    return answer


def call_tool(lambda_context, token: str, name: str, arguments: Any) -> dict:
    return result_of(post(lambda_context, rpc("tools/call", {"name": name, "arguments": arguments}), token))


# ---- Discovery and tokens


def test_without_a_token_mcp_answers_401_naming_its_metadata_and_scope(lambda_context):
    response = post(lambda_context, rpc("initialize", {"protocolVersion": "2025-06-18"}), None)
    assert response["statusCode"] == 401
    challenge = response["headers"]["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'resource_metadata="{METADATA}"' in challenge
    assert f'scope="{" ".join(gpt_scope())}"' in challenge
    assert "error=" not in challenge  # RFC 6750 3.1: no token was sent


def test_a_gpt_token_is_refused_at_mcp_and_an_mcp_token_by_the_gpt_actions(lambda_context):
    gpt, mcp = new_token(), mcp_token()
    seed_session_for(gpt)
    # A GPT session (no resource) at /mcp: 401 with the challenge
    refused = post(lambda_context, rpc("ping"), gpt)
    assert refused["statusCode"] == 401
    assert 'error="invalid_token"' in refused["headers"]["WWW-Authenticate"]
    assert f'resource_metadata="{METADATA}"' in refused["headers"]["WWW-Authenticate"]
    # The /mcp session at the GPT's getHello: 401
    event = load_event("test_endpoint_valid")
    event["headers"]["authorization"] = f"Bearer {mcp}"
    assert app.lambda_handler(event, lambda_context)["statusCode"] == 401
    # Each where it belongs works
    event["headers"]["authorization"] = f"Bearer {gpt}"
    assert app.lambda_handler(event, lambda_context)["statusCode"] == 200
    assert result_of(post(lambda_context, rpc("ping"), mcp)) == {}


def test_a_token_bound_to_another_mcp_url_is_refused(lambda_context):
    token = new_token()
    seed_session_for(token, resource="https://elsewhere.example.com/mcp")
    assert post(lambda_context, rpc("ping"), token)["statusCode"] == 401


def test_a_revoked_mcp_session_answers_401_with_the_challenge(lambda_context):
    token = new_token()
    family = seed_session_for(token, resource=RESOURCE)
    assert result_of(post(lambda_context, rpc("ping"), token)) == {}
    sessions.revoke_family(family)
    response = post(lambda_context, rpc("ping"), token)
    assert response["statusCode"] == 401
    assert f'resource_metadata="{METADATA}"' in response["headers"]["WWW-Authenticate"]


def test_a_tool_whose_google_scope_was_not_granted_answers_403_insufficient_scope(lambda_context):
    token = mcp_token(scope="openid email profile")
    response = post(lambda_context, rpc("tools/call", {"name": "listUpcomingEvents", "arguments": {}}), token)
    assert response["statusCode"] == 403
    challenge = response["headers"]["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{upcoming_events.SCOPE}"' in challenge
    assert f'resource_metadata="{METADATA}"' in challenge


def test_a_google_grant_that_ended_answers_401_with_the_challenge_not_a_tool_error(lambda_context):
    # The sample user has no stored Google grant: the Calendar action's own 401 (signed out)
    token = mcp_token()
    response = post(lambda_context, rpc("tools/call", {"name": "listUpcomingEvents", "arguments": {}}), token)
    assert response["statusCode"] == 401
    challenge = response["headers"]["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge and f'resource_metadata="{METADATA}"' in challenge


def test_the_protected_resource_metadata_names_the_resource_and_our_issuer(lambda_context, configure):
    configure(AUTHORIZATION_SERVER_URL="https://auth.example.com/")
    event = load_event("test_endpoint_valid")
    event.update(rawPath="/.well-known/oauth-protected-resource/mcp", body="")
    event["requestContext"]["http"]["method"] = "GET"
    response = app.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 200
    document = json.loads(response["body"])
    assert document["resource"] == RESOURCE
    assert document["authorization_servers"] == ["https://auth.example.com"]
    assert document["scopes_supported"] == list(gpt_scope())
    assert document["bearer_methods_supported"] == ["header"]
    # Nothing that does not exist yet is advertised
    assert not {"registration_endpoint", "client_id_metadata_document_supported"} & set(document)


def test_behind_the_one_host_the_urls_follow_the_public_path(lambda_context, configure):
    # ACTION_URL as the template sets it for a custom domain; the issuer a path on the same host
    configure(ACTION_URL="https://gpt.example.com/hello", AUTHORIZATION_SERVER_URL="/authorize")
    event = load_event("test_endpoint_valid")
    event.update(rawPath="/.well-known/oauth-protected-resource/mcp", body="")
    event["requestContext"]["http"]["method"] = "GET"
    document = json.loads(app.lambda_handler(event, lambda_context)["body"])
    assert document["resource"] == "https://gpt.example.com/hello/mcp"
    assert document["authorization_servers"] == ["https://gpt.example.com/authorize"]
    challenge = post(lambda_context, rpc("ping"), None)["headers"]["WWW-Authenticate"]
    assert (
        'resource_metadata="https://gpt.example.com/.well-known/oauth-protected-resource/hello/mcp"'
        in challenge
    )


# ---- The protocol


@pytest.mark.parametrize(
    ("asked", "answered"),
    [("2025-06-18", "2025-06-18"), ("2025-11-25", "2025-11-25"), ("2024-11-05", "2025-11-25")],
)
def test_initialize_answers_the_clients_version_if_supported_else_the_newest(lambda_context, asked, answered):
    params = {"protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    result = result_of(post(lambda_context, rpc("initialize", params), mcp_token()))
    assert result["protocolVersion"] == answered
    assert result["capabilities"] == {"tools": {"listChanged": False}}
    assert result["serverInfo"]["name"] == endpoint.SERVER_INFO["name"]


def test_a_notification_or_a_clients_response_is_202_without_a_body(lambda_context):
    token = mcp_token()
    for message in (
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}},
        {"jsonrpc": "2.0", "id": 7, "result": {}},
    ):
        response = post(lambda_context, message, token)
        assert (response["statusCode"], response["body"]) == (202, "")
        assert "mcp-session-id" not in {name.lower() for name in response["headers"]}


def test_tools_list_has_one_tool_per_declared_action(lambda_context):
    listed = result_of(post(lambda_context, rpc("tools/list"), mcp_token()))["tools"]
    assert [tool["name"] for tool in listed] == [action.operation_id for action in ACTIONS]
    by_name = {tool["name"]: tool for tool in listed}
    for action in ACTIONS:
        assert by_name[action.operation_id]["description"] == action.description
        assert by_name[action.operation_id]["inputSchema"]["type"] == "object"
    greeting = by_name[hello.ACTION.operation_id]["inputSchema"]
    assert greeting["required"] == ["name"]
    assert greeting["properties"]["name"]["maxLength"] == hello.MAX_NAME_LENGTH
    events = by_name[upcoming_events.ACTION.operation_id]
    assert set(events["inputSchema"]["properties"]) == {"days", "page"}
    assert "required" not in events["inputSchema"]
    assert events["annotations"]["readOnlyHint"] is True
    assert set(events["outputSchema"]["properties"]) == {"untrusted_text", "events", "truncated", "next_page"}


def test_tools_call_runs_the_action_and_answers_its_text(lambda_context):
    result = call_tool(lambda_context, mcp_token(), hello.ACTION.operation_id, {"name": "  Ada "})
    assert result == {"content": [{"type": "text", "text": "Hello Ada"}], "isError": False}


@pytest.mark.parametrize("arguments", [{"name": " \t"}, {}, {"name": 3}, {"name": "x" * 201}])
def test_a_refused_argument_is_a_tool_error_with_the_400s_sentence(lambda_context, arguments):
    result = call_tool(lambda_context, mcp_token(), hello.ACTION.operation_id, arguments)
    # The same sentence POST / answers for the same body
    event = load_event("test_endpoint_valid")
    token = new_token()
    seed_session_for(token)
    event["headers"]["authorization"] = f"Bearer {token}"
    event["body"] = json.dumps(arguments)
    refused = app.lambda_handler(event, lambda_context)
    assert refused["statusCode"] == 400
    sentence = json.loads(refused["body"])["error_description"]
    assert result["isError"] is True
    assert result["content"] == [{"type": "text", "text": sentence.replace("the body", "the arguments")}]


def test_a_query_argument_is_checked_by_its_declared_type(lambda_context):
    result = call_tool(lambda_context, mcp_token(), upcoming_events.ACTION.operation_id, {"days": 99})
    assert result["isError"] is True
    assert result["content"][0]["text"] == "'days' must be a whole number from 1 to 31."


def test_a_json_answer_is_also_structured_content():
    data = {"events": [], "truncated": False, "next_page": None}
    action = Action(
        operation_id="listThings",
        method="GET",
        path="/things",
        summary="s",
        description="d",
        instruction="i",
        run=lambda call: Reply.of(data),
        returns=dict,
    )
    result = tools.call_tool({"listThings": action}, {"user_id": "u", "scope": ""}, {"name": "listThings"})
    assert result["structuredContent"] == data
    assert json.loads(result["content"][0]["text"]) == data


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, -32700),
        ('"just a string"', 400, -32600),
        ([rpc("ping")], 400, -32600),  # a batch: not part of MCP since 2025-06-18
        ([], 400, -32600),
        ({"id": 1, "method": "ping"}, 400, -32600),  # no "jsonrpc"
        ({"jsonrpc": "1.0", "id": 1, "method": "ping"}, 400, -32600),
        ({"jsonrpc": "2.0", "id": None, "method": "ping"}, 400, -32600),
        ({"jsonrpc": "2.0", "id": 1.5, "method": "ping"}, 400, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": 5}, 400, -32600),
        ({"jsonrpc": "2.0", "id": 1}, 400, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": [1]}, 400, -32602),
        (rpc("resources/list"), 200, -32601),
        (rpc("initialize", {}), 200, -32602),
        (rpc("tools/call", {"name": "noSuchTool"}), 200, -32602),
        (rpc("tools/call", {"name": "getHello", "arguments": ["Ada"]}), 200, -32602),
        (rpc("tools/list", {"cursor": "x"}), 200, -32602),
    ],
)
def test_malformed_json_rpc_gets_the_specs_error_never_a_5xx(lambda_context, body, status, code):
    answer = error_of(post(lambda_context, body, mcp_token()), status)
    assert answer["error"]["code"] == code
    assert answer["error"]["message"]


def test_an_error_answers_the_requests_id(lambda_context):
    answer = error_of(post(lambda_context, rpc("nope", request_id="abc"), mcp_token()))
    assert answer["id"] == "abc"


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_get_and_delete_answer_405(lambda_context, method):
    response = post(lambda_context, "", mcp_token(), method=method)
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "OPTIONS, POST"


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("https://evil.example.com", 403),
        ("null", 403),
        (f"https://{DOMAIN}.evil.example.com", 403),
        ("http://localhost:6274", 200),
        ("http://127.0.0.1:5173", 200),
        ("http://[::1]:8080", 200),
        (f"https://{DOMAIN}", 200),
    ],
)
def test_only_loopback_and_this_hosts_origins_may_call(lambda_context, origin, status):
    assert post(lambda_context, rpc("ping"), mcp_token(), origin=origin)["statusCode"] == status


INSPECTOR = "http://localhost:6274"


def test_a_browser_client_on_an_allowed_origin_may_read_answers_and_the_challenge(lambda_context):
    # GIVEN a browser-based client (the MCP Inspector) on a loopback origin
    # WHEN it calls without a token, then with one
    refused = post(lambda_context, rpc("ping"), None, origin=INSPECTOR)
    answered = post(lambda_context, rpc("ping"), mcp_token(), origin=INSPECTOR)
    # THEN both answers name that origin, and the 401's challenge is readable by its script
    assert refused["statusCode"] == 401
    for response in (refused, answered):
        assert response["headers"]["Access-Control-Allow-Origin"] == INSPECTOR
        assert response["headers"]["Vary"] == "Origin"
    assert "WWW-Authenticate" in refused["headers"]["Access-Control-Expose-Headers"]
    assert answered["statusCode"] == 200


def test_a_server_side_client_gets_no_cors_headers(lambda_context):
    response = post(lambda_context, rpc("ping"), mcp_token())
    assert response["statusCode"] == 200
    assert not any(name.startswith("Access-Control-") for name in response["headers"])


@pytest.mark.parametrize(("origin", "status"), [(INSPECTOR, 204), ("https://evil.example.com", 403)])
def test_a_preflight_is_allowed_only_for_the_origins_mcp_answers(lambda_context, origin, status):
    response = post(lambda_context, "", None, method="OPTIONS", origin=origin)
    assert response["statusCode"] == status
    if status == 204:
        assert response["headers"]["Access-Control-Allow-Origin"] == origin
        allowed = response["headers"]["Access-Control-Allow-Headers"]
        assert "Authorization" in allowed and "MCP-Protocol-Version" in allowed
    else:
        assert "Access-Control-Allow-Origin" not in response["headers"]


def test_a_preflight_without_an_origin_is_refused(lambda_context):
    assert post(lambda_context, "", None, method="OPTIONS")["statusCode"] == 403


def test_an_unsupported_protocol_version_header_is_400(lambda_context):
    token = mcp_token()
    answer = error_of(post(lambda_context, rpc("ping"), token, mcp_protocol_version="1999-01-01"), 400)
    assert answer["error"]["code"] == -32600
    ok = post(lambda_context, rpc("ping"), token, mcp_protocol_version="2025-06-18")
    assert result_of(ok) == {}


def test_a_json_action_answers_structured_content_and_its_refusals_are_tool_errors(lambda_context):
    token = mcp_token()
    saved = call_tool(
        lambda_context, token, preferences.SAVE.operation_id, {"tone": "casual", "topics": ["jazz"]}
    )
    assert saved["isError"] is False
    assert saved["structuredContent"] == {"tone": "casual", "topics": ["jazz"]}
    assert json.loads(saved["content"][0]["text"]) == saved["structuredContent"]
    read = call_tool(lambda_context, token, preferences.GET.operation_id, {})
    assert read["structuredContent"] == {"tone": "casual", "topics": ["jazz"]}
    # An unknown field, and arguments over the declared body size, are refused as for PUT /preferences
    unknown = call_tool(lambda_context, token, preferences.SAVE.operation_id, {"mood": "happy"})
    assert (
        unknown["isError"] is True
        and "'mood' is not a field of the arguments" in unknown["content"][0]["text"]
    )
    large = call_tool(lambda_context, token, preferences.SAVE.operation_id, {"notes": "n" * 5000})
    assert large["isError"] is True
    assert (
        large["content"][0]["text"]
        == f"The arguments are larger than {preferences.SAVE.max_body_bytes:,} bytes."
    )
