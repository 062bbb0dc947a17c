"""Checking an archive years later, from the folder alone (no state.db): every file against its
checksum, nothing missing or extra, every video decoded to its end with the frame count the
manifest records, every still opened with its copyright metadata. Works on both layouts and on
archives made before layouts and frame counts existed. Opens every file read-only: it never
writes into the archive."""

from __future__ import annotations

import concurrent.futures
import json
import os
import threading
from pathlib import Path
from typing import Callable, Literal

import msgspec
from PIL import Image

from backend.archive import bag
from backend.archive import layout as archive_layout
from backend.errors import ArchiveError
from backend.media import ffmpeg
from backend.media.checksums import sha256_file
from backend.media.metadata import read_image_metadata, read_video_metadata

MANIFEST_SUFFIX = "_manifest.json"
STILL_TYPES = {"still_hq", "still_web", "thumbnail", "rd_image"}
# Videos decoded to their end. R&D originals are kept as delivered (maybe with the odd broken
# frame): their checksum is what proves them. The web master, clips and R&D encodes carry tags.
VIDEO_TYPES = {"master", "master_web", "clip", "group_clip", "rd_video"}
TAGGED_VIDEO_TYPES = {"master_web", "clip", "group_clip", "rd_video"}


class Problem(msgspec.Struct, frozen=True):
    path: str | None   # archive path of the file (None: the archive as a whole)
    kind: str          # missing, extra, size, checksum, decode, frames, metadata, manifest, bag
    message: str


class Report(msgspec.Struct, kw_only=True):
    archive: str
    status: Literal["intact", "damaged", "not_an_archive"]
    layout: str | None = None
    mode: Literal["full", "fast"] = "full"
    manifest: str | None = None
    files_checked: int = 0
    bytes_checked: int = 0
    videos_decoded: int = 0
    stills_opened: int = 0
    problems: list[Problem] = []

    @property
    def exit_status(self) -> int:
        return {"intact": 0, "damaged": 1, "not_an_archive": 2}[self.status]


class _Expected(msgspec.Struct, kw_only=True):
    path: str                     # archive path
    disk: str                     # relative to the archive's root, as on disk
    bytes: int | None = None
    sha256: str | None = None
    bag_sha256: str | None = None  # what the bag's manifests say, when a bag
    type: str | None = None
    frames: int | None = None


