"""JSON-RPC 2.0 as MCP's Streamable HTTP carries it: one message per POST, answered in JSON.

:func:`read_message` turns a request body into a :class:`Message` or raises :class:`RpcError`
(parse error, invalid request); :func:`answer` and :func:`error_answer` write the response
objects. MCP 2025-06-18 and later send no batches, so a JSON array is an invalid request.
``json`` and msgspec only (every action's check loads msgspec already): :class:`Message` is a
frozen Struct, since a frozen dataclass's methods are compiled when a cold container imports it.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

RequestId = str | int


class RpcError(Exception):
    """A JSON-RPC error answer: its code, message, and the id of the request it answers (if known)."""

    def __init__(self, code: int, message: str, request_id: RequestId | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


class Message(msgspec.Struct, frozen=True):
    """A request (``request_id`` set) or a notification; a client's response has ``method`` None."""

    method: str | None
    request_id: RequestId | None = None
    params: dict[str, Any] = {}  # msgspec gives each message its own empty dict

    @property
    def is_request(self) -> bool:
        return self.method is not None and self.request_id is not None


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise RpcError(PARSE_ERROR, "Parse error: the body is not UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise RpcError(PARSE_ERROR, f"Parse error: {exc.msg} at character {exc.pos}.") from None
    except (RecursionError, ValueError):
        too_much = "Parse error: the JSON is nested too deeply or holds a number too long."
        raise RpcError(PARSE_ERROR, too_much) from None


def _valid_id(value: Any) -> bool:
    # MCP: a string or an integer, never null (bool is an int in Python, not in JSON).
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def read_message(body: bytes) -> Message:
    """The one JSON-RPC message of a POST body.

    Raises
    ------
    RpcError
        ``PARSE_ERROR`` when the body is not JSON; ``INVALID_REQUEST`` for a batch, or anything
        that is not a JSON-RPC 2.0 request, notification or response (with the request's id when
        it had a valid one); ``INVALID_PARAMS`` when ``params`` is not an object.
    """
    data = _parsed(body)
    if isinstance(data, list):
        raise RpcError(
            INVALID_REQUEST, "Invalid Request: batches are not part of MCP; send one message per POST."
        )
    if not isinstance(data, dict):
        raise RpcError(INVALID_REQUEST, "Invalid Request: the body must be a JSON-RPC 2.0 object.")
    request_id = data.get("id")
    known_id = request_id if _valid_id(request_id) else None
    if data.get("jsonrpc") != "2.0":
        raise RpcError(INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0".', known_id)
    if "method" not in data:
        if known_id is not None and ("result" in data or "error" in data):
            return Message(None, known_id)  # a client's response: this server asks nothing
        raise RpcError(INVALID_REQUEST, 'Invalid Request: "method" is missing.', known_id)
    method = data["method"]
    if not isinstance(method, str):
        raise RpcError(INVALID_REQUEST, 'Invalid Request: "method" must be a string.', known_id)
    if "id" in data and known_id is None:
        raise RpcError(INVALID_REQUEST, 'Invalid Request: "id" must be a string or an integer.')
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise RpcError(INVALID_PARAMS, 'Invalid params: "params" must be an object.', known_id)
    return Message(method, known_id, params)


def answer(request_id: RequestId, result: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}, ensure_ascii=False)


def error_answer(error: RpcError) -> str:
    payload = {
        "jsonrpc": "2.0",
        "id": error.request_id,
        "error": {"code": error.code, "message": error.message},
    }
    return json.dumps(payload, ensure_ascii=False)
