"""``crmtui serve`` ingestion benchmark: signed SNS deliveries per second, against a plain endpoint.

Usage::

    .venv/bin/python bench/serve.py                  # 3,000 events, 32 in flight
    .venv/bin/python bench/serve.py --events 10000 --concurrency 64

Two servers run on loopback (uvicorn, each in its own child process) in the same run, each over its own store
file (WAL, ``BEGIN IMMEDIATE``), fed the same SES ``Delivery`` notifications (half signed with
SignatureVersion 1, half with 2, by the sandbox's test CA):

- **serve**: ``crmtui serve``'s app, every check on (JSON parse, topic, certificate URL,
  signature with a cached certificate, replay guard and queueing in one transaction);
- **plain**: a bare starlette endpoint that reads the body and stores it (the same queue insert,
  no checks).

It prints events per second for each, their ratio, and the events found in each store afterwards
(every POST answered 200 and every event stored: nothing lost).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crmtui.config import load_settings  # noqa: E402
from crmtui.endpoints.server import BatchedWriter, make_server_app  # noqa: E402
from crmtui.sandbox.loopback import free_port  # noqa: E402
from crmtui.sandbox.sns import SnsPublisher, sandbox_pki, ses_event  # noqa: E402
from crmtui.secrets import Secret  # noqa: E402
from crmtui.store import Store  # noqa: E402
from crmtui.store.events import EventsRepo  # noqa: E402

TOPIC = "arn:aws:sns:eu-west-3:123456789012:ses-events"


def plain_app(store: Store) -> Starlette:
    """The baseline: store the body (same group-committed queue insert), nothing else."""
    events = EventsRepo(store)
    writer = BatchedWriter(store)

    async def ingest(request: Request) -> PlainTextResponse:
        body = await request.body()
        await writer.call(events.enqueue, "bench", "raw", {"body": body.decode("utf-8")}, None)
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/sns/ses", ingest, methods=["POST"])])


def envelopes(n: int) -> list[tuple[bytes, dict[str, str]]]:
    """``n`` signed Delivery notifications (v1 and v2 alternately), each with its own MessageId."""
    pki = sandbox_pki()
    pubs = {1: SnsPublisher(pki, TOPIC, version=1), 2: SnsPublisher(pki, TOPIC, version=2)}
    out = []
    for i in range(n):
        pub = pubs[1 + i % 2]
        record = ses_event(
            "Delivery",
            message_id=f"ses-{i:07d}",
            recipient=f"client{i}@exemple.fr",
            delivery={"recipients": []},
        )
        env = pub.notification(json.dumps(record))
        out.append((SnsPublisher.body(env), pub.headers(env)))
    return out


async def fire(
    url: str,
    payloads: list[tuple[bytes, dict[str, str]]],
    warmup: tuple[bytes, dict[str, str]],
    concurrency: int,
) -> tuple[float, int]:
    """POST every payload with ``concurrency`` in flight; returns (seconds, non-200 answers)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    bad = 0
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for p in payloads:
        queue.put_nowait(p)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:

        async def worker() -> None:
            nonlocal bad
            while True:
                try:
                    body, headers = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                r = await client.post("/sns/ses", content=body, headers=headers)
                if r.status_code != 200:
                    bad += 1

        # warm-up (connections, certificate fetch) outside the timing: one more genuine event
        body, headers = warmup
        await client.post("/sns/ses", content=body, headers=headers)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, bad


def _app_for(kind: str, db: Path, data_dir: Path) -> Any:
    store = Store(db)
    if kind == "plain":
        return plain_app(store)
    settings = dataclasses.replace(
        load_settings({"CRMTUI_DATA_DIR": str(data_dir)}, env_file=None, sandbox=True),
        tracking_secret=Secret("b" * 40),
    )
    from cryptography import x509

    # The parent signed the events: serve its certificate and trust its CA (not a new child PKI).
    signing_pem = (data_dir / "signing.pem").read_bytes()
    ca = x509.load_pem_x509_certificate((data_dir / "ca.pem").read_bytes())

    async def fetch(url: str) -> bytes:
        return signing_pem

    return make_server_app(
        settings,
        store,
        allowed_topics=[TOPIC],
        cert_fetcher=fetch,
        trusted_issuers=[ca],
        process_interval=None,
    )


def _child(kind: str, db: str, data_dir: str, port: int) -> None:
    import uvicorn

    app = _app_for(kind, Path(db), Path(data_dir))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="critical", access_log=False, lifespan="off")


def _wait_port(port: int, timeout: float = 20.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def main(argv: list[str] | None = None) -> int:
    """Run both servers (each in a child process), print the figures."""
    import multiprocessing

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="crmtui-bench-serve-"))
    print(f"crmtui serve ingestion: {args.events:,} signed SES events, {args.concurrency} in flight")
    print(
        f"python {platform.python_version()} on {platform.machine()}, uvicorn in a child process per server\n"
    )
    *payloads, warmup = envelopes(args.events + 1)
    from cryptography.hazmat.primitives.serialization import Encoding

    pki = sandbox_pki()
    (tmp / "signing.pem").write_bytes(pki.signing_pem)
    (tmp / "ca.pem").write_bytes(pki.ca_cert.public_bytes(Encoding.PEM))
    results: dict[str, tuple[float, int, int]] = {}
    ctx = multiprocessing.get_context("spawn")
    for kind, source in (("plain", "bench"), ("serve", "ses")):
        db = tmp / f"{kind}.db"
        Store(db).close()  # migrate before the child starts
        port = free_port()
        proc = ctx.Process(target=_child, args=(kind, str(db), str(tmp), port), daemon=True)
        proc.start()
        try:
            _wait_port(port)
            seconds, bad = asyncio.run(fire(f"http://127.0.0.1:{port}", payloads, warmup, args.concurrency))
        finally:
            proc.terminate()
            proc.join(10)
        with Store(db) as store:
            stored = EventsRepo(store).count_inbound(source) - 1  # the warm-up event
        results[kind] = (seconds, bad, stored)
    for name, (seconds, bad, stored) in results.items():
        label = "crmtui serve (checks on)" if name == "serve" else "plain starlette (store body)"
        print(
            f"  {label:<30} {args.events / seconds:>9,.0f} events/s  {seconds:6.2f} s  "
            f"non-200: {bad}  stored: {stored:,}/{args.events:,}"
        )
    ratio = (args.events / results["serve"][0]) / (args.events / results["plain"][0])
    print(f"\n  ratio serve / plain: {ratio:.2f}")
    lost = any(stored != args.events or bad for _, bad, stored in results.values())
    print("  events lost: " + ("YES" if lost else "0"))
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
