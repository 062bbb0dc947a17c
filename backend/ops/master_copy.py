"""master_copy: the original master into masters/, bit for bit, checksum-verified. The original is
never re-encoded or re-tagged: its SHA-256 in the manifest proves it is the file delivered."""

from backend.db.files import FileRecord
from backend.media.atomic import atomic_output
from backend.media.checksums import copy_with_checksum
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.operators import register


def original_master_path(job: Job) -> str:
    return f"masters/{job.prefix}_master-original{job.master.suffix.lower() or '.mov'}"


@register
class MasterCopyOperator(Operator):
    id = "master_copy"
    label = "Copy the original master"
    stage = Stage.SOURCE

    def plan(self, job: Job) -> list[Unit]:
        return [Unit(op=self.id, name="copy original master", stage=self.stage,
                     input_file=str(job.master), outputs=[original_master_path(job)])]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        out = job.path(unit.outputs[0])
        with atomic_output(out) as temp:
            digest = copy_with_checksum(job.master, temp, on_progress=progress, cancel=job.cancel)
        return UnitResult(files=[FileRecord(
            file_path=unit.outputs[0], file_type="master", file_category="masters",
            file_format=job.master.suffix.lstrip(".").lower(), source_file=str(job.master),
            compression_settings={"copy": "bit-identical", "sha256": digest})])
