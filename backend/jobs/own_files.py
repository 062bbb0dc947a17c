"""The tool's own files, which no request may write over: the state database with its journal
files and backups, the ingest cache, and every known session's archive folder (an archive is
written only by its own session's operators). A path is compared after resolving links, and as a
case-insensitive file system compares it (`path_key`), so neither a link nor other letter case
reaches them."""

from __future__ import annotations

import os
from pathlib import Path

from backend import paths
from backend.db import sessions
from backend.errors import InputError
from backend.ops.output_paths import path_key

DB_COMPANIONS = ("", "-wal", "-shm", "-journal")


def _key(path: Path) -> tuple[str, ...]:
    return tuple(path_key(part) for part in path.parts)


def _within(path: tuple[str, ...], folder: tuple[str, ...]) -> bool:
    return path[:len(folder)] == folder


def _resolved(path: str | os.PathLike) -> Path:
    try:
        return Path(path).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte: checked by the caller
        return Path(os.path.abspath(Path(path).expanduser()))


def archive_folders(db, *, besides: str | None = None) -> list[tuple[str, Path]]:
    """(session id, archive folder) of every known session but `besides`."""
    return [(s.session_id, Path(s.output_path)) for s in sessions.all_sessions(db)
            if s.session_id != besides and s.output_path]


def own_file(db, path: str | os.PathLike, *, archives: bool = True) -> str | None:
    """What of the tool's own `path` is, or lies in, or None when it is none of them (the
    sessions' archive folders only with `archives`)."""
    target = _key(_resolved(path))
    db_file = _resolved(db.path)
    for suffix in DB_COMPANIONS:
        if target == _key(Path(f"{db_file}{suffix}")):
            return f"the state database ({db_file}{suffix})"
    for folder, what in ((paths.backups_dir(db_file), "the state database's backups"),
                         (paths.cache_dir(db_file), "the ingest cache")):
        if _within(target, _key(_resolved(folder))):
            return f"{what} ({folder})"
    for session_id, archive in archive_folders(db) if archives else ():
        if _within(target, _key(_resolved(archive))):
            return f"the archive folder of session {session_id} ({archive})"
    return None


def refuse_own_file(db, path: str | os.PathLike, field: str) -> None:
    """InputError naming `field` when writing `path` would write over one of the tool's files."""
    what = own_file(db, path)
    if what is not None:
        raise InputError(f"{path} is {what}, which only the tool itself writes: choose a path "
                         "outside it", field)


def refuse_misplaced_archive(db, archive: Path, *, session_id: str | None = None,
                             field: str = "out") -> None:
    """InputError naming `field` when an archive folder at `archive` would lie among the tool's
    own files or nest with another session's archive."""
    reason = nesting(db, archive, session_id=session_id)
    what = own_file(db, archive, archives=False)
    if what is not None:
        reason = f"it lies inside {what}"
    if reason:
        raise InputError(f"the archive folder {archive} cannot be used: {reason}; choose "
                         "another output folder", field)


def nesting(db, archive: Path, *, session_id: str | None = None) -> str | None:
    """Why an archive folder at `archive` would nest with another session's archive (lie inside
    it, or hold it), or None. Nested archives break each other's verify."""
    mine = _key(_resolved(archive))
    for other_id, other in archive_folders(db, besides=session_id):
        theirs = _key(_resolved(other))
        if theirs == mine:
            continue  # one folder, two sessions: archive_claims decides which may write it
        if _within(mine, theirs):
            return f"it lies inside the archive folder of session {other_id} ({other})"
        if _within(theirs, mine):
            return f"it holds the archive folder of session {other_id} ({other})"
    return None
