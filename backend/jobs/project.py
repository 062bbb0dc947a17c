"""The editor's flow as typed library calls, for the bridge and the CLI alike: `create` a project
(a session) from a request with exactly the checks `process` makes and nothing written when one
fails; `analyse` it (probe, ingest, scene detection) and stop with the session waiting for
edits; edit it (`apply_edit` a whole change, or one part: `set_cuts`, `recut`, `set_selection`,
`set_groups`: each checked and saved to the session at once); `export` it from what the session holds. `process` is the three in one run."""

from __future__ import annotations

import bisect
import contextlib
import functools
import re
import threading
import time
from fractions import Fraction
from pathlib import Path

import msgspec
import numpy as np

from backend import paths, text_rules
from backend.archive import layout as archive_layout
from backend.archive.interchange.cuts import cuts_from_file
from backend.db import files as db_files, sessions, settings as db_settings
from backend.db.session_spec import Group, SceneNote, SessionSpec
from backend.db.sessions import NewSession
from backend.errors import InputError, MediaError
from backend.jobs import archive_claims, inputs, segment_prefetch
from backend.jobs.events import Event, Listener
from backend.jobs.request import Outcome, ProcessRequest
from backend.jobs.runner import Runner, waiting_for_edits
from backend.jobs.session_job import build_job, cached_ingest, detection_of, job_metadata, session_groups
from backend.media import encoders, ffmpeg, ingest, ingest_cache
from backend.media import probe as media_probe
from backend.model.detection_params import DetectionParams, check_min_scene_len, check_threshold
from backend.media.scenes import Scene, check_cuts, cuts_of, scenes_at_cuts
from backend.media.timeline import load_timeline
from backend.jobs import preset_catalog as presets


class Created(msgspec.Struct, kw_only=True):
    session_id: str
    archive_path: str
    warnings: list[str] = []


class Discarded(msgspec.Struct, kw_only=True):
    session_id: str
    archive_path: str
    archive_removed: bool   # False: the folder held files (an export had started) and was kept


class EditState(msgspec.Struct, kw_only=True):
    """What the editor shows of a session: the scenes as cut now and what is chosen for export."""
    session_id: str
    frame_count: int | None
    duration_s: float | None
    fps: float | None
    threshold: float
    min_scene_len: int
    cuts: list[int]
    scenes: list[Scene]
    selection: list[int]
    groups: list[Group]
    scene_notes: list[SceneNote] = []


# --- create ------------------------------------------------------------------------------------

def create(db, request: ProcessRequest, *, want_proxy: bool = False) -> Created:
    """Check every field of `request` (an InputError names the field), then record the session.
    Nothing is written when a check fails. `want_proxy` makes the analysis build the editor's
    scrubbing proxy too. Its web master is made of scene segments, so that an export after edits
    encodes only the segments they touched (backend/media/segments.py)."""
    created, lock = _create_locked(db, request, want_proxy=want_proxy, web_segments=True)
    lock.release()
    return created


# the settings that remember where the last project's files were (the seed's names)
FOLDER_SETTINGS = {"master": "last_master_directory", "out": "last_output_directory",
                   "rd": "last_rd_directory"}


def remember_folders(db, *, master: str, out: str, rd: str | None = None) -> None:
    """The folders of a project just created, for the next one's fields and file dialogs."""
    folders = {"master": Path(master).expanduser().resolve().parent, "out": Path(out).expanduser().resolve(),
               "rd": Path(rd).expanduser().resolve() if rd else None}
    for key, folder in folders.items():
        if folder is not None:
            db_settings.set(db, FOLDER_SETTINGS[key], str(folder))


class Checked(msgspec.Struct, kw_only=True):
    """A request as `process` accepts it: every field checked and resolved."""
    request: ProcessRequest
    master: Path
    date: str
    name: str
    out: Path
    rd: Path | None
    groups: list[Group]
    preset: object
    info: object
    choice: encoders.Choice
    detection: DetectionParams
    workers: int
    layout: str
    warnings: list[str]


class RequestErrors(InputError):
    """Every problem of one request at once (`check(..., all_errors=True)`); `errors` holds them
    in the order `process` checks them, each an InputError naming its field."""

    def __init__(self, errors: list[InputError]):
        super().__init__("; ".join(f"{e.field or 'request'}: {e}" for e in errors),
                         errors[0].field)
        self.errors = errors


