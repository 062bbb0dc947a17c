"""Processing sessions and their operation log: what the runner (backend/jobs) records so a
session can be paused, crash, and resume exactly where it stopped.

The log is the truth: processing_state.completed_operations is recomputed from it on every
finish, and resume counts only operations whose log row says completed or skipped."""

import datetime as dt
import secrets
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import msgspec

from backend.db import settings
from backend.db.connect import Database
from backend.db.session_spec import GroupedScenes, SessionSpec
from backend.db.structs import OperationDetails, decode_column, encode_column, row_to_struct
from backend.errors import InputError, StateError
from backend.model.detection_params import (DEFAULT_MIN_SCENE_LEN, DEFAULT_THRESHOLD,
                                            check_min_scene_len, check_threshold)
from backend.model.scene import Scene

STATUSES = ("initialized", "processing", "paused", "completed", "failed", "cancelled")  # cancelled: its export was (project.cancel_export)
RESUMABLE = ("processing", "paused", "failed")
OPERATION_STATUSES = ("pending", "processing", "completed", "failed", "skipped")
FINISHED = ("completed", "failed", "skipped")
DONE = ("completed", "skipped")  # what counts as done when resuming

# Operation log start/end times carry milliseconds so short operations get a real duration;
# datetime() and julianday() read this form like CURRENT_TIMESTAMP's.
NOW_MS = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


class NewSession(msgspec.Struct, kw_only=True):
    artwork_name: str
    project_date: str  # YY-MM-DD
    master_path: str
    output_path: str
    preset_id: str
    rd_folder_path: str | None = None
    custom_settings: dict[str, Any] | None = None
    encoder_type: str = "x264"
    scene_threshold: float = DEFAULT_THRESHOLD
    min_scene_length: int = DEFAULT_MIN_SCENE_LEN
    process_metadata: SessionSpec | None = None
    grouped_scenes: GroupedScenes | None = None


class Session(msgspec.Struct, kw_only=True):
    """A processing_state row, JSON columns decoded."""
    id: int
    session_id: str
    artwork_name: str
    project_date: str
    master_path: str
    rd_folder_path: str | None
    output_path: str
    preset_id: str
    custom_settings: dict[str, Any] | None
    encoder_type: str | None
    scene_threshold: float | None
    min_scene_length: int | None
    total_operations: int
    completed_operations: int | None
    current_operation: str | None
    operation_details: OperationDetails | None
    scenes_data: list[Scene] | None
    selected_scenes: list[int] | None
    grouped_scenes: GroupedScenes | None
    status: str | None
    error_message: str | None
    created_at: str | None
    updated_at: str | None
    completed_at: str | None
    process_metadata: SessionSpec | None


class PlannedOperation(msgspec.Struct, kw_only=True):
    operation_type: str
    operation_name: str
    input_file: str | None = None
    settings_used: dict[str, Any] | None = None


class OperationRow(msgspec.Struct, kw_only=True):
    """An operation_log row, JSON columns decoded."""
    id: int
    session_id: str
    operation_type: str
    operation_name: str
    sequence_number: int
    status: str
    progress: float | None
    start_time: str | None
    end_time: str | None
    duration_seconds: float | None
    input_file: str | None
    output_files: list[str] | None
    file_sizes: dict[str, int] | None
    settings_used: dict[str, Any] | None
    error_details: str | None
    warning_messages: list[str] | None
    cpu_usage: float | None
    gpu_usage: float | None
    memory_usage: int | None
    timestamp: str | None


JSON_FIELDS = ("custom_settings", "operation_details", "scenes_data", "selected_scenes",
               "grouped_scenes", "process_metadata")
UPDATABLE = frozenset({
    "artwork_name", "project_date", "master_path", "rd_folder_path", "output_path", "preset_id",
    "encoder_type", "scene_threshold", "min_scene_length", "total_operations",
    "completed_operations", "current_operation", "status", "error_message", *JSON_FIELDS})

