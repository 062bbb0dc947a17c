"""thumbnails: a small JPEG/WebP per selected scene, of the same midpoint frame as its stills:
made from the HQ still (no second decode), or from the master when stills are switched off
(the extract_midpoint_stills setting)."""

import msgspec

from backend.db.files import FileRecord
from backend.media import stills
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.operators import register
from backend.ops.still_extraction import EXTENSIONS, midpoint, still_paths, stills_wanted, unit_name


class ThumbnailParams(msgspec.Struct, kw_only=True):
    scene: int
    frame: int
    decoded_index: int
    pts: float
    from_still: bool       # made from the HQ still (input_file) rather than from the master


def thumbnail_path(job: Job, number: int) -> str:
    return f"thumbnails/{job.prefix}_s{number:03d}{EXTENSIONS[job.preset.thumbnail.format]}"


@register
class ThumbnailsOperator(Operator):
    id = "thumbnails"
    label = "Make scene thumbnails"
    stage = Stage.DERIVED
    Params = ThumbnailParams

    def plan(self, job: Job) -> list[Unit]:
        units = []
        for scene in job.selected_scenes():
            frame, index = midpoint(job, scene)
            source = still_paths(job, scene.number, frame)[0] if stills_wanted(job) else None
            units.append(Unit(op=self.id, name=f"thumbnail scene {scene.number:03d}", stage=self.stage,
                              input_file=source or str(job.master),
                              outputs=[thumbnail_path(job, scene.number)],
                              needs=[unit_name(scene.number)] if source else [],
                              params=ThumbnailParams(scene=scene.number, frame=frame,
                                                     decoded_index=index,
                                                     pts=job.timeline.times[index],
                                                     from_still=bool(source))))
        return units

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        p: ThumbnailParams = unit.params
        meta = job.metadata_for(f"Scene {p.scene}, frame {p.frame}")
        out_path = job.path(unit.outputs[0])
        if p.from_still:
            out = stills.make_thumbnail(job.path(unit.input_file), out_path, job.preset.thumbnail, meta)
        else:
            [result] = stills.extract_frames(
                job.master, [stills.StillRequest(frame_index=p.decoded_index, pts_seconds=p.pts,
                                                 thumbnail_path=str(out_path))],
                thumbnail=job.preset.thumbnail, metadata=meta, cancel=job.cancel)
            [out] = result.outputs
        progress(1.0)
        return UnitResult(files=[FileRecord(
            file_path=unit.outputs[0], file_type="thumbnail", file_category="thumbnails",
            file_format=out.format, resolution=f"{out.width}x{out.height}", frame_number=p.frame,
            source_file=unit.input_file, compression_settings=msgspec.to_builtins(job.preset.thumbnail),
            metadata_embedded=msgspec.to_builtins(meta))])
