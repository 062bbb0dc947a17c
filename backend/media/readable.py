"""The one check that a file given as input can be read: it exists, is a regular file, is not
empty and may be read. Every failure is an UnreadableFile naming the file."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from backend.errors import UnreadableFile


def _loops(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def check_readable(path: str | os.PathLike, *, what: str | None = None,
                   field: str | None = None) -> tuple[Path, int]:
    """(the path made absolute, its size). `what` ("master video") starts the message when the
    file plays a named part; `field` is the request field it came from."""
    path = Path(os.path.abspath(Path(path).expanduser()))

    def fail(problem: str, named: str) -> UnreadableFile:
        return UnreadableFile(f"{what} {named}: {path}" if what else f"{path}{problem}", field)

    if not path.exists():
        if path.is_symlink() and _loops(path):  # exists() says False for a link loop too
            raise fail(" is a symbolic link loop", "is a symbolic link loop")
        raise fail(": no such file", "not found")
    if path.is_dir():
        raise fail(" is a directory, not a video file", "is not a file")
    if not path.is_file():
        raise fail(" is not a regular file", "is not a file")
    size = path.stat().st_size
    if size == 0:
        raise fail(" is empty (0 bytes)", "is empty (0 bytes)")
    if not os.access(path, os.R_OK):
        raise fail(": permission denied", "cannot be read (permissions)")
    return path, size
