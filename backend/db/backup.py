"""Backups of state.db through SQLite's online backup API, which copies a consistent snapshot
while other connections keep writing (a file copy of a live WAL database can be torn). Every
copy is checked with PRAGMA integrity_check before it counts; the newest KEEP are kept."""

import datetime as dt
import re
from pathlib import Path

import apsw
import msgspec

from backend import paths
from backend.db.connect import Database
from backend.errors import InputError, StateError

KEEP = 10


class BackupInfo(msgspec.Struct, kw_only=True):
    path: str
    size_bytes: int
    reason: str
    schema_version: int
    pruned: list[str] = []


def _slug(reason: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-")[:40] or "manual"


def verify(file: Path) -> int:
    """Check that `file` is an intact SQLite database; return its PRAGMA user_version."""
    if not Path(file).is_file():
        raise InputError(f"backup file not found: {file}")
    try:
        conn = apsw.Connection(str(file), flags=apsw.SQLITE_OPEN_READONLY)
    except apsw.Error as exc:
        raise StateError(f"{file} cannot be opened: {exc}") from None
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except (apsw.NotADBError, apsw.CorruptError) as exc:
        raise StateError(f"{file} is not an intact SQLite database ({exc})") from None
    finally:
        conn.close()
    if rows != ["ok"]:
        raise StateError(f"{file} failed its integrity check: {'; '.join(map(str, rows[:3]))}")
    return version


def copy_into(source: apsw.Connection, dest: apsw.Connection) -> None:
    # One step copies every page under one read snapshot of the source: a writer in WAL mode
    # goes on meanwhile, and the copy never mixes pages from before and after its commit.
    with dest.backup("main", source, "main") as job:
        while not job.done:
            job.step(-1)


def create_backup(db: Database, reason: str = "manual", *, keep: int = KEEP,
                  protect: Path | None = None) -> BackupInfo:
    """Copy the open database into backups/ beside it, verify the copy, prune to `keep`.
    Pruning never deletes `protect` (the backup a restore is reading)."""
    folder = paths.backups_dir(db.path)
    try:
        paths.private_dir(folder)
    except OSError as exc:
        raise StateError(f"cannot create the backups folder {folder}: {exc.strerror or exc}") from None
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d_%H%M%S_%f")
    final = folder / f"{paths.BACKUP_PREFIX}{stamp}_{_slug(reason)}.db"
    partial = final.with_suffix(".partial")
    try:
        dest = apsw.Connection(str(paths.private_file(partial)))
        try:
            with db.locked():
                if db.in_transaction:  # only this thread's own transaction can be open here
                    raise StateError("a backup cannot be taken inside a write transaction: it "
                                     "would copy changes that are not committed")
                copy_into(db.conn, dest)
            # a backup is one self-contained file, not a WAL database with side files
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
        version = verify(partial)
        partial.replace(final)
    except (apsw.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise StateError(f"backup of {db.path} failed: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    pruned = []
    protected = Path(protect).resolve() if protect else None
    existing = [p for p in paths.list_backups(folder) if p.resolve() != protected]
    for old in existing[:max(0, len(existing) - keep)]:
        old.unlink(missing_ok=True)
        pruned.append(old.name)
    return BackupInfo(path=str(final), size_bytes=final.stat().st_size, reason=reason,
                      schema_version=version, pruned=pruned)


def tables_of(db: Database) -> set[str]:
    return {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type='table'")}
