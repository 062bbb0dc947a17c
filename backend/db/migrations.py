"""Bringing any state.db to the current schema.

Versions: 0 is an empty file; 1 is the design's schema exactly as written (user_version 0, the
design's tables present); 2 its fixes; 3 adds the batch catalogue and is schema.py. A new database is built from schema.py directly; an
existing one is backed up, then each numbered migration runs in its own transaction and sets
PRAGMA user_version and the db_version setting together. Every migration is idempotent: run on
a database that already has its changes, it changes nothing."""

from typing import Callable, NamedTuple

import apsw
import msgspec

from backend import __version__
from backend.db import backup, schema
from backend.db.connect import Database
from backend.errors import StateError

LATEST = schema.VERSION


class Migration(NamedTuple):
    version: int  # the version the database has after it
    title: str
    apply: Callable[[Database], list[str]]  # returns notes worth telling the user


class MigrationReport(msgspec.Struct, kw_only=True):
    path: str
    from_version: int
    to_version: int
    created: bool = False
    applied: list[str] = []
    backup: str | None = None
    notes: list[str] = []
    app_version: str | None = None   # the app that opened it before this one, when it differs


def current_version(db: Database) -> int:
    version = db.scalar("PRAGMA user_version")
    if version:
        return int(version)
    tables = {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables.discard("sqlite_sequence")
    if not tables:
        return 0
    if "processing_state" in tables:
        # The design kept its version in a db_version setting that nothing created; a database
        # with its tables and no user_version is the design's v1.0.
        return 1
    raise StateError(f"{db.path} is not a video-archive state database "
                     f"(it holds the tables {', '.join(sorted(tables))})")


# --- migration 2: the design's v1.0 schema -> the fixed schema ---------------------------------

_TRUE = "('1', 'true', 't', 'yes', 'y', 'on')"
_FALSE = "('0', 'false', 'f', 'no', 'n', 'off')"

BOOLEAN_COLUMNS = {
    "user_presets": ("is_default",),
    "project_history": ("gpu_accelerated", "completed_successfully"),
    "file_registry": ("has_metadata", "file_exists", "verified"),
}


def _boolean_expr(column: str) -> str:
    """SQL turning the spellings a BOOLEAN column may hold into 0/1 ('' becomes NULL, anything
    unrecognised is left as it is so the check below can name it)."""
    return (f"CASE WHEN {column} IS NULL OR trim({column}) = '' THEN NULL "
            f"WHEN lower(trim({column})) IN {_TRUE} THEN 1 "
            f"WHEN lower(trim({column})) IN {_FALSE} THEN 0 "
            f"WHEN typeof({column}) IN ('integer', 'real') THEN ({column} != 0) "
            f"ELSE {column} END")


def _columns(db: Database, table: str) -> list[str]:
    return [r["name"] for r in db.query(f"PRAGMA table_info({table})")]


def _has_table(db: Database, table: str) -> bool:
    return bool(db.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)))


def rebuild_table(db: Database, table: str, transforms: dict[str, str] | None = None,
                  where: str = "") -> int:
    """Recreate `table` from schema.TABLES (SQLite cannot add a CHECK to an existing table) and
    copy its rows, `transforms` giving SQL for columns that need converting. Refuses to drop a
    column the new definition lacks: nothing is lost silently. Returns rows not copied."""
    transforms = transforms or {}
    old_name = f"{table}__old"
    old_columns = _columns(db, table)
    sequence = (db.scalar("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,))
                if _has_table(db, "sqlite_sequence") else None)
    total = db.scalar(f"SELECT COUNT(*) FROM {table}")
    # legacy mode: renaming must not rewrite other tables' REFERENCES to point at the old copy
    db.conn.execute("PRAGMA legacy_alter_table = ON")
    try:
        db.execute(f"ALTER TABLE {table} RENAME TO {old_name}")
    finally:
        db.conn.execute("PRAGMA legacy_alter_table = OFF")
    db.execute(schema.TABLES[table])
    new_columns = _columns(db, table)
    dropped = [c for c in old_columns if c not in new_columns]
    if dropped:
        raise StateError(f"migrating {table} would drop the columns {', '.join(dropped)}, which "
                         "this version does not know; nothing was changed")
    shared = [c for c in new_columns if c in old_columns]
    select = ", ".join(transforms.get(c, c) for c in shared)
    copied = db.execute(f"INSERT INTO {table} ({', '.join(shared)}) "
                        f"SELECT {select} FROM {old_name} {where}")
    db.execute(f"DROP TABLE {old_name}")
    if sequence is not None:
        # AUTOINCREMENT must never hand out an id the old table had already used
        db.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (sequence, table))
    return total - copied


