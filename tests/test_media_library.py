"""The media library without a session: a web master keyframed at given cuts, frame-exact clips
cut from it, and one frame's full-quality still."""

from __future__ import annotations

import av
import numpy as np
import pytest

from backend.media import clips, ingest, stills, web_master
from backend.media.metadata import ArchiveMetadata
from backend.media.scenes import scenes_at_cuts
from backend.media.timeline import load_timeline
from backend.presets.model import VideoSettings

META = ArchiveMetadata(copyright="© Test", title="Library")


def frames(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


@pytest.fixture
def keyframed(media_dir, tmp_path):
    master = media_dir / "counter.mp4"
    line = load_timeline(ingest.ingest(master, cache_root=tmp_path / "cache", want_proxy=False))
    settings = VideoSettings(x264_preset="ultrafast")
    out = tmp_path / "web.mp4"
    made = web_master.encode_web_master(
        master, out, settings=settings, encoder_family="x264", metadata=META,
        cut_times=web_master.cut_times(line, [10, 20], line.origin))
    assert made.frames == 30 and out.is_file()
    return out, settings, scenes_at_cuts([10, 20], line)


def test_cut_scenes_are_frame_exact(keyframed, tmp_path):
    web, settings, scenes = keyframed
    paths = clips.cut_scenes(web, scenes, tmp_path / "clips", settings=settings, metadata=META)
    whole = frames(web)
    assert [p.name for p in paths] == ["scene-001.mp4", "scene-002.mp4", "scene-003.mp4"]
    for scene, path in zip(scenes, paths):
        got = frames(path)
        assert len(got) == 10
        for k, frame in enumerate(got):  # stream copies: bit for bit the web master's frames
            assert np.array_equal(frame, whole[scene.start_index + k])
    joined = tmp_path / "joined.mp4"
    clips.join_clips(paths[:2], joined, settings=settings, metadata=META)
    assert len(frames(joined)) == 20


def test_extract_still_is_the_frame(media_dir, tmp_path):
    master = media_dir / "counter.mp4"
    with av.open(str(master)) as container:  # converted the way every still is
        stream = container.streams.video[0]
        decoded = [stills.frame_to_rgb(f, stream) for f in container.decode(stream)]
    out = stills.extract_still(master, 15, tmp_path / "f15.png")
    with av.open(out.path) as still:
        picture = next(still.decode(video=0)).to_ndarray(format="rgb24")
    assert np.array_equal(picture, decoded[15])
    assert not np.array_equal(picture, decoded[14])
    jpeg = stills.extract_still(master, 15, tmp_path / "f15.jpg", fmt="jpeg")
    assert (jpeg.format, jpeg.width, jpeg.height) == ("jpeg", decoded[15].shape[1], decoded[15].shape[0])
