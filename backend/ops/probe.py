"""probe: read the master's streams and timing (PyAV), so later operators size and time outputs."""

from backend.media import probe as media_probe
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.operators import register


@register
class ProbeOperator(Operator):
    id = "probe"
    label = "Probe the master"
    stage = Stage.ANALYSIS

    def plan(self, job: Job) -> list[Unit]:
        return [Unit(op=self.id, name="probe master", stage=self.stage, input_file=str(job.master))]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        info = media_probe.probe(job.master)
        progress(1.0)
        warnings = []
        if info.video.variable_frame_rate:
            warnings.append("the master has a variable frame rate: frames are numbered by timestamp "
                            "and clips keep the original timing")
        return UnitResult(warnings=warnings, master_info=info)
