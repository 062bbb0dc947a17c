"""The JSON-RPC 2.0 dispatcher, exactly as the specification reads: requests, notifications,
batches, every standard error code, application errors naming their field, and the OpenRPC
document. Uses a small table of its own so each error case has a method that produces it."""

import json

import apsw
import msgspec
import pytest

from backend.errors import Cancelled, InputError, MediaError, OperatorError, StateError
from bridge.rpc import APP_ERRORS, Dispatcher, MethodTable, describe_validation


class Add(msgspec.Struct, forbid_unknown_fields=True):
    a: int
    b: int = 0


class Inner(msgspec.Struct, forbid_unknown_fields=True):
    name: str


class Nested(msgspec.Struct, forbid_unknown_fields=True):
    items: list[Inner]


class Raise(msgspec.Struct, forbid_unknown_fields=True):
    kind: str


class Sum(msgspec.Struct):
    value: int


ERRORS = {"input": lambda: InputError("the date is wrong", field="date"),
          "state": lambda: StateError("no session x"), "media": lambda: MediaError("not a video"),
          "operator": lambda: OperatorError("clip failed"), "cancelled": lambda: Cancelled("paused"),
          "busy": lambda: apsw.BusyError("locked"), "bug": lambda: RuntimeError("boom")}


@pytest.fixture
def rpc():
    table = MethodTable()
    calls = []

    @table.method("math.add")
    def add(ctx, p: Add) -> Sum:
        """Add two numbers."""
        calls.append((p.a, p.b))
        return Sum(value=p.a + p.b)

    @table.method("test.nested")
    def nested(ctx, p: Nested) -> list[str]:
        return [i.name for i in p.items]

    @table.method("test.raise")
    def raise_(ctx, p: Raise) -> None:
        raise ERRORS[p.kind]()

    dispatcher = Dispatcher(table, context=None)
    dispatcher.calls = calls
    return dispatcher


def ask(rpc, message):
    raw = message if isinstance(message, (bytes, str)) else json.dumps(message)
    answer = rpc.handle(raw)
    return None if answer is None else json.loads(answer)


def req(method, params=None, id_=1, **extra):
    message = {"jsonrpc": "2.0", "method": method, "id": id_, **extra}
    if params is not None:
        message["params"] = params
    return message


def test_request_gets_its_result_and_id(rpc):
    assert ask(rpc, req("math.add", {"a": 2, "b": 3}, "x7")) == {
        "jsonrpc": "2.0", "result": {"value": 5}, "id": "x7"}
    assert ask(rpc, req("math.add", {"a": 1}, 0))["result"] == {"value": 1}
    assert ask(rpc, req("math.add", {"a": 1}, None))["id"] is None


def test_params_by_position_follow_the_struct(rpc):
    assert ask(rpc, req("math.add", [4, 5]))["result"] == {"value": 9}
    error = ask(rpc, req("math.add", [1, 2, 3]))["error"]
    assert error["code"] == -32602 and "at most 2" in error["message"]


def test_notification_runs_and_gets_no_answer(rpc):
    assert ask(rpc, {"jsonrpc": "2.0", "method": "math.add", "params": {"a": 1, "b": 1}}) is None
    assert rpc.calls == [(1, 1)]
    # even a failing or unknown notification is silent
    assert ask(rpc, {"jsonrpc": "2.0", "method": "no.such"}) is None
    assert ask(rpc, {"jsonrpc": "2.0", "method": "test.raise", "params": {"kind": "bug"}}) is None
    assert ask(rpc, {"jsonrpc": "2.0", "method": "math.add", "params": {"a": "x"}}) is None


def test_parse_error(rpc):
    for text in ['{"jsonrpc": "2.0", "method": "foo", "params": "bar", "baz]', "", "nul", "{",
                 '[{"jsonrpc": "2.0", "method": "math.add", "params": {"a": 1}, "id": 1},{']:
        answer = ask(rpc, text)
        assert answer["error"]["code"] == -32700 and answer["id"] is None, text


@pytest.mark.parametrize("message, field", [
    ({"method": "math.add", "id": 1}, "jsonrpc"),
    ({"jsonrpc": "1.0", "method": "math.add", "id": 1}, "jsonrpc"),
    ({"jsonrpc": 2.0, "method": "math.add", "id": 1}, "jsonrpc"),
    ({"jsonrpc": "2.0", "id": 1}, "method"),
    ({"jsonrpc": "2.0", "method": 1, "params": "bar"}, "method"),
    ({"jsonrpc": "2.0", "method": "math.add", "params": "bar", "id": 1}, "params"),
    ({"jsonrpc": "2.0", "method": "math.add", "params": 3, "id": 1}, "params"),
    ({"jsonrpc": "2.0", "method": "math.add", "params": None, "id": 1}, "params"),
    ({"jsonrpc": "2.0", "method": "math.add", "id": True}, "id"),
    ({"jsonrpc": "2.0", "method": "math.add", "id": {"a": 1}}, "id"),
    ({"jsonrpc": "2.0", "method": "math.add", "id": [1]}, "id"),
    ({"jsonrpc": "2.0", "method": "math.add", "id": 1, "extra": 1}, "extra"),
])
def test_invalid_request(rpc, message, field):
    answer = ask(rpc, message)
    assert answer["error"]["code"] == -32600
    assert answer["error"]["data"]["field"] == field
    assert answer["jsonrpc"] == "2.0"


