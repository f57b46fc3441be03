"""One crmtui-like process for the shared-budget tests: real clients, a real store, real sleeps.

Run as ``python -m tests.integration.budget_worker SPEC.json``. It builds a Copper or Mailchimp
client (with the store's shared budgets, or without them for the control experiment), writes
``<ready>``, waits for ``<go>`` so that every worker starts its burst at the same moment, sends its
calls and prints one JSON line: how many succeeded, the errors, the retries and the operator
messages (``on_wait``).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from crmtui.connectors.copper import CopperClient
from crmtui.connectors.errors import ConnectorError
from crmtui.connectors.http import RateWait
from crmtui.connectors.mailchimp import MailchimpClient
from crmtui.i18n import set_language
from crmtui.store import Store


async def _run(spec: dict[str, Any]) -> dict[str, Any]:
    set_language(spec.get("lang", "en"))
    store = Store(spec["store"]) if spec["shared"] else None
    messages: list[str] = []

    def on_wait(wait: RateWait) -> None:
        messages.append(wait.message)

    budgets = store.budgets if store is not None else None
    async with httpx.AsyncClient() as http:
        client: CopperClient | MailchimpClient
        if spec["service"] == "copper":
            client = CopperClient(
                http,
                api_key=spec["key"],
                user_email=spec["email"],
                base_url=spec["url"],
                rate_limit=tuple(spec["rate_limit"]),  # type: ignore[arg-type]
                max_concurrency=spec["concurrency"],
                timeout=30.0,
                budgets=budgets,
                on_wait=on_wait,
            )
        else:
            client = MailchimpClient(
                http,
                api_key=spec["key"],
                list_id=spec["list_id"],
                base_url=spec["url"],
                max_concurrency=spec["concurrency"],
                timeout=30.0,
                budgets=budgets,
                on_wait=on_wait,
            )
        Path(spec["ready"]).touch()
        go = Path(spec["go"])
        deadline = time.monotonic() + 120
        while not go.exists():  # the parent starts every worker's burst at once
            if time.monotonic() > deadline:
                return {"error": "never told to go"}
            await asyncio.sleep(0.005)

        async def one(ref: Any) -> str | None:
            try:
                if isinstance(client, CopperClient):
                    await client.get_person(int(ref))
                else:
                    await client.get_member(str(ref))
            except ConnectorError as exc:
                return str(exc)
            return None

        errors = [e for e in await asyncio.gather(*(one(r) for r in spec["refs"])) if e]
    if store is not None:
        store.close()
    return {
        "ok": len(spec["refs"]) - len(errors),
        "errors": errors,
        "retries": client.retries,
        "messages": messages,
    }


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    print(json.dumps(asyncio.run(_run(spec))))


if __name__ == "__main__":
    main()
