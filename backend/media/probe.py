"""What a video file holds, read with PyAV (no ffprobe), and one clear MediaError for anything that
is not a usable video: missing, empty, not media, truncated, no video stream, undecodable.

probe() reads the container header and decodes one frame (rotation, and proof the stream
decodes). Frame timestamps of the first seconds judge the frame rate: from the container's
per-frame index where there is one (MP4/MOV: no media data read), else from demuxed packets.
The whole file is demuxed (never decoded) only when the header gives no frame count (Matroska,
fragmented MP4): that reads every byte once."""

import dataclasses
import os
from fractions import Fraction
from pathlib import Path

import av

from backend.errors import MediaError
from backend.media import sniff
from backend.media.readable import check_readable
from backend.model.media_info import AudioStream, MediaInfo, VideoStream

# Frame timestamps of this much of the start decide whether the frame rate is variable.
VFR_SAMPLE_SECONDS = 30.0
VFR_SAMPLE_PACKETS = 2000
# H.264/HEVC reorder at most 16 frames: timestamps this close to where sampling stopped may still
# have neighbours in packets not read yet, so they are left out of the intervals.
REORDER_DEPTH = 16
# Average and real frame rates further apart than this mean frames are missing somewhere.
RATE_MISMATCH = 0.02
# Decoding the first frame may need a few packets (leading non-reference frames, codec delay).
FIRST_FRAME_MAX_PACKETS = 300


def probe(path: str | os.PathLike) -> MediaInfo:
    """Describe the first video stream of `path` and what else the file holds.
    Raises MediaError with one line naming the problem when it is not a usable video."""
    path = Path(os.path.abspath(path))
    size = _check_file(path)
    container = _open(path, size)
    with container:
        return _describe(path, size, container)


def _check_file(path: Path) -> int:
    return check_readable(path)[1]


def _open(path: Path, size: int):
    try:
        return av.open(str(path), metadata_errors="ignore")
    except PermissionError:
        raise MediaError(f"{path}: permission denied") from None
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(sniff.why_unreadable(path, size, _reason(exc))) from None


def _describe(path: Path, size: int, container) -> MediaInfo:
    streams = list(container.streams)
    videos = [s for s in streams
              if s.type == "video" and not s.disposition & av.stream.Disposition.attached_pic]
    if not videos:
        raise MediaError(f"{path} has no video stream ({_stream_summary(streams)})")
    video = next((s for s in videos if s.disposition & av.stream.Disposition.default), videos[0])
    if container.format.name == "image2" or container.format.name.endswith("_pipe"):
        raise MediaError(f"{path} is a still image ({video.codec_context.name}), not a video")
    _check_index_within_file(path, size, video)

    header_frames = video.frames if video.frames and video.frames > 0 else None
    declared = _declared_duration(container, video)
    index_stamps = _index_timestamps(video, header_frames)
    scan = _scan(path, container, video, full=header_frames is None or declared is None,
                 sample=index_stamps is None)
    if index_stamps is not None:
        scan.sample_pts, scan.sample_in_order = index_stamps, True

    duration = declared if declared is not None else scan.end_s
    if scan.full and declared is not None and scan.end_s is not None:
        # a header that promises more than the packets deliver: the tail is missing
        if declared - scan.end_s > max(0.2, declared * 0.01):
            raise MediaError(f"{path} is truncated: its packets end at {scan.end_s:.2f} s but the "
                             f"file declares {declared:.2f} s")
    if duration is None:
        raise MediaError(f"{path}: the duration cannot be determined (no timestamps)")

    frame_count = header_frames if header_frames is not None else scan.video_packets
    info_video = _video_info(video, scan, frame_count,
                             "header" if header_frames is not None else "packets")
    return MediaInfo(
        path=str(path), size_bytes=size, container=container.format.name,
        container_long_name=container.format.long_name, duration_s=duration,
        bitrate=container.bit_rate or (round(size * 8 / duration) if duration else None),
        start_time_s=(container.start_time or 0) / av.time_base, video=info_video,
        audio=[_audio_info(s) for s in streams if s.type == "audio"],
        video_stream_count=len(videos),
        subtitle_stream_count=sum(s.type == "subtitle" for s in streams),
        attachment_stream_count=sum(s.type == "attachment" for s in streams),
        data_stream_count=sum(s.type == "data" for s in streams),
    )


def _check_index_within_file(path: Path, size: int, video) -> None:
    """An MP4/MOV whose index comes first still opens when its tail is cut off; its index
    then points past the end of the file."""
    entries = video.index_entries
    count = len(entries)
    # the index is in decode order; the last few entries hold the furthest byte
    needed = max((e.pos + e.size for e in (entries[i] for i in range(max(0, count - 32), count))
                  if e.pos >= 0), default=0)
    if needed > size:
        raise MediaError(f"{path} is truncated: its index expects at least {needed:,} bytes but the "
                         f"file holds {size:,} ({size * 100 // needed}%)")


