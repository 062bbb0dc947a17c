"""Where state lives: state.db, its backups and the ingest cache.

A source checkout keeps them in App/config/ (next to the desktop shell); an installed app uses the
per-user config directory. `--db PATH` or VIDEO_ARCHIVE_DB override both."""

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


def backups_dir(db_file: Path) -> Path:
    """Backups sit beside the database they copy, so an overridden --db keeps its own."""
    return db_file.parent / "backups"


def cache_dir(db_file: Path) -> Path:
    """The ingest cache (detection scores, sprites, proxies) beside the database."""
    return db_file.parent / "cache"
