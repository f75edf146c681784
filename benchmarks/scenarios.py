"""What each benchmark invokes: real payload 2.0 events for the main route, with the store seeded.

Imported by the harness (``gpt_auth`` from ``shared/``) and by the warm-latency child (``gpt_auth``
from the built layer), so it imports ``gpt_auth`` only inside functions.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from localdev.invoke import load_event
from localdev.lambda_env import ACTION, AUTHORIZATION, TOKEN, FakeLambdaContext, template_resource, with_form
from localdev.samples import SAMPLE_ACCESS_TOKEN

SETTINGS = {
    "GOOGLE_CLIENT_ID": "bench-google-client.apps.example",
    "GOOGLE_CLIENT_SECRET": "bench-google-secret-0123456789",
    "GPT_CLIENT_ID": "bench-gpt-client",
    "GPT_CLIENT_SECRET": "bench-gpt-secret-0123456789",
    # The key ring that seals stored Google tokens (32 bytes, base64): the callback stores a grant.
    "TOKEN_ENCRYPTION_KEYS": "bench1:YmVuY2gtdG9rZW4ta2V5LTAxMjM0NTY3ODlhYmNkZWY=",
    # The key the stored hashes of our tokens are HMACs under (32 bytes, base64).
    "TOKEN_HASH_KEYS": "bench1:YmVuY2gtaGFzaC1rZXktMDEyMzQ1Njc4OWFiY2RlZmc=",
    "MONGODB_DATABASE": "gpt_auth_bench",
    "POWERTOOLS_SERVICE_NAME": "gpt-google-auth",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
GPT_CALLBACK = "https://chatgpt.com/aip/g-bench0123/oauth/callback"
PROVIDER_NONCE = "bench-nonce-0123456789"  # the provider stub signs id_tokens with it
PROVIDER_CODE = "4/0AbCdEfGhIjKlMnOpQrStUvWxYz"
CONTEXT = FakeLambdaContext(function_name="bench", aws_request_id="00000000-0000-4000-8000-000000000000")


def token_check_events(count: int) -> list[dict[str, Any]]:
    """testEndpoint ``POST /``: a live session for the sample token, granted the scope the GPT asks
    for (every action's Google scopes: ``GET /events`` uses the same session); the event is reusable."""
    from gpt_auth.oauth import sessions
    from gpt_auth.oauth.tokens import hash_token
    from gpt_auth.runtime import db
    from gpt_auth.runtime.settings import get_settings
    from localdev.seed import every_action_scope

    config = get_settings()
    db.collection(sessions.COLLECTION).delete_many({"access_token_hash": hash_token(SAMPLE_ACCESS_TOKEN)})
    sessions.create_session(
        user_id="bench-user",
        client_id=config.gpt_client_id,
        scope=every_action_scope(),
        lifetimes=sessions.Lifetimes.from_settings(config),
        access_token=SAMPLE_ACCESS_TOKEN,
    )
    return [load_event("test_endpoint_valid")] * count


def token_endpoint_events(count: int) -> list[dict[str, Any]]:
    """googleAuthentication ``POST /``: one fresh authorization code per event (a code works once)."""
    from gpt_auth.oauth.codes import issue_code
    from gpt_auth.runtime.settings import get_settings

    config = get_settings()
    template = load_event("google_authentication_code_post")
    events = []
    for _ in range(count):
        code = issue_code(
            client_id=config.gpt_client_id, redirect_uri=GPT_CALLBACK, user_id="bench-user", scope=""
        )
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": GPT_CALLBACK,
            "client_id": config.gpt_client_id,
            "client_secret": config.gpt_client_secret,
        }
        events.append(with_form(copy.deepcopy(template), form))
    return events


def callback_events(count: int) -> list[dict[str, Any]]:
    """googleAuthorization ``GET /callback``: one pending sign-in per event (a state works once)."""
    from gpt_auth.oauth import pending
    from gpt_auth.runtime.settings import get_settings
    from localdev.samples import SAMPLE_SIGN_IN_COOKIE  # the template event's browser

    config = get_settings()
    template = load_event("google_authorization_callback_unknown_state")
    events = []
    for i in range(count):
        state = pending.create(
            pending.PendingRequest(
                client_id=config.gpt_client_id,
                redirect_uri=GPT_CALLBACK,
                state=f"gpt-state-{i}",
                scope="",
                nonce=PROVIDER_NONCE,
                code_verifier="v" * 64,
                callback_uri=config.google_redirect_uri or "https://bench.example/callback",
            ),
            browser=SAMPLE_SIGN_IN_COOKIE,
        )
        event = copy.deepcopy(template)
        event["rawQueryString"] = urlencode(
            {"code": PROVIDER_CODE, "scope": "email profile openid", "state": state}
        )
        events.append(event)
    return events


EVENTS_ACTION = "listUpcomingEvents"  # testEndpoint's Google-backed route, measured on its own
GOOGLE_REFRESH_TOKEN = "1//bench-google-refresh-token"


