"""The export summary's plan (backend.jobs.export_plan): counts that match what the export then
writes, and a size estimate of the right order of magnitude against a real archive."""

from __future__ import annotations

import pytest

from backend.errors import InputError
from backend.jobs import export_plan, project
from backend.jobs.request import ProcessRequest
from archive_checks import FAST_OVERRIDES

FAST = {**FAST_OVERRIDES, "advanced": {"join_group_clips": True}}


@pytest.fixture
def analysed(db, media_dir, tmp_path):
    created = project.create(db, ProcessRequest(
        master=str(media_dir / "testvideo.mp4"), artwork="Plan Me", date="26-12-01",
        out=str(tmp_path / "out"), rd=str(media_dir / "rd-sample"), overrides=FAST))
    assert project.analyse(db, created.session_id).status == "analysed"
    return created.session_id


def test_plan_counts_and_estimate_match_the_archive(db, analysed, tmp_path):
    state = project.set_cuts(db, analysed, [48, 96, 144])
    assert len(state.scenes) == 4
    project.set_selection(db, analysed, [1, 2, 4])
    project.set_groups(db, analysed, [{"name": "Pair", "scenes": [1, 2]},
                                      {"name": "Unused", "scenes": [3]},   # not selected
                                      {"name": "Empty", "scenes": []}])
    plan = export_plan.plan(db, analysed)
    assert (plan.scenes_selected, plan.clips, plan.stills, plan.groups) == (3, 4, 6, 1)

    assert project.export(db, analysed).status == "completed"
    archive = tmp_path / "out" / "26-12-01_Plan-Me"
    files = [p for p in archive.rglob("*") if p.is_file()]
    assert len([p for p in (archive / "clips").rglob("*.mp4")]) == plan.clips
    assert len([p for p in (archive / "stills").rglob("*") if p.is_file()]) == plan.stills
    assert len(files) == plan.files
    written = sum(p.stat().st_size for p in files)
    assert abs(plan.estimated_bytes - written) <= 0.25 * written, (plan.estimated_bytes, written)


# The estimate against a written archive on every shared clip and the make-master master:
# test_process_archive.test_the_export_summarys_size_is_within_a_quarter_of_what_was_written
# (on the archives that module makes anyway).


def test_estimate_follows_the_selection_and_the_preset(db, analysed):
    project.set_cuts(db, analysed, [48, 96, 144])
    project.set_selection(db, analysed, [1, 2, 3, 4])
    everything = export_plan.plan(db, analysed)
    project.set_selection(db, analysed, [1])
    one = export_plan.plan(db, analysed)
    assert (one.clips, one.stills) == (1, 2) and one.estimated_bytes < everything.estimated_bytes
    project.set_selection(db, analysed, [])
    nothing = export_plan.plan(db, analysed)
    assert (nothing.clips, nothing.stills, nothing.groups) == (0, 0, 0)
    assert nothing.estimated_bytes > 0   # the masters and the R&D folder are archived anyway


def test_plan_refuses_unknown_and_unanalysed_sessions(db, media_dir, tmp_path):
    with pytest.raises(InputError, match="no session nope") as err:
        export_plan.plan(db, "nope")
    assert err.value.field == "session_id"
    created = project.create(db, ProcessRequest(
        master=str(media_dir / "counter.mp4"), artwork="Not Yet", date="26-12-01",
        out=str(tmp_path / "out")))
    with pytest.raises(InputError, match="not analysed yet") as err:
        export_plan.plan(db, created.session_id)
    assert err.value.field == "session_id"
