"""Ingest a master: decode it once (ingest_pass) for scene detection with PySceneDetect's exact
results, per-frame scores and timestamps, a thumbnail strip, per-frame thumbnails and optionally a
VP9 scrubbing proxy; cache all of it by the master's identity (ingest_cache). Re-cutting at another
threshold replays the stored scores and never decodes again. docs/ingest.md has the details."""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import msgspec
import numpy as np
from scenedetect.scene_manager import compute_downscale_factor

from backend.errors import Cancelled, InputError, MediaError
from backend.media import frame_thumbs, scene_cuts, sprites, waveform
from backend.model.detection_params import DEFAULT_MIN_SCENE_LEN, DEFAULT_THRESHOLD, DetectionParams
from backend.media.ingest_cache import (FORMAT_VERSION, RECORD_NAME, SCENES_NAME, CutRecord,
                                        DecodeRecord, IngestCache,
                                        master_identity)
from backend.media.scene_feed import SceneFeed
from backend.media.scenes import middle_index
from backend.media.ingest_pass import (PROXY_NAME, THUMBS_NAME, PassOutput, PassPlan,
                                       run_pass)
from backend.media.web_branch import BranchSpec
from backend.media.ingest_result import (FrameThumbnails, IngestProgress, IngestResult,
                                         MasterIdentity, Scene, SpriteSheets)
from backend.media.probe import probe
from backend.media.timeline import load_frame_table

__all__ = ["ingest", "recut", "load_frame_table", "load_scores", "frame_thumbnail", "sprite_frames",
           "IngestResult", "IngestProgress", "Scene", "SpriteSheets", "FrameThumbnails",
           "MasterIdentity"]

TILE_HEIGHT = 90          # sprite tiles and frame thumbnails: a timeline row is this tall
SPRITE_GRID = (10, 10)    # 100 tiles a sheet: 100 s of video at one tile a second
SPRITE_INTERVAL = 1.0     # seconds between sprite tiles
PROXY_GOP = 24            # keyframe interval: a seek decodes at most 23 other proxy frames
MAX_TILE_WIDTH = 640      # 10 tiles a row stay far inside JPEG's 65500-pixel limit
MAX_PROXY_SIDE = 4096     # a panorama's proxy: VP9 and browsers stop at 16384 or less

# files of an entry
FRAME_US = "frame_us.npy"            # OpenCV-style µs per decoded frame (numbering's source)
FRAME_TIMES = "frame_times.npy"
FRAME_NUMBERS = "frame_numbers.npy"
SCORES = "scores.npy"
THUMBS_INDEX = "frames.index.npy"


def ingest(master: Path, *, threshold: float = DEFAULT_THRESHOLD,
           min_scene_len: int = DEFAULT_MIN_SCENE_LEN, cache_root: Path,
           want_proxy: bool = True, on_progress: Callable[[IngestProgress], None] | None = None,
           cancel: threading.Event | None = None, web: BranchSpec | None = None,
           on_web: Callable[[PassOutput], None] | None = None,
           feed: SceneFeed | None = None) -> IngestResult:
    """Scenes, scores, thumbnails and (with want_proxy) a proxy for `master`, from the cache when
    this file was ingested before, else from one decode. Raises InputError (bad path or
    parameters), MediaError (not a usable video, ffmpeg failed, the cache cannot be
    written) or Cancelled. With `web`, the decode also encodes the
    web master (web_branch) and hands the pass's output to `on_web`; a cached result decodes
    nothing. `feed` hears of each scene as the decode's detection settles it."""
    _check_parameters(threshold, min_scene_len)
    path = Path(master).expanduser().resolve()
    identity = master_identity(path)
    cache = IngestCache(cache_root)
    entry = cache.entry(identity)
    record = _usable_record(cache, entry)
    if record is not None and (record.proxy is not None or not want_proxy):
        return _result(cache, entry, record, threshold, min_scene_len, cached=True)
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"ingest of {path.name} was cancelled")

    plan = dataclasses.replace(plan_pass(path, threshold, min_scene_len, want_proxy), web=web)
    with cache.partial(entry) as temp:
        output = run_pass(plan, temp, on_progress=on_progress, cancel=cancel, feed=feed)
        if on_web is not None and web is not None:
            on_web(output)
        if master_identity(path) != identity:
            raise MediaError(f"{path} changed while it was being read; ingest it again")
        record = _store_pass(temp, identity, plan, output)
        cuts_temp = temp / "cuts.partial"
        cuts_temp.mkdir()
        _store_cuts(cuts_temp, temp, record, plan.rate, [c.index for c in output.cuts],
                    threshold, min_scene_len, output.microseconds)
        cache.publish_cuts(cuts_temp, temp, threshold, min_scene_len)
        cache.publish_entry(temp, entry)
    return _result(cache, entry, record, threshold, min_scene_len, cached=False)


