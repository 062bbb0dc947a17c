"""One decode for a headless run (issue 21, part 1): whether a job's web master can be encoded
by the ingest's own decode (backend.media.web_branch), where that encode goes, and how the web
master unit takes it up.

Eligible: a `process` run (not an editor project, whose web master is scene segments), the
preset's `scene_cuts` keyframes, no frame-rate cap, H.264 in yuv420p, cuts from detection (with
`--cuts` the two-pass encode runs), a POSIX system (ffmpeg writes the frames to an inherited
pipe). `VIDEO_ARCHIVE_ONE_DECODE=0` keeps the two-pass path (bench/process measures both).

The encode lives in the cache (`CACHE/web-one-decode/<master key>-<settings key>.mp4` and its
`.json`), never in the archive: a kill -9 during the decode leaves at most a `.partial-` file
there (removed by the next one-decode run of the same master and settings, or after a day), and the analysis is run again on resume; a kill after
it finds the file and muxes it. When the file is gone, or its IDR frames do not hold the cuts,
the web master unit encodes in a second pass as before: every path ends in the same archive."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import msgspec

from backend.media import encode, ffmpeg, web_branch
from backend.media.atomic import remove_stale_partials, write_bytes_atomic
from backend.media.ingest_cache import entry_key, master_identity
from backend.ops.base import Job

try:
    import fcntl
except ImportError:  # Windows: no one decode there (eligible)
    fcntl = None

ENV_SWITCH = "VIDEO_ARCHIVE_ONE_DECODE"


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1") != "0"


def eligible(job: Job) -> bool:
    video = job.preset.video
    fps = job.master_info.video.avg_fps
    capped = bool(video.max_fps and fps and fps > video.max_fps + 1e-3)
    return (enabled() and os.name == "posix" and not job.spec.web_segments
            and job.spec.user_cuts is None and video.keyframe_strategy == "scene_cuts"
            and not capped and video.codec == "h264" and video.pix_fmt == "yuv420p"
            and job.encoder.family in ("x264", "nvenc"))


def spec_for(job: Job) -> web_branch.BranchSpec | None:
    """The web branch of this job's ingest, or None when the job is not eligible."""
    if not eligible(job):
        return None
    info = job.master_info
    chain, (w, h) = encode.scale_filter(info.video.display_width, info.video.display_height,
                                        job.preset.video, info.video.avg_fps,
                                        job.preset.advanced.extra_video_filters)
    codec, options = web_branch.codec_options(job.preset.video, job.encoder.family)
    if not _encodes(codec):  # PyAV's own libraries may lack it (h264_nvenc): two passes then
        return None
    color = _colour(job.master)
    key = web_branch.settings_key({
        "chain": chain, "size": [w, h], "codec": codec, "options": options, "color": color,
        "av": av.__version__, "libs": {k: list(v) for k, v in av.library_versions.items()},
        "ffmpeg": list(_binary_identity()),
        # the IDRs sit on this detection's cuts: another threshold keeps its own file
        "detection": [job.detection.threshold, job.detection.min_scene_len]})
    folder = Path(job.cache_root) / web_branch.PREPARED_DIR
    name = f"{entry_key(master_identity(Path(job.master).resolve()))}-{key}.mp4"
    return web_branch.BranchSpec(chain=chain, width=w, height=h, codec=codec, options=options,
                                 out=str(folder / name), color=color)


