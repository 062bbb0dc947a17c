"""Listing unfinished sessions and discarding one (the editor's start screen), in the core."""

import pytest

from backend.db import sessions
from backend.errors import InputError
from backend.jobs import project
from backend.jobs.request import ProcessRequest


def make(db, media_dir, tmp_path, artwork):
    return project.create(db, ProcessRequest(master=str(media_dir / "counter.mp4"), artwork=artwork,
                                             date="26-12-01", out=str(tmp_path / "out")))


def test_unfinished_lists_every_open_session(db, media_dir, tmp_path):
    a = make(db, media_dir, tmp_path, "A").session_id
    b = make(db, media_dir, tmp_path, "B").session_id
    sessions.set_status(db, a, "failed", "boom")
    found = sessions.unfinished(db)
    assert {s.session_id for s in found} == {a, b}
    assert [s.status for s in found if s.session_id == a] == ["failed"]
    sessions.set_status(db, b, "completed")
    assert [s.session_id for s in sessions.unfinished(db)] == [a]


def test_discard_forgets_the_session_and_an_empty_archive(db, media_dir, tmp_path):
    created = make(db, media_dir, tmp_path, "Gone")
    assert project.analyse(db, created.session_id).status == "analysed"
    with pytest.raises(InputError) as err:
        project.ingested(db, "nope")
    assert err.value.field == "session_id"
    assert project.ingested(db, created.session_id).frame_count == 30
    done = project.discard(db, created.session_id)
    assert done.archive_removed and not (tmp_path / "out" / "26-12-01_Gone").exists()
    assert not sessions.exists(db, created.session_id)
    # the same project can be made again
    assert make(db, media_dir, tmp_path, "Gone").session_id != created.session_id


def test_discard_keeps_written_files_and_refuses_finished_sessions(db, media_dir, tmp_path):
    created = make(db, media_dir, tmp_path, "Kept")
    (tmp_path / "out" / "26-12-01_Kept" / "masters").mkdir()
    assert project.discard(db, created.session_id).archive_removed is False
    assert (tmp_path / "out" / "26-12-01_Kept" / "masters").is_dir()
    other = make(db, media_dir, tmp_path, "Done").session_id
    sessions.set_status(db, other, "completed")
    for sid in (other, "no-such-session"):
        with pytest.raises(InputError) as err:
            project.discard(db, sid)
        assert err.value.field == "session_id"
    with pytest.raises(InputError, match="not analysed"):
        project.ingested(db, other)
