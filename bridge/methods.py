"""The one table of JSON-RPC methods. Each is a thin caller of what the CLI calls (backend.db,
backend.presets, backend.doctor, the editor flow of backend.jobs): params and results are msgspec
Structs, so the same definitions validate requests and describe them in `rpc.discover`."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from PIL import Image

from backend import about, doctor
from backend.ops import operators
from backend.db import files as db_files
from backend.db import history, sessions
from backend.db import settings as db_settings
from backend.db.session_spec import Group, SceneNote
from backend.errors import ArchiveError, InputError, OperatorError, StateError
from backend.jobs import own_files, project
from backend.jobs.export_plan import ExportPlan, plan as plan_export
from backend.jobs.request import ProcessRequest
from backend.jobs.runner import Runner, failure_lines
from backend.media import sharp_proxy, stills
from backend.media import probe as media_probe
from backend.media.scenes import Scene, smpte
from backend.presets import catalog as presets
from backend.presets.builtin import is_builtin
from backend.presets.model import Preset
from bridge.context import Bridge
from bridge.jobs import JobInfo, RunnerEvents
from bridge.rpc import MethodTable

table = MethodTable()


class Params(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every params Struct: a misspelt param is an error, never silently ignored."""


class NoParams(Params):
    pass


# --- system -------------------------------------------------------------------------------------

class DoctorParams(Params):
    recheck_encoders: bool = False  # run the test encodes again instead of the cached answer


class SystemInfo(msgspec.Struct, kw_only=True):
    version: str
    packaged: bool              # the installed app rather than a source checkout
    transport: str              # "http" or "webview"
    ffmpeg: str | None          # the binary in use
    ffmpeg_source: str | None   # ffmpeg_path setting, VIDEO_ARCHIVE_FFMPEG, PATH, imageio-ffmpeg
    ffmpeg_version: str | None
    database: str
    ffmpeg_error: str | None = None


@table.method("system.doctor")
def system_doctor(ctx: Bridge, p: DoctorParams) -> doctor.DoctorReport:
    """Whether this machine can do the work: ffmpeg, encoders proven by a real encode, GPU, state.db."""
    return doctor.check(lambda: ctx.db, ctx.db_path, refresh_encoders=p.recheck_encoders)


class Pong(msgspec.Struct, kw_only=True):
    time: float   # the server's clock, Unix seconds


@table.method("system.ping")
def system_ping(ctx: Bridge, p: NoParams) -> Pong:
    """Whether the bridge answers (the page's health check, the round-trip benchmark)."""
    return Pong(time=time.time())


@table.method("system.info")
def system_info(ctx: Bridge, p: NoParams) -> SystemInfo:
    """The version, the transport in use and the ffmpeg binary the tool runs (what
    `video-archive --version` prints: backend.about)."""
    found = about.about(db_settings.get(ctx.db, "ffmpeg_path"))
    return SystemInfo(version=found.version, packaged=found.packaged, transport=ctx.transport,
                      ffmpeg=found.ffmpeg, ffmpeg_source=found.ffmpeg_source,
                      ffmpeg_version=found.ffmpeg_version, database=str(ctx.db_path),
                      ffmpeg_error=found.problem)


# --- settings -----------------------------------------------------------------------------------

class SettingKey(Params):
    key: str


class SettingValue(Params):
    key: str
    value: Any   # of the setting's type: checked by the state store


def _setting(ctx: Bridge, key: str) -> db_settings.Setting:
    db_settings.get(ctx.db, key)  # an unknown key: InputError naming `key`
    return next(s for s in db_settings.list_settings(ctx.db) if s.key == key)


@table.method("settings.list")
def settings_list(ctx: Bridge, p: NoParams) -> list[db_settings.Setting]:
    """Every setting with its type, value, category and description."""
    return db_settings.list_settings(ctx.db)


@table.method("settings.get")
def settings_get(ctx: Bridge, p: SettingKey) -> db_settings.Setting:
    """One setting."""
    return _setting(ctx, p.key)


