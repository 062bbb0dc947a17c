"""Cuts edited by the user (what the timeline editor will send) replace detection's: the runner
builds the scenes from them, and clips and stills follow exactly."""

import av
import pytest

from backend.errors import InputError
from backend.jobs.request import ProcessRequest
from backend.jobs import project
from archive_checks import FAST_OVERRIDES


def frame_count(path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_user_cuts_make_the_scenes(db, media_dir, tmp_path):
    request = ProcessRequest(master=str(media_dir / "counter.mp4"), artwork="Cuts", date="26-11-25",
                             out=str(tmp_path / "out"), cuts=[10, 20],
                             overrides=FAST_OVERRIDES)
    outcome = project.process(db, request)
    assert outcome.status == "completed", outcome.error
    archive = tmp_path / "out" / "26-11-25_Cuts"
    clips = sorted((archive / "clips").glob("*.mp4"))
    assert [frame_count(c) for c in clips] == [10, 10, 10]
    stills = sorted(p.name for p in (archive / "stills" / "hq").glob("*.png"))
    assert stills == [f"26-11-25_Cuts_s{n:03d}_f{f:06d}.png" for n, f in ((1, 5), (2, 15), (3, 25))]


def test_a_cut_outside_the_master_is_refused(db, media_dir, tmp_path):
    request = ProcessRequest(master=str(media_dir / "counter.mp4"), artwork="Bad", date="26-11-25",
                             out=str(tmp_path / "out"), cuts=[45])
    with pytest.raises(InputError, match="cut at frame 45 is outside the master"):
        project.process(db, request)
