"""OpenTimelineIO: the scenes as clips on one video track referring to the archived master
(relative URL), groups as markers and in each clip's metadata, times as RationalTime at the
master's rate. Written and read with the `opentimelineio` package."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from backend.archive.interchange import SceneList
from backend.archive.interchange import timecode as tc

NAMESPACE = "video_archive"  # our metadata key, beside whatever else a tool adds
MARKER_COLORS = ["RED", "GREEN", "BLUE", "CYAN", "MAGENTA", "YELLOW", "ORANGE", "PURPLE", "PINK"]


def _start(scenes: SceneList) -> int:
    return tc.from_timecode(scenes.start_timecode, scenes.rate) if scenes.start_timecode else 0


def timeline(scenes: SceneList) -> otio.schema.Timeline:
    rate = float(scenes.rate)
    start = _start(scenes)
    available = otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                        otio.opentime.RationalTime(scenes.frame_count, rate))
    colors = {name: MARKER_COLORS[i % len(MARKER_COLORS)] for i, name in enumerate(scenes.groups)}
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for scene in scenes.scenes:
        source = otio.opentime.TimeRange(otio.opentime.RationalTime(start + scene.start_frame, rate),
                                         otio.opentime.RationalTime(scene.frames, rate))
        clip = otio.schema.Clip(
            name=f"{scenes.title} s{scene.number:03d}", source_range=source,
            media_reference=otio.schema.ExternalReference(target_url=scenes.master_url,
                                                          available_range=available),
            metadata={NAMESPACE: {"scene": scene.number, "start_frame": scene.start_frame,
                                  "end_frame": scene.end_frame, "group": scene.group,
                                  "exported": scene.exported, "clip": scene.clip}})
        if scene.group:
            clip.markers.append(otio.schema.Marker(
                name=scene.group, color=colors[scene.group],
                marked_range=otio.opentime.TimeRange(source.start_time,
                                                     otio.opentime.RationalTime(scene.frames, rate)),
                metadata={NAMESPACE: {"group": scene.group}}))
        track.append(clip)
    result = otio.schema.Timeline(name=scenes.title, metadata={NAMESPACE: {
        "artwork": scenes.artwork, "master": scenes.master_file,
        "rate": {"num": scenes.rate_num, "den": scenes.rate_den},
        "start_timecode": scenes.start_timecode, "groups": scenes.groups}})
    result.global_start_time = otio.opentime.RationalTime(0, rate)
    result.tracks.append(track)
    return result


def write(scenes: SceneList) -> bytes:
    return otio.adapters.write_to_string(timeline(scenes), "otio_json").encode("utf-8") + b"\n"


def read_segments(path: Path, rate: Fraction) -> list[tuple[int, int]]:
    """(first frame, frame after the last) of each clip on the first video track, in the source
    media's frames counted from its available range's start (the master's own timecode)."""
    try:
        loaded = otio.adapters.read_from_file(str(path), adapter_name="otio_json")
    except Exception as exc:  # the package raises its own types and plain ValueErrors alike
        raise ValueError(f"not an OpenTimelineIO file: {exc}") from None
    if not isinstance(loaded, otio.schema.Timeline):
        raise ValueError(f"holds no OpenTimelineIO timeline (but a {type(loaded).__name__})")
    tracks = loaded.video_tracks()
    if not tracks:
        raise ValueError("has no video track")
    segments = []
    for item in tracks[0]:
        if not isinstance(item, otio.schema.Clip):
            continue
        source = item.source_range or item.available_range()
        origin = otio.opentime.RationalTime(0, float(rate))
        ref = item.media_reference
        if ref is not None and ref.available_range is not None:
            origin = ref.available_range.start_time
        first = (source.start_time - origin).rescaled_to(float(rate)).value
        count = source.duration.rescaled_to(float(rate)).value
        segments.append((round(first), round(first) + round(count)))
    if not segments:
        raise ValueError("has no clips on its first video track")
    return segments