@table.method("settings.set")
def settings_set(ctx: Bridge, p: SettingValue) -> db_settings.Setting:
    """Change a setting; the value must have the setting's type and range. Settings that name a
    program the tool runs (ffmpeg_path) are read-only here: set them with the CLI."""
    if p.key in db_settings.PROGRAMS:
        raise InputError(f"setting {p.key} names a program the tool runs and cannot be set over "
                         f"the bridge: use `video-archive settings set {p.key} PATH`", "key")
    db_settings.set(ctx.db, p.key, p.value)
    return _setting(ctx, p.key)


# --- presets ------------------------------------------------------------------------------------

class PresetId(Params):
    id: str


class PresetCreate(Params):
    id: str                         # lowercase letters, digits, '-' and '_'
    name: str
    base: str = presets.DEFAULT_PRESET_ID
    overrides: dict[str, Any] = {}  # {"video": {"crf": 20}}
    description: str = ""


class PresetUpdate(Params):
    id: str
    overrides: dict[str, Any] = {}
    name: str | None = None
    description: str | None = None


class PresetImport(Params):
    """A preset as `presets.export` gives it (a page read the file), or a file path (the desktop
    app's file dialog); exactly one of the two."""
    preset: dict[str, Any] | None = None
    path: str | None = None
    id: str | None = None           # store it under this id instead of its own
    replace: bool = False           # overwrite your preset of the same id


class PresetExport(Params):
    id: str
    path: str | None = None         # also write it to this file
    overwrite: bool = False


class PresetExported(msgspec.Struct, kw_only=True):
    preset: Preset
    path: str | None = None


class PresetDeleted(msgspec.Struct, kw_only=True):
    id: str
    new_default: str | None         # the new default when the deleted one was the default


class DefaultPreset(msgspec.Struct, kw_only=True):
    default_preset: str


def _named(exc: InputError, field: str) -> InputError:
    if getattr(exc, "field", None) is None:
        exc.field = field
    return exc


@table.method("presets.list")
def presets_list(ctx: Bridge, p: NoParams) -> list[presets.PresetInfo]:
    """Every preset, the default first, then yours, then the built-ins."""
    return presets.all_presets(ctx.db)


@table.method("presets.get")
def presets_get(ctx: Bridge, p: PresetId) -> Preset:
    """A preset's settings (the form presets.import reads)."""
    try:
        return presets.resolve(ctx.db, p.id)
    except InputError as exc:
        raise _named(exc, "id") from None


@table.method("presets.create")
def presets_create(ctx: Bridge, p: PresetCreate) -> Preset:
    """A new user preset: `base` with `overrides` applied."""
    try:
        presets.resolve(ctx.db, p.base)
    except InputError as exc:
        raise _named(exc, "base") from None
    try:
        return presets.create(ctx.db, p.id, p.name, base=p.base, overrides=p.overrides,
                              description=p.description)
    except InputError as exc:
        raise _named(exc, "overrides") from None


@table.method("presets.update")
def presets_update(ctx: Bridge, p: PresetUpdate) -> Preset:
    """Change one of your presets."""
    try:
        presets.resolve(ctx.db, p.id)
    except InputError as exc:
        raise _named(exc, "id") from None
    try:
        return presets.update(ctx.db, p.id, overrides=p.overrides, name=p.name,
                              description=p.description)
    except InputError as exc:
        raise _named(exc, "id" if is_builtin(p.id) else "overrides") from None


@table.method("presets.delete")
def presets_delete(ctx: Bridge, p: PresetId) -> PresetDeleted:
    """Delete one of your presets."""
    try:
        return PresetDeleted(id=p.id, new_default=presets.delete(ctx.db, p.id))
    except InputError as exc:
        raise _named(exc, "id") from None


@table.method("presets.import")
def presets_import(ctx: Bridge, p: PresetImport) -> Preset:
    """Add a preset from its JSON (or a JSON file), validated whole before anything is stored."""
    if (p.preset is None) == (p.path is None):
        raise InputError("give the preset itself or the path of its file, not both",
                         field="preset")
    try:
        if p.path is not None:
            return presets.import_file(ctx.db, p.path, preset_id=p.id, replace=p.replace)
        return presets.import_data(ctx.db, p.preset, "the imported preset", preset_id=p.id,
                                   replace=p.replace)
    except InputError as exc:
        raise _named(exc, "path" if p.path is not None else "preset") from None


