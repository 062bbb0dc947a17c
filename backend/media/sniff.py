"""Why FFmpeg could not open a file, in words a person can act on: a text file, an MP4 cut off
before its index, a damaged Matroska file, or simply an unknown format. Reads only the first
bytes and the top-level MP4 box headers."""

import struct
from pathlib import Path

HEAD_BYTES = 64 * 1024
# Top-level ISO BMFF (MP4/MOV) boxes that may come first in a file.
ISO_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid",
                   b"styp", b"sidx", b"moof"}
MATROSKA_MAGIC = b"\x1a\x45\xdf\xa3"


def why_unreadable(path: Path, size: int, ffmpeg_reason: str) -> str:
    """One line for a file FFmpeg refused to open."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if head[4:8] in ISO_FIRST_BOXES:
        return _iso_reason(path, size)
    if head.startswith(MATROSKA_MAGIC):
        return (f"{path} is a truncated or damaged Matroska/WebM file ({ffmpeg_reason}); "
                "an interrupted copy?")
    if looks_like_text(head):
        return f"{path} is a text file, not a video"
    return f"{path} is not a video file FFmpeg can read ({ffmpeg_reason})"


def looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the end of the sample is still text
        if exc.start < len(head) - 4:
            return False
        text = head[:exc.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\t\r\n\f" for ch in text)
    return bool(text) and printable >= 0.95 * len(text)


def iso_boxes(path: Path, size: int) -> list[tuple[str, int, int]]:
    """Top-level boxes as (type, offset, declared size); stops at a box that cannot be read."""
    boxes = []
    with open(path, "rb") as fh:
        offset = 0
        while offset + 8 <= size:
            fh.seek(offset)
            box_size, kind = struct.unpack(">I4s", fh.read(8))
            if box_size == 1:
                extended = fh.read(8)
                if len(extended) < 8:
                    break
                box_size = struct.unpack(">Q", extended)[0]
            elif box_size == 0:  # "runs to the end of the file"
                box_size = size - offset
            name = kind.decode("latin-1")
            boxes.append((name, offset, box_size))
            if box_size < 8:
                break
            offset += box_size
    return boxes


def _iso_reason(path: Path, size: int) -> str:
    boxes = iso_boxes(path, size)
    names = [name for name, _, _ in boxes]
    cut = next(((name, offset + box_size) for name, offset, box_size in boxes
                if offset + box_size > size), None)
    if cut and "moov" not in names:
        name, needed = cut
        return (f"{path} is truncated: the file ends at {size:,} bytes inside its '{name}' box, "
                f"which needs {needed:,}, and its index (moov atom) is missing; "
                "an interrupted copy or recording?")
    if cut:
        return f"{path} is truncated: the file ends at {size:,} bytes, its '{cut[0]}' box needs {cut[1]:,}"
    if "moov" not in names and "moof" not in names:
        return f"{path} is damaged: an MP4/MOV file without its index (moov atom)"
    return f"{path} is a damaged MP4/MOV file that FFmpeg cannot open"
