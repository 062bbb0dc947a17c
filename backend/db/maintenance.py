"""Keeping state.db small and healthy: cleanup of old sessions (design 6.1, fixed), optimize
(6.2), statistics reset (6.3) and a health check."""

import apsw
import msgspec

from backend.db import migrations, schema, settings
from backend.db.connect import Database


class KeptSession(msgspec.Struct, kw_only=True):
    session_id: str
    reason: str


class CleanupReport(msgspec.Struct, kw_only=True):
    dry_run: bool
    sessions_deleted: list[str] = []
    sessions_kept: list[KeptSession] = []
    operation_log_rows: int = 0
    file_registry_rows: int = 0
    files_left_on_disk: list[str] = []  # registered to deleted sessions; the database never deletes files
    history_archived: list[str] = []  # session ids whose history row moved to the archive


def _history_columns(db: Database) -> list[str]:
    return [r["name"] for r in db.query("PRAGMA table_info(project_history)")]


def cleanup(db: Database, *, dry_run: bool = False, incomplete_days: int = 30,
            archive_days: int = 90) -> CleanupReport:
    """Archive history rows completed more than `archive_days` ago, then delete sessions that
    are not completed and were last updated more than `incomplete_days` ago, with their log and
    registry rows first (the design deleted the sessions alone and left those rows orphaned).

    Kept whatever the age: a session still referenced by a project history row (the lasting
    record of a run) and a session younger than max_resume_age_days (resume still offers it).
    With dry_run the report says what would happen and nothing changes."""
    report = CleanupReport(dry_run=dry_run)
    resume_days = settings.get(db, "max_resume_age_days")
    keep_days = max(int(incomplete_days), int(resume_days))
    with db.transaction():
        archived = db.query(
            "SELECT id, session_id FROM project_history "
            "WHERE datetime(completed_at) < datetime('now', ?) ORDER BY id",
            (f"-{int(archive_days)} days",))
        report.history_archived = [r["session_id"] for r in archived]
        candidates = db.query(
            "SELECT session_id FROM processing_state WHERE status IS NOT 'completed' "
            "AND datetime(updated_at) < datetime('now', ?) ORDER BY id", (f"-{keep_days} days",))
        still_in_history = {r["session_id"] for r in db.query(
            "SELECT session_id FROM project_history")} - set(report.history_archived)
        doomed = []
        for row in candidates:
            if row["session_id"] in still_in_history:
                report.sessions_kept.append(KeptSession(
                    session_id=row["session_id"], reason="referenced by project_history"))
            else:
                doomed.append(row["session_id"])
        report.sessions_deleted = doomed
        for session_id in doomed:
            report.operation_log_rows += db.scalar(
                "SELECT COUNT(*) FROM operation_log WHERE session_id = ?", (session_id,))
            files = db.query("SELECT file_path, file_exists FROM file_registry WHERE session_id = ?",
                             (session_id,))
            report.file_registry_rows += len(files)
            report.files_left_on_disk += [f["file_path"] for f in files if f["file_exists"]]
        if dry_run:
            return report
        if archived:
            columns = ", ".join(_history_columns(db))
            db.execute(f"INSERT OR REPLACE INTO project_history_archive ({columns}) "
                       f"SELECT {columns} FROM project_history WHERE id IN "
                       f"({', '.join('?' * len(archived))})", [r["id"] for r in archived])
            db.execute(f"DELETE FROM project_history WHERE id IN ({', '.join('?' * len(archived))})",
                       [r["id"] for r in archived])
        for session_id in doomed:
            db.execute("DELETE FROM operation_log WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM file_registry WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM processing_state WHERE session_id = ?", (session_id,))
    return report


class OptimizeReport(msgspec.Struct, kw_only=True):
    size_before: int
    size_after: int
    steps: list[str]


