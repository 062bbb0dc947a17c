"""SMPTE timecode for rational rates. Interchange files are written non-drop-frame: frames are
counted at the nominal rate (30 for 30000/1001, 24 for 24000/1001), so a timecode names exactly
one frame and converts back without rounding."""

from __future__ import annotations

import re
from fractions import Fraction

_TC = re.compile(r"^(\d{1,2})[:;.](\d{2})[:;.](\d{2})([:;.])(\d{2})$")


def nominal(rate: Fraction) -> int:
    return max(1, round(rate))


def is_drop_frame_rate(rate: Fraction) -> bool:
    return rate.denominator == 1001 and nominal(rate) % 30 == 0


def to_timecode(frame: int, rate: Fraction) -> str:
    fps = nominal(rate)
    if frame < 0:
        raise ValueError(f"negative frame {frame}")
    seconds, frames = divmod(frame, fps)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"


def from_timecode(text: str, rate: Fraction, *, drop_frame: bool | None = None) -> int:
    """Frames from HH:MM:SS:FF; a ';' before the frames (or drop_frame=True) means drop-frame
    counting at 29.97/59.94, where two frame numbers per minute (but every tenth) are skipped."""
    m = _TC.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a timecode (HH:MM:SS:FF)")
    hours, minutes, seconds, separator, frames = m.groups()
    hours, minutes, seconds, frames = int(hours), int(minutes), int(seconds), int(frames)
    fps = nominal(rate)
    if minutes > 59 or seconds > 59 or frames >= fps:
        raise ValueError(f"{text!r} is not a valid timecode at {float(rate):.3f} fps")
    total = ((hours * 60 + minutes) * 60 + seconds) * fps + frames
    if drop_frame is None:
        drop_frame = separator == ";"
    if drop_frame and is_drop_frame_rate(rate):
        dropped = 2 * (fps // 30)
        all_minutes = hours * 60 + minutes
        total -= dropped * (all_minutes - all_minutes // 10)
    return total


def clock(seconds: float, *, hours: bool) -> str:
    """H:MM:SS (or M:SS) of whole seconds, as YouTube reads chapter times."""
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if hours else f"{m}:{s:02d}"
