"""The one interface every archive operation implements, and the job it works on.

Like a Blender operator: an id and a label, `check` (may it run with these inputs? raise a clear
InputError before any work), `plan` (the units of work, each with its final output paths) and
`execute` (do one unit). A unit carries in `params` everything `execute` needs, so a resumed
session runs the stored plan without planning again."""

from __future__ import annotations

import abc
import threading
from pathlib import Path
from typing import Callable, ClassVar

import msgspec

from backend.db.files import FileRecord
from backend.db.structs import Scene  # the one Scene type, as scenes_data stores it


class Unit(msgspec.Struct, kw_only=True):
    op: str                       # operator id, stored as operation_type
    name: str                     # unique within a session, stored as operation_name
    stage: int                    # every unit of a lower stage completes before a higher one starts
    input_file: str | None = None
    outputs: list[str] = []       # archive-relative paths this unit will create
    params: dict = {}             # stored as settings_used


class UnitResult(msgspec.Struct, kw_only=True):
    files: list[FileRecord] = []  # file_path archive-relative; the runner adds size and verified
    warnings: list[str] = []
    cpu_seconds: float | None = None   # CPU time of the child processes this unit ran
    peak_rss_mb: float | None = None
    gpu: bool = False


class Job:
    """What operators see of a session: inputs, the resolved preset, the scenes, and the means to
    report progress and notice a pause. Built by the runner from the session row, so a resumed
    job looks exactly like the first run."""

    def __init__(self, *, session_id: str, master: Path, archive: Path, date: str,
                 rd_folder: Path | None, preset, encoder: dict, scenes: list[Scene],
                 selected: list[int], groups: dict[str, list[int]], metadata, settings: dict,
                 cache_root: Path, master_info=None, cancel: threading.Event | None = None,
                 threshold: float = 30.0, min_scene_len: int = 15, timeline=None):
        self.session_id = session_id
        self.master = master
        self.archive = archive
        self.date = date
        self.rd_folder = rd_folder
        self.preset = preset
        self.encoder = encoder
        self.scenes = scenes
        self.selected = selected
        self.groups = groups
        self.metadata = metadata
        self.settings = settings
        self.cache_root = cache_root
        self.master_info = master_info
        self.cancel = cancel or threading.Event()
        self.threshold = threshold
        self.min_scene_len = min_scene_len
        self.timeline = timeline  # FrameTimeline, known after scene detection
        # The session as the runner sees it, for operators that summarise it (process log,
        # manifest); set by the runner, which owns the database.
        self.journal: Callable[[], list] = lambda: []
        self.registered: Callable[[], list] = lambda: []
        self.session: Callable[[], object] = lambda: None

    @property
    def prefix(self) -> str:
        """Every archive file name starts with date and artwork, so files sort and say what they are."""
        return self.archive.name

    def path(self, relative: str) -> Path:
        return self.archive / relative

    def metadata_for(self, text: str):
        """The archive metadata with `text` (which scene, which frame) added to the description."""
        return msgspec.structs.replace(self.metadata,
                                       description=f"{self.metadata.description}. {text}")

    def selected_scenes(self) -> list[Scene]:
        wanted = set(self.selected)
        return [s for s in self.scenes if s.number in wanted]

    def first_index(self, scene: Scene) -> int:
        """The scene's first decoded frame."""
        if scene.start_index is not None:
            return scene.start_index
        return self.timeline.index(scene.start_frame)

    def decoded_range(self, scene: Scene) -> tuple[int, int]:
        """Decoded indices (inclusive) of the scene's frames: from its first frame up to the frame
        before the next scene's first frame, and to the last decoded frame for the last scene.
        Scenes so partition the master's frames, also where timestamp numbering (variable frame
        rate) skips or repeats numbers, or numbers the last frame past the last scene's end."""
        first = self.first_index(scene)
        following = [i for i in map(self.first_index, self.scenes) if i > first]
        last = min(following) - 1 if following else len(self.timeline) - 1
        return first, last

    def group_of(self, number: int) -> str | None:
        for name, members in self.groups.items():
            if number in members:
                return name
        return None


Progress = Callable[[float], None]


class Operator(abc.ABC):
    id: ClassVar[str]
    label: ClassVar[str]
    stage: ClassVar[int]
    # Work that later stages wait on (the web master) runs first and at full CPU priority.
    critical_path: ClassVar[bool] = False

    def check(self, job: Job) -> None:
        """Raise InputError if the job's inputs cannot work for this operator. Default: fine."""

    @abc.abstractmethod
    def plan(self, job: Job) -> list[Unit]:
        """The units of work for this job, each naming its outputs."""

    @abc.abstractmethod
    def execute(self, unit: Unit, job: Job, progress: Progress) -> UnitResult:
        """Do one unit: write each output under a temporary name, rename when complete."""
