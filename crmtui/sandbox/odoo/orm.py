"""The ORM methods ``execute_kw`` reaches (search, read, fields_get, create, write, unlink): validation
of written values, stored computed fields and their cascades, ``ondelete`` rules."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from crmtui.sandbox.odoo.domains import Domains, _empty
from crmtui.sandbox.odoo.errors import OdooError, app_error, user_error
from crmtui.sandbox.odoo.models import FieldDef
from crmtui.sandbox.odoo.state import DATE_FMT, DATETIME_FMT, DEFAULT_UID, STORED_FMT, TAX_RATE, Record


class Orm(Domains):
    """The model methods and what they do to the stored records."""

    def load(self, model: str, records: Iterable[Mapping[str, Any]]) -> list[int]:
        """Seed records directly, bypassing ACLs but not validation.

        Each mapping may carry ``id``, ``create_date`` and ``write_date`` (otherwise the id is the
        next in sequence and both dates are the clock). Many2one values are ids; many2many a list of
        ids. Stored computed fields are filled in.

        Returns:
            The ids, in input order.
        """
        ids = [self._create_one(model, dict(vals), seeding=True) for vals in records]
        self._after_load(model, ids)
        return ids

    # ---- ORM methods ------------------------------------------------------------------------------

    def _m_search(
        self,
        model: str,
        context: dict[str, Any],
        domain: Any = None,
        offset: Any = 0,
        limit: Any = None,
        order: Any = None,
    ) -> list[int]:
        return [r["id"] for r in self._search(model, domain or [], context, offset, limit, order)]

    def _m_search_count(
        self, model: str, context: dict[str, Any], domain: Any = None, limit: Any = None
    ) -> int:
        return len(self._search(model, domain or [], context, 0, limit, None, sort=False))

    def _m_read(
        self,
        model: str,
        context: dict[str, Any],
        ids: Any = None,
        fields: Any = None,
        load: Any = "_classic_read",
    ) -> list[Record]:
        ids = self._ids(ids)
        names = self._field_names(model, fields)
        table = self.records[model]
        # Ids that no longer exist are left out, not a fault (measured on Odoo 17, WIRE §3.3).
        return [self._present(model, table[i], names) for i in ids if i in table]

    def _m_search_read(
        self,
        model: str,
        context: dict[str, Any],
        domain: Any = None,
        fields: Any = None,
        offset: Any = 0,
        limit: Any = None,
        order: Any = None,
    ) -> list[Record]:
        names = self._field_names(model, fields)
        return [
            self._present(model, r, names)
            for r in self._search(model, domain or [], context, offset, limit, order)
        ]

    def _m_fields_get(
        self, model: str, context: dict[str, Any], allfields: Any = None, attributes: Any = None
    ) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, fdef in self.models[model].fields.items():
            if allfields and name not in allfields:
                continue
            desc: dict[str, Any] = {
                "name": name,
                "type": fdef.type,
                "string": fdef.string,
                "help": fdef.help or False,
                "required": fdef.required,
                "readonly": fdef.readonly,
                "store": fdef.store,
                "searchable": fdef.searchable,
                "sortable": fdef.sortable and fdef.store,
                "manual": name.startswith("x_"),
            }
            if fdef.relation:
                desc["relation"] = fdef.relation
            if fdef.type == "selection":
                desc["selection"] = [list(p) for p in fdef.selection]
            if attributes:
                desc = {k: v for k, v in desc.items() if k in attributes}
            out[name] = desc
        return out

    def _m_create(self, model: str, context: dict[str, Any], vals: Any = None) -> int | list[int]:
        if isinstance(vals, list):
            for v in vals:  # all or nothing: check every row before creating any
                self._precheck(model, self._vals(v))
            ids = [self._create_one(model, v) for v in vals]
            for i in ids:
                self._cascade(model, i)
            return ids
        rid = self._create_one(model, self._vals(vals))
        self._cascade(model, rid)
        return rid

    def _m_write(self, model: str, context: dict[str, Any], ids: Any = None, vals: Any = None) -> bool:
        ids = self._ids(ids)
        vals = self._vals(vals)
        table = self.records[model]
        missing = [i for i in ids if i not in table]
        if missing:
            raise self._missing(model, missing)
        clean = self._validate(model, vals, creating=False)
        stamp = self.stamp()
        for rid in ids:
            rec = table[rid]
            rec.update(clean)
            rec["write_date"] = stamp
            self._recompute(model, rec)
        for rid in ids:
            self._cascade(model, rid)
        return True

    def _m_unlink(self, model: str, context: dict[str, Any], ids: Any = None) -> bool:
        ids = self._ids(ids)
        table = self.records[model]
        missing = [i for i in ids if i not in table]
        if missing:
            raise self._missing(model, missing)
        if model == "sale.order":
            for rid in ids:
                if table[rid].get("state") == "sale":
                    raise user_error(
                        "You can not delete a sent quotation or a confirmed sales order. You must first cancel it."
                    )
        self._delete(model, set(ids))
        return True

    # ---- argument helpers -------------------------------------------------------------------------

    @staticmethod
    def _ids(ids: Any) -> list[int]:
        if isinstance(ids, int) and not isinstance(ids, bool):
            return [ids]
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise app_error("TypeError", f"ids must be a list of integers, got {ids!r}")
        return ids

    @staticmethod
    def _vals(vals: Any) -> dict[str, Any]:
        if not isinstance(vals, dict):
            raise app_error("TypeError", f"values must be a dictionary, got {type(vals).__name__}")
        return vals

    def _missing(self, model: str, ids: list[int]) -> OdooError:
        shown = ", ".join(str(i) for i in ids)
        return user_error(
            f"Record does not exist or has been deleted.\n(Record: {model}({shown},), User: {DEFAULT_UID})"
        )

    def _field_names(self, model: str, fields: Any) -> list[str]:
        mdef = self.models[model]
        if not fields:
            return list(mdef.fields)
        if not isinstance(fields, list) or not all(isinstance(n, str) for n in fields):
            raise app_error("TypeError", f"fields must be a list of field names, got {fields!r}")
        for name in fields:
            if name not in mdef.fields:
                raise app_error("ValueError", f"Invalid field {name!r} on model {model!r}")
        return ["id", *[n for n in fields if n != "id"]]

    # ---- create / validate -----------------------------------------------------------------------

    def _validate(
        self, model: str, vals: Mapping[str, Any], *, creating: bool, seeding: bool = False
    ) -> Record:
        mdef = self.models[model]
        clean: Record = {}
        for name, val in vals.items():
            fdef = mdef.fields.get(name)
            if fdef is None:
                raise user_error(f"Invalid field '{name}' on model '{model}'.")
            if seeding and name in ("id", "create_date", "write_date"):
                clean[name] = self._convert(model, name, fdef, val) if name != "id" else val
                continue
            if model == "product.product" and name == "lst_price":
                name, fdef = "list_price", mdef.fields["list_price"]
            elif fdef.readonly:
                raise user_error(
                    f"The field '{fdef.string}' ({model}.{name}) is read-only and cannot be written."
                )
            clean[name] = self._convert(model, name, fdef, val)
        if creating:
            for name, fdef in mdef.fields.items():
                if name in clean or not fdef.store or fdef.readonly:
                    continue
                clean[name] = fdef.default(self) if callable(fdef.default) else fdef.default
            for name, fdef in mdef.fields.items():
                if fdef.required and _empty(clean.get(name, False), fdef.type):
                    raise user_error(
                        "The operation cannot be completed:\n"
                        f"- Create/update: a mandatory field is not set.\n"
                        f"Model: {mdef.description} ({model})\nField: {fdef.string} ({name})"
                    )
        else:
            for name, val in clean.items():
                fdef = mdef.fields[name]
                if fdef.required and _empty(val, fdef.type):
                    raise user_error(
                        "The operation cannot be completed:\n"
                        f"- Create/update: a mandatory field is not set.\n"
                        f"Model: {mdef.description} ({model})\nField: {fdef.string} ({name})"
                    )
        return clean

    def _precheck(self, model: str, vals: Mapping[str, Any]) -> None:
        self._validate(model, vals, creating=False)
        for name, fdef in self.models[model].fields.items():
            if fdef.required and name not in vals and not fdef.default:
                raise user_error(
                    "The operation cannot be completed:\n"
                    "- Create/update: a mandatory field is not set.\n"
                    f"Model: {self.models[model].description} ({model})\nField: {fdef.string} ({name})"
                )

    def _convert(self, model: str, name: str, fdef: FieldDef, val: Any) -> Any:
        where = f"{model}.{name}"
        t = fdef.type
        if t == "boolean":
            return bool(val)
        if val is False or val is None:
            return [] if t == "many2many" else False
        if t in ("char", "text", "html"):
            if not isinstance(val, str):
                raise user_error(f"Wrong value for {where}: {val!r} is not a text.")
            return val
        if t == "integer":
            if isinstance(val, bool) or not isinstance(val, int):
                raise user_error(f"Wrong value for {where}: {val!r} is not an integer.")
            return val
        if t in ("float", "monetary"):
            if isinstance(val, bool) or not isinstance(val, int | float):
                raise user_error(f"Wrong value for {where}: {val!r} is not a number.")
            return float(val)
        if t == "selection":
            if val not in {k for k, _ in fdef.selection}:
                raise user_error(f"Wrong value for {where}: {val!r}")
            return val
        if t == "date":
            try:
                return datetime.strptime(str(val)[:10], DATE_FMT).strftime(DATE_FMT)
            except ValueError as exc:
                raise user_error(f"Wrong value for {where}: {val!r} is not a date (YYYY-MM-DD).") from exc
        if t == "datetime":
            text = val if isinstance(val, str) else ""
            for fmt in (STORED_FMT, DATETIME_FMT, DATE_FMT):
                try:
                    return datetime.strptime(text, fmt).strftime(STORED_FMT)
                except ValueError:
                    continue
            raise user_error(f"Wrong value for {where}: {val!r} is not a datetime (YYYY-MM-DD HH:MM:SS).")
        if t == "many2one":
            if isinstance(val, list | tuple) and val:
                val = val[0]
            if isinstance(val, bool) or not isinstance(val, int) or val not in self.records[fdef.relation]:
                raise user_error(
                    f"Wrong value for {where}: {val!r} is not an existing {fdef.relation} record."
                )
            return val
        if t == "many2many":
            return self._m2m_commands(where, fdef, val, [])
        raise user_error(f"Field {where} cannot be written.")

    def _m2m_commands(self, where: str, fdef: FieldDef, val: Any, current: list[int]) -> list[int]:
        if not isinstance(val, list):
            raise user_error(f"Wrong value for {where}: {val!r}")
        ids = list(current)
        table = self.records[fdef.relation]
        for cmd in val:
            if isinstance(cmd, int) and not isinstance(cmd, bool):
                cmd = [4, cmd]
            if not isinstance(cmd, list | tuple) or not cmd:
                raise user_error(f"Wrong value for {where}: {cmd!r} is not a command.")
            op = cmd[0]
            if op == 6:
                ids = list(cmd[2]) if len(cmd) > 2 else []
            elif op == 5:
                ids = []
            elif op == 4 and len(cmd) > 1:
                if cmd[1] not in ids:
                    ids.append(cmd[1])
            elif op in (3, 2) and len(cmd) > 1:
                ids = [i for i in ids if i != cmd[1]]
            else:
                raise user_error(f"Wrong value for {where}: unsupported command {cmd!r}.")
        for i in ids:
            if i not in table:
                raise user_error(f"Wrong value for {where}: {i!r} is not an existing {fdef.relation} record.")
        return ids

    def _create_one(self, model: str, vals: dict[str, Any], *, seeding: bool = False) -> int:
        clean = self._validate(model, vals, creating=True, seeding=seeding)
        table = self.records[model]
        rid = clean.pop("id", None) if seeding else None
        if rid is None:
            rid = self._next_id[model]
        elif rid in table:
            raise user_error(f"{model} record {rid} already exists.")
        self._next_id[model] = max(self._next_id[model], rid + 1)
        stamp = self.stamp()
        rec: Record = {"id": rid, **clean}
        rec.setdefault("create_date", stamp)
        rec.setdefault("write_date", stamp)
        if model == "sale.order":
            m = re.fullmatch(r"S(\d+)", str(rec.get("name")))
            if m:
                self._so_seq = max(self._so_seq, int(m.group(1)))
        table[rid] = rec
        self._recompute(model, rec)
        return rid

    def _next_so_name(self) -> str:
        self._so_seq += 1
        return f"S{self._so_seq:05d}"

    # ---- stored computed fields ------------------------------------------------------------------

    def _chain_name(self, model: str, rec: Record, parent: str, sep: str) -> str:
        names = [str(rec.get("name") or "")]
        seen = {rec["id"]}
        table = self.records[model]
        cur = table.get(rec.get(parent) or 0)
        while cur is not None and cur["id"] not in seen:
            seen.add(cur["id"])
            names.append(str(cur.get("name") or ""))
            cur = table.get(cur.get(parent) or 0)
        return sep.join(reversed(names))

    def _recompute(self, model: str, rec: Record) -> None:
        if model == "product.category":
            rec["complete_name"] = self._chain_name(model, rec, "parent_id", " / ")
        elif model == "stock.location":
            rec["complete_name"] = self._chain_name(model, rec, "location_id", "/")
        elif model == "res.partner":
            parent = self.records[model].get(rec.get("parent_id") or 0)
            if parent is not None and not rec.get("is_company"):
                rec["complete_name"] = f"{parent.get('name')}, {rec.get('name')}"
            else:
                rec["complete_name"] = rec.get("name") or ""
            top, seen = rec, {rec["id"]}
            while not top.get("is_company") and top.get("parent_id") and top["parent_id"] not in seen:
                nxt = self.records[model].get(top["parent_id"])
                if nxt is None:
                    break
                seen.add(nxt["id"])
                top = nxt
            rec["commercial_partner_id"] = top["id"]
        elif model == "sale.order.line":
            qty = float(rec.get("product_uom_qty") or 0.0)
            price = float(rec.get("price_unit") or 0.0)
            disc = float(rec.get("discount") or 0.0)
            sub = round(qty * price * (1 - disc / 100.0), 2)
            tax = round(sub * TAX_RATE, 2)
            rec["price_subtotal"], rec["price_tax"], rec["price_total"] = sub, tax, round(sub + tax, 2)
            order = self.records["sale.order"].get(rec.get("order_id") or 0)
            rec["order_partner_id"] = order.get("partner_id", False) if order else False
            rec["state"] = order.get("state", False) if order else False
        elif model == "sale.order":
            rec.setdefault("amount_untaxed", 0.0)
            rec.setdefault("amount_tax", 0.0)
            rec.setdefault("amount_total", 0.0)

    def _order_totals(self, order: Record, lines: Iterable[Record]) -> dict[str, float]:
        untaxed = tax = 0.0
        for line in lines:
            untaxed += float(line.get("price_subtotal") or 0.0)
            tax += float(line.get("price_tax") or 0.0)
        return {
            "amount_untaxed": round(untaxed, 2),
            "amount_tax": round(tax, 2),
            "amount_total": round(untaxed + tax, 2),
        }

    def _touch_if_changed(self, rec: Record, new: Record, stamp: str) -> None:
        if any(rec.get(k) != v for k, v in new.items()):
            rec.update(new)
            rec["write_date"] = stamp

    def _cascade(self, model: str, rid: int) -> None:
        """Propagate a change of ``model``/``rid`` to stored computed fields of other records."""
        stamp = self.stamp()
        if model == "sale.order.line":
            line = self.records[model].get(rid)
            if line:
                self._refresh_order(line.get("order_id"), stamp)
        elif model == "sale.order":
            order = self.records[model].get(rid)
            if order is None:
                return
            for line in self.records["sale.order.line"].values():
                if line.get("order_id") == rid:
                    self._touch_if_changed(
                        line,
                        {"state": order.get("state"), "order_partner_id": order.get("partner_id")},
                        stamp,
                    )
        elif model in ("product.category", "stock.location", "res.partner"):
            for other in self.records[model].values():
                if other["id"] != rid:
                    before = (other.get("complete_name"), other.get("commercial_partner_id"))
                    self._recompute(model, other)
                    if (other.get("complete_name"), other.get("commercial_partner_id")) != before:
                        other["write_date"] = stamp

    def _refresh_order(self, order_id: Any, stamp: str) -> None:
        order = self.records["sale.order"].get(order_id or 0)
        if order is None:
            return
        lines = (ln for ln in self.records["sale.order.line"].values() if ln.get("order_id") == order_id)
        self._touch_if_changed(order, self._order_totals(order, lines), stamp)

    def _after_load(self, model: str, ids: list[int]) -> None:
        if model == "sale.order.line":
            by_order: dict[int, list[Record]] = {}
            for line in self.records[model].values():
                by_order.setdefault(line.get("order_id") or 0, []).append(line)
            touched = {self.records[model][i].get("order_id") for i in ids}
            for oid in touched:
                order = self.records["sale.order"].get(oid or 0)
                if order is not None:
                    order.update(self._order_totals(order, by_order.get(oid or 0, [])))
        elif model in ("product.category", "stock.location", "res.partner"):
            for rec in self.records[model].values():
                self._recompute(model, rec)

    # ---- unlink ------------------------------------------------------------------------------------

    def _delete(self, model: str, ids: set[int]) -> None:
        """Unlink ``ids`` with the ORM's ``ondelete`` rules; all or nothing."""
        plan: dict[str, set[int]] = {}
        self._plan_delete(model, set(ids), plan)
        stamp = self.stamp()
        orders = {
            line.get("order_id")
            for lid in plan.get("sale.order.line", set())
            if (line := self.records["sale.order.line"].get(lid)) is not None
        }
        for name, doomed in plan.items():
            for rid in doomed:
                self.records[name].pop(rid, None)
        for other_name, other in self.models.items():
            for fname, fdef in other.fields.items():
                doomed = plan.get(fdef.relation, set())
                if not doomed or not fdef.store:
                    continue
                for r in self.records[other_name].values():
                    if fdef.type == "many2one" and r.get(fname) in doomed:
                        r[fname] = False
                        if not fdef.readonly:
                            r["write_date"] = stamp
                    elif fdef.type == "many2many" and any(i in doomed for i in r.get(fname) or []):
                        r[fname] = [i for i in r[fname] if i not in doomed]
        for oid in orders:
            self._refresh_order(oid, stamp)

    def _plan_delete(self, model: str, ids: set[int], plan: dict[str, set[int]]) -> None:
        new = ids - plan.get(model, set())
        if not new:
            return
        plan.setdefault(model, set()).update(new)
        for other_name, other in self.models.items():
            for fname, fdef in other.fields.items():
                if fdef.type != "many2one" or fdef.relation != model or not fdef.store or fdef.readonly:
                    continue
                ondelete = fdef.ondelete or ("restrict" if fdef.required else "set null")
                if ondelete == "set null":
                    continue
                refs = {r["id"] for r in self.records[other_name].values() if r.get(fname) in new}
                refs -= plan.get(other_name, set())
                if not refs:
                    continue
                if ondelete == "cascade":
                    self._plan_delete(other_name, refs, plan)
                else:
                    raise user_error(
                        "The operation cannot be completed: another model requires the record being deleted. "
                        "If possible, archive it instead.\n\n"
                        f"Model: {other.description} ({other_name}), "
                        f"Constraint: {other_name.replace('.', '_')}_{fname}_fkey"
                    )
