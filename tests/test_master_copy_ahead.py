"""A headless run copies the original master while the analysis runs (backend/jobs/ahead.py): the
copy is the master bit for bit whichever way the run ends, and a run that stops, fails or is
discarded leaves no copy, partial or whole, that no unit took."""

from __future__ import annotations

import hashlib
import threading

import pytest

from backend.db import files as db_files
from backend.db import sessions
from backend.db import settings as db_settings
from backend.errors import InputError
from backend.jobs import project
from backend.jobs.request import ProcessRequest
from backend.ops import master_copy
from backend.ops.scene_detection import SceneDetectionOperator
from archive_checks import FAST_OVERRIDES

# about the caches and the work done ahead of them: each test starts from empty ones (conftest)
pytestmark = pytest.mark.cold_cache

FAST = FAST_OVERRIDES


def request(media_dir, tmp_path, **fields) -> ProcessRequest:
    values = dict(master=str(media_dir / "counter.mp4"), artwork="Ahead", date="26-12-05",
                  out=str(tmp_path / "out"), overrides=FAST)
    values.update(fields)
    return ProcessRequest(**values)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def masters_files(tmp_path) -> list[str]:
    return sorted(p.name for p in tmp_path.glob("out/*/masters/*") if p.is_file())


@pytest.fixture
def copy_done(monkeypatch):
    """Set once the copy ahead has finished (whether it succeeded or not)."""
    done = threading.Event()
    original = master_copy.MasterCopyOperator.ahead

    def ahead(self, job, stop):
        try:
            return original(self, job, stop)
        finally:
            done.set()

    monkeypatch.setattr(master_copy.MasterCopyOperator, "ahead", ahead)
    return done


def detection_waiting_for(monkeypatch, done: threading.Event, then=None):
    """Scene detection that starts its work only once `done` is set: the run can end only if the
    copy ran beside the analysis, not after it."""
    original = SceneDetectionOperator.execute

    def execute(self, unit, job, progress):
        assert done.wait(60), "the master was not copied while the analysis ran"
        if then is not None:
            then(job)
        return original(self, unit, job, progress)

    monkeypatch.setattr(SceneDetectionOperator, "execute", execute)


def test_the_master_is_copied_beside_the_analysis_and_the_unit_takes_it(db, media_dir, tmp_path,
                                                                         monkeypatch, copy_done):
    detection_waiting_for(monkeypatch, copy_done)
    outcome = project.process(db, request(media_dir, tmp_path))
    assert outcome.status == "completed", outcome
    [copy] = [p for p in tmp_path.glob("out/*/masters/*original*")]
    assert sha(copy) == sha(media_dir / "counter.mp4")
    [record] = [f for f in db_files.list_for(db, outcome.session_id) if f.file_type == "master"]
    assert record.compression_settings["sha256"] == sha(copy)
    assert not list(tmp_path.glob("out/**/.*partial*"))


def test_a_pause_during_the_analysis_leaves_no_copy_and_resume_makes_it(db, media_dir, tmp_path,
                                                                        monkeypatch, copy_done):
    detection_waiting_for(monkeypatch, copy_done, then=lambda job: job.cancel.set())
    outcome = project.process(db, request(media_dir, tmp_path))
    assert outcome.status == "paused"
    assert masters_files(tmp_path) == []   # the finished copy no unit took is gone, partial or not
    monkeypatch.undo()
    resumed = project.export(db, outcome.session_id)
    assert resumed.status == "completed"
    [copy] = [p for p in tmp_path.glob("out/*/masters/*original*")]
    assert sha(copy) == sha(media_dir / "counter.mp4")


@pytest.mark.parametrize("layout", ["folder", "bagit"])
def test_a_discarded_run_leaves_no_folder(db, media_dir, tmp_path, monkeypatch, copy_done, layout):
    """A scene list beyond the master's scenes is refused once they are known, after the
    analysis: the session is forgotten and its folder removed, the copy made meanwhile included
    (in a bag, under data/masters/)."""
    db_settings.set(db, "archive_layout", layout)
    detection_waiting_for(monkeypatch, copy_done)
    with pytest.raises(InputError, match="99"):
        project.process(db, request(media_dir, tmp_path, scenes="1,99"))
    assert sessions.all_sessions(db) == []
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_a_copy_ahead_that_fails_is_made_by_its_unit(db, media_dir, tmp_path, monkeypatch):
    def broken(src, dst, **kwargs):
        raise OSError(28, "No space left on device")

    calls = []
    real = master_copy.copy_with_checksum

    def copy(src, dst, **kwargs):
        calls.append(threading.current_thread().name)
        if threading.current_thread().name.startswith("ahead-"):
            return broken(src, dst, **kwargs)
        return real(src, dst, **kwargs)

    monkeypatch.setattr(master_copy, "copy_with_checksum", copy)
    outcome = project.process(db, request(media_dir, tmp_path))
    assert outcome.status == "completed"
    assert len(calls) == 2 and calls[0].startswith("ahead-")  # tried ahead, then by the unit
    [copy_path] = [p for p in tmp_path.glob("out/*/masters/*original*")]
    assert sha(copy_path) == sha(media_dir / "counter.mp4")


def test_an_editor_session_copies_nothing_ahead(db, media_dir, tmp_path, monkeypatch):
    """The editor analyses and waits for edits: nothing is written before its export."""
    started = []
    monkeypatch.setattr(master_copy.MasterCopyOperator, "ahead",
                        lambda self, job, stop: started.append(1))
    created = project.create(db, request(media_dir, tmp_path))
    assert project.analyse(db, created.session_id).status == "analysed"
    assert started == [] and masters_files(tmp_path) == []
    assert project.export(db, created.session_id).status == "completed"
    assert started == []  # analysed already: the unit copies
