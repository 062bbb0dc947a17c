"""The scene list in the forms editors use, one adapter module per format: OpenTimelineIO
(`otio.py`), CMX 3600 EDL (`edl.py`), LosslessCut's segment CSV (`losslesscut.py`) and YouTube
chapters (`chapters.py`). Frames are integers and the rate a rational (30000/1001), never a
float that drifts; `cuts.py` reads cuts back from the first three."""

from __future__ import annotations

from fractions import Fraction

import msgspec


class InterchangeScene(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    start_frame: int          # scene detection's frame numbers (see docs/ingest.md), end inclusive
    end_frame: int
    start_time: float         # seconds from the start of the master's video stream
    end_time: float
    group: str | None = None
    exported: bool = True     # selected for export (it has a clip and stills)
    clip: str | None = None   # archive path of its clip, when exported

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame + 1


class SceneList(msgspec.Struct, frozen=True, kw_only=True):
    title: str                # the archive's name, YY-MM-DD_ArtworkName
    artwork: str
    rate_num: int             # the master's frame rate as a rational
    rate_den: int
    master_file: str          # file name of the archived original master
    master_url: str           # the same, relative to the folder of the interchange files
    start_timecode: str | None = None  # the master's own start timecode (its tmcd track), if any
    has_audio: bool = False
    scenes: list[InterchangeScene]

    @property
    def rate(self) -> Fraction:
        return Fraction(self.rate_num, self.rate_den)

    @property
    def frame_count(self) -> int:
        return self.scenes[-1].end_frame + 1 if self.scenes else 0

    @property
    def groups(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for scene in self.scenes:
            if scene.group:
                found.setdefault(scene.group, []).append(scene.number)
        return found
