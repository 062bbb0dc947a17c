"""Real-browser test harness: a loopback static server with Range support, an Xvfb display, and a
JavaScript expression evaluated in a real page by headless Chromium (through Playwright) or by the
app's own engine, a pywebview window on Qt WebEngine. Each engine runs in a child process under a
hard timeout, so a hung browser fails one test instead of stalling the run.

Run as a script, this file is that child: `python tests/browser.py chromium|webview URL SCRIPT`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import mimetypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM = Path("/usr/bin/chromium")
XVFB = "Xvfb"
INSTALL_HINT = ("run scripts/install-system-deps (as root or with sudo) and scripts/bootstrap test "
                "(scripts/test runs both)")

# Headless Chromium as a test browser: nothing reaches out to the network or updates itself, no GPU
# (there is none in CI; the proxy must decode in software anyway), and media may play without a
# click, as in the desktop app where the page owns the window.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]

WINDOW_SIZE = (1024, 640)
# The child prints its answer on one line behind this marker; engines print their own noise too.
RESULT_MARK = "BROWSER-RESULT "
# How the Chromium child reports what the page said (on its stderr, one line each).
CONSOLE_PREFIXES = ("console.", "page error: ", "request failed: ")


class EngineError(AssertionError):
    """An engine did not answer: it crashed, timed out, or the page threw. Subclassing
    AssertionError makes pytest report it as a test failure with the message, not as an error."""


# ---------------------------------------------------------------------------------------------
# What the machine must have


def missing_system_deps() -> list[str]:
    """What the browser tests need and this machine lacks, one line each."""
    missing = []
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"{CHROMIUM} (Debian package chromium)")
    if not shutil.which(XVFB):
        missing.append("Xvfb (Debian package xvfb)")
    for module, package in (("playwright", "playwright"), ("webview", "pywebview[qt]"),
                            ("PyQt6.QtWebEngineWidgets", "PyQt6-WebEngine")):
        try:
            __import__(module)
        except ImportError as exc:
            missing.append(f"Python module {module} ({package}: {exc})")
    return missing


def require_system_deps() -> None:
    """Fail (never skip: CI installs these, so their absence is a broken set-up) with what to do."""
    missing = missing_system_deps()
    if missing:
        import pytest

        pytest.fail("browser tests need: " + "; ".join(missing) + f" -- {INSTALL_HINT}", pytrace=False)


# ---------------------------------------------------------------------------------------------
# Static files over loopback HTTP, with byte ranges

_TYPES = {".webm": "video/webm", ".mp4": "video/mp4", ".mkv": "video/x-matroska",
          ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
          ".html": "text/html; charset=utf-8", ".json": "application/json", ".png": "image/png",
          ".jpg": "image/jpeg", ".svg": "image/svg+xml"}


class _RangeHandler(BaseHTTPRequestHandler):
    """GET and HEAD of files, honouring a single `Range: bytes=` span. Media elements seek by
    asking for byte ranges; a server that always answers 200 with the whole file leaves Chromium
    unable to seek (currentTime snaps back to 0). http.server's own handler has no ranges."""

    server: _StaticServer
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # a request log per media chunk would bury the test output

    def _serve(self, *, body: bool) -> None:
        path = self.server.resolve(unquote(urlsplit(self.path).path))
        if path is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        size = path.stat().st_size
        first, last = 0, size - 1
        status = HTTPStatus.OK
        spec = self.headers.get("Range", "")
        if spec.startswith("bytes=") and "," not in spec:  # several spans: answer with the whole file
            start, _, end = spec[6:].strip().partition("-")
            try:
                if start:
                    first, last = int(start), min(int(end), size - 1) if end else size - 1
                else:  # "-N": the last N bytes
                    first = max(size - int(end), 0)
            except ValueError:
                first, last = 0, size - 1
            else:
                if first > last or first >= size:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = HTTPStatus.PARTIAL_CONTENT
        length = last - first + 1
        self.send_response(status)
        self.send_header("Content-Type", _TYPES.get(path.suffix.lower())
                         or mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.end_headers()
        if not body:
            return
        try:
            with path.open("rb") as f:
                f.seek(first)
                left = length
                while left > 0:
                    chunk = f.read(min(left, 256 * 1024))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)
        except ConnectionError:
            pass  # the media element dropped a request it no longer needs (normal when seeking)


class _StaticServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path | None, files: dict[str, Path]):
        self.root = root.resolve() if root else None
        self.files = {name.strip("/"): Path(p).resolve() for name, p in files.items()}
        super().__init__(("127.0.0.1", 0), _RangeHandler)

    def handle_error(self, request, client_address) -> None:
        # Browsers drop media connections whenever a seek makes a pending range useless, at any
        # point of a request; that is normal traffic, not an error worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def resolve(self, url_path: str) -> Path | None:
        name = url_path.lstrip("/")
        if name in self.files:
            return self.files[name] if self.files[name].is_file() else None
        if self.root is None:
            return None
        path = (self.root / name).resolve()
        if path.is_dir():
            path = path / "index.html"
        # Only files inside the root: "../" in a URL must not reach the rest of the disk.
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path


