"""`auto_open_output`: when an export completes in the desktop window and the setting is on, the
archive folder opens in the platform's file manager (xdg-open, macOS `open`, os.startfile).

The opener is injected: the shell passes `open_folder`, tests pass a recorder, so no test ever
starts a file manager unless it asks for one."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from backend.db import settings as db_settings

Opener = Callable[[Path], None]
OPEN_TIMEOUT_S = 30


def opener_command(folder: Path, platform: str = sys.platform) -> list[str] | None:
    """The command that shows `folder` in the file manager; None on Windows (os.startfile)."""
    if platform.startswith("win"):
        return None
    return ["open" if platform == "darwin" else "xdg-open", str(folder)]


def open_folder(folder: Path) -> None:
    """Show `folder` in the platform's file manager, on a thread of its own: an opener that
    hangs or is missing never holds up the export's events; a failure is one line on stderr."""
    def run() -> None:
        try:
            command = opener_command(folder)
            if command is None:
                os.startfile(folder)  # type: ignore[attr-defined]  # Windows only
            else:
                subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=OPEN_TIMEOUT_S, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            print(f"video-archive: could not open the archive folder {folder}: {exc}", file=sys.stderr)

    threading.Thread(target=run, name="open-archive-folder", daemon=True).start()


class OpenOnFinish:
    """Opens the archive folder of every export that completes, when auto_open_output is on
    (read at that moment, so a change in the settings screen counts at once)."""

    def __init__(self, hub, db, opener: Opener):
        self._db = db
        self._opener = opener
        self.remove = hub.add_callback(self._on_event)

    def _on_event(self, event: dict) -> None:
        # session_finished says "completed" only for an export run to its end ("analysed" after
        # an ingest, "paused"/"failed" otherwise)
        if event.get("type") != "session_finished" or event.get("status") != "completed":
            return
        archive = event.get("archive_path")
        if archive and db_settings.get(self._db, "auto_open_output"):
            self._opener(Path(archive))
