"""Every preset by id, built-in or user, and what can be done with them: the functions the CLI,
the bridge and the job runner call (none of them touches user_presets directly)."""

import os
import stat
from pathlib import Path

import msgspec

from backend.db import presets as stored
from backend.errors import InputError
from backend.media.atomic import write_bytes_atomic
from backend.presets.builtin import DEFAULT_PRESET_ID, builtin_presets, get_builtin, is_builtin
from backend.presets.model import Preset, apply_overrides, deep_merge, to_dict, to_json, to_preset

__all__ = ["PresetInfo", "all_presets", "resolve", "apply_overrides", "create", "update", "delete",
           "set_default", "default_id", "import_file", "import_data", "export_file", "DEFAULT_PRESET_ID"]


class PresetInfo(msgspec.Struct, kw_only=True):
    """One line of `presets list`."""
    id: str
    name: str
    source: str  # "builtin" or "user"
    is_default: bool
    base_preset: str | None = None
    description: str = ""
    usage_count: int | None = None  # tracked for user presets only (the design's trigger)
    last_used_at: str | None = None


def all_presets(db) -> list[PresetInfo]:
    """The default first, then user presets (most used first, as the design lists them), then the
    built-ins."""
    default = stored.default_preset_id(db)
    items = [PresetInfo(id=r.preset_id, name=r.preset_name, source="user",
                        is_default=r.preset_id == default, base_preset=r.base_preset,
                        description=r.description or "", usage_count=r.usage_count,
                        last_used_at=r.last_used_at)
             for r in stored.list_user_presets(db)]
    items += [PresetInfo(id=p.id, name=p.name, source="builtin", is_default=p.id == default,
                         description=p.description) for p in builtin_presets().values()]
    return sorted(items, key=lambda item: not item.is_default)  # stable: keeps the order above


def resolve(db, preset_id: str) -> Preset:
    """The preset called `preset_id`; an unknown id is an InputError that lists the known ones."""
    preset = get_builtin(preset_id)
    if preset is None and db is not None:
        preset = stored.get_user_preset(db, preset_id)
    if preset is None:
        known = stored.known_ids(db) if db is not None else list(builtin_presets())
        raise InputError(f"unknown preset {preset_id}; known: {', '.join(known)}")
    return preset


def default_id(db) -> str:
    return stored.default_preset_id(db)


def create(db, preset_id: str, name: str, *, base: str = DEFAULT_PRESET_ID,
           overrides: dict | None = None, description: str = "") -> Preset:
    """A new user preset: `base` (built-in or user) with `overrides` applied."""
    parent = resolve(db, base)
    fields = {**to_dict(parent), "id": preset_id, "name": name, "description": description,
              "base_preset": parent.id}
    preset = to_preset(deep_merge(fields, overrides or {}), f"new preset {preset_id}")
    return stored.save_user_preset(db, preset)


def update(db, preset_id: str, *, overrides: dict | None = None, name: str | None = None,
           description: str | None = None) -> Preset:
    """Change a user preset's settings (`overrides`), name or description."""
    if is_builtin(preset_id):
        raise InputError(f"{preset_id} is a built-in preset and cannot be changed; copy it with "
                         f"`video-archive presets create NEW --base {preset_id}` and change the copy")
    current = resolve(db, preset_id)
    changes = dict(overrides or {})
    if name is not None:
        changes["name"] = name
    if description is not None:
        changes["description"] = description
    if "id" in changes and changes["id"] != preset_id:
        raise InputError("a preset's id cannot be changed; export it and import it under the new "
                         "id with `presets import FILE --id NEW`")
    preset = apply_overrides(current, changes, "--set overrides")
    return stored.save_user_preset(db, preset, replace=True)


def delete(db, preset_id: str) -> str | None:
    """Delete a user preset; returns the new default's id when the deleted one was the default."""
    return stored.delete_user_preset(db, preset_id)


def set_default(db, preset_id: str) -> None:
    stored.set_default_preset(db, preset_id)


def import_file(db, path: str | Path, *, preset_id: str | None = None,
                replace: bool = False) -> Preset:
    """Add the preset in a JSON file (as `export_file` writes it) as a user preset, under its own
    id or `preset_id`. The whole file is validated before anything is written."""
    path = Path(path)
    data = read_preset_file(path)
    return import_data(db, data, f"preset file {path}", preset_id=preset_id, replace=replace)


def import_data(db, data: bytes | str | dict, source: str, *, preset_id: str | None = None,
                replace: bool = False) -> Preset:
    """The same for a preset already read (JSON text or a decoded object): a file a page read,
    a preset sent by a colleague. `source` names it in errors."""
    if isinstance(data, (bytes, str)) and len(data) > MAX_PRESET_FILE_BYTES:
        raise InputError(f"{source} is larger than {MAX_PRESET_FILE_BYTES // 1024} KB; a preset "
                         "is a small JSON file (about 2 KB)")
    preset = to_preset(data, source)
    if preset_id:
        preset = to_preset({**msgspec.to_builtins(preset), "id": preset_id}, source)
    if is_builtin(preset.id):
        raise InputError(f"{source} holds the id {preset.id}, which is a built-in preset; "
                         "import it under another id with --id NEW")
    return stored.save_user_preset(db, preset, replace=replace)


MAX_PRESET_FILE_BYTES = 1 << 20  # an exported preset is about 2 KB


def read_preset_file(path: Path) -> bytes:
    """The bytes of a preset file, refusing what is not a regular file (a FIFO would block,
    /dev/zero never ends) and reading at most MAX_PRESET_FILE_BYTES + 1, so an endless or huge
    file costs no memory."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; stat then refuses it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"cannot read preset file {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(f"preset file {path} is not a regular file (a folder, FIFO or "
                             "device); give the path of a .json file")
        os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= MAX_PRESET_FILE_BYTES:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read preset file {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_PRESET_FILE_BYTES:
        raise InputError(f"preset file {path} is larger than {MAX_PRESET_FILE_BYTES // 1024} KB; "
                         "a preset is a small JSON file (about 2 KB)")
    return data


def export_file(db, preset_id: str, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a preset (built-in or user) as JSON that `import_file` reads back."""
    preset = resolve(db, preset_id)
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name such as {preset_id}.json")
    if path.exists() and not overwrite:
        raise InputError(f"{path} already exists; pass --force to overwrite it")
    try:
        return write_bytes_atomic(path, to_json(preset))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