def _declared_duration(container, video) -> float | None:
    if container.duration and container.duration > 0:
        return container.duration / av.time_base
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    return None


@dataclasses.dataclass
class _Scan:
    full: bool                        # every packet of the file is to be read
    video_packets: int = 0
    sample_pts: list[int] = dataclasses.field(default_factory=list)  # first VFR_SAMPLE_SECONDS
    sample_in_order: bool = False     # no timestamps missing at the sample's end (see _intervals)
    end_s: float | None = None        # where the last packet of any stream ends
    first_frame: av.VideoFrame | None = None


def _index_timestamps(video, header_frames: int | None) -> list[int] | None:
    """Decode timestamps of the first VFR_SAMPLE_SECONDS from a per-frame container index (one
    entry per frame, as MP4/MOV have); None when the index is missing or holds keyframes only
    (Matroska cues). Evenly spaced frames have evenly spaced decode timestamps too."""
    entries = video.index_entries
    if not header_frames or len(entries) != header_frames:
        return None
    limit = VFR_SAMPLE_SECONDS / float(video.time_base)
    stamps: list[int] = []
    for i in range(min(len(entries), VFR_SAMPLE_PACKETS)):
        entry = entries[i]
        if entry.is_discard:  # before the edit list's start: never shown
            continue
        if stamps and entry.timestamp - stamps[0] > limit:
            break
        stamps.append(entry.timestamp)
    return stamps


def _scan(path: Path, container, video, full: bool, sample: bool) -> _Scan:
    """One demux pass: decode the first video frame; when `sample`, collect timestamps of the
    first seconds; when `full`, count every video packet and find where the streams end."""
    scan = _Scan(full=full)
    time_base = float(video.time_base)
    seconds_per_tick = {s.index: float(s.time_base or 0) for s in container.streams}
    # one frame is wanted: a decoder thread pool would only add start-up and shutdown time
    video.codec_context.thread_count = 1
    first_ts: int | None = None
    sampling = sample
    decode_error: str | None = None
    try:
        for packet in container.demux():
            if packet.size == 0:  # the flush packet PyAV appends at the end of each stream
                if packet.stream is video and scan.first_frame is None:
                    scan.first_frame, decode_error = _decode(video, packet, decode_error)
                continue
            ts = packet.pts if packet.pts is not None else packet.dts
            if full and ts is not None:
                end = (ts + (packet.duration or 0)) * seconds_per_tick[packet.stream_index]
                scan.end_s = end if scan.end_s is None else max(scan.end_s, end)
            if packet.stream is not video:
                continue
            scan.video_packets += 1
            if scan.first_frame is None and scan.video_packets <= FIRST_FRAME_MAX_PACKETS:
                scan.first_frame, decode_error = _decode(video, packet, decode_error)
            if sampling and ts is not None:
                first_ts = ts if first_ts is None else first_ts
                scan.sample_pts.append(ts)
                dts = packet.dts if packet.dts is not None else ts
                sampling = (len(scan.sample_pts) < VFR_SAMPLE_PACKETS
                            and (dts - first_ts) * time_base < VFR_SAMPLE_SECONDS)
            if not full and not sampling and (scan.first_frame is not None
                                              or scan.video_packets > FIRST_FRAME_MAX_PACKETS):
                break
        else:
            scan.sample_in_order = sampling  # still sampling at the end: nothing is missing
    except av.error.FFmpegError as exc:
        at = f" at {scan.end_s:.2f} s" if scan.end_s is not None else ""
        raise MediaError(f"{path} is truncated or damaged: reading stopped{at} ({_reason(exc)})") from None
    if scan.video_packets == 0:
        raise MediaError(f"{path} is truncated or damaged: its video stream holds no data")
    if scan.first_frame is None:
        detail = f": {decode_error}" if decode_error else ""
        raise MediaError(f"{path}: no frame of its {video.codec_context.name} video could be "
                         f"decoded{detail}")
    return scan


def _decode(video, packet, error: str | None):
    """Feed one packet to the decoder; return (first frame or None, last decode error)."""
    try:
        for frame in video.codec_context.decode(packet):
            return frame, error
    except (av.error.FFmpegError, ValueError) as exc:
        return None, _reason(exc)
    return None, error


