"""thumbnails: a small JPEG/WebP per selected scene, made from its HQ still (no second decode)."""

import msgspec

from backend.media import stills
from backend.db.files import FileRecord
from backend.ops.base import Job, Operator, Unit, UnitResult
from backend.ops.clip_export import scene_metadata
from backend.ops.registry import register
from backend.ops.still_extraction import EXTENSIONS, midpoint, still_paths


@register
class ThumbnailsOperator(Operator):
    id = "thumbnails"
    label = "Make scene thumbnails"
    stage = 2

    def plan(self, job: Job) -> list[Unit]:
        units = []
        ext = EXTENSIONS[job.preset.thumbnail.format]
        for scene in job.selected_scenes():
            frame, _ = midpoint(job, scene)
            hq, _ = still_paths(job, scene.number, frame)
            units.append(Unit(op=self.id, name=f"thumbnail scene {scene.number:03d}", stage=self.stage,
                              input_file=hq, outputs=[f"thumbnails/{job.prefix}_s{scene.number:03d}{ext}"],
                              params={"scene": scene.number, "frame": frame}))
        return units

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        p = unit.params
        meta = scene_metadata(job, f"Scene {p['scene']}, frame {p['frame']}")
        out = stills.make_thumbnail(job.path(unit.input_file), job.path(unit.outputs[0]),
                                    job.preset.thumbnail, meta)
        progress(1.0)
        return UnitResult(files=[FileRecord(
            file_path=unit.outputs[0], file_type="thumbnail", file_category="thumbnails", file_format=out.format,
            resolution=f"{out.width}x{out.height}", frame_number=p["frame"],
            source_file=unit.input_file, compression_settings=msgspec.to_builtins(job.preset.thumbnail),
            metadata_embedded=msgspec.to_builtins(meta))])
