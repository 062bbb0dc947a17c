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
