"""testEndpoint's ``/mcp``: the declared actions as MCP tools over Streamable HTTP.

Stateless, JSON answers, no session id: each POST carries one JSON-RPC message and its bearer
token. The order is fixed: an ``Origin`` that is neither loopback nor this host's is 403 (a web
page cannot drive a user's tools, DNS rebinding included; server-side clients send none); no
token, or one whose sign-in is not bound to this ``/mcp`` (its URL, or the marker of a client that
named no resource: ``gpt_auth.oauth.resources``; a GPT's, revoked, expired) is 401 with
the challenge naming the metadata (:mod:`gpt_auth.oauth.protected_resource`); an unsupported
``MCP-Protocol-Version`` header is 400; then the message. A notification or a client's response is
202 without a body; a request gets its JSON-RPC answer. Only ``initialize``, ``ping``,
``tools/list`` and ``tools/call`` exist. GET and DELETE are 405 (no stream, no session).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from gpt_auth.actions.catalog import gpt_scope
from gpt_auth.actions.declaration import Action
from gpt_auth.mcp import jsonrpc
from gpt_auth.mcp.jsonrpc import INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, RpcError
from gpt_auth.oauth import sessions
from gpt_auth.oauth.bearer import bearer_token
from gpt_auth.oauth.protected_resource import (
    ResourceUrls,
    challenged,
    metadata_document,
    resource_urls,
)
from gpt_auth.runtime.errors import HttpError, InsufficientScope, InvalidToken, shown
from gpt_auth.runtime.settings import LOOPBACK_HOSTS
from gpt_auth.runtime.web import PUBLIC_READ, Request, json_response, response

# Newest first: answered to a client asking for another version.
PROTOCOL_VERSIONS = ("2025-11-25", "2025-06-18")
SERVER_INFO = {"name": "gpt-google-auth", "version": "1.0.0"}
JSON = "application/json"
# What a browser-based MCP client sends beyond the CORS-safelisted headers.
CORS_REQUEST_HEADERS = "Authorization, Content-Type, MCP-Protocol-Version, Mcp-Session-Id, Last-Event-ID"


class ForeignOrigin(HttpError):
    status = 403
    code = "forbidden"

    def __init__(self) -> None:
        super().__init__(
            "Requests from this web origin are not allowed; MCP clients on a server send no Origin, "
            "local ones a loopback origin."
        )


def origin_allowed(value: str, urls: ResourceUrls) -> bool:
    """An ``Origin`` header that may call ``/mcp``: loopback (http or https, any port) or this host."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.path not in ("", "/"):
        return False
    if host in LOOPBACK_HOSTS or (host is not None and host.startswith("127.")):
        return True
    own = urlsplit(urls.resource)
    return (parts.scheme, parts.netloc) == (own.scheme, own.netloc)


def signed_in_session(request: Request, urls: ResourceUrls) -> dict[str, Any]:
    """The live session of the bearer token, bound to this ``/mcp``; the challenged 401 otherwise."""
    from gpt_auth.oauth import resources

    try:
        accepted = resources.accepted_at(urls.resource)
        session = sessions.session_for_access_token(bearer_token(request), resource=accepted)
        if session is None:
            raise InvalidToken()
    except InvalidToken as exc:
        raise challenged(exc, urls, " ".join(gpt_scope())) from None
    return session


def initialize(params: dict[str, Any]) -> dict[str, Any]:
    asked = params.get("protocolVersion")
    if not isinstance(asked, str):
        raise RpcError(INVALID_PARAMS, 'Invalid params: "protocolVersion" (a string) is required.')
    return {
        "protocolVersion": asked if asked in PROTOCOL_VERSIONS else PROTOCOL_VERSIONS[0],
        "capabilities": {"tools": {"listChanged": False}},
        "serverInfo": SERVER_INFO,
    }