@contextlib.contextmanager
def writing(spec: web_branch.BranchSpec | None,
            warn: Callable[[str], None] = lambda text: None) -> Iterator[web_branch.BranchSpec | None]:
    """Held while this job's ingest encodes `spec.out`: an exclusive lock beside it, which the
    kernel drops when the job dies. Taken, it yields `spec`, after removing what dead writers of
    this output left (`.partial-` files) and any other partial untouched for a day; other jobs
    sharing the cache may be encoding their own files in this folder right now. Not taken
    (another job encodes the same master with the same settings now), it yields None and says
    so through `warn`: this job encodes its web master in the second pass."""
    if spec is None or fcntl is None:
        yield None
        return
    out = Path(spec.out)
    lock = out.with_name(out.name + ".lock")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd = _locked(lock)
    except OSError:  # a cache it cannot write: the one decode is only a saving
        yield None
        return
    if fd is None:
        warn("one decode: another job is encoding this master's web master with the same "
             "settings right now; this one encodes its own in a second pass")
        yield None
        return
    try:
        remove_stale_partials(out.parent, of=out, older_than_s=0)  # its dead writers' (the lock)
        remove_stale_partials(out.parent)
        yield spec
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()  # held: nobody can have taken it; the cache keeps no lock files
        os.close(fd)


def _locked(lock: Path) -> int | None:
    """An open descriptor holding the exclusive lock on the file `lock` names now, or None while
    another job holds it. A writer removes its lock file when done, so a lock taken on a file
    that has since been removed (or replaced) is let go and taken again on the current one."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:
            if os.stat(lock).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def record(spec: web_branch.BranchSpec, prepared: web_branch.Prepared) -> None:
    """The sidecar that says which frames of the prepared file are IDRs (written after it)."""
    write_bytes_atomic(Path(spec.out + ".json"), msgspec.json.encode(prepared))


def prepared_for(job: Job, cut_indices: list[int], frames: int) -> web_branch.Prepared | None:
    """The one-decode encode of this job's master and settings, if it holds every frame and its
    IDRs are the first frame and the cuts."""
    spec = spec_for(job)
    if spec is None:
        return None
    side = Path(spec.out + ".json")
    try:
        prepared = msgspec.json.decode(side.read_bytes(), type=web_branch.Prepared)
    except (OSError, msgspec.DecodeError):
        return None
    if (prepared.video != spec.out or not Path(spec.out).is_file() or prepared.frames != frames
            or set(prepared.idr_indices) != {0, *cut_indices}):
        # exactly the cuts' IDRs: an archive never depends on which run left the file
        return None
    return prepared


def mux(job: Job, prepared: web_branch.Prepared, out: Path, check, cancel) -> ffmpeg.RunResult:
    """The web master from the prepared video by stream copy, with the master's sound encoded
    as the two-pass encode does and the archive's metadata. The video starts as late after the
    master's start as the master's own video stream does."""
    info = job.master_info
    settings = job.preset.video
    audio = settings.audio == "aac" and bool(info.audio)
    offset = max(0.0, (info.video.start_time_s or 0.0) - (info.start_time_s or 0.0))
    args = ["-itsoffset", f"{offset:.6f}", "-i", prepared.video]
    if audio:
        args += ["-i", str(job.master)]
    args += ["-map", "0:v:0", *(["-map", "1:a:0"] if audio else []), "-c:v", "copy",
             *encode.audio_args(settings, audio)]
    return encode.encode_file(args, out, settings=settings, metadata=job.metadata,
                              duration=info.duration_s, cancel=cancel, check=check)


def _encodes(codec: str) -> bool:
    try:
        av.codec.Codec(codec, "w")
    except (av.FFmpegError, ValueError):
        return False
    return True


def _colour(master) -> dict[str, int]:
    """The master's colour tags, which the two-pass encode's ffmpeg hands its encoder as they
    are (the scale filter converts the format, not the matrix)."""
    try:
        with av.open(str(master)) as container:
            ctx = container.streams.video[0].codec_context
            return {"colorspace": int(ctx.colorspace), "color_primaries": int(ctx.color_primaries),
                    "color_trc": int(ctx.color_trc), "color_range": int(ctx.color_range)}
    except (av.FFmpegError, IndexError, OSError, ValueError, TypeError):
        return {}


def _binary_identity() -> tuple[str, int, int]:
    """The ffmpeg that scales the frames (another build may scale differently)."""
    path = ffmpeg.find_ffmpeg()
    stat = os.stat(path)
    return (str(path), stat.st_size, stat.st_mtime_ns)
