"""The packaged app as a studio installs it (issues 12 and 20): `packaging/build` in a clean folder,
then the .deb installed with dpkg in a place of its own: a private mount namespace where the
machine's root is the lower layer of an overlay, so dpkg writes into its own copy of the package
database and of /usr and /opt, and the machine's own package set is never touched (nothing is
installed or purged on it, whatever the test finds). The installed `video-archive` runs chrooted
there with a bare environment (no venv, PATH=/usr/bin:/bin, a fresh HOME under /tmp, which is
shared) on a real clip, the editor window opens under Xvfb, the package is purged while the
user's state.db stays. Needs root for the mount namespace (CI runs as root).
VIDEO_ARCHIVE_PACKAGE_DIR=DIR checks an existing `packaging/build --out DIR` instead of building."""

from __future__ import annotations

import hashlib
import sys
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import apsw
import pytest
from PIL import Image, ImageGrab

import browser
import cdp
from archive_checks import DATE, FAST, State, check_complete, parse
from window_driver import until_painted
from backend import __version__
from backend.db import migrations
from db_v1 import make_v1_db

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "video-archive"
INSTALLED = Path("/opt/video-archive/video-archive")


@dataclass
class Built:
    out: Path
    deb: Path
    report: dict
    seconds: float
    place: object = None


def _tail(done: subprocess.CompletedProcess) -> str:
    return (done.stdout or "")[-3000:] + "\n" + (done.stderr or "")[-3000:]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    if os.geteuid() != 0:
        pytest.skip("installing the .deb needs root (CI and the project's machines run as root)")
    start = time.monotonic()
    prebuilt = os.environ.get("VIDEO_ARCHIVE_PACKAGE_DIR")  # re-running the checks on a build
    if prebuilt:
        out = Path(prebuilt)
    else:
        out = tmp_path_factory.mktemp("package")
        # zstd: what is checked is the content, and dpkg installs it as it installs the release's
        # xz; xz takes minutes and gzip a minute of the suite, zstd 3 s
        done = subprocess.run([str(ROOT / "packaging" / "build"), "--out", str(out)],
                              capture_output=True, text=True, timeout=2400, stdin=subprocess.DEVNULL,
                              env={**os.environ, "VA_DEB_COMPRESSION": "zstd"})
        assert done.returncode == 0, _tail(done)
    [deb] = out.glob("*.deb")
    report = json.loads((out / "bundle-report.json").read_text())
    return Built(out, deb, report, time.monotonic() - start)


def _colours(shot: Path) -> int:
    colours = Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 16)
    return 1 << 16 if colours is None else len(colours)


def _grab_painted(display: str, shot: Path) -> None:
    """The X screen once the window has painted its first screen (more than a few colours)."""
    until_painted(lambda: ImageGrab.grab(xdisplay=display).save(shot), lambda: _colours(shot) > 20)


class Place:
    """A root of its own: the machine's / as the read-only lower layer of an overlay, in a mount
    namespace held by one sleeping process. /proc, /dev, /sys, /tmp and /work are the machine's
    (the test's files, the shared media, the X server's socket)."""

    SHARED = ("/proc", "/dev", "/sys", "/tmp", "/work")

    def __init__(self, base: Path):
        self.base = base
        self.merged = base / "root"
        for d in ("upper", "work", "root"):
            (base / d).mkdir(parents=True, exist_ok=True)
        binds = " && ".join(f"mkdir -p {self.merged}{d} && mount --rbind {d} {self.merged}{d}"
                            for d in self.SHARED if Path(d).is_dir())
        script = (f"mount -t overlay overlay -o lowerdir=/,upperdir={base}/upper,workdir={base}/work "
                  f"{self.merged} && {binds} && touch {base}/ready && exec sleep infinity")
        self.holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                                       stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not (base / "ready").exists():
            assert self.holder.poll() is None, "cannot make an overlay in a mount namespace here"
            assert time.monotonic() < deadline
            time.sleep(0.1)

    def command(self, *args: str) -> list[str]:
        return ["/usr/bin/nsenter", "-t", str(self.holder.pid), "-m", "/usr/sbin/chroot", str(self.merged), *args]

    def run(self, *args: str, timeout: float = 900, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, **kw)

    def path(self, inside: str | Path) -> Path:
        """Where this test sees a path of the place: the overlay is mounted only in the holder's
        namespace, which /proc/PID/root shows."""
        return Path(f"/proc/{self.holder.pid}/root") / str(self.merged).lstrip("/") / str(inside).lstrip("/")

    def close(self) -> None:
        self.holder.kill()  # the namespace, and every mount in it, goes with its last process
        self.holder.wait(timeout=30)
        shutil.rmtree(self.base, ignore_errors=True)


