"""Copper's error envelope, for the handlers' errors and the scripted faults alike."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


def error_body(status: int, message: str) -> dict[str, Any]:
    """The Copper error envelope.

    UNCONFIRMED (WIRE.md §1.1): the docs only show ``{"success": false, "status": 422,
    "message": "Invalid input: ..."}`` for an invalid webhook target. The simulator uses the same
    envelope for 400, 401, 404, 405, 422 and 429 because no other shape was found.
    """
    return {"success": False, "status": status, "message": message}


_FAULT_MESSAGES = {429: "Rate limit exceeded", 500: "Internal server error", 503: "Service unavailable"}


def _fault_body(status: int) -> dict[str, Any]:
    return error_body(status, _FAULT_MESSAGES.get(status, f"HTTP {status}"))


class ApiError(Exception):
    """Raised inside a handler; becomes an error envelope with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _envelope(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)
