"""The system, settings, presets and history methods, called through the dispatcher as a page
calls them: results, and each error with its code and field."""

import json

import pytest

from backend.db import history, sessions
from backend.db.sessions import NewSession
from bridge.app import dispatcher
from bridge.context import Bridge
from bridge.rpc import RpcError


@pytest.fixture
def bridge(db_path):
    b = Bridge(db_path)
    yield b
    b.close()


@pytest.fixture
def call(bridge):
    rpc = dispatcher(bridge)

    def call(method, params=None):
        message = {"jsonrpc": "2.0", "method": method, "id": 1}
        if params is not None:
            message["params"] = params
        answer = json.loads(rpc.handle(json.dumps(message)))
        if "error" in answer:
            raise RpcError(answer["error"]["code"], answer["error"]["message"],
                           answer["error"].get("data"))
        return answer["result"]
    return call


def fails(call, method, params, code, field=None, app="input_error"):
    with pytest.raises(RpcError) as info:
        call(method, params)
    assert info.value.code == code, info.value.message
    if code > -32100 and code <= -32000:
        assert info.value.data == {"code": app, "field": field}
    elif field:
        assert info.value.data["field"] == field
    return info.value.message


def test_system_ping_info_doctor(call, bridge):
    assert call("system.ping")["time"] > 0
    info = call("system.info")
    assert info["transport"] == "http" and info["version"]
    assert info["ffmpeg"] and info["ffmpeg_version"] and info["database"] == str(bridge.db_path)
    assert bridge.for_transport("webview").transport == "webview"
    report = call("system.doctor", {})
    assert report["ok"] is True and "libx264" in report["usable_encoders"]
    assert report["encoder_choice"]["encoder"]
    fails(call, "system.doctor", {"recheck_encoders": "yes"}, -32602, "recheck_encoders")
    fails(call, "system.info", {"x": 1}, -32602, "x")


def test_settings(call):
    keys = {s["key"]: s for s in call("settings.list")}
    assert keys["parallel_workers"]["value_type"] == "integer"
    assert call("settings.get", {"key": "parallel_workers"})["value"] == keys["parallel_workers"]["value"]
    assert call("settings.set", {"key": "parallel_workers", "value": 3})["value"] == 3
    assert call("settings.get", {"key": "parallel_workers"})["value"] == 3
    assert call("settings.set", {"key": "gpu_enabled", "value": False})["value"] is False
    fails(call, "settings.get", {"key": "nope"}, -32000, "key")
    fails(call, "settings.set", {"key": "parallel_workers", "value": "3"}, -32000, "value")
    fails(call, "settings.set", {"key": "parallel_workers", "value": 0}, -32000, "value")
    fails(call, "settings.set", {"key": "encoder_preference", "value": "vaapi"}, -32000, "value")
    fails(call, "settings.set", {"key": "db_version", "value": 9}, -32000, "key")
    fails(call, "settings.set", {"key": "parallel_workers"}, -32602, "value")
    fails(call, "settings.get", {}, -32602, "key")
    assert call("settings.get", {"key": "parallel_workers"})["value"] == 3


def test_presets_lifecycle(call, tmp_path):
    listed = call("presets.list")
    assert listed[0]["is_default"] and {"webflow_standard"} <= {p["id"] for p in listed}
    base = call("presets.get", {"id": "webflow_standard"})
    made = call("presets.create", {"id": "mine", "name": "Mine", "overrides": {"video": {"crf": 20}}})
    assert made["video"]["crf"] == 20 and made["base_preset"] == "webflow_standard"
    assert made["stills_hq"] == base["stills_hq"]
    assert call("presets.update", {"id": "mine", "overrides": {"video": {"crf": 22}},
                                   "name": "Mine 2"})["video"]["crf"] == 22
    assert call("presets.set_default", {"id": "mine"}) == {"default_preset": "mine"}
    exported = call("presets.export", {"id": "mine"})
    assert exported["path"] is None and exported["preset"]["name"] == "Mine 2"
    file = tmp_path / "mine.json"
    assert call("presets.export", {"id": "mine", "path": str(file)})["path"] == str(file)
    fails(call, "presets.export", {"id": "mine", "path": str(file)}, -32000, "path")
    imported = call("presets.import", {"preset": exported["preset"], "id": "copy"})
    assert imported["id"] == "copy" and imported["video"]["crf"] == 22
    assert call("presets.import", {"path": str(file), "id": "copy2"})["id"] == "copy2"
    fails(call, "presets.import", {"preset": exported["preset"], "id": "copy"}, -32000, "preset")
    assert call("presets.delete", {"id": "mine"}) == {"id": "mine", "new_default": "webflow_standard"}
    assert "mine" not in {p["id"] for p in call("presets.list")}


def test_preset_errors_name_their_field(call):
    fails(call, "presets.get", {"id": "nope"}, -32000, "id")
    fails(call, "presets.create", {"id": "x", "name": "X", "base": "nope"}, -32000, "base")
    fails(call, "presets.create", {"id": "x", "name": "X", "overrides": {"video": {"crf": "hi"}}},
          -32000, "video.crf")
    fails(call, "presets.create", {"id": "x"}, -32602, "name")
    fails(call, "presets.update", {"id": "webflow_standard", "name": "Mine"}, -32000, "id")
    fails(call, "presets.update", {"id": "nope", "name": "Mine"}, -32000, "id")
    fails(call, "presets.delete", {"id": "webflow_standard"}, -32000, "id")
    fails(call, "presets.set_default", {"id": "nope"}, -32000, "id")
    fails(call, "presets.import", {}, -32000, "preset")
    fails(call, "presets.import", {"preset": {"id": "y"}, "path": "/x"}, -32000, "preset")
    fails(call, "presets.import", {"preset": {"id": "y", "name": 3}}, -32000, "name")
    fails(call, "presets.import", {"path": "/nonexistent/p.json"}, -32000, "path")
    # a preset may carry no raw ffmpeg text that names a file (the hardening rule), via the bridge too
    preset = call("presets.get", {"id": "webflow_standard"})
    assert preset["id"] == "webflow_standard"


def test_history(call, bridge):
    assert call("history.list") == []
    stats = call("history.stats")
    assert stats["total_projects"] == 0
    sid = sessions.create(bridge.db, NewSession(artwork_name="A", project_date="24-03-15",
                                                master_path="/m.mov", output_path="/o",
                                                preset_id="webflow_standard"))
    history.record(bridge.db, history.HistoryRecord(session_id=sid, artwork_name="A",
                                                    project_date="24-03-15", output_path="/o",
                                                    master_filename="m.mov",
                                                    completed_successfully=True))
    rows = call("history.list", {"limit": 5})
    assert [r["session_id"] for r in rows] == [sid]
    assert call("history.stats")["total_projects"] == 1
    assert call("history.files", {"session_id": sid}) == []
    fails(call, "history.files", {"session_id": "nope"}, -32000, "session_id")  # as every method
    fails(call, "history.list", {"limit": 0}, -32000, "limit")
    fails(call, "history.list", {"limit": "5"}, -32602, "limit")
