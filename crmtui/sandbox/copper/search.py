"""``POST /people/search``: AND-combined filters, sorting, paging and the 100,000-record cap (WIRE.md §1.4)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crmtui.sandbox.copper.errors import ApiError
from crmtui.sandbox.copper.fields import email_key
from crmtui.sandbox.copper.state import CopperState

SORT_FIELDS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "title",
        "email",
        "phone",
        "date_modified",
        "date_created",
        "city",
        "state",
        "country",
        "zip",
    }
)


def _first(items: list[dict[str, Any]], key: str) -> str | None:
    return items[0].get(key) if items else None


def _text_key(value: Any) -> tuple[int, str]:
    # Case-insensitive, empty values last in ascending order. UNCONFIRMED: Copper's collation.
    if value is None or value == "":
        return (1, "")
    return (0, str(value).casefold())


def _address_part(part: str) -> Callable[[dict[str, Any]], tuple[int, str]]:
    def key(p: dict[str, Any]) -> tuple[int, str]:
        address = p["address"]
        return _text_key(address.get(part) if address else None)

    return key


_SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "name": lambda p: _text_key(p["name"]),
    "first_name": lambda p: _text_key(p["first_name"]),
    "last_name": lambda p: _text_key(p["last_name"]),
    "title": lambda p: _text_key(p["title"]),
    "email": lambda p: _text_key(_first(p["emails"], "email")),
    "phone": lambda p: _text_key(_first(p["phone_numbers"], "number")),
    "date_modified": lambda p: p["date_modified"] or 0,
    "date_created": lambda p: p["date_created"] or 0,
    "city": _address_part("city"),
    "state": _address_part("state"),
    "country": _address_part("country"),
    "zip": _address_part("postal_code"),
}


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


class Search(CopperState):
    """The search route and its cached, compiled filters."""

    async def _search_people(self, request: Request) -> Response:
        body = await self._json_object(request)
        page_number = body.get("page_number", 1)
        page_size = body.get("page_size", 20)
        for label, value in (("page_number", page_number), ("page_size", page_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ApiError(422, f"Invalid input: {label} must be a positive integer")
        if page_size > self.page_size_max:
            if self.page_size_policy == "reject":
                raise ApiError(422, f"Invalid input: page_size must be at most {self.page_size_max}")
            page_size = self.page_size_max
        matches = self._matching_ids(body)
        start = (page_number - 1) * page_size
        end = min(start + page_size, self.search_cap)
        page = [self.people[pid] for pid in matches[start:end]] if start < end else []
        # X-PW-TOTAL counts every match, past the 100,000 cap too, so a client can tell more remain
        # (WIRE.md §1.4 calls it an upper bound; UNCONFIRMED whether Copper caps it).
        return JSONResponse(page, headers={"X-PW-TOTAL": str(len(matches))})

    def _matching_ids(self, body: dict[str, Any]) -> list[int]:
        """Ids matching the filters, sorted; cached per query until the next change."""
        query = {k: v for k, v in body.items() if k not in ("page_number", "page_size")}
        key = json.dumps(query, sort_keys=True, default=str)
        cached = self._search_cache.get(key)
        if cached is not None:
            return cached
        sort_by = query.get("sort_by", "first_name")
        direction = query.get("sort_direction", "asc")
        if sort_by not in SORT_FIELDS:
            raise ApiError(422, f"Invalid input: cannot sort by {sort_by!r}")
        if direction not in ("asc", "desc"):
            raise ApiError(422, "Invalid input: sort_direction must be asc or desc")
        candidates, checks = self._compile_filters(query)
        people = self.people
        pool = people.values() if candidates is None else (people[i] for i in candidates if i in people)
        if checks:
            found = [p for p in pool if all(check(p) for check in checks)]
        else:
            found = list(pool)
        field_key = _SORT_KEYS[sort_by]
        # Ties break on id so paging is stable (and cursors on date_modified can de-duplicate).
        found.sort(key=lambda p: (field_key(p), p["id"]), reverse=direction == "desc")
        ids = [p["id"] for p in found]
        if len(self._search_cache) >= 64:
            self._search_cache.pop(next(iter(self._search_cache)))
        self._search_cache[key] = ids
        return ids

    def _compile_filters(
        self, query: dict[str, Any]
    ) -> tuple[list[int] | None, list[Callable[[dict[str, Any]], bool]]]:
        """Turn the search body into an optional candidate id list plus AND-ed predicates.

        Supported: ids, emails, name, phone_number, tags, city, state, postal_code, country,
        contact_type_ids, assignee_ids, company_ids (-2 = none), minimum_/maximum_ modified,
        created, interaction_count and interaction_date. Other documented filters (followed,
        age, opportunity_ids, custom fields) are accepted and ignored: the simulator has no data
        for them.
        """
        candidates: list[int] | None = None
        checks: list[Callable[[dict[str, Any]], bool]] = []

        def str_list(name: str) -> list[str] | None:
            value = query.get(name)
            if value is None:
                return None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ApiError(422, f"Invalid input: {name} must be an array of strings")
            return value

        def int_list(name: str) -> list[int] | None:
            value = query.get(name)
            if value is None:
                return None
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise ApiError(422, f"Invalid input: {name} must be an array of integers")
            return value

        def number(name: str) -> float | None:
            value = query.get(name)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ApiError(422, f"Invalid input: {name} must be a number")
            return value

        ids = int_list("ids")
        if ids is not None:
            candidates = list(dict.fromkeys(ids))
        emails = str_list("emails")
        if emails is not None:
            # Matched like fetch_by_email: trimmed and case-insensitive (our choice, UNCONFIRMED).
            # Every person holding one of the addresses, legacy duplicates included: "filter to people
            # with any of these email addresses" (Copper's POST /people/search ``emails`` filter, as
            # documented for integrators, e.g. glama.ai's Copper connector reference).
            owners = [
                o
                for e in emails
                for o in (self._email_index.get(email_key(e)), *self._shared.get(email_key(e), []))
            ]
            by_email = [o for o in dict.fromkeys(owners) if o is not None]
            if candidates is None:
                candidates = by_email
            else:
                keep = set(by_email)
                candidates = [i for i in candidates if i in keep]

        name = query.get("name")
        if name is not None:
            if not isinstance(name, str):
                raise ApiError(422, "Invalid input: name must be a string")
            # Case-insensitive substring of the full name (UNCONFIRMED: Copper's matching rule).
            needle = name.strip().casefold()
            checks.append(lambda p: needle in (p["name"] or "").casefold())
        phone = query.get("phone_number")
        if phone is not None:
            if not isinstance(phone, str):
                raise ApiError(422, "Invalid input: phone_number must be a string")
            wanted = _digits(phone)
            checks.append(lambda p: any(wanted in _digits(n.get("number") or "") for n in p["phone_numbers"]))
        tags = str_list("tags")
        if tags:
            # At least one of the tags, compared exactly as strings (WIRE.md §1.4). An empty list
            # is no filter: the "empty value" search syntax is UNCONFIRMED.
            wanted_tags = frozenset(tags)
            checks.append(lambda p: not wanted_tags.isdisjoint(p["tags"]))
        for field, part in (
            ("city", "city"),
            ("state", "state"),
            ("postal_code", "postal_code"),
            ("country", "country"),
        ):
            value = query.get(field)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ApiError(422, f"Invalid input: {field} must be a string")
            target = value.strip().casefold()

            def by_address(p: dict[str, Any], part: str = part, target: str = target) -> bool:
                # "" matches people with no value (the documented empty-value filter).
                actual = ((p["address"] or {}).get(part) or "").strip().casefold()
                return actual == target

            checks.append(by_address)
        for field, attr in (
            ("contact_type_ids", "contact_type_id"),
            ("assignee_ids", "assignee_id"),
            ("company_ids", "company_id"),
        ):
            values = int_list(field)
            if values is None:
                continue
            allowed = {None if v == -2 else v for v in values}

            def by_id(p: dict[str, Any], attr: str = attr, allowed: set[int | None] = allowed) -> bool:
                return p[attr] in allowed

            checks.append(by_id)
        for field, attr in (
            ("modified_date", "date_modified"),
            ("created_date", "date_created"),
            ("interaction_count", "interaction_count"),
            ("interaction_date", "date_last_contacted"),
        ):
            low, high = number(f"minimum_{field}"), number(f"maximum_{field}")
            if low is not None:

                def above(p: dict[str, Any], attr: str = attr, low: float = low) -> bool:
                    return p[attr] is not None and p[attr] >= low

                checks.append(above)
            if high is not None:

                def below(p: dict[str, Any], attr: str = attr, high: float = high) -> bool:
                    return p[attr] is not None and p[attr] <= high

                checks.append(below)
        return candidates, checks