@table.method("presets.export")
def presets_export(ctx: Bridge, p: PresetExport) -> PresetExported:
    """A preset's JSON, and written to `path` when given."""
    preset = presets_get(ctx, PresetId(id=p.id))
    if p.path is None:
        return PresetExported(preset=preset)
    own_files.refuse_own_file(ctx.db, p.path, "path")
    try:
        written = presets.export_file(ctx.db, p.id, p.path, overwrite=p.overwrite)
    except InputError as exc:
        raise _named(exc, "path") from None
    return PresetExported(preset=preset, path=str(written))


@table.method("presets.set_default")
def presets_set_default(ctx: Bridge, p: PresetId) -> DefaultPreset:
    """Make a preset the default for new projects."""
    try:
        presets.set_default(ctx.db, p.id)
    except InputError as exc:
        raise _named(exc, "id") from None
    return DefaultPreset(default_preset=presets.default_id(ctx.db))


# --- history ------------------------------------------------------------------------------------

class HistoryParams(Params):
    limit: int = msgspec.field(default=50)


class SessionId(Params):
    session_id: str


@table.method("history.list")
def history_list(ctx: Bridge, p: HistoryParams) -> list[history.HistoryEntry]:
    """Finished projects, the most recent first."""
    if p.limit < 1:
        raise InputError(f"limit must be at least 1, got {p.limit}", field="limit")
    return history.list_history(ctx.db, p.limit)


@table.method("history.stats")
def history_stats(ctx: Bridge, p: NoParams) -> history.ProjectStatistics:
    """Statistics of the projects completed in the last 30 days."""
    return history.statistics(ctx.db)


@table.method("history.files")
def history_files(ctx: Bridge, p: SessionId) -> list[db_files.RegisteredFile]:
    """The files a session created, as the file registry records them."""
    _session(ctx, p.session_id)  # an unknown session: an input error, as every method says
    return db_files.list_for(ctx.db, p.session_id)


# --- projects -----------------------------------------------------------------------------------

class ProjectCreate(Params):
    master: str
    artwork: str
    date: str                          # YY-MM-DD
    out: str                           # the archive folder is made inside it
    rd: str | None = None              # R&D folder
    preset: str | None = None          # None: the default preset
    encoder: Literal["auto", "x264", "nvenc"] = "auto"
    overrides: dict[str, Any] | None = None  # preset fields for this project: {"video": {"crf": 20}}
    threshold: float | None = None     # None: the scene_threshold_default setting
    min_scene_len: int | None = None   # None: the min_scene_length_default setting
    workers: int | None = None         # None: the parallel_workers setting


class ProjectStarted(msgspec.Struct, kw_only=True):
    session_id: str
    job_id: str                        # the ingest's job: its events carry this id
    archive_path: str
    warnings: list[str]


class ProjectInfo(msgspec.Struct, kw_only=True):
    session_id: str
    artwork: str
    date: str
    master: str
    archive_path: str
    status: str                        # initialized, processing, paused, completed, failed
    stage: Literal["analyse", "edit", "export"]  # what the session waits for or does
    completed: int                     # operations done
    total: int
    current_operation: str | None
    updated_at: str | None
    error: str | None
    job: JobInfo | None                # the job running it in this server, if any


def _session(ctx: Bridge, session_id: str):
    if not sessions.exists(ctx.db, session_id):
        raise InputError(f"no session {session_id}", "session_id")
    return sessions.get(ctx.db, session_id)


def _info(ctx: Bridge, session) -> ProjectInfo:
    stage = project.stage(session)
    return ProjectInfo(
        session_id=session.session_id, artwork=session.artwork_name, date=session.project_date,
        master=session.master_path, archive_path=session.output_path,
        status=session.status or "initialized", stage=stage,
        completed=session.completed_operations or 0, total=session.total_operations,
        current_operation=session.current_operation, updated_at=session.updated_at,
        error=session.error_message, job=ctx.jobs.running_for(session.session_id))


