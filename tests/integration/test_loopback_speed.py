"""The sandbox's loopback servers answer small requests at once (no Nagle / delayed-ACK stall)."""

from __future__ import annotations

import time

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crmtui.sandbox.loopback import serve_in_thread


async def _echo(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"ok": True})


def test_small_round_trip_is_well_under_the_delayed_ack_stall() -> None:
    app = Starlette(routes=[Route("/", _echo, methods=["GET", "POST"])])
    with serve_in_thread(app) as url, httpx.Client() as client:
        client.get(url + "/")
        timings = []
        for _ in range(15):
            started = time.perf_counter()
            client.post(url + "/", json={"email": "x" * 200})
            timings.append(time.perf_counter() - started)
    timings.sort()
    # With Nagle on, each response waits ~40 ms for the client's delayed ACK; the median is the
    # robust figure on a loaded machine (one slow round trip must not fail the test).
    assert timings[len(timings) // 2] < 0.020
