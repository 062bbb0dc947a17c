"""The file registry: every file a session produced, one row per (session, path), so a resumed
run that registers a file again updates its row instead of adding a second one."""

from pathlib import Path
from typing import Any

import apsw
import msgspec

from backend.db.connect import Database
from backend.db.structs import encode_column, row_to_struct
from backend.errors import InputError, StateError


class FileRecord(msgspec.Struct, kw_only=True):
    file_path: str
    file_type: str  # master, master_web, clip, still_hq, still_web, thumbnail, rd_image, ...
    file_category: str  # masters, clips, stills, thumbnails, rd, archive
    file_size_bytes: int | None = None
    file_format: str | None = None
    resolution: str | None = None
    aspect_ratio: str | None = None
    duration_seconds: float | None = None
    frame_number: int | None = None
    source_file: str | None = None
    compression_settings: dict[str, Any] | None = None
    processing_time_ms: int | None = None
    has_metadata: bool = True
    metadata_embedded: dict[str, Any] | None = None
    file_exists: bool = True
    verified: bool = False


class RegisteredFile(FileRecord, kw_only=True):
    """A file_registry row."""
    id: int
    session_id: str
    created_at: str | None = None


_COLUMNS = [f for f in FileRecord.__struct_fields__]
_JSON = ("compression_settings", "metadata_embedded")


def _value(record: FileRecord, name: str):
    value = getattr(record, name)
    if name in _JSON:
        return encode_column("file_registry", name, value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Path):
        return str(value)
    return value


def register(db: Database, session_id: str, record: FileRecord) -> int:
    """Insert or update the row of (session_id, record.file_path); return its id."""
    if not str(record.file_path or "").strip() or not record.file_type or not record.file_category:
        raise InputError("a registered file needs a path, a file type and a category")
    values = [_value(record, name) for name in _COLUMNS]
    columns = ", ".join(_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "file_path")
    with db.transaction():
        if not db.scalar("SELECT 1 FROM processing_state WHERE session_id = ?", (session_id,)):
            raise StateError(f"no session {session_id}")
        try:
            row = db.query_one(
                f"INSERT INTO file_registry (session_id, {columns}) "
                f"VALUES (?, {', '.join('?' * len(_COLUMNS))}) "
                f"ON CONFLICT(session_id, file_path) DO UPDATE SET {updates} RETURNING id",
                (session_id, *values))
        except apsw.ConstraintError as exc:
            raise InputError(f"cannot register {record.file_path}: {exc}") from None
    return row["id"]


def list_for(db: Database, session_id: str) -> list[RegisteredFile]:
    return [row_to_struct("file_registry", r, RegisteredFile) for r in db.query(
        "SELECT * FROM file_registry WHERE session_id = ? ORDER BY id", (session_id,))]


def _set_flags(db: Database, session_id: str, file_path: str, assignment: str) -> None:
    with db.transaction():
        if not db.execute(f"UPDATE file_registry SET {assignment} "
                          "WHERE session_id = ? AND file_path = ?", (session_id, str(file_path))):
            raise StateError(f"session {session_id} has no registered file {file_path}")


def mark_missing(db: Database, session_id: str, file_path: str | Path) -> None:
    """The file is gone from disk: it no longer exists and is no longer verified."""
    _set_flags(db, session_id, str(file_path), "file_exists = 0, verified = 0")


def mark_verified(db: Database, session_id: str, file_path: str | Path, verified: bool = True) -> None:
    """Record the verification operator's verdict on a registered file."""
    _set_flags(db, session_id, str(file_path),
               "verified = 1, file_exists = 1" if verified else "verified = 0")
