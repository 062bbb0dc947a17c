"""Temporary folders of one run (the bridge's rendered frames, the desktop shell's runtime
folder): private (0700), named with the process id, bounded in size, and removed at the next
start when the process that made them is gone (a kill -9 never cleans up after itself)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

_OWNER = re.compile(r"(\d+)-")  # <prefix><pid>-<random>


def make_dir(prefix: str) -> Path:
    """A new private folder `<tmp>/<prefix><pid>-<random>`, after removing stale ones."""
    clean_stale(prefix)
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))
    os.chmod(folder, 0o700)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: not ours to judge
    return True


def clean_stale(prefix: str, root: str | os.PathLike | None = None) -> list[Path]:
    """Remove this user's `<prefix>*` folders whose process has ended; the removed ones.
    Folders of the older naming (no process id) are removed when untouched for a day."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    for folder in root.glob(f"{prefix}*"):
        try:
            info = folder.lstat()
        except OSError:
            continue
        if not folder.is_dir() or folder.is_symlink() or info.st_uid != os.getuid():
            continue
        match = _OWNER.match(folder.name[len(prefix):])
        if match:
            if _alive(int(match.group(1))):
                continue
        elif info.st_mtime > time.time() - 86400:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def prune(folder: Path, max_bytes: int, *, keep: Path | None = None) -> int:
    """Delete the least recently used files under `folder` (by mtime: a user touches what it
    serves again) until the rest take at most `max_bytes`, never `keep`; the bytes freed."""
    files = []
    for path in folder.rglob("*"):
        try:
            info = path.stat()
        except OSError:
            continue
        if path.is_file():
            files.append((info.st_mtime, info.st_size, path))
    total = sum(size for _, size, _ in files)
    freed = 0
    for _, size, path in sorted(files, key=lambda f: f[0]):
        if total - freed <= max_bytes:
            break
        if keep is not None and path == keep:
            continue
        try:
            path.unlink()
        except OSError:
            continue
        freed += size
    return freed
