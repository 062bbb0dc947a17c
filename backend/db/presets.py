"""User presets (the user_presets table) and which preset is the default.

A preset is stored one settings group per JSON column, each validated by the preset Structs on
the way in and out: a malformed column is a StateError naming the row and the column. The
default is the `default_preset` setting (what a job reads); the is_default flag of user_presets
mirrors it, set on that preset's row alone, or on none when the default is a built-in."""

import json

import msgspec

from backend.db import settings
from backend.errors import InputError, StateError
from backend.presets.builtin import DEFAULT_PRESET_ID, builtin_presets, is_builtin
from backend.presets.model import Preset, PresetFieldError, to_preset

GROUP_COLUMNS = {
    "stills_hq": "stills_hq_settings",
    "stills_web": "stills_web_settings",
    "video": "video_settings",
    "thumbnail": "thumbnail_settings",
    "advanced": "advanced_settings",
}


class UserPresetRow(msgspec.Struct, kw_only=True):
    """A user preset as listed (the design's 5.3 columns, plus where it came from)."""
    preset_id: str
    preset_name: str
    base_preset: str | None
    is_default: bool
    description: str | None
    usage_count: int
    last_used_at: str | None
    created_at: str | None
    modified_at: str | None


def list_user_presets(db) -> list[UserPresetRow]:
    """User presets in the design's order (5.3): the default first, then the most used; the name
    breaks ties so the order is stable."""
    rows = db.query("""
        SELECT preset_id, preset_name, base_preset, is_default, description,
               COALESCE(usage_count, 0) AS usage_count, last_used_at, created_at, modified_at
        FROM user_presets
        ORDER BY is_default DESC, usage_count DESC, preset_name, preset_id""")
    return [UserPresetRow(**{**r, "is_default": bool(r["is_default"])}) for r in rows]


def get_user_preset(db, preset_id: str) -> Preset | None:
    row = db.query_one("SELECT * FROM user_presets WHERE preset_id = ?", (preset_id,))
    return _row_to_preset(row) if row else None


def user_preset_exists(db, preset_id: str) -> bool:
    return db.scalar("SELECT 1 FROM user_presets WHERE preset_id = ?", (preset_id,)) is not None


def save_user_preset(db, preset: Preset, *, replace: bool = False) -> Preset:
    """Insert `preset`, or with `replace` overwrite the user preset of that id (keeping its
    usage statistics and default flag). One statement: a failure writes nothing."""
    if is_builtin(preset.id):
        raise InputError(f"{preset.id} is a built-in preset and cannot be overwritten; "
                         "choose another id")
    values = {column: msgspec.json.encode(getattr(preset, group)).decode()
              for group, column in GROUP_COLUMNS.items()}
    with db.transaction():
        exists = user_preset_exists(db, preset.id)
        if exists and not replace:
            raise InputError(f"a user preset {preset.id} already exists; update it, delete it "
                             "first, or choose another id")
        if exists:
            db.execute(f"""
                UPDATE user_presets
                SET preset_name = ?, base_preset = ?, description = ?,
                    {", ".join(f"{c} = ?" for c in values)}, modified_at = CURRENT_TIMESTAMP
                WHERE preset_id = ?""",
                       (preset.name, preset.base_preset, preset.description, *values.values(),
                        preset.id))
        else:
            db.insert(f"""
                INSERT INTO user_presets (preset_id, preset_name, base_preset, description,
                                          {", ".join(values)})
                VALUES (?, ?, ?, ?, {", ".join("?" for _ in values)})""",
                      (preset.id, preset.name, preset.base_preset, preset.description,
                       *values.values()))
    return preset


def delete_user_preset(db, preset_id: str) -> str | None:
    """Delete a user preset. When it was the default, the built-in default takes over: its id is
    returned so the caller can say so (else None)."""
    if is_builtin(preset_id):
        raise InputError(f"{preset_id} is a built-in preset and cannot be deleted")
    with db.transaction():
        if not db.execute("DELETE FROM user_presets WHERE preset_id = ?", (preset_id,)):
            raise InputError(f"no user preset {preset_id}; `video-archive presets list` shows them")
        if _setting_default(db) == preset_id:
            set_default_preset(db, DEFAULT_PRESET_ID)
            return DEFAULT_PRESET_ID
    return None


def set_default_preset(db, preset_id: str) -> None:
    """Make `preset_id` (built-in or user) the one default: the setting and the flags together."""
    with db.transaction():
        if not is_builtin(preset_id) and not user_preset_exists(db, preset_id):
            raise InputError(f"unknown preset {preset_id}; known: {', '.join(known_ids(db))}")
        db.execute("UPDATE user_presets SET is_default = (preset_id = ?) "
                   "WHERE is_default IS NOT (preset_id = ?)", (preset_id, preset_id))
        settings.set(db, "default_preset", preset_id)


def default_preset_id(db) -> str:
    """The default preset's id. A setting that names a preset which no longer exists (edited by
    hand, or the preset deleted by an older version) falls back to the built-in default."""
    chosen = _setting_default(db)
    if chosen and (is_builtin(chosen) or user_preset_exists(db, chosen)):
        return chosen
    return DEFAULT_PRESET_ID


def known_ids(db) -> list[str]:
    return [*builtin_presets(), *(r["preset_id"] for r in db.query(
        "SELECT preset_id FROM user_presets ORDER BY preset_id"))]


def _setting_default(db) -> str | None:
    try:
        return settings.get(db, "default_preset")
    except InputError:  # a database without the row (hand-edited): no default chosen
        return None


_REPAIR = "replace the preset with `video-archive presets import FILE --replace`, or delete it"


def _row_to_preset(row: dict) -> Preset:
    where = f"state.db table user_presets, row {row['preset_id']!r}"
    data = {"id": row["preset_id"], "name": row["preset_name"],
            "description": row["description"] or "", "base_preset": row["base_preset"]}
    for group, column in GROUP_COLUMNS.items():
        text = row[column]
        if text is None:
            continue  # nullable in the design (thumbnail, advanced): the Struct defaults apply
        try:
            data[group] = json.loads(text)
        except ValueError as exc:
            raise StateError(f"{where}, column {column}: not valid JSON ({exc}); {_REPAIR}") from None
    try:
        return to_preset(data, where)
    except PresetFieldError as exc:
        group = exc.field.split(".", 1)[0]
        column = GROUP_COLUMNS.get(group, {"id": "preset_id", "name": "preset_name"}.get(group, group))
        inner = exc.field.split(".", 1)[1] if group in GROUP_COLUMNS and "." in exc.field else exc.field
        raise StateError(f"{where}, column {column}: field {inner}: {exc.problem}; {_REPAIR}") from None
