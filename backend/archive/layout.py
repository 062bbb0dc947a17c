"""Where an archive's files sit on disk. `folder` keeps them at the archive's root; `bagit`
(RFC 8493) puts the same files under `data/` and the bag's tag files at the root. Operators name
files by their archive path (`clips/x.mp4`); this module alone maps that path to the disk."""

from __future__ import annotations

from pathlib import Path

from backend.errors import InputError

LAYOUTS = ("folder", "bagit")
PAYLOAD_DIR = "data"
BAG_DECLARATION = "bagit.txt"
BAG_TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt")
# Read by people first, so it opens from the archive's root in both layouts (a tag file of the bag).
CONTACT_SHEET = "index.html"
ROOT_FILES = frozenset({CONTACT_SHEET, *BAG_TAG_FILES})


def check(name: str) -> str:
    if name not in LAYOUTS:
        raise InputError(f"archive layout must be one of {', '.join(LAYOUTS)}, got {name!r}", "layout")
    return name


def payload_root(root: Path, layout: str) -> Path:
    return root / PAYLOAD_DIR if layout == "bagit" else root


def location(root: Path, layout: str, archive_path: str) -> Path:
    """The file on disk for an archive path."""
    if layout == "bagit" and archive_path not in ROOT_FILES:
        return root / PAYLOAD_DIR / archive_path
    return root / archive_path


def archive_path(root: Path, layout: str, file: Path) -> str:
    """The archive path of a file on disk under `root` (the inverse of `location`); a bag's tag
    files and anything at a bag's root keep their root-relative name."""
    relative = file.relative_to(root).as_posix()
    if layout == "bagit" and relative.startswith(PAYLOAD_DIR + "/"):
        return relative[len(PAYLOAD_DIR) + 1:]
    return relative


def detect(root: Path) -> str:
    """The layout of an existing archive: a bag declares itself with bagit.txt."""
    return "bagit" if (root / BAG_DECLARATION).is_file() else "folder"
