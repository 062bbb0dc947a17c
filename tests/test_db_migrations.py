"""Migrating a database created with the design's v1.0 SQL exactly as written: nothing lost,
the documented repairs made, a backup taken first, and a second run changing nothing."""

import multiprocessing

import apsw
import pytest

from backend import paths
from backend.db import backup, migrations, open_db, sessions, settings
from backend.db.connect import Database
from backend.errors import StateError
from db_v1 import make_v1_db

TABLES = ("processing_state", "operation_log", "user_presets", "project_history",
          "file_registry", "app_settings")


def dump(conn: apsw.Connection) -> dict:
    out = {}
    for table in TABLES:
        names = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
        rows = conn.execute(f"SELECT * FROM {table}").fetchall()
        key = "key" if table == "app_settings" else "id"
        out[table] = {r[names.index(key)]: dict(zip(names, r)) for r in rows}
    return out


@pytest.fixture
def v1_path(tmp_path):
    return make_v1_db(tmp_path / "config" / "state.db")


def test_v1_database_migrates_with_nothing_lost(v1_path):
    conn = apsw.Connection(str(v1_path))
    before = dump(conn)
    conn.close()

    with Database(v1_path) as db:
        report = migrations.migrate(db)
        after = dump(db.conn)
        assert (report.from_version, report.to_version) == (1, migrations.LATEST)
        assert db.query("PRAGMA foreign_key_check") == []

    # Each documented change, applied to the v1 rows, gives exactly the migrated rows.
    expected = {t: {k: dict(v) for k, v in rows.items()} for t, rows in before.items()}
    expected["user_presets"][1]["is_default"] = 1                       # 'true'
    expected["project_history"][1]["gpu_accelerated"] = 1               # 'yes'
    expected["project_history"][2]["completed_successfully"] = 1        # 'true'
    expected["file_registry"][1]["verified"] = 1                        # 'yes'
    del expected["file_registry"][2]                                    # older duplicate of row 3
    expected["file_registry"][3].update(has_metadata=1, file_exists=0)  # 'TRUE', 'false'
    expected["operation_log"][5]["sequence_number"] = 3                 # repeated number 2
    expected["processing_state"][2]["completed_operations"] = 1         # the log says 1, not 7
    expected["app_settings"]["copyright_text"]["value"] = "\u00a9 Yambo Studio"
    # the repair stamps modified_at with the migration's time, a second later on a slow run
    expected["app_settings"]["copyright_text"]["modified_at"] = \
        after["app_settings"]["copyright_text"]["modified_at"]
    expected["app_settings"]["window_geometry"]["value"] = "null"
    for table in TABLES:
        added = set(after[table]) - set(expected[table])
        for key in set(expected[table]):
            assert after[table][key] == expected[table][key], (table, key)
        if table == "processing_state":
            assert [after[table][k]["session_id"] for k in added] == ["s-gone"]
        elif table == "app_settings":
            assert added == {"db_version", "ffmpeg_path", "artist_name", "archive_layout"}
        else:
            assert not added, table


def test_orphaned_rows_get_their_session_back(v1_path):
    with open_db(v1_path) as db:
        stub = sessions.get(db, "s-gone")
        assert (stub.artwork_name, stub.project_date, stub.output_path) == ("Old", "24-09-01", "/old")
        assert stub.status == "completed" and stub.completed_at == "2024-09-01 09:30:00"
        assert stub.updated_at == "2024-09-01 09:30:00"  # its last activity, so cleanup ages it
        assert "re-created by migration 2" in stub.error_message
        assert stub.total_operations == 1


def test_copyright_is_repaired_and_settings_are_typed(v1_path):
    with open_db(v1_path) as db:
        assert settings.get(db, "copyright_text") == "\u00a9 Yambo Studio"
        assert settings.get(db, "parallel_workers") == 8  # the user's value survives
        assert settings.get(db, "window_geometry") is None
        assert settings.get(db, "db_version") == f"{migrations.LATEST}.0"
        assert db.scalar("PRAGMA user_version") == migrations.LATEST


