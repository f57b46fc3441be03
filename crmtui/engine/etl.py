"""ETL: run the configured sources into the canonical tables, then data quality and RFM.

Sources implement extract + transform and yield :class:`~crmtui.records.canonical.Batch` objects;
this module loads each batch through the store (one transaction with the cursor that covers it),
records the run, reports progress through events, and afterwards writes the data-quality report
and the RFM segments.

A source manager (:class:`SourceManager`) builds the sources the configuration allows from the
registry :data:`SOURCE_TYPES` (a new source type is one module plus one :func:`register_source_type`
call) and reports their statistics.

RFM segments (thresholds in :class:`RfmThresholds`, all configurable), evaluated in this order:

1. ``PROSPECT``: no purchase at all;
2. ``INACTIVE``: last purchase more than ``inactive_days`` (730) days ago;
3. ``AT_RISK``: last purchase more than ``at_risk_days`` (365) days ago;
4. ``VIP``: total spent at least ``vip_monetary`` (1,000 €) or at least ``vip_orders`` (6) orders;
5. ``STANDARD``: everybody else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol, cast

import httpx

import crmtui.i18n.etl  # noqa: F401 - registers the etl.* keys
from crmtui.config import Settings
from crmtui.connectors.errors import ConnectorError
from crmtui.engine.cycle import StepContext, StepResult, register_step
from crmtui.engine.events import EventSink, Notice, StepProgressed, ignore
from crmtui.files import write_private_text
from crmtui.formats import number
from crmtui.i18n import t, t_or
from crmtui.records.canonical import Batch, SkippedRow
from crmtui.store import Store
from crmtui.store.etl import EtlRepo, QualityIssue, SourceStats, etl_repo
from crmtui.text import printable

log = logging.getLogger("crmtui.engine.etl")

STEP = "etl"
MAX_ERRORS_KEPT = 50
"""Errors carried in a :class:`SourceResult` (all of them are in the store, up to its cap)."""


# -- sources -----------------------------------------------------------------------------------


class SyncSource(Protocol):
    """A source read with blocking I/O (files): run in a thread."""

    name: str
    kind: str
    is_async: bool

    def describe(self) -> str:
        """Where it reads from."""
        ...

    def test(self) -> str:
        """Check it can be read; a one-line summary, or raise ConnectorError."""
        ...

    def batches(
        self, *, imported: Callable[[str], bool], cursor: Callable[[str], str | None]
    ) -> Iterator[Batch]:
        """Extract and transform, batch by batch."""
        ...


class AsyncSource(Protocol):
    """A source read over the network (Odoo)."""

    name: str
    kind: str
    is_async: bool

    def describe(self) -> str:
        """Where it reads from."""
        ...

    async def test(self) -> str:
        """Check it can be read; a one-line summary, or raise ConnectorError."""
        ...

    def batches(self, *, cursor: Callable[[str], str | None]) -> AsyncIterator[Batch]:
        """Extract and transform, batch by batch."""
        ...


Source = SyncSource | AsyncSource


@dataclass
class SourceEnv:
    """What a source factory may use: the settings, the store and an HTTP client.

    ``store`` is None when the source is built only to be tested (``crmtui connectors test`` opens
    no store): a factory must then build a source whose ``test()`` works without it.
    """

    settings: Settings
    store: Store | None
    http: httpx.AsyncClient


@dataclass(frozen=True)
class SourceType:
    """A registered kind of source: whether the configuration sets it up, and how to build it."""

    kind: str
    configured: Callable[[Settings], bool]
    build: Callable[[SourceEnv], Source]
    describe: Callable[[Settings], str] | None = None
    """Where it reads from, from the settings alone (no secret): the Sources screen's Detail."""
    feeds: Callable[[], Mapping[str, Mapping[str, str]]] | None = None
    """Canonical table -> canonical field -> the source field feeding it (the mapping view)."""
    cursor: Callable[[str, str], str | None] | None = None
    """One stored cursor (name, value) as people read it, None if not one it knows (the Sources screen)."""