_id_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_session_id() -> str:
    """A UUIDv7-style id: the first 48 bits are the creation time in milliseconds (so ids sort
    by creation), then a per-process counter and random bits."""
    global _last_ms, _counter
    with _id_lock:
        now = time.time_ns() // 1_000_000
        if now <= _last_ms:  # same millisecond (or a clock step back): keep ids increasing
            _counter += 1
            if _counter > 0xFFF:
                _last_ms, _counter = _last_ms + 1, 0
        else:
            _last_ms, _counter = now, secrets.randbelow(0x800)
        ms, counter = _last_ms, _counter
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def _check_new(new: NewSession) -> None:
    for name in ("artwork_name", "master_path", "output_path", "preset_id"):
        if not str(getattr(new, name) or "").strip():
            raise InputError(f"a new session needs {name.replace('_', ' ')}")
    try:
        dt.datetime.strptime(new.project_date, "%y-%m-%d")
    except (TypeError, ValueError):
        raise InputError(f"invalid project date {new.project_date!r}: use YY-MM-DD") from None
    check_threshold(new.scene_threshold)
    check_min_scene_len(new.min_scene_length)


def _text(value) -> str | None:
    return None if value is None else str(value)  # Paths are welcome


def create(db: Database, new: NewSession) -> str:
    """Insert a session in status 'initialized' with no plan yet; return its session_id."""
    _check_new(new)
    session_id = new_session_id()
    db.insert(
        "INSERT INTO processing_state (session_id, artwork_name, project_date, master_path, "
        "rd_folder_path, output_path, preset_id, custom_settings, encoder_type, scene_threshold, "
        "min_scene_length, total_operations, completed_operations, status, process_metadata, "
        "grouped_scenes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 'initialized', ?, ?)",
        (session_id, new.artwork_name, new.project_date, _text(new.master_path),
         _text(new.rd_folder_path), _text(new.output_path), new.preset_id,
         encode_column("processing_state", "custom_settings", new.custom_settings),
         new.encoder_type, float(new.scene_threshold), new.min_scene_length,
         encode_column("processing_state", "process_metadata", new.process_metadata),
         encode_column("processing_state", "grouped_scenes", new.grouped_scenes)))
    return session_id


def _session(row: dict) -> Session:
    return row_to_struct("processing_state", row, Session)


def get(db: Database, session_id: str) -> Session:
    row = db.query_one("SELECT * FROM processing_state WHERE session_id = ?", (session_id,))
    if row is None:
        raise StateError(f"no session {session_id}")
    return _session(row)


def spec(db: Database, session_id: str) -> SessionSpec | None:
    """Only the session's process_metadata: a check that needs its stage need not decode the
    scenes (a 2-hour film's are half a megabyte)."""
    row = db.query_one("SELECT process_metadata FROM processing_state WHERE session_id = ?",
                       (session_id,))
    if row is None:
        raise StateError(f"no session {session_id}")
    return decode_column("processing_state", session_id, "process_metadata",
                         row["process_metadata"])


def exists(db: Database, session_id: str) -> bool:
    return db.scalar("SELECT 1 FROM processing_state WHERE session_id = ?", (session_id,)) == 1


def _require(db: Database, session_id: str) -> None:
    if not exists(db, session_id):
        raise StateError(f"no session {session_id}")


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise InputError(f"invalid session status {status!r}; use one of {', '.join(STATUSES)}")


def update(db: Database, session_id: str, /, **fields) -> None:
    """Set columns of a session. JSON columns take Structs, dicts or lists and are validated."""
    unknown = sorted(set(fields) - UPDATABLE)
    if unknown:
        raise InputError(f"cannot update session field(s) {', '.join(unknown)}; "
                         f"updatable: {', '.join(sorted(UPDATABLE))}")
    if not fields:
        return
    if "status" in fields:
        _check_status(fields["status"])
    values = []
    for name, value in fields.items():
        if name in JSON_FIELDS:
            value = encode_column("processing_state", name, value)
        elif isinstance(value, Path):
            value = str(value)
        values.append(value)
    assignments = ", ".join(f"{name} = ?" for name in fields)
    with db.transaction():
        if not db.execute(f"UPDATE processing_state SET {assignments} WHERE session_id = ?",
                          (*values, session_id)):
            raise StateError(f"no session {session_id}")


