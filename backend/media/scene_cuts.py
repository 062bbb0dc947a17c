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

from collections.abc import Iterator
from fractions import Fraction

import numpy as np
from scenedetect.common import FrameTimecode, Timecode, framerate_to_fraction
from scenedetect.detector import FlashFilter
from scenedetect.scene_manager import get_scenes_from_cuts

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
    if microseconds <= 0:
        return FramePosition(Timecode(pts=index * rate.denominator,
                                      time_base=Fraction(1, rate.numerator)), rate, index)
    return FramePosition(Timecode(pts=microseconds, time_base=_MICROSECOND), rate, index)


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
    """The cuts ContentDetector emits at `threshold` / `min_scene_len`, replayed from stored
    per-frame scores through scenedetect's own FlashFilter (exactly what
    ContentDetector.process_frame does once it has scored a frame). Needs no decoding."""
    flash = FlashFilter(mode=FlashFilter.Mode.MERGE, length=min_scene_len)
    cuts: list[FramePosition] = []
    for pos, score in zip(positions(microseconds, rate), scores.tolist()):
        cuts += flash.filter(timecode=pos, above_threshold=score >= threshold)
    return unique_cuts(cuts)


def unique_cuts(cuts: list[FramePosition]) -> list[FramePosition]:
    """Sorted, without duplicates, as SceneManager keeps its cutting list."""
    return sorted(set(cuts))


def scene_bounds(cuts: list[FramePosition], microseconds: np.ndarray,
                 rate: Fraction) -> list[tuple[FrameTimecode, FrameTimecode]]:
    """(start, end exclusive) of every scene as SceneManager.get_scene_list(start_in_scene=True)
    gives them. The end of the last scene is one nominal frame after SceneManager's last position,
    which OpenCV reports from the frame count once the stream is exhausted (not from the last
    timestamp). With no cut the whole video is one scene."""
    first = position(0, int(microseconds[0]), rate)
    last = position(len(microseconds) - 1, 0, rate)
    return get_scenes_from_cuts(cut_list=cuts, start_pos=first, end_pos=last + 1)
