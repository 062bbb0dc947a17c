"""Output frame sizes: square pixels at the display aspect ratio, fitted inside a box, even sides
(H.264 4:2:0 needs even dimensions), never enlarged."""

from __future__ import annotations

from fractions import Fraction


def display_size(width: int, height: int, sar: Fraction | float | None) -> tuple[int, int]:
    """The frame as it is meant to be seen: a non-square-pixel source (e.g. 704x576 with SAR
    12:11) is widened, height kept, so no vertical detail is lost."""
    ratio = Fraction(sar).limit_denominator(10000) if sar else Fraction(1)
    if ratio <= 0:
        ratio = Fraction(1)
    return max(1, round(width * ratio)), height


def fit(width: int, height: int, max_width: int | None, max_height: int | None,
        even: bool = True) -> tuple[int, int]:
    scale = 1.0
    if max_width and width > max_width:
        scale = min(scale, max_width / width)
    if max_height and height > max_height:
        scale = min(scale, max_height / height)
    w, h = width * scale, height * scale
    if even:
        return max(2, int(round(w / 2)) * 2), max(2, int(round(h / 2)) * 2)
    return max(1, round(w)), max(1, round(h))


def aspect_ratio(width: int, height: int) -> str:
    """"16:9" for 1920x1080: file_registry's aspect_ratio column."""
    from math import gcd

    g = gcd(width, height) or 1
    return f"{width // g}:{height // g}"
