"""Odoo's errors and how each RPC path marshals them: integer fault codes on ``/xmlrpc/2``, string
ones on the legacy ``/xmlrpc``, an ``error`` member on ``/jsonrpc``."""

from __future__ import annotations

import xmlrpc.client
from typing import Any


class OdooError(Exception):
    """An error the simulated server turns into an XML-RPC fault.

    Args:
        code: the integer faultCode (1 application error, 2 warning, 3 Access Denied, 4 AccessError).
        message: the message (for code 1, the last line of the traceback).
        exc_type: for code 1, the exception class name shown at the end of the traceback.
    """

    def __init__(self, code: int, message: str, exc_type: str = "Exception") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.exc_type = exc_type

    def legacy_fault(self) -> xmlrpc.client.Fault:
        """The fault as the legacy ``/xmlrpc/<service>`` marshals it: a *string* faultCode
        (repo:odoo/odoo:odoo/service/wsgi_server.py ``xmlrpc_handle_exception_string``)."""
        if self.code == 3:
            return _string_fault("AccessDenied", self.message)
        if self.code == 2:
            return _string_fault(f"warning -- UserError\n\n{self.message}", "")
        if self.code == 4:
            return _string_fault(f"warning -- AccessError\n\n{self.message}", "")
        return _string_fault(self.message, _traceback(self.exc_type, self.message))

    def json_error(self) -> dict[str, Any]:
        """The ``error`` member of a JSON-RPC answer (repo:odoo/odoo:odoo/http.py ``serialize_exception``)."""
        name = {
            2: "odoo.exceptions.UserError",
            3: "odoo.exceptions.AccessDenied",
            4: "odoo.exceptions.AccessError",
        }.get(self.code, self.exc_type)
        return {
            "code": 200,
            "message": "Odoo Server Error",
            "data": {
                "name": name,
                "debug": _traceback(self.exc_type, self.message),
                "message": self.message,
                "arguments": [self.message],
                "context": {},
            },
        }

    def fault(self) -> xmlrpc.client.Fault:
        """The fault exactly as ``/xmlrpc/2`` marshals it."""
        if self.code == 1:
            return xmlrpc.client.Fault(1, _traceback(self.exc_type, self.message))
        return xmlrpc.client.Fault(self.code, self.message)


def _string_fault(code: str, text: str) -> xmlrpc.client.Fault:
    """A Fault with a string faultCode (typeshed says int; the legacy endpoints send strings)."""
    fault_code: Any = code
    return xmlrpc.client.Fault(fault_code, text)


def _traceback(exc_type: str, message: str) -> str:
    return (
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3/dist-packages/odoo/addons/base/controllers/rpc.py", line 150, in xmlrpc_2\n'
        "    response = self._xmlrpc(service)\n"
        '  File "/usr/lib/python3/dist-packages/odoo/addons/base/controllers/rpc.py", line 127, in _xmlrpc\n'
        "    result = dispatch_rpc(service, method, params)\n"
        '  File "/usr/lib/python3/dist-packages/odoo/http.py", line 368, in dispatch_rpc\n'
        "    return dispatch(method, params)\n"
        '  File "/usr/lib/python3/dist-packages/odoo/service/model.py", line 39, in dispatch\n'
        "    res = execute_kw(db, uid, *params[3:])\n"
        f"{exc_type}: {message}\n"
    )


def app_error(exc_type: str, message: str) -> OdooError:
    """Fault 1 (any other exception), e.g. ``app_error("ValueError", "Invalid field")``."""
    return OdooError(1, message, exc_type)


def user_error(message: str) -> OdooError:
    """Fault 2 (UserError, ValidationError, MissingError): plain message."""
    return OdooError(2, message)


def access_denied() -> OdooError:
    """Fault 3: wrong uid or password/API key."""
    return OdooError(3, "Access Denied")


def access_error(message: str) -> OdooError:
    """Fault 4: ACL or record-rule refusal."""
    return OdooError(4, message)
