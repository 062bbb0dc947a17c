"""What the triggers and views do, and the design bugs they no longer have."""

import datetime as dt

import apsw
import pytest

from backend.db import sessions
from db_v1 import make_v1_db

OLD = "2020-01-01 00:00:00"


def new_session(db, preset="webflow_standard", **extra) -> str:
    return sessions.create(db, sessions.NewSession(
        artwork_name="Dune", project_date="24-11-03", master_path="/m/dune.mov",
        output_path="/out", preset_id=preset, **extra))


def row(db, session_id):
    return db.query_one("SELECT * FROM processing_state WHERE session_id = ?", (session_id,))


def age(db, session_id):
    # updated_at is not a tracked column: setting it alone fires no trigger
    db.execute("UPDATE processing_state SET updated_at = ?, completed_at = NULL "
               "WHERE session_id = ?", (OLD, session_id))


def test_update_refreshes_updated_at(db):
    sid = new_session(db)
    age(db, sid)
    assert row(db, sid)["updated_at"] == OLD
    sessions.update(db, sid, current_operation="detect")
    assert row(db, sid)["updated_at"] > OLD


def test_timestamp_trigger_survives_recursive_triggers(db, tmp_path):
    sid = new_session(db)
    db.conn.execute("PRAGMA recursive_triggers = ON")
    sessions.set_status(db, sid, "completed")  # fires both processing_state triggers
    assert row(db, sid)["completed_at"] is not None
    # the design's trigger updates the row it fires on and so recurses without end
    v1 = apsw.Connection(str(make_v1_db(tmp_path / "v1.db", with_data=False)))
    v1.execute("INSERT INTO processing_state (session_id, artwork_name, project_date, master_path,"
               " output_path, preset_id, total_operations) VALUES ('s', 'a', 'd', 'm', 'o', 'p', 0)")
    v1.execute("PRAGMA recursive_triggers = ON")
    with pytest.raises(apsw.SQLError, match="nested too deep|too many levels"):
        v1.execute("UPDATE processing_state SET status = 'paused'")
    v1.close()


def test_complete_session_sets_completed_at_once_and_clears_on_reopen(db):
    sid = new_session(db)
    sessions.set_status(db, sid, "processing")
    assert row(db, sid)["completed_at"] is None
    sessions.set_status(db, sid, "completed")
    first = row(db, sid)["completed_at"]
    assert first is not None
    db.execute("UPDATE processing_state SET completed_at = ? WHERE session_id = ?", (OLD, sid))
    sessions.set_status(db, sid, "completed")  # saved again: still the first completion
    assert row(db, sid)["completed_at"] == OLD
    sessions.set_status(db, sid, "processing")  # reopened: not completed any more
    assert row(db, sid)["completed_at"] is None


def test_track_preset_usage_counts_from_null(db):
    db.insert("INSERT INTO user_presets (preset_id, preset_name, stills_hq_settings, "
              "stills_web_settings, video_settings, usage_count, modified_at) "
              "VALUES ('mine', 'Mine', '{}', '{}', '{}', NULL, ?)", (OLD,))
    new_session(db, preset="mine")
    new_session(db, preset="mine")
    new_session(db, preset="webflow_standard")  # built-in: no row to count
    preset = db.query_one("SELECT * FROM user_presets WHERE preset_id = 'mine'")
    assert preset["usage_count"] == 2
    assert preset["last_used_at"] is not None
    assert preset["modified_at"] == OLD  # being used is not being modified


def test_preset_modified_at_follows_edits(db):
    db.insert("INSERT INTO user_presets (preset_id, preset_name, stills_hq_settings, "
              "stills_web_settings, video_settings, modified_at) "
              "VALUES ('mine', 'Mine', '{}', '{}', '{}', ?)", (OLD,))
    db.execute("UPDATE user_presets SET description = 'sharper' WHERE preset_id = 'mine'")
    assert db.scalar("SELECT modified_at FROM user_presets WHERE preset_id = 'mine'") > OLD


def test_active_sessions_view_with_no_plan_and_partial_progress(db):
    empty = new_session(db)
    planned = new_session(db)
    sessions.plan_operations(db, planned, [
        sessions.PlannedOperation(operation_type="t", operation_name=f"op{i}") for i in range(3)])
    sessions.start_operation(db, planned, 1)
    sessions.finish_operation(db, planned, 1, "completed")
    view = {r["session_id"]: r for r in db.query("SELECT * FROM active_sessions")}
    assert view[empty]["progress_percent"] == 0.0  # the design's division gave NULL
    assert view[planned]["progress_percent"] == 33.3
    sessions.set_status(db, planned, "completed")
    assert planned not in {r["session_id"] for r in db.query("SELECT * FROM active_sessions")}


def test_project_statistics_reads_any_timestamp_form(db):
    recent = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    forms = [recent.strftime("%Y-%m-%d %H:%M:%S"), recent.isoformat(),  # '...T...+00:00'
             recent.strftime("%Y-%m-%dT%H:%M:%S.%f"), "2020-01-01T00:00:00"]
    for i, stamp in enumerate(forms):
        sid = new_session(db)
        db.insert("INSERT INTO project_history (session_id, artwork_name, project_date, "
                  "output_path, master_filename, completed_successfully, total_files_created, "
                  "completed_at) VALUES (?, 'a', '24-01-01', '/o', 'm.mov', ?, 2, ?)",
                  (sid, int(i % 2 == 0), stamp))
    stats = db.query_one("SELECT * FROM project_statistics")
    assert stats["total_projects"] == 3  # the 2020 row is outside the 30 days
    assert stats["successful_projects"] == 2
    assert stats["total_files_created"] == 6
