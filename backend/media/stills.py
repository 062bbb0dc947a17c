"""Frame-exact stills from a master: for each requested frame an HQ still (full display resolution,
lossless PNG/TIFF), a web still (fitted, JPEG/WebP) and a thumbnail, with archive metadata.

A frame is found by its presentation timestamp (the ingest records one per frame, numbered as
PySceneDetect numbers them): seek to the keyframe before it and decode forward to exactly that
pts. Requests are served in time order; a request a short way ahead decodes on instead of
seeking, so many stills of one master cost few seeks. Non-square-pixel sources come out with
square pixels at their display aspect ratio, rotated as the display matrix says."""

import io
import threading
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import msgspec
import numpy as np
from av.video.reformatter import Colorspace, Interpolation
from PIL import Image

from backend.errors import Cancelled, MediaError
from backend.media import image_containers
from backend.media.atomic import write_bytes_atomic
from backend.media.geometry import display_size, fit
from backend.media.metadata import ArchiveMetadata, embed_in_bytes
from backend.presets.model import StillsHQ, StillsWeb, ThumbnailSettings

# LANCZOS for the SAR stretch, with exact rounding and full-resolution chroma: the HQ still is the
# archival copy, and the conversion costs little next to PNG compression.
_SCALER = Interpolation.LANCZOS | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT
_AVCOL_SPC_RGB, _AVCOL_SPC_UNSPECIFIED = 0, 2
_TIFF_COMPRESSION = 259
_TIME_EPSILON = 1e-6  # float noise between pts * time_base computed here and in the ingest


class StillRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One frame to extract and where its outputs go (None: not wanted)."""
    frame_index: int
    pts_seconds: float | None = None  # None: looked up by a demux scan (no decoding)
    hq_path: str | None = None
    web_path: str | None = None
    thumbnail_path: str | None = None
    metadata: ArchiveMetadata | None = None  # overrides the call's metadata for this frame


class StillOutput(msgspec.Struct, frozen=True, kw_only=True):
    kind: Literal["hq", "web", "thumbnail"]
    path: str
    format: str
    width: int
    height: int
    size_bytes: int


class StillResult(msgspec.Struct, frozen=True, kw_only=True):
    frame_index: int
    pts_seconds: float  # the timestamp of the frame actually written
    outputs: list[StillOutput]


def extract_frames(master: str | Path, requests: list[StillRequest], *,
                   hq: StillsHQ | None = None, web: StillsWeb | None = None,
                   thumbnail: ThumbnailSettings | None = None,
                   metadata: ArchiveMetadata | None = None,
                   on_progress: Callable[[int, int], None] | None = None,
                   cancel: threading.Event | None = None) -> list[StillResult]:
    """Write the outputs of every request; return one result per request, in request order.
    Each file is written under a temporary name and renamed when complete."""
    hq, web, thumbnail = hq or StillsHQ(), web or StillsWeb(), thumbnail or ThumbnailSettings()
    master = Path(master)
    if any(r.pts_seconds is None for r in requests):
        times = frame_times(master)
        requests = [r if r.pts_seconds is not None else
                    msgspec.structs.replace(r, pts_seconds=_time_of(times, r.frame_index, master))
                    for r in requests]
    results: dict[int, StillResult] = {}
    order = sorted(range(len(requests)), key=lambda i: requests[i].pts_seconds)
    with _open(master) as container:
        seeker = FrameSeeker(container, cancel=cancel)
        for done, position in enumerate(order, 1):
            request = requests[position]
            frame = seeker.frame_at(request.pts_seconds, request.frame_index)
            outputs = _write_outputs(frame, seeker.stream, request, hq, web, thumbnail,
                                     request.metadata or metadata)
            results[position] = StillResult(frame_index=request.frame_index,
                                            pts_seconds=frame.time, outputs=outputs)
            if on_progress:
                on_progress(done, len(requests))
    return [results[i] for i in range(len(requests))]


MAX_SIDE = 16384  # the largest side a still may have: a frame is never scaled down by extract_still


def extract_still(master: str | Path, frame_index: int, out: str | Path, *,
                  fmt: Literal["png", "tiff", "jpeg", "webp"] = "png",
                  metadata: ArchiveMetadata | None = None, pts_seconds: float | None = None,
                  cancel: threading.Event | None = None) -> StillOutput:
    """Decoded frame `frame_index` of `master` as one full-resolution still at `out`: lossless
    (png, tiff) or at high quality (jpeg, webp, 4:4:4), square pixels at the display size. What
    the editor's full-quality frame view and the still operator both come down to."""
    lossless = fmt in ("png", "tiff")
    request = StillRequest(frame_index=frame_index, pts_seconds=pts_seconds,
                           **({"hq_path": str(out)} if lossless else {"web_path": str(out)}))
    [result] = extract_frames(
        master, [request], hq=StillsHQ(format=fmt) if lossless else None,
        web=None if lossless else StillsWeb(format=fmt, max_width=MAX_SIDE, max_height=MAX_SIDE,
                                            quality=95, chroma_subsampling="4:4:4"),
        metadata=metadata, cancel=cancel)
    return result.outputs[0]


