"""web_segments: the web master's scene segments (backend/media/segments.py), one unit each, so
each is resumable on its own; the web master unit (optimization) joins them. A segment already
in the segment cache (the editor encodes them in the background while the user reviews, and an
earlier export of the same master with the same settings left them) is not encoded again."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import msgspec

from backend.media import encode, ingest_cache, segment_cache, segments
from backend.media.segments import Segment
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops.operators import register


class SegmentParams(msgspec.Struct, kw_only=True):
    segment: Segment


def segmented(job: Job) -> bool:
    """An editor's project (SessionSpec.web_segments) whose preset puts keyframes at the cuts
    and keeps every frame: a frame-rate cap (an fps filter) chooses frames by the whole film's
    clock, so such a preset encodes in one pass."""
    if not job.spec.web_segments:
        return False   # a headless run
    video = job.preset.video
    fps = job.master_info.video.avg_fps
    capped = bool(video.max_fps and fps and fps > video.max_fps + 1e-3)
    return video.keyframe_strategy == "scene_cuts" and not capped


def scaled(job: Job) -> tuple[str, tuple[int, int]]:
    """The encode's filter chain and frame size (as the one-pass web master's)."""
    video = job.master_info.video
    return encode.scale_filter(video.display_width, video.display_height, job.preset.video,
                               video.avg_fps, job.preset.advanced.extra_video_filters)


def job_segments(job: Job) -> list[Segment]:
    """The segments of the whole film at the session's cuts (decoded indices)."""
    frames = len(job.timeline)
    cuts = [job.first_index(s) for s in job.scenes[1:]]
    return segments.plan(cuts, frames, segments.grid_step(frames, job.master_info.duration_s))


def store(job: Job) -> segments.Store:
    identity = job.spec.master_identity or ingest_cache.master_identity(job.master)
    return segments.store_for(job.cache_root, identity, settings=job.preset.video,
                              family=job.encoder.family, chain=scaled(job)[0])


@contextlib.contextmanager
def in_use(job: Job) -> Iterator[None]:
    """While an export runs, its segments are pinned: no cleanup removes them."""
    if not segmented(job) or job.timeline is None:
        yield
        return
    with segment_cache.in_use(store(job).folder, [s.name for s in job_segments(job)]):
        yield


def tidy(job: Job) -> None:
    """After a completed export: its store keeps this export's segments (a reopened project
    reuses them), the rest of the store goes, and the cache stays within its bound."""
    if segmented(job) and job.timeline is not None:
        segment_cache.after_export(store(job).folder, [s.name for s in job_segments(job)],
                                   job.cache_root)


def unit_name(seg: Segment) -> str:
    return f"web segment {seg.first:06d}-{seg.last:06d}"


def encode_segments(job: Job, wanted: list[Segment], progress=None) -> UnitResult:
    made, cpu, rss = segments.encode_missing(
        job.master, store(job), wanted, timeline=job.timeline, chain=scaled(job)[0],
        settings=job.preset.video, family=job.encoder.family, cancel=job.cancel,
        on_progress=progress)
    return UnitResult(cpu_seconds=cpu, peak_rss_mb=rss / 1e6 or None, gpu=job.encoder.gpu and made > 0)


@register
class WebSegmentsOperator(Operator):
    id = "web_segments"
    label = "Encode the web master's segments"
    stage = Stage.SOURCE
    Params = SegmentParams
    critical_path = True
    needs_timeline = True

    def plan(self, job: Job) -> list[Unit]:
        if not segmented(job):
            return []
        return [Unit(op=self.id, name=unit_name(seg), stage=self.stage, input_file=str(job.master),
                     params=SegmentParams(segment=seg)) for seg in job_segments(job)]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        result = encode_segments(job, [unit.params.segment], progress)
        progress(1.0)
        return result
