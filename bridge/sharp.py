"""Sharp proxies made in the background once an ingest is done (backend/media/sharp_proxy.py):
one thread per cache entry, started when the timeline is first asked for, stopped when the
bridge closes. The page asks `timeline.proxy` until it is ready and then swaps it in."""

from __future__ import annotations

import threading
from pathlib import Path

from backend.errors import ArchiveError
from backend.media import sharp_proxy


class SharpProxies:
    def __init__(self):
        self._lock = threading.Lock()
        self._threads: dict[Path, threading.Thread] = {}
        self._errors: dict[Path, str] = {}
        self._cancel = threading.Event()

    def state(self, result) -> tuple[Path | None, bool, str | None]:
        """(the sharp proxy when made, whether it is still being made, why it failed), starting
        it when it is wanted and not yet under way."""
        done = sharp_proxy.sharp_proxy(result)
        if not sharp_proxy.wanted(result) or (done is not None and sharp_proxy.scrub_proxy(result)):
            return done, False, None
        entry = Path(result.scores).parent
        with self._lock:
            if entry in self._errors:
                return None, False, self._errors[entry]
            thread = self._threads.get(entry)
            if thread is None and not self._cancel.is_set():
                thread = threading.Thread(target=self._make, args=(result, entry),
                                          name=f"sharp-proxy-{entry.name}", daemon=True)
                self._threads[entry] = thread
                thread.start()
            return None, thread is not None and thread.is_alive(), None

    def _make(self, result, entry: Path) -> None:
        try:
            sharp_proxy.make_sharp_proxy(result, cancel=self._cancel)
        except ArchiveError as exc:
            with self._lock:
                self._errors[entry] = str(exc)
        finally:
            with self._lock:
                self._threads.pop(entry, None)

    def close(self) -> None:
        self._cancel.set()
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout=10)
