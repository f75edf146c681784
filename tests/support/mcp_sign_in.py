"""An MCP client's sign-in driven in-process: its client record, authorize, consent and token events."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from functions.google_authorization import app
from gpt_auth.oauth import clients, pkce
from gpt_auth.runtime import db
from localdev.lambda_env import with_form
from localdev.samples import SAMPLE_SIGN_IN_COOKIE
from tests.support.authorization import authorize_event, location
from tests.support.events import load_event
from tests.support.token_requests import call

DOMAIN = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"  # the sample events'
ISSUER = f"https://{DOMAIN}"  # googleAuthorization's public URL: the issuer
RESOURCE = f"https://{DOMAIN}/mcp"  # testEndpoint shares the sample events' domain
CLIENT_ID = "mcp-client-1"
CALLBACK = "https://claude.ai/api/mcp/auth_callback"
VERIFIER = "v" * 64
OTHER_BROWSER = "gsc_AnotherBrowserEntirely0000000000000000000000"


def save_client(client_id: str = CLIENT_ID, name: str = "Claude", *uris: str) -> clients.Client:
    """An MCP client registered with ``uris`` (default: Claude's callback)."""
    client = clients.Client(client_id, name, uris or (CALLBACK,), clients.REGISTERED)
    clients.save(client, expires_at=db.now() + timedelta(days=clients.UNUSED_CLIENT_DAYS))
    return client


def mcp_authorize_event(**changes: str | None) -> dict[str, Any]:
    """An MCP client's authorization request with PKCE S256 and ``resource`` (None removes one)."""
    query = {
        "client_id": CLIENT_ID,
        "redirect_uri": CALLBACK,
        "state": "mcp-state-1",
        "scope": "openid email",
        "code_challenge": pkce.s256_challenge(VERIFIER),
        "code_challenge_method": "S256",
        "resource": RESOURCE,
    }
    return authorize_event(**(query | changes))


def form_token(page: dict[str, Any]) -> str:
    """The consent form's hidden ``request`` value."""
    body = page["body"]
    start = body.index('name="request" value="') + len('name="request" value="')
    return body[start : body.index('"', start)]


def decision(page: dict[str, Any], answer: str) -> dict[str, str]:
    """The consent form as the page's button ``answer`` submits it."""
    return {"request": form_token(page), "decision": answer}


def consent_event(form: dict[str, str], cookie: str | None = SAMPLE_SIGN_IN_COOKIE) -> dict[str, Any]:
    """The consent form's POST to googleAuthorization, from the browser holding ``cookie``."""
    event = load_event("google_authorization_callback_unknown_state")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/consent"
    event["requestContext"]["http"]["method"] = "POST"
    event["rawQueryString"] = ""
    event["cookies"] = [f"__Host-gpt_auth_signin={cookie}"] if cookie else []
    return with_form(event, form)


def consent_page(lambda_context, **changes: str | None) -> dict[str, Any]:
    """The consent page the MCP client's authorization request gets."""
    page = app.lambda_handler(mcp_authorize_event(**changes), lambda_context)
    assert page["statusCode"] == 200, page
    return page


def allowed(lambda_context, **changes: str | None) -> dict[str, str]:
    """Authorize and allow: the query of the provider URL the browser is sent to."""
    page = consent_page(lambda_context, **changes)
    answer = app.lambda_handler(consent_event(decision(page, "allow")), lambda_context)
    assert answer["statusCode"] == 303, answer
    return location(answer)[1]


def callback_query(lambda_context, fake_idp, **changes: str | None) -> dict[str, str]:
    """A whole MCP sign-in through the stubbed provider: the client's callback query."""
    sent = allowed(lambda_context, **changes)
    fake_idp.nonce = sent["nonce"]
    event = load_event("google_authorization_callback_unknown_state")
    event["rawQueryString"] = urlencode({"code": "provider-code", "state": sent["state"]})
    url, query = location(app.lambda_handler(event, lambda_context))
    assert url == CALLBACK, query
    return query


def token_request(form: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A public client's token request (``none``: client_id in the body, no secret)."""
    return call(with_form(load_event("google_authentication_code_post"), {"client_id": CLIENT_ID, **form}))


def exchange(code: str, **extra: str) -> tuple[int, dict[str, Any]]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    status, body, _ = token_request({**form, "code_verifier": VERIFIER, **extra})
    return status, body


def resource_call(lambda_context, token: str, path: str = "/mcp", body: Any = None) -> dict[str, Any]:
    """testEndpoint's answer to a POST of ``body`` (JSON) to ``path`` with ``token`` as the bearer."""
    from functions.test_endpoint import app as test_endpoint

    event = load_event("test_endpoint_valid")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["headers"]["authorization"] = f"Bearer {token}"
    if body is not None:
        event["body"] = json.dumps(body)
    return test_endpoint.lambda_handler(event, lambda_context)


def tool_call(lambda_context, token: str, tool: str, **arguments: Any) -> dict[str, Any]:
    """``tools/call`` of ``tool`` on /mcp with ``token``."""
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    }
    return resource_call(lambda_context, token, "/mcp", call)


def get_hello(lambda_context, token: str) -> dict[str, Any]:
    return tool_call(lambda_context, token, "getHello", name="Ada")
