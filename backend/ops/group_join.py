"""group_join: when the preset asks (advanced.join_group_clips), one clip per group joining its
selected scenes' clips in order, by stream copy. It needs exactly those clip units."""

import msgspec

from backend.db.files import FileRecord
from backend.media import clips
from backend.media import probe as media_probe
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.output_paths import group_folder
from backend.ops.clip_export import clip_path, unit_name
from backend.ops.operators import register


class JoinParams(msgspec.Struct, kw_only=True):
    group: str            # the group's folder name
    parts: list[str]      # archive-relative clips, in order
    scenes: list[int]


def group_clip_path(job: Job, folder: str) -> str:
    """`_group-NAME`, never `_sNNN`: a group named like a scene ("s002") cannot take that scene's
    clip name."""
    return f"clips/{folder}/{job.prefix}_group-{folder}.mp4"


@register
class GroupJoinOperator(Operator):
    id = "group_join"
    label = "Join each group's clips"
    stage = Stage.JOINED
    Params = JoinParams

    def plan(self, job: Job) -> list[Unit]:
        if not job.preset.advanced.join_group_clips:
            return []
        selected = set(job.selected)
        units = []
        for group in job.groups:
            scenes = [n for n in group.scenes if n in selected]
            if not scenes:
                continue
            folder = group_folder(group.name)
            parts = [clip_path(job, n) for n in scenes]
            units.append(Unit(op=self.id, name=f"join group {folder}", stage=self.stage,
                              input_file=parts[0], outputs=[group_clip_path(job, folder)],
                              needs=[unit_name(n) for n in scenes],
                              params=JoinParams(group=folder, parts=parts, scenes=scenes)))
        return units

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        p: JoinParams = unit.params
        meta = job.metadata_for(f"Group {p.group}: scenes {', '.join(map(str, p.scenes))}")
        out = job.path(unit.outputs[0])
        clips.join_clips([job.path(part) for part in p.parts], out, settings=job.preset.video,
                         metadata=meta, cancel=job.cancel)
        info = media_probe.probe(out)
        progress(1.0)
        return UnitResult(files=[FileRecord(
            file_path=unit.outputs[0], file_type="group_clip", file_category="clips", file_format="mp4",
            resolution=f"{info.video.display_width}x{info.video.display_height}",
            aspect_ratio=info.video.display_aspect_ratio, duration_seconds=info.duration_s,
            source_file=", ".join(p.parts), compression_settings={"mode": "concat stream copy"},
            metadata_embedded=msgspec.to_builtins(meta))])
