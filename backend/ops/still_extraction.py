"""still_extraction: for each selected scene, an HQ still (full display resolution, lossless) and
a web still of exactly its midpoint frame, with the archive metadata."""

import msgspec

from backend.db.files import FileRecord
from backend.media import stills
from backend.media.geometry import aspect_ratio
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.operators import register

EXTENSIONS = {"png": ".png", "tiff": ".tif", "jpeg": ".jpg", "webp": ".webp"}


def midpoint(job: Job, scene) -> tuple[int, int]:
    """(frame number, decoded index) of the scene's middle frame."""
    first, last = job.decoded_range(scene)
    index = first + (last - first + 1) // 2  # as ingest picks its midpoint thumbnails
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

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        p: StillParams = unit.params
        meta = job.metadata_for(f"Scene {p.scene}, frame {p.frame}")
        hq_path, web_path = unit.outputs
        [result] = stills.extract_frames(
            job.master, [stills.StillRequest(frame_index=p.decoded_index, pts_seconds=p.pts,
                                             hq_path=str(job.path(hq_path)),
                                             web_path=str(job.path(web_path)))],
            hq=job.preset.stills_hq, web=job.preset.stills_web, metadata=meta, cancel=job.cancel)
        kinds = {o.kind: o for o in result.outputs}
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
