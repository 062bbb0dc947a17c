"""Backups through the online backup API, verified and pruned, and restore."""

import pytest

from backend import paths
from backend.db import backup, open_db, restore, sessions
from backend.errors import InputError, StateError
from backend.db.schema import VERSION as LATEST
from db_v1 import make_v1_db


def _new(db, name="Dune") -> str:
    return sessions.create(db, sessions.NewSession(
        artwork_name=name, project_date="24-11-03", master_path="/m.mov", output_path="/out",
        preset_id="webflow_standard"))


def test_backup_is_a_verified_standalone_copy(db, db_path):
    sid = _new(db)
    info = backup.create_backup(db, "Before big change!")
    assert info.path.startswith(str(paths.backups_dir(db_path)))
    assert info.path.endswith("_before-big-change.db")
    assert info.schema_version == LATEST and info.size_bytes > 0
    assert backup.verify(info.path) == LATEST
    with open_db(info.path) as copy:
        assert sessions.get(copy, sid).artwork_name == "Dune"


def test_only_the_last_ten_are_kept(db, db_path):
    made = [backup.create_backup(db, f"n{i}").path for i in range(12)]
    kept = [str(p) for p in paths.list_backups(paths.backups_dir(db_path))]
    assert kept == made[2:]


def test_backup_inside_a_transaction_is_refused(db):
    with db.transaction():
        with pytest.raises(StateError, match="inside a write transaction"):
            backup.create_backup(db)


def test_verify_rejects_damaged_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        backup.verify(tmp_path / "missing.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    with pytest.raises(StateError):
        backup.verify(junk)


def test_restore_replaces_contents_and_keeps_the_replaced_ones(db, db_path):
    first = _new(db, "First")
    saved = backup.create_backup(db, "saved").path
    second = _new(db, "Second")
    other = open_db(db_path)  # another process's view of the same database
    try:
        info = restore.restore(db_path, saved)
        assert [s.session_id for s in sessions.list_sessions(other)] == [first]
        assert info.backup_before_restore and info.schema_version == LATEST
        with open_db(info.backup_before_restore) as before:
            assert {s.session_id for s in sessions.list_sessions(before)} == {first, second}
    finally:
        other.close()


def test_restore_of_a_v1_file_migrates_it(db, db_path, tmp_path):
    old = make_v1_db(tmp_path / "old.db")
    info = restore.restore(db_path, old)
    assert (info.restored_version, info.schema_version) == (1, LATEST)
    with open_db(db_path) as restored:
        assert sessions.get(restored, "s-done").artwork_name == "Dune"


def test_restore_refuses_bad_files_and_changes_nothing(db, db_path, tmp_path):
    sid = _new(db)
    junk = tmp_path / "junk.db"
    junk.write_text("not a database" * 400)
    with pytest.raises(StateError):
        restore.restore(db_path, junk)
    with pytest.raises(InputError):
        restore.restore(db_path, tmp_path / "missing.db")
    assert [s.session_id for s in sessions.list_sessions(db)] == [sid]


def test_damaged_database_is_reported_and_recovered_from_a_backup(db, db_path):
    from backend.cli.main import main

    for _ in range(40):
        _new(db, "A" * 300)
    saved = backup.create_backup(db, "good").path
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    size = db_path.stat().st_size
    with open(db_path, "r+b") as f:  # wreck every page but the first (header and schema)
        f.seek(4096)
        f.write(b"\xff" * (size - 4096))
    assert main(["db", "check"]) == 1
    with pytest.raises(StateError, match="is damaged .*db restore FILE"):
        with open_db(db_path) as damaged:
            sessions.list_sessions(damaged, 100)
    assert main(["db", "restore", saved]) == 0  # too damaged to copy: moved aside instead
    assert list(paths.backups_dir(db_path).glob("damaged_*_state.db"))
    assert main(["db", "check"]) == 0
    with open_db(db_path) as again:
        assert len(sessions.list_sessions(again, 100)) == 40
