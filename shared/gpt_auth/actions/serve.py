"""Declared actions as routes: the bearer token, the granted scope, the input, then the action's code.

The order is fixed: no token or an unknown one is 401 before anything is read; a session whose
scope lacks one of the action's Google scopes is 403 ``insufficient_scope``; then the body's size
(413), then the query and the body against the declared types (400 naming the field).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gpt_auth.actions.declaration import Action, Call
from gpt_auth.oauth.bearer import signed_in_session
from gpt_auth.runtime.errors import InsufficientScope, PayloadTooLarge
from gpt_auth.runtime.routing import Router
from gpt_auth.runtime.web import Request, response


def missing_scopes(action: Action, granted: frozenset[str]) -> tuple[str, ...]:
    """The Google scopes ``action`` needs that ``granted`` lacks."""
    return tuple(scope for scope in action.google_scopes if scope not in granted)


def granted_scope(action: Action, session: dict[str, Any]) -> frozenset[str]:
    """The session's scope; ``InsufficientScope`` when it lacks one of ``action``'s Google scopes."""
    granted = frozenset(str(session.get("scope") or "").split())
    missing = missing_scopes(action, granted)
    if missing:
        raise InsufficientScope(missing)
    return granted


def call_for(action: Action, session: dict[str, Any], request: Request) -> Call:
    """The checked call of ``action`` by ``session``; raises the HTTP error that refuses it."""
    from gpt_auth.actions import inputs

    granted = granted_scope(action, session)
    query = inputs.query_of(action.query, request.query()) if action.query is not None else None
    body = None
    if action.body is not None:
        if action.max_body_bytes is not None and len(request.raw_body) > action.max_body_bytes:
            raise PayloadTooLarge(f"The body is larger than {action.max_body_bytes:,} bytes.")
        body = inputs.body_of(action.body, request.json())
    return Call(user_id=str(session["user_id"]), scope=granted, query=query, body=body)


def route_for(action: Action) -> Any:
    def route(request: Request) -> dict[str, Any]:
        reply = action.run(call_for(action, signed_in_session(request), request))
        return response(200, reply.text, reply.media_type)

    route.__name__ = action.operation_id
    return route


def register(router: Router, actions: Iterable[Action]) -> None:
    """Route each action's method and path on ``router``."""
    for action in actions:
        router.route(action.method, action.path)(route_for(action))
