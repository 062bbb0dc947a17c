"""The window's size and position, kept in the `window_geometry` setting between starts. A stored
value from another screen layout is clamped to something usable rather than trusted."""

from __future__ import annotations

import msgspec

from backend.db import settings

SETTING = "window_geometry"
DEFAULT = (1440, 900)
MINIMUM = (960, 600)
MAXIMUM = 16384


class Geometry(msgspec.Struct, kw_only=True):
    width: int = DEFAULT[0]
    height: int = DEFAULT[1]
    x: int | None = None
    y: int | None = None


def load(db) -> Geometry:
    try:
        raw = settings.get(db, SETTING)
        geometry = msgspec.convert(raw, Geometry) if raw else Geometry()
    except (msgspec.ValidationError, Exception):  # noqa: BLE001 - a bad value must not stop the app
        return Geometry()
    return clamp(geometry)


def clamp(g: Geometry) -> Geometry:
    width = min(MAXIMUM, max(MINIMUM[0], g.width))
    height = min(MAXIMUM, max(MINIMUM[1], g.height))
    x = None if g.x is None or not -MAXIMUM < g.x < MAXIMUM else g.x
    y = None if g.y is None or not -MAXIMUM < g.y < MAXIMUM else g.y
    return Geometry(width=width, height=height, x=x, y=y)


def save(db, width: int, height: int, x: int | None, y: int | None) -> Geometry:
    g = clamp(Geometry(width=int(width), height=int(height),
                       x=None if x is None else int(x), y=None if y is None else int(y)))
    settings.set(db, SETTING, msgspec.to_builtins(g))
    return g
