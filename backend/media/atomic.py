"""Write a file under its final name only once it is complete: work on a temporary name in the same
folder, then rename. A killed process leaves at most a `.partial-` file, never a torn final file."""

import contextlib
import glob
import os
import secrets
import time
from pathlib import Path

from backend.errors import MediaError
from backend.media.file_names import NAME_MAX_BYTES, cut_to_bytes, split_suffix

# Every temporary name carries this marker, so resume and cleanup can recognise leftovers.
PARTIAL_MARKER = ".partial-"
STALE_PARTIAL_S = 86400  # a temporary file untouched this long belongs to a dead run


def partial_name(path: Path) -> Path:
    """A fresh temporary name beside `path` with the same extension (ffmpeg and Pillow choose the
    format by extension): `.clip.partial-1a2b3c4d.mp4` for `clip.mp4`. The leading dot keeps
    leftovers out of the way in file browsers. The stem is shortened when needed, so a final name
    that fits the file system always has a temporary name that fits too."""
    stem, suffix = split_suffix(path.name)
    token = f"{PARTIAL_MARKER}{secrets.token_hex(4)}"
    stem = cut_to_bytes(stem, NAME_MAX_BYTES - 1 - len(token) - len(suffix.encode("utf-8", "surrogateescape")))
    return path.with_name(f".{stem}{token}{suffix}")


def is_partial(path: Path) -> bool:
    return path.name.startswith(".") and PARTIAL_MARKER in path.name


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, *, durable: bool = True):
    """Yield a temporary path for the caller to write; on success rename it to `path` (replacing
    an older file), on any failure (an exception, KeyboardInterrupt included) remove it.

    `durable` flushes the file to disk before the rename, so that after a power cut the final
    name holds either the old content or the complete new one."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = partial_name(final)
    try:
        yield temp
        if not temp.is_file():
            raise MediaError(f"{final.name} was not written (nothing at {temp})")
        if durable:
            _fsync(temp)
        os.replace(temp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    if durable:
        fsync_dir(final.parent)


def write_bytes_atomic(path: str | os.PathLike, data: bytes, *, durable: bool = True) -> Path:
    """The common case of atomic_output: the whole content is already in memory."""
    with atomic_output(path, durable=durable) as temp:
        temp.write_bytes(data)
    return Path(path)


def remove_unused(temps, below: Path) -> None:
    """Delete temporary files no one took, and the folders made for them (each only when empty,
    up to `below`, which stays), so that a discarded run leaves an empty archive folder."""
    for temp in temps:
        with contextlib.suppress(FileNotFoundError):
            Path(temp).unlink()
        folder = Path(temp).parent
        while folder != below and below in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent


def remove_partials(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that killed runs left in `folder` and below; return them.
    Only for folders no live process is writing into (resume calls it before restarting)."""
    removed = []
    for candidate in Path(folder).rglob(f".*{PARTIAL_MARKER}*"):
        if candidate.is_file() and is_partial(candidate):
            candidate.unlink()
            removed.append(candidate)
    return removed


def remove_stale_partials(folder: str | os.PathLike, *, older_than_s: float = STALE_PARTIAL_S,
                          of: Path | None = None) -> list[Path]:
    """Delete the temporary files in `folder` (not below) that nobody has written for
    `older_than_s` (only those of the final file `of`, when given): for a folder live processes
    may be writing into (a cache that several jobs share), where remove_partials would pull a
    running job's file from under it."""
    cutoff = time.time() - older_than_s
    removed = []
    stem = "*" if of is None else glob.escape(split_suffix(Path(of).name)[0])
    for candidate in Path(folder).glob(f".{stem}{PARTIAL_MARKER}*"):
        try:
            if is_partial(candidate) and candidate.is_file() and candidate.stat().st_mtime < cutoff:
                candidate.unlink()
                removed.append(candidate)
        except OSError:  # gone meanwhile (its writer renamed it), or not ours to remove
            continue
    return removed


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows), so best effort.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
