"""The current schema against the design's v1.0 SQL, by introspection: every table, column,
default, index, foreign key, view and trigger of the design is there, and everything else is one
of the additions docs/state-db.md lists."""

import re
from pathlib import Path

import apsw
import pytest

from backend import __version__

from backend.db import migrations, schema
from db_v1 import V1_SQL, make_v1_db

DESIGN = Path(__file__).resolve().parents[2] / "shared" / "seed" / "state-db-design.md"

# Everything the current schema has beyond the design (docs/state-db.md, "Deviations").
ADDED_TABLES = {"project_history_archive", "batch_runs", "batch_jobs"}  # batch: version 3
ADDED_INDEXES = {"idx_operation_sequence", "idx_file_session_path", "idx_history_archive_artwork",
                 "idx_history_archive_date"}
ADDED_TRIGGERS = {"update_user_presets_timestamp"}
ADDED_SETTINGS = {"ffmpeg_path", "db_version", "artist_name", "archive_layout"}
CHANGED_SETTINGS = {"copyright_text": "\u00a9 Yambo Studio", "window_geometry": "null",
                    "encoder_preference": "auto",
                    # the release that last opened the database, recorded by open_db
                    "app_version": __version__}


def introspect(conn: apsw.Connection) -> dict:
    def rows(sql):
        return conn.execute(sql).fetchall()

    tables = [r[0] for r in rows("SELECT name FROM sqlite_master WHERE type='table' "
                                 "AND name NOT LIKE 'sqlite_%'")]
    info = {}
    for table in tables:
        info[table] = {
            "columns": [r[1:] for r in rows(f"PRAGMA table_xinfo({table})")],  # name, type, notnull, default, pk, hidden
            "indexes": {r[1]: (r[2], r[3], tuple(c[2] for c in rows(f"PRAGMA index_info({r[1]})")))
                        for r in rows(f"PRAGMA index_list({table})")},
            "foreign_keys": [r[2:5] for r in rows(f"PRAGMA foreign_key_list({table})")],
        }
    return {
        "tables": info,
        "views": {r[0] for r in rows("SELECT name FROM sqlite_master WHERE type='view'")},
        "triggers": {r[0]: r[1] for r in rows("SELECT name, tbl_name FROM sqlite_master "
                                              "WHERE type='trigger'")},
        "settings": {r[0]: r[1:] for r in rows("SELECT key, value, value_type, category "
                                               "FROM app_settings")},
    }


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    path = make_v1_db(tmp_path_factory.mktemp("v1") / "state.db", with_data=False)
    conn = apsw.Connection(str(path))
    yield introspect(conn)
    conn.close()


@pytest.fixture
def current(db):
    return introspect(db.conn)


def test_v1_sql_is_the_design_verbatim():
    if not DESIGN.is_file():
        pytest.skip(f"design document not present at {DESIGN}")
    text = DESIGN.read_text(encoding="utf-8").split("## 5. DATA ACCESS PATTERNS")[0]
    blocks = re.findall(r"```sql\n(.*?)```", text, re.S)
    assert "\n".join(blocks) in V1_SQL.read_text(encoding="utf-8")
    assert "'\u00c2\u00a9 Yambo Studio'" in V1_SQL.read_text(encoding="utf-8")  # mojibake kept


def test_every_design_table_column_and_default_is_kept(design, current):
    assert set(current["tables"]) == set(design["tables"]) | ADDED_TABLES
    for table, spec in design["tables"].items():
        assert current["tables"][table]["columns"] == spec["columns"], table
        assert current["tables"][table]["foreign_keys"] == spec["foreign_keys"], table


def test_every_design_index_is_kept_and_additions_are_documented(design, current):
    for table, spec in design["tables"].items():
        now = current["tables"][table]["indexes"]
        for name, definition in spec["indexes"].items():
            assert now.get(name) == definition, (table, name)
    design_names = {n for t in design["tables"].values() for n in t["indexes"]}
    current_names = {n for t in current["tables"].values() for n in t["indexes"]}
    extra = {n for n in current_names - design_names if not n.startswith("sqlite_autoindex_")}
    assert extra == ADDED_INDEXES


