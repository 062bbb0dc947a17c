"""Restoring state.db from a backup: verified first, the current database backed up (or moved
aside when too damaged to copy), then migrated when the backup is older. Apart from backup.py
because migrations take their own backups through it."""

import datetime as dt
from pathlib import Path

import apsw
import msgspec

from backend import paths
from backend.db import backup, migrations
from backend.db.connect import Database
from backend.errors import StateError


class RestoreInfo(msgspec.Struct, kw_only=True):
    database: str
    restored_from: str
    restored_version: int
    schema_version: int
    backup_before_restore: str | None


def restore(db_path: str | Path, file: str | Path) -> RestoreInfo:
    """Replace the contents of the database at `db_path` with the backup `file`.

    The file is verified first and the current database backed up before anything changes. The
    copy goes through the backup API into the live database, so another process that has it
    open sees either the old or the restored contents, never a half-written file. A backup from
    an older schema is migrated right after."""
    db_path, file = Path(db_path), Path(file).expanduser()
    restored_version = backup.verify(file)
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
                    backup.copy_into(source, db.conn)
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
            return (backup.create_backup(db, "before-restore", protect=restoring).path
                    if backup.tables_of(db) else None)
    except StateError:
        folder = paths.private_dir(paths.backups_dir(db_path))
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d_%H%M%S_%f")
        aside = folder / f"damaged_{stamp}_{db_path.name}"
        for suffix in ("", "-wal", "-shm"):
            part = db_path.with_name(db_path.name + suffix)
            if part.exists():
                part.replace(aside.with_name(aside.name + suffix))
        return str(aside)