def check(db, request: ProcessRequest, *, all_errors: bool = False,
          local_encoder: bool = True) -> Checked:
    """Every check `process` makes before it writes anything. The first problem raises an
    InputError naming its field; with `all_errors` the checks go on past it (those that need a
    field that failed are left out) and a RequestErrors carries all of them. `local_encoder`
    False (a job for another machine) checks the encoder's name but not this machine's GPU."""
    settings = db_settings.as_dict(db)
    ffmpeg.configure(settings["ffmpeg_path"])
    errors: list[InputError] = []
    warnings: list[str] = []

    def step(fn, *args, field: str | None = None):
        try:
            return fn(*args)
        except InputError as exc:
            if field is not None and exc.field is None:
                exc = InputError(str(exc), field)
            if not all_errors:
                raise exc from None
            errors.append(exc)
            return None

    def warned(pair):
        if pair is not None and pair[1]:
            warnings.append(pair[1])
        return None if pair is None else pair[0]

    master = step(inputs.check_master, request.master)
    date = step(inputs.check_date, request.date)
    name = warned(step(inputs.safe_name, request.artwork))
    out = step(inputs.check_output_dir, request.out)
    rd = warned(step(inputs.check_rd_folder, request.rd))
    step(inputs.parse_scene_spec, request.scenes)
    groups = step(inputs.check_groups, request.groups or [], "groups")
    preset = step(_preset, db, request, field="preset")
    info = None
    if master is not None:
        try:
            info = media_probe.probe(master)
        except MediaError as exc:
            step(_raise, InputError(f"the master cannot be used: {exc}", "master"))
    choice = step(_encoder, db, request, settings, local_encoder, field="encoder")
    if choice is not None and choice.warning:
        warnings.append(choice.warning)
    # each checked on its own, so that with all_errors both are named and none escapes as a
    # lone exception (a batch manifest row reports every problem of the row)
    threshold = step(check_threshold, request.threshold if request.threshold is not None
                     else settings["scene_threshold_default"])
    min_scene_len = step(check_min_scene_len, request.min_scene_len if request.min_scene_len is not None
                         else settings["min_scene_length_default"])
    detection = None if threshold is None or min_scene_len is None else \
        DetectionParams(threshold=threshold, min_scene_len=min_scene_len)
    if request.cuts is not None and info is not None:
        step(_check_cut_list, request.cuts, info.video.frame_count)
    workers = request.workers if request.workers is not None else settings["parallel_workers"]
    most = int(db_settings.MAXIMUM["parallel_workers"])
    if not 1 <= workers <= most:
        step(_raise, InputError(f"workers must be 1 to {most} (got {workers})", "workers"))
    layout = step(archive_layout.check, request.layout or settings.get("archive_layout", "folder"))
    if errors:
        raise RequestErrors(errors)
    return Checked(request=request, master=master, date=date, name=name, out=out, rd=rd,
                   groups=groups, preset=preset, info=info, choice=choice, detection=detection,
                   workers=workers, layout=layout, warnings=warnings)


def _raise(exc: InputError):
    raise exc


def _preset(db, request: ProcessRequest):
    preset_id = request.preset or presets.default_id(db)
    try:
        preset = presets.resolve(db, preset_id)
    except InputError as exc:
        raise InputError(str(exc), exc.field or "preset") from None
    if request.overrides:
        try:
            preset = presets.apply_overrides(preset, request.overrides)
        except InputError as exc:
            raise InputError(str(exc), exc.field or "overrides") from None
    return preset


def _encoder(db, request: ProcessRequest, settings: dict, local: bool) -> encoders.Choice:
    if not local:  # the node that runs the job makes this check (and insists on NVENC)
        family = "nvenc" if request.encoder == "nvenc" else "x264"
        return encoders.Choice(encoder="h264_nvenc" if family == "nvenc" else "libx264",
                               family=family, gpu=family == "nvenc")
    preference = request.encoder if request.encoder != "auto" else settings["encoder_preference"]
    try:
        return encoders.choose_encoder(
            preference, bool(settings["gpu_enabled"]),
            encoders.detect_encoders(cache_dir=paths.cache_dir(db.path)),
            insist=request.encoder == "nvenc")
    except InputError as exc:
        raise InputError(str(exc), "encoder") from None
    except MediaError as exc:
        raise InputError(str(exc), "encoder") from None


