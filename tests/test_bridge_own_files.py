"""The bridge cannot choose a program the tool runs nor write over the tool's own files: the
state database and its journal files, its backups, the ingest cache, any archive folder; and no
archive folder may nest with another session's, at create and again at export."""

import os

import pytest

from backend.db import sessions
from backend.db import settings as db_settings
from backend.db.sessions import NewSession
from bridge.context import Bridge
from test_bridge_editor_methods import Harness, create

# about the caches and the work done ahead of them: each test starts from empty ones (conftest)
pytestmark = pytest.mark.cold_cache


@pytest.fixture
def call(db_path):
    bridge = Bridge(db_path)
    yield Harness(bridge)
    bridge.close()


def test_a_program_path_is_read_only_over_the_bridge(call, tmp_path):
    program = tmp_path / "evil"
    program.write_text("#!/bin/sh\ntouch pwned\n")
    program.chmod(0o755)
    message = call.fails("settings.set", {"key": "ffmpeg_path", "value": str(program)},
                         -32000, "key")
    assert "video-archive settings set ffmpeg_path" in message
    assert call("settings.get", {"key": "ffmpeg_path"})["value"] == ""
    # the CLI (a person at the terminal) still sets it
    assert db_settings.set(call.bridge.db, "ffmpeg_path", str(program)) == str(program)


@pytest.mark.parametrize("where", ["state.db", "state.db-wal", "state.db-shm", "STATE.DB",
                                   "backups/x.json", "cache/ab/x.json"])
def test_presets_export_never_writes_the_state_store(call, db_path, where):
    target = db_path.parent / where
    before = db_path.read_bytes()
    message = call.fails("presets.export", {"id": "webflow_standard", "path": str(target),
                                            "overwrite": True}, -32000, "path")
    assert "only the tool itself writes" in message
    assert db_path.read_bytes() == before
    assert not target.exists() or target.name.startswith("state.db")


def test_presets_export_through_a_link_is_refused(call, db_path, tmp_path):
    link = tmp_path / "innocent.json"
    os.symlink(db_path, link)
    call.fails("presets.export", {"id": "webflow_standard", "path": str(link), "overwrite": True},
               -32000, "path")


def test_presets_export_never_writes_inside_an_archive(call, tmp_path):
    archive = tmp_path / "out" / "26-12-01_A"
    sessions.create(call.bridge.db, NewSession(
        artwork_name="A", project_date="26-12-01", master_path="/m.mov",
        output_path=str(archive), preset_id="webflow_standard"))
    call.fails("presets.export", {"id": "webflow_standard", "path": str(archive / "x.json")},
               -32000, "path")
    written = call("presets.export", {"id": "webflow_standard",
                                      "path": str(tmp_path / "out" / "x.json")})
    assert written["path"] == str(tmp_path / "out" / "x.json")


def test_an_output_folder_inside_a_known_archive_is_refused_at_create(call, media_dir, tmp_path):
    first = create(call, media_dir, tmp_path, artwork="First")
    # the first archive has no manifest nor masters/ yet: only the session knows it is one
    message = call.fails("project.create", {
        "master": str(media_dir / "counter.mp4"), "artwork": "Second", "date": "26-12-01",
        "out": first["archive_path"]}, -32000, "out")
    assert f"inside the archive folder of session {first['session_id']}" in message
    assert len(call("project.list")) == 1


def test_an_archive_that_would_hold_a_known_one_is_refused(call, media_dir, tmp_path):
    inner = tmp_path / "out" / "26-12-01_Outer" / "26-12-01_Inner"
    sessions.create(call.bridge.db, NewSession(
        artwork_name="Inner", project_date="26-12-01", master_path="/m.mov",
        output_path=str(inner), preset_id="webflow_standard"))
    message = call.fails("project.create", {
        "master": str(media_dir / "counter.mp4"), "artwork": "Outer", "date": "26-12-01",
        "out": str(tmp_path / "out")}, -32000, "out")
    assert "it holds the archive folder of session" in message


def test_an_output_folder_in_the_state_folder_is_refused(call, media_dir, db_path):
    call.fails("project.create", {
        "master": str(media_dir / "counter.mp4"), "artwork": "A", "date": "26-12-01",
        "out": str(db_path.parent / "cache")}, -32000, "out")


def test_a_nested_archive_is_refused_again_at_export(call, media_dir, tmp_path):
    first = create(call, media_dir, tmp_path, artwork="First")
    # a session recorded after the first's create (another program, an older tool) inside it
    sessions.create(call.bridge.db, NewSession(
        artwork_name="Inner", project_date="26-12-01", master_path="/m.mov",
        output_path=str(tmp_path / "out" / "26-12-01_First" / "x" / "26-12-01_Inner"),
        preset_id="webflow_standard"))
    job = call("export.start", {"session_id": first["session_id"]})
    info = call.wait(job["job_id"])
    assert info.state == "failed" and "it holds the archive folder of session" in info.message
    assert not (tmp_path / "out" / "26-12-01_First" / "masters").exists()
