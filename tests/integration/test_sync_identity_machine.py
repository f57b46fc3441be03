"""A state machine over both simulators: whatever the order of events, one person is one record.

Rules: a colleague creates a Copper person or renames its email; someone signs up in Mailchimp; the
member's address changes in Mailchimp (an
``upemail``, also between the member's creation and any read of it); tags change on either side;
a sync runs (incremental or full); a sync is killed (``kill -9``) once one of its writes landed in a
service without an answer, and the next run is a new engine on the same store. After a final full
sync: no address is held twice on either side, every person is exactly one Copper person and one
Mailchimp member (the same member, its ``unique_email_id``), under one address of theirs, the same
on both sides; a rename in Copper (the member follows) is a rule too.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.integration.sync_support import World, failed_ops

TAGS = ("VIP", "Salon")


@dataclass
class Human:
    """A person as the world knows them: their Copper id, their latest address, their member."""

    number: int
    person_id: int | None  # None: signed up in Mailchimp, the sync makes their Copper person
    email: str
    renames: int = 0
    uid: str | None = None  # the member's unique_email_id, once Mailchimp holds one
    old_emails: list[str] = field(default_factory=list)


class OnePersonOneRecord(RuleBasedStateMachine):
    """Colleagues, Mailchimp and cron syncs (some killed) interleaved in any order."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="crmtui-identity-"))
        self.loop = asyncio.new_event_loop()
        self.world = World(self.tmp)
        self.humans: list[Human] = []
        self.run(self.world.create_person("deja@exemple.fr", "Déjà", "Là", ["Client"]))
        self.run(self.world.sync())

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        try:
            self.world.close()
        finally:
            self.loop.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _member_of(self, human: Human) -> dict[str, Any] | None:
        return self.world.mailchimp.member(human.email)

    # -- colleagues ---------------------------------------------------------------------------

    @initialize(count=st.integers(1, 2))
    def people_first(self, count: int) -> None:
        for _ in range(count):
            self.create_person()

    @rule()
    def create_person(self) -> None:
        n = len(self.humans)
        email = f"personne{n}@exemple.fr"
        person_id = self.run(self.world.create_person(email, f"Prénom{n}", f"Nom{n}", ["Client"]))
        self.humans.append(Human(n, person_id, email))

    def _members(self) -> list[Human]:
        return [h for h in self.humans if self._member_of(h) is not None]

    @rule()
    def mailchimp_signup(self) -> None:
        """Someone signs up on Mailchimp's form (a member no contact knows, like a renamed one)."""
        n = len(self.humans)
        email = f"inscrit{n}@exemple.fr"
        self.world.mailchimp.simulate_event("subscribe", email, merge_fields={"FNAME": f"Inscrit{n}"})
        self.humans.append(Human(n, None, email, uid=self.world.member_uid(email)))

    @precondition(lambda self: self._members())
    @rule(pick=st.integers(0, 7))
    def upemail(self, pick: int) -> None:
        """The member's address changes in Mailchimp, whether or not crmtui has read it yet."""
        candidates = self._members()
        human = candidates[pick % len(candidates)]
        human.renames += 1
        new = f"personne{human.number}.v{human.renames}@exemple.fr"
        moved = self.run(self.world.upemail(human.email, new))
        human.old_emails.append(human.email)
        human.email = new
        human.uid = str(moved["unique_email_id"])

    @rule(pick=st.integers(0, 7), tag=st.sampled_from(TAGS))
    def copper_tag(self, pick: int, tag: str) -> None:
        """A tag added to or removed from the Copper person."""
        human = self.humans[pick % len(self.humans)]
        person_id = human.person_id or self._person_of(human)
        if person_id is None:
            return  # not in Copper yet
        tags = list(self.world.copper.people[person_id]["tags"])
        tags = [t for t in tags if t != tag] if tag in tags else [*tags, tag]
        self.run(self.world.copper_tags(person_id, tags))

    def _person_of(self, human: Human) -> int | None:
        """The Copper person the sync made for a Mailchimp signup (under any of their addresses)."""
        people = self.world.people_by_email()
        for email in (human.email, *human.old_emails):
            if len(people.get(email, [])) == 1:
                human.person_id = people[email][0]
                return human.person_id
        return None

    @rule(pick=st.integers(0, 7))
    def copper_rename(self, pick: int) -> None:
        """The person's email changed in Copper (the member must follow it)."""
        if not self.humans:
            return
        human = self.humans[pick % len(self.humans)]
        person_id = human.person_id or self._person_of(human)
        if person_id is None:
            return  # not in Copper yet
        human.renames += 1
        new = f"personne{human.number}.c{human.renames}@exemple.fr"
        self.run(self.world.copper_emails(person_id, [new]))
        human.old_emails.append(human.email)
        human.email = new

    @precondition(lambda self: self._members())
    @rule(pick=st.integers(0, 7), tag=st.sampled_from(TAGS), active=st.booleans())
    def mailchimp_tag(self, pick: int, tag: str, active: bool) -> None:
        """A tag added to or removed from the member in Mailchimp."""
        candidates = self._members()
        self.run(self.world.mailchimp_tag(candidates[pick % len(candidates)].email, tag, active))

    # -- cron -----------------------------------------------------------------------------------

    @rule(full=st.booleans())
    def sync(self, full: bool) -> None:
        report = self.run(self.world.sync(full=full or None))
        assert report.failed == 0 and not report.stopped, failed_ops(report)

    @rule(service=st.sampled_from(("copper", "mailchimp")), after=st.integers(0, 2), full=st.booleans())
    def killed_sync(self, service: str, after: int, full: bool) -> None:
        """kill -9 once a write landed with no answer; the next rule starts a new engine."""
        front = self.world.copper_front if service == "copper" else self.world.mailchimp_front
        self.run(self.world.killed_sync(front, after, full=full or None))

    @invariant()
    def no_address_twice_in_copper(self) -> None:
        people = self.world.people_by_email()
        assert all(len(ids) == 1 for ids in people.values()), people

    # -- the end ------------------------------------------------------------------------------

    def converge(self) -> None:
        """A final full sync, then the promise: one person, one record, on both sides."""
        final = self.run(self.world.sync(full=True))
        assert final.failed == 0, failed_ops(final)
        settled = self.run(self.world.sync(full=True))
        assert settled.operations == [], [(r.plan.email, r.plan.ops) for r in settled.operations]
        people, members = self.world.people_by_email(), self.world.members_by_email()
        assert all(len(ids) == 1 for ids in people.values()), people
        assert all(len(uids) == 1 for uids in members.values()), members
        assert len(self.world.copper.people) == len(self.humans) + 1, people
        assert len(self.world.mailchimp.members) == len(self.humans) + 1, members
        for human in self.humans:
            if human.person_id is None:
                self._person_of(human)
            assert human.person_id is not None, human
            # One of the person's addresses, the same on both sides (the latest, unless Copper and
            # Mailchimp renamed them in the same window: then Mailchimp's, the sync's rule).
            addresses = [human.email, *human.old_emails]
            held = [a for a in addresses if a in people]
            assert len(held) == 1 and people[held[0]] == [human.person_id], (human, people)
            assert [a for a in addresses if a in members] == held, (human, people, members)
            if human.uid is not None:
                assert members[held[0]] == [human.uid], (human, members)


class Converging(OnePersonOneRecord):
    """The machine, checked once more after its last step."""

    def teardown(self) -> None:
        try:
            self.converge()
        finally:
            super().teardown()


TestOnePersonOneRecord = Converging.TestCase
TestOnePersonOneRecord.settings = settings(
    max_examples=40,
    stateful_step_count=16,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
