"""Frame numbers and timestamps of a decoded master. Scene detection numbers frames the way
PySceneDetect does (by timestamp, so a variable-frame-rate file can skip numbers where frames
were dropped); ffmpeg seeks and counts by decoded frames and timestamps. This maps between them."""

from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np


class FrameTimeline:
    def __init__(self, numbers: Sequence[int], times: Sequence[float], origin: float = 0.0):
        if len(numbers) != len(times) or not len(numbers):
            raise ValueError("a timeline needs one number and one time per decoded frame")
        self.numbers = [int(n) for n in numbers]
        self.times = [float(t) for t in times]  # absolute presentation times, seconds
        self.origin = origin  # the video stream's start: scene times count from here

    def __len__(self) -> int:
        return len(self.numbers)

    def index(self, number: int) -> int:
        """The decoded index of the first frame numbered `number` or later."""
        i = bisect.bisect_left(self.numbers, number)
        if i >= len(self.numbers):
            raise IndexError(f"frame {number} is past the end (last frame {self.numbers[-1]})")
        return i

    def decoded_range(self, start: int, end: int) -> tuple[int, int]:
        """Decoded indices (inclusive) of the frames numbered start..end; an IndexError when
        no decoded frame has such a number (numbers skip where frames were dropped)."""
        first = self.index(start)
        last = bisect.bisect_right(self.numbers, end) - 1
        if last < first:
            raise IndexError(f"no decoded frame is numbered {start}..{end}")
        return first, last

    def time_of(self, number: int) -> float:
        return self.times[self.index(number)]

    def frame_duration(self, index: int) -> float:
        if index + 1 < len(self.times):
            return self.times[index + 1] - self.times[index]
        return self.times[index] - self.times[index - 1] if index else 0.04

    def cut_time(self, i: int) -> float:
        """A time strictly between decoded frame `i - 1` and frame `i`, the first of a scene:
        forcing a keyframe there lands on exactly that frame, whatever rounding the encoder's
        time base does."""
        if i == 0:
            return self.times[0]
        return (self.times[i - 1] + self.times[i]) / 2

    def seek_time(self, number: int) -> float:
        """An input seek time for frame `number` (see `seek_time`)."""
        return seek_time(self.times, self.index(number))


def seek_time(times: Sequence[float], index: int) -> float:
    """A time a quarter frame after frame `index`'s own timestamp (before the next one): an input
    seek there with stream copy starts on exactly that frame when it is a keyframe, whatever
    rounding its timestamps went through."""
    step = times[index + 1] - times[index] if index + 1 < len(times) else \
        (times[index] - times[index - 1] if index else 0.04)
    return times[index] + step / 4


def load_frame_table(result) -> tuple[np.ndarray, np.ndarray]:
    """(frame numbers, presentation seconds) of every decoded frame of an ingest result, indexed
    by decoded index."""
    return np.load(result.frame_numbers), np.load(result.frame_times)


def load_timeline(result) -> FrameTimeline:
    """The frame timeline of an ingest result, in absolute presentation times (what seeking the
    master works with)."""
    numbers, seconds = load_frame_table(result)
    return FrameTimeline(numbers, seconds + result.time_origin_s, result.time_origin_s)
