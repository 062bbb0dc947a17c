"""The pywebview transport: one rpc(message) entry point and events as va-event DOM events, in a
real Qt WebEngine window under Xvfb, and its pieces on their own."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import browser
from bridge.app import dispatcher
from bridge.context import Bridge
from bridge.webview import EventPusher, WebviewApi, event_script


@pytest.fixture
def api(db_path):
    bridge = Bridge(db_path, transport="webview")
    yield WebviewApi(dispatcher(bridge)), bridge
    bridge.close()


def test_one_entry_point(api):
    rpc, _ = api
    answer = json.loads(rpc.rpc('{"jsonrpc":"2.0","method":"system.info","id":"a"}'))
    assert answer["result"]["transport"] == "webview" and answer["id"] == "a"
    assert rpc.rpc('{"jsonrpc":"2.0","method":"system.ping"}') is None
    assert json.loads(rpc.rpc("{"))["error"]["code"] == -32700
    assert json.loads(rpc.rpc({"jsonrpc": "2.0"}))["error"]["code"] == -32600
    # only rpc is public: pywebview exposes every public attribute to the page
    assert [n for n in dir(rpc) if not n.startswith("_")] == ["rpc"]


def test_events_are_pushed_as_va_event(api):
    _, bridge = api
    scripts = []

    class Window:
        def evaluate_js(self, script):
            scripts.append(script)

    pusher = EventPusher(bridge.events, Window())
    bridge.events.publish({"type": "progress", "job_id": "j", "text": "x\u2028</script>"})
    import time
    deadline = time.monotonic() + 10
    while not scripts and time.monotonic() < deadline:
        time.sleep(0.05)
    pusher.close()
    assert scripts == [event_script({"type": "progress", "job_id": "j", "text": "x\u2028</script>",
                                     "seq": 1})]
    assert scripts[0].startswith('window.dispatchEvent(new CustomEvent("va-event", {detail: {')
    assert "\u2028" not in scripts[0] and "\\u2028" in scripts[0]
    assert bridge.events.listeners() == 0


def test_real_window_calls_rpc_and_gets_events(db_path):
    browser.require_system_deps()
    env = dict(os.environ, PYWEBVIEW_GUI="qt", QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    flags = ["--disable-gpu"]
    if os.geteuid() == 0:
        flags.insert(0, "--no-sandbox")
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(flags)
    with browser.xvfb() as display, tempfile.TemporaryDirectory() as runtime:
        os.chmod(runtime, 0o700)
        env.update(DISPLAY=display, XDG_RUNTIME_DIR=runtime)
        proc = subprocess.run([sys.executable, str(Path(__file__).parent / "webview_bridge_child.py"),
                               str(db_path)], env=env, capture_output=True, text=True, timeout=180)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    assert lines, proc.stderr[-2000:]
    outcome = json.loads(lines[-1][7:])
    assert "error" not in outcome, outcome["error"] + proc.stderr[-2000:]
    state = outcome["value"]
    info, bad = state["answer"]
    assert info["result"]["transport"] == "webview"
    assert bad["error"]["data"] == {"code": "input_error", "field": "key"}
    assert state["note"] is None
    assert state["got"] == [{"type": "progress", "job_id": "j1", "text": "a\u2028b </script>", "seq": 1},
                            {"type": "unit_finished", "job_id": "j1", "seq": 2}]
