"""Running `video-archive` as a user does (a subprocess, real media, real ffmpeg) and checking what
it leaves behind the way a person would: the files in the archive folder, the manifest's SHA-256,
the rows of the state database, the decoded frames. Shared by tests/test_process_*.py."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

import apsw
import av
import numpy as np
import psutil
from PIL import Image

from backend.media.stills import frame_to_rgb

# Encode speed only: every frame, cut and still pixel is the same as with the built-in preset
# (webflow_standard's x264 `veryfast` costs about twice the CPU: 6.4 against 3.0 CPU-s for
# testvideo.mp4's web master; zlib 1 writes the same lossless stills as 6, 3-6x faster).
FAST_OVERRIDES = {"video": {"x264_preset": "ultrafast"}, "stills_hq": {"compression_level": 1}}
FAST = tuple(arg for group, fields in FAST_OVERRIDES.items() for name, value in fields.items()
             for arg in ("--set", f"{group}.{name}={value}"))
DATE = "26-11-25"
COPYRIGHT = "© Yambo Studio"   # the copyright_text setting's default
ARTIST = "Yambo Studio"         # the artist_name setting's default


def cli_argv(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("video-archive")
    if script.is_file():
        return [str(script), *args]
    return [sys.executable, "-m", "backend.cli.main", *args]


# --- running the CLI -----------------------------------------------------------------------------

@dataclass
class Result:
    rc: int
    events: list[dict]
    outcome: dict | None     # the last --json line (session_id, status, archive_path, ...)
    stdout: str
    stderr: str

    def first(self, **match) -> dict | None:
        return next((e for e in self.events if all(e.get(k) == v for k, v in match.items())), None)


class State:
    """One state folder: state.db (VIDEO_ARCHIVE_DB) with the encoder and ingest caches beside it,
    or in `cache` (VIDEO_ARCHIVE_CACHE; conftest's session-wide `shared_cache`), where a master
    another test decoded is not decoded again. Without one, a first run really decodes the master:
    what a test about the cache or about a detection it interrupts needs."""

    def __init__(self, folder: Path, cache: Path | None = None):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.db = folder / "state.db"
        self.cache = cache

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "VIDEO_ARCHIVE_DB": str(self.db)}
        env.pop("VIDEO_ARCHIVE_CACHE", None)  # conftest's, for the other tests: this state says its own
        if self.cache:
            env["VIDEO_ARCHIVE_CACHE"] = str(self.cache)
        return {**env, **extra}

    def run(self, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        """`video-archive ARGS` to the end. With this state's own environment it runs in this
        process (no interpreter start; nothing is signalled), else in a child with `env`."""
        if env is None and threading.current_thread() is threading.main_thread():
            return in_process(list(args), self.env())  # `process` installs signal handlers
        env = env or self.env()
        return subprocess.run(cli_argv(*args), env=env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def json(self, *args: str, env: dict | None = None, timeout: float = 300) -> Result:
        """`video-archive --json ARGS`: one JSON event per line, the Outcome last."""
        done = self.run("--json", *args, env=env, timeout=timeout)
        return parse(done.returncode, done.stdout, done.stderr)

    def listing(self, *args: str):
        """The JSON a state command (`sessions`, `history`, `stats`, `files`) prints with --json."""
        done = self.run("--json", *args)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        return json.loads(done.stdout)

    def start(self, *args: str, env: dict | None = None) -> subprocess.Popen:
        """`video-archive --json ARGS` in its own process group (as a shell runs a job), so a
        test can signal the group the way Ctrl-C in a terminal does."""
        return subprocess.Popen(cli_argv("--json", *args), env=env or self.env(), text=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)

    # --- the database, read-only ------------------------------------------------------------------
    def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        con = apsw.Connection(str(self.db), flags=apsw.SQLITE_OPEN_READONLY)
        try:
            con.setbusytimeout(10_000)
            con.row_trace = lambda cursor, row: dict(zip((d[0] for d in cursor.getdescription()), row))
            return list(con.execute(sql, params))
        finally:
            con.close()

    def session(self, sid: str) -> dict:
        [row] = self.rows("SELECT * FROM processing_state WHERE session_id = ?", (sid,))
        return row

    def operations(self, sid: str) -> list[dict]:
        return self.rows("SELECT * FROM operation_log WHERE session_id = ? ORDER BY sequence_number",
                         (sid,))

    def registered_files(self, sid: str) -> list[dict]:
        return self.rows("SELECT * FROM file_registry WHERE session_id = ? ORDER BY id", (sid,))

    def dump(self) -> dict[str, list[dict]]:
        """Every row a user's work lives in, to show that a refused command changed nothing."""
        return {table: self.rows(f"SELECT * FROM {table} ORDER BY rowid")
                for table in ("processing_state", "operation_log", "file_registry",
                              "project_history", "user_presets", "app_settings")}


def in_process(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """`main(argv)` under `env`, its output captured, as a child process would have run it: an
    exception that escapes is printed as a traceback on stderr with exit status 1."""
    from backend.cli.main import main

    saved = dict(os.environ)
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(argv)
            except SystemExit as exc:  # argparse: --help, a usage error
                rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if not isinstance(exc.code, (int, type(None))):
                    print(exc.code, file=sys.stderr)
            except Exception:
                traceback.print_exc()
                rc = 1
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(argv, rc, out.getvalue(), err.getvalue())


def parse(rc: int, stdout: str, stderr: str) -> Result:
    events, outcome = [], None
    for line in stdout.splitlines():
        if not line.strip():
            continue
        data = json.loads(line)  # every line of --json output is one JSON object
        if "type" in data:
            events.append(data)
        else:
            outcome = data
    return Result(rc, events, outcome, stdout, stderr)


def run_until(proc: subprocess.Popen, stop_when: Callable[[dict, list[dict]], bool],
              act: Callable[[subprocess.Popen], None], timeout: float = 300) -> Result:
    """Read the job's events as they come; the first time `stop_when(event, events so far)` holds,
    call `act(proc)` (signal it), then read on to the end."""
    events: list[dict] = []
    outcome = None
    acted = False
    deadline = time.monotonic() + timeout
    lines = []
    for line in proc.stdout:
        lines.append(line)
        data = json.loads(line)
        if "type" not in data:
            outcome = data
            continue
        events.append(data)
        if not acted and stop_when(data, events):
            acted = True
            act(proc)
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the job ran past the test's timeout")
    rc = proc.wait(timeout=60)
    stderr = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert acted, f"the job ended (exit {rc}) before the point the test waits for; stderr: {stderr}"
    return Result(rc, events, outcome, "".join(lines), stderr)


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr


# --- processes -------------------------------------------------------------------------------------

def processes_mentioning(text: str) -> list[str]:
    """Running processes (other than this one) whose command line contains `text`: a unique
    temporary folder in a job's paths finds exactly that job's ffmpeg children."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        with contextlib.suppress(psutil.Error):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if proc.pid != os.getpid() and text in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(f"{proc.pid}: {cmdline[:300]}")
    return found


def wait_gone(running: Callable[[], list[str]], seconds: float = 10) -> list[str]:
    """What `running()` still lists after `seconds` (a SIGKILLed parent's children die of their
    death signal or of a broken pipe, which takes a moment)."""
    deadline = time.monotonic() + seconds
    while (left := running()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


# --- the archive folder ---------------------------------------------------------------------------

def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tree(folder: Path) -> dict[str, str]:
    """Every file below `folder` (hidden ones included) -> its SHA-256."""
    return {p.relative_to(folder).as_posix(): sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    """Temporary files of an interrupted write (the tool names them .NAME.partial-XXXX.EXT)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if ".partial" in p.name)


def manifest_of(archive: Path) -> dict:
    [manifest] = archive.glob("*_manifest.json")
    return json.loads(manifest.read_text(encoding="utf-8"))


def check_complete(state: State, sid: str, archive: Path) -> dict[str, str]:
    """A finished archive: session completed, every operation completed, every planned output on
    disk and nothing else, the manifest lists every other file with its true SHA-256 and size,
    one file_registry row per file with its true size. Returns the tree (path -> SHA-256)."""
    session = state.session(sid)
    assert session["status"] == "completed", session["error_message"]
    ops = state.operations(sid)
    assert [op["sequence_number"] for op in ops] == list(range(1, len(ops) + 1))
    assert {op["status"] for op in ops} == {"completed"}, [
        (op["operation_name"], op["status"], op["error_details"]) for op in ops if op["status"] != "completed"]
    assert leftovers(archive) == []
    files = tree(archive)
    planned = {out for op in ops for out in json.loads(op["settings_used"])["outputs"]}
    assert set(files) == planned, (sorted(set(files) - planned), sorted(planned - set(files)))
    manifest = manifest_of(archive)
    [manifest_name] = [p for p in files if p.endswith("_manifest.json")]
    listed = {e["path"]: e for e in manifest["files"]}
    assert len(listed) == len(manifest["files"]), "a file listed twice in the manifest"
    assert set(listed) == set(files) - {manifest_name}
    for path, entry in listed.items():
        assert entry["sha256"] == files[path], path
        assert entry["bytes"] == (archive / path).stat().st_size, path
    rows = state.registered_files(sid)
    paths = [r["file_path"] for r in rows]
    assert len(paths) == len(set(paths)), "duplicate file_registry rows"
    assert set(paths) == set(files)
    for row in rows:
        assert row["file_size_bytes"] == (archive / row["file_path"]).stat().st_size, row["file_path"]
        assert row["verified"] == 1 and row["file_exists"] == 1, row["file_path"]
    return files


# --- frames --------------------------------------------------------------------------------------

def packet_times(path: Path) -> list[float]:
    """Presentation time of every frame of the first video stream, from the packets (what
    `ffprobe -show_packets` lists), sorted: the decoded order of frames."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sorted(float(p.pts * stream.time_base) for p in container.demux(stream)
                      if p.pts is not None and p.size and not p.is_discard)


def scene_indices(times: list[float], start_time: float, end_time: float) -> list[int]:
    """The decoded frames of a scene: those shown from its start time until its end (times from
    the stream's first frame, as the session's scenes_data gives them)."""
    t0 = times[0]
    return [i for i, t in enumerate(times) if start_time - 1e-4 <= t - t0 < end_time - 1e-4]


def scenedetect_numbers(path: Path, times: list[float]) -> list[int]:
    """Frame numbers as PySceneDetect gives them (by timestamp at the nominal rate; on a VFR file
    numbers skip or repeat), computed with scenedetect's own FrameTimecode."""
    from scenedetect.common import FrameTimecode, framerate_to_fraction

    with av.open(str(path)) as container:
        rate = container.streams.video[0].average_rate
    fps = framerate_to_fraction(float(Fraction(rate)))
    return [FrameTimecode(timecode=t - times[0], fps=fps).frame_num for t in times]


def decode(path: Path, wanted: set[int]) -> tuple[int, dict[int, np.ndarray]]:
    """A plain sequential decode (no seeking): (frame count, {index: RGB frame as it is meant to be
    seen: square pixels at the display aspect ratio})."""
    found: dict[int, np.ndarray] = {}
    count = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for index, frame in enumerate(container.decode(stream)):
            if index in wanted:
                found[index] = frame_to_rgb(frame, stream)
            count = index + 1
    return count, found


def ends_of(path: Path) -> tuple[int, np.ndarray, np.ndarray]:
    """Decode a whole video (it must play to the end): (frame count, first frame, last frame)."""
    count, first, last = 0, None, None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if first is None:
                first = frame_to_rgb(frame, stream)
            last = frame
            count += 1
        assert last is not None, f"{path.name} has no frames"
        return count, first, frame_to_rgb(last, stream)


def frames_of(path: Path):
    """Every frame of a video as RGB, one at a time."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            yield frame_to_rgb(frame, stream)


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def resized(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (rgb.shape[1], rgb.shape[0]) == size:
        return rgb
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference per channel value (0-255)."""
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def video_info(path: Path) -> dict:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
        return {"width": stream.codec_context.width, "height": stream.codec_context.height,
                "sar": Fraction(sar) if sar else Fraction(1), "codec": stream.codec_context.name,
                "fps": float(stream.average_rate) if stream.average_rate else None,
                "tags": {k.lower(): v for k, v in container.metadata.items()},
                "streams": [s.type for s in container.streams]}
