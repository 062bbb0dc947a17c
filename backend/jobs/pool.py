"""Running a stage's units side by side: a thread per worker, each driving one ffmpeg process or
one Pillow job at a time (both release the GIL), so a thread pool is enough."""

from __future__ import annotations

import concurrent.futures as cf
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")


def run_all(items: Iterable[T], work: Callable[[T], None], workers: int,
            should_stop: Callable[[], bool]) -> None:
    """Run `work(item)` for every item with at most `workers` at once. Items not yet started when
    `should_stop()` turns true are never started; running ones finish or notice the stop
    themselves. `work` handles its own errors: one failing item never stops the others."""
    items = list(items)
    if not items:
        return
    with cf.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="unit") as pool:
        pending = iter(items)
        running: set[cf.Future] = set()
        while True:
            while len(running) < workers and not should_stop():
                item = next(pending, None)
                if item is None:
                    break
                running.add(pool.submit(work, item))
            if not running:
                return
            done, running = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for future in done:
                future.result()  # `work` swallows expected errors; anything else is a bug: raise
