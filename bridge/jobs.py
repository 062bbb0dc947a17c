"""Long work (ingest, export) in background threads: a method starts a job and returns its id at
once; the job's events go to every listener with its job_id and session_id; pausing sets the
job's cancel event, which the core's runner and ingest already watch. Jobs live as long as the
server: on close they are asked to pause, and the core's resume picks them up in a later run."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Literal

import msgspec

from backend.errors import StateError
from bridge.events import EventHub
from bridge.rpc import app_error_of

JobState = Literal["running", "completed", "paused", "failed", "cancelled"]


class JobInfo(msgspec.Struct, kw_only=True):
    job_id: str
    kind: str                     # "ingest" or "export"
    session_id: str
    state: JobState
    started: float                # Unix time
    finished: float | None = None
    message: str | None = None    # why it failed


class _Job:
    def __init__(self, kind: str, session_id: str):
        self.info = JobInfo(job_id=secrets.token_hex(8), kind=kind, session_id=session_id,
                            state="running", started=time.time())
        self.cancel = threading.Event()
        self.cancel_requested = False   # cancel (not pause): the work is to be dropped
        self.thread: threading.Thread | None = None
        self.ending = False             # its work told the page it is over; only cleanup is left


# The work of a job: work(cancel, emit) returns the final state ("completed", "paused", ...).
Work = Callable[[threading.Event, Callable[[dict], None]], JobState]


class JobManager:
    def __init__(self, events: EventHub):
        self.events = events
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}

    # The events after which a page may start the session's next job: once one is published the
    # job only records its end, so a start waits for that instead of calling the session busy.
    ENDING_EVENTS = frozenset({"session_finished", "ingest_done"})
    ENDING_WAIT_S = 30.0

    def start(self, kind: str, session_id: str, work: Work) -> JobInfo:
        with self._lock:
            running = self._running_for(session_id)
        if running is not None and running.ending and running.thread is not None:
            running.thread.join(self.ENDING_WAIT_S)
        with self._lock:
            running = self._running_for(session_id)
            if running is not None:
                raise StateError(f"session {session_id} is busy: its {running.info.kind} job "
                                 f"{running.info.job_id} is still running")
            job = _Job(kind, session_id)
            self._jobs[job.info.job_id] = job
        job.thread = threading.Thread(target=self._run, args=(job, work), daemon=True,
                                      name=f"job-{kind}-{job.info.job_id}")
        job.thread.start()
        return job.info

    def _run(self, job: _Job, work: Work) -> None:
        info = job.info

        def emit(event: dict) -> None:
            if event.get("type") in self.ENDING_EVENTS:
                job.ending = True
            self.events.publish({**event, "job_id": info.job_id, "session_id": info.session_id})

        try:
            state = work(job.cancel, emit)
            info.state = "cancelled" if job.cancel_requested and state == "paused" else state
        except BaseException as exc:  # noqa: BLE001 - reported as the job's failure
            code = app_error_of(exc)
            info.state = "cancelled" if job.cancel_requested else "failed"
            info.message = str(exc) if code else f"internal error: {type(exc).__name__}: {exc}"
            emit({"type": f"{info.kind}_failed", "message": info.message,
                  "code": code.code if code else "internal_error",
                  "field": getattr(exc, "field", None)})
        finally:
            info.finished = time.time()
            emit({"type": "job_finished", "kind": info.kind, "state": info.state,
                  "message": info.message})

    def _running_for(self, session_id: str) -> _Job | None:
        return next((j for j in self._jobs.values()
                     if j.info.session_id == session_id and j.info.state == "running"), None)

    def running_for(self, session_id: str) -> JobInfo | None:
        with self._lock:
            job = self._running_for(session_id)
            return job.info if job else None

    def latest_for(self, session_id: str, kind: str | None = None) -> JobInfo | None:
        with self._lock:
            found = [j.info for j in self._jobs.values() if j.info.session_id == session_id
                     and (kind is None or j.info.kind == kind)]
        return max(found, key=lambda i: i.started) if found else None

    def stop(self, session_id: str, *, cancel: bool = False, wait: float | None = None) -> JobInfo | None:
        """Ask the session's running job to pause (or to be cancelled); None when none runs."""
        with self._lock:
            job = self._running_for(session_id)
        if job is None:
            return None
        job.cancel_requested = job.cancel_requested or cancel
        job.cancel.set()
        if wait and job.thread is not None:
            job.thread.join(wait)
        return job.info

    def wait(self, job_id: str, timeout: float | None = None) -> JobInfo:
        with self._lock:
            job = self._jobs[job_id]
        if job.thread is not None:
            job.thread.join(timeout)
        return job.info

    def close(self, timeout: float = 30.0) -> None:
        """Pause every running job and give them `timeout` seconds to save their state."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.info.state == "running"]
        for job in jobs:
            job.cancel.set()
        deadline = time.monotonic() + timeout
        for job in jobs:
            if job.thread is not None:
                job.thread.join(max(0.0, deadline - time.monotonic()))


class RunnerEvents:
    """The runner's Events as the page's events: each passes on with what it says, plus the
    run's progress (units done, fraction, time left); a unit's progress becomes `progress`, and
    during an ingest the decode's progress also becomes `ingest_progress` with frames and fps.
    An analysis that reaches its end adds `ingest_done`."""

    DECODE_OP = "scene_detection"

    def __init__(self, emit: Callable[[dict], None], *, frames_total: int | None = None,
                 clock: Callable[[], float] = time.monotonic):
        from backend.jobs.estimate import RunEstimate

        self._emit = emit
        self._clock = clock  # a test's own clock gives exact rates and times left
        self._estimate = RunEstimate(clock)
        self._frames_total = frames_total
        self._decode_started: float | None = None

    def __call__(self, event) -> None:
        from backend.jobs.estimate import frames_progress

        run = self._estimate.add(event)
        page = {k: v for k, v in msgspec.to_builtins(event).items() if k != "session_id"}
        page.update(completed=run.completed, total=run.total, fraction=run.fraction,
                    eta_s=run.eta_s, elapsed_s=run.elapsed_s)
        if event.type == "unit_progress":
            page["type"] = "progress"
            page["unit_progress"] = event.progress
        if event.op == self.DECODE_OP and event.type in ("unit_started", "unit_progress"):
            now = self._clock()
            if self._decode_started is None:
                self._decode_started = now
            if self._frames_total and event.type == "unit_progress":
                frames, fps = frames_progress(event.progress or 0.0, self._frames_total,
                                              now - self._decode_started)
                left = (self._frames_total - frames) / fps if fps > 0 else None
                self._emit({"type": "ingest_progress", "frames": frames,
                            "frames_total": self._frames_total, "fps": round(fps, 1),
                            "fraction": round(event.progress or 0.0, 4),
                            "eta_s": None if left is None else round(left, 1)})
        self._emit(page)
        if event.type == "session_finished" and event.status == "analysed":
            self._emit({"type": "ingest_done", "status": "analysed"})