def verify(archive: str | os.PathLike, *, fast: bool = False, workers: int | None = None,
           on_file: Callable[[str], None] | None = None,
           cancel: threading.Event | None = None) -> Report:
    root = Path(archive)
    report = Report(archive=str(root), status="intact", mode="fast" if fast else "full")
    if not root.is_dir():
        return _not_archive(report, f"{root} is not a folder" if root.exists() else f"{root} does not exist")
    layout = archive_layout.detect(root)
    report.layout = layout
    payload = archive_layout.payload_root(root, layout)
    manifests = sorted(payload.glob(f"*{MANIFEST_SUFFIX}")) if payload.is_dir() else []
    problems: list[Problem] = []
    expected: dict[str, _Expected] = {}
    info: dict = {}
    if len(manifests) > 1:
        return _not_archive(report, "more than one manifest: " + ", ".join(m.name for m in manifests))
    if manifests:
        try:
            info = _read_manifest(manifests[0])
        except ValueError as exc:
            if layout != "bagit":
                return _not_archive(report, f"{manifests[0].name} is not a video-archive manifest ({exc})")
            problems.append(Problem(path=manifests[0].name, kind="manifest",
                                    message=f"the manifest cannot be read: {exc}"))
        manifest_path = archive_layout.archive_path(root, layout, manifests[0])
        report.manifest = manifest_path
        expected[manifest_path] = _Expected(path=manifest_path, disk=manifests[0].relative_to(root).as_posix(),
                                            type="manifest")
        for entry in info.get("files", []):
            if not _inside(entry["path"]):
                problems.append(Problem(path=entry["path"], kind="manifest",
                                        message=f"the manifest lists {entry['path']!r}, outside the archive"))
                continue
            disk = archive_layout.location(root, layout, entry["path"]).relative_to(root).as_posix()
            expected[entry["path"]] = _Expected(path=entry["path"], disk=disk, bytes=entry.get("bytes"),
                                                sha256=entry.get("sha256"), type=entry.get("type"),
                                                frames=entry.get("frames"))
    elif layout != "bagit":
        return _not_archive(report, f"no *{MANIFEST_SUFFIX} in {root}: not an archive made by video-archive")
    else:
        problems.append(Problem(path=None, kind="manifest",
                                message=f"the archive manifest (*{MANIFEST_SUFFIX}) is missing from data/"))
    if layout == "bagit":
        problems += _read_bag(root, expected)

    # nothing extra: every file on disk is expected
    on_disk = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
    known_disk = {e.disk for e in expected.values()}
    for disk in sorted(set(on_disk) - known_disk):
        problems.append(Problem(path=disk, kind="extra", message=f"{disk}: not in the manifest (an extra file)"))

    # nothing missing, sizes; then (full) checksums and media checks, files in parallel
    todo = []
    for e in sorted(expected.values(), key=lambda e: e.disk):
        path = root / e.disk
        if e.disk not in on_disk:
            problems.append(Problem(path=e.path, kind="missing", message=f"{e.disk}: missing"))
            continue
        size = path.stat().st_size
        report.files_checked += 1
        report.bytes_checked += size
        if e.bytes is not None and size != e.bytes:
            problems.append(Problem(path=e.path, kind="size",
                                    message=f"{e.disk}: {size} bytes, the manifest says {e.bytes}"))
            if fast:
                continue
        if not fast:
            todo.append(e)
    if not fast:
        copyright_text = info.get("copyright")
        with concurrent.futures.ThreadPoolExecutor(workers or min(4, os.cpu_count() or 1)) as pool:
            checks = pool.map(lambda e: _check_file(root, e, copyright_text, on_file, cancel), todo)
            for e, (found, decoded, opened) in zip(todo, checks):
                problems += found
                report.videos_decoded += decoded
                report.stills_opened += opened
    report.problems = problems
    report.status = "damaged" if problems else "intact"
    return report


def _inside(path: str) -> bool:
    """A listed path names a file inside the archive (a manifest is input too: never follow one
    out of the folder)."""
    parts = path.replace("\\", "/").split("/")
    return bool(path) and not path.startswith("/") and ".." not in parts and ":" not in parts[0]


def _not_archive(report: Report, message: str) -> Report:
    report.status = "not_an_archive"
    report.problems = [Problem(path=None, kind="manifest", message=message)]
    return report


def _read_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list) or not all(
            isinstance(f, dict) and isinstance(f.get("path"), str) for f in data["files"]):
        raise ValueError("no list of files with paths")
    return data


def _read_bag(root: Path, expected: dict[str, _Expected]) -> list[Problem]:
    """Merge the bag's manifests into `expected`: the payload manifest lists every file under
    data/, the tag manifest the tag files. A file either manifest lists is expected."""
    problems = []
    for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt"):
        if not (root / name).is_file():
            problems.append(Problem(path=name, kind="missing", message=f"{name}: missing (the bag is incomplete)"))
    by_disk = {e.disk: e for e in expected.values()}
    for name in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
        if not (root / name).is_file():
            continue
        # lines end at LF (CRLF too); splitlines would also break at \x1c, \x85, U+2028, which
        # may be in a file's name
        text = (root / name).read_text("utf-8", errors="replace")
        for number, line in enumerate(text.split("\n"), 1):
            line = line.removesuffix("\r")
            if not line.strip():
                continue
            digest, _, disk = line.partition(" ")
            # the separator is whitespace; a name may end in a space, and never starts with one
            disk = bag.decode_path(disk.lstrip(" \t"))
            if len(digest) != 64 or not disk or not _inside(disk):
                problems.append(Problem(path=name, kind="bag", message=f"{name} line {number} is malformed"))
                continue
            entry = by_disk.get(disk)
            if entry is None:
                entry = _Expected(path=archive_layout.archive_path(root, "bagit", root / disk), disk=disk,
                                  type="bag_tag" if name.startswith("tag") else None)
                expected[entry.path] = by_disk[disk] = entry
            entry.bag_sha256 = digest.lower()
    for name in archive_layout.BAG_TAG_FILES:
        if (root / name).is_file() and name not in by_disk:
            expected[name] = by_disk[name] = _Expected(path=name, disk=name, type="bag_tag")
    oxum = _bag_info(root).get("Payload-Oxum")
    if oxum:
        payload = [e for e in by_disk.values() if e.disk.startswith(archive_layout.PAYLOAD_DIR + "/")]
        sizes = [(root / e.disk).stat().st_size for e in payload if (root / e.disk).is_file()]
        if oxum != f"{sum(sizes)}.{len(sizes)}":
            problems.append(Problem(path="bag-info.txt", kind="bag",
                                    message=f"Payload-Oxum {oxum} does not match the payload "
                                            f"({sum(sizes)} bytes in {len(sizes)} files)"))
    return problems


