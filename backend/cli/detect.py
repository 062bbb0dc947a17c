"""`video-archive detect MASTER`: ingest the master (one decode, cached) and list its scenes as a
table, CSV (--csv) or JSON (--json: the whole IngestResult, with top-level `cuts` and `scenes`).
Frames are 0-based and numbered as PySceneDetect numbers them; the last frame is inclusive."""

from __future__ import annotations

import csv
import json
import sys
import time

from backend import paths
from backend.cli.context import print_table
from backend.jobs import inputs
from backend.model.detection_params import DEFAULT_MIN_SCENE_LEN, DEFAULT_THRESHOLD
from backend.media.ingest import IngestProgress, IngestResult, ingest


def register(sub) -> None:
    parser = sub.add_parser("detect", help="find the scenes of a master (same cuts as "
                            "PySceneDetect's detect-content) and build its timeline proxies")
    parser.add_argument("master", metavar="MASTER")
    parser.add_argument("--threshold", "-t", type=float, default=DEFAULT_THRESHOLD, metavar="T",
                        help=f"content threshold, as PySceneDetect's -t (default {DEFAULT_THRESHOLD:g})")
    parser.add_argument("--min-scene-len", "-m", type=int, default=DEFAULT_MIN_SCENE_LEN, metavar="N",
                        help="minimum scene length in frames, as PySceneDetect's -m "
                             f"(default {DEFAULT_MIN_SCENE_LEN})")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="scenes as CSV on stdout")
    out.add_argument("--json", dest="detect_json", action="store_true",
                     help="the ingest result as JSON on stdout (same as the global --json)")
    parser.add_argument("--progress", action="store_true",
                        help="decoding progress as JSON lines on stderr ({\"type\": \"progress\", "
                             "\"frames_done\": N, \"frames_total\": M}), for programs such as the "
                             "Blender add-on")
    parser.add_argument("--no-proxy", action="store_true",
                        help="skip the VP9 scrubbing proxy (scenes and thumbnails only)")
    parser.set_defaults(func=run)


def run(args, ctx) -> int:
    if args.detect_json:
        ctx.json = True
    # the check `process` makes: a FIFO or a device would block the decode forever
    master = inputs.check_master(args.master)
    show = (_json_progress if args.progress else
            _ProgressLine() if not (ctx.json or args.csv) and sys.stderr.isatty() else None)
    try:
        result = ingest(master, threshold=args.threshold, min_scene_len=args.min_scene_len,
                        cache_root=paths.cache_dir(ctx.db_path), want_proxy=not args.no_proxy,
                        on_progress=show)
    finally:
        if isinstance(show, _ProgressLine):
            show.clear()
    if args.csv and not ctx.json:
        _write_csv(result)
    else:
        ctx.emit(result, _print_human)
    return 0


def _rows(result: IngestResult) -> list[dict]:
    return [{"scene": s.number, "first frame": s.start_frame, "last frame": s.end_frame,
             "start": s.start_timecode, "end": s.end_timecode, "frames": s.length_frames,
             "seconds": round(s.end_time - s.start_time, 3)} for s in result.scenes]


def _print_human(result: IngestResult) -> None:
    print_table(_rows(result))
    how = ("from the cache" if result.cached
           else f"decoded in {result.decode_seconds:.1f} s "
                f"({result.frame_count / max(result.decode_seconds, 1e-9):.0f} fps)")
    print(f"\n{len(result.scenes)} scenes, {len(result.cuts)} cuts, {result.frame_count} frames at "
          f"{result.fps:.3f} fps (threshold {result.threshold:g}, minimum {result.min_scene_len} "
          f"frames), {how}")


def _write_csv(result: IngestResult) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["Scene Number", "First Frame", "Last Frame", "Start Timecode",
                     "End Timecode", "Start Time (seconds)", "End Time (seconds)",
                     "Length (frames)", "Length (seconds)"])
    for s in result.scenes:
        writer.writerow([s.number, s.start_frame, s.end_frame, s.start_timecode, s.end_timecode,
                         f"{s.start_time:.3f}", f"{s.end_time:.3f}", s.length_frames,
                         f"{s.end_time - s.start_time:.3f}"])


def _json_progress(p: IngestProgress) -> None:
    print(json.dumps({"type": "progress", "frames_done": p.frames_done,
                      "frames_total": p.frames_total}), file=sys.stderr, flush=True)


class _ProgressLine:
    """One self-overwriting line on the terminal: frames done, total, speed."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.started = time.monotonic()
        self.width = 0

    def __call__(self, p: IngestProgress) -> None:
        percent = 100 * p.frames_done / p.frames_total if p.frames_total else 0
        text = (f"decoding: {p.frames_done}/{p.frames_total} frames ({percent:3.0f}%), "
                f"{p.fps:.0f} fps, {time.monotonic() - self.started:.0f} s")
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
