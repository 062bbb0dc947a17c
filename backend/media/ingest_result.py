"""What an ingest hands back: the Structs the pipeline, the UI and the cache share.

Frame vocabulary (docs/ingest.md has the long form):
- *index*: a decoded frame's place in decode order, 0-based, one per frame ffmpeg decodes.
- *frame number*: PySceneDetect's number for a frame, round(seconds x fps); equal to the index on
  a constant-frame-rate file, may repeat or skip on a variable-frame-rate one. `cuts`, start_frame
  and end_frame use numbers, so they match PySceneDetect's output; *_index fields say which decoded
  frames a scene holds, which is what frame-exact cutting needs."""

from __future__ import annotations

from pathlib import Path

import msgspec

from backend.media.waveform import WaveformRecord
from backend.model.media_info import MasterIdentity
from backend.model.scene import Scene  # noqa: F401 - the one Scene type, part of a result


class SpriteSheets(msgspec.Struct, frozen=True):
    """Thumbnails at a fixed interval, tiled row by row: tile k (0-based, over all sheets) shows
    the frame on screen k x interval_s seconds after the first frame."""
    paths: list[Path]
    columns: int
    rows: int
    tile_width: int
    tile_height: int
    interval_s: float
    count: int           # tiles that hold a picture (the last sheet may be part-filled, black)


class FrameThumbnails(msgspec.Struct, frozen=True):
    """A small JPEG of every decoded frame, concatenated in decode order; `offsets` is an .npy of
    frame_count + 1 byte offsets (frame i is bytes offsets[i]:offsets[i+1])."""
    path: Path
    offsets: Path
    width: int
    height: int


class IngestProgress(msgspec.Struct, frozen=True):
    frames_done: int
    frames_total: int    # from the container; a guess for some files, so done may pass it
    fps: float           # decoded frames per second so far


class IngestResult(msgspec.Struct, frozen=True):
    master: MasterIdentity
    threshold: float
    min_scene_len: int
    frame_count: int             # decoded frames
    fps: float                   # the nominal rate frames are numbered with (PySceneDetect's)
    fps_rational: str            # the same, exact: "30000/1001"
    duration_s: float            # end of the last scene (PySceneDetect's end time)
    width: int                   # coded size of the master
    height: int
    display_width: int           # as shown: sample aspect ratio and rotation applied
    display_height: int
    detect_width: int            # the size frames were scored at (PySceneDetect's working size)
    detect_height: int
    time_origin_s: float         # the stream timestamp frame times count from (its start_time)
    cuts: list[int]              # frame number of the first frame of every scene after the first
    cut_indices: list[int]       # the same cuts as decoded indices
    scenes: list[Scene]
    frame_times: Path            # .npy float64: presentation seconds of each decoded frame
    frame_numbers: Path          # .npy int64: PySceneDetect frame number of each decoded frame
    scores: Path                 # .npy float64: ContentDetector's content_val of each frame
    sprites: SpriteSheets
    thumbnails: FrameThumbnails
    proxy: Path | None           # VP9/WebM scrubbing proxy, keyframe every proxy_gop frames
    proxy_width: int | None
    proxy_height: int | None
    proxy_gop: int | None
    decode_seconds: float        # wall time of the one decode pass that made this entry
    cached: bool                 # True when nothing was decoded for this call
    waveform: WaveformRecord | None = None  # audio peaks (files beside `scores`); None: no audio
