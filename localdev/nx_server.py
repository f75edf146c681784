"""Run ``nx-27017`` (a MongoDB wire-protocol server on SQLite) as a subprocess on loopback.

Used by tests and benchmarks to talk to a real server through pymongo over TCP. It can be
stopped and started again on the same port to simulate a database outage.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class NxServer:
    """``with NxServer() as server: MongoClient(server.uri)``; ``stop()``/``start()`` for faults.

    With ``persistent=True`` the data lives in a SQLite file that outlasts ``stop()``, so a
    restart on the same port finds it again, as a real MongoDB restart would.
    """

    def __init__(self, port: int | None = None, *, persistent: bool = False) -> None:
        self.port = port or free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="nx27017-"))
        self._db = str(self._dir / "nx.db") if persistent else "memory"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self) -> None:
        exe = shutil.which("nx-27017") or str(Path(sys.executable).with_name("nx-27017"))
        self._proc = subprocess.Popen(
            [
                exe,
                "--db",
                self._db,
                "--host",
                "127.0.0.1",
                "-p",
                str(self.port),
                "--pid-file",
                str(self._dir / "nx.pid"),
                "--log-file",
                str(self._dir / "nx.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.stop()
            raise

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None
        (self._dir / "nx.pid").unlink(missing_ok=True)

    def __enter__(self) -> NxServer:
        self.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
