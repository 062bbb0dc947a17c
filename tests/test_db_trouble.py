"""state.db in trouble (issue 9, point 11): damaged in the middle, newer than the tool, not SQLite,
read-only, on a full disk. Every command answers in one line without a traceback, readers work
where they can, and a refused or damaged database is never changed by a single byte."""

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import apsw
import pytest

from archive_checks import cli_argv
from backend.cli.main import main
from backend.db import open_db
from backend.jobs import preset_catalog as registry

WRITERS = [
    ["settings", "set", "artist_name", "Someone"],
    ["presets", "create", "new-one", "--name", "New"],
    ["presets", "default", "archival_hq"],
    ["db", "cleanup"],
    ["db", "optimize"],
    ["db", "migrate"],
]
READERS = [["sessions"], ["settings", "list"], ["history"], ["stats"], ["presets", "list"],
           ["files", "nope"], ["db", "cleanup", "--dry-run"]]


def run(capsys, db: Path, *argv) -> tuple[int, str, str]:
    code = main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("video-archive: error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, err)


def digest(*paths: Path) -> list[str | None]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths]


def filled_db(path: Path, presets: int = 150) -> Path:
    """A real state.db with enough rows to span many pages."""
    with open_db(path) as db:
        for n in range(presets):
            registry.create(db, f"p{n:03d}", f"Preset {n}", description="x" * 500)
    # a self-contained file, as after a clean exit: nothing pending in a -wal
    conn = apsw.Connection(str(path))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def garbage_in_the_middle(path: Path, size: int = 8192) -> None:
    data = bytearray(path.read_bytes())
    middle = (len(data) // 2) // 4096 * 4096
    data[middle:middle + size] = os.urandom(size)
    path.write_bytes(bytes(data))


def _sidecars(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal")]


@pytest.mark.parametrize("damage", ["middle", "end", "two_places"])
def test_a_damaged_database_is_refused_and_never_changed(tmp_path, capsys, damage):
    path = filled_db(tmp_path / "state.db")
    size = path.stat().st_size
    if damage == "middle":
        garbage_in_the_middle(path)
    elif damage == "end":
        data = bytearray(path.read_bytes())
        data[size - 8192:] = os.urandom(8192)
        path.write_bytes(bytes(data))
    else:
        garbage_in_the_middle(path, 4096)
        data = bytearray(path.read_bytes())
        data[8192:12288] = b"\xff" * 4096
        path.write_bytes(bytes(data))
    before = digest(*_sidecars(path))
    for argv in WRITERS + READERS:
        code, _, err = run(capsys, path, *argv)
        assert code == 1, argv
        one_line_error(err, "damaged", "db restore")
        assert digest(*_sidecars(path)) == before, argv
    # `db check` reports the damage (exit 1) without touching the file either
    code, out, _ = run(capsys, path, "db", "check")
    assert code == 1 and "PROBLEMS FOUND" in out
    assert digest(*_sidecars(path)) == before


def test_the_refusal_names_the_newest_backup_and_restore_repairs(tmp_path, capsys):
    path = filled_db(tmp_path / "state.db", presets=60)
    code, out, _ = run(capsys, path, "--json", "db", "backup")
    assert code == 0
    garbage_in_the_middle(path)
    code, _, err = run(capsys, path, "sessions")
    backups = sorted((tmp_path / "backups").glob("state_backup_*.db"))
    one_line_error(err, "damaged", str(backups[-1]))
    code, _, err = run(capsys, path, "db", "restore", str(backups[-1]))
    assert code == 0, err
    code, out, _ = run(capsys, path, "presets", "list")
    assert code == 0 and "p059" in out
    # the damaged file was kept aside, whole, not deleted
    assert list((tmp_path / "backups").glob("damaged_*state.db"))


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_a_newer_database_is_refused_byte_for_byte(tmp_path, capsys, journal):
    path = tmp_path / "state.db"
    with open_db(path):
        pass
    conn = apsw.Connection(str(path))
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = digest(*_sidecars(path))
    assert path.read_bytes()[18:20] == (b"\x02\x02" if journal == "wal" else b"\x01\x01")
    for argv in WRITERS + READERS + [["db", "backup"]]:
        code, _, err = run(capsys, path, *argv)
        assert code == 1, argv
        one_line_error(err, "newer than video-archive")
        assert digest(*_sidecars(path)) == before, argv


@pytest.mark.parametrize("content", [b"hello, not SQLite " * 300, b"SQLite format 3\x00" + os.urandom(4080)])
def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path, capsys, content):
    path = tmp_path / "state.db"
    path.write_bytes(content)
    for argv in WRITERS + READERS:
        code, _, err = run(capsys, path, *argv)
        assert code == 1
        one_line_error(err, str(path))
        assert path.read_bytes() == content


# --- read-only and full disks: a small tmpfs of our own (root), else skipped ---------------------

def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    where = tmp_path / "disk"
    if not _mount_tmpfs(where, "1m"):
        pytest.skip("needs root to mount a small tmpfs")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_read_only_disk_readers_work_writers_say_so(small_disk, capsys):
    path = small_disk / "state.db"
    assert run(capsys, path, "settings", "set", "artist_name", "Before")[0] == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    for argv in READERS[:-2]:
        code, out, err = run(capsys, path, *argv)
        assert code == 0, (argv, err)
    assert "Before" in run(capsys, path, "settings", "list")[1]
    assert run(capsys, path, "db", "check")[0] == 0
    for argv in WRITERS[:-1] + [["process", "/nonexistent.mov", "--artwork", "A", "--date",
                                 "24-01-01", "--out", str(small_disk / "out")], ["resume"]]:
        code, _, err = run(capsys, path, *argv)
        assert code == 1, argv
        one_line_error(err, "read-only")
    code, _, err = run(capsys, path, "db", "backup")
    one_line_error(err, "Read-only file system")


@pytest.mark.parametrize("protect", ["file", "folder"])
def test_read_only_file_or_folder_for_a_user(protect):
    """Write-protected by mode, as a user meets it: root ignores modes, so as root the commands
    run as `nobody` (setpriv)."""
    as_root = os.geteuid() == 0
    if as_root and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot run as a user modes apply to")
    folder = Path(tempfile.mkdtemp(prefix="video-archive-ro-"))
    try:
        folder.chmod(0o777)
        path = folder / "state.db"

        def cli(*argv):
            command = cli_argv("--db", str(path), *argv)
            if as_root:
                command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
                           *command]
            return subprocess.run(command, capture_output=True, text=True, timeout=120,
                                  env={**os.environ, "HOME": str(folder)}, cwd=folder)

        assert subprocess.run(cli_argv("--db", str(path), "settings", "set", "artist_name",
                                       "Before"), capture_output=True).returncode == 0
        path.chmod(0o644 if as_root else 0o444)  # root's file: read-only to nobody
        if protect == "folder":
            folder.chmod(0o555)
        before = digest(path)
        for argv in (["settings", "list"], ["sessions"], ["presets", "list"], ["db", "check"]):
            done = cli(*argv)
            assert done.returncode == 0, (argv, done.stderr)
        assert "Before" in cli("settings", "list").stdout
        for argv in (["settings", "set", "artist_name", "After"], ["db", "cleanup"],
                     ["presets", "create", "x", "--name", "X"]):
            done = cli(*argv)
            assert done.returncode == 1, argv
            one_line_error(done.stderr, "read-only")
        assert digest(path) == before
    finally:
        folder.chmod(0o777)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_full_disk_is_one_line(small_disk, capsys):
    path = small_disk / "state.db"
    assert run(capsys, path, "presets", "list")[0] == 0
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    (small_disk / "fill").write_bytes(b"\0" * max(0, free - 20 * 1024))
    before = digest(path)
    for argv in WRITERS + READERS + [["db", "check"], ["db", "backup"]]:
        code, _, err = run(capsys, path, *argv)
        if code == 0:  # a reader SQLite could serve without a new -shm page
            assert argv in READERS + [["db", "check"]], argv
            continue
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, (argv, err)
        assert any(w in err for w in ("disk is full", "No space left")), (argv, err)
    (small_disk / "fill").unlink()
    assert digest(path) == before or run(capsys, path, "db", "check")[0] == 0
