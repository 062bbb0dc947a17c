"""The one decode of an ingest: a single ffmpeg process decodes the master once, scales every
frame once, inside its own filter graph and threads, to
  - detection frames at PySceneDetect's working size (BGR24 on stdout, scored here by
    scenedetect's ContentDetector),
and makes from those
  - a small JPEG of every frame (the frame-thumbnail cache; the sprite sheets are made from it),
  - optionally the VP9/WebM scrubbing proxy.
Timestamps come from a `showinfo` filter on the detection branch, read from stderr in a thread.
Python does only the per-frame detector call, so memory stays flat: one frame buffer, plus a few
numbers per frame (timestamps and scores)."""

from __future__ import annotations

import array
import dataclasses
import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
from scenedetect.detectors import ContentDetector

try:
    import fcntl
except ImportError:  # Windows: pipes keep their default size
    fcntl = None

from backend.errors import Cancelled, MediaError
from backend.media import scene_cuts, waveform
from backend.media.ffmpeg import kill, spawn, stop, strip_log_prefix
from backend.media.ingest_result import IngestProgress
from backend.media.scene_feed import SceneFeed
from backend.media.web_branch import Branch, BranchSpec, Prepared

THUMBS_NAME = "frames.mjpeg"
PROXY_NAME = "proxy.webm"

# Opus in WebM plays in Chromium and Qt WebEngine alike; 96 kb/s is transparent enough to judge
# a cut by ear and small beside the picture
PROXY_AUDIO_ARGS = ["-c:a", "libopus", "-b:a", "96k", "-application", "audio"]

PROGRESS_INTERVAL_S = 0.25   # at most four progress calls a second
THUMB_QUALITY = 5            # mjpeg qscale: about 3 KB for a 160x90 frame


@dataclasses.dataclass(frozen=True)
class PassPlan:
    master: Path
    stream_index: int            # absolute stream index in the file
    start_pts: int               # the video stream's start_time, in its time base
    time_base: Fraction
    rate: Fraction               # nominal rate frames are numbered with
    frame_size: tuple[int, int]  # decoded (autorotated) size
    display_size: tuple[int, int]  # as shown: sample aspect ratio and rotation applied
    detect_size: tuple[int, int]
    thumb_size: tuple[int, int]
    proxy_size: tuple[int, int] | None
    proxy_gop: int
    threshold: float
    min_scene_len: int
    frames_total: int
    audio_stream: int | None = None  # absolute index of the audio stream decoded for peaks/proxy
    audio_channels: int = 0          # channels kept (waveform.MAX_CHANNELS at most)
    audio_rate: int = 0              # its sample rate
    web: BranchSpec | None = None    # encode the web master from this decode (web_branch)

    @property
    def start_s(self) -> Fraction:
        """The video stream's start in seconds: the frame timeline's origin."""
        return self.start_pts * self.time_base


@dataclasses.dataclass
class PassOutput:
    microseconds: np.ndarray     # int64 per decoded frame, OpenCV-style time (see scene_cuts)
    scores: np.ndarray           # float64 per decoded frame: ContentDetector's content_val
    cuts: list[scene_cuts.FramePosition]
    seconds: float
    prepared: Prepared | None = None   # the web master from this decode (plan.web)
    web_error: str | None = None       # why the web branch gave nothing, when it failed
    web_peak_frames: int = 0           # most full-size frames it held at once


