"""JSON-RPC 2.0 over one method table: parse a message (one request, a notification or a batch),
validate its params against the method's msgspec Struct, call it, and answer with a result or one
of the standard errors; expected failures of the core become application errors (-32000..-32099)
that name their field. `rpc.discover` describes every method as an OpenRPC document made from the
same Structs. Transports (bridge/http.py, bridge/webview.py) hand this module bytes and send back
what it returns."""

from __future__ import annotations

import inspect
import logging
import re
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import apsw
import msgspec

from backend.encoding import enc_hook
from backend.errors import (Cancelled, InputError, MediaError, OperatorError,
                            StateError)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

log = logging.getLogger("video_archive.bridge")


class AppError(msgspec.Struct, frozen=True):
    """One application error code: `data.code` names it, the number is in -32000..-32099."""
    number: int
    code: str
    description: str


# The order matters: the first matching class wins (subclasses before their bases).
APP_ERRORS: tuple[tuple[type[BaseException], AppError], ...] = (
    (InputError, AppError(-32000, "input_error", "The request names something unusable (a path, a "
                          "date, a name, a value, a frame); data.field says which param.")),
    (StateError, AppError(-32001, "state_error", "The state store cannot do it: an unknown or "
                          "finished session, a session busy with other work, a damaged state.db.")),
    (MediaError, AppError(-32002, "media_error", "A media file or ffmpeg failed: not a video, "
                          "truncated, an encoder that does not work.")),
    (OperatorError, AppError(-32003, "operator_error", "An archive operation refused or failed.")),
    (Cancelled, AppError(-32004, "cancelled", "The work was paused or cancelled by the user.")),
    (apsw.BusyError, AppError(-32005, "busy", "state.db stayed locked by another process; try "
                              "again when it has finished.")),
)