def recut(result: IngestResult, threshold: float, min_scene_len: int) -> IngestResult:
    """The same ingest cut at another threshold / minimum scene length from the stored scores,
    without decoding: the cuts an ingest at those parameters gives (docs/ingest.md says where
    that can differ from PySceneDetect by a frame's score straddling the threshold)."""
    _check_parameters(threshold, min_scene_len)
    entry = result.scores.parent
    cache = IngestCache(entry.parent.parent)
    record = cache.load_record(entry)
    if record is None:
        raise InputError(f"the ingest cache entry {entry} is gone; ingest the master again")
    return _result(cache, entry, record, threshold, min_scene_len, cached=True)


def recut_cached(master: Path | str, threshold: float, min_scene_len: int, *,
                 cache_root: Path) -> IngestResult | None:
    """`recut` straight from the cache entry of `master` (one look at the master), without first
    building its result at the previous cut; None when the cache no longer holds its decode."""
    _check_parameters(threshold, min_scene_len)
    cache = IngestCache(cache_root)
    entry = cache.entry(master_identity(Path(master).expanduser().resolve()))
    record = cache.load_record(entry)
    if record is None or not all((entry / name).is_file() for name in (SCORES, FRAME_US)):
        return None
    return _result(cache, entry, record, threshold, min_scene_len, cached=True)


def sprite_frames(result: IngestResult) -> np.ndarray:
    """The frame number each sprite tile shows, tile by tile over all sheets."""
    numbers, times = load_frame_table(result)
    return numbers[sprites.tile_frames(times, result.sprites.interval_s)]


def load_scores(result: IngestResult) -> np.ndarray:
    """ContentDetector's score (content_val) of every decoded frame; 0 for the first."""
    return np.load(result.scores)


def frame_thumbnail(result: IngestResult, index: int) -> bytes:
    """The small JPEG of decoded frame `index` from the frame-thumbnail cache."""
    return frame_thumbs.read_thumbnail(result.thumbnails.path, np.load(result.thumbnails.offsets),
                                       index)


# --- planning -------------------------------------------------------------------------------

def _check_parameters(threshold: float, min_scene_len: int) -> None:
    DetectionParams(threshold=threshold, min_scene_len=min_scene_len)


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def plan_pass(path: Path, threshold: float, min_scene_len: int, want_proxy: bool) -> PassPlan:
    info = probe(path)
    video = info.video
    width, height = video.width, video.height
    if video.rotation % 180 == 90:  # ffmpeg and OpenCV both turn the picture upright
        width, height = height, width
    # PySceneDetect's working size: SceneManager divides both sides by max(w, h) / 256
    factor = compute_downscale_factor(max(width, height))
    detect = ((max(1, round(width / factor)), max(1, round(height / factor))) if factor > 1.0
              else (width, height))
    aspect = video.display_width / video.display_height
    # A sprite sheet is one JPEG (65500 px a side at most): a panorama gets narrower tiles, not
    # a sheet no JPEG can hold.
    thumb = ((_even(TILE_HEIGHT * aspect), TILE_HEIGHT) if TILE_HEIGHT * aspect <= MAX_TILE_WIDTH
             else (MAX_TILE_WIDTH, _even(MAX_TILE_WIDTH / aspect)))
    proxy = _proxy_size(detect, aspect) if want_proxy else None
    audio = next((a for a in info.audio if a.channels > 0 and a.sample_rate > 0), None)
    time_base = Fraction(video.time_base)
    try:
        rate = scene_cuts.nominal_rate(video.avg_frame_rate, video.r_frame_rate)
    except ValueError:
        raise MediaError(f"{path}: its video stream declares no frame rate") from None
    return PassPlan(master=path, stream_index=video.index,
                    start_pts=round(Fraction(video.start_time_s) / time_base),
                    time_base=time_base, rate=rate, frame_size=(width, height),
                    display_size=(video.display_width, video.display_height),
                    detect_size=detect, thumb_size=thumb, proxy_size=proxy, proxy_gop=PROXY_GOP,
                    threshold=float(threshold), min_scene_len=min_scene_len,
                    frames_total=video.frame_count,
                    audio_stream=audio.index if audio else None,
                    audio_channels=min(audio.channels, waveform.MAX_CHANNELS) if audio else 0,
                    audio_rate=audio.sample_rate if audio else 0)


