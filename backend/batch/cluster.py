"""Running a batch's jobs as Ray tasks (the optional `cluster` extra). Each job is one task asking
for `cpus_per_job` CPUs and, when it needs NVENC, one GPU, so Ray places NVENC jobs on GPU nodes
and x264 jobs anywhere. A task whose worker or node dies is retried by Ray (job.run_job makes the
retry resume or restart the archive, never leave a half one). A GPU job on a cluster that has no
GPU is reported as waiting, never run on x264: the task insists on NVENC. Ray is imported only
here, and only when a batch asks for a cluster."""

from __future__ import annotations

import os
import socket
import threading

from backend.batch.job import JobResult, run_job
from backend.db.batches import BatchJob
from backend.errors import InputError

INSTALL = "pip install 'video-archive[cluster]' (or: pip install ray)"
TASK_RETRIES = 3          # Ray re-runs a task whose worker process or node died
BUSY_WAIT_S = 180.0       # a dead node's lock on NFS/SMB lasts until the server's lease ends
POLL_S = 0.5


def require_ray():
    try:
        import ray
    except ImportError:
        raise InputError(f"--ray needs Ray, which is not installed: {INSTALL}; without --ray the "
                         "batch runs on this machine", "ray") from None
    return ray


def run(driver, todo: list[BatchJob], address: str, db_path: str, cpus_per_job: float,
        cancel: threading.Event) -> None:
    ray = require_ray()
    owned = not ray.is_initialized()
    if owned:
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        except Exception as exc:  # ConnectionError, or whatever Ray says of a wrong address
            raise InputError(f"cannot join the Ray cluster at {address}: "
                             f"{' '.join(str(exc).split())[:300]}", "ray") from None
    try:
        _run(ray, driver, todo, db_path, cpus_per_job, cancel)
    finally:
        if owned:
            ray.shutdown()


def _run(ray, driver, todo, db_path, cpus_per_job, cancel) -> None:
    board = ray.remote(num_cpus=0)(_Board).remote()
    task = ray.remote(_task)
    pending: dict = {}
    for job in todo:
        options = {"num_cpus": cpus_per_job, "max_retries": TASK_RETRIES}
        if job.needs_gpu:
            options["num_gpus"] = 1
        request = dict(job.request)
        if job.needs_gpu:
            request["encoder"] = "nvenc"  # on the node: NVENC or a failure, never x264
        ref = task.options(**options).remote(job.job, request, job.archive, db_path,
                                             socket.gethostname(), board)
        pending[ref] = job
        driver.started(job.job, None)
    told_waiting: set[int] = set()
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_S)
        for job, fraction, node, session_id in ray.get(board.drain.remote()):
            driver.progress(job, fraction, node, session_id)
        for ref in ready:
            job = pending.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as exc:  # retries used up, or cancelled
                result = JobResult(status="failed", archive=job.archive, node="",
                                   error=_reason(exc))
            driver.finished_job(job.job, result)
        if cancel.is_set():
            for ref, job in pending.items():
                ray.cancel(ref)
                driver.left(job.job, "paused", "paused: cancelled on the cluster; `batch resume` "
                                               "continues it")
            return
        has_gpu = ray.cluster_resources().get("GPU", 0) >= 1
        gpu_jobs = {ref: job for ref, job in pending.items() if job.needs_gpu}
        if not has_gpu:
            for job in gpu_jobs.values():
                if job.job not in told_waiting:
                    told_waiting.add(job.job)
                    driver.left(job.job, "waiting", "waiting for a GPU: this job uses NVENC and "
                                                    "the cluster has no node with a GPU")
            if gpu_jobs and len(gpu_jobs) == len(pending):
                for ref in gpu_jobs:  # nothing else to do: leave them for `batch resume`
                    ray.cancel(ref)
                return


def _reason(exc) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


def _task(job: int, request: dict, archive: str, driver_db: str, driver_host: str, board):
    """On a node: the job against this node's state.db (the driver's own when the task runs on
    the driver's machine; else VIDEO_ARCHIVE_DB or the node's per-user one)."""
    from backend import paths
    from backend.batch.events import session_fraction

    db_path = driver_db if socket.gethostname() == driver_host else str(paths.db_path(None))
    node = socket.gethostname()

    def listener(event) -> None:
        if event.type == "session_started" or (event.total and event.completed is not None
                                               and event.type != "session_finished"):
            fraction = session_fraction(event) if event.total else 0.0
            board.report.remote(job, fraction, f"{node} (pid {os.getpid()})", event.session_id)

    return run_job(db_path, request, archive, listener=listener, busy_wait_s=BUSY_WAIT_S)


class _Board:
    """An actor the tasks report their progress to; the driver drains it."""

    def __init__(self):
        self.items: list = []

    def report(self, job, fraction, node, session_id) -> None:
        self.items.append((job, fraction, node, session_id))

    def drain(self) -> list:
        items, self.items = self.items, []
        return items
