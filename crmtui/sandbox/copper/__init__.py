"""A protocol-faithful simulator of the Copper CRM Developer API v1 (people and webhooks).

Mounted at ``/developer_api/v1`` like the real service (``https://api.copper.com/developer_api/v1``),
written from ``docs/WIRE.md`` section 1. It runs in-process through ``httpx.ASGITransport`` for
fast tests and on a loopback port through :func:`crmtui.sandbox.loopback.serve_in_thread`::

    sim = CopperSim()
    sim.load_people([{"name": "Ada Lovelace", "emails": [{"email": "ada@example.org", "category": "work"}]}])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app),
                                 base_url="https://api.copper.com/developer_api/v1") as client:
        ...

What it reproduces (WIRE.md §1):

- the three auth headers (``X-PW-AccessToken``, ``X-PW-Application: developer_api``,
  ``X-PW-UserEmail``), answered with 401 otherwise;
- people CRUD with partial ``PUT`` (absent fields untouched, ``null`` clears, ``tags``/``emails``
  replaced wholesale), email as a unique key, ``fetch_by_email``;
- ``POST /people/search``: AND-combined filters, paging from 1, sorting, a bare JSON array body,
  the total in ``X-PW-TOTAL``, and nothing past the first 100,000 records;
- webhooks: subscriptions (at most 100), notifications of ≤30 ids, secret fields at the top level,
  ``updated_attributes`` on updates only, custom headers, never retried, no signature;
- 180 requests per rolling 60 s window, answered with 429 and no ``Retry-After``;
- the shared admin API, counters and scripted faults of :mod:`crmtui.sandbox.control`.

Every point WIRE.md marks UNCONFIRMED is a design choice here; each is flagged ``UNCONFIRMED`` in a
comment next to the code and, where it matters to a client, is configurable.

Modules, one job each: :mod:`.errors` (the error envelope), :mod:`.fields` (the person record and
its validation), :mod:`.state` (people, indexes, queued changes, seeding), :mod:`.people`,
:mod:`.search`, :mod:`.webhooks` and :mod:`.app` (routes, auth, rate limit).
"""

from crmtui.sandbox.copper.app import CopperSim
from crmtui.sandbox.copper.errors import ApiError, error_body
from crmtui.sandbox.copper.fields import PERSON_KEYS, email_key, join_name, split_name
from crmtui.sandbox.copper.search import SORT_FIELDS
from crmtui.sandbox.copper.state import BASE_PATH, Notify, http_notify
from crmtui.sandbox.copper.webhooks import WEBHOOK_EVENTS, WEBHOOK_TYPES

__all__ = [
    "BASE_PATH",
    "PERSON_KEYS",
    "SORT_FIELDS",
    "WEBHOOK_EVENTS",
    "WEBHOOK_TYPES",
    "ApiError",
    "CopperSim",
    "Notify",
    "email_key",
    "error_body",
    "http_notify",
    "join_name",
    "split_name",
]