def _video_info(stream, scan: _Scan, frame_count: int, count_source: str) -> VideoStream:
    cc = stream.codec_context
    frame = scan.first_frame
    width, height = cc.width or frame.width, cc.height or frame.height
    sar = _sample_aspect_ratio(stream)
    rotation = round(frame.rotation) % 360 if frame is not None else 0
    display_width, display_height = round(width * sar), height
    if rotation in (90, 270):
        display_width, display_height = display_height, display_width
    dar = Fraction(width, height) * sar
    pix_fmt = cc.format or frame.format
    intervals = _intervals(scan, stream.time_base)
    avg, base = stream.average_rate, stream.base_rate or stream.guessed_rate
    variable = any(abs(d - _median(intervals)) > _jitter(_median(intervals)) for d in intervals)
    if avg and base and count_source == "header":
        variable = variable or abs(float(avg) / float(base) - 1) > RATE_MISMATCH
    tb = float(stream.time_base)
    return VideoStream(
        index=stream.index, codec=cc.name, codec_long_name=cc.codec.long_name,
        profile=cc.profile, width=width, height=height,
        sample_aspect_ratio=f"{sar.numerator}:{sar.denominator}",
        display_aspect_ratio=f"{dar.numerator}:{dar.denominator}",
        display_width=display_width, display_height=display_height, rotation=rotation,
        avg_frame_rate=_rate(avg), avg_fps=float(avg) if avg else None,
        r_frame_rate=_rate(base), r_fps=float(base) if base else None,
        variable_frame_rate=variable,
        frame_interval_min_s=min(intervals) * tb if intervals else None,
        frame_interval_max_s=max(intervals) * tb if intervals else None,
        frame_count=frame_count, frame_count_source=count_source,
        pix_fmt=pix_fmt.name if pix_fmt else None,
        bit_depth=pix_fmt.components[0].bits if pix_fmt and pix_fmt.components else None,
        color_primaries=PRIMARIES.get(cc.color_primaries),
        color_transfer=TRANSFERS.get(cc.color_trc),
        color_space=SPACES.get(cc.colorspace),
        color_range=RANGES.get(cc.color_range),
        field_order=FIELD_ORDERS.get(cc.field_order),
        start_time_s=float((stream.start_time or 0) * stream.time_base),
        duration_s=float(stream.duration * stream.time_base) if stream.duration else None,
        time_base=f"{stream.time_base.numerator}/{stream.time_base.denominator}",
        bitrate=cc.bit_rate or None,
    )


def _intervals(scan: _Scan, time_base) -> list[int]:
    """Gaps between consecutive presentation timestamps of the sampled frames, in ticks."""
    stamps = sorted(set(scan.sample_pts))
    if not scan.sample_in_order:
        stamps = stamps[:-REORDER_DEPTH]
    return [b - a for a, b in zip(stamps, stamps[1:])]


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0


def _jitter(median: float) -> float:
    """How far a gap may stray from the median and still be the same frame interval: timestamps
    rounded to a coarse time base (Matroska's milliseconds: 41/42 ms at 23.976 fps) wobble by one
    tick; a time base equal to the frame interval cannot wobble, so there a 2 means a lost frame."""
    return max(1.0 if median >= 2 else 0.0, median * 0.01)


def _sample_aspect_ratio(stream) -> Fraction:
    # the container's value wins over the codec's, as in ffmpeg (av_guess_sample_aspect_ratio)
    for value in (stream.sample_aspect_ratio, stream.codec_context.sample_aspect_ratio):
        if value and value > 0:
            return Fraction(value.numerator, value.denominator)
    return Fraction(1)


def _rate(value) -> str | None:
    return f"{value.numerator}/{value.denominator}" if value else None


def _audio_info(stream) -> AudioStream:
    cc = stream.codec_context
    layout = cc.layout.name if cc.layout else None
    language = stream.language if stream.language and stream.language != "und" else None
    return AudioStream(index=stream.index, codec=cc.name, profile=cc.profile,
                       channels=cc.channels, channel_layout=layout, sample_rate=cc.sample_rate,
                       language=language, bitrate=cc.bit_rate or None)


def _stream_summary(streams) -> str:
    if not streams:
        return "it holds no streams"
    counts: dict[str, int] = {}
    for s in streams:
        kind = "cover-picture" if s.type == "video" else s.type
        counts[kind] = counts.get(kind, 0) + 1
    return "it holds " + ", ".join(f"{n} {kind} stream{'' if n == 1 else 's'}"
                                   for kind, n in counts.items())


def _reason(exc: BaseException) -> str:
    """FFmpeg's words without the errno and the repeated file name."""
    return getattr(exc, "strerror", None) or str(exc)


# Code points of ITU-T H.273 / ISO/IEC 23091-4, named as FFmpeg names them. 2 ("unspecified") and
# anything unknown read as None.
PRIMARIES = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film",
             9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}
TRANSFERS = {1: "bt709", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m", 8: "linear",
             9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1",
             14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 17: "smpte428", 18: "arib-std-b67"}
SPACES = {0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
          8: "ycgco", 9: "bt2020nc", 10: "bt2020c", 11: "smpte2085", 12: "chroma-derived-nc",
          13: "chroma-derived-c", 14: "ictcp"}
RANGES = {1: "tv", 2: "pc"}
FIELD_ORDERS = {1: "progressive", 2: "tt", 3: "bb", 4: "tb", 5: "bt"}
