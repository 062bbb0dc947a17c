"""Where state.db lives: App/config in a checkout, the per-user config dir when installed,
--db or VIDEO_ARCHIVE_DB above both; the caches beside it unless VIDEO_ARCHIVE_CACHE moves them."""

from pathlib import Path

import platformdirs

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
