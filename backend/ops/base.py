"""The one interface every archive operation implements, and the job it works on.

Like a Blender operator: an id and a label, typed parameters (`Params`), `check` (may it run
with these inputs? raise a clear InputError before any work), `plan` (the units of work, each
with its final output paths and the units whose outputs it reads) and `execute` (do one unit,
and return what it made). A unit carries in `params` everything `execute` needs, so a resumed
session runs the stored plan without planning again."""

from __future__ import annotations

import abc
import enum
import threading
from pathlib import Path
from typing import Any, Callable, ClassVar

import msgspec

from backend.archive import layout as archive_layout
from backend.db.files import FileRecord
from backend.db.session_spec import Group, SessionSpec
from backend.model.detection_params import DetectionParams
from backend.media.encoders import Choice
from backend.media.scenes import Scene


class Stage(enum.IntEnum):
    """What a unit works from. Units start as soon as the units they need are done; the stage
    orders the analysis before the export, and says what goes first when several can start.
    The values are those of the stage numbers plans stored before the names existed."""
    ANALYSIS = 0   # probe and scene detection: everything else is planned from their results
    SOURCE = 1     # from the master and the R&D folder: copies, web master, stills, R&D files
    DERIVED = 2    # from another unit's output: clips (web master), thumbnails (stills)
    JOINED = 3     # from clips: a group's joined clip
    SHEET = 8      # after every file it shows: the contact sheet
    VERIFY = 9     # after everything: verification, process log, manifest
    BAG = 10       # after the manifest: the BagIt tag files


class Unit(msgspec.Struct, kw_only=True):
    op: str                       # operator id, stored as operation_type
    name: str                     # unique within a session, stored as operation_name
    stage: Stage
    input_file: str | None = None
    outputs: list[str] = []       # archive-relative paths this unit will create
    needs: list[str] = []         # names of the units whose outputs this one reads
    params: Any = None            # the operator's Params Struct; stored in settings_used


class UnitResult(msgspec.Struct, kw_only=True):
    files: list[FileRecord] = []  # file_path archive-relative; the runner adds the size
    warnings: list[str] = []
    cpu_seconds: float | None = None   # CPU time of the child processes this unit ran
    peak_rss_mb: float | None = None
    gpu: bool = False
    # What analysis learns about the master; the runner keeps it for planning and the session.
    master_info: Any = None       # backend.media.probe.MediaInfo
    scenes: list[Scene] | None = None
    timeline: Any = None          # backend.media.timeline.FrameTimeline
    # The verification operator's verdict per registered file (archive-relative path -> ok).
    verified: dict[str, bool] | None = None
    # A unit that finished its work but found it failed (verification): the runner records
    # the results above, then fails the unit with this message.
    error: str | None = None


class Job:
    """What operators see of a session: inputs, the resolved preset, the scenes, and the means to
    report progress and notice a pause. Built by the runner from the session row, so a resumed
    job looks exactly like the first run. Operators read it; they never change it."""

    def __init__(self, *, session_id: str, master: Path, archive: Path, date: str,
                 rd_folder: Path | None, preset, encoder: Choice, scenes: list[Scene],
                 selected: list[int], groups: list[Group], metadata, spec: SessionSpec,
                 cache_root: Path, detection: DetectionParams, master_info=None,
                 cancel: threading.Event | None = None, timeline=None):
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
        self.spec = spec
        self.cache_root = cache_root
        self.detection = detection
        self.master_info = master_info
        self.cancel = cancel or threading.Event()
        self.timeline = timeline  # FrameTimeline, known after scene detection
        # The session as the runner sees it, for operators that summarise it (process log,
        # manifest); set by the runner, which owns the database.
        self.journal: Callable[[], list] = lambda: []
        self.registered: Callable[[], list] = lambda: []
        self.session: Callable[[], object] = lambda: None
        # Operator id -> a call that waits for and hands over its `ahead` work (jobs/ahead.py).
        self.ahead: dict[str, Callable[[], Any]] = {}
        # Scenes as the analysis's detection settles them, while work runs ahead (jobs/ahead.py).
        self.scene_feed = None

    def take_ahead(self, op_id: str) -> Any:
        """The operator's work done while the analysis ran, waited for; None when there is none
        (a resumed run, the editor) or it did not complete (the unit then does it all). Each of
        the operator's units gets the same result and takes its own part of it."""
        take = self.ahead.get(op_id)
        return take() if take is not None else None

    @property
    def prefix(self) -> str:
        """Every archive file name starts with date and artwork, so files sort and say what they are."""
        return self.archive.name

    @property
    def layout(self) -> str:
        """"folder" or "bagit" (backend/archive/layout.py), as the session started."""
        return self.spec.archive_layout

    def path(self, relative: str) -> Path:
        """The file on disk for an archive path (under data/ in a bag)."""
        return archive_layout.location(self.archive, self.layout, relative)

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

    def group_of(self, number: int) -> Group | None:
        for group in self.groups:
            if number in group.scenes:
                return group
        return None


Progress = Callable[[float], None]


class Operator(abc.ABC):
    id: ClassVar[str]
    label: ClassVar[str]
    stage: ClassVar[Stage]
    Params: ClassVar[type | None] = None  # the Struct of its units' params; None: no params
    # Work that others wait on (the web master) runs first and at full CPU priority.
    critical_path: ClassVar[bool] = False
    # Its units need every unit of the export in an earlier stage (contact sheet, verification,
    # bag): filled in at planning.
    needs_everything: ClassVar[bool] = False
    # Its units read the frame timeline (job.timeline): a resume loads it from the ingest cache.
    needs_timeline: ClassVar[bool] = False
    # Work that needs only the master and can run while the analysis does (a headless run that
    # goes straight on to the export): an operator that has some defines
    # `ahead(self, job, stop) -> result`, which writes only partial files and returns early once
    # `stop.is_set()` (a pause, the run ending); its unit then takes the result with
    # `job.take_ahead`, and `drop_ahead` undoes what no unit took of it. jobs/ahead.py runs it.
    ahead: ClassVar[Callable[..., Any] | None] = None

    def drop_ahead(self, result: Any) -> None:
        """Undo what no unit took of an `ahead` result (a pause, a failed analysis, a forecast
        that proved wrong); called once the run's units are done. Default: nothing to undo."""

    def check(self, job: Job) -> None:
        """Raise InputError if the job's inputs cannot work for this operator. Default: fine."""

    @abc.abstractmethod
    def plan(self, job: Job) -> list[Unit]:
        """The units of work for this job, each naming its outputs and the units it needs."""

    @abc.abstractmethod
    def execute(self, unit: Unit, job: Job, progress: Progress) -> UnitResult:
        """Do one unit: write each output under a temporary name, rename when complete."""
