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


def data_dir() -> Path:
    """The editor window's web storage (Qt WebEngine's profile): beside state.db in a checkout,
    the per-user data directory when installed."""
    if is_source_checkout():
        return _REPO_ROOT / "App" / "config" / "web"
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def private_dir(folder: Path) -> Path:
    """Make `folder` (and missing parents) readable by its owner only: state.db names every
    artwork and path, so its folders are 0700. A folder that exists already is tightened only
    when it is one of ours (the per-user config or data directory); a folder the user chose
    for --db keeps its mode. Raises OSError as mkdir does."""
    folder = Path(folder)
    missing = [p for p in (folder, *folder.parents) if not p.is_dir()]
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name != "nt":
        for made in (*missing, *({folder} & _own_dirs())):
            if made.stat().st_mode & 0o077:  # mkdir's parents get the umask's mode
                made.chmod(0o700)
    return folder


def _own_dirs() -> set[Path]:
    return {config_dir(), data_dir(), config_dir() / "backups", config_dir() / "cache"}


def private_file(path: Path) -> Path:
    """Create `path` empty, owner-only (0600), unless it exists: SQLite then makes its -wal and
    -shm with the same mode, and a backup written into it keeps it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    return Path(path)


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
