"""Start-up as a desktop user meets it (issue 20): a failure is one line on stderr and, with a
display, the same line in a dialog (a menu launcher has no terminal); never a traceback. A second
start hands over to the running window (App/handoff.py) instead of failing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import apsw
import pytest

import browser
from App import handoff
from backend.db import migrations

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "backend.cli.main", *args]


def test_a_second_start_reaches_the_first_only_with_its_token(tmp_path):
    asked = []
    listener = handoff.Listener(tmp_path, asked.append)
    try:
        assert oct((tmp_path / handoff.HANDOFF_NAME).stat().st_mode & 0o777) == "0o600"
        assert handoff.send(tmp_path, "/films/master.mov") and handoff.send(tmp_path, None)
        assert asked == ["/films/master.mov", None]
        port, _ = (tmp_path / handoff.HANDOFF_NAME).read_text().split()
        (tmp_path / handoff.HANDOFF_NAME).write_text(f"{port} {'0' * 32}\n")
        assert not handoff.send(tmp_path, "/elsewhere.mov")  # a wrong token is not answered
        assert asked == ["/films/master.mov", None]
    finally:
        listener.close()
    assert not (tmp_path / handoff.HANDOFF_NAME).exists()
    assert not handoff.send(tmp_path, None)  # nobody listening: the caller says so itself


def test_a_state_folder_that_cannot_be_made_is_one_line(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run(cli("--db", str(blocker / "state.db"), "app"), capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env)
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("video-archive: error: cannot use the state folder") and str(blocker) in line


def _windows(display: str) -> str:
    return subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True,
                          env={**os.environ, "DISPLAY": display}).stdout


def test_a_newer_database_started_from_the_menu_shows_the_line_in_a_dialog(tmp_path):
    browser.require_system_deps()
    if shutil.which("xwininfo") is None:
        pytest.skip("xwininfo (x11-utils) is not installed; scripts/install-system-deps adds it")
    db = tmp_path / "state.db"
    assert subprocess.run(cli("--db", str(db), "sessions"), capture_output=True, cwd=ROOT).returncode == 0
    con = apsw.Connection(str(db))
    con.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    con.close()
    with browser.xvfb("1366x768x24") as display:
        proc = subprocess.Popen(cli("--db", str(db), "app"), cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"})
        try:
            deadline = time.monotonic() + 120
            while '"Video Archive cannot start"' not in _windows(display):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "no dialog appeared"
                time.sleep(0.5)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err
    [line] = [x for x in err.splitlines() if x.startswith("video-archive: error:")]
    assert "newer than video-archive" in line and str(db) in line


def test_an_archive_locked_by_another_user_is_one_line(tmp_path):
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root to run as another user (setpriv)")
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="va-other-user-", dir="/tmp"))  # pytest's folder is 0700
    archive = top / "archive"
    archive.mkdir()
    (archive / ".video-archive.lock").write_text("pid 1 session other")
    top.chmod(0o755)
    archive.chmod(0o755)  # another user may look in, not write
    code = ("import sys; from pathlib import Path; from backend.jobs import archive_lock\n"
            "try:\n archive_lock.acquire(Path(sys.argv[1]), 'me')\n"
            "except archive_lock.ArchiveBusy as e:\n print(e); sys.exit(3)\n")
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           sys.executable, "-c", code, str(archive)], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "HOME": str(tmp_path)})
    shutil.rmtree(top)
    assert done.returncode == 3, done.stderr
    assert "belongs to another user" in done.stdout and "Traceback" not in done.stderr
