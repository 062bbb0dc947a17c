"""master_copy: the original master into masters/, bit for bit, checksum-verified. The original is
never re-encoded or re-tagged: its SHA-256 in the manifest proves it is the file delivered.

A headless run copies it while the analysis runs (`ahead`): the copy needs only the master, and
it is mostly waiting on the disk, which the analysis's decode and encode leave free. The unit then
renames the finished copy into place."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from backend.db.files import FileRecord
from backend.media.atomic import atomic_output, fsync_dir, partial_name, remove_unused
from backend.media.checksums import copy_with_checksum
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.operators import register


def original_master_path(job: Job) -> str:
    return f"masters/{job.prefix}_master-original{job.master.suffix.lower() or '.mov'}"


class Copied(NamedTuple):
    temp: Path      # the complete, verified copy under its partial name, beside its final place
    sha256: str
    archive: Path   # the archive folder: what it made below it goes with it


@register
class MasterCopyOperator(Operator):
    id = "master_copy"
    label = "Copy the original master"
    stage = Stage.SOURCE

    def plan(self, job: Job) -> list[Unit]:
        return [Unit(op=self.id, name="copy original master", stage=self.stage,
                     input_file=str(job.master), outputs=[original_master_path(job)])]

    def ahead(self, job: Job, stop) -> Copied:
        out = job.path(original_master_path(job))
        out.parent.mkdir(parents=True, exist_ok=True)
        temp = partial_name(out)
        try:
            digest = copy_with_checksum(job.master, temp, cancel=stop)
        except BaseException:
            remove_unused([temp], job.archive)  # and masters/ (a bag's data/masters/) if it made it
            raise
        return Copied(temp, digest, job.archive)

    def drop_ahead(self, result: Copied) -> None:
        remove_unused([result.temp], result.archive)

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        out = job.path(unit.outputs[0])
        copied = job.take_ahead(self.id)
        if copied is not None and copied.temp.is_file():
            os.replace(copied.temp, out)  # written and verified already, fsynced before
            fsync_dir(out.parent)
            digest = copied.sha256
        else:
            with atomic_output(out) as temp:
                digest = copy_with_checksum(job.master, temp, on_progress=progress, cancel=job.cancel)
        progress(1.0)
        return UnitResult(files=[FileRecord(
            file_path=unit.outputs[0], file_type="master", file_category="masters",
            file_format=job.master.suffix.lstrip(".").lower(), source_file=str(job.master),
            compression_settings={"copy": "bit-identical", "sha256": digest})])