@contextlib.contextmanager
def serve(root: Path | None = None, files: dict[str, Path] | None = None) -> Iterator[str]:
    """Serves the folder `root` and/or single `files` (URL name -> path, so a large file needs no
    copy) on 127.0.0.1 at a free port; yields the base URL, ending in "/"."""
    server = _StaticServer(root, files or {})
    thread = threading.Thread(target=server.serve_forever, name="static-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# A virtual X display for the desktop window


@contextlib.contextmanager
def xvfb(size: str = "1280x800x24") -> Iterator[str]:
    """Starts Xvfb on a display it picks itself (-displayfd: no race with other test runs for a
    display number) and yields the DISPLAY value, e.g. ":99"."""
    read_fd, write_fd = os.pipe()
    # Its log goes to a file: a pipe nobody reads would block Xvfb once full.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([XVFB, "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp",
                             "-noreset"], pass_fds=(write_fd,), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=log)
    os.close(write_fd)
    try:
        number = b""
        with os.fdopen(read_fd, "rb") as pipe:
            # Xvfb writes the number once its socket is ready; EOF without one means it died.
            while not number.endswith(b"\n"):
                byte = pipe.read(1)
                if not byte:
                    break
                number += byte
        if not number.strip():
            proc.kill()
            proc.wait(timeout=10)
            log.seek(0)
            raise EngineError(f"Xvfb did not start: {log.read().decode(errors='replace').strip()[-500:]}")
        yield f":{number.decode().strip()}"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


# ---------------------------------------------------------------------------------------------
# Running a check in an engine (parent side)


def evaluate_in_chromium(url: str, script: str, *, timeout: float = 120,
                         screenshot: Path | None = None, visit_first: tuple[str, ...] = (),
                         console: list[str] | None = None) -> object:
    """Opens `url` in headless Chromium, evaluates the JS expression `script` (a Promise is
    awaited) and returns its JSON value; saves a PNG of the page to `screenshot` if given.
    `visit_first`: pages the same browser opens before (to leave cookies, as a user would).
    `console`, when given, receives the page's console messages, page errors and failed requests."""
    return _run_child("chromium", url, script, timeout=timeout, screenshot=screenshot,
                      env=dict(os.environ), visit_first=visit_first, console=console)


def evaluate_in_webview(url: str, script: str, *, display: str, timeout: float = 120,
                        screenshot: Path | None = None) -> object:
    """The same in a pywebview window on Qt WebEngine, shown on the X display `display`; the
    screenshot is of the window's area of the X screen (no window manager: it sits at the top left)."""
    env = dict(os.environ, DISPLAY=display, PYWEBVIEW_GUI="qt", QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    # No GPU under Xvfb; media may start without a click, as in Chromium above. Qt WebEngine's
    # sandbox cannot start as root (CI runs as root), so only then is it turned off.
    flags = ["--disable-gpu", "--autoplay-policy=no-user-gesture-required"]
    if os.geteuid() == 0:
        flags.insert(0, "--no-sandbox")
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join([env.get("QTWEBENGINE_CHROMIUM_FLAGS", ""), *flags]).strip()
    return _run_child("webview", url, script, timeout=timeout, screenshot=screenshot, env=env)


def _run_child(engine: str, url: str, script: str, *, timeout: float, screenshot: Path | None,
               env: dict[str, str], visit_first: tuple[str, ...] = (),
               console: list[str] | None = None) -> object:
    with tempfile.TemporaryDirectory(prefix=f"browser-{engine}-") as runtime:
        # Qt wants a private XDG runtime dir (CI has none) and warns on a shared one.
        env = dict(env, XDG_RUNTIME_DIR=runtime)
        os.chmod(runtime, 0o700)
        argv = [sys.executable, str(Path(__file__).resolve()), engine, url, script, "--timeout", str(timeout)]
        if screenshot:
            argv += ["--screenshot", str(screenshot)]
        for page in visit_first:
            argv += ["--visit", page]
        # A session of its own, so a timeout can kill the browser's helper processes with it.
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True, text=True)
        try:
            out, err = proc.communicate(timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            raise EngineError(f"{engine} did not finish within {timeout + 30:.0f} s; its stderr ends:\n"
                              f"{_tail(err)}") from None
        finally:
            _kill_group(proc)  # helpers a crashed browser left behind
    if console is not None:
        console.extend(line for line in (err or "").splitlines() if line.startswith(CONSOLE_PREFIXES))
    lines = [line for line in out.splitlines() if line.startswith(RESULT_MARK)]
    if not lines:
        # Typically a missing system library (Qt's xcb plugin names the one it lacks in stderr).
        raise EngineError(f"{engine} exited with {proc.returncode} and no result ({INSTALL_HINT}?); "
                          f"its stderr ends:\n{_tail(err)}")
    answer = json.loads(lines[-1][len(RESULT_MARK):])
    if "error" in answer:
        raise EngineError(f"{engine}: {answer['error']}\nits stderr ends:\n{_tail(err)}")
    return answer["value"]


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:]) or "(empty)"


