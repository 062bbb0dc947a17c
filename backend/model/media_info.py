"""What a probe says about a media file, and the identity that tells a master from another file
at the same path."""

from __future__ import annotations

import msgspec


class AudioStream(msgspec.Struct, frozen=True):
    index: int
    codec: str
    profile: str | None
    channels: int
    channel_layout: str | None
    sample_rate: int
    language: str | None
    bitrate: int | None


class VideoStream(msgspec.Struct, frozen=True):
    index: int
    codec: str
    codec_long_name: str
    profile: str | None
    width: int                 # coded picture size, in pixels as stored
    height: int
    sample_aspect_ratio: str   # "16:11"; "1:1" when the file leaves it unset
    display_aspect_ratio: str  # of the picture as shown, before rotation
    display_width: int         # the picture as shown: SAR applied, then rotation
    display_height: int
    rotation: int              # display matrix, degrees counter-clockwise as ffmpeg prints it; 0-359
    avg_frame_rate: str | None  # "30000/1001"; frames over duration
    avg_fps: float | None
    r_frame_rate: str | None   # the base rate the timestamps are laid out on
    r_fps: float | None
    variable_frame_rate: bool
    frame_interval_min_s: float | None  # over the first probe.VFR_SAMPLE_SECONDS
    frame_interval_max_s: float | None
    frame_count: int
    frame_count_source: str    # "header" (container index) or "packets" (counted by demuxing)
    pix_fmt: str | None
    bit_depth: int | None
    color_primaries: str | None  # None when the file leaves them unspecified
    color_transfer: str | None
    color_space: str | None
    color_range: str | None      # "tv" (limited) or "pc" (full)
    field_order: str | None      # "progressive", "tt", "bb", "tb", "bt"
    start_time_s: float
    duration_s: float | None
    time_base: str             # "1/12800"
    bitrate: int | None


class MediaInfo(msgspec.Struct, frozen=True):
    path: str
    size_bytes: int
    container: str             # FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    container_long_name: str
    duration_s: float
    bitrate: int | None
    start_time_s: float
    video: VideoStream
    audio: list[AudioStream]
    video_stream_count: int    # real video streams (cover art not counted)
    subtitle_stream_count: int
    attachment_stream_count: int
    data_stream_count: int


class MasterIdentity(msgspec.Struct, frozen=True):
    path: str            # resolved absolute path
    size_bytes: int
    mtime_ns: int
    content_hash: str    # sha256 over the size and the first, middle and last MiB
