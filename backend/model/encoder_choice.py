"""The video encoder a job uses, as chosen from what the ffmpeg in use can do."""

from __future__ import annotations

import msgspec


class Choice(msgspec.Struct, frozen=True):
    encoder: str           # ffmpeg -c:v value
    family: str            # "x264" or "nvenc"
    gpu: bool
    warning: str | None = None  # set when the preference could not be honoured
