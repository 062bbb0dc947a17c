"""The one progress event type. The runner emits Events; the CLI draws bars or prints JSON lines,
the bridge forwards them to the UI, tests collect them."""

from __future__ import annotations

import time
from typing import Callable

import msgspec


class Event(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: str                    # session_started, unit_started, unit_progress, unit_finished,
                                 # unit_failed, warning, session_finished
    session_id: str
    time: float = msgspec.field(default_factory=time.time)
    op: str | None = None        # operator id
    unit: str | None = None      # operation_name
    seq: int | None = None       # sequence_number in operation_log
    progress: float | None = None  # this unit, 0..1
    completed: int | None = None   # units done in the session
    total: int | None = None
    status: str | None = None
    message: str | None = None
    archive_path: str | None = None


Listener = Callable[[Event], None]

