"""The session API the runner uses: create, plan, start/progress/finish, crash reset, resume,
the file registry and project history; JSON columns typed both ways."""

import apsw
import pytest

from backend.db import files, history, sessions, settings
from backend.db.structs import OperationDetails, Scene
from backend.errors import InputError, StateError


def new(db, **extra) -> str:
    fields = dict(artwork_name="Dune", project_date="24-11-03", master_path="/m/dune.mov",
                  output_path="/out", preset_id="webflow_standard")
    fields.update(extra)
    return sessions.create(db, sessions.NewSession(**fields))


def plan(db, sid, n=3):
    return sessions.plan_operations(db, sid, [
        sessions.PlannedOperation(operation_type="clip_export", operation_name=f"clip {i}",
                                  input_file="/m/dune.mov", settings_used={"crf": 18})
        for i in range(1, n + 1)])


def a_spec():
    from backend.db.session_spec import SessionSpec
    from backend.media.encoders import Choice
    from backend.media.metadata import ArchiveMetadata
    from backend.presets.builtin import DEFAULT_PRESET_ID, get_builtin

    return SessionSpec(safe_name="Dune", encoder=Choice(encoder="libx264", family="x264", gpu=False),
                       preset=get_builtin(DEFAULT_PRESET_ID), metadata=ArchiveMetadata(title="Dune"))


def test_create_and_get(db):
    spec = a_spec()
    sid = new(db, custom_settings={"crf": 20}, process_metadata=spec, rd_folder_path="/rd")
    s = sessions.get(db, sid)
    assert (s.session_id, s.status, s.total_operations, s.completed_operations) == (sid, "initialized", 0, 0)
    assert s.custom_settings == {"crf": 20} and s.process_metadata == spec
    assert (s.encoder_type, s.scene_threshold, s.min_scene_length) == ("x264", 30.0, 15)
    assert s.created_at and s.updated_at and s.completed_at is None


