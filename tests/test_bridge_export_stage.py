"""`export.start` moves the session to the export stage before it answers: an edit sent right
after is refused with an input error naming the stage, and the archive is made from the edit
the user saw. An export that stops before its plan gives the session back to the editor."""

import pytest

from backend.db import sessions
from bridge.context import Bridge
from test_bridge_editor_methods import Harness, create


@pytest.fixture
def call(db_path):
    bridge = Bridge(db_path)
    yield Harness(bridge)
    bridge.close()


def test_an_edit_right_after_export_start_is_refused(call, media_dir, tmp_path):
    sid = create(call, media_dir, tmp_path, clip="testvideo.mp4", artwork="Stage")["session_id"]
    scenes = call("timeline.get", {"session_id": sid})["scenes"]
    assert len(scenes) > 1
    call("edit.set_selection", {"session_id": sid, "scenes": [1]})
    job = call("export.start", {"session_id": sid})["job_id"]
    for method, params in (("edit.set_selection", {"scenes": [1, 2]}),
                           ("edit.set_cuts", {"cuts": [5]}),
                           ("edit.recut", {"threshold": 10.0, "min_scene_len": 5}),
                           ("edit.set_groups", {"groups": []})):
        message = call.fails(method, {"session_id": sid, **params}, field="session_id")
        assert "stage export" in message, message
    assert call("project.open", {"session_id": sid})["stage"] == "export"
    assert call.wait(job).state == "completed"
    assert sessions.get(call.bridge.db, sid).selected_scenes == [1]
    clips = [f for f in call("history.files", {"session_id": sid}) if f["file_type"] == "clip"]
    assert len(clips) == 1, clips  # the selection the user saw when asking: scene 1 alone


def test_an_export_that_stops_before_its_plan_returns_to_editing(call, media_dir, tmp_path):
    sid = create(call, media_dir, tmp_path, artwork="Back")["session_id"]
    master = sessions.get(call.bridge.db, sid).master_path
    # the master changes on disk: the export refuses to start (nothing planned)
    changed = tmp_path / "changed.mp4"
    changed.write_bytes((media_dir / "fades.mp4").read_bytes())
    call.bridge.db.execute("UPDATE processing_state SET master_path = ? WHERE session_id = ?",
                           (str(changed), sid))
    job = call("export.start", {"session_id": sid})["job_id"]
    assert call.wait(job).state == "failed"
    assert call("project.open", {"session_id": sid})["stage"] == "edit"
    call.bridge.db.execute("UPDATE processing_state SET master_path = ? WHERE session_id = ?",
                           (master, sid))
    call("edit.set_selection", {"session_id": sid, "scenes": [1]})
