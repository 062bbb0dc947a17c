"""What the editor shows of a master besides the scenes: the frame under each sprite tile, and the
master's own frame at full quality (frame-exact: the PNG is the decoded frame, pixel for pixel)."""

import av
import numpy as np
import pytest
from PIL import Image

from backend.media.ingest import ingest, load_frame_table, sprite_frames
from backend.media.stills import frame_image, frame_to_rgb


@pytest.fixture(scope="module")
def counter(media_dir, tmp_path_factory):
    return ingest(media_dir / "counter.mp4", cache_root=tmp_path_factory.mktemp("cache"),
                  want_proxy=False)


def test_sprite_frames_are_the_frame_on_screen_each_interval(counter):
    frames = sprite_frames(counter)
    numbers, times = load_frame_table(counter)
    assert len(frames) == counter.sprites.count
    for k, frame in enumerate(frames):
        index = int(np.searchsorted(times, times[0] + k * counter.sprites.interval_s + 1e-9,
                                    side="right")) - 1
        assert frame == numbers[index]


def _decoded(master, index):
    with av.open(str(master)) as container:
        stream = container.streams.video[0]
        for i, frame in enumerate(container.decode(stream)):
            if i == index:
                return frame_to_rgb(frame, stream, 8)


@pytest.mark.parametrize("index", [0, 1, 57, 239])
def test_frame_image_png_is_the_frame_itself(counter, media_dir, tmp_path, index):
    numbers, times = load_frame_table(counter)
    index = min(index, counter.frame_count - 1)
    out = frame_image(media_dir / "counter.mp4", index, float(times[index]), "png",
                      tmp_path / "f.png")
    assert out.format == "png" and (out.width, out.height) == (counter.display_width,
                                                                counter.display_height)
    with Image.open(tmp_path / "f.png") as image:
        assert np.array_equal(np.asarray(image.convert("RGB")), _decoded(media_dir / "counter.mp4", index))


def test_frame_image_jpeg_is_full_size_and_close(counter, media_dir, tmp_path):
    numbers, times = load_frame_table(counter)
    frame_image(media_dir / "counter.mp4", 17, float(times[17]), "jpeg", tmp_path / "f.jpg")
    with Image.open(tmp_path / "f.jpg") as image:
        assert image.format == "JPEG" and image.size == (counter.display_width, counter.display_height)
        got = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert np.mean(np.abs(got - _decoded(media_dir / "counter.mp4", 17))) < 3


def test_smpte_timecode_counts_whole_frames_at_the_nominal_rate():
    from fractions import Fraction

    from backend.media.scenes import smpte

    assert smpte(0.0, Fraction(24)) == "00:00:00:00"
    assert smpte(3661.5, Fraction(24)) == "01:01:01:12"
    assert smpte(1.0, Fraction(30000, 1001)) == "00:00:01:00"  # frame 30 counts as 1 s (non-drop)
    assert smpte(0.95, Fraction(30000, 1001)) == "00:00:00:28"
    assert smpte(3600.0, Fraction(25)) == "01:00:00:00"
