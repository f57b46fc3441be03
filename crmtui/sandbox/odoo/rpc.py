"""The RPC paths: ``/xmlrpc/2/{common,object,db}``, the legacy ``/xmlrpc/{common,object}``, ``/jsonrpc``
and ``/web/webclient/version_info``, and ``execute_kw``'s dispatch with its ACL check."""

from __future__ import annotations

import json
import xmlrpc.client
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from crmtui.sandbox.control import with_control
from crmtui.sandbox.odoo.auth import SERVER_VERSION, Auth
from crmtui.sandbox.odoo.errors import OdooError, access_denied, access_error, app_error, user_error
from crmtui.sandbox.odoo.orm import Orm

_READ_METHODS = {"search", "search_count", "read", "search_read"}
_ACCESS_MODE = {"write": "write", "create": "create", "unlink": "unlink"}
_ACCESS_VERB = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}


class OdooSim(Orm, Auth):
    """An in-memory Odoo 17 database behind the external API (the arguments are
    :class:`~.state.OdooState`'s): XML-RPC ``/xmlrpc/2/*`` and the legacy ``/xmlrpc/*``, JSON-RPC."""

    def _build_app(self) -> ASGIApp:
        inner = Starlette(
            routes=[
                Route("/xmlrpc/2/common", self._common, methods=["POST"]),
                Route("/xmlrpc/2/object", self._object, methods=["POST"]),
                Route("/xmlrpc/2/db", self._db, methods=["POST"]),
                # The legacy paths, still served by Odoo 17 and used by odoo-client-lib by
                # default (repo:odoo/odoo:odoo/addons/base/controllers/rpc.py, ``/xmlrpc/<service>``):
                # same services, *string* fault codes (WIRE §3.2).
                Route("/xmlrpc/common", self._legacy_common, methods=["POST"]),
                Route("/xmlrpc/object", self._legacy_object, methods=["POST"]),
                # JSON-RPC, what odoorpc speaks (repo:odoo/odoo rpc.py ``/jsonrpc``; odoorpc
                # 0.10 rpc/__init__.py asks ``/web/webclient/version_info`` first).
                Route("/jsonrpc", self._jsonrpc, methods=["POST"]),
                Route("/web/webclient/version_info", self._version_info, methods=["POST"]),
            ]
        )
        return with_control(
            inner,
            self.control,
            fault_body=lambda status: {"error": f"HTTP {status}", "status": status},
            count_prefix="",
        )

    # ---- HTTP endpoints --------------------------------------------------------------------------

    async def _parse(self, request: Request) -> tuple[str, tuple[Any, ...]]:
        body = await request.body()
        try:
            params, method = xmlrpc.client.loads(body, use_builtin_types=True)
        except Exception as exc:  # ExpatError, ResponseError...
            raise app_error(type(exc).__name__, str(exc) or "malformed XML-RPC request") from exc
        if not method:
            raise app_error("ValueError", "not an XML-RPC method call")
        return method, params

    async def _common(self, request: Request) -> Response:
        try:
            method, params = await self._parse(request)
            self.control.count(f"common {method}")
            result = self._dispatch_common(method, params)
        except OdooError as err:
            return _fault_response(err)
        return _response(result)

    async def _db(self, request: Request) -> Response:
        try:
            method, params = await self._parse(request)
            self.control.count(f"db {method}")
            if method == "list":
                result: Any = [self.db]
            elif method == "server_version":
                result = SERVER_VERSION["server_version"]
            else:
                raise app_error("KeyError", repr(f"exp_{method}"))
        except OdooError as err:
            return _fault_response(err)
        return _response(result)

    async def _object(self, request: Request) -> Response:
        try:
            method, params = await self._parse(request)
            result = self._dispatch_object(method, params)
        except OdooError as err:
            return _fault_response(err)
        return _response(result)

    def _dispatch_object(self, method: str, params: tuple[Any, ...]) -> Any:
        if method == "execute":
            # execute(db, uid, key, model, method, *args): execute_kw without keyword arguments.
            return self._execute_kw((*params[:5], list(params[5:]), {}))
        if method != "execute_kw":
            self.control.count(f"object {method}")
            raise app_error("NameError", f"Method not available {method}")
        return self._execute_kw(params)

    async def _legacy_common(self, request: Request) -> Response:
        try:
            method, params = await self._parse(request)
            self.control.count(f"common {method}")
            result = self._dispatch_common(method, params)
        except OdooError as err:
            return _fault_response(err, legacy=True)
        return _response(result)

    async def _legacy_object(self, request: Request) -> Response:
        try:
            method, params = await self._parse(request)
            result = self._dispatch_object(method, params)
        except OdooError as err:
            return _fault_response(err, legacy=True)
        return _response(result)

    async def _version_info(self, request: Request) -> Response:
        body = await _json_body(request)
        return JSONResponse({"jsonrpc": "2.0", "id": body.get("id"), "result": dict(SERVER_VERSION)})

    async def _jsonrpc(self, request: Request) -> Response:
        body = await _json_body(request)
        raw = body.get("params")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        service, method = params.get("service"), params.get("method")
        args = tuple(params.get("args") or ())
        try:
            if service == "common":
                self.control.count(f"common {method}")
                result = self._dispatch_common(str(method), args)
            elif service == "object":
                result = self._dispatch_object(str(method), args)
            elif service == "db" and method == "list":
                result = [self.db]
            else:
                raise app_error("KeyError", repr(f"exp_{method}"))
        except OdooError as err:
            return JSONResponse({"jsonrpc": "2.0", "id": body.get("id"), "error": err.json_error()})
        return JSONResponse({"jsonrpc": "2.0", "id": body.get("id"), "result": _sanitize(result)})

    # ---- object service ---------------------------------------------------------------------------

    def _execute_kw(self, params: tuple[Any, ...]) -> Any:
        if len(params) < 6:
            raise app_error("TypeError", "execute_kw() missing required positional arguments")
        db, uid, key, model, method, args = params[:6]
        kwargs = params[6] if len(params) > 6 else {}
        self.control.count(f"execute_kw {model}.{method}")
        self._check_db(db)
        if not self.users.check(uid, key):
            raise access_denied()
        if model == "res.users" and method == "context_get":
            # What odoorpc's login asks right after ``common.login`` (odoorpc 0.10 odoo.py).
            return {"lang": "fr_FR", "tz": "Europe/Paris", "uid": uid}
        if model == "ir.model" and method in ("search", "search_count"):
            # odoorpc's ``env[model]`` checks the model exists this way (odoorpc 0.10 env.py).
            wanted = [leaf[2] for leaf in (args[0] if args else []) if isinstance(leaf, list | tuple)]
            found = [i for i, name in enumerate(self.models, start=1) if name in wanted]
            return len(found) if method == "search_count" else found
        if not isinstance(model, str) or model not in self.models:
            # Odoo 17 odoo/service/model.py: ``raise UserError(_("Object %s doesn't exist", model))``.
            raise user_error(f"Object {model} doesn't exist")
        if not isinstance(method, str) or method.startswith("_"):
            raise app_error(
                "AttributeError", f"Private methods (such as {method}) cannot be called remotely."
            )
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise app_error(
                "TypeError", "execute_kw() expects a list of arguments and a dict of keyword arguments"
            )
        kwargs = dict(kwargs)
        context = kwargs.pop("context", None) or {}
        if not isinstance(context, dict):
            raise app_error("TypeError", "context must be a dictionary")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            raise app_error("AttributeError", f"The method '{method}' does not exist on the model '{model}'")
        mode = "read" if method in _READ_METHODS else _ACCESS_MODE.get(method)
        if mode and mode in self.acl.get(model, ()):
            raise access_error(
                f"You are not allowed to {_ACCESS_VERB[mode]} '{self.models[model].description}' ({model}) records.\n\n"
                "This operation is allowed for the following groups:\n\t- Administration/Settings\n\n"
                "Contact your administrator to request access if necessary."
            )
        try:
            return handler(model, context, *args, **kwargs)
        except TypeError as exc:
            raise app_error("TypeError", str(exc).replace("_m_", "")) from exc


def _sanitize(value: Any) -> Any:
    if value is None:
        return False
    if isinstance(value, dict):
        return {str(k): _sanitize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sanitize(v) for v in value]
    return value


def _response(result: Any) -> Response:
    body = xmlrpc.client.dumps((_sanitize(result),), methodresponse=True, allow_none=False)
    return Response(body.encode(), media_type="text/xml")


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _fault_response(err: OdooError, *, legacy: bool = False) -> Response:
    fault = err.legacy_fault() if legacy else err.fault()
    body = xmlrpc.client.dumps(fault, methodresponse=True, allow_none=False)
    return Response(body.encode(), media_type="text/xml")
