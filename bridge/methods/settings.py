"""settings.*: the settings, each checked by its type and range."""

from __future__ import annotations

from typing import Any

from backend.db import settings as db_settings
from backend.errors import InputError
from bridge.context import Bridge
from bridge.methods.common import table, Params, NoParams


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
