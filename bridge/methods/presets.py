"""presets.*: the presets, as the CLI manages them."""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec

from backend.errors import InputError
from backend.jobs import own_files
from backend.jobs import preset_catalog as presets
from backend.presets.builtin import is_builtin
from backend.presets.model import Preset
from bridge.context import Bridge
from bridge.methods.common import table, Params, NoParams


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


@contextlib.contextmanager
def _naming(field: str):
    """An InputError from the catalog that names no field is put on `field` of the request."""
    try:
        yield
    except InputError as exc:
        if getattr(exc, "field", None) is None:
            exc.field = field
        raise exc from None


@table.method("presets.list")
def presets_list(ctx: Bridge, p: NoParams) -> list[presets.PresetInfo]:
    """Every preset, the default first, then yours, then the built-ins."""
    return presets.all_presets(ctx.db)


@table.method("presets.get")
def presets_get(ctx: Bridge, p: PresetId) -> Preset:
    """A preset's settings (the form presets.import reads)."""
    with _naming("id"):
        return presets.resolve(ctx.db, p.id)


@table.method("presets.create")
def presets_create(ctx: Bridge, p: PresetCreate) -> Preset:
    """A new user preset: `base` with `overrides` applied."""
    with _naming("base"):
        presets.resolve(ctx.db, p.base)
    with _naming("overrides"):
        return presets.create(ctx.db, p.id, p.name, base=p.base, overrides=p.overrides,
                              description=p.description)


@table.method("presets.update")
def presets_update(ctx: Bridge, p: PresetUpdate) -> Preset:
    """Change one of your presets."""
    with _naming("id"):
        presets.resolve(ctx.db, p.id)
    with _naming("id" if is_builtin(p.id) else "overrides"):
        return presets.update(ctx.db, p.id, overrides=p.overrides, name=p.name,
                              description=p.description)


@table.method("presets.delete")
def presets_delete(ctx: Bridge, p: PresetId) -> PresetDeleted:
    """Delete one of your presets."""
    with _naming("id"):
        return PresetDeleted(id=p.id, new_default=presets.delete(ctx.db, p.id))


@table.method("presets.import")
def presets_import(ctx: Bridge, p: PresetImport) -> Preset:
    """Add a preset from its JSON (or a JSON file), validated whole before anything is stored."""
    if (p.preset is None) == (p.path is None):
        raise InputError("give the preset itself or the path of its file, not both",
                         field="preset")
    with _naming("path" if p.path is not None else "preset"):
        if p.path is not None:
            return presets.import_file(ctx.db, p.path, preset_id=p.id, replace=p.replace)
        return presets.import_data(ctx.db, p.preset, "the imported preset", preset_id=p.id,
                                   replace=p.replace)


@table.method("presets.export")
def presets_export(ctx: Bridge, p: PresetExport) -> PresetExported:
    """A preset's JSON, and written to `path` when given."""
    preset = presets_get(ctx, PresetId(id=p.id))
    if p.path is None:
        return PresetExported(preset=preset)
    own_files.refuse_own_file(ctx.db, p.path, "path")
    with _naming("path"):
        written = presets.export_file(ctx.db, p.id, p.path, overwrite=p.overwrite)
    return PresetExported(preset=preset, path=str(written))


@table.method("presets.set_default")
def presets_set_default(ctx: Bridge, p: PresetId) -> DefaultPreset:
    """Make a preset the default for new projects."""
    with _naming("id"):
        presets.set_default(ctx.db, p.id)
    return DefaultPreset(default_preset=presets.default_id(ctx.db))
