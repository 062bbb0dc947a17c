"""The batch catalogue: one batch_runs row per `video-archive batch`, one batch_jobs row per
manifest row (its status, the node that ran it, its session, archive, times and error)."""

from __future__ import annotations

import uuid

import msgspec

from backend.db.connect import Database
from backend.errors import InputError

JOB_STATUSES = ("pending", "running", "done", "skipped", "failed", "paused", "waiting")
FINISHED = ("done", "skipped")


class BatchRun(msgspec.Struct, kw_only=True):
    batch_id: str
    manifest_path: str
    mode: str                 # local or ray
    ray_address: str | None
    jobs_at_once: int
    status: str               # running, paused, finished, waiting
    created_at: str | None = None
    updated_at: str | None = None


class BatchJob(msgspec.Struct, kw_only=True):
    batch_id: str
    job: int                  # the manifest's row number
    request: dict             # the row as a process request
    archive: str
    needs_gpu: bool = False
    status: str = "pending"
    node: str | None = None
    session_id: str | None = None
    size_bytes: int | None = None
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None


_JOB_COLUMNS = list(BatchJob.__struct_fields__)


def create(db: Database, manifest_path: str, mode: str, ray_address: str | None,
           jobs_at_once: int, jobs: list[BatchJob]) -> str:
    """Record a new batch and its jobs (all pending) in one transaction; return its id."""
    batch_id = str(uuid.uuid4())[:8]
    with db.transaction():
        db.execute("INSERT INTO batch_runs (batch_id, manifest_path, mode, ray_address, "
                   "jobs_at_once) VALUES (?, ?, ?, ?, ?)",
                   (batch_id, manifest_path, mode, ray_address, jobs_at_once))
        for job in jobs:
            db.execute("INSERT INTO batch_jobs (batch_id, job, request, archive, needs_gpu) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (batch_id, job.job, msgspec.json.encode(job.request).decode(), job.archive,
                        int(job.needs_gpu)))
    return batch_id


def get(db: Database, batch_id: str | None = None) -> BatchRun:
    """A batch by id (or a unique prefix of it); without an id, the newest."""
    if batch_id is None:
        row = db.query_one("SELECT * FROM batch_runs ORDER BY datetime(created_at) DESC, rowid DESC "
                           "LIMIT 1")
        if row is None:
            raise InputError("no batch has run with this state database", "batch")
        return msgspec.convert(row, BatchRun)
    rows = db.query("SELECT * FROM batch_runs WHERE batch_id LIKE ? ESCAPE '\\'",
                    (batch_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",))
    if len(rows) != 1:
        raise InputError(f"no batch {batch_id}" if not rows else
                         f"batch id {batch_id!r} is ambiguous: give more of it", "batch")
    return msgspec.convert(rows[0], BatchRun)


def jobs(db: Database, batch_id: str) -> list[BatchJob]:
    rows = db.query(f"SELECT {', '.join(_JOB_COLUMNS)} FROM batch_jobs WHERE batch_id = ? "
                    "ORDER BY job", (batch_id,))
    for row in rows:
        row["request"] = msgspec.json.decode(row["request"])
        row["needs_gpu"] = bool(row["needs_gpu"])
    return [msgspec.convert(row, BatchJob) for row in rows]


def update_job(db: Database, batch_id: str, job: int, **changes) -> None:
    """Set columns of one job; `started`/`finished` True stamp the time now."""
    if changes.pop("started", False):
        changes["started_at"] = db.scalar("SELECT strftime('%Y-%m-%d %H:%M:%S', 'now')")
        changes.setdefault("finished_at", None)
    if changes.pop("finished", False):
        changes["finished_at"] = db.scalar("SELECT strftime('%Y-%m-%d %H:%M:%S', 'now')")
    unknown = set(changes) - set(_JOB_COLUMNS)
    if unknown or ("status" in changes and changes["status"] not in JOB_STATUSES):
        raise ValueError(f"bad batch job update {changes}")
    if not changes:
        return
    sets = ", ".join(f"{name} = ?" for name in changes)
    db.execute(f"UPDATE batch_jobs SET {sets} WHERE batch_id = ? AND job = ?",
               (*changes.values(), batch_id, job))


def set_status(db: Database, batch_id: str, status: str) -> None:
    db.execute("UPDATE batch_runs SET status = ?, updated_at = CURRENT_TIMESTAMP "
               "WHERE batch_id = ?", (status, batch_id))


def set_options(db: Database, batch_id: str, mode: str, ray_address: str | None,
                jobs_at_once: int) -> None:
    """A resume may run the rest elsewhere (on a cluster, or more at a time)."""
    db.execute("UPDATE batch_runs SET mode = ?, ray_address = ?, jobs_at_once = ?, "
               "updated_at = CURRENT_TIMESTAMP WHERE batch_id = ?",
               (mode, ray_address, jobs_at_once, batch_id))
