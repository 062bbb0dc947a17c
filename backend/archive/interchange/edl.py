"""CMX 3600 EDL: one event per scene, the archived master as source (reel AX, its file name in
a FROM CLIP NAME comment so an NLE relinks it), groups as locators, non-drop-frame timecode at
the master's nominal rate; the record side starts at 01:00:00:00 as NLE timelines do."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from backend.archive.interchange import SceneList
from backend.archive.interchange import timecode as tc

REEL = "AX"  # the auxiliary source: the clip is named in the comment below the event
_EVENT = re.compile(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(C|D|W\d+|K[BO]?\d*)\s+(?:\d+\s+)?"
                    r"(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$")
# marker colors CMX locators name (Avid's set)
LOCATOR_COLORS = ["RED", "GREEN", "BLUE", "CYAN", "MAGENTA", "YELLOW", "WHITE", "BLACK"]


def _comment(text: str) -> str:
    return " ".join(text.split())  # one line, whatever the name holds


def write(scenes: SceneList) -> bytes:
    rate = scenes.rate
    start = tc.from_timecode(scenes.start_timecode, rate) if scenes.start_timecode else 0
    record = 3600 * tc.nominal(rate)
    channels = "AA/V" if scenes.has_audio else "V"
    colors = {name: LOCATOR_COLORS[i % len(LOCATOR_COLORS)] for i, name in enumerate(scenes.groups)}
    lines = [f"TITLE: {_comment(scenes.title)[:70]}", "FCM: NON-DROP FRAME", ""]
    for event, scene in enumerate(scenes.scenes, 1):
        src_in = start + scene.start_frame
        rec_in = record + scene.start_frame
        lines.append(f"{event:03d}  {REEL:<8} {channels:<5} C        "
                     f"{tc.to_timecode(src_in, rate)} {tc.to_timecode(src_in + scene.frames, rate)} "
                     f"{tc.to_timecode(rec_in, rate)} {tc.to_timecode(rec_in + scene.frames, rate)}")
        lines.append(f"* FROM CLIP NAME: {_comment(scenes.master_file)}")
        lines.append(f"* COMMENT: SCENE {scene.number:03d}"
                     + (f" GROUP {_comment(scene.group)}" if scene.group else ""))
        if scene.group:
            lines.append(f"* LOC: {tc.to_timecode(rec_in, rate)} {colors[scene.group]:<7} "
                         f"{_comment(scene.group)}")
        lines.append("")
    return "\r\n".join(lines).encode("ascii", errors="replace")


def read_segments(path: Path, rate: Fraction, start_frame: int) -> list[tuple[int, int]]:
    """(first frame, frame after the last) of each event's source, counted from `start_frame`
    (the master's own start timecode)."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    drop = None
    segments = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.upper().startswith("FCM:"):
            drop = "NON" not in line.upper() and "DROP" in line.upper()
            continue
        m = _EVENT.match(line)
        if not m:
            continue
        try:
            src_in, src_out = (tc.from_timecode(t, rate, drop_frame=drop or None) for t in m.group(5, 6))
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
        if src_out < src_in:
            raise ValueError(f"line {number}: source out {m.group(6)} is before source in {m.group(5)}")
        if m.group(3).upper().startswith("A") and "V" not in m.group(3).upper():
            continue  # an audio-only event does not cut the picture
        segments.append((src_in - start_frame, src_out - start_frame))
    if not segments:
        raise ValueError("has no events (not a CMX 3600 EDL?)")
    return segments
