"""clip_export: one clip per selected scene (in a folder per group when groups are given) and,
when the preset asks, one joined clip per group.

With "scene_cuts" keyframes a clip is a stream copy of the web master: it starts on the IDR
frame the encode placed at the scene's first frame and takes exactly the scene's frames (closed
GOPs: the packets between two IDR frames are exactly that scene's frames). With
"fixed_interval" keyframes a clip is encoded from the master with an exact seek instead."""

import functools
import tempfile
from pathlib import Path

import msgspec

from backend.db.files import FileRecord
from backend.errors import MediaError
from backend.media import encode, ffmpeg, stills
from backend.media import probe as media_probe
from backend.media.atomic import atomic_output
from backend.media.metadata import MOVFLAG_METADATA, ffmpeg_metadata_args
from backend.ops.base import Job, Operator, Unit, UnitResult
from backend.ops.optimization import web_master_path
from backend.ops.registry import register


def clip_path(job: Job, number: int) -> str:
    group = job.group_of(number)
    folder = f"clips/{group}" if group else "clips"
    return f"{folder}/{job.prefix}_s{number:03d}.mp4"


def group_clip_path(job: Job, group: str) -> str:
    """`_group-NAME`, never `_sNNN`: a group named like a scene ("s002") cannot take that scene's
    clip name."""
    return f"clips/{group}/{job.prefix}_group-{group}.mp4"


@functools.lru_cache(maxsize=4)
def _web_times(path: str, mtime_ns: int) -> list[float]:
    return stills.frame_times(path)


def _seek_time(web_master, index: int) -> float:
    """An input seek a quarter frame past the scene's first frame in the web master, which is
    frame for frame the master: with stream copy ffmpeg starts at the keyframe at or before the
    seek point, which is exactly that frame, whatever rounding its timestamps went through."""
    times = _web_times(str(web_master), web_master.stat().st_mtime_ns)
    step = times[index + 1] - times[index] if index + 1 < len(times) else 0.0
    return times[index] + step / 4