SOURCE_TYPES: dict[str, SourceType] = {}
"""Registry of source kinds, in run order."""


def register_source_type(
    kind: str,
    configured: Callable[[Settings], bool],
    build: Callable[[SourceEnv], Source],
    *,
    describe: Callable[[Settings], str] | None = None,
    feeds: Callable[[], Mapping[str, Mapping[str, str]]] | None = None,
    cursor: Callable[[str, str], str | None] | None = None,
) -> None:
    """Register a source kind (``isavigne``, ``odoo``; later ``brevo``, ``hubspot``).

    This one call is all the engine, the Sources screen and ``crmtui connectors test`` need (see
    ``docs/adding-a-source.md``).
    """
    SOURCE_TYPES[kind] = SourceType(kind, configured, build, describe, feeds, cursor)


def _build_isavigne(env: SourceEnv) -> Source:
    from crmtui.connectors.isavigne import IsavigneSource

    assert env.settings.isavigne_export_path is not None
    source = IsavigneSource(
        Path(env.settings.isavigne_export_path),
        columns=env.settings.isavigne_columns,
        name_order=env.settings.isavigne_name_order,
    )
    source.products.update(_product_info(env.store, "isavigne"))
    return source


def _product_info(store: Store | None, source: str) -> dict[str, tuple[float | None, float | None]]:
    return dict(etl_repo(store).product_info(source)) if store is not None else {}


def _build_odoo(env: SourceEnv) -> Source:
    from crmtui.connectors.odoo_source import OdooSource

    source: Source = OdooSource.from_settings(
        env.settings,
        env.http,
        products=_product_info(env.store, "odoo"),
        page=env.settings.odoo_page_size,
        company_id=env.settings.odoo_company_id,
    )
    return source


def _isavigne_feeds() -> Mapping[str, Mapping[str, str]]:
    from crmtui.connectors.isavigne import CANONICAL_FEEDS

    return CANONICAL_FEEDS


def _odoo_feeds() -> Mapping[str, Mapping[str, str]]:
    from crmtui.connectors.odoo_source import CANONICAL_FEEDS

    return CANONICAL_FEEDS


def _isavigne_cursor(name: str, value: str) -> str | None:
    from crmtui.connectors.isavigne import describe_cursor

    return describe_cursor(name, value)


def _odoo_cursor(name: str, value: str) -> str | None:
    from crmtui.connectors.odoo_source import describe_cursor

    return describe_cursor(name, value)


register_source_type(
    "isavigne",
    lambda s: s.isavigne_export_path is not None,
    _build_isavigne,
    describe=lambda s: str(s.isavigne_export_path or ""),
    feeds=_isavigne_feeds,
    cursor=_isavigne_cursor,
)
register_source_type(
    "odoo",
    lambda s: s.connectors()["odoo"],
    _build_odoo,
    describe=lambda s: f"{s.odoo_url} ({s.odoo_db})",
    feeds=_odoo_feeds,
    cursor=_odoo_cursor,
)


# -- results -----------------------------------------------------------------------------------


@dataclass
class SourceResult:
    """What one source run did.

    Attributes:
        source: the source name.
        status: ``ok``, ``partial`` (rows skipped), ``failed`` or ``interrupted``.
        processed: source records read per canonical table.
        changed: rows inserted or changed per canonical table.
        skipped: malformed rows skipped.
        errors: the first skipped rows / errors, with file and line or model and id.
        error_count: every skipped row and error.
        files_unchanged: files skipped because their content was already imported.
        erased: customer records skipped because the person was erased (``crmtui erase``).
        duration: seconds.
        detail: one line for the operator.
        refused: files refused whole (the run is ``failed`` when there is one).
        warnings: problems worth reading that refused nothing (a kind of file missing).
    """

    source: str
    status: str = "ok"
    processed: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    errors: list[SkippedRow] = field(default_factory=list)
    error_count: int = 0
    files_unchanged: int = 0
    erased: int = 0
    duration: float = 0.0
    detail: str = ""
    etl_run_id: int = 0
    refused: list[SkippedRow] = field(default_factory=list)
    skipped_examples: list[SkippedRow] = field(default_factory=list)

    @property
    def read(self) -> int:
        """Records read, all tables."""
        return sum(self.processed.values())

    @property
    def changed_total(self) -> int:
        """Rows written, all tables."""
        return sum(self.changed.values())