def frame_times(master: str | Path) -> list[float]:
    """The presentation time of every frame, in frame-number order, from a demux pass (packets
    only, nothing decoded): one video packet is one frame in MP4, MOV and MKV. Packets that an
    edit list cuts off (flagged discard) are left out, as the decoder leaves out their frames."""
    with _open(Path(master)) as container:
        stream = container.streams.video[0]
        times = [float(p.pts * stream.time_base) for p in container.demux(stream)
                 if p.pts is not None and p.size and not p.is_discard]
    return sorted(times)


def _time_of(times: list[float], index: int, master: Path) -> float:
    if not 0 <= index < len(times):
        raise MediaError(f"{master.name} has no frame {index} (it has {len(times)} frames)")
    return times[index]


def _open(master: Path):
    try:
        container = av.open(str(master))
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot open {master.name}: {exc}") from None
    if not container.streams.video:
        container.close()
        raise MediaError(f"{master.name} has no video stream")
    return container


class FrameSeeker:
    """Decoded frames of the first video stream by presentation time, forward-only between seeks.

    `_last` is the last frame handed out or passed over; `_peeked` the one decoded after it and
    not yet consumed (deciding which of two neighbours is nearer needs one frame of look-ahead)."""

    def __init__(self, container, cancel: threading.Event | None = None):
        self.container = container
        self.stream = container.streams.video[0]
        self.stream.thread_type = "AUTO"
        rate = self.stream.guessed_rate or self.stream.average_rate or Fraction(25)
        self.interval = 1 / float(rate)
        self.cancel = cancel
        self._frames: Iterator | None = None
        self._last = None
        self._peeked = None
        self._keyframe_times: list[float] = []

    def frame_at(self, target: float, frame_index: int | None = None):
        """The frame whose timestamp is `target` (seconds, pts x time_base as PyAV's frame.time
        gives it); the nearest one, so that a timestamp rounded by its producer still finds its
        frame. Targets should come in increasing order: going back costs a seek."""
        last = self._last
        if last is not None and abs(last.time - target) <= _TIME_EPSILON:
            return last
        if (self._frames is None or last is None or last.time > target
                or target - last.time > self._decode_ahead()):
            self._seek(target)
        while True:
            upcoming = self._peek()
            if upcoming is None or upcoming.time >= target - _TIME_EPSILON:
                break
            self._consume()
        return self._choose(target, self._last, upcoming, frame_index)

    def _decode_ahead(self) -> float:
        """How far ahead decoding on beats a seek: about one GOP, whose decoding a seek repeats."""
        spacing = [b - a for a, b in zip(self._keyframe_times, self._keyframe_times[1:])]
        return max(spacing) if spacing else 2.0

    def _seek(self, target: float) -> None:
        """Seek to the keyframe at or before `target`, and make sure the first frame decoded is
        not after it (a demuxer index kept in decode order, or an open GOP, can land a seek late):
        if it is, seek again further back, down to the start of the file."""
        back_off = 0.0
        while True:
            point = max(0.0, target - back_off)
            self.container.seek(int(point / self.stream.time_base), stream=self.stream,
                                backward=True, any_frame=False)
            self._frames = self.container.decode(self.stream)
            self._last = self._peeked = None
            first = self._peek()
            if first is None or first.time <= target + _TIME_EPSILON or point == 0.0:
                return
            back_off = max(1.0, back_off * 2)

    def _peek(self):
        if self._peeked is None:
            self._peeked = self._decode_one()
        return self._peeked

    def _consume(self):
        self._last, self._peeked = self._peeked, None
        return self._last

    def _decode_one(self):
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("still extraction cancelled")
        while True:
            try:
                frame = next(self._frames)
            except StopIteration:
                return None
            except av.FFmpegError as exc:
                where = f"{self._last.time:.3f} s" if self._last is not None else "the seek point"
                raise MediaError(f"decoding failed after {where}: {exc}") from None
            if frame.pts is None:
                continue  # a frame without a timestamp cannot be matched to a request
            if frame.key_frame and (not self._keyframe_times or frame.time > self._keyframe_times[-1]):
                self._keyframe_times = (self._keyframe_times + [frame.time])[-8:]
            return frame

    def _choose(self, target: float, before, after, frame_index):
        candidates = [f for f in (before, after) if f is not None]
        label = f"frame {frame_index} " if frame_index is not None else "a frame "
        if not candidates:
            raise MediaError(f"no {label}found at {target:.6f} s")
        best = min(candidates, key=lambda f: abs(f.time - target))
        if abs(best.time - target) > self.interval:
            raise MediaError(f"no {label}at {target:.6f} s: the nearest frame is at {best.time:.6f} s")
        if best is after:
            self._consume()
        return best


