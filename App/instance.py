"""One desktop app per state database: a second start is refused with a clear message while the
first runs, so two windows never drive one session. The lock is an OS file lock, released by the
kernel when the process ends, even after a crash."""

from __future__ import annotations

import os
from pathlib import Path

from backend import paths
from backend.errors import StateError
from backend.jobs.archive_lock import try_lock

LOCK_NAME = "app.lock"


class AlreadyRunning(StateError):
    """Another app holds the lock: the second start hands over to it (App/handoff.py)."""


class InstanceLock:
    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        try:  # a read-only home, a file where the folder should be: one line, no traceback
            paths.private_dir(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateError(f"cannot use the state folder {self.path.parent}: "
                             f"{exc.strerror or exc}") from None
        if not try_lock(fd):
            try:
                holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            except OSError:  # Windows refuses to read a byte another process has locked
                holder = "unknown"
            os.close(fd)
            raise AlreadyRunning(f"Video Archive is already running (process {holder}) on "
                                 f"{self.path.parent}; use that window, or close it first")
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock; the file stays for the next start
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
