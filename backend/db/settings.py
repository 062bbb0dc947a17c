"""Typed application settings (app_settings): values convert by their value_type on the way in
and out, and a wrong type, an out-of-range value or an unknown key is refused with a message
that names the key and what it expects."""

import json
import math
from typing import Any

import msgspec

from backend import text_rules
from backend.errors import InputError, StateError
from backend.model.detection_params import check_min_scene_len, check_threshold

# db_version follows PRAGMA user_version and only migrations change it.
READ_ONLY = frozenset({"db_version", "app_version"})  # kept by the migrations
# Settings that name a program or a library the tool runs: whoever sets them chooses what runs as
# the user, so only the CLI (a person at a terminal) may; the bridge refuses them.
PROGRAMS = frozenset({"ffmpeg_path"})

# Limits the design states in its descriptions; anything else only has to have the right type.
CHOICES: dict[str, tuple[str, ...]] = {
    "encoder_preference": ("auto", "x264", "nvenc"),
    "log_level": ("DEBUG", "INFO", "WARNING", "ERROR"),
    "archive_layout": ("folder", "bagit"),
}
# settings the app keeps itself: a form shows them, it does not offer them for typing
KEPT_BY_APP = {"window_geometry": "kept by the desktop window: its size and place when it last closed",
               "last_master_directory": "kept when a project is created",
               "last_output_directory": "kept when a project is created",
               "last_rd_directory": "kept when a project is created"}
MINIMUM: dict[str, float] = {
    "parallel_workers": 1,
    "max_resume_age_days": 0,
}
# The detection defaults have the bounds of the detection parameters themselves.
CHECKS = {"scene_threshold_default": check_threshold,
          "min_scene_length_default": check_min_scene_len}

# settings written into every file's metadata: the limit model.archive_metadata.TEXT_FIELDS holds them to
TEXT_BYTES = {"copyright_text": 1000, "artist_name": 1000}

# what a worker pool and a date can hold (the detection defaults: CHECKS)
MAXIMUM: dict[str, float] = {
    "parallel_workers": 256,
    "max_resume_age_days": 36_500,
}

