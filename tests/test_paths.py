"""Where state.db lives: App/config in a checkout, the per-user config dir when installed,
--db or VIDEO_ARCHIVE_DB above both; the caches beside it unless VIDEO_ARCHIVE_CACHE moves them."""

import os
from pathlib import Path

import platformdirs
import pytest

from backend import paths
from backend.cli.context import Context


def test_source_checkout_uses_app_config(monkeypatch):
    monkeypatch.delenv("VIDEO_ARCHIVE_DB", raising=False)
    root = Path(paths.__file__).resolve().parent.parent
    assert paths.is_source_checkout()
    assert paths.db_path() == root / "App" / "config" / "state.db"
    assert paths.backups_dir(paths.db_path()) == root / "App" / "config" / "backups"


def test_installed_app_uses_the_user_config_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("VIDEO_ARCHIVE_DB", raising=False)
    monkeypatch.setattr(paths, "_REPO_ROOT", tmp_path / "site-packages")  # no App/ beside it
    expected = Path(platformdirs.user_config_dir("video-archive", appauthor=False)) / "state.db"
    assert not paths.is_source_checkout()
    assert paths.db_path() == expected


def test_overrides_env_then_flag(monkeypatch, tmp_path):
    monkeypatch.setenv("VIDEO_ARCHIVE_DB", str(tmp_path / "env.db"))
    assert paths.db_path() == tmp_path / "env.db"
    assert Context(str(tmp_path / "flag.db"), False).db_path == tmp_path / "flag.db"
    assert Context(None, False).db_path == tmp_path / "env.db"


def test_the_caches_sit_beside_the_database_unless_moved(monkeypatch, tmp_path):
    monkeypatch.delenv("VIDEO_ARCHIVE_CACHE", raising=False)
    db = tmp_path / "config" / "state.db"
    assert paths.cache_dir(db) == tmp_path / "config" / "cache"
    monkeypatch.setenv("VIDEO_ARCHIVE_CACHE", str(tmp_path / "shared"))
    assert paths.cache_dir(db) == tmp_path / "shared"
    assert paths.cache_dir(tmp_path / "other" / "state.db") == tmp_path / "shared"


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.cold_cache  # the cache folder the tool makes itself
def test_state_its_backups_and_cache_are_owner_only(monkeypatch, tmp_path):
    """An installed app's first start under a normal umask: another user on the machine can list
    nothing (folders 0700) and read nothing (state.db, its WAL and every backup 0600)."""
    from backend.db import backup, migrations
    from backend.db.connect import Database
    from backend.media.ingest_cache import IngestCache

    monkeypatch.setattr(paths, "_REPO_ROOT", tmp_path / "site-packages")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.delenv("VIDEO_ARCHIVE_DB", raising=False)
    old = os.umask(0o022)
    try:
        db_file = paths.db_path()
        with Database(db_file) as db:
            migrations.migrate(db)
            info = backup.create_backup(db, "manual")
            with IngestCache(paths.cache_dir(db_file)).partial(paths.cache_dir(db_file) / "x"):
                pass
        for folder in (db_file.parent, paths.backups_dir(db_file), paths.cache_dir(db_file)):
            assert _mode(folder) == 0o700, folder
        assert _mode(db_file) == 0o600 and _mode(Path(info.path)) == 0o600
        for side in db_file.parent.glob("state.db-*"):
            assert _mode(side) == 0o600, side
    finally:
        os.umask(old)


def test_an_older_releases_open_state_folder_is_closed_but_a_chosen_one_is_not(monkeypatch, tmp_path):
    from backend.db.connect import Database

    monkeypatch.setattr(paths, "_REPO_ROOT", tmp_path / "site-packages")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    own = paths.config_dir()
    own.mkdir(parents=True, mode=0o755)
    own.chmod(0o755)
    Database(own / "state.db").close()
    assert _mode(own) == 0o700
    chosen = tmp_path / "shared-team-folder"
    chosen.mkdir(mode=0o775)
    chosen.chmod(0o775)
    Database(chosen / "state.db").close()
    assert _mode(chosen) == 0o775  # the user's own choice of folder is theirs to set
