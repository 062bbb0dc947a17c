"""The one Scene type: detected by ingest, edited in the timeline, stored in scenes_data."""

from __future__ import annotations

from typing import Annotated

import msgspec

NonNeg = Annotated[int, msgspec.Meta(ge=0)]


class Scene(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Frames are numbered as PySceneDetect numbers them (end inclusive), times are seconds from
    the video stream's start. The fields after end_time are filled for every scene made since
    the scenes_data column held only the first five; sessions written before have the defaults."""
    number: Annotated[int, msgspec.Meta(ge=1)]
    start_frame: NonNeg
    end_frame: NonNeg      # inclusive
    start_time: Annotated[float, msgspec.Meta(ge=0)]
    end_time: Annotated[float, msgspec.Meta(ge=0)]   # exclusive: the next scene's start_time
    start_timecode: str = ""   # HH:MM:SS.mmm, PySceneDetect's formatting
    end_timecode: str = ""
    length_frames: int = 0     # end_frame - start_frame + 1
    start_index: int | None = None     # first decoded frame of the scene
    end_index: int | None = None       # last decoded frame (inclusive)
    midpoint_index: int | None = None  # start_index + (frames in scene) // 2
    midpoint_frame: int | None = None  # its frame number
    midpoint_time: float | None = None  # its presentation time, seconds from the stream's start

    def __post_init__(self):
        if self.end_frame < self.start_frame or self.end_time < self.start_time:
            raise ValueError(f"scene {self.number} ends before it starts")
