"""The web master as scene segments: each segment is a run of the master's decoded frames encoded
on its own, starting with an IDR frame, all with the same settings, so that the web master is
their concatenation by stream copy and an edit re-encodes only the segments it touched.

Segments end at every cut and, inside a scene, on a grid of about SEGMENT_SECONDS of frames (a
grid point closer than half a grid step to a cut is dropped, so no sliver segments): moving a
cut changes only the segments within a grid step of its old and new place, however long the
scene. A segment is kept in the segment cache under (master identity, first and last decoded
frame, encoder settings), beside the ingest cache:

    segments/<master key>/<settings key>/<first>-<last>.mp4

Each missing segment is encoded by its own ffmpeg (`-ss` to a time between its first frame and
the one before, exactly its frames), written under a temporary name and renamed into the cache
when complete: a segment is a resumable unit, and its bytes depend on its key alone.

x264 (and NVENC) write the same parameter sets (SPS/PPS) for the same settings; `assemble`
checks it before joining and refuses, naming the segments, when they differ (a concatenation of
streams with different parameter sets does not decode)."""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import av
import msgspec

from backend.errors import MediaError
from backend.media import encode, ffmpeg, ingest_cache, segment_cache, stills
from backend.media import probe as media_probe
from backend.media.atomic import PARTIAL_MARKER, atomic_output
from backend.media.metadata import ArchiveMetadata
from backend.media.timeline import FrameTimeline

FORMAT_VERSION = 1          # bump when a segment's content for the same key changes
SEGMENT_SECONDS = 2.0       # the grid inside a scene: a usual streaming GOP
PREROLL = 20              # frames encoded before a segment: x264 rates an IDR by the last ~20 P frames
POSTROLL = 8                # and after it: the segment ends as it would before an IDR


class Segment(msgspec.Struct, frozen=True, array_like=True):
    first: int   # decoded index of its first frame
    last: int    # decoded index of its last frame (inclusive)

    @property
    def frames(self) -> int:
        return self.last - self.first + 1

    @property
    def name(self) -> str:
        return f"{self.first:07d}-{self.last:07d}.mp4"


def grid_step(frame_count: int, duration_s: float) -> int:
    """Frames in SEGMENT_SECONDS at the master's average rate (at least 2)."""
    fps = frame_count / duration_s if duration_s > 0 else 25.0
    return max(2, round(SEGMENT_SECONDS * fps))


def plan(cut_indices: Sequence[int], frame_count: int, step: int) -> list[Segment]:
    """Segments covering decoded frames 0 .. frame_count - 1, starting at every cut and at the
    grid points (multiples of `step`) at least step / 2 away from every cut."""
    if frame_count < 1:
        raise MediaError("a web master needs at least one frame")
    cuts = sorted({c for c in cut_indices if 0 < c < frame_count})
    starts = set(cuts) | {0}
    for g in range(step, frame_count, step):
        i = bisect.bisect_left(cuts, g)
        near = [cuts[j] for j in (i - 1, i) if 0 <= j < len(cuts)]
        if all(2 * abs(g - c) >= step for c in near):
            starts.add(g)
    ordered = sorted(starts)
    return [Segment(a, b - 1) for a, b in zip(ordered, ordered[1:] + [frame_count])]


class Store:
    """One folder of the segment cache: one master, one set of encoder settings."""

    def __init__(self, cache_root: str | os.PathLike, master_key: str, settings_key: str):
        self.folder = (Path(cache_root).expanduser().absolute() / segment_cache.FOLDER / master_key
                       / settings_key)

    def path(self, seg: Segment) -> Path:
        return self.folder / seg.name

    def missing(self, segments: Sequence[Segment]) -> list[Segment]:
        return [s for s in segments if not self.path(s).is_file()]


def store_for(cache_root, identity, *, settings, family: str, chain: str) -> Store:
    """The store for a master (its ingest_cache identity) and the encode's settings: every video
    setting, the encoder, the filter chain and the ffmpeg binary (another build may write other
    parameter sets)."""
    binary = ffmpeg.find_ffmpeg()
    stat = Path(binary).stat()
    payload = msgspec.json.encode([FORMAT_VERSION, family, msgspec.to_builtins(settings), chain,
                                   str(binary), stat.st_size, stat.st_mtime_ns])
    return Store(cache_root, ingest_cache.entry_key(identity), hashlib.sha256(payload).hexdigest()[:20])


