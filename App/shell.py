"""`video-archive app`: the editor page in a desktop window (pywebview on Qt WebEngine, chosen
explicitly: it is the engine the VP9 proxy is tested in).

The page is served by the bridge's loopback server (its static files and media by id, with byte
ranges) and talks JSON-RPC through pywebview's js_api (bridge/webview.py); the shell adds native
file and folder dialogs to that API. Closing the window while an export runs asks first, and
closing anyway pauses the export so the next start offers to resume it."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from App import geometry, handoff, open_output, sandbox
from App.instance import AlreadyRunning, InstanceLock
from backend import paths, scratch
from backend.db import sessions as db_sessions, settings as db_settings
from bridge import http
from bridge.app import dispatcher
from bridge.context import Bridge
from bridge.webview import WebviewApi, attach

TITLE = "Video Archive"
PAUSE_WAIT_S = 60
SAVE_WAIT_S = 10  # for the page's last edit to reach state.db when the window closes
# the window's own icon (_NET_WM_ICON on X11), drawn by packaging/icon.py
ICON = Path(__file__).resolve().parent / "icons" / "video-archive.png"


def available_screens() -> list[geometry.Area]:
    """Each screen's area less its panels, primary first; none when Qt cannot say."""
    try:
        from webview.guilib import initialize

        screens = initialize("qt").get_screens()
        return [(a.x(), a.y(), a.width(), a.height())
                for a in (s.frame.availableGeometry() for s in screens)]
    except Exception:  # noqa: BLE001 - without screens the window opens at the stored size
        return []


def master_suffix(master: str | None) -> str:
    """The page's address for `video-archive app FILE`: the new-project form, master filled."""
    if not master:
        return ""
    from urllib.parse import quote

    return "#/new/" + quote(str(Path(master).expanduser().absolute()), safe="")


def engine_environment(env: dict[str, str] | None = None, *, is_root: bool | None = None,
                       has_gpu: bool | None = None) -> dict[str, str]:
    """Qt WebEngine's settings for this machine: its Chromium sandbox is turned off only where it
    cannot start (as root, without user namespaces, under AppArmor's restriction without our
    profile: App/sandbox.py; `is_root` given decides on that alone); with no GPU device it
    renders in software from the start instead of failing over, and Qt Quick (which composites
    the page into the window) uses its own rasteriser rather than OpenGL emulated on the CPU by
    Mesa's llvmpipe (a short editing flow in the window: 43 -> 33 CPU-seconds); media play with
    sound without a click first (the window is the app's own)."""
    env = dict(os.environ if env is None else env)
    if is_root is None:
        decision = sandbox.current(env)
        if not decision.sandbox:
            print(f"video-archive: web engine sandbox off: {decision.reason}", file=sys.stderr)
        sandboxed = decision.sandbox
    else:
        sandboxed = not is_root
    has_gpu = Path("/dev/dri").exists() if has_gpu is None else has_gpu
    flags = env.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    # the page is the app: Space plays the proxy with its sound whatever started the playback
    flags.append("--autoplay-policy=no-user-gesture-required")
    if not sandboxed:
        flags.append("--no-sandbox")
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    if not has_gpu:
        flags.append("--disable-gpu")
        env.setdefault("QT_QUICK_BACKEND", "software")
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(dict.fromkeys(flags))
    env.setdefault("QT_QPA_PLATFORM", "xcb" if env.get("DISPLAY") else "offscreen")
    if not env.get("XDG_RUNTIME_DIR"):
        env["XDG_RUNTIME_DIR"] = str(scratch.make_dir("video-archive-runtime-"))
    return env


