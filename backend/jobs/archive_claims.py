"""Which session may write which archive folder.

- A finished archive (its manifest names the session that made it) is never written again.
- One archive folder, one session: a new `process` into a folder that another session owns is
  refused, unless that session was interrupted before it wrote anything and before its scenes
  were known (killed or failed during scene detection): it is then replaced, and the user is
  told. A session waiting in the editor, or paused by the user, is never replaced.
- A session is resumed only when it can finish without touching another session's files.
- Whoever writes holds the folder's lock (archive_lock) for the whole run; every check here is
  made while holding it, so two runs can never both pass them.
Folders are compared as a case-insensitive file system compares them (`path_key`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from backend.db import files as db_files
from backend.db import sessions
from backend.errors import InputError
from backend.jobs import archive_lock, own_files
from backend.media.atomic import is_partial, remove_partials
from backend.ops.output_paths import path_key

UNFINISHED = ("initialized", "processing", "paused", "failed")


def holder_text(session_id: str | None) -> str:
    return f"process {os.getpid()}" + (f", session {session_id}" if session_id else "")


def claim_new(db, archive: Path) -> tuple[archive_lock.ArchiveLock, list[str]]:
    """Create and lock the folder for a new session; refuse (InputError) when it is not free.
    Returns the lock and warnings (sessions replaced)."""
    own_files.refuse_misplaced_archive(db, archive)
    created = not archive.exists()
    lock = archive_lock.acquire(archive, holder_text(None))
    try:
        warnings = []
        for other in owners(db, archive):
            if other.status == "completed":
                if manifest_session(Path(other.output_path)) is not None:
                    where = "" if other.output_path == str(archive) else \
                        f" ({other.output_path}: the same folder where case is ignored)"
                    raise InputError(f"{archive} holds an archive finished by session "
                                     f"{other.session_id}{where}, which is never written again: "
                                     "choose another artwork name, date or output folder", "artwork")
                continue  # its archive was deleted: a new one may be made
            if not _replaceable(db, other) or visible_files(archive):
                raise InputError(
                    f"session {other.session_id} ({other.status}) is making the archive {archive}: "
                    f"resume it (video-archive resume {other.session_id}), or choose another "
                    "artwork name, date or output folder", "artwork")
            sessions.delete(db, other.session_id)
            warnings.append(f"session {other.session_id} ({other.status}, interrupted before it "
                            f"wrote anything) is replaced by this one")
        finished_by = manifest_session(archive)
        if finished_by is not None:
            raise InputError(f"{archive} holds an archive finished by session {finished_by}, which "
                             "is never written again: choose another artwork name, date or output "
                             "folder", "artwork")
        if visible_files(archive):
            raise InputError(f"the archive folder already exists and is not empty: {archive} "
                             "(choose another artwork name, date or output folder)", "artwork")
    except BaseException:
        lock.release(remove_empty_folder=created)
        raise
    remove_partials(archive)  # a replaced session's leftovers
    return lock, warnings


def resume_blocker(db, session) -> str | None:
    """Why `session` must not be resumed (another session's files would be touched), or None."""
    archive = Path(session.output_path)
    if session.status == "completed":
        return f"it is already completed: {archive}"
    finished_by = manifest_session(archive)
    if finished_by is not None and finished_by != session.session_id:
        return (f"its folder {archive} holds an archive finished by session {finished_by}, "
                "which is never written again")
    nested = own_files.nesting(db, archive, session_id=session.session_id)
    if nested:
        return f"its archive folder {archive} cannot be written: {nested}"
    newer = [o for o in owners(db, archive) if o.session_id != session.session_id
             and o.status in UNFINISHED and o.id > session.id]
    if newer:
        return (f"session {newer[0].session_id}, started later, makes an archive in the same "
                f"folder {archive}: resume that one")
    return None


def lock_for_resume(session) -> archive_lock.ArchiveLock:
    archive = Path(session.output_path)
    try:
        return archive_lock.acquire(archive, holder_text(session.session_id))
    except archive_lock.ArchiveBusy as exc:
        raise archive_lock.ArchiveBusy(f"session {session.session_id} is running right now: "
                                       f"{exc}", "session") from None


def _replaceable(db, session) -> bool:
    """Interrupted before it wrote a file or knew its scenes: nothing of it would be lost."""
    spec = session.process_metadata
    return (session.status in ("processing", "failed") and not db_files.list_for(db, session.session_id)
            and not (spec is not None and (spec.analysed or spec.export_planned)))


def owners(db, archive: Path) -> list:
    key = path_key(str(archive))
    return [s for s in sessions.all_sessions(db) if path_key(s.output_path) == key]


def manifest_session(archive: Path) -> str | None:
    """The session id in the folder's manifest, if a finished archive lies there."""
    manifest = archive / f"{archive.name}_manifest.json"
    if not manifest.is_file():
        return None
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["session_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown (unreadable manifest)"


def visible_files(archive: Path) -> list[Path]:
    """What the folder holds besides our lock and temporary leftovers."""
    return [p for p in archive.rglob("*") if not p.is_dir() and p.name != archive_lock.LOCK_NAME
            and not is_partial(p)]
