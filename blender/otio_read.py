"""An archive's OpenTimelineIO file, read as plain JSON (Blender has no opentimelineio): the
scenes of its first video track with their master, times, group and export flag."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

MAX_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Scene:
    name: str
    start_s: float
    end_s: float
    group: str
    exported: bool


@dataclass(frozen=True)
class Timeline:
    master: Path
    scenes: list[Scene]


def find_otio(path: str | Path) -> Path:
    """The .otio itself, or the one in an archive folder's edit/."""
    path = Path(path)
    if path.is_dir():
        found = sorted((path / "edit").glob("*.otio")) or sorted(path.glob("*.otio"))
        if not found:
            raise ValueError(f"{path} has no edit/*.otio: is it an archive folder?")
        return found[0]
    if path.suffix.lower() != ".otio" or not path.is_file():
        raise ValueError(f"{path.name} is not an OpenTimelineIO (.otio) file")
    return path


def _seconds(rational: dict) -> float:
    return float(rational["value"]) / float(rational["rate"])


def read(path: str | Path) -> Timeline:
    path = find_otio(path)
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"{path.name} is larger than an archive's timeline can be")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        track = next(t for t in doc["tracks"]["children"] if t.get("kind") == "Video")
        clips = [c for c in track["children"] if c.get("OTIO_SCHEMA", "").startswith("Clip")]
        ref = clips[0]["media_references"][clips[0]["active_media_reference_key"]]
        url = urlparse(ref["target_url"])
        master = (path.parent / unquote(url.path)).resolve()
        scenes = []
        for clip in clips:
            info = clip.get("metadata", {}).get("video_archive", {})
            start = _seconds(clip["source_range"]["start_time"])
            scenes.append(Scene(clip.get("name", ""), start,
                                start + _seconds(clip["source_range"]["duration"]),
                                info.get("group") or "", bool(info.get("exported", True))))
    except (KeyError, IndexError, StopIteration, TypeError, ValueError) as exc:
        raise ValueError(f"{path.name} is not an archive's timeline ({type(exc).__name__}: {exc})") \
            from None
    return Timeline(master, _exact_times(path, scenes))


def _exact_times(otio: Path, scenes: list[Scene]) -> list[Scene]:
    """OTIO counts frames at the master's average rate, which on a variable-frame-rate master is
    not where frames are; the LosslessCut CSV beside it holds each scene's own timestamps, so
    when it lists the same scenes its times are used."""
    csv_path = otio.with_name(otio.stem + "_losslesscut.csv")
    try:
        rows = [r for r in csv.reader(csv_path.read_text(encoding="utf-8").splitlines()) if r]
        times = [(float(r[0]), float(r[1])) for r in rows]
    except (OSError, ValueError, IndexError):
        return scenes
    if len(times) != len(scenes):
        return scenes
    return [Scene(s.name, start, end, s.group, s.exported) for s, (start, end) in zip(scenes, times)]
