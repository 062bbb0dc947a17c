"""The window's size and position, kept in the `window_geometry` setting between starts. A stored
value from another screen layout is clamped to something usable rather than trusted, and `fit`
makes the window fit the screen it opens on (a 1366x768 laptop gets the whole window, title bar
and all); a saved position that is on no screen is dropped."""

from __future__ import annotations

import msgspec

from backend.db import settings

SETTING = "window_geometry"
DEFAULT = (1440, 900)
MINIMUM = (960, 600)
MAXIMUM = 16384
# What a window manager adds around the page (title bar, borders): the size asked for is the
# page's, the position the frame's.
FRAME = (16, 48)
Area = tuple[int, int, int, int]  # a screen's available area: x, y, width, height


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


def fit(g: Geometry, screens: list[Area]) -> Geometry:
    """`g` made to fit the available area of the screen it is on (the first screen when its
    position is on none, or unknown): no larger than that area less the frame, placed wholly
    inside it; an unplaced window is centred. `screens` empty: `g` as it is."""
    if not screens:
        return g
    screen = next((a for a in screens if g.x is not None and g.y is not None
                   and a[0] <= g.x < a[0] + a[2] and a[1] <= g.y < a[1] + a[3]), screens[0])
    sx, sy, sw, sh = screen
    width = max(1, min(g.width, sw - FRAME[0]))
    height = max(1, min(g.height, sh - FRAME[1]))
    placed = screen is not screens[0] or (g.x is not None and g.y is not None
                                          and sx <= g.x < sx + sw and sy <= g.y < sy + sh)
    x, y = (g.x, g.y) if placed else (sx + (sw - width - FRAME[0]) // 2, sy + (sh - height - FRAME[1]) // 2)
    x = min(max(x, sx), sx + sw - width - FRAME[0])
    y = min(max(y, sy), sy + sh - height - FRAME[1])
    return Geometry(width=width, height=height, x=x, y=y)


def minimum_for(g: Geometry) -> tuple[int, int]:
    """The smallest size the window may be dragged to: MINIMUM, or less on a smaller screen."""
    return min(MINIMUM[0], g.width), min(MINIMUM[1], g.height)
