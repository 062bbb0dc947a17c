"""Frame-exact stills: each still is compared, pixel for pixel, with a reference decode of the same
frame (a plain sequential PyAV decode, no seeking), on the counter clip, the VFR clip, a
non-square-pixel source and a rotated one; plus thumbnails, errors, cancel and atomic_output."""

import subprocess
import threading
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from backend.errors import Cancelled, MediaError
from backend.media.atomic import atomic_output, is_partial, remove_partials, write_bytes_atomic
from backend.media.metadata import ArchiveMetadata, image_metadata_problems
from backend.media.stills import (FrameSeeker, StillRequest, extract_frames, frame_times,
                                  frame_to_rgb, make_thumbnail)
from backend.presets.model import StillsHQ, StillsWeb, ThumbnailSettings

META = ArchiveMetadata(copyright="© Yambo Studio", title="Counter", artist="Test")
FAST_HQ = StillsHQ(format="tiff", tiff_compression="none")  # lossless and quick to write


def reference(path: Path, indices) -> dict[int, tuple[float, np.ndarray, np.ndarray]]:
    """index -> (time, the frame through frame_to_rgb, PyAV's own plain RGB conversion)."""
    wanted, found = set(indices), {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for index, frame in enumerate(container.decode(stream)):
            if index in wanted:
                found[index] = (frame.time, frame_to_rgb(frame, stream), frame.to_ndarray(format="rgb24"))
            if len(found) == len(wanted):
                break
    return found


def read_rgb(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


# --- counter.mp4: frame N shows N+1 -------------------------------------------------------------------

COUNTER_PICKS = [29, 0, 14, 1, 28, 15]  # first, last, neighbours, out of order


@pytest.fixture(scope="module")
def counter_reference(media_dir):
    return reference(media_dir / "counter.mp4", {i + d for i in COUNTER_PICKS for d in (-1, 0, 1)} - {-1, 30})


def test_counter_stills_are_exactly_the_requested_frames(media_dir, tmp_path, counter_reference):
    requests = [StillRequest(frame_index=i, pts_seconds=counter_reference[i][0],
                             hq_path=str(tmp_path / f"hq_{i:02d}.png"),
                             web_path=str(tmp_path / f"web_{i:02d}.jpg"),
                             thumbnail_path=str(tmp_path / f"thumb_{i:02d}.jpg"))
                for i in COUNTER_PICKS]
    results = extract_frames(media_dir / "counter.mp4", requests,
                             hq=StillsHQ(compression_level=1), web=StillsWeb(max_width=960),
                             thumbnail=ThumbnailSettings(width=160), metadata=META)
    assert [r.frame_index for r in results] == COUNTER_PICKS
    for request, result in zip(requests, results):
        n = request.frame_index
        assert result.pts_seconds == pytest.approx(n / 10)
        still = read_rgb(request.hq_path)
        assert np.array_equal(still, counter_reference[n][1]), f"frame {n}"
        # Against PyAV's plain conversion (another colour path): frame N is still the nearest.
        plain = {k: distance(still, counter_reference[k][2]) for k in (n - 1, n, n + 1)
                 if k in counter_reference}
        assert min(plain, key=plain.get) == n, plain
        sizes = {o.kind: (o.width, o.height) for o in result.outputs}
        assert sizes == {"hq": (1920, 1080), "web": (960, 540), "thumbnail": (160, 90)}
        for output in result.outputs:
            assert Path(output.path).stat().st_size == output.size_bytes
            assert image_metadata_problems(output.path, META) == []
        web = read_rgb(request.web_path)
        expected = np.asarray(Image.fromarray(counter_reference[n][1]).resize((960, 540)))
        assert distance(web, expected) < 3
    assert not [p for p in tmp_path.iterdir() if is_partial(p)]


def test_frame_index_alone_finds_the_frame(media_dir, tmp_path, counter_reference):
    [result] = extract_frames(media_dir / "counter.mp4",
                              [StillRequest(frame_index=14, hq_path=str(tmp_path / "a.tiff"))], hq=FAST_HQ)
    assert result.pts_seconds == pytest.approx(1.4)
    assert np.array_equal(read_rgb(tmp_path / "a.tiff"), counter_reference[14][1])


def test_rounded_timestamps_still_find_their_frames(media_dir, counter_reference):
    with av.open(str(media_dir / "counter.mp4")) as container:
        seeker = FrameSeeker(container)
        for n in sorted(COUNTER_PICKS):
            for target in (round(counter_reference[n][0], 3) + 0.0004,
                           counter_reference[n][0] - 0.0004):
                frame = seeker.frame_at(target, n)
                assert frame.time == pytest.approx(n / 10), (n, target)


class CountingContainer:
    """Delegates to a PyAV container and counts seeks."""

    def __init__(self, container):
        self._container, self.seeks = container, 0
        self.streams = container.streams

    def seek(self, *args, **kwargs):
        self.seeks += 1
        return self._container.seek(*args, **kwargs)

    def decode(self, *args, **kwargs):
        return self._container.decode(*args, **kwargs)


def test_frames_in_order_cost_one_seek(media_dir):
    times = frame_times(media_dir / "counter.mp4")
    assert len(times) == 30
    with av.open(str(media_dir / "counter.mp4")) as container:
        counting = CountingContainer(container)
        seeker = FrameSeeker(counting)
        assert [round(seeker.frame_at(t).time, 3) for t in times] == [round(t, 3) for t in times]
        assert counting.seeks == 1
        seeker.frame_at(times[3])  # going back needs a seek
        assert counting.seeks == 2


def test_far_apart_frames_seek_instead_of_decoding_everything(media_dir):
    times = frame_times(media_dir / "testvideo.mp4")
    with av.open(str(media_dir / "testvideo.mp4")) as container:
        counting = CountingContainer(container)
        seeker = FrameSeeker(counting)
        decoded = 0
        original = seeker._decode_one

        def counted():
            nonlocal decoded
            decoded += 1
            return original()

        seeker._decode_one = counted
        for index in (10, 300, 700):
            assert seeker.frame_at(times[index]).time == pytest.approx(times[index])
        assert counting.seeks == 3
        assert decoded < 400  # far fewer than the 700 frames a decode from the start would take


def test_frame_times_skip_what_an_edit_list_cuts_off(tmp_path, ffmpeg_bin):
    full, cut = tmp_path / "full.mp4", tmp_path / "cut.mp4"
    base = [str(ffmpeg_bin), "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run([*base, "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=2",
                    "-c:v", "libx264", "-bf", "3", "-pix_fmt", "yuv420p", str(full)], check=True)
    # A stream copy that starts between keyframes keeps the GOP and hides its head with an edit list.
    subprocess.run([*base, "-ss", "0.3", "-i", str(full), "-c", "copy", str(cut)], check=True)
    with av.open(str(cut)) as container:
        decoded = [frame.time for frame in container.decode(video=0)]
    assert frame_times(cut) == decoded and decoded[0] == 0.0
    [result] = extract_frames(cut, [StillRequest(frame_index=5, web_path=str(tmp_path / "a.jpg"))])
    assert result.pts_seconds == pytest.approx(decoded[5])


# --- variable frame rate -----------------------------------------------------------------------------

def test_vfr_frames_around_dropped_frames(media_dir, tmp_path):
    path = media_dir / "goldeneye-vfr-drop3.mp4"
    times = frame_times(path)
    gaps = [i for i in range(1, len(times)) if times[i] - times[i - 1] > 1.5 * (times[1] - times[0])]
    assert gaps, "the clip is expected to have dropped frames"
    picks = sorted({0, gaps[0] - 1, gaps[0], gaps[-1], 80, len(times) - 1})
    refs = reference(path, picks)
    requests = [StillRequest(frame_index=i, pts_seconds=times[i], hq_path=str(tmp_path / f"{i}.tiff"))
                for i in picks]
    for request, result in zip(requests, extract_frames(path, requests, hq=FAST_HQ)):
        i = request.frame_index
        assert result.pts_seconds == pytest.approx(refs[i][0])
        assert np.array_equal(read_rgb(request.hq_path), refs[i][1]), f"frame {i}"


# --- display aspect ratio and rotation ----------------------------------------------------------------

def test_non_square_pixels_come_out_square_at_the_display_aspect_ratio(media_dir, tmp_path):
    path = media_dir / "issue-195-aspect-ratio.mp4"  # 704x576, SAR 16:11, DAR 16:9
    times = frame_times(path)
    refs = reference(path, {100})
    [result] = extract_frames(path, [StillRequest(frame_index=100, pts_seconds=times[100],
                                                  hq_path=str(tmp_path / "hq.png"),
                                                  web_path=str(tmp_path / "web.webp"))],
                              hq=StillsHQ(compression_level=1),
                              web=StillsWeb(format="webp", max_width=640, max_height=640))
    sizes = {o.kind: (o.width, o.height) for o in result.outputs}
    assert sizes == {"hq": (1024, 576), "web": (640, 360)}
    with Image.open(tmp_path / "hq.png") as hq:
        assert hq.size == (1024, 576) and hq.info["aspect"] == (1, 1)  # pHYs: square pixels
    # The coded 704x576 picture stretched to 16:9 by an independent scaler looks the same.
    stretched = np.asarray(Image.fromarray(refs[100][2]).resize((1024, 576), Image.Resampling.BICUBIC))
    assert distance(read_rgb(tmp_path / "hq.png"), stretched) < 4
    with Image.open(tmp_path / "web.webp") as web:
        assert web.size == (640, 360)


def test_rotated_video(tmp_path, ffmpeg_bin):
    plain, rotated = tmp_path / "plain.mp4", tmp_path / "rotated.mp4"
    base = [str(ffmpeg_bin), "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run([*base, "-f", "lavfi", "-i", "testsrc2=size=96x48:rate=5:duration=1",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(plain)], check=True)
    subprocess.run([*base, "-display_rotation", "90", "-i", str(plain), "-c", "copy", str(rotated)],
                   check=True)
    # ffmpeg applies the display matrix itself when decoding to raw frames: the reference.
    raw = subprocess.run([*base, "-i", str(rotated), "-frames:v", "1", "-pix_fmt", "rgb24",
                          "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
    expected = np.frombuffer(raw, np.uint8).reshape(96, 48, 3)
    [result] = extract_frames(rotated, [StillRequest(frame_index=0, pts_seconds=0.0,
                                                     hq_path=str(tmp_path / "r.tiff"))], hq=FAST_HQ)
    assert (result.outputs[0].width, result.outputs[0].height) == (48, 96)
    still = read_rgb(tmp_path / "r.tiff")
    assert distance(still, expected) < 12 < distance(np.rot90(still, 2), expected)


# --- bit depth and formats -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["png", "tiff"])
def test_sixteen_bit_stills(media_dir, tmp_path, counter_reference, fmt):
    out = tmp_path / f"s.{fmt}"
    extract_frames(media_dir / "counter.mp4",
                   [StillRequest(frame_index=14, pts_seconds=1.4, hq_path=str(out))],
                   hq=StillsHQ(format=fmt, bit_depth=16, compression_level=1), metadata=META)
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
        assert frame.format.name in ("rgb48be", "rgb48le")
        deep = frame.reformat(format="rgb48le").to_ndarray()
    assert deep.dtype == np.uint16 and deep.shape == (1080, 1920, 3)
    assert np.abs((deep >> 8).astype(int) - counter_reference[14][1]).max() <= 2
    assert image_metadata_problems(out, META) == []


def test_make_thumbnail_from_a_sixteen_bit_still(media_dir, tmp_path):
    hq = tmp_path / "hq.png"
    extract_frames(media_dir / "counter.mp4", [StillRequest(frame_index=3, pts_seconds=0.3,
                                                            hq_path=str(hq))],
                   hq=StillsHQ(bit_depth=16, compression_level=1))
    out = make_thumbnail(hq, tmp_path / "t.webp", ThumbnailSettings(width=200, format="webp"), META)
    assert (out.width, out.height, out.format) == (200, 112, "webp")
    with Image.open(tmp_path / "t.webp") as thumb:
        assert thumb.size == (200, 112)
    assert image_metadata_problems(tmp_path / "t.webp", META) == []
    with pytest.raises(MediaError, match="cannot read"):
        make_thumbnail(tmp_path / "missing.png", tmp_path / "x.jpg")


# --- errors and cancel ------------------------------------------------------------------------------

def test_bad_requests(media_dir, tmp_path):
    counter = media_dir / "counter.mp4"
    with pytest.raises(MediaError, match="counter.mp4 has no frame 30 .it has 30 frames"):
        extract_frames(counter, [StillRequest(frame_index=30, hq_path=str(tmp_path / "a.png"))])
    with pytest.raises(MediaError, match="no frame 40 at 4.000000 s"):
        extract_frames(counter, [StillRequest(frame_index=40, pts_seconds=4.0,
                                              hq_path=str(tmp_path / "a.png"))])
    with pytest.raises(MediaError, match="cannot open missing.mp4"):
        extract_frames(tmp_path / "missing.mp4", [StillRequest(frame_index=0, pts_seconds=0.0)])
    assert list(tmp_path.iterdir()) == []


def test_no_video_stream(tmp_path, ffmpeg_bin):
    audio = tmp_path / "a.m4a"
    subprocess.run([str(ffmpeg_bin), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=duration=0.2", str(audio)], check=True)
    with pytest.raises(MediaError, match="a.m4a has no video stream"):
        extract_frames(audio, [StillRequest(frame_index=0, pts_seconds=0.0)])


def test_cancel_stops_before_writing(media_dir, tmp_path):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        extract_frames(media_dir / "counter.mp4",
                       [StillRequest(frame_index=5, pts_seconds=0.5, hq_path=str(tmp_path / "a.png"))],
                       cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_progress_is_reported(media_dir, tmp_path):
    seen = []
    extract_frames(media_dir / "counter.mp4",
                   [StillRequest(frame_index=i, pts_seconds=i / 10, web_path=str(tmp_path / f"{i}.jpg"))
                    for i in (4, 2)], on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]


# --- atomic_output ----------------------------------------------------------------------------------

def test_atomic_output_renames_when_complete(tmp_path):
    final = tmp_path / "sub" / "clip.mp4"
    with atomic_output(final) as temp:
        assert temp.parent == final.parent and temp.suffix == ".mp4" and is_partial(temp)
        temp.write_bytes(b"complete")
        assert not final.exists()
    assert final.read_bytes() == b"complete"
    assert list(final.parent.iterdir()) == [final]


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    final = tmp_path / "still.png"
    final.write_bytes(b"old")
    for error in (RuntimeError("ffmpeg died"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with atomic_output(final) as temp:
                temp.write_bytes(b"half")
                raise error
        assert final.read_bytes() == b"old"
        assert list(tmp_path.iterdir()) == [final]


def test_atomic_output_refuses_a_missing_result(tmp_path):
    with pytest.raises(MediaError, match="x.png was not written"):
        with atomic_output(tmp_path / "x.png"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_remove_partials(tmp_path):
    write_bytes_atomic(tmp_path / "keep.jpg", b"1")
    (tmp_path / "d").mkdir()
    leftovers = [tmp_path / ".a.partial-0011aabb.png", tmp_path / "d" / ".b.partial-ffee0011.mp4"]
    for path in leftovers:
        path.write_bytes(b"x")
    (tmp_path / ".hidden").write_bytes(b"not ours")
    assert sorted(remove_partials(tmp_path)) == sorted(leftovers)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [".hidden", "keep.jpg"]