def test_user_copyright_with_mojibake_is_repaired_too(tmp_path):
    path = make_v1_db(tmp_path / "state.db", with_data=False)
    conn = apsw.Connection(str(path))
    conn.execute("UPDATE app_settings SET value = ? WHERE key = 'copyright_text'",
                 ("\u00c2\u00a9 2024 Ren\u00c3\u00a9e M\u00c3\u00bcller",))
    conn.close()
    with open_db(path) as db:
        assert settings.get(db, "copyright_text") == "\u00a9 2024 Ren\u00e9e M\u00fcller"


def test_backup_of_the_v1_database_is_taken_first(v1_path):
    with Database(v1_path) as db:
        report = migrations.migrate(db)
    copy = report.backup
    assert copy and copy.startswith(str(v1_path.parent / "backups"))
    assert backup.verify(copy) == 0  # the v1.0 database as it was
    old = apsw.Connection(copy)
    assert old.execute("SELECT value FROM app_settings WHERE key = 'copyright_text'").fetchone()[0] \
        == "\u00c2\u00a9 Yambo Studio"
    assert old.execute("SELECT COUNT(*) FROM file_registry").fetchone()[0] == 4
    old.close()


def test_migrate_is_a_no_op_when_current(v1_path):
    with Database(v1_path) as db:
        migrations.migrate(db)
        first = dump(db.conn)
        again = migrations.migrate(db)
        assert (again.applied, again.backup, again.from_version) == ([], None, migrations.LATEST)
        # the migration itself is idempotent: applied once more it changes nothing
        db.conn.execute("PRAGMA foreign_keys = OFF")
        with db.transaction():
            migrations._to_v2(db)
        db.conn.execute("PRAGMA foreign_keys = ON")
        assert dump(db.conn) == first
    assert len(paths.list_backups(v1_path.parent / "backups")) == 1


def test_unreadable_boolean_stops_the_migration_with_nothing_changed(tmp_path):
    path = make_v1_db(tmp_path / "state.db")
    conn = apsw.Connection(str(path))
    conn.execute("UPDATE file_registry SET verified = 'maybe' WHERE id = 4")
    conn.close()
    with Database(path) as db:
        with pytest.raises(StateError, match=r"file_registry, column verified .*row 4 = 'maybe'"):
            migrations.migrate(db)
        assert migrations.current_version(db) == 1
        assert db.scalar("SELECT COUNT(*) FROM file_registry") == 4
        assert db.scalar("PRAGMA foreign_keys") == 1


def test_db_version_setting_is_kept_in_step(db):
    db.execute("UPDATE app_settings SET value = '9.0' WHERE key = 'db_version'")
    migrations.migrate(db)
    assert settings.get(db, "db_version") == f"{migrations.LATEST}.0"


def test_newer_or_foreign_databases_are_refused(tmp_path):
    newer = tmp_path / "newer.db"
    conn = apsw.Connection(str(newer))
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StateError, match="newer than video-archive .* knows"):
        open_db(newer)
    foreign = tmp_path / "foreign.db"
    conn = apsw.Connection(str(foreign))
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.close()
    with pytest.raises(StateError, match="not a video-archive state database"):
        open_db(foreign)
    text = tmp_path / "text.db"
    text.write_text("hello, this is not SQLite" * 100)
    with pytest.raises(StateError, match="not a SQLite database"):
        open_db(text)


def test_design_style_archive_table_is_upgraded(tmp_path):
    path = make_v1_db(tmp_path / "state.db")
    conn = apsw.Connection(str(path))  # what someone following the design's 6.1 would create
    conn.execute("CREATE TABLE project_history_archive AS SELECT * FROM project_history WHERE 0")
    conn.execute("INSERT INTO project_history_archive SELECT * FROM project_history WHERE id = 1")
    conn.close()
    with open_db(path) as db:
        row = db.query_one("SELECT * FROM project_history_archive")
        assert (row["id"], row["session_id"], row["gpu_accelerated"]) == (1, "s-done", 1)


def _open_and_count(path, queue):
    try:
        with open_db(path) as db:
            queue.put((migrations.current_version(db),
                       db.scalar("SELECT COUNT(*) FROM operation_log")))
    except Exception as exc:  # reported to the parent, which fails the test
        queue.put(repr(exc))


def test_two_processes_opening_a_v1_database_at_once(v1_path):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_open_and_count, args=(v1_path, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results == [(migrations.LATEST, 6)] * 2