def set_status(db: Database, session_id: str, status: str, error_message: str | None = None) -> None:
    """Move a session to `status`; error_message is replaced (None clears it)."""
    _check_status(status)
    with db.transaction():
        if not db.execute("UPDATE processing_state SET status = ?, error_message = ? "
                          "WHERE session_id = ?", (status, error_message, session_id)):
            raise StateError(f"no session {session_id}")


# --- the operation log --------------------------------------------------------------------------

def _operation(row: dict) -> OperationRow:
    return row_to_struct("operation_log", row, OperationRow)


def operations(db: Database, session_id: str) -> list[OperationRow]:
    """The session's planned operations in sequence order."""
    return [_operation(r) for r in db.query(
        "SELECT * FROM operation_log WHERE session_id = ? ORDER BY sequence_number",
        (session_id,))]


def operation(db: Database, session_id: str, seq: int) -> OperationRow:
    row = db.query_one("SELECT * FROM operation_log WHERE session_id = ? AND sequence_number = ?",
                       (session_id, seq))
    if row is None:
        raise StateError(f"session {session_id} has no operation {seq}")
    return _operation(row)


def plan_operations(db: Database, session_id: str, ops: list[PlannedOperation]) -> list[OperationRow]:
    """Record the plan: one 'pending' row per operation, numbered 1..n, and total_operations=n.
    A session that already has a plan keeps it (a resumed run must not plan twice); its rows
    are returned as they are."""
    with db.transaction():
        _require(db, session_id)
        if db.scalar("SELECT COUNT(*) FROM operation_log WHERE session_id = ?", (session_id,)):
            return operations(db, session_id)
        _insert_pending(db, session_id, ops, 1)
        return operations(db, session_id)


def _insert_pending(db: Database, session_id: str, ops: list[PlannedOperation], first: int) -> None:
    for seq, op in enumerate(ops, start=first):
        if not op.operation_type or not op.operation_name:
            raise InputError(f"planned operation {seq} needs an operation type and name")
        db.execute(
            "INSERT INTO operation_log (session_id, operation_type, operation_name, "
            "sequence_number, status, progress, input_file, settings_used) "
            "VALUES (?, ?, ?, ?, 'pending', 0.0, ?, ?)",
            (session_id, op.operation_type, op.operation_name, seq, _text(op.input_file),
             encode_column("operation_log", "settings_used", op.settings_used)))
    db.execute("UPDATE processing_state SET total_operations = (SELECT COUNT(*) FROM operation_log "
               "WHERE session_id = ?) WHERE session_id = ?", (session_id, session_id))
    _recount(db, session_id)


def append_operations(db: Database, session_id: str,
                      ops: list[PlannedOperation]) -> list[OperationRow]:
    """Add 'pending' operations after the existing ones (numbered on from the highest number)
    and update total_operations, in one transaction: for a plan made in stages, where later
    operations are known only once earlier ones ran. Returns the new rows."""
    with db.transaction():
        _require(db, session_id)
        last = db.scalar("SELECT COALESCE(MAX(sequence_number), 0) FROM operation_log "
                         "WHERE session_id = ?", (session_id,))
        _insert_pending(db, session_id, ops, last + 1)
        return [op for op in operations(db, session_id) if op.sequence_number > last]


