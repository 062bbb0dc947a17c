"""What a session holds besides its plain columns, as typed Structs: the spec the session was
started with (processing_state.process_metadata) and the editor's scene groups
(grouped_scenes). The spec is resolved once, at creation (preset, encoder, metadata, settings),
so a resumed job is the job that started even when presets or settings changed in between.

Sessions written before these types existed stored the same keys as a plain dict; the field
names are those keys, so such a row reads as a SessionSpec unchanged."""

from __future__ import annotations

from typing import Annotated

import msgspec

from backend.model.archive_metadata import ArchiveMetadata
from backend.model.encoder_choice import Choice
from backend.model.media_info import MasterIdentity, MediaInfo
from backend.presets.model import Preset

SceneNumber = Annotated[int, msgspec.Meta(ge=1)]


class RunnerMark(msgspec.Struct, kw_only=True):
    """The process that ran the session, as runs recorded it before the archive folder's lock
    (backend.jobs.archive_lock) took its place; kept so those rows still read."""
    pid: int
    started: float  # its create time: a reused pid has another one


class MasterSummary(msgspec.Struct, kw_only=True):
    """The master as the history row reports it."""
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    codec: str | None = None
    frame_count: int | None = None


class SceneNote(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A person's words on a scene, kept by its first frame so they follow it through new cuts."""
    start_frame: int
    label: str = ""          # short, one line: shown on the timeline's scene and in the contact sheet
    note: str = ""           # longer, may hold line breaks: the contact sheet


class SessionSpec(msgspec.Struct, kw_only=True):
    safe_name: str                     # the artwork name as used in file names
    encoder: Choice
    preset: Preset                     # resolved, overrides applied
    metadata: ArchiveMetadata
    workers: int = 1
    warnings: list[str] = []
    scene_spec: str = "all"            # the request's scene selection, applied after detection
    generate_log: bool = True
    extract_midpoint_stills: bool = True
    user_cuts: list[int] | None = None  # the request's cuts: replace detection's when analysed
    want_proxy: bool = False           # ingest also builds the editor's scrubbing proxy
    # The web master is joined from cached scene segments (an editor's project: an export after
    # edits encodes only what they touched); `process`, which nothing edits, encodes it in one pass.
    web_segments: bool = False
    master_size: int = 0
    master_identity: MasterIdentity | None = None  # size, mtime, content samples: resume checks it
    started: float = 0.0               # time.time() at creation
    runner: RunnerMark | None = None
    analysed: bool = False             # probe and detection done; scenes_data holds the scenes
    export_planned: bool = False       # every export unit is in operation_log
    # the editor asked for the export (stage "export"): edits are refused from then on, even
    # before the plan is written, so the archive is made from the edit the user last saw
    export_requested: bool = False
    master: MasterSummary | None = None
    master_info: MediaInfo | None = None  # the probe's result, kept so export needs no second probe
    run_seconds: float = 0.0           # wall time of the runs, not of the pauses between them
    archive_layout: str = "folder"     # "folder" or "bagit"; sessions before layouts made folders
    # Sessions written before grouped_scenes held the request's groups kept them here.
    groups: dict[str, list[SceneNumber]] | None = None
    follows: str | None = None         # the archive (folder name) this one is a new version of
    scene_notes: list[SceneNote] = []  # labels and notes, by start frame, sorted


class Group(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One of the editor's scene groups, exported as a folder of clips (and a joined clip)."""
    name: str
    color: str | None = None
    scenes: list[SceneNumber]


# grouped_scenes: the ordered list of Groups; sessions written before hold {name: [scenes]}.
GroupedScenes = list[Group] | dict[str, list[SceneNumber]]


def groups_of(stored: GroupedScenes | None) -> list[Group]:
    """grouped_scenes in its current form, whichever form it was written in."""
    if not stored:
        return []
    if isinstance(stored, dict):
        return [Group(name=name, scenes=list(members)) for name, members in stored.items()]
    return list(stored)
