"""Network faults on loopback: a TCP proxy that can freeze, turning a live server into a black hole."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from types import TracebackType


class FreezableProxy:
    """Forwards 127.0.0.1:``port`` to ``target_port``; ``freeze()`` stops forwarding both ways.

    While frozen, connections stay open and new ones are accepted, but no byte passes: what a
    client sees when its database hangs in the middle of a conversation. ``thaw()`` resumes.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._closed.set()
        self._flowing.set()
        with self._lock:
            for sock in [self._listener, *self._sockets]:
                with contextlib.suppress(OSError):
                    sock.close()

    def __enter__(self) -> FreezableProxy:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), name="proxy-pipe", daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        self._flowing.wait()  # a connection made while frozen hangs before it reaches the server
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets += [client, upstream]
        peer = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peer:
                selector.register(sock, selectors.EVENT_READ)
            while not self._closed.is_set():
                if not self._flowing.wait(timeout=0.2):
                    continue
                for key, _ in selector.select(timeout=0.2):
                    if not self._flowing.is_set():
                        break  # frozen between select and read: hold the bytes back
                    try:
                        data = key.fileobj.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        for sock in peer:
                            sock.close()
                        return
                    peer[key.fileobj].sendall(data)
