"""The web master from the ingest's own decode (issue 21, one decode for a headless run).

The ingest's ffmpeg splits the decoded picture before its detection scaler; this branch takes
the full-size picture through the web master's filter chain (encode.scale_filter: the same
lanczos scale and yuv420p conversion as the two-pass encode) and hands it raw to Python on a
pipe. Here a reader thread buffers those frames and an encoder thread feeds them to an
in-process encoder (PyAV: libx264, or h264_nvenc), each frame as soon as scene detection has
settled whether it starts a scene; those frames get `pict_type = I` with `forced-idr`, an IDR.

ContentDetector decides a frame's cut at most min_scene_len frames later: its flash filter, while
merging, holds back only the last frame above the threshold (`_last_above`); every frame before
it, and every frame when it is not merging, is settled once scored. So the buffer holds about
min_scene_len + 1 frames (a 1080p yuv420p frame is 3.1 MB), plus ffmpeg's queue skew between its
two outputs. The reader never blocks while the encoder waits on detection (that would stop the
ffmpeg that detection waits on): it stops reading only when the encoder has work.

The result is a video-only mp4 in the ingest cache's folder (`prepared`), keyed by the master
and the encode settings and named for the IDR frames it holds; the web master unit muxes it with
the master's sound and the archive's metadata by stream copy when its cuts are among those
IDRs, and otherwise encodes in a second pass as before (so a kill at any point resumes to the
same kind of archive)."""

from __future__ import annotations

import collections
import hashlib
import os
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import msgspec
import numpy as np

from backend.errors import MediaError
from backend.media.atomic import atomic_output

PREPARED_DIR = "web-one-decode"


class Prepared(msgspec.Struct, frozen=True, kw_only=True):
    """What a one-decode encode wrote: the file, its frames and which decoded frames are IDRs."""
    video: str
    frames: int
    idr_indices: list[int]
    width: int
    height: int
    cpu_seconds: float


class BranchSpec(msgspec.Struct, frozen=True, kw_only=True):
    """How to encode: the ffmpeg filter chain (ending in yuv420p), the output size, the encoder
    and its options, and where the prepared file goes."""
    chain: str
    width: int
    height: int
    codec: str                 # "libx264" or "h264_nvenc"
    options: dict[str, str]
    out: str                   # the prepared mp4
    color: dict[str, int] = {}  # colorspace, color_primaries, color_trc, color_range as ffmpeg's ints


def settings_key(spec_fields: dict) -> str:
    return hashlib.sha256(msgspec.json.encode(spec_fields, order="sorted")).hexdigest()[:20]


def codec_options(settings, family: str) -> tuple[str, dict[str, str]]:
    """encode.video_codec_args as encoder options, with a forced IDR for each frame marked I:
    the same settings as the two-pass web master's ffmpeg."""
    if settings.codec != "h264":
        raise MediaError("one-decode encodes H.264 only")
    if family == "x264":
        opts = {"preset": settings.x264_preset, "crf": str(settings.crf),
                "profile": settings.profile, "forced-idr": "1"}
        if settings.x264_tune:
            opts["tune"] = settings.x264_tune
        name = "libx264"
    else:
        opts = {"preset": settings.nvenc_preset, "tune": "hq", "rc": "vbr",
                "cq": str(settings.nvenc_cq), "b": "0", "profile": settings.profile,
                "forced-idr": "1"}
        name = "h264_nvenc"
    if settings.max_bitrate_kbps:
        opts["maxrate"] = f"{settings.max_bitrate_kbps}k"
        opts["bufsize"] = f"{2 * settings.max_bitrate_kbps}k"
    return name, opts