def _proxy_size(detect: tuple[int, int], aspect: float) -> tuple[int, int]:
    """The proxy is made from the detection frames (docs/ingest.md, "Proxy"): the largest even
    size of the display aspect that fits in them, so it is never upscaled and its pixels are
    square; a 16:9 master's proxy is its detection frame itself (256x144)."""
    width, height = (max(2, min(side, MAX_PROXY_SIDE) // 2 * 2) for side in detect)
    if aspect >= width / height:
        return width, min(height, _even(width / aspect))
    return min(width, _even(height * aspect)), height


# --- storing --------------------------------------------------------------------------------

def _store_pass(folder: Path, identity: MasterIdentity, plan: PassPlan,
                output: PassOutput) -> DecodeRecord:
    count = len(output.microseconds)
    numbers, seconds = scene_cuts.frame_table(output.microseconds, plan.rate)
    np.save(folder / FRAME_US, output.microseconds)
    np.save(folder / FRAME_NUMBERS, numbers)
    np.save(folder / FRAME_TIMES, seconds)
    np.save(folder / SCORES, output.scores)
    offsets = frame_thumbs.index_jpeg_stream(folder / THUMBS_NAME, count)
    np.save(folder / THUMBS_INDEX, offsets)
    peaks = None
    if plan.audio_stream is not None:
        pcm = folder / waveform.PCM_NAME
        peaks = waveform.make_peaks(pcm, plan.audio_channels, plan.audio_rate, folder)
        pcm.unlink()
    tiles = sprites.tile_frames(seconds, SPRITE_INTERVAL)
    sheets = sprites.compose_sheets(folder / THUMBS_NAME, offsets, tiles, plan.thumb_size,
                                    SPRITE_GRID, folder)
    record = DecodeRecord(
        format_version=FORMAT_VERSION, master=identity, frame_count=count,
        fps_rational=str(plan.rate), width=plan.frame_size[0], height=plan.frame_size[1],
        display_width=plan.display_size[0], display_height=plan.display_size[1],
        detect_width=plan.detect_size[0], detect_height=plan.detect_size[1],
        time_origin_s=float(plan.start_s),
        sprite_sheets=[p.name for p in sheets], sprite_columns=SPRITE_GRID[0],
        sprite_rows=SPRITE_GRID[1], thumb_width=plan.thumb_size[0], thumb_height=plan.thumb_size[1],
        sprite_interval_s=SPRITE_INTERVAL, sprite_count=len(tiles),
        proxy=PROXY_NAME if plan.proxy_size else None,
        proxy_width=plan.proxy_size[0] if plan.proxy_size else None,
        proxy_height=plan.proxy_size[1] if plan.proxy_size else None,
        proxy_gop=plan.proxy_gop if plan.proxy_size else None,
        decode_seconds=output.seconds, waveform=peaks)
    (folder / RECORD_NAME).write_bytes(msgspec.json.encode(record))
    return record


def _store_cuts(folder: Path, entry: Path, record: DecodeRecord, rate: Fraction,
                cut_indices: list[int], threshold: float, min_scene_len: int,
                microseconds: np.ndarray) -> CutRecord:
    """Scenes for one set of parameters. Their midpoint thumbnails are not copied out: each is
    read from the frame-thumbnail bundle when shown, so a recut of a long film writes one file."""
    numbers = _frame_array(entry / FRAME_NUMBERS)
    seconds = _frame_array(entry / FRAME_TIMES)
    scenes = _scenes(cut_indices, microseconds, rate, numbers, seconds)
    record_out = CutRecord(threshold=float(threshold), min_scene_len=min_scene_len,
                           cuts=numbers[cut_indices].tolist(), cut_indices=cut_indices,
                           scenes=scenes)
    (folder / SCENES_NAME).write_bytes(msgspec.json.encode(record_out))
    return record_out


def _scenes(cut_indices: list[int], microseconds: np.ndarray, rate: Fraction,
            numbers: np.ndarray, seconds: np.ndarray) -> list[Scene]:
    """The scenes between the cuts, as SceneManager.get_scene_list gives them: from decoded
    frame 0 to the first cut, cut to cut, the last cut to `scene_end`. A boundary's frame number
    and seconds are read from the frame table, which holds the very values its FrameTimecode
    computes (frame_table)."""
    count = len(microseconds)
    first = np.array([0, *cut_indices], dtype=np.int64)
    last = np.append(first[1:] - 1, count - 1)
    middle = middle_index(first, last)
    end = scene_cuts.scene_end(count, rate)
    # gathered from the frame table in one go: no per-scene lookups into numpy
    frames = [*numbers[first].tolist(), end.frame_num]
    times = [*seconds[first].tolist(), end.seconds]
    timecodes = scene_cuts.timecodes(first.tolist(), microseconds[first].tolist(), rate) + \
        [end.get_timecode()]
    return [Scene(number=k + 1, start_frame=frames[k], end_frame=frames[k + 1] - 1,
                  start_time=times[k], end_time=times[k + 1], start_timecode=timecodes[k],
                  end_timecode=timecodes[k + 1], length_frames=frames[k + 1] - frames[k],
                  start_index=a, end_index=b, midpoint_index=m, midpoint_frame=mf,
                  midpoint_time=mt)
            for k, (a, b, m, mf, mt) in enumerate(zip(
                first.tolist(), last.tolist(), middle.tolist(), numbers[middle].tolist(),
                seconds[middle].tolist()))]


# --- reading back ---------------------------------------------------------------------------

def _frame_array(path: Path) -> np.ndarray:
    """A per-frame array of a cache entry (read-only), kept in memory while its file is
    unchanged: a threshold slider recuts the same film again and again, and a 2-hour film's four
    arrays take longer to read than its cuts take to replay."""
    stat = os.stat(path)
    return _array_at(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)  # two films' four arrays: about 10 MB for 2 hours each
def _array_at(path: str, mtime_ns: int, size: int) -> np.ndarray:
    array = np.load(path)
    array.flags.writeable = False
    return array


def _usable_record(cache: IngestCache, entry: Path) -> DecodeRecord | None:
    record = cache.load_record(entry)
    if record is None:
        return None
    needed = [FRAME_US, FRAME_TIMES, FRAME_NUMBERS, SCORES, THUMBS_INDEX, THUMBS_NAME,
              *record.sprite_sheets, *([record.proxy] if record.proxy else []),
              *(level.file for level in (record.waveform.levels if record.waveform else []))]
    return record if all((entry / name).is_file() for name in needed) else None


def _result(cache: IngestCache, entry: Path, record: DecodeRecord, threshold: float,
            min_scene_len: int, *, cached: bool) -> IngestResult:
    cut_record = cache.load_cuts(entry, threshold, min_scene_len)
    if cut_record is None:
        rate = Fraction(record.fps_rational)
        microseconds = _frame_array(entry / FRAME_US)
        cuts = scene_cuts.replay_cut_indices(_frame_array(entry / SCORES), microseconds, rate,
                                             float(threshold), min_scene_len)
        with cache.partial(entry) as temp:
            cut_record = _store_cuts(temp, entry, record, rate, cuts, threshold, min_scene_len,
                                     microseconds)
            cache.publish_cuts(temp, entry, threshold, min_scene_len)
    rate = Fraction(record.fps_rational)
    end = scene_cuts.scene_end(record.frame_count, rate)
    return IngestResult(
        master=record.master, threshold=float(threshold), min_scene_len=min_scene_len,
        frame_count=record.frame_count, fps=float(rate), fps_rational=record.fps_rational,
        duration_s=end.seconds, width=record.width, height=record.height,
        display_width=record.display_width, display_height=record.display_height,
        detect_width=record.detect_width, detect_height=record.detect_height,
        time_origin_s=record.time_origin_s, cuts=cut_record.cuts,
        cut_indices=cut_record.cut_indices, scenes=cut_record.scenes,
        frame_times=entry / FRAME_TIMES, frame_numbers=entry / FRAME_NUMBERS,
        scores=entry / SCORES,
        sprites=SpriteSheets(paths=[entry / name for name in record.sprite_sheets],
                             columns=record.sprite_columns, rows=record.sprite_rows,
                             tile_width=record.thumb_width, tile_height=record.thumb_height,
                             interval_s=record.sprite_interval_s, count=record.sprite_count),
        thumbnails=FrameThumbnails(path=entry / THUMBS_NAME, offsets=entry / THUMBS_INDEX,
                                   width=record.thumb_width, height=record.thumb_height),
        proxy=entry / record.proxy if record.proxy else None, proxy_width=record.proxy_width,
        proxy_height=record.proxy_height, proxy_gop=record.proxy_gop,
        decode_seconds=record.decode_seconds, cached=cached, waveform=record.waveform)
