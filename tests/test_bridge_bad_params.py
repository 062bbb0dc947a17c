"""Every malformed input gets an answer, and bad params one rule for every method: generated
from `rpc.discover`'s own schemas, a params object with one bad member (an unknown name, a
missing required one, a value of the wrong type, text holding NUL, an integer past 64 bits, a
number that is not finite, a value nested too deep) is refused with -32602 naming that member,
before the method runs. Well-typed params of any value never get -32603. Also the message-level
limits: nesting, batch length, ids."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge import rpc
from bridge.app import dispatcher
from bridge.context import Bridge


@pytest.fixture(scope="module")
def rpc_(tmp_path_factory):
    bridge = Bridge(tmp_path_factory.mktemp("bad-params") / "state.db")
    yield dispatcher(bridge)
    bridge.close()


def methods(dispatch):
    doc = dispatch.discover()
    return [m for m in doc["methods"] if m["name"] != "rpc.discover"], doc["components"]["schemas"]


def _resolve(schema, components):
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _types(schema, components) -> set[str] | None:
    """The JSON types a schema takes; None for any."""
    schema = _resolve(schema, components)
    if "anyOf" in schema:
        found = set()
        for option in schema["anyOf"]:
            inner = _types(option, components)
            if inner is None:
                return None
            found |= inner
        return found
    if "enum" in schema:
        return {"enum"}
    if "type" in schema:
        kind = schema["type"]
        return {kind, "number"} if kind == "integer" else {kind}
    return None


SAMPLES = {"string": "x\u00e9", "integer": 3, "number": 2.5, "boolean": True, "array": [],
           "object": {}, "null": None}


def _good(schema, components):
    """A value of the schema's type (not necessarily one the method accepts)."""
    schema = _resolve(schema, components)
    if "anyOf" in schema:
        return _good(schema["anyOf"][0], components)
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "object" and "properties" in schema:
        return {name: _good(schema["properties"][name], components)
                for name in schema.get("required", [])}
    return SAMPLES.get(schema.get("type"), "x")


def _wrong(schema, components):
    """A value of none of the schema's types, or None when it takes any."""
    types = _types(schema, components)
    if types is None:
        return None
    if types == {"enum"}:
        return "not-one-of-them"
    for kind in ("object", "array", "string", "boolean"):
        if kind not in types:
            return SAMPLES[kind] if kind != "object" else {"k": 1}
    return None


def _answer(dispatch, method, params) -> dict:
    text = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 7},
                      default=lambda big: f"@@{big.sign}1e400@@")
    raw = dispatch.handle(text.replace('"@@+1e400@@"', "1e400").replace('"@@-1e400@@"', "-1e400"))
    assert raw is not None
    answer = json.loads(raw)
    assert answer["id"] == 7
    return answer


class TooBig:
    """A number past a double's range: JSON text can say it (1e400), json.dumps cannot."""

    def __init__(self, sign: str):
        self.sign = sign


BAD_KINDS = ("unknown", "missing", "wrong_type", "nul", "huge_int", "not_finite", "deep")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_bad_member_is_refused_with_its_name(rpc_, data):
    listed, components = methods(rpc_)
    method = data.draw(st.sampled_from(listed), label="method")
    members = {p["name"]: p for p in method["params"]}
    params = {name: _good(p["schema"], components) for name, p in members.items() if p["required"]}
    kind = data.draw(st.sampled_from(BAD_KINDS), label="kind")
    required = [n for n, p in members.items() if p["required"]]
    if kind == "unknown" or not members:
        name = data.draw(st.text(min_size=1, max_size=12).filter(lambda n: n not in members
                                                                  and "\x00" not in n))
        params[name] = data.draw(st.sampled_from([1, "x", None, []]))
    elif kind == "missing" and required:
        name = data.draw(st.sampled_from(required))
        del params[name]
    else:
        name = data.draw(st.sampled_from(sorted(members)), label="member")
        schema = members[name]["schema"]
        value = {"wrong_type": _wrong(schema, components),
                 "nul": data.draw(st.text(max_size=5)) + "\x00" + data.draw(st.text(max_size=5)),
                 "huge_int": data.draw(st.sampled_from([1 << 63, -(1 << 63) - 1, 10 ** 30,
                                                        10 ** 4000])),
                 "not_finite": data.draw(st.sampled_from([TooBig("+"), TooBig("-")])),
                 "deep": json.loads("[" * 40 + "]" * 40),
                 }.get(kind, _wrong(schema, components))
        if value is None:  # a member that takes any value: an unknown one instead
            name = "no_such_param"
            value = 1
        params[name] = value
    answer = _answer(rpc_, method["name"], params)
    assert "error" in answer, (method["name"], params, answer)
    error = answer["error"]
    assert error["code"] == rpc.INVALID_PARAMS, (method["name"], params, error)
    field = (error.get("data") or {}).get("field") or ""
    assert field == name or field.startswith((f"{name}.", f"{name}[")), (name, error)
    assert name in error["message"] or not name.isprintable()


