"""Customers: search, history summary, segment, and recommendations with scores and reasons.

Type in the search box to find a customer (name, company, email, city or key); the highlighted
customer's summary, latest purchases and recommendations show below. ``m`` on a recommendation
marks it bad (a modal says what it changes: the rule, segment and category whose weight goes down
and how many customers that touches, and asks for an optional reason): it disappears for that
customer and the rule that produced it weighs less for similar cases; ``u`` takes the last mark
back (audited). ``g`` recomputes the recommendations that need it.
``X`` erases the shown customer for good (GDPR art. 17: Mailchimp, Copper, the store, the logs),
after typing their email exactly (:mod:`crmtui.screens.erase_dialog`).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label

import crmtui.i18n.console  # noqa: F401 - registers the navigation texts
import crmtui.i18n.reco  # noqa: F401 - registers the reco.* keys
import crmtui.i18n.undo  # noqa: F401 - registers the undo.* keys
from crmtui.engine.etl import segment_label
from crmtui.engine.reco import (
    RecoConfig,
    category_label,
    reason_text,
    reco_config,
    recompute,
    rule_label,
)
from crmtui.engine.reco_undo import LastMark, MarkScope, mark_bad_undoable, mark_scope, undo_mark_bad
from crmtui.formats import money, number
from crmtui.i18n import t
from crmtui.screens.erase_dialog import ask_erase
from crmtui.screens.mode_screen import ModeScreen
from crmtui.screens.workers import deliver
from crmtui.store import customer_search
from crmtui.store.reco import CUSTOMER_SORTS, StoredReco, customer_place, reco_repo
from crmtui.store.review import Order
from crmtui.text import literal, printable
from crmtui.widgets.footer import Footer
from crmtui.widgets.sortable import SortKey, SqlSortedTable, sort_binding
from crmtui.widgets.status import StatusBar


def _config(app: Any) -> RecoConfig:
    """The recommendation settings, or the defaults when they do not validate."""
    try:
        return reco_config(app.settings)
    except ValueError:
        return RecoConfig()


class BadRecoScreen(ModalScreen[str | None]):
    """Asks for the reason of a bad recommendation: the reason (maybe empty), or None on Escape."""

    DEFAULT_CSS = """
    BadRecoScreen { align: center middle; }
    BadRecoScreen > Vertical {
        width: 72; max-width: 95%; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    BadRecoScreen .bad-title { text-style: bold; margin-bottom: 1; }
    BadRecoScreen .bad-scope { color: $warning; margin-bottom: 1; width: 100%; }
    BadRecoScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    BadRecoScreen Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", t("reco.bad.cancel"), id="bad_reco.cancel")]

    def __init__(self, product: str, customer: str, scope: str = "") -> None:
        """Args:
        product: the product's name (untrusted: shown literally).
        customer: the customer's name or key (untrusted: shown literally).
        scope: what the mark changes beyond this customer (:func:`scope_text`).
        """
        super().__init__()
        self.product = product
        self.customer = customer
        self.scope = scope

    def compose(self) -> ComposeResult:
        """Title, the product and customer, a reason box, two buttons."""
        with Vertical():
            yield Label(t("reco.bad.title"), classes="bad-title")
            if self.scope:
                yield Label(Text(self.scope), id="bad-scope", classes="bad-scope")
            yield Label(
                Text(t("reco.bad.prompt", product=printable(self.product), customer=printable(self.customer)))
            )
            yield Input(placeholder=t("reco.bad.placeholder"), id="bad-reason")
            with Horizontal():
                yield Button(t("reco.bad.cancel"), id="bad-cancel")
                yield Button(t("reco.bad.confirm"), id="bad-confirm", variant="warning")

    def on_mount(self) -> None:
        """Focus the reason box."""
        self.query_one("#bad-reason", Input).focus()

    @on(Input.Submitted, "#bad-reason")
    @on(Button.Pressed, "#bad-confirm")
    def _confirm(self) -> None:
        self.dismiss(self.query_one("#bad-reason", Input).value.strip())

    @on(Button.Pressed, "#bad-cancel")
    def action_cancel(self) -> None:
        """Close without marking anything."""
        self.dismiss(None)


def scope_text(scope: MarkScope) -> str:
    """The modal's sentence: which weight goes down, for whom, and how many customers it touches."""
    return (
        t(
            "undo.scope",
            rule=rule_label(scope.rule),
            segment=segment_label(scope.segment) if scope.segment else t("undo.no_segment"),
            category=category_label(scope.category) if scope.category else t("undo.no_category"),
            before=f"{scope.factor_before:.2f}",
            after=f"{scope.factor_after:.2f}",
            customers=number(scope.customers),
            shown=number(scope.shown),
        )
        + " "
        + t("undo.scope.undo_hint")
    )


PAGE = 50
"""Customers read per page; the next page is read when the cursor reaches the last row listed (in the
order chosen with ``S``: SQL sorts the whole list, by key, name or orders, see
:data:`crmtui.store.reco.CUSTOMER_SORTS`)."""


PRODUCT_WIDTH = 30
"""Names are cut at this width in the tables (whole on the summary and detail lines)."""


class CustomersScreen(SortKey, ModeScreen):
    """Find a customer; see their history, segment and recommendations; mark one bad."""

    # The layout (80x24 first) is in crmtui.tcss: the app's stylesheet outranks DEFAULT_CSS.

    BINDINGS = [
        Binding("slash", "search", t("reco.key.search"), id="customers.search"),
        Binding(
            "m", "mark_bad", t("reco.key.mark_bad"), id="customers.mark_bad", tooltip=t("reco.tip.mark_bad")
        ),
        Binding("u", "undo_mark", t("undo.key"), id="customers.undo", tooltip=t("undo.scope.undo_hint")),
        Binding("g", "recompute", t("reco.key.recompute"), id="customers.recompute"),
        Binding("X", "erase", t("erase.ui.key"), id="customers.erase", tooltip=t("erase.ui.tip")),
        sort_binding("customers"),
        Binding("escape", "leave", t("console.key.back"), show=False, id="customers.leave"),
    ]

    customer_key: reactive[str | None] = reactive(None)
    """The customer shown below the list."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, Any]] = []
        """The customers matching the search, as listed (the pages read so far, in SQL order)."""
        self.order = Order()
        """The order chosen with ``S`` (none: best spenders first)."""
        self.more = False
        """The last page read was full: more customers may match."""
        self.recos: list[StoredReco] = []
        """The shown customer's recommendations, in rank order."""
        self.last_mark: LastMark | None = None
        """The last "mark bad" made here, which ``u`` takes back."""
        self.customer_name = ""
        """The shown customer's display name."""
        self.customer_email = ""
        """The shown customer's email (what ``X`` erases)."""

    def compose(self) -> ComposeResult:
        """Status bar, search, customers, summary, recommendations, purchases, footer."""
        yield StatusBar()
        yield Label(t("reco.customers.title"), classes="section-title")
        yield Input(placeholder=t("reco.customers.search"), id="customer-search", compact=True)
        yield SqlSortedTable(id="customer-table", cursor_type="row", zebra_stripes=True)
        yield Label(t("load.placeholder"), id="customer-summary")
        yield Label("", id="customer-mix")
        yield Label(t("reco.customers.recos"), classes="section-title")
        yield DataTable(id="reco-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="reco-detail", classes="detail-line")
        yield Label(t("reco.customers.history"), classes="section-title")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then the first page of customers."""
        found = self.query_one("#customer-table", SqlSortedTable)
        found.add_column(t("reco.col.key"), key="key")
        found.add_column(t("reco.col.name"), width=PRODUCT_WIDTH, key="name")  # whole on the summary line
        found.add_column(t("reco.col.segment"), key="segment")
        found.add_column(t("reco.col.orders"), key="orders")
        found.sortable = frozenset(CUSTOMER_SORTS)
        recos = self.query_one("#reco-table", DataTable)
        recos.add_column(t("reco.col.rank"))
        recos.add_column(t("reco.col.product"), width=PRODUCT_WIDTH)
        for label in (t("reco.col.score"), t("reco.col.rule"), t("reco.col.reasons")):
            recos.add_column(label)
        history = self.query_one("#history-table", DataTable)
        history.add_column(t("reco.col.date"))
        history.add_column(t("reco.col.product"), width=PRODUCT_WIDTH)
        history.add_columns(t("reco.col.qty"), t("reco.col.total"))
        # The table has the focus on entry, so global keys stay keys; ``/`` goes to the search box.
        self.query_one("#customer-table", DataTable).focus()
        self.search("")

    def reload(self) -> None:
        """Re-read the list (as many rows as listed) and the shown customer (after a cycle or ``f5``)."""
        self.search(self.query_one("#customer-search", Input).value, max(PAGE, len(self.found)), self.order)

    # -- search --------------------------------------------------------------------------------

    @on(Input.Changed, "#customer-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search(event.value, PAGE, self.order)

    @on(Input.Submitted, "#customer-search")
    def _search_submitted(self) -> None:
        self.query_one("#customer-table", DataTable).focus()

    @work(thread=True, exclusive=True, group="customers:search", exit_on_error=False, description="Searching")
    def search(self, text: str, limit: int = PAGE, order: Order | None = None) -> None:
        """Find customers in a thread: the first page (SQL ``LIMIT``, best spenders first or ``order``)."""
        repo = reco_repo(self.app.store)  # type: ignore[attr-defined]
        rows = repo.search_customers(text, limit, order=order)
        deliver(self.app, self.show_found, rows, limit)

    @work(thread=True, exclusive=True, group="customers:more", exit_on_error=False, description="Searching")
    def more_found(self, text: str, after: tuple[Any, ...], order: Order) -> None:
        """The next page of the same search (keyset: after the last row read, in the same order)."""
        repo = reco_repo(self.app.store)  # type: ignore[attr-defined]
        deliver(self.app, self.add_found, repo.search_customers(text, PAGE, after=after, order=order))

    def add_found(self, rows: list[dict[str, Any]]) -> None:
        """Append a page to the customer list."""
        self.more = len(rows) >= PAGE
        table = self.query_one("#customer-table", SqlSortedTable)
        listed = {r["customer_key"] for r in self.found}
        rows = [r for r in rows if r["customer_key"] not in listed]
        self.found.extend(rows)
        self._add_rows(table, rows)
        table.rows_added()

    @on(SqlSortedTable.Sorted, "#customer-table")
    def _sorted(self, event: SqlSortedTable.Sorted) -> None:
        """``S``: the list read again in the order the header shows (as many rows as listed)."""
        event.stop()
        table = event.table
        column = table.sorted_by
        self.order = Order(None if column is None else str(column.value), table.descending)
        self.reload()

    def _add_rows(self, table: SqlSortedTable, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            name = customer_search.display_name(row["first_name"], row["last_name"], row["company"])
            table.add_row(
                literal(row["customer_key"]),
                literal(name),
                literal(segment_label(row["segment"])),
                literal(str(row["purchase_count"] or 0)),
                key=row["customer_key"],
            )

    def show_found(self, rows: list[dict[str, Any]], limit: int = PAGE) -> None:
        """Fill the customer list; keep the shown customer when it is still listed."""
        self.workers.cancel_group(self, "customers:more")  # a page of an earlier search must not land
        self.found = rows
        self.more = len(rows) >= limit
        table = self.query_one("#customer-table", SqlSortedTable)
        table.clear()
        self._add_rows(table, rows)
        table.rows_added()
        if not rows:
            self.query_one("#customer-summary", Label).update(t("reco.customers.none"))
            # Nothing found: the panels below must not keep showing the previous customer.
            self.query_one("#customer-mix", Label).update("")
            self.query_one("#reco-table", DataTable).clear()
            self.query_one("#history-table", DataTable).clear()
            self.query_one("#reco-detail", Label).update("")
            self.recos = []
            self.customer_name = ""
            self.customer_email = ""
            self.customer_key = None
            self.refresh_bindings()
            return
        keys = [r["customer_key"] for r in rows]
        if self.customer_key is not None and self.customer_key in keys:
            table.move_cursor(row=table.get_row_index(self.customer_key))
            self.load_customer(self.customer_key)
        else:
            self.customer_key = _key_at(table, 0)

    @on(DataTable.RowHighlighted, "#reco-table")
    def _reco_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The whole product name, rule and reasons of the highlighted recommendation."""
        reco = next((r for r in self.recos if r.product_key == event.row_key.value), None)
        text = ""
        if reco is not None:
            reasons = " · ".join(reason_text(x) for x in reco.reasons)
            text = f"{reco.product_name} — {rule_label(reco.rule)}" + (f" — {reasons}" if reasons else "")
        self.query_one("#reco-detail", Label).update(literal(text))

    @on(DataTable.RowHighlighted, "#customer-table")
    def _customer_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # By row key: the list may be sorted, so its order is not ``self.found``'s.
        if event.row_key.value is not None:
            self.customer_key = str(event.row_key.value)
        if self.more and self.found and event.cursor_row >= event.data_table.row_count - 1:
            self.more = False  # one page at a time
            text = self.query_one("#customer-search", Input).value
            self.more_found(text, customer_place(self.found[-1], self.order), self.order)

    def watch_customer_key(self, key: str | None) -> None:
        """Load the newly chosen customer."""
        if key is not None:
            self.load_customer(key)

    # -- one customer --------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="customers:load",
        exit_on_error=False,
        description="Reading customer",
    )
    def load_customer(self, key: str) -> None:
        """Read a customer's row, purchases, category mix and recommendations in a thread."""
        repo = reco_repo(self.app.store)  # type: ignore[attr-defined]
        row = repo.customer(key)
        if row is None:
            return
        data = (row, repo.purchases(key), repo.category_mix(key), repo.results_for(key))
        self.app.call_from_thread(self.show_customer, *data)

    def show_customer(
        self,
        row: dict[str, Any],
        purchases: list[dict[str, Any]],
        mix: dict[str, int],
        recos: list[StoredReco],
    ) -> None:
        """Summary, category mix, recommendations with scores and reasons, latest purchases."""
        name = " ".join(str(p) for p in (row["first_name"], row["last_name"]) if p) or row["customer_key"]
        if row.get("company"):
            name = f"{name} ({row['company']})"
        self.customer_name = name
        self.customer_email = str(row.get("email") or "").strip()
        self.refresh_bindings()
        aov = row.get("average_order_value_eur")
        summary = t(
            "reco.customers.summary",
            name=printable(name),
            segment=printable(segment_label(row.get("segment"))),
            orders=row.get("purchase_count") or 0,
            spent=money(float(row.get("total_spent_eur") or 0)),
            aov="-" if aov is None else money(float(aov)),
            last=printable((row.get("last_purchase_date") or "-")[:10]),
        )
        self.query_one("#customer-summary", Label).update(Text(summary))
        mix_text = ", ".join(f"{category_label(c)} {n}" for c, n in mix.items()) or "-"
        self.query_one("#customer-mix", Label).update(Text(t("reco.customers.mix", mix=printable(mix_text))))
        self.recos = recos
        table = self.query_one("#reco-table", DataTable)
        table.clear()
        for r in recos:
            table.add_row(
                literal(str(r.rank)),
                literal(r.product_name),
                literal(number(r.score, digits=2)),
                literal(rule_label(r.rule)),
                literal(" · ".join(reason_text(x) for x in r.reasons)),
                key=r.product_key,
            )
        if not recos:
            note = "reco.customers.opted_out" if row.get("email_opt_out") else "reco.customers.no_recos"
            table.add_row(literal(""), literal(t(note)), literal(""), literal(""), literal(""), key="-")
        history = self.query_one("#history-table", DataTable)
        history.clear()
        for p in purchases:
            history.add_row(
                literal((p["date_sale"] or "")[:10]),
                literal(p["name"]),
                literal(f"{float(p['quantity_units'] or 0):g}"),
                literal(money(float(p["price_total_eur"] or 0))),
            )

    # -- actions -------------------------------------------------------------------------------

    def action_search(self) -> None:
        """Focus the search box."""
        self.query_one("#customer-search", Input).focus()

    async def action_leave(self) -> None:
        """Escape: leave the search box for the list, else go back to the dashboard."""
        if isinstance(self.focused, Input):
            self.query_one("#customer-table", DataTable).focus()
        else:
            await self.app.run_action("back_home")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``m`` only when a recommendation can be chosen."""
        if action == "mark_bad":
            return bool(self.recos) and self.customer_key is not None
        if action == "undo_mark":
            return self.last_mark is not None  # hidden until there is a mark to take back
        if action == "erase":
            return (self.customer_key is not None and "@" in self.customer_email) or None
        return True

    def action_erase(self) -> None:
        """Erase the shown customer for good (GDPR art. 17), after typing their email exactly."""
        if self.customer_key is None or "@" not in self.customer_email:
            return
        ask_erase(self, self.customer_email, self.customer_name, lambda _result: self.reload())

    def action_mark_bad(self) -> None:
        """Ask for a reason, then mark the highlighted recommendation bad."""
        table = self.query_one("#reco-table", DataTable)
        if not self.recos or self.customer_key is None:
            return
        row = min(max(table.cursor_row, 0), len(self.recos) - 1)
        self.explain_mark(self.customer_key, self.recos[row], self.customer_name or self.customer_key)

    @work(
        thread=True, exclusive=True, group="customers:mark", exit_on_error=False, description="Reading scope"
    )
    def explain_mark(self, customer: str, reco: StoredReco, shown_name: str) -> None:
        """Count what the mark would touch (SQLite, in a thread), then ask."""
        try:
            scope = scope_text(mark_scope(self.app.store, customer, reco.product_key, _config(self.app)))  # type: ignore[attr-defined]
        except KeyError:
            scope = ""

        def done(reason: str | None) -> None:
            if reason is not None:
                self.apply_mark(customer, reco, reason)

        self.app.call_from_thread(
            self.app.push_screen, BadRecoScreen(reco.product_name, shown_name, scope), done
        )

    @work(thread=True, exclusive=True, group="customers:mark", exit_on_error=False, description="Marking bad")
    def apply_mark(self, customer: str, reco: StoredReco, reason: str) -> None:
        """Record the feedback (and recompute that customer) in a thread."""
        mark = mark_bad_undoable(
            self.app.store,  # type: ignore[attr-defined]
            customer,
            reco.product_key,
            reason,
            actor="console",
            config=_config(self.app),
        )
        self.last_mark = mark
        message = t(
            "reco.marked",
            product=printable(reco.product_name),
            customer=printable(customer),
            rule=rule_label(mark.rule),
            before=f"{mark.factor_before:.2f}",
            after=f"{mark.factor_after:.2f}",
        )
        self.app.call_from_thread(self.app.notify, message, markup=False)
        self.app.call_from_thread(self.load_customer, customer)
        self.app.call_from_thread(self.refresh_bindings)

    def action_undo_mark(self) -> None:
        """Take the last mark back (audited)."""
        if self.last_mark is not None:
            self.apply_undo(self.last_mark)

    @work(thread=True, exclusive=True, group="customers:mark", exit_on_error=False, description="Undoing")
    def apply_undo(self, mark: LastMark) -> None:
        """Undo in the store and recompute that customer, in a thread."""
        factors = undo_mark_bad(self.app.store, mark, actor="console", config=_config(self.app))  # type: ignore[attr-defined]
        self.last_mark = None
        if factors is None:
            message = t("undo.mark.gone")
        else:
            message = t(
                "undo.mark.done",
                product=printable(mark.product_name),
                customer=printable(mark.customer_key),
                rule=rule_label(mark.rule),
                before=f"{factors[0]:.2f}",
                after=f"{factors[1]:.2f}",
            )
        self.app.call_from_thread(self.app.notify, message, markup=False)
        if self.customer_key == mark.customer_key:
            self.app.call_from_thread(self.load_customer, mark.customer_key)
        self.app.call_from_thread(self.refresh_bindings)

    @work(
        thread=True,
        exclusive=True,
        group="customers:recompute",
        exit_on_error=False,
        description="Recomputing",
    )
    def action_recompute(self) -> None:
        """Recompute what changed, in a thread."""
        recompute(self.app.store, _config(self.app))  # type: ignore[attr-defined]
        self.app.call_from_thread(self.app.notify, t("reco.recomputed"))
        if self.customer_key is not None:
            self.app.call_from_thread(self.load_customer, self.customer_key)


def _key_at(table: DataTable[Any], row: int) -> str | None:
    """The row key shown at ``row`` (the table's order, which a sort may have changed)."""
    if not table.is_valid_row_index(row):
        return None
    value = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
    return None if value is None else str(value)