class RpcError(Exception):
    """A standard JSON-RPC error a method or the dispatcher raises on purpose."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


@dataclass(frozen=True)
class Method:
    name: str
    func: Callable[[Any, Any], Any]   # func(context, params) -> result
    params: type[msgspec.Struct]
    result: Any                       # a type msgspec can describe
    summary: str


class MethodTable:
    """The one table of methods. `@table.method("ns.name")` registers a function
    `f(ctx, params: ParamsStruct) -> ResultType`; its annotations are the schemas."""

    def __init__(self) -> None:
        self.methods: dict[str, Method] = {}

    def method(self, name: str) -> Callable:
        def register(func: Callable) -> Callable:
            if name in self.methods:
                raise ValueError(f"method {name} is registered twice")
            hints = typing.get_type_hints(func)
            params = [p for p in inspect.signature(func).parameters][1:]
            if len(params) != 1 or "return" not in hints:
                raise TypeError(f"{name}: a method is f(ctx, params: Struct) -> Result")
            summary = inspect.getdoc(func) or ""
            self.methods[name] = Method(name=name, func=func, params=hints[params[0]],
                                        result=hints["return"], summary=summary.split("\n\n")[0])
            return func
        return register

    def __iter__(self):
        return iter(self.methods.values())


class Request(msgspec.Struct, forbid_unknown_fields=True):
    """The envelope. `id` absent means a notification; params are checked per method later."""
    jsonrpc: str
    method: str
    params: dict[str, Any] | list[Any] | msgspec.UnsetType = msgspec.UNSET
    id: str | int | float | None | msgspec.UnsetType = msgspec.UNSET


class NoParams(msgspec.Struct, forbid_unknown_fields=True):
    pass


_encoder = msgspec.json.Encoder(enc_hook=enc_hook)
# floats are parsed by Python, so a number too large for a double (1e400) is inf, refused by the
# value rule below with its field named, not a parse error of the whole message
_decoder = msgspec.json.Decoder(float_hook=float)

MAX_BATCH = 100             # requests in one batch
MAX_ANSWER = 32 << 20       # bytes of one answer (a 2-hour timeline is about 2 MB)
MAX_DEPTH = 32              # nesting of a params value (groups are 3 deep)
INT64 = (-(1 << 63), (1 << 63) - 1)  # what SQLite and the core's integers hold
_AT = re.compile(r" - at `\$(.*)`$")
_NAMED = re.compile(r"(?:missing required|unknown) field `([^`]+)`")


def describe_validation(exc: msgspec.ValidationError) -> tuple[str | None, str]:
    """('groups[0].name', 'groups[0].name: Expected `str`, got `int`') from msgspec's message,
    which ends in the path of the bad value; a missing or unknown field names itself."""
    text = str(exc)
    match = _AT.search(text)
    path = match.group(1).lstrip(".") if match else ""
    problem = text[:match.start()] if match else text
    named = _NAMED.search(problem)
    if named:
        path = f"{path}.{named.group(1)}" if path else named.group(1)
    field = path or None
    return field, f"{field}: {problem}" if field else problem


def bad_value(value: Any, path: str = "", depth: int = 0) -> tuple[str | None, str | None]:
    """The one rule every method's params pass before their own checks: (field, problem) of the
    first value no method can take (text holding NUL, an integer outside 64 bits, a number
    that is not finite, nesting deeper than MAX_DEPTH), or (None, None)."""
    if depth > MAX_DEPTH:
        return path or None, f"nested more than {MAX_DEPTH} deep"
    if isinstance(value, str):
        if "\x00" in value:
            return path or None, "text may not hold NUL characters"
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            return path or None, "the integer is out of range (64-bit)"
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return path or None, "the number is out of range"
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found = bad_value(key, where, depth + 1) if isinstance(key, str) else (None, None)
            if not found[1]:
                found = bad_value(item, where, depth + 1)
            if found[1]:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = bad_value(item, f"{path}[{i}]", depth + 1)
            if found[1]:
                return found
    return None, None


def _usable_id(id_: Any) -> Any:
    """The request's id as an answer may echo it; None for one that cannot be (a bool, an
    object, a number that is not finite)."""
    if isinstance(id_, bool) or not isinstance(id_, (str, int, float, type(None))):
        return None
    if isinstance(id_, float) and not (id_ == id_ and abs(id_) != float("inf")):
        return None
    if isinstance(id_, int) and not INT64[0] <= id_ <= INT64[1]:
        return None
    return id_


def _error(code: int, message: str, data: Any = None, id_: Any = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "error": error, "id": id_}


def app_error_of(exc: BaseException) -> AppError | None:
    for kind, code in APP_ERRORS:
        if isinstance(exc, kind):
            return code
    return None


class Dispatcher:
    """Answers JSON-RPC messages with the methods of `table`, each called as func(context, params)."""

    def __init__(self, table: MethodTable, context: Any, *, title: str = "Video Archive Tool",
                 version: str = "0"):
        self.table = table
        self.context = context
        self.title, self.version = title, version
        self._discover: dict | None = None

    # --- entry points -----------------------------------------------------------------------
    def handle(self, message: bytes | str) -> bytes | None:
        """One message in, its encoded answer out; None when nothing is to be sent (a
        notification, or a batch of notifications only). Every message gets an answer: an
        answer over MAX_ANSWER bytes is replaced by an error saying so."""
        answer = self.answer(message)
        if answer is None:
            return None
        encoded = _encoder.encode(answer)
        if len(encoded) > MAX_ANSWER:
            id_ = answer.get("id") if isinstance(answer, dict) else None
            return _encoder.encode(_error(INVALID_REQUEST, f"invalid request: the answer would "
                                          f"be {len(encoded)} bytes, over the limit of "
                                          f"{MAX_ANSWER}; ask for less at once", None, id_))
        return encoded

    def answer(self, message: bytes | str) -> dict | list | None:
        try:
            decoded = _decoder.decode(message)
        except msgspec.DecodeError as exc:
            return _error(PARSE_ERROR, f"parse error: {exc}")
        except RecursionError:
            return _error(PARSE_ERROR, "parse error: the message is nested too deeply")
        if isinstance(decoded, list):
            if not decoded:
                return _error(INVALID_REQUEST, "invalid request: an empty batch")
            if len(decoded) > MAX_BATCH:
                return _error(INVALID_REQUEST, f"invalid request: a batch of {len(decoded)} "
                              f"requests; at most {MAX_BATCH} in one")
            answers = [a for a in (self._one(item) for item in decoded) if a is not None]
            return answers or None
        return self._one(decoded)

    # --- one request ------------------------------------------------------------------------
    def _one(self, item: Any) -> dict | None:
        try:
            request = msgspec.convert(item, Request)
        except msgspec.ValidationError as exc:
            # echo a usable id so the client can match the error to its call
            id_ = _usable_id(item.get("id") if isinstance(item, dict) else None)
            field, problem = describe_validation(exc)
            return _error(INVALID_REQUEST, f"invalid request: {problem}",
                          {"field": field} if field else None, id_)
        notification = request.id is msgspec.UNSET
        id_ = None if notification else _usable_id(request.id)
        if request.jsonrpc != "2.0":
            return _error(INVALID_REQUEST, 'invalid request: jsonrpc must be "2.0"',
                          {"field": "jsonrpc"}, id_)
        if not notification and id_ != request.id:
            return _error(INVALID_REQUEST, "invalid request: id must be a string, a finite "
                          "number or null", {"field": "id"}, None)
        try:
            result = self.call(request.method, request.params)
        except RpcError as exc:
            response = _error(exc.code, exc.message, exc.data, id_)
        except BaseException as exc:  # noqa: BLE001 - every failure is an answer, never a crash
            response = self._failure(request.method, exc, id_)
        else:
            response = {"jsonrpc": "2.0", "result": result, "id": id_}
        return None if notification else response

    def call(self, name: str, params: Any = msgspec.UNSET) -> Any:
        """Run one method with raw params (dict, list or UNSET); raises RpcError or the method's
        own exception."""
        if name == "rpc.discover":
            if params:  # it takes none: a param given is refused, as every method's unknown ones
                first = next(iter(params)) if isinstance(params, dict) else "0"
                raise RpcError(INVALID_PARAMS, f"invalid params: {first}: rpc.discover takes no "
                               "params", {"field": first})
            return self.discover()
        method = self.table.methods.get(name)
        if method is None:
            raise RpcError(METHOD_NOT_FOUND, f"method not found: {name}", {"method": name})
        if params is msgspec.UNSET:
            params = {}
        if isinstance(params, list):  # by position: in the order the Struct declares its fields
            fields = method.params.__struct_fields__
            if len(params) > len(fields):
                raise RpcError(INVALID_PARAMS, f"{name} takes at most {len(fields)} params, "
                               f"got {len(params)}")
            params = dict(zip(fields, params))
        if isinstance(params, dict):  # named here, not parsed out of msgspec's message
            unknown = next((k for k in params if k not in method.params.__struct_fields__), None)
            if unknown is not None:
                raise RpcError(INVALID_PARAMS, f"invalid params: {unknown}: {name} has no such "
                               "param", {"field": unknown})
        field, problem = bad_value(params)
        if problem:
            raise RpcError(INVALID_PARAMS, f"invalid params: {field}: {problem}" if field
                           else f"invalid params: {problem}", {"field": field})
        try:
            checked = msgspec.convert(params, method.params)
        except msgspec.ValidationError as exc:
            field, problem = describe_validation(exc)
            raise RpcError(INVALID_PARAMS, f"invalid params: {problem}",
                           {"field": field}) from None
        return method.func(self.context, checked)

    def _failure(self, method: str, exc: BaseException, id_: Any) -> dict:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise exc
        code = app_error_of(exc)
        if code is not None:
            message = str(exc) if not isinstance(exc, apsw.BusyError) else code.description
            return _error(code.number, message or code.description,
                          {"code": code.code, "field": getattr(exc, "field", None)}, id_)
        # a bug: the details go to the log (never the token: requests are not logged), the
        # client gets a line it can show
        log.exception("internal error in %s", method)
        return _error(INTERNAL_ERROR, f"internal error in {method}: {type(exc).__name__}: {exc}",
                      None, id_)

    # --- OpenRPC ----------------------------------------------------------------------------
    def discover(self) -> dict:
        if self._discover is None:
            self._discover = openrpc_document(self.table, self.title, self.version)
        return self._discover


def openrpc_document(table: Iterable[Method], title: str, version: str) -> dict:
    methods = list(table)
    types = [t for m in methods for t in (m.params, m.result)]
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}")
    errors = {code.code: {"code": code.number, "message": code.code,
                          "data": {"description": code.description}} for _, code in APP_ERRORS}
    error_refs = [{"$ref": f"#/components/errors/{name}"} for name in errors]
    described = []
    for i, method in enumerate(methods):
        params_schema = components.get(method.params.__name__, schemas[2 * i])
        required = set(params_schema.get("required", []))
        described.append({
            "name": method.name,
            "summary": method.summary,
            "paramStructure": "either",
            "params": [{"name": name, "required": name in required, "schema": schema}
                       for name, schema in params_schema.get("properties", {}).items()],
            "result": {"name": "result", "schema": schemas[2 * i + 1]},
            "errors": error_refs,
        })
    described.append({"name": "rpc.discover", "summary": "This document.", "params": [],
                      "result": {"name": "OpenRPC document", "schema": {"type": "object"}}})
    return {"openrpc": "1.3.2", "info": {"title": title, "version": version},
            "methods": described, "components": {"schemas": components, "errors": errors}}
