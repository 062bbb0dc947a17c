"""`video-archive probe FILE`: what a video holds, as a table or (--json) the MediaInfo record."""

from backend.cli.context import print_pairs
from backend.media.probe import MediaInfo, probe


def register(sub) -> None:
    parser = sub.add_parser("probe", help="describe a video file (streams, frames, aspect, colour)")
    parser.add_argument("file", metavar="FILE")
    parser.set_defaults(func=run)


def run(args, ctx) -> int:
    ctx.emit(probe(args.file), _print_human)
    return 0


def _print_human(info: MediaInfo) -> None:
    v = info.video
    rows = {
        "file": info.path,
        "size": f"{info.size_bytes:,} bytes ({_size(info.size_bytes)})",
        "container": f"{info.container_long_name} ({info.container})",
        "duration": f"{info.duration_s:.3f} s ({_clock(info.duration_s)})",
        "bitrate": _kbps(info.bitrate),
        f"video #{v.index}": ", ".join(x for x in (
            f"{v.codec}" + (f" ({v.profile})" if v.profile else ""),
            f"{v.width}x{v.height}", v.pix_fmt or "", f"{v.bit_depth}-bit" if v.bit_depth else "",
            _kbps(v.bitrate) if v.bitrate else "") if x),
        "aspect": f"SAR {v.sample_aspect_ratio}, DAR {v.display_aspect_ratio}",
        "shown as": f"{v.display_width}x{v.display_height}"
                    + (f" (rotated {v.rotation}°)" if v.rotation else ""),
        "frame rate": _frame_rate(v),
        "frames": f"{v.frame_count} ({'from the container index' if v.frame_count_source == 'header' else 'counted from packets'})",
        "colour": ", ".join(f"{name} {value or '-'}" for name, value in (
            ("primaries", v.color_primaries), ("transfer", v.color_transfer),
            ("matrix", v.color_space), ("range", v.color_range))),
        "scan": v.field_order or "unknown",
        "timing": f"time base {v.time_base}, starts at {v.start_time_s:g} s",
    }
    for a in info.audio:
        rows[f"audio #{a.index}"] = ", ".join(x for x in (
            a.codec + (f" ({a.profile})" if a.profile else ""),
            a.channel_layout or f"{a.channels} ch", f"{a.sample_rate} Hz", a.language or "",
            _kbps(a.bitrate) if a.bitrate else "") if x)
    if not info.audio:
        rows["audio"] = "none"
    rows["other streams"] = (f"{info.video_stream_count - 1} more video, "
                             if info.video_stream_count > 1 else "") + (
        f"{info.subtitle_stream_count} subtitle, {info.attachment_stream_count} attachment, "
        f"{info.data_stream_count} data")
    print_pairs(rows)


def _frame_rate(v) -> str:
    mode = "variable" if v.variable_frame_rate else "constant"
    text = f"{v.avg_fps:.3f} fps average" if v.avg_fps else "unknown"
    if v.r_frame_rate and v.r_frame_rate != v.avg_frame_rate:
        text += f", base {v.r_fps:.3f}"
    text += f" ({v.avg_frame_rate or '?'}), {mode}"
    if v.variable_frame_rate and v.frame_interval_min_s is not None:
        text += (f"; frame gaps {v.frame_interval_min_s * 1000:.1f}"
                 f"-{v.frame_interval_max_s * 1000:.1f} ms")
    return text


def _kbps(bits: int | None) -> str:
    return f"{bits / 1000:,.0f} kb/s" if bits else "-"


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "bytes" else f"{n} bytes"
        n /= 1024
    return f"{n:.1f} TiB"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours:02d}:{minutes:02d}:{secs:06.3f}"