def _bag_info(root: Path) -> dict[str, str]:
    try:
        text = (root / "bag-info.txt").read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines()) if v}


def _check_file(root: Path, e: _Expected, copyright_text: str | None, on_file, cancel) -> tuple[list[Problem], int, int]:
    path = root / e.disk
    problems: list[Problem] = []
    decoded = opened = 0
    if on_file:
        on_file(e.disk)
    actual = sha256_file(path, cancel)
    for source, want in (("manifest", e.sha256), ("bag manifest", e.bag_sha256)):
        if want and actual != want.lower():
            problems.append(Problem(path=e.path, kind="checksum",
                                    message=f"{e.disk}: checksum differs from the {source} (the content changed)"))
            break
    if e.type in VIDEO_TYPES:
        decoded = 1
        problems += _check_video(path, e, copyright_text, cancel)
    elif e.type in STILL_TYPES:
        opened = 1
        problems += _check_still(path, e, copyright_text)
    return problems, decoded, opened


def _check_video(path: Path, e: _Expected, copyright_text: str | None, cancel) -> list[Problem]:
    try:
        result = ffmpeg.run(["-i", str(path), "-map", "0:v:0", "-f", "null", "-"], cancel=cancel)
    except ArchiveError as exc:
        return [Problem(path=e.path, kind="decode", message=f"{e.disk}: does not decode: {exc}")]
    frames = result.last_progress.frame if result.last_progress else None
    problems = []
    if e.frames is not None and frames != e.frames:
        problems.append(Problem(path=e.path, kind="frames",
                                message=f"{e.disk}: decodes to {frames} frames, the manifest says {e.frames} "
                                        "(truncated or damaged)"))
    elif e.frames is None and not frames:  # a manifest from before frame counts were recorded
        problems.append(Problem(path=e.path, kind="decode", message=f"{e.disk}: no frame decodes"))
    if e.type in TAGGED_VIDEO_TYPES and copyright_text:
        try:
            found = read_video_metadata(path).get("copyright")
        except ArchiveError as exc:
            found = None
            problems.append(Problem(path=e.path, kind="metadata", message=str(exc)))
        if found != copyright_text:
            problems.append(Problem(path=e.path, kind="metadata",
                                    message=f"{e.disk}: copyright tag is {found!r}, expected {copyright_text!r}"))
    return problems


def _check_still(path: Path, e: _Expected, copyright_text: str | None) -> list[Problem]:
    try:
        with Image.open(path) as image:
            image.load()  # decodes every pixel: a truncated image fails here
        found = read_image_metadata(path)
    except (OSError, ValueError, ArchiveError, Image.DecompressionBombError) as exc:
        return [Problem(path=e.path, kind="decode", message=f"{e.disk}: does not open as an image: {exc}")]
    rights = found["xmp"].get("rights") or found["exif"].get("Copyright")
    if not rights or (copyright_text and rights != copyright_text):
        return [Problem(path=e.path, kind="metadata",
                        message=f"{e.disk}: copyright metadata is {rights!r}, expected {copyright_text!r}")]
    return []
