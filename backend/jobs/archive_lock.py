"""One writer per archive folder, enforced by the operating system: a run holds an exclusive
lock (flock; LockFileEx on Windows) on `.video-archive.lock` inside the archive for as long as it
writes there. Taking it never waits: a second `process` or `resume` of the same folder is refused
at once. The kernel drops the lock when its holder dies (SIGKILL, power cut), so a crash never
leaves a folder locked; the file itself is removed when the run ends."""

from __future__ import annotations

import os
from pathlib import Path

from backend.errors import InputError

LOCK_NAME = ".video-archive.lock"

# try_lock(fd): take an exclusive lock on the open file without waiting; False when another
# process holds it. The kernel drops it when the holder exits. App/instance.py uses it too.
try:
    import fcntl

    def try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
except ImportError:  # Windows
    import msvcrt

    def try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True


class ArchiveBusy(InputError):
    """Another live process holds the archive's lock."""


class ArchiveLock:
    def __init__(self, archive: Path, fd: int):
        self.archive = archive
        self.path = archive / LOCK_NAME
        self._fd: int | None = fd

    def release(self, *, remove_empty_folder: bool = False) -> None:
        """Remove the lock file, then let go of the lock (in that order: whoever opened the old
        file meanwhile finds it gone once it gets the lock, and tries again). With
        `remove_empty_folder` (a run refused or discarded before it wrote anything) the archive
        folder goes too when nothing else is in it."""
        if self._fd is None:
            return
        try:
            self.path.unlink()
        except OSError:
            pass  # Windows cannot remove an open file: it stays, unlocked
        os.close(self._fd)
        self._fd = None
        if remove_empty_folder:
            try:
                self.archive.rmdir()  # only succeeds when empty
            except OSError:
                pass

    def __enter__(self) -> ArchiveLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def acquire(archive: Path, holder: str) -> ArchiveLock:
    """Lock the folder `archive` (made when missing) for this process, or raise ArchiveBusy
    naming who holds it. `holder` (pid, session) is written into the file for that message."""
    Path(archive).mkdir(parents=True, exist_ok=True)
    path = Path(archive) / LOCK_NAME
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except FileNotFoundError:  # a run that ended left the folder empty and removed it
            Path(archive).mkdir(parents=True, exist_ok=True)
            continue
        except PermissionError:
            raise ArchiveBusy(f"cannot lock {archive}: its lock file {LOCK_NAME} "
                              f"({_holder(path)}) belongs to another user, or the folder is not "
                              "writable; let that user's run finish, or choose another --out",
                              "artwork") from None
        if not try_lock(fd):
            os.close(fd)
            raise ArchiveBusy(f"another video-archive run ({_holder(path)}) is writing {archive} "
                              "right now: wait for it to finish, or pause it there first", "artwork")
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same or os.name == "nt":  # inode numbers say nothing on Windows; files there stay
            break
        os.close(fd)  # the previous holder removed the file after we opened it: take a fresh one
    os.ftruncate(fd, 0)
    os.write(fd, holder.encode("utf-8", "replace"))
    return ArchiveLock(Path(archive), fd)


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text or "unknown process"
