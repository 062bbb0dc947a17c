"""Finished outputs that are no longer what was made: deleted, or changed in size, after their
unit completed (a user tidying the folder between a crash and the resume). Resume makes them
again instead of failing verification on every try."""

from __future__ import annotations

from pathlib import Path


def find(archive: Path, operations, registered) -> dict[int, list[str]]:
    """{sequence number of a completed unit: its outputs that are missing or changed}."""
    sizes = {f.file_path: f.file_size_bytes for f in registered}
    stale: dict[int, list[str]] = {}
    for op in operations:
        if op.status != "completed":
            continue
        for rel in op.output_files or []:
            path = archive / rel
            if not path.is_file() or (sizes.get(rel) is not None
                                      and path.stat().st_size != sizes[rel]):
                stale.setdefault(op.sequence_number, []).append(rel)
    return stale