@dataclass(frozen=True)
class RfmThresholds:
    """Configurable RFM thresholds (see the module docstring for the rules)."""

    vip_monetary: float = 1000.0
    """Total spent (€) from which an active customer is VIP."""
    vip_orders: int = 6
    """Number of orders from which an active customer is VIP."""
    at_risk_days: int = 365
    """Days since the last purchase after which a customer is AT_RISK."""
    inactive_days: int = 730
    """Days since the last purchase after which a customer is INACTIVE."""


def rfm_segment(orders: int, total: float, last: date | None, as_of: date, th: RfmThresholds) -> str:
    """The segment of one customer (pure; see the module docstring)."""
    if orders <= 0 or last is None:
        return "PROSPECT"
    recency = (as_of - last).days
    if recency > th.inactive_days:
        return "INACTIVE"
    if recency > th.at_risk_days:
        return "AT_RISK"
    if total >= th.vip_monetary or orders >= th.vip_orders:
        return "VIP"
    return "STANDARD"


def compute_rfm(
    store: Store, *, as_of: date | None = None, thresholds: RfmThresholds | None = None
) -> dict[str, int]:
    """Write segment, first/last purchase, total, count, AOV and preferred category to ``customers``.

    Returns:
        Customers per segment.
    """
    repo = etl_repo(store)
    as_of = as_of or datetime.now(UTC).date()
    th = thresholds or RfmThresholds()
    values: list[tuple[Any, ...]] = []
    for row in repo.purchase_aggregates():
        orders = int(row["orders"] or 0) if row["last"] else 0
        total = round(float(row["total"] or 0), 2)
        last = date.fromisoformat(row["last"][:10]) if row["last"] else None
        segment = rfm_segment(orders, total, last, as_of, th)
        aov = round(total / orders, 2) if orders else None
        values.append(
            (
                segment,
                row["first"],
                row["last"],
                total,
                orders,
                aov,
                row["preferred_category"],
                row["customer_key"],
            )
        )
    repo.write_rfm(values)
    return repo.segment_counts()


# -- quality -----------------------------------------------------------------------------------


def table_label(table: str) -> str:
    """A canonical table as operators call it (``sales_lines`` → "ventes"); others as they are."""
    return t_or(f"table.{table}", table)


def segment_label(code: str | None) -> str:
    """An RFM segment as operators read it (``AT_RISK`` → "À risque"); unknown codes as they are."""
    if not code:
        return "-"
    return t_or(f"segment.{code}", code)


def quality_label(issue: QualityIssue) -> str:
    """The operator's name of a check (``missing last name``, ``negative stock``...).

    A missing field is named in the operator's words (``missing:last_name`` → "nom manquant"); one
    the catalogue does not name yet reads as words too (``missing:zip_code`` → "zip code manquant").
    """
    if issue.check.startswith("missing:"):
        field = issue.check.split(":", 1)[1]
        return t_or(f"quality.{issue.check}", t("quality.missing", field=field.replace("_", " ")))
    return t(f"quality.{issue.check}")


