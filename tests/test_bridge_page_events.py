"""The page recovers by itself: an event stream the server refused (503 while every stream slot
is taken) is opened again with back-off, and a reopened stream resumes after the last event id."""

import socket
import threading

import browser
from bridge.http import FRONTEND, Handler
from bridge_client import running

RECOVERS = """(async () => {
  const until = async (test, ms) => { const end = Date.now() + ms;
    while (!test()) { if (Date.now() > end) return false; await new Promise((r) => setTimeout(r, 50)); }
    return true; };
  await until(() => window.videoArchive && window.videoArchive.lostConnection !== undefined, 20000);
  const refused = window.videoArchive.lostConnection === true;
  const back = await until(() => window.videoArchive.lostConnection === false, 30000);
  return {refused, back};
})()"""


def test_a_refused_event_stream_is_opened_again(db_path, monkeypatch):
    browser.require_system_deps()
    refused = threading.Event()
    original = Handler._refuse

    def record(self, status, reason, allow=None):
        if int(status) == 503 and "/events" in self.path:
            refused.set()
        return original(self, status, reason, allow)

    monkeypatch.setattr(Handler, "_refuse", record)
    with running(db_path, FRONTEND, max_streams=1) as served:
        held = socket.create_connection(("127.0.0.1", served.port), timeout=10)
        held.sendall(f"GET {served.events} HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n\r\n"
                     .encode())
        assert held.recv(100).startswith(b"HTTP/1.1 200 ")
        def release():  # once the page's stream has met a 503
            refused.wait(60)
            held.close()

        release = threading.Thread(target=release, daemon=True)
        release.start()
        try:
            result = browser.evaluate_in_chromium(
                f"{served.base}/#code={served.server.new_code()}", RECOVERS, timeout=90)
        finally:
            refused.set()
            release.join(5)
    assert result == {"refused": True, "back": True}, result


def test_a_reopened_stream_resumes_after_the_last_id_it_names(db_path, tmp_path):
    with running(db_path, tmp_path) as client:
        for n in range(1, 6):
            client.server.bridge.events.publish({"type": "progress", "n": n})
        conn = socket.create_connection(("127.0.0.1", client.port), timeout=10)
        conn.sendall((f"GET {client.events}?last_event_id=3 HTTP/1.1\r\n"
                      f"Host: 127.0.0.1:{client.port}\r\n\r\n").encode())
        buffer = b""
        while buffer.count(b"data: ") < 2:
            buffer += conn.recv(4096)
        conn.close()
    assert b"id: 4\ndata: " in buffer and b"id: 5\ndata: " in buffer and b"id: 3\n" not in buffer
