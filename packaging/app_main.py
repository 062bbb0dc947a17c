"""The packaged app's entry point: the `video-archive` command (`video-archive app` opens the
editor window). The windowed twin on Windows and macOS ("Video Archive", started from the Start
menu or Finder with no arguments) opens the editor directly."""

import sys
from pathlib import Path

from backend.cli.main import main

WINDOWED = "Video Archive"

if __name__ == "__main__":
    # macOS before 10.9 passed a -psn_ process serial number to apps started from Finder
    argv = [a for a in sys.argv[1:] if not a.startswith("-psn_")]
    if Path(sys.executable).stem == WINDOWED and (not argv or all(Path(a).is_file() for a in argv)):
        argv = ["app", *argv]  # from the Start menu or Finder, or a file's "Open with"
    sys.exit(main(argv))
