"""Clips of scenes, callable without a session (compare PySceneDetect's split_video_ffmpeg):
`cut_clip` stream-copies a scene out of a web master encoded with keyframes at the cuts
(frame-exact, nothing re-encoded), `encode_clip` encodes a scene from the master with an exact
seek (for masters without such keyframes), `join_clips` concatenates clips, and `cut_scenes`
cuts every scene of a list at once.

With keyframes at the cuts a clip starts on the IDR frame at the scene's first frame and takes
exactly the scene's frames (closed GOPs: the packets between two IDR frames are that scene's)."""

from __future__ import annotations

import functools
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from backend.errors import MediaError
from backend.media import encode, ffmpeg, stills
from backend.media import probe as media_probe
from backend.media.metadata import ArchiveMetadata
from backend.media.timeline import seek_time

Progress = Callable[[float], None] | None


@functools.lru_cache(maxsize=4)
def _frame_times(path: str, mtime_ns: int) -> list[float]:
    return stills.frame_times(path)


def _checked(frames: int, what: str) -> Callable[[Path], None]:
    def check(temp: Path) -> None:
        count = media_probe.probe(temp).video.frame_count
        if count != frames:
            raise MediaError(f"{what} has {count} frames, expected {frames}")
    return check


def cut_clip(web_master: str | os.PathLike, out: str | os.PathLike, *, first_index: int,
             frames: int, duration: float, settings, metadata: ArchiveMetadata,
             cancel: threading.Event | None = None, on_progress: Progress = None,
             what: str = "the clip") -> ffmpeg.RunResult:
    """Copy decoded frames first_index .. first_index + frames - 1 of `web_master` (keyframed at
    first_index) into `out`, video and audio, without re-encoding; `duration` bounds the audio."""
    source = Path(web_master)
    times = _frame_times(str(source), source.stat().st_mtime_ns)
    return encode.encode_file(
        ["-ss", f"{seek_time(times, first_index):.6f}", "-i", str(source), "-map", "0:v:0",
         "-map", "0:a:0?", "-c", "copy", "-frames:v", str(frames), "-t", f"{duration:.6f}",
         "-avoid_negative_ts", "make_zero"],
        out, settings=settings, metadata=metadata, duration=duration, cancel=cancel,
        on_progress=on_progress, check=_checked(frames, what))


def encode_clip(master: str | os.PathLike, out: str | os.PathLike, *, start_time: float,
                frames: int, duration: float, settings, encoder_family: str,
                metadata: ArchiveMetadata, info: media_probe.MediaInfo | None = None,
                extra_filters: str = "", cancel: threading.Event | None = None,
                on_progress: Progress = None, what: str = "the clip") -> ffmpeg.RunResult:
    """Encode `frames` frames of `master` from `start_time` (seconds from the input's start) with
    the preset's VideoSettings: a decode-accurate seek, for masters without keyframes at cuts."""
    info = info or media_probe.probe(master)
    chain, _ = encode.scale_filter(info.video.display_width, info.video.display_height, settings,
                                   info.video.avg_fps, extra_filters)
    return encode.encode_file(
        ["-ss", f"{start_time:.6f}", "-i", str(master), "-map", "0:v:0", "-map", "0:a:0?",
         "-fps_mode", "passthrough", "-vf", chain, "-frames:v", str(frames),
         "-t", f"{duration:.6f}", *encode.video_codec_args(settings, encoder_family),
         *encode.audio_args(settings, bool(info.audio))],
        out, settings=settings, metadata=metadata, duration=duration, cancel=cancel,
        on_progress=on_progress, check=_checked(frames, what))


def join_clips(parts: Sequence[str | os.PathLike], out: str | os.PathLike, *, settings,
               metadata: ArchiveMetadata, cancel: threading.Event | None = None) -> ffmpeg.RunResult:
    """Concatenate clips cut from one web master into `out`, by stream copy."""
    listing = "".join(f"file '{Path(part).as_posix()}'\n" for part in parts)
    with tempfile.TemporaryDirectory(prefix="video-archive-join-") as tmp:
        list_file = Path(tmp) / "parts.txt"  # the concat demuxer reads its inputs from a file
        list_file.write_text(listing, encoding="utf-8")
        return encode.encode_file(
            ["-f", "concat", "-safe", "0", "-i", str(list_file), "-map", "0:v:0", "-map", "0:a:0?",
             "-c", "copy"], out, settings=settings, metadata=metadata, cancel=cancel)


def cut_scenes(web_master: str | os.PathLike, scenes: Sequence, out_dir: str | os.PathLike, *,
               settings, metadata: ArchiveMetadata, name: str = "scene-{number:03d}.mp4",
               cancel: threading.Event | None = None) -> list[Path]:
    """One clip per scene (backend.media.scenes.Scene, with its decoded indices) of a web master
    keyframed at the scenes' starts, named by `name`; returns the paths."""
    source = Path(web_master)
    times = _frame_times(str(source), source.stat().st_mtime_ns)
    paths = []
    for scene in scenes:
        if scene.start_index is None or scene.end_index is None:
            raise MediaError(f"scene {scene.number} has no decoded frame range to cut")
        last = scene.end_index
        end = times[last + 1] if last + 1 < len(times) else times[last] + (
            times[last] - times[last - 1] if last else 0.04)
        path = Path(out_dir) / name.format(number=scene.number)
        cut_clip(source, path, first_index=scene.start_index,
                 frames=scene.end_index - scene.start_index + 1, duration=end - times[scene.start_index],
                 settings=settings, metadata=metadata, cancel=cancel,
                 what=f"clip of scene {scene.number}")
        paths.append(path)
    return paths
