"""Which release opened a state.db (app_version), the backup taken when another release first
opens it, a newer database refused without a change, and `video-archive --version`."""

import hashlib
import json

import apsw
import pytest

from backend import __version__, about, paths
from backend.cli.main import main
from backend.db import migrations, open_db, settings
from backend.errors import InputError, StateError
from db_v1 import make_v1_db


def backups_of(db_path):
    return [p.name for p in paths.list_backups(db_path.parent / "backups")]


def test_a_new_database_records_this_release_without_a_backup(db_path):
    with open_db(db_path) as db:
        assert settings.get(db, "app_version") == __version__
    assert backups_of(db_path) == []


def test_another_release_first_opening_takes_a_backup_then_records_itself(db_path):
    with open_db(db_path) as db:
        db.execute("UPDATE app_settings SET value = '0.0.9' WHERE key = 'app_version'")
    with open_db(db_path) as db:
        assert settings.get(db, "app_version") == __version__
    [name] = backups_of(db_path)
    assert f"before-app-{__version__.replace('.', '-')}-was-0-0-9" in name
    with open_db(db_path):  # the same release again: nothing written, no second backup
        pass
    assert len(backups_of(db_path)) == 1


def test_an_older_schema_is_migrated_once_with_one_backup_and_recorded(tmp_path):
    path = make_v1_db(tmp_path / "state.db")
    with open_db(path) as db:
        assert migrations.current_version(db) == migrations.LATEST
        assert settings.get(db, "app_version") == __version__
    [name] = backups_of(path)
    assert "before-migration" in name


def test_app_version_is_not_a_user_setting(db):
    with pytest.raises(InputError, match="app_version"):
        settings.set(db, "app_version", "9.9.9")


def test_a_newer_database_is_refused_naming_both_releases_and_left_unchanged(db_path):
    with open_db(db_path) as db:
        pass
    conn = apsw.Connection(str(db_path))
    conn.execute("UPDATE app_settings SET value = '7.0.0' WHERE key = 'app_version'")
    conn.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    with pytest.raises(StateError) as err:
        open_db(db_path)
    assert "last opened by video-archive 7.0.0" in str(err.value)
    assert f"newer than video-archive {__version__} knows" in str(err.value)
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert backups_of(db_path) == []


def test_version_names_the_release_and_the_ffmpeg_in_use(capsys, db_path, ffmpeg_bin):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"video-archive {__version__}"
    assert str(ffmpeg_bin) in out and "ffmpeg " in out
    assert not db_path.exists()  # --version creates nothing


def test_version_json_follows_the_ffmpeg_path_setting(capsys, db_path, ffmpeg_bin, tmp_path):
    link = tmp_path / "my-ffmpeg"
    link.symlink_to(ffmpeg_bin)
    with open_db(db_path) as db:
        settings.set(db, "ffmpeg_path", str(link))
    with pytest.raises(SystemExit):
        main(["--json", "--version"])
    info = json.loads(capsys.readouterr().out)
    assert info["version"] == __version__ and info["packaged"] is False
    assert info["ffmpeg"] == str(link) and info["ffmpeg_source"] == "ffmpeg_path setting"
    assert info["ffmpeg_version"]
    assert about.configured_ffmpeg(tmp_path / "absent.db") is None
