"""Finding and running ffmpeg. The one place that starts an ffmpeg process.

`run` is the one way to run an ffmpeg job that writes files: progress, cancel, a bounded stderr
tail, peak memory. `spawn` is for stream readers that consume ffmpeg's stdout themselves.
`query` is for short questions answered on stdout (`-encoders`, `-version`).

Children of `run` die with this process on Linux (PR_SET_PDEATHSIG). That signal fires when the
*thread* that started the child ends; `run` blocks its calling thread until the child is gone, so
that can only happen when the whole process dies. `spawn` does not set it by default, because a
stream reader may be started in one thread and read in another; its child dies of SIGPIPE when
the reading process goes away. On macOS and Windows there is no such hook: `run` still stops its
child on every way out of the call (cancel, error, KeyboardInterrupt), but a hard kill of this
process leaves the child to finish on its own.

Each child gets a process group of its own, and a stop signals the group: an ffmpeg that is a
wrapper script (a distribution's, a test's pacing one) stops with its real ffmpeg, which would
otherwise live on, orphaned, holding the pipes its reader waits on. It also keeps the terminal's
Ctrl-C to this process, which pauses its jobs and stops the children itself.
"""

import collections
import ctypes
import functools
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from backend import paths
from backend.errors import Cancelled, MediaError


_configured = ""  # the ffmpeg_path setting, once a caller that read the settings passed it on


def configure(ffmpeg_path: str | None) -> None:
    """Make the ffmpeg_path setting the default of every later find_ffmpeg() in this process
    (ingest, jobs, encoder tests), so no call site has to thread it through."""
    global _configured
    _configured = ffmpeg_path or ""


def find_ffmpeg(configured: str | None = None) -> Path:
    """The ffmpeg binary to use, in order: `configured` (else the ffmpeg_path setting given to
    configure()), the VIDEO_ARCHIVE_FFMPEG variable, `ffmpeg` on PATH, the binary shipped by
    imageio-ffmpeg (in the packaged app, its bundled imageio-ffmpeg binary comes before PATH)."""
    return _find(configured or _configured or os.environ.get("VIDEO_ARCHIVE_FFMPEG") or "")


