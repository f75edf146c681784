"""Where testEndpoint serves MCP: ``/mcp`` and its protected resource metadata (RFC 9728).

The routes import the MCP code on their first request, so a container that only answers the
GPT's actions (``POST /`` above all) never loads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gpt_auth.actions.declaration import Action
from gpt_auth.runtime.routing import Router
from gpt_auth.runtime.web import Request, cors_preflight

MCP_PATH = "/mcp"
WELL_KNOWN = "/.well-known/oauth-protected-resource"
# Where testEndpoint serves the metadata, as the function sees its own paths.
METADATA_PATH = WELL_KNOWN + MCP_PATH


def register(router: Router, actions: Iterable[Action]) -> None:
    """Serve ``/mcp`` (POST, a browser's preflight) and its protected resource metadata (GET, preflight)."""
    by_name = {action.operation_id: action for action in actions}

    @router.post(MCP_PATH)
    def mcp(request: Request) -> dict[str, Any]:
        from gpt_auth.mcp import endpoint

        return endpoint.answer(request, by_name)

    @router.route("OPTIONS", MCP_PATH)
    def mcp_preflight(request: Request) -> dict[str, Any]:
        from gpt_auth.mcp import endpoint

        return endpoint.preflight(request)

    @router.get(METADATA_PATH)
    def protected_resource_metadata(request: Request) -> dict[str, Any]:
        from gpt_auth.mcp import endpoint

        return endpoint.metadata_answer(request)

    @router.route("OPTIONS", METADATA_PATH)
    def protected_resource_metadata_preflight(request: Request) -> dict[str, Any]:
        return cors_preflight()
