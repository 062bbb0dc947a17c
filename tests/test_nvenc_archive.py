"""A whole archive with --encoder nvenc, on a machine where an NVENC encode works (skipped only
there where none does): the web master and R&D videos are NVENC encodes, and every clip is still
exactly its scene's frames, cut from the web master by stream copy."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from archive_checks import (DATE, State, check_complete, decode, ends_of, packet_times,
                            scene_indices)
from backend.media import encoders


@pytest.fixture(scope="module")
def nvenc(tmp_path_factory):
    report = encoders.detect_encoders(cache_dir=tmp_path_factory.mktemp("encoders"), refresh=True)
    status = next((s for s in report.encoders if s.name == "h264_nvenc"), None)
    if status is None or not status.usable:
        pytest.skip(f"no NVENC encode works here: {status.reason if status else 'h264_nvenc unknown'}")
    return status


def test_a_whole_archive_with_nvenc_has_frame_exact_clips(nvenc, tmp_path, media_dir):
    master = tmp_path / "master.mp4"
    shutil.copy(media_dir / "testvideo.mp4", master)
    state = State(tmp_path / "state")
    result = state.json("process", str(master), "--artwork", "Nvenc", "--date", DATE,
                        "--out", str(tmp_path / "out"), "--rd", str(media_dir / "rd-sample"),
                        "--encoder", "nvenc")
    assert result.rc == 0, result.stderr
    sid = result.outcome["session_id"]
    archive = tmp_path / "out" / f"{DATE}_Nvenc"
    check_complete(state, sid, archive)
    spec = json.loads(state.session(sid)["process_metadata"])
    assert spec["encoder"]["family"] == "nvenc" and spec["encoder"]["gpu"]
    web_master = archive / "masters" / f"{DATE}_Nvenc_master-web.mp4"
    times = packet_times(master)
    scenes = json.loads(state.session(sid)["scenes_data"])
    assert len(scenes) > 1
    indices = {s["number"]: scene_indices(times, s["start_time"], s["end_time"]) for s in scenes}
    wanted = {i for idx in indices.values() for i in (idx[0], idx[-1])}
    count, web_frames = decode(web_master, wanted)
    assert count == len(times)
    for scene in scenes:
        n = scene["number"]
        clip = archive / "clips" / f"{DATE}_Nvenc_s{n:03d}.mp4"
        frames, first, last = ends_of(clip)
        assert frames == len(indices[n]), f"scene {n}: {frames} frames, expected {len(indices[n])}"
        assert np.array_equal(first, web_frames[indices[n][0]]), f"scene {n}: wrong first frame"
        assert np.array_equal(last, web_frames[indices[n][-1]]), f"scene {n}: wrong last frame"


def test_an_editor_export_joins_nvenc_segments(nvenc, db, db_path, media_dir, tmp_path):
    """The web master as scene segments with h264_nvenc (IDRs forced with -forced-idr 1): the
    segments share their parameter sets (assemble refuses them otherwise), the web master has
    every frame, and a second export of the same cuts encodes nothing."""
    from backend.jobs import project
    from backend.jobs.request import ProcessRequest
    from backend.media import segments

    def export(name: str):
        created = project.create(db, ProcessRequest(
            master=str(media_dir / "testvideo.mp4"), artwork=name, date=DATE,
            out=str(tmp_path / "out"), encoder="nvenc"))
        assert project.analyse(db, created.session_id).status == "analysed"
        outcome = project.export(db, created.session_id)
        assert outcome.status == "completed", outcome.error
        return outcome

    first = export("Nvenc-Segments")
    cache = db_path.parent / "cache" / "segments"
    made = {p: p.stat().st_mtime_ns for p in cache.rglob("*.mp4")}
    assert len(made) > 3
    web = f"{first.archive_path}/masters/{DATE}_Nvenc-Segments_master-web.mp4"
    assert segments.packet_count(web) == len(packet_times(media_dir / "testvideo.mp4"))
    export("Nvenc-Again")
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*.mp4")} == made  # all reused