def build_args(plan: PassPlan, out_dir: Path, threads: int, web_fd: int | None = None) -> list[str]:
    """ffmpeg arguments (after the binary) for the pass. Timestamps are copied untouched
    (-copyts) so the detection branch reports the stream's own pts; the proxy restarts at zero.

    The full-size picture is scaled once, to the detection frames; the thumbnails and the proxy
    are made from those. A 480x270 proxy scaled from the full-size picture cost 1.16-1.25x the
    no-proxy pass's CPU time, one from the detection frames 0.98-1.09x (docs/ingest.md, "Speed").
    """
    dw, dh = plan.detect_size
    tw, th = plan.thumb_size
    resize = "" if plan.detect_size == plan.frame_size else f"scale={dw}:{dh}:flags=fast_bilinear,"
    branches = "split=3[det][thumb_in][prx_in]" if plan.proxy_size else "split=2[det][thumb_in]"
    source = f"[0:{plan.stream_index}]"
    chains = []
    if plan.web is not None and web_fd is not None:
        # the full-size picture, before the detection scaler, through the web master's chain
        chains.append(f"{source}split=2[full][det_src]")
        chains.append(f"[full]{plan.web.chain}[web]")
        source = "[det_src]"
    chains += [
        # fast_bilinear straight to BGR24 is what gives PySceneDetect's cuts (bilinear, area and
        # bicubic made false cuts on fades); OpenCV's own resize cannot be reproduced exactly
        f"{source}{resize}format=bgr24,showinfo@det=checksum=0,{branches}",
        f"[thumb_in]scale={tw}:{th}:flags=area:out_range=pc,setsar=1,format=yuv420p[thumbs]",
    ]
    if plan.audio_stream is not None:
        chains.append(audio_chain(plan, ["pcm", "proxy_audio"] if plan.proxy_size else ["pcm"]))
    if plan.proxy_size:
        # square pixels at the display aspect (no resizing for 16:9)
        chains.append(proxy_video_chain("prx_in", plan.proxy_size, "bilinear"))
    args = ["-nostats", "-loglevel", "level+info", "-threads", str(threads),
            "-filter_complex_threads", str(threads), "-copyts", "-i", str(plan.master),
            "-filter_complex", ";".join(chains),
            "-map", "[det]", "-fps_mode", "passthrough", "-f", "rawvideo", "pipe:1",
            "-map", "[thumbs]", "-fps_mode", "passthrough", "-c:v", "mjpeg",
            "-q:v", str(THUMB_QUALITY), "-f", "mjpeg", str(out_dir / THUMBS_NAME)]
    if plan.audio_stream is not None:
        args += ["-map", "[pcm]", "-ac", str(plan.audio_channels), "-c:a", "pcm_s16le",
                 "-f", "s16le", str(out_dir / waveform.PCM_NAME)]
    if plan.proxy_size:
        args += proxy_output_args(plan, out_dir / PROXY_NAME)
    if plan.web is not None and web_fd is not None:
        args += ["-map", "[web]", "-fps_mode", "passthrough", "-f", "rawvideo",
                 "-pix_fmt", "yuv420p", f"pipe:{web_fd}"]
    return args


def audio_chain(plan: PassPlan, outputs: list[str]) -> str:
    """The audio, decoded once: shifted so that 0 s is the first video frame's time (the proxy's
    video restarts at zero), then padded with silence or trimmed to start exactly there
    (aresample's first_pts), so sample k of the peaks and of the proxy's sound sits k / rate
    seconds after frame 0 even when the streams start apart."""
    start = plan.start_s
    shift = f"asetpts=PTS-{start.numerator}/{start.denominator}/TB," if start else ""
    tail = (f"asplit={len(outputs)}" if len(outputs) > 1 else "anull") + \
        "".join(f"[{name}]" for name in outputs)
    return f"[0:{plan.audio_stream}]{shift}aresample=async=1:first_pts=0,{tail}"


def proxy_video_chain(source: str, size: tuple[int, int], flags: str) -> str:
    """The proxy's picture from `source`: timestamps from zero at the first frame, square pixels
    at `size`, RGB or YUV back to Rec. 709 YUV, tagged as such so both web engines convert it back
    alike."""
    return (f"[{source}]setpts=PTS-STARTPTS,scale={size[0]}:{size[1]}:flags={flags}:"
            "out_color_matrix=bt709:out_range=tv,setsar=1,format=yuv420p[proxy]")


def proxy_output_args(plan: PassPlan, path: Path) -> list[str]:
    """The proxy output: every decoded frame (passthrough), VP9, and the sound when there is."""
    args = ["-map", "[proxy]", "-fps_mode", "passthrough", *_proxy_encoder_args(plan.proxy_gop)]
    if plan.audio_stream is not None:
        args += ["-map", "[proxy_audio]", "-ac", str(plan.audio_channels), *PROXY_AUDIO_ARGS]
    return args + ["-f", "webm", str(path)]


