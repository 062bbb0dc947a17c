"""The one table of JSON-RPC methods. Each is a thin caller of what the CLI calls (backend.db,
backend.presets, backend.doctor, the editor flow of backend.jobs): params and results are msgspec
Structs, so the same definitions validate requests and describe them in `rpc.discover`."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

import msgspec

import backend
from backend import doctor
from backend.db import files as db_files
from backend.db import history, sessions
from backend.db import settings as db_settings
from backend.errors import ArchiveError, InputError
from backend.media import ffmpeg
from backend.presets import registry as presets
from backend.presets.builtin import is_builtin
from backend.presets.model import Preset
from bridge.context import Bridge
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
    """The version, the transport in use and the ffmpeg binary the tool runs."""
    info = SystemInfo(version=backend.__version__, transport=ctx.transport, ffmpeg=None,
                      ffmpeg_source=None, ffmpeg_version=None, database=str(ctx.db_path))
    try:
        binary = ffmpeg.find_ffmpeg(db_settings.get(ctx.db, "ffmpeg_path") or None)
        info.ffmpeg, info.ffmpeg_source = str(binary), ffmpeg.ffmpeg_source(binary)
        info.ffmpeg_version = _ffmpeg_version(binary)
    except (ArchiveError, OSError) as exc:
        info.ffmpeg_error = str(exc)
    return info


@functools.lru_cache(maxsize=4)
def _ffmpeg_version(binary: Path) -> str:
    return ffmpeg.ffmpeg_version(binary)


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
    """Change a setting; the value must have the setting's type and range."""
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
    sessions.get(ctx.db, p.session_id)  # an unknown session: a clear error
    return db_files.list_for(ctx.db, p.session_id)