def _create_locked(db, request: ProcessRequest, *, want_proxy: bool = False,
                   web_segments: bool = False):
    """`create`, returning the archive folder's lock still held: `process` runs the session
    under it, so no other run can take the folder between the record and the run."""
    checked = check(db, request)
    settings = db_settings.as_dict(db)
    warnings = list(checked.warnings)
    master, date, name, choice = checked.master, checked.date, checked.name, checked.choice
    detection, preset = checked.detection, checked.preset
    identity = ingest_cache.master_identity(master)
    spec = SessionSpec(
        safe_name=name, encoder=choice, preset=preset,
        metadata=job_metadata(settings, request.artwork.strip(), date), workers=checked.workers,
        warnings=warnings, scene_spec=request.scenes or "all",
        generate_log=settings["generate_log"],
        extract_midpoint_stills=settings["extract_midpoint_stills"], user_cuts=request.cuts,
        want_proxy=want_proxy, web_segments=web_segments, master_size=identity.size_bytes,
        master_identity=identity, started=time.time(), archive_layout=checked.layout, follows=request.follows,
        scene_notes=list(request.scene_notes or []))
    # The folder is locked while it is checked and the session recorded (archive_claims).
    folder = next_version(checked.out, request.follows) if request.follows else checked.out / f"{date}_{name}"
    lock, replaced = archive_claims.claim_new(db, folder)
    try:
        archive = lock.archive
        warnings += replaced
        session_id = sessions.create(db, NewSession(
            artwork_name=request.artwork.strip(), project_date=date, master_path=str(master),
            rd_folder_path=str(checked.rd) if checked.rd else None, output_path=str(archive),
            preset_id=preset.id, custom_settings=request.overrides, encoder_type=choice.family,
            scene_threshold=detection.threshold, min_scene_length=detection.min_scene_len,
            process_metadata=msgspec.structs.replace(spec, warnings=warnings),
            grouped_scenes=checked.groups or None))
    except BaseException:
        lock.release()
        raise
    return Created(session_id=session_id, archive_path=str(archive), warnings=warnings), lock


LABEL_CHARS = 80
NOTE_CHARS = 2000


def set_scene_notes(db, session_id: str, notes: list[dict] | list[SceneNote], *,
                    opened: Project | None = None) -> EditState:
    """Labels and notes of scenes, each by its start frame (a scene's first frame now). Empty
    ones are dropped; a label is one line of at most 80 characters, a note at most 2,000."""
    return apply_edit(db, session_id, Edit(scene_notes=notes), opened=opened)


def _checked_notes(session, notes) -> SessionSpec:
    """The session's spec with `notes` checked and kept (set_scene_notes)."""
    if not isinstance(notes, list):
        raise InputError("scene_notes must be a list of {start_frame, label, note}", "scene_notes")
    starts = {s.start_frame for s in session.scenes_data or []}
    kept: dict[int, SceneNote] = {}
    for item in notes:
        try:
            note = item if isinstance(item, SceneNote) else msgspec.convert(item, SceneNote)
        except msgspec.ValidationError as exc:
            raise InputError(f"scene_notes: {exc}", "scene_notes") from None
        if note.start_frame not in starts:
            raise InputError(f"scene_notes: frame {note.start_frame} is not the first frame of a scene",
                             "scene_notes")
        label, text = note.label.strip(), note.note.strip()
        text_rules.check(label, f"the label of the scene at frame {note.start_frame}", field="scene_notes")
        text_rules.check(text, f"the note of the scene at frame {note.start_frame}", field="scene_notes",
                         multiline=True)
        if len(label) > LABEL_CHARS or len(text) > NOTE_CHARS:
            raise InputError(f"scene_notes: a label is at most {LABEL_CHARS} characters and a note at most "
                             f"{NOTE_CHARS} (the scene at frame {note.start_frame})", "scene_notes")
        if label or text:
            kept[note.start_frame] = SceneNote(start_frame=note.start_frame, label=label, note=text)
    return msgspec.structs.replace(session.process_metadata,
                                   scene_notes=[kept[f] for f in sorted(kept)])