# --- pixels --------------------------------------------------------------------------------------

def has_alpha(frame) -> bool:
    """Whether the frame's pixel format carries an alpha channel (ProRes 4444 yuva444p*, PNG or
    QuickTime Animation rgba/argb, grey+alpha ya8/ya16): 4 or 2 components."""
    return len(frame.format.components) in (2, 4)


def frame_to_rgb(frame, stream, bit_depth: int = 8, *, keep_alpha: bool = False) -> np.ndarray:
    """The frame as it is meant to be seen, as an H x W x 3 array (uint8, or uint16 for 16 bits):
    square pixels at the display aspect ratio, rotated per the display matrix. Untagged HD video
    is read as BT.709 and SD as BT.601, as players and browsers do. With `keep_alpha` and a
    frame that has an alpha channel, H x W x 4 (RGBA, straight alpha as the source stores it)."""
    # The container's aspect ratio wins over the codec's, as in ffmpeg.
    sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    width, height = display_size(frame.width, frame.height, sar)
    src_colorspace = None
    if frame.colorspace in (_AVCOL_SPC_UNSPECIFIED,):
        src_colorspace = Colorspace.ITU709 if frame.height >= 720 else Colorspace.ITU601
    alpha = keep_alpha and has_alpha(frame)
    if alpha:
        target = "rgba64le" if bit_depth == 16 else "rgba"
    else:
        target = "rgb48le" if bit_depth == 16 else "rgb24"
    rgb = frame.reformat(width=width, height=height, format=target,
                         src_colorspace=src_colorspace, interpolation=_SCALER)
    array = rgb.to_ndarray()
    turns = round((frame.rotation or 0) / 90) % 4  # counter-clockwise quarter turns
    return np.ascontiguousarray(np.rot90(array, turns)) if turns else array


def _encode_hq(array: np.ndarray, settings: StillsHQ) -> bytes:
    """PNG or TIFF through FFmpeg's encoders, which (unlike Pillow) write 16-bit RGB and RGBA."""
    wide, alpha = array.dtype == np.uint16, array.shape[2] == 4
    if settings.format == "png":
        codec = "png"
        pix_fmt = {(True, False): "rgb48be", (False, False): "rgb24",
                   (True, True): "rgba64be", (False, True): "rgba"}[(wide, alpha)]
        options = {"compression_level": str(settings.compression_level), "pred": "mixed"}
    else:
        codec = "tiff"
        pix_fmt = {(True, False): "rgb48le", (False, False): "rgb24",
                   (True, True): "rgba64le", (False, True): "rgba"}[(wide, alpha)]
        algo = {"none": "raw"}.get(settings.tiff_compression, settings.tiff_compression)
        options = {"compression_algo": algo}
    frame = av.VideoFrame.from_ndarray(array, format=pix_fmt)
    context = av.CodecContext.create(codec, "w")
    context.width, context.height = frame.width, frame.height
    context.pix_fmt = pix_fmt
    context.time_base = Fraction(1, 1)
    # The PNG encoder writes the sample aspect ratio into pHYs (0:1, nonsense, when unset):
    # say square pixels, which is what the still has.
    context.sample_aspect_ratio = Fraction(1, 1)
    context.options = options
    packets = context.encode(frame) + context.encode(None)
    data = b"".join(bytes(p) for p in packets)
    if codec == "tiff" and settings.tiff_compression == "deflate":
        # FFmpeg tags zlib data with the obsolete code 32946; 8 is the standard code for the
        # same bytes, and what validators expect.
        data = image_containers.tiff_replace_tags(data, {_TIFF_COMPRESSION: image_containers.le_short(8)})
    return data