@register
class ClipExportOperator(Operator):
    id = "clip_export"
    label = "Export scene clips"
    stage = 2

    def plan(self, job: Job) -> list[Unit]:
        tl = job.timeline
        origin = job.master_info.start_time_s
        units = []
        for scene in job.selected_scenes():
            first, last = job.decoded_range(scene)
            end = tl.times[last + 1] if last + 1 < len(tl) else tl.times[last] + tl.frame_duration(last)
            units.append(Unit(
                op=self.id, name=f"clip scene {scene.number:03d}", stage=self.stage,
                input_file=web_master_path(job), outputs=[clip_path(job, scene.number)],
                params={"scene": scene.number, "start_frame": scene.start_frame,
                        "end_frame": scene.end_frame, "first_index": first, "frames": last - first + 1,
                        "start_time": tl.times[first] - origin, "duration": end - tl.times[first],
                        "group": job.group_of(scene.number)}))
        if job.preset.advanced.join_group_clips:
            selected = set(job.selected)
            for name, members in job.groups.items():
                parts = [clip_path(job, n) for n in members if n in selected]
                if parts:
                    units.append(Unit(
                        op=self.id, name=f"join group {name}", stage=self.stage + 1,
                        input_file=parts[0], outputs=[group_clip_path(job, name)],
                        params={"group": name, "parts": parts,
                                "scenes": [n for n in members if n in selected]}))
        return units

    def execute(self, unit: Unit, job: Job, progress) -> UnitResult:
        if "parts" in unit.params:
            return self._join(unit, job, progress)
        p = unit.params
        settings = job.preset.video
        meta = job.metadata_for(f"Scene {p['scene']}, frames {p['start_frame']}-{p['end_frame']}")
        out = job.path(unit.outputs[0])
        if settings.keyframe_strategy == "scene_cuts":
            source = job.path(unit.input_file)
            args = ["-ss", f"{_seek_time(source, p['first_index']):.6f}", "-i", str(source),
                    "-map", "0:v:0", "-map", "0:a:0?",
                    "-c", "copy", "-frames:v", str(p["frames"]), "-t", f"{p['duration']:.6f}",
                    "-avoid_negative_ts", "make_zero"]
        else:  # encode from the master: decode-accurate seek, then the preset's encode
            source = job.master
            info = job.master_info or media_probe.probe(source)
            chain, _ = encode.scale_filter(info.video.display_width, info.video.display_height,
                                           settings, info.video.avg_fps,
                                           job.preset.advanced.extra_video_filters)
            args = ["-ss", f"{p['start_time']:.6f}", "-i", str(source), "-map", "0:v:0",
                    "-map", "0:a:0?", "-fps_mode", "passthrough", "-vf", chain,
                    "-frames:v", str(p["frames"]), "-t", f"{p['duration']:.6f}",
                    *encode.video_codec_args(settings, job.encoder["family"]),
                    *encode.audio_args(settings, bool(info.audio))]
        with atomic_output(out) as temp:
            result = ffmpeg.run([*args, "-map_metadata", "-1", *ffmpeg_metadata_args(meta, movflags=False),
                                 *encode.movflags(settings, MOVFLAG_METADATA), "-y", str(temp)],
                                duration=p["duration"], cancel=job.cancel,
                                on_progress=lambda pr: pr.fraction is not None and progress(pr.fraction))
            info = media_probe.probe(temp)
            if info.video.frame_count != p["frames"]:
                raise MediaError(f"clip of scene {p['scene']} has {info.video.frame_count} frames, "
                                 f"expected {p['frames']}")
        return UnitResult(files=[FileRecord(
            file_path=unit.outputs[0], file_type="clip", file_category="clips", file_format="mp4",
            resolution=f"{info.video.display_width}x{info.video.display_height}",
            aspect_ratio=info.video.display_aspect_ratio, duration_seconds=info.duration_s,
            frame_number=p["start_frame"], source_file=str(source),
            compression_settings={"mode": "stream copy" if settings.keyframe_strategy == "scene_cuts"
                                  else job.encoder["encoder"], "frames": p["frames"]},
            metadata_embedded=msgspec.to_builtins(meta))],
            peak_rss_mb=(result.peak_rss_bytes or 0) / 1e6 or None,
            cpu_seconds=result.cpu_seconds)

    def _join(self, unit: Unit, job: Job, progress) -> UnitResult:
        p = unit.params
        meta = job.metadata_for(f"Group {p['group']}: scenes {', '.join(map(str, p['scenes']))}")
        out = job.path(unit.outputs[0])
        listing = "".join(f"file '{job.path(part).as_posix()}'\n" for part in p["parts"])
        with tempfile.TemporaryDirectory(prefix="video-archive-join-") as tmp, atomic_output(out) as temp:
            list_file = Path(tmp) / "parts.txt"  # the concat demuxer reads its inputs from a file
            list_file.write_text(listing, encoding="utf-8")
            ffmpeg.run(["-f", "concat", "-safe", "0", "-i", str(list_file), "-map", "0:v:0",
                        "-map", "0:a:0?", "-c", "copy", "-map_metadata", "-1",
                        *ffmpeg_metadata_args(meta, movflags=False),
                        *encode.movflags(job.preset.video, MOVFLAG_METADATA), "-y", str(temp)],
                       cancel=job.cancel)
            info = media_probe.probe(temp)
        progress(1.0)
        return UnitResult(files=[FileRecord(
            file_path=unit.outputs[0], file_type="group_clip", file_category="clips", file_format="mp4",
            resolution=f"{info.video.display_width}x{info.video.display_height}",
            aspect_ratio=info.video.display_aspect_ratio, duration_seconds=info.duration_s,
            source_file=", ".join(p["parts"]), compression_settings={"mode": "concat stream copy"},
            metadata_embedded=msgspec.to_builtins(meta))])
