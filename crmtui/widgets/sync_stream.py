"""The scrolling stream of a sync's operations.

During a run the screen reads the outbox (``sync_ops``) and hands finished operations to
:class:`OperationStream`; a dry run writes nothing to the outbox, so its planned operations come from
the report file (:func:`report_entries`). Every remote value (emails, errors) is shown literally.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import RichLog

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.i18n import t_or
from crmtui.store.sync import OpRow
from crmtui.text import printable

_MARKS = {
    "sent": ("✔", "green"),
    "failed": ("✘", "red"),
    "forgotten": ("⚠", "yellow"),
    "superseded": ("↷", "dim"),
}
FINISHED_STATES = frozenset(_MARKS)
"""Outbox states that end an operation (``pending``/``sending`` are still in flight)."""

_HEAD = re.compile(r"^\s*\d+\.\s+(?P<mark>✅|❌|🔎)[^|]*\|\s*(?P<email>.*)$")
"""A block's first line: ``  1. ✅ SUCCÈS | email`` (``🔎 PRÉVU`` in a dry run)."""


@dataclass(frozen=True)
class ReportEntry:
    """One numbered contact of a report file: ✅/❌, email, direction, name, what happened."""

    ok: bool
    email: str
    direction: str = ""
    name: str = ""
    result: str = ""
    planned: bool = False


def report_entries(text: str) -> list[ReportEntry]:
    """The numbered details of a report, in order (the lines the team's layout puts under each)."""
    entries: list[ReportEntry] = []
    head: re.Match[str] | None = None
    values: list[str] = []

    def flush() -> None:
        if head is not None:
            padded = [*values, "", "", ""]
            entries.append(
                ReportEntry(
                    head["mark"] != "❌",
                    head["email"].strip(),
                    padded[0],
                    padded[1],
                    padded[2],
                    planned=head["mark"] == "🔎",
                )
            )

    for line in text.splitlines():
        match = _HEAD.match(line)
        if match:
            flush()
            head, values = match, []
        elif head is not None and line.startswith("     ") and ":" in line:
            values.append(line.split(":", 1)[1].strip())
        elif head is not None and not line.strip():
            flush()
            head, values = None, []
    flush()
    return entries


def op_line(op: OpRow) -> Text:
    """``✔ Mailchimp  add or update member  jeanne@exemple.fr`` (+ the error when it failed)."""
    mark, style = _MARKS.get(op.state, ("…", "dim"))
    line = Text(no_wrap=True)
    line.append(f"{mark} ", style=style)
    line.append(f"{_label('sync_ui.target', op.target):<10}")
    line.append(f"{_label('sync_ui.op', op.action):<22} ", style="bold")
    line.append(printable(op.email))
    if op.error:
        line.append(f"  {printable(op.error)}", style="red")
    return line


def _label(prefix: str, value: str) -> str:
    """The catalogue's word for an outbox target or action, or the raw value shown literally."""
    return t_or(f"{prefix}.{value}", printable(value))


def entry_line(entry: ReportEntry) -> Text:
    """A planned (dry run) or reported contact: ``✔ Copper → Mailchimp  email  name — result``."""
    line = Text(no_wrap=True)
    mark = "🔎 " if entry.planned else "✔ " if entry.ok else "✘ "
    line.append(mark, style="cyan" if entry.planned else "green" if entry.ok else "red")
    line.append(f"{printable(entry.direction)}  ", style="bold")
    line.append(printable(entry.email))
    if entry.name:
        line.append(f"  {printable(entry.name)}", style="dim")
    if entry.result:
        line.append(f" — {printable(entry.result)}")
    return line


class OperationStream(RichLog):
    """A scrolling log of operations and notices (no markup: everything is literal)."""

    DEFAULT_CSS = """
    OperationStream { height: 1fr; min-height: 3; border: round $primary-background; }
    OperationStream:focus { border: round $accent; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=5000, markup=False, highlight=False, wrap=False, auto_scroll=True, id=id)
        self.shown = 0
        """How many operation lines were written (tests and the summary read it)."""

    def add_ops(self, ops: Iterable[OpRow]) -> None:
        """Write finished outbox operations."""
        for op in ops:
            self.write(op_line(op))
            self.shown += 1

    def add_entries(self, entries: Iterable[ReportEntry]) -> None:
        """Write report entries (a dry run's plan)."""
        for entry in entries:
            self.write(entry_line(entry))
            self.shown += 1

    def add_notice(self, level: str, text: str) -> None:
        """A notice from the engine (warnings, the circuit breaker): remote text, shown literally."""
        style = {"error": "bold red", "warning": "yellow"}.get(level, "")
        self.write(Text(f"■ {printable(text)}", style=style))

    def add_status(self, text: str) -> None:
        """One of our own status lines (run started, cancelling…)."""
        self.write(Text(f"» {printable(text)}", style="italic"))
