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
PREFIX = "state_backup_"


class BackupInfo(msgspec.Struct, kw_only=True):
    path: str
    size_bytes: int
    reason: str
    schema_version: int
    pruned: list[str] = []


class RestoreInfo(msgspec.Struct, kw_only=True):
    database: str
    restored_from: str
    restored_version: int
    schema_version: int
    backup_before_restore: str | None


def _slug(reason: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-")[:40] or "manual"


def list_backups(folder: Path) -> list[Path]:
    """Backups in `folder`, oldest first: names start with a UTC timestamp, so name order is
    time order even when files were copied and lost their mtimes."""
    return sorted(p for p in folder.glob(f"{PREFIX}*.db") if p.is_file())


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


def _copy(source: apsw.Connection, dest: apsw.Connection) -> None:
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
    final = folder / f"{PREFIX}{stamp}_{_slug(reason)}.db"
    partial = final.with_suffix(".partial")
    try:
        dest = apsw.Connection(str(paths.private_file(partial)))
        try:
            with db.locked():
                if db.in_transaction:  # only this thread's own transaction can be open here
                    raise StateError("a backup cannot be taken inside a write transaction: it "
                                     "would copy changes that are not committed")
                _copy(db.conn, dest)
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
    existing = [p for p in list_backups(folder) if p.resolve() != protected]
    for old in existing[:max(0, len(existing) - keep)]:
        old.unlink(missing_ok=True)
        pruned.append(old.name)
    return BackupInfo(path=str(final), size_bytes=final.stat().st_size, reason=reason,
                      schema_version=version, pruned=pruned)


def restore(db_path: str | Path, file: str | Path) -> RestoreInfo:
    """Replace the contents of the database at `db_path` with the backup `file`.

    The file is verified first and the current database backed up before anything changes. The
    copy goes through the backup API into the live database, so another process that has it
    open sees either the old or the restored contents, never a half-written file. A backup from
    an older schema is migrated right after."""
    from backend.db import migrations  # migrations uses this module for its own backups

    db_path, file = Path(db_path), Path(file).expanduser()
    restored_version = verify(file)
    if restored_version > migrations.LATEST:
        raise StateError(f"{file} has schema version {restored_version}, newer than this tool "
                         f"({migrations.LATEST}); update the tool to restore it")
    source = apsw.Connection(str(file), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "processing_state" not in tables or "app_settings" not in tables:
            raise StateError(f"{file} is not a video-archive state database")
        restored_version = restored_version or 1  # the design's v1.0 left user_version at 0
        before = _keep_current(db_path, file)
        with Database(db_path) as db:
            try:
                with db.locked():
                    _copy(source, db.conn)
            except apsw.Error as exc:
                raise StateError(f"restoring {file} into {db_path} failed: {exc}") from None
            report = migrations.migrate(db)
    finally:
        source.close()
    return RestoreInfo(database=str(db_path), restored_from=str(file),
                       restored_version=restored_version, schema_version=report.to_version,
                       backup_before_restore=before)


def _keep_current(db_path: Path, restoring: Path) -> str | None:
    """Back up the database a restore is about to replace. One too damaged to copy is moved
    aside whole (with its -wal and -shm) into the backups folder instead."""
    if not db_path.exists():
        return None
    try:
        with Database(db_path) as db:
            return (create_backup(db, "before-restore", protect=restoring).path
                    if tables_of(db) else None)
    except StateError:
        folder = paths.private_dir(paths.backups_dir(db_path))
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d_%H%M%S_%f")
        aside = folder / f"damaged_{stamp}_{db_path.name}"
        for suffix in ("", "-wal", "-shm"):
            part = db_path.with_name(db_path.name + suffix)
            if part.exists():
                part.replace(aside.with_name(aside.name + suffix))
        return str(aside)


def tables_of(db: Database) -> set[str]:
    return {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type='table'")}
