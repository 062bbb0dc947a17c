"""A test client for the bridge's HTTP transport: a running server on a temp state.db and a
temp frontend folder, and raw HTTP requests where the test decides every header."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path

from bridge.app import dispatcher
from bridge.context import Bridge
from bridge.http import BridgeServer


class Client:
    def __init__(self, server: BridgeServer):
        self.server = server
        self.port = server.port
        self.token = server.token
        self.base = f"http://127.0.0.1:{self.port}"
        self.events = server.events_path  # under the secret prefix, as /session hands it out
        self._next = 0

    def raw(self, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, *, host: str | None = None,
            timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            if host != "":
                conn.putheader("Host", host or f"127.0.0.1:{self.port}")
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def rpc_raw(self, body: bytes | str, **headers) -> tuple[int, bytes]:
        data = body.encode() if isinstance(body, str) else body
        status, _, answer = self.raw("POST", "/rpc", data, {
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
            **headers})
        return status, answer

    def call(self, method: str, params=None, *, timeout: float = 60):
        """The result, or raise RpcFailure with the error object."""
        self._next += 1
        message = {"jsonrpc": "2.0", "method": method, "id": self._next}
        if params is not None:
            message["params"] = params
        status, answer = self.rpc_raw(json.dumps(message))
        assert status == 200, (status, answer)
        decoded = json.loads(answer)
        if "error" in decoded:
            raise RpcFailure(decoded["error"])
        return decoded["result"]

    def get(self, path: str, headers: dict[str, str] | None = None):
        """GET with no credential but what the path holds (media and events: its secret prefix)."""
        return self.raw("GET", path, None, headers)


class RpcFailure(Exception):
    def __init__(self, error: dict):
        super().__init__(f"{error['code']}: {error['message']}")
        self.error = error
        self.code = error["code"]
        self.data = error.get("data") or {}


@contextlib.contextmanager
def running(db_path: Path, frontend: Path, **limits) -> Iterator[Client]:
    bridge = Bridge(db_path)
    server = BridgeServer(dispatcher(bridge), frontend=frontend, **limits)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        yield Client(server)
    finally:
        server.close()
        thread.join(10)
        bridge.close()