# ---------------------------------------------------------------------------------------------
# The child side: one engine, one page, one answer on stdout


# The caller's expression, bounded in time. Composed as text (not eval'd by the page) so a page with
# a strict Content-Security-Policy can still be checked.
_SETTLE_WITHIN = """
Promise.race([
  Promise.resolve().then(() => (%s)),
  new Promise((_, reject) => setTimeout(
    () => reject(new Error("the page's check did not settle within %d ms")), %d)),
])
"""


def _chromium_child(url: str, script: str, timeout: float, screenshot: Path | None,
                    visit_first: list[str] | None = None) -> object:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # executable_path: Debian's chromium; Playwright never downloads a browser here.
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
                                     timeout=timeout * 1000)
        try:
            page = browser.new_page(viewport={"width": WINDOW_SIZE[0], "height": WINDOW_SIZE[1]})
            page.set_default_timeout(timeout * 1000)
            page.on("console", lambda msg: print(f"console.{msg.type}: {msg.text}", file=sys.stderr))
            page.on("pageerror", lambda exc: print(f"page error: {exc}", file=sys.stderr))
            page.on("requestfailed", lambda req: print(f"request failed: {req.url} {req.failure}",
                                                       file=sys.stderr))
            for earlier in visit_first or []:
                page.goto(earlier, wait_until="load")
            page.goto(url, wait_until="load")
            # page.evaluate waits for ever on a Promise that never settles; bound it here so the
            # answer names the page, rather than the parent's kill naming only the engine.
            value = page.evaluate(_SETTLE_WITHIN % (script, timeout * 1000, timeout * 1000))
            if screenshot:
                page.screenshot(path=str(screenshot))
            return value
        finally:
            browser.close()


# Runs the caller's expression inside the page and parks its settled value on window; the driver
# polls for it. This does not depend on how a pywebview version hands back Promises.
_WEBVIEW_START = """
window.__browserCheck = {done: false};
Promise.resolve().then(() => (%s)).then(
  (value) => { window.__browserCheck = {done: true, value: value === undefined ? null : value}; },
  (err) => { window.__browserCheck = {done: true, error: String(err && err.stack || err)}; });
null
"""


def _webview_child(url: str, script: str, timeout: float, screenshot: Path | None) -> object:
    import time

    import webview

    window = webview.create_window("Video Archive browser check", url, width=WINDOW_SIZE[0],
                                   height=WINDOW_SIZE[1], x=0, y=0)
    outcome: dict = {}

    def drive() -> None:
        try:
            window.evaluate_js(_WEBVIEW_START % script)  # waits for the page's load itself
            deadline = time.monotonic() + timeout
            while True:
                state = window.evaluate_js("window.__browserCheck")
                if state and state.get("done"):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the page's check did not settle within {timeout:.0f} s")
                time.sleep(0.1)
            if "error" in state:
                outcome["error"] = f"the page threw: {state['error']}"
            else:
                outcome["value"] = state["value"]
            if screenshot:
                _grab_x_screen(os.environ["DISPLAY"], screenshot)
        except Exception as exc:  # reported to the parent as the answer, with the window closed
            outcome["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            window.destroy()

    webview.start(drive, gui="qt")
    if "error" in outcome:
        raise EngineError(outcome["error"])
    if "value" not in outcome:
        raise EngineError("the pywebview window closed before the check finished")
    return outcome["value"]


def _grab_x_screen(display: str, out: Path) -> None:
    """A PNG of the window's area of the X screen. ffmpeg's x11grab reads the screen from outside
    Qt, so the picture is what X shows a person, composited video included."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from backend.media.ffmpeg import command

    size = f"{WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}"
    subprocess.run(command(["-y", "-f", "x11grab", "-draw_mouse", "0", "-video_size", size, "-i", f"{display}+0,0",
                            "-frames:v", "1", str(out)]),
                   check=True, timeout=30, stdin=subprocess.DEVNULL, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate a JS expression in a page, in one engine.")
    parser.add_argument("engine", choices=["chromium", "webview"])
    parser.add_argument("url")
    parser.add_argument("script", help="a JavaScript expression; a Promise is awaited")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--visit", action="append", default=[], help="open this page first (chromium)")
    args = parser.parse_args(argv)
    try:
        if args.engine == "chromium":
            value = _chromium_child(args.url, args.script, args.timeout, args.screenshot, args.visit)
        else:
            value = _webview_child(args.url, args.script, args.timeout, args.screenshot)
        answer = {"value": value}
    except Exception as exc:
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    print(RESULT_MARK + json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
