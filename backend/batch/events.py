"""What a batch tells its caller: one event type (the CLI draws it or prints it as a JSON line),
the overall progress with an ETA, and the summary at the end."""

from __future__ import annotations

import time
from typing import Callable

import msgspec

from backend.jobs.events import Event
from backend.ops import operators
from backend.ops.base import Stage


class BatchEvent(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: str                     # batch_started, job_started, job_progress, job_finished,
                                  # job_waiting, warning, batch_finished
    batch_id: str
    time: float = msgspec.field(default_factory=time.time)
    job: int | None = None        # the manifest's row number
    archive: str | None = None
    node: str | None = None
    session_id: str | None = None
    status: str | None = None     # of the job (job_finished) or the batch (batch_finished)
    progress: float | None = None  # this job, 0..1
    done: int | None = None       # jobs finished (done, skipped or failed) so far
    total: int | None = None      # jobs in the batch
    overall: float | None = None  # the batch, 0..1
    eta_s: float | None = None    # seconds left at the pace so far
    message: str | None = None


BatchListener = Callable[[BatchEvent], None]


class Failure(msgspec.Struct, kw_only=True):
    job: int
    archive: str
    reason: str


class Summary(msgspec.Struct, kw_only=True):
    batch_id: str
    type: str = "summary"         # the last JSON line of `batch --json`
    status: str                   # finished, paused, waiting
    done: int
    skipped: int
    failed: list[Failure]
    waiting: list[int]            # jobs that need a GPU the cluster does not have
    paused: list[int]             # jobs left for `batch resume`
    total_size_bytes: int
    archives: list[str]           # the archives done or skipped


class Pace:
    """The batch's progress and ETA: jobs that run count by their own progress, skipped ones
    take no time and so count in neither the elapsed work nor what is left."""

    def __init__(self, to_run: int):
        self.to_run = max(to_run, 0)
        self.started = time.monotonic()
        self.finished = 0
        self.running: dict[int, float] = {}

    def job_progress(self, job: int, fraction: float) -> None:
        self.running[job] = max(0.0, min(1.0, fraction))

    def job_finished(self, job: int) -> None:
        self.running.pop(job, None)
        self.finished += 1

    def overall(self) -> float:
        if not self.to_run:
            return 1.0
        return min(1.0, (self.finished + sum(self.running.values())) / self.to_run)

    def eta_s(self) -> float | None:
        fraction = self.overall()
        if fraction <= 0:
            return None
        return (time.monotonic() - self.started) * (1 - fraction) / fraction


ANALYSIS_SHARE = 0.1  # of a job's progress: probe and scene detection, before the export is planned


def session_fraction(event: Event) -> float:
    """How far a session is, from one of its unit events. Until the export is planned the
    session counts only its analysis units, so those take the first tenth of the job."""
    fraction = event.completed / event.total
    if event.op in {op.id for op in operators.all_operators() if op.stage == Stage.ANALYSIS}:
        return fraction * ANALYSIS_SHARE
    return fraction