@functools.cache
def _find(explicit: str) -> Path:
    if explicit:
        path = Path(explicit).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise MediaError(f"ffmpeg not found at {path} (from the ffmpeg_path setting or "
                             "VIDEO_ARCHIVE_FFMPEG); fix the path or clear it")
        return path
    on_path = shutil.which("ffmpeg")
    # The packaged app ships the ffmpeg it was built and tested with: that one comes before PATH.
    if on_path and not paths.is_frozen():
        return Path(on_path)
    try:
        import imageio_ffmpeg

        return Path(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as exc:  # imageio-ffmpeg raises RuntimeError when its binary is missing
        if on_path:
            return Path(on_path)
        raise MediaError(f"no ffmpeg found: install ffmpeg or the imageio-ffmpeg package ({exc})") from None


def ffmpeg_source(path: Path) -> str:
    """Where the binary came from, for `doctor`."""
    if os.environ.get("VIDEO_ARCHIVE_FFMPEG") and Path(os.environ["VIDEO_ARCHIVE_FFMPEG"]) == path:
        return "VIDEO_ARCHIVE_FFMPEG"
    if "imageio_ffmpeg" in str(path):
        return "bundled with the app" if paths.is_frozen() else "imageio-ffmpeg"
    return "PATH" if shutil.which("ffmpeg") == str(path) else "ffmpeg_path setting"


def query(args: list[str], *, ffmpeg: Path | None = None,
          timeout: float = 30) -> subprocess.CompletedProcess:
    """Run a short ffmpeg command whose answer is its stdout (text); OSError or
    subprocess.TimeoutExpired when it does not run."""
    with subprocess.Popen(command(args, ffmpeg), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, process_group=_OWN_GROUP) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill(proc)
            proc.communicate()
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@functools.cache
def ffmpeg_version(path: Path) -> str:
    out = query(["-version"], ffmpeg=path)
    first = (out.stdout or "").splitlines()[:1]
    return first[0].removeprefix("ffmpeg version ").split(" Copyright")[0] if first else "unknown"


def command(args: list[str], ffmpeg: Path | None = None) -> list[str]:
    """The full argv for an ffmpeg run: quiet banner, never reading stdin (it would steal the
    terminal), errors only on stderr unless the caller asks for more."""
    return [str(ffmpeg or find_ffmpeg()), "-hide_banner", "-nostdin", "-loglevel", "error", *args]


def spawn(args: list[str], *, ffmpeg: Path | None = None, stdout=subprocess.DEVNULL,
          stderr=subprocess.PIPE, die_with_parent: bool = False,
          pass_fds: tuple[int, ...] = ()) -> subprocess.Popen:
    """Start ffmpeg with `args` (everything after the binary). Callers that stream frames read
    `stdout`; everything else goes through `run` below. `die_with_parent` is safe only when the
    starting thread outlives the child (see the module docstring)."""
    return subprocess.Popen(command(args, ffmpeg), stdin=subprocess.DEVNULL, stdout=stdout,
                            stderr=stderr, pass_fds=pass_fds, process_group=_OWN_GROUP,
                            preexec_fn=_death_signal_hook() if die_with_parent else None)


# --- run: one ffmpeg job with progress and cancel ---------------------------------------------

STDERR_TAIL_LINES = 20
STDERR_HEAD_LINES = 5    # the root cause is usually the first error line, not the last
TERMINATE_GRACE_S = 3.0  # ffmpeg stops cleanly on SIGTERM; after this it gets SIGKILL
POLL_S = 0.1             # how often a waiting run looks at `cancel` and the timeout
_NO_SPACE = "No space left on device"  # strerror(ENOSPC), as ffmpeg prints it


class Progress(msgspec.Struct, frozen=True):
    """One `-progress` block. `fraction` is out_time over the caller's `duration` (None when no
    duration was given); the last event of a successful run has done=True."""
    frame: int | None = None
    fps: float | None = None
    out_time_s: float | None = None
    speed: float | None = None
    fraction: float | None = None
    done: bool = False


class RunResult(msgspec.Struct, frozen=True):
    argv: list[str]
    returncode: int
    elapsed_s: float
    stderr_tail: list[str]
    peak_rss_bytes: int | None  # None where the OS does not report it per child (Windows)
    last_progress: Progress | None
    cpu_seconds: float | None = None  # user + system time of the child; None like peak_rss_bytes


class FFmpegError(MediaError):
    """ffmpeg exited with an error. The message names the first error line; the last lines of
    stderr stay on the exception for logs."""

    def __init__(self, message: str, *, returncode: int | None, stderr_tail: list[str],
                 argv: list[str], first_error: str = ""):
        super().__init__(message)
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        self.argv = argv
        self.first_error = first_error  # the first stderr line, log prefix removed


def run(args: list[str], *, duration: float | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None, ffmpeg: Path | None = None,
        timeout: float | None = None) -> RunResult:
    """Run ffmpeg with `args` (everything after the binary; the output must be a file or the
    null muxer, since stdout carries progress) and wait for it.

    on_progress is called in this thread with each Progress. When `cancel` is set the child is
    stopped and Cancelled is raised; past `timeout` seconds it is stopped and MediaError raised;
    a non-zero exit raises FFmpegError. Outputs of a stopped run are left as they are: callers
    write to a temporary name and rename on success."""
    argv = command(["-progress", "pipe:1", "-nostats", *args], ffmpeg)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, process_group=_OWN_GROUP,
                                preexec_fn=_death_signal_hook())
    except OSError as exc:
        raise MediaError(f"cannot start ffmpeg {argv[0]}: {exc.strerror or exc}") from None
    stderr = _StderrCollector(proc.stderr)
    events: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_read_progress, args=(proc.stdout, duration, events),
                              name="ffmpeg-progress", daemon=True)
    reader.start()

    def check_stop() -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled("ffmpeg stopped: the job was cancelled")
        if timeout is not None and time.monotonic() - started > timeout:
            raise FFmpegError(f"ffmpeg took longer than {timeout:g} s and was stopped",
                              returncode=None, stderr_tail=stderr.tail(), argv=argv,
                              first_error=f"no answer within {timeout:g} s")

    last: Progress | None = None
    final: Progress | None = None
    reaped = False
    try:
        while True:
            check_stop()
            try:
                event = events.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if event is None:  # stdout closed: ffmpeg is exiting
                break
            if event.done:
                final = event  # held back until the exit code says it really finished
                continue
            last = event
            if on_progress is not None:
                on_progress(event)
        returncode, peak, cpu = _reap(proc, check_stop)
        reaped = True
    finally:
        if not reaped:
            stop(proc)
        reader.join(timeout=1)
        stderr.join(timeout=1)
        for pipe in (proc.stdout, proc.stderr):
            pipe.close()

    tail = stderr.tail()
    if returncode != 0:
        reason = stderr.summary()
        if any(_NO_SPACE in line for line in (*stderr.head(), *tail)):
            reason = f"the disk is full ({reason})"  # in plain words, whichever line ffmpeg said it on
        raise FFmpegError(f"ffmpeg failed (exit code {returncode}): {reason}",
                          returncode=returncode, stderr_tail=tail, argv=argv,
                          first_error=stderr.summary())
    if final is not None:
        final = msgspec.structs.replace(final, fraction=1.0 if duration else None)
        last = final
        if on_progress is not None:
            on_progress(final)
    return RunResult(argv=argv, returncode=returncode, elapsed_s=time.monotonic() - started,
                     stderr_tail=tail, peak_rss_bytes=peak, last_progress=last, cpu_seconds=cpu)


