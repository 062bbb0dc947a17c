"""Which files of an R&D folder are inputs, with one rule for symbolic links.

The rule: links are followed, to files and to folders alike (the R&D folder itself may be one),
as a file manager shows the tree; a file reached through a link is archived under the link's
path. A folder link that points back to a folder it sits in (a loop) is not entered again: its
files are already in the tree. What cannot be archived - a broken link, a link loop, a FIFO,
a socket or a device - is never opened (opening a FIFO would wait forever) and is reported, so
`check` refuses the folder before any work instead of leaving an input out silently. Hidden
entries (names starting with '.': .DS_Store, .git, editors' swap files) are not inputs and are not
looked into; they are not left out silently either: `check` names them in a warning."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from backend.errors import InputError

MAX_ENTRIES = 200_000  # links can make a small folder look endless (a -> ., twice)


def scan(folder: Path) -> tuple[list[Path], list[str], list[str]]:
    """(files, problems, hidden): every regular file under `folder`, following links, as paths
    under `folder` in name order; one line per entry that cannot be archived; and the hidden
    entries left out, as paths under `folder`."""
    files: list[Path] = []
    problems: list[str] = []
    hidden: list[str] = []
    # (folder path as seen under `folder`, real (device, inode) of each folder above it)
    stack: list[tuple[Path, tuple]] = [(folder, ())]
    seen = 0
    while stack:
        current, ancestors = stack.pop()
        info = os.stat(current)
        key = (info.st_dev, info.st_ino)
        if key in ancestors:
            continue  # a link back up the tree: its files are listed under their real folder
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            problems.append(f"{_rel(current, folder)}: cannot be listed ({exc.strerror})")
            continue
        children = []
        for entry in entries:
            if entry.name.startswith("."):
                hidden.append(_rel(Path(entry.path), folder))  # not part of the work: reported
                continue
            seen += 1
            if seen > MAX_ENTRIES:
                raise InputError(f"R&D folder {folder} holds more than {MAX_ENTRIES} entries "
                                 "(or folder links that repeat it); choose a smaller folder")
            path = Path(entry.path)
            try:
                mode = os.stat(path).st_mode  # follows links
            except OSError as exc:
                why = ("a symbolic link loop" if exc.errno == errno.ELOOP
                       else "a broken symbolic link" if path.is_symlink()
                       else f"cannot be read ({exc.strerror})")
                problems.append(f"{_rel(path, folder)}: {why}")
                continue
            if stat.S_ISDIR(mode):
                children.append((path, ancestors + (key,)))
            elif stat.S_ISREG(mode):
                files.append(path)
            else:
                problems.append(f"{_rel(path, folder)}: not a regular file (a FIFO, socket or "
                                "device)")
        stack.extend(reversed(children))
    return sorted(files), problems, sorted(hidden)


def check(folder: Path) -> str | None:
    """Refuse a folder holding entries that cannot be archived, naming the first few. Returns a
    warning naming the hidden entries that are not archived, or None."""
    _files, problems, hidden = scan(folder)
    if problems:
        raise InputError(f"R&D folder {folder} holds what cannot be archived: "
                         f"{_first(problems, '; ')}; remove or fix them first")
    if hidden:
        return (f"R&D folder: {len(hidden)} hidden entr{'y is' if len(hidden) == 1 else 'ies are'}"
                f" not archived (names starting with '.'): {_first([repr(h) for h in hidden], ', ')}")
    return None


def _first(items: list[str], sep: str) -> str:
    """The first three, joined, and how many more."""
    more = f" and {len(items) - 3} more" if len(items) > 3 else ""
    return sep.join(items[:3]) + more


def _rel(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)