def _size(db: Database) -> int:
    total = 0
    for suffix in ("", "-wal"):
        path = db.path.with_name(db.path.name + suffix)
        total += path.stat().st_size if path.exists() else 0
    return total


def optimize(db: Database) -> OptimizeReport:
    """Design 6.2: VACUUM, ANALYZE, REINDEX, then PRAGMA optimize and a WAL checkpoint that
    truncates the -wal file. Each waits on the busy timeout for other writers."""
    db.require_writable("optimize")
    before = _size(db)
    steps = ["VACUUM", "ANALYZE", "REINDEX", "PRAGMA optimize", "PRAGMA wal_checkpoint(TRUNCATE)"]
    with db.locked(), db.translated():
        for statement in steps:  # VACUUM cannot run inside a transaction
            db.conn.execute(statement)
    return OptimizeReport(size_before=before, size_after=_size(db), steps=steps)


class ResetReport(msgspec.Struct, kw_only=True):
    presets_reset: int
    log_rows_deleted: int


def reset_statistics(db: Database, *, log_days: int = 30) -> ResetReport:
    """Design 6.3: zero the preset usage counters and drop operation log rows older than
    `log_days`, but only of completed sessions: the log of an unfinished session is what resume
    reads to know what is done."""
    with db.transaction():
        presets = db.execute("UPDATE user_presets SET usage_count = 0, last_used_at = NULL")
        logs = db.execute(
            "DELETE FROM operation_log WHERE datetime(timestamp) < datetime('now', ?) "
            "AND session_id IN (SELECT session_id FROM processing_state WHERE status = 'completed')",
            (f"-{int(log_days)} days",))
    return ResetReport(presets_reset=presets, log_rows_deleted=logs)


class CheckReport(msgspec.Struct, kw_only=True):
    ok: bool
    path: str
    schema_version: int
    latest_version: int
    db_version_setting: str | None
    journal_mode: str
    integrity: list[str]
    foreign_key_violations: list[str]
    schema_problems: list[str]


def check(db: Database) -> CheckReport:
    """PRAGMA integrity_check, PRAGMA foreign_key_check, and the schema compared object by
    object with schema.py. Read-only: an old database is reported, not migrated."""
    version = migrations.current_version(db)
    with db.locked():
        try:
            integrity = [r[0] for r in db.conn.execute("PRAGMA integrity_check")]
            violations = [f"{r[0]} row {r[1]}: no {r[2]} row for it"
                          for r in db.conn.execute("PRAGMA foreign_key_check")]
        except apsw.Error as exc:  # damage bad enough that the checks themselves fail
            integrity = [f"{exc}; restore a backup with `video-archive db restore FILE`"]
            violations = []
    problems = []
    if version != migrations.LATEST:
        problems.append(f"schema version {version}, current is {migrations.LATEST}: run "
                        "`video-archive db migrate`")
    else:
        actual = {(r["type"], r["name"]): schema.normalized_sql(r["sql"]) for r in db.query(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
        for key, sql in schema.expected_objects().items():
            if key not in actual:
                problems.append(f"{key[0]} {key[1]} is missing")
            elif actual[key] != sql:
                problems.append(f"{key[0]} {key[1]} differs from the current schema")
        problems += [f"unexpected {kind} {name}" for kind, name in actual
                     if (kind, name) not in schema.expected_objects()]
    setting = None
    if version:
        setting = db.scalar("SELECT value FROM app_settings WHERE key = 'db_version'")
        if version == migrations.LATEST and setting != schema.db_version_text(version):
            problems.append(f"db_version setting {setting!r} does not match schema version {version}")
    journal = db.scalar("PRAGMA journal_mode")
    ok = integrity == ["ok"] and not violations and not problems
    return CheckReport(ok=ok, path=str(db.path), schema_version=version,
                       latest_version=migrations.LATEST, db_version_setting=setting,
                       journal_mode=journal, integrity=integrity,
                       foreign_key_violations=violations, schema_problems=problems)