class ShellApi(WebviewApi):
    """The bridge's js_api plus native dialogs (only the desktop window has them)."""

    def __init__(self, dispatcher_, last_folder: Callable[[str], str | None] = lambda key: None):
        super().__init__(dispatcher_)
        self._window = None
        self._pause_and_close: Callable[[], None] = lambda: None  # set by run()
        self._last_folder = last_folder  # setting name -> the folder it remembers ("" or None: none)

    def pause_and_close(self) -> None:
        """The close question's answer: pause the running exports, then close the window."""
        threading.Thread(target=self._pause_and_close, daemon=True).start()

    def pick_file(self, title="Choose a master video"):
        return self._open_one("Video files (*.mov;*.mp4;*.mxf;*.mkv;*.avi;*.webm;*.m4v)", "last_master_directory")

    def pick_cuts_file(self, title="Import cuts from an edit list"):
        return self._open_one("Edit lists (*.edl;*.otio;*.csv)", "last_master_directory")

    def _open_one(self, kinds: str, remembered: str) -> str | None:
        import webview

        chosen = self._window.create_file_dialog(webview.OPEN_DIALOG, allow_multiple=False,
                                                 directory=self._start_in(remembered),
                                                 file_types=(kinds, "All files (*.*)"))
        return chosen[0] if chosen else None

    def pick_folder(self, title="Choose a folder"):
        import webview

        # the page names the field in the title: "R&D folder" or "Output folder"
        remembered = "last_rd_directory" if "R&D" in str(title) else "last_output_directory"
        chosen = self._window.create_file_dialog(webview.FOLDER_DIALOG, directory=self._start_in(remembered))
        return chosen[0] if chosen else None

    def _start_in(self, setting: str) -> str:
        """Where a dialog opens: the remembered folder while it exists, else the dialog's own choice."""
        try:
            folder = self._last_folder(setting)
        except Exception:  # noqa: BLE001 - a setting that cannot be read is no reason to refuse a dialog
            return ""
        return folder if folder and Path(folder).is_dir() else ''


class ExportWatch:
    """Which sessions have an export at work: every session the bridge's events mention, asked of
    the job manager (an ingest sends runner events too, and is no export)."""

    def __init__(self, hub, jobs):
        self._jobs = jobs
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self.remove = hub.add_callback(self._on_event)

    def _on_event(self, event: dict) -> None:
        session = event.get("session_id")
        if session:
            with self._lock:
                self._seen.add(session)

    def sessions(self) -> list[str]:
        with self._lock:
            seen = sorted(self._seen)
        return [s for s in seen if (job := self._jobs.running_for(s)) is not None and job.kind == "export"]


def take_back_when_done(window, jobs, sessions: list[str], names: str, answered: threading.Event,
                        every: float = 0.5) -> bool:
    """While the close question is up, watch the exports it is about; when none runs any more,
    take the question back (the page says the window can be closed now). False: answered first."""
    while not answered.is_set():
        if not any(job is not None and job.kind == "export" for job in map(jobs.running_for, sessions)):
            window.evaluate_js(f"window.videoArchive.closeAskDone({json.dumps(names)})")
            return True
        time.sleep(every)
    return False


def save_edits(window, wait_s: float = SAVE_WAIT_S) -> bool | None:
    """Have the page send its last edit (one still waiting for its autosave timer) before the
    window goes: True once the page says it is saved, False when its save failed, None when it
    did not answer in `wait_s` (which does not keep the window open)."""
    done = threading.Event()
    saved: list = []

    def answered(value) -> None:
        saved.append(value)
        done.set()

    def ask() -> None:
        try:  # (pywebview calls back with a promise's value; a page gone answers nothing)
            window.evaluate_js("window.videoArchive.saveEdits()", answered)
        except Exception:  # noqa: BLE001 - a page that cannot be asked has nothing to send
            done.set()

    threading.Thread(target=ask, daemon=True).start()
    done.wait(wait_s)
    return saved[0] if saved and isinstance(saved[0], bool) else None


def unsaved_edit_keeps_window(window, told: threading.Event, wait_s: float = SAVE_WAIT_S) -> bool:
    """Before the window closes, its last edit is sent (save_edits). When the page says that save
    failed, the window stays open once, and the page says so: closing it again closes it without
    that edit. True: stay open."""
    saved = save_edits(window, wait_s)
    if saved is None:
        print("video-archive: the page did not confirm its last edit saved", file=sys.stderr)
    if saved is not False or told.is_set():
        return False
    told.set()
    window.evaluate_js("window.videoArchive.closeUnsaved()")
    return True


def exit_process(code: int):
    """End the process once the window has closed and `run` has closed everything of ours.
    pywebview answers each js_api call on a non-daemon thread that waits for the page to take the
    answer; a call in flight when the window closed waits forever, and would keep the closed
    app's process alive (found by tests/test_app_window.py closing during an export)."""
    sys.stdout.flush()
    sys.stderr.flush()
    deadline = time.monotonic() + 2  # for threads that are about to end, not for the stuck ones
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    os._exit(code)


