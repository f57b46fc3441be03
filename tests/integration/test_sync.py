"""The sync against the simulators over loopback sockets: every behaviour of the issue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crmtui.config import Settings, load_settings
from crmtui.engine.decisions import apply_decisions
from crmtui.engine.identity import INACTIVE_TAG, RESUBSCRIBE_TAG, is_deletion_tag, normalize_email
from crmtui.engine.sync import run_sync
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.store import Store

N = 200


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox(N, seed=11) as sb:
        yield sb


def make_settings(sb: Sandbox, tmp_path: Path, **env: str) -> Settings:
    base = {"CRMTUI_DATA_DIR": str(tmp_path / "data"), "SYNC_MODE": "production", **env}
    return sb.apply_to(load_settings(base, env_file=None, sandbox=True))


@pytest.fixture
def settings(sandbox: Sandbox, tmp_path: Path) -> Settings:  # type: ignore[override]
    return make_settings(sandbox, tmp_path)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:  # type: ignore[override]
    s = Store(settings.store_path)
    yield s
    s.close()


async def sync(settings: Settings, store: Store, **kw: Any) -> Any:
    run_id = store.runs.start("sync", mode=settings.sync_mode)
    return await run_sync(settings, store, run_id=run_id, **kw)


def members(sb: Sandbox) -> dict[str, dict[str, Any]]:
    out = {}
    for m in sb.mailchimp.members.values():
        out[normalize_email(m["email_address"])] = {
            "status": m["status"],
            "merge_fields": dict(m["merge_fields"] or {}),
            "tags": sorted(t if isinstance(t, str) else t["name"] for t in (m["tags"] or ())),
        }
    return out


def copper_put(sb: Sandbox, person_id: int, **body: Any) -> dict[str, Any]:
    """Edit a person through Copper's API, as a colleague in the Copper UI would."""
    env = sb.env()
    headers = {
        "X-PW-AccessToken": env["COPPER_API_KEY"],
        "X-PW-Application": "developer_api",
        "X-PW-UserEmail": env["COPPER_API_EMAIL"],
        "Content-Type": "application/json",
    }
    response = httpx.put(f"{env['COPPER_BASE_URL']}/people/{person_id}", json=body, headers=headers)
    response.raise_for_status()
    return dict(response.json())


def people_by_email(sb: Sandbox) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for p in sb.copper.people.values():
        for e in p["emails"][:1]:
            out.setdefault(normalize_email(e["email"]), []).append(p)
    return out


async def test_first_sync_then_nothing_to_do(sandbox: Sandbox, settings: Settings, store: Store) -> None:
    before = members(sandbox)
    first = await sync(settings, store)
    assert first.failed == 0, [r.errors for r in first.operations if not r.ok]
    assert first.operations
    after = members(sandbox)
    # Consent: nobody opted out came back to subscribed.
    for email, m in before.items():
        if m["status"] in ("unsubscribed", "cleaned", "archived"):
            assert after[email]["status"] == m["status"], email
    # New subscribers became Copper people, once.
    people = people_by_email(sandbox)
    for email, m in before.items():
        if m["status"] == "subscribed" and "@" in email:
            assert email in people, email
    second = await sync(settings, store)
    assert second.operations == []
    assert sandbox.copper.control.calls.get("POST /people", 0) == first_calls(first, "copper POST /people")
    third = await sync(settings, store, full=True)
    assert third.operations == []


def first_calls(report: Any, key: str) -> int:
    return int(report.calls.get(key, 0))


async def test_flagged_contacts_are_excluded_and_queued(
    sandbox: Sandbox, settings: Settings, store: Store
) -> None:
    flagged = {
        normalize_email(p["emails"][0]["email"])
        for p in sandbox.copper.people.values()
        if p["emails"] and any(is_deletion_tag(t) for t in p["tags"])
    }
    assert flagged
    before = members(sandbox)
    await sync(settings, store)
    after = members(sandbox)
    for email in flagged:
        assert before.get(email) == after.get(email), email  # untouched in Mailchimp
    queued = {d.email for d in store.sync.decisions(("pending",))}
    assert flagged <= queued
    # Queued once: a second run adds nothing.
    await sync(settings, store)
    assert len(store.sync.decisions(("pending",))) == len(queued)