def write_quality_report(
    issues: list[QualityIssue],
    segments: dict[str, int],
    folder: Path,
    when: datetime | None = None,
    refused: list[SkippedRow] | None = None,
) -> Path:
    """Write the quality report as a text file; return its path (refused files come first)."""
    when = when or datetime.now(UTC)
    path = folder / f"quality_report_{when.strftime('%Y%m%d_%H%M%S')}.txt"
    lines = [t("quality.report_title"), when.isoformat(timespec="seconds"), ""]
    if refused:
        lines.append(t("quality.refused_title"))
        for r in refused:
            lines.append(
                "  " + printable(t("etl.refused", location=r.location, reason=r.reason, fix=r.hint or "-"))
            )
        lines.append("")
    found = [i for i in issues if i.count]
    if not found:
        lines.append(t("quality.report_none"))
    for table in sorted({i.table for i in found}):
        lines.append(f"[{table}]")
        for issue in (i for i in found if i.table == table):
            lines.append(f"  {quality_label(issue)}: {issue.count}")
            for example in issue.examples:
                lines.append(f"    - {printable(example['key'])}  {printable(example['detail'])}")
        lines.append("")
    lines.append(t("quality.rfm_title"))
    for segment, count in sorted(segments.items()):
        lines.append(f"  {segment or '-'}: {count}")
    # It lists customers' emails and phones: 0600 in a 0700 folder.
    return write_private_text(path, "\n".join(lines) + "\n")


def run_quality(
    store: Store, settings: Settings, *, as_of: date | None = None, refused: list[SkippedRow] | None = None
) -> tuple[list[QualityIssue], dict[str, int], Path]:
    """RFM, then the quality checks; store the findings and write the report file."""
    thresholds = RfmThresholds(
        vip_monetary=settings.rfm_vip_monetary,
        vip_orders=settings.rfm_vip_orders,
        at_risk_days=settings.rfm_at_risk_days,
        inactive_days=settings.rfm_inactive_days,
    )
    segments = compute_rfm(store, as_of=as_of, thresholds=thresholds)
    repo = etl_repo(store)
    issues = repo.quality_checks()
    path = write_quality_report(issues, segments, settings.report_dir, refused=refused)
    repo.save_quality(issues, str(path))
    return issues, segments, path


# -- running sources ---------------------------------------------------------------------------


