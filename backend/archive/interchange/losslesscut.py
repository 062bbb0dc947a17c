"""LosslessCut's segment CSV (its "CSV (seconds)" export and import): one line per segment,
`start,end,label`, times in seconds of the file. Times are written to the microsecond from the
frame's own timestamp, so they map back to the same frame at any rate."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

from backend.archive.interchange import SceneList


def write(scenes: SceneList) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for scene in scenes.scenes:
        label = f"Scene {scene.number:03d}" + (f" ({scene.group})" if scene.group else "")
        writer.writerow([f"{scene.start_time:.6f}", f"{scene.end_time:.6f}", label])
    return out.getvalue().encode("utf-8")


def read_segments(path: Path, rate: Fraction) -> list[tuple[int, int]]:
    """(first frame, frame after the last) of each segment: a time becomes the frame whose
    number scene detection gives it (seconds x rate, rounded). A segment without an end (a
    LosslessCut marker) is a cut only."""
    segments = []
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or not "".join(row).strip():
            continue
        try:
            start = float(row[0])
            end = float(row[1]) if len(row) > 1 and row[1].strip() else None
        except ValueError:
            raise ValueError(f"line {number}: {row[0]!r} is not a time in seconds "
                             "(LosslessCut's CSV: start,end,label)") from None
        if start < 0 or (end is not None and end < start):
            raise ValueError(f"line {number}: segment {row[0]}-{row[1]} runs backwards or before 0")
        first = round(start * rate)
        segments.append((first, round(end * rate) if end is not None else first))
    if not segments:
        raise ValueError("has no segments")
    return segments
