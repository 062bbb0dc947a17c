"""backend.media.probe on every shared clip, on generated edge cases, and on files that are not
usable videos (each must give one MediaError naming the problem)."""

import os
import shutil
import subprocess
from pathlib import Path

import msgspec
import pytest

from backend.errors import MediaError
from backend.media.probe import MediaInfo, probe
from conftest import make_video

SHARED_VIDEOS = ["counter.mp4", "testvideo.mp4", "goldeneye-vfr-drop3.mp4", "fades.mp4",
                 "issue-195-aspect-ratio.mp4", "issue-236-split-copy.mkv"]


def ffmpeg_make(ffmpeg: Path, out: Path, *args: str) -> Path:
    subprocess.run([str(ffmpeg), "-hide_banner", "-loglevel", "error", "-y", *args, str(out)],
                   check=True)
    return out


@pytest.fixture(scope="module")
def shared(media_dir) -> dict[str, MediaInfo]:
    return {name: probe(media_dir / name) for name in SHARED_VIDEOS}


def test_every_shared_video_is_in_the_list(media_dir):
    on_disk = {p.name for p in media_dir.iterdir() if p.suffix in (".mp4", ".mkv", ".mov")}
    assert on_disk == set(SHARED_VIDEOS)


@pytest.mark.parametrize("name", SHARED_VIDEOS)
def test_shared_video_values_are_sane(shared, media_dir, name):
    info = shared[name]
    v = info.video
    assert info.path == str(media_dir / name)
    assert info.size_bytes == (media_dir / name).stat().st_size
    assert 0 < info.duration_s < 60 and info.bitrate > 0 and info.start_time_s == 0
    assert v.width > 0 and v.height > 0 and v.display_width > 0 and v.display_height > 0
    assert v.rotation == 0
    assert v.pix_fmt == "yuv420p" and v.bit_depth == 8
    assert 5 <= v.r_fps <= 60 and v.avg_fps > 0
    assert v.frame_count > 0 and v.frame_count_source in ("header", "packets")
    assert v.frame_interval_min_s > 0
    if not v.variable_frame_rate:
        assert abs(v.frame_count - info.duration_s * v.avg_fps) <= 2
        assert v.frame_interval_max_s - v.frame_interval_min_s <= 0.0011  # ms rounding only
    assert info.video_stream_count == 1
    # the whole record survives JSON both ways (the CLI and the bridge send it)
    assert msgspec.json.decode(msgspec.json.encode(info), type=MediaInfo) == info


def test_counter_is_30_frames_at_10_fps(shared):
    info = shared["counter.mp4"]
    v = info.video
    assert (v.codec, v.profile, v.width, v.height) == ("h264", "High", 1920, 1080)
    assert (v.frame_count, v.frame_count_source) == (30, "header")
    assert v.avg_frame_rate == v.r_frame_rate == "10/1" and not v.variable_frame_rate
    assert info.duration_s == pytest.approx(3.0)
    # the file leaves SAR unset: read as square pixels
    assert (v.sample_aspect_ratio, v.display_aspect_ratio) == ("1:1", "16:9")
    assert info.audio == []


def test_only_goldeneye_has_a_variable_frame_rate(shared):
    flagged = {name for name, info in shared.items() if info.video.variable_frame_rate}
    assert flagged == {"goldeneye-vfr-drop3.mp4"}
    v = shared["goldeneye-vfr-drop3.mp4"].video
    assert v.frame_count == 160 and (v.width, v.height) == (1280, 544)
    assert v.r_frame_rate == "24000/1001"
    assert v.frame_interval_min_s == pytest.approx(1001 / 24000)
    assert v.frame_interval_max_s == pytest.approx(2002 / 24000)  # a dropped frame


def test_testvideo_and_fades(shared):
    t = shared["testvideo.mp4"].video
    assert (t.width, t.height, t.frame_count, t.avg_frame_rate) == (1280, 720, 720, "30000/1001")
    f = shared["fades.mp4"].video
    assert (f.codec, f.width, f.height, f.frame_count, f.avg_frame_rate) == ("mpeg4", 480, 320, 250, "25/1")
    assert f.display_aspect_ratio == "3:2"


def test_non_square_pixels_give_16_9(shared):
    # ffmpeg -i prints: 704x576 [SAR 16:11 DAR 16:9]
    info = shared["issue-195-aspect-ratio.mp4"]
    v = info.video
    assert (v.width, v.height) == (704, 576)
    assert (v.sample_aspect_ratio, v.display_aspect_ratio) == ("16:11", "16:9")
    assert (v.display_width, v.display_height) == (1024, 576)
    assert len(info.audio) == 1
    a = info.audio[0]
    assert (a.codec, a.channels, a.sample_rate, a.language) == ("aac", 2, 48000, "eng")


def test_matroska_extra_streams_are_counted(shared):
    info = shared["issue-236-split-copy.mkv"]
    assert info.container.startswith("matroska")
    assert (info.subtitle_stream_count, info.attachment_stream_count, info.data_stream_count) == (3, 6, 0)
    assert [(a.codec, a.language) for a in info.audio] == [("aac", "jpn")]
    v = info.video
    # Matroska has no frame count in its header: counted from packets
    assert (v.frame_count, v.frame_count_source) == (48, "packets")
    assert (v.color_space, v.color_range, v.color_primaries) == ("bt709", "tv", None)
    assert not v.variable_frame_rate  # 41/42 ms steps are millisecond rounding, not VFR


