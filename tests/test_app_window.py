"""The desktop window itself: `App/shell.py` on Qt WebEngine under Xvfb, as root where CI runs,
does a short flow (create, wait for the ingest, one edit, export) with screenshots; a second start
on the same state database while the first runs hands over to it; the window's geometry is kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from types import SimpleNamespace
from pathlib import Path

import apsw
import pytest

import browser
from backend.archive.verify import verify
from conftest import fast_default_preset, make_hits_master, paced_ffmpeg

CHILD = Path(__file__).with_name("app_window_child.py")
CLOSE_CHILD = Path(__file__).with_name("app_close_child.py")
SHOTS = os.environ.get("VIDEO_ARCHIVE_SCREENSHOTS")


@pytest.fixture(scope="module")
def display():
    browser.require_system_deps()
    with browser.xvfb("1600x1000x24") as name:
        yield name


def cli(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("video-archive")
    return [str(script), *args] if script.is_file() else [sys.executable, "-m", "backend.cli.main", *args]


def test_window_does_a_short_flow_and_keeps_one_instance(display, media_dir, tmp_path, ffmpeg_bin):
    db = tmp_path / "config" / "state.db"
    shots = Path(SHOTS) if SHOTS else tmp_path / "shots"
    runtime = tempfile.mkdtemp(prefix="app-runtime-")
    os.chmod(runtime, 0o700)
    env = dict(os.environ, DISPLAY=display, XDG_RUNTIME_DIR=runtime, QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    fast_default_preset(db)
    # a stored geometry is where the window opens (top left, where the screenshots look)
    stored = subprocess.run(cli("--db", str(db), "settings", "set", "window_geometry",
                                '{"width": 1440, "height": 900, "x": 0, "y": 0}'),
                            capture_output=True, text=True, timeout=60)
    assert stored.returncode == 0, stored.stderr
    # testvideo.mp4's picture with a track of hits: the window plays sound and draws its lane
    master = make_hits_master(ffmpeg_bin, tmp_path / "testvideo-hits.mp4", seconds=25,
                              picture=media_dir / "testvideo.mp4")
    proc = subprocess.Popen([sys.executable, str(CHILD), str(db), str(master),
                             str(tmp_path / "out"), str(shots)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        # while the window is up, a second start on the same database hands over to it: the
        # first window comes to the front, the second start ends at once
        deadline = time.monotonic() + 60
        while not (db.parent / "app.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        second = subprocess.run(cli("--db", str(db), "app"), env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second
        assert "already open; brought its window to the front" in second.stderr, second.stderr
        out, err = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
    assert "a second start asked for this window" in err, err[-3000:]
    lines = [line for line in out.splitlines() if line.startswith("APP-RESULT ")]
    assert lines, f"the window exited with {proc.returncode} and no result; stderr ends:\n{err[-3000:]}"
    result = json.loads(lines[-1][len("APP-RESULT "):])
    assert "error" not in result, (result.get("error"), result)
    assert result["transport"].startswith("desktop"), result
    assert result["dialogs"] is True
    assert len(result["cuts_after"]) == len(result["cuts_before"]) + 1
    sound = result["sound"]
    assert sound["lane"] >= 30 and sound["audio_bytes"] > 0, sound
    assert sound["muted_playing"] is False and sound["muted_after_m"] is True, sound
    sharp = result["sharp"]   # the master's own frame at the playhead, fitted to the viewer
    assert sharp["width"] <= sharp["viewer"][0] and sharp["height"] <= sharp["viewer"][1], sharp
    assert sharp["width"] < 1280 and sharp["width"] > sharp["viewer"][0] / 2, sharp  # not the full 1280x720
    assert abs(sharp["width"] / sharp["height"] - 16 / 9) < 0.01 and sharp["hud"] == str(sharp["playhead"]), sharp
    assert Path(result["archive"]).is_dir(), result
    assert result["opened"] == [result["archive"]], result  # auto_open_output (on by default)
    assert result["errors"] is None, result
    for name in ("app-start", "app-editor", "app-export"):
        assert (shots / f"{name}.png").stat().st_size > 10_000, name
    # the geometry was saved when the window closed
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    (value,) = conn.execute("SELECT value FROM app_settings WHERE key = 'window_geometry'").fetchone()
    geometry = json.loads(value)
    assert (geometry["width"], geometry["height"]) == (1440, 900), geometry


def _close_child(display, db, media_dir, tmp_path, *mode: str, master: str = "testvideo.mp4",
                 ffmpeg_bin: Path | None = None) -> dict:
    fast_default_preset(db)
    runtime = tempfile.mkdtemp(prefix="app-runtime-")
    os.chmod(runtime, 0o700)
    env = dict(os.environ, DISPLAY=display, XDG_RUNTIME_DIR=runtime, QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    if ffmpeg_bin is not None:  # the export must still run when the window closes: 3x real time
        env["VIDEO_ARCHIVE_FFMPEG"] = str(paced_ffmpeg(Path(runtime), ffmpeg_bin))
    proc = subprocess.run([sys.executable, str(CLOSE_CHILD), str(db), str(media_dir / master),
                           str(tmp_path / "out"), *mode], env=env, capture_output=True, text=True, timeout=900)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("APP-RESULT ")]
    assert lines, f"the window exited with {proc.returncode} and no result; stderr ends:\n{proc.stderr[-3000:]}"
    result = json.loads(lines[-1][len("APP-RESULT "):])
    assert "error" not in result, (result.get("error"), result)
    return result


@pytest.mark.cold_cache  # the export must encode (segments another test left would end it at once)
def test_closing_the_window_during_an_export_asks_then_pauses_it(display, media_dir, tmp_path, ffmpeg_bin):
    """The window's close button while an export runs: the shell asks, and on "close anyway"
    the export pauses cleanly (the session is paused, part of it done, nothing failed), so the
    next start offers it for resuming; `resume` then finishes it."""
    db = tmp_path / "config" / "state.db"
    result = _close_child(display, db, media_dir, tmp_path, ffmpeg_bin=ffmpeg_bin)
    assert len(result["asked"]) == 1 and "pause the export" in result["asked"][0], result
    sid = result["session_id"]
    assert "Close Test" in result["asked"][0] and sid not in result["asked"][0], result  # the artwork, not the id
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        status = conn.execute("SELECT status FROM processing_state WHERE session_id = ?", (sid,)).fetchone()[0]
        ops = conn.execute("SELECT status FROM operation_log WHERE session_id = ?", (sid,)).fetchall()
    finally:
        conn.close()
    assert status == "paused", status
    assert "failed" not in {o[0] for o in ops} and any(o[0] != "completed" for o in ops), ops
    listed = subprocess.run(cli("--db", str(db), "--json", "sessions"), capture_output=True, text=True,
                            timeout=60)
    assert sid in listed.stdout, listed
    done = subprocess.run(cli("--db", str(db), "--json", "resume", sid), capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["status"] == "completed"


def test_engine_environment_turns_the_sandbox_off_only_as_root():
    from App.shell import engine_environment

    root = engine_environment({"DISPLAY": ":1"}, is_root=True, has_gpu=False)
    assert "--no-sandbox" in root["QTWEBENGINE_CHROMIUM_FLAGS"] and root["QTWEBENGINE_DISABLE_SANDBOX"] == "1"
    assert "--disable-gpu" in root["QTWEBENGINE_CHROMIUM_FLAGS"] and root["QT_QUICK_BACKEND"] == "software"
    assert "--autoplay-policy=no-user-gesture-required" in root["QTWEBENGINE_CHROMIUM_FLAGS"]
    user = engine_environment({"DISPLAY": ":1", "XDG_RUNTIME_DIR": "/tmp"}, is_root=False, has_gpu=True)
    assert "--no-sandbox" not in user["QTWEBENGINE_CHROMIUM_FLAGS"] and "QTWEBENGINE_DISABLE_SANDBOX" not in user
    assert "--disable-gpu" not in user["QTWEBENGINE_CHROMIUM_FLAGS"] and "QT_QUICK_BACKEND" not in user


def test_geometry_is_clamped_and_kept(db):
    from App import geometry

    assert geometry.load(db) == geometry.Geometry()
    geometry.save(db, 300, 200, 50, 60)
    assert geometry.load(db) == geometry.Geometry(width=960, height=600, x=50, y=60)
    geometry.save(db, 1700, 1000, None, None)
    assert geometry.load(db) == geometry.Geometry(width=1700, height=1000)


def test_a_second_instance_is_refused(tmp_path):
    from App.instance import InstanceLock
    from backend.errors import StateError

    with InstanceLock(tmp_path):
        with pytest.raises(StateError, match=r"already running \(process \d+\)"):
            InstanceLock(tmp_path).acquire()
    with InstanceLock(tmp_path):  # released: the next start works
        pass


def test_the_close_question_closes_itself_when_the_export_finishes_behind_it(display, media_dir, tmp_path):
    """In the real window: closed during an export, it asks (naming the artwork); nobody answers,
    the export finishes, the question goes by itself with a note, and the window then closes
    without asking again; the archive is complete."""
    db = tmp_path / "config" / "state.db"
    result = _close_child(display, db, media_dir, tmp_path, "finish")
    assert len(result["asked"]) == 1 and "Close Test" in result["asked"][0], result
    assert "finished: the window can be closed now" in result["banner"], result
    assert verify(result["archive"]).status == "intact"


def test_closing_the_window_right_after_an_edit_saves_it(display, media_dir, tmp_path):
    """The close button pressed within the autosave's wait after a cut: the window sends the cut
    to state.db before it goes (it was lost with the page before)."""
    db = tmp_path / "config" / "state.db"
    result = _close_child(display, db, media_dir, tmp_path, "edit", master="counter.mp4")
    assert 7 in result["cuts"], result
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        (scenes,) = conn.execute("SELECT scenes_data FROM processing_state WHERE session_id = ?",
                                 (result["session_id"],)).fetchone()
    finally:
        conn.close()
    assert [s["start_frame"] for s in json.loads(scenes)][1:] == result["cuts"]


def test_a_last_edit_that_failed_to_save_keeps_the_window_open_once():
    """The close button: the page is asked to send its last edit. A save that failed keeps the
    window open once, saying so; closing again closes. A saved edit, or a page that does not
    answer, never keeps it open."""
    from App.shell import unsaved_edit_keeps_window

    class Window:
        def __init__(self, answer):
            self.answer, self.said = answer, []

        def evaluate_js(self, script, callback=None):
            self.said.append(script)
            if callback is not None and self.answer is not None:
                callback(self.answer)

    failing, told = Window(False), threading.Event()
    assert unsaved_edit_keeps_window(failing, told)
    assert failing.said == ["window.videoArchive.saveEdits()", "window.videoArchive.closeUnsaved()"]
    assert not unsaved_edit_keeps_window(failing, told)          # closing again closes
    saved = Window(True)
    assert not unsaved_edit_keeps_window(saved, threading.Event())
    assert saved.said == ["window.videoArchive.saveEdits()"]
    assert not unsaved_edit_keeps_window(Window(None), threading.Event(), wait_s=0.05)


def test_the_close_question_is_taken_back_when_the_exports_finish():
    """The shell watches the exports the question is about and takes it back once none runs; an
    answer first (Pause and close) ends the watch."""
    from App.shell import take_back_when_done

    class Jobs:
        def __init__(self, polls_running: int):
            self.left = polls_running

        def running_for(self, session_id):
            self.left -= 1
            return SimpleNamespace(kind="export") if self.left >= 0 else None

    class Window:
        said: list[str] = []

        def evaluate_js(self, script):
            self.said.append(script)

    window = Window()
    assert take_back_when_done(window, Jobs(3), ["s1"], "Blue Hour", threading.Event(), every=0)
    assert window.said == ['window.videoArchive.closeAskDone("Blue Hour")']
    answered = threading.Event()
    answered.set()
    assert not take_back_when_done(Window(), Jobs(3), ["s1"], "Blue Hour", answered, every=0)


def test_the_shell_knows_which_exports_are_running():
    import threading

    from App.shell import ExportWatch
    from bridge.events import EventHub
    from bridge.jobs import JobManager

    hub = EventHub()
    jobs = JobManager(hub)
    watch = ExportWatch(hub, jobs)
    release = threading.Event()

    def work(cancel, emit):
        emit({"type": "unit_started", "op": "probe"})
        release.wait(10)
        return "completed"

    jobs.start("ingest", "a", work)
    jobs.start("export", "b", work)
    time_limit = threading.Event()
    for _ in range(50):
        if set(watch._seen) >= {"a", "b"}:
            break
        time_limit.wait(0.1)
    assert watch.sessions() == ["b"], "an ingest is no export"
    release.set()
    for info in (jobs.latest_for("a"), jobs.latest_for("b")):
        jobs.wait(info.job_id, 10)
    assert watch.sessions() == []
    watch.remove()