def test_session_ids_are_unique_and_sort_by_creation(db):
    ids = [sessions.new_session_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


@pytest.mark.parametrize("field, value", [("project_date", "2024-11-03"), ("artwork_name", " "),
                                          ("scene_threshold", -1.0), ("min_scene_length", 0)])
def test_create_rejects_bad_input(db, field, value):
    with pytest.raises(InputError):
        new(db, **{field: value})


def test_get_missing_session(db):
    with pytest.raises(StateError, match="no session nope"):
        sessions.get(db, "nope")


def test_update_encodes_and_validates_json_fields(db):
    sid = new(db)
    scenes = [Scene(number=1, start_frame=0, end_frame=24, start_time=0.0, end_time=1.0),
              {"number": 2, "start_frame": 25, "end_frame": 49, "start_time": 1.0, "end_time": 2.0}]
    sessions.update(db, sid, scenes_data=scenes, selected_scenes=[1, 2],
                    grouped_scenes={"intro": [1]}, current_operation="detect")
    s = sessions.get(db, sid)
    assert s.scenes_data[1] == Scene(number=2, start_frame=25, end_frame=49, start_time=1.0, end_time=2.0)
    assert (s.selected_scenes, s.grouped_scenes) == ([1, 2], {"intro": [1]})
    with pytest.raises(InputError, match="scenes_data"):
        sessions.update(db, sid, scenes_data=[{"number": 1, "start_frame": 5, "end_frame": 1,
                                               "start_time": 0.0, "end_time": 1.0}])
    with pytest.raises(InputError, match="scenes_data"):  # a misspelt key fails on write
        sessions.update(db, sid, scenes_data=[{"numbr": 1}])
    with pytest.raises(InputError, match="selected_scenes"):
        sessions.update(db, sid, selected_scenes=["one"])
    with pytest.raises(InputError, match="cannot update"):
        sessions.update(db, sid, session_id="other")
    with pytest.raises(StateError):
        sessions.update(db, "nope", current_operation="x")


def test_struct_from_another_module_is_accepted(db):
    import msgspec

    class OpsScene(msgspec.Struct):  # what backend.ops.base.Scene looks like
        number: int
        start_frame: int
        end_frame: int
        start_time: float
        end_time: float

    sid = new(db)
    sessions.update(db, sid, scenes_data=[OpsScene(1, 0, 9, 0.0, 0.4)])
    assert sessions.get(db, sid).scenes_data[0].end_frame == 9


def test_set_status_validates(db):
    sid = new(db)
    sessions.set_status(db, sid, "failed", "ffmpeg crashed")
    s = sessions.get(db, sid)
    assert (s.status, s.error_message) == ("failed", "ffmpeg crashed")
    sessions.set_status(db, sid, "processing")
    assert sessions.get(db, sid).error_message is None
    with pytest.raises(InputError, match="invalid session status"):
        sessions.set_status(db, sid, "done")


def test_plan_numbers_operations_and_is_kept_on_replan(db):
    sid = new(db)
    rows = plan(db, sid)
    assert [(r.sequence_number, r.status, r.progress) for r in rows] == \
        [(1, "pending", 0.0), (2, "pending", 0.0), (3, "pending", 0.0)]
    assert rows[0].settings_used == {"crf": 18}
    assert sessions.get(db, sid).total_operations == 3
    again = sessions.plan_operations(db, sid, [sessions.PlannedOperation(
        operation_type="x", operation_name="other")])
    assert [r.id for r in again] == [r.id for r in rows]
    assert sessions.get(db, sid).total_operations == 3


def test_append_operations_numbers_on(db):
    sid = new(db)
    plan(db, sid, 2)
    sessions.finish_operation(db, sid, 1, "completed")
    added = sessions.append_operations(db, sid, [
        sessions.PlannedOperation(operation_type="still_extraction", operation_name=f"still {i}")
        for i in (1, 2)])
    assert [(r.sequence_number, r.operation_name, r.status) for r in added] == \
        [(3, "still 1", "pending"), (4, "still 2", "pending")]
    s = sessions.get(db, sid)
    assert (s.total_operations, s.completed_operations) == (4, 1)
    with pytest.raises(StateError):
        sessions.append_operations(db, "nope", [])


def test_sequence_numbers_are_unique_per_session(db):
    sid = new(db)
    plan(db, sid, 1)
    with pytest.raises(apsw.ConstraintError):
        db.insert("INSERT INTO operation_log (session_id, operation_type, operation_name, "
                  "sequence_number, status) VALUES (?, 't', 'n', 1, 'pending')", (sid,))


def test_operation_lifecycle(db):
    sid = new(db)
    plan(db, sid)
    started = sessions.start_operation(db, sid, 1)
    assert started.status == "processing" and started.start_time
    s = sessions.get(db, sid)
    assert s.current_operation == "clip 1"
    assert s.operation_details == OperationDetails(sequence_number=1, operation_type="clip_export",
                                                   operation_name="clip 1", progress=0.0)
    sessions.set_progress(db, sid, 1, 0.5)
    assert sessions.operation(db, sid, 1).progress == 0.5
    assert sessions.get(db, sid).operation_details.progress == 0.5
    with pytest.raises(InputError):
        sessions.set_progress(db, sid, 1, 1.5)
    done = sessions.finish_operation(db, sid, 1, "completed", output_files=["clips/1.mp4"],
                                     file_sizes={"clips/1.mp4": 1234}, warnings=["vfr"],
                                     cpu_usage=80.0, gpu_usage=0.0, memory_usage=211.6)
    assert (done.status, done.progress, done.output_files, done.file_sizes) == \
        ("completed", 1.0, ["clips/1.mp4"], {"clips/1.mp4": 1234})
    assert done.warning_messages == ["vfr"] and done.memory_usage == 212
    assert done.end_time >= done.start_time and done.duration_seconds >= 0
    sessions.finish_operation(db, sid, 2, "skipped")  # never started: no duration
    assert sessions.operation(db, sid, 2).duration_seconds is None
    sessions.start_operation(db, sid, 3)
    failed = sessions.finish_operation(db, sid, 3, "failed", error_details="disk full")
    assert (failed.status, failed.error_details, failed.progress) == ("failed", "disk full", 0.0)
    assert sessions.get(db, sid).completed_operations == 2  # completed + skipped, not failed
    with pytest.raises(InputError):
        sessions.finish_operation(db, sid, 3, "processing")
    with pytest.raises(StateError, match="no operation 9"):
        sessions.start_operation(db, sid, 9)


def test_reset_unfinished_after_a_crash(db):
    sid = new(db)
    plan(db, sid)
    sessions.start_operation(db, sid, 1)
    sessions.finish_operation(db, sid, 1, "completed")
    sessions.start_operation(db, sid, 2)
    sessions.set_progress(db, sid, 2, 0.7)
    assert sessions.reset_unfinished(db, sid) == 1
    statuses = [(o.status, o.progress, o.start_time) for o in sessions.operations(db, sid)]
    assert statuses[1] == ("pending", 0.0, None)
    assert statuses[0][0] == "completed"


def test_resumable_counts_only_done_operations_and_honours_max_age(db):
    paused, failed, fresh, done, old = new(db), new(db), new(db), new(db), new(db)
    for sid in (paused, failed, old):
        plan(db, sid, 4)
    for seq, status in ((1, "completed"), (2, "skipped"), (3, "failed")):
        sessions.finish_operation(db, paused, seq, status)
    # a stale count in the session row must not fool resume: the log decides
    db.execute("UPDATE processing_state SET completed_operations = 4 WHERE session_id = ?", (paused,))
    sessions.set_status(db, paused, "paused")
    sessions.set_status(db, failed, "failed", "boom")
    sessions.set_status(db, done, "completed")
    sessions.set_status(db, old, "paused")
    db.execute("UPDATE processing_state SET updated_at = datetime('now', '-10 days') "
               "WHERE session_id = ?", (old,))
    found = {s.session_id: s for s in sessions.resumable(db)}
    assert set(found) == {paused, failed}  # not initialized, not completed, not too old
    assert found[paused].completed_operations == 2
    settings.set(db, "max_resume_age_days", 30)
    assert old in {s.session_id for s in sessions.resumable(db)}
    settings.set(db, "max_resume_age_days", 0)
    assert sessions.resumable(db) == []


def test_list_and_delete(db):
    first, second = new(db), new(db)
    plan(db, first)
    files.register(db, first, files.FileRecord(file_path="/out/a.jpg", file_type="still_hq",
                                               file_category="stills"))
    assert [s.session_id for s in sessions.list_sessions(db, 10)] == [second, first]
    sessions.delete(db, first)
    assert not sessions.exists(db, first)
    assert db.scalar("SELECT COUNT(*) FROM operation_log") == 0
    assert db.scalar("SELECT COUNT(*) FROM file_registry") == 0
    history.record(db, history.HistoryRecord(session_id=second, artwork_name="Dune",
                                             project_date="24-11-03", output_path="/out",
                                             master_filename="dune.mov"))
    with pytest.raises(StateError, match="history"):
        sessions.delete(db, second)


def test_malformed_json_column_names_table_row_and_column(db):
    sid = new(db)
    row_id = db.scalar("SELECT id FROM processing_state WHERE session_id = ?", (sid,))
    db.execute("UPDATE processing_state SET scenes_data = '[{\"number\": 1,' WHERE id = ?", (row_id,))
    with pytest.raises(StateError) as err:
        sessions.get(db, sid)
    assert f"processing_state, row {row_id}, column scenes_data" in str(err.value)
    db.execute("UPDATE processing_state SET scenes_data = NULL, "
               "grouped_scenes = '{\"intro\": [\"x\"]}' WHERE id = ?", (row_id,))
    with pytest.raises(StateError, match="column grouped_scenes"):
        sessions.get(db, sid)
    db.execute("UPDATE processing_state SET grouped_scenes = NULL, scene_threshold = 'high' "
               "WHERE id = ?", (row_id,))
    with pytest.raises(StateError, match="column scene_threshold"):
        sessions.get(db, sid)
    plan(db, sid, 1)
    db.execute("UPDATE operation_log SET file_sizes = '{\"a\": -1}'")
    with pytest.raises(StateError, match="operation_log, row .*, column file_sizes"):
        sessions.operations(db, sid)


def test_register_file_upserts_on_session_and_path(db):
    sid = new(db)
    record = files.FileRecord(file_path="/out/clips/1.mp4", file_type="clip", file_category="clips",
                              file_size_bytes=10, compression_settings={"crf": 18})
    first = files.register(db, sid, record)
    record.file_size_bytes = 20
    record.verified = True
    assert files.register(db, sid, record) == first
    [row] = files.list_for(db, sid)
    assert (row.id, row.file_size_bytes, row.verified, row.has_metadata, row.file_exists) == \
        (first, 20, True, True, True)
    assert row.compression_settings == {"crf": 18}
    files.mark_missing(db, sid, "/out/clips/1.mp4")
    [row] = files.list_for(db, sid)
    assert (row.file_exists, row.verified) == (False, False)
    with pytest.raises(StateError):
        files.mark_missing(db, sid, "/nowhere")
    with pytest.raises(StateError, match="no session"):
        files.register(db, "nope", record)


def test_history_record_and_statistics(db):
    sid, other = new(db), new(db)
    entry = history.HistoryRecord(session_id=sid, artwork_name="Dune", project_date="24-11-03",
                                  output_path="/out", master_filename="dune.mov",
                                  total_processing_time_seconds=100.0, total_files_created=5,
                                  total_output_size_mb=50.0, compression_ratio=4.0,
                                  gpu_accelerated=True, completed_successfully=True,
                                  started_at="2099-01-01T10:00:00+02:00", metadata={"k": [1]})
    first = history.record(db, entry)
    entry.total_files_created = 6
    assert history.record(db, entry) == first  # a re-run replaces its row
    history.record(db, history.HistoryRecord(session_id=other, artwork_name="Tide",
                                             project_date="24-11-04", output_path="/out",
                                             master_filename="tide.mov",
                                             completed_successfully=False,
                                             total_processing_time_seconds=50.0))
    got = history.get(db, sid)
    assert got.started_at == "2099-01-01 08:00:00"  # normalised to UTC
    assert got.metadata == {"k": [1]} and got.gpu_accelerated is True and got.completed_at
    assert [h.session_id for h in history.list_history(db, 5)] in ([other, sid], [sid, other])
    stats = history.statistics(db)
    assert (stats.total_projects, stats.successful_projects, stats.total_files_created) == (2, 1, 6)
    assert stats.avg_processing_time == 75.0
    with pytest.raises(InputError):
        history.record(db, history.HistoryRecord(session_id=sid, artwork_name="x", project_date="x",
                                                 output_path="x", master_filename="x",
                                                 completed_at="yesterday-ish"))
