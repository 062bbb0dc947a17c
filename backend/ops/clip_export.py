"""clip_export: one clip per selected scene, in a folder per group when the scene is in one.

With "scene_cuts" keyframes a clip is a frame-exact stream copy of the web master (it needs the
web master unit, nothing else); with "fixed_interval" keyframes it is encoded from the master
with an exact seek instead (backend.media.clips)."""

import msgspec

from backend.db.files import FileRecord
from backend.ops.output_paths import group_folder
from backend.media import clips
from backend.media import probe as media_probe
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.optimization import UNIT_NAME as WEB_MASTER_UNIT
from backend.ops.optimization import web_master_path
from backend.ops.operators import register


class ClipParams(msgspec.Struct, kw_only=True):
    scene: int
    start_frame: int
    end_frame: int
    first_index: int       # decoded index of the scene's first frame
    frames: int
    start_time: float      # seconds from the master's start (the encode's seek)
    duration: float
    group: str | None = None


def clip_path(job: Job, number: int) -> str:
    group = job.group_of(number)
    folder = f"clips/{group_folder(group.name)}" if group else "clips"
    return f"{folder}/{job.prefix}_s{number:03d}.mp4"


def unit_name(number: int) -> str:
    return f"clip scene {number:03d}"


def from_web_master(job: Job) -> bool:
    return job.preset.video.keyframe_strategy == "scene_cuts"


@register
class ClipExportOperator(Operator):
    id = "clip_export"
    label = "Export scene clips"
    stage = Stage.DERIVED
    Params = ClipParams

    def plan(self, job: Job) -> list[Unit]:
        tl = job.timeline
        origin = job.master_info.start_time_s
        copy = from_web_master(job)
        units = []
        for scene in job.selected_scenes():
            first, last = job.decoded_range(scene)
            end = tl.times[last + 1] if last + 1 < len(tl) else tl.times[last] + tl.frame_duration(last)
            group = job.group_of(scene.number)
            units.append(Unit(
                op=self.id, name=unit_name(scene.number), stage=self.stage,
                input_file=web_master_path(job) if copy else str(job.master),
                outputs=[clip_path(job, scene.number)], needs=[WEB_MASTER_UNIT] if copy else [],
                params=ClipParams(scene=scene.number, start_frame=scene.start_frame,
                                  end_frame=scene.end_frame, first_index=first,
                                  frames=last - first + 1, start_time=tl.times[first] - origin,
                                  duration=end - tl.times[first],
                                  group=group_folder(group.name) if group else None)))
        return units

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        p: ClipParams = unit.params
        settings = job.preset.video
        meta = job.metadata_for(f"Scene {p.scene}, frames {p.start_frame}-{p.end_frame}")
        out = job.path(unit.outputs[0])
        what = f"clip of scene {p.scene}"
        if settings.keyframe_strategy == "scene_cuts":
            source = job.path(web_master_path(job))
            result = clips.cut_clip(source, out, first_index=p.first_index, frames=p.frames,
                                    duration=p.duration, settings=settings, metadata=meta,
                                    cancel=job.cancel, on_progress=progress, what=what)
        else:
            source = job.master
            result = clips.encode_clip(source, out, start_time=p.start_time, frames=p.frames,
                                       duration=p.duration, settings=settings,
                                       encoder_family=job.encoder.family, metadata=meta,
                                       info=job.master_info,
                                       extra_filters=job.preset.advanced.extra_video_filters,
                                       cancel=job.cancel, on_progress=progress, what=what)
        info = media_probe.probe(out)
        return UnitResult(files=[FileRecord(
            file_path=unit.outputs[0], file_type="clip", file_category="clips", file_format="mp4",
            resolution=f"{info.video.display_width}x{info.video.display_height}",
            aspect_ratio=info.video.display_aspect_ratio, duration_seconds=info.duration_s,
            frame_number=p.start_frame, source_file=str(source),
            compression_settings={"mode": "stream copy" if settings.keyframe_strategy == "scene_cuts"
                                  else job.encoder.encoder, "frames": p.frames},
            metadata_embedded=msgspec.to_builtins(meta))],
            peak_rss_mb=(result.peak_rss_bytes or 0) / 1e6 or None,
            cpu_seconds=result.cpu_seconds)
