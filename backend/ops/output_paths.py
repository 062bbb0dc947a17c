"""Safe names for the archive's folders and files, the rule that no two outputs share a path, and
that every output's name fits the file system.

Paths are compared as a case-insensitive, normalisation-insensitive file system (macOS, Windows,
exFAT archive disks) compares them: `A.jpg`, `a.jpg` and an NFD `a.jpg` are one file there.
`UniqueNames` hands out such paths to operators as they plan; `check_plan` checks a whole plan
(every unit of every operator) before the first output is written, and refuses it otherwise."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath

from backend import text_rules
from backend.errors import InputError
from backend.media.atomic import partial_name
from backend.media.file_names import NAME_MAX_BYTES, byte_len, fit_name, path_max_bytes, shorten, tagged

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
             *(f"lpt{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r"[^\w.\-]+")  # \w is Unicode-aware: accented names stay readable
# Bytes of UTF-8 a name part may take in file names. Every archive file name is the archive's
# name plus at most about 40 bytes (scene, frame, group and a temporary name's marker), so with
# these no file name passes the file system's 255 bytes; the planner checks every name anyway.
ARTWORK_MAX_BYTES = 120
GROUP_MAX_BYTES = 60


def safe_name(text: str, what: str = "artwork name",
              field: str | None = "artwork", max_bytes: int = ARTWORK_MAX_BYTES) -> tuple[str, str | None]:
    """A name usable as one folder or file-name part on every OS, and a warning when it differs
    from what the user typed. Slashes, '..' and reserved device names can never escape or
    collide: they are replaced, not rejected, because the user's intent is clear. A name longer
    than `max_bytes` (UTF-8) is shortened on a character boundary with '~' and a hash of the
    whole name, so two long names that begin alike stay two names."""
    raw = unicodedata.normalize("NFC", text or "").strip()
    text_rules.check(raw, f"the {what}", field=field)  # also written into metadata as typed
    if not raw:
        raise InputError(f"the {what} is empty", field)
    cleaned = _UNSAFE.sub("-", raw.replace(" ", "-"))
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip(".-_")
    if not cleaned:
        raise InputError(f"the {what} {text!r} has no letters or digits usable in a folder name", field)
    if cleaned.split(".")[0].lower() in _RESERVED:
        cleaned = f"{cleaned}_"
    cleaned = shorten(cleaned, max_bytes)
    warning = None if cleaned == raw else f"{what} {text!r} is used as {cleaned!r} in file names"
    return cleaned, warning


def group_folder(name: str) -> str:
    """The folder a group's clips go into."""
    return safe_name(name, "group name", "groups", GROUP_MAX_BYTES)[0]


def path_key(relative: str) -> str:
    """What a case- and normalisation-insensitive file system sees of a path."""
    return unicodedata.normalize("NFC", relative).casefold()


class UniqueNames:
    """Output paths handed out once each (by path_key). A name that is taken, or too long, gets
    '~' and a hash of where it came from, so the second file keeps a name that says so. Folders
    count too: a file never takes a name that is, or will be, a folder (`reserve_folder`)."""

    def __init__(self):
        self._files: set[str] = set()
        self._folders: set[str] = set()

    def reserve_folder(self, folder: str) -> None:
        """Mark `folder` and its parents as folders before files are claimed, so that a file
        named like a folder (`Sub` beside `sub/`, one name where case is ignored) is renamed."""
        key = PurePosixPath(path_key(folder))
        self._folders.update(str(p) for p in (key, *key.parents) if str(p) != ".")

    def claim(self, folder: str, name: str, source: str, alternatives: tuple[str, ...] = ()) -> str:
        """`folder/name` if free, else the first free alternative name, else `name` tagged with
        a hash of `source` (the input's own path: unique per input)."""
        for candidate in (name, *alternatives):
            path = _join(folder, fit_name(candidate, tag_source=source))
            if self.take(path):
                return path
        for attempt in range(100):
            path = _join(folder, tagged(name, f"{source}\0{attempt}" if attempt else source))
            if self.take(path):
                return path
        raise InputError(f"no free output name for {source!r} in {folder}")

    def take(self, path: str) -> bool:
        key = PurePosixPath(path_key(path))
        parents = [str(p) for p in key.parents if str(p) != "."]
        if str(key) in self._files or str(key) in self._folders \
                or any(p in self._files for p in parents):
            return False
        self._files.add(str(key))
        self._folders.update(parents)
        return True


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def check_plan(units, archive: Path) -> None:
    """Refuse a plan (InputError, before any work) where two units write one path (as a case-
    insensitive file system sees it), a file would sit where another output needs a folder, or a
    name, its temporary name, or the whole path is too long for the file system."""
    problems: list[str] = []
    owner: dict[str, tuple[str, str]] = {}  # path_key -> (unit name, path)
    path_max = path_max_bytes(archive if archive.exists() else archive.parent)
    for unit in units:
        for rel in unit.outputs:
            problems += [f"{unit.name}: {p}" for p in _name_problems(rel, archive, path_max)]
            key = path_key(rel)
            if key in owner:
                other, other_rel = owner[key]
                same = "" if other_rel == rel else f" (as {other_rel!r}: names differ only by case)"
                problems.append(f"{other!r} and {unit.name!r} would both write {rel!r}{same}")
            else:
                owner[key] = (unit.name, rel)
    for key, (name, rel) in owner.items():
        for parent in PurePosixPath(key).parents:
            if str(parent) in owner:
                problems.append(f"{owner[str(parent)][0]!r} writes a file {owner[str(parent)][1]!r} "
                                f"where {name!r} needs a folder for {rel!r}")
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise InputError("the archive cannot be planned: " + "; ".join(problems[:3]) + more)


def _name_problems(rel: str, archive: Path, path_max: int) -> list[str]:
    path = PurePosixPath(rel)
    if path.is_absolute() or not rel or any(part in ("", ".", "..") for part in rel.split("/")):
        return [f"{rel!r} is not a path inside the archive"]
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return [f"{rel!r} is not valid UTF-8: rename the file it comes from"]
    problems = [f"name {part!r} is {byte_len(part)} bytes, more than the file system's "
                f"{NAME_MAX_BYTES}" for part in path.parts if byte_len(part) > NAME_MAX_BYTES]
    temp = partial_name(Path(path.name)).name
    if not problems and byte_len(temp) > NAME_MAX_BYTES:
        problems.append(f"the temporary name of {path.name!r} is {byte_len(temp)} bytes, more than "
                        f"{NAME_MAX_BYTES}")
    full = byte_len(str(archive / rel))
    if full > path_max:
        problems.append(f"{rel!r}: the full path is {full} bytes, more than the file system's "
                        f"{path_max} (choose an output folder nearer the root)")
    return problems
