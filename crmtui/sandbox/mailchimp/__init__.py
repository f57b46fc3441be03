"""A protocol-faithful simulator of the Mailchimp Marketing API v3 (one audience).

The wire behaviour follows ``docs/WIRE.md`` section 2. Points WIRE marks UNCONFIRMED or RECALL are
design choices here; each one is flagged in a comment next to the code that implements it, and the
ones that matter are configurable.

Layers, outermost first::

    _outer         sim admin hooks (/__sim__/mailchimp/...), the 10-connection limit (429)
    with_control   shared counters, latency and scripted faults (crmtui.sandbox.control)
    _auth          Basic auth: any username, password = the API key, -usX must be our data centre
    _api           starlette app mounted at /3.0 (routes below)

Usage in tests::

    sim = MailchimpSim(clock=fake_clock, http=fake_http)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app),
                               base_url="https://us19.api.mailchimp.com/3.0", auth=("x", sim.api_key))

Design choices for undocumented behaviour (see the comments marked UNCONFIRMED):

- Archived members are hidden from ``GET /members`` unless ``status=archived`` is asked for (RECALL:
  users report they cannot list archived contacts).
- Re-adding an archived member (POST, PUT, batch subscribe) un-archives it. The status it had before
  it was archived still counts for the compliance rule, so an unsubscribed member that was archived
  cannot come back as ``subscribed`` (``archived_keeps_compliance=False`` lifts that).
- A permanently deleted (forgotten) address is refused on every re-add whatever the status
  (WIRE only confirms subscribed/pending); only :meth:`MailchimpSim.simulate_event` ``"subscribe"``
  (the person using the hosted signup form) brings it back.
- ``since_last_changed`` is inclusive, ``before_last_changed`` exclusive. Tag changes move
  ``last_changed``. ``count`` above 1000 is clamped to 1000.
- ``DELETE`` of an already archived member is a no-op 204.

Modules, one job each: :mod:`.wire` (constants, hashes, dates, field filters), :mod:`.errors`
(problem+json bodies), :mod:`.record` (what is stored: a member, a batch), :mod:`.state` (the
audience, its indexes and member JSON), :mod:`.validation`, :mod:`.webhooks`, :mod:`.members`,
:mod:`.tags`, :mod:`.lists` (list info, merge fields, batch subscribe), :mod:`.batches` and
:mod:`.app` (the ASGI layers above and the routes).
"""

from crmtui.sandbox.mailchimp.app import MailchimpSim
from crmtui.sandbox.mailchimp.errors import (
    DETAIL_INVALID,
    DETAIL_KEY_INVALID,
    DETAIL_KEY_MISSING,
    DETAIL_MERGE_INVALID,
    DETAIL_METHOD,
    DETAIL_NOT_FOUND,
    DETAIL_WEBHOOK_VERIFY,
    Problem,
    problem_body,
)
from crmtui.sandbox.mailchimp.record import Member
from crmtui.sandbox.mailchimp.state import WebhookHttp
from crmtui.sandbox.mailchimp.wire import (
    DEFAULT_API_KEY,
    ERROR_TYPE_URL,
    LIST_STATUSES,
    MAX_BATCH_MEMBERS,
    MAX_PAGE,
    PROBLEM_CONTENT_TYPE,
    SIM_HOOKS,
    SORT_FIELDS,
    STATUSES,
    WEBHOOK_EVENTS,
    WEBHOOK_SOURCES,
    iso,
    parse_iso,
    subscriber_hash,
)

__all__ = [
    "DEFAULT_API_KEY",
    "DETAIL_INVALID",
    "DETAIL_KEY_INVALID",
    "DETAIL_KEY_MISSING",
    "DETAIL_MERGE_INVALID",
    "DETAIL_METHOD",
    "DETAIL_NOT_FOUND",
    "DETAIL_WEBHOOK_VERIFY",
    "ERROR_TYPE_URL",
    "LIST_STATUSES",
    "MAX_BATCH_MEMBERS",
    "MAX_PAGE",
    "PROBLEM_CONTENT_TYPE",
    "SIM_HOOKS",
    "SORT_FIELDS",
    "STATUSES",
    "WEBHOOK_EVENTS",
    "WEBHOOK_SOURCES",
    "MailchimpSim",
    "Member",
    "Problem",
    "WebhookHttp",
    "iso",
    "parse_iso",
    "problem_body",
    "subscriber_hash",
]
