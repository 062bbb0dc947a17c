"""Running units side by side as soon as the units they need are done: one thread per running
unit, each driving one ffmpeg process or one PyAV/Pillow job (both release the GIL), at most
`workers` at once.

Units off the critical path run at a lower CPU priority. The web master encode is what every
clip waits for; stills, copies and R&D files only have to be done by the end of the session. On
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


def run_graph(items: Iterable[T], work: Callable[[T], bool], workers: int,
              should_stop: Callable[[], bool], *, key: Callable[[T], str],
              needs: Callable[[T], Iterable[str]], done: Iterable[str] = (),
              urgent: Callable[[T], bool] = lambda item: True,
              priority: Callable[[T], tuple] = lambda item: ()) -> set[str]:
    """Run `work(item)` for every item once every key in `needs(item)` is done (in `done`, or an
    item whose work returned True), at most `workers` at once. Among the items that can start,
    urgent ones go first, then the lowest `priority`, then the given order. An item whose work
    returns False has failed: the items that need it, directly or not, never start; the others
    go on. Items not yet started when `should_stop()` turns true are never started; running ones
    finish or notice the stop themselves. An exception from `work` is re-raised here once the
    running items are done; nothing new starts meanwhile. Returns the keys of the items that
    never started because something they need failed or is not among the items."""
    pending = list(items)
    completed = set(done)
    known = {key(item) for item in pending} | completed
    failed: set[str] = set()
    blocked: set[str] = set()
    finished: queue.Queue = queue.Queue()
    errors: list[BaseException] = []
    running: dict[threading.Thread, T] = {}
    succeeded: dict[threading.Thread, bool] = {}

    def run(item: T, background: bool) -> None:
        me = threading.current_thread()
        try:
            if background:
                lower_priority()
            succeeded[me] = bool(work(item))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            errors.append(exc)
        finally:
            finished.put(me)

    def cannot_run(item: T) -> bool:
        return any(n in failed or n in blocked or n not in known for n in needs(item))

    while True:
        # whatever needs a failed unit never runs, and neither does what needs that one
        stuck = [item for item in pending if cannot_run(item)]
        while stuck:
            for item in stuck:
                pending.remove(item)
                blocked.add(key(item))
            stuck = [item for item in pending if cannot_run(item)]
        ready = sorted((i for i in pending if all(n in completed for n in needs(i))),
                       key=lambda i: (not urgent(i), priority(i)))
        while ready and len(running) < max(1, workers) and not should_stop() and not errors:
            item = ready.pop(0)
            pending.remove(item)
            thread = threading.Thread(target=run, args=(item, not urgent(item)), name="unit",
                                      daemon=True)
            running[thread] = item
            thread.start()
        if not running:
            break
        thread = finished.get()
        thread.join()
        item = running.pop(thread)
        (completed if succeeded.pop(thread, False) else failed).add(key(item))
    if errors:
        raise errors[0]
    return blocked


def lower_priority() -> None:
    """This thread (and the processes it starts) yields the CPU to full-priority work."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
        except OSError:
            pass  # a sandbox may forbid it; the work still runs, only less politely
