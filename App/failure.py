"""A start-up failure shown in a dialog as well: a window started from the desktop's menu
(Terminal=false) has no terminal, so the one line the command prints on stderr would reach
nobody. Same words as the command line; never raises (no display: stderr is all there is)."""

from __future__ import annotations

import os
import sys


def show(line: str) -> None:
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return
    try:
        from PyQt6.QtGui import QIcon
        from PyQt6.QtWidgets import QApplication, QMessageBox

        from App.shell import ICON

        app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "video-archive"])
        box = QMessageBox(QMessageBox.Icon.Critical, "Video Archive cannot start", line)
        box.setWindowIcon(QIcon(str(ICON)))
        box.exec()
        del app
    except Exception:  # noqa: BLE001 - the line is on stderr already
        pass