def dispatch(message: jsonrpc.Message, actions: dict[str, Action], session: dict[str, Any]) -> dict[str, Any]:
    """The result of a request; ``RpcError`` for a JSON-RPC error answer."""
    from gpt_auth.mcp import tools

    params = message.params
    if message.method == "initialize":
        return initialize(params)
    if message.method == "ping":
        return {}
    if message.method == "tools/list":
        if params.get("cursor") is not None:
            raise RpcError(INVALID_PARAMS, "Invalid params: tools/list has one page, so no cursor.")
        return {"tools": [tools.tool_of(action) for action in actions.values()]}
    if message.method == "tools/call":
        return tools.call_tool(actions, session, params)
    raise RpcError(METHOD_NOT_FOUND, f"Method not found: {shown(message.method or '')}.")


def _rpc_error(status: int, error: RpcError) -> dict[str, Any]:
    return response(status, jsonrpc.error_answer(error), JSON)


def answer(request: Request, actions: dict[str, Action]) -> dict[str, Any]:
    """The HTTP answer to one POST to ``/mcp``; raises the HTTP errors the router answers.

    A browser-based client (an allowed ``Origin``) may read every answer, refusals included: the
    401's challenge is how it finds the authorization server.
    """
    urls = resource_urls(request)
    sent_origin = request.headers.get("origin")
    if sent_origin is not None and not origin_allowed(sent_origin, urls):
        raise ForeignOrigin()
    readable = _cors_headers(sent_origin)
    try:
        answered = _answer(request, actions, urls)
    except HttpError as exc:
        exc.headers = {**exc.headers, **readable}
        raise
    answered["headers"] = {**answered["headers"], **readable}
    return answered


def preflight(request: Request) -> dict[str, Any]:
    """A browser's CORS preflight of ``/mcp``: allowed for the origins ``/mcp`` answers, else 403."""
    sent_origin = request.headers.get("origin")
    if sent_origin is None or not origin_allowed(sent_origin, resource_urls(request)):
        raise ForeignOrigin()
    allow = {
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": CORS_REQUEST_HEADERS,
        "Access-Control-Max-Age": "86400",
    }
    return response(204, "", "text/plain; charset=utf-8", {**_cors_headers(sent_origin), **allow})


def _cors_headers(sent_origin: str | None) -> dict[str, str]:
    if sent_origin is None:  # a server-side client: no browser to tell
        return {}
    return {
        "Access-Control-Allow-Origin": sent_origin,
        "Access-Control-Expose-Headers": "WWW-Authenticate",
        "Vary": "Origin",
    }


def _answer(request: Request, actions: dict[str, Action], urls: ResourceUrls) -> dict[str, Any]:
    session = signed_in_session(request, urls)
    version = request.headers.get("mcp-protocol-version")
    if version is not None and version not in PROTOCOL_VERSIONS:
        supported = ", ".join(PROTOCOL_VERSIONS)
        unsupported = f"Unsupported MCP-Protocol-Version {shown(version)}; use {supported}."
        return _rpc_error(400, RpcError(INVALID_REQUEST, unsupported))
    try:
        message = jsonrpc.read_message(request.raw_body)
    except RpcError as exc:
        return _rpc_error(400, exc)
    if not message.is_request:
        return response(202, "", JSON)
    try:
        result = dispatch(message, actions, session)
    except RpcError as exc:
        exc.request_id = message.request_id
        return _rpc_error(200, exc)
    except InsufficientScope as exc:
        raise challenged(exc, urls, " ".join(exc.missing)) from None
    except InvalidToken as exc:  # Google's grant ended during the call: signed out
        raise challenged(exc, urls, " ".join(gpt_scope())) from None
    assert message.request_id is not None
    return response(200, jsonrpc.answer(message.request_id, result), JSON)


def metadata_answer(request: Request) -> dict[str, Any]:
    """The protected resource metadata document (RFC 9728) for the host ``request`` came to."""
    document = metadata_document(resource_urls(request), gpt_scope())
    return json_response(200, document, PUBLIC_READ)
