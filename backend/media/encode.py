"""ffmpeg arguments for the H.264/HEVC encodes (web master, clips, R&D videos), from a preset's
VideoSettings and the encoder the toolchain chose, and `encode_file`, which writes every mp4.
One place knows x264 and NVENC options."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from backend.media import ffmpeg
from backend.media.atomic import atomic_output
from backend.media.geometry import fit
from backend.media.metadata import MOVFLAG_METADATA, ffmpeg_metadata_args
from backend.presets import video_filters

ENCODER_NAMES = {("x264", "h264"): "libx264", ("nvenc", "h264"): "h264_nvenc",
                 ("nvenc", "hevc"): "hevc_nvenc"}


def scale_filter(display_w: int, display_h: int, settings, source_fps: float | None = None,
                 extra_filters: str = "") -> tuple[str, tuple[int, int]]:
    """The -vf chain: square pixels at the display size fitted in the preset's box, 4:2:0, and
    the frame rate capped only when the source is faster than the preset allows."""
    w, h = fit(display_w, display_h, settings.max_width, settings.max_height)
    chain = [f"scale={w}:{h}:flags=lanczos", "setsar=1"]
    if settings.max_fps and source_fps and source_fps > settings.max_fps + 1e-3:
        chain.append(f"fps={settings.max_fps}")
    # rebuilt from the parsed, allowlisted filters: a preset's text never reaches ffmpeg
    extra = video_filters.checked_chain(extra_filters)
    if extra:
        chain.append(extra)
    # last, so that a filter working in RGB (colorbalance, ...) still hands the encoder 4:2:0
    chain.append(f"format={settings.pix_fmt}")
    return ",".join(chain), (w, h)


def video_codec_args(settings, family: str, *, keyframe_times: list[float] | None = None) -> list[str]:
    """Encoder options. `keyframe_times` forces an IDR frame at each time (scene cuts), so that a
    stream copy starting there is a complete, independently decodable clip."""
    name = ENCODER_NAMES[(family, settings.codec)]
    args = ["-c:v", name]
    if family == "x264":
        args += ["-preset", settings.x264_preset, "-crf", str(settings.crf),
                 "-profile:v", settings.profile]
        if settings.x264_tune:
            args += ["-tune", settings.x264_tune]
    else:
        args += ["-preset", settings.nvenc_preset, "-tune", "hq", "-rc", "vbr",
                 "-cq", str(settings.nvenc_cq), "-b:v", "0", "-profile:v", settings.profile]
    if settings.max_bitrate_kbps:
        args += ["-maxrate", f"{settings.max_bitrate_kbps}k", "-bufsize", f"{2 * settings.max_bitrate_kbps}k"]
    if settings.keyframe_strategy == "scene_cuts" and keyframe_times:
        args += ["-force_key_frames", ",".join(f"{t:.6f}" for t in keyframe_times), "-forced-idr", "1"]
    elif settings.keyframe_strategy == "fixed_interval":
        args += ["-force_key_frames", f"expr:gte(t,n_forced*{settings.keyframe_interval_s})"]
    return args


def audio_args(settings, has_audio: bool) -> list[str]:
    if settings.audio == "aac" and has_audio:
        return ["-c:a", "aac", "-b:a", f"{settings.audio_bitrate_kbps}k"]
    return ["-an"]


def movflags(settings, *more: str) -> list[str]:
    """One -movflags option (ffmpeg keeps only the last one given): faststart puts the index
    first so a browser starts playing before the download ends."""
    flags = (["faststart"] if settings.faststart else []) + [f.lstrip("+") for f in more]
    return ["-movflags", "".join(f"+{f}" for f in flags)] if flags else []


def encode_file(args: list[str], out: str | os.PathLike, *, settings, metadata,
                duration: float | None = None, cancel: threading.Event | None = None,
                on_progress: Callable[[float], None] | None = None,
                check: Callable[[Path], None] | None = None) -> ffmpeg.RunResult:
    """The one way an mp4 is written (web master, clip, joined clip, R&D video): `args` are the
    inputs and codec options; this adds the archive metadata (the source's own is dropped), the
    preset's movflags, a temporary name renamed into `out` only when complete (and `check(temp)`
    passed), and progress as a fraction. The result carries CPU time and peak RSS."""
    with atomic_output(out) as temp:
        result = ffmpeg.run(
            [*args, "-map_metadata", "-1", *ffmpeg_metadata_args(metadata, movflags=False),
             *movflags(settings, MOVFLAG_METADATA), "-y", str(temp)],
            duration=duration, cancel=cancel,
            on_progress=None if on_progress is None else
            (lambda p: p.fraction is not None and on_progress(p.fraction)))
        if check is not None:
            check(temp)
    return result