def start_operation(db: Database, session_id: str, seq: int) -> OperationRow:
    """Mark operation `seq` as processing (fresh start time, progress 0) and make it the
    session's current operation."""
    with db.transaction():
        op = operation(db, session_id, seq)
        db.execute(f"UPDATE operation_log SET status = 'processing', progress = 0.0, "
                   f"start_time = {NOW_MS}, end_time = NULL, duration_seconds = NULL, "
                   f"error_details = NULL WHERE id = ?", (op.id,))
        details = OperationDetails(sequence_number=seq, operation_type=op.operation_type,
                                   operation_name=op.operation_name, progress=0.0)
        db.execute("UPDATE processing_state SET current_operation = ?, operation_details = ? "
                   "WHERE session_id = ?",
                   (op.operation_name,
                    encode_column("processing_state", "operation_details", details), session_id))
        return operation(db, session_id, seq)


def _check_fraction(fraction) -> float:
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) \
            or not 0.0 <= fraction <= 1.0:  # also rejects NaN
        raise InputError(f"progress must be a fraction from 0 to 1, got {fraction!r}")
    return float(fraction)


def set_progress(db: Database, session_id: str, seq: int, fraction: float) -> None:
    """Progress of one running operation (0..1), mirrored in the session's operation_details."""
    fraction = _check_fraction(fraction)
    with db.transaction():
        op = operation(db, session_id, seq)
        db.execute("UPDATE operation_log SET progress = ? WHERE id = ?", (fraction, op.id))
        details = OperationDetails(sequence_number=seq, operation_type=op.operation_type,
                                   operation_name=op.operation_name, progress=fraction)
        db.execute("UPDATE processing_state SET operation_details = ? WHERE session_id = ?",
                   (encode_column("processing_state", "operation_details", details), session_id))


def _recount(db: Database, session_id: str) -> None:
    db.execute("UPDATE processing_state SET completed_operations = (SELECT COUNT(*) "
               "FROM operation_log WHERE session_id = ? AND status IN ('completed', 'skipped')) "
               "WHERE session_id = ?", (session_id, session_id))


def finish_operation(db: Database, session_id: str, seq: int, status: str, *,
                     output_files: list[str] | None = None,
                     file_sizes: dict[str, int] | None = None,
                     warnings: list[str] | None = None, error_details: str | None = None,
                     cpu_usage: float | None = None, gpu_usage: float | None = None,
                     memory_usage: float | None = None) -> OperationRow:
    """Record the end of operation `seq` (completed, failed or skipped) with its results, and
    recompute the session's completed_operations from the log, in one transaction. This is the
    design's save_state, fixed: it never inserts a row, so sequence numbers stay unique."""
    if status not in FINISHED:
        raise InputError(f"an operation finishes as {', '.join(FINISHED)}, not {status!r}")
    outputs = encode_column("operation_log", "output_files",
                            [_text(p) for p in output_files] if output_files is not None else None)
    sizes = encode_column("operation_log", "file_sizes",
                          {_text(k): v for k, v in file_sizes.items()}
                          if file_sizes is not None else None)
    warning_json = encode_column("operation_log", "warning_messages", warnings)
    memory = None if memory_usage is None else int(round(memory_usage))
    with db.transaction():
        op = operation(db, session_id, seq)
        # a skipped or resumed-as-done operation may never have started: no duration then
        db.execute(
            f"UPDATE operation_log SET status = ?, end_time = {NOW_MS}, "
            f"duration_seconds = CASE WHEN start_time IS NULL THEN NULL "
            f"ELSE MAX(0.0, (julianday({NOW_MS}) - julianday(start_time)) * 86400.0) END, "
            f"progress = CASE WHEN ? IN ('completed', 'skipped') THEN 1.0 ELSE progress END, "
            f"output_files = COALESCE(?, output_files), file_sizes = COALESCE(?, file_sizes), "
            f"warning_messages = COALESCE(?, warning_messages), error_details = ?, "
            f"cpu_usage = COALESCE(?, cpu_usage), gpu_usage = COALESCE(?, gpu_usage), "
            f"memory_usage = COALESCE(?, memory_usage) WHERE id = ?",
            (status, status, outputs, sizes, warning_json, error_details, cpu_usage, gpu_usage,
             memory, op.id))
        _recount(db, session_id)
        return operation(db, session_id, seq)


