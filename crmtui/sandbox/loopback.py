"""Run an ASGI simulator on a loopback port (uvicorn in a background thread).

Used by tests, benchmarks, ``crmtui sandbox serve`` and the console's sandbox mode::

    with serve_in_thread(app) as base_url:
        httpx.get(base_url + "/people/1")
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.types import ASGIApp


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the OS for a free TCP port on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LoopbackServer:
    """A uvicorn server for one ASGI app, started and stopped from synchronous code.

    The listening socket is bound here, before uvicorn starts, and handed to it: asking the OS for a
    "free" port and binding it later would race with other processes (parallel test workers) doing
    the same.
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int | None = None, **config: Any) -> None:
        self.host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit TCP_NODELAY from the listener on Linux; without it each small
        # response waits ~40 ms for the client's delayed ACK (Nagle), inflating every loopback call.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port or 0))
        self.port = int(self._socket.getsockname()[1])
        uv_config = uvicorn.Config(
            app,
            host=host,
            port=self.port,
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            **config,
        )
        self._server = uvicorn.Server(uv_config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=f"sim:{self.port}", daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL of the running server, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; return the base URL once the socket accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"simulator on port {self.port} did not start")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Serve ``app`` on loopback for the duration of the ``with`` block; yields the base URL."""
    server = LoopbackServer(app, host, port)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()
