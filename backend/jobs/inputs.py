"""Checking what a user asks for before any work starts: every problem is one clear message."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import threading
from pathlib import Path

import msgspec

from backend.db.session_spec import Group
from backend.errors import InputError
from backend.ops import rd_tree
from backend.ops.output_paths import ARTWORK_MAX_BYTES, group_folder, path_key, safe_name  # noqa: F401
from backend.media.readable import check_readable


DATE_FORMS = "YY-MM-DD or YYYY-MM-DD"
_DATE = re.compile(r"(\d{2}|\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)


def check_date(text: str) -> str:
    """A project date that names a real calendar day, as YY-MM-DD (the archive folder's name has
    it so). An ISO date YYYY-MM-DD, what date pickers and most tools write, is the same day and is
    taken, checked against its own year and shortened: 2026-12-04 is 26-12-04. The one rule for
    the CLI, the bridge, the page (frontend/js/rules.js, same cases) and the Blender add-on."""
    found = _DATE.fullmatch(str(text).strip())
    try:
        if found is None:
            raise ValueError
        year, month, day = (int(g) for g in found.groups())
        if len(found.group(1)) == 2:   # YY as strptime's %y reads it: 69-99 are 19xx
            year += 1900 if year >= 69 else 2000
        if year < 1000:
            raise ValueError
        return dt.date(year, month, day).strftime("%y-%m-%d")
    except ValueError:
        raise InputError(f"invalid project date {text!r}: use {DATE_FORMS}, e.g. 24-03-15",
                         "date") from None


def _refuse_link_loop(path: Path, what: str, field: str) -> None:
    """exists() and is_file() say False for a symbolic link loop; say what it really is."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{what} is a symbolic link loop: {path}", field) from None


def check_master(path: str | os.PathLike) -> Path:
    return check_readable(path, what="master video", field="master")[0].resolve()


def check_rd_folder(path: str | os.PathLike | None) -> tuple[Path | None, str | None]:
    """(the resolved folder, a warning naming hidden entries left out); (None, None) without one."""
    if not path:
        return None, None
    folder = Path(path).expanduser()
    _refuse_link_loop(folder, "R&D folder", "rd")
    if not folder.is_dir():
        raise InputError(f"R&D folder not found or not a folder: {folder}", "rd")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise InputError(f"R&D folder cannot be read (permissions): {folder}", "rd")
    folder = folder.resolve()
    return folder, rd_tree.check(folder)