def upcoming_events_events(count: int) -> list[dict[str, Any]]:
    """testEndpoint ``GET /events``: a live session whose user has a stored Google grant with a
    refresh token and no live access token, so a container's first call refreshes at the provider
    stub before Calendar's events.list; later calls in that container reuse the refreshed token."""
    from gpt_auth.actions import upcoming_events
    from gpt_auth.google import google_tokens
    from gpt_auth.google.provider import TokenResponse

    template = token_check_events(1)[0]  # the session, for the user the grant is stored under
    # A new document each time: nx-27017 stores a datetime that $set writes into an existing
    # document as a string (its divergence), which the grant's expiry would then be.
    google_tokens.delete("bench-user")
    google_tokens.save_from_callback(
        "bench-user",
        TokenResponse(
            id_token=None,
            access_token=None,
            refresh_token=GOOGLE_REFRESH_TOKEN,
            expires_in=None,
            scope=f"openid email profile {upcoming_events.SCOPE}",
        ),
        requested_scopes=(),
    )
    event = copy.deepcopy(template)
    event["rawPath"] = "/events"
    event["rawQueryString"] = "days=7"
    event["requestContext"]["http"].update({"method": "GET", "path": "/events"})
    event.pop("body", None)
    event["isBase64Encoded"] = False
    for name in ("content-type", "content-length"):
        event["headers"].pop(name, None)
    return [event] * count


MCP_ACTION = "mcpToolsCall"  # testEndpoint's POST /mcp: tools/call getHello, beside POST /
MCP_GREETING = "Hello Ada"  # getHello's answer to the sample event's name


def mcp_tools_call_events(count: int) -> list[dict[str, Any]]:
    """testEndpoint ``POST /mcp``: ``tools/call`` of getHello with a live session bound to the
    sample event's ``/mcp`` (its Function URL host), the same greeting ``POST /`` asks for, with
    no ``initialize`` before it (stateless) and the headers MCP clients send on every request."""
    import json

    from gpt_auth.actions import hello
    from gpt_auth.mcp.endpoint import PROTOCOL_VERSIONS
    from gpt_auth.oauth import sessions
    from gpt_auth.oauth.tokens import hash_token
    from gpt_auth.runtime import db
    from localdev.seed import seed_session_for

    template = load_event("test_endpoint_valid")
    resource = f"https://{template['requestContext']['domainName']}/mcp"
    db.collection(sessions.COLLECTION).delete_many({"access_token_hash": hash_token(SAMPLE_ACCESS_TOKEN)})
    seed_session_for(SAMPLE_ACCESS_TOKEN, user_id="bench-user", resource=resource)
    event = copy.deepcopy(template)
    event["rawPath"] = "/mcp"
    event["requestContext"]["http"]["path"] = "/mcp"
    event["headers"]["accept"] = "application/json, text/event-stream"
    event["headers"]["mcp-protocol-version"] = PROTOCOL_VERSIONS[0]
    call = {"name": hello.ACTION.operation_id, "arguments": json.loads(template["body"])}
    event["body"] = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call})
    return [event] * count


@dataclass(frozen=True)
class Scenario:
    """One of our functions, its main route and the Node references it is compared with."""

    function: str  # key in benchmark output
    build_dir: str  # sam build output directory of the function
    route: str
    events: Callable[[int], list[dict[str, Any]]]
    expected_status: int
    references: tuple[str, ...]  # benchmarks/node/<name>.js
    one_use: bool = False  # each call needs a newly seeded event (a code works once)
    warm: bool = True
    floor: bool = True  # compared with the Python floor (pymongo + one find_one)
    warm_stores: tuple[str, ...] = ("embedded", "nx-27017")
    answer_says: str | None = None  # a cold answer's body must hold it (a tool's error is a 200 too)


SCENARIOS = (
    Scenario(ACTION, template_resource(ACTION), "POST /", token_check_events, 200, ("data",)),
    Scenario(
        TOKEN,
        template_resource(TOKEN),
        "POST /",
        token_endpoint_events,
        200,
        ("token-lean", "token-seed"),
        one_use=True,
    ),
    Scenario(
        AUTHORIZATION,
        template_resource(AUTHORIZATION),
        "GET /callback",
        callback_events,
        302,
        ("authorize-seed",),
        one_use=True,
        warm=False,
        floor=False,  # its cost is google-auth and two provider round trips, not the store
    ),
    # No Node reference: a cold first call (the Google token refresh included) and warm calls.
    Scenario(
        EVENTS_ACTION,
        template_resource(ACTION),
        "GET /events",
        upcoming_events_events,
        200,
        (),
        floor=False,
        # Warm on nx-27017 is left out: the refresh's $set of the token's expiry into the stored
        # grant comes back as a string there (nx-27017's divergence), so the next call fails.
        warm_stores=("embedded",),
    ),
    # Compared with testEndpoint's POST / (at most 1.1x cold) and with FastMCP answering the same
    # tool (at most 0.3x): benchmarks/fastmcp_server.py.
    Scenario(
        MCP_ACTION,
        template_resource(ACTION),
        "POST /mcp",
        mcp_tools_call_events,
        200,
        (),
        floor=False,
        answer_says=MCP_GREETING,
    ),
)
