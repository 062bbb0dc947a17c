"""Running a stage's units side by side: one thread per running unit, each driving one ffmpeg
process or one PyAV/Pillow job (both release the GIL), at most `workers` at once.

Units off the critical path run at a lower CPU priority. The web master encode is what every
clip waits for; stills, copies and R&D files only have to be done by the end of the stage. On
Linux the priority (nice) is per thread and inherited by the threads and processes it starts
(libavcodec's decoder threads, ffmpeg children), so the encode gets the cores first and the rest
fills the gaps, instead of all of them slowing each other down equally."""

from __future__ import annotations

import os
import queue
import sys
import threading
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
BACKGROUND_NICE = 10


def run_all(items: Iterable[T], work: Callable[[T], None], workers: int,
            should_stop: Callable[[], bool], urgent: Callable[[T], bool] = lambda item: True) -> None:
    """Run `work(item)` for every item, urgent items first, at most `workers` at once. Items not
    yet started when `should_stop()` turns true are never started; running ones finish or notice
    the stop themselves. `work` handles its own expected errors: one failing item never stops
    the others; an unexpected exception is re-raised here once all running items are done."""
    pending = sorted(items, key=lambda item: not urgent(item))
    finished: queue.Queue = queue.Queue()
    errors: list[BaseException] = []
    running: set[threading.Thread] = set()

    def run(item: T, background: bool) -> None:
        try:
            if background:
                _lower_priority()
            work(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            errors.append(exc)
        finally:
            finished.put(threading.current_thread())

    while True:
        while pending and len(running) < max(1, workers) and not should_stop() and not errors:
            item = pending.pop(0)
            thread = threading.Thread(target=run, args=(item, not urgent(item)), name="unit",
                                      daemon=True)
            running.add(thread)
            thread.start()
        if not running:
            break
        done = finished.get()
        done.join()
        running.discard(done)
    if errors:
        raise errors[0]


def _lower_priority() -> None:
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
        except OSError:
            pass  # a sandbox may forbid it; the work still runs, only less politely
