"""A fault proxy: an HTTP/1.1 proxy on loopback that forwards each request, then may lie about the answer.

The simulators' own faults (:mod:`crmtui.sandbox.control`) strike *before* the request reaches the
simulated service, so they can only show "never arrived". Real gateways also fail *after* the
service accepted the request: a load balancer answers ``504 Gateway Time-out`` because the
service was slow, a proxy restarts and resets the connection, a link drops mid-body. This proxy
reproduces those: it sends the request to the upstream simulator in full (so SES accepts the
email and counts it), reads the upstream answer, and then, for requests under ``path_prefix``,
answers the client according to :attr:`FaultProxy.fault`:

- ``None``: the upstream answer, unchanged;
- ``"502"``, ``"503"``, ``"504"``: the gateway error page nginx sends (``502 Bad Gateway``,
  ``503 Service Temporarily Unavailable``, ``504 Gateway Time-out``: the titles of nginx's
  built-in pages, src/http/ngx_http_special_response.c), with no ``x-amzn-ErrorType``. An AWS
  load balancer answers the same codes when the target is slow or gone, including "504: The load
  balancer ... did not receive a response" after the request was forwarded
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html);
- ``"hang"``: no answer at all until the client gives up (its timeout);
- ``"reset"``: the connection is reset (TCP RST, ``SO_LINGER`` 0) instead of an answer;
- ``"truncate"``: the upstream status and headers, then half the body, then the connection closes
  (the ``Content-Length`` promised more).

A gateway also fails *before* forwarding (its upstream is down, it sheds load): with
:attr:`FaultProxy.before_forward`, a gateway fault is answered without the request ever reaching the
upstream. :attr:`FaultProxy.match` narrows the faults to some requests (``POST /people`` but not the
search that checks it), and :attr:`FaultProxy.remaining` to a number of them.

One request per connection (the answer says ``Connection: close``), which keeps the proxy simple
and lets a client's connection pool never hold a connection the proxy already cut.

    with FaultProxy(ses_url, path_prefix="/v2/email/outbound-emails") as proxy:
        proxy.fault = "504"
        ...  # point the client at proxy.url
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from typing import Literal
from urllib.parse import urlparse

ProxyFault = Literal["502", "503", "504", "hang", "reset", "truncate"]
FAULTS: tuple[ProxyFault, ...] = ("502", "503", "504", "hang", "reset", "truncate")

_GATEWAY_REASONS = {
    "502": "Bad Gateway",
    "503": "Service Temporarily Unavailable",
    "504": "Gateway Time-out",
}
_MAX_HEAD = 64 * 1024


class FaultProxy:
    """Forward every request to ``upstream``; answer requests under ``path_prefix`` with :attr:`fault`.

    Args:
        upstream: the simulator's base URL (``http://127.0.0.1:PORT``).
        host: the loopback address to listen on.
        path_prefix: only requests whose path starts with this are faulted ("" for all).

    Attributes:
        fault: the answer to give (see the module doc); None passes answers through.
        forwarded: requests forwarded to the upstream, by ``"METHOD /path"``.
        faulted: faulted answers given, by fault.
        match: ``(method, path) -> bool``: only matching requests (under ``path_prefix``) are
            faulted; None faults every one.
        remaining: faults still to give (each faulted request takes one); None: no end.
        before_forward: answer a 502/503/504 without forwarding the request (the gateway never
            reached the service); the other faults always forward first.
    """

    def __init__(self, upstream: str, host: str = "127.0.0.1", *, path_prefix: str = "") -> None:
        parsed = urlparse(upstream)
        if parsed.scheme != "http" or not parsed.hostname or not parsed.port:
            raise ValueError(f"upstream must be http://host:port, not {upstream!r}")
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port
        self.host = host
        self.path_prefix = path_prefix
        self.fault: ProxyFault | None = None
        self.forwarded: Counter[str] = Counter()
        self.faulted: Counter[str] = Counter()
        self.match: Callable[[str, str], bool] | None = None
        self.remaining: int | None = None
        self.before_forward = False
        self._lock = threading.Lock()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self.port = int(self._socket.getsockname()[1])
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fault-proxy:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        """The proxy's base URL (point the client here)."""
        return f"http://{self.host}:{self.port}"

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> FaultProxy:
        """Serve in a background thread; return once the socket accepts connections."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"fault proxy on port {self.port} did not start")
        return self

    def stop(self) -> None:
        """Stop serving (hanging connections are closed) and wait for the thread."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and loop.is_running():
            loop.call_soon_threadsafe(stopping.set)
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, sock=self._socket)
        self._ready.set()
        async with self._server:
            await self._stopping.wait()
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- one connection, one request --------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await _read_request(reader)
            if request is None:
                return
            method, path, raw = request
            key = f"{method} {path.split('?', 1)[0]}"
            with self._lock:
                fault = self._take_fault(method, path)
                forward = fault is None or not (self.before_forward and fault in _GATEWAY_REASONS)
                if forward:
                    self.forwarded[key] += 1
            # Unless the gateway fails before forwarding, the upstream gets the whole request and
            # answers: the service did its work.
            upstream = await self._forward(raw) if forward else b""
            if fault is not None:
                with self._lock:
                    self.faulted[fault] += 1
            await self._answer(fault, upstream, reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # the client or the upstream went away: nothing to answer
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def _take_fault(self, method: str, path: str) -> ProxyFault | None:
        """The fault for this request, if any (taking one of :attr:`remaining`); under the lock."""
        if self.fault is None or not path.startswith(self.path_prefix):
            return None
        if self.match is not None and not self.match(method, path.split("?", 1)[0]):
            return None
        if self.remaining is not None:
            if self.remaining <= 0:
                return None
            self.remaining -= 1
        return self.fault

    async def _forward(self, raw: bytes) -> bytes:
        up_reader, up_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        try:
            up_writer.write(raw)
            await up_writer.drain()
            return await _read_response(up_reader)
        finally:
            up_writer.close()
            with contextlib.suppress(Exception):
                await up_writer.wait_closed()

    async def _answer(
        self,
        fault: ProxyFault | None,
        upstream: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        if fault is None:
            writer.write(upstream)
            await writer.drain()
            return
        if fault in _GATEWAY_REASONS:
            title = f"{fault} {_GATEWAY_REASONS[fault]}"
            body = (
                f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            ).encode()
            head = (
                f"HTTP/1.1 {title}\r\nServer: nginx\r\nContent-Type: text/html\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            writer.write(head + body)
            await writer.drain()
            return
        if fault == "hang":
            # Say nothing until the client hangs up (or the proxy stops).
            while await reader.read(4096):
                pass
            return
        if fault == "reset":
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        head, _, body = upstream.partition(b"\r\n\r\n")
        writer.write(head + b"\r\n\r\n" + body[: len(body) // 2])
        await writer.drain()
        writer.transport.abort()


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    """One request from the client: method, path, and the bytes to forward (``Connection: close``)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise
    if len(head) > _MAX_HEAD:
        raise ValueError("request head too long")
    lines = head[:-4].decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers = [line for line in lines[1:] if line]
    length = 0
    kept = []
    for line in headers:
        name, _, value = line.partition(":")
        lowered = name.strip().lower()
        if lowered == "transfer-encoding":
            raise ValueError("chunked requests are not supported by the fault proxy")
        if lowered == "content-length":
            length = int(value.strip())
        if lowered not in ("connection", "keep-alive"):
            kept.append(line)
    body = await reader.readexactly(length) if length else b""
    raw = "\r\n".join([lines[0], *kept, "Connection: close", "", ""]).encode("latin-1") + body
    return method, path, raw


async def _read_response(reader: asyncio.StreamReader) -> bytes:
    """The upstream's whole answer, re-headed with ``Connection: close`` and an exact length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].decode("latin-1").split("\r\n")
    length: int | None = None
    chunked = False
    kept = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        lowered = name.strip().lower()
        if lowered == "content-length":
            length = int(value.strip())
        if lowered == "transfer-encoding":
            chunked = "chunked" in value.lower()
        if lowered not in ("connection", "keep-alive", "content-length", "transfer-encoding"):
            kept.append(line)
    if chunked:
        body = await _read_chunked(reader)
    elif length is not None:
        body = await reader.readexactly(length)
    else:
        body = await reader.read()
    out = [lines[0], *kept, f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(out).encode("latin-1") + body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body (RFC 9112 §7.1), decoded; trailers are dropped."""
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
