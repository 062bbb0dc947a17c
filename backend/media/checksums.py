"""SHA-256 of files, and copying a large file while hashing it, then verifying the copy."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from backend.errors import Cancelled, MediaError

CHUNK = 8 * 1024 * 1024


def sha256_file(path: Path, cancel: threading.Event | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            if cancel is not None and cancel.is_set():
                raise Cancelled("checksum stopped")
            digest.update(chunk)
    return digest.hexdigest()


def copy_with_checksum(src: Path, dst: Path, *, on_progress=None,
                       cancel: threading.Event | None = None) -> str:
    """Copy `src` to `dst` (a temporary name the caller renames), hashing the source as it is
    read; then re-read the copy and compare, so a bad disk or a truncated write is caught.
    Returns the SHA-256."""
    total = src.stat().st_size
    digest = hashlib.sha256()
    done = 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(CHUNK):
            if cancel is not None and cancel.is_set():
                raise Cancelled("copy stopped")
            digest.update(chunk)
            fout.write(chunk)
            done += len(chunk)
            if on_progress:
                on_progress(0.5 * done / max(total, 1))
        fout.flush()
        os.fsync(fout.fileno())
    source_sum = digest.hexdigest()
    copy_sum = sha256_file(dst, cancel)
    if on_progress:
        on_progress(1.0)
    if copy_sum != source_sum:
        raise MediaError(f"the copy of {src.name} does not match the original (checksum differs); "
                         "check the output disk")
    return source_sum