_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    """One encoder per segment in this process at a time (the editor's background encode and an
    export's units meet here; different segments encode side by side); another process only
    duplicates work: files land by rename."""
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


def encode_missing(master: str | os.PathLike, store: Store, segments: Sequence[Segment], *,
                   timeline: FrameTimeline, chain: str, settings, family: str,
                   cancel: threading.Event | None = None,
                   on_progress: Callable[[float], None] | None = None) -> tuple[int, float, float]:
    """Encode those of `segments` the store lacks, one ffmpeg each. Returns (segments encoded,
    CPU seconds, peak RSS bytes) of the ffmpeg runs."""
    todo = store.missing(segments)
    segment_cache.touch(store.path(s) for s in segments if s not in todo)  # used again
    total = sum(s.frames for s in todo) or 1
    done_frames, made, cpu, rss = 0, 0, 0.0, 0.0
    for seg in todo:
        with _lock_for(store.path(seg)):
            if not store.path(seg).is_file():  # another thread may have made it meanwhile
                result = encode_one(master, store, seg, timeline=timeline, chain=chain,
                                    settings=settings, family=family, cancel=cancel,
                                    on_progress=None if on_progress is None else
                                    (lambda f, base=done_frames, n=seg.frames:
                                     on_progress((base + f * n) / total)))
                made += 1
                cpu += result.cpu_seconds or 0.0
                rss = max(rss, result.peak_rss_bytes or 0)
        done_frames += seg.frames
    return made, cpu, rss


def encode_one(master, store: Store, seg: Segment, *, timeline: FrameTimeline, chain: str,
               settings, family: str, cancel=None, on_progress=None) -> ffmpeg.RunResult:
    """Encode one segment into the store. An encoder of its own for each segment: its bytes
    depend on its frames and the settings only (not on what was encoded before or after it, as
    x264's lookahead and VBV would make them in one long run), so the cache key says it all.

    The encode starts PREROLL frames early and ends POSTROLL frames late, with IDRs forced at
    the segment's first frame and at the frame after its last; a stream copy then keeps only
    the segment's packets. A fresh encoder's rate control has no history and spends its first
    frames at a coarser quantiser, and an encoder at its end of stream its last frames (2 to 7 dB
    and 1 to 2 dB PSNR below a one-pass encode at the same frames, measured on counter.mp4):
    with the rolls each frame is encoded as in one long encode with IDRs at the joins."""
    lead = min(PREROLL, seg.first)
    tail = min(POSTROLL, len(timeline) - 1 - seg.last)
    first = seg.first - lead
    start = timeline.cut_time(first)  # between the frame before and the first: exact seek
    seek = ["-ss", f"{start - timeline.origin:.6f}"] if first else []
    idr = timeline.times[seg.first] - timeline.times[first]   # its time after setpts
    frames = seg.frames + lead + tail
    end = seg.last + tail
    duration = timeline.times[end] - timeline.times[first] + timeline.frame_duration(end)
    keys = [timeline.cut_time(i) - timeline.times[first] for i in
            ([seg.first] if lead else []) + ([seg.last + 1] if tail else [])]
    rolls = lead or tail
    store.folder.mkdir(parents=True, exist_ok=True)
    with atomic_output(store.path(seg)) as temp:
        rolled = temp.with_name(temp.stem + "-rolls.mp4") if rolls else temp
        try:
            result = ffmpeg.run(
                [*seek, "-i", str(master), "-map", "0:v:0", "-an", "-sn", "-dn",
                 "-fps_mode", "passthrough", "-vf", f"setpts=PTS-STARTPTS,{chain}",
                 "-frames:v", str(frames),
                 *encode.video_codec_args(settings, family, keyframe_times=keys),
                 "-map_metadata", "-1", "-y", str(rolled)],
                duration=duration, cancel=cancel,
                on_progress=None if on_progress is None else
                (lambda p: p.fraction is not None and on_progress(p.fraction)))
            if rolls:  # from the IDR on (a stream-copy seek lands on the keyframe at or before)
                step = timeline.frame_duration(seg.first)
                seek_in = ["-ss", f"{idr + step / 4:.6f}"] if lead else []
                ffmpeg.run([*seek_in, "-i", str(rolled), "-map", "0:v:0",
                            "-c", "copy", "-frames:v", str(seg.frames),
                            "-avoid_negative_ts", "make_zero", "-map_metadata", "-1", "-y",
                            str(temp)], cancel=cancel)
        finally:
            if rolls:
                with contextlib.suppress(OSError):
                    rolled.unlink()
        _check_frames(temp, seg, timeline)
    return result