SAFE = {"system.doctor", "presets.export", "presets.import", "project.create"}  # real work or files


def _value(schema, components):
    schema = _resolve(schema, components)
    if "anyOf" in schema:
        return st.one_of([_value(o, components) for o in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return st.text(max_size=20).filter(lambda t: "\x00" not in t)
    if kind == "integer":
        return st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(_value(schema.get("items", {}), components), max_size=4)
    if kind == "object" and "properties" in schema:
        return st.fixed_dictionaries({n: _value(schema["properties"][n], components)
                                      for n in schema.get("required", [])})
    return st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=5).filter(
        lambda t: "\x00" not in t), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_well_typed_params_never_get_an_internal_error(rpc_, data):
    listed, components = methods(rpc_)
    method = data.draw(st.sampled_from([m for m in listed if m["name"] not in SAFE]))
    params = data.draw(st.fixed_dictionaries({p["name"]: _value(p["schema"], components)
                                              for p in method["params"] if p["required"]}))
    answer = _answer(rpc_, method["name"], params)
    if "error" in answer:
        assert answer["error"]["code"] != rpc.INTERNAL_ERROR, (method["name"], params, answer)


def test_message_limits(rpc_):
    def raw(message):
        answer = rpc_.handle(message)
        assert answer is not None
        return json.loads(answer)

    deep = b'{"jsonrpc":"2.0","method":"settings.get","params":{"key":' + b"[" * 1000 \
        + b"]" * 1000 + b'},"id":1}'
    assert raw(deep)["error"]["code"] == rpc.PARSE_ERROR
    assert raw(b"[" * 100_000)["error"]["code"] == rpc.PARSE_ERROR
    ping = {"jsonrpc": "2.0", "method": "system.ping", "id": 1}
    big = raw(json.dumps([ping] * (rpc.MAX_BATCH + 1)))
    assert big["error"]["code"] == rpc.INVALID_REQUEST and str(rpc.MAX_BATCH) in big["error"]["message"]
    assert len(raw(json.dumps([ping] * rpc.MAX_BATCH))) == rpc.MAX_BATCH
    for id_ in (b"1e400", b"-1e400", b"99999999999999999999999"):
        answer = raw(b'{"jsonrpc":"2.0","method":"system.ping","id":' + id_ + b"}")
        assert answer["error"]["code"] == rpc.INVALID_REQUEST and answer["id"] is None
    assert raw(b'{"jsonrpc":"2.0","method":"system.ping","id":1.5}')["id"] == 1.5
    answer = raw(b'{"jsonrpc":"2.0","method":"rpc.discover","params":{"x":1},"id":1}')
    assert answer["error"]["code"] == rpc.INVALID_PARAMS and answer["error"]["data"]["field"] == "x"
    answer = raw(b'{"jsonrpc":"2.0","method":"history.files","params":{"session_id":"no"},"id":1}')
    assert answer["error"]["data"] == {"code": "input_error", "field": "session_id"}


def test_an_answer_over_the_limit_is_an_error(rpc_, monkeypatch):
    monkeypatch.setattr(rpc, "MAX_ANSWER", 2000)
    answer = json.loads(rpc_.handle(b'{"jsonrpc":"2.0","method":"rpc.discover","id":3}'))
    assert answer["error"]["code"] == rpc.INVALID_REQUEST and answer["id"] == 3
    assert "over the limit" in answer["error"]["message"]


def test_workers_past_the_settings_limit_are_refused(rpc_, media_dir, tmp_path):
    for workers in (257, 1 << 40):
        answer = _answer(rpc_, "project.create", {
            "master": str(media_dir / "counter.mp4"), "artwork": "W", "date": "26-12-01",
            "out": str(tmp_path / "out"), "workers": workers})
        assert answer["error"]["data"] == {"code": "input_error", "field": "workers"}, answer
    assert _answer(rpc_, "project.list", {})["result"] == []
