"""Batch operations: ``/batches`` queued, run on a later poll, results as a gzipped tar."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import urllib.parse
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Scope

from crmtui.sandbox.mailchimp.errors import _body, _invalid, _not_found, _required
from crmtui.sandbox.mailchimp.record import _Batch
from crmtui.sandbox.mailchimp.state import AudienceState
from crmtui.sandbox.mailchimp.wire import SIM_HOOKS, iso

_BATCH_STAGES = ("pending", "preprocessing", "started", "finalizing", "finished")


class Batches(AudienceState):
    """``POST /batches`` and the polls that run it."""

    async def h_batches(self, request: Request) -> Response:
        """``POST /batches`` (queue operations) and ``GET /batches`` (list them)."""
        if request.method == "GET":
            items = [self._batch_json(b, request) for b in self.batches.values()]
            return self._json(request, {"batches": items, "total_items": len(items), "_links": []})
        body = await _body(request)
        ops = body.get("operations")
        if not isinstance(ops, list):
            raise _invalid([_required("operations")])
        for i, op in enumerate(ops):
            if not isinstance(op, dict) or op.get("method") not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                raise _invalid([{"field": f"operations.item:{i}.method", "message": "Invalid method"}])
            if not isinstance(op.get("path"), str):
                raise _invalid([{"field": f"operations.item:{i}.path", "message": "Required"}])
        batch = _Batch(uuid.uuid4().hex[:10], ops, self.clock())
        self.batches[batch.id] = batch
        return self._json(request, self._batch_json(batch, request))

    async def h_batch(self, request: Request) -> Response:
        """``GET /batches/{id}`` advances the batch one stage per poll; ``DELETE`` drops it."""
        batch = self.batches.get(request.path_params["batch_id"])
        if batch is None:
            raise _not_found()
        if request.method == "DELETE":
            del self.batches[batch.id]
            return Response(status_code=204)
        if batch.results is None:
            batch.polls += 1
            if batch.polls >= self.batch_polls:
                await self._run_batch(batch)
            else:
                batch.status = _BATCH_STAGES[min(batch.polls, 3)]
        return self._json(request, self._batch_json(batch, request))

    async def _run_batch(self, batch: _Batch) -> None:
        """Run every operation against the same in-memory state (no auth, limits or counters)."""
        results = []
        for op in batch.operations:
            status, body = await self._call_inner(op)
            results.append({"status_code": status, "operation_id": op.get("operation_id"), "response": body})
        batch.results = results
        batch.completed_at = self.clock()
        batch.status = "finished"

    async def _call_inner(self, op: dict[str, Any]) -> tuple[int, str]:
        path = op["path"]
        if not path.startswith("/3.0"):
            path = "/3.0" + (path if path.startswith("/") else "/" + path)
        params = op.get("params") or {}
        raw_body = op.get("body") or ""
        if not isinstance(raw_body, str):
            raw_body = json.dumps(raw_body)
        host = f"{self.dc}.api.mailchimp.com".encode()
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": op["method"],
            "scheme": "https",
            "path": urllib.parse.unquote(path),
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": urllib.parse.urlencode(params).encode(),
            "headers": [(b"host", host), (b"content-type", b"application/json")],
            "server": (host.decode(), 443),
            "client": ("127.0.0.1", 0),
        }
        payload = raw_body.encode()
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}

        status = 500
        chunks: list[bytes] = []

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self._api(scope, receive, send)
        return status, b"".join(chunks).decode()

    def _batch_json(self, batch: _Batch, request: Request) -> dict[str, Any]:
        done = batch.results is not None
        errored = sum(1 for r in batch.results or [] if r["status_code"] >= 400)
        url = ""
        if done:
            base = f"{request.url.scheme}://{request.url.netloc}"
            url = f"{base}{SIM_HOOKS}/batch-results/{batch.id}.tar.gz"
        href = f"https://{self.dc}.api.mailchimp.com/3.0/batches/{batch.id}"
        return {
            "id": batch.id,
            "status": batch.status,
            "total_operations": len(batch.operations),
            "finished_operations": len(batch.operations) if done else 0,
            "errored_operations": errored,
            "submitted_at": iso(batch.submitted_at),
            "completed_at": iso(batch.completed_at),
            "response_body_url": url,
            "_links": [{"rel": "self", "href": href, "method": "GET"}],
        }


def _batch_archive(batch: _Batch) -> bytes:
    """The gzipped tar Mailchimp links from ``response_body_url``: JSON arrays of results."""
    payload = json.dumps(batch.results).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(f"{batch.id}/{uuid.uuid4().hex}.json")
        info.size = len(payload)
        info.mtime = int(batch.completed_at or 0)
        tar.addfile(info, io.BytesIO(payload))
    return gzip.compress(buf.getvalue())
