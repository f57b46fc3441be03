"""The ``common`` service: version, authenticate/login against the API users, and the database check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crmtui.sandbox.odoo.errors import app_error

SERVER_VERSION: dict[str, Any] = {
    "server_version": "17.0",
    "server_version_info": [17, 0, 0, "final", 0, ""],
    "server_serie": "17.0",
    "protocol_version": 1,
}


@dataclass
class _Users:
    by_login: dict[str, tuple[int, str]] = field(default_factory=dict)

    def check(self, uid: Any, key: Any) -> bool:
        return any(u == uid and k == key for u, k in self.by_login.values()) and not isinstance(uid, bool)


class Auth:
    """The ``common`` service and the database check (mixed into :class:`~.rpc.OdooSim`)."""

    db: str
    users: _Users

    def _dispatch_common(self, method: str, params: tuple[Any, ...]) -> Any:
        if method == "version":
            return dict(SERVER_VERSION)
        if method in ("authenticate", "login"):
            if len(params) < 3:
                raise app_error("TypeError", f"exp_{method}() missing required positional arguments")
            db, login, key = params[:3]
            self._check_db(db)
            user = self.users.by_login.get(login) if isinstance(login, str) else None
            if user is None or not key or user[1] != key:
                return False
            return user[0]
        if method == "about":
            return "See http://openerp.com"
        raise app_error("KeyError", repr(f"exp_{method}"))

    def _check_db(self, db: Any) -> None:
        if db != self.db:
            raise app_error(
                "psycopg2.OperationalError",
                'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
                f'FATAL:  database "{db}" does not exist',
            )