class SourceManager:
    """Builds the configured sources, runs them, and reports their statistics.

    Args:
        settings: the configuration (which sources exist).
        store: the open store.
        http: the HTTP client network sources use; one is created per run when None.
    """

    def __init__(self, settings: Settings, store: Store, *, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.store = store
        self.http = http
        self.repo: EtlRepo = etl_repo(store)

    def configured(self) -> list[str]:
        """Names of the sources the configuration sets up, in run order."""
        return [kind for kind, spec in SOURCE_TYPES.items() if spec.configured(self.settings)]

    def build(self, name: str, http: httpx.AsyncClient) -> Source:
        """Build one source."""
        return SOURCE_TYPES[name].build(SourceEnv(self.settings, self.store, http))

    def stats(self) -> list[SourceStats]:
        """Runs, successes, failures and average duration of every configured source."""
        return [self.repo.stats(name) for name in self.configured()]

    async def test(self, name: str) -> str:
        """Check a source can be read; a one-line summary.

        Raises:
            ConnectorError: it cannot (one clear line in ``str(error)``).
        """
        async with self._client() as http:
            source = self.build(name, http)
            if source.is_async:
                return await cast(AsyncSource, source).test()
            return await asyncio.to_thread(cast(SyncSource, source).test)

    def _client(self) -> _ClientScope:
        return _ClientScope(self.http)

    async def run(
        self,
        name: str,
        *,
        full: bool = False,
        emit: EventSink = ignore,
        cancel: asyncio.Event | None = None,
        cycle_run_id: int | None = None,
        dry_run: bool = False,
        source: Source | None = None,
    ) -> SourceResult:
        """Run one source: extract, transform, load; never raises for source problems.

        Args:
            name: the source name.
            full: forget the cursors and imported files first (read everything again).
            emit: event sink for progress.
            cancel: set to stop between batches (what was loaded stays, the cursor with it).
            cycle_run_id: the cycle's run id, recorded with the ETL run.
            dry_run: read and transform, load nothing.
            source: use this source object instead of building ``name`` from the settings
                (tests and tools passing their own client options).
        """
        cancel = cancel or asyncio.Event()
        result = SourceResult(name)
        started = time.monotonic()
        if full and not dry_run:
            self.repo.reset_source(name)
        result.etl_run_id = self.repo.start_run(name, full=full, cycle_run_id=cycle_run_id)
        try:
            async with self._client() as http:
                source = source or self.build(name, http)
                if source.is_async:
                    batches = cast(AsyncSource, source).batches(cursor=lambda n: self.repo.cursor(name, n))
                    async for batch in batches:
                        await asyncio.to_thread(self._load, name, batch, result, emit, dry_run)
                        if cancel.is_set():
                            result.status = "interrupted"
                            break
                else:
                    sync_source = cast(SyncSource, source)
                    await asyncio.to_thread(self._drain, sync_source, name, result, emit, cancel, dry_run)
        except ConnectorError as exc:
            log.error("source %s failed: %s", name, exc)
            result.status = "failed"
            result.detail = t("etl.failed", source=name, detail=str(exc))
            error = SkippedRow(name, name, str(exc))
            result.errors.append(error)
            result.error_count += 1
            self.repo.record_errors(result.etl_run_id, [error])
            emit(Notice("error", result.detail))
        except asyncio.CancelledError:
            result.status = "interrupted"
            self._finish(result, started)
            raise
        if result.refused and result.status in ("ok", "partial"):
            result.status = "failed"
            result.detail = ""
        if result.status == "ok" and result.skipped:
            result.status = "partial"
        self._finish(result, started)
        self._announce(result, emit)
        return result

    def _announce(self, result: SourceResult, emit: EventSink) -> None:
        """One Notice per refused file (reason and fix), then the skipped rows' count and first reasons."""
        for refusal in result.refused:
            emit(
                Notice(
                    "error",
                    t(
                        "etl.refused",
                        location=refusal.location,
                        reason=refusal.reason,
                        fix=refusal.hint or "-",
                    ),
                )
            )
        if result.skipped:
            lines = [t("etl.skipped_rows", source=result.source, n=result.skipped)]
            lines += [f"    {e.location}: {e.reason}" for e in result.skipped_examples[:5]]
            emit(Notice("warning", "\n".join(lines)))

    def _finish(self, result: SourceResult, started: float) -> None:
        result.duration = time.monotonic() - started
        if not result.detail and result.refused:
            result.detail = t(
                "etl.failed",
                source=result.source,
                detail=t("etl.refused_count", source=result.source, n=len(result.refused)),
            )
        if not result.detail:
            result.detail = t(
                "etl.result",
                source=result.source,
                read=result.read,
                changed=result.changed_total,
                skipped=result.skipped,
                seconds=number(result.duration, digits=1),
            )
            if result.erased:
                result.detail += "; " + t("erase.etl_suppressed", source=result.source, n=result.erased)
        self.repo.finish_run(
            result.etl_run_id,
            result.status,
            duration=result.duration,
            processed=result.processed,
            changed=result.changed,
            skipped=result.skipped,
            error_count=result.error_count,
            detail=result.detail,
        )
        log.info("%s", result.detail)

    def _drain(
        self,
        source: SyncSource,
        name: str,
        result: SourceResult,
        emit: EventSink,
        cancel: asyncio.Event,
        dry_run: bool,
    ) -> None:
        batches = source.batches(
            imported=lambda sha: self.repo.file_imported(name, sha),
            cursor=lambda n: self.repo.cursor(name, n),
        )
        for batch in batches:
            self._load(name, batch, result, emit, dry_run)
            if cancel.is_set():
                result.status = "interrupted"
                return

    def _load(self, name: str, batch: Batch, result: SourceResult, emit: EventSink, dry_run: bool) -> None:
        from crmtui.engine.erase import filter_batch

        batch, erased = filter_batch(self.store, batch)  # erased customers never come back
        result.erased += erased
        changed = {} if dry_run else self.repo.load_batch(name, batch, result.etl_run_id)
        for table, n in batch.read.items():
            result.processed[table] = result.processed.get(table, 0) + n
        for table, n in changed.items():
            result.changed[table] = result.changed.get(table, 0) + n
        problems = [*batch.refused, *batch.skipped, *batch.warnings]
        if not dry_run and (batch.warnings or batch.refused):
            # A refusal is stored with its fix, so the Sources screen says what the headless run printed.
            shown = [
                SkippedRow(r.source, r.location, f"{r.reason} → {r.hint}" if r.hint else r.reason)
                for r in batch.refused
            ]
            self.repo.record_errors(result.etl_run_id, [*shown, *batch.warnings])
        result.refused.extend(batch.refused)
        for notice in batch.notices:
            emit(Notice("warning", notice))
        if batch.notices and not dry_run:
            self.repo.record_errors(result.etl_run_id, [SkippedRow(name, name, n) for n in batch.notices])
        room_examples = 5 - len(result.skipped_examples)
        if room_examples > 0:
            result.skipped_examples.extend(batch.skipped[:room_examples])
        result.skipped += len(batch.skipped)
        result.error_count += len(problems)
        room = MAX_ERRORS_KEPT - len(result.errors)
        if room > 0:
            result.errors.extend(problems[:room])
        if batch.unchanged_file:
            result.files_unchanged += 1
        if batch.progress:
            emit(
                StepProgressed(STEP, result.read, None, t("etl.progress", source=name, detail=batch.progress))
            )

    async def run_all(
        self,
        *,
        full: bool = False,
        emit: EventSink = ignore,
        cancel: asyncio.Event | None = None,
        cycle_run_id: int | None = None,
        dry_run: bool = False,
    ) -> list[SourceResult]:
        """Run every configured source in order (one failing does not stop the others)."""
        cancel = cancel or asyncio.Event()
        results: list[SourceResult] = []
        for name in self.configured():
            results.append(
                await self.run(
                    name, full=full, emit=emit, cancel=cancel, cycle_run_id=cycle_run_id, dry_run=dry_run
                )
            )
            if cancel.is_set():
                break
        return results


class _ClientScope:
    """``async with``: the injected HTTP client, or a fresh one closed afterwards."""

    def __init__(self, http: httpx.AsyncClient | None) -> None:
        self._given = http
        self._own: httpx.AsyncClient | None = None

    async def __aenter__(self) -> httpx.AsyncClient:
        if self._given is not None:
            return self._given
        self._own = httpx.AsyncClient(timeout=60.0)
        return self._own

    async def __aexit__(self, *exc: object) -> None:
        if self._own is not None:
            await self._own.aclose()


# -- views for the console ---------------------------------------------------------------------


@dataclass(frozen=True)
class MappingRow:
    """One canonical field of one source: what feeds it and how often it is filled."""

    table: str
    field: str
    feeder: str | None
    filled: int
    rows: int

    @property
    def state(self) -> str:
        """``ok``, ``unmapped`` (no source field feeds it) or ``empty`` (fed, but always empty)."""
        if self.feeder is None:
            return "unmapped"
        if self.rows and not self.filled:
            return "empty"
        return "ok"


def export_kind(table: str) -> str | None:
    """The iSaVigne file kind (``clients``…) feeding a canonical table, for the mapping editor."""
    from crmtui.connectors.isavigne import kind_of_table

    return kind_of_table(table)


def describe_source(settings: Settings, name: str) -> str:
    """Where a source reads from, from the settings (no secret)."""
    spec = SOURCE_TYPES.get(name)
    return spec.describe(settings) if spec is not None and spec.describe is not None else ""


def cursor_text(name: str, cursors: Mapping[str, str]) -> str:
    """A source's stored cursors as people read them, ``; ``-separated (``—`` when it has none).

    Each through its source type's ``cursor`` (a file read up to a line, records changed after a
    moment, in local time); one it does not know as ``name: key value``, long values cut.
    """
    if not cursors:
        return "—"
    spec = SOURCE_TYPES.get(name)
    shown = []
    for key, value in cursors.items():
        text = spec.cursor(key, value) if spec is not None and spec.cursor is not None else None
        shown.append(text if text is not None else _any_cursor(key, value))
    return "; ".join(shown)


def _any_cursor(name: str, value: str) -> str:
    """A cursor no source type reads: its fields, long values (hashes) cut to 12 characters."""

    def short(v: object) -> str:
        text = printable(v)
        return text if len(text) <= 16 else text[:12] + "…"

    try:
        state = json.loads(value)
    except ValueError:
        state = value
    shown = (
        ", ".join(f"{k} {short(v)}" for k, v in state.items()) if isinstance(state, dict) else short(state)
    )
    return t("etl.cursor.other", name=printable(name), value=shown)


def mapping(store: Store, name: str) -> list[MappingRow]:
    """The mapping view of a source: every canonical field against the source field feeding it."""
    spec = SOURCE_TYPES.get(name)
    if spec is None or spec.feeds is None:
        return []
    feeds_by_table = spec.feeds()
    from crmtui.records.canonical import RECORD_TYPES

    repo = etl_repo(store)
    out: list[MappingRow] = []
    for cls in RECORD_TYPES:
        feeds = feeds_by_table.get(cls.TABLE, {})
        rows, filled = repo.field_fill(cls.TABLE, name)
        for column in cls.columns():
            if column in ("source", "name_key", "invalid_fields"):
                continue
            out.append(MappingRow(cls.TABLE, column, feeds.get(column), filled.get(column, 0), rows))
    return out


# -- the cycle step ----------------------------------------------------------------------------


def any_source_configured(settings: Settings) -> bool:
    """Whether the configuration sets up at least one registered source."""
    return any(spec.configured(settings) for spec in SOURCE_TYPES.values())


@register_step(STEP, applies=any_source_configured)
async def etl_step(ctx: StepContext) -> StepResult:
    """The cycle's ETL step: every configured source, then RFM and the quality report.

    Options (``ctx.options``): ``etl_full`` (bool) reads everything again; ``etl_http`` an
    ``httpx.AsyncClient`` for network sources.
    """
    http = ctx.options.get("etl_http")
    manager = SourceManager(
        ctx.settings, ctx.store, http=http if isinstance(http, httpx.AsyncClient) else None
    )
    results = await manager.run_all(
        full=bool(ctx.options.get("etl_full") or ctx.options.get("full")),
        emit=ctx.emit,
        cancel=ctx.cancel,
        cycle_run_id=ctx.run_id,
        dry_run=ctx.dry_run,
    )
    if not results:
        return StepResult(status="skipped", detail=t("etl.nothing"))
    summary: dict[str, Any] = {
        r.source: {
            "status": r.status,
            "processed": r.processed,
            "changed": r.changed,
            "skipped": r.skipped,
            "errors": r.error_count,
            "duration": round(r.duration, 2),
        }
        for r in results
    }
    details = [r.detail for r in results]
    if not ctx.dry_run and any(r.status != "failed" or r.read or r.refused for r in results):
        refused = [r for result in results for r in result.refused]
        issues, segments, path = await asyncio.to_thread(
            lambda: run_quality(ctx.store, ctx.settings, refused=refused)
        )
        found = sum(1 for i in issues if i.count)
        details.append(t("etl.quality_written", issues=found, path=path))
        summary["quality_report"] = str(path)
        summary["segments"] = segments
    failed = sum(1 for r in results if r.status == "failed")
    status = "ok"
    if failed:
        status = "failed" if failed == len(results) else "partial"
    elif any(r.status == "interrupted" for r in results):
        status = "partial"
    total = sum(r.read for r in results)
    skipped = sum(r.skipped for r in results)
    return StepResult(
        status=status,
        total=total,
        succeeded=total - skipped,
        failed=failed,
        skipped=skipped,
        detail="; ".join(details),
        summary=summary,
    )
