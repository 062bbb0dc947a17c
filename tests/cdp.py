"""A minimal Chrome DevTools Protocol client over a WebSocket (standard library only), for
driving a page inside a Qt WebEngine window from a test: QTWEBENGINE_REMOTE_DEBUGGING=HOST:PORT
makes the app's own engine listen. Playwright's connect_over_cdp needs browser-context methods
Qt WebEngine does not offer, so this speaks to one page target directly."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
import urllib.request
from urllib.parse import urlsplit


def page_targets(port: int) -> list[dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
        return [t for t in json.load(answer) if t.get("type") == "page"]


def wait_for_page(port: int, timeout: float, alive=lambda: True) -> dict:
    """The first page target once the engine listens; `alive()` false stops the wait."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError("the app exited before its window's page appeared")
        try:
            pages = page_targets(port)
            if pages:
                return pages[0]
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"no page on the DevTools port {port} within {timeout} s")


class Page:
    def __init__(self, ws_url: str, timeout: float = 60):
        parts = urlsplit(ws_url)
        self._sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self._sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self._sock.recv(1)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"DevTools refused the WebSocket: {head[:200]!r}")
        self._next = 0

    def _recv_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self._sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            data += chunk
        return data

    def _send(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                  bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else
                                  bytes([0x80 | 127]) + struct.pack(">Q", n))
        self._sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _recv(self) -> str:
        message = b""
        while True:
            first, second = self._recv_exact(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._recv_exact(8))[0]
            message += self._recv_exact(n)  # a server never masks its frames
            if first & 0x80:
                return message.decode()

    def call(self, method: str, **params) -> dict:
        self._next += 1
        self._send(json.dumps({"id": self._next, "method": method, "params": params}))
        while True:
            answer = json.loads(self._recv())
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise AssertionError(f"{method}: {answer['error']}")
                return answer["result"]

    def evaluate(self, expression: str):
        """The value of `expression` in the page, awaiting it when it is a promise."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"the page threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        self._sock.close()