def check_output_dir(path: str | os.PathLike) -> Path:
    """The output folder must exist or be creatable, and be writable: checked by writing. It is
    the folder that holds archives, so it may not be (or lie inside) an archive: the new archive
    would nest inside the other one."""
    if not str(path).strip():
        raise InputError("no output folder given (an empty --out would mean the current folder; "
                         "pass . to mean that)", "out")
    out = Path(path).expanduser()
    _refuse_link_loop(out, "output folder", "out")
    inside = archive_around(out)
    if inside is not None:
        raise InputError(f"output folder {out} is {'an' if inside == out.resolve() else 'inside an'} "
                         f"existing archive ({inside}); choose the folder that holds your "
                         f"archives, e.g. {inside.parent}", "out")
    if out.exists() and not out.is_dir():
        raise InputError(f"output folder is a file, not a folder: {out}", "out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        # per thread: a batch checks several jobs' folders at once in one process
        probe = out / f".video-archive-write-test-{os.getpid()}-{threading.get_ident()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"output folder cannot be written: {out} ({exc.strerror or exc})", "out") from None
    return out.resolve()


_ARCHIVE_NAME = re.compile(r"^\d\d-\d\d-\d\d_.")


def archive_around(path: Path) -> Path | None:
    """The archive folder `path` is, or lies in: one holding its own manifest, or named like an
    archive (YY-MM-DD_Name) with a masters/ folder (an archive still being made)."""
    for folder in (path.resolve(), *path.resolve().parents):
        if (folder / f"{folder.name}_manifest.json").is_file():
            return folder
        if _ARCHIVE_NAME.match(folder.name) and (folder / "masters").is_dir():
            return folder
    return None


def parse_scene_spec(spec: str | None) -> list[tuple[int, int]] | None:
    """'all' (or nothing) -> None; '1,3,5-7' -> inclusive ranges. Numbers are checked against the
    detected scenes later by `select_scenes`, once the scene count is known."""
    if spec is None or spec.strip().lower() in ("", "all"):
        return None
    ranges = []
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not m:
            raise InputError(f"invalid scene spec {spec!r}: {part!r} is not a number or a range "
                             "like 5-7 (use 'all' or e.g. '1,3,5-7')", "scenes")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if lo < 1 or hi < lo:
            raise InputError(f"invalid scene spec {spec!r}: {part!r} is not an ascending range "
                             "of scene numbers starting at 1", "scenes")
        ranges.append((lo, hi))
    return ranges


def select_scenes(ranges: list[tuple[int, int]] | None, scene_count: int) -> list[int]:
    if ranges is None:
        return list(range(1, scene_count + 1))
    chosen: set[int] = set()
    for lo, hi in ranges:
        if hi > scene_count:
            raise InputError(f"scene {hi} does not exist: the master has {_scenes(scene_count)}", "scenes")
        chosen.update(range(lo, hi + 1))
    return sorted(chosen)


def load_groups(path: str | os.PathLike | None) -> dict[str, list[int]]:
    """A JSON file mapping group names to scene numbers: {"intro": [1, 2], "loop": [3]}."""
    if not path:
        return {}
    file = Path(path).expanduser()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"groups file not found: {file}", "groups") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"groups file cannot be read: {file} ({exc})", "groups") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"groups file {file} is not valid JSON: {exc.msg} at line {exc.lineno}", "groups") from None
    return check_groups(data, str(file))


def check_groups(data, source: str = "groups") -> list[Group]:
    """Groups as the editor sends them (an ordered list of {name, color, scenes}) or as a groups
    file holds them ({name: [scenes]}): names that make distinct folder names, each a list of
    scene numbers, each scene in at most one group. A group may be empty (made in the editor, not
    yet filled): it is kept with its name, colour and place, and exports nothing."""
    if isinstance(data, dict):
        data = [{"name": str(name), "scenes": members} for name, members in data.items()]
    if not isinstance(data, list):
        raise InputError(f"{source}: expected a list of groups (name, color, scenes), or a JSON "
                         "object mapping group names to lists of scene numbers", "groups")
    groups: list[Group] = []
    folders: dict[str, str] = {}
    owner: dict[int, str] = {}
    for item in data:
        if isinstance(item, Group):
            item = msgspec.to_builtins(item)
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InputError(f"{source}: every group needs a name", "groups")
        name, members = item["name"], item.get("scenes")
        folder = group_folder(name)
        if path_key(folder) in folders:  # Intro and intro: one folder where case is ignored
            raise InputError(f"{source}: groups {folders[path_key(folder)]!r} and {name!r} give the "
                             f"same folder name {folder!r}", "groups")
        folders[path_key(folder)] = name
        if not isinstance(members, list) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in members):
            raise InputError(f"{source}: group {name!r} must be a list of scene numbers "
                             "(1, 2, ...)", "groups")
        for n in members:
            if n in owner and owner[n] != name:
                raise InputError(f"{source}: scene {n} is in both group {owner[n]!r} and {name!r}",
                                 "groups")
            owner[n] = name
        color = item.get("color")
        if color is not None and not (isinstance(color, str) and len(color) <= 64):
            raise InputError(f"{source}: group {name!r} has a color that is not a short text",
                             "groups")
        groups.append(Group(name=name, color=color, scenes=sorted(set(members))))
    return groups


def check_groups_against(groups: list[Group], scene_count: int) -> None:
    for group in groups:
        missing = [n for n in group.scenes if n > scene_count]
        if missing:
            raise InputError(f"group {group.name!r} names scene {missing[0]}, but the master has "
                             f"{_scenes(scene_count)}", "groups")


def _scenes(count: int) -> str:
    return f"{count} scene" + ("" if count == 1 else "s")
