"""Which resource an MCP client's code and tokens are for (RFC 8707 resource indicators).

An MCP client's tokens are for ``/mcp`` only, and a GPT's never are (their ``resource`` is None).
googleAuthorization cannot always name ``/mcp``'s exact URL: testEndpoint's settings name
googleAuthorization's URL, so the reverse would be a CloudFormation cycle. It knows it only when
``ACTION_URL`` is set on it (``make dev``). So at authorize a ``resource`` is checked for form (an
absolute https URL, or http on loopback; no fragment; at most ``MAX_RESOURCE_CHARS``; its path
ends in ``/mcp``) and, when ``ACTION_URL`` is known, for equality; the code is bound to it as
sent. A token bound to another URL is useless anyway: ``/mcp`` accepts only its own URL. A client
that sends no ``resource`` (Claude is reported to) gets a code bound to ``THIS_DEPLOYMENTS_MCP``,
a marker no client can send (it is not absolute) that ``/mcp`` accepts beside its own URL. At the
token endpoint a ``resource`` sent must equal the code's (or the refresh token family's) binding.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from gpt_auth.mcp.mount import MCP_PATH
from gpt_auth.runtime.errors import InvalidTarget
from gpt_auth.runtime.settings import LOOPBACK_HOSTS, Settings

THIS_DEPLOYMENTS_MCP = MCP_PATH  # a binding that means "this deployment's /mcp, whatever its URL"
MAX_RESOURCE_CHARS = 256


def form_error(resource: str) -> str | None:
    """Why ``resource`` cannot name an MCP endpoint (RFC 8707 2), or None."""
    if len(resource) > MAX_RESOURCE_CHARS:
        return f"resource is longer than {MAX_RESOURCE_CHARS} characters."
    try:
        parts = urlsplit(resource)
        host = parts.hostname
    except ValueError:
        return "resource is not a valid URL."
    if "#" in resource:
        return "resource must not have a fragment (RFC 8707 2)."
    if not host or "@" in parts.netloc:
        return "resource must be an absolute URL with a host and no user information."
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return "resource must be an https URL (http only on loopback)."
    if not parts.path.endswith(MCP_PATH):
        return f"resource must be this server's MCP endpoint, whose path ends in {MCP_PATH}."
    return None


def binding(requested: str | None, settings: Settings) -> str:
    """What an MCP client's code is bound to for the ``resource`` it sent at authorize (None: none).

    Raises
    ------
    InvalidTarget
        ``resource`` is malformed, or not ``/mcp``'s URL when ``ACTION_URL`` names it.
    """
    if requested is None:
        return THIS_DEPLOYMENTS_MCP
    reason = form_error(requested)
    if reason is not None:
        raise InvalidTarget(reason)
    if settings.action_url is not None and requested != settings.action_url + MCP_PATH:
        raise InvalidTarget(f"resource must be this server's MCP endpoint, {settings.action_url}{MCP_PATH}.")
    return requested


def check_requested(requested: str | None, bound: str | None) -> None:
    """At the token endpoint: a ``resource`` sent must be what the code or family is bound to.

    Raises
    ------
    InvalidTarget
        It is another one (a family bound to the marker accepts none: its client sent none).
    """
    if requested is not None and requested != bound:
        raise InvalidTarget("resource must be the one the sign-in asked for (the MCP endpoint's URL).")


def accepted_at(resource_url: str) -> tuple[str, str]:
    """The bindings ``/mcp`` at ``resource_url`` accepts: its own URL and the marker."""
    return (resource_url, THIS_DEPLOYMENTS_MCP)
