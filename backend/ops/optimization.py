"""optimization: the web master. With the preset's "scene_cuts" keyframe strategy it is the
join, by stream copy, of the scene segments the web_segments units encoded (a segment the cache
lost is encoded here), so every scene starts on an IDR frame and each clip is a frame-exact
stream copy of this file; otherwise (fixed-interval keyframes, a frame-rate cap) it is encoded
in one pass. Plans stored before segments existed (no `segments`) encode in one pass too."""

import msgspec

from backend.db.files import FileRecord
from backend.errors import MediaError
from backend.media import segments as media_segments
from backend.media import web_master
from backend.media.segments import Segment
from backend.media.geometry import aspect_ratio
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.media import probe as media_probe
from backend.ops import one_decode, web_segments
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
    segments: list[Segment] = []  # the whole film's segments, joined in order; [] = one pass


@register
class OptimizationOperator(Operator):
    id = "optimization"
    label = "Encode the web master"
    stage = Stage.SOURCE
    Params = WebMasterParams
    critical_path = True
    needs_timeline = True

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
        needs = []
        if web_segments.segmented(job):
            params.segments = web_segments.job_segments(job)
            needs = [u.name for u in web_segments.WebSegmentsOperator().plan(job)]
        return [Unit(op=self.id, name=UNIT_NAME, stage=self.stage, input_file=str(job.master),
                     outputs=[web_master_path(job)], params=params, needs=needs)]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        p: WebMasterParams = unit.params
        settings = job.preset.video
        if p.segments:
            w, h, result, cpu = _joined(unit, job)
        elif (made := _from_one_decode(unit, job)) is not None:
            w, h, result, cpu = made
        else:
            made = web_master.encode_web_master(
                job.master, job.path(unit.outputs[0]), settings=settings,
                encoder_family=job.encoder.family, metadata=job.metadata,
                cut_times=p.keyframe_times, info=job.master_info,
                extra_filters=job.preset.advanced.extra_video_filters,
                expected_frames=p.expected_frames, cancel=job.cancel, on_progress=progress)
            w, h, result, cpu = made.width, made.height, made.run, made.run.cpu_seconds
        return UnitResult(
            files=[FileRecord(file_path=unit.outputs[0], file_type="master_web", file_category="masters",
                              file_format="mp4", resolution=f"{w}x{h}", aspect_ratio=aspect_ratio(w, h),
                              duration_seconds=p.duration, source_file=str(job.master),
                              compression_settings={"encoder": job.encoder.encoder,
                                                    **msgspec.to_builtins(settings)},
                              metadata_embedded=msgspec.to_builtins(job.metadata),
                              processing_time_ms=int(result.elapsed_s * 1000))],
            peak_rss_mb=(result.peak_rss_bytes or 0) / 1e6 or None,
            cpu_seconds=cpu, gpu=job.encoder.gpu)


def _joined(unit: Unit, job: Job):
    """Join the segments into the web master, encoding first any the cache lost since its
    web_segments unit ran."""
    p: WebMasterParams = unit.params
    if len(job.timeline) != p.expected_frames:
        raise MediaError(
            f"the master has {len(job.timeline)} frames now, the plan {p.expected_frames}")
    made = web_segments.encode_segments(job, p.segments)
    result = media_segments.assemble(
        job.master, web_segments.store(job), p.segments, job.path(unit.outputs[0]),
        timeline=job.timeline, settings=job.preset.video, metadata=job.metadata,
        info=job.master_info, cancel=job.cancel)
    _, (w, h) = web_segments.scaled(job)
    return w, h, result, (made.cpu_seconds or 0.0) + (result.cpu_seconds or 0.0)


def _from_one_decode(unit: Unit, job: Job):
    """The web master from the ingest's own encode (one_decode), when it holds every frame and
    an IDR at every cut; None sends the unit to the two-pass encode."""
    p: WebMasterParams = unit.params
    cuts = [job.first_index(s) for s in job.scenes[1:]]
    prepared = one_decode.prepared_for(job, cuts, p.expected_frames)
    if prepared is None:
        return None
    counted: list[int] = []

    def check(temp) -> None:
        counted.append(media_probe.probe(temp).video.frame_count)
        if counted[0] != p.expected_frames:
            raise MediaError(f"the web master has {counted[0]} frames, the master "
                             f"{p.expected_frames}")

    result = one_decode.mux(job, prepared, job.path(unit.outputs[0]), check, job.cancel)
    # the encode's CPU was spent (and counted) in the ingest's decode
    return prepared.width, prepared.height, result, result.cpu_seconds


def web_master_path(job: Job) -> str:
    return f"masters/{job.prefix}_master-web.mp4"