def carry_notes(notes: list[SceneNote], starts: list[int]) -> list[SceneNote]:
    """Notes over new scenes (`starts`, sorted): a note stays with the scene its frame is in now;
    two that land on one scene are joined (labels with " / ", notes by a line), so no words are
    lost. The editor page applies the same rule (tests/data/editor_rules.json)."""
    joined: dict[int, SceneNote] = {}
    for n in sorted(notes, key=lambda n: n.start_frame):
        i = bisect.bisect_right(starts, n.start_frame) - 1
        start = starts[max(i, 0)]
        if start in joined:
            was = joined[start]
            n = SceneNote(start_frame=start, label=" / ".join(x for x in (was.label, n.label) if x),
                          note="\n".join(x for x in (was.note, n.note) if x))
        joined[start] = msgspec.structs.replace(n, start_frame=start)
    return [joined[s] for s in sorted(joined)]


def next_version(out: Path, follows: str) -> Path:
    """The folder of the next version of the archive `follows` in `out`: NAME_v2, NAME_v3, ...,
    the first that is not there (the earlier versions are never written again)."""
    base = re.sub(r"_v\d+$", "", Path(follows).name)
    n = 2
    while (out / f"{base}_v{n}").exists():
        n += 1
    return out / f"{base}_v{n}"


def reopen_request(db, session_id: str) -> ProcessRequest:
    """A finished project as a new request: the same master, names, R&D folder, preset, encoder
    and detection, its cuts, selection and groups, made as the next version beside the first
    (which stays as it is)."""
    session = _existing(db, session_id)
    if session.status != "completed":
        raise InputError(f"session {session_id} is not finished ({session.status}): open it from "
                         "Unfinished sessions instead", "session_id")
    scenes = list(session.scenes_data or [])
    selected = session.selected_scenes or []
    return ProcessRequest(
        master=session.master_path, artwork=session.artwork_name, date=session.project_date,
        out=str(Path(session.output_path).parent), rd=session.rd_folder_path, preset=session.preset_id,
        overrides=session.custom_settings or None,
        encoder=session.encoder_type if session.encoder_type in ("x264", "nvenc") else "auto",
        threshold=session.scene_threshold, min_scene_len=session.min_scene_length,
        cuts=[s.start_frame for s in scenes[1:]],
        scenes=",".join(str(n) for n in selected) if selected else None,
        groups=session_groups(session), follows=Path(session.output_path).name,
        scene_notes=list(session.process_metadata.scene_notes))


def _check_cut_list(cuts, frame_count: int) -> None:
    """The request's cuts, checked as far as the probe allows (the exact frame numbers are
    checked against the decoded timeline when the analysis applies them)."""
    if not isinstance(cuts, list) or not all(isinstance(c, int) and not isinstance(c, bool)
                                             for c in cuts):
        raise InputError("cuts must be a list of frame numbers", "cuts")
    if len(set(cuts)) != len(cuts):
        twice = next(c for c in cuts if cuts.count(c) > 1)
        raise InputError(f"cut at frame {twice} is given twice", "cuts")
    if any(c <= 0 for c in cuts):
        raise InputError(f"cut at frame {min(cuts)} is outside the master (cuts start at frame 1)",
                         "cuts")


# --- analyse and export -------------------------------------------------------------------------

def analyse(db, session_id: str, *, listener: Listener | None = None,
            cancel: threading.Event | None = None) -> Outcome:
    """Probe the master, ingest it and detect its scenes; the session then waits for edits
    (Outcome.status "analysed"; "paused" or "failed" when it did not get there)."""
    return Runner(db, listener, cancel).analyse(session_id)


def export(db, session_id: str, *, listener: Listener | None = None,
           cancel: threading.Event | None = None) -> Outcome:
    """Archive the session's stored cuts, selection and groups (analysing first if needed)."""
    return Runner(db, listener, cancel).export(session_id)


def process(db, request: ProcessRequest, *, listener: Listener | None = None,
            cancel: threading.Event | None = None, runner: Runner | None = None) -> Outcome:
    """`video-archive process`: create, analyse and export in one run."""
    runner = runner or Runner(db, listener, cancel)
    created, lock = _create_locked(db, request)
    try:
        for message in created.warnings:
            runner.emit(Event(type="warning", session_id=created.session_id, message=message))
    except BaseException:
        lock.release()
        raise
    return runner.export(created.session_id, discard_refused_plan=True, lock=lock)


# --- stages -------------------------------------------------------------------------------------

def stage(session) -> str:
    """What the session waits for or does: "analyse", "edit" (waiting for edits) or "export"
    (asked for or planned: edits are refused)."""
    return _stage_of(session.process_metadata)


def _stage_of(spec) -> str:
    if spec and (spec.export_planned or spec.export_requested):
        return "export"
    return "edit" if spec and spec.analysed else "analyse"


