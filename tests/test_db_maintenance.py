"""Cleanup (6.1, fixed), optimize (6.2), statistics reset (6.3) and check."""

from backend.db import files, history, maintenance, sessions, settings
from backend.db.connect import Database
from backend.db.schema import VERSION as LATEST
from db_v1 import make_v1_db


def _new(db, status="paused", days_old=0) -> str:
    sid = sessions.create(db, sessions.NewSession(
        artwork_name="Dune", project_date="24-11-03", master_path="/m.mov", output_path="/out",
        preset_id="webflow_standard"))
    sessions.plan_operations(db, sid, [sessions.PlannedOperation(
        operation_type="clip_export", operation_name="clip 1")])
    files.register(db, sid, files.FileRecord(file_path=f"/out/{sid}.mp4", file_type="clip",
                                             file_category="clips"))
    sessions.set_status(db, sid, status)
    db.execute("UPDATE processing_state SET updated_at = datetime('now', ?) WHERE session_id = ?",
               (f"-{days_old} days", sid))
    return sid


def _history(db, sid, days_old):
    history.record(db, history.HistoryRecord(
        session_id=sid, artwork_name="Dune", project_date="24-11-03", output_path="/out",
        master_filename="m.mov"))
    db.execute("UPDATE project_history SET completed_at = datetime('now', ?) WHERE session_id = ?",
               (f"-{days_old} days", sid))


def test_cleanup_dry_run_then_real(db):
    old_abandoned = _new(db, "paused", 40)
    old_failed_with_history = _new(db, "failed", 40)
    _history(db, old_failed_with_history, 40)
    recent = _new(db, "paused", 3)
    old_completed = _new(db, "completed", 200)
    _history(db, old_completed, 120)

    dry = maintenance.cleanup(db, dry_run=True)
    assert dry.sessions_deleted == [old_abandoned]
    assert [(k.session_id, k.reason) for k in dry.sessions_kept] == \
        [(old_failed_with_history, "referenced by project_history")]
    assert (dry.operation_log_rows, dry.file_registry_rows) == (1, 1)
    assert dry.files_left_on_disk == [f"/out/{old_abandoned}.mp4"]
    assert dry.history_archived == [old_completed]
    assert sessions.exists(db, old_abandoned)  # nothing changed
    assert db.scalar("SELECT COUNT(*) FROM project_history_archive") == 0

    real = maintenance.cleanup(db)
    assert real.sessions_deleted == dry.sessions_deleted and not real.dry_run
    assert not sessions.exists(db, old_abandoned)
    for sid in (old_failed_with_history, recent, old_completed):
        assert sessions.exists(db, sid)
    assert db.scalar("SELECT COUNT(*) FROM operation_log WHERE session_id = ?", (old_abandoned,)) == 0
    assert db.scalar("SELECT COUNT(*) FROM file_registry WHERE session_id = ?", (old_abandoned,)) == 0
    archived = db.query_one("SELECT * FROM project_history_archive")
    assert archived["session_id"] == old_completed and archived["archived_at"]
    assert history.get(db, old_completed) is None
    assert db.query("PRAGMA foreign_key_check") == []
    again = maintenance.cleanup(db)
    assert again.sessions_deleted == [] and again.history_archived == []


def test_cleanup_keeps_what_resume_still_offers(db):
    settings.set(db, "max_resume_age_days", 60)
    sid = _new(db, "paused", 40)
    assert maintenance.cleanup(db).sessions_deleted == []
    assert sid in {s.session_id for s in sessions.resumable(db)}


def test_reset_statistics_keeps_logs_resume_needs(db):
    db.insert("INSERT INTO user_presets (preset_id, preset_name, stills_hq_settings, "
              "stills_web_settings, video_settings, usage_count, last_used_at) "
              "VALUES ('mine', 'Mine', '{}', '{}', '{}', 5, CURRENT_TIMESTAMP)")
    done, paused = _new(db, "completed"), _new(db, "paused")
    db.execute("UPDATE operation_log SET timestamp = datetime('now', '-45 days')")
    report = maintenance.reset_statistics(db)
    assert (report.presets_reset, report.log_rows_deleted) == (1, 1)
    assert db.query_one("SELECT usage_count, last_used_at FROM user_presets") == \
        {"usage_count": 0, "last_used_at": None}
    assert len(sessions.operations(db, paused)) == 1 and sessions.operations(db, done) == []


def test_optimize(db):
    for _ in range(20):
        _new(db)
    db.execute("DELETE FROM file_registry")
    report = maintenance.optimize(db)
    assert report.steps[0] == "VACUUM" and report.size_after > 0
    assert maintenance.check(db).ok


def test_check_reports_problems(db, tmp_path):
    report = maintenance.check(db)
    assert report.ok and report.integrity == ["ok"] and report.schema_version == LATEST
    assert report.journal_mode == "wal" and report.db_version_setting == f"{LATEST}.0"
    db.execute("DROP INDEX idx_file_type")
    db.execute("UPDATE app_settings SET value = '7.0' WHERE key = 'db_version'")
    db.conn.execute("PRAGMA foreign_keys = OFF")
    db.insert("INSERT INTO operation_log (session_id, operation_type, operation_name, "
              "sequence_number, status) VALUES ('ghost', 't', 'n', 1, 'pending')")
    report = maintenance.check(db)
    assert not report.ok
    assert "index idx_file_type is missing" in report.schema_problems
    assert any("db_version" in p for p in report.schema_problems)
    assert report.foreign_key_violations == ["operation_log row 1: no processing_state row for it"]
    with Database(make_v1_db(tmp_path / "v1.db")) as old:
        v1 = maintenance.check(old)
        assert not v1.ok and v1.schema_version == 1 and "db migrate" in v1.schema_problems[0]