def is_installed(place: Place) -> bool:
    done = place.run("dpkg-query", "-W", "-f=${Status}", PACKAGE)
    return done.stdout.startswith("install ok installed")


PLACE: list[Place] = [None]  # the installed fixture's place: where `run` starts the app


def machine_packages() -> str:
    return Path("/var/lib/dpkg/status").read_text()


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    if shutil.which("unshare") is None or shutil.which("nsenter") is None:
        pytest.skip("needs unshare and nsenter (util-linux)")
    before = machine_packages()
    place = Place(tmp_path_factory.mktemp("place"))
    try:
        # dpkg itself checks the Depends against the (copied) package database; the .deb is
        # read where it is (/tmp and /work are the machine's, in the place too)
        done = place.run("dpkg", "-i", str(built.deb.resolve()))
        assert done.returncode == 0, _tail(done)
        assert is_installed(place)
        built.place = PLACE[0] = place
        yield built
    finally:
        place.close()
        assert machine_packages() == before, "the machine's own package database changed"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("home")


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), **extra}


def run(home: Path, *args: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    """The installed `video-archive`, inside the package's own place, as a desktop user starts it."""
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(PLACE[0].command("video-archive", *args), env=bare_env(home, **extra),
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          cwd=home)


def user_config(home: Path) -> Path:
    return home / ".config" / "video-archive"


def test_the_package_holds_the_app_and_says_what_it_needs(installed):
    listing = subprocess.run(["dpkg-deb", "-c", str(installed.deb)], capture_output=True,
                             text=True, check=True).stdout
    for entry in ("./opt/video-archive/video-archive", "./usr/bin/video-archive -> /opt/video-archive/video-archive",
                  "./usr/share/applications/video-archive.desktop",
                  "./usr/share/icons/hicolor/256x256/apps/video-archive.png"):
        assert entry in listing, entry
    for word in ("/tests/", "shared/media", ".mp4", ".mov", "PySide", "PyQt5", "tkinter"):
        assert word not in listing, word
    assert installed.report["problems"] == []
    depends = subprocess.run(["dpkg-deb", "-f", str(installed.deb), "Depends"], capture_output=True,
                             text=True, check=True).stdout
    for package in ("libnss3", "libxcb-cursor0", "libc6 (>= "):
        assert package in depends, depends
    place = installed.place
    assert place.run("readlink", "-f", "/usr/bin/video-archive").stdout.strip() == str(INSTALLED)
    # the manual page, from --help, is found by man
    page = place.run("man", "-P", "cat", "video-archive", env={"PATH": "/usr/bin:/bin", "MANWIDTH": "80"})
    assert page.returncode == 0 and "video-archive app" in page.stdout and "process" in page.stdout, _tail(page)
    copyright_file = place.path("/usr/share/doc/video-archive/copyright")
    sys.path.insert(0, str(ROOT / "packaging"))
    import licenses

    assert licenses.uncovered(place.path("/opt/video-archive"), copyright_file) == []
    assert place.path("/usr/share/doc/video-archive/SOURCE-OFFER").is_file()


def test_installed_cli_archives_a_real_clip_with_a_bare_environment(installed, home, media_dir, tmp_path):
    version = run(home, "--version")
    assert version.returncode == 0, version.stderr
    first, ffmpeg_line = version.stdout.splitlines()[:2]
    assert first == f"video-archive {__version__} (installed app)"
    assert "/opt/video-archive/" in ffmpeg_line and "[bundled with the app]" in ffmpeg_line
    assert not user_config(home).exists()  # --version changes nothing

    doctor = run(home, "--json", "doctor")
    assert doctor.returncode == 0, doctor.stderr
    report = json.loads(doctor.stdout)
    assert report["ok"] and "libx264" in report["usable_encoders"]
    assert report["database"] == str(user_config(home) / "state.db")
    assert report["ffmpeg"].startswith("/opt/video-archive/")

    out = tmp_path / "archives"
    done = run(home, "--json", "process", str(media_dir / "testvideo.mp4"), "--artwork", "Packaged",
               "--date", DATE, "--out", str(out), "--rd", str(media_dir / "rd-sample"), *FAST)
    result = parse(done.returncode, done.stdout, done.stderr)
    assert result.rc == 0 and "Traceback" not in done.stderr, done.stderr
    assert result.outcome["status"] == "completed", result.outcome
    archive = Path(result.outcome["archive_path"])
    assert archive == out / f"{DATE}_Packaged"
    files = check_complete(State(user_config(home)), result.outcome["session_id"], archive)
    assert any(p.startswith("clips/") for p in files) and any(p.startswith("rd/") for p in files)
    assert (user_config(home) / "cache").is_dir()  # the ingest cache beside state.db


def _db_rows(path: Path, sql: str) -> list[tuple]:
    con = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return list(con.execute(sql))
    finally:
        con.close()


def test_first_start_migrates_an_older_database_after_a_backup(installed, tmp_path):
    home = tmp_path / "home"
    db = make_v1_db(user_config(home) / "state.db")
    done = run(home, "--json", "sessions")
    assert done.returncode == 0, done.stderr
    assert _db_rows(db, "PRAGMA user_version") == [(migrations.LATEST,)]
    assert _db_rows(db, "SELECT value FROM app_settings WHERE key = 'app_version'") == [(__version__,)]
    backups = sorted((user_config(home) / "backups").glob("*.db"))
    assert len(backups) == 1 and "before-migration" in backups[0].name
    assert _db_rows(backups[0], "PRAGMA user_version") == [(0,)]  # the v1.0 file as it was


def test_a_newer_database_is_refused_and_left_as_it_was(installed, tmp_path):
    home = tmp_path / "home"
    db = user_config(home) / "state.db"
    assert run(home, "sessions").returncode == 0
    con = apsw.Connection(str(db))
    con.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    con.execute("UPDATE app_settings SET value = '9.0.0' WHERE key = 'app_version'")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    done = run(home, "sessions")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert "last opened by video-archive 9.0.0" in line and f"newer than video-archive {__version__}" in line
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def test_installed_editor_window_calls_the_bridge_from_its_page(installed, home, tmp_path):
    """`video-archive app` from the menu's launcher, under Xvfb with a bare environment. The
    engine's DevTools port (Qt's QTWEBENGINE_REMOTE_DEBUGGING, set for this test only) lets the
    test run script in the editor's page: it calls the bridge through the page's js_api."""
    if run(home, "app", "--help").returncode != 0:
        pytest.skip("this build has no editor window yet (`video-archive app`)")
    browser.require_system_deps()
    port = _free_port()
    log = tmp_path / "app.log"
    with browser.xvfb("1600x1000x24") as display, open(log, "w") as log_file:
        start = time.monotonic()
        proc = subprocess.Popen(PLACE[0].command("video-archive", "app"), cwd=home, stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
                                env=bare_env(home, DISPLAY=display,
                                             QTWEBENGINE_REMOTE_DEBUGGING=f"127.0.0.1:{port}"))
        try:
            target = cdp.wait_for_page(port, 180, alive=lambda: proc.poll() is None)
            page = cdp.Page(target["webSocketDebuggerUrl"])
            deadline = time.monotonic() + 120
            while not page.evaluate("!!(window.pywebview && window.pywebview.api && "
                                    "window.pywebview.api.rpc) && document.readyState === 'complete'"):
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            ready = time.monotonic() - start
            answer = json.loads(page.evaluate(
                'window.pywebview.api.rpc(JSON.stringify({jsonrpc: "2.0", method: "system.info", id: 1}))'))
            info = answer["result"]
            assert info["version"] == __version__ and info["transport"] == "webview", answer
            assert "/opt/video-archive/" in json.dumps(info)  # the bundled ffmpeg
            shot = tmp_path / "editor.png"
            _grab_painted(display, shot)
            page.close()
        finally:
            _stop(proc)
    text = log.read_text()
    assert "web engine sandbox off: running as root" in text or os.geteuid() != 0, text[-2000:]
    assert _colours(shot) > 20, "the screenshot is blank"
    print(f"editor window ready in {ready:.1f} s; screenshot {shot}")
    keep = os.environ.get("VIDEO_ARCHIVE_SCREENSHOTS")
    if keep:
        shutil.copy(shot, Path(keep) / "packaged-editor.png")


NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def _window_geometry(display: str, title: str) -> tuple[int, int, int, int]:
    out = subprocess.run(["xwininfo", "-name", title], capture_output=True, text=True,
                         env={**os.environ, "DISPLAY": display}).stdout
    value = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}
    return (int(value["Absolute upper-left X"]), int(value["Absolute upper-left Y"]),
            int(value["Width"]), int(value["Height"]))