def _start_analysis(ctx: Bridge, session_id: str, master: str) -> JobInfo:
    try:
        frames_total = media_probe.probe(Path(master)).video.frame_count
    except ArchiveError:
        frames_total = None  # the analysis reports the problem itself

    def work(cancel, emit):
        outcome = project.analyse(ctx.db, session_id, cancel=cancel,
                                  listener=RunnerEvents(emit, frames_total=frames_total))
        if outcome.status == "failed":
            raise OperatorError(outcome.error or "the analysis failed")
        if outcome.status == "analysed":
            project.prepare_segments(ctx.db, session_id)  # the web master's, while the user reviews
        return "completed" if outcome.status == "analysed" else outcome.status

    return ctx.jobs.start("ingest", session_id, work)


@table.method("project.create")
def project_create(ctx: Bridge, p: ProjectCreate) -> ProjectStarted:
    """Check everything exactly as `process` does (an error names its field; nothing is written
    then), record the session and start its ingest in the background; returns at once."""
    request = ProcessRequest(**msgspec.structs.asdict(p))  # the same fields, checked by the core
    created = project.create(ctx.db, request, want_proxy=True)
    project.remember_folders(ctx.db, master=p.master, out=p.out, rd=p.rd)
    job = _start_analysis(ctx, created.session_id, sessions.get(ctx.db, created.session_id).master_path)
    return ProjectStarted(session_id=created.session_id, job_id=job.job_id,
                          archive_path=created.archive_path, warnings=created.warnings)


@table.method("project.reopen")
def project_reopen(ctx: Bridge, p: SessionId) -> ProjectStarted:
    """A finished project as a new version (NAME_v2 beside the first, which stays as it is): the
    same inputs with its cuts, selection and groups, read again and opened for editing."""
    request = project.reopen_request(ctx.db, p.session_id)
    created = project.create(ctx.db, request, want_proxy=True)
    job = _start_analysis(ctx, created.session_id, request.master)
    return ProjectStarted(session_id=created.session_id, job_id=job.job_id,
                          archive_path=created.archive_path, warnings=created.warnings)


@table.method("project.list")
def project_list(ctx: Bridge, p: NoParams) -> list[ProjectInfo]:
    """Unfinished sessions (the active_sessions view, and failed ones that can resume), newest first."""
    return [_info(ctx, s) for s in sessions.unfinished(ctx.db)]


@table.method("project.open")
def project_open(ctx: Bridge, p: SessionId) -> ProjectInfo:
    """A session to work on; an interrupted analysis starts again in the background."""
    session = _session(ctx, p.session_id)
    if session.status == "completed":
        raise InputError(f"session {p.session_id} is completed: its archive is {session.output_path}",
                         "session_id")
    info = _info(ctx, session)
    if info.stage == "analyse" and info.job is None:
        _start_analysis(ctx, p.session_id, session.master_path)
        info = _info(ctx, sessions.get(ctx.db, p.session_id))
    return info


@table.method("project.discard")
def project_discard(ctx: Bridge, p: SessionId) -> project.Discarded:
    """Stop the session's work and forget it; its archive folder goes only if it is empty."""
    _session(ctx, p.session_id)
    ctx.jobs.stop(p.session_id, cancel=True, wait=60)
    if ctx.jobs.running_for(p.session_id):
        raise StateError(f"session {p.session_id} did not stop within a minute; try again")
    result = project.discard(ctx.db, p.session_id)
    ctx.media.drop_session(p.session_id)
    return result


# --- timeline and edits -------------------------------------------------------------------------

class Rational(msgspec.Struct):
    num: int
    den: int


class SpriteSheet(msgspec.Struct, kw_only=True):
    url: str
    columns: int
    rows: int
    tile_width: int
    tile_height: int
    count: int               # tiles with a picture on this sheet (the last may be part-filled)
    first_frame: int         # the frame under the first tile
    frame_step: int          # frames between tiles at the nominal rate (interval_s x fps)
    interval_s: float        # seconds between tiles
    frames: list[int]        # the exact frame under each tile (a VFR master skips numbers)


class PeaksLevel(msgspec.Struct, kw_only=True):
    url: str                 # int8, bin after bin, each [min, max] per channel (docs/bridge.md)
    samples_per_bin: int
    bins: int


class Waveform(msgspec.Struct, kw_only=True):
    sample_rate: int         # samples a second; sample 0 is the first frame's time
    channels: int
    samples: int             # per channel
    levels: list[PeaksLevel]  # finest first


