"""Reaching the installed video-archive app: where its command is, and running it with `--json`.

Blender's Python is not the app's, so nothing of the app is imported: the add-on runs the
`video-archive` program and reads its JSON lines. No bpy here, so it is testable on its own."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
from pathlib import Path

COMMAND = "video-archive"
# Where the packages put it when it is not on Blender's PATH (Blender started from a desktop menu
# often has a short PATH).
INSTALLED = (Path("/opt/video-archive/video-archive"), Path("/usr/bin/video-archive"),
             Path("/Applications/Video Archive.app/Contents/MacOS/video-archive"),
             Path(os.environ.get("ProgramFiles", "C:/Program Files")) / "Video Archive" / "video-archive.exe")

INSTALL_HINT = ("Install the Video Archive app (the .deb: sudo apt install ./video-archive_*.deb), "
                "or set the path to its video-archive command in the add-on's preferences")


class AppError(Exception):
    """The app is missing or a command failed; the message is one line for a report."""


def find_app(preference: str = "") -> Path | None:
    """The add-on's preference when set (it must exist), else `video-archive` on PATH, else the
    installed app's usual place."""
    if preference.strip():
        path = Path(os.path.expanduser(preference.strip()))
        return path if path.is_file() and os.access(path, os.X_OK) else None
    on_path = shutil.which(COMMAND)
    if on_path:
        return Path(on_path)
    return next((p for p in INSTALLED if p.is_file() and os.access(p, os.X_OK)), None)


def require_app(preference: str = "") -> Path:
    app = find_app(preference)
    if app is None:
        where = f"{preference.strip()!r} is not an executable file" if preference.strip() else \
            f"{COMMAND} is not on PATH"
        raise AppError(f"Video Archive app not found ({where}). {INSTALL_HINT}")
    return app


def _last_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def run_json(app: Path, args: list[str], timeout: float | None = None) -> dict:
    """Run `video-archive --json ARGS` to the end; its last stdout line is the result."""
    done = subprocess.run([str(app), "--json", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if not lines:
        raise AppError(f"{COMMAND} {args[0]} failed: {_last_error(done.stderr)}")
    try:
        result = json.loads(lines[-1])
    except ValueError:
        raise AppError(f"{COMMAND} {args[0]} printed no JSON result: {lines[-1][:200]}") from None
    if done.returncode not in (0, 1, 3):  # process/resume: 1 failed, 3 paused still give an outcome
        raise AppError(f"{COMMAND} {args[0]} failed: {_last_error(done.stderr)}")
    return result


class Job:
    """`video-archive --json ARGS` running in the background. Its stdout and stderr lines are read
    by threads into one queue, so Blender's modal timer only polls (never blocks on a pipe)."""

    def __init__(self, app: Path, args: list[str]):
        self.args = args
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.stderr: list[str] = []
        self.proc = subprocess.Popen([str(app), "--json", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                                     bufsize=1, start_new_session=True)
        self.readers = [threading.Thread(target=self._read, args=(stream, name), daemon=True)
                        for stream, name in ((self.proc.stdout, "out"), (self.proc.stderr, "err"))]
        for reader in self.readers:
            reader.start()

    def _read(self, stream, name: str) -> None:
        for line in stream:
            self.lines.put((name, line.rstrip("\n")))
        stream.close()

    def events(self):
        """The JSON lines (stdout) and parsed stderr JSON lines read since the last call."""
        while True:
            try:
                name, line = self.lines.get_nowait()
            except queue.Empty:
                return
            if name == "err":
                self.stderr.append(line)
                if not line.startswith("{"):
                    continue
            try:
                yield name, json.loads(line)
            except ValueError:
                continue

    def finished(self) -> bool:
        return self.proc.poll() is not None and not any(r.is_alive() for r in self.readers)

    def pause(self) -> None:
        """Ctrl-C: the app stops its running jobs and saves the session as paused."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def error(self) -> str:
        return _last_error("\n".join(line for line in self.stderr if not line.startswith("{")))
