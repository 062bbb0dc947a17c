"""The pywebview transport for the desktop shell: `js_api` exposes one method, `rpc(message)`, that
takes one JSON-RPC message (a string) and returns the answer string (or null for notifications);
events are pushed into the page as `window.dispatchEvent(new CustomEvent("va-event", {detail}))`.

pywebview exposes every public attribute of the js_api object to the page, so everything but
`rpc` is private here."""

from __future__ import annotations

import json
import threading

import msgspec

from bridge.events import EventHub
from bridge.rpc import INVALID_REQUEST, Dispatcher

# JSON is a subset of JavaScript only once U+2028/2029 are escaped (msgspec leaves them raw)
_JS_UNSAFE = {ord("\u2028"): "\\u2028", ord("\u2029"): "\\u2029"}


class WebviewApi:
    def __init__(self, dispatcher: Dispatcher):
        self._dispatcher = dispatcher

    def rpc(self, message):
        """One JSON-RPC message in, its answer out (None for notifications)."""
        if not isinstance(message, str):
            # a page that passed an object: the transport takes JSON text, as POST /rpc does
            return json.dumps({"jsonrpc": "2.0", "id": None, "error": {
                "code": INVALID_REQUEST, "message": "invalid request: pass the JSON-RPC message "
                "as a string (JSON.stringify it)"}})
        answer = self._dispatcher.handle(message.encode("utf-8", "surrogatepass"))
        return None if answer is None else answer.decode()


def event_script(event: dict) -> str:
    detail = msgspec.json.encode(event).decode().translate(_JS_UNSAFE)
    return f'window.dispatchEvent(new CustomEvent("va-event", {{detail: {detail}}}));'


class EventPusher:
    """Pushes every event of `hub` into one window from a thread of its own, so a job never waits
    on the page (evaluate_js blocks until the page ran the script)."""

    def __init__(self, hub: EventHub, window):
        self._window = window
        self._sub = hub.subscribe()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="va-event-pusher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            event = self._sub.get(timeout=0.5)
            if event is None:
                if self._sub.dropped:
                    return
                continue
            try:
                self._window.evaluate_js(event_script(event))
            except Exception:  # noqa: BLE001 - the window closed: stop pushing
                self._stop.set()
        self._sub.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sub.close()


def attach(window, dispatcher: Dispatcher) -> EventPusher:
    """Push the bridge's events into `window` until it closes (the shell calls this once the
    window exists; the window was created with js_api=WebviewApi(dispatcher))."""
    pusher = EventPusher(dispatcher.context.events, window)
    try:
        window.events.closed += pusher.close
    except AttributeError:
        pass  # a stand-in window in tests
    return pusher
