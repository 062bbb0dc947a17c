"""Each file's SHA-256, taken once when its unit has written it and kept with its registry row
(`compression_settings["sha256"]`, where the master and R&D copies already kept theirs), so the
manifest, the bag and the contact sheet are written from stored digests without reading the
archive again. A unit's outputs are hashed by the worker that wrote them, right after writing,
while their pages are still in memory and other units keep the CPU busy; copies (the master, the
R&D originals) are hashed as they are copied."""

from __future__ import annotations

import threading
from pathlib import Path

import msgspec

from backend.db.files import FileRecord
from backend.media.checksums import sha256_file


def stored(record: FileRecord) -> str | None:
    """The SHA-256 kept with a registered file; None for files registered before digests were kept."""
    return (record.compression_settings or {}).get("sha256")


def with_sha256(record: FileRecord, path: Path, cancel: threading.Event | None = None) -> FileRecord:
    if stored(record):
        return record
    settings = dict(record.compression_settings or {})
    settings["sha256"] = sha256_file(path, cancel)
    return msgspec.structs.replace(record, compression_settings=settings)


def of(record: FileRecord, path: Path, cancel: threading.Event | None = None) -> str:
    """The stored digest, or (a session resumed from before digests were kept) the file's own."""
    return stored(record) or sha256_file(path, cancel)
