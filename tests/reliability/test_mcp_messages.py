"""Property tests (hypothesis) of /mcp: any message, well formed or not, with a live /mcp token,
is answered with a JSON-RPC object, a 202 or the token's refusal, never a 5xx."""

from __future__ import annotations

import json
import secrets
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from functions.test_endpoint import app
from gpt_auth.actions.catalog import ACTIONS
from gpt_auth.runtime.settings import MAX_ACTION_RESPONSE_CHARS
from localdev.seed import seed_session_for
from tests.reliability.test_properties import json_values
from tests.support.events import load_event

DOMAIN = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"  # the sample event's

ids = st.one_of(st.integers(), st.text(max_size=10), st.none(), st.booleans(), st.floats(allow_nan=False))
methods = st.one_of(
    st.sampled_from(["initialize", "ping", "tools/list", "tools/call", "notifications/initialized"]),
    st.text(max_size=20),
)
tool_params = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.sampled_from([action.operation_id for action in ACTIONS]), json_values),
        "arguments": st.one_of(
            st.dictionaries(st.sampled_from(["name", "days", "page", "tone", "topics", "x"]), json_values),
            json_values,
        ),
        "protocolVersion": st.one_of(st.sampled_from(["2025-06-18", "2025-11-25"]), json_values),
        "cursor": json_values,
    },
)
messages = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.one_of(st.just("2.0"), json_values),
        "id": ids,
        "method": methods,
        "params": st.one_of(tool_params, json_values),
        "result": json_values,
    },
)
bodies = st.one_of(
    messages.map(json.dumps), st.lists(messages, max_size=3).map(json.dumps), st.text(max_size=60)
)


def answer_to(body: str, token: str, lambda_context: Any) -> dict[str, Any]:
    event = load_event("test_endpoint_valid")
    event.update(rawPath="/mcp", body=body)
    event["headers"]["authorization"] = f"Bearer {token}"
    return app.lambda_handler(event, lambda_context)


@given(body=bodies)
def test_any_message_gets_a_json_rpc_answer_never_a_5xx(body, lambda_context):
    # GIVEN a live session bound to this /mcp, granted every tool's scope
    token = "gat_" + secrets.token_urlsafe(32)
    seed_session_for(token, resource=f"https://{DOMAIN}/mcp")
    # WHEN any body is posted
    result = answer_to(body, token, lambda_context)
    status = result["statusCode"]
    # THEN never a 5xx: a JSON-RPC answer, a 202, or the challenge of a tool's 401 (no Google grant)
    assert status in (200, 202, 400, 401), result
    assert len(result["body"]) <= 2 * MAX_ACTION_RESPONSE_CHARS + 1000
    if status == 202:
        assert result["body"] == ""
    elif status == 401:
        assert "resource_metadata=" in result["headers"]["WWW-Authenticate"]
    else:
        answer = json.loads(result["body"])
        assert answer["jsonrpc"] == "2.0"
        assert ("result" in answer) != ("error" in answer), answer
        if "error" in answer:
            assert isinstance(answer["error"]["code"], int) and answer["error"]["message"]
