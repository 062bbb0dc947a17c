"""One batch job, run wherever it lands (a thread of the embedded run, or a Ray task on any node):
an ordinary `process` of the row with its own session, made idempotent so that running it again
after anything (a pause, a crash, a node's death) finishes the archive and never makes a second
or a half one:

- an archive that is already complete (its manifest verifies) is skipped, never written again;
- a session of this state.db making the archive (paused, failed, or killed mid-run) is resumed:
  only the operations not completed run;
- a folder left half-made by a writer that died (its lock file is still there, held by no one:
  a run that ends any other way removes it) and unknown to this state.db (the job ran on another
  node) is moved aside as NAME.incomplete-TIME and the job starts again; a half archive has no
  manifest, so it can never look complete;
- while another machine holds the folder's lock (its node died and the file server has not yet
  let the lock go: NFS leases last about 90 s) the job waits for it, up to `busy_wait_s`."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import msgspec

from backend.archive.verify import verify
from backend.db import open_db
from backend.errors import ArchiveError
from backend.jobs import archive_claims, archive_lock, project
from backend.jobs.events import Listener
from backend.jobs.request import ProcessRequest
from backend.jobs.runner import Runner


class JobResult(msgspec.Struct, kw_only=True):
    status: str                   # done, skipped, failed, paused
    archive: str
    node: str
    session_id: str | None = None
    size_bytes: int | None = None
    error: str | None = None      # one line
    warnings: list[str] = []


def run_job(db_path: str, request: dict | ProcessRequest, archive: str, *,
            listener: Listener | None = None, cancel: threading.Event | None = None,
            busy_wait_s: float = 0.0) -> JobResult:
    request = msgspec.convert(request, ProcessRequest) if isinstance(request, dict) else request
    node = socket.gethostname()
    folder = Path(archive)
    try:
        done = _finished(folder)
        if done is not None:
            return JobResult(status=done[0], archive=archive, node=node, error=done[1],
                             size_bytes=folder_size(folder) if done[0] == "skipped" else None)
        deadline = time.monotonic() + busy_wait_s
        while True:
            try:
                outcome = _process_or_resume(db_path, request, folder, listener, cancel)
                break
            except archive_lock.ArchiveBusy:
                if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
                    raise
                time.sleep(min(5.0, max(0.1, deadline - time.monotonic())))
    except ArchiveError as exc:
        return JobResult(status="failed", archive=archive, node=node, error=_one_line(str(exc)))
    status = {"completed": "done"}.get(outcome.status, outcome.status)
    error = outcome.error or (outcome.failed[0] if outcome.failed else None)
    return JobResult(status=status, archive=outcome.archive_path, node=node,
                     session_id=outcome.session_id, error=_one_line(error) if error else None,
                     size_bytes=folder_size(folder) if status == "done" else None,
                     warnings=list(dict.fromkeys(outcome.warnings)))


def _finished(folder: Path) -> tuple[str, str | None] | None:
    """("skipped", None) for an intact archive, ("failed", why) for a damaged one (it is never
    written again), None when there is no finished archive there."""
    if not folder.is_dir():
        return None
    report = verify(folder)
    if report.status == "intact":
        return "skipped", None
    if report.status == "damaged":
        return "failed", (f"{folder} holds a finished archive that does not verify "
                          f"({report.problems[0].kind}: {report.problems[0].message}); it is never "
                          "written again: check it with `video-archive verify`")
    return None


def _process_or_resume(db_path: str, request: ProcessRequest, folder: Path, listener, cancel):
    db = open_db(db_path)
    try:
        runner = Runner(db, listener, cancel)
        for session in archive_claims.owners(db, folder):
            if session.status in archive_claims.UNFINISHED:
                return runner.export(session.session_id)
        _move_aside_if_abandoned(folder)
        return project.process(db, request, runner=runner)
    finally:
        db.close()


def _move_aside_if_abandoned(folder: Path) -> None:
    """A folder that a writer on another node left half-made when it died: kept, renamed."""
    lock_file = folder / archive_lock.LOCK_NAME
    if not lock_file.exists() or not archive_claims.visible_files(folder):
        return
    try:
        probe = archive_lock.acquire(folder, archive_claims.holder_text(None))
    except archive_lock.ArchiveBusy:
        raise  # alive somewhere: wait for it (run_job's busy_wait_s)
    # Held now: no one writes here. acquire rewrote the file, so its presence said the old
    # holder never released it, i.e. died.
    aside = folder.with_name(f"{folder.name}.incomplete-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        os.rename(folder, aside)
    finally:
        probe.release()


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _one_line(text: str) -> str:
    return " ".join(str(text).split())