def test_unique_indexes_added_by_the_fixes(current):
    assert current["tables"]["operation_log"]["indexes"]["idx_operation_sequence"] == \
        (1, "c", ("session_id", "sequence_number"))
    assert current["tables"]["file_registry"]["indexes"]["idx_file_session_path"] == \
        (1, "c", ("session_id", "file_path"))


def test_views_and_triggers(design, current):
    assert current["views"] == design["views"] == {"active_sessions", "project_statistics"}
    assert set(current["triggers"]) == set(design["triggers"]) | ADDED_TRIGGERS
    for name, table in design["triggers"].items():
        assert current["triggers"][name] == table


def test_default_settings_match_the_design_except_the_fixes(design, current):
    assert set(current["settings"]) == set(design["settings"]) | ADDED_SETTINGS
    for key, (value, value_type, category) in design["settings"].items():
        expected = CHANGED_SETTINGS.get(key, value)
        assert current["settings"][key] == (expected, value_type, category), key
    assert current["settings"]["db_version"] == (f"{schema.VERSION}.0", "string", "system")
    assert current["settings"]["ffmpeg_path"] == ("", "string", "paths")


def test_history_archive_has_every_history_column(current):
    history = [c[0] for c in current["tables"]["project_history"]["columns"]]
    archive = [c[0] for c in current["tables"]["project_history_archive"]["columns"]]
    assert archive == history + ["archived_at"]
    assert current["tables"]["project_history_archive"]["foreign_keys"] == []


def test_timestamp_trigger_tracks_every_column_but_its_own(current):
    columns = {c[0] for c in current["tables"]["processing_state"]["columns"]}
    tracked = {c.strip() for c in schema.SESSION_TRACKED_COLUMNS.split(",")}
    assert tracked == columns - {"id", "updated_at", "completed_at"}
    preset_columns = {c[0] for c in current["tables"]["user_presets"]["columns"]}
    preset_tracked = {c.strip() for c in schema.PRESET_TRACKED_COLUMNS.split(",")}
    assert preset_tracked == preset_columns - {"id", "created_at", "modified_at", "last_used_at",
                                               "usage_count"}


def test_fresh_database_matches_schema_py_and_user_version(db):
    actual = {(r["type"], r["name"]): schema.normalized_sql(r["sql"]) for r in db.query(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
    assert actual == schema.expected_objects()
    assert db.scalar("PRAGMA user_version") == migrations.LATEST == schema.VERSION
    assert db.scalar("PRAGMA journal_mode") == "wal"
    assert db.scalar("PRAGMA foreign_keys") == 1


def test_migrated_v1_database_has_exactly_the_fresh_schema(tmp_path, db):
    from backend.db import open_db

    migrated = open_db(make_v1_db(tmp_path / "old" / "state.db"))
    try:
        def objects(d):
            return {(r["type"], r["name"]): schema.normalized_sql(r["sql"]) for r in d.query(
                "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
        assert objects(migrated) == objects(db)
        assert introspect(migrated.conn)["tables"] == introspect(db.conn)["tables"]
    finally:
        migrated.close()


def test_boolean_columns_refuse_other_values(db):
    db.insert("INSERT INTO processing_state (session_id, artwork_name, project_date, master_path, "
              "output_path, preset_id, total_operations) VALUES ('s', 'a', '24-01-01', 'm', 'o', "
              "'p', 0)")
    with pytest.raises(apsw.ConstraintError):
        db.insert("INSERT INTO file_registry (session_id, file_path, file_type, file_category, "
                  "verified) VALUES ('s', 'f', 'clip', 'clips', 'true')")
    with pytest.raises(apsw.ConstraintError):
        db.execute("INSERT INTO app_settings (key, value, value_type) VALUES ('k', 'v', 'text')")


def test_foreign_keys_are_enforced(db):
    with pytest.raises(apsw.ConstraintError):
        db.insert("INSERT INTO operation_log (session_id, operation_type, operation_name, "
                  "sequence_number, status) VALUES ('nobody', 't', 'n', 1, 'pending')")
