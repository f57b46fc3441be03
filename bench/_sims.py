"""The sandbox simulators in a child process, for benchmarks that measure the client side only.

Run as a script, it builds the seeded sandbox (``crmtui.sandbox.harness``), serves it on loopback,
prints one JSON line (the URLs, a ready-to-use ``.env``, the data summary) and serves until its
standard input closes::

    .venv/bin/python bench/_sims.py --contacts 20000 --seed 42 --copper-rate-limit 1000000000

:class:`SimProcess` does that from a benchmark: the simulators' CPU and memory stay out of the
benchmark's own process (its ``tracemalloc`` peak is the client's alone, and on a 2-core machine
server and client each get a core). Everything else goes over HTTP, as for the real services:
the simulators' admin API (``/__sim__/calls``, ``/__sim__/calls/reset``) for the server-side call
counters, the Mailchimp simulator's ``/__sim__/mailchimp/events`` to make things happen on the
Mailchimp side, and the real Copper API to edit people.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
UNLIMITED = 1_000_000_000
"""A Copper rate budget that never binds (requests per rolling minute), for sims and clients."""


def _serve(contacts: int, seed: int, copper_rate_limit: int) -> None:
    sys.path.insert(0, str(ROOT))
    from crmtui.sandbox.harness import running_sandbox

    with running_sandbox(contacts, seed, copper_rate_limit=copper_rate_limit) as sb:
        info = {
            "urls": sb.urls,
            "env": sb.env(),
            "summary": sb.summary["contacts"],
            "copper_people": len(sb.copper.people),
            "mailchimp_members": len(sb.mailchimp.members),
        }
        print(json.dumps(info), flush=True)
        for _ in sys.stdin:  # serve until the parent closes our stdin
            pass


class SimProcess:
    """The seeded sandbox served by a child process (``with SimProcess(20000) as sims: ...``).

    Attributes:
        env: the ``.env`` pointing at the child's simulators.
        urls: base URL per simulator.
        summary: what the sample data holds (``generate_contacts(...).summary``).
    """

    def __init__(self, contacts: int, seed: int = 42, copper_rate_limit: int = UNLIMITED) -> None:
        self.contacts = contacts
        self.seed = seed
        self.copper_rate_limit = copper_rate_limit
        self.env: dict[str, str] = {}
        self.urls: dict[str, str] = {}
        self.summary: dict[str, int] = {}
        self.info: dict[str, Any] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._http = httpx.Client(timeout=120)

    def __enter__(self) -> SimProcess:
        self._proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--contacts",
                str(self.contacts),
                "--seed",
                str(self.seed),
                "--copper-rate-limit",
                str(self.copper_rate_limit),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self._proc.wait()
            raise RuntimeError(f"the simulators did not start (exit code {self._proc.returncode})")
        self.info = json.loads(line)
        self.env, self.urls, self.summary = self.info["env"], self.info["urls"], self.info["summary"]
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    # -- server-side counters -------------------------------------------------------------

    def calls(self, sim: str) -> dict[str, int]:
        """The simulator's own call counters per endpoint (``"copper"`` or ``"mailchimp"``)."""
        answer = self._http.get(f"{self.urls[sim]}/__sim__/calls")
        answer.raise_for_status()
        return dict(answer.json()["calls"])

    def reset_calls(self) -> None:
        """Zero the call counters of every simulator."""
        for url in self.urls.values():
            if url.startswith("http"):  # the SMTP sink has no HTTP admin API
                self._http.post(f"{url}/__sim__/calls/reset").raise_for_status()

    # -- the Copper API, as a colleague in Copper's UI --------------------------------------

    def _copper_headers(self) -> dict[str, str]:
        return {
            "X-PW-AccessToken": self.env["COPPER_API_KEY"],
            "X-PW-Application": "developer_api",
            "X-PW-UserEmail": self.env["COPPER_API_EMAIL"],
            "Content-Type": "application/json",
        }

    def copper_search(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """One ``POST /people/search``: the page and ``X-PW-TOTAL``."""
        answer = self._http.post(
            f"{self.env['COPPER_BASE_URL']}/people/search", json=body, headers=self._copper_headers()
        )
        answer.raise_for_status()
        return list(answer.json()), int(answer.headers.get("X-PW-TOTAL", "0"))

    def copper_put(self, person_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Edit one person through Copper's API (``date_modified`` advances)."""
        answer = self._http.put(
            f"{self.env['COPPER_BASE_URL']}/people/{person_id}", json=body, headers=self._copper_headers()
        )
        answer.raise_for_status()
        return dict(answer.json())

    # -- the Mailchimp side -----------------------------------------------------------------

    def mailchimp_get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """A GET on the Mailchimp API (``path`` under ``/3.0``)."""
        answer = self._http.get(
            f"{self.env['MAILCHIMP_BASE_URL']}{path}",
            params=params,
            auth=("bench", self.env["MAILCHIMP_API_KEY"]),
        )
        answer.raise_for_status()
        return dict(answer.json())

    def mailchimp_event(self, kind: str, email: str, **data: Any) -> dict[str, Any]:
        """Make something happen on the Mailchimp side (a subscriber edits their profile...)."""
        answer = self._http.post(
            f"{self.urls['mailchimp']}/__sim__/mailchimp/events", json={"kind": kind, "email": email, **data}
        )
        answer.raise_for_status()
        return dict(answer.json())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--copper-rate-limit", type=int, default=180)
    args = parser.parse_args()
    _serve(args.contacts, args.seed, args.copper_rate_limit)


if __name__ == "__main__":
    main()