def _check_frames(path: Path, seg: Segment, timeline: FrameTimeline) -> None:
    """The segment holds exactly its frames: as many, at the master's times (from its first),
    none of the pre- or post-roll (each would sit a frame or more away)."""
    if seg.frames == 0:
        return
    got = stills.frame_times(path)
    got = [t - got[0] for t in got]  # a stream with B-frames may start later than 0
    want = [t - timeline.times[seg.first] for t in timeline.times[seg.first:seg.last + 1]]
    if len(got) != len(want):
        raise MediaError(f"segment {seg.first}-{seg.last} of the web master has {len(got)} "
                         f"frames, expected {seg.frames}")
    tolerance = min(timeline.frame_duration(i) for i in range(seg.first, seg.last + 1)) / 2
    off = next((i for i, (a, b) in enumerate(zip(got, want)) if abs(a - b) >= tolerance), None)
    if off is not None:
        raise MediaError(f"segment {seg.first}-{seg.last} of the web master holds frame "
                         f"{seg.first + off} at {got[off]:.4f} s, expected {want[off]:.4f} s")


def packet_count(path: str | os.PathLike) -> int:
    """Video packets in a file (one per frame), by demuxing only."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for packet in container.demux(stream) if packet.size)


def parameter_sets(path: str | os.PathLike) -> bytes:
    """The stream's global header (avcC/hvcC: SPS and PPS), as muxed."""
    with av.open(str(path)) as container:
        return bytes(container.streams.video[0].codec_context.extradata or b"")


def check_parameter_sets(paths: Sequence[Path]) -> None:
    """Fail loudly when a segment's parameter sets differ from the first's: their concatenation
    would not decode. The odd segments are dropped from the cache, so the next run makes them
    again with the current encoder."""
    if not paths:
        return
    reference = parameter_sets(paths[0])
    odd = [p for p in paths[1:] if parameter_sets(p) != reference]
    if odd:
        for path in odd:
            with contextlib.suppress(OSError):
                path.unlink()
        raise MediaError(f"{len(odd)} web master segment(s) were encoded with other parameter sets "
                         f"than {paths[0].name} (first: {odd[0].name}); they were removed from "
                         "the cache: run the export again to encode them anew")


def assemble(master: str | os.PathLike, store: Store, segments: Sequence[Segment],
             out: str | os.PathLike, *, timeline: FrameTimeline, settings,
             metadata: ArchiveMetadata, info: media_probe.MediaInfo,
             cancel: threading.Event | None = None) -> ffmpeg.RunResult:
    """The web master: `segments` (all in the store) joined by stream copy, each given its exact
    duration on the master's clock (so variable frame rates keep their timing at every join),
    with the master's audio encoded alongside when the preset keeps audio."""
    paths = [store.path(s) for s in segments]
    lost = [p.name for p in paths if not p.is_file()]
    if lost:
        raise MediaError(f"{len(lost)} web master segment(s) are not in the cache (first: "
                         f"{lost[0]}): run the export again to encode them")
    check_parameter_sets(paths)
    segment_cache.touch(paths)
    expected = sum(s.frames for s in segments)
    lines = []
    for seg, path in zip(segments, paths):
        end = timeline.times[seg.last] + timeline.frame_duration(seg.last)
        lines.append(f"file '{path.as_posix()}'\nduration {end - timeline.times[seg.first]:.6f}\n")
    audio = settings.audio == "aac" and bool(info.audio)

    def check(temp: Path) -> None:
        count = media_probe.probe(temp).video.frame_count
        if count != expected:
            raise MediaError(f"the joined web master has {count} frames, the segments {expected}")

    work = store.folder / f"{PARTIAL_MARKER}join-{os.getpid()}-{secrets.token_hex(3)}.txt"
    work.write_text("".join(lines), encoding="utf-8")
    try:
        return encode.encode_file(
            ["-f", "concat", "-safe", "0", "-i", str(work),
             *(["-i", str(master), "-map", "1:a:0"] if audio else []), "-map", "0:v:0",
             "-c:v", "copy", *encode.audio_args(settings, audio)],
            out, settings=settings, metadata=metadata, duration=info.duration_s, cancel=cancel,
            check=check)
    finally:
        with contextlib.suppress(OSError):
            work.unlink()
