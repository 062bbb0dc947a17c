"""The built-in presets: one JSON data file each in this folder (adding a preset is adding a file),
validated by the same Structs as user presets. Built-ins are read-only: no user preset may take
their ids."""

import functools
from importlib import resources

from backend.errors import InputError
from backend.presets.model import Preset, to_preset

# What a fresh install uses (the design's `default_preset` setting) and the fallback when the
# setting names a preset that no longer exists.
DEFAULT_PRESET_ID = "webflow_standard"


@functools.cache
def builtin_presets() -> dict[str, Preset]:
    """All built-ins by id, the default first, then by id."""
    found: dict[str, Preset] = {}
    for entry in resources.files(__package__).iterdir():
        if not entry.name.endswith(".json"):
            continue
        preset = to_preset(entry.read_bytes(), f"built-in preset file {entry.name}")
        if preset.id != entry.name.removesuffix(".json"):
            raise InputError(f"built-in preset file {entry.name} holds id {preset.id!r}; "
                             "the file name and the id must match")
        found[preset.id] = preset
    if DEFAULT_PRESET_ID not in found:
        raise InputError(f"built-in preset {DEFAULT_PRESET_ID} is missing from {__package__}")
    order = sorted(found, key=lambda pid: (pid != DEFAULT_PRESET_ID, pid))
    return {pid: found[pid] for pid in order}


def is_builtin(preset_id: str) -> bool:
    return preset_id in builtin_presets()


def get_builtin(preset_id: str) -> Preset | None:
    return builtin_presets().get(preset_id)
