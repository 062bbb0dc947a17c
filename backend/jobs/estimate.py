"""How far a run is and how long it has left, from the runner's Events: the fraction done counts
finished units and the progress of running ones; time left extrapolates the elapsed time of this
run (a resumed run starts its clock again, so time spent before a pause does not skew it)."""

from __future__ import annotations

import time

import msgspec

from backend.jobs.events import Event


class RunProgress(msgspec.Struct, kw_only=True):
    completed: int           # units finished (or skipped) in the session
    total: int
    fraction: float          # 0..1, running units counted by their own progress
    elapsed_s: float         # of this run
    eta_s: float | None      # None until there is enough to go on


class RunEstimate:
    MIN_FRACTION = 0.01  # below this an extrapolation is noise

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._started = clock()
        self._base: float | None = None   # fraction done when this run started
        self.completed = 0
        self.total = 0
        self._running: dict[int, float] = {}

    def add(self, event: Event) -> RunProgress:
        if event.total:
            self.total = event.total
        if event.completed is not None:
            self.completed = event.completed
        if event.type == "unit_started" and event.seq is not None:
            self._running[event.seq] = 0.0
        elif event.type == "unit_progress" and event.seq is not None:
            self._running[event.seq] = max(0.0, min(1.0, event.progress or 0.0))
        elif event.type in ("unit_finished", "unit_failed") and event.seq is not None:
            self._running.pop(event.seq, None)
        return self.snapshot()

    def snapshot(self) -> RunProgress:
        fraction = 0.0
        if self.total:
            fraction = min(1.0, (self.completed + sum(self._running.values())) / self.total)
        if self._base is None and self.total:
            self._base = min(self.completed / self.total, fraction)
        elapsed = self._clock() - self._started
        done_here = fraction - (self._base or 0.0)
        eta = None
        if done_here >= self.MIN_FRACTION and elapsed > 0:
            eta = max(0.0, elapsed * (1.0 - fraction) / done_here)
        return RunProgress(completed=self.completed, total=self.total, fraction=round(fraction, 4),
                           elapsed_s=round(elapsed, 3), eta_s=None if eta is None else round(eta, 1))


def frames_progress(fraction: float, frames_total: int, elapsed_s: float) -> tuple[int, float]:
    """(frames done, frames per second) of a decode reported as a fraction of its frames."""
    frames = int(round(max(0.0, min(1.0, fraction)) * frames_total))
    return frames, (frames / elapsed_s if elapsed_s > 0 else 0.0)
