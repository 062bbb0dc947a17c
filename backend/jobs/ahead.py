"""Export work that needs only the master, started while the analysis runs (a headless run that
goes straight on to the export): each operator that has an `ahead` runs it in a thread of
its own, at the pool's lower priority, and its units take the result later (`Job.take_ahead`),
waiting for it if need be. The analysis keeps the cores; the copy of a 2 GB master, mostly a
wait on the disk, is then done by the time the export starts instead of after everything else,
and the stills of the scenes detection has settled (`Job.scene_feed`) fill the cores' gaps.

Whatever no unit took (a pause, a failed analysis, a crash of the run) is stopped and undone on
`close`; a kill -9 leaves only `.partial-` files, which the next run removes."""

from __future__ import annotations

import logging
import threading
from typing import Any

from backend.jobs.inputs import parse_scene_spec
from backend.jobs.pool import lower_priority
from backend.media.scene_feed import SceneFeed
from backend.ops import operators
from backend.ops.base import Job

log = logging.getLogger(__name__)


class Ahead:
    def __init__(self, job: Job):
        self._job = job
        self._stop = threading.Event()
        self._work: list[_Work] = []

    def start(self) -> None:
        spec = self._job.spec
        if spec.user_cuts is None and parse_scene_spec(spec.scene_spec) is None:
            # the job's scenes will be detection's, every one selected: the scene detection
            # unit feeds them as they settle, and closes the feed
            self._job.scene_feed = SceneFeed()
        for op in operators.all_operators():
            if op.ahead is not None:
                work = _Work(op, self._job, _Either(self._job.cancel, self._stop))
                self._job.ahead[op.id] = work.take
                self._work.append(work)
                work.thread.start()

    def close(self) -> None:
        """Stop what still runs and undo every result no unit took. Idempotent."""
        self._stop.set()
        if self._job.scene_feed is not None:
            self._job.scene_feed.close()
        for work in self._work:
            self._job.ahead.pop(work.op.id, None)
            work.thread.join()
            if work.result is not None:
                work.op.drop_ahead(work.result)
        self._work = []


class _Either:
    """The stop flag an `ahead` sees: the job's pause or the end of the run, whichever first."""

    def __init__(self, *events: threading.Event):
        self._events = events

    def is_set(self) -> bool:
        return any(event.is_set() for event in self._events)


class _Work:
    def __init__(self, op, job: Job, stop):
        self.op, self._job, self._stop = op, job, stop
        self.result: Any = None
        self.thread = threading.Thread(target=self._run, name=f"ahead-{op.id}", daemon=True)

    def _run(self) -> None:
        lower_priority()
        try:
            result = self.op.ahead(self._job, self._stop)
        except Exception as exc:  # noqa: BLE001 - the unit does the work itself and reports
            log.info("%s ahead of the export did not complete: %s", self.op.id, exc)
            return
        self.result = result

    def take(self) -> Any:
        self.thread.join()
        return self.result