def test_a_fresh_user_on_a_laptop_screen_sees_the_whole_window_and_a_second_start_raises_it(installed, media_dir):
    """A non-root user with a new home (no state yet) starts the installed app on a 1366x768
    screen: the window opens whole on the screen; a second start (the menu clicked again) ends at
    once and the first window is asked to the front, with the file it was given ("Open with")
    in the new-project form. The screenshot is docs/screens/first-start-1366x768.png."""
    browser.require_system_deps()
    if shutil.which("xwininfo") is None:
        pytest.skip("xwininfo (x11-utils) is not installed; scripts/install-system-deps adds it")
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="va-fresh-user-", dir="/tmp"))  # pytest's own folder is 0700
    os.chown(home, 65534, 65534)
    port = _free_port()
    log = home.parent / f"{home.name}.log"
    try:
        with browser.xvfb("1366x768x24") as display, open(log, "w") as log_file:
            env = bare_env(home, DISPLAY=display, QTWEBENGINE_REMOTE_DEBUGGING=f"127.0.0.1:{port}")
            proc = subprocess.Popen(PLACE[0].command(*NOBODY, "video-archive", "app"), cwd=home,
                                    stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                    start_new_session=True, env=env)
            try:
                target = cdp.wait_for_page(port, 180, alive=lambda: proc.poll() is None)
                page = cdp.Page(target["webSocketDebuggerUrl"])
                deadline = time.monotonic() + 120
                while not page.evaluate("document.readyState === 'complete' && !!document.querySelector('#new-project')"):
                    assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                    time.sleep(0.2)
                x, y, width, height = _window_geometry(display, "Video Archive")
                assert 0 <= x and 0 <= y and x + width <= 1366 and y + height <= 768, (x, y, width, height)
                shot = home.parent / f"{home.name}.png"
                _grab_painted(display, shot)
                master = str(media_dir / "testvideo.mp4")
                second = subprocess.run(PLACE[0].command(*NOBODY, "video-archive", "app", master), cwd=home,
                                        env=bare_env(home, DISPLAY=display), capture_output=True,
                                        text=True, timeout=120, stdin=subprocess.DEVNULL)
                assert second.returncode == 0, second.stderr
                assert "already open; brought its window to the front" in second.stderr
                deadline = time.monotonic() + 30
                while "a second start asked for this window" not in log.read_text():
                    assert time.monotonic() < deadline, log.read_text()[-3000:]
                    time.sleep(0.2)
                while page.evaluate("document.querySelector('#f-master')?.value ?? ''") != master:
                    assert time.monotonic() < deadline, "the master did not reach the form"
                    time.sleep(0.2)
                page.close()
            finally:
                _stop(proc)
        config = home / ".config" / "video-archive"
        assert (config / "state.db").stat().st_uid == 65534
        assert config.stat().st_mode & 0o777 == 0o700 and (config / "state.db").stat().st_mode & 0o777 == 0o600
        web = home / ".local" / "share" / "video-archive"  # the editor's web storage
        assert web.stat().st_mode & 0o777 == 0o700 and not (home / ".pywebview").exists()
        assert _colours(shot) > 20, "the screenshot is blank"
        keep = os.environ.get("VIDEO_ARCHIVE_SCREENSHOTS")
        if keep:
            shutil.copy(shot, Path(keep) / "first-start-1366x768.png")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_purging_the_package_keeps_the_users_data(installed, home):
    db = user_config(home) / "state.db"
    sessions_before = _db_rows(db, "SELECT session_id, status FROM processing_state")
    assert sessions_before and {s for _, s in sessions_before} == {"completed"}
    place = installed.place
    done = place.run("dpkg", "--purge", PACKAGE)
    assert done.returncode == 0, _tail(done)
    assert not is_installed(place)
    for gone in ("/opt/video-archive", "/usr/bin/video-archive",
                 "/usr/share/applications/video-archive.desktop", "/usr/share/doc/video-archive"):
        assert not place.path(gone).exists() and not place.path(gone).is_symlink(), gone
    assert _db_rows(db, "SELECT session_id, status FROM processing_state") == sessions_before
    assert (user_config(home) / "cache").is_dir()
