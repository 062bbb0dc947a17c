"""The frame-thumbnail cache: one small JPEG per decoded frame, concatenated in decode order by
ffmpeg's mjpeg muxer, plus an index of byte offsets. It turns "the thumbnail of frame N" into one
file read, for any N: scene-midpoint thumbnails after a re-cut and frame-exact scrubbing in the
editor need no decoding."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from backend.errors import MediaError

_CHUNK = 1 << 20  # scan in 1 MiB slices: indexing an hour of thumbnails stays small in memory


def index_jpeg_stream(path: Path, expected: int) -> np.ndarray:
    """Byte offsets of each JPEG in `path` plus the end (expected + 1 values). A JPEG starts with
    the SOI marker FF D8; inside one, FF is always followed by 00 (stuffing) or a marker that is
    not D8, and the muxer writes the images back to back, so every FF D8 starts a frame."""
    starts: list[np.ndarray] = []
    size = 0
    ends_with_ff = False
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            part = np.frombuffer(chunk, dtype=np.uint8)
            if ends_with_ff and part[0] == 0xD8:  # a marker split across two reads
                starts.append(np.array([size - 1]))
            starts.append(np.flatnonzero((part[:-1] == 0xFF) & (part[1:] == 0xD8)) + size)
            ends_with_ff = bool(part[-1] == 0xFF)
            size += len(part)
    offsets = np.concatenate(starts + [np.array([size])]).astype(np.int64)
    if len(offsets) != expected + 1 or (expected and offsets[0] != 0):
        raise MediaError(f"the frame thumbnails hold {len(offsets) - 1} images for {expected} "
                         "decoded frames")
    return offsets


def read_thumbnail(path: Path, offsets: np.ndarray, index: int) -> bytes:
    """The JPEG bytes of decoded frame `index`."""
    if not 0 <= index < len(offsets) - 1:
        raise IndexError(f"frame index {index} is outside 0..{len(offsets) - 2}")
    start, end = int(offsets[index]), int(offsets[index + 1])
    with open(path, "rb") as f:
        f.seek(start)
        return f.read(end - start)
