"""Encoding a web master: the whole film once, H.264/HEVC at the preset's size, with an IDR frame
forced at every cut so each scene's clip is a frame-exact stream copy of it (clips.cut_clip).
Callable without a session: `encode_web_master(master, out, settings=..., cut_times=...)`."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from backend.errors import MediaError
from backend.media import encode, ffmpeg
from backend.media import probe as media_probe
from backend.media.metadata import ArchiveMetadata
from backend.media.timeline import FrameTimeline


class WebMaster(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    width: int
    height: int
    frames: int
    run: ffmpeg.RunResult


def cut_times(timeline: FrameTimeline, first_indices: Sequence[int], origin: float) -> list[float]:
    """The output times (ffmpeg's clock starts at the input's start time, `origin`) at which to
    force keyframes so that each scene's first decoded frame starts a GOP. Decoded frames, not
    frame numbers: timestamp numbering can give two frames one number."""
    return [timeline.cut_time(i) - origin for i in first_indices]


def encode_web_master(master: str | os.PathLike, out: str | os.PathLike, *, settings,
                      encoder_family: str, metadata: ArchiveMetadata,
                      cut_times: Sequence[float] = (), info: media_probe.MediaInfo | None = None,
                      extra_filters: str = "", expected_frames: int | None = None,
                      cancel: threading.Event | None = None,
                      on_progress: Callable[[float], None] | None = None) -> WebMaster:
    """Encode `master` to `out` with the preset's VideoSettings and `encoder_family` ("x264" or
    "nvenc"). Every frame is kept (-fps_mode passthrough) unless the preset caps the rate; then
    the frame count is checked against `expected_frames` (default: the probe's count)."""
    info = info or media_probe.probe(master)
    video = info.video
    chain, (w, h) = encode.scale_filter(video.display_width, video.display_height, settings,
                                        video.avg_fps, extra_filters)
    maps = ["-map", "0:v:0"] + (["-map", "0:a:0"] if settings.audio == "aac" and info.audio else [])
    expected = expected_frames if expected_frames is not None else video.frame_count
    counted: list[int] = []

    def check(temp: Path) -> None:
        counted.append(media_probe.probe(temp).video.frame_count)
        if settings.max_fps is None and counted[0] != expected:
            raise MediaError(f"the web master has {counted[0]} frames, the master {expected}: "
                             "the encode dropped or duplicated frames")

    result = encode.encode_file(
        ["-i", str(master), *maps, "-fps_mode", "passthrough", "-vf", chain,
         *encode.video_codec_args(settings, encoder_family, keyframe_times=list(cut_times)),
         *encode.audio_args(settings, bool(info.audio))],
        out, settings=settings, metadata=metadata, duration=info.duration_s, cancel=cancel,
        on_progress=on_progress, check=check)
    return WebMaster(path=str(out), width=w, height=h, frames=counted[0], run=result)