_TYPE_WORDS = {"string": "a string", "integer": "an integer", "real": "a number",
               "boolean": "a boolean (true/false)", "json": "a JSON value"}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class Setting(msgspec.Struct, kw_only=True, omit_defaults=True):
    key: str
    value: Any
    value_type: str
    category: str | None = None
    description: str | None = None
    modified_at: str | None = None
    error: str | None = None
    # what a form offers: the allowed values, or the numeric bounds (from CHOICES, MINIMUM, MAXIMUM)
    choices: list[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    kept_by_app: str | None = None  # why a form shows it read-only (KEPT_BY_APP)


def _row(db, key: str) -> dict:
    row = db.query_one("SELECT * FROM app_settings WHERE key = ?", (key,))
    if row is None:
        raise InputError(f"unknown setting {key!r}; `video-archive settings list` shows them all",
                         field="key")
    return row


def _decode(key: str, text: str, value_type: str):
    """Stored text -> Python value; a stored value that does not parse is a StateError."""
    try:
        if value_type == "integer":
            return int(text)
        if value_type == "real":
            return float(text)
        if value_type == "boolean":
            lowered = text.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(text)
        if value_type == "json":
            return json.loads(text)
        return text
    except ValueError:
        raise StateError(f"setting {key} holds {text!r}, which is not {_TYPE_WORDS[value_type]}; "
                         f"set it again with `video-archive settings set {key} VALUE`") from None


def _encode(key: str, value, value_type: str) -> str:
    """Python value -> stored text, refusing anything that is not of the setting's type."""
    expected = _TYPE_WORDS.get(value_type, "a string")
    wrong = InputError(f"setting {key} expects {expected}, got {type(value).__name__} {value!r}",
                       field="value")
    if value_type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong
        text = str(value)
    elif value_type == "real":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise wrong
        text = repr(float(value))
    elif value_type == "boolean":
        if not isinstance(value, bool):
            raise wrong
        text = "1" if value else "0"
    elif value_type == "json":
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise wrong from None
    else:
        if not isinstance(value, str):
            raise wrong
        # every string setting is a name, a path or metadata text: the same rule as artwork names
        text_rules.check(value, f"setting {key}", max_bytes=TEXT_BYTES.get(key))
        text = value
    _check_limits(key, value)
    return text


def _check_limits(key: str, value) -> None:
    if key in CHOICES and value not in CHOICES[key]:
        raise InputError(f"setting {key} must be one of {', '.join(CHOICES[key])}, got {value!r}",
                         field="value")
    if key in MINIMUM and value < MINIMUM[key]:
        raise InputError(f"setting {key} must be at least {MINIMUM[key]:g}, got {value!r}",
                         field="value")
    if key in MAXIMUM and value > MAXIMUM[key]:
        raise InputError(f"setting {key} must be at most {MAXIMUM[key]:g}, got {value!r}",
                         field="value")
    if key in CHECKS:
        try:
            CHECKS[key](value)
        except InputError as exc:
            raise InputError(f"setting {key}: {exc}", field="value") from None


def parse_text(key: str, text: str, value_type: str):
    """Text typed by a person (the CLI) -> the value for `set`: 'true'/'no' for booleans, JSON
    for json settings, numbers for integer and real."""
    expected = _TYPE_WORDS.get(value_type, "a string")
    wrong = InputError(f"setting {key} expects {expected}, got {text!r}", field="value")
    stripped = text.strip()
    if value_type == "integer":
        try:
            return int(stripped)
        except ValueError:
            raise wrong from None
    if value_type == "real":
        try:
            return float(stripped)
        except ValueError:
            raise wrong from None
    if value_type == "boolean":
        if stripped.lower() in _TRUE:
            return True
        if stripped.lower() in _FALSE:
            return False
        raise wrong
    if value_type == "json":
        try:
            return json.loads(stripped)
        except ValueError:
            raise wrong from None
    return text


def get(db, key: str):
    """The value of `key`, converted by its value_type."""
    row = _row(db, key)
    return _decode(key, row["value"], row["value_type"] or "string")


def set(db, key: str, value) -> Any:  # noqa: A001 - settings.set reads as intended
    """Store `value` for `key`, which must already exist; returns the stored value as `get`
    will return it."""
    if key in READ_ONLY:
        raise InputError(f"setting {key} is managed by the database migrations and cannot be set",
                         field="key")
    with db.transaction():
        row = _row(db, key)
        value_type = row["value_type"] or "string"
        text = _encode(key, value, value_type)
        db.execute("UPDATE app_settings SET value = ?, modified_at = CURRENT_TIMESTAMP "
                   "WHERE key = ?", (text, key))
    return _decode(key, text, value_type)


def set_text(db, key: str, text: str) -> Any:
    """`set` from a person's text: the CLI's `settings set KEY VALUE`."""
    row = _row(db, key)
    return set(db, key, parse_text(key, text, row["value_type"] or "string"))


def list_settings(db) -> list[Setting]:
    """Every setting. One that holds a malformed value is listed with its raw text and `error`
    set, so the list still shows what to fix."""
    listed = []
    for r in db.query("SELECT * FROM app_settings ORDER BY category, key"):
        value_type = r["value_type"] or "string"
        item = Setting(key=r["key"], value=r["value"], value_type=value_type,
                       category=r["category"], description=r["description"],
                       modified_at=r["modified_at"], minimum=MINIMUM.get(r["key"]), maximum=MAXIMUM.get(r["key"]),
                       choices=list(CHOICES[r["key"]]) if r["key"] in CHOICES else None,
                       kept_by_app=KEPT_BY_APP.get(r["key"]))
        try:
            item.value = _decode(r["key"], r["value"], value_type)
        except StateError as exc:
            item.error = str(exc)
        listed.append(item)
    return listed


def as_dict(db) -> dict[str, Any]:
    """Every setting's typed value by key: what a job reads once at its start. A malformed
    value raises its StateError here."""
    return {r["key"]: _decode(r["key"], r["value"], r["value_type"] or "string")
            for r in db.query("SELECT key, value, value_type FROM app_settings")}
