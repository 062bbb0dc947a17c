"""The scene detection parameters, with their defaults and bounds: the one definition the CLI,
the runner, ingest, the sessions table and the settings check against."""

from __future__ import annotations

import math

import msgspec

from backend.errors import InputError

DEFAULT_THRESHOLD = 30.0   # PySceneDetect's detect-content default
DEFAULT_MIN_SCENE_LEN = 15
# over 46 hours at 60 fps; a huge value used to overflow SQLite's integers at session creation
MAX_MIN_SCENE_LEN = 10_000_000
MAX_THRESHOLD = 255.0      # ContentDetector's score is a mean of 0-255 channel differences


class DetectionParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    threshold: float = DEFAULT_THRESHOLD
    min_scene_len: int = DEFAULT_MIN_SCENE_LEN

    def __post_init__(self):
        check_threshold(self.threshold)
        check_min_scene_len(self.min_scene_len)


def check_threshold(value, field: str = "threshold") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 < value <= MAX_THRESHOLD:
        raise InputError(f"scene threshold {value!r} is out of range: above 0, at most "
                         f"{MAX_THRESHOLD:g} (usually 27-30)", field)
    return float(value)


def check_min_scene_len(value, field: str = "min_scene_len") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MIN_SCENE_LEN:
        raise InputError(f"minimum scene length {value!r} must be a whole number of frames, "
                         f"at least 1 and at most {MAX_MIN_SCENE_LEN:,}", field)
    return value
