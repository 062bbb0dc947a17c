"""scene_detection: the master's scenes from ingest (one decode, cached by file identity, the same
cuts as PySceneDetect's ContentDetector), with its frame timeline. Cuts the user edited replace
these scenes once the analysis is done (backend.jobs.project)."""

import msgspec

from backend.media import ingest
from backend.model.detection_params import DEFAULT_MIN_SCENE_LEN, DEFAULT_THRESHOLD
from backend.media.timeline import load_timeline
from backend.ops.base import Job, Operator, Stage, Unit, UnitResult
from backend.ops import one_decode
from backend.ops.operators import register


class DetectParams(msgspec.Struct, kw_only=True):
    threshold: float = DEFAULT_THRESHOLD
    min_scene_len: int = DEFAULT_MIN_SCENE_LEN
    want_proxy: bool = False  # the editor scrubs the VP9 proxy; a plain `process` does not need it


@register
class SceneDetectionOperator(Operator):
    id = "scene_detection"
    label = "Detect scenes"
    stage = Stage.ANALYSIS
    Params = DetectParams

    def plan(self, job: Job) -> list[Unit]:
        return [Unit(op=self.id, name="detect scenes", stage=self.stage, input_file=str(job.master),
                     params=DetectParams(threshold=job.detection.threshold,
                                         min_scene_len=job.detection.min_scene_len,
                                         want_proxy=job.spec.want_proxy))]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        p: DetectParams = unit.params
        # a headless run encodes its web master from this decode (one_decode)
        warnings: list[str] = []
        with one_decode.writing(one_decode.spec_for(job), warnings.append) as web:

            def took(output) -> None:
                if output.prepared is not None:
                    one_decode.record(web, output.prepared)
                elif output.web_error:
                    warnings.append(f"one decode: {output.web_error}; the web master is "
                                    "encoded in a second pass")

            try:
                result = ingest.ingest(
                    job.master, threshold=p.threshold, min_scene_len=p.min_scene_len,
                    cache_root=job.cache_root, want_proxy=p.want_proxy, cancel=job.cancel,
                    on_progress=lambda pr: progress(min(1.0, pr.frames_done / max(pr.frames_total, 1))),
                    web=web, on_web=took, feed=job.scene_feed)
            finally:
                if job.scene_feed is not None:
                    job.scene_feed.close()  # what is not settled yet is left to the units
        progress(1.0)
        return UnitResult(scenes=list(result.scenes), timeline=load_timeline(result),
                          warnings=warnings)
