"""`video-archive db ...` and `video-archive settings ...`: JSON on stdout, one-line errors on
stderr with exit code 1."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from backend.cli.main import main
from backend.db.schema import VERSION as LATEST
from db_v1 import make_v1_db


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, "--json", *argv)
    assert code == 0, err
    return json.loads(out)


def test_db_migrate_creates_then_does_nothing(db_path, capsys):
    first = run_json(capsys, "db", "migrate")
    assert first["created"] is True and first["to_version"] == LATEST
    again = run_json(capsys, "db", "migrate")
    assert (again["created"], again["applied"], again["backup"]) == (False, [], None)


def test_db_migrate_a_v1_database(tmp_path, capsys):
    path = make_v1_db(tmp_path / "old" / "state.db")
    report = run_json(capsys, "--db", str(path), "db", "migrate")
    assert (report["from_version"], report["to_version"]) == (1, LATEST)
    assert os.path.isfile(report["backup"])
    assert any("copyright_text" in note for note in report["notes"])
    code, out, _ = run(capsys, "--db", str(path), "db", "migrate")
    assert code == 0 and "nothing to do" in out


def test_db_check(db_path, capsys, tmp_path):
    code, _, err = run(capsys, "db", "check")
    assert code == 1 and "no database" in err
    run_json(capsys, "db", "migrate")
    report = run_json(capsys, "db", "check")
    assert report["ok"] is True and report["schema_version"] == LATEST
    code, out, _ = run(capsys, "db", "check")
    assert code == 0 and ": ok" in out
    old = make_v1_db(tmp_path / "v1.db")
    code, out, _ = run(capsys, "--json", "--db", str(old), "db", "check")
    assert code == 1 and json.loads(out)["schema_version"] == 1


def test_db_backup_restore_optimize_cleanup(db_path, capsys):
    made = run_json(capsys, "db", "backup", "--reason", "test")
    assert os.path.isfile(made["path"]) and made["path"].endswith("_test.db")
    run_json(capsys, "settings", "set", "ui_theme", "dark")
    restored = run_json(capsys, "db", "restore", made["path"])
    assert restored["backup_before_restore"] and restored["schema_version"] == LATEST
    assert run_json(capsys, "settings", "get", "ui_theme")["value"] == "default"
    assert run_json(capsys, "db", "optimize")["size_after"] > 0
    dry = run_json(capsys, "db", "cleanup", "--dry-run")
    assert dry["dry_run"] is True and dry["sessions_deleted"] == []
    code, out, _ = run(capsys, "db", "cleanup")
    assert code == 0 and out.startswith("deleted 0 session(s)")
    code, _, err = run(capsys, "db", "restore", str(db_path.parent / "nope.db"))
    assert code == 1 and err.startswith("video-archive: error: backup file not found")


def test_settings_commands(db_path, capsys):
    listed = run_json(capsys, "settings", "list")
    keys = {s["key"]: s for s in listed}
    assert keys["parallel_workers"]["value"] == 4 and keys["gpu_enabled"]["value"] is True
    assert run_json(capsys, "settings", "set", "gpu_enabled", "off") == \
        {"key": "gpu_enabled", "value": False, "value_type": "boolean"}
    assert run_json(capsys, "settings", "set", "window_geometry", '{"w": 800}')["value"] == {"w": 800}
    code, out, _ = run(capsys, "settings", "get", "gpu_enabled")
    assert (code, out) == (0, "false\n")
    code, out, _ = run(capsys, "settings", "list")
    assert code == 0 and "copyright_text" in out


@pytest.mark.parametrize("argv, message", [
    (("settings", "set", "parallel_workers", "four"), "parallel_workers expects an integer"),
    (("settings", "get", "colour"), "unknown setting 'colour'"),
    (("settings", "set", "db_version", "3.0"), "managed by the database migrations")])
def test_settings_errors_are_one_line(db_path, capsys, argv, message):
    code, out, err = run(capsys, "--json", *argv)
    assert code == 1 and out == ""
    assert message in err and err.count("\n") == 1


def test_installed_entry_point(db_path):
    exe = shutil.which("video-archive") or os.path.join(os.path.dirname(sys.executable),
                                                         "video-archive")
    done = subprocess.run([exe, "--json", "settings", "get", "copyright_text"],
                          capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"] == "\u00a9 Yambo Studio"