def reset_unfinished(db: Database, session_id: str) -> int:
    """Operations a crash left 'processing' go back to 'pending' so a resume runs them again;
    returns how many."""
    with db.transaction():
        _require(db, session_id)
        count = db.execute("UPDATE operation_log SET status = 'pending', progress = 0.0, "
                           "start_time = NULL, end_time = NULL, duration_seconds = NULL "
                           "WHERE session_id = ? AND status = 'processing'", (session_id,))
        _recount(db, session_id)
        return count


def reset_operations(db: Database, session_id: str, seqs: list[int]) -> int:
    """Completed operations whose outputs are gone go back to 'pending', so a resume makes them
    again; returns how many."""
    with db.transaction():
        _require(db, session_id)
        count = 0
        for seq in seqs:
            count += db.execute("UPDATE operation_log SET status = 'pending', progress = 0.0, "
                                "start_time = NULL, end_time = NULL, duration_seconds = NULL "
                                "WHERE session_id = ? AND sequence_number = ?", (session_id, seq))
        _recount(db, session_id)
        return count


# --- finding sessions ---------------------------------------------------------------------------

def resumable(db: Database) -> list[Session]:
    """Sessions that can be resumed, most recently active first: status processing, paused or
    failed, updated within max_resume_age_days, with completed_operations counted from the log
    (completed or skipped rows only)."""
    days = settings.get(db, "max_resume_age_days")
    rows = db.query(
        "SELECT ps.*, (SELECT COUNT(*) FROM operation_log ol WHERE ol.session_id = ps.session_id "
        "AND ol.status IN ('completed', 'skipped')) AS done "
        "FROM processing_state ps "
        "WHERE ps.status IN ('processing', 'paused', 'failed') "
        "AND datetime(ps.updated_at) > datetime('now', ?) "
        "ORDER BY datetime(ps.updated_at) DESC, ps.id DESC", (f"-{int(days)} days",))
    found = []
    for row in rows:
        row["completed_operations"] = row.pop("done")
        found.append(_session(row))
    return found


def all_sessions(db: Database) -> list[Session]:
    """Every session, newest first (to find which ones write one archive folder)."""
    return [_session(r) for r in db.query(
        "SELECT * FROM processing_state ORDER BY datetime(created_at) DESC, id DESC")]


def unfinished(db: Database) -> list[Session]:
    """Every session not completed (initialized, processing, paused, failed; not one whose
    export was cancelled), most recently active first, completed_operations counted from the log: what the editor offers to open."""
    rows = db.query(
        "SELECT ps.*, (SELECT COUNT(*) FROM operation_log ol WHERE ol.session_id = ps.session_id "
        "AND ol.status IN ('completed', 'skipped')) AS done "
        "FROM processing_state ps WHERE ps.status IN ('initialized', 'processing', 'paused', "
        "'failed') ORDER BY datetime(ps.updated_at) DESC, ps.id DESC")
    found = []
    for row in rows:
        row["completed_operations"] = row.pop("done")
        found.append(_session(row))
    return found


def list_sessions(db: Database, limit: int = 50) -> list[Session]:
    """The newest sessions first."""
    return [_session(r) for r in db.query(
        "SELECT * FROM processing_state ORDER BY datetime(created_at) DESC, id DESC LIMIT ?",
        (int(limit),))]


def delete(db: Database, session_id: str) -> None:
    """Delete a session with its operation log and file registry rows (the files on disk stay).
    A session with a history record is refused: the history is the lasting record of a run."""
    with db.transaction():
        _require(db, session_id)
        if db.scalar("SELECT 1 FROM project_history WHERE session_id = ?", (session_id,)):
            raise StateError(f"session {session_id} has a project history record and is kept")
        db.execute("DELETE FROM operation_log WHERE session_id = ?", (session_id,))
        db.execute("DELETE FROM file_registry WHERE session_id = ?", (session_id,))
        db.execute("DELETE FROM processing_state WHERE session_id = ?", (session_id,))
