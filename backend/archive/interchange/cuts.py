"""Cuts from an editor's file (EDL, OTIO, LosslessCut CSV), so a cut made in Resolve or
LosslessCut drives an archive: the same cut frames a list given to `process` would be."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av

from backend.archive.interchange import edl, losslesscut, otio
from backend.archive.interchange import timecode as tc
from backend.errors import InputError
from backend.media import probe as media_probe, scene_cuts

FORMATS = {".edl": "CMX 3600 EDL", ".otio": "OpenTimelineIO", ".csv": "LosslessCut CSV"}


def master_start_timecode(master: str | Path) -> str | None:
    """The master's own start timecode (a QuickTime tmcd track or a container tag), if any."""
    try:
        with av.open(str(master)) as container:
            for source in (container.metadata, *(s.metadata for s in container.streams)):
                if source.get("timecode"):
                    return source["timecode"]
    except av.FFmpegError:
        return None
    return None


def numbering_rate(info) -> Fraction:
    """The rate scene detection numbers frames with (PySceneDetect's, snapped to a rational):
    interchange files count frames at this rate, so their frames are the archive's frames."""
    try:
        return scene_cuts.nominal_rate(info.video.avg_frame_rate, info.video.r_frame_rate)
    except ValueError:
        raise InputError("the master's frame rate is unknown; cuts from a file need it", "cuts") from None


def segments_to_cuts(segments: list[tuple[int, int]], frame_count: int, source: str) -> list[int]:
    """Every segment boundary inside the master is a cut: the start of each segment and the end
    of one that a gap follows. The master's own first frame and end are no cuts."""
    cuts = set()
    for first, after in segments:
        for frame in (first, after):
            if frame > frame_count:
                raise InputError(f"{source}: a cut at frame {frame} is past the master's end "
                                 f"({frame_count} frames): is it the EDL of another file?", "cuts")
            if 0 < frame < frame_count:
                cuts.add(frame)
            if frame < 0:
                raise InputError(f"{source}: a cut at frame {frame} is before the master's start "
                                 "(its timecode does not match the master's)", "cuts")
    return sorted(cuts)


MAX_CUTS_FILE_BYTES = 16 * 2**20  # 100,000 EDL events are ~10 MB; a bigger file is not an edit list


def cuts_arg(value: str | None, master: str) -> list[int] | None:
    """`--cuts 120,348` (or a manifest's cuts cell) is a list of frames; anything else names a
    file of cuts."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    if all(p.isdigit() for p in parts):
        return [int(p) for p in parts]
    return cuts_from_file(value, master)


def cuts_from_file(path: str | Path, master: str | Path) -> list[int]:
    """The cut frames (scene detection's numbering) a file describes for `master`."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"cuts file {path.name}: unknown format {path.suffix or '(no extension)'}; "
                         f"use {', '.join(f'{k} ({v})' for k, v in FORMATS.items())}", "cuts")
    if not path.is_file():
        raise InputError(f"cuts file not found (or not a regular file): {path}", "cuts")
    size = path.stat().st_size
    if size > MAX_CUTS_FILE_BYTES:
        raise InputError(f"cuts file {path.name} is {size:,} bytes: an edit list is "
                         f"far smaller (at most {MAX_CUTS_FILE_BYTES // 2**20} MiB read)", "cuts")
    try:
        info = media_probe.probe(master)
    except Exception as exc:  # the runner reports an unusable master in its own words
        raise InputError(f"the master cannot be used: {exc}", "master") from None
    rate = numbering_rate(info)
    try:
        if kind == "CMX 3600 EDL":
            start = master_start_timecode(master)
            segments = edl.read_segments(path, rate, tc.from_timecode(start, rate) if start else 0)
        elif kind == "OpenTimelineIO":
            segments = otio.read_segments(path, rate)
        else:
            segments = losslesscut.read_segments(path, rate)
    except (ValueError, OSError, UnicodeError) as exc:
        raise InputError(f"cuts file {path.name} ({kind}): {exc}", "cuts") from None
    # a variable-frame-rate master numbers frames by timestamp, past its decoded count
    end = max(info.video.frame_count, round((info.video.duration_s or info.duration_s or 0) * rate))
    return segments_to_cuts(segments, end, f"cuts file {path.name}")