# --- generated edge cases ----------------------------------------------------------------------

def test_rotation_from_the_display_matrix(ffmpeg_bin, tmp_path):
    plain = make_video(ffmpeg_bin, tmp_path / "plain.mp4", seconds=0.4, size="320x240")
    rotated = ffmpeg_make(ffmpeg_bin, tmp_path / "rotated.mp4", "-display_rotation:v:0", "90",
                          "-i", str(plain), "-c", "copy")
    v = probe(rotated).video
    assert (v.rotation, v.width, v.height) == (90, 320, 240)
    assert (v.display_width, v.display_height) == (240, 320)


def test_dropped_frame_is_found_from_timestamps_alone(ffmpeg_bin, tmp_path):
    # Matroska: no header frame count, so the average-vs-real rate check cannot help
    src = ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2", "-pix_fmt", "yuv420p"]
    dropped = ffmpeg_make(ffmpeg_bin, tmp_path / "drop.mkv", *src,
                          "-vf", r"select=not(eq(n\,10))", "-fps_mode", "passthrough")
    steady = ffmpeg_make(ffmpeg_bin, tmp_path / "steady.mkv", *src)
    assert probe(dropped).video.variable_frame_rate
    assert probe(dropped).video.frame_count == 49
    assert not probe(steady).video.variable_frame_rate


def test_time_base_equal_to_frame_interval(ffmpeg_bin, tmp_path):
    """Timestamps 0,1,2,... with one 2-tick gap: a lost frame, not rounding."""
    src = ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2", "-pix_fmt", "yuv420p",
           "-video_track_timescale", "25"]
    dropped = ffmpeg_make(ffmpeg_bin, tmp_path / "drop.mp4", *src,
                          "-vf", r"select=not(eq(n\,10))", "-fps_mode", "passthrough")
    steady = ffmpeg_make(ffmpeg_bin, tmp_path / "steady.mp4", *src)
    assert probe(dropped).video.variable_frame_rate
    assert not probe(steady).video.variable_frame_rate


def test_ten_bit_and_colour_tags(ffmpeg_bin, tmp_path):
    tags = "setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc:range=pc"
    clip = ffmpeg_make(ffmpeg_bin, tmp_path / "ten.mp4", "-f", "lavfi", "-i",
                       "testsrc2=size=160x120:rate=25:duration=0.4",
                       "-vf", f"format=yuv420p10le,{tags}", "-c:v", "libx264")
    v = probe(clip).video
    assert (v.pix_fmt, v.bit_depth, v.profile) == ("yuv420p10le", 10, "High 10")
    assert (v.color_primaries, v.color_transfer, v.color_space, v.color_range) == (
        "bt2020", "smpte2084", "bt2020nc", "pc")


# --- files that are not usable videos ------------------------------------------------------------

def expect_error(path: Path, *words: str) -> str:
    with pytest.raises(MediaError) as info:
        probe(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300
    for word in words:
        assert word in message
    return message


def test_missing_path(tmp_path):
    expect_error(tmp_path / "nowhere.mp4", "no such file", "nowhere.mp4")


def test_directory(tmp_path):
    expect_error(tmp_path, "is a directory")


def test_zero_byte_file(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    expect_error(empty, "empty (0 bytes)")


def test_text_file_named_mov(tmp_path):
    fake = tmp_path / "notes.mov"
    fake.write_text("Shot list for the artwork.\nScene 1: sunrise over the studio.\n" * 20)
    expect_error(fake, "text file, not a video")


def test_mp4_cut_before_its_index(media_dir, tmp_path):
    data = (media_dir / "testvideo.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[:len(data) * 30 // 100])
    expect_error(cut, "truncated", "moov")


def test_faststart_mp4_with_its_tail_cut(ffmpeg_bin, media_dir, tmp_path):
    # the index comes first, so the file still opens: the index points past the end
    whole = ffmpeg_make(ffmpeg_bin, tmp_path / "fs.mp4", "-i", str(media_dir / "testvideo.mp4"),
                        "-c", "copy", "-movflags", "+faststart")
    data = whole.read_bytes()
    cut = tmp_path / "fs-cut.mp4"
    cut.write_bytes(data[:len(data) * 30 // 100])
    expect_error(cut, "truncated", "index expects")


@pytest.mark.parametrize("percent", [10, 50, 90])
def test_truncated_matroska(media_dir, tmp_path, percent):
    data = (media_dir / "issue-236-split-copy.mkv").read_bytes()
    cut = tmp_path / f"cut{percent}.mkv"
    cut.write_bytes(data[:len(data) * percent // 100])
    expect_error(cut, "truncated")


def test_audio_only_file(ffmpeg_bin, tmp_path):
    audio = ffmpeg_make(ffmpeg_bin, tmp_path / "voice.m4a", "-f", "lavfi", "-i",
                        "sine=duration=0.5", "-c:a", "aac")
    expect_error(audio, "has no video stream", "1 audio stream")


def test_still_image(media_dir):
    expect_error(media_dir / "rd-sample" / "frame010.png", "still image")


def test_unknown_binary(tmp_path):
    blob = tmp_path / "blob.mp4"
    blob.write_bytes(bytes(range(256)) * 64)
    expect_error(blob, "not a video file")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="root reads anything")
def test_unreadable_file(media_dir, tmp_path):
    locked = tmp_path / "locked.mp4"
    shutil.copy(media_dir / "counter.mp4", locked)
    locked.chmod(0)
    expect_error(locked, "permission denied")
