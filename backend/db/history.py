"""Project history: one lasting summary row per finished session, and the statistics view."""

import datetime as dt
from typing import Any

import msgspec

from backend.db.connect import Database
from backend.db.structs import encode_column, row_to_struct
from backend.errors import InputError, StateError


class HistoryRecord(msgspec.Struct, kw_only=True):
    session_id: str
    artwork_name: str
    project_date: str
    output_path: str
    master_filename: str
    master_duration: float | None = None
    master_resolution: str | None = None
    master_fps: float | None = None
    master_codec: str | None = None
    master_size_mb: float | None = None
    scenes_detected: int | None = None
    scenes_exported: int | None = None
    stills_created: int | None = None
    clips_created: int | None = None
    rd_files_processed: int | None = None
    total_files_created: int | None = None
    total_output_size_mb: float | None = None
    compression_ratio: float | None = None
    total_processing_time_seconds: float | None = None
    gpu_accelerated: bool | None = None
    average_fps_processed: float | None = None
    preset_used: str | None = None
    encoder_used: str | None = None
    completed_successfully: bool | None = None
    completion_notes: str | None = None
    started_at: str | None = None  # any form datetime() reads; stored as UTC 'YYYY-MM-DD HH:MM:SS'
    completed_at: str | None = None  # None: now
    metadata: dict[str, Any] | None = None


class HistoryEntry(HistoryRecord, kw_only=True):
    """A project_history row."""
    id: int


class ProjectStatistics(msgspec.Struct, kw_only=True):
    """The project_statistics view: projects completed in the last 30 days."""
    total_projects: int
    successful_projects: int
    avg_processing_time: float | None
    total_files_created: int | None
    total_output_size_mb: float | None
    avg_compression_ratio: float | None


_COLUMNS = list(HistoryRecord.__struct_fields__)
_TIMES = ("started_at", "completed_at")


def _timestamp(db: Database, name: str, value) -> str | None:
    """Normalise a caller's timestamp to CURRENT_TIMESTAMP's UTC form, so views and cleanup can
    compare it; an unreadable one is an InputError rather than a row that never matches."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    normal = db.scalar("SELECT datetime(?)", (str(value),))
    if normal is None:
        raise InputError(f"history {name} {value!r} is not a date and time")
    return normal


def record(db: Database, entry: HistoryRecord) -> int:
    """Write the history row of entry.session_id (replacing an earlier one of the same session,
    as a re-run produces); return its id."""
    values = []
    for name in _COLUMNS:
        value = getattr(entry, name)
        if name == "metadata":
            value = encode_column("project_history", "metadata", value)
        elif name in _TIMES:
            value = _timestamp(db, name, value)
        elif isinstance(value, bool):
            value = int(value)
        values.append(value)
    placeholders = ", ".join("COALESCE(?, CURRENT_TIMESTAMP)" if c == "completed_at" else "?"
                             for c in _COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "session_id")
    with db.transaction():
        if not db.scalar("SELECT 1 FROM processing_state WHERE session_id = ?", (entry.session_id,)):
            raise StateError(f"no session {entry.session_id}")
        row = db.query_one(
            f"INSERT INTO project_history ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "
            f"ON CONFLICT(session_id) DO UPDATE SET {updates} RETURNING id", values)
    return row["id"]


def get(db: Database, session_id: str) -> HistoryEntry | None:
    row = db.query_one("SELECT * FROM project_history WHERE session_id = ?", (session_id,))
    return None if row is None else row_to_struct("project_history", row, HistoryEntry)


def list_history(db: Database, limit: int = 50) -> list[HistoryEntry]:
    """The most recently completed projects first."""
    return [row_to_struct("project_history", r, HistoryEntry) for r in db.query(
        "SELECT * FROM project_history ORDER BY datetime(completed_at) DESC, id DESC LIMIT ?",
        (int(limit),))]


def statistics(db: Database) -> ProjectStatistics:
    row = db.query_one("SELECT * FROM project_statistics")
    return row_to_struct("project_statistics", row, ProjectStatistics)
