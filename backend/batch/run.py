"""The batch run: check the manifest whole, record the batch in the catalogue (state.db:
batch_runs, batch_jobs), run its jobs on this machine (`jobs_at_once` threads, each job an ordinary
`process` with its own session) or as Ray tasks on a cluster, keep the catalogue up to date as
they go, and sum it up. `resume` runs what a batch has not finished (paused, interrupted,
killed, failed or waiting), never a job already done or skipped."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec

from backend.batch import manifest
from backend.batch.events import BatchEvent, BatchListener, Failure, Pace, Summary, session_fraction
from backend.batch.job import JobResult, run_job
from backend.db import batches
from backend.db.batches import BatchJob
from backend.errors import InputError
from backend.jobs.events import Event


def start(db, manifest_path: str, *, jobs_at_once: int = 1, ray_address: str | None = None,
          cpus_per_job: float = 1, listener: BatchListener | None = None,
          cancel: threading.Event | None = None) -> Summary:
    """A new batch from the manifest at `manifest_path` (refused whole: ManifestErrors)."""
    _check_options(jobs_at_once, cpus_per_job)
    if ray_address is not None:
        from backend.batch import cluster

        cluster.require_ray()  # before a long check of the manifest
    jobs = manifest.load(db, manifest_path, local_encoder=ray_address is None)
    batch_id = batches.create(
        db, str(Path(manifest_path).expanduser().resolve()), "ray" if ray_address else "local",
        ray_address, jobs_at_once,
        [BatchJob(batch_id="", job=j.row, request=msgspec.to_builtins(j.request),
                  archive=j.archive, needs_gpu=j.needs_gpu) for j in jobs])
    return _run(db, batch_id, cpus_per_job, listener, cancel)


def resume(db, batch_id: str | None = None, *, jobs_at_once: int | None = None,
           ray_address: str | None = None, cpus_per_job: float = 1,
           listener: BatchListener | None = None, cancel: threading.Event | None = None) -> Summary:
    """Continue a batch (the newest without an id), on this machine unless `ray_address` (or
    the batch's own cluster when it ran on one)."""
    run = batches.get(db, batch_id)
    at_once = jobs_at_once or run.jobs_at_once
    _check_options(at_once, cpus_per_job)
    address = ray_address or (run.ray_address if run.mode == "ray" else None)
    batches.set_options(db, run.batch_id, "ray" if address else "local", address, at_once)
    return _run(db, run.batch_id, cpus_per_job, listener, cancel)


def _check_options(jobs_at_once: int, cpus_per_job: float) -> None:
    if jobs_at_once < 1:
        raise InputError(f"--jobs must be at least 1 (got {jobs_at_once})", "jobs")
    if cpus_per_job <= 0:
        raise InputError(f"--cpus-per-job must be more than 0 (got {cpus_per_job})", "cpus_per_job")


class Driver:
    """The catalogue and the events, shared by the threads (or the cluster loop) running jobs."""

    def __init__(self, db, batch_id: str, todo: list[BatchJob], total: int,
                 listener: BatchListener | None):
        self.db = db
        self.batch_id = batch_id
        self.listener = listener or (lambda event: None)
        self.lock = threading.Lock()
        self.total = total
        self.finished = total - len(todo)
        self.pace = Pace(len(todo))
        self.archives = {j.job: j.archive for j in todo}
        self.reported: set[int] = set()

    def emit(self, type: str, **fields) -> None:
        self.listener(BatchEvent(type=type, batch_id=self.batch_id, done=self.finished,
                                 total=self.total, overall=self.pace.overall(),
                                 eta_s=self.pace.eta_s(), **fields))

    def started(self, job: int, node: str | None = None) -> None:
        with self.lock:
            batches.update_job(self.db, self.batch_id, job, status="running", node=node,
                               error=None, started=True)
            self.pace.job_progress(job, 0.0)
            self.emit("job_started", job=job, archive=self.archives[job], node=node)

    def session_event(self, job: int, event: Event) -> None:
        """A job's own session events: its session id (kept at once, for a resume after a
        crash) and its progress."""
        with self.lock:
            if event.type == "session_started":
                batches.update_job(self.db, self.batch_id, job, session_id=event.session_id)
            if event.type == "warning":
                self.emit("warning", job=job, session_id=event.session_id, message=event.message)
            if event.total and event.completed is not None and event.type != "session_finished":
                fraction = max(self.pace.running.get(job, 0.0), session_fraction(event))
                self.pace.job_progress(job, fraction)
                self.emit("job_progress", job=job, session_id=event.session_id, progress=fraction)

    def progress(self, job: int, fraction: float, node: str | None, session_id: str | None) -> None:
        """Progress reported from a cluster node."""
        with self.lock:
            first = job not in self.reported  # queued until now: it starts when a node reports
            self.reported.add(job)
            batches.update_job(self.db, self.batch_id, job, started=first, **{
                k: v for k, v in (("session_id", session_id), ("node", node)) if v})
            fraction = max(self.pace.running.get(job, 0.0), fraction)
            self.pace.job_progress(job, fraction)
            self.emit("job_progress", job=job, node=node, session_id=session_id, progress=fraction)

    def finished_job(self, job: int, result: JobResult) -> None:
        with self.lock:
            batches.update_job(self.db, self.batch_id, job, status=result.status, node=result.node,
                               session_id=result.session_id, size_bytes=result.size_bytes,
                               error=result.error, finished=result.status != "paused")
            if result.status != "paused":
                self.finished += 1
                self.pace.job_finished(job)
            self.emit("job_finished", job=job, archive=result.archive, node=result.node,
                      session_id=result.session_id, status=result.status, message=result.error)

    def left(self, job: int, status: str, message: str) -> None:
        """A job that did not run: paused before it started, or waiting for a GPU."""
        with self.lock:
            batches.update_job(self.db, self.batch_id, job, status=status, error=message)
            self.emit("job_waiting" if status == "waiting" else "job_finished", job=job,
                      archive=self.archives[job], status=status, message=message)


def _run(db, batch_id: str, cpus_per_job: float, listener, cancel) -> Summary:
    cancel = cancel or threading.Event()
    run = batches.get(db, batch_id)
    every = batches.jobs(db, batch_id)
    todo = [j for j in every if j.status not in batches.FINISHED]
    driver = Driver(db, batch_id, todo, len(every), listener)
    batches.set_status(db, batch_id, "running")
    driver.emit("batch_started", status="running",
                message=f"{len(todo)} job(s) to run, {len(every) - len(todo)} already finished; "
                        + (f"on the Ray cluster {run.ray_address}" if run.mode == "ray"
                           else f"{run.jobs_at_once} at a time on this machine"))
    if run.mode == "ray":
        from backend.batch import cluster

        cluster.run(driver, todo, run.ray_address, str(db.path), cpus_per_job, cancel)
    else:
        _run_here(driver, todo, str(db.path), run.jobs_at_once, cancel)
    summary = summarize(db, batch_id)
    batches.set_status(db, batch_id, summary.status)
    driver.emit("batch_finished", status=summary.status)
    return summary


def _run_here(driver: Driver, todo: list[BatchJob], db_path: str, at_once: int,
              cancel: threading.Event) -> None:
    def one(job: BatchJob) -> None:
        if cancel.is_set():
            driver.left(job.job, "paused", "paused before it started")
            return
        driver.started(job.job, socket.gethostname())
        try:
            result = run_job(db_path, job.request, job.archive, cancel=cancel,
                             listener=lambda event: driver.session_event(job.job, event))
        except Exception as exc:  # a fault of this job (a bug, the disk): the others go on
            result = JobResult(status="failed", archive=job.archive, node="",
                               error=" ".join(f"{type(exc).__name__}: {exc}".split()))
        driver.finished_job(job.job, result)

    with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="batch-job") as pool:
        for future in [pool.submit(one, job) for job in todo]:
            future.result()


def summarize(db, batch_id: str) -> Summary:
    every = batches.jobs(db, batch_id)
    by = {s: [j for j in every if j.status == s] for s in batches.JOB_STATUSES}
    kept = by["done"] + by["skipped"]
    paused = sorted(j.job for j in by["paused"] + by["pending"] + by["running"])
    waiting = [j.job for j in by["waiting"]]
    status = "paused" if paused else "waiting" if waiting else "finished"
    return Summary(
        batch_id=batch_id, status=status, done=len(by["done"]), skipped=len(by["skipped"]),
        failed=[Failure(job=j.job, archive=j.archive, reason=j.error or "failed")
                for j in by["failed"]],
        waiting=waiting, paused=paused,
        total_size_bytes=sum(j.size_bytes or 0 for j in kept),
        archives=[j.archive for j in sorted(kept, key=lambda j: j.job)])
