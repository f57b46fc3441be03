"""The deletion and inactive tags as the estate's documents spell them (001…, 002…, issue #14)."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmtui.engine.identity import INACTIVE_TAG, is_deletion_tag, is_inactive_tag
from crmtui.engine.sync_plan import (
    Base,
    CopperSide,
    MailchimpSide,
    Memory,
    OpKind,
    Outcome,
    SyncOptions,
    plan_contact,
    project,
)

EMAIL = "jean.martin@exemple.com"
FIELDS = {"first_name": "Jean", "last_name": "MARTIN", "phone": ""}

# 001…'s "Tags de suppression" list, then the issue's own examples.
DOCUMENT_VARIANTS = [
    "🗑️ À SUPPRIMER",
    "🗑️ A SUPPRIMER",
    "À SUPPRIMER",
    "A SUPPRIMER",
    "à supprimer",
    "  A   supprimer ",
    "À supprimer 🗑️",
    "a  supprimer",
    "🗑 A SUPPRIMER",  # without the variation selector
    "À\u00a0SUPPRIMER",  # no-break space
    unicodedata.normalize("NFD", "🗑️ À SUPPRIMER"),
    "À 🗑️ SUPPRIMER",
]


@pytest.mark.parametrize("tag", DOCUMENT_VARIANTS)
def test_document_deletion_variants_are_recognised(tag: str) -> None:
    assert is_deletion_tag(tag)


@pytest.mark.parametrize("tag", DOCUMENT_VARIANTS)
def test_document_deletion_variants_exclude_and_queue(tag: str) -> None:
    copper = CopperSide(7, EMAIL, FIELDS, ("Client", tag))
    mc = MailchimpSide(EMAIL, "subscribed", FIELDS, ("Client",))
    plan = plan_contact(EMAIL, copper, mc, Memory(), SyncOptions())
    assert plan.outcome is Outcome.EXCLUDED_DELETION
    assert [op.kind for op in plan.ops] == [OpKind.QUEUE_DELETION]


@pytest.mark.parametrize(
    "tag", ["SUPPRIMER", "À garder", "Client à supprimer demain", "📥 INACTIF", "A SUPPRIMERS", "VIP"]
)
def test_other_tags_are_not_the_deletion_tag(tag: str) -> None:
    assert not is_deletion_tag(tag)


@st.composite
def deletion_spellings(draw: Any) -> str:
    """The deletion tag as a colleague could type it: emoji before/after/between/absent, with or
    without U+FE0F, any case, any accent on the A, NFC or NFD, any spacing."""
    a = draw(st.sampled_from(["A", "a", "À", "à", "Á", "Â", "Ä"]))
    word = "".join(ch.upper() if draw(st.booleans()) else ch.lower() for ch in "supprimer")
    spaces = st.text(st.sampled_from([" ", "\u00a0", "\t"]), min_size=0, max_size=3)
    emoji = draw(st.sampled_from(["", "🗑", "🗑\ufe0f"]))
    parts = [a, draw(spaces), word]
    where = draw(st.sampled_from(["before", "after", "between"]))
    if where == "before":
        parts = [emoji, draw(spaces), *parts]
    elif where == "after":
        parts = [*parts, draw(spaces), emoji]
    else:
        parts = [a, draw(spaces), emoji, draw(spaces), word]
    text = draw(spaces) + "".join(parts) + draw(spaces)
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), text)


@settings(max_examples=300, deadline=None)
@given(tag=deletion_spellings())
def test_every_generated_spelling_is_the_deletion_tag(tag: str) -> None:
    assert is_deletion_tag(tag), ascii(tag)
    assert not is_inactive_tag(tag)


@pytest.mark.parametrize("tag", [INACTIVE_TAG, "📥INACTIF", "inactif", "INACTIF 📥", " Inactif "])
def test_inactive_variants(tag: str) -> None:
    assert is_inactive_tag(tag) and not is_deletion_tag(tag)


@pytest.mark.parametrize(("action", "status"), [("unsubscribe", "unsubscribed"), ("archive", "archived")])
def test_hand_added_inactive_tag_acts_like_an_archive_decision(action: str, status: str) -> None:
    opts = SyncOptions(archive_action=action)
    copper = CopperSide(7, EMAIL, FIELDS, ("Client", INACTIVE_TAG))
    mc = MailchimpSide(EMAIL, "subscribed", FIELDS, ("Client",))
    base = Base(FIELDS, ("Client",), "subscribed")
    plan = plan_contact(EMAIL, copper, mc, Memory(base=base), opts)
    assert plan.outcome is Outcome.INACTIVE
    [op] = plan.ops
    assert op.kind is OpKind.MC_INACTIVE and op.payload["previous"] == "subscribed"
    assert op.payload["action"] == action
    _, mc2 = project(plan.ops, copper, mc)
    assert mc2 is not None and mc2.status == status
    # Applied (the store remembers the status before): nothing more while the tag stays.
    memory = Memory(base=base, decision="archive", archived_previous_status="subscribed")
    assert plan_contact(EMAIL, copper, mc2, memory, opts).ops == []
    # The tag removed: the previous status comes back.
    back = plan_contact(EMAIL, CopperSide(7, EMAIL, FIELDS, ("Client",)), mc2, memory, opts)
    assert [(o.kind, o.payload["status"]) for o in back.ops] == [(OpKind.MC_STATUS, "subscribed")]


def test_inactive_tag_on_an_opted_out_member_changes_nothing() -> None:
    copper = CopperSide(7, EMAIL, FIELDS, (INACTIVE_TAG,))
    for current in ("unsubscribed", "cleaned", "archived"):
        mc = MailchimpSide(EMAIL, current, FIELDS)
        assert plan_contact(EMAIL, copper, mc, Memory(), SyncOptions()).ops == []
