"""A second start hands its request to the running window instead of failing where nobody reads
stderr (a menu launcher, "Open with"): the first `video-archive app` listens on loopback, with its
port and a random token in `app.handoff` inside the owner-only state folder; a second start on the
same state folder sends the token and the file it was given, and the first raises its window (and
opens that file in the new-project form). Only a process that can read the state folder can ask."""

from __future__ import annotations

import hmac
import json
import os
import secrets
import socket
import threading
from collections.abc import Callable
from pathlib import Path

HANDOFF_NAME = "app.handoff"
LIMIT = 64 * 1024
TIMEOUT_S = 10


class Listener:
    """Answers second starts while the window is up. `on_request(master)` runs on the listener's
    thread (master: a path, or None for a plain start)."""

    def __init__(self, folder: Path, on_request: Callable[[str | None], None]):
        self.path = Path(folder) / HANDOFF_NAME
        self._on_request = on_request
        self._token = secrets.token_hex(16)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{self._sock.getsockname()[1]} {self._token}\n")
        self._thread = threading.Thread(target=self._serve, name="app-handoff", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            with conn:
                try:
                    conn.settimeout(TIMEOUT_S)
                    request = json.loads(_read_line(conn))
                    if not hmac.compare_digest(str(request.get("token", "")), self._token):
                        continue
                    master = request.get("open")
                    self._on_request(master if isinstance(master, str) and master else None)
                    conn.sendall(b"ok\n")
                except (OSError, ValueError, AttributeError):
                    continue

    def close(self) -> None:
        self._sock.close()
        try:
            self.path.unlink()
        except OSError:
            pass


def _read_line(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n") and len(data) < LIMIT:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace")


def send(folder: Path, master: str | None) -> bool:
    """Ask the window running on `folder` to come to the front (and open `master`); whether it
    answered."""
    try:
        port, token = (Path(folder) / HANDOFF_NAME).read_text().split()
        with socket.create_connection(("127.0.0.1", int(port)), timeout=TIMEOUT_S) as conn:
            conn.sendall(json.dumps({"token": token, "open": master}).encode() + b"\n")
            return _read_line(conn).strip() == "ok"
    except (OSError, ValueError):
        return False
