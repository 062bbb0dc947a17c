"""From what the sequencer shows to what `process` takes, and back (no bpy here).

A piece is one strip of the master: the part of the master it shows as content frames at the
strip's movie rate (Blender counts a movie's frames at its own rate), whether it is muted, and
its group. Every piece edge inside the master is a cut; the scenes between cuts are numbered
from 1 as `process` numbers them; a scene is selected when an unmuted piece shows it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    first: int          # content frame (0 = the master's first frame)
    after: int          # content frame after its last
    muted: bool = False
    group: str = ""


@dataclass(frozen=True)
class Plan:
    edges: list[int]              # content frames of every scene start, the first being 0
    selected: list[int]           # scene numbers
    groups: dict[str, list[int]]  # group name -> scene numbers

    def scenes_spec(self) -> str:
        return ",".join(map(str, self.selected))

    def cuts_csv(self, fps: float) -> str:
        """LosslessCut's CSV (start,,label per scene: a start without an end is a cut only), times
        from the content frames at the movie's rate; `process --cuts` turns each back into the
        frame scene detection numbers at that time, also on a variable-frame-rate master."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for number, frame in enumerate(self.edges, 1):
            writer.writerow([f"{frame / fps:.6f}", "", f"Scene {number:03d}"])
        return out.getvalue()


def plan(pieces: list[Piece], length: int) -> Plan:
    """Scenes, selection and groups from the pieces of one master `length` content frames long."""
    if not pieces:
        raise ValueError("no strip of the master is in the sequencer")
    edges = sorted({0} | {f for p in pieces for f in (p.first, p.after) if 0 < f < length})
    selected, groups = [], {}
    for number, start in enumerate(edges, 1):
        # the topmost rule is simple: the first piece found showing the scene's first frame
        shown = [p for p in pieces if p.first <= start < p.after]
        if not shown:
            continue  # a gap: nothing of the master shows there, so it is not selected
        if any(not p.muted for p in shown):
            selected.append(number)
        group = next((p.group for p in shown if p.group and not p.muted),
                     next((p.group for p in shown if p.group), ""))
        if group:
            groups.setdefault(group, []).append(number)
    if not selected:
        raise ValueError("every strip of the master is muted: nothing to archive")
    return Plan(edges, selected, groups)


def cut_frames(starts_s: list[float], fps: float, length: int) -> list[int]:
    """Content frames (at the movie's rate) of scene starts given in seconds, inside the master."""
    frames = sorted({round(t * fps) for t in starts_s})
    return [f for f in frames if 0 < f < length]