def begin_export(db, session_id: str) -> bool:
    """Move the session to the export stage in one transaction with the checks, before any work
    starts: an edit that comes after is refused (`_editable`), so the archive is made from the
    edit the user saw when asking for it. False when it was in that stage already."""
    with db.transaction():
        session = _existing(db, session_id)
        if session.status == "completed":
            raise InputError(f"session {session_id} is completed: its archive is "
                             f"{session.output_path}", "session_id")
        spec = session.process_metadata
        if spec is None:
            raise InputError(f"session {session_id} was not started by this tool and cannot be "
                             "exported", "session_id")
        if spec.export_requested:
            return False
        sessions.update(db, session_id, process_metadata=msgspec.structs.replace(
            spec, export_requested=True))
        return True


def end_unplanned_export(db, session_id: str) -> None:
    """An export that stopped before its plan was written (a plan the checks refused, a master
    that changed, a refusal to start) gives the session back to the editor to fix."""
    with db.transaction():
        if not sessions.exists(db, session_id):
            return
        spec = sessions.get(db, session_id).process_metadata
        if spec is not None and spec.export_requested and not spec.export_planned:
            sessions.update(db, session_id, process_metadata=msgspec.structs.replace(
                spec, export_requested=False))


def prepare_segments(db, session_id: str) -> bool:
    """Start encoding the web master's segments for the session's cuts as they stand, in the
    background at low priority (the editor calls it once the ingest is done; each later cut
    edit starts it again for the new cuts), so that the export encodes only what the edits
    touched since. Returns at once; False when the preset encodes the web master in one pass, or
    when the export has already started (the page may start it the moment the ingest is done):
    the export encodes what it needs itself."""
    session = _existing(db, session_id)
    spec = session.process_metadata
    if not waiting_for_edits(spec) or spec.export_requested:
        return False
    job = build_job(db, session, threading.Event())
    job.timeline = load_timeline(_ingested(db, session))
    return segment_prefetch.start(job, session_id)


# --- edits ----------------------------------------------------------------------------------------

def timeline(db, session_id: str, *, opened: Project | None = None) -> EditState:
    """The session's scenes, cuts, selection and groups as they stand (as `opened` read them)."""
    return _state(opened.session if opened else sessions.get(db, session_id))


