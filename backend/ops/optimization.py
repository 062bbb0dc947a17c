"""optimization: the web master, encoded once for the whole archive. With the preset's
"scene_cuts" keyframe strategy every scene starts on an IDR frame, so each clip is a frame-exact
stream copy of this file and nothing is encoded twice."""

import msgspec

from backend.db.files import FileRecord
from backend.errors import MediaError
from backend.media import encode, ffmpeg
from backend.media import probe as media_probe
from backend.media.atomic import atomic_output
from backend.media.geometry import aspect_ratio
from backend.media.metadata import MOVFLAG_METADATA, ffmpeg_metadata_args
from backend.ops.base import Job, Operator, Unit, UnitResult
from backend.ops.registry import register


@register
class OptimizationOperator(Operator):
    id = "optimization"
    label = "Encode the web master"
    stage = 1
    critical_path = True

    def check(self, job: Job) -> None:
        job.preset.video.check_encoder(job.encoder["family"])

    def plan(self, job: Job) -> list[Unit]:
        video = job.master_info.video
        # ffmpeg's output clock starts at the input's start time; the timeline's times are absolute
        origin = job.master_info.start_time_s
        cuts = [job.timeline.cut_time(job.first_index(s)) - origin for s in job.scenes[1:]]
        params = {
            "display_width": video.display_width, "display_height": video.display_height,
            "source_fps": video.avg_fps, "duration": job.master_info.duration_s,
            "has_audio": bool(job.master_info.audio), "keyframe_times": cuts,
            "expected_frames": len(job.timeline),
        }
        return [Unit(op=self.id, name="encode web master", stage=self.stage,
                     input_file=str(job.master), outputs=[web_master_path(job)], params=params)]

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        p = unit.params
        settings = job.preset.video
        chain, (w, h) = encode.scale_filter(p["display_width"], p["display_height"], settings,
                                            p["source_fps"], job.preset.advanced.extra_video_filters)
        out = job.path(unit.outputs[0])
        maps = ["-map", "0:v:0"] + (["-map", "0:a:0"] if settings.audio == "aac" and p["has_audio"] else [])
        with atomic_output(out) as temp:
            result = ffmpeg.run(
                ["-i", str(job.master), *maps, "-fps_mode", "passthrough", "-vf", chain,
                 *encode.video_codec_args(settings, job.encoder["family"],
                                          keyframe_times=p["keyframe_times"]),
                 *encode.audio_args(settings, p["has_audio"]),
                 "-map_metadata", "-1", *ffmpeg_metadata_args(job.metadata, movflags=False),
                 *encode.movflags(settings, MOVFLAG_METADATA), "-y", str(temp)],
                duration=p["duration"], cancel=job.cancel,
                on_progress=lambda pr: pr.fraction is not None and progress(pr.fraction))
            frames = media_probe.probe(temp).video.frame_count
            if settings.max_fps is None and frames != p["expected_frames"]:
                raise MediaError(f"the web master has {frames} frames, the master "
                                 f"{p['expected_frames']}: the encode dropped or duplicated frames")
        return UnitResult(
            files=[FileRecord(file_path=unit.outputs[0], file_type="master_web", file_category="masters",
                            file_format="mp4", resolution=f"{w}x{h}", aspect_ratio=aspect_ratio(w, h),
                            duration_seconds=p["duration"], source_file=str(job.master),
                            compression_settings={"encoder": job.encoder["encoder"],
                                                  **msgspec.to_builtins(settings)},
                            metadata_embedded=msgspec.to_builtins(job.metadata))],
            peak_rss_mb=(result.peak_rss_bytes or 0) / 1e6 or None,
            cpu_seconds=result.cpu_seconds, gpu=job.encoder["gpu"])


def web_master_path(job: Job) -> str:
    return f"masters/{job.prefix}_master-web.mp4"