async def test_forgotten_recorded_once_with_link_and_copper_tag(
    sandbox: Sandbox, settings: Settings, store: Store
) -> None:
    report = await sync(settings, store)
    forgotten = {r.plan.email: r for r in report.operations if r.forgotten_now}
    assert forgotten
    for email, result in forgotten.items():
        assert "list-manage.com/subscribe" in result.resubscribe_url and "EMAIL=" in result.resubscribe_url
        person = people_by_email(sandbox)[email][0]
        assert RESUBSCRIBE_TAG in person["tags"]
    text = Path(report.path).read_text()
    assert "Resubscribe link:" in text
    calls_before = sandbox.mailchimp.control.calls.get("POST /lists/{id}", 0)
    again = await sync(settings, store, full=True)
    assert not any(r.forgotten_now for r in again.results)
    assert sandbox.mailchimp.control.calls.get("POST /lists/{id}", 0) == calls_before  # no retry


async def test_test_mode_touches_only_matching_emails(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = make_settings(sandbox, tmp_path, SYNC_MODE="test")
    store = Store(settings.store_path)
    report = await sync(settings, store)
    assert report.operations
    assert all("@exemple" in r.plan.email for r in report.results)
    store.close()


async def test_dry_run_writes_nothing(sandbox: Sandbox, settings: Settings, store: Store) -> None:
    report = await sync(settings, store, dry_run=True)
    writes = {k: v for k, v in sandbox.copper.control.calls.items() if not k.endswith("/search")}
    writes |= {k: v for k, v in sandbox.mailchimp.control.calls.items() if not k.startswith("GET")}
    assert writes == {}
    text = Path(report.path).read_text()
    assert report.operations and "(planned)" in text and "🔎 PLANNED |" in text
    # Nothing was done: no success is claimed (issue #14: "Succès: 40, 100 %" for a dry run).
    assert "SUCCESS" not in text and "Successes" not in text and "Success rate" not in text
    assert f"Operations planned (not carried out): {len(report.operations)}" in text
    assert store.sync.decisions(("pending",)) == []


async def test_conflicts_copper_wins_and_are_reported(
    sandbox: Sandbox, settings: Settings, store: Store
) -> None:
    await sync(settings, store)
    subscribed = {e for e, m in members(sandbox).items() if m["status"] == "subscribed"}
    person = next(
        p
        for p in sandbox.copper.people.values()
        if p["emails"]
        and p["first_name"]
        and normalize_email(p["emails"][0]["email"]) in subscribed
        and not any(is_deletion_tag(t) or t == INACTIVE_TAG for t in p["tags"])
    )
    email = normalize_email(person["emails"][0]["email"])
    member = sandbox.mailchimp.member(email)
    assert member is not None and member["status"] == "subscribed"
    copper_put(sandbox, person["id"], first_name="Côme")
    sandbox.mailchimp.simulate_event("profile", email, merge_fields={"FNAME": "Cosme"})
    report = await sync(settings, store)
    conflicts = [c for r in report.results for c in r.plan.conflicts if r.plan.email == email]
    assert conflicts and conflicts[0].winner == "copper"
    assert sandbox.mailchimp.member(email)["merge_fields"]["FNAME"] == "Côme"
    text = Path(report.path).read_text()
    assert "CONFLICTS" in text
    assert f"{email} — first name: Copper “Côme” / Mailchimp “Cosme” → Copper's value kept" in text
    # The same report in French: the field and the side in words, no English (issue #15).
    from crmtui.engine.report import render
    from crmtui.i18n import get_language, set_language

    before = get_language()
    set_language("fr")
    try:
        french = render(report)
    finally:
        set_language(before)
    assert f"{email} — prénom : Copper « Côme » / Mailchimp « Cosme » → valeur de Copper gardée" in french


async def test_unsubscribe_reaches_copper(sandbox: Sandbox, settings: Settings, store: Store) -> None:
    await sync(settings, store)
    email = next(
        e
        for e, m in members(sandbox).items()
        if m["status"] == "subscribed" and e in people_by_email(sandbox)
    )
    sandbox.mailchimp.simulate_event("unsubscribe", email)
    await sync(settings, store)
    person = people_by_email(sandbox)[email][0]
    assert settings.unsubscribed_tag in person["tags"]
    assert sandbox.mailchimp.member(email)["status"] == "unsubscribed"


async def test_email_change_follows_the_person(sandbox: Sandbox, settings: Settings, store: Store) -> None:
    await sync(settings, store)
    email = next(
        e
        for e, m in members(sandbox).items()
        if m["status"] == "subscribed" and len(people_by_email(sandbox).get(e, [])) == 1
    )
    person = people_by_email(sandbox)[email][0]
    new = "nouvelle.adresse@exemple.fr"
    count_before = len(sandbox.mailchimp.members)
    copper_put(sandbox, person["id"], emails=[{"email": new, "category": "work"}])
    await sync(settings, store)
    assert sandbox.mailchimp.member(new) is not None
    assert sandbox.mailchimp.member(email) is None
    assert len(sandbox.mailchimp.members) == count_before  # followed, not duplicated


@pytest.mark.parametrize(("action", "status"), [("", "unsubscribed"), ("archive", "archived")])
async def test_archive_decision_then_reactivation(
    sandbox: Sandbox, tmp_path: Path, action: str, status: str
) -> None:
    # The document's archive is "désabonnement automatique de Mailchimp" (the default);
    # SYNC_ARCHIVE_ACTION=archive keeps the older option (the member leaves the audience).
    settings = make_settings(sandbox, tmp_path, **({"SYNC_ARCHIVE_ACTION": action} if action else {}))
    store = Store(settings.store_path)
    await sync(settings, store)
    pending = [
        d
        for d in store.sync.decisions(("pending",))
        if d.copper_id and (sandbox.mailchimp.member(d.email) or {}).get("status") == "subscribed"
    ]
    target = pending[0]
    status_before = sandbox.mailchimp.member(target.email)["status"]
    store.sync.decide([target.email], "archive", "tester@console")
    outcome = await apply_decisions(settings, store, actor="tester@console")
    assert outcome.applied == 1
    person = sandbox.copper.people[target.copper_id]
    assert INACTIVE_TAG in person["tags"] and not any(is_deletion_tag(t) for t in person["tags"])
    assert sandbox.mailchimp.member(target.email)["status"] == status
    assert any(a["action"] == "decision.archive" for a in store.audit.recent())
    # The operator removes the inactive tag in Copper: the member comes back with its old status.
    copper_put(sandbox, person["id"], tags=[t for t in person["tags"] if t != INACTIVE_TAG])
    await sync(settings, store)
    # After an unsubscribe, Mailchimp refuses "subscribed" (compliance): the member gets the
    # confirmation email ("pending") instead, and is subscribed again once they confirm.
    restored = "pending" if status == "unsubscribed" else status_before
    assert sandbox.mailchimp.member(target.email)["status"] == restored
    store.close()


async def test_delete_decision_keeps_tombstones(sandbox: Sandbox, settings: Settings, store: Store) -> None:
    await sync(settings, store)
    target = next(d for d in store.sync.decisions(("pending",)) if d.copper_id)
    store.sync.decide([target.email], "delete", "tester@console")
    await apply_decisions(settings, store, actor="tester@console")
    assert target.copper_id not in sandbox.copper.people
    assert sandbox.mailchimp.member(target.email) is None
    assert {t["source"] for t in store.sync.tombstones(target.email)} >= {"copper"}
    report = await sync(settings, store, full=True)
    assert target.email not in {r.plan.email for r in report.operations}


async def test_headless_never_decides_by_itself(sandbox: Sandbox, settings: Settings, store: Store) -> None:
    await sync(settings, store)
    pending = store.sync.decisions(("pending",))
    await apply_decisions(settings, store, actor="cron")
    assert store.sync.decisions(("pending",)) == pending


async def test_circuit_breaker_stops_large_untagging(
    sandbox: Sandbox, settings: Settings, store: Store
) -> None:
    await sync(settings, store)
    for person in list(sandbox.copper.people.values()):
        if "Client" in person["tags"]:
            copper_put(sandbox, person["id"], tags=[t for t in person["tags"] if t != "Client"])
    calls = dict(sandbox.mailchimp.control.calls)
    report = await sync(settings, store)
    assert report.stopped.startswith("circuit breaker")
    assert {k: v for k, v in sandbox.mailchimp.control.calls.items() if not k.startswith("GET")} == {
        k: v for k, v in calls.items() if not k.startswith("GET")
    }
    allowed = await sync(settings, store, allow_large_change=True)
    assert not allowed.stopped and allowed.failed == 0


async def test_cancel_during_apply_then_rerun_loses_nothing(
    sandbox: Sandbox, settings: Settings, store: Store
) -> None:
    import asyncio

    from crmtui.engine.events import StepProgressed

    cancel = asyncio.Event()

    def emit(event: object) -> None:
        if isinstance(event, StepProgressed) and event.step == "sync:apply":
            cancel.set()  # stop after the first applied batch

    cancelled = await sync(settings, store, emit=emit, cancel=cancel)
    assert any("cancelled" in r.errors for r in cancelled.operations)
    await sync(settings, store)
    # Converged: nothing left to do, and every subscriber is in Copper exactly once.
    assert (await sync(settings, store, full=True)).operations == []
    people = people_by_email(sandbox)
    for email, m in members(sandbox).items():
        if m["status"] == "subscribed":
            assert email in people, email


async def test_one_click_unsubscribe_through_serve_reaches_both_services_next_cycle(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    from crmtui.endpoints.server import make_server_app
    from crmtui.engine.tracking import TrackingSigner

    settings = make_settings(sandbox, tmp_path, CRMTUI_TRACKING_SECRET="test-tracking-secret-0123456789")
    store = Store(settings.store_path)
    await sync(settings, store)
    email = next(
        e
        for e, m in members(sandbox).items()
        if m["status"] == "subscribed" and e in people_by_email(sandbox)
    )
    token = TrackingSigner(settings.tracking_secret).unsubscribe_token("m-1@crmtui", email)
    app = make_server_app(settings, store)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://crm.exemple.fr"
    ) as web:
        page = await web.get(f"/u/{token}")
        assert page.status_code == 200 and sandbox.mailchimp.member(email)["status"] == "subscribed"
        done = await web.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
        assert done.status_code in (200, 202) and "location" not in done.headers
    await sync(settings, store)  # the next cycle
    assert sandbox.mailchimp.member(email)["status"] == "unsubscribed"
    assert settings.unsubscribed_tag in people_by_email(sandbox)[email][0]["tags"]
    store.close()


async def test_email_changed_in_mailchimp_follows_the_contact(
    sandbox: Sandbox, settings: Settings, store: Store
) -> None:
    await sync(settings, store)
    email = next(
        e
        for e, m in members(sandbox).items()
        if m["status"] == "subscribed" and len(people_by_email(sandbox).get(e, [])) == 1
    )
    person_id = people_by_email(sandbox)[email][0]["id"]
    new = "changee.dans.mailchimp@exemple.fr"
    people_before = len(sandbox.copper.people)
    sandbox.mailchimp.simulate_event("upemail", email, new_email=new)
    await sync(settings, store)
    assert sandbox.copper.people[person_id]["emails"][0]["email"] == new
    assert len(sandbox.copper.people) == people_before  # followed, not duplicated
    assert sandbox.mailchimp.member(email) is None and sandbox.mailchimp.member(new) is not None
    assert (await sync(settings, store)).operations == []


async def test_field_mapping_is_configurable(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = make_settings(sandbox, tmp_path, SYNC_FIELD_MAP="first_name=FNAME,last_name=LNAME")
    store = Store(settings.store_path)
    await sync(settings, store)
    email = next(
        e
        for e, m in members(sandbox).items()
        if m["status"] == "subscribed" and e in people_by_email(sandbox)
    )
    person = people_by_email(sandbox)[email][0]
    copper_put(sandbox, person["id"], phone_numbers=[{"number": "+33 6 00 00 00 01", "category": "mobile"}])
    before = sandbox.mailchimp.member(email)["merge_fields"].get("PHONE")
    report = await sync(settings, store)
    assert report.operations == []  # the phone is not mapped: nothing flows, and nothing loops
    assert sandbox.mailchimp.member(email)["merge_fields"].get("PHONE") == before
    store.close()


async def test_copper_delete_webhook_queues_a_decision_without_a_full_read(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    from crmtui.endpoints.server import make_server_app
    from crmtui.engine.tracking import TrackingSigner

    settings = make_settings(sandbox, tmp_path, CRMTUI_TRACKING_SECRET="test-tracking-secret-0123456789")
    store = Store(settings.store_path)
    await sync(settings, store)
    email = next(
        e
        for e, m in members(sandbox).items()
        if m["status"] == "subscribed" and len(people_by_email(sandbox).get(e, [])) == 1
    )
    person_id = people_by_email(sandbox)[email][0]["id"]
    env = sandbox.env()
    headers = {
        "X-PW-AccessToken": env["COPPER_API_KEY"],
        "X-PW-Application": "developer_api",
        "X-PW-UserEmail": env["COPPER_API_EMAIL"],
    }
    httpx.delete(f"{env['COPPER_BASE_URL']}/people/{person_id}", headers=headers).raise_for_status()
    # Copper notifies the deletion (never retried); serve queues it for the next cycle.
    secret = TrackingSigner(settings.tracking_secret).derive("copper-webhook")
    note = {"ids": [person_id], "type": "person", "event": "delete", "subscription_id": 1, "secret": secret}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=make_server_app(settings, store)), base_url="https://crm.exemple.fr"
    ) as web:
        assert (await web.post("/webhooks/copper", json=note)).status_code == 200
    before = dict(sandbox.mailchimp.member(email))
    await sync(settings, store)  # incremental: no full read
    pending = {d.email: d for d in store.sync.decisions(("pending",))}
    assert email in pending and pending[email].tag == "(absent de Copper)"
    assert sandbox.mailchimp.member(email) == before  # never deleted or changed automatically
    assert store.events.pending_copper_ids() == {}
    store.close()
