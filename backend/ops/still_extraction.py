"""still_extraction: for each selected scene, an HQ still (full display resolution, lossless) and
a web still of exactly its midpoint frame, with the archive metadata.

A headless run makes them while the analysis runs (`ahead`), each as soon as detection has
settled its scene (`Job.scene_feed`), at the lower priority, in the cores' gaps: the decode and
the web master's encode leave about a tenth of two cores idle, and the stills were most of the
work left after them. Each is written under partial names; the unit renames it when the still it
plans is the one made (same scene, frame, timestamp, names), and otherwise makes its own."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import NamedTuple

import msgspec

from backend.db.files import FileRecord
from backend.media import stills
from backend.media.atomic import fsync_dir, partial_name, remove_unused
from backend.media.geometry import aspect_ratio
from backend.media.scenes import middle_index
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.operators import register

EXTENSIONS = {"png": ".png", "tiff": ".tif", "jpeg": ".jpg", "webp": ".webp"}


def midpoint(job: Job, scene) -> tuple[int, int]:
    """(frame number, decoded index) of the scene's middle frame."""
    index = middle_index(*job.decoded_range(scene))
    return job.timeline.numbers[index], index


def stills_wanted(job: Job) -> bool:
    """The extract_midpoint_stills setting, as it was when the session started."""
    return job.spec.extract_midpoint_stills


def unit_name(number: int) -> str:
    return f"stills scene {number:03d}"


class StillParams(msgspec.Struct, kw_only=True):
    scene: int
    frame: int             # frame number of the scene's midpoint
    decoded_index: int
    pts: float             # its absolute presentation time


def still_paths(job: Job, number: int, frame: int) -> tuple[str, str]:
    stem = f"{job.prefix}_s{number:03d}_f{frame:06d}"
    return (f"stills/hq/{stem}{EXTENSIONS[job.preset.stills_hq.format]}",
            f"stills/web/{stem}{EXTENSIONS[job.preset.stills_web.format]}")


def _extract(job: Job, p: StillParams, hq_path: Path, web_path: Path, cancel) -> list[stills.StillOutput]:
    [result] = stills.extract_frames(
        job.master, [stills.StillRequest(frame_index=p.decoded_index, pts_seconds=p.pts,
                                         hq_path=str(hq_path), web_path=str(web_path))],
        hq=job.preset.stills_hq, web=job.preset.stills_web,
        metadata=job.metadata_for(f"Scene {p.scene}, frame {p.frame}"), cancel=cancel)
    return result.outputs


class Made(NamedTuple):
    params: StillParams
    outputs: tuple[str, str]            # the archive paths it is for
    temps: tuple[Path, Path]            # where it lies, complete, under partial names
    written: list[stills.StillOutput]


class MadeAhead:
    """The stills made ahead, by scene number; each unit takes its own."""

    def __init__(self, archive: Path):
        self.archive = archive
        self._made: dict[int, Made] = {}
        self._lock = threading.Lock()

    def add(self, number: int, made: Made) -> None:
        with self._lock:
            self._made[number] = made

    def take(self, params: StillParams, outputs: list[str]) -> Made | None:
        with self._lock:
            made = self._made.pop(params.scene, None)
        if made is None:
            return None
        if made.params == params and list(made.outputs) == outputs and all(t.is_file() for t in made.temps):
            return made
        remove_unused(made.temps, self.archive)  # the forecast was wrong: the unit makes its own
        return None

    def drop(self) -> None:
        with self._lock:
            left, self._made = list(self._made.values()), {}
        for made in left:
            remove_unused(made.temps, self.archive)


@register
class StillExtractionOperator(Operator):
    id = "still_extraction"
    label = "Extract scene stills"
    stage = Stage.SOURCE
    Params = StillParams

    def plan(self, job: Job) -> list[Unit]:
        if not stills_wanted(job):
            return []
        units = []
        for scene in job.selected_scenes():
            frame, index = midpoint(job, scene)
            units.append(Unit(op=self.id, name=unit_name(scene.number), stage=self.stage,
                              input_file=str(job.master), outputs=list(still_paths(job, scene.number, frame)),
                              params=StillParams(scene=scene.number, frame=frame, decoded_index=index,
                                                 pts=job.timeline.times[index])))
        return units

    def ahead(self, job: Job, stop) -> MadeAhead | None:
        feed = job.scene_feed
        if feed is None or not stills_wanted(job):
            return None
        made = MadeAhead(job.archive)
        try:
            while (scene := feed.next_settled(stop)) is not None:
                index = middle_index(scene.first, scene.last)
                frame, pts = feed.position(index)
                params = StillParams(scene=scene.number, frame=frame, decoded_index=index, pts=pts)
                outputs = still_paths(job, scene.number, frame)
                temps = tuple(partial_name(job.path(rel)) for rel in outputs)
                try:
                    written = _extract(job, params, *temps, cancel=stop)
                except BaseException:
                    remove_unused(temps, job.archive)
                    raise
                made.add(scene.number, Made(params, outputs, temps, written))
        except BaseException:
            made.drop()
            raise
        return made

    def drop_ahead(self, result: MadeAhead) -> None:
        result.drop()

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        p: StillParams = unit.params
        meta = job.metadata_for(f"Scene {p.scene}, frame {p.frame}")
        hq_path, web_path = unit.outputs
        ahead = job.take_ahead(self.id)
        made = ahead.take(p, unit.outputs) if ahead is not None else None
        if made is not None:
            for temp, rel in zip(made.temps, unit.outputs):
                os.replace(temp, job.path(rel))  # complete and fsynced when written
            fsync_dir(job.path(hq_path).parent)
            fsync_dir(job.path(web_path).parent)
            written = made.written
        else:
            written = _extract(job, p, job.path(hq_path), job.path(web_path), cancel=job.cancel)
        kinds = {o.kind: o for o in written}
        files = []
        for kind, rel, settings in (("hq", hq_path, job.preset.stills_hq),
                                    ("web", web_path, job.preset.stills_web)):
            out = kinds[kind]
            files.append(FileRecord(
                file_path=rel, file_type=f"still_{kind}", file_category="stills", file_format=out.format,
                resolution=f"{out.width}x{out.height}", aspect_ratio=aspect_ratio(out.width, out.height),
                frame_number=p.frame, source_file=str(job.master),
                compression_settings=msgspec.to_builtins(settings),
                metadata_embedded=msgspec.to_builtins(meta)))
        progress(1.0)
        return UnitResult(files=files)
