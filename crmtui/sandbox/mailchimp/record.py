"""What the simulator stores: one audience member (compact enough for a million) and one batch."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from crmtui.sandbox.mailchimp.wire import _to_epoch


class Member:
    """One audience member as the simulator stores it (compact: 1,000,000 of them must fit).

    Attribute names follow the API (``email_address``, ``status``, ``merge_fields``, ``last_changed``);
    ``tags`` is a tuple of tag names and times are epoch floats. ``member["status"]`` also works.
    """

    __slots__ = (
        "id",
        "email_address",
        "status",
        "email_type",
        "merge_fields",
        "tags",
        "last_changed",
        "timestamp_signup",
        "timestamp_opt",
        "seq",
        "_x",
    )

    # Rarely set fields live in one optional dict (``_x``) so a million seeded members stay small.
    _RARE: dict[str, Any] = {
        "ip_signup": "",
        "ip_opt": "",
        "language": "",
        "vip": False,
        "prev_status": None,
        "source": "Import",
        "uid": None,
        "unsubscribe_reason": None,
    }

    def __init__(
        self,
        id: str,
        email_address: str,
        status: str,
        merge_fields: dict[str, Any] | None,
        tags: tuple[str, ...],
        last_changed: float,
        seq: int,
        email_type: str = "html",
        timestamp_signup: float | None = None,
        timestamp_opt: float | None = None,
    ) -> None:
        self.id = id
        self.email_address = email_address
        self.status = status
        self.email_type = email_type
        self.merge_fields = merge_fields or None
        self.tags = tags
        self.last_changed = last_changed
        self.timestamp_signup = timestamp_signup
        self.timestamp_opt = timestamp_opt
        self.seq = seq
        self._x: dict[str, Any] | None = None

    def _get(self, name: str) -> Any:
        x = self._x
        return x[name] if x is not None and name in x else self._RARE[name]

    def _set(self, name: str, value: Any) -> None:
        if self._x is None:
            self._x = {}
        self._x[name] = value

    ip_signup = property(lambda self: self._get("ip_signup"), lambda self, v: self._set("ip_signup", v))
    ip_opt = property(lambda self: self._get("ip_opt"), lambda self, v: self._set("ip_opt", v))
    language = property(lambda self: self._get("language"), lambda self, v: self._set("language", v))
    vip = property(lambda self: self._get("vip"), lambda self, v: self._set("vip", v))
    prev_status = property(lambda self: self._get("prev_status"), lambda self, v: self._set("prev_status", v))
    """The status before the member was archived."""
    source = property(lambda self: self._get("source"), lambda self, v: self._set("source", v))
    uid = property(lambda self: self._get("uid"), lambda self, v: self._set("uid", v))
    unsubscribe_reason = property(
        lambda self: self._get("unsubscribe_reason"), lambda self, v: self._set("unsubscribe_reason", v)
    )

    @property
    def unique_email_id(self) -> str:
        """Stable 10-hex id that survives an email change (Mailchimp's ``unique_email_id``)."""
        return self.uid or hashlib.md5(("euid:" + self.id).encode()).hexdigest()[:10]

    @property
    def contact_id(self) -> str:
        """Account-wide contact id (derived from the unique id)."""
        return hashlib.md5(("contact:" + self.unique_email_id).encode()).hexdigest()

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        """Dict-style access to an attribute."""
        return getattr(self, key, default)

    def __repr__(self) -> str:
        return f"Member({self.email_address!r}, status={self.status!r}, tags={list(self.tags)!r})"


_EXTRA_FIELDS = ("language", "vip", "ip_signup", "ip_opt")


def _apply_extra(m: Member, body: Mapping[str, Any]) -> bool:
    """Copy the optional scalar member fields from a request body; True when one changed."""
    changed = False
    for name in _EXTRA_FIELDS:
        if name in body and body[name] is not None and getattr(m, name) != body[name]:
            setattr(m, name, body[name])
            changed = True
    for name in ("timestamp_signup", "timestamp_opt"):
        if body.get(name):
            try:
                value = _to_epoch(body[name])
            except ValueError:
                continue
            if value != getattr(m, name):
                setattr(m, name, value)
                changed = True
    return changed


class _Batch:
    __slots__ = ("id", "operations", "submitted_at", "completed_at", "polls", "results", "status")

    def __init__(self, batch_id: str, operations: list[dict[str, Any]], submitted_at: float) -> None:
        self.id = batch_id
        self.operations = operations
        self.submitted_at = submitted_at
        self.completed_at: float | None = None
        self.polls = 0
        self.results: list[dict[str, Any]] | None = None
        self.status = "pending"
