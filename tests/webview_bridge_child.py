"""Child process of test_bridge_webview: a real pywebview window on Qt WebEngine with the bridge
as its js_api. The page calls rpc() and listens for va-event; the answer is one JSON line."""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import webview  # noqa: E402

from bridge.app import dispatcher  # noqa: E402
from bridge.context import Bridge  # noqa: E402
from bridge.webview import WebviewApi, attach  # noqa: E402

PAGE = "<!doctype html><html><body>bridge</body></html>"
START = """
window.__got = [];
window.addEventListener("va-event", (e) => window.__got.push(e.detail));
window.pywebview.api.rpc(JSON.stringify([
  {jsonrpc: "2.0", method: "system.info", id: 1},
  {jsonrpc: "2.0", method: "settings.get", params: {key: "nope"}, id: 2},
  {jsonrpc: "2.0", method: "system.ping"}])).then((r) => { window.__answer = JSON.parse(r); });
window.pywebview.api.rpc(JSON.stringify({jsonrpc: "2.0", method: "system.ping"}))
  .then((r) => { window.__notification = r; });
null
"""


def main() -> None:
    bridge = Bridge(sys.argv[1], transport="webview")
    rpc = dispatcher(bridge)
    window = webview.create_window("bridge", html=PAGE, js_api=WebviewApi(rpc), width=400,
                                   height=300)
    outcome = {}

    def drive():
        try:
            deadline = time.monotonic() + 60
            while not window.evaluate_js("!!(window.pywebview && window.pywebview.api && "
                                         "window.pywebview.api.rpc)"):
                assert time.monotonic() < deadline, "js_api never became ready"
                time.sleep(0.1)
            attach(window, rpc)
            window.evaluate_js(START)
            bridge.events.publish({"type": "progress", "job_id": "j1", "text": "a\u2028b </script>"})
            bridge.events.publish({"type": "unit_finished", "job_id": "j1"})
            while True:
                state = window.evaluate_js("({answer: window.__answer || null, got: window.__got, "
                                           "note: window.__notification})")
                if state["answer"] and len(state["got"]) >= 2:
                    break
                assert time.monotonic() < deadline, f"no answer or events: {state}"
                time.sleep(0.1)
            outcome["value"] = state
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            outcome["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            window.destroy()

    webview.start(drive, gui="qt")
    bridge.close()
    print("RESULT " + json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main()