def _proxy_encoder_args(gop: int) -> list[str]:
    """libvpx VP9 in realtime mode (Qt WebEngine plays no H.264) with a keyframe every `gop`
    frames, so a seek to any frame decodes at most gop - 1 others. One encoder thread: at this
    size a second one (and row-mt) only added CPU time; the encoder runs in its own ffmpeg thread
    beside the decoder anyway."""
    return ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
            "-lag-in-frames", "0", "-threads", "1", "-row-mt", "0", "-g", str(gop),
            "-keyint_min", str(gop), "-crf", "40", "-b:v", "0", "-colorspace", "bt709",
            "-color_range", "tv"]


def run_pass(plan: PassPlan, out_dir: Path, *,
             on_progress: Callable[[IngestProgress], None] | None = None,
             cancel: threading.Event | None = None, threads: int | None = None,
             feed: SceneFeed | None = None) -> PassOutput:
    """Decode the master once, writing the picture outputs into `out_dir` and returning the
    detection results; `feed` hears of each scene as detection settles it. Raises Cancelled
    (ffmpeg stopped) or MediaError."""
    threads = threads or usable_cores()
    started = time.monotonic()
    web_read, web_write = _web_pipe(plan)
    try:
        proc = spawn(build_args(plan, out_dir, threads, web_write), stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, die_with_parent=True,
                     pass_fds=() if web_write is None else (web_write,))
    except OSError as exc:
        for fd in (web_read, web_write):
            if fd is not None:
                os.close(fd)
        raise MediaError(f"cannot start ffmpeg: {exc.strerror or exc}") from None
    branch = None
    if web_write is not None:
        os.close(web_write)  # ffmpeg holds it now: its exit ends the reader's stream
        branch = Branch(plan.web, web_read, time_base=plan.time_base, start_pts=plan.start_pts,
                        min_scene_len=plan.min_scene_len)
    _widen_pipe(proc.stdout, 4 * plan.detect_size[0] * plan.detect_size[1] * 3)
    log = _LogReader(proc.stderr)
    finished = threading.Event()
    watcher = None
    if cancel is not None:
        watcher = threading.Thread(target=_stop_on_cancel, args=(proc, cancel, finished),
                                   name="ingest-cancel", daemon=True)
        watcher.start()
    try:
        try:
            output = _detect(plan, proc, log, on_progress, cancel, started, branch, feed)
            returncode = proc.wait()
        except MediaError:
            # a cancel kills ffmpeg mid-frame: that torn stream is the cancel, not a failure
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"ingest of {plan.master.name} was cancelled") from None
            raise
    finally:
        finished.set()
        stop(proc)
        if branch is not None:
            prepared = branch.close()
        log.join(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
        if watcher is not None:
            watcher.join(timeout=5)
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"ingest of {plan.master.name} was cancelled")
    if returncode != 0:
        raise MediaError(f"decoding {plan.master.name} failed (ffmpeg exit code {returncode}): "
                         f"{log.first_error()}")
    count = len(output.microseconds)
    if count == 0:
        raise MediaError(f"{plan.master.name}: ffmpeg decoded no video frame "
                         f"({log.first_error()})")
    if log.timestamps_seen != count:
        raise MediaError(f"{plan.master.name}: {count} frames arrived but ffmpeg reported "
                         f"{log.timestamps_seen} timestamps")
    output.seconds = time.monotonic() - started
    if branch is not None:
        output.prepared, output.web_error = prepared, branch.error
        output.web_peak_frames = branch.peak_buffered
        if prepared is not None and prepared.frames != count:
            output.prepared = None
            output.web_error = f"the web branch encoded {prepared.frames} of {count} frames"
    return output


def _web_pipe(plan: PassPlan) -> tuple[int | None, int | None]:
    """The pipe the full-size web frames come on (POSIX: ffmpeg writes it as pipe:N)."""
    if plan.web is None or os.name != "posix":
        return None, None
    read, write = os.pipe()
    if fcntl is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
        try:
            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 1 << 20)
        except OSError:
            pass
    return read, write


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 2


