"""Sprite sheets for the timeline strip, composed from the frame-thumbnail cache after the decode.

The frame thumbnails already hold every frame at tile size, so the strip needs no branch of its
own in ffmpeg: tile k is the thumbnail of the frame on screen k x interval seconds after the first
frame (the last frame whose time is not later). Composing here keeps one sheet in memory at a
time; an mjpeg encoder in ffmpeg keeps a pool of up to 36 pictures, which for 1600x900 sheets grew
ffmpeg's peak by ~25 MB over a 32-minute master."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

SHEET_PATTERN = "sprite-%03d.jpg"
SHEET_QUALITY = 85


def tile_frames(times: np.ndarray, interval: float) -> np.ndarray:
    """Decoded index of the frame each tile shows: one tile per `interval` seconds from the first
    frame up to the last frame's time."""
    start = float(times[0])
    count = int(np.floor((float(times[-1]) - start) / interval + 1e-9)) + 1
    moments = start + np.arange(count) * interval
    return np.maximum(np.searchsorted(times, moments + 1e-9, side="right") - 1, 0)


def compose_sheets(thumbs: Path, offsets: np.ndarray, frames: np.ndarray, tile: tuple[int, int],
                   grid: tuple[int, int], out_dir: Path) -> list[Path]:
    """Write sheets of columns x rows tiles, filled row by row; the last may be part-filled
    (black after the last tile)."""
    columns, rows = grid
    width, height = tile
    per_sheet = columns * rows
    sheets = []
    with open(thumbs, "rb") as source:
        for first in range(0, len(frames), per_sheet):
            sheet = Image.new("RGB", (columns * width, rows * height))
            for slot, index in enumerate(frames[first:first + per_sheet].tolist()):
                source.seek(int(offsets[index]))
                data = source.read(int(offsets[index + 1] - offsets[index]))
                with Image.open(io.BytesIO(data)) as picture:
                    sheet.paste(picture.convert("RGB"), ((slot % columns) * width,
                                                         (slot // columns) * height))
            path = out_dir / (SHEET_PATTERN % (len(sheets) + 1))
            sheet.save(path, "JPEG", quality=SHEET_QUALITY)
            sheet.close()  # before the next one is made: one sheet in memory at a time
            sheets.append(path)
    return sheets
