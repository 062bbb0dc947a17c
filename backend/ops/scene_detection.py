"""scene_detection: the master's scenes from ingest (one decode, cached by file identity, the same
cuts as PySceneDetect's ContentDetector), or from cuts the user edited in the timeline."""

from backend.db.structs import Scene
from backend.errors import InputError
from backend.media import ingest
from backend.media.timeline import FrameTimeline
from backend.ops.base import Job, Operator, Unit, UnitResult
from backend.ops.registry import register


@register
class SceneDetectionOperator(Operator):
    id = "scene_detection"
    label = "Detect scenes"
    stage = 0

    def plan(self, job: Job) -> list[Unit]:
        return [Unit(op=self.id, name="detect scenes", stage=self.stage, input_file=str(job.master),
                     params={"threshold": job.threshold, "min_scene_len": job.min_scene_len})]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        result = ingest.ingest(
            job.master, threshold=job.threshold, min_scene_len=job.min_scene_len,
            cache_root=job.cache_root, want_proxy=False, cancel=job.cancel,
            on_progress=lambda p: progress(min(1.0, p.frames_done / max(p.frames_total, 1))))
        numbers, seconds = ingest.load_frame_table(result)
        # absolute presentation times: what seeking the master (stills) works with
        job.timeline = FrameTimeline(numbers, seconds + result.time_origin_s, result.time_origin_s)
        # cuts the user edited replace these when the export is planned (scenes_from_cuts)
        job.scenes = [Scene(number=s.number, start_frame=s.start_frame, end_frame=s.end_frame,
                            start_time=s.start_time, end_time=s.end_time, start_index=s.start_index)
                      for s in result.scenes]
        progress(1.0)
        return UnitResult()


def scenes_from_cuts(cuts: list[int], timeline: FrameTimeline, detected: list[Scene] = ()) -> list[Scene]:
    """Scenes from a list of cut frame numbers (each the first frame of a scene after the first),
    as the editor sends them; frame numbers as scene detection numbers them. A cut where
    detection also cut starts on the frame detection chose (timestamp numbering can give two
    frames one number); any other on the first frame with its number."""
    first, last = timeline.numbers[0], timeline.numbers[-1]
    ordered = sorted(set(int(c) for c in cuts))
    bad = [c for c in ordered if not first < c <= last]
    if bad:
        raise InputError(f"cut at frame {bad[0]} is outside the master (frames {first + 1}-{last})")
    starts = [first, *ordered]
    ends = [c - 1 for c in ordered] + [last]
    end_time = timeline.times[-1] + timeline.frame_duration(len(timeline) - 1)
    known = {s.start_frame: s.start_index for s in detected if s.start_index is not None}
    indices = [0] + [known.get(c, timeline.index(c)) for c in ordered]
    times = [timeline.times[i] - timeline.origin for i in indices] + [end_time - timeline.origin]
    return [Scene(number=n, start_frame=s, end_frame=e, start_time=times[n - 1], end_time=times[n],
                  start_index=i)
            for n, (s, e, i) in enumerate(zip(starts, ends, indices), 1)]
