"""A cold container answering ``tools/call getHello`` at /mcp loads what ``POST /`` loads, plus our
own small MCP modules: no MCP SDK, no pydantic, nothing that talks to Google."""

from __future__ import annotations

from tests.support import cold_imports

SAMPLE_TOKEN = "gat_Ex4mpleAccessT0kenForTheSampleEventsOnly000"  # events/test_endpoint_*.json
DOMAIN = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"  # the sample event's
# What an MCP SDK server would bring (the `mcp` package, FastMCP and what they stand on).
SDK_MODULES = ("mcp", "fastmcp", "pydantic", "pydantic_core", "starlette", "anyio", "httpx", "jsonschema")
# Our MCP code (the issuer's resolution it shares with the authorization server's metadata, the
# resource bindings it accepts): the mount (its routes) is all that POST / may load of it.
OUR_MCP_MODULES = (
    "gpt_auth.mcp",
    "gpt_auth.oauth.protected_resource",
    "gpt_auth.oauth.server_metadata",
    "gpt_auth.oauth.resources",
)
MOUNT = {"gpt_auth.mcp", "gpt_auth.mcp.mount"}


def modules_after(mcp_call: bool, env: dict[str, str]) -> set[str]:
    """Every module a fresh interpreter holds after answering getHello once, at / or at /mcp."""
    resource = f"https://{DOMAIN}/mcp" if mcp_call else None
    script = f"""
from localdev.seed import seed_session_for
seed_session_for({SAMPLE_TOKEN!r}, resource={resource!r})
from functions.test_endpoint import app
from localdev.lambda_env import FakeLambdaContext
event = json.load(open('events/test_endpoint_valid.json'))
if {mcp_call!r}:
    event['rawPath'] = '/mcp'
    event['body'] = json.dumps({{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                "params": {{"name": "getHello", "arguments": {{"name": "Ada"}}}}}})
answer = app.lambda_handler(event, FakeLambdaContext())
assert answer['statusCode'] == 200, answer
assert 'Hello Ada' in answer['body'], answer
"""
    return cold_imports.every_module_after(script, env)


def test_tools_call_gethello_cold_loads_only_our_mcp_modules_beyond_post_root(app_settings):
    # GIVEN two fresh interpreters (cold containers), each with a live session for its side
    # WHEN one answers POST / (getHello) and the other tools/call getHello at /mcp
    plain = modules_after(False, app_settings)
    mcp = modules_after(True, app_settings)
    # THEN the MCP call loaded nothing beyond our own MCP modules
    assert {name for name in mcp - plain if not name.startswith(OUR_MCP_MODULES)} == set()
    # AND POST / loaded none of them but the routes' mount
    assert {name for name in plain if name.startswith(OUR_MCP_MODULES)} == MOUNT
    # AND neither loaded an MCP SDK or what it stands on
    assert not {name.split(".")[0] for name in mcp} & set(SDK_MODULES)
