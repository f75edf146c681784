"""A MongoDB wire-protocol responder on loopback that completes the handshake and refuses the rest.

Real pymongo talks to it over TCP, so pymongo builds its own exceptions from the refusal, as it
does for a real server: e.g. ``AuthenticationFailed`` (code 18) to ``saslStart``, or Atlas's
``AtlasError`` (code 8000) to an ``insert`` over the space quota. nx-27017 cannot serve these
cases: it implements no authentication and no quota.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType
from typing import Any

import bson

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
HELLO = {
    "ismaster": True,
    "isWritablePrimary": True,
    "maxWireVersion": 21,
    "minWireVersion": 0,
    "maxBsonObjectSize": 16 * 1024 * 1024,
    "maxMessageSizeBytes": 48_000_000,
    "maxWriteBatchSize": 100_000,
    "ok": 1.0,
}


def refusal(code: int, code_name: str, errmsg: str) -> dict[str, Any]:
    """A server's error reply, as MongoDB and Atlas send it."""
    return {"ok": 0.0, "errmsg": errmsg, "code": code, "codeName": code_name}


class RefusingStore:
    """Answers ``hello``/``isMaster`` as a primary and every other command with ``reply``.

    ``commands`` lists the commands received after the handshake, in order.
    """

    def __init__(self, reply: dict[str, Any]) -> None:
        self.reply = reply
        self.commands: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port: int = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, name="refusing-store", daemon=True).start()

    def uri(self, credentials: str = "") -> str:
        userinfo = f"{credentials}@" if credentials else ""
        return f"mongodb://{userinfo}127.0.0.1:{self.port}/?directConnection=true"

    def close(self) -> None:
        for sock in [self._listener, *self._open]:
            with contextlib.suppress(OSError):
                sock.close()

    def __enter__(self) -> RefusingStore:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while True:
                header = _read(conn, 16)
                length, request_id, _, opcode = struct.unpack("<iiii", header)
                body = _read(conn, length - 16)
                # OP_QUERY: flags, full collection name, skip, limit, document.
                # OP_MSG: flags, section kind 0, document.
                start = body.index(b"\0", 4) + 9 if opcode == OP_QUERY else 5
                size = struct.unpack("<i", body[start : start + 4])[0]
                command = next(iter(bson.decode(body[start : start + size])))
                if command.lower() in ("ismaster", "hello"):
                    answer = HELLO
                else:
                    self.commands.append(command)
                    answer = self.reply
                document = bson.encode(answer)
                if opcode == OP_QUERY:
                    payload = struct.pack("<iqii", 0, 0, 0, 1) + document
                    conn.sendall(struct.pack("<iiii", 16 + len(payload), 0, request_id, OP_REPLY) + payload)
                else:
                    payload = struct.pack("<IB", 0, 0) + document
                    conn.sendall(struct.pack("<iiii", 16 + len(payload), 0, request_id, OP_MSG) + payload)


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data
