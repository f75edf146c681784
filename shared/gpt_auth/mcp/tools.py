"""Each declared action as an MCP tool: the same name, text, types, checks and code as the GPT's.

A tool's ``inputSchema`` is the action's query parameters and body merged into one object (their
names never overlap: :func:`input_schema` checks); its arguments are split back by name and
checked against the same ``msgspec`` types, so a refusal states the rule a 400 would. The action
runs through ``Action.run(Call)`` and its answer is the tool's text content, and
``structuredContent`` when it is a JSON object; an answer is bounded and paged by the action
itself (``ACTION_RESPONSE_MAX_CHARS``), as for the GPT.

A refusal of the input or by the action (400, 404, 413, 429, 502, 503) is a tool result with
``isError`` and the refusal's sentence, for the model to read. 401 and 403 are not: they mean the
token or its scope, and reach the client as HTTP answers with the challenge (:mod:`.endpoint`).
"""

from __future__ import annotations

import json
from typing import Any

from gpt_auth.actions.declaration import Action, Call
from gpt_auth.actions.serve import granted_scope
from gpt_auth.mcp.jsonrpc import INTERNAL_ERROR, INVALID_PARAMS, RpcError
from gpt_auth.runtime.errors import HttpError, PayloadTooLarge
from gpt_auth.runtime.log import logger


def _schema(kind: type | None) -> dict[str, Any]:
    if kind is None:
        return {}
    from gpt_auth.actions.inputs import json_schema

    return json_schema(kind)


def input_schema(action: Action) -> dict[str, Any]:
    """The action's query parameters and body as one JSON Schema object."""
    query, body = _schema(action.query), _schema(action.body)
    query_names, body_names = query.get("properties", {}), body.get("properties", {})
    shared = set(query_names) & set(body_names)
    if shared:
        raise ValueError(f"{action.operation_id}: {sorted(shared)} are both query and body fields")
    schema: dict[str, Any] = {"type": "object", "properties": {**query_names, **body_names}}
    required = [*query.get("required", ()), *body.get("required", ())]
    if required:
        schema["required"] = required
    return schema


def tool_of(action: Action) -> dict[str, Any]:
    """The ``tools/list`` entry of ``action``."""
    tool: dict[str, Any] = {
        "name": action.operation_id,
        "title": action.summary,
        "description": action.description,
        "inputSchema": input_schema(action),
        "annotations": {
            "readOnlyHint": action.method == "GET",
            "destructiveHint": action.method == "DELETE",
        },
    }
    if action.returns is not str:
        tool["outputSchema"] = _schema(action.returns)
    return tool


def _split(action: Action, arguments: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The arguments as (query, body) by the declared names; others go where they will be refused."""
    query_names = _schema(action.query).get("properties", {})
    query = {name: value for name, value in arguments.items() if name in query_names}
    rest = {name: value for name, value in arguments.items() if name not in query_names}
    if action.body is None:
        query.update(rest)
        return query, {}
    return query, rest


def checked_call(action: Action, session: dict[str, Any], arguments: dict[str, Any]) -> Call:
    """The call of ``action``: its scope (``InsufficientScope``), then its arguments (``BadRequest``)."""
    from gpt_auth.actions.inputs import body_of

    granted = granted_scope(action, session)
    query_args, body_args = _split(action, arguments)
    query = body_of(action.query, query_args, "arguments") if action.query is not None else None
    body = None
    if action.body is not None:
        size = len(json.dumps(body_args, ensure_ascii=False).encode())
        if action.max_body_bytes is not None and size > action.max_body_bytes:
            raise PayloadTooLarge(f"The arguments are larger than {action.max_body_bytes:,} bytes.")
        body = body_of(action.body, body_args, "arguments")
    return Call(user_id=str(session["user_id"]), scope=granted, query=query, body=body)


def _error_result(text: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}], "isError": True}


def call_tool(actions: dict[str, Action], session: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The ``tools/call`` result.

    Raises
    ------
    RpcError
        ``INVALID_PARAMS`` for an unknown tool or arguments that are not an object;
        ``INTERNAL_ERROR`` when the action failed unexpectedly (logged).
    HttpError
        401 or 403 (the token, revoked meanwhile, or its scope): the endpoint answers them over HTTP.
    """
    name, arguments = params.get("name"), params.get("arguments")
    arguments = {} if arguments is None else arguments  # optional: absent or null is none
    action = actions.get(name) if isinstance(name, str) else None
    if action is None:
        raise RpcError(INVALID_PARAMS, f"Unknown tool; the tools are: {', '.join(actions)}.")
    if not isinstance(arguments, dict):
        raise RpcError(INVALID_PARAMS, '"arguments" must be an object.')
    try:
        reply = action.run(checked_call(action, session, arguments))
    except HttpError as exc:
        if exc.status in (401, 403):
            raise
        return _error_result(exc.description)
    except Exception as exc:
        from gpt_auth.runtime import db

        outage = db.outage_answer(exc)
        if outage is not None:
            return _error_result(outage.description)
        logger.exception("tool failed", extra={"tool": action.operation_id})
        raise RpcError(INTERNAL_ERROR, "Internal error; see the function's logs.") from None
    result: dict[str, Any] = {"content": [{"type": "text", "text": reply.text}], "isError": False}
    if reply.is_json:
        data = reply.data()
        if isinstance(data, dict):
            result["structuredContent"] = data
    return result
