"""People: create, read, partial update, delete and ``fetch_by_email`` (WIRE.md §1.3, §1.5)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crmtui.sandbox.copper.errors import ApiError
from crmtui.sandbox.copper.fields import (
    _LIST_KEYS,
    _TEMPLATE,
    _clean_fields,
    email_key,
    join_name,
    split_name,
)
from crmtui.sandbox.copper.state import CopperState


class People(CopperState):
    """The ``/people`` routes."""

    def _person_or_404(self, request: Request) -> dict[str, Any]:
        person = self.people.get(request.path_params["pid"])
        if person is None:
            raise ApiError(404, "Resource not found")
        return person

    async def _create_person(self, request: Request) -> Response:
        fields = _clean_fields(await self._json_object(request), updating=False)
        if not (fields.get("name") or "").strip():
            fields["name"] = join_name(fields.get("first_name"), fields.get("last_name"))
            if not fields["name"]:
                raise ApiError(422, "Invalid input: name is required")
        elif "first_name" not in fields and "last_name" not in fields:
            fields["first_name"], fields["last_name"] = split_name(fields["name"])
        self._check_unique_emails(fields.get("emails", []), None)
        now = self.now()
        while self._next_person_id in self.people:
            self._next_person_id += 1
        pid = self._next_person_id
        self._next_person_id += 1
        person = {**_TEMPLATE, **fields, "id": pid, "date_created": now, "date_modified": now}
        for key in _LIST_KEYS:
            if person[key] is None:
                person[key] = []
        self.people[pid] = person
        for item in person["emails"]:
            self._email_index[email_key(item["email"])] = pid
        self._changed("new", pid)
        return JSONResponse(person)

    async def _get_person(self, request: Request) -> Response:
        return JSONResponse(self._person_or_404(request))

    async def _update_person(self, request: Request) -> Response:
        person = self._person_or_404(request)
        fields = _clean_fields(await self._json_object(request), updating=True)
        if "name" in fields:
            if not (fields["name"] or "").strip():
                raise ApiError(422, "Invalid input: name can't be blank")
            if "first_name" not in fields and "last_name" not in fields:
                fields["first_name"], fields["last_name"] = split_name(fields["name"])
        elif "first_name" in fields or "last_name" in fields:
            # Keep name consistent with its parts (our choice; UNCONFIRMED whether Copper does).
            name = join_name(
                fields.get("first_name", person["first_name"]), fields.get("last_name", person["last_name"])
            )
            if name:
                fields["name"] = name
        if "emails" in fields:
            self._check_unique_emails(fields["emails"], person["id"])
        changes = {k: [person[k], v] for k, v in fields.items() if person[k] != v}
        if changes:
            # An empty body or same values change nothing: no new date_modified, no webhook.
            if "emails" in changes:
                self._unindex(person)
                for item in fields["emails"]:
                    self._email_index[email_key(item["email"])] = person["id"]
            for key, (_, new) in changes.items():
                person[key] = new
            person["date_modified"] = max(self.now(), person["date_modified"] or 0)
            self._changed("update", person["id"], changes)
        return JSONResponse(person)

    async def _delete_person(self, request: Request) -> Response:
        person = self._person_or_404(request)
        self._unindex(person)
        del self.people[person["id"]]
        self._changed("delete", person["id"])
        return JSONResponse({"id": person["id"], "is_deleted": True})

    async def _fetch_by_email(self, request: Request) -> Response:
        body = await self._json_object(request, empty_ok=False)
        email = body.get("email")
        if not isinstance(email, str) or not email.strip():
            raise ApiError(422, "Invalid input: email is required")
        person = self.person_by_email(email)
        if person is None:
            # UNCONFIRMED (WIRE.md §1.3): Copper's answer for no match; a 404 envelope is likely.
            raise ApiError(404, "Resource not found")
        return JSONResponse(person)