class Branch:
    """Reads raw frames from `fd`, encodes each once detection has settled it (`settle`)."""

    def __init__(self, spec: BranchSpec, fd: int, *, time_base: Fraction, start_pts: int,
                 min_scene_len: int):
        self.spec = spec
        self._fd = fd
        self._frame_bytes = spec.width * spec.height * 3 // 2
        self._cap = min_scene_len + 2
        self._time_base = time_base
        self._start_pts = start_pts
        self._cond = threading.Condition()
        self._frames: collections.deque = collections.deque()   # (index, bytes)
        self._settled = 0           # frames below this index are settled
        self._pts: dict[int, int] = {}  # index -> stream pts, from detection's timestamps
        self._cuts: set[int] = set()
        self._read_done = False
        self._all_settled = False
        self._expected: int | None = None
        self._prepared: Prepared | None = None
        self.error: str | None = None
        self.peak_buffered = 0
        self.idr: list[int] = []
        self.encoded = 0
        self._cpu = 0.0
        self._reader = threading.Thread(target=self._read, name="web-branch-read", daemon=True)
        self._encoder = threading.Thread(target=self._encode, name="web-branch-encode", daemon=True)
        self._reader.start()
        self._encoder.start()

    # --- called by the detection loop --------------------------------------------------------

    def settle(self, index: int, pts: int | None, new_cuts, upto: int) -> None:
        """Frame `index` was scored (its stream pts), `new_cuts` (decoded indices) came out, and
        every frame below `upto` is now settled."""
        with self._cond:
            self._pts[index] = self._start_pts if pts is None else pts
            self._cuts.update(new_cuts)
            if upto > self._settled:
                self._settled = upto
                self._cond.notify_all()

    def finish(self, total: int | None) -> None:
        """Detection is over: `total` frames, or None when it stopped early (nothing is kept)."""
        with self._cond:
            if self._all_settled:
                return
            self._expected = total
            self._all_settled = True
            self._settled = 1 << 62
            self._cond.notify_all()

    def close(self) -> Prepared | None:
        """Wait for the encode; the prepared file, or None when the branch failed (`error`)."""
        self.finish(None)
        self._reader.join()
        self._encoder.join()
        if self.error is not None:
            return None
        return self._prepared

    # --- threads ------------------------------------------------------------------------------

    def _read(self) -> None:
        size = self._frame_bytes
        index = 0
        try:
            with open(self._fd, "rb", buffering=0, closefd=True) as pipe:
                while True:
                    data = _read_frame(pipe, size)
                    if data is None:
                        break
                    with self._cond:
                        # wait only while the encoder can make progress (the oldest is settled)
                        while (len(self._frames) >= self._cap and self.error is None
                               and self._frames[0][0] < self._settled):
                            self._cond.wait()
                        if self.error is None:
                            self._frames.append((index, data))
                            self.peak_buffered = max(self.peak_buffered, len(self._frames))
                        self._cond.notify_all()
                    index += 1
        except (OSError, MediaError) as exc:
            self._fail(f"reading the web frames: {exc}")
        finally:
            with self._cond:
                self._read_done = True
                self._cond.notify_all()

    def _fail(self, message: str) -> None:
        with self._cond:
            if self.error is None:
                self.error = message
            self._frames.clear()
            self._cond.notify_all()

    def _next(self):
        with self._cond:
            while True:
                if self.error is not None:
                    return None
                if self._frames and self._frames[0][0] < self._settled:
                    index, data = self._frames.popleft()
                    self._cond.notify_all()
                    return index, data, self._pts.pop(index, None), index in self._cuts
                if self._read_done and not self._frames and self._all_settled:
                    return None
                self._cond.wait()

    def _encode(self) -> None:
        started = time.thread_time()
        try:
            with atomic_output(self.spec.out) as temp:
                self._prepared = self._encode_to(Path(temp))
                self._cpu = time.thread_time() - started
                self._prepared = msgspec.structs.replace(self._prepared, video=self.spec.out,
                                                         cpu_seconds=self._cpu)
        except (av.FFmpegError, OSError, MediaError, ValueError) as exc:
            self._fail(f"encoding the web master: {exc}")
        finally:
            # keep draining so ffmpeg (and detection) run to their end whatever happened here
            with self._cond:
                self._frames.clear()
                self._cond.notify_all()

    def _encode_to(self, temp: Path) -> Prepared:
        spec = self.spec
        w, h = spec.width, spec.height
        last_pts = None
        with av.open(str(temp), "w", format="mp4") as out:
            stream = out.add_stream(spec.codec, options=dict(spec.options))
            ctx = stream.codec_context
            ctx.width, ctx.height, ctx.pix_fmt = w, h, "yuv420p"
            ctx.time_base = self._time_base
            stream.time_base = self._time_base
            for name, value in spec.color.items():
                setattr(ctx, name, value)
            frames = 0
            while True:
                item = self._next()
                if item is None:
                    break
                index, data, pts, cut = item
                if pts is None:
                    raise MediaError(f"frame {index} arrived without its timestamp")
                frame = av.VideoFrame.from_ndarray(
                    np.frombuffer(data, dtype=np.uint8).reshape(h * 3 // 2, w), format="yuv420p")
                rel = pts - self._start_pts
                if last_pts is not None and rel <= last_pts:
                    raise MediaError(f"frame {index}: timestamps not increasing")
                last_pts = rel
                frame.pts, frame.time_base = rel, self._time_base
                if cut or index == 0:
                    frame.pict_type = av.video.frame.PictureType.I
                    self.idr.append(index)
                out.mux(stream.encode(frame))
                frames += 1
            if self.error is not None:
                raise MediaError(self.error)
            if frames != self._expected:
                raise MediaError(f"the decode stopped after {frames} frames")
            out.mux(stream.encode(None))
        self.encoded = frames
        return Prepared(video=str(temp), frames=frames, idr_indices=list(self.idr), width=w,
                        height=h, cpu_seconds=0.0)


def _read_frame(pipe, size: int) -> bytes | None:
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = pipe.readinto(view[got:])
        if not n:
            if got:
                raise MediaError(f"the web frame stream ended inside a frame ({got} of {size})")
            return None
        got += n
    return buf

