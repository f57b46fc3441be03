"""Search: domains compiled into predicates (operators, dotted paths, hierarchies, ``active_test``)
and ``order`` strings with PostgreSQL's NULL ordering."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from crmtui.sandbox.odoo.errors import app_error, user_error
from crmtui.sandbox.odoo.models import FieldDef
from crmtui.sandbox.odoo.state import DATE_FMT, DATETIME_FMT, OdooState, Pred, Record

_OPERATORS = {
    "=",
    "!=",
    "<>",
    ">",
    ">=",
    "<",
    "<=",
    "in",
    "not in",
    "like",
    "ilike",
    "not like",
    "not ilike",
    "=like",
    "=ilike",
    "child_of",
    "parent_of",
}
_ORDER_RE = re.compile(r"^\s*([a-z0-9_]+)(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?\s*$", re.IGNORECASE)
_CHARS = {"char", "text", "html", "selection"}
_NUMS = {"integer", "float", "monetary"}


def _empty(value: Any, ftype: str) -> bool:
    if value is None or value is False:
        return True
    return ftype in ("char", "text", "html") and value == ""


def _like_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


class Domains(OdooState):
    """Domain compilation, search and ordering over the stored records."""

    def _search(
        self,
        model: str,
        domain: Any,
        context: Mapping[str, Any],
        offset: Any = 0,
        limit: Any = None,
        order: Any = None,
        *,
        sort: bool = True,
    ) -> list[Record]:
        active_test = context.get("active_test", True) is not False
        pred = self.compile(model, domain, active_test=active_test)
        keys = self._parse_order(model, order) if sort else []
        rows = [r for r in self.records[model].values() if pred(r)]
        if sort:
            rows.sort(key=lambda r: r["id"])
            self._sort(model, rows, keys)
        if offset:
            if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
                raise app_error("ValueError", f"invalid offset {offset!r}")
            rows = rows[offset:]
        if limit not in (None, False):
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise app_error("ValueError", f"invalid limit {limit!r}")
            rows = rows[:limit]
        return rows

    def search_ids(self, model: str, domain: list[Any], *, active_test: bool = True) -> list[int]:
        """In-process search (no ACL, no counters), for tests and data builders."""
        return [r["id"] for r in self._search(model, domain, {"active_test": active_test})]

    def compile(self, model: str, domain: Any, *, active_test: bool = True) -> Pred:
        """Compile an Odoo domain into a predicate over stored records of ``model``."""
        if not isinstance(domain, list | tuple):
            raise app_error("ValueError", f"Invalid domain: {domain!r}")
        items = list(domain)
        if (
            active_test
            and "active" in self.models[model].fields
            and not any(isinstance(t, list | tuple) and len(t) == 3 and t[0] == "active" for t in items)
        ):
            items = ["&", ["active", "=", True], *items] if items else [["active", "=", True]]
        pos = 0

        def expr() -> Pred:
            nonlocal pos
            if pos >= len(items):
                raise app_error("ValueError", f"Domain {list(domain)!r} is syntactically not correct.")
            tok = items[pos]
            pos += 1
            if isinstance(tok, str):
                if tok == "!":
                    a = expr()
                    return lambda r: not a(r)
                if tok in ("&", "|"):
                    a, b = expr(), expr()
                    if tok == "&":
                        return lambda r: a(r) and b(r)
                    return lambda r: a(r) or b(r)
                raise app_error("ValueError", f"Invalid domain operator {tok!r}")
            if isinstance(tok, list | tuple) and len(tok) == 3:
                return self._leaf(model, tuple(tok))
            raise app_error("ValueError", f"Invalid leaf {tok!r}")

        preds: list[Pred] = []
        while pos < len(items):
            preds.append(expr())
        if not preds:
            return lambda r: True
        if len(preds) == 1:
            return preds[0]
        return lambda r: all(p(r) for p in preds)

    def _leaf(self, model: str, leaf: tuple[Any, Any, Any]) -> Pred:
        left, op, right = leaf
        if leaf == (1, "=", 1):
            return lambda r: True
        if leaf == (0, "=", 1):
            return lambda r: False
        if not isinstance(left, str) or not isinstance(op, str):
            raise app_error("ValueError", f"Invalid leaf {list(leaf)!r}")
        op = op.lower()
        if op == "<>":
            op = "!="
        if op not in _OPERATORS:
            raise app_error("ValueError", f"Invalid leaf {list(leaf)!r}: unknown operator {op!r}")
        fields = self.models[model].fields
        path = left.split(".")
        fname = path[0]
        fdef = fields.get(fname)
        if fdef is None:
            raise app_error("ValueError", f"Invalid field {model}.{fname} in leaf {list(leaf)!r}")
        if not fdef.store and not fdef.searchable:
            if self.strict_nonstored:
                raise app_error(
                    "ValueError",
                    f"Non-stored field {model}.{fname} cannot be searched (leaf {list(leaf)!r}).",
                )
            return lambda r: True
        if len(path) > 1:
            if fdef.type not in ("many2one", "many2many"):
                raise app_error("ValueError", f"Invalid field {model}.{left} in leaf {list(leaf)!r}")
            sub = set(self.search_ids(fdef.relation, [[".".join(path[1:]), op, right]], active_test=False))
            if fdef.type == "many2one":
                return lambda r: bool(r.get(fname)) and r.get(fname) in sub
            return lambda r: any(i in sub for i in r.get(fname) or [])
        if fdef.type == "many2one":
            return self._m2o_leaf(model, fname, fdef, op, right)
        if fdef.type == "many2many":
            return self._m2m_leaf(fname, fdef, op, right)
        if op in ("child_of", "parent_of"):
            if fname != "id":
                raise app_error(
                    "ValueError", f"Operator {op} is only supported on 'id' and relational fields"
                )
            ids = self._hierarchy(model, self._as_ids(model, right), op)
            return lambda r: r["id"] in ids
        if fdef.store:

            def get(r: Record) -> Any:
                return r.get(fname, False)

        else:

            def get(r: Record) -> Any:
                return self.value(model, r, fname)

        return _scalar_pred(f"{model}.{fname}", fdef.type, get, op, right)

    def _as_ids(self, model: str, right: Any) -> set[int]:
        vals = right if isinstance(right, list | tuple) else [right]
        out: set[int] = set()
        for v in vals:
            if isinstance(v, int) and not isinstance(v, bool):
                out.add(v)
            elif isinstance(v, str):
                out.update(self._name_match(model, "=", v))
        return out

    def _hierarchy(self, model: str, roots: set[int], op: str) -> set[int]:
        parent = self.models[model].parent_name
        if not parent:
            return set(roots)
        table = self.records[model]
        result = set(roots)
        if op == "child_of":
            frontier = set(roots)
            while frontier:
                nxt = {r["id"] for r in table.values() if r.get(parent) in frontier} - result
                result |= nxt
                frontier = nxt
        else:
            for rid in roots:
                cur = table.get(rid)
                while cur is not None and cur.get(parent) and cur[parent] not in result:
                    result.add(cur[parent])
                    cur = table.get(cur[parent])
        return result

    def _name_match(self, model: str, op: str, value: Any) -> set[int]:
        """Ids of ``model`` whose name / display name (or product code) satisfies ``op value``."""
        if not isinstance(value, str):
            raise app_error("ValueError", f"Invalid value {value!r} for a name search on {model}")
        match = _scalar_pred("name", "char", lambda r: r["n"], op, value)
        out = set()
        for rec in self.records[model].values():
            names = {self.display_name(model, rec), str(rec.get("name") or "")}
            if model == "product.product" and rec.get("default_code"):
                names.add(str(rec["default_code"]))
            if any(match({"n": n}) for n in names):
                out.add(rec["id"])
        return out

    def _m2o_leaf(self, model: str, fname: str, fdef: FieldDef, op: str, right: Any) -> Pred:
        def get(r: Record) -> Any:
            return r.get(fname) or False

        if op in ("child_of", "parent_of"):
            ids = self._hierarchy(fdef.relation, self._as_ids(fdef.relation, right), op)
            return lambda r: get(r) in ids
        if op in ("=", "!=", "in", "not in"):
            vals = right if op in ("in", "not in") and isinstance(right, list | tuple) else [right]
            has_empty = any(v is False or v is None for v in vals)
            ids = set[int]()
            for v in vals:
                if v is False or v is None:
                    continue
                if isinstance(v, int) and not isinstance(v, bool):
                    ids.add(v)
                elif isinstance(v, str):
                    ids |= self._name_match(fdef.relation, "=", v)
                else:
                    raise app_error("ValueError", f"Invalid value {v!r} for many2one {model}.{fname}")
            positive = op in ("=", "in")

            def inside(r: Record) -> bool:
                v = get(r)
                return (not v and has_empty) or (bool(v) and v in ids)

            return inside if positive else (lambda r: not inside(r))
        if op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
            if right is False or right is None:
                raise app_error("ValueError", f"Invalid value {right!r} for operator {op}")
            negative = op.startswith("not ")
            ids = self._name_match(fdef.relation, op[4:] if negative else op, right)
            if negative:
                return lambda r: not get(r) or get(r) not in ids
            return lambda r: bool(get(r)) and get(r) in ids
        # comparisons on the raw id
        return _scalar_pred(f"{model}.{fname}", "integer", get, op, right)

    def _m2m_leaf(self, fname: str, fdef: FieldDef, op: str, right: Any) -> Pred:
        def get(r: Record) -> list[int]:
            return list(r.get(fname) or [])

        if op in ("=", "!=", "in", "not in"):
            vals = right if isinstance(right, list | tuple) else [right]
            if not vals or all(v is False or v is None for v in vals):
                ids: set[int] = set()
                empty_match = True
            else:
                ids = set()
                empty_match = any(v is False or v is None for v in vals)
                for v in vals:
                    if isinstance(v, str):
                        ids |= self._name_match(fdef.relation, "=", v)
                    elif isinstance(v, int) and not isinstance(v, bool):
                        ids.add(v)

            def inside(r: Record) -> bool:
                cur = get(r)
                return (not cur and empty_match) or any(i in ids for i in cur)

            return inside if op in ("=", "in") else (lambda r: not inside(r))
        if op in ("child_of", "parent_of"):
            ids = self._hierarchy(fdef.relation, self._as_ids(fdef.relation, right), op)
            return lambda r: any(i in ids for i in get(r))
        if op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
            negative = op.startswith("not ")
            ids = self._name_match(fdef.relation, op[4:] if negative else op, right)
            if negative:
                return lambda r: not any(i in ids for i in get(r))
            return lambda r: any(i in ids for i in get(r))
        raise app_error("ValueError", f"Operator {op} is not supported on many2many field {fname}")

    # ---- order ------------------------------------------------------------------------------------------

    def _parse_order(self, model: str, order: Any) -> list[tuple[str, bool, str | None]]:
        mdef = self.models[model]
        spec = order if order else mdef.order
        if not isinstance(spec, str):
            raise user_error(f'Invalid "order" specified ({spec!r}).')
        keys: list[tuple[str, bool, str | None]] = []
        for part in spec.split(","):
            m = _ORDER_RE.match(part)
            if not m:
                raise user_error(
                    f'Invalid "order" specified ({spec}). A valid "order" specification is a comma-separated '
                    "list of valid field names (optionally followed by asc/desc for the direction)"
                )
            fname, direction, nulls = m.group(1), (m.group(2) or "asc").lower(), m.group(3)
            fdef = mdef.fields.get(fname)
            if fdef is None:
                raise app_error("ValueError", f"Invalid field {fname!r} on model {model!r}")
            if not fdef.store or not fdef.sortable:
                raise app_error(
                    "ValueError", f"Cannot convert {model}.{fname} to SQL because it is not stored"
                )
            keys.append((fname, direction == "desc", nulls.lower() if nulls else None))
        return keys

    def _sort(self, model: str, rows: list[Record], keys: list[tuple[str, bool, str | None]]) -> None:
        fields = self.models[model].fields
        for fname, desc, nulls in reversed(keys):
            fdef = fields[fname]
            # PostgreSQL: NULLS LAST when ascending, NULLS FIRST when descending.
            null_big = nulls is None or (nulls == "last" and not desc) or (nulls == "first" and desc)
            null_flag, value_flag = (1, 0) if null_big else (0, 1)
            relation = fdef.relation if fdef.type == "many2one" else ""

            def key(
                r: Record,
                fname: str = fname,
                relation: str = relation,
                ftype: str = fdef.type,
                null_flag: int = null_flag,
                value_flag: int = value_flag,
            ) -> tuple[int, Any]:
                v = r.get(fname, False)
                if relation:
                    target = self.records[relation].get(v) if v else None
                    if target is None:
                        return (null_flag, 0)
                    return (value_flag, (self.display_name(relation, target), v))
                if v is None or (v is False and ftype != "boolean"):
                    return (null_flag, 0)
                if ftype == "many2many":
                    return (value_flag, tuple(v))
                return (value_flag, v)

            rows.sort(key=key, reverse=desc)


def _scalar_pred(where: str, ftype: str, get: Callable[[Record], Any], op: str, right: Any) -> Pred:
    """Predicate for one leaf on a scalar field (PostgreSQL NULL semantics)."""

    def norm(v: Any) -> Any:
        if ftype in _NUMS:
            if isinstance(v, bool):
                return int(v)
            if isinstance(v, int | float):
                return v
            if isinstance(v, str):
                try:
                    return float(v)
                except ValueError:
                    pass
            raise app_error("ValueError", f"Invalid value {v!r} for numeric field {where}")
        if ftype in ("date", "datetime"):
            if isinstance(v, datetime):
                v = v.strftime(DATETIME_FMT)
            elif isinstance(v, date):
                v = v.strftime(DATE_FMT)
            if not isinstance(v, str):
                raise app_error("ValueError", f"Invalid value {v!r} for date field {where}")
            if ftype == "datetime" and len(v) == 10:
                return v + " 00:00:00.000000"
            if ftype == "datetime" and len(v) == 19:
                return v + ".000000"  # PostgreSQL reads a whole second as .000000
            if ftype == "date" and len(v) > 10:
                return v[:10]
            return v
        if ftype in _CHARS:
            if not isinstance(v, str):
                raise app_error(
                    "psycopg2.errors.UndefinedFunction",
                    f"operator does not exist: character varying = {type(v).__name__} (field {where})",
                )
            return v
        return v

    def empty(v: Any) -> bool:
        return _empty(v, ftype)

    if ftype == "boolean" and op in ("=", "!=", "in", "not in"):
        vals = right if isinstance(right, list | tuple) else [right]
        wanted = {bool(v) for v in vals}
        if op in ("=", "in"):
            return lambda r: bool(get(r)) in wanted
        return lambda r: bool(get(r)) not in wanted

    if op in ("=", "!="):
        if right is False or right is None:
            if op == "=":
                return lambda r: empty(get(r))
            return lambda r: not empty(get(r))
        rv = norm(right)
        if op == "=":
            return lambda r: not empty(v := get(r)) and v == rv
        return lambda r: empty(v := get(r)) or v != rv

    if op in ("in", "not in"):
        vals = right if isinstance(right, list | tuple) else [right]
        has_empty = any(v is False or v is None for v in vals)
        wanted_set = {norm(v) for v in vals if v is not False and v is not None}

        def inside(r: Record) -> bool:
            v = get(r)
            return has_empty if empty(v) else v in wanted_set

        return inside if op == "in" else (lambda r: not inside(r))

    if op in (">", ">=", "<", "<="):
        if right is False or right is None:
            return lambda r: False
        rv = norm(right)
        cmp: Callable[[Any, Any], bool] = {
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
        }[op]
        return lambda r: not empty(v := get(r)) and cmp(v, rv)

    if op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
        if right is False or right is None:
            right = ""
        pattern = str(right) if op.startswith("=") else f"%{right}%"
        rx = _like_regex(pattern, ignore_case="ilike" in op)
        if op.startswith("not "):
            return lambda r: empty(v := get(r)) or not rx.fullmatch(str(v))
        return lambda r: not empty(v := get(r)) and rx.fullmatch(str(v)) is not None

    raise app_error("ValueError", f"Operator {op} is not supported on field {where}")