def _check_booleans(db: Database, table: str) -> None:
    for column in BOOLEAN_COLUMNS[table]:
        bad = db.query(f"SELECT id, {column} AS value FROM {table} "
                       f"WHERE ({_boolean_expr(column)}) NOT IN (0, 1) LIMIT 3")
        if bad:
            shown = ", ".join(f"row {r['id']} = {r['value']!r}" for r in bad)
            raise StateError(f"state.db table {table}, column {column} holds values that are not "
                             f"true/false ({shown}); fix them, then run `video-archive db migrate`")


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Windows-1252 ('Â©' -> '©'), as often as it happened."""
    for _ in range(3):
        if not any(mark in text for mark in ("Â", "Ã", "â€")):
            break
        try:
            repaired = text.encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            break
        if repaired == text:
            break
        text = repaired
    return text


def _renumber_duplicate_sequences(db: Database) -> int:
    """Give every operation of a session with clashing sequence numbers a distinct number, in
    the order they had (ties by id), so the unique index can be created without dropping rows."""
    sessions = [r["session_id"] for r in db.query(
        "SELECT DISTINCT session_id FROM operation_log "
        "GROUP BY session_id, sequence_number HAVING COUNT(*) > 1")]
    for session_id in sessions:
        rows = db.query("SELECT id FROM operation_log WHERE session_id = ? "
                        "ORDER BY sequence_number, id", (session_id,))
        for number, row in enumerate(rows, start=1):
            db.execute("UPDATE operation_log SET sequence_number = ? WHERE id = ?", (number, row["id"]))
    return len(sessions)


def _restore_orphaned_sessions(db: Database) -> int:
    """The design's cleanup deleted sessions whose log, files and history stayed behind (SQLite
    does not enforce foreign keys unless asked). Give each such session_id a stub session row,
    filled from its history where there is one, so the data is kept and the keys hold again."""
    orphans = [r["session_id"] for r in db.query(
        "SELECT session_id FROM operation_log UNION SELECT session_id FROM file_registry "
        "UNION SELECT session_id FROM project_history "
        "EXCEPT SELECT session_id FROM processing_state")]
    for session_id in orphans:
        h = db.query_one("SELECT * FROM project_history WHERE session_id = ?", (session_id,)) or {}
        counts = db.query_one(
            "SELECT COUNT(*) AS total, "
            "COUNT(CASE WHEN status IN ('completed', 'skipped') THEN 1 END) AS done, "
            "MIN(timestamp) AS first, MAX(timestamp) AS last "
            "FROM operation_log WHERE session_id = ?", (session_id,))
        files_last = db.scalar("SELECT MAX(created_at) FROM file_registry WHERE session_id = ?",
                               (session_id,))
        stamps = [s for s in (counts["first"], counts["last"], files_last, h.get("started_at"),
                              h.get("completed_at")) if s]
        completed = h.get("completed_successfully") == 1
        db.execute(
            "INSERT INTO processing_state (session_id, artwork_name, project_date, master_path, "
            "output_path, preset_id, total_operations, completed_operations, status, "
            "error_message, created_at, updated_at, completed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "COALESCE(?, CURRENT_TIMESTAMP), COALESCE(?, CURRENT_TIMESTAMP), ?)",
            (session_id, h.get("artwork_name") or "(unknown)", h.get("project_date") or "",
             h.get("master_filename") or "", h.get("output_path") or "", h.get("preset_used") or "",
             counts["total"], counts["done"], "completed" if completed else "failed",
             "session row re-created by migration 2: the v1.0 cleanup had deleted it but kept "
             "its log, files or history",
             min(stamps) if stamps else None, max(stamps) if stamps else None,
             h.get("completed_at") if completed else None))
    return len(orphans)


def _to_v2(db: Database) -> list[str]:
    notes = []
    # Views and triggers refer to the tables rebuilt below; they are recreated at the end, after
    # the data repairs, so no trigger fires on them (a restored session is no preset use).
    for name in schema.VIEWS:
        db.execute(f"DROP VIEW IF EXISTS {name}")
    for name in schema.TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")

    renumbered = _renumber_duplicate_sequences(db)
    if renumbered:
        notes.append(f"renumbered the operations of {renumbered} session(s) whose log repeated "
                     "a sequence number")

    for table in BOOLEAN_COLUMNS:
        _check_booleans(db, table)
    rebuild_table(db, "user_presets", {c: _boolean_expr(c) for c in BOOLEAN_COLUMNS["user_presets"]})
    rebuild_table(db, "project_history",
                  {c: _boolean_expr(c) for c in BOOLEAN_COLUMNS["project_history"]})
    # A file registered twice (on resume) keeps its newest row: the older ones describe the
    # same path and would break the new unique (session_id, file_path) index.
    merged = rebuild_table(db, "file_registry",
                           {c: _boolean_expr(c) for c in BOOLEAN_COLUMNS["file_registry"]},
                           where="WHERE id IN (SELECT MAX(id) FROM file_registry__old "
                                 "GROUP BY session_id, file_path)")
    if merged:
        notes.append(f"merged {merged} duplicate file_registry row(s) into the newest row of "
                     "the same session and path")
    known_types = ", ".join(f"'{t}'" for t in schema.VALUE_TYPES)
    rebuild_table(db, "app_settings", {
        "value_type": f"CASE WHEN value_type IN ({known_types}) THEN value_type ELSE 'string' END"})

    if _has_table(db, "project_history_archive"):
        rebuild_table(db, "project_history_archive",
                      {c: _boolean_expr(c) for c in BOOLEAN_COLUMNS["project_history"]})
    else:
        db.execute(schema.PROJECT_HISTORY_ARCHIVE)

    copyright_text = db.scalar("SELECT value FROM app_settings WHERE key = 'copyright_text'")
    if copyright_text is not None and repair_mojibake(copyright_text) != copyright_text:
        db.execute("UPDATE app_settings SET value = ?, modified_at = CURRENT_TIMESTAMP "
                   "WHERE key = 'copyright_text'", (repair_mojibake(copyright_text),))
        notes.append(f"repaired copyright_text {copyright_text!r} -> "
                     f"{repair_mojibake(copyright_text)!r}")
    db.execute("UPDATE app_settings SET value = 'null' WHERE value_type = 'json' AND value = ''")
    schema.insert_default_settings(db)

    restored = _restore_orphaned_sessions(db)
    if restored:
        notes.append(f"re-created {restored} session row(s) that the v1.0 cleanup had deleted "
                     "while their log, files or history remained")
    # The design counted every log row as completed; the log itself is the truth.
    db.execute("UPDATE processing_state SET completed_operations = (SELECT COUNT(*) "
               "FROM operation_log ol WHERE ol.session_id = processing_state.session_id "
               "AND ol.status IN ('completed', 'skipped')) "
               "WHERE session_id IN (SELECT session_id FROM operation_log)")

    schema.create_indexes(db)
    schema.create_views_and_triggers(db)
    return notes


def _to_v3(db: Database) -> list[str]:
    """The batch catalogue's two tables (new, so nothing else changes)."""
    for name in ("batch_runs", "batch_jobs"):
        if not _has_table(db, name):
            db.execute(schema.TABLES[name])
    return []


