"""Every remote write crmtui makes to Copper and Mailchimp, classified once: safe to repeat or not.

A write is **idempotent** when sending it again after an ambiguous failure (a gateway 502/503/504, a
timeout or a reset after the request left, a truncated answer) leaves the service exactly as one
send would: the connectors retry it like a read. A write that is **not** idempotent is never sent
again blindly: the connector raises :class:`crmtui.connectors.errors.OutcomeUnknown`, the outbox op
becomes ``unknown``, and :mod:`crmtui.engine.sync_verify` reads the remote state (``check``) before
any retry, in the same run and again at the start of the next one.

The connectors take their ``idempotent=`` flag from :data:`WRITES` (:func:`idempotent`), so the
classification below is the only place it is decided. Each entry cites the service's documentation
for the behaviour that makes it safe or not.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteWrite:
    """One kind of remote write.

    Attributes:
        service: ``copper`` or ``mailchimp``.
        endpoint: method and path with ids folded (``"POST /people"``), plus a variant when the
            same endpoint is safe or not depending on its body.
        idempotent: repeating it after an ambiguous failure is harmless.
        check: how crmtui finds out whether it happened (non-idempotent writes), or why a repeat
            is harmless (idempotent ones).
        doc: the documentation the classification rests on.
    """

    service: str
    endpoint: str
    idempotent: bool
    check: str
    doc: str


WRITES: dict[str, RemoteWrite] = {
    f"{w.service} {w.endpoint}": w
    for w in (
        # -- Copper (Developer API v1) ----------------------------------------------------------
        RemoteWrite(
            "copper",
            "POST /people",
            idempotent=False,
            check="POST /people/search with emails=[address]: adopt the person found, else create",
            # Each call creates a new record ("Create a New Person"); Copper answers 422 for an
            # address already in use ("Contact emails must be unique", Bulk Create People), but
            # that wording is not documented for the single create (WIRE.md §1.3), so a repeat is
            # never relied on to be refused.
            doc="https://developer.copper.com/people/create-a-new-person.html; "
            "https://developer.copper.com/people/bulk-create-people.html",
        ),
        RemoteWrite(
            "copper",
            "PUT /people/{id}",
            idempotent=True,
            check="sets the given fields to the given values (tags and emails replace the whole list)",
            # "Updates are only applied to fields explicitly specified in the request body": the
            # same body twice gives the same record (a tag add is a PUT of the full new tag list).
            doc="https://developer.copper.com/people/update-a-person.html",
        ),
        RemoteWrite(
            "copper",
            "DELETE /people/{id}",
            idempotent=True,
            check="a repeat answers 404, read as 'already gone'",
            doc="https://developer.copper.com/people/delete-a-person.html",
        ),
        RemoteWrite(
            "copper",
            "POST /webhooks",
            idempotent=False,
            check="GET /webhooks: a subscription with the same target and event is the one created",
            # Each call adds a subscription (at most 100 per account); a repeat adds a second one.
            doc="https://developer.copper.com/webhooks/create-new-subscription.html",
        ),
        RemoteWrite(
            "copper",
            "DELETE /webhooks/{id}",
            idempotent=True,
            check="a repeat answers 404, read as 'already gone'",
            doc="https://developer.copper.com/webhooks/delete-a-subscription.html",
        ),
        # -- Mailchimp (Marketing API 3.0) ------------------------------------------------------
        RemoteWrite(
            "mailchimp",
            "PUT /lists/{id}/members/{id}",
            idempotent=True,
            check="an upsert keyed by the address's hash: a repeat updates the same member",
            # "Add or update list member": adds the address or updates the member at that hash.
            doc="https://mailchimp.com/developer/marketing/api/list-members/add-or-update-list-member/",
        ),
        RemoteWrite(
            "mailchimp",
            "PATCH /lists/{id}/members/{id}",
            idempotent=True,
            check="sets the given fields on the member at that hash",
            doc="https://mailchimp.com/developer/marketing/api/list-members/update-list-member/",
        ),
        RemoteWrite(
            "mailchimp",
            "PATCH /lists/{id}/members/{id} email_address",
            idempotent=False,
            check="GET the member at the new address (moved: done) and at the old one (still there: retry)",
            # Changing email_address moves the member to the new address's hash: a repeat of the
            # same PATCH on the old hash answers 404 once the first one landed.
            doc="https://mailchimp.com/developer/marketing/api/list-members/update-list-member/",
        ),
        RemoteWrite(
            "mailchimp",
            "POST /lists/{id}/members",
            idempotent=False,
            check="GET the member: a repeat answers 400 'Member Exists'",
            doc="https://mailchimp.com/developer/marketing/api/list-members/add-member-to-list/",
        ),
        RemoteWrite(
            "mailchimp",
            "DELETE /lists/{id}/members/{id}",
            idempotent=True,
            check="archives the member; a repeat answers 404, read as 'already archived'",
            doc="https://mailchimp.com/developer/marketing/api/list-members/archive-list-member/",
        ),
        RemoteWrite(
            "mailchimp",
            "POST /lists/{id}/members/{id}/actions/delete-permanent",
            idempotent=True,
            check="a repeat answers 404, read as 'already deleted'",
            doc="https://mailchimp.com/developer/marketing/api/list-members/delete-list-member/",
        ),
        RemoteWrite(
            "mailchimp",
            "POST /lists/{id}/members/{id}/tags",
            idempotent=True,
            check="sets each named tag active or inactive: a repeat sets the same statuses",
            # "Add or remove member tags": each tag carries the status it must end in.
            doc="https://mailchimp.com/developer/marketing/api/list-member-tags/add-or-remove-member-tags/",
        ),
        RemoteWrite(
            "mailchimp",
            "POST /lists/{id} update_existing",
            idempotent=True,
            check="batch subscribe with update_existing=true upserts each member by address",
            # "Batch subscribe or unsubscribe": update_existing makes an existing address an update.
            doc="https://mailchimp.com/developer/marketing/api/lists/batch-subscribe-or-unsubscribe/",
        ),
        RemoteWrite(
            "mailchimp",
            "POST /lists/{id}",
            idempotent=False,
            check="without update_existing a repeat reports every member of the first call as an error",
            doc="https://mailchimp.com/developer/marketing/api/lists/batch-subscribe-or-unsubscribe/",
        ),
        RemoteWrite(
            "mailchimp",
            "POST /lists/{id}/webhooks",
            idempotent=False,
            check="GET /lists/{id}/webhooks: one with the same url is the one created",
            doc="https://mailchimp.com/developer/marketing/api/list-webhooks/add-webhook/",
        ),
        RemoteWrite(
            "mailchimp",
            "DELETE /lists/{id}/webhooks/{id}",
            idempotent=True,
            check="a repeat answers 404, read as 'already gone'",
            doc="https://mailchimp.com/developer/marketing/api/list-webhooks/delete-webhook/",
        ),
    )
}


def write(service: str, endpoint: str) -> RemoteWrite:
    """The classification of one write (``KeyError`` for a write nobody classified)."""
    return WRITES[f"{service} {endpoint}"]


def idempotent(service: str, endpoint: str) -> bool:
    """Whether ``endpoint`` of ``service`` may be sent again after an ambiguous failure."""
    return write(service, endpoint).idempotent
