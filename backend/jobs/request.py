"""What a caller (CLI, bridge, test) asks the runner to do, as one validated Struct."""

from __future__ import annotations

from typing import Literal

import msgspec

from backend.db.session_spec import Group, SceneNote


class ProcessRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    master: str
    artwork: str
    date: str                           # YY-MM-DD
    out: str                            # the archive folder is created inside it
    rd: str | None = None               # R&D folder, optional
    preset: str | None = None           # None: the default_preset setting
    overrides: dict | None = None       # custom settings on top of the preset, e.g. {"video": {"crf": 20}}
    encoder: Literal["auto", "x264", "nvenc"] = "auto"
    threshold: float | None = None      # None: scene_threshold_default setting
    min_scene_len: int | None = None    # None: min_scene_length_default setting
    scenes: str | None = None           # "all" or "1,3,5-7"
    groups: list[Group] | dict[str, list[int]] | None = None  # a groups file's form, or the editor's
    cuts: list[int] | None = None       # cuts edited by the user: replaces detection's cut list
    workers: int | None = None          # None: parallel_workers setting
    layout: Literal["folder", "bagit"] | None = None  # None: archive_layout setting
    follows: str | None = None          # a finished archive's folder name: this is its next version (NAME_vN beside it)
    scene_notes: list[SceneNote] | None = None  # labels and notes by start frame (a reopened project's)


class Outcome(msgspec.Struct, kw_only=True):
    session_id: str
    status: str                         # completed, paused, failed; analysed (waiting for edits)
    archive_path: str
    completed: int
    total: int
    failed: list[str] = []
    warnings: list[str] = []
    error: str | None = None