MIGRATIONS: list[Migration] = [
    Migration(2, "fix the design's v1.0 schema (see docs/state-db.md)", _to_v2),
    Migration(3, "add the batch catalogue (batch_runs, batch_jobs; see docs/batch.md)", _to_v3),
]


def _sync_db_version_setting(db: Database, version: int) -> None:
    """Repair a db_version setting that drifted from PRAGMA user_version (a hand edit)."""
    if db.scalar("SELECT value FROM app_settings WHERE key = 'db_version'") != \
            schema.db_version_text(version):
        with db.transaction():
            schema.set_version(db, version)


def _add_new_settings(db: Database) -> None:
    """A setting added since the database was made (archive_layout) gets its default row; the
    schema is unchanged, so this needs no migration. No write when nothing is missing."""
    have = {r["key"] for r in db.query("SELECT key FROM app_settings")}
    if any(key not in have for key, *_rest in schema.DEFAULT_SETTINGS):
        with db.transaction():
            schema.insert_default_settings(db)


def migrate(db: Database) -> MigrationReport:
    """Bring `db` to LATEST; a no-op (no writes, no backup) when it is current."""
    version = current_version(db)
    report = MigrationReport(path=str(db.path), from_version=version, to_version=version)
    if version > LATEST:
        writer = _stored_app_version(db)
        raise StateError(f"{db.path} has schema version {version}"
                         + (f" (last opened by video-archive {writer})" if writer else "")
                         + f", newer than video-archive {__version__} knows ({LATEST}); nothing "
                         "was changed: use that version or a newer one, or --db for another file")
    if version == LATEST:
        if not db.read_only:
            _sync_db_version_setting(db, version)
            _add_new_settings(db)
        return report
    db.require_writable(f"bringing it from schema version {version} to {LATEST}")
    if version == 0:
        with db.transaction():
            if current_version(db) == 0:  # another process may have created it meanwhile
                schema.create(db)
                report.created = True
        report.to_version = current_version(db)
        return report

    report.backup = backup.create_backup(db, f"before migration v{version} to v{LATEST}").path
    # Rebuilding a table needs foreign keys off (they are checked before each commit instead);
    # the pragma is a no-op inside a transaction, so it is switched here.
    db.conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for step in MIGRATIONS:
            with db.transaction():
                now = current_version(db)
                if now >= step.version:
                    continue  # a concurrent process got here first
                if now != step.version - 1:
                    raise StateError(f"no migration from schema version {now} to {step.version}")
                report.notes.extend(step.apply(db))
                broken = db.query("PRAGMA foreign_key_check")
                if broken:
                    first = broken[0]
                    raise StateError(f"migration {step.version} left {len(broken)} row(s) whose "
                                     f"session does not exist (first: {first['table']} row "
                                     f"{first['rowid']}); nothing was changed")
                schema.set_version(db, step.version)
                report.applied.append(f"{step.version}: {step.title}")
    finally:
        db.conn.execute("PRAGMA foreign_keys = ON")
    report.to_version = current_version(db)
    return report


# --- app_version: which release last opened this database ------------------------------------

def _stored_app_version(db: Database) -> str | None:
    try:
        return db.scalar("SELECT value FROM app_settings WHERE key = 'app_version'") or None
    except apsw.SQLError:  # a newer or foreign layout: the version is only for the message
        return None


def record_app_version(db: Database, report: MigrationReport, version: str = __version__) -> None:
    """The first start of another release on this database (an upgrade, or a second installed
    version of the same schema): take a backup unless the migration just took one, then record
    `version` in app_version. A no-op write-free read when nothing changed."""
    stored = _stored_app_version(db)
    if stored == version:
        return
    if not report.created and report.backup is None:
        report.backup = backup.create_backup(db, f"before app {version} was {stored}").path
    with db.transaction():
        db.execute("UPDATE app_settings SET value = ?, modified_at = CURRENT_TIMESTAMP "
                   "WHERE key = 'app_version'", (version,))
    report.app_version = stored
