"""The planner, property-tested over random Copper, Mailchimp and base states."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crmtui.engine.identity import INACTIVE_TAG, RESUBSCRIBE_TAG, is_deletion_tag, tag_key
from crmtui.engine.sync_plan import (
    FIELDS,
    OPTED_OUT,
    Base,
    CopperSide,
    MailchimpSide,
    Memory,
    OpKind,
    Outcome,
    SyncOptions,
    never_resubscribes,
    plan_contact,
    project,
)

OPTS = SyncOptions()
EMAIL = "marie.dupont@exemple.fr"

names = st.sampled_from(["", "Marie", "Élodie", "Jean-Baptiste", "DUPONT", "Lefèvre", "[bold]x[/bold]"])
phones = st.sampled_from(["", "06 12 34 56 78", "+33612345678"])
plain_tags = st.sampled_from(["Client", "VIP", "Salon 2025", "Caviste", "Export 🇧🇪"])
special_tags = st.sampled_from(
    ["🗑️ À SUPPRIMER", "a supprimer", INACTIVE_TAG, RESUBSCRIBE_TAG, OPTS.unsubscribed_tag, OPTS.cleaned_tag]
)
statuses = st.sampled_from(["subscribed", "unsubscribed", "cleaned", "pending", "archived"])


@st.composite
def fields(draw: Any) -> dict[str, str]:
    return {"first_name": draw(names), "last_name": draw(names), "phone": draw(phones)}


@st.composite
def copper_sides(draw: Any) -> CopperSide | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    tags = draw(st.lists(plain_tags, max_size=3, unique=True))
    if draw(st.integers(0, 5)) == 0:
        tags.append(draw(special_tags))
    return CopperSide(1, EMAIL, draw(fields()), tuple(tags), modified=draw(st.integers(0, 10)))


@st.composite
def mc_sides(draw: Any) -> MailchimpSide | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    tags = draw(
        st.lists(
            st.one_of(plain_tags, st.sampled_from(["Mailchimp-only", "Webinaire"])), max_size=3, unique=True
        )
    )
    return MailchimpSide(
        EMAIL, draw(statuses), draw(fields()), tuple(tags), changed="2026-01-01T00:00:00+00:00"
    )


@st.composite
def memories(draw: Any) -> Memory:
    base = None
    if draw(st.booleans()):
        base = Base(
            draw(fields()), tuple(draw(st.lists(plain_tags, max_size=3, unique=True))), draw(statuses)
        )
    return Memory(
        base=base,
        forgotten=draw(st.integers(0, 6)) == 0,
        decision=draw(st.sampled_from([None, None, None, "pending", "ignore"])),
        known_in_copper=base is not None and draw(st.booleans()),
    )


@settings(max_examples=400, deadline=None)
@given(copper=copper_sides(), mc=mc_sides(), memory=memories())
def test_planner_invariants_and_convergence(copper: Any, mc: Any, memory: Memory) -> None:
    plan = plan_contact(EMAIL, copper, mc, memory, OPTS)

    # Never re-subscribes an opted-out or forgotten address.
    assert never_resubscribes(plan, mc, memory)
    current = "forgotten" if memory.forgotten else (mc.status if mc else None)
    for op in plan.ops:
        if current in OPTED_OUT:
            assert op.payload.get("status") != "subscribed"

    # Never touches flagged contacts remotely.
    if copper is not None and any(is_deletion_tag(t) for t in copper.tags):
        assert all(op.kind is OpKind.QUEUE_DELETION for op in plan.ops)
        assert plan.outcome is Outcome.EXCLUDED_DELETION

    # Never removes unmanaged tags.
    managed = set(memory.base.managed_tags) if memory.base else set()
    for op in plan.ops:
        if op.kind is OpKind.MC_TAGS:
            assert set(op.payload["remove"]) <= managed

    # Applied, the result plans nothing more (the base is what the store keeps on success).
    copper2, mc2 = project(plan.ops, copper, mc)
    queued = any(op.kind is OpKind.QUEUE_DELETION for op in plan.ops)
    memory2 = replace(
        memory,
        base=plan.new_base,
        decision="pending" if queued else memory.decision,
        known_in_copper=memory.known_in_copper or copper2 is not None,
    )
    again = plan_contact(EMAIL, copper2, mc2, memory2, OPTS)
    assert again.ops == [], (plan, again)


def test_identical_contact_produces_no_operation() -> None:
    f = {"first_name": "Marie", "last_name": "DUPONT", "phone": ""}
    copper = CopperSide(1, EMAIL, f, ("Client",))
    mc = MailchimpSide(EMAIL, "subscribed", f, ("Client",))
    plan = plan_contact(EMAIL, copper, mc, Memory(base=Base(f, ("Client",), "subscribed")), OPTS)
    assert plan.ops == [] and plan.outcome is Outcome.IDENTICAL


def test_conflict_copper_wins_by_default_and_newest_wins_as_option() -> None:
    base = Base({"first_name": "Marie", "last_name": "DUPONT", "phone": ""}, (), "subscribed")
    copper = CopperSide(1, EMAIL, {**base.fields, "first_name": "Marie-Anne"}, modified=100)
    mc = MailchimpSide(
        EMAIL, "subscribed", {**base.fields, "first_name": "Maria"}, changed="2030-01-01T00:00:00+00:00"
    )
    plan = plan_contact(EMAIL, copper, mc, Memory(base=base), OPTS)
    assert plan.conflicts[0].winner == "copper"
    assert plan.ops[0].payload["fields"] == {"first_name": "Marie-Anne"}
    newest = plan_contact(EMAIL, copper, mc, Memory(base=base), SyncOptions(policy="newest-wins"))
    assert newest.conflicts[0].winner == "mailchimp"
    assert newest.ops[0].kind is OpKind.COPPER_UPDATE


def test_unsubscribe_becomes_a_copper_tag_and_is_never_reversed() -> None:
    f = {"first_name": "Loïc", "last_name": "LE GOFF", "phone": ""}
    copper = CopperSide(1, EMAIL, f, ("Client",))
    mc = MailchimpSide(EMAIL, "unsubscribed", f, ("Client",))
    plan = plan_contact(EMAIL, copper, mc, Memory(base=Base(f, ("Client",), "subscribed")), OPTS)
    assert [op.kind for op in plan.ops] == [OpKind.COPPER_UPDATE]
    assert OPTS.unsubscribed_tag in plan.ops[0].payload["tags"]


def test_every_deletion_spelling_is_excluded_and_queued_once() -> None:
    spellings = [
        "🗑️ À SUPPRIMER",
        "🗑 À SUPPRIMER",
        "🗑️ A SUPPRIMER",
        "À SUPPRIMER",
        "a supprimer",
        "A  SUPPRIMER",
    ]
    spellings.append(unicodedata.normalize("NFD", "🗑️ À SUPPRIMER"))
    for tag in spellings:
        copper = CopperSide(1, EMAIL, {"first_name": "A"}, (tag, "Client"))
        plan = plan_contact(EMAIL, copper, None, Memory(), OPTS)
        assert plan.outcome is Outcome.EXCLUDED_DELETION and plan.deletion_tag == tag
        assert [op.kind for op in plan.ops] == [OpKind.QUEUE_DELETION]
        again = plan_contact(EMAIL, copper, None, Memory(decision="pending"), OPTS)
        assert again.ops == []
    assert tag_key("🗑️ À SUPPRIMER") == tag_key("🗑 a  supprimer")


def test_forgotten_gets_the_resubscribe_tag_once() -> None:
    copper = CopperSide(1, EMAIL, {"first_name": "A"}, ("Client",))
    plan = plan_contact(EMAIL, copper, None, Memory(forgotten=True), OPTS)
    assert plan.ops[0].payload["tags"] == ["Client", RESUBSCRIBE_TAG]
    tagged = replace(copper, tags=("Client", RESUBSCRIBE_TAG))
    assert plan_contact(EMAIL, tagged, None, Memory(forgotten=True), OPTS).ops == []


def test_fields_cover_the_mapping() -> None:
    assert FIELDS == ("first_name", "last_name", "phone")


def test_next_cursor_never_skips_and_settles() -> None:
    from crmtui.engine.sync import CLOCK_MARGIN, next_cursor

    # Nothing read: the cursor stays.
    assert next_cursor(100, None, 1_000) == 100
    # Steady state: one past the newest change (nothing at that second is re-read).
    assert next_cursor(100, 500, 1_000, clock_offset=0.0) == 501
    # A change in the second the read started may not be in the answer: stay before it.
    assert next_cursor(100, 999, 1_000, clock_offset=0.0) == 997
    # The service's clock is 30 s behind ours: its "read start" is 970.
    assert next_cursor(100, 999, 1_000, clock_offset=-30.0) == 967
    # Unknown clock: a wide margin.
    assert next_cursor(100, 999, 1_000) == 1_000 - CLOCK_MARGIN
    # Never backwards.
    assert next_cursor(990, 999, 1_000, clock_offset=0.0) == 997
    assert next_cursor(998, 999, 1_000, clock_offset=0.0) == 998
