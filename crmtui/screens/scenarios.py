"""Scenarios: the list with totals, a scenario's steps and variants with A/B statistics, the queue
of unknown sends with resolve actions, a template preview, and keys to start, pause, resume, stop
and send now. Every figure is read in a thread worker; the tick runs in the engine."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label, Static, Tree

import crmtui.i18n.console  # noqa: F401 - registers the confirmation texts
import crmtui.i18n.layout  # noqa: F401 - registers the short headers
import crmtui.i18n.scenarios  # noqa: F401 - registers the screen's strings
from crmtui.engine import ab
from crmtui.engine import scenarios as sc
from crmtui.engine.scenario_status import next_send_text, refusal_text
from crmtui.formats import number, percent
from crmtui.i18n import t, t_or
from crmtui.screens.confirm import ConfirmScreen
from crmtui.screens.mode_screen import ModeScreen
from crmtui.screens.scenario_edit import EditorData, ScenarioEditScreen, load_editor_data
from crmtui.screens.template_preview import TemplatePreviewScreen
from crmtui.screens.workers import deliver, deliver_changed
from crmtui.store import Store
from crmtui.store.scenarios import ResetRefused, Scenario, scenario_repo
from crmtui.text import literal, literal_block, printable
from crmtui.widgets.footer import Footer
from crmtui.widgets.review_queue import ReviewQueue
from crmtui.widgets.scenario_unknown import UnknownSource, UnknownTable
from crmtui.widgets.sortable import SortableTable, SortKey, sort_binding
from crmtui.widgets.status import StatusBar


@dataclass(frozen=True)
class _Row:
    scenario: Scenario
    active: int
    unknown: int


NAME_WIDTH = 22
"""Scenario names are cut at this width in the list (whole at the root of the steps tree)."""


class ScenariosScreen(SortKey, ModeScreen):
    """The Scenarios screen."""

    BINDINGS = [
        Binding("a", "start", t("scenarios.key.start"), id="scenarios.start"),
        Binding("p", "pause", t("scenarios.key.pause"), id="scenarios.pause"),
        Binding("u", "resume", t("scenarios.key.resume"), id="scenarios.resume"),
        Binding("x", "stop", t("scenarios.key.stop"), id="scenarios.stop"),
        # Ledger actions: never on a navigation key (k/K open Customers and Recommendation quality
        # everywhere), always confirmed, shown in the footer and the help.
        Binding("m", "resolve('sent')", t("console.scenarios.key.resolve_sent"), id="scenarios.resolve_sent"),
        Binding(
            "M",
            "resolve('not_sent')",
            t("console.scenarios.key.resolve_not_sent"),
            id="scenarios.resolve_not",
        ),
        # Shown in the footer and the help: the only way to run a test scenario again from the console.
        Binding("R", "reset_tests", t("scenarios.key.reset_tests"), show=True, id="scenarios.reset_tests"),
        # The footer leaves out a screen's last keys first at 80 columns: the ledger keys above stay.
        Binding("n", "send_now", t("scenarios.key.tick"), id="scenarios.tick"),
        Binding("v", "preview", t("scenarios.key.preview"), id="scenarios.preview"),
        Binding("g", "chart", t("scenarios.key.chart"), id="scenarios.chart"),
        Binding("N", "new_scenario", t("scenario_edit.key.new"), id="scenarios.new"),
        Binding("E", "edit_scenario", t("scenario_edit.key.edit"), id="scenarios.edit"),
        Binding(
            "P",
            "preview_contact",
            t("scenario_edit.key.preview_contact"),
            show=False,
            id="scenarios.preview_contact",
        ),
        sort_binding("scenarios"),
    ]

    def compose(self) -> ComposeResult:
        """Status bar, the list, the steps tree, the queue line, unknown sends, preview, footer."""
        yield StatusBar()
        yield Label(t("scenarios.title"), classes="section-title")
        yield SortableTable(id="scenario-list", cursor_type="row", zebra_stripes=True)
        yield Static(t("load.placeholder"), id="scenario-queue")
        yield Tree(t("scenarios.title"), id="scenario-steps")
        yield Label(t("scenarios.unknown.title"), classes="section-title")
        yield self.unknown
        yield Static("", id="scenario-preview")
        yield Footer()

    def __init__(self) -> None:
        super().__init__()
        self.unknown: ReviewQueue[dict[str, Any], None] = ReviewQueue(
            UnknownSource,
            UnknownTable(id="scenario-unknown"),
            summary=None,
            ask=ConfirmScreen,
            id="scenario-unknown-queue",
        )
        """The unknown sends (a window read from SQL, oldest first), settled with m / M."""

    def on_mount(self) -> None:
        """Columns, then load."""
        listing = self.query_one("#scenario-list", DataTable)
        listing.add_column(t("scenarios.col.name"), width=NAME_WIDTH)  # whole in the steps tree's root
        listing.add_columns(
            t("scenarios.col.status"),
            t("scenarios.col.sent"),
            t("scenarios.col.opened"),
            t("scenarios.col.clicked"),
            t("layout.col.active"),
            t("layout.col.unknown"),
        )
        self.reload()
        self.set_interval(5.0, self.reload)

    def on_screen_resume(self) -> None:
        """Re-read when shown again."""
        self.reload()

    def footer_first(self) -> tuple[str, ...]:
        """While the unknown sends have the focus, the footer shows their ledger keys first (at 80
        columns the screen's own order only fits start, pause, resume and stop)."""
        focused = self.focused
        if focused is not None and focused.id == "scenario-unknown":
            return ("resolve('sent')", "resolve('not_sent')")
        return ()

    @property
    def store(self) -> Store:
        """The app's store."""
        store: Store = self.app.store  # type: ignore[attr-defined]
        return store

    def selected(self) -> str | None:
        """The name of the scenario under the cursor."""
        table = self.query_one("#scenario-list", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    # -- loading ---------------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="scenarios:load",
        exit_on_error=False,
        description="Reading scenarios",
    )
    def reload(self) -> None:
        """Read the scenarios and their counts in a thread (then the unknown sends, in their own)."""
        repo = scenario_repo(self.store)
        rows = []
        for s in repo.all():
            rows.append(
                _Row(
                    s, repo.sequence_counts(s.id).get("active", 0), repo.ledger_counts(s.id).get("unknown", 0)
                )
            )
        ledger = repo.ledger_counts()
        deliver_changed(self.app, self.show, rows, ledger)

    def show(self, rows: list[_Row], ledger: dict[str, int]) -> None:
        """Fill the widgets (UI thread)."""
        table = self.query_one("#scenario-list", SortableTable)
        current = self.selected()
        table.clear()
        for row in rows:
            s = row.scenario
            table.add_row(
                literal(s.name),
                literal(
                    t(f"scenarios.status.{s.status}")
                    if s.status in ("draft", "active", "paused", "stopped")
                    else s.status
                ),
                str(s.sent),
                str(s.opened),
                str(s.clicked),
                str(row.active),
                str(row.unknown),
                key=s.name,
            )
        table.resort()
        if current is not None and current in {row.scenario.name for row in rows}:
            table.move_cursor(row=table.get_row_index(current))
        self.query_one("#scenario-queue", Static).update(
            literal(
                t(
                    "scenarios.queue",
                    pending=ledger.get("claimed", 0),
                    active=sum(r.active for r in rows),
                    unknown=ledger.get("unknown", 0),
                )
            )
            if rows
            else literal(t("scenarios.empty"))
        )
        self.unknown.reload()  # the window around the send under the cursor
        self.load_steps(self.selected())

    @work(
        thread=True, exclusive=True, group="scenarios:steps", exit_on_error=False, description="Reading steps"
    )
    def load_steps(self, name: str | None) -> None:
        """Read a scenario's steps and its next-send line in a thread (a key never waits on SQL)."""
        scenario = scenario_repo(self.store).get(name) if name else None
        when = next_send_text(self.store, scenario) if scenario is not None else ""
        deliver(self.app, self.show_steps, scenario, when)

    def show_steps(self, scenario: Scenario | None, when: str = "") -> None:
        """The selected scenario's steps and variants with rates, intervals and the verdict."""
        tree = self.query_one("#scenario-steps", Tree)
        tree.clear()
        if scenario is None:
            return
        tree.root.set_label(literal(f"{scenario.name} — {when}"))
        for step in scenario.steps:
            stats = [ab.VariantStats.of(v.id, v.name, v.sent, v.opened, v.clicked) for v in step.variants]
            sent = sum(v.sent for v in stats)
            node = tree.root.add(
                literal(f"{step.position}. {step.name} ({_trigger_label(step.trigger)}) — {sent}"),
                expand=True,
            )
            for v in stats:
                winner = " ★" if step.winner_variant_id == v.variant_id else ""
                node.add_leaf(
                    literal(
                        t(
                            "scenarios.step.line",
                            name=v.name + winner,
                            sent=v.sent,
                            open_rate=percent(v.open_rate),
                            open_lo=percent(v.open_ci[0]),
                            open_hi=percent(v.open_ci[1]),
                            click_rate=percent(v.click_rate),
                        )
                    )
                )
            if len(stats) >= 2:
                verdict = ab.compare(stats, scenario.auto_winner.metric, scenario.auto_winner.alpha)
                text = (
                    t(
                        "scenarios.verdict.significant",
                        best=verdict.best.name if verdict.best else "",
                        other=verdict.runner_up.name if verdict.runner_up else "",
                        p=number(verdict.p_value, digits=4),
                    )
                    if verdict.significant
                    else t("scenarios.verdict.none", p=number(verdict.p_value, digits=4))
                )
                node.add_leaf(literal(text))
        tree.root.expand()

    @on(DataTable.RowHighlighted, "#scenario-list")
    def _highlighted(self, _: DataTable.RowHighlighted) -> None:
        name = self.selected()
        if name is not None:
            self.load_steps(name)

    # -- actions ---------------------------------------------------------------------------------

    def _change(self, status: str) -> None:
        name = self.selected()
        if name is None:
            return
        # Feedback at once; the write (enrolling a whole audience on start) runs in a thread, so the
        # console stays live while it waits for the store (a cycle may hold the write lock).
        self.query_one("#scenario-queue", Static).update(literal(t("load.working", name=name)))
        self.change_worker(name, status)

    @work(thread=True, group="scenarios:change", exit_on_error=False, description="Changing a scenario")
    def change_worker(self, name: str, status: str) -> None:
        """Start, pause, resume or stop ``name`` in a thread, then say what happened and re-read."""
        app = self.app
        try:
            if status == "start":
                n = sc.start(self.store, name, actor="console")
                app.call_from_thread(self.notify, t("scenarios.cli.started", name=name, n=n))
            else:
                before = sc.set_status(self.store, name, status, actor="console")
                app.call_from_thread(
                    self.notify, t("scenarios.cli.status", name=name, before=before, after=status)
                )
        except sc.ScenarioInvalid as exc:
            app.call_from_thread(
                self.notify, printable("\n".join(exc.problems)), severity="error", markup=False, timeout=10
            )
        app.call_from_thread(self.reload)

    def action_start(self) -> None:
        """Validate, activate and enrol the audience."""
        self._change("start")

    def action_pause(self) -> None:
        """Pause sending."""
        self._change("paused")

    def action_resume(self) -> None:
        """Resume sending."""
        self._change("active")

    def action_stop(self) -> None:
        """Stop the scenario after confirmation."""
        name = self.selected()
        if name is None:
            return

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self._change("stopped")

        self.app.push_screen(
            ConfirmScreen(
                t("scenarios.confirm.stop", name=printable(name)),
                t("console.scenarios.stop.body"),
                confirm_label=t("scenarios.key.stop"),
            ),
            done,
        )

    def action_chart(self) -> None:
        """The A/B curves of the highlighted scenario."""
        from crmtui.screens.ab_chart import ABChartScreen

        name = self.selected()
        scenario = scenario_repo(self.store).get(name) if name else None
        if scenario is not None:
            self.app.push_screen(ABChartScreen(scenario))

    def action_send_now(self) -> None:
        """Run one tick in the background."""
        self.tick_worker()

    @work(thread=True, exclusive=True, group="scenarios:tick", exit_on_error=False, description="Sending")
    def tick_worker(self) -> None:
        """One tick in its own thread and event loop."""
        result = asyncio.run(sc.tick(self.app.settings, self.store))  # type: ignore[attr-defined]
        self.app.call_from_thread(self.notify, printable(sc.summarize(result)), markup=False)
        for error in result.errors:  # an account-level refusal: one notice, with its fix
            self.app.call_from_thread(
                self.notify, printable(error), markup=False, severity="error", timeout=30
            )
        self.app.call_from_thread(self.reload)

    def action_preview(self) -> None:
        """Render the first step's template for the first enrolled contact."""
        from crmtui.engine.sending import pick_variant, template_names, template_values
        from crmtui.engine.templates import Template, TemplateProblem, render

        name = self.selected()
        repo = scenario_repo(self.store)
        scenario = repo.get(name) if name else None
        preview = self.query_one("#scenario-preview", Static)
        contacts = repo.sample_contacts(scenario.id, 1) if scenario else []
        if scenario is None or not contacts or not scenario.steps:
            preview.update(literal(t("scenarios.preview.none")))
            return
        step = scenario.steps[0]
        template, _ = pick_variant(scenario, step, contacts[0])
        row = scenario.templates[template]
        values = template_values(self.app.settings, scenario, contacts[0], repo.contact_values(contacts[0]))  # type: ignore[attr-defined]
        try:
            out = render(
                Template(row.name, row.subject, row.html, row.text), values, known=template_names(repo)
            )
        except TemplateProblem as exc:
            preview.update(literal(sc.problem_text(exc)))
            return
        preview.update(literal_block(f"{contacts[0]} · {out.subject}\n\n{out.text}"))

    def action_resolve(self, outcome: str) -> None:
        """Settle the highlighted unknown send as sent or not sent, after a confirmation (audited)."""
        row = self.unknown.current()
        if row is None:
            return
        key, contact = str(row["key"]), str(row["contact"])
        self.unknown.confirm(
            t(f"console.scenarios.resolve.{outcome}.title", key=key[:12]),
            literal(t(f"console.scenarios.resolve.{outcome}.body", contact=printable(contact))),
            lambda: self.resolve_worker(key, outcome),
        )

    @work(thread=True, group="scenarios:change", exit_on_error=False, description="Settling a send")
    def resolve_worker(self, key: str, outcome: str) -> None:
        """Record the operator's answer for an unknown send in a thread (audited), then re-read."""
        if scenario_repo(self.store).resolve_unknown(key, outcome, actor="console"):
            self.app.call_from_thread(self.notify, t("scenarios.cli.resolved", key=key[:16], outcome=outcome))
        self.app.call_from_thread(self.reload)

    @work(thread=True, group="scenarios:change", exit_on_error=False, description="Resetting tests")
    def reset_worker(self, scenario: Scenario) -> None:
        """Forget the test sends in a thread (a write: it may wait for a cycle's), then say so and re-read."""
        app = self.app
        try:
            n = scenario_repo(self.store).reset_test_sequences(scenario.id, actor="console")
        except ResetRefused as exc:
            app.call_from_thread(
                self.notify, refusal_text(scenario.name, exc), severity="warning", markup=False
            )
            return
        app.call_from_thread(self.notify, t("console.scenarios.reset.done", n=n))
        app.call_from_thread(self.reload)

    def action_reset_tests(self) -> None:
        """Forget a test scenario's test sends so the test can run again (after a confirmation; refused,
        with the reason, when the scenario has real sends or unsettled ones)."""
        name = self.selected()
        repo = scenario_repo(self.store)
        scenario = repo.get(name) if name else None
        if scenario is None:
            return

        def decided(confirmed: bool | None) -> None:
            if confirmed and scenario is not None:
                self.reset_worker(scenario)

        self.app.push_screen(
            ConfirmScreen(
                t("console.scenarios.reset.title", name=printable(scenario.name)),
                t("console.scenarios.reset.body"),
            ),
            decided,
        )

    # -- editors and the preview for a contact -----------------------------------------------------

    def action_new_scenario(self) -> None:
        """Open the editor on a new draft scenario."""
        self.open_editor(None)

    def action_edit_scenario(self) -> None:
        """Open the editor on the selected scenario (a draft or a paused one)."""
        name = self.selected()
        if name is not None:
            self.open_editor(name)

    @work(thread=True, exclusive=True, group="scenarios:editor", exit_on_error=False, description="Opening")
    def open_editor(self, name: str | None) -> None:
        """Read the scenario and what the editor needs in a thread, then open it (or say why not)."""
        data = load_editor_data(self.store, name)
        self.app.call_from_thread(self._show_editor, data)

    def _show_editor(self, data: EditorData) -> None:
        if data.refusal:
            self.notify(printable(data.refusal), severity="warning", markup=False, timeout=8)
            return

        def done(saved: str | None) -> None:
            if saved is not None:
                self.reload()

        self.app.push_screen(ScenarioEditScreen(data), done)

    def action_preview_contact(self) -> None:
        """Preview the selected scenario's emails for a contact chosen by search."""
        name = self.selected()
        scenario = scenario_repo(self.store).get(name) if name else None
        if scenario is not None:
            self.app.push_screen(TemplatePreviewScreen(scenario))


def _trigger_label(trigger: str) -> str:
    """A step's trigger in the operator's words (``entry`` → "à l'entrée")."""
    return t_or(f"scenario_edit.trigger.{trigger}", trigger)
