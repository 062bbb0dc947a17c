"""The editor's flow in the core (backend.jobs.project): create with the checks `process` makes,
analyse and stop, edit (cuts, recut, selection, groups: each checked and saved at once), export."""

from __future__ import annotations

import av
import pytest

from backend.db import sessions
from backend.db.session_spec import Group
from backend.errors import InputError
from backend.jobs import archive_lock, project
from backend.jobs.runner import Runner
from backend.jobs.request import ProcessRequest
from archive_checks import FAST_OVERRIDES

FAST = FAST_OVERRIDES


def request(media_dir, tmp_path, **fields) -> ProcessRequest:
    values = dict(master=str(media_dir / "counter.mp4"), artwork="Edit Me", date="26-11-30",
                  out=str(tmp_path / "out"), overrides=FAST)
    values.update(fields)
    return ProcessRequest(**values)


def frame_count(path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.mark.parametrize("fields, field", [
    ({"date": "2026-11-31"}, "date"), ({"master": "/no/such/master.mov"}, "master"),
    ({"artwork": "///"}, "artwork"), ({"threshold": 0.0}, "threshold"),
    ({"min_scene_len": 0}, "min_scene_len"), ({"workers": 0}, "workers"),
    ({"preset": "no_such_preset"}, "preset"), ({"scenes": "2-1"}, "scenes"),
    ({"groups": {"a": [1], "b": [1]}}, "groups"), ({"cuts": [10, 10]}, "cuts"),
])
def test_create_names_the_field_and_writes_nothing(db, media_dir, tmp_path, fields, field):
    with pytest.raises(InputError) as err:
        project.create(db, request(media_dir, tmp_path, **fields))
    assert err.value.field == field, str(err.value)
    assert sessions.list_sessions(db) == []
    assert not (tmp_path / "out" / "26-11-30_Edit-Me").exists()


def test_a_second_project_into_the_same_folder_is_refused(db, media_dir, tmp_path):
    first = project.create(db, request(media_dir, tmp_path))
    with pytest.raises(InputError, match=first.session_id) as err:
        project.create(db, request(media_dir, tmp_path))
    assert err.value.field == "artwork"


@pytest.fixture
def analysed(db, media_dir, tmp_path):
    created = project.create(db, request(media_dir, tmp_path, groups={"Intro": [1]}))
    outcome = project.analyse(db, created.session_id)
    assert outcome.status == "analysed", outcome.error
    return created.session_id


def test_analyse_stops_waiting_for_edits(db, analysed, tmp_path):
    state = project.timeline(db, analysed)
    assert state.frame_count == 30 and state.cuts == [] and len(state.scenes) == 1
    assert state.selection == [1] and state.groups == [Group(name="Intro", scenes=[1])]
    assert sessions.get(db, analysed).status == "paused"
    assert not [op for op in sessions.operations(db, analysed) if op.status != "completed"]
    assert not any((tmp_path / "out" / "26-11-30_Edit-Me").iterdir())  # nothing exported yet


def test_set_cuts_checks_and_saves(db, analysed):
    state = project.set_cuts(db, analysed, [20, 10])
    assert state.cuts == [10, 20]
    assert [(s.start_frame, s.end_frame) for s in state.scenes] == [(0, 9), (10, 19), (20, 29)]
    assert project.timeline(db, analysed) == state
    # the selection and the groups follow the frames: every piece of scene 1 stays chosen
    assert state.selection == [1, 2, 3] and state.groups == [Group(name="Intro", scenes=[1, 2, 3])]
    for bad, message in (([45], "cut at frame 45 is outside the master"),
                         ([0], "cut at frame 0 is outside"), ([10, 10], "given twice"),
                         (["10"], "list of frame numbers")):
        with pytest.raises(InputError, match=message) as err:
            project.set_cuts(db, analysed, bad)
        assert err.value.field == "cuts"
    assert project.timeline(db, analysed) == state  # nothing saved by a refused edit


def test_selection_and_groups(db, analysed):
    project.set_cuts(db, analysed, [10, 20])
    assert project.set_selection(db, analysed, [3, 1, 1]).selection == [1, 3]
    with pytest.raises(InputError, match="scene 4 does not exist") as err:
        project.set_selection(db, analysed, [4])
    assert err.value.field == "scenes"
    groups = [{"name": "Loop B", "color": "#ff8800", "scenes": [3]},
              {"name": "Loop A", "scenes": [1, 2]}]
    state = project.set_groups(db, analysed, groups)
    assert [(g.name, g.color, g.scenes) for g in state.groups] == [
        ("Loop B", "#ff8800", [3]), ("Loop A", None, [1, 2])]  # the order is the user's
    for bad, message in (([{"name": "a", "scenes": [1]}, {"name": "b", "scenes": [1]}],
                          "scene 1 is in both group"),
                         ([{"name": "a", "scenes": [9]}], "names scene 9"),
                         ([{"name": "a b", "scenes": [1]}, {"name": "a/b", "scenes": [2]}],
                          "same folder name")):
        with pytest.raises(InputError, match=message) as err:
            project.set_groups(db, analysed, bad)
        assert err.value.field == "groups"
    assert project.timeline(db, analysed).groups == state.groups
    # grouped_scenes written in the old dict form reads as groups
    sessions.update(db, analysed, grouped_scenes={"old": [2]})
    assert project.timeline(db, analysed).groups == [Group(name="old", scenes=[2])]


def test_recut_replays_stored_scores_without_decoding(db, media_dir, tmp_path, monkeypatch):
    created = project.create(db, request(media_dir, tmp_path, master=str(media_dir / "testvideo.mp4")))
    assert project.analyse(db, created.session_id).status == "analysed"
    detected = project.timeline(db, created.session_id)

    def no_decode(*args, **kwargs):
        raise AssertionError("recut decoded the master")

    monkeypatch.setattr("backend.media.ingest.run_pass", no_decode)
    state = project.recut(db, created.session_id, 15.0, 8)
    assert (state.threshold, state.min_scene_len) == (15.0, 8)
    assert len(state.cuts) > len(detected.cuts)
    back = project.recut(db, created.session_id, detected.threshold, detected.min_scene_len)
    assert back.cuts == detected.cuts
    with pytest.raises(InputError) as err:
        project.recut(db, created.session_id, 300.0, 8)
    assert err.value.field == "threshold"


def test_export_uses_the_edits_then_refuses_more(db, analysed, tmp_path):
    project.set_cuts(db, analysed, [10, 20])
    project.set_selection(db, analysed, [1, 3])
    project.set_groups(db, analysed, [{"name": "Ends", "scenes": [1, 3]}])
    outcome = project.export(db, analysed)
    assert outcome.status == "completed", (outcome.error, outcome.failed)
    archive = tmp_path / "out" / "26-11-30_Edit-Me"
    clips = sorted(p.relative_to(archive).as_posix() for p in (archive / "clips").rglob("*.mp4"))
    assert clips == ["clips/Ends/26-11-30_Edit-Me_s001.mp4", "clips/Ends/26-11-30_Edit-Me_s003.mp4"]
    assert [frame_count(archive / c) for c in clips] == [10, 10]
    with pytest.raises(InputError, match="cannot be edited") as err:
        project.set_cuts(db, analysed, [5])
    assert err.value.field == "session_id"


def test_process_is_create_analyse_export(db, media_dir, tmp_path):
    outcome = project.process(db, request(media_dir, tmp_path, cuts=[10, 20], scenes="2"))
    assert outcome.status == "completed", outcome.error
    archive = tmp_path / "out" / "26-11-30_Edit-Me"
    assert [p.name for p in (archive / "clips").glob("*.mp4")] == ["26-11-30_Edit-Me_s002.mp4"]


def test_process_holds_the_folder_from_its_checks_to_its_end(db, media_dir, tmp_path, monkeypatch):
    """No gap between recording the session and running it in which another run could take the
    folder (two `process` runs started together were then both refused)."""
    archive = tmp_path / "out" / "26-11-30_Edit-Me"
    free_at_start = []
    real_export = Runner.export

    def export(self, session_id, **kwargs):
        try:
            archive_lock.acquire(archive, "a second run").release()
            free_at_start.append(True)
        except archive_lock.ArchiveBusy:
            free_at_start.append(False)
        return real_export(self, session_id, **kwargs)

    monkeypatch.setattr(Runner, "export", export)
    outcome = project.process(db, request(media_dir, tmp_path, cuts=[10], scenes="1"))
    assert outcome.status == "completed", outcome.error
    assert free_at_start == [False]


def test_a_plain_resume_leaves_an_editor_project_interrupted_in_its_ingest(db, media_dir, tmp_path):
    created = project.create(db, request(media_dir, tmp_path), want_proxy=True)
    sessions.update(db, created.session_id, status="processing")  # killed during the ingest
    with pytest.raises(InputError, match="no session to resume"):
        Runner(db).resume()
    assert sessions.get(db, created.session_id).status == "processing"
    assert project.analyse(db, created.session_id).status == "analysed"  # the editor goes on


def test_an_export_plan_refused_keeps_the_editor_session_to_fix(db, media_dir, tmp_path):
    """A group folder named like a clip file: the plan is refused before any work, the session
    stays editable, and fixing the groups exports it (`process` discards instead: nothing can
    edit its session)."""
    created = project.create(db, request(media_dir, tmp_path))
    sid = created.session_id
    assert project.analyse(db, sid).status == "analysed"
    project.set_cuts(db, sid, [15])
    clash = "26-11-30_Edit-Me_s001.mp4"  # where scene 1's clip file goes when it is in no group
    project.set_groups(db, sid, [{"name": clash, "scenes": [2]}])
    refused = project.export(db, sid)
    assert refused.status == "failed" and "cannot be planned" in refused.error
    assert "needs a folder" in refused.error
    archive = tmp_path / "out" / "26-11-30_Edit-Me"
    assert not archive.exists() or not any(archive.rglob("*.mp4"))  # nothing written
    project.set_groups(db, sid, [{"name": "ending", "scenes": [2]}])
    done = project.export(db, sid)
    assert done.status == "completed", done.error
    assert (archive / "clips" / "ending" / "26-11-30_Edit-Me_s002.mp4").is_file()


def test_empty_groups_are_kept_and_export_nothing(db, analysed, tmp_path):
    """A group made in the editor but not yet filled keeps its name, colour and place through
    saves, recuts and reloads; the export gives it no folder and plans nothing for it."""
    project.set_cuts(db, analysed, [10, 20])
    groups = [{"name": "Later", "color": "#112233", "scenes": []},
              {"name": "Ends", "scenes": [1, 3]}, {"name": "Empty too", "scenes": []}]
    state = project.set_groups(db, analysed, groups)
    assert [(g.name, g.color, g.scenes) for g in state.groups] == [
        ("Later", "#112233", []), ("Ends", None, [1, 3]), ("Empty too", None, [])]
    assert project.timeline(db, analysed).groups == state.groups  # read back from state.db
    # a cut that merges scenes keeps the empty groups too
    assert [g.name for g in project.set_cuts(db, analysed, [10]).groups] == ["Later", "Ends", "Empty too"]
    project.set_cuts(db, analysed, [10, 20])
    project.set_groups(db, analysed, groups)
    with pytest.raises(InputError, match="same folder name"):  # names stay distinct, empty or not
        project.set_groups(db, analysed, groups + [{"name": "later", "scenes": []}])
    project.set_selection(db, analysed, [1, 2, 3])
    outcome = project.export(db, analysed)
    assert outcome.status == "completed", (outcome.error, outcome.failed)
    archive = tmp_path / "out" / "26-11-30_Edit-Me"
    clips = sorted(p.relative_to(archive).as_posix() for p in (archive / "clips").rglob("*"))
    assert clips == ["clips/26-11-30_Edit-Me_s002.mp4", "clips/Ends",
                     "clips/Ends/26-11-30_Edit-Me_s001.mp4", "clips/Ends/26-11-30_Edit-Me_s003.mp4"]
    assert [frame_count(archive / c) for c in clips if c.endswith(".mp4")] == [10, 10, 10]
    sheet = (archive / "index.html").read_text(encoding="utf-8")
    assert "Ends" in sheet and "Later" not in sheet and "Empty too" not in sheet
