"""Ctrl-C (or SIGTERM) as a clean pause for the commands that run archive work (`process`,
`resume`, `batch`): the first sets `cancel` so running jobs stop at a safe point and are saved
as paused; a second stops at once (resume still works: nothing is lost)."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading


@contextlib.contextmanager
def pausing(cancel: threading.Event, *, quiet: bool, message: str):
    """While inside: SIGINT/SIGTERM set `cancel` (saying `message` on stderr unless `quiet`),
    and a second one raises KeyboardInterrupt. The earlier handlers are put back after."""
    def pause(signum, frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        if not quiet:
            print(message, file=sys.stderr)

    previous = {s: signal.signal(s, pause) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