def _waveform(ctx: Bridge, sid: str, result) -> Waveform | None:
    wf = result.waveform
    if wf is None:
        return None
    entry = result.scores.parent
    return Waveform(sample_rate=wf.sample_rate, channels=wf.channels, samples=wf.samples,
                    levels=[PeaksLevel(url=ctx.media_url(entry / lv.file, sid),
                                       samples_per_bin=lv.samples_per_bin, bins=lv.bins)
                            for lv in wf.levels])


class ProxyState(msgspec.Struct, kw_only=True):
    url: str | None          # the sharpest proxy made so far
    width: int | None
    height: int | None
    sharp: bool              # it is the sharp one (backend/media/sharp_proxy.py)
    pending: bool            # the sharp one is still being made
    error: str | None        # why the sharp one could not be made (the small one stays)


def _proxy_state(ctx: Bridge, sid: str, result) -> ProxyState:
    sharp, pending, error = ctx.sharp.state(result)
    if sharp is not None:
        width, height = sharp_proxy.sharp_size(result.display_width, result.display_height)
        return ProxyState(url=ctx.media_url(sharp, sid), width=width, height=height, sharp=True,
                          pending=False, error=None)
    return ProxyState(url=ctx.media_url(result.proxy, sid) if result.proxy else None,
                      width=result.proxy_width, height=result.proxy_height, sharp=False,
                      pending=pending, error=error)


class Timeline(msgspec.Struct, kw_only=True):
    session_id: str
    fps: Rational
    frame_count: int
    duration_s: float
    start_timecode: str      # HH:MM:SS:FF of the first frame at the nominal rate
    width: int               # display size of the master
    height: int
    scenes: list[Scene]
    cuts: list[int]
    threshold: float
    min_scene_len: int
    selection: list[int]
    groups: list[Group]
    scene_notes: list[SceneNote] = []
    proxy_url: str | None    # VP9/WebM, a keyframe every proxy_gop frames; the sharp one once made
    proxy_width: int | None
    proxy_height: int | None
    proxy_pending: bool      # a sharper proxy is being made: ask timeline.proxy for it
    scores_url: str          # little-endian float32, one content score per decoded frame
    score_count: int
    frame_us_url: str        # little-endian float64, each decoded frame's time in microseconds
    sprites: list[SpriteSheet]
    thumbs_url: str          # + "/<n>": decoded frame n's small JPEG; a scene shows its midpoint_index
    waveform: Waveform | None  # audio peaks; None when the master has no audio


class EditView(msgspec.Struct, kw_only=True):
    """What an edit changed: the scenes and choices as the session now holds them."""
    cuts: list[int]
    scenes: list[Scene]
    selection: list[int]
    groups: list[Group]
    thumbs_url: str          # as Timeline's: one base, each scene's midpoint_index after it
    scene_notes: list[SceneNote] = []


class Recut(Params):
    session_id: str
    threshold: float
    min_scene_len: int


class SetCuts(Params):
    session_id: str
    cuts: list[int]


class ImportCuts(Params):
    session_id: str
    path: str  # a CMX 3600 EDL, an OpenTimelineIO file or a LosslessCut CSV


class SetSelection(Params):
    session_id: str
    scenes: list[int]


class SetGroups(Params):
    session_id: str
    groups: list[Group]


def _thumbs_url(ctx: Bridge, sid: str, result) -> str:
    """The base of every frame thumbnail's URL: a 2-hour film's 1,500 scenes would otherwise
    repeat the secret prefix and the id 1,500 times (a third of a recut's answer)."""
    return ctx.media_url(result.thumbnails.path, sid, offsets=result.thumbnails.offsets)


def _edit_view(ctx: Bridge, state, result) -> EditView:
    return EditView(cuts=state.cuts, scenes=state.scenes, selection=state.selection,
                    groups=state.groups, thumbs_url=_thumbs_url(ctx, state.session_id, result),
                    scene_notes=state.scene_notes)


