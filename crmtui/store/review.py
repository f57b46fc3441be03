"""The review screens' reads: one window of rows at a time, ordered, filtered and counted in SQL.

The Deletions screen lists the queue entries still to look at (pending, decided, failed) and the
ignored ones (an ignore can be undone), open entries first, then ignored ones, each oldest first and
then by email: the key ``(rank, detected_at, email)``. That key is the generated column ``review_pos``
with ``detected_at`` and ``email``, indexed by ``deletion_queue_review`` together with ``search``: a
window is a keyset range seek on it, never the whole queue, and the ``/`` filter is a
casefolded substring of the name, email or tag (``search`` column, see
:mod:`crmtui.store.review_schema`): found by the trigram index (:mod:`crmtui.store.deletion_search`)
for 3 characters or more, a page then read among those matches, or, under 3 characters or beyond
:data:`~crmtui.store.deletion_search.PROBE` matches, with ``instr`` over the index in order. The Forgotten screen pages the same way on
``(detected_at DESC, email)``, and the Scenarios screen's unknown sends on ``(claimed_at, key)``.
The operator may sort a list by one of its columns instead (:class:`Order`): a page is then a keyset
seek on ``(that column, the row's key)`` in the chosen direction, so rows sharing a value still page
once each; :data:`DELETION_SORTS`, :data:`FORGOTTEN_SORTS` and :data:`UNKNOWN_SORTS` are the columns
each list sorts by, each one indexed (``store.review_schema``). A text column sorts by its stored sort
key (:func:`crmtui.store._util.sort_text`: case and accents aside, as a French reader expects), so a
row's place in that order is its key, which the rows read here carry (``name_sort``...).
Each list also reads the rows it still lists among a set of keys (a selection kept across pages, the
row under the cursor read fresh).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from crmtui.store import customer_search, deletion_search
from crmtui.store._util import fold
from crmtui.store.sync import Decision, _decision

if TYPE_CHECKING:
    from crmtui.store.db import Store

REVIEW_POS = (
    "CASE WHEN state IN ('pending', 'decided', 'failed') THEN 0 "
    "WHEN state = 'applied' AND decision IS 'ignore' THEN 1 END"
)
"""The generated column ``review_pos``: 0 for an open entry, 1 for an ignored one (listed after the open
ones), NULL for an applied archive or delete (done: not listed)."""
SHOWN = "review_pos >= 0"
_ORDER = "review_pos {0}, detected_at {0}, email {0}"
_SEARCH = (
    "COALESCE(search, crm_fold(COALESCE(name, '') || char(31) || email || char(31) || COALESCE(tag, '')))"
)
_CHUNK = 500
_HITS = "json_each(?) hit CROSS JOIN deletion_queue ON deletion_queue.email = hit.value"
"""The entries among a JSON array of emails (the filter's matches), looked up by key one by one
(``CROSS JOIN``: in that order, never the whole queue read to check each row against the array)."""

Key = tuple[int, str, str]
"""A Deletions row's place in the list: ``(rank, detected_at, email)``."""
ForgottenKey = tuple[str, str]
"""A Forgotten row's place in the list: ``(detected_at, email)`` (newest first)."""
UnknownKey = tuple[str, str]
"""An unknown send's place in its list: ``(claimed_at, key)`` (oldest first)."""

_FORGOTTEN_COLUMNS = (
    "SELECT email, COALESCE(name, '') AS name, COALESCE(resubscribe_url, '') AS resubscribe_url, detected_at, "
    "copper_tagged, reached_at, reached_by, COALESCE(name_sort, '') AS name_sort "
    "FROM forgotten_emails WHERE resolved_at IS NULL"
)
_UNKNOWN_SELECT = (
    "SELECT l.key, l.contact, l.claimed_at, l.error, l.template, s.name AS scenario, st.name AS step, "
    "s.id AS scenario_id, COALESCE(s.name_sort, '') AS scenario_sort FROM "
)
_UNKNOWN_FROM = "operation_ledger l{0} JOIN scenarios s ON s.id = l.scenario_id"
_UNKNOWN_WHERE = " LEFT JOIN scenario_steps st ON st.id = l.step_id WHERE l.status = 'unknown'"
_UNKNOWN_COLUMNS = _UNKNOWN_SELECT + _UNKNOWN_FROM.format("") + _UNKNOWN_WHERE


DELETION_SORTS = {
    "name": ("COALESCE(name_sort, '')", "email"),
    "email": ("email",),
    "tag": ("COALESCE(tag_sort, '')", "email"),
    "since": ("detected_at", "email"),
}
"""The Deletions table's columns the SQL sorts by: the expressions of a row's place (each tuple
indexed; the email, the primary key, makes it unique)."""
FORGOTTEN_SORTS = {
    "name": ("COALESCE(name_sort, '')", "email"),
    "email": ("email",),
    "since": ("detected_at", "email"),
}
"""The Forgotten table's columns the SQL sorts by (indexed over the unresolved rows)."""
UNKNOWN_SORTS = {
    "key": ("l.key",),
    "scenario": ("COALESCE(s.name_sort, '')", "s.id", "l.key"),
    "contact": ("l.contact", "l.key"),
}
"""The unknown sends' columns the SQL sorts by (indexed over the unknown rows)."""
_UNKNOWN_SOURCES: dict[str | None, str] = {
    # Named: without statistics the planner would read the status index and sort the rows instead.
    None: _UNKNOWN_FROM.format(" INDEXED BY operation_ledger_unknown_claimed"),  # the list's own order
    "key": _UNKNOWN_FROM.format(" INDEXED BY operation_ledger_unknown_key"),
    "contact": _UNKNOWN_FROM.format(" INDEXED BY operation_ledger_unknown_contact"),
    # The scenarios in their order, then each one's unknown sends by key (CROSS JOIN: in that order).
    "scenario": "scenarios s CROSS JOIN operation_ledger l INDEXED BY operation_ledger_unknown_scenario "
    "ON s.id = l.scenario_id",
}


@dataclass(frozen=True)
class Order:
    """The order the operator chose: a column (a key of the list's ``*_SORTS``) and a direction; the
    list's own order without a column. Positions (the keyset) are then ``(value, key)``."""

    column: str | None = None
    descending: bool = False


def keyset(
    by: Sequence[str], mark: Sequence[Any], *, up: bool, inclusive: bool = False
) -> tuple[str, tuple[Any, ...]]:
    """The condition (and its parameters) of the rows past ``mark`` in the order of the expressions
    ``by`` (a row's place: the sorted value first, the row's key last): above it (``up``) or below,
    from it with ``inclusive``.

    Written as a range on the first expression (a seek on its index, which a row-value comparison on
    an expression is not) refined by the others among equal values.
    """
    op, eq = (">" if up else "<"), ("=" if inclusive else "")
    if len(by) == 1:
        return f"{by[0]} {op}{eq} ?", (mark[0],)
    rest, marks = ", ".join(by[1:]), ", ".join("?" * (len(by) - 1))
    return f"{by[0]} {op}= ? AND ({by[0]} {op} ? OR ({rest}) {op}{eq} ({marks}))", (
        mark[0],
        mark[0],
        *mark[1:],
    )


def order_by(by: Sequence[str], descending: bool) -> str:
    """``ORDER BY``'s terms: every expression of ``by`` in the one direction (what its index serves)."""
    way = "DESC" if descending else "ASC"
    return ", ".join(f"{e} {way}" for e in by)


def review_key(decision: Decision) -> Key:
    """Where an entry sits in the Deletions list."""
    return (
        int(decision.decision == "ignore" and decision.state == "applied"),
        decision.detected_at,
        decision.email,
    )


@dataclass(frozen=True)
class QueueCounts:
    """The counts above the Deletions table (the whole list, whatever the filter)."""

    pending: int = 0
    to_apply: int = 0
    """Decided or failed, not ignored (what the counts line shows)."""
    archives: int = 0
    """Archive decisions ``p`` would apply."""
    deletes: int = 0
    """Delete decisions ``p`` would apply."""
    ignored: int = 0

    @property
    def applicable(self) -> int:
        """What ``p`` would apply."""
        return self.archives + self.deletes


@dataclass(frozen=True)
class Seek:
    """Which page of a list to read: ``limit`` rows, the first ones (no key), those after ``after``
    (from it with ``inclusive``), those just before ``before``, or the last ones (``last``); the
    keyword arguments of :meth:`ReviewRepo.deletion_page` (``**vars(seek)``), what the other
    ``*_page`` methods take."""

    limit: int
    after: Any = None
    before: Any = None
    inclusive: bool = False
    last: bool = False


@dataclass(frozen=True)
class Page:
    """A window of rows and whether it touches either end of the (filtered) list."""

    rows: list[Any]
    at_start: bool
    at_end: bool


def _page(rows: list[Any], limit: int, *, backward: bool, seek: object) -> Page:
    """A page from up to ``limit + 1`` rows read in the list's order (backward: in reverse).

    The extra row says there is more beyond the page; a page read from no key (``seek``) starts (or,
    backward, ends) the list.
    """
    more = len(rows) > limit
    rows = rows[:limit]
    if backward:
        rows.reverse()
        return Page(rows, at_start=not more, at_end=seek is None)
    return Page(rows, at_start=seek is None, at_end=not more)


class ReviewRepo:
    """Paged reads for the Deletions and Forgotten screens."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- deletions ---------------------------------------------------------------------------

    def deletion_page(
        self,
        needle: str = "",
        *,
        limit: int,
        after: Key | None = None,
        before: Key | None = None,
        inclusive: bool = False,
        last: bool = False,
        order: Order = Order(),
    ) -> Page:
        """Up to ``limit`` listed entries matching ``needle``, in the screen's order (or ``order``).

        The first ones (no key), those after ``after`` (from it with ``inclusive``), those just before
        ``before``, or the last ones (``last``). The page says whether it reaches either end.
        """
        source, where, params = self._matching(needle)
        if order.column is not None:
            seek = Seek(limit, after, before, inclusive, last)
            # ``+``: the listed test is checked per row, the order's own index is the one read (or,
            # among the filter's matches, they are sorted).
            select = f"SELECT deletion_queue.* FROM {source} WHERE +{' AND '.join(where)}"
            page = self._sorted(select, params, DELETION_SORTS[order.column], order, seek)
            return Page([_decision(r) for r in page.rows], page.at_start, page.at_end)
        backward = before is not None or last
        if after is not None:
            where.append(f"(review_pos, detected_at, email) {'>=' if inclusive else '>'} (?, ?, ?)")
            params.extend(after)
        elif before is not None:
            where.append("(review_pos, detected_at, email) < (?, ?, ?)")
            params.extend(before)
        rows = self.store.query(
            f"SELECT deletion_queue.* FROM {source} WHERE {' AND '.join(where)} "
            f"ORDER BY {_ORDER.format('DESC' if backward else 'ASC')} LIMIT ?",
            (*params, limit + 1),
        )
        return _page([_decision(r) for r in rows], limit, backward=backward, seek=after or before)

    def _matching(self, needle: str) -> tuple[str, list[str], list[Any]]:
        """Where the listed entries matching ``needle`` are read: the ``FROM`` source, the ``WHERE``
        terms and their parameters (the source's first).

        No filter: the queue. Under 3 characters, or more than ``PROBE`` matches: the queue with an
        ``instr`` test (the review index holds ``search``: no table row is read for an entry that does
        not match, and a page is found after a few thousand entries at most). Otherwise the matches
        the trigram index found, looked up by email (a page then sorts a few thousand rows at most,
        whatever the queue size).
        """
        if not needle:
            return "deletion_queue", [SHOWN], []
        folded = fold(needle)
        if len(folded) >= deletion_search.TRIGRAM:
            hits = [
                str(r[0])
                for r in self.store.db.execute(
                    deletion_search.PROBE_SQL,
                    (customer_search.phrase(folded), folded, deletion_search.PROBE + 1),
                )
            ]
            if len(hits) <= deletion_search.PROBE:
                return _HITS, [SHOWN], [json.dumps(hits, ensure_ascii=False)]
        return "deletion_queue", [SHOWN, f"instr({_SEARCH}, ?) > 0"], [folded]

    def deletion_counts(self) -> QueueCounts:
        """Pending, to apply (archives, deletes) and ignored entries of the list, counted by SQL.

        One ``GROUP BY`` over the covering index ``(state, decision)``: a handful of groups, whatever
        the queue size.
        """
        pending = to_apply = archives = deletes = ignored = 0
        for state, decision, n in self.store.db.execute(
            "SELECT state, decision, count(*) FROM deletion_queue GROUP BY state, decision"
        ):
            open_ = state in ("pending", "decided", "failed")
            if not open_ and not (state == "applied" and decision == "ignore"):
                continue  # an applied archive or delete: not listed
            pending += n if decision is None else 0
            if state in ("decided", "failed") and decision != "ignore":
                to_apply += n
                archives += n if decision == "archive" else 0
                deletes += n if decision == "delete" else 0
            ignored += n if decision == "ignore" else 0
        return QueueCounts(pending, to_apply, archives, deletes, ignored)

    def to_apply(self, limit: int) -> list[Decision]:
        """The first archive and delete decisions ``p`` would apply, in the screen's order."""
        rows = self.store.query(
            "SELECT * FROM deletion_queue WHERE state IN ('decided', 'failed') AND decision IN ('archive', 'delete') "
            "ORDER BY review_pos, detected_at, email LIMIT ?",
            (limit,),
        )
        return [_decision(r) for r in rows]

    def _among(self, select: str, column: str, keys: Iterable[str]) -> list[dict[str, Any]]:
        """The rows of ``select`` (a query ending in a WHERE clause) whose ``column`` is among ``keys``."""
        out: list[dict[str, Any]] = []
        chunk = list(keys)
        for start in range(0, len(chunk), _CHUNK):
            part = chunk[start : start + _CHUNK]
            out.extend(
                self.store.query(f"{select} AND {column} IN ({','.join('?' * len(part))})", tuple(part))
            )
        return out

    def listed_decisions(self, emails: Iterable[str]) -> dict[str, Decision]:
        """The listed entries among ``emails`` (a selection kept across pages), by email."""
        rows = self._among(f"SELECT * FROM deletion_queue WHERE {SHOWN}", "email", emails)
        return {r["email"]: _decision(r) for r in rows}

    def deletion_emails(self, needle: str = "") -> list[str]:
        """Every listed email matching ``needle`` ("select all matching": one read of the index, or of the
        filter's matches)."""
        source, where, params = self._matching(needle)
        return [
            str(r[0])
            for r in self.store.db.execute(
                f"SELECT deletion_queue.email FROM {source} WHERE {' AND '.join(where)}", params
            )
        ]

    def _read_page(self, select: str, params: Iterable[Any], orders: tuple[str, str], seek: Seek) -> Page:
        """The page of ``select`` (its keyset condition included) in the list's order, ``orders[0]``, or
        read backward in ``orders[1]`` (before a key, or the last rows)."""
        backward = seek.before is not None or seek.last
        rows = self.store.query(
            f"{select} ORDER BY {orders[1] if backward else orders[0]} LIMIT ?", (*params, seek.limit + 1)
        )
        return _page(rows, seek.limit, backward=backward, seek=seek.after or seek.before)

    def _sorted(
        self, select: str, params: Iterable[Any], by: tuple[str, ...], order: Order, seek: Seek
    ) -> Page:
        """The page of ``select`` (a query ending in a WHERE clause) ``seek`` names in ``order``: by the
        expressions ``by`` (the sorted value, then what makes a row's place unique, the key last), all
        in the order's direction (a keyset on the tuple, which marks hold)."""
        backward = seek.before is not None or seek.last
        mark = seek.after if seek.after is not None else seek.before
        condition, bounds = "", cast(tuple[Any, ...], ())
        if mark is not None:
            up = (seek.after is not None) != order.descending  # the keys wanted are above the mark
            condition, bounds = keyset(by, mark, up=up, inclusive=seek.inclusive)
            condition = f" AND {condition}"
        rows = self.store.query(
            f"{select}{condition} ORDER BY {order_by(by, order.descending != backward)} LIMIT ?",
            (*params, *bounds, seek.limit + 1),
        )
        return _page(rows, seek.limit, backward=backward, seek=mark)

    # -- forgotten ---------------------------------------------------------------------------

    def forgotten_page(self, seek: Seek, order: Order = Order()) -> Page:
        """The page ``seek`` names of the unresolved forgotten addresses, newest first then by email (as
        ``forgotten_rows``), or in ``order``; keys are :data:`ForgottenKey`."""
        if order.column is not None:
            return self._sorted(_FORGOTTEN_COLUMNS, (), FORGOTTEN_SORTS[order.column], order, seek)
        after, before, inclusive = seek.after, seek.before, seek.inclusive
        where: list[str] = []
        params: list[Any] = []
        # Newest first then by email. Written as a range on detected_at (a seek on forgotten_review)
        # refined by the email within the same instant.
        if after is not None:
            where.append(f"detected_at <= ? AND (detected_at < ? OR email {'>=' if inclusive else '>'} ?)")
            params.extend((after[0], after[0], after[1]))
        elif before is not None:
            where.append("detected_at >= ? AND (detected_at > ? OR email < ?)")
            params.extend((before[0], before[0], before[1]))
        select = f"{_FORGOTTEN_COLUMNS}{''.join(' AND ' + w for w in where)}"
        return self._read_page(
            select, params, ("detected_at DESC, email ASC", "detected_at ASC, email DESC"), seek
        )

    def forgotten_counts(self) -> tuple[int, int]:
        """Unresolved forgotten addresses, and how many of them were reached."""
        row = self.store.db.execute(
            "SELECT count(*), COALESCE(SUM(reached_at IS NOT NULL), 0) FROM forgotten_emails WHERE resolved_at IS NULL"
        ).fetchone()
        return int(row[0]), int(row[1])

    def forgotten_row(self, email: str) -> dict[str, Any] | None:
        """One unresolved forgotten address (the row under the cursor, read fresh)."""
        return self.listed_forgotten([email]).get(email)

    def listed_forgotten(self, emails: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The unresolved forgotten addresses among ``emails``, by email."""
        return {str(r["email"]): r for r in self._among(_FORGOTTEN_COLUMNS, "email", emails)}

    # -- unknown sends -------------------------------------------------------------------------

    def unknown_page(self, seek: Seek, order: Order = Order()) -> Page:
        """The page ``seek`` names of the sends whose outcome is unknown, oldest first then by key (the
        resolve queue), or in ``order``; keys are :data:`UnknownKey`, found by the status index."""
        if order.column is not None:
            select = _UNKNOWN_SELECT + _UNKNOWN_SOURCES[order.column] + _UNKNOWN_WHERE
            return self._sorted(select, (), UNKNOWN_SORTS[order.column], order, seek)
        after, before, inclusive = seek.after, seek.before, seek.inclusive
        where = ""
        params: tuple[Any, ...] = ()
        if after is not None:
            where, params = f" AND (l.claimed_at, l.key) {'>=' if inclusive else '>'} (?, ?)", after
        elif before is not None:
            where, params = " AND (l.claimed_at, l.key) < (?, ?)", before
        orders = ("l.claimed_at ASC, l.key ASC", "l.claimed_at DESC, l.key DESC")
        select = _UNKNOWN_SELECT + _UNKNOWN_SOURCES[None] + _UNKNOWN_WHERE
        return self._read_page(f"{select}{where}", params, orders, seek)

    def listed_unknown(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The sends still unknown among ``keys``, by key."""
        return {str(r["key"]): r for r in self._among(_UNKNOWN_COLUMNS, "l.key", keys)}
