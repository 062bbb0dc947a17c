"""Events to every page that listens: each listener (an SSE stream, a pywebview window, a test)
gets its own bounded queue, so two pages watching one job both get all of its events and a page
that stops reading never slows the job down (it is dropped and reconnects)."""

from __future__ import annotations

import collections
import queue
import threading
from collections.abc import Callable
from typing import Any

QUEUE_LIMIT = 5000  # events a listener may fall behind by before it is dropped
REPLAY = 2000       # recent events kept for a listener that reconnects (SSE Last-Event-ID)


class Subscription:
    def __init__(self, hub: EventHub):
        self._hub = hub
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_LIMIT)
        self.dropped = False

    def get(self, timeout: float | None = None) -> dict | None:
        """The next event, or None after `timeout` seconds (or once dropped)."""
        if self.dropped and self.queue.empty():
            return None
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._hub.unsubscribe(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class EventHub:
    """Every published event gets `seq`, increasing from 1 in this run; a listener that lost its
    connection subscribes again `after` the last seq it saw and gets what it missed first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: list[Subscription] = []
        self._callbacks: list[Callable[[dict], None]] = []
        self._seq = 0
        self._recent: collections.deque[dict] = collections.deque(maxlen=REPLAY)

    def subscribe(self, after: int | None = None) -> Subscription:
        sub = Subscription(self)
        with self._lock:
            if after is not None:
                for event in self._recent:
                    if event["seq"] > after:
                        sub.queue.put_nowait(event)
            self._subscriptions.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscriptions:
                self._subscriptions.remove(sub)

    def add_callback(self, callback: Callable[[dict], None]) -> Callable[[], None]:
        """Call `callback(event)` on the publishing thread (pywebview pushes with evaluate_js);
        returns the function that removes it."""
        with self._lock:
            self._callbacks.append(callback)

        def remove() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)
        return remove

    def publish(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            event = {**event, "seq": self._seq}
            self._recent.append(event)
            subs, callbacks = list(self._subscriptions), list(self._callbacks)
        for sub in subs:
            try:
                sub.queue.put_nowait(event)
            except queue.Full:
                sub.dropped = True
                self.unsubscribe(sub)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - a closed window must not stop the job
                pass

    def listeners(self) -> int:
        with self._lock:
            return len(self._subscriptions) + len(self._callbacks)