def _detect(plan: PassPlan, proc, log: _LogReader, on_progress, cancel,
            started: float, branch: Branch | None = None,
            feed: SceneFeed | None = None) -> PassOutput:
    width, height = plan.detect_size
    frame_bytes = width * height * 3
    buffer = bytearray(frame_bytes)
    view = memoryview(buffer)
    # the detector never keeps the frame itself (it keeps its HSV planes), so one buffer serves
    frame = np.frombuffer(buffer, dtype=np.uint8).reshape(height, width, 3)
    detector = ContentDetector(threshold=plan.threshold, min_scene_len=plan.min_scene_len)
    score_of = _score_reader(detector)
    stdout = proc.stdout
    microseconds = array.array("q")
    scores = array.array("d")
    cuts: list[scene_cuts.FramePosition] = []
    next_report = started + PROGRESS_INTERVAL_S
    index = 0
    if feed is not None:
        feed.start(float(plan.start_s))  # the ingest record's time origin
    while True:
        if not _read_exactly(stdout, view, frame_bytes):
            break
        if cancel is not None and cancel.is_set():
            break
        pts = log.next_pts()
        us = 0 if pts is None else _microseconds(pts, log.time_base, plan)
        pos = scene_cuts.position(index, us, plan.rate)
        found = detector.process_frame(pos, frame)
        cuts += found
        new_cuts = [c.index for c in found]
        if branch is not None:
            branch.settle(index, _stream_pts(pts, log.time_base, plan), new_cuts,
                          _settled_below(detector, index))
        if feed is not None:
            feed.frame(pos, new_cuts)
        scores.append(score_of())
        microseconds.append(us)
        index += 1
        if on_progress is not None:
            now = time.monotonic()
            if now >= next_report:
                next_report = now + PROGRESS_INTERVAL_S
                on_progress(IngestProgress(index, max(plan.frames_total, index),
                                           index / (now - started)))
    cuts += detector.post_process(scene_cuts.position(max(index - 1, 0), 0, plan.rate))
    if branch is not None and not (cancel is not None and cancel.is_set()):
        branch.finish(index)
    if on_progress is not None and index and not (cancel is not None and cancel.is_set()):
        on_progress(IngestProgress(index, index, index / max(time.monotonic() - started, 1e-9)))
    return PassOutput(microseconds=np.frombuffer(microseconds, dtype=np.int64).copy(),
                      scores=np.frombuffer(scores, dtype=np.float64).copy(),
                      cuts=scene_cuts.unique_cuts(cuts), seconds=0.0)


def _settled_below(detector: ContentDetector, index: int) -> int:
    """Frames below this decoded index can no longer become a cut, now that frame `index` is
    scored. ContentDetector's flash filter (MERGE) emits a cut either at the frame just scored or,
    when a merge ends, at its `_last_above` (the last frame over the threshold) then, and only
    once that frame is min_scene_len past the merge's start: while it is, that one frame is held
    back (at most min_scene_len + 1 frames behind); before, only later frames can be cuts.
    Without that state (another scenedetect) nothing is settled until the end."""
    flash = getattr(detector, "_flash_filter", None)
    if flash is None or not all(hasattr(flash, name) for name in (
            "_merge_triggered", "_last_above", "_merge_start", "_min_length_met")):
        return 0
    if (flash._merge_triggered and flash._last_above is not None
            and flash._min_length_met(flash._merge_start, flash._last_above)):
        return getattr(flash._last_above, "index", 0)
    return index + 1


def _stream_pts(pts: int | None, time_base: Fraction | None, plan: PassPlan) -> int | None:
    """A showinfo pts in the video stream's own time base (the filter graph may use another)."""
    if pts is None or time_base is None or time_base == plan.time_base:
        return pts
    return round(pts * time_base / plan.time_base)


def _microseconds(pts: int, time_base: Fraction | None, plan: PassPlan) -> int:
    if time_base is None or time_base == plan.time_base:
        return scene_cuts.opencv_microseconds(pts, plan.start_pts, plan.time_base)
    # the filter graph runs in another time base: bring the start there, exactly
    start = plan.start_pts * plan.time_base / time_base
    return round(float((pts - start) * time_base) * 1_000_000)


def _widen_pipe(pipe, size: int) -> None:
    """A pipe holds 64 KiB by default, less than one detection frame: ffmpeg would block and wake
    us several times per frame. Linux lets an unprivileged process raise it to 1 MiB."""
    if fcntl is None or not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    try:
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, min(size, 1 << 20))
    except OSError:  # not Linux, or above the system's pipe-max-size
        pass


def _read_exactly(stream, view: memoryview, size: int) -> bool:
    got = 0
    while got < size:
        n = stream.readinto(view[got:])
        if not n:
            if got:
                raise MediaError(f"ffmpeg's frame stream ended inside a frame ({got} of {size} "
                                 "bytes)")
            return False
        got += n
    return True


