"""Scenes as a running detection settles them, for work that needs only a scene's frames and can
start before the detection ends (a headless run's stills: backend/jobs/ahead.py).

The ingest's decode reports every scored frame (its PySceneDetect position) and the cuts that came
out of it. ContentDetector lets its cuts out in order (its flash filter holds back at most the
one cut it is merging at, ingest_pass._settled_below), so a scene is settled once the cut that
ends it is out: no cut can come out before it any more. What the feed says is a forecast; each
consumer checks it against the analysis's own scenes before using what it made."""

from __future__ import annotations

import threading
from typing import NamedTuple

WAIT_S = 0.2  # how often a waiting consumer looks at its stop flag


class SettledScene(NamedTuple):
    number: int   # 1-based, in order
    first: int    # decoded index of its first frame
    last: int     # decoded index of its last frame


class SceneFeed:
    def __init__(self):
        self._cond = threading.Condition()
        self._numbers: list[int] = []     # PySceneDetect frame number, by decoded index
        self._seconds: list[float] = []   # seconds from the stream's start, by decoded index
        self._origin = 0.0
        self._starts = [0]                # first decoded index of each scene known so far
        self._handed = 0                  # scenes handed to the consumer
        self._closed = False

    # --- the detection ----------------------------------------------------------------------

    def start(self, origin_s: float) -> None:
        """A new decode begins (the stream starts at `origin_s`): forget any earlier one."""
        with self._cond:
            self._numbers, self._seconds, self._starts = [], [], [0]
            self._origin = origin_s

    def frame(self, position, new_cuts: list[int]) -> None:
        """Decoded frame `position.index` was scored; `new_cuts` (decoded indices) came out.
        A cut out of order (another detector) is left out: a scene it splits is then handed
        out whole, which its consumer finds wrong and does not use."""
        with self._cond:
            self._numbers.append(position.frame_num)
            self._seconds.append(position.seconds)
            self._starts.extend(c for c in new_cuts if c > self._starts[-1])
            if self._ready() > self._handed:
                self._cond.notify_all()

    def close(self) -> None:
        """The detection is over (done, stopped, failed or not run: a cached ingest): the scenes
        not yet handed out are left to the export's own units."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # --- the consumer -----------------------------------------------------------------------

    def next_settled(self, stop) -> SettledScene | None:
        """The next settled scene, waiting for it; None once the feed is closed or `stop` set."""
        with self._cond:
            while not (self._closed or stop.is_set()):
                if self._ready() > self._handed:
                    number = self._handed + 1
                    self._handed = number
                    starts = self._starts
                    return SettledScene(number, starts[number - 1], starts[number] - 1)
                self._cond.wait(WAIT_S)
            return None

    def position(self, index: int) -> tuple[int, float]:
        """(frame number, absolute presentation time in seconds) of decoded frame `index`, as
        the ingest's timeline will have them (timeline.load_timeline)."""
        with self._cond:
            return self._numbers[index], float(self._seconds[index] + self._origin)

    def _ready(self) -> int:
        """How many scenes are settled: those whose ending cut is out."""
        return len(self._starts) - 1