class Edit(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One whole change of the editor's (an autosave): what is None stays as it is."""
    threshold: float | None = None       # with min_scene_len: cut again from the stored scores
    min_scene_len: int | None = None
    cuts: list[int] | None = None
    groups: list[Group] | list[dict] | None = None
    selection: list[int] | None = None
    scene_notes: list[SceneNote] | list[dict] | None = None


def apply_edit(db, session_id: str, edit: Edit, *, opened: Project | None = None) -> EditState:
    """Apply a whole change at once: a recut, then the cuts, the groups, the selection and the
    scene notes, in the order scene numbers depend on, each checked against the state the parts
    before it made (new cuts carry the selection, the groups and the notes over first). Saved in
    one transaction, or not at all: a part refused (an InputError naming its field) saves none of
    them, and an export started since refuses the whole."""
    opened = opened or Project(db, session_id)
    session = _editable(db, session_id, opened.session)
    fields: dict = {}
    now = lambda: msgspec.structs.replace(session, **fields)  # noqa: E731
    recut_asked = edit.threshold is not None or edit.min_scene_len is not None
    if recut_asked:
        fields.update(_recut_fields(db, now(), opened, edit.threshold, edit.min_scene_len))
    if edit.cuts is not None:
        line = opened.frames
        scenes = scenes_at_cuts(check_cuts(edit.cuts, line), line, detected=now().scenes_data or [])
        fields.update(_scene_fields(now(), scenes))
    if edit.groups is not None:
        fields.update(grouped_scenes=_checked_groups(now(), edit.groups))
    if edit.selection is not None:
        fields.update(selected_scenes=_checked_selection(now(), edit.selection))
    if edit.scene_notes is not None:
        fields.update(process_metadata=_checked_notes(now(), edit.scene_notes))
    state = _save(db, session, **fields) if fields else _state(session)
    if (recut_asked or edit.cuts is not None) and segment_prefetch.following() == session_id:
        prepare_segments(db, session_id)  # the segments of the new cuts
    return state


def set_cuts(db, session_id: str, cuts: list[int], *, opened: Project | None = None) -> EditState:
    """Replace the session's cuts (frame numbers, each the first frame of a scene after the first).
    A cut outside the film or given twice is an InputError naming "cuts"; nothing is saved then."""
    return apply_edit(db, session_id, Edit(cuts=cuts), opened=opened)


def import_cuts(db, session_id: str, path: str, *, opened: Project | None = None) -> EditState:
    """Replace the session's cuts with those of an editor's file (CMX 3600 EDL, .otio,
    LosslessCut CSV), so a cut made in Resolve or LosslessCut drives the archive."""
    opened = opened or Project(db, session_id)
    session = _editable(db, session_id, opened.session)
    return set_cuts(db, session_id, cuts_from_file(path, session.master_path), opened=opened)


def recut(db, session_id: str, threshold: float, min_scene_len: int, *,
          opened: Project | None = None) -> EditState:
    """Cut again at another threshold / minimum scene length from the stored per-frame scores
    (no decode), replacing the session's cuts. `opened`: the call's handle, whose ingest is
    reused."""
    return apply_edit(db, session_id, Edit(threshold=threshold, min_scene_len=min_scene_len),
                      opened=opened)


def set_selection(db, session_id: str, scenes: list[int], *,
                  opened: Project | None = None) -> EditState:
    """The scenes to export, by number."""
    return apply_edit(db, session_id, Edit(selection=scenes), opened=opened)


def set_groups(db, session_id: str, groups: list[Group] | list[dict], *,
               opened: Project | None = None) -> EditState:
    """The ordered groups ({name, color, scenes}); a scene is in at most one group."""
    return apply_edit(db, session_id, Edit(groups=groups), opened=opened)


def _recut_fields(db, session, opened: Project, threshold: float | None,
                  min_scene_len: int | None) -> dict:
    """A recut's columns (scenes from the stored scores; the detection parameters), a parameter
    left out kept as the session has it."""
    now = detection_of(session)
    params = DetectionParams(threshold=now.threshold if threshold is None else threshold,
                             min_scene_len=now.min_scene_len if min_scene_len is None else min_scene_len)
    result = ingest.recut_cached(session.master_path, params.threshold, params.min_scene_len,
                                 cache_root=paths.cache_dir(db.path)) \
        or ingest.recut(opened.ingest, params.threshold, params.min_scene_len)
    opened.cut_at(result)
    return {**_scene_fields(session, list(result.scenes)), "scene_threshold": params.threshold,
            "min_scene_length": params.min_scene_len}


def _checked_selection(session, scenes) -> list[int]:
    count = len(session.scenes_data or [])
    if not isinstance(scenes, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in scenes):
        raise InputError("the selection must be a list of scene numbers", "scenes")
    bad = [n for n in scenes if not 1 <= n <= count]
    if bad:
        raise InputError(f"scene {bad[0]} does not exist: the master has {count} scene"
                         + ("" if count == 1 else "s"), "scenes")
    return sorted(set(scenes))


def _checked_groups(session, groups) -> list[Group]:
    checked = inputs.check_groups(groups, "groups")
    inputs.check_groups_against(checked, len(session.scenes_data or []))
    return checked


def ingested(db, session_id: str):
    """An analysed session's ingest (scores, frame table, sprites, thumbnails, proxy), from the
    cache: what the editor draws."""
    session = _existing(db, session_id)
    if not (session.process_metadata and session.process_metadata.analysed):
        raise InputError(f"session {session_id} is not analysed yet", "session_id")
    return _ingested(db, session)


def cancel_export(db, session_id: str) -> int:
    """An export stopped for good (Cancel, unlike Pause): the files it wrote into the archive
    folder are deleted (those its file records name: nothing else there is touched), its plan,
    log and records go, and the session is 'cancelled': no longer an unfinished export (the start
    screen's Unfinished and `resume` leave it out), its cuts, selection and groups as they were,
    so Start export plans it afresh. Returns how many files were deleted. The caller has stopped
    the export's job first."""
    session = _existing(db, session_id)
    spec = session.process_metadata
    if session.status == "completed":
        raise InputError(f"session {session_id} is completed: its archive {session.output_path} "
                         "is kept", "session_id")
    if spec is None or stage(session) != "export":
        return 0
    archive = Path(session.output_path)
    written = [archive / f.file_path for f in db_files.list_for(db, session_id)]
    with db.transaction():
        db.execute("DELETE FROM operation_log WHERE session_id = ?", (session_id,))
        db.execute("DELETE FROM file_registry WHERE session_id = ?", (session_id,))
        sessions.update(db, session_id, process_metadata=msgspec.structs.replace(
                            spec, export_planned=False, export_requested=False),
                        status="cancelled", current_operation=None, error_message=None)
    deleted = 0
    for path in written:
        if archive in path.parents and path.is_file() and not path.is_symlink():
            path.unlink()
            deleted += 1
    for folder in sorted((p for p in archive.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            folder.rmdir()   # only the empty ones
    return deleted


def discard(db, session_id: str) -> Discarded:
    """Forget an unfinished session (its log and file rows too). Its archive folder goes only
    when empty: files an export already wrote stay where they are, named in the answer. A
    completed session is the history's record and is kept; one that another process is running
    is refused."""
    session = _existing(db, session_id)
    if session.status == "completed":
        raise InputError(f"session {session_id} is completed: its archive {session.output_path} "
                         "and history are kept", "session_id")
    archive = Path(session.output_path)
    existed = archive.exists()
    try:  # the folder's lock: a session another process is running is refused
        lock = archive_claims.lock_for_resume(session)
    except InputError as exc:
        raise InputError(f"{exc}; pause it there first", "session_id") from None
    sessions.delete(db, session_id)
    lock.release(remove_empty_folder=True)
    removed = not archive.exists() or not existed
    return Discarded(session_id=session_id, archive_path=str(archive), archive_removed=removed)


def _existing(db, session_id: str):
    if not sessions.exists(db, session_id):
        raise InputError(f"no session {session_id}", "session_id")
    return sessions.get(db, session_id)


def _editable(db, session_id: str, session=None):
    session = session or _existing(db, session_id)
    _check_editable(session_id, session.process_metadata)
    return session


def _check_editable(session_id: str, spec) -> None:
    if not waiting_for_edits(spec) or spec.export_requested:
        now = _stage_of(spec)
        what = "its export has started" if now == "export" else "it is not analysed yet"
        raise InputError(f"session {session_id} cannot be edited: {what} (stage {now})",
                         "session_id")


def _save(db, session, **fields) -> EditState:
    """Write an edit's columns, checking in the same transaction that the session still takes
    edits (export.start may have come since it was read: only its spec is read again, not the
    whole row), and show the session as it now stands without reading it back."""
    with db.transaction():
        if not sessions.exists(db, session.session_id):
            raise InputError(f"no session {session.session_id}", "session_id")
        _check_editable(session.session_id, sessions.spec(db, session.session_id))
        sessions.update(db, session.session_id, **fields)
    return _state(msgspec.structs.replace(session, **fields))


def _ingested(db, session):
    return cached_ingest(session.master_path, detection_of(session), paths.cache_dir(db.path))


def _scene_fields(session, scenes: list[Scene]) -> dict:
    """New scenes' columns: the selection, the groups and the scene notes follow the frames
    (carry_choices, carry_notes)."""
    groups = session_groups(session)
    new_selection, members = carry_choices(list(session.scenes_data or []), scenes,
                                           session.selected_scenes or [], [g.scenes for g in groups])
    fields = dict(scenes_data=scenes, selected_scenes=new_selection,
                  # a group left empty stays, as the user made it
                  grouped_scenes=[Group(name=g.name, color=g.color, scenes=m) for g, m in zip(groups, members)])
    spec = session.process_metadata
    notes = carry_notes(spec.scene_notes, [s.start_frame for s in scenes])
    if notes != spec.scene_notes:  # (the spec is written, and checked again, only if they moved)
        fields["process_metadata"] = msgspec.structs.replace(spec, scene_notes=notes)
    return fields


def carry_choices(old: list[Scene], new: list[Scene], selected: list[int],
                  groups: list[list[int]]) -> tuple[list[int], list[list[int]]]:
    """The selection and each group's members (scene numbers) over new scenes: each new scene
    takes the choice of the old scene its first frame was in, so scenes merged by removing a cut
    keep the first one's. The editor page applies the same rule (tests/data/editor_rules.json)."""
    # the old scene each new one starts in (0: none): scenes are in frame order, so one
    # bisection of all the new starts into the old ones (a 2-hour film's recut has 1,500)
    heirs = [0] * len(new)
    if old and new:
        old_starts = np.array([o.start_frame for o in old], dtype=np.int64)
        old_ends = np.array([o.end_frame for o in old], dtype=np.int64)
        old_numbers = np.array([o.number for o in old], dtype=np.int64)
        starts = np.array([s.start_frame for s in new], dtype=np.int64)
        at = np.maximum(np.searchsorted(old_starts, starts, side="right") - 1, 0)
        inside = (starts >= old_starts[at]) & (starts <= old_ends[at])
        heirs = np.where(inside, old_numbers[at], 0).tolist()
    heir = [(s.number, o) for s, o in zip(new, heirs)]
    chosen = set(selected)
    return ([n for n, o in heir if o in chosen],
            [[n for n, o in heir if o in m] for m in map(set, groups)])


def _state(session) -> EditState:
    spec = session.process_metadata
    scenes = list(session.scenes_data or [])
    master = spec.master
    detection = detection_of(session)
    return EditState(
        session_id=session.session_id, frame_count=master.frame_count if master else None,
        duration_s=master.duration_s if master else None, fps=master.fps if master else None,
        threshold=detection.threshold, min_scene_len=detection.min_scene_len,
        cuts=cuts_of(scenes), scenes=scenes, selection=list(session.selected_scenes or []),
        groups=session_groups(session), scene_notes=list(spec.scene_notes))


# --- one session opened for one call ---------------------------------------------------------------

class Project:
    """A session as one call of the editor sees it: its row read once, and on first use its
    ingest (from the cache: one look at the master) and its frame timeline. The bridge opens one
    per call, so a call reads and hashes nothing twice; what it derives from them (sprite sheets,
    frame bounds, scores either side of a cut) lives here, not in the bridge."""

    def __init__(self, db, session_id: str):
        self.db, self.session_id = db, session_id
        self.session = _existing(db, session_id)

    @functools.cached_property
    def ingest(self):
        spec = self.session.process_metadata
        if not (spec and spec.analysed):
            raise InputError(f"session {self.session_id} is not analysed yet", "session_id")
        return _ingested(self.db, self.session)

    def cut_at(self, result) -> None:
        """The same ingest cut elsewhere (a recut): what the rest of the call shows."""
        self.__dict__["ingest"] = result  # (the cached property's own slot)

    @functools.cached_property
    def frames(self):
        """The decoded frames' numbers and times (backend.media.timeline)."""
        return load_timeline(self.ingest)

    @property
    def stage(self) -> str:
        return stage(self.session)

    def reread(self) -> Project:
        self.session = sessions.get(self.db, self.session_id)
        return self

    def frame_index(self, number: int, field: str = "frame") -> int:
        """The decoded index of frame `number`; an InputError naming `field` outside the film."""
        line = self.frames
        if not line.numbers[0] <= number <= line.numbers[-1]:
            raise InputError(f"frame {number} is outside the master (frames {line.numbers[0]}-"
                             f"{line.numbers[-1]})", field)
        return line.index(number)

    def cut_indices(self, cut: int, field: str = "cut") -> tuple[int, int]:
        """(the index of the last frame before the cut, the cut's own index)."""
        line = self.frames
        if not line.numbers[0] < cut <= line.numbers[-1]:
            raise InputError(f"cut at frame {cut} is outside the master (frames "
                             f"{line.numbers[0] + 1}-{line.numbers[-1]})", field)
        after = line.index(cut)
        return after - 1, after

    def scores(self, *indices: int) -> list[float]:
        scores = ingest.load_scores(self.ingest)
        return [float(scores[i]) for i in indices]

    def sprite_sheets(self) -> list[tuple[Path, list[int]]]:
        """Each sprite sheet with the exact frame under each of its tiles (a sheet past the last
        tile, which would show nothing, left out)."""
        result = self.ingest
        per_sheet = result.sprites.columns * result.sprites.rows
        tiles = ingest.sprite_frames(result).tolist()
        sheets = [(Path(path), tiles[i * per_sheet:(i + 1) * per_sheet])
                  for i, path in enumerate(result.sprites.paths)]
        return [(path, frames) for path, frames in sheets if frames]

    def sprite_step(self) -> int:
        """Frames between sprite tiles at the nominal rate."""
        result = self.ingest
        return max(1, round(result.sprites.interval_s * Fraction(result.fps_rational)))


def open_project(db, session_id: str) -> Project:
    """The session `session_id` for one call (an InputError naming session_id if unknown)."""
    return Project(db, session_id)