def test_invalid_request_echoes_a_usable_id_only(rpc):
    assert ask(rpc, {"jsonrpc": "1.0", "method": "m", "id": 9})["id"] == 9
    assert ask(rpc, {"jsonrpc": "2.0", "method": 5, "id": "k"})["id"] == "k"
    assert ask(rpc, {"jsonrpc": "2.0", "method": 5, "id": [1]})["id"] is None
    assert ask(rpc, 1)["id"] is None and ask(rpc, json.dumps("text"))["error"]["code"] == -32600


def test_method_not_found(rpc):
    answer = ask(rpc, req("math.nope"))
    assert answer["error"]["code"] == -32601 and "math.nope" in answer["error"]["message"]
    assert answer["id"] == 1


@pytest.mark.parametrize("params, field", [
    ({"a": "2"}, "a"),                       # wrong type, no coercion
    ({"b": 2}, "a"),                         # missing
    ({"a": 1, "c": 2}, "c"),                 # unknown
    ({"a": True}, "a"),                      # a bool is not an int
    ({"a": 1.5}, "a"),
])
def test_invalid_params_name_the_field(rpc, params, field):
    answer = ask(rpc, req("math.add", params))
    assert answer["error"]["code"] == -32602
    assert answer["error"]["data"] == {"field": field}
    assert answer["error"]["message"].startswith(f"invalid params: {field}:")


def test_invalid_params_nested_path(rpc):
    error = ask(rpc, req("test.nested", {"items": [{"name": "a"}, {"name": 3}]}))["error"]
    assert error["data"]["field"] == "items[1].name"
    error = ask(rpc, req("test.nested", {"items": [{"name": "a"}, {}]}))["error"]
    assert error["data"]["field"] == "items[1].name"
    assert ask(rpc, req("test.nested", {"items": [{"name": "a"}]}))["result"] == ["a"]


def test_describe_validation_without_path():
    try:
        msgspec.convert(3, Add)
    except msgspec.ValidationError as exc:
        assert describe_validation(exc) == (None, "Expected `object`, got `int`")


@pytest.mark.parametrize("kind, number, code, field", [
    ("input", -32000, "input_error", "date"), ("state", -32001, "state_error", None),
    ("media", -32002, "media_error", None), ("operator", -32003, "operator_error", None),
    ("cancelled", -32004, "cancelled", None), ("busy", -32005, "busy", None)])
def test_application_errors(rpc, kind, number, code, field):
    error = ask(rpc, req("test.raise", {"kind": kind}))["error"]
    assert error["code"] == number and -32099 <= number <= -32000
    assert error["data"] == {"code": code, "field": field}
    assert error["message"] and "Traceback" not in error["message"]


def test_internal_error_is_an_answer_and_the_dispatcher_goes_on(rpc):
    error = ask(rpc, req("test.raise", {"kind": "bug"}))["error"]
    assert error["code"] == -32603 and "boom" in error["message"]
    assert ask(rpc, req("math.add", {"a": 1}))["result"] == {"value": 1}


def test_batch_mixed(rpc):
    answer = ask(rpc, [
        req("math.add", {"a": 1, "b": 2}, "1"),
        {"jsonrpc": "2.0", "method": "math.add", "params": {"a": 7}},   # notification
        {"foo": "boo"},                                                  # invalid
        req("math.nope", None, "5"),
        req("math.add", {"a": "x"}, "6"),
        1,
        {"jsonrpc": "2.0", "method": "test.raise", "params": {"kind": "input"}},  # notification
        req("test.raise", {"kind": "state"}, "9"),
    ])
    assert [a["id"] for a in answer] == ["1", None, "5", "6", None, "9"]
    assert answer[0]["result"] == {"value": 3}
    assert [a.get("error", {}).get("code") for a in answer] == [None, -32600, -32601, -32602,
                                                                 -32600, -32001]
    assert (7, 0) in rpc.calls


def test_batch_edge_cases(rpc):
    assert ask(rpc, [])["error"]["code"] == -32600  # one error, not a list
    assert [a["error"]["code"] for a in ask(rpc, [1, 2, 3])] == [-32600] * 3
    assert ask(rpc, [{"jsonrpc": "2.0", "method": "math.add", "params": {"a": 1}},
                     {"jsonrpc": "2.0", "method": "math.add", "params": {"a": 2}}]) is None
    assert ask(rpc, [[]])[0]["error"]["code"] == -32600


def test_discover_is_openrpc_from_the_structs(rpc):
    doc = ask(rpc, req("rpc.discover"))["result"]
    assert doc["openrpc"].startswith("1.")
    methods = {m["name"]: m for m in doc["methods"]}
    assert set(methods) == {"math.add", "test.nested", "test.raise", "rpc.discover"}
    add = methods["math.add"]
    assert add["summary"] == "Add two numbers."
    assert [(p["name"], p["required"]) for p in add["params"]] == [("a", True), ("b", False)]
    assert add["params"][0]["schema"] == {"type": "integer"}
    assert add["result"]["schema"] == {"$ref": "#/components/schemas/Sum"}
    assert doc["components"]["schemas"]["Sum"]["properties"]["value"] == {"type": "integer"}
    codes = {e["message"]: e["code"] for e in doc["components"]["errors"].values()}
    assert codes == {code.code: code.number for _, code in APP_ERRORS}
    # every $ref points at a component
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(doc)
    for ref in refs:
        section, name = ref.split("/")[-2:]
        assert name in doc["components"][section], ref


def test_table_refuses_a_method_twice_or_without_types():
    table = MethodTable()

    @table.method("a.b")
    def one(ctx, p: Add) -> Sum:
        return Sum(value=0)

    with pytest.raises(ValueError):
        table.method("a.b")(one)
    with pytest.raises(TypeError):
        @table.method("a.c")
        def untyped(ctx, p: Add):
            return None
