"""Showing a running session: live bars on a terminal (overall and per running unit), one line per
finished unit otherwise, or one JSON event per line with --json (the events the UI receives)."""

from __future__ import annotations

import shutil
import sys
import time

from backend.cli.context import to_json
from backend.jobs.events import Event


class JsonLines:
    def __call__(self, event: Event) -> None:
        print(to_json(event), flush=True)


class Bars:
    """Redraws a small block on stderr: one overall bar, then a bar per running unit."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr  # the stderr of the moment, not of the first import
        self.live = self.stream.isatty()
        self.running: dict[int, tuple[str, float]] = {}
        self.completed = 0
        self.total = 0
        self.drawn = 0
        self.started = time.monotonic()
        self.last_draw = 0.0

    def __call__(self, event: Event) -> None:
        if event.total:
            self.total = event.total
        if event.type == "unit_started":
            self.running[event.seq] = (event.unit, 0.0)
        elif event.type == "unit_progress" and event.seq in self.running:
            self.running[event.seq] = (event.unit, event.progress or 0.0)
        elif event.type in ("unit_finished", "unit_failed"):
            self.running.pop(event.seq, None)
            if event.completed is not None:
                self.completed = event.completed
            self._line(f"{'done' if event.type == 'unit_finished' else 'FAILED'}: {event.unit}"
                       + (f" - {event.message}" if event.message else ""))
        elif event.type == "warning":
            self._line(f"warning: {event.message}")
        elif event.type == "session_finished":
            self.running.clear()
            self._clear()
            return
        self._draw()

    def _line(self, text: str) -> None:
        self._clear()
        print(text, file=self.stream, flush=True)

    def _clear(self) -> None:
        if self.live and self.drawn:
            self.stream.write("\x1b[1A\x1b[2K" * self.drawn)
            self.drawn = 0

    def _draw(self, force: bool = False) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if now - self.last_draw < 0.1 and not force:
            return
        self.last_draw = now
        width = max(40, shutil.get_terminal_size((100, 20)).columns - 1)
        fraction = self.completed / self.total if self.total else 0.0
        elapsed = now - self.started
        lines = [_bar(f"overall {self.completed}/{self.total}", fraction, width,
                      f"{int(elapsed // 60)}:{int(elapsed % 60):02d}")]
        for name, progress in list(self.running.values())[:6]:
            lines.append(_bar(f"  {name}", progress, width, f"{progress * 100:3.0f}%"))
        self._clear()
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()
        self.drawn = len(lines)


def _bar(label: str, fraction: float, width: int, right: str) -> str:
    label = label[:36].ljust(36)
    room = max(10, width - len(label) - len(right) - 4)
    filled = int(round(room * max(0.0, min(1.0, fraction))))
    return f"{label} [{'#' * filled}{'.' * (room - filled)}] {right}"
