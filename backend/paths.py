"""Where state lives: state.db, its backups and the ingest cache.

A source checkout keeps them in App/config/ (next to the desktop shell); an installed app uses the
per-user config directory. `--db PATH` or VIDEO_ARCHIVE_DB override both; VIDEO_ARCHIVE_CACHE moves the caches."""

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "video-archive"
_REPO_ROOT = Path(__file__).resolve().parent.parent


def is_frozen() -> bool:
    """The packaged app (PyInstaller sets sys.frozen): never a source checkout, whatever it holds."""
    return bool(getattr(sys, "frozen", False))


def is_source_checkout() -> bool:
    return not is_frozen() and (_REPO_ROOT / "pyproject.toml").is_file() and (_REPO_ROOT / "App").is_dir()


def config_dir() -> Path:
    if is_source_checkout():
        return _REPO_ROOT / "App" / "config"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def db_path(override: str | os.PathLike | None = None) -> Path:
    """The state.db to use: explicit override, then VIDEO_ARCHIVE_DB, then config_dir()."""
    chosen = override or os.environ.get("VIDEO_ARCHIVE_DB")
    return Path(chosen).expanduser().resolve() if chosen else config_dir() / "state.db"


BACKUP_PREFIX = "state_backup_"  # then a UTC timestamp and the reason (backend/db/backup.py)


def backups_dir(db_file: Path) -> Path:
    """Backups sit beside the database they copy, so an overridden --db keeps its own."""
    return db_file.parent / "backups"


def list_backups(folder: Path) -> list[Path]:
    """Backups in `folder`, oldest first: names start with a UTC timestamp, so name order is
    time order even when files were copied and lost their mtimes."""
    return sorted(p for p in folder.glob(f"{BACKUP_PREFIX}*.db") if p.is_file())


def cache_dir(db_file: Path) -> Path:
    """The caches (ingest: detection scores, sprites, proxies; encoder tests) beside the database,
    or in VIDEO_ARCHIVE_CACHE: one folder that several databases share (a faster disk, a test
    session). Entries are keyed by the master's identity and written atomically, so sharing is safe."""
    shared = os.environ.get("VIDEO_ARCHIVE_CACHE")
    return Path(shared).expanduser().resolve() if shared else db_file.parent / "cache"