def _score_reader(detector: ContentDetector) -> Callable[[], float]:
    """How to read the score ContentDetector just compared with the threshold (its content_val).

    It keeps that score in `_frame_score`. The public route, a StatsManager, also makes the
    detector run Canny edge detection on every frame for a component whose weight is 0: that
    alone costs 0.35-0.65 ms a frame, three to five times the rest of the detection, so it is
    used only if a future scenedetect drops the attribute."""
    if hasattr(detector, "_frame_score"):
        return lambda: float(detector._frame_score or 0.0)
    recorder = _ScoreRecorder()
    detector.stats_manager = recorder

    def from_stats() -> float:
        metrics, recorder.metrics = recorder.metrics, None
        return float(metrics[ContentDetector.FRAME_SCORE_KEY]) if metrics else 0.0

    return from_stats


class _ScoreRecorder:
    """Stands in for scenedetect's StatsManager: ContentDetector hands it each frame's metrics."""

    def __init__(self):
        self.metrics: dict[str, float] | None = None

    def set_metrics(self, timecode, metrics: dict[str, float]) -> None:
        self.metrics = metrics

    def register_metrics(self, metric_keys) -> None:
        pass


_LEVEL = re.compile(rb"\[(panic|fatal|error|warning|info|verbose|debug|trace)\] ")
_PROBLEM_LEVELS = (b"panic", b"fatal", b"error", b"warning")
_SHOWINFO = re.compile(rb"^\[showinfo@det @ [^\]]*\] \[info\] ")
_FRAME = re.compile(rb"n:\s*\d+\s+pts:\s*(-?\d+|NOPTS)")
_CONFIG_TB = re.compile(rb"config in time_base:\s*(\d+)/(\d+)")


class _LogReader:
    """Reads ffmpeg's stderr in a thread: detection-frame timestamps in order, and warnings and
    errors for the message when ffmpeg fails."""

    def __init__(self, stream):
        self.time_base: Fraction | None = None
        self.timestamps_seen = 0
        self._pts: queue.SimpleQueue = queue.SimpleQueue()
        self._problems: list[tuple[bytes, str]] = []  # the first few: the cause, not the echoes
        self._thread = threading.Thread(target=self._read, args=(stream,), name="ingest-log",
                                        daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        try:
            for line in stream:
                match = _SHOWINFO.match(line)
                if match:
                    self._showinfo(line[match.end():])
                    continue
                level = _LEVEL.search(line)
                if level and level.group(1) in _PROBLEM_LEVELS and len(self._problems) < 20:
                    text = _LEVEL.sub(b"", line, count=1).decode("utf-8", "replace").rstrip()
                    self._problems.append((level.group(1), strip_log_prefix(text) or text))
        finally:
            self._pts.put(_END)

    def _showinfo(self, rest: bytes) -> None:
        frame = _FRAME.match(rest)
        if frame:
            value = frame.group(1)
            self.timestamps_seen += 1
            self._pts.put(None if value == b"NOPTS" else int(value))
            return
        config = _CONFIG_TB.match(rest)
        if config:
            self.time_base = Fraction(int(config.group(1)), int(config.group(2)))

    def next_pts(self) -> int | None:
        """The pts of the next detection frame (None when it has none). Blocks until ffmpeg has
        logged it; the line is written before the frame reaches the pipe."""
        value = self._pts.get()
        if value is _END:
            self._pts.put(_END)
            raise MediaError("ffmpeg sent a frame without reporting its timestamp")
        return value

    def first_error(self) -> str:
        """The first error line (the root cause, usually), else the first warning."""
        problems = list(self._problems)
        for level, text in problems:
            if level != b"warning":
                return text
        return problems[0][1] if problems else "no error output"

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


_END = object()


def _stop_on_cancel(proc: subprocess.Popen, cancel: threading.Event,
                    finished: threading.Event) -> None:
    """Stops ffmpeg as soon as `cancel` is set, even while the reader is blocked on the pipe."""
    while not finished.wait(0.05):
        if cancel.is_set():
            # SIGKILL, not stop()'s SIGTERM and grace period: the reader no longer empties the
            # pipe, so ffmpeg sits in a blocked write and would not see a SIGTERM before the grace
            # ran out (a pause took 3 s); a cancelled pass keeps nothing it wrote anyway.
            kill(proc)
            return
