"""Keeping the segment cache (backend/media/segments.py) from growing for ever.

- An export in progress pins the segments it uses: a pin file in their store,
  `.pin-<pid>-<random>` listing their names. A pin whose process has ended (kill -9) no longer
  counts and is removed by the next cleanup. Nothing here deletes a pinned segment.
- When an export completes, its store keeps the segments of the cuts it exported (a reopened
  project, "export again as a new version", reuses them) and those pinned; the rest of that
  store (segments the background encode made for cuts the user moved again, or another project
  of the same master left) is removed.
- The whole cache is bounded: past `limit` bytes the least recently used unpinned segments go
  first. A segment is "used" when an export reuses or joins it; that time is kept as its atime,
  set explicitly (mount options such as noatime do not matter), so its mtime still says when
  it was encoded.
- `clean` at start does the last two for every store, and removes leftover pins and the
  temporary files of runs that died."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from backend.media.atomic import PARTIAL_MARKER, STALE_PARTIAL_S

FOLDER = "segments"  # under the cache root: segments/<master key>/<settings key>/

DEFAULT_LIMIT = 20 * 1024 ** 3   # bytes of segments kept across all masters
PIN = ".pin-"
_PIN_OWNER = re.compile(r"\.pin-(\d+)-")
_guard = threading.Lock()        # one cleanup or pin write at a time in this process


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _segments_in(folder: Path) -> list[Path]:
    return [p for p in folder.glob("*.mp4") if not p.name.startswith(".")]


def pinned(folder: Path) -> set[str]:
    """Names of the segments in `folder` that an export in progress uses; dead pins removed."""
    names: set[str] = set()
    for pin in folder.glob(f"{PIN}*"):
        match = _PIN_OWNER.match(pin.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                pin.unlink()
            continue
        with contextlib.suppress(OSError):
            names.update(pin.read_text(encoding="utf-8").split())
    return names


@contextlib.contextmanager
def in_use(folder: Path, names: Iterable[str]) -> Iterator[None]:
    """Pin `names` in the store `folder` while the block runs (an export)."""
    folder.mkdir(parents=True, exist_ok=True)
    pin = folder / f"{PIN}{os.getpid()}-{secrets.token_hex(4)}"
    with _guard:
        pin.write_text("\n".join(sorted(names)), encoding="utf-8")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            pin.unlink()


def touch(paths: Iterable[Path]) -> None:
    """Mark segments as used now (their atime; their mtime stays the encode's)."""
    now = time.time_ns()
    for path in paths:
        with contextlib.suppress(OSError):
            os.utime(path, ns=(now, path.stat().st_mtime_ns))


def after_export(folder: Path, keep: Iterable[str], cache_root: Path,
                 limit: int = DEFAULT_LIMIT) -> list[Path]:
    """An export from the store `folder` completed with the segments `keep`: remove the store's
    other unpinned segments, then bound the whole cache. The paths removed."""
    keep = set(keep)
    with _guard:
        spare = pinned(folder) | keep
        removed = [p for p in _segments_in(folder) if p.name not in spare and _unlink(p)]
    return removed + bound(cache_root, limit)


def bound(cache_root: Path, limit: int = DEFAULT_LIMIT) -> list[Path]:
    """Remove the least recently used unpinned segments until the cache holds at most `limit`
    bytes. The paths removed."""
    with _guard:
        entries = []
        for folder in _stores(cache_root):
            spare = pinned(folder)
            for path in _segments_in(folder):
                with contextlib.suppress(OSError):
                    info = path.stat()
                    entries.append((info.st_atime, info.st_size, path, path.name in spare))
        total = sum(size for _, size, _, _ in entries)
        removed = []
        for _, size, path, is_pinned in sorted(entries, key=lambda e: e[0]):
            if total <= limit:
                break
            if not is_pinned and _unlink(path):
                total -= size
                removed.append(path)
        return removed


def clean(cache_root: Path, limit: int = DEFAULT_LIMIT) -> list[Path]:
    """At start: temporary files of dead runs, dead pins, empty stores, then the size bound."""
    removed = []
    cutoff = time.time() - STALE_PARTIAL_S
    for folder in _stores(cache_root):
        pinned(folder)  # drops dead pins
        for path in folder.glob(f"*{PARTIAL_MARKER}*"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff and _unlink(path):
                    removed.append(path)
    removed += bound(cache_root, limit)
    for folder in _stores(cache_root):
        with contextlib.suppress(OSError):
            folder.rmdir()   # only when empty
            folder.parent.rmdir()
    return removed


def _stores(cache_root: Path) -> list[Path]:
    return [p for p in (Path(cache_root) / FOLDER).glob("*/*") if p.is_dir()]


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except OSError:
        return False
    return True