def run(db_path: str | Path | None = None, *, master: str | None = None, url_suffix: str = "",
        on_started: Callable[[object], None] | None = None,
        open_folder: open_output.Opener = open_output.open_folder) -> int:
    """Open the window and block until it closes; with `master`, on the new-project form with
    that master filled in. When another app runs on the same state folder, hand over to it
    (App/handoff.py: its window comes to the front) and return 0; raise StateError when it does
    not answer. `on_started(window)` runs on a thread of its own once the window exists (tests
    drive the page through it); `open_folder(archive)` shows a completed export's folder when
    auto_open_output is on (tests pass a recorder)."""
    db_file = paths.db_path(db_path)
    lock = InstanceLock(db_file.parent)
    try:
        lock.acquire()
    except AlreadyRunning:
        if not handoff.send(db_file.parent, master and str(Path(master).expanduser().absolute())):
            raise
        print("video-archive: the editor is already open; brought its window to the front",
              file=sys.stderr)
        return 0
    try:
        os.environ.update(engine_environment())
        import webview

        bridge = Bridge(db_file, transport="http")
        server = http.BridgeServer(dispatcher(bridge), port=0, csp=http.CSP_WEBVIEW)
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                   name="bridge-http", daemon=True)
        serving.start()
        api = ShellApi(dispatcher(bridge.for_transport("webview")),
                       last_folder=lambda key: db_settings.get(bridge.db, key))
        exports = ExportWatch(bridge.events, bridge.jobs)
        opening = open_output.OpenOnFinish(bridge.events, bridge.db, open_folder)
        storage = str(paths.private_dir(paths.data_dir()))
        # pywebview's Qt module reads the storage path when it is imported, which asking for the
        # screens does before start(); without this its profile goes to ~/.pywebview
        webview._state["storage_path"] = storage
        g = geometry.fit(geometry.load(bridge.db), available_screens())
        window = webview.create_window(TITLE, f"{server.page}?shell=webview{url_suffix or master_suffix(master)}", js_api=api,
                                       width=g.width, height=g.height, x=g.x, y=g.y,
                                       min_size=geometry.minimum_for(g), background_color="#18181a")
        api._window = window

        def on_second_start(wanted: str | None) -> None:
            print("video-archive: a second start asked for this window", file=sys.stderr, flush=True)
            window.restore()  # out of minimised, raised and activated (on the GUI thread)
            if wanted:
                window.evaluate_js(f"location.hash = {json.dumps(master_suffix(wanted))}")

        listener = handoff.Listener(db_file.parent, on_second_start)
        closing_allowed = threading.Event()
        told_unsaved = threading.Event()  # a failed last save keeps the window open once

        def remember_geometry() -> None:
            try:
                # the frame's position, which is what placing a window sets: the page's own
                # (window.x/y) sits a title bar lower, and the window crept down at every start
                frame = window.native.frameGeometry() if window.native is not None else None
                x, y = (frame.x(), frame.y()) if frame is not None else (window.x, window.y)
                geometry.save(bridge.db, window.width, window.height, x, y)
            except Exception:  # noqa: BLE001 - a geometry that cannot be saved is no reason to stay open
                pass

        def artwork_of(session_id: str) -> str:
            try:  # the artwork a person knows, not the session's id
                return db_sessions.get(bridge.db, session_id).artwork_name or session_id
            except Exception:  # noqa: BLE001 - a session gone meanwhile is still named
                return session_id

        def pause_and_close() -> None:
            for session in exports.sessions():
                bridge.jobs.stop(session, wait=PAUSE_WAIT_S)
            closing_allowed.set()
            window.destroy()

        api._pause_and_close = pause_and_close

        def ask_then_close(sessions: list[str]) -> None:
            # the page asks (a dialog of its own); "Pause and close" comes back as js_api
            # pause_and_close. If the exports finish first, the question is taken back with a note.
            names = ", ".join(artwork_of(s) for s in sessions)
            window.evaluate_js(f"window.videoArchive.askClose({json.dumps(names)})")
            take_back_when_done(window, bridge.jobs, sessions, names, closing_allowed)

        def settle_then_close() -> None:
            # the last edit first (its autosave may be waiting), then the exports' question
            if unsaved_edit_keeps_window(window, told_unsaved):
                return
            running = exports.sessions()
            if running:
                ask_then_close(running)
                return
            closing_allowed.set()
            window.destroy()

        def on_closing():
            remember_geometry()
            if closing_allowed.is_set():
                return True
            # neither the page nor the dialog may block the GUI thread that is closing the window
            threading.Thread(target=settle_then_close, daemon=True).start()
            return False

        window.events.closing += on_closing
        try:
            def started() -> None:
                attach(window, api._dispatcher)
                if on_started is not None:
                    on_started(window)

            webview.start(started, gui="qt", private_mode=False, icon=str(ICON), storage_path=storage)
        finally:
            listener.close()
            exports.remove()
            opening.remove()
            bridge.jobs.close()  # pauses anything still running, so it resumes next time
            server.close()
            bridge.close()
    finally:
        lock.release()
    return 0