@table.method("timeline.get")
def timeline_get(ctx: Bridge, p: SessionId) -> Timeline:
    """Everything the timeline draws: rate, frames, scenes, cuts, choices, and the URLs of the
    proxy, the per-frame scores (binary), the sprite sheets, the frame thumbnails (one base:
    `thumbs_url/<n>` is decoded frame n's; a scene shows its `midpoint_index`) and the audio
    peaks (`waveform`, binary; null without audio). Starts the sharp proxy in the background."""
    opened = project.open_project(ctx.db, p.session_id)
    result = opened.ingest
    state = project.timeline(ctx.db, p.session_id, opened=opened)
    sid = p.session_id
    rate = Fraction(result.fps_rational)
    step = opened.sprite_step()
    proxy = _proxy_state(ctx, sid, result)
    sheets = [SpriteSheet(
        url=ctx.media_url(path, sid), columns=result.sprites.columns, rows=result.sprites.rows,
        tile_width=result.sprites.tile_width, tile_height=result.sprites.tile_height,
        count=len(frames), first_frame=frames[0], frame_step=step,
        interval_s=result.sprites.interval_s, frames=frames)
        for path, frames in opened.sprite_sheets()]
    return Timeline(
        session_id=sid, fps=Rational(rate.numerator, rate.denominator),
        frame_count=result.frame_count, duration_s=result.duration_s,
        start_timecode=smpte(result.time_origin_s, rate), width=result.display_width,
        height=result.display_height, scenes=state.scenes, cuts=state.cuts,
        threshold=state.threshold, min_scene_len=state.min_scene_len, selection=state.selection,
        groups=state.groups, scene_notes=state.scene_notes,
        proxy_url=proxy.url, proxy_width=proxy.width, proxy_height=proxy.height,
        proxy_pending=proxy.pending,
        scores_url=ctx.media_url(ctx.scores_file(result), sid), score_count=result.frame_count,
        frame_us_url=ctx.media_url(ctx.frame_us_file(result), sid),
        sprites=sheets, thumbs_url=_thumbs_url(ctx, sid, result),
        waveform=_waveform(ctx, sid, result))


@table.method("timeline.proxy")
def timeline_proxy(ctx: Bridge, p: SessionId) -> ProxyState:
    """The sharpest proxy so far: the page asks again while `pending` and swaps it in when the
    sharp one is ready."""
    return _proxy_state(ctx, p.session_id, project.open_project(ctx.db, p.session_id).ingest)


def _edited(ctx: Bridge, session_id: str, edit) -> EditView:
    """Run `edit(opened)` on the session opened once for this call, and show what it changed."""
    opened = project.open_project(ctx.db, session_id)
    return _edit_view(ctx, edit(opened), opened.ingest)


@table.method("edit.recut")
def edit_recut(ctx: Bridge, p: Recut) -> EditView:
    """Cut again at another threshold / minimum scene length from the stored scores (no decode);
    saved to the session."""
    return _edited(ctx, p.session_id, lambda opened: project.recut(
        ctx.db, p.session_id, p.threshold, p.min_scene_len, opened=opened))


@table.method("edit.set_cuts")
def edit_set_cuts(ctx: Bridge, p: SetCuts) -> EditView:
    """Replace the cut list (each cut the first frame of a scene after the first); saved at once.
    Selection and groups follow the frames."""
    return _edited(ctx, p.session_id, lambda opened: project.set_cuts(
        ctx.db, p.session_id, p.cuts, opened=opened))


@table.method("edit.import_cuts")
def edit_import_cuts(ctx: Bridge, p: ImportCuts) -> EditView:
    """Replace the cut list with an editor's (Resolve's EDL, an .otio, LosslessCut's CSV); saved
    at once."""
    def edit(opened):
        try:
            return project.import_cuts(ctx.db, p.session_id, p.path, opened=opened)
        except InputError as exc:  # the file is this method's `path`
            raise InputError(str(exc), "path" if exc.field == "cuts" else exc.field) from None
    return _edited(ctx, p.session_id, edit)


@table.method("edit.set_selection")
def edit_set_selection(ctx: Bridge, p: SetSelection) -> EditView:
    """The scenes to export, by number; saved at once."""
    return _edited(ctx, p.session_id,
                   lambda opened: project.set_selection(ctx.db, p.session_id, p.scenes,
                                                        opened=opened))


@table.method("edit.set_groups")
def edit_set_groups(ctx: Bridge, p: SetGroups) -> EditView:
    """The ordered, named, coloured groups; a scene in at most one; saved at once."""
    return _edited(ctx, p.session_id,
                   lambda opened: project.set_groups(ctx.db, p.session_id, p.groups,
                                                     opened=opened))


class SceneNotesParams(Params):
    session_id: str
    notes: list[dict]


@table.method("edit.set_scene_notes")
def edit_set_scene_notes(ctx: Bridge, p: SceneNotesParams) -> EditView:
    """Labels and notes of scenes ([{start_frame, label, note}]), shown in the timeline and the
    contact sheet; an empty one is dropped."""
    return _edited(ctx, p.session_id,
                   lambda opened: project.set_scene_notes(ctx.db, p.session_id, p.notes,
                                                          opened=opened))


# --- frames -------------------------------------------------------------------------------------

class FrameParams(Params):
    session_id: str
    frame: int
    format: Literal["jpeg", "png"] = "jpeg"
    # the viewer's size in device pixels: a JPEG fitted inside it (never enlarged), which is
    # quicker to make, send and decode than the full frame
    max_width: Annotated[int, msgspec.Meta(ge=16, le=16384)] | None = None
    max_height: Annotated[int, msgspec.Meta(ge=16, le=16384)] | None = None


class FrameImage(msgspec.Struct, kw_only=True):
    url: str
    frame: int
    width: int
    height: int


class AroundCut(Params):
    session_id: str
    cut: int                 # the first frame of the scene after the cut


class CutFrames(msgspec.Struct, kw_only=True):
    before_url: str          # the last frame before the cut
    after_url: str           # the cut's own frame
    before_frame: int
    after_frame: int
    before_score: float      # content score of each frame (its difference from the one before)
    after_score: float


def _frame(ctx: Bridge, opened, index: int, fmt: str,
           fit: tuple[int, int] | None = None) -> FrameImage:
    line = opened.frames
    fit = fit if fmt == "jpeg" else None
    size = f"-{fit[0]}x{fit[1]}" if fit else ""
    out = ctx.frame_file(opened.session_id,
                         f"frame-{line.numbers[index]}{size}.{'jpg' if fmt == 'jpeg' else 'png'}",
                         lambda path: stills.frame_image(opened.session.master_path, index,
                                                         line.times[index], fmt, path, fit))
    with Image.open(out) as image:
        width, height = image.size
    return FrameImage(url=ctx.media_url(out, opened.session_id), frame=line.numbers[index],
                      width=width, height=height)


@table.method("frame.get")
def frame_get(ctx: Bridge, p: FrameParams) -> FrameImage:
    """The master's own frame at full quality (decoded from the master, not the proxy); a JPEG
    fitted inside max_width x max_height when given (the viewer's size; never enlarged)."""
    opened = project.open_project(ctx.db, p.session_id)
    fit = (p.max_width or 16384, p.max_height or 16384) if p.max_width or p.max_height else None
    return _frame(ctx, opened, opened.frame_index(p.frame, "frame"), p.format, fit)


@table.method("frame.around_cut")
def frame_around_cut(ctx: Bridge, p: AroundCut) -> CutFrames:
    """The frames either side of a cut at full quality, with their content scores."""
    opened = project.open_project(ctx.db, p.session_id)
    before_index, after_index = opened.cut_indices(p.cut, "cut")
    after = _frame(ctx, opened, after_index, "jpeg")
    before = _frame(ctx, opened, before_index, "jpeg")
    before_score, after_score = opened.scores(before_index, after_index)
    return CutFrames(before_url=before.url, after_url=after.url, before_frame=before.frame,
                     after_frame=after.frame, before_score=before_score, after_score=after_score)


# --- export -------------------------------------------------------------------------------------

class ExportStarted(msgspec.Struct, kw_only=True):
    job_id: str


class ExportStep(msgspec.Struct, kw_only=True):
    op: str                  # the operator's id
    label: str               # its name in words ("Encode the web master")
    done: int                # operations of this step finished (a partly done one is not counted)
    total: int
    failed: int


def _export_steps(ops) -> list[ExportStep]:
    """The whole job's steps in order, from the operation log (so a resumed export lists what
    ran before it too)."""
    steps: dict[str, ExportStep] = {}
    for op in ops:
        if op.operation_type not in steps:
            try:
                label = operators.get(op.operation_type).label
            except KeyError:  # an operator no longer registered keeps its id
                label = op.operation_type.replace("_", " ")
            steps[op.operation_type] = ExportStep(op=op.operation_type, label=label, done=0, total=0, failed=0)
        step = steps[op.operation_type]
        step.total += 1
        step.done += op.status in sessions.DONE
        step.failed += op.status == "failed"
    return list(steps.values())


class ExportStatus(msgspec.Struct, kw_only=True):
    session_id: str
    status: str              # the session's: processing, paused, completed, failed
    stage: str
    completed: int
    total: int
    current_operation: str | None
    failed: list[str]        # "unit: reason" of each failed operation
    archive_path: str
    error: str | None
    job: JobInfo | None      # the latest export job of this server run
    steps: list[ExportStep] = []


def _start_export(ctx: Bridge, session_id: str, run) -> ExportStarted:
    moved = project.begin_export(ctx.db, session_id)  # the stage changes before this answers

    def work(cancel, emit):
        try:
            outcome = run(Runner(ctx.db, RunnerEvents(emit), cancel))
        finally:
            project.end_unplanned_export(ctx.db, session_id)
        if outcome.status == "failed":
            raise OperatorError(outcome.error or "the export failed")
        return outcome.status

    try:
        return ExportStarted(job_id=ctx.jobs.start("export", session_id, work).job_id)
    except BaseException:
        if moved:  # (not when an export of it runs already)
            project.end_unplanned_export(ctx.db, session_id)
        raise


@table.method("export.start")
def export_start(ctx: Bridge, p: SessionId) -> ExportStarted:
    """Archive the session as edited (its cuts, selection and groups), in the background."""
    return _start_export(ctx, p.session_id, lambda runner: runner.export(p.session_id))


@table.method("export.resume")
def export_resume(ctx: Bridge, p: SessionId) -> ExportStarted:
    """Go on with a paused, failed or interrupted export (the core's resume: only what is not done)."""
    return _start_export(ctx, p.session_id, lambda runner: runner.resume(p.session_id))


def _stop(ctx: Bridge, session_id: str, *, cancel: bool) -> ExportStatus:
    _session(ctx, session_id)
    job = ctx.jobs.running_for(session_id)
    if job is None or job.kind != "export":
        raise StateError(f"session {session_id} has no export running")
    ctx.jobs.stop(session_id, cancel=cancel, wait=60)
    return export_status(ctx, SessionId(session_id=session_id))


@table.method("export.pause")
def export_pause(ctx: Bridge, p: SessionId) -> ExportStatus:
    """Stop the running export cleanly; export.resume goes on from there."""
    return _stop(ctx, p.session_id, cancel=False)


@table.method("export.cancel")
def export_cancel(ctx: Bridge, p: SessionId) -> ExportStatus:
    """Stop the running export for good: the session is back to editing and Start export plans
    it again (files already written stay in the archive folder; the next export rewrites them)."""
    _stop(ctx, p.session_id, cancel=True)
    if ctx.jobs.running_for(p.session_id):
        raise StateError(f"the export of session {p.session_id} did not stop within a minute; try again")
    project.cancel_export(ctx.db, p.session_id)
    return export_status(ctx, SessionId(session_id=p.session_id))


@table.method("export.status")
def export_status(ctx: Bridge, p: SessionId) -> ExportStatus:
    """Where the session's export stands, from the operation log."""
    session = _session(ctx, p.session_id)
    info = _info(ctx, session)
    ops = sessions.operations(ctx.db, p.session_id)
    return ExportStatus(
        session_id=p.session_id, status=info.status, stage=info.stage,
        completed=sum(op.status in sessions.DONE for op in ops), total=len(ops),
        current_operation=session.current_operation,
        failed=failure_lines(ops),
        archive_path=session.output_path, error=session.error_message,
        job=ctx.jobs.latest_for(p.session_id, "export"), steps=_export_steps(ops))


@table.method("export.plan")
def export_plan(ctx: Bridge, p: SessionId) -> ExportPlan:
    """What the export of the session as edited will write: counts of clips, stills, groups and
    files, and an estimated size in bytes (planned by the core; nothing is written)."""
    return plan_export(ctx.db, p.session_id)
