"""optimization: the web master, encoded once for the whole archive. With the preset's
"scene_cuts" keyframe strategy every scene starts on an IDR frame, so each clip is a frame-exact
stream copy of this file and nothing is encoded twice."""

import msgspec

from backend.db.files import FileRecord
from backend.media import web_master
from backend.media.geometry import aspect_ratio
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.operators import register

UNIT_NAME = "encode web master"


class WebMasterParams(msgspec.Struct, kw_only=True):
    display_width: int
    display_height: int
    source_fps: float | None
    duration: float
    has_audio: bool
    keyframe_times: list[float]   # output seconds of the cuts
    expected_frames: int


@register
class OptimizationOperator(Operator):
    id = "optimization"
    label = "Encode the web master"
    stage = Stage.SOURCE
    Params = WebMasterParams
    critical_path = True

    def check(self, job: Job) -> None:
        job.preset.video.check_encoder(job.encoder.family)

    def plan(self, job: Job) -> list[Unit]:
        video = job.master_info.video
        cuts = [job.first_index(s) for s in job.scenes[1:]]  # decoded frames, not numbers
        params = WebMasterParams(
            display_width=video.display_width, display_height=video.display_height,
            source_fps=video.avg_fps, duration=job.master_info.duration_s,
            has_audio=bool(job.master_info.audio),
            keyframe_times=web_master.cut_times(job.timeline, cuts, job.master_info.start_time_s),
            expected_frames=len(job.timeline))
        return [Unit(op=self.id, name=UNIT_NAME, stage=self.stage, input_file=str(job.master),
                     outputs=[web_master_path(job)], params=params)]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        p: WebMasterParams = unit.params
        settings = job.preset.video
        made = web_master.encode_web_master(
            job.master, job.path(unit.outputs[0]), settings=settings,
            encoder_family=job.encoder.family, metadata=job.metadata, cut_times=p.keyframe_times,
            info=job.master_info, extra_filters=job.preset.advanced.extra_video_filters,
            expected_frames=p.expected_frames, cancel=job.cancel, on_progress=progress)
        w, h, result = made.width, made.height, made.run
        return UnitResult(
            files=[FileRecord(file_path=unit.outputs[0], file_type="master_web", file_category="masters",
                              file_format="mp4", resolution=f"{w}x{h}", aspect_ratio=aspect_ratio(w, h),
                              duration_seconds=p.duration, source_file=str(job.master),
                              compression_settings={"encoder": job.encoder.encoder,
                                                    **msgspec.to_builtins(settings)},
                              metadata_embedded=msgspec.to_builtins(job.metadata),
                              processing_time_ms=int(result.elapsed_s * 1000))],
            peak_rss_mb=(result.peak_rss_bytes or 0) / 1e6 or None,
            cpu_seconds=result.cpu_seconds, gpu=job.encoder.gpu)


def web_master_path(job: Job) -> str:
    return f"masters/{job.prefix}_master-web.mp4"
