"""Where ingest results live: one folder per master identity under CACHE_ROOT/ingest/.

    ingest/<key>/              key = hash of (format version, path, size, mtime, content hash)
        decode.json            DecodeRecord: what the decode pass measured and wrote
        frame_us.npy ...       per-frame arrays, sprites, frame thumbnails, proxy
        cut-t30.0-m15/         one folder per detection parameters: scenes.json
    ingest/.partial-<key>-<pid>-<random>/   a pass or a re-cut being written

Everything is written under a .partial- name and renamed into place when complete, so a
cancelled, failed or killed ingest never leaves an entry that looks finished."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import msgspec
import psutil

from backend import paths
from backend.errors import MediaError, UnreadableFile
from backend.media.atomic import fsync_dir
from backend.media.ingest_result import MasterIdentity, Scene
from backend.media.readable import check_readable
from backend.media.waveform import WaveformRecord

FORMAT_VERSION = 4          # bump when the layout or a stored meaning changes
HASH_SAMPLE_BYTES = 1 << 20  # first, middle and last MiB
PARTIAL_PREFIX = ".partial-"
RECORD_NAME = "decode.json"
SCENES_NAME = "scenes.json"


class DecodeRecord(msgspec.Struct, frozen=True):
    """What one decode pass produced; file names are relative to the entry folder."""
    format_version: int
    master: MasterIdentity
    frame_count: int
    fps_rational: str
    width: int
    height: int
    display_width: int
    display_height: int
    detect_width: int
    detect_height: int
    time_origin_s: float
    sprite_sheets: list[str]
    sprite_columns: int
    sprite_rows: int
    thumb_width: int
    thumb_height: int
    sprite_interval_s: float
    sprite_count: int
    proxy: str | None
    proxy_width: int | None
    proxy_height: int | None
    proxy_gop: int | None
    decode_seconds: float
    waveform: WaveformRecord | None = None   # audio peaks; None when the master has no audio


class CutRecord(msgspec.Struct, frozen=True):
    """The scenes for one (threshold, min_scene_len). (Entries written before midpoints became
    lazy also name scene-NNNN.jpg files; the name is ignored when read.)"""
    threshold: float
    min_scene_len: int
    cuts: list[int]
    cut_indices: list[int]
    scenes: list[Scene]


def master_identity(path: Path) -> MasterIdentity:
    """Path, size, mtime and a content hash of three 1 MiB samples and the size: cheap (three
    reads) yet it notices a file replaced by one of the same size and mtime."""
    check_readable(path)
    try:
        stat = path.stat()
        digest = hashlib.sha256(str(stat.st_size).encode())
        with open(path, "rb") as f:
            for offset in _sample_offsets(stat.st_size):
                f.seek(offset)
                digest.update(f.read(HASH_SAMPLE_BYTES))
    except OSError as exc:  # it changed since the check
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from None
    return MasterIdentity(path=str(path), size_bytes=stat.st_size, mtime_ns=stat.st_mtime_ns,
                          content_hash=digest.hexdigest())


def identity_changes(recorded: MasterIdentity, path: Path) -> list[str]:
    """How the file at `path` differs from the master `recorded` earlier: [] when it is the same
    file (size, modification time and content samples all equal)."""
    try:
        now = master_identity(path)
    except InputError as exc:
        return [str(exc)]
    changes = []
    if now.size_bytes != recorded.size_bytes:
        changes.append(f"size {recorded.size_bytes} -> {now.size_bytes} bytes")
    if now.mtime_ns != recorded.mtime_ns:
        changes.append("modification time")
    if now.content_hash != recorded.content_hash:
        changes.append("content")
    return changes


def _sample_offsets(size: int) -> list[int]:
    if size <= 3 * HASH_SAMPLE_BYTES:
        return [0] if size else []
    return [0, size // 2 - HASH_SAMPLE_BYTES // 2, size - HASH_SAMPLE_BYTES]


def entry_key(identity: MasterIdentity) -> str:
    payload = msgspec.json.encode([FORMAT_VERSION, identity])
    return hashlib.sha256(payload).hexdigest()[:24]


def cut_folder_name(threshold: float, min_scene_len: int) -> str:
    return f"cut-t{float(threshold)!r}-m{int(min_scene_len)}"


class IngestCache:
    def __init__(self, root: Path):
        self.root = Path(root).expanduser().absolute() / "ingest"

    def entry(self, identity: MasterIdentity) -> Path:
        return self.root / entry_key(identity)

    # --- reading ----------------------------------------------------------------------------
    def load_record(self, entry: Path) -> DecodeRecord | None:
        """The entry's record, or None when there is none or it is unreadable (then the entry
        is simply rebuilt)."""
        try:
            record = msgspec.json.decode((entry / RECORD_NAME).read_bytes(), type=DecodeRecord)
        except (OSError, msgspec.ValidationError, msgspec.DecodeError):
            return None
        return record if record.format_version == FORMAT_VERSION else None

    def load_cuts(self, entry: Path, threshold: float, min_scene_len: int) -> CutRecord | None:
        folder = entry / cut_folder_name(threshold, min_scene_len)
        try:
            return msgspec.json.decode((folder / SCENES_NAME).read_bytes(), type=CutRecord)
        except (OSError, msgspec.ValidationError, msgspec.DecodeError):
            return None

    # --- writing ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def partial(self, entry: Path) -> Iterator[Path]:
        """A fresh folder to write into; removed again unless the caller published it. A file
        system error inside (disk full, no permission) becomes one MediaError naming the cache."""
        temp = self.root / f"{PARTIAL_PREFIX}{entry.name}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            paths.private_dir(self.root)  # names and frames of unreleased work
            self._remove_orphans()
            temp.mkdir()
            yield temp
        except OSError as exc:
            raise MediaError(f"cannot write the ingest cache in {self.root}: "
                             f"{exc.strerror or exc}") from None
        finally:
            shutil.rmtree(temp, ignore_errors=True)

    def publish_entry(self, temp: Path, entry: Path) -> None:
        """Move a complete pass into place, replacing an older entry for the same identity (one
        made without a proxy), then drop entries of older versions of the same file."""
        old = None
        if entry.exists():
            old = entry.with_name(
                f"{PARTIAL_PREFIX}{entry.name}-{os.getpid()}-old{secrets.token_hex(4)}")
            os.replace(entry, old)
        try:
            os.replace(temp, entry)
        except OSError:
            if old is not None and not entry.exists():
                os.replace(old, entry)
                old = None
            raise
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        fsync_dir(self.root)
        self._remove_stale(entry)

    def publish_cuts(self, temp: Path, entry: Path, threshold: float, min_scene_len: int) -> Path:
        """Move a finished cut folder into the entry. If another process got there first, its
        copy (made from the same scores) is kept."""
        target = entry / cut_folder_name(threshold, min_scene_len)
        try:
            os.replace(temp, target)
        except OSError:
            if not (target / SCENES_NAME).is_file():
                raise
        return target

    def _remove_stale(self, entry: Path) -> None:
        """An edited master gets a new key; the entries of its earlier versions are dead weight."""
        record = self.load_record(entry)
        if record is None:
            return
        for other in self.root.iterdir():
            if other == entry or other.name.startswith(PARTIAL_PREFIX) or not other.is_dir():
                continue
            other_record = self.load_record(other)
            if other_record is None or other_record.master.path == record.master.path:
                shutil.rmtree(other, ignore_errors=True)

    def _remove_orphans(self) -> None:
        """Partial folders of processes that died (killed mid-ingest) are left-overs."""
        for other in self.root.glob(f"{PARTIAL_PREFIX}*"):
            parts = other.name[len(PARTIAL_PREFIX):].split("-")
            pid = int(parts[1]) if len(parts) >= 3 and parts[1].isdigit() else None
            if pid is not None and pid != os.getpid() and not _alive(pid):
                shutil.rmtree(other, ignore_errors=True)


def _alive(pid: int) -> bool:
    return psutil.pid_exists(pid)