def _encode_small(image: Image.Image, fmt: str, quality: int, *, progressive: bool = True,
                  subsampling: str = "4:2:0") -> bytes:
    buffer = io.BytesIO()
    if fmt == "jpeg":
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=progressive,
                   subsampling=subsampling)
    else:
        image.save(buffer, "WEBP", quality=quality, method=4)
    return buffer.getvalue()


def _fitted(image: Image.Image, max_width: int | None, max_height: int | None) -> Image.Image:
    size = fit(image.width, image.height, max_width, max_height, even=False)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _output(kind, path: Path, fmt: str, size: tuple[int, int], data: bytes,
            metadata: ArchiveMetadata | None) -> StillOutput:
    if metadata is not None:
        data = embed_in_bytes(data, metadata)
    write_bytes_atomic(path, data)
    return StillOutput(kind=kind, path=str(path), format=fmt, width=size[0], height=size[1],
                       size_bytes=len(data))


def _write_outputs(frame, stream, request: StillRequest, hq: StillsHQ, web: StillsWeb,
                   thumbnail: ThumbnailSettings, metadata: ArchiveMetadata | None) -> list[StillOutput]:
    outputs = []
    rgb8 = None
    if request.hq_path:
        # the archival still keeps the master's alpha; the web still and thumbnail show the
        # colour as the web master does (its yuv420p has no alpha)
        array = frame_to_rgb(frame, stream, hq.bit_depth, keep_alpha=True)
        outputs.append(_output("hq", Path(request.hq_path), hq.format,
                               (array.shape[1], array.shape[0]), _encode_hq(array, hq), metadata))
        if array.dtype == np.uint8:
            rgb8 = np.ascontiguousarray(array[..., :3]) if array.shape[2] == 4 else array
    if request.web_path or request.thumbnail_path:
        image = Image.fromarray(rgb8 if rgb8 is not None else frame_to_rgb(frame, stream, 8))
        if request.web_path:
            small = _fitted(image, web.max_width, web.max_height)
            data = _encode_small(small, web.format, web.quality, progressive=web.progressive,
                                 subsampling=web.chroma_subsampling)
            outputs.append(_output("web", Path(request.web_path), web.format, small.size, data,
                                   metadata))
        if request.thumbnail_path:
            outputs.append(make_thumbnail(image, request.thumbnail_path, thumbnail, metadata))
    return outputs


def make_thumbnail(source: Image.Image | str | Path, dest: str | Path,
                   settings: ThumbnailSettings | None = None,
                   metadata: ArchiveMetadata | None = None) -> StillOutput:
    """A small preview `settings.width` wide (never enlarged), from an image or an image file
    (for example an HQ still already written)."""
    settings = settings or ThumbnailSettings()
    if isinstance(source, (str, Path)):
        try:
            with Image.open(source) as opened:
                image = _to_rgb8(opened)
        except OSError as exc:
            raise MediaError(f"cannot read {Path(source).name}: {exc}") from None
    else:
        image = _to_rgb8(source)
    small = _fitted(image, settings.width, None)
    data = _encode_small(small, settings.format, settings.quality)
    return _output("thumbnail", Path(dest), settings.format, small.size, data, metadata)


def _to_rgb8(image: Image.Image) -> Image.Image:
    """An 8-bit RGB copy (a copy, so it outlives the file it was read from)."""
    if image.mode.startswith(("I;16", "I")):  # 16-bit grey: scale down rather than clip
        return Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8)).convert("RGB")
    return image.convert("RGB")


def frame_image(master: str | Path, frame_index: int, pts_seconds: float,
                fmt: Literal["jpeg", "png"], out: str | Path,
                fit: tuple[int, int] | None = None) -> StillOutput:
    """The master's own frame `frame_index` (at `pts_seconds`) at full display resolution, or
    fitted inside `fit` (never enlarged) for the JPEG the viewer shows, for judging a cut in the
    editor: lossless PNG (a fast zlib level: it is looked at, not archived), or JPEG at quality
    95 with full-resolution chroma."""
    request = StillRequest(frame_index=frame_index, pts_seconds=pts_seconds,
                           hq_path=str(out) if fmt == "png" else None,
                           web_path=str(out) if fmt == "jpeg" else None)
    [result] = extract_frames(master, [request], hq=StillsHQ(compression_level=1),
                              web=StillsWeb(max_width=fit[0] if fit else 16384,
                                          max_height=fit[1] if fit else 16384, quality=95,
                                            progressive=False, chroma_subsampling="4:4:4"))
    return result.outputs[0]
