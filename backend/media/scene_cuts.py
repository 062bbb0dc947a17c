"""Frame positions, cuts and scenes exactly as PySceneDetect makes them.

PySceneDetect's default OpenCV backend numbers a frame by its timestamp, not by how many frames
came before it: frame number = round(seconds since the video stream's start x the stream's average
frame rate). On a variable-frame-rate file numbers can repeat or skip. The ingest decodes with
ffmpeg instead of OpenCV; this module turns ffmpeg's timestamps into the very positions
(scenedetect FrameTimecode objects) OpenCV would have produced, so that scenedetect's own
ContentDetector and FlashFilter decide exactly as they do under PySceneDetect, and it builds scenes
from cuts the way `SceneManager.get_scene_list` does. Each position also carries its decoded index,
which is what ffmpeg-based cutting needs (numbers are not unique on VFR files)."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from fractions import Fraction

import numpy as np
from scenedetect.common import FrameTimecode, Timecode, framerate_to_fraction
from scenedetect.detector import FlashFilter

_MICROSECOND = Fraction(1, 1_000_000)


class FramePosition(FrameTimecode):
    """A FrameTimecode that also knows which decoded frame (0-based) it belongs to."""

    def __init__(self, timecode: Timecode, rate: Fraction, index: int):
        super().__init__(timecode, rate)
        self.index = index


def nominal_rate(avg_frame_rate: str | None, r_frame_rate: str | None) -> Fraction:
    """The frame rate PySceneDetect numbers frames with: OpenCV's CAP_PROP_FPS (the stream's
    average rate, else its r_frame_rate) as a double, snapped by PySceneDetect to a rational
    (29.97002997 -> 30000/1001; 16.0508947 -> 69067/4303)."""
    for text in (avg_frame_rate, r_frame_rate):
        if text:
            rate = Fraction(text)
            if rate > 0:
                return framerate_to_fraction(rate.numerator / rate.denominator)
    raise ValueError("the video stream declares no frame rate")


def opencv_microseconds(pts: int, start_pts: int, time_base: Fraction) -> int:
    """A frame's time as OpenCV's CAP_PROP_POS_MSEC gives it and PySceneDetect stores it:
    (pts - stream start) x time base in double precision, in ms, rounded to whole µs. Same
    operations on the same doubles, so the result is bit-identical."""
    ms = float(pts - start_pts) * (time_base.numerator / time_base.denominator) * 1000.0
    return round(ms * 1000)


def position(index: int, microseconds: int, rate: Fraction) -> FramePosition:
    """The position PySceneDetect's OpenCV stream reports for decoded frame `index`. A
    non-positive time (the first frame, or a frame without a timestamp) is replaced by the frame's
    place at the nominal rate, as VideoStreamCv2.position does."""
    fps = _rate_of(rate)
    if microseconds <= 0:
        return FramePosition(Timecode(pts=index * rate.denominator,
                                      time_base=Fraction(1, rate.numerator)), fps, index)
    return FramePosition(Timecode(pts=microseconds, time_base=_MICROSECOND), fps, index)


@functools.lru_cache(maxsize=16)
def _rate_of(rate: Fraction) -> FrameTimecode:
    """`rate` as a FrameTimecode, which FrameTimecode takes as its fps without checking and
    converting it again (most of a position's cost when a recut makes a thousand)."""
    return FrameTimecode(0, rate)


def positions(microseconds: np.ndarray, rate: Fraction) -> Iterator[FramePosition]:
    for index, us in enumerate(microseconds.tolist()):
        yield position(index, us, rate)


def frame_table(microseconds: np.ndarray, rate: Fraction) -> tuple[np.ndarray, np.ndarray]:
    """(PySceneDetect frame number, seconds from the stream start) of each decoded frame."""
    numbers = np.empty(len(microseconds), dtype=np.int64)
    seconds = np.empty(len(microseconds), dtype=np.float64)
    for pos in positions(microseconds, rate):
        numbers[pos.index] = pos.frame_num
        seconds[pos.index] = pos.seconds
    return numbers, seconds


def replay_cuts(scores: np.ndarray, microseconds: np.ndarray, rate: Fraction, threshold: float,
                min_scene_len: int) -> list[FramePosition]:
    """`replay_cut_indices` as positions, as SceneManager lists its cuts."""
    return [position(i, int(microseconds[i]), rate)
            for i in replay_cut_indices(scores, microseconds, rate, threshold, min_scene_len)]


def replay_cut_indices(scores: np.ndarray, microseconds: np.ndarray, rate: Fraction,
                       threshold: float, min_scene_len: int) -> list[int]:
    """The cuts ContentDetector emits at `threshold` / `min_scene_len`, replayed from stored
    per-frame scores without decoding: scenedetect's FlashFilter (MERGE mode, the length in
    frames), stepped only where its state can change. It changes at frames above the threshold,
    and, while merging, at the first frame below it that is min_scene_len past the last one above;
    that frame is found by bisection, the length test being monotonic in time. Each length test
    is scenedetect's own arithmetic on the same timestamps (`_length_met`), so the cuts are the
    ones feeding every frame through FlashFilter.filter gives (tests/test_scene_cuts_replay.py
    compares the two), about 1,000 times faster on a 2-hour master: a threshold slider can recut."""
    count = len(scores)
    above_at = np.flatnonzero(np.asarray(scores, dtype=np.float64) >= threshold)
    above = above_at.tolist()
    if count == 0:
        return []
    if min_scene_len <= 0:  # the filter is off: every frame above the threshold is a cut
        return [p.index for p in unique_cuts([position(i, int(microseconds[i]), rate) for i in above])]
    times = _Times(microseconds, rate)
    met = functools.partial(_length_met, length=min_scene_len, rate=float(rate))
    # whether each frame above is min_scene_len past the one above before it (the first frame
    # before the first): one array operation instead of a test per frame in the loop below
    before = np.concatenate(([0], above_at[:-1])).astype(above_at.dtype) if above else above_at
    long_enough_at = times.met_pairs(before, above_at, min_scene_len).tolist()
    cuts: list[int] = []
    last = 0                    # decoded index of the last frame above (the first frame at first)
    merge_enabled = merging = False
    merge_start = 0

    def below(lo: int, hi: int) -> None:
        """Frames lo..hi-1, all below the threshold: where a merge ends, if it does."""
        nonlocal merging
        if lo >= hi or not met(times.at(merge_start), times.at(last)):
            return
        end = times.first_true(lo, hi, lambda t: met(times.at(last), times.at(t)))
        if end is not None:
            merging = False
            cuts.append(last)

    previous = 0
    for index, long_enough in zip(above, long_enough_at):
        if merging:
            below(previous, index)
        last = index
        previous = index + 1
        if merging:
            continue
        if long_enough:
            merge_enabled = True
            cuts.append(index)
        elif merge_enabled:
            merging, merge_start = True, index
    if merging:
        below(previous, count)
    return times.first_of_each_time(cuts)


class _Times:
    """Decoded frames' positions as scenedetect's Timecodes hold them: (pts, time base)."""

    def __init__(self, microseconds: np.ndarray, rate: Fraction):
        self.us = microseconds
        self.rate = rate
        self.index_base = Fraction(1, rate.numerator)
        self.rate_f = float(rate)
        timed = microseconds > 0
        self.all_timed = bool(timed[1:].all())  # the usual file: only the first frame at 0
        if self.all_timed:  # the first frame's time is 0 or its own, the rest microseconds
            first = max(int(microseconds[0]), 0) if len(microseconds) else 0
            self.sorted = bool(np.all(np.diff(microseconds[1:]) >= 0)) and (
                len(microseconds) < 2 or first <= int(microseconds[1]))
        else:
            seconds = np.where(timed, microseconds / 1e6,
                               np.arange(len(microseconds)) / self.rate_f)
            self.sorted = bool(np.all(np.diff(seconds) >= 0))

    def at(self, index: int) -> tuple[int, Fraction]:
        us = int(self.us[index])
        if us <= 0:  # as position(): the frame's place at the nominal rate
            return index * self.rate.denominator, self.index_base
        return us, _MICROSECOND

    def met_pairs(self, a: np.ndarray, b: np.ndarray, length: int) -> np.ndarray:
        """`_length_met(at(a[k]), at(b[k]))` for every k at once. Pairs of two timed frames (or
        two untimed) share a time base: the same integer difference, the same correctly rounded
        division and product, and the same round-half-even as the scalar; a pair mixing the two
        bases (rare: a frame without a timestamp) takes the scalar's exact Fractions."""
        us_a, us_b = self.us[a], self.us[b]
        timed_a, timed_b = us_a > 0, us_b > 0
        out = np.empty(len(a), dtype=bool)
        both = timed_a & timed_b
        pts = np.maximum(us_b[both] - us_a[both], 0)
        out[both] = np.rint(pts / 1_000_000 * self.rate_f) >= length
        neither = ~timed_a & ~timed_b
        pts = np.maximum(b[neither] - a[neither], 0) * self.rate.denominator
        out[neither] = np.rint(pts / self.rate.numerator * self.rate_f) >= length
        for k in np.flatnonzero(timed_a != timed_b).tolist():
            out[k] = _length_met(self.at(int(a[k])), self.at(int(b[k])), length=length,
                                 rate=self.rate_f)
        return out

    def first_of_each_time(self, cuts: list[int]) -> list[int]:
        """The cuts as unique_cuts (sorted(set(...))) leaves them: the first cut of each exact
        time, in time order (FrameTimecode's own comparisons would make this the slowest step)."""
        us = self.us[cuts] if cuts else np.empty(0, dtype=np.int64)
        if np.all(us > 0):  # one time base: the microseconds are the key
            _, first = np.unique(us, return_index=True)
            return [cuts[k] for k in first.tolist()]
        # Each time as an exact integer count of 1/lcm(10^6, rate numerator) s: both time bases
        # divide it, so equal times get equal keys and the order is kept, with no Fraction made.
        unit = math.lcm(1_000_000, self.rate.numerator)
        kept: dict[int, int] = {}
        for i in cuts:
            pts, base = self.at(i)
            kept.setdefault(pts * base.numerator * (unit // base.denominator), i)
        return [i for _, i in sorted(kept.items(), key=lambda kv: kv[0])]

    def first_true(self, lo: int, hi: int, test) -> int | None:
        """The first index in lo..hi-1 where `test` (false, then true as time goes on) holds."""
        if not self.sorted:  # timestamps out of order: no bisection
            return next((i for i in range(lo, hi) if test(i)), None)
        if not test(hi - 1):
            return None
        while lo < hi - 1:
            mid = (lo + hi - 1) // 2
            if test(mid):
                hi = mid + 1
            else:
                lo = mid + 1
        return lo


def _length_met(a: tuple[int, Fraction], b: tuple[int, Fraction], *, length: int,
                rate: float) -> bool:
    """FlashFilter._min_length_met(a, b) for a length in frames: (b - a) >= length, with
    FrameTimecode's subtraction (in the finer time base, never negative) and its frame_num."""
    (pts_a, base_a), (pts_b, base_b) = a, b
    if base_a is base_b:  # _Times.at hands out one object per time base: no Fraction compare
        pts, base = max(0, pts_b - pts_a), base_a
    else:
        base = min(base_a, base_b)
        pts = max(0, round(Fraction(pts_b) * base_b / base) - round(Fraction(pts_a) * base_a / base))
    # float(base * pts) without the Fraction: an int true division is correctly rounded too
    return round(base.numerator * pts / base.denominator * rate) >= length


def unique_cuts(cuts: list[FramePosition]) -> list[FramePosition]:
    """Sorted, without duplicates, as SceneManager keeps its cutting list."""
    return sorted(set(cuts))


def scene_end(count: int, rate: Fraction) -> FrameTimecode:
    """Where the last scene ends (exclusive), as SceneManager.get_scene_list gives it: one nominal
    frame after its last position, which OpenCV reports from the frame count once the stream is
    exhausted (not from the last timestamp). Scenes otherwise run from cut to cut
    (scenedetect's get_scenes_from_cuts), the first from decoded frame 0."""
    return position(count - 1, 0, rate) + 1


def timecode(index: int, microseconds: int, rate: Fraction) -> str:
    """scenedetect's timecode (HH:MM:SS.nnn) of decoded frame `index`. Kept once made: dragging
    the threshold asks for the same cut frames again and again."""
    return _timecode(index, microseconds, rate.numerator, rate.denominator)


def timecodes(indices: list[int], microseconds: list[int], rate: Fraction) -> list[str]:
    """`timecode` of many frames (a recut's cut frames), the rate taken apart once."""
    num, den = rate.numerator, rate.denominator
    return [_timecode(i, us, num, den) for i, us in zip(indices, microseconds)]


@functools.lru_cache(maxsize=1 << 16)
def _timecode(index: int, microseconds: int, num: int, den: int) -> str:  # ints: cheap to hash
    return position(index, microseconds, Fraction(num, den)).get_timecode()
