"""The scope our authorization code is bound to: what the GPT asked for, within what we grant.

We grant what we ask Google for (``GOOGLE_SCOPES``). A GPT that asks for nothing (the GPT
editor's Scope field left empty) gets all of it; one that asks for some of it gets those, in
``GOOGLE_SCOPES``' order; members we do not grant are dropped (RFC 6749 3.3 lets a server
issue less than was asked, and the token response's ``scope`` says what was issued). A request
with nothing in common with ``GOOGLE_SCOPES`` is refused (``invalid_scope``), since no code
could carry any of it.
"""

from __future__ import annotations

from collections.abc import Sequence


def granted_scope(requested: str, offered: Sequence[str]) -> str | None:
    """The space-separated scope to bind to the code, or None when nothing requested is offered.

    Parameters
    ----------
    requested
        The GPT's ``scope`` parameter, space-separated (may be empty).
    offered
        What this server grants: the scopes asked of the provider.
    """
    wanted = set(requested.split())
    if not wanted:
        return " ".join(offered)
    common = [scope for scope in offered if scope in wanted]
    return " ".join(common) if common else None
