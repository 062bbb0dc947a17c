"""interchange: the scene list in the forms editors use (OpenTimelineIO, CMX 3600 EDL,
LosslessCut CSV, YouTube chapters), all under edit/, each referring to the archived master.
Every scene of the master is listed, exported or not, so the files rebuild the whole master."""

from __future__ import annotations

import posixpath

import msgspec

from backend.archive.interchange import InterchangeScene, SceneList, chapters, edl, losslesscut, otio
from backend.archive.interchange.cuts import master_start_timecode, numbering_rate
from backend.db.files import FileRecord
from backend.media.atomic import write_bytes_atomic
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.clip_export import clip_path
from backend.ops.master_copy import original_master_path
from backend.ops.operators import register

FOLDER = "edit"
# suffix -> (writer, file type, format)
WRITERS = {".otio": (otio.write, "otio", "otio"),
           ".edl": (edl.write, "edl", "edl"),
           "_losslesscut.csv": (losslesscut.write, "losslesscut_csv", "csv"),
           "_youtube-chapters.txt": (chapters.write, "chapters", "txt")}


class InterchangeParams(msgspec.Struct, kw_only=True):
    scene_list: SceneList


@register
class InterchangeOperator(Operator):
    id = "interchange"
    label = "Write the scene list for editors"
    stage = Stage.SOURCE
    Params = InterchangeParams

    def plan(self, job: Job) -> list[Unit]:
        rate = numbering_rate(job.master_info)
        selected = set(job.selected)
        scenes = [InterchangeScene(number=s.number, start_frame=s.start_frame, end_frame=s.end_frame,
                                   start_time=s.start_time, end_time=s.end_time,
                                   group=group_name(job, s.number), exported=s.number in selected,
                                   clip=clip_path(job, s.number) if s.number in selected else None)
                  for s in job.scenes]
        master = original_master_path(job)
        listing = SceneList(title=job.prefix, artwork=job.metadata.title, rate_num=rate.numerator,
                            rate_den=rate.denominator, master_file=posixpath.basename(master),
                            master_url=posixpath.relpath(master, FOLDER),
                            start_timecode=master_start_timecode(job.master),
                            has_audio=bool(job.master_info.audio), scenes=scenes)
        outputs = [f"{FOLDER}/{job.prefix}{suffix}" for suffix in WRITERS]
        return [Unit(op=self.id, name="write interchange files", stage=self.stage,
                     input_file=str(job.master), outputs=outputs,
                     params=InterchangeParams(scene_list=listing))]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        listing = unit.params.scene_list
        files = []
        for output, (write, file_type, fmt) in zip(unit.outputs, WRITERS.values()):
            write_bytes_atomic(job.path(output), write(listing))
            files.append(FileRecord(file_path=output, file_type=file_type, file_category="edit",
                                    file_format=fmt, source_file=str(job.master), has_metadata=False))
        progress(1.0)
        return UnitResult(files=files)


def group_name(job: Job, number: int) -> str | None:
    """The name of the group a scene is in, if any: what the files show editors."""
    group = job.group_of(number)
    return group.name if group else None