def _read_progress(stream, duration: float | None, events: queue.Queue) -> None:
    """Turn `key=value` lines into one Progress per block (a block ends with `progress=`)."""
    block: dict[str, str] = {}
    try:
        for raw in stream:
            key, sep, value = raw.decode("utf-8", "replace").strip().partition("=")
            if not sep:
                continue
            if key != "progress":
                block[key] = value
                continue
            events.put(_progress_from(block, duration, done=value == "end"))
            block = {}
    finally:
        events.put(None)


def _progress_from(block: dict[str, str], duration: float | None, done: bool) -> Progress:
    out_us = _number(block.get("out_time_us"), int)
    if out_us is None:  # older builds: out_time_ms, which despite its name is microseconds
        out_us = _number(block.get("out_time_ms"), int)
    out_time = out_us / 1e6 if out_us is not None and out_us >= 0 else None
    fraction = None
    if duration and out_time is not None:
        fraction = min(1.0, max(0.0, out_time / duration))
    speed = block.get("speed", "").strip().removesuffix("x")
    return Progress(frame=_number(block.get("frame"), int), fps=_number(block.get("fps"), float),
                    out_time_s=out_time, speed=_number(speed, float), fraction=fraction, done=done)


def _number(text: str | None, kind):
    try:
        return kind(text.strip()) if text else None
    except ValueError:  # "N/A" before the first frame
        return None


class _StderrCollector:
    """Reads stderr in its own thread so a chatty ffmpeg never blocks on a full pipe; keeps the
    first few lines (the root cause) and a bounded tail."""

    def __init__(self, stream):
        self._head: list[str] = []
        self._tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), name="ffmpeg-stderr",
                                        daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            with self._lock:
                if len(self._head) < STDERR_HEAD_LINES:
                    self._head.append(line)
                self._tail.append(line)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def tail(self) -> list[str]:
        with self._lock:
            return list(self._tail)

    def head(self) -> list[str]:
        with self._lock:
            return list(self._head)

    def summary(self) -> str:
        head = self.head()
        return strip_log_prefix(head[0]) if head else "no error output"


def strip_log_prefix(line: str) -> str:
    """'[h264_nvenc @ 0x55d0] Cannot load libcuda.so.1' -> 'Cannot load libcuda.so.1'."""
    while line.startswith("[") and "]" in line:
        line = line.split("]", 1)[1].lstrip()
    return line


def _reap(proc: subprocess.Popen, check_stop: Callable[[], None]) -> tuple[int, int | None, float | None]:
    """Wait for the child, still honouring cancel and timeout; return (exit code, peak RSS, CPU
    seconds). wait4 gives the child's own resource use for free on POSIX."""
    if not hasattr(os, "wait4"):
        while True:
            try:
                return proc.wait(timeout=POLL_S), None, None
            except subprocess.TimeoutExpired:
                check_stop()
    while True:
        try:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored by the host)
            return proc.wait(), None, None
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            # ru_maxrss is kilobytes on Linux, bytes on macOS
            scale = 1 if sys.platform == "darwin" else 1024
            return proc.returncode, usage.ru_maxrss * scale, usage.ru_utime + usage.ru_stime
        check_stop()
        time.sleep(POLL_S)


def stop(proc: subprocess.Popen) -> None:
    """Stop a child that is still running: SIGTERM (ffmpeg closes its outputs), then SIGKILL."""
    if proc.poll() is not None:
        return
    _signal(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=TERMINATE_GRACE_S)
    except subprocess.TimeoutExpired:
        kill(proc)
        proc.wait()


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL for a child started here, and for whatever it started (its process group)."""
    _signal(proc, getattr(signal, "SIGKILL", None))


_OWN_GROUP = 0 if os.name == "posix" else None  # Popen(process_group=0): the child leads a new group


def _signal(proc: subprocess.Popen, sig: int | None) -> None:
    # only while the child is unreaped: its pid then cannot name another process's group
    if proc.poll() is not None:
        return
    if _OWN_GROUP is None:  # Windows: no groups to signal
        if sig == signal.SIGTERM:
            proc.terminate()
        else:
            proc.kill()
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _death_signal_hook() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to SIGKILL the child when its parent dies; None elsewhere."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()  # read here, in the parent, before the fork
    kill = int(signal.SIGKILL)

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, kill, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return set_death_signal


_PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl():
    """libc's prctl, looked up once so the forked child makes only the call itself."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl
